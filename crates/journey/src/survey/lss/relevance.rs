//! LimeSurvey relevance equations as our conditions: the simple shapes
//! (`Q1 == "A1"`, `… or …`, `Q2_SQ001 == "Y"`) are taken over, anything
//! else is reported and the question is always shown.

use std::collections::HashMap;

use super::text::shorten;
use crate::survey::import::{ImportReport, Severity};
use crate::survey::model::{Condition, ConditionTest, QuestionKind};

/// Simple relevance equations become conditions; anything else is reported.
pub(super) fn condition(
    report: &mut ImportReport,
    loc: &str,
    relevance: &str,
    mapped: &HashMap<String, (String, QuestionKind)>,
) -> Option<Condition> {
    let expr = relevance.trim();
    if expr.is_empty() || expr == "1" {
        return None;
    }
    let parsed = parse_relevance(expr).and_then(|terms| {
        // All terms must test the same question.
        let (var, _) = terms.first()?;
        let (code, sub) = match mapped.get(var.as_str()) {
            Some(_) => (var.clone(), None),
            None => {
                let (c, s) = var.split_once('_')?;
                (c.to_string(), Some(s.to_string()))
            }
        };
        let (id, kind) = mapped.get(&code)?;
        let values: Vec<String> = terms
            .iter()
            .map(|(v, value)| {
                let expected = match &sub {
                    None => code.clone(),
                    Some(s) => format!("{code}_{s}"),
                };
                (*v == expected).then(|| value.clone())
            })
            .collect::<Option<_>>()?;
        let test = match (kind, &sub) {
            (QuestionKind::SingleChoice { options }, None) => {
                if values.iter().any(|v| options.get(v).is_none()) {
                    return None;
                }
                if values.len() == 1 {
                    ConditionTest::Equals(values[0].clone())
                } else {
                    ConditionTest::AnyOf(values)
                }
            }
            (QuestionKind::Likert { scale }, None) => {
                if values
                    .iter()
                    .any(|v| !scale.iter().any(|p| p.value.to_string() == *v))
                {
                    return None;
                }
                if values.len() == 1 {
                    ConditionTest::Equals(values[0].clone())
                } else {
                    ConditionTest::AnyOf(values)
                }
            }
            (QuestionKind::MultipleChoice { options, .. }, Some(sub))
                if terms.len() == 1 && values[0] == "Y" =>
            {
                options.get(sub)?;
                ConditionTest::Contains(sub.clone())
            }
            _ => return None,
        };
        Some(Condition {
            question: id.clone(),
            test,
        })
    });
    if parsed.is_none() {
        report.push(
            loc,
            Severity::NotMapped,
            format!(
                "Die Bedingung „{}“ konnte nicht übernommen werden; die Frage wird immer gezeigt.",
                shorten(expr, 200)
            ),
        );
    }
    parsed
}

/// `Q1 == "A1"`, `Q1.NAOK == 'A1'`, `(Q1 == "A1" or Q1 == "A2")`, also `||`.
/// Returns (variable, value) per term, or `None` if anything else appears.
pub(super) fn parse_relevance(expr: &str) -> Option<Vec<(String, String)>> {
    let mut e = expr.trim();
    while e.starts_with('(') && e.ends_with(')') && balanced(&e[1..e.len() - 1]) {
        e = e[1..e.len() - 1].trim();
    }
    let normalized = e.replace("||", " or ");
    let mut out = Vec::new();
    for term in normalized.split(" or ") {
        let mut t = term.trim();
        while t.starts_with('(') && t.ends_with(')') && balanced(&t[1..t.len() - 1]) {
            t = t[1..t.len() - 1].trim();
        }
        let (lhs, rhs) = t.split_once("==")?;
        let var = lhs.trim();
        let var = var.strip_suffix(".NAOK").unwrap_or(var);
        if var.is_empty() || !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return None;
        }
        let rhs = rhs.trim();
        let value = rhs
            .strip_prefix('"')
            .and_then(|r| r.strip_suffix('"'))
            .or_else(|| rhs.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')))
            .or_else(|| rhs.chars().all(|c| c.is_ascii_digit()).then_some(rhs))?;
        if value.is_empty() || value.contains(['"', '\'']) {
            return None;
        }
        out.push((var.to_string(), value.to_string()));
    }
    (!out.is_empty()).then_some(out)
}

fn balanced(s: &str) -> bool {
    let mut depth = 0i32;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}
