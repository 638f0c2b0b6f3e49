//! Which catalogue models this machine can run, and about how fast: a pure
//! function of the catalogue and two measured facts (free memory, memory
//! read bandwidth), shared by `ki-reise doctor` and the portal.
//!
//! The estimate: decoding reads every weight once per token, so one stream
//! gets about [`EFFICIENCY`] × bandwidth ÷ file size tokens per second;
//! batched streams share those reads and give about [`BATCH_GAIN`] times the
//! throughput, and a user is served while they get [`READING_SPEED`] tokens
//! per second, as long as memory holds [`CONTEXT_PER_USER`] tokens of KV
//! cache (f16 keys and values) for each.

use super::{Catalogue, CatalogueModel, QuantFile, Shape};

/// Share of the measured read bandwidth the decode kernels reach.
pub const EFFICIENCY: f64 = 0.6;
/// Throughput of several batched streams over one (measured about 2.2× at
/// 8 streams, issue 27).
pub const BATCH_GAIN: f64 = 2.0;
/// Tokens per second that keep up with a reader.
pub const READING_SPEED: f64 = 5.0;
/// Context each user's conversation may fill (the `serve` default).
pub const CONTEXT_PER_USER: u64 = 4096;
/// Memory kept free for the system and ki-reise itself.
pub const RESERVE_BYTES: u64 = 1 << 30;

/// What the recommendation needs to know of the machine.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Machine {
    /// Memory available for a model now, bytes.
    pub available_bytes: u64,
    /// Measured read bandwidth, bytes per second.
    pub bandwidth: f64,
}

/// How well a model runs here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// Fits with KV cache for one user and keeps up with a reader.
    Suitable,
    /// Fits, but answers slower than reading speed.
    Slow,
    /// Weights plus one user's KV cache need more than the free memory.
    TooLarge,
}

/// One catalogue file on this machine.
#[derive(Debug, Clone, PartialEq)]
pub struct Recommendation<'a> {
    pub model: &'a CatalogueModel,
    pub file: &'a QuantFile,
    pub verdict: Verdict,
    /// One stream's decode speed, tokens per second.
    pub tokens_per_second: f64,
    /// Users served at reading speed at once (0 when it does not fit).
    pub users: u32,
}

impl Recommendation<'_> {
    /// „Qwen2.5-7B-Instruct Q4_K_M: etwa 6 Tokens/s, 2 gleichzeitige Nutzer“.
    pub fn summary(&self) -> String {
        let speed = format!(
            "{} {}: etwa {:.0} Tokens/s",
            self.model.name, self.file.quant, self.tokens_per_second
        );
        match self.verdict {
            Verdict::Suitable => format!(
                "{speed}, {} gleichzeitige{} Nutzer",
                self.users,
                if self.users == 1 { "r" } else { "" }
            ),
            Verdict::Slow => format!("{speed}, langsamer als Lesegeschwindigkeit"),
            Verdict::TooLarge => format!("{speed}, passt nicht in den freien Speicher"),
        }
    }
}

/// KV cache of one user's conversation: keys and values, f16, every layer.
pub fn kv_bytes_per_user(shape: Shape, context_length: u32) -> u64 {
    let context = CONTEXT_PER_USER.min(u64::from(context_length));
    2 * u64::from(shape.layers)
        * u64::from(shape.kv_heads)
        * u64::from(shape.head_dim)
        * 2
        * context
}

fn assess<'a>(model: &'a CatalogueModel, file: &'a QuantFile, m: Machine) -> Recommendation<'a> {
    let tokens_per_second = EFFICIENCY * m.bandwidth / file.size_bytes.max(1) as f64;
    let kv = kv_bytes_per_user(model.shape, model.context_length).max(1);
    let free = m
        .available_bytes
        .saturating_sub(RESERVE_BYTES)
        .saturating_sub(file.size_bytes);
    let by_memory = free / kv;
    let by_speed = (tokens_per_second * BATCH_GAIN / READING_SPEED).floor() as u64;
    let (verdict, users) = if by_memory == 0 {
        (Verdict::TooLarge, 0)
    } else if tokens_per_second < READING_SPEED {
        (Verdict::Slow, 1)
    } else {
        (Verdict::Suitable, by_memory.min(by_speed).max(1))
    };
    Recommendation {
        model,
        file,
        verdict,
        tokens_per_second,
        users: u32::try_from(users).unwrap_or(u32::MAX),
    }
}

/// Every file of the catalogue, best first: suitable ones before slow ones
/// before those too large, and within each the larger (better) file first.
pub fn recommend(catalogue: &Catalogue, machine: Machine) -> Vec<Recommendation<'_>> {
    let mut all: Vec<Recommendation<'_>> = catalogue
        .models
        .iter()
        .flat_map(|m| m.quants.iter().map(move |q| assess(m, q, machine)))
        .collect();
    all.sort_by(|a, b| {
        a.verdict.cmp(&b.verdict).then(match a.verdict {
            Verdict::TooLarge => a.file.size_bytes.cmp(&b.file.size_bytes),
            _ => b.file.size_bytes.cmp(&a.file.size_bytes),
        })
    });
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: u64 = 1 << 30;

    fn machine(gib: u64, gb_per_s: f64) -> Machine {
        Machine {
            available_bytes: gib * GIB,
            bandwidth: gb_per_s * 1e9,
        }
    }

    #[test]
    fn a_workstation_gets_the_7b_model_at_about_six_tokens_per_second_for_two_users() {
        let c = Catalogue::shipped().unwrap();
        // 16 GiB free and 47 GB/s: Qwen3-8B Q8_0 (8.7 GB) is too slow.
        let r = recommend(&c, machine(16, 47.0));
        let seven = r
            .iter()
            .find(|r| r.model.id == "qwen2.5-7b-instruct" && r.file.quant == "Q4_K_M")
            .unwrap();
        assert_eq!(seven.verdict, Verdict::Suitable);
        assert_eq!(
            seven.summary(),
            "Qwen2.5-7B-Instruct Q4_K_M: etwa 6 Tokens/s, 2 gleichzeitige Nutzer"
        );
        let best = &r[0];
        assert_eq!(best.verdict, Verdict::Suitable);
        assert!(best.file.size_bytes >= seven.file.size_bytes);
        assert_eq!(r.last().unwrap().verdict, Verdict::Slow);
    }

    #[test]
    fn a_small_machine_gets_small_models_and_too_large_ones_last() {
        let c = Catalogue::shipped().unwrap();
        let r = recommend(&c, machine(3, 20.0));
        let too_large: Vec<_> = r
            .iter()
            .filter(|r| r.verdict == Verdict::TooLarge)
            .collect();
        assert!(too_large
            .iter()
            .any(|r| r.model.id == "qwen2.5-7b-instruct"));
        assert!(too_large.iter().all(|r| r.users == 0));
        assert!(r[0].file.size_bytes < 2 * GIB && r[0].verdict == Verdict::Suitable);
        let first_too_large = r
            .iter()
            .position(|r| r.verdict == Verdict::TooLarge)
            .unwrap();
        assert!(r[first_too_large..]
            .iter()
            .all(|r| r.verdict == Verdict::TooLarge));
    }

    #[test]
    fn memory_for_the_kv_cache_limits_users() {
        let c = Catalogue::shipped().unwrap();
        let (m, q) = c.find("qwen3-8b", "Q4_K_M").unwrap();
        // 36 layers × 8 heads × 128 × 2 (K, V) × 2 bytes × 4096 tokens.
        assert_eq!(kv_bytes_per_user(m.shape, m.context_length), 603_979_776);
        // Room for exactly two users beside the weights and the reserve,
        // with bandwidth for many more.
        let available = q.size_bytes + RESERVE_BYTES + 2 * 603_979_776 + 1;
        let r = assess(
            m,
            q,
            Machine {
                available_bytes: available,
                bandwidth: 1e12,
            },
        );
        assert_eq!((r.verdict, r.users), (Verdict::Suitable, 2));
        let none = assess(
            m,
            q,
            Machine {
                available_bytes: q.size_bytes,
                bandwidth: 1e12,
            },
        );
        assert_eq!((none.verdict, none.users), (Verdict::TooLarge, 0));
    }

    #[test]
    fn the_estimate_is_bandwidth_over_file_size() {
        let c = Catalogue::shipped().unwrap();
        let (m, q) = c.find("smollm2-135m-instruct", "Q4_1").unwrap();
        let r = assess(m, q, machine(8, 10.0));
        let expected = 0.6 * 10e9 / 98_362_432.0;
        assert!((r.tokens_per_second - expected).abs() < 1e-9);
        let slow = assess(m, q, machine(8, 0.5));
        assert_eq!(slow.verdict, Verdict::Slow);
        assert!(slow
            .summary()
            .ends_with("langsamer als Lesegeschwindigkeit"));
    }
}
