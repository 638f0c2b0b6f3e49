//! The load generator: builds the requests of a workload and sends them at
//! one concurrency level, either as a closed loop (N users, each sending the
//! next request when the last answer is complete) or as Poisson arrivals at a
//! fixed rate with at most N requests in flight. Bounded by request count and
//! time, and stoppable through a flag, so it always ends by itself.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::client::{ChatRequest, Endpoint, Outcome};
use crate::spec::{Distribution, Synthetic};
use crate::tasks::{ChatMessage, TaskSet};

/// Where the requests of a workload come from.
#[derive(Debug, Clone)]
pub enum RequestSource {
    /// Items of a task set, in order, repeated when more requests are asked for.
    Tasks {
        set: Arc<TaskSet>,
        max_tokens: u32,
        temperature: f64,
    },
    /// Prompts of drawn lengths; the i-th draw depends only on seed and i,
    /// so runs are repeatable and targets see identical requests. Without
    /// a [`PromptScale`] one filler word stands for one token.
    Synthetic(Synthetic),
    /// As `Synthetic`, with the words per token measured on the target, so
    /// that a drawn input length is the prompt's length in the target's
    /// tokens (SmolLM2 needs ~1.6 tokens per filler word).
    Calibrated(Synthetic, PromptScale),
}

/// How a target tokenizes the synthetic prompt: the tokens of the fixed
/// instruction at its start and the tokens per filler word, both without
/// the chat template. Measured by [`PromptScale::probes`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PromptScale {
    pub instruction_tokens: f64,
    pub tokens_per_word: f64,
}

/// Filler words in the longer calibration probes.
pub const PROBE_WORDS: u32 = 240;

impl PromptScale {
    /// The three calibration prompts: one filler word, the filler alone,
    /// the instruction with the filler. Sent with one output token each.
    pub fn probes() -> [String; 3] {
        [
            filler(1, 0),
            filler(PROBE_WORDS, 0),
            synthetic_prompt(PROBE_WORDS, 0),
        ]
    }

    /// The scale from the prompt tokens the server counted for
    /// [`PromptScale::probes`]; `None` when the counts cannot be right.
    pub fn from_counts(one_word: u64, filler: u64, prompt: u64) -> Option<Self> {
        let per_word = filler.checked_sub(one_word)? as f64 / f64::from(PROBE_WORDS - 1);
        let instruction = prompt.checked_sub(filler)? as f64;
        (per_word > 0.0).then_some(Self {
            instruction_tokens: instruction,
            tokens_per_word: per_word,
        })
    }

    /// Filler words that make a prompt of about `tokens` tokens.
    pub fn words_for(&self, tokens: u32) -> u32 {
        ((f64::from(tokens) - self.instruction_tokens) / self.tokens_per_word)
            .round()
            .max(1.0) as u32
    }
}

/// Common short German words, as filler of synthetic prompts.
const FILLER: [&str; 24] = [
    "die", "Stadt", "und", "das", "Amt", "hat", "eine", "neue", "Regel", "für", "den", "Markt",
    "im", "Jahr", "wir", "bitten", "um", "Rat", "zur", "Frist", "bei", "dem", "Bau", "mit",
];

impl RequestSource {
    /// How many requests make one pass over the workload, if it has items.
    pub fn natural_count(&self) -> Option<u64> {
        match self {
            RequestSource::Tasks { set, .. } => Some(set.items.len() as u64),
            RequestSource::Synthetic(_) | RequestSource::Calibrated(..) => None,
        }
    }

    /// The i-th request and, for task sets, the index of its item.
    pub fn request(&self, i: u64) -> (ChatRequest, Option<usize>) {
        match self {
            RequestSource::Tasks {
                set,
                max_tokens,
                temperature,
            } => {
                let idx = (i % set.items.len().max(1) as u64) as usize;
                let messages = set
                    .items
                    .get(idx)
                    .map(|it| set.messages(it))
                    .unwrap_or_default();
                (
                    ChatRequest {
                        messages,
                        max_tokens: *max_tokens,
                        temperature: *temperature,
                        ignore_eos: false,
                    },
                    Some(idx),
                )
            }
            RequestSource::Synthetic(s) | RequestSource::Calibrated(s, _) => {
                let mut rng = StdRng::seed_from_u64(s.seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
                let input = draw(&s.input_tokens, &mut rng);
                let input = match self {
                    RequestSource::Calibrated(_, scale) => scale.words_for(input),
                    _ => input,
                };
                let output = draw(&s.output_tokens, &mut rng);
                (
                    ChatRequest {
                        messages: vec![ChatMessage {
                            role: "user".into(),
                            content: synthetic_prompt(input, i),
                        }],
                        max_tokens: output,
                        temperature: 0.0,
                        ignore_eos: s.ignore_eos,
                    },
                    None,
                )
            }
        }
    }
}

/// Draws a length (≥ 1) from a distribution.
pub fn draw(d: &Distribution, rng: &mut StdRng) -> u32 {
    match *d {
        Distribution::Fixed(n) => n.max(1),
        Distribution::Uniform { min, max } => rng.gen_range(min.min(max)..=max.max(min)).max(1),
        Distribution::Normal {
            mean,
            std_dev,
            min,
            max,
        } => {
            // Box–Muller; u1 in (0, 1] keeps ln finite.
            let u1: f64 = 1.0 - rng.gen::<f64>();
            let u2: f64 = rng.gen();
            let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            let x = (mean + std_dev * z).round();
            let lo = f64::from(min.unwrap_or(1).max(1));
            let hi = f64::from(max.unwrap_or(u32::MAX));
            x.clamp(lo, hi.max(lo)) as u32
        }
    }
}

/// A prompt of about `words` words. The start rotates with the request
/// index so that servers with prefix caching cannot answer from cache.
fn synthetic_prompt(words: u32, i: u64) -> String {
    format!(
        "Schreibe einen langen Text über diese Wörter: {}",
        filler(words, i)
    )
}

fn filler(words: u32, i: u64) -> String {
    let mut s = String::new();
    for k in 0..words as u64 {
        if k > 0 {
            s.push(' ');
        }
        s.push_str(FILLER[((k + i * 7) % FILLER.len() as u64) as usize]);
    }
    s
}

/// How one concurrency level runs.
#[derive(Debug, Clone)]
pub struct LevelPlan {
    pub concurrency: u32,
    /// Measured requests; `None` = until the duration ends.
    pub requests: Option<u64>,
    pub duration: Option<Duration>,
    pub rate_per_s: Option<f64>,
    pub warmup: u64,
    pub seed: u64,
}

/// One measured request.
#[derive(Debug, Clone)]
pub struct Sample {
    pub index: u64,
    pub item: Option<usize>,
    /// Start, relative to the start of the level.
    pub started: Duration,
    /// Poisson mode: how late the request left against its schedule.
    pub schedule_lag: Option<Duration>,
    pub outcome: Outcome,
}

#[derive(Debug, Clone)]
pub struct LevelRun {
    pub samples: Vec<Sample>,
    pub wall: Duration,
}

/// Called after each measured request with whether it succeeded.
pub type OnDone = Arc<dyn Fn(bool) + Send + Sync>;

/// Index offset for warm-up requests, so they do not prime a prefix cache
/// with the measured prompts.
const WARMUP_OFFSET: u64 = 1 << 40;

/// Runs one level: warm-up first (not measured), then the measured requests.
pub async fn run_level(
    endpoint: &Endpoint,
    source: &Arc<RequestSource>,
    plan: &LevelPlan,
    on_done: OnDone,
    cancel: &Arc<AtomicBool>,
) -> LevelRun {
    if plan.warmup > 0 {
        let warm = LevelPlan {
            requests: Some(plan.warmup),
            rate_per_s: None,
            ..plan.clone()
        };
        let quiet: OnDone = Arc::new(|_| {});
        closed_loop(endpoint, source, &warm, WARMUP_OFFSET, quiet, cancel).await;
    }
    let start = Instant::now();
    let mut samples = match plan.rate_per_s {
        Some(rate) => poisson(endpoint, source, plan, rate, on_done, cancel).await,
        None => closed_loop(endpoint, source, plan, 0, on_done, cancel).await,
    };
    samples.sort_by_key(|s| s.index);
    LevelRun {
        samples,
        wall: start.elapsed(),
    }
}

async fn closed_loop(
    endpoint: &Endpoint,
    source: &Arc<RequestSource>,
    plan: &LevelPlan,
    offset: u64,
    on_done: OnDone,
    cancel: &Arc<AtomicBool>,
) -> Vec<Sample> {
    let total = plan.requests.unwrap_or(u64::MAX);
    let next = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = plan.duration.map(|d| start + d);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..plan.concurrency.max(1) {
        let (endpoint, source, next, cancel, on_done) = (
            endpoint.clone(),
            source.clone(),
            next.clone(),
            cancel.clone(),
            on_done.clone(),
        );
        workers.spawn(async move {
            let mut mine = Vec::new();
            loop {
                if cancel.load(Ordering::Relaxed) || deadline.is_some_and(|d| Instant::now() >= d) {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let (req, item) = source.request(offset + i);
                let started = start.elapsed();
                let outcome = endpoint.send(&req).await;
                on_done(outcome.error.is_none());
                mine.push(Sample {
                    index: i,
                    item,
                    started,
                    schedule_lag: None,
                    outcome,
                });
            }
            mine
        });
    }
    let mut all = Vec::new();
    while let Some(done) = workers.join_next().await {
        // A worker cannot panic on bad input; a join error means the runtime
        // is shutting down, and what the others measured still counts.
        if let Ok(mut v) = done {
            all.append(&mut v);
        }
    }
    all
}

async fn poisson(
    endpoint: &Endpoint,
    source: &Arc<RequestSource>,
    plan: &LevelPlan,
    rate: f64,
    on_done: OnDone,
    cancel: &Arc<AtomicBool>,
) -> Vec<Sample> {
    let total = plan.requests.unwrap_or(u64::MAX);
    let slots = Arc::new(Semaphore::new(plan.concurrency.max(1) as usize));
    let mut rng = StdRng::seed_from_u64(plan.seed);
    let start = Instant::now();
    let deadline = plan.duration.map(|d| start + d);
    let mut at = 0.0f64;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..total {
        if cancel.load(Ordering::Relaxed) {
            break;
        }
        let u: f64 = 1.0 - rng.gen::<f64>();
        at += -u.ln() / rate;
        let scheduled = start + Duration::from_secs_f64(at);
        if deadline.is_some_and(|d| scheduled >= d) {
            break;
        }
        tokio::time::sleep_until(scheduled).await;
        let Ok(permit) = slots.clone().acquire_owned().await else {
            break;
        };
        let lag = Instant::now().saturating_duration_since(scheduled);
        let (endpoint, source, on_done) = (endpoint.clone(), source.clone(), on_done.clone());
        tasks.spawn(async move {
            let (req, item) = source.request(i);
            let started = start.elapsed();
            let outcome = endpoint.send(&req).await;
            drop(permit);
            on_done(outcome.error.is_none());
            Sample {
                index: i,
                item,
                started,
                schedule_lag: Some(lag),
                outcome,
            }
        });
    }
    let mut all = Vec::new();
    while let Some(done) = tasks.join_next().await {
        if let Ok(s) = done {
            all.push(s);
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prompt_scale_turns_token_lengths_into_filler_words() {
        // 30 template tokens, 2 tokens per word, an instruction of 10.
        let one = 30 + 2;
        let filler = 30 + 2 * u64::from(PROBE_WORDS);
        let scale = PromptScale::from_counts(one, filler, filler + 10).unwrap();
        assert!((scale.tokens_per_word - 2.0).abs() < 1e-9);
        assert!((scale.instruction_tokens - 10.0).abs() < 1e-9);
        assert_eq!(scale.words_for(110), 50);
        assert_eq!(scale.words_for(3), 1, "never an empty prompt");
        // Counts that cannot come from these prompts give no scale.
        assert_eq!(PromptScale::from_counts(40, 40, 50), None);
        assert_eq!(PromptScale::from_counts(50, 40, 60), None);
        assert_eq!(PromptScale::from_counts(30, 300, 290), None);
        let [a, b, c] = PromptScale::probes();
        assert_eq!(a.split(' ').count(), 1);
        assert_eq!(b.split(' ').count(), PROBE_WORDS as usize);
        assert!(c.ends_with(&b) && c.len() > b.len());
    }

    #[test]
    fn draws_are_repeatable_and_within_bounds() {
        let s = Synthetic {
            input_tokens: Distribution::Normal {
                mean: 100.0,
                std_dev: 30.0,
                min: Some(50),
                max: Some(150),
            },
            output_tokens: Distribution::Uniform { min: 10, max: 20 },
            seed: 3,
            ignore_eos: false,
        };
        let src = RequestSource::Synthetic(s);
        for i in 0..200 {
            let (a, _) = src.request(i);
            let (b, _) = src.request(i);
            assert_eq!(a.messages, b.messages);
            assert_eq!(a.max_tokens, b.max_tokens);
            assert!((10..=20).contains(&a.max_tokens));
            let words = a.messages[0].content.split(' ').count() - 7;
            assert!((50..=150).contains(&words), "{words}");
        }
    }

    #[test]
    fn normal_draws_have_about_the_requested_mean() {
        let d = Distribution::Normal {
            mean: 300.0,
            std_dev: 50.0,
            min: None,
            max: None,
        };
        let mut rng = StdRng::seed_from_u64(1);
        let n = 20_000;
        let mean: f64 = (0..n).map(|_| f64::from(draw(&d, &mut rng))).sum::<f64>() / n as f64;
        assert!((mean - 300.0).abs() < 2.0, "{mean}");
        assert_eq!(draw(&Distribution::Fixed(0), &mut rng), 1);
    }
}
