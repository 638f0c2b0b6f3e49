//! EU AI Act classification with a decision tree kept as data
//! (`content/de/ai-act/entscheidungsbaum.yaml`), modelled on the open AI Act
//! decision aid of the Dutch government.
//!
//! The tree has three kinds of node in one id space: *questions* whose answers
//! lead to the next node and may attach labels (facts such as `anbieter`,
//! `hochrisiko`, `art-50-1`) and obligations; *routers* that pick the next node
//! from the labels gathered so far (so the transparency questions need not be
//! repeated for every role and risk); and *conclusions* with role, risk class
//! and obligations. The outcome of a walk lists the conclusion's obligations
//! followed by those the answers attached, each with its date of application.
//!
//! A tree is checked when it is loaded: dangling next ids, unknown
//! obligations and labels, unreachable nodes, cycles, conclusions without
//! obligations and AI-system conclusions without the Art. 4 literacy duty
//! reject it with the file and node named.
//!
//! Files: `tree` holds the data model and looks nodes up, `check` finds what
//! is wrong with a loaded tree, `walk` follows the answers through it,
//! `outcome` turns a conclusion into dated obligations and notes, and
//! `classification` is the record stored with the use case.

mod check;
mod classification;
mod outcome;
mod tree;
mod walk;

pub use classification::Classification;
pub use outcome::{DatedObligation, Outcome};
pub use tree::{
    Answer, ApplicationDate, Conclusion, Condition, DecisionTree, Node, Note, Obligation, Question,
    RiskClass, Role, Route, Router,
};
pub use walk::{Step, Walk, WalkState};

#[cfg(test)]
mod tests;
