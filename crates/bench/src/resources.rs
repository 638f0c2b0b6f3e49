//! CPU and memory of a local target, sampled from `/proc` while it is under
//! load. The workstation's question is whether the machine is saturated and
//! whether the model fits in memory next to the office software; a remote
//! target cannot be observed this way and is not sampled. Linux only: on
//! other systems the sampler finds no process and reports nothing.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::metrics::Stats;

/// Linux reports CPU time in clock ticks of USER_HZ, which is 100 on every
/// architecture Linux supports for userspace.
const TICKS_PER_S: f64 = 100.0;

/// Which processes make up the target: a process id, or a process name
/// (as in `/proc/PID/comm`, e.g. `llama-server`; all processes of that name
/// are summed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcessSelector {
    Pid(u32),
    Name(String),
}

impl ProcessSelector {
    /// A number is a process id, anything else a name.
    pub fn parse(s: &str) -> ProcessSelector {
        match s.trim().parse() {
            Ok(pid) => ProcessSelector::Pid(pid),
            Err(_) => ProcessSelector::Name(s.trim().to_string()),
        }
    }

    fn pids(&self) -> Vec<u32> {
        match self {
            ProcessSelector::Pid(p) => vec![*p],
            ProcessSelector::Name(name) => {
                // The kernel cuts names to 15 bytes.
                let want: String = name.chars().take(15).collect();
                let Ok(dir) = std::fs::read_dir("/proc") else {
                    return vec![];
                };
                dir.filter_map(Result::ok)
                    .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
                    .filter(|pid| {
                        std::fs::read_to_string(format!("/proc/{pid}/comm"))
                            .is_ok_and(|c| c.trim_end() == want)
                    })
                    .collect()
            }
        }
    }
}

/// CPU ticks (user + system) and resident memory in KiB of one process.
fn read_process(pid: u32) -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The name in parentheses may contain spaces; fields count from after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss_kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    Some((utime + stime, rss_kib))
}

/// Summed ticks and memory of all selected processes; `None` if none runs.
fn read_all(sel: &ProcessSelector) -> Option<(u64, u64)> {
    let found: Vec<(u64, u64)> = sel.pids().into_iter().filter_map(read_process).collect();
    (!found.is_empty()).then(|| {
        found
            .iter()
            .fold((0, 0), |(t, m), (t2, m2)| (t + t2, m + m2))
    })
}

/// What the sampler saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceUsage {
    pub process: String,
    pub samples: usize,
    /// CPU use in percent of one core (400 = four cores busy).
    pub cpu_percent: Stats,
    pub rss_mib: Stats,
}

/// A running sampler; [`Sampler::finish`] stops it.
#[derive(Debug)]
pub struct Sampler {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<Vec<(f64, f64)>>,
    label: String,
}

impl Sampler {
    pub fn start(selector: ProcessSelector, interval: Duration) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let label = match &selector {
            ProcessSelector::Pid(p) => format!("PID {p}"),
            ProcessSelector::Name(n) => n.clone(),
        };
        let s = stop.clone();
        let task = tokio::spawn(async move {
            let mut out = Vec::new();
            let mut last = read_all(&selector).map(|(t, _)| (t, Instant::now()));
            while !s.load(Ordering::Relaxed) {
                tokio::time::sleep(interval).await;
                let now = Instant::now();
                match (read_all(&selector), last) {
                    (Some((ticks, rss)), Some((prev, at))) => {
                        let secs = (now - at).as_secs_f64().max(1e-6);
                        let cpu = ticks.saturating_sub(prev) as f64 / TICKS_PER_S / secs * 100.0;
                        out.push((cpu, rss as f64 / 1024.0));
                        last = Some((ticks, now));
                    }
                    (Some((ticks, _)), None) => last = Some((ticks, now)),
                    (None, _) => last = None,
                }
            }
            out
        });
        Sampler { stop, task, label }
    }

    /// Stops sampling; `None` when the process was never seen.
    pub async fn finish(self) -> Option<ResourceUsage> {
        self.stop.store(true, Ordering::Relaxed);
        let samples = self.task.await.ok()?;
        (!samples.is_empty()).then(|| ResourceUsage {
            process: self.label,
            samples: samples.len(),
            cpu_percent: Stats::of(samples.iter().map(|s| s.0)),
            rss_mib: Stats::of(samples.iter().map(|s| s.1)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_tell_ids_from_names() {
        assert_eq!(ProcessSelector::parse(" 42 "), ProcessSelector::Pid(42));
        assert_eq!(
            ProcessSelector::parse("llama-server"),
            ProcessSelector::Name("llama-server".into())
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_sampler_sees_this_process_working() {
        if !std::path::Path::new("/proc/self/stat").exists() {
            return; // not Linux
        }
        let sampler = Sampler::start(
            ProcessSelector::Pid(std::process::id()),
            Duration::from_millis(50),
        );
        tokio::task::spawn_blocking(|| {
            let end = std::time::Instant::now() + Duration::from_millis(400);
            let mut x = 0u64;
            while std::time::Instant::now() < end {
                x = x.wrapping_mul(31).wrapping_add(7);
            }
            x
        })
        .await
        .unwrap();
        let usage = sampler.finish().await.expect("own process is visible");
        assert!(usage.samples >= 3, "{usage:?}");
        assert!(usage.rss_mib.max.unwrap() > 1.0, "{usage:?}");
        assert!(usage.cpu_percent.max.unwrap() > 20.0, "{usage:?}");
    }

    #[tokio::test]
    async fn a_missing_process_yields_nothing() {
        let sampler = Sampler::start(
            ProcessSelector::Name("gibt-es-nicht-123".into()),
            Duration::from_millis(10),
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(sampler.finish().await, None);
    }
}
