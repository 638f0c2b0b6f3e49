//! Answering a survey, by a personal link's token or a printed code, and
//! the project team typing in returned paper forms. One pipeline for the
//! answer page and the API: open the ballot behind the token (refused
//! outside the period or once used), validate, serialise, submit, map the
//! store's refusal. Nothing about an answer reaches the audit log; the
//! store keeps no link between a token and the answer it gave.

use std::sync::Arc;

use journey::survey::{self, AnswerError, Completeness, Questionnaire, ResponseInput};
use store::survey::{SubmitRefusal, Survey, SurveyStatus};

use super::questionnaire::{questionnaire_for, questionnaire_of};
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::AppState;

/// Why a token cannot answer now. Each adapter words the unknown token in
/// its own way (the page explains what to do next).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The token is unknown, used, or its survey is not open.
    UnknownOrUsed,
    /// Today lies outside the answering period; the text says when.
    OutsidePeriod(String),
}

/// What a token opens: the survey and its questionnaire (parsed once per
/// version, see [`super::questionnaire::QuestionnaireCache`]).
pub struct Ballot {
    pub survey_id: i64,
    pub questionnaire: Arc<Questionnaire>,
}

/// How an attempt to store answers ended.
#[derive(Debug)]
pub enum Outcome {
    Stored,
    /// Nothing was stored; every problem by field.
    Invalid(Vec<AnswerError>),
    Refused(Refusal),
}

/// The ballot behind a token, if the token may answer today.
pub async fn open_ballot(
    state: &AppState,
    token: &str,
) -> Result<Result<Ballot, Refusal>, AppError> {
    let Some(gate) = state.store.answer_gate(token).await? else {
        return Ok(Err(Refusal::UnknownOrUsed));
    };
    if let Some(text) = outside_days(gate.answer_from.as_deref(), gate.answer_until.as_deref()) {
        return Ok(Err(Refusal::OutsidePeriod(text)));
    }
    Ok(Ok(Ballot {
        survey_id: gate.id,
        questionnaire: questionnaire_for(state, &gate).await?,
    }))
}

/// Submits complete answers once; the token is used up with them.
pub async fn submit(
    state: &AppState,
    token: &str,
    ballot: &Ballot,
    input: &ResponseInput,
) -> Result<Outcome, AppError> {
    let response =
        match survey::validate_response(&ballot.questionnaire, input, Completeness::Complete) {
            Ok(r) => r,
            Err(errors) => return Ok(Outcome::Invalid(errors)),
        };
    let json = serde_json::to_string(&response)
        .map_err(|e| AppError::internal("serialise an answer", e))?;
    Ok(
        match state
            .store
            .submit_response(ballot.survey_id, token, &json)
            .await?
        {
            Ok(()) => Outcome::Stored,
            Err(SubmitRefusal::TokenUnknownOrUsed | SubmitRefusal::NotOpen) => {
                Outcome::Refused(Refusal::UnknownOrUsed)
            }
        },
    )
}

/// Keeps unfinished answers under the token, replacing what was kept.
/// Required questions may stay open, wrong answers are refused. Drafts are
/// kept as form pairs so the page and the API continue each other's: the
/// page passes the fields as typed (`form`), the API the checked answers.
pub async fn keep_draft(
    state: &AppState,
    token: &str,
    ballot: &Ballot,
    input: &ResponseInput,
    form: Option<&[(String, String)]>,
) -> Result<Outcome, AppError> {
    let response =
        match survey::validate_response(&ballot.questionnaire, input, Completeness::Draft) {
            Ok(r) => r,
            Err(errors) => return Ok(Outcome::Invalid(errors)),
        };
    let pairs = match form {
        Some(pairs) => pairs
            .iter()
            .filter(|(k, _)| !k.starts_with('_'))
            .cloned()
            .collect(),
        None => response.form_pairs(),
    };
    let json = serde_json::to_string(&pairs)
        .map_err(|e| AppError::internal("serialise a draft answer", e))?;
    Ok(if state.store.save_survey_draft(token, &json).await? {
        Outcome::Stored
    } else {
        Outcome::Refused(Refusal::UnknownOrUsed)
    })
}

/// The unfinished answers kept under a token, as form pairs. A draft that
/// cannot be read is logged and treated as none: the person starts again
/// rather than being locked out.
pub async fn kept_draft(
    state: &AppState,
    token: &str,
) -> Result<Option<Vec<(String, String)>>, AppError> {
    let Some(json) = state.store.survey_draft(token).await? else {
        return Ok(None);
    };
    match serde_json::from_str(&json) {
        Ok(pairs) => Ok(Some(pairs)),
        Err(e) => {
            tracing::warn!(error = %e, "unreadable survey draft ignored");
            Ok(None)
        }
    }
}

/// Why paper answers are not taken for a survey that is not running.
pub const PAPER_NOT_OPEN: &str =
    "Papierantworten lassen sich nur erfassen, solange die Umfrage läuft.";

/// The survey paper answers go to, if it runs.
pub async fn paper_survey(state: &AppState, id: i64) -> Result<Survey, AppError> {
    let survey = state.store.survey(id).await?;
    if survey.status != SurveyStatus::Open {
        return Err(AppError::Conflict(PAPER_NOT_OPEN.into()));
    }
    Ok(survey)
}

/// Stores the answers of one returned paper form, checked like a draft
/// (what is on paper counts, empty or not). The audit log notes the entry,
/// never its content.
pub async fn submit_paper(
    state: &AppState,
    cu: &CurrentUser,
    survey: &Survey,
    input: &ResponseInput,
) -> Result<Outcome, AppError> {
    let q = questionnaire_of(survey)?;
    let response = match survey::validate_response(&q, input, Completeness::Draft) {
        Ok(r) => r,
        Err(errors) => return Ok(Outcome::Invalid(errors)),
    };
    let json = serde_json::to_string(&response)
        .map_err(|e| AppError::internal("serialise a paper answer", e))?;
    Ok(
        match state
            .store
            .submit_paper_response(&cu.actor(), survey.id, &json)
            .await?
        {
            Ok(()) => Outcome::Stored,
            Err(SubmitRefusal::NotOpen | SubmitRefusal::TokenUnknownOrUsed) => {
                Outcome::Refused(Refusal::UnknownOrUsed)
            }
        },
    )
}

/// Codes printed at once, at most.
pub const MAX_CODES: usize = 2000;

/// The address of a personal link.
pub fn participation_url(state: &AppState, token: &str) -> String {
    format!(
        "{}/teilnahme/{token}",
        state.config.public_url.trim_end_matches('/')
    )
}

/// Why answers are not taken today, if the survey has a period and today
/// lies outside it.
pub fn outside_period(survey: &Survey) -> Option<String> {
    outside_days(
        survey.answer_from.as_deref(),
        survey.answer_until.as_deref(),
    )
}

/// [`outside_period`] for the first and last day of a period.
pub fn outside_days(answer_from: Option<&str>, answer_until: Option<&str>) -> Option<String> {
    let today = journey::date::today();
    let german = journey::date::german;
    if let Some(from) = answer_from.filter(|f| today.as_str() < *f) {
        return Some(format!(
            "Die Umfrage beginnt am {}. Bitte öffnen Sie Ihren Link dann noch einmal.",
            german(from)
        ));
    }
    if let Some(until) = answer_until.filter(|u| today.as_str() > *u) {
        return Some(format!(
            "Die Umfrage lief bis zum {}. Antworten sind nicht mehr möglich.",
            german(until)
        ));
    }
    None
}

/// The privacy notice filled from the profile, as headings and paragraphs.
pub async fn privacy_notice(state: &AppState, k: i64) -> Result<Vec<(bool, String)>, AppError> {
    let profile = state.store.profile().await?.map(|(p, _)| p);
    let kommune = profile
        .as_ref()
        .map_or_else(|| "Die Verwaltung".to_string(), |p| p.name.clone());
    let dpo = profile
        .as_ref()
        .map(|p| p.dpo_contact.clone())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "Siehe Aushang der Verwaltung.".into());
    // The Land (from the AGS) decides which authority supervises.
    let authority = profile
        .as_ref()
        .and_then(|p| journey::land::land_of_ags(&p.ags))
        .map_or_else(
            || "die Datenschutzaufsicht Ihres Landes".to_string(),
            |land| format!("{}, {}", land.authority, land.url),
        );
    let mut text = survey::PRIVACY_NOTICE.default_text.to_string();
    for (key, value) in [
        ("kommune", kommune.clone()),
        ("verantwortlich", kommune.clone()),
        ("datenschutzbeauftragte", dpo),
        ("rechtsgrundlage", "Art. 6 Abs. 1 lit. e DSGVO in Verbindung mit dem Landesrecht zum Beschäftigtendatenschutz".into()),
        ("betrieb", kommune),
        ("loeschfrist", "ein Jahr nach Abschluss der Umfrage".into()),
        ("aufsichtsbehoerde", authority),
        ("mindestgruppe", k.to_string()),
    ] {
        text = text
            .replace(&format!("{{{{ {key} }}}}"), &value)
            .replace(&format!("{{{{{key}}}}}"), &value);
    }
    Ok(text
        .split("\n\n")
        .map(|block| block.trim())
        .filter(|b| !b.is_empty())
        .map(|block| {
            let heading = block.starts_with('#');
            let plain = block
                .trim_start_matches('#')
                .replace("**", "")
                .replace('*', "")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            let plain = plain
                .strip_prefix("- ")
                .map(|s| s.to_string())
                .unwrap_or(plain);
            (heading, plain.replace(" - ", " – "))
        })
        .collect())
}

/// `YYYY-MM-DD` as a real calendar date, or a German error naming `field`.
fn date(field: &str, label: &str, text: &str) -> Result<Option<String>, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text, &format)
        .map(|_| Some(text.to_string()))
        .map_err(|_| {
            AppError::invalid(
                field,
                format!("{label} „{text}“ ist kein Datum; bitte als JJJJ-MM-TT angeben, z. B. 2026-12-01."),
            )
        })
}

/// The first and last day of an answering period as typed (empty: no
/// limit), checked as dates and in order; errors name `answer_from` or
/// `answer_until`.
pub fn checked_period(
    from: &str,
    until: &str,
) -> Result<(Option<String>, Option<String>), AppError> {
    let from = date("answer_from", "Der erste Tag", from)?;
    let until = date("answer_until", "Der letzte Tag", until)?;
    if let (Some(f), Some(u)) = (&from, &until) {
        if f > u {
            return Err(AppError::invalid(
                "answer_until",
                "Der letzte Tag liegt vor dem ersten. Nichts wurde gespeichert.",
            ));
        }
    }
    Ok((from, until))
}

/// A logged-in person takes part: a fresh personal link's token (an older
/// unused one stops working). Refused (409) outside an open survey and for
/// someone who has answered already.
pub async fn own_token(state: &AppState, cu: &CurrentUser, id: i64) -> Result<String, AppError> {
    let survey = state.store.survey(id).await?;
    if survey.status != SurveyStatus::Open {
        return Err(AppError::Conflict("Diese Umfrage läuft nicht.".into()));
    }
    let tokens = state
        .store
        .create_personal_tokens(&cu.actor(), id, &[cu.user.id])
        .await?;
    match tokens.into_iter().next() {
        Some(t) => Ok(t.token),
        None => Err(AppError::Conflict(
            "Sie haben an dieser Umfrage bereits teilgenommen. Vielen Dank!".into(),
        )),
    }
}
