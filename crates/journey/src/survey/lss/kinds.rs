//! LimeSurvey's question types mapped to ours: which become single or
//! multiple choice, Likert scales and matrices, numbers and free text, and
//! which are reported as not taken over.

use std::collections::BTreeMap;

use super::file::{get, number, LsAnswer, LsQuestion, LssFile, Row};
use super::ids::Ids;
use super::text::{imported_text, plain_text, shorten};
use crate::survey::import::{ImportReport, Severity};
use crate::survey::model::{
    agreement_scale, ChoiceOption, Choices, QuestionKind, ScalePoint, MAX_TEXT_ANSWER,
};

pub(super) fn kind(
    report: &mut ImportReport,
    file: &LssFile,
    lq: &LsQuestion,
    loc: &str,
    subs: &[Row],
    scale0: &[LsAnswer],
    attrs: &BTreeMap<String, String>,
) -> Option<QuestionKind> {
    let mut option_ids = Ids::default();
    let mut options_from_answers = |report: &mut ImportReport| -> Vec<ChoiceOption> {
        scale0
            .iter()
            .map(|(_, code, label)| {
                let label = imported_text(report, loc, &format!("Antwort {code}"), label);
                ChoiceOption::new(
                    option_ids.make(code, "a"),
                    if label.is_empty() {
                        code.clone()
                    } else {
                        label
                    },
                )
            })
            .collect()
    };
    let mut item_ids = Ids::default();
    let mut items_from_subs = |report: &mut ImportReport| -> Vec<ChoiceOption> {
        subs.iter()
            .filter(|s| number(s, "scale_id") == 0)
            .map(|s| {
                let code = get(s, "title").to_string();
                let label = imported_text(
                    report,
                    loc,
                    &format!("Teilfrage {code}"),
                    &file.text_of(s, "question"),
                );
                ChoiceOption::new(
                    item_ids.make(&code, "i"),
                    if label.is_empty() { code } else { label },
                )
            })
            .collect()
    };
    let numeric_scale = |n: i64| -> Vec<ScalePoint> {
        (1..=n)
            .map(|v| ScalePoint {
                value: v,
                label: v.to_string(),
            })
            .collect()
    };
    let add_other = |report: &mut ImportReport, options: &mut Vec<ChoiceOption>| {
        if lq.other {
            options.push(ChoiceOption::new("other", "Sonstiges"));
            report.push(
                loc,
                Severity::NotMapped,
                "Die Antwort „Sonstiges“ wurde als Option übernommen, ihr Freitextfeld nicht.",
            );
        }
    };
    let kind = match lq.kind.as_str() {
        "L" | "!" | "O" => {
            let mut options = options_from_answers(report);
            add_other(report, &mut options);
            if lq.kind == "O" {
                report.push(
                    loc,
                    Severity::NotMapped,
                    "Das Kommentarfeld der Liste wurde nicht übernommen.",
                );
            }
            QuestionKind::SingleChoice {
                options: Choices::fixed(options),
            }
        }
        "Y" => QuestionKind::SingleChoice {
            options: Choices::fixed(vec![
                ChoiceOption::new("Y", "Ja"),
                ChoiceOption::new("N", "Nein"),
            ]),
        },
        "G" => {
            report.push(loc, Severity::Note, "Geschlechtsfrage als Einfachauswahl übernommen; bitte prüfen, ob sie für eine anonyme Umfrage nötig ist.");
            QuestionKind::SingleChoice {
                options: Choices::fixed(vec![
                    ChoiceOption::new("F", "weiblich"),
                    ChoiceOption::new("M", "männlich"),
                    ChoiceOption::new("D", "divers"),
                ]),
            }
        }
        "M" | "P" => {
            let mut options = items_from_subs(report);
            add_other(report, &mut options);
            if lq.kind == "P" {
                report.push(
                    loc,
                    Severity::NotMapped,
                    "Die Kommentarfelder der Mehrfachauswahl wurden nicht übernommen.",
                );
            }
            let max_choices = attrs
                .get("max_answers")
                .and_then(|v| v.parse::<u32>().ok())
                .filter(|m| *m > 0);
            QuestionKind::MultipleChoice {
                options: Choices::fixed(options),
                max_choices,
            }
        }
        "5" => QuestionKind::Likert {
            scale: numeric_scale(5),
        },
        "A" => QuestionKind::LikertMatrix {
            items: Choices::fixed(items_from_subs(report)),
            scale: numeric_scale(5),
        },
        "B" => QuestionKind::LikertMatrix {
            items: Choices::fixed(items_from_subs(report)),
            scale: numeric_scale(10),
        },
        "E" => QuestionKind::LikertMatrix {
            items: Choices::fixed(items_from_subs(report)),
            scale: vec![
                ScalePoint {
                    value: 1,
                    label: "Abnahme".into(),
                },
                ScalePoint {
                    value: 2,
                    label: "Gleich".into(),
                },
                ScalePoint {
                    value: 3,
                    label: "Zunahme".into(),
                },
            ],
        },
        "C" => {
            report.push(
                loc,
                Severity::Changed,
                "Ja/Unsicher/Nein als Skala 1 (Ja) bis 3 (Nein) übernommen.",
            );
            QuestionKind::LikertMatrix {
                items: Choices::fixed(items_from_subs(report)),
                scale: vec![
                    ScalePoint {
                        value: 1,
                        label: "Ja".into(),
                    },
                    ScalePoint {
                        value: 2,
                        label: "Unsicher".into(),
                    },
                    ScalePoint {
                        value: 3,
                        label: "Nein".into(),
                    },
                ],
            }
        }
        "F" | "H" => {
            let labels: Vec<ScalePoint> = scale0
                .iter()
                .zip(1..)
                .map(|((_, code, label), value)| {
                    let label = imported_text(report, loc, &format!("Antwort {code}"), label);
                    ScalePoint {
                        value,
                        label: if label.is_empty() {
                            code.clone()
                        } else {
                            label
                        },
                    }
                })
                .collect();
            if !labels.is_empty() {
                report.push(
                    loc,
                    Severity::Changed,
                    format!(
                        "Die Antwortcodes {} wurden in dieser Reihenfolge als Skalenwerte 1 bis {} übernommen.",
                        scale0.iter().map(|a| a.1.as_str()).collect::<Vec<_>>().join(", "),
                        labels.len()
                    ),
                );
            }
            if lq.kind == "H" {
                report.push(
                    loc,
                    Severity::Changed,
                    "Die nach Spalten angeordnete Matrix wird zeilenweise gezeigt.",
                );
            }
            QuestionKind::LikertMatrix {
                items: Choices::fixed(items_from_subs(report)),
                scale: if labels.is_empty() {
                    agreement_scale()
                } else {
                    labels
                },
            }
        }
        "N" => {
            let parse = |k: &str| {
                attrs
                    .get(k)
                    .and_then(|v| v.trim().replace(',', ".").parse::<f64>().ok())
                    .filter(|v| v.is_finite())
            };
            QuestionKind::Number {
                min: parse("min_num_value_n"),
                max: parse("max_num_value_n"),
                integer: attrs.get("num_value_int_only").is_some_and(|v| v == "1"),
                unit: attrs
                    .get("suffix")
                    .map(|s| plain_text(s).0)
                    .filter(|s| !s.is_empty() && s.chars().count() <= 50),
            }
        }
        "S" | "T" | "U" => {
            let requested = attrs
                .get("maximum_chars")
                .and_then(|v| v.trim().parse::<u64>().ok())
                .filter(|v| *v > 0);
            let max_length = match requested {
                Some(v) if v > u64::from(MAX_TEXT_ANSWER) => {
                    report.push(
                        loc,
                        Severity::Changed,
                        format!("Höchstlänge {v} auf {MAX_TEXT_ANSWER} Zeichen begrenzt."),
                    );
                    MAX_TEXT_ANSWER
                }
                Some(v) => v as u32,
                None => MAX_TEXT_ANSWER,
            };
            QuestionKind::Text {
                max_length,
                multiline: lq.kind != "S",
            }
        }
        other => {
            let name = match other {
                "D" => "Datum",
                "R" => "Rangfolge",
                "1" => "Matrix mit zwei Skalen",
                ":" => "Matrix mit Zahlen",
                ";" => "Matrix mit Texten",
                "K" => "Mehrere Zahlen",
                "Q" => "Mehrere kurze Texte",
                "|" => "Datei-Upload",
                "*" => "Gleichung",
                "I" => "Sprachauswahl",
                _ => "unbekannt",
            };
            report.push(
                loc,
                Severity::NotMapped,
                format!(
                    "Fragetyp „{}“ ({name}) gibt es hier nicht; die Frage „{}“ wurde nicht übernommen.",
                    shorten(other, 8),
                    shorten(&plain_text(&lq.text).0, 120)
                ),
            );
            return None;
        }
    };
    let empty = match &kind {
        QuestionKind::SingleChoice { options } | QuestionKind::MultipleChoice { options, .. } => {
            options.list.is_empty()
        }
        QuestionKind::LikertMatrix { items, .. } => items.list.is_empty(),
        _ => false,
    };
    if empty {
        report.push(
            loc,
            Severity::NotMapped,
            "Die Frage hat keine Antwortmöglichkeiten bzw. Teilfragen und wurde nicht übernommen.",
        );
        return None;
    }
    Some(kind)
}
