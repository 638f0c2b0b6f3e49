//! Progress reporting, so that the CLI can drive a progress bar and the
//! portal can stream the state of a run to the browser.
//!
//! For an indicatif bar: `Started { total_requests }` sets the length (a
//! spinner when it is `None`), `RequestDone` increments, `LevelStarted`
//! sets the message, `TargetFailed` prints a line above the bar and
//! `Finished` ends it. Any `Fn(ProgressEvent)` closure is a [`Progress`]:
//!
//! ```
//! use std::sync::Arc;
//! use bench::{Progress, ProgressEvent};
//!
//! let progress: Arc<dyn Progress> = Arc::new(|e: ProgressEvent| {
//!     if let ProgressEvent::TargetFailed { target, reason } = e {
//!         eprintln!("{target}: {reason}");
//!     }
//! });
//! progress.event(ProgressEvent::RequestDone { ok: true });
//! ```

use serde::Serialize;

/// What happened during a run. Owned and serialisable, so a portal can pass
/// it through a channel or send it as JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ProgressEvent {
    /// The run starts; `total_requests` is `None` when a load profile is
    /// bounded by time only.
    Started {
        total_requests: Option<u64>,
    },
    /// A target was not reachable or failed; the run goes on without it.
    TargetFailed {
        target: String,
        reason: String,
    },
    LevelStarted {
        target: String,
        workload: String,
        concurrency: u32,
        requests: Option<u64>,
    },
    RequestDone {
        ok: bool,
    },
    LevelFinished {
        target: String,
        workload: String,
        concurrency: u32,
        requests_per_s: f64,
        ttft_p95_ms: Option<f64>,
        slo_met: bool,
    },
    /// Report files are written; `partial` when the run was cancelled.
    Finished {
        partial: bool,
    },
}

/// Receives progress events. Called from the load generator's tasks, so it
/// must be cheap and must not block.
pub trait Progress: Send + Sync {
    fn event(&self, event: ProgressEvent);
}

/// Ignores all events.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn event(&self, _: ProgressEvent) {}
}

impl<F: Fn(ProgressEvent) + Send + Sync> Progress for F {
    fn event(&self, event: ProgressEvent) {
        self(event)
    }
}
