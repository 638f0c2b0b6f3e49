//! Inviting the target group of a training session by e-mail: every active
//! account (of one department, or all) that is neither enrolled nor
//! already waiting for an invitation to the session gets the editable
//! German invitation with the session's calendar file; nobody is invited
//! to the same session twice (unless the invitation failed). The mails go
//! through the outbox in its rate-limited batches; how far the sending is
//! (and what failed, with the server's answer) shows on the session page
//! and in the send log.

use std::collections::HashSet;

use journey::qualification::training::EnrolmentStatus;
use store::mail_outbox::{MailCounts, NewMail};

use super::training_mail::described;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::mail::templates::{self, TRAINING_INVITATION};
use crate::AppState;

/// Queues the invitations to `session_id` for `department` (`None`: every
/// department), skipping whoever is enrolled or invited already; returns
/// how many were queued.
pub async fn invite(
    state: &AppState,
    cu: &CurrentUser,
    session_id: &str,
    department: Option<&str>,
) -> Result<usize, AppError> {
    let session = state.store.training(session_id).await?.session;
    if state.mailer.is_none() {
        return Err(AppError::Unavailable(
            "Es ist kein E-Mail-Server eingerichtet (smtp in der Konfigurationsdatei); Einladungen können nicht gesendet werden.".into(),
        ));
    }
    let profile = state.store.profile().await?.map(|(p, _)| p);
    let department = department.map(str::trim).filter(|d| !d.is_empty());
    if let Some(d) = department {
        let known = profile
            .as_ref()
            .is_some_and(|p| p.departments.iter().any(|k| k.name == d));
        if !known {
            return Err(AppError::invalid(
                "department",
                format!("Den Fachbereich „{d}“ gibt es nicht. Bitte einen aus dem Profil wählen."),
            ));
        }
    }
    let enrolled: HashSet<i64> = state
        .store
        .enrolments(Some(session_id), None)
        .await?
        .into_iter()
        .filter(|e| e.status != EnrolmentStatus::Cancelled)
        .map(|e| e.user_id)
        .collect();
    let pending: HashSet<i64> = state
        .store
        .mail_user_ids_by_key(TRAINING_INVITATION.slug, session_id)
        .await?
        .into_iter()
        .collect();
    let text = templates::text(&state.store, TRAINING_INVITATION).await?;
    let municipality = profile.map(|p| p.name).unwrap_or_default();
    let (when, place, url) = described(state, &session);
    let mails: Vec<NewMail> = state
        .store
        .users()
        .await?
        .into_iter()
        .filter(|u| u.active && !enrolled.contains(&u.id) && !pending.contains(&u.id))
        .filter(|u| department.is_none() || u.department.as_deref() == department)
        .map(|u| {
            let values = [
                ("name", u.name.as_str()),
                ("kommune", municipality.as_str()),
                ("schulung", session.title.as_str()),
                ("zeit", when.as_str()),
                ("ort", place.as_str()),
                ("link", url.as_str()),
            ];
            NewMail {
                kind: TRAINING_INVITATION.slug.into(),
                template: TRAINING_INVITATION.slug.into(),
                ref_id: None,
                ref_key: Some(session.id.clone()),
                user_id: Some(u.id),
                recipient_name: u.name.clone(),
                recipient_email: u.email.clone(),
                subject: Some(templates::render(&text.subject, &values)),
                body: Some(templates::render(&text.body, &values)),
            }
        })
        .collect();
    let object = format!("Termin {}", session.id);
    Ok(crate::mail::outbox::queue(
        state,
        &cu.actor(),
        &mails,
        "Zur Schulung per E-Mail eingeladen",
        &object,
    )
    .await?)
}

/// "12 Einladungen: 10 gesendet, 1 wartend, 1 fehlgeschlagen", or empty
/// when none was sent for the session.
pub fn progress(c: &MailCounts) -> String {
    if c.total() == 0 {
        return String::new();
    }
    let mut parts = vec![format!("{} gesendet", c.sent)];
    if c.waiting + c.sending > 0 {
        parts.push(format!("{} wartend", c.waiting + c.sending));
    }
    if c.failed > 0 {
        parts.push(format!(
            "{} fehlgeschlagen (Gründe im E-Mail-Protokoll)",
            c.failed
        ));
    }
    format!("{} Einladungen: {}", c.total(), parts.join(", "))
}

/// The sending progress of `session_id`'s invitations.
pub async fn progress_of(state: &AppState, session_id: &str) -> Result<String, AppError> {
    let counts = state
        .store
        .mail_counts_by_key(TRAINING_INVITATION.slug, session_id)
        .await?;
    Ok(progress(&counts))
}

/// The message after inviting, as page and API say it.
pub fn queued_message(queued: usize) -> String {
    match queued {
        0 => "Niemand neu einzuladen: Alle sind angemeldet oder schon eingeladen.".into(),
        1 => "1 Einladung in die Warteschlange gestellt; sie wird im Hintergrund gesendet.".into(),
        n => format!("{n} Einladungen in die Warteschlange gestellt; sie werden im Hintergrund in Gruppen gesendet."),
    }
}
