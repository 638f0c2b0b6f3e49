//! The Vergleichstest (comparison benchmark) of ki-reise: measures any number
//! of OpenAI-compatible endpoints under the same load, scores their answers
//! on German administrative tasks, prices them, and writes a report that a
//! mayor's office can read (HTML with SVG charts, JSON, CSV, Markdown).
//!
//! It is for comparing *deployments* (a workstation against a rented private
//! cloud, one model against another) as a council decision needs them:
//! users served, euros per user, answer quality. It is not a model
//! leaderboard, not an inference engine and not a monitoring tool; it talks
//! to endpoints only through `/v1/chat/completions` with streaming.
//!
//! Entry points: [`run_spec_file`] for the CLI (`ki-reise bench run`),
//! [`RunPlan::from_portal`] + [`run_spec`] + [`write_report`] for the portal
//! (see [`RunPlan`] for what each may reach), and
//! [`Progress`] for progress bars.

#![forbid(unsafe_code)]

pub mod client;
pub mod cost;
mod error;
pub mod host;
pub mod load;
pub mod metrics;
pub mod percentile;
mod plan;
pub mod progress;
pub mod report;
pub mod resources;
mod run;
mod schema_check;
pub mod score;
pub mod spec;
pub mod sse;
pub mod tasks;
pub mod uncertainty;

pub use error::BenchError;
pub use plan::{PortalSources, RunPlan, StoredTargetKey};
pub use progress::{NoProgress, Progress, ProgressEvent};
pub use report::{render_html, Report, REPORT_SCHEMA};
pub use run::{
    compare_report_files, run_spec, run_spec_file, run_spec_file_cancellable, write_report,
    ReportSummary,
};
pub use spec::{
    parse_spec, parse_spec_with_tasks, Spec, EXAMPLE_SPEC, PORTAL_EXAMPLE_SPEC, SPEC_SCHEMA,
};
