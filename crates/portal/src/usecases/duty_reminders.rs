//! The daily reminder of AI Act duties by e-mail: once a day, every person
//! with duties overdue or due within [`SOON_DAYS`] gets one mail listing
//! them (from the editable template [`DUTY_REMINDER`]); a duty nobody owns
//! yet goes to everyone who may assess use cases (administration and
//! project team), so it is not forgotten.
//!
//! Exactly once a day, however many instances serve the database: the
//! day's run is recorded in `scheduled_runs` in the same transaction that
//! queues the mails (`Store::enqueue_mails_once`). The outbox then sends
//! them in its batches, retrying while the server is down.

use std::collections::BTreeMap;
use std::time::Duration;

use journey::access::Permission;
use store::mail_outbox::NewMail;
use store::usecase_duties::OverdueDuty;
use store::Actor;

use super::duties::synced_all;
use crate::error::AppError;
use crate::mail::templates::{self, DUTY_REMINDER};
use crate::AppState;

/// The name of the run in `scheduled_runs`; the period is the day (ISO).
pub const JOB: &str = "pflichten_erinnerung";

/// Duties due within this many days are named with the overdue ones.
pub const SOON_DAYS: i64 = 7;

/// The hour (UTC) from which a day's reminders go out: in the morning,
/// not at midnight.
pub const FROM_HOUR_UTC: i64 = 5;

/// How often the job in `serve` looks whether the day's run is due.
const CHECK_EVERY: Duration = Duration::from_secs(15 * 60);

/// What a run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// No SMTP server: nothing queued, and the day not recorded, so the
    /// reminders go out once one is configured.
    NoMail,
    /// Another run (this or another instance) did the day already.
    AlreadyDone,
    /// The day's run: this many mails queued (possibly none).
    Queued(usize),
}

/// One person to remind and their duties.
struct Recipient {
    user_id: i64,
    name: String,
    email: String,
    duties: Vec<OverdueDuty>,
}

/// The reminders for `today` (ISO; passed in so a test can choose it).
pub async fn run(state: &AppState, today: &str) -> Result<Outcome, AppError> {
    if state.mailer.is_none() {
        return Ok(Outcome::NoMail);
    }
    // Cheap check first: the other instances need not read every use case.
    if state.store.scheduled_run_done(JOB, today).await? {
        return Ok(Outcome::AlreadyDone);
    }
    let limit = journey::date::add_days(today, SOON_DAYS + 1)
        .ok_or_else(|| AppError::internal("Pflichten-Erinnerung", "kein gültiges Datum"))?;
    synced_all(state).await?;
    let due = state.store.open_duties_due_before(&limit).await?;
    let mails = compose(state, today, recipients(state, due).await?).await?;
    let actor = Actor {
        id: None,
        name: "Pflichten-Erinnerung".into(),
    };
    let object = format!("Pflichten am {today}");
    let queued = state
        .store
        .enqueue_mails_once(
            &actor,
            (JOB, today),
            &mails,
            "Erinnerung an Pflichten per E-Mail",
            &object,
        )
        .await?;
    Ok(match queued {
        None => Outcome::AlreadyDone,
        Some(ids) => {
            if !ids.is_empty() {
                state.mail_wake.notify_one();
            }
            Outcome::Queued(ids.len())
        }
    })
}

/// Groups the duties by whom to remind: the owner, else everyone who may
/// assess use cases. Owners without an address are skipped (the overview
/// page shows their duties).
async fn recipients(state: &AppState, due: Vec<OverdueDuty>) -> Result<Vec<Recipient>, AppError> {
    let team: Vec<_> = state
        .store
        .users()
        .await?
        .into_iter()
        .filter(|u| u.active && u.role.can(Permission::AssessUseCases))
        .collect();
    let mut by_user: BTreeMap<i64, Recipient> = BTreeMap::new();
    for d in due {
        let to: Vec<(i64, String, String)> = match (d.owner_id, &d.owner_email) {
            (Some(id), Some(email)) if !email.trim().is_empty() => {
                vec![(id, d.owner_name.clone().unwrap_or_default(), email.clone())]
            }
            (Some(_), _) => Vec::new(),
            (None, _) => team
                .iter()
                .map(|u| (u.id, u.name.clone(), u.email.clone()))
                .collect(),
        };
        for (user_id, name, email) in to {
            by_user
                .entry(user_id)
                .or_insert_with(|| Recipient {
                    user_id,
                    name,
                    email,
                    duties: Vec::new(),
                })
                .duties
                .push(d.clone());
        }
    }
    Ok(by_user.into_values().collect())
}

/// One line per duty: what, for which use case, since or until when,
/// where to enter it.
fn line(state: &AppState, d: &OverdueDuty, today: &str) -> String {
    let when = if d.due.as_str() < today {
        format!("überfällig seit {}", journey::date::german(&d.due))
    } else {
        format!("fällig am {}", journey::date::german(&d.due))
    };
    let unowned = if d.owner_id.is_none() {
        " (noch ohne Verantwortliche)"
    } else {
        ""
    };
    format!(
        "- {} – „{}“: {when}{unowned}\n  {}/anwendungsfaelle/{}/pflichten",
        d.title,
        d.use_case_title,
        state.config.public_url.trim_end_matches('/'),
        d.use_case_id
    )
}

async fn compose(
    state: &AppState,
    today: &str,
    recipients: Vec<Recipient>,
) -> Result<Vec<NewMail>, AppError> {
    if recipients.is_empty() {
        return Ok(Vec::new());
    }
    let text = templates::text(&state.store, DUTY_REMINDER).await?;
    let municipality = state
        .store
        .profile()
        .await?
        .map(|(p, _)| p.name)
        .unwrap_or_default();
    let overview = format!(
        "{}/anwendungsfaelle/pflichten",
        state.config.public_url.trim_end_matches('/')
    );
    Ok(recipients
        .into_iter()
        .map(|r| {
            let list = r
                .duties
                .iter()
                .map(|d| line(state, d, today))
                .collect::<Vec<_>>()
                .join("\n");
            let count = r.duties.len().to_string();
            let values = [
                ("name", r.name.as_str()),
                ("kommune", municipality.as_str()),
                ("anzahl", count.as_str()),
                ("pflichten", list.as_str()),
                ("link", overview.as_str()),
            ];
            NewMail {
                kind: DUTY_REMINDER.slug.into(),
                template: DUTY_REMINDER.slug.into(),
                ref_id: None,
                ref_key: Some(today.to_string()),
                user_id: Some(r.user_id),
                recipient_name: r.name.clone(),
                recipient_email: r.email.clone(),
                subject: Some(templates::render(&text.subject, &values)),
                body: Some(templates::render(&text.body, &values)),
            }
        })
        .collect())
}

/// Starts the daily job when an SMTP server is configured; it runs until
/// the returned task is aborted. It looks every quarter hour whether
/// today's reminders (from [`FROM_HOUR_UTC`]) are still to be sent.
pub fn spawn(state: &AppState) -> Option<tokio::task::JoinHandle<()>> {
    state.mailer.as_ref()?;
    let state = state.clone();
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(CHECK_EVERY);
        loop {
            tick.tick().await;
            let now = store::now();
            if now.rem_euclid(86_400) < FROM_HOUR_UTC * 3600 {
                continue;
            }
            let today = journey::date::from_unix(now);
            match run(&state, &today).await {
                Ok(Outcome::Queued(n)) => {
                    tracing::info!(mails = n, day = %today, "duty reminders queued")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "duty reminders not queued"),
            }
        }
    }))
}
