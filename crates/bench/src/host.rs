//! The load of the machine the Vergleichstest runs on, read from `/proc`
//! during the run: load average and CPU steal (time a virtual machine
//! waited for its host). A busy machine slows the load generator and any
//! local target, so its figures say more about the neighbours than about
//! the target; the report flags such a run. Linux only: elsewhere nothing
//! is recorded and nothing is flagged.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::report::numbers::num;

/// What the machine looked like during the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostLoad {
    /// Logical CPUs of the machine.
    pub cpus: u32,
    pub samples: usize,
    /// Highest and mean one-minute load average seen.
    pub load1_max: f64,
    pub load1_mean: f64,
    /// Share of CPU time stolen by the hypervisor over the run, in percent.
    pub steal_percent: Option<f64>,
}

/// Load per CPU above which measured speeds are not trustworthy.
const BUSY_LOAD_PER_CPU: f64 = 0.8;
/// Steal above this share means the virtual machine shared its cores.
const BUSY_STEAL_PERCENT: f64 = 5.0;

impl HostLoad {
    /// The German warning for a run on a busy machine, if it was busy.
    pub fn warning_de(&self) -> Option<String> {
        let busy_load = self.load1_max > BUSY_LOAD_PER_CPU * f64::from(self.cpus.max(1));
        let busy_steal = self.steal_percent.is_some_and(|s| s > BUSY_STEAL_PERCENT);
        if !busy_load && !busy_steal {
            return None;
        }
        let mut s = format!(
            "Der Rechner, auf dem gemessen wurde, war während des Laufs ausgelastet \
             (Systemlast bis {} bei {} Prozessorkernen",
            num(self.load1_max, 1),
            self.cpus
        );
        if let Some(steal) = self.steal_percent {
            s.push_str(&format!(
                ", {} % der Rechenzeit vom Host entzogen",
                num(steal, 1)
            ));
        }
        s.push_str(
            "). Die Tempowerte können dadurch verfälscht sein; wiederholen Sie die Messung auf \
             einem ruhigen Rechner.",
        );
        Some(s)
    }
}

/// Ticks of all CPU time and of stolen time, from the first line of
/// `/proc/stat` (`cpu user nice system idle iowait irq softirq steal …`).
fn read_stat() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    parse_stat(stat.lines().next()?)
}

fn parse_stat(line: &str) -> Option<(u64, u64)> {
    let mut fields = line.split_whitespace();
    if fields.next()? != "cpu" {
        return None;
    }
    let values: Vec<u64> = fields.filter_map(|f| f.parse().ok()).collect();
    // guest and guest_nice are already counted in user and nice.
    let total: u64 = values.iter().take(8).sum();
    Some((total, *values.get(7)?))
}

fn read_load1() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/loadavg").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

/// A running recorder; [`LoadRecorder::finish`] stops it.
#[derive(Debug)]
pub struct LoadRecorder {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<Vec<f64>>,
    stat_at_start: Option<(u64, u64)>,
}

impl LoadRecorder {
    pub fn start(interval: Duration) -> LoadRecorder {
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let task = tokio::spawn(async move {
            let mut out: Vec<f64> = read_load1().into_iter().collect();
            while !s.load(Ordering::Relaxed) {
                tokio::time::sleep(interval).await;
                out.extend(read_load1());
            }
            out
        });
        LoadRecorder {
            stop,
            task,
            stat_at_start: read_stat(),
        }
    }

    /// Stops recording; `None` where `/proc` is not there.
    pub async fn finish(self) -> Option<HostLoad> {
        self.stop.store(true, Ordering::Relaxed);
        let loads = self.task.await.ok()?;
        if loads.is_empty() {
            return None;
        }
        let steal_percent = match (self.stat_at_start, read_stat()) {
            (Some((t0, s0)), Some((t1, s1))) if t1 > t0 => {
                Some(s1.saturating_sub(s0) as f64 / (t1 - t0) as f64 * 100.0)
            }
            _ => None,
        };
        Some(HostLoad {
            cpus: std::thread::available_parallelism()
                .map(|n| n.get() as u32)
                .unwrap_or(1),
            samples: loads.len(),
            load1_max: loads.iter().copied().fold(0.0, f64::max),
            load1_mean: loads.iter().sum::<f64>() / loads.len() as f64,
            steal_percent,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steal_is_the_eighth_value_of_the_cpu_line() {
        let line = "cpu  100 0 50 800 10 0 0 40 0 0";
        assert_eq!(parse_stat(line), Some((1000, 40)));
        assert_eq!(parse_stat("intr 1 2 3"), None);
    }

    fn load(load1_max: f64, steal: Option<f64>) -> HostLoad {
        HostLoad {
            cpus: 2,
            samples: 10,
            load1_max,
            load1_mean: load1_max,
            steal_percent: steal,
        }
    }

    #[test]
    fn a_busy_or_shared_machine_is_flagged_and_a_quiet_one_is_not() {
        assert_eq!(load(1.0, Some(0.0)).warning_de(), None);
        let w = load(3.5, None).warning_de().unwrap();
        assert!(w.contains("Systemlast bis 3,5 bei 2"), "{w}");
        let w = load(0.2, Some(12.0)).warning_de().unwrap();
        assert!(w.contains("12,0 % der Rechenzeit"), "{w}");
    }

    #[tokio::test]
    async fn the_recorder_reads_the_load_of_this_machine() {
        if !std::path::Path::new("/proc/loadavg").exists() {
            return; // not Linux
        }
        let r = LoadRecorder::start(Duration::from_millis(10));
        tokio::time::sleep(Duration::from_millis(50)).await;
        let l = r.finish().await.expect("load recorded");
        assert!(l.samples >= 2 && l.cpus >= 1, "{l:?}");
    }
}
