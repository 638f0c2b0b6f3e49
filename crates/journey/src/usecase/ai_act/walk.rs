//! Following the answers through the tree, one wizard step at a time.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::outcome::Outcome;
use super::tree::{Answer, DecisionTree, Node, Question};
use crate::usecase::{TreeProblem, UseCaseError};

/// One answered question on the path.
#[derive(Debug, Clone, Copy)]
pub struct Step<'t> {
    pub question: &'t Question,
    pub answer: &'t Answer,
}

#[derive(Debug, Clone)]
pub enum WalkState<'t> {
    /// The next question to answer.
    Ask(&'t Question),
    Concluded(Outcome<'t>),
}

#[derive(Debug, Clone)]
pub struct Walk<'t> {
    pub path: Vec<Step<'t>>,
    /// Labels gathered along the path, in order, without repeats.
    pub labels: Vec<String>,
    pub state: WalkState<'t>,
    /// Questions answered that are not on the path (e.g. after an earlier
    /// answer changed); they are dropped from a classification.
    pub unused_answers: Vec<String>,
}

impl Walk<'_> {
    pub fn outcome(&self) -> Option<&Outcome<'_>> {
        match &self.state {
            WalkState::Concluded(o) => Some(o),
            WalkState::Ask(_) => None,
        }
    }

    pub fn has_label(&self, label: &str) -> bool {
        self.labels.iter().any(|l| l == label)
    }
}

impl DecisionTree {
    /// Follows the tree from the start with the given answers (question id →
    /// answer id) until a question has no answer or a conclusion is reached.
    /// A tree loaded with `from_yaml` is sound; on one built by hand, a
    /// broken reference is an `InvalidTree` error naming the tree by title.
    pub fn walk(&self, answers: &BTreeMap<String, String>) -> Result<Walk<'_>, UseCaseError> {
        let broken = |node: &str, message: String| UseCaseError::InvalidTree {
            file: self.title.clone(),
            problems: vec![TreeProblem {
                node: node.to_owned(),
                message,
            }],
        };
        let mut path = Vec::new();
        let mut labels: Vec<String> = Vec::new();
        let mut current = self.start.as_str();
        // A checked tree has no cycles; the bound keeps a hand-built one from
        // looping forever.
        let limit = self.questions.len() + self.routers.len() + self.conclusions.len() + 1;
        for _ in 0..limit {
            let node = self
                .node(current)
                .ok_or_else(|| broken(current, "ist nicht definiert".to_owned()))?;
            match node {
                Node::Question(q) => {
                    let Some(answer_id) = answers.get(&q.id) else {
                        return Ok(self.finish(path, labels, WalkState::Ask(q), answers));
                    };
                    let answer =
                        q.answers
                            .iter()
                            .find(|a| &a.id == answer_id)
                            .ok_or_else(|| UseCaseError::UnknownAnswer {
                                question: q.id.clone(),
                                answer: answer_id.clone(),
                            })?;
                    for l in &answer.labels {
                        if !labels.contains(l) {
                            labels.push(l.clone());
                        }
                    }
                    path.push(Step {
                        question: q,
                        answer,
                    });
                    current = &answer.next;
                }
                Node::Router(r) => {
                    let set: BTreeSet<&str> = labels.iter().map(String::as_str).collect();
                    current = r
                        .routes
                        .iter()
                        .find(|route| route.when.holds(&set))
                        .map_or(r.otherwise.as_str(), |route| route.next.as_str());
                }
                Node::Conclusion(c) => {
                    let outcome = self
                        .outcome(c, path.iter().map(|s| s.answer), &labels)
                        .map_err(|m| broken(&c.id, m))?;
                    return Ok(self.finish(path, labels, WalkState::Concluded(outcome), answers));
                }
            }
        }
        Err(broken(
            &self.start,
            "der Weg endet nicht (Zyklus)".to_owned(),
        ))
    }

    fn finish<'t>(
        &'t self,
        path: Vec<Step<'t>>,
        labels: Vec<String>,
        state: WalkState<'t>,
        answers: &BTreeMap<String, String>,
    ) -> Walk<'t> {
        let on_path: BTreeSet<&str> = path.iter().map(|s| s.question.id.as_str()).collect();
        let unused_answers = answers
            .keys()
            .filter(|k| !on_path.contains(k.as_str()))
            .cloned()
            .collect();
        Walk {
            path,
            labels,
            state,
            unused_answers,
        }
    }

    /// At most how many questions remain from node `id` until a conclusion,
    /// counting the question at `id` itself; 0 at a conclusion. For the
    /// wizard's progress display ("noch höchstens 7 Fragen"). `None` for an
    /// unknown id. On a tree with a cycle the count is cut at the cycle.
    pub fn questions_remaining_at_most(&self, id: &str) -> Option<usize> {
        fn longest<'t>(
            tree: &'t DecisionTree,
            id: &'t str,
            memo: &mut HashMap<&'t str, usize>,
            on_path: &mut BTreeSet<&'t str>,
        ) -> usize {
            if let Some(n) = memo.get(id) {
                return *n;
            }
            let Some(node) = tree.node(id) else { return 0 };
            if !on_path.insert(id) {
                return 0;
            }
            let below = node
                .successors()
                .into_iter()
                .map(|next| longest(tree, next, memo, on_path))
                .max()
                .unwrap_or(0);
            on_path.remove(id);
            let n = below + usize::from(matches!(node, Node::Question(_)));
            memo.insert(id, n);
            n
        }
        self.node(id)?;
        Some(longest(self, id, &mut HashMap::new(), &mut BTreeSet::new()))
    }
}
