//! Quality scorers: pure functions from a model answer (and a reference) to a
//! number. None of them calls a model or touches the network, so each one is
//! unit-tested against values worked out by hand.

pub mod answer;
pub mod echo;
pub mod overlap;
pub mod structured;
pub mod text;

pub use answer::{facts_coverage, is_refusal};
pub use echo::is_echo;
pub use journey::readability::{readability, syllables, Readability};
pub use overlap::{chrf, rouge_l};
pub use structured::{accuracy, extract_json_object, field_f1, FieldScore};
