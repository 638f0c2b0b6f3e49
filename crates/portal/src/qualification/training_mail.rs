//! The confirmation of a training enrolment by e-mail, with the session's
//! calendar file attached (the same `.ics` as on the session page), sent
//! through the mail outbox. The file is made when the mail is sent, from
//! the session as it stands then. Invitations to a session
//! (`invitations`) carry the same file.

use journey::qualification::training::{EnrolmentStatus, Session};
use store::mail_outbox::NewMail;
use store::Actor;

use crate::AppState;

/// The outbox's kind of these mails.
pub const KIND: &str = "schulung_anmeldung";

/// Queues the confirmation for `user_id`'s enrolment in `session_id`; a
/// failure is logged, never fatal (the enrolment stands, and the session
/// page offers the same calendar file).
pub async fn confirm(
    state: &AppState,
    actor: &Actor,
    session_id: &str,
    user_id: i64,
    status: EnrolmentStatus,
) {
    if state.mailer.is_none() {
        return;
    }
    if let Err(e) = queue(state, actor, session_id, user_id, status).await {
        tracing::warn!(error = %e, "training confirmation not queued");
    }
}

async fn queue(
    state: &AppState,
    actor: &Actor,
    session_id: &str,
    user_id: i64,
    status: EnrolmentStatus,
) -> store::Result<()> {
    let session = state.store.training(session_id).await?.session;
    let user = state.store.user(user_id).await?;
    let (when, place, url) = described(state, &session);
    let standing = if status == EnrolmentStatus::WaitingList {
        "Der Termin ist voll; Sie stehen auf der Warteliste und rücken automatisch nach, wenn ein Platz frei wird."
    } else {
        "Sie sind angemeldet."
    };
    let body = format!(
        "Guten Tag {},\n\n{standing}\n\nSchulung: {}\nZeit: {when}\nOrt: {place}\n\nDen Termin zum Eintragen in Ihren Kalender finden Sie im Anhang. Einzelheiten und Abmeldung:\n{url}\n",
        user.name, session.title
    );
    let mail = NewMail {
        kind: KIND.into(),
        template: KIND.into(),
        ref_id: None,
        ref_key: Some(session.id.clone()),
        user_id: Some(user.id),
        recipient_name: user.name.clone(),
        recipient_email: user.email.clone(),
        subject: Some(format!("Schulung: {}", session.title)),
        body: Some(body),
    };
    let object = format!("Termin {}", session.id);
    crate::mail::outbox::queue(
        state,
        actor,
        &[mail],
        "Schulungsanmeldung per E-Mail bestätigt",
        &object,
    )
    .await?;
    Ok(())
}

/// When, where, and the session's page, as the mails name them.
pub fn described(state: &AppState, session: &Session) -> (String, String, String) {
    let place = if session.place.trim().is_empty() {
        session.online_url.clone().unwrap_or_default()
    } else {
        session.place.clone()
    };
    let when = format!(
        "{} bis {} Uhr",
        session.starts_at.replace('T', ", "),
        session.ends_at.split_once('T').map_or("", |(_, t)| t)
    );
    let url = format!(
        "{}/qualifizierung/termine/{}",
        state.config.public_url.trim_end_matches('/'),
        session.id
    );
    (when, place, url)
}

/// The calendar file of `session_id` (file name, text); `None` when the
/// session is gone.
pub async fn calendar(
    state: &AppState,
    session_id: &str,
) -> store::Result<Option<(String, String)>> {
    let session = match state.store.training(session_id).await {
        Ok(record) => record.session,
        Err(store::StoreError::NotFound) => return Ok(None),
        Err(e) => return Err(e),
    };
    let ics = journey::qualification::ical::calendar(
        &session.title,
        &[(&session, None)],
        &super::training_page::host(state),
        store::now(),
    );
    Ok(Some((format!("{}.ics", session.id), ics)))
}
