//! Everything that can be wrong with a loaded tree: duplicate and dangling
//! ids, unknown obligations, dates and labels, unreachable nodes and cycles.

use std::collections::{BTreeSet, HashMap};

use super::tree::{Condition, DecisionTree, Node, RiskClass};
use crate::usecase::{is_iso_date, TreeProblem};

impl DecisionTree {
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
