//! `ki-reise doctor`: what this machine offers for local models (CPU
//! features, cores, memory, measured memory bandwidth). Which models of the
//! catalogue run here, and how fast, the binary adds from these facts
//! (`journey::models::recommend`).

use std::io::Write;
use std::time::Instant;

use crate::error::{Error, Result};
use crate::kernels::Isa;

/// What `doctor` found.
#[derive(Debug, Clone)]
pub struct DoctorReport {
    pub cpu: String,
    pub features: Vec<(&'static str, bool)>,
    pub isa: Isa,
    pub physical_cores: usize,
    pub logical_cpus: usize,
    pub ram_total_bytes: u64,
    pub ram_available_bytes: u64,
    /// Read bandwidth with all physical cores, bytes per second.
    pub bandwidth: f64,
}

fn meminfo(key: &str) -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with(key)).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<u64>().ok())
            })
        })
        .map_or(0, |kib| kib * 1024)
}

/// Memory available for new allocations now (`MemAvailable`), bytes.
pub fn available_memory() -> u64 {
    meminfo("MemAvailable:")
}

fn cpu_name() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_owned())
}

fn features() -> Vec<(&'static str, bool)> {
    #[cfg(target_arch = "x86_64")]
    {
        vec![
            ("avx2", is_x86_feature_detected!("avx2")),
            ("fma", is_x86_feature_detected!("fma")),
            ("f16c", is_x86_feature_detected!("f16c")),
            ("avx512f", is_x86_feature_detected!("avx512f")),
            ("avx512bw", is_x86_feature_detected!("avx512bw")),
            ("avx512vl", is_x86_feature_detected!("avx512vl")),
            ("avx512vnni", is_x86_feature_detected!("avx512vnni")),
            ("avx512bf16", is_x86_feature_detected!("avx512bf16")),
        ]
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        Vec::new()
    }
}

/// Measures read bandwidth over a buffer larger than the caches with
/// `threads` threads; best of three passes.
pub fn measure_bandwidth(bytes: usize, threads: usize) -> f64 {
    let words = (bytes / 8).max(1 << 16);
    let data: Vec<u64> = (0..words as u64).collect();
    let per = words.div_ceil(threads.max(1));
    let mut best = 0f64;
    for _ in 0..3 {
        let t = Instant::now();
        let total: u64 = std::thread::scope(|s| {
            let handles: Vec<_> = data
                .chunks(per)
                .map(|c| s.spawn(move || c.iter().fold(0u64, |a, &b| a.wrapping_add(b))))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or(0))
                .fold(0u64, u64::wrapping_add)
        });
        std::hint::black_box(total);
        best = best.max((words * 8) as f64 / t.elapsed().as_secs_f64());
    }
    best
}

/// Runs the checks and prints the machine's facts to `out`.
pub fn doctor(out: &mut dyn Write) -> Result<DoctorReport> {
    let io = |e| Error::Io {
        path: "<output>".into(),
        source: e,
    };
    let physical = crate::session::physical_cores();
    let logical = std::thread::available_parallelism().map_or(1, |n| n.get());
    let available = meminfo("MemAvailable:");
    let bandwidth = measure_bandwidth(256 << 20, physical);
    let r = DoctorReport {
        cpu: cpu_name(),
        features: features(),
        isa: Isa::detect(),
        physical_cores: physical,
        logical_cpus: logical,
        ram_total_bytes: meminfo("MemTotal:"),
        ram_available_bytes: available,
        bandwidth,
    };
    let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
    writeln!(out, "CPU:        {}", r.cpu).map_err(io)?;
    let feats: Vec<String> = r
        .features
        .iter()
        .map(|(n, on)| format!("{n}{}", if *on { "+" } else { "-" }))
        .collect();
    writeln!(out, "Features:   {}", feats.join(" ")).map_err(io)?;
    writeln!(out, "Kernels:    {}", r.isa.name()).map_err(io)?;
    writeln!(
        out,
        "Cores:      {} physical, {} logical",
        r.physical_cores, r.logical_cpus
    )
    .map_err(io)?;
    writeln!(
        out,
        "Memory:     {:.1} GiB total, {:.1} GiB available",
        gib(r.ram_total_bytes),
        gib(r.ram_available_bytes)
    )
    .map_err(io)?;
    writeln!(
        out,
        "Bandwidth:  {:.1} GB/s (read, {} threads)",
        r.bandwidth / 1e9,
        physical
    )
    .map_err(io)?;
    if r.isa == Isa::Scalar {
        writeln!(
            out,
            "Note: no AVX2 found; the engine runs its scalar kernels, several times slower."
        )
        .map_err(io)?;
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doctor_reports_cores_memory_and_bandwidth() {
        let mut out = Vec::new();
        let r = doctor(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(r.physical_cores >= 1 && r.bandwidth > 0.0);
        assert!(
            text.contains("Bandwidth:") && text.contains("Memory:"),
            "{text}"
        );
    }
}
