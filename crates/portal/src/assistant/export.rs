//! Export of a conversation kept on the server (only while an
//! administrator has turned storage on), as Markdown to read and file or
//! as JSON for other tools. Only the person who had the conversation gets
//! it: the store reads turns by owner and conversation, so anyone else's id
//! answers 404. Conversations kept only in the browser are exported by the
//! page's script in the same Markdown shape.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use store::chat_history::ChatTurn;

use crate::auth::CurrentUser;
use crate::download::download;
use crate::error::{AppError, PageError};
use crate::view::format_time;
use crate::AppState;

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    /// `md` (the default) or `json`.
    #[serde(default)]
    format: Option<String>,
}

/// `GET /assistent/gespraeche/{id}/export?format=md|json`.
pub async fn export(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, PageError> {
    let turns = state.store.chat_turns(cu.user.id, id).await?;
    match q.format.as_deref().unwrap_or("md") {
        "md" => Ok(download(
            "text/markdown; charset=utf-8",
            format_args!("gespraech-{id}.md"),
            markdown(&turns),
        )),
        "json" => {
            let body = serde_json::to_string_pretty(&serde_json::json!({ "turns": turns }))
                .map_err(|e| AppError::Internal(format!("chat export: {e}")))?;
            Ok(download(
                "application/json",
                format_args!("gespraech-{id}.json"),
                body,
            ))
        }
        _ => Err(AppError::invalid("format", "Das Format ist „md“ oder „json“.").into()),
    }
}

/// The conversation as Markdown: each question and answer under its own
/// heading, with the notice that the answers come from an AI system.
fn markdown(turns: &[ChatTurn]) -> String {
    let mut out = String::from(
        "# Gespräch mit dem KI-Assistenten\n\n\
         Die Antworten hat ein KI-System erzeugt; prüfen Sie sie, bevor Sie sie verwenden.\n",
    );
    for t in turns {
        out.push_str(&format!(
            "\n## Frage ({})\n\n{}\n\n## Antwort (KI, Modell {})\n\n{}\n",
            format_time(t.at),
            t.question.trim(),
            t.model,
            t.answer.trim()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_export_names_each_question_and_answer_and_the_ai_notice() {
        let turns = vec![ChatTurn {
            question: "Wann ist offen?".into(),
            answer: "Montags **8 bis 16 Uhr**.".into(),
            model: "klein".into(),
            data_class: "internal".into(),
            at: 0,
        }];
        let md = markdown(&turns);
        assert!(md.starts_with("# Gespräch mit dem KI-Assistenten\n"));
        assert!(md.contains("KI-System erzeugt"));
        assert!(md.contains("\n## Frage (01.01.1970, 01:00 Uhr)\n\nWann ist offen?\n"));
        assert!(md.contains("\n## Antwort (KI, Modell klein)\n\nMontags **8 bis 16 Uhr**.\n"));
    }
}
