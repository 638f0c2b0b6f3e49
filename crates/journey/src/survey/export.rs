//! Open exports: a questionnaire as JSON, results as JSON and as CSV
//! (UTF-8, RFC 4180: comma, double quotes, CRLF). Each JSON carries a
//! `$schema` reference to the published schema under `schemas/`.

use super::aggregate::SurveyResults;
use super::model::Questionnaire;
use super::SurveyError;

pub const QUESTIONNAIRE_SCHEMA_ID: &str =
    "https://ki-reise.example/schemas/questionnaire.schema.json";
pub const RESULTS_SCHEMA_ID: &str = "https://ki-reise.example/schemas/survey-results.schema.json";

/// The questionnaire as pretty JSON, with `$schema`.
pub fn questionnaire_to_json(q: &Questionnaire) -> String {
    let mut q = q.clone();
    q.schema = Some(QUESTIONNAIRE_SCHEMA_ID.to_string());
    // Serialising plain data structs cannot fail.
    serde_json::to_string_pretty(&q).unwrap_or_default()
}

/// The results as pretty JSON, with `$schema`.
pub fn results_to_json(results: &SurveyResults) -> String {
    let mut value = serde_json::to_value(results).unwrap_or_default();
    if let serde_json::Value::Object(map) = &mut value {
        map.insert(
            "$schema".to_string(),
            serde_json::Value::String(RESULTS_SCHEMA_ID.to_string()),
        );
    }
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

/// Column names of the results CSV.
pub const CSV_HEADER: [&str; 13] = [
    "frage_id",
    "frage",
    "aussage_id",
    "aussage",
    "antwort_id",
    "antwort",
    "gruppe_id",
    "gruppe",
    "anzahl",
    "anteil",
    "beantwortet",
    "wert",
    "hinweis",
];

/// One row per question × item × group × option. A hidden cell is one row
/// with empty numbers and a note; mean and median are rows of their own
/// (`antwort_id` `_mittelwert` / `_median`, the number in `wert`). Numbers
/// use a decimal point; shares are fractions from 0 to 1.
pub fn results_to_csv(results: &SurveyResults) -> Result<String, SurveyError> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let csv_err = |e: csv::Error| SurveyError::Parse {
        format: "CSV",
        message: e.to_string(),
    };
    w.write_record(CSV_HEADER).map_err(csv_err)?;
    let group_label = |id: Option<&str>| match id {
        None => "Gesamt".to_string(),
        Some(id) => results
            .groups
            .iter()
            .find(|g| g.id == id)
            .map(|g| g.label.clone())
            .unwrap_or_else(|| id.to_string()),
    };
    let hidden_note = format!(
        "unterdrückt (weniger als {} Antworten oder rückrechenbar)",
        results.min_group_size
    );
    for q in &results.questions {
        for row in &q.rows {
            for cell in &row.cells {
                let gid = cell.group.clone().unwrap_or_default();
                let glabel = group_label(cell.group.as_deref());
                let base = [
                    q.question.clone(),
                    q.text.clone(),
                    row.item.clone().unwrap_or_default(),
                    row.item_label.clone().unwrap_or_default(),
                ];
                let mut record = |option: &str,
                                  label: &str,
                                  count: String,
                                  share: String,
                                  value: String,
                                  note: &str| {
                    let answered = cell.answered.map(|a| a.to_string()).unwrap_or_default();
                    let fields: Vec<String> = base
                        .iter()
                        .cloned()
                        .chain([
                            option.to_string(),
                            label.to_string(),
                            gid.clone(),
                            glabel.clone(),
                            count,
                            share,
                            answered,
                            value,
                            note.to_string(),
                        ])
                        .collect();
                    w.write_record(&fields)
                };
                if cell.suppressed {
                    record(
                        "",
                        "",
                        String::new(),
                        String::new(),
                        String::new(),
                        &hidden_note,
                    )
                    .map_err(csv_err)?;
                    continue;
                }
                for o in &cell.options {
                    record(
                        &o.option,
                        &o.label,
                        o.count.map(|c| c.to_string()).unwrap_or_default(),
                        o.share.map(|x| format!("{x:.4}")).unwrap_or_default(),
                        String::new(),
                        if o.count.is_none() { &hidden_note } else { "" },
                    )
                    .map_err(csv_err)?;
                }
                if let Some(m) = cell.mean {
                    record(
                        "_mittelwert",
                        "Mittelwert",
                        String::new(),
                        String::new(),
                        format!("{m:.2}"),
                        "",
                    )
                    .map_err(csv_err)?;
                }
                if let Some(m) = cell.median {
                    record(
                        "_median",
                        "Median",
                        String::new(),
                        String::new(),
                        format!("{m:.2}"),
                        "",
                    )
                    .map_err(csv_err)?;
                }
                if cell.options.is_empty() && cell.mean.is_none() {
                    record("", "", String::new(), String::new(), String::new(), "")
                        .map_err(csv_err)?;
                }
            }
        }
    }
    let bytes = w.into_inner().map_err(|e| SurveyError::Parse {
        format: "CSV",
        message: e.to_string(),
    })?;
    String::from_utf8(bytes).map_err(|e| SurveyError::Parse {
        format: "CSV",
        message: e.to_string(),
    })
}
