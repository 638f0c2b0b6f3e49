//! The decision tree as data: its nodes, obligations and dates, the
//! conditions over gathered labels, and loading a tree from YAML (which
//! rejects an unsound one, see `check.rs`).

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::usecase::{parse_yaml, UseCaseError};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionTree {
    /// Changes whenever the content changes; classifications made with an
    /// earlier version are flagged for review.
    pub version: String,
    pub title: String,
    #[serde(default)]
    pub source: String,
    pub start: String,
    /// The id of the Art. 4 obligation that every AI-system conclusion lists.
    pub literacy_obligation: String,
    /// The id of the obligation that requires a fundamental-rights impact
    /// assessment (Art. 27); a classification listing it records so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fria_obligation: Option<String>,
    pub dates: Vec<ApplicationDate>,
    pub obligations: Vec<Obligation>,
    pub questions: Vec<Question>,
    #[serde(default)]
    pub routers: Vec<Router>,
    pub conclusions: Vec<Conclusion>,
    /// Sentences added to a conclusion's summary when their condition holds
    /// over the labels of the walk (e.g. why an exception is unavailable).
    #[serde(default)]
    pub notes: Vec<Note>,
}

/// A sentence for the outcome, shown when `when` holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Note {
    pub id: String,
    pub when: Condition,
    pub text: String,
}

/// A date from which obligations apply. Dates are data because they move
/// (the Digital Omnibus postpones the Annex III duties).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationDate {
    pub id: String,
    pub label: String,
    /// ISO date, `YYYY-MM-DD`.
    pub date: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Obligation {
    pub id: String,
    pub title: String,
    /// Article references, e.g. `Art. 26 KI-VO`.
    pub articles: Vec<String>,
    pub description: String,
    /// The id of an `ApplicationDate`.
    pub applies_from: String,
    /// Whose duty it is; the outcome lists provider duties before those
    /// from the municipality's own use, so that the two are read apart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duty_of: Option<Role>,
    /// Listed only when this holds over the labels of the walk (e.g. not
    /// for critical infrastructure, only with own use).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<Condition>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub id: String,
    pub text: String,
    #[serde(default)]
    pub help: String,
    #[serde(default)]
    pub articles: Vec<String>,
    pub answers: Vec<Answer>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    pub id: String,
    pub label: String,
    /// The id of the next question, router or conclusion.
    pub next: String,
    #[serde(default)]
    pub labels: Vec<String>,
    #[serde(default)]
    pub obligations: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Router {
    pub id: String,
    /// Tried in order; the first whose condition holds decides.
    pub routes: Vec<Route>,
    pub otherwise: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    pub when: Condition,
    pub next: String,
}

/// Holds when all `all` labels, at least one `any` label (if given) and none
/// of the `none` labels were gathered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    #[serde(default)]
    pub all: Vec<String>,
    #[serde(default)]
    pub any: Vec<String>,
    #[serde(default)]
    pub none: Vec<String>,
}

impl Condition {
    pub fn holds(&self, labels: &BTreeSet<&str>) -> bool {
        self.all.iter().all(|l| labels.contains(l.as_str()))
            && (self.any.is_empty() || self.any.iter().any(|l| labels.contains(l.as_str())))
            && !self.none.iter().any(|l| labels.contains(l.as_str()))
    }

    pub(super) fn labels(&self) -> impl Iterator<Item = &String> {
        self.all.iter().chain(&self.any).chain(&self.none)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Anbieter (Art. 3 Nr. 3): develops the system or has it developed and
    /// puts it into service under its own name.
    Provider,
    /// Betreiber (Art. 3 Nr. 4): uses a system under its own authority.
    Deployer,
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::Provider => "Anbieter",
            Role::Deployer => "Betreiber",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskClass {
    NotAiSystem,
    Minimal,
    Transparency,
    HighRisk,
    Prohibited,
}

impl RiskClass {
    pub fn label(self) -> &'static str {
        match self {
            RiskClass::NotAiSystem => "kein KI-System",
            RiskClass::Minimal => "minimales Risiko",
            RiskClass::Transparency => "Transparenzpflichten",
            RiskClass::HighRisk => "hohes Risiko",
            RiskClass::Prohibited => "verboten",
        }
    }
}

impl fmt::Display for RiskClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conclusion {
    pub id: String,
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    pub risk: RiskClass,
    #[serde(default)]
    pub summary: String,
    pub obligations: Vec<String>,
}

/// A node of the tree, looked up by id.
#[derive(Debug, Clone, Copy)]
pub enum Node<'t> {
    Question(&'t Question),
    Router(&'t Router),
    Conclusion(&'t Conclusion),
}

impl<'t> Node<'t> {
    pub(super) fn successors(self) -> Vec<&'t str> {
        match self {
            Node::Question(q) => q.answers.iter().map(|a| a.next.as_str()).collect(),
            Node::Router(r) => r
                .routes
                .iter()
                .map(|r| r.next.as_str())
                .chain(std::iter::once(r.otherwise.as_str()))
                .collect(),
            Node::Conclusion(_) => Vec::new(),
        }
    }
}

impl DecisionTree {
    /// Parses and checks a tree; `file` names it in errors.
    pub fn from_yaml(file: &str, text: &str) -> Result<DecisionTree, UseCaseError> {
        let tree: DecisionTree = parse_yaml(file, text)?;
        let problems = tree.problems();
        if problems.is_empty() {
            Ok(tree)
        } else {
            Err(UseCaseError::InvalidTree {
                file: file.to_owned(),
                problems,
            })
        }
    }

    /// The tree that ships with ki-reise.
    pub fn shipped() -> Result<DecisionTree, UseCaseError> {
        let file = crate::usecase::DECISION_TREE;
        DecisionTree::from_yaml(file.path, file.default_text)
    }

    pub fn node(&self, id: &str) -> Option<Node<'_>> {
        if let Some(q) = self.questions.iter().find(|q| q.id == id) {
            return Some(Node::Question(q));
        }
        if let Some(r) = self.routers.iter().find(|r| r.id == id) {
            return Some(Node::Router(r));
        }
        self.conclusions
            .iter()
            .find(|c| c.id == id)
            .map(Node::Conclusion)
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }

    pub fn conclusion(&self, id: &str) -> Option<&Conclusion> {
        self.conclusions.iter().find(|c| c.id == id)
    }

    pub fn obligation(&self, id: &str) -> Option<&Obligation> {
        self.obligations.iter().find(|o| o.id == id)
    }

    pub fn date(&self, id: &str) -> Option<&ApplicationDate> {
        self.dates.iter().find(|d| d.id == id)
    }
}
