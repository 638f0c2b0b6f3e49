//! Results for one department, one kind of role, or one kind of role in
//! one department, without opening a door for differencing.
//!
//! A filtered view is one entry of the department × role table: a row, a
//! column or a cell. It is shown only when the protected table
//! ([`super::identifiers`]) publishes that entry; so the view and every
//! other published view or breakdown differ only by groups that are empty
//! or hold at least k answers. The same holds per question: conditional
//! questions are answered by fewer people, so each result row gets its own
//! department × role table of "answered" counts, protected the same way, and
//! the row is shown only when the view's entry survives there. Free texts
//! never appear in a filtered view.

use super::aggregate::{aggregate, mask_cell, tally, AggregateOptions, SurveyResults, Tally};
use super::identifiers::{Axis, QuasiIdentifiers};
use super::model::{ChoiceOption, QuestionKind, Questionnaire};
use super::response::Response;
use super::suppress::{protect_table, TableSuppression};
use super::SurveyError;

/// Which answers to look at: option ids of the department and the role
/// question; both `None` is the whole survey.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub department: Option<String>,
    pub role: Option<String>,
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        self.department.is_none() && self.role.is_none()
    }
}

/// The entry of the table a filter selects.
#[derive(Debug, Clone, Copy)]
enum Entry {
    Row(usize),
    Col(usize),
    Cell(usize, usize),
}

impl Entry {
    fn hidden(self, t: &TableSuppression) -> bool {
        match self {
            Entry::Row(i) => t.rows[i],
            Entry::Col(j) => t.cols[j],
            Entry::Cell(i, j) => t.cells[i][j],
        }
    }

    fn contains(self, (i, j): (usize, usize)) -> bool {
        match self {
            Entry::Row(r) => i == r,
            Entry::Col(c) => j == c,
            Entry::Cell(r, c) => i == r && j == c,
        }
    }
}

fn position(list: &[ChoiceOption], id: &str, what: &str) -> Result<usize, SurveyError> {
    // The last entry is the no-answer group; it can be filtered on, too.
    list.iter().position(|o| o.id == id).ok_or_else(|| {
        SurveyError::FilterRefused(format!("{what} „{id}“ gibt es in diesem Fragebogen nicht."))
    })
}

/// The results of the answers that `filter` selects, or why they cannot be
/// shown. Without a filter this is plain [`aggregate`].
pub fn filtered_results(
    q: &Questionnaire,
    responses: &[Response],
    options: &AggregateOptions,
    filter: &Filter,
) -> Result<SurveyResults, SurveyError> {
    if filter.is_empty() {
        return aggregate(q, responses, options);
    }
    let k = u64::from(options.min_group_size);
    let qi = QuasiIdentifiers::new(q, responses, k);
    let row = match &filter.department {
        Some(id) if qi.department.is_some() => Some(position(&qi.rows, id, "Den Fachbereich")?),
        Some(_) => return Err(SurveyError::MissingQuestion("Frage nach dem Fachbereich")),
        None => None,
    };
    let col = match &filter.role {
        Some(id) if qi.role.is_some() => Some(position(&qi.cols, id, "Die Art der Tätigkeit")?),
        Some(_) => {
            return Err(SurveyError::MissingQuestion(
                "Frage nach der Art der Tätigkeit",
            ))
        }
        None => None,
    };
    let entry = match (row, col) {
        (Some(i), Some(j)) => Entry::Cell(i, j),
        (Some(i), None) => Entry::Row(i),
        (None, Some(j)) => Entry::Col(j),
        (None, None) => return aggregate(q, responses, options),
    };
    if entry.hidden(&qi.hidden) {
        return Err(SurveyError::FilterRefused(format!(
            "Für diese Auswahl liegen zu wenige Antworten vor, oder sie ließen sich mit anderen Auswertungen zu einer Gruppe unter {k} Antworten verrechnen. Bitte wählen Sie eine größere Gruppe."
        )));
    }
    let subset: Vec<Response> = responses
        .iter()
        .zip(&qi.position)
        .filter(|(_, at)| entry.contains(**at))
        .map(|(r, _)| r.clone())
        .collect();
    let mut view = aggregate(
        q,
        &subset,
        &AggregateOptions {
            include_free_texts: false,
            ..options.clone()
        },
    )?;
    // One group, no breakdown: group figures would be cells of the table
    // again, already published or hidden there.
    view.groups.clear();
    view.group_by = None;
    for result in &mut view.questions {
        let Some(question) = q.question(&result.question) else {
            continue;
        };
        result.free_texts = None;
        let items: Vec<Option<&ChoiceOption>> = match &question.kind {
            QuestionKind::LikertMatrix { items, .. } => items.list.iter().map(Some).collect(),
            _ => vec![None],
        };
        for (row_result, item) in result.rows.iter_mut().zip(items) {
            row_result.cells.truncate(1);
            let cell = &mut row_result.cells[0];
            match qi.axis_of(&question.id) {
                // The department or role question: its counts are cells of
                // the protected table itself.
                Some(own) => {
                    let line = match (own, entry) {
                        (Axis::Role, Entry::Row(i)) => Some(qi.line(Axis::Department, i)),
                        (Axis::Department, Entry::Col(j)) => Some(qi.line(Axis::Role, j)),
                        _ => None,
                    };
                    if let Some(line) = line {
                        mask_cell(cell, &line);
                    }
                }
                None => {
                    let mut answered = vec![vec![0u64; qi.cols.len()]; qi.rows.len()];
                    for (r, (i, j)) in responses.iter().zip(&qi.position) {
                        let mut t = Tally::default();
                        tally(&question.kind, item, r.answers.get(&question.id), &mut t);
                        answered[*i][*j] += t.answered;
                    }
                    if entry.hidden(&protect_table(&answered, k)) {
                        *cell = super::aggregate::Cell {
                            group: None,
                            suppressed: true,
                            answered: None,
                            options: Vec::new(),
                            mean: None,
                            median: None,
                        };
                    }
                }
            }
        }
    }
    Ok(view)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::survey::model::{Choices, Question, Section};
    use crate::survey::response::Answer;

    fn choice(id: &str, text: &str, options: &[&str]) -> Question {
        Question {
            id: id.into(),
            text: text.into(),
            help: None,
            required: false,
            show_if: None,
            kind: QuestionKind::SingleChoice {
                options: Choices {
                    from: None,
                    list: options.iter().map(|o| ChoiceOption::new(*o, *o)).collect(),
                },
            },
        }
    }

    /// Department (from the profile), role, one question everyone answers
    /// and one that only some answer.
    fn questionnaire() -> Questionnaire {
        let mut department = choice("fachbereich", "Fachbereich", &["a", "b", "c"]);
        if let QuestionKind::SingleChoice { options } = &mut department.kind {
            options.from = Some(crate::survey::OptionSource::Departments);
        }
        let mut role = choice("taetigkeit", "Tätigkeit", &["sach", "fuehrung"]);
        if let QuestionKind::SingleChoice { options } = &mut role.kind {
            options.from = Some(crate::survey::OptionSource::RoleProfiles);
        }
        Questionnaire {
            schema: None,
            id: "t".into(),
            version: 1,
            title: "T".into(),
            description: None,
            language: "de".into(),
            sections: vec![Section {
                id: "s".into(),
                title: "S".into(),
                description: None,
                questions: vec![
                    department,
                    role,
                    choice("nutzt_ki", "Nutzen Sie KI?", &["ja", "nein"]),
                    choice("sorge", "Sorge?", &["ja", "nein"]),
                ],
            }],
        }
    }

    fn response(department: &str, role: &str, uses_ai: &str, worry: Option<&str>) -> Response {
        let mut answers = BTreeMap::new();
        answers.insert("fachbereich".into(), Answer::Choice(department.into()));
        answers.insert("taetigkeit".into(), Answer::Choice(role.into()));
        answers.insert("nutzt_ki".into(), Answer::Choice(uses_ai.into()));
        if let Some(w) = worry {
            answers.insert("sorge".into(), Answer::Choice(w.into()));
        }
        Response { answers }
    }

    fn count(results: &SurveyResults, question: &str, option: &str) -> Option<u64> {
        let cell = &results.question(question)?.rows[0].cells[0];
        cell.options.iter().find(|o| o.option == option)?.count
    }

    fn options(k: u32) -> AggregateOptions {
        AggregateOptions {
            min_group_size: k,
            ..AggregateOptions::default()
        }
    }

    fn filter(department: Option<&str>, role: Option<&str>) -> Filter {
        Filter {
            department: department.map(str::to_string),
            role: role.map(str::to_string),
        }
    }

    /// Department a: 6 clerks and 1 manager, who alone says "ja" to AI use;
    /// department b: 6 clerks and 5 managers.
    fn answers() -> Vec<Response> {
        let mut all = Vec::new();
        for _ in 0..6 {
            all.push(response("a", "sach", "nein", None));
        }
        all.push(response("a", "fuehrung", "ja", None));
        for _ in 0..6 {
            all.push(response("b", "sach", "nein", Some("ja")));
        }
        for _ in 0..5 {
            all.push(response("b", "fuehrung", "nein", Some("nein")));
        }
        all
    }

    #[test]
    fn a_differencing_attack_across_department_and_role_filters_learns_nothing() {
        let q = questionnaire();
        let all = answers();
        // The attacker wants the one manager of a: a minus (a, clerks).
        let a = filtered_results(&q, &all, &options(5), &filter(Some("a"), None));
        let a_clerks = filtered_results(&q, &all, &options(5), &filter(Some("a"), Some("sach")));
        let published = |r: &Result<SurveyResults, SurveyError>| {
            r.as_ref().ok().and_then(|r| count(r, "nutzt_ki", "ja"))
        };
        assert!(
            published(&a).is_none() || published(&a_clerks).is_none(),
            "both views published: a − (a, clerks) reveals the manager"
        );
        // Nor via the managers' column: all managers minus (b, managers).
        let managers = filtered_results(&q, &all, &options(5), &filter(None, Some("fuehrung")));
        let b_managers =
            filtered_results(&q, &all, &options(5), &filter(Some("b"), Some("fuehrung")));
        assert!(published(&managers).is_none() || published(&b_managers).is_none());
        // And not against the unfiltered total either: the total minus the
        // other published views never leaves a group below k.
        let total = filtered_results(&q, &all, &options(5), &Filter::default()).unwrap();
        let b = filtered_results(&q, &all, &options(5), &filter(Some("b"), None)).unwrap();
        if let (Some(t), Some(a)) = (count(&total, "nutzt_ki", "ja"), published(&a)) {
            let rest = count(&b, "nutzt_ki", "ja");
            assert!(rest.is_none() || t - a - rest.unwrap() == 0);
        }
    }

    #[test]
    fn a_large_enough_cell_is_shown_with_its_own_counts() {
        let q = questionnaire();
        let all = answers();
        let b_clerks =
            filtered_results(&q, &all, &options(5), &filter(Some("b"), Some("sach"))).unwrap();
        assert_eq!(b_clerks.responses, Some(6));
        assert_eq!(count(&b_clerks, "sorge", "ja"), Some(6));
        assert!(b_clerks.groups.is_empty());
        assert!(b_clerks.questions.iter().all(|q| q.free_texts.is_none()));
    }

    #[test]
    fn a_conditional_question_is_hidden_in_a_view_when_its_complement_is_small() {
        let q = questionnaire();
        let mut all = answers();
        // Two people in department a answer "sorge" too: the total of
        // "sorge" minus department b's would single them out.
        all[0] = response("a", "sach", "nein", Some("ja"));
        all[1] = response("a", "sach", "nein", Some("ja"));
        let b = filtered_results(&q, &all, &options(5), &filter(Some("b"), None)).unwrap();
        assert!(b.question("sorge").unwrap().rows[0].cells[0].suppressed);
        assert!(!b.question("nutzt_ki").unwrap().rows[0].cells[0].suppressed);
    }

    #[test]
    fn unknown_filters_are_refused_by_name() {
        let q = questionnaire();
        let err = filtered_results(&q, &answers(), &options(5), &filter(Some("zz"), None))
            .unwrap_err()
            .to_string();
        assert!(err.contains("„zz“"), "{err}");
    }
}
