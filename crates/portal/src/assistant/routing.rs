//! Where a chat message went and why: the models as staff see them, the
//! notice about personal data found before routing, and, after a refusal
//! by data class, the local model that may take the message.

use axum::response::{IntoResponse, Response};
use gateway::Gateway;
use journey::policy::{DataClass, Reach};

use crate::error::AppError;

/// Where a model runs, in the words staff use.
pub(super) fn reach_word(reach: Reach) -> &'static str {
    match reach {
        Reach::Local => "lokal",
        Reach::PrivateCloud => "Private Cloud",
        Reach::PublicCloud => "öffentlicher KI-Dienst",
    }
}

/// A model as staff see it: its readable name and where it runs, never a
/// cut-off technical id (that is the option's tooltip).
pub(super) fn model_label(m: &gateway::ModelInfo) -> String {
    format!(
        "{} · {}{}",
        m.name,
        reach_word(m.reach),
        if m.healthy { "" } else { " (gestört)" }
    )
}

/// The local model offered when a message's data class may not reach the
/// chosen model ("Lokal senden").
#[derive(Debug, Clone, serde::Serialize)]
pub(super) struct LocalOffer {
    pub id: String,
    pub label: String,
}

/// Why a message was not sent: the error, the gateway's code for it
/// (`policy_violation` when the data class may not reach the model) and,
/// for that refusal, a local model that may take the message.
pub(super) struct NotSent {
    pub error: AppError,
    pub code: Option<&'static str>,
    pub local: Option<LocalOffer>,
}

impl From<AppError> for NotSent {
    fn from(error: AppError) -> NotSent {
        NotSent {
            error,
            code: None,
            local: None,
        }
    }
}

/// The first healthy local model that the rules let `class` reach: the
/// class the message was refused with, so after personal data was found
/// it is the raised class, not the one chosen in the form.
pub(super) fn local_offer(gw: &Gateway, class: DataClass) -> Option<LocalOffer> {
    let rules = gw.rules();
    gw.models()
        .into_iter()
        .find(|m| m.reach == Reach::Local && m.healthy && rules.allows(class, m.reach))
        .map(|m| LocalOffer {
            label: model_label(&m),
            id: m.id,
        })
}

/// What the chat shows above an answer when the detector found personal
/// data: the categories (never the values), the class that applied, and
/// where the message went. Empty when nothing was found.
pub(super) fn notice(gw: &Gateway, reply: &gateway::Reply) -> String {
    let screening = &reply.screening;
    if screening.found.is_empty() {
        return String::new();
    }
    let target = gw
        .models()
        .into_iter()
        .find(|m| m.id == reply.model && m.backend == reply.backend)
        .map_or_else(|| reply.model.clone(), |m| model_label(&m));
    let why = screening.explanation().unwrap_or_else(|| {
        format!(
            "Erkannt: {}. Das passt zur angegebenen Datenklasse „{}“.",
            journey::pii::describe(&screening.found),
            screening.declared.label()
        )
    });
    format!(
        "{why} Die Nachricht ging an „{target}“, das Daten der Klasse „{}“ nach der KI-Richtlinie verarbeiten darf.",
        screening.effective.label()
    )
}

/// The error as JSON for the script. A refusal by data class carries the
/// gateway's code and the local model that may take the message, so the
/// page offers "Lokal senden" without reading the German text.
pub(super) fn not_sent(n: NotSent) -> Response {
    let Some(code) = n.code.filter(|c| *c == "policy_violation") else {
        return crate::error::ApiError(n.error).into_response();
    };
    let body = serde_json::json!({
        "error": {
            "code": code,
            "message": n.error.to_string(),
            "field": "class",
            "local_model": n.local,
        }
    });
    (n.error.status(), axum::Json(body)).into_response()
}
