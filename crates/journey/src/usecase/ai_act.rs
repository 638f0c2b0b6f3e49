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

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use serde::{Deserialize, Serialize};

use super::{is_iso_date, parse_yaml, TreeProblem, UseCaseError};

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

    fn labels(&self) -> impl Iterator<Item = &String> {
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
    fn successors(self) -> Vec<&'t str> {
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

/// One answered question on the path.
#[derive(Debug, Clone, Copy)]
pub struct Step<'t> {
    pub question: &'t Question,
    pub answer: &'t Answer,
}

/// An obligation with the date from which it applies.
#[derive(Debug, Clone, Copy)]
pub struct DatedObligation<'t> {
    pub obligation: &'t Obligation,
    pub applies_from: &'t ApplicationDate,
}

#[derive(Debug, Clone)]
pub struct Outcome<'t> {
    pub conclusion: &'t Conclusion,
    /// The obligations of everyone first, then the provider's, then the
    /// deployer's; within each, the conclusion's before those the answers
    /// attached; without repeats and without those whose `when` fails.
    pub obligations: Vec<DatedObligation<'t>>,
    /// Notes whose condition holds, in the order of the tree.
    pub notes: Vec<&'t Note>,
}

impl Outcome<'_> {
    /// The conclusion's summary followed by its notes.
    pub fn summary(&self) -> String {
        join_summary(
            &self.conclusion.summary,
            self.notes.iter().map(|n| n.text.as_str()),
        )
    }
}

fn join_summary<'a>(summary: &str, notes: impl Iterator<Item = &'a str>) -> String {
    let mut s = summary.trim().to_owned();
    for n in notes {
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(n.trim());
    }
    s
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
        let file = super::DECISION_TREE;
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
                        .outcome(c, &path, &labels)
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

    fn outcome<'t>(
        &'t self,
        conclusion: &'t Conclusion,
        path: &[Step<'t>],
        labels: &[String],
    ) -> Result<Outcome<'t>, String> {
        let set: BTreeSet<&str> = labels.iter().map(String::as_str).collect();
        let mut seen = BTreeSet::new();
        let mut obligations = Vec::new();
        let ids = conclusion
            .obligations
            .iter()
            .chain(path.iter().flat_map(|s| &s.answer.obligations));
        for id in ids {
            if !seen.insert(id.as_str()) {
                continue;
            }
            let obligation = self
                .obligation(id)
                .ok_or_else(|| format!("nennt die unbekannte Pflicht „{id}“"))?;
            let applies_from = self.date(&obligation.applies_from).ok_or_else(|| {
                format!(
                    "die Pflicht „{id}“ nennt das unbekannte Datum „{}“",
                    obligation.applies_from
                )
            })?;
            if obligation.when.as_ref().is_some_and(|w| !w.holds(&set)) {
                continue;
            }
            obligations.push(DatedObligation {
                obligation,
                applies_from,
            });
        }
        // Stable: keeps the tree's order within each group.
        obligations.sort_by_key(|o| match o.obligation.duty_of {
            None => 0,
            Some(Role::Provider) => 1,
            Some(Role::Deployer) => 2,
        });
        Ok(Outcome {
            conclusion,
            obligations,
            notes: self.notes.iter().filter(|n| n.when.holds(&set)).collect(),
        })
    }

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

    /// Everything wrong with the tree; empty when it is sound.
    pub fn problems(&self) -> Vec<TreeProblem> {
        let mut problems = Vec::new();
        let mut problem = |node: &str, message: String| {
            problems.push(TreeProblem {
                node: node.to_owned(),
                message,
            });
        };

        // Ids.
        let mut node_ids: HashMap<&str, usize> = HashMap::new();
        let all_ids = self
            .questions
            .iter()
            .map(|q| q.id.as_str())
            .chain(self.routers.iter().map(|r| r.id.as_str()))
            .chain(self.conclusions.iter().map(|c| c.id.as_str()));
        for id in all_ids {
            *node_ids.entry(id).or_default() += 1;
        }
        let mut duplicates: Vec<&str> = node_ids
            .iter()
            .filter(|(_, n)| **n > 1)
            .map(|(id, _)| *id)
            .collect();
        duplicates.sort_unstable();
        for id in duplicates {
            problem(id, "die Id ist mehrfach vergeben".to_owned());
        }
        let mut seen = BTreeSet::new();
        for o in &self.obligations {
            if !seen.insert(o.id.as_str()) {
                problem(&o.id, "die Pflicht-Id ist mehrfach vergeben".to_owned());
            }
        }
        let mut seen = BTreeSet::new();
        for d in &self.dates {
            if !seen.insert(d.id.as_str()) {
                problem(&d.id, "die Datums-Id ist mehrfach vergeben".to_owned());
            }
            if !is_iso_date(&d.date) {
                problem(
                    &d.id,
                    format!("„{}“ ist kein Datum der Form JJJJ-MM-TT", d.date),
                );
            }
        }

        // References.
        if !node_ids.contains_key(self.start.as_str()) {
            problem(
                &self.start,
                "der Startknoten ist nicht definiert".to_owned(),
            );
        }
        let known_obligation = |id: &str| self.obligations.iter().any(|o| o.id == id);
        if !known_obligation(&self.literacy_obligation) {
            problem(
                &self.literacy_obligation,
                "die Pflicht zur KI-Kompetenz (literacy_obligation) ist nicht definiert".to_owned(),
            );
        }
        if let Some(fria) = self
            .fria_obligation
            .as_deref()
            .filter(|id| !known_obligation(id))
        {
            problem(fria, "die Pflicht zur Grundrechte-Folgenabschätzung (fria_obligation) ist nicht definiert".to_owned());
        }
        for o in &self.obligations {
            if self.date(&o.applies_from).is_none() {
                problem(
                    &o.id,
                    format!("das Datum „{}“ ist nicht definiert", o.applies_from),
                );
            }
            if o.articles.is_empty() {
                problem(&o.id, "die Pflicht nennt keinen Artikel".to_owned());
            }
        }
        let set_labels: BTreeSet<&str> = self
            .questions
            .iter()
            .flat_map(|q| &q.answers)
            .flat_map(|a| &a.labels)
            .map(String::as_str)
            .collect();
        for q in &self.questions {
            if q.answers.is_empty() {
                problem(&q.id, "die Frage hat keine Antworten".to_owned());
            }
            let mut answer_ids = BTreeSet::new();
            for a in &q.answers {
                if !answer_ids.insert(a.id.as_str()) {
                    problem(
                        &q.id,
                        format!("die Antwort-Id „{}“ ist mehrfach vergeben", a.id),
                    );
                }
                if !node_ids.contains_key(a.next.as_str()) {
                    problem(
                        &q.id,
                        format!(
                            "Antwort „{}“ führt zum unbekannten Knoten „{}“",
                            a.id, a.next
                        ),
                    );
                }
                for o in &a.obligations {
                    if !known_obligation(o) {
                        problem(
                            &q.id,
                            format!("Antwort „{}“ nennt die unbekannte Pflicht „{o}“", a.id),
                        );
                    }
                }
            }
        }
        for r in &self.routers {
            for next in r.routes.iter().map(|r| &r.next).chain([&r.otherwise]) {
                if !node_ids.contains_key(next.as_str()) {
                    problem(&r.id, format!("führt zum unbekannten Knoten „{next}“"));
                }
            }
            for (i, route) in r.routes.iter().enumerate() {
                if route.when.labels().next().is_none() {
                    problem(
                        &r.id,
                        format!("Weg {} hat eine Bedingung ohne Merkmale", i + 1),
                    );
                }
            }
            for label in r.routes.iter().flat_map(|r| r.when.labels()) {
                if !set_labels.contains(label.as_str()) {
                    problem(
                        &r.id,
                        format!("prüft das Merkmal „{label}“, das keine Antwort setzt"),
                    );
                }
            }
        }
        for o in &self.obligations {
            for label in o.when.iter().flat_map(Condition::labels) {
                if !set_labels.contains(label.as_str()) {
                    problem(
                        &o.id,
                        format!(
                            "die Bedingung prüft das Merkmal „{label}“, das keine Antwort setzt"
                        ),
                    );
                }
            }
            if o.id == self.literacy_obligation && o.when.is_some() {
                problem(
                    &o.id,
                    "die Pflicht zur KI-Kompetenz gilt immer und darf keine Bedingung haben"
                        .to_owned(),
                );
            }
        }
        let mut seen = BTreeSet::new();
        for n in &self.notes {
            if !seen.insert(n.id.as_str()) {
                problem(&n.id, "die Hinweis-Id ist mehrfach vergeben".to_owned());
            }
            if n.when.labels().next().is_none() {
                problem(
                    &n.id,
                    "der Hinweis hat eine Bedingung ohne Merkmale".to_owned(),
                );
            }
            for label in n.when.labels() {
                if !set_labels.contains(label.as_str()) {
                    problem(
                        &n.id,
                        format!("der Hinweis prüft das Merkmal „{label}“, das keine Antwort setzt"),
                    );
                }
            }
        }
        for c in &self.conclusions {
            if c.obligations.is_empty() {
                problem(&c.id, "das Ergebnis nennt keine Pflichten".to_owned());
            }
            for o in &c.obligations {
                if !known_obligation(o) {
                    problem(&c.id, format!("nennt die unbekannte Pflicht „{o}“"));
                }
            }
            if c.risk != RiskClass::NotAiSystem
                && !c.obligations.contains(&self.literacy_obligation)
            {
                problem(
                    &c.id,
                    format!(
                        "ein Ergebnis mit KI-System muss die Pflicht „{}“ (Art. 4) nennen",
                        self.literacy_obligation
                    ),
                );
            }
        }

        // Graph: reachability and cycles.
        let order: Vec<&str> = self
            .questions
            .iter()
            .map(|q| q.id.as_str())
            .chain(self.routers.iter().map(|r| r.id.as_str()))
            .chain(self.conclusions.iter().map(|c| c.id.as_str()))
            .collect();
        let mut reachable = BTreeSet::new();
        let mut stack = vec![self.start.as_str()];
        while let Some(id) = stack.pop() {
            if !reachable.insert(id) {
                continue;
            }
            if let Some(node) = self.node(id) {
                stack.extend(node.successors());
            }
        }
        for id in &order {
            if !reachable.contains(id) {
                problem(id, "ist vom Start aus nicht erreichbar".to_owned());
            }
        }
        for id in self.cycle_entries() {
            problem(&id, "liegt auf einem Zyklus".to_owned());
        }
        problems
    }

    /// Nodes at which a depth-first search finds an edge back into the
    /// current path, i.e. one node per cycle.
    fn cycle_entries(&self) -> Vec<String> {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            Open,
            Done,
        }
        let mut marks: HashMap<&str, Mark> = HashMap::new();
        let mut found = Vec::new();
        let roots = self
            .questions
            .iter()
            .map(|q| q.id.as_str())
            .chain(self.routers.iter().map(|r| r.id.as_str()));
        for root in roots {
            if marks.contains_key(root) {
                continue;
            }
            // Iterative DFS: (node, its successors, index of the next one).
            let mut stack: Vec<(&str, Vec<&str>, usize)> = Vec::new();
            marks.insert(root, Mark::Open);
            let succ = self.node(root).map(Node::successors).unwrap_or_default();
            stack.push((root, succ, 0));
            while let Some((id, succ, i)) = stack.last_mut() {
                if let Some(&next) = succ.get(*i) {
                    *i += 1;
                    match marks.get(next) {
                        Some(Mark::Open) => found.push(next.to_owned()),
                        Some(Mark::Done) => {}
                        None => {
                            if let Some(node) = self.node(next) {
                                marks.insert(next, Mark::Open);
                                stack.push((next, node.successors(), 0));
                            }
                        }
                    }
                } else {
                    marks.insert(id, Mark::Done);
                    stack.pop();
                }
            }
        }
        found.sort();
        found.dedup();
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"
version: "t1"
title: Test
start: q1
literacy_obligation: art-4
dates:
  - { id: d1, label: ab 2025, date: "2025-02-02" }
obligations:
  - { id: art-4, title: KI-Kompetenz, articles: ["Art. 4"], description: x, applies_from: d1 }
  - { id: art-50-1, title: Hinweis, articles: ["Art. 50 Abs. 1"], description: x, applies_from: d1 }
questions:
  - id: q1
    text: KI?
    answers:
      - { id: ja, label: Ja, next: q2 }
      - { id: nein, label: Nein, next: c-none }
  - id: q2
    text: Chat?
    answers:
      - { id: ja, label: Ja, next: r1, labels: [transparenz], obligations: [art-50-1] }
      - { id: nein, label: Nein, next: r1 }
routers:
  - id: r1
    routes:
      - { when: { any: [transparenz] }, next: c-t }
    otherwise: c-min
conclusions:
  - { id: c-none, label: Kein KI-System, risk: not_ai_system, obligations: [art-4] }
  - { id: c-t, label: Transparenz, role: deployer, risk: transparency, obligations: [art-4] }
  - { id: c-min, label: Minimal, role: deployer, risk: minimal, obligations: [art-4] }
"#;

    fn answers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(q, a)| ((*q).to_owned(), (*a).to_owned()))
            .collect()
    }

    fn problems_of(yaml: &str) -> Vec<TreeProblem> {
        match DecisionTree::from_yaml("baum.yaml", yaml) {
            Err(UseCaseError::InvalidTree { file, problems }) => {
                assert_eq!(file, "baum.yaml");
                problems
            }
            other => panic!("expected an invalid tree, got {other:?}"),
        }
    }

    #[test]
    fn a_walk_without_answers_asks_the_start_question() {
        let tree = DecisionTree::from_yaml("t", SMALL).unwrap();
        let walk = tree.walk(&BTreeMap::new()).unwrap();
        assert!(matches!(walk.state, WalkState::Ask(q) if q.id == "q1"));
        assert!(walk.path.is_empty());
    }

    #[test]
    fn a_router_picks_the_conclusion_from_the_labels_and_answer_obligations_are_added() {
        let tree = DecisionTree::from_yaml("t", SMALL).unwrap();
        let walk = tree.walk(&answers(&[("q1", "ja"), ("q2", "ja")])).unwrap();
        let outcome = walk.outcome().unwrap();
        assert_eq!(outcome.conclusion.id, "c-t");
        let ids: Vec<_> = outcome
            .obligations
            .iter()
            .map(|o| o.obligation.id.as_str())
            .collect();
        assert_eq!(ids, ["art-4", "art-50-1"]);
        assert_eq!(outcome.obligations[0].applies_from.date, "2025-02-02");
        let walk = tree
            .walk(&answers(&[("q1", "ja"), ("q2", "nein")]))
            .unwrap();
        assert_eq!(walk.outcome().unwrap().conclusion.id, "c-min");
    }

    #[test]
    fn answers_off_the_path_are_reported_and_left_out_of_the_classification() {
        let tree = DecisionTree::from_yaml("t", SMALL).unwrap();
        let given = answers(&[("q1", "nein"), ("q2", "ja")]);
        let walk = tree.walk(&given).unwrap();
        assert_eq!(walk.unused_answers, ["q2"]);
        let c = tree.classify(&given).unwrap();
        assert_eq!(c.answers, answers(&[("q1", "nein")]));
        assert_eq!(c.risk, RiskClass::NotAiSystem);
    }

    #[test]
    fn an_unknown_answer_is_an_error_naming_question_and_answer() {
        let tree = DecisionTree::from_yaml("t", SMALL).unwrap();
        let err = tree.walk(&answers(&[("q1", "vielleicht")])).unwrap_err();
        assert_eq!(
            err,
            UseCaseError::UnknownAnswer {
                question: "q1".into(),
                answer: "vielleicht".into()
            }
        );
    }

    #[test]
    fn classifying_an_unfinished_walk_names_the_open_question() {
        let tree = DecisionTree::from_yaml("t", SMALL).unwrap();
        let err = tree.classify(&answers(&[("q1", "ja")])).unwrap_err();
        assert_eq!(
            err,
            UseCaseError::ClassificationIncomplete {
                next_question: "q2".into()
            }
        );
    }

    #[test]
    fn a_new_tree_version_flags_earlier_classifications_for_review() {
        let mut tree = DecisionTree::from_yaml("t", SMALL).unwrap();
        let c = tree.classify(&answers(&[("q1", "nein")])).unwrap();
        assert!(!c.needs_review(&tree));
        tree.version = "t2".into();
        assert!(c.needs_review(&tree));
    }

    #[test]
    fn a_dangling_next_id_is_rejected_naming_the_question() {
        let yaml = SMALL.replace("next: c-none", "next: c-gibt-es-nicht");
        let problems = problems_of(&yaml);
        assert!(
            problems
                .iter()
                .any(|p| p.node == "q1" && p.message.contains("c-gibt-es-nicht")),
            "{problems:?}"
        );
    }

    #[test]
    fn an_unreachable_node_is_rejected() {
        let yaml = SMALL.replace("next: c-none }", "next: q2 }");
        let problems = problems_of(&yaml);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].node, "c-none");
        assert!(problems[0].message.contains("nicht erreichbar"));
    }

    #[test]
    fn a_cycle_is_rejected() {
        let yaml = SMALL.replace(
            "{ id: nein, label: Nein, next: r1 }",
            "{ id: nein, label: Nein, next: q1 }",
        );
        let problems = problems_of(&yaml);
        assert!(
            problems
                .iter()
                .any(|p| p.node == "q1" && p.message.contains("Zyklus")),
            "{problems:?}"
        );
    }

    #[test]
    fn a_conclusion_without_obligations_is_rejected() {
        let yaml = SMALL.replace(
            "risk: not_ai_system, obligations: [art-4]",
            "risk: not_ai_system, obligations: []",
        );
        let problems = problems_of(&yaml);
        assert_eq!(problems[0].node, "c-none");
        assert!(problems[0].message.contains("keine Pflichten"));
    }

    #[test]
    fn an_ai_conclusion_without_the_literacy_duty_is_rejected() {
        let yaml = SMALL.replace(
            "risk: minimal, obligations: [art-4]",
            "risk: minimal, obligations: [art-50-1]",
        );
        let problems = problems_of(&yaml);
        assert_eq!(problems[0].node, "c-min");
        assert!(problems[0].message.contains("Art. 4"));
    }

    #[test]
    fn unknown_obligations_labels_and_dates_are_rejected() {
        let yaml = SMALL
            .replace("obligations: [art-50-1] }", "obligations: [art-99] }")
            .replace("any: [transparenz]", "any: [tippfehler]")
            .replace(
                "applies_from: d1 }\n  - { id: art-50-1",
                "applies_from: d9 }\n  - { id: art-50-1",
            );
        let problems = problems_of(&yaml);
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        let text = text.join("\n");
        assert!(text.contains("„art-99“"), "{text}");
        assert!(text.contains("„tippfehler“"), "{text}");
        assert!(text.contains("„d9“"), "{text}");
    }

    #[test]
    fn a_route_without_labels_and_an_unknown_fria_obligation_are_rejected() {
        let yaml = SMALL
            .replace(
                "{ when: { any: [transparenz] }, next: c-t }",
                "{ when: {}, next: c-t }",
            )
            .replace(
                "literacy_obligation: art-4",
                "literacy_obligation: art-4\nfria_obligation: art-27",
            );
        let problems = problems_of(&yaml);
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(problems.len(), 2, "{text:?}");
        assert!(text[0].contains("fria_obligation"));
        assert!(text[1].contains("Weg 1 hat eine Bedingung ohne Merkmale"));
    }

    #[test]
    fn the_wizard_knows_how_many_questions_remain_at_most() {
        let tree = DecisionTree::from_yaml("t", SMALL).unwrap();
        assert_eq!(tree.questions_remaining_at_most("q1"), Some(2));
        assert_eq!(tree.questions_remaining_at_most("q2"), Some(1));
        assert_eq!(tree.questions_remaining_at_most("c-t"), Some(0));
        assert_eq!(tree.questions_remaining_at_most("nix"), None);
    }

    #[test]
    fn a_duplicate_id_is_rejected() {
        let yaml = SMALL
            .replace("id: c-t,", "id: c-min,")
            .replace("next: c-t", "next: c-min");
        let problems = problems_of(&yaml);
        assert!(problems
            .iter()
            .any(|p| p.node == "c-min" && p.message.contains("mehrfach")));
    }

    #[test]
    fn broken_yaml_names_the_file() {
        let err = DecisionTree::from_yaml("kaputt.yaml", "version: [").unwrap_err();
        assert!(err.to_string().starts_with("kaputt.yaml:"), "{err}");
    }
}
