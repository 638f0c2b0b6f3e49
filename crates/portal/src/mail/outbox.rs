//! The background job that empties the mail outbox: every
//! `batch_interval` it takes up to `batch_size` due messages and sends
//! them, so a thousand invitations do not flood the relay.
//!
//! Never sent twice: a message is marked `sendet` in the database before
//! its SMTP transaction (by a conditional update, so of several instances
//! only one takes it) and `gesendet` right after the server accepted it.
//! Never lost: a server that is down or answers 4xx puts the message back
//! to `wartend` with a growing pause (`retry_base`, doubling, at most an
//! hour) until `max_attempts`; only a permanent refusal (5xx, e.g. an
//! unknown mailbox) or the last attempt ends it as `fehlgeschlagen`,
//! visible in the send log with the server's answer.
//!
//! If the process dies during the SMTP transaction, the message stays
//! `sendet`, and nobody knows whether the server took it. It is not sent
//! again by itself: after [`INTERRUPTED_AFTER`] the job marks it
//! `fehlgeschlagen` with that reason, and the administration may queue it
//! again from the send log (the Message-ID is the outbox id, so a
//! duplicate is recognisable).
//!
//! Survey mails carry no link in the database: the personal link is made
//! for the batch just before sending (an older unused link of the person
//! stops working, as when creating links on the survey page). Whoever has
//! answered meanwhile gets none, and the message is `entfallen`.

use std::collections::HashMap;
use std::time::Duration;

use store::mail_outbox::OutboxMail;
use store::survey::SurveyStatus;
use store::Actor;

use super::templates::{self, Kind};
use super::transport::Outgoing;
use crate::AppState;

/// How long a message may stand in `sendet` before the job assumes its
/// sender died (well above the SMTP timeout of 30 seconds).
pub const INTERRUPTED_AFTER: i64 = 600;

const INTERRUPTED: &str = "Der Versand wurde unterbrochen (ki-reise wurde während der Übertragung beendet). Ob die E-Mail angekommen ist, ist unbekannt; sie wird deshalb nicht von selbst erneut gesendet.";

/// Queues `mails` (one audit entry) and wakes the job. Without an SMTP
/// server nothing is queued: nothing would ever send it.
pub async fn queue(
    state: &AppState,
    actor: &Actor,
    mails: &[store::mail_outbox::NewMail],
    audit_action: &str,
    audit_object: &str,
) -> store::Result<usize> {
    if state.mailer.is_none() || mails.is_empty() {
        return Ok(0);
    }
    state
        .store
        .enqueue_mails(actor, mails, audit_action, audit_object)
        .await?;
    state.mail_wake.notify_one();
    Ok(mails.len())
}

/// Starts the job when an SMTP server is configured; it runs until the
/// returned task is aborted.
pub fn spawn(state: &AppState) -> Option<tokio::task::JoinHandle<()>> {
    state.mailer.as_ref()?;
    Some(tokio::spawn(run(state.clone())))
}

async fn run(state: AppState) {
    let Some(mailer) = state.mailer.as_ref() else {
        return;
    };
    let interval = mailer.config.batch_interval;
    loop {
        let sent = match send_batch(&state).await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "mail outbox: could not read or update the queue");
                0
            }
        };
        if sent == 0 {
            // Idle: a newly queued message wakes the job at once.
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                () = state.mail_wake.notified() => {}
            }
        } else {
            tokio::time::sleep(interval).await;
        }
    }
}

/// Sends one batch; returns how many messages it took.
pub async fn send_batch(state: &AppState) -> store::Result<usize> {
    let Some(mailer) = state.mailer.as_ref() else {
        return Ok(0);
    };
    let store = &state.store;
    let given_up = store
        .give_up_interrupted_mails(store::now() - INTERRUPTED_AFTER, INTERRUPTED)
        .await?;
    if given_up > 0 {
        tracing::warn!(
            messages = given_up,
            "mail outbox: interrupted sends marked failed"
        );
    }
    let batch = store
        .claim_due_mails(mailer.config.batch_size.max(1) as i64)
        .await?;
    let taken = batch.len();
    let links = survey_links(state, &batch).await?;
    let municipality = store
        .profile()
        .await?
        .map(|(p, _)| p.name)
        .unwrap_or_default();
    for mail in batch {
        let Some((subject, body)) = compose(state, &mail, &links, &municipality).await? else {
            continue;
        };
        let calendar = attachment(state, &mail).await?;
        let outcome = mailer
            .send_message(Outgoing {
                message_id: Some(&mail.id),
                to_name: &mail.recipient_name,
                to_email: &mail.recipient_email,
                subject,
                body,
                calendar,
            })
            .await;
        match outcome {
            Ok(()) => store.mark_mail_sent(&mail.id).await?,
            Err(e) if e.permanent || mail.attempts >= mailer.config.max_attempts => {
                store.mark_mail_failed(&mail.id, &e.message).await?
            }
            Err(e) => {
                let wait = backoff(mailer.config.retry_base, mail.attempts);
                store
                    .mark_mail_retry(&mail.id, &e.message, store::now() + wait)
                    .await?
            }
        }
    }
    Ok(taken)
}

/// The calendar file of a training mail (confirmation or invitation), made at sending time from the
/// session as it is then (a changed room is in the file).
async fn attachment(
    state: &AppState,
    mail: &OutboxMail,
) -> store::Result<Option<(String, String)>> {
    let training_kinds = [
        crate::qualification::training_mail::KIND,
        templates::TRAINING_INVITATION.slug,
    ];
    if !training_kinds.contains(&mail.kind.as_str()) {
        return Ok(None);
    }
    let Some(session_id) = &mail.ref_key else {
        return Ok(None);
    };
    crate::qualification::training_mail::calendar(state, session_id).await
}

/// Seconds to wait after the `attempts`-th failure: `base`, doubling, at
/// most an hour.
pub fn backoff(base: Duration, attempts: i64) -> i64 {
    let base = base.as_secs().max(1) as i64;
    let doublings = (attempts - 1).clamp(0, 16) as u32;
    (base << doublings).min(3600)
}

/// Personal links for the survey mails of the batch, by (survey, account).
/// Those who have answered get none.
async fn survey_links(
    state: &AppState,
    batch: &[OutboxMail],
) -> store::Result<HashMap<(i64, i64), String>> {
    let mut wanted: HashMap<i64, Vec<i64>> = HashMap::new();
    for m in batch {
        if let (true, Some(survey), Some(user)) =
            (survey_kind(&m.kind).is_some(), m.ref_id, m.user_id)
        {
            wanted.entry(survey).or_default().push(user);
        }
    }
    let mut links = HashMap::new();
    let actor = Actor {
        id: None,
        name: "E-Mail-Versand".into(),
    };
    for (survey, users) in wanted {
        if state.store.survey(survey).await?.status != SurveyStatus::Open {
            continue;
        }
        for t in state
            .store
            .create_personal_tokens(&actor, survey, &users)
            .await?
        {
            let url = crate::survey::answering::participation_url(state, &t.token);
            links.insert((survey, t.user_id), url);
        }
    }
    Ok(links)
}

fn survey_kind(slug: &str) -> Option<Kind> {
    [templates::SURVEY_INVITATION, templates::SURVEY_REMINDER]
        .into_iter()
        .find(|k| k.slug == slug)
}

/// Subject and body of a claimed message, or `None` when it has become
/// pointless (then it is marked `entfallen`).
async fn compose(
    state: &AppState,
    mail: &OutboxMail,
    links: &HashMap<(i64, i64), String>,
    municipality: &str,
) -> store::Result<Option<(String, String)>> {
    if let (Some(subject), Some(body)) = (&mail.subject, &mail.body) {
        return Ok(Some((subject.clone(), body.clone())));
    }
    let Some(kind) = survey_kind(&mail.kind) else {
        state
            .store
            .mark_mail_failed(&mail.id, "Unbekannte Art von E-Mail ohne Text.")
            .await?;
        return Ok(None);
    };
    let (Some(survey_id), Some(user_id)) = (mail.ref_id, mail.user_id) else {
        state
            .store
            .mark_mail_dropped(&mail.id, "Das Konto gibt es nicht mehr.")
            .await?;
        return Ok(None);
    };
    let survey = state.store.survey(survey_id).await?;
    let Some(link) = links.get(&(survey_id, user_id)) else {
        let why = if survey.status == SurveyStatus::Open {
            "Bereits teilgenommen, keine E-Mail nötig."
        } else {
            "Die Umfrage läuft nicht mehr."
        };
        state.store.mark_mail_dropped(&mail.id, why).await?;
        return Ok(None);
    };
    let text = templates::text(&state.store, kind).await?;
    let values = [
        ("name", mail.recipient_name.as_str()),
        ("umfrage", survey.title.as_str()),
        ("kommune", municipality),
        ("link", link.as_str()),
    ];
    Ok(Some((
        templates::render(&text.subject, &values),
        templates::render(&text.body, &values),
    )))
}

#[cfg(test)]
mod tests {
    use super::backoff;
    use std::time::Duration;

    #[test]
    fn the_pause_doubles_per_attempt_up_to_an_hour() {
        let base = Duration::from_secs(60);
        assert_eq!(backoff(base, 1), 60);
        assert_eq!(backoff(base, 2), 120);
        assert_eq!(backoff(base, 4), 480);
        assert_eq!(backoff(base, 9), 3600);
        assert_eq!(backoff(base, 100), 3600);
    }
}
