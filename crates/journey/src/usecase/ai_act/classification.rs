//! The stored result of a walk that reached a conclusion: the audit trail
//! of answers and what they led to, with the tree's version.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::outcome::join_summary;
use super::tree::{DecisionTree, RiskClass, Role};
use super::walk::WalkState;
use crate::usecase::UseCaseError;

/// The stored result of a classification: the audit trail of answers and
/// what they led to, with the version of the tree that was used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Classification {
    pub tree_version: String,
    /// Question id → answer id, only the questions on the path.
    pub answers: BTreeMap<String, String>,
    pub conclusion: String,
    pub conclusion_label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    pub risk: RiskClass,
    pub labels: Vec<String>,
    /// Obligation ids in the order of the outcome.
    pub obligations: Vec<String>,
    /// Whether the outcome requires a fundamental-rights impact assessment.
    #[serde(default)]
    pub fria_required: bool,
    /// Ids of the notes the outcome carried.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Classification {
    /// True when the tree changed since this classification was made.
    pub fn needs_review(&self, tree: &DecisionTree) -> bool {
        self.tree_version != tree.version
    }

    /// The conclusion's summary with the notes recorded, as the tree words
    /// them now.
    pub fn summary(&self, tree: &DecisionTree) -> String {
        let summary = tree
            .conclusion(&self.conclusion)
            .map(|c| c.summary.as_str())
            .unwrap_or_default();
        join_summary(
            summary,
            self.notes
                .iter()
                .filter_map(|id| tree.notes.iter().find(|n| &n.id == id))
                .map(|n| n.text.as_str()),
        )
    }

    /// The answers as (question, answer) in the order the wizard asked
    /// them, worded as the tree words them now. Answers the current tree no
    /// longer reaches (it changed since) follow, by question id, with the
    /// ids where the tree has no text for them.
    pub fn answers_in_order(&self, tree: &DecisionTree) -> Vec<(String, String)> {
        let path = tree.walk(&self.answers).map(|w| w.path).unwrap_or_default();
        let mut listed: Vec<(String, String)> = path
            .iter()
            .map(|s| (s.question.text.clone(), s.answer.label.clone()))
            .collect();
        let on_path = |id: &str| path.iter().any(|s| s.question.id == id);
        for (question_id, answer_id) in &self.answers {
            if on_path(question_id) {
                continue;
            }
            let question = tree.question(question_id);
            let answer = question
                .and_then(|q| q.answers.iter().find(|a| &a.id == answer_id))
                .map_or_else(|| answer_id.clone(), |a| a.label.clone());
            let text = question.map_or_else(|| question_id.clone(), |q| q.text.clone());
            listed.push((text, answer));
        }
        listed
    }
}

impl DecisionTree {
    /// Walks the answers and, if they reach a conclusion, returns the record
    /// to store with the use case.
    pub fn classify(
        &self,
        answers: &BTreeMap<String, String>,
    ) -> Result<Classification, UseCaseError> {
        let walk = self.walk(answers)?;
        match &walk.state {
            WalkState::Ask(q) => Err(UseCaseError::ClassificationIncomplete {
                next_question: q.id.clone(),
            }),
            WalkState::Concluded(outcome) => Ok(Classification {
                tree_version: self.version.clone(),
                answers: walk
                    .path
                    .iter()
                    .map(|s| (s.question.id.clone(), s.answer.id.clone()))
                    .collect(),
                conclusion: outcome.conclusion.id.clone(),
                conclusion_label: outcome.conclusion.label.clone(),
                role: outcome.conclusion.role,
                risk: outcome.conclusion.risk,
                labels: walk.labels.clone(),
                obligations: outcome
                    .obligations
                    .iter()
                    .map(|o| o.obligation.id.clone())
                    .collect(),
                fria_required: outcome
                    .obligations
                    .iter()
                    .any(|o| Some(&o.obligation.id) == self.fria_obligation.as_ref()),
                notes: outcome.notes.iter().map(|n| n.id.clone()).collect(),
            }),
        }
    }
}
