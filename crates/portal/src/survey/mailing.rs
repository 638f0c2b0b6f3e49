//! Survey invitations and reminders by e-mail, through the outbox.
//!
//! Anonymity as everywhere in the survey: the only thing known per person
//! is whether their personal link is still unused ("has not taken part"),
//! never what they answered. An invitation goes to every active account
//! that has not taken part; a reminder only to those who were invited and
//! have not taken part. The link itself is made when the message is sent
//! (see [`crate::mail::outbox`]), so none waits in the database.

use std::collections::HashSet;

use store::mail_outbox::{MailCounts, NewMail};
use store::survey::{Survey, SurveyStatus};

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::mail::templates::{self, Kind};
use crate::AppState;

/// Which mail to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SurveyMail {
    Invitation,
    Reminder,
}

impl SurveyMail {
    /// From the form's or the API's value (`einladung`/`invitation`, …).
    pub fn parse(s: &str) -> Option<SurveyMail> {
        match s {
            "einladung" | "invitation" => Some(SurveyMail::Invitation),
            "erinnerung" | "reminder" => Some(SurveyMail::Reminder),
            _ => None,
        }
    }

    pub fn kind(self) -> Kind {
        match self {
            SurveyMail::Invitation => templates::SURVEY_INVITATION,
            SurveyMail::Reminder => templates::SURVEY_REMINDER,
        }
    }
}

/// Queues the mails; returns how many. Refused without an SMTP server and
/// for a survey that is not running.
pub async fn queue(
    state: &AppState,
    cu: &CurrentUser,
    survey: &Survey,
    which: SurveyMail,
) -> Result<usize, AppError> {
    if state.mailer.is_none() {
        return Err(AppError::Conflict(
            "Es ist kein SMTP-Server eingerichtet, daher kann ki-reise keine E-Mails senden. Erstellen Sie die persönlichen Links und verteilen Sie sie als Serienbrief (CSV).".into(),
        ));
    }
    if survey.status != SurveyStatus::Open {
        return Err(AppError::Conflict(
            "E-Mails gibt es nur für eine laufende Umfrage. Starten Sie sie zuerst.".into(),
        ));
    }
    let kind = which.kind();
    let pending: HashSet<i64> = state
        .store
        .survey_pending_user_ids(survey.id)
        .await?
        .into_iter()
        .collect();
    let invited: HashSet<i64> = state
        .store
        .survey_invited_user_ids(survey.id)
        .await?
        .into_iter()
        .collect();
    let queued_already: HashSet<i64> = state
        .store
        .mail_pending_user_ids(kind.slug, survey.id)
        .await?
        .into_iter()
        .collect();
    let mails: Vec<NewMail> = state
        .store
        .users()
        .await?
        .into_iter()
        .filter(|u| u.active && !queued_already.contains(&u.id))
        .filter(|u| {
            let taken_part = invited.contains(&u.id) && !pending.contains(&u.id);
            match which {
                SurveyMail::Invitation => !taken_part,
                SurveyMail::Reminder => pending.contains(&u.id),
            }
        })
        .map(|u| NewMail {
            kind: kind.slug.into(),
            template: kind.slug.into(),
            ref_id: Some(survey.id),
            ref_key: None,
            user_id: Some(u.id),
            recipient_name: u.name,
            recipient_email: u.email,
            subject: None,
            body: None,
        })
        .collect();
    let action = match which {
        SurveyMail::Invitation => "Einladungen zur Umfrage versandt",
        SurveyMail::Reminder => "Erinnerungen zur Umfrage versandt",
    };
    let object = format!("Umfrage {}", survey.id);
    Ok(crate::mail::outbox::queue(state, &cu.actor(), &mails, action, &object).await?)
}

/// The sentence after queuing, for page and API.
pub fn queued_message(which: SurveyMail, n: usize) -> String {
    if n == 0 {
        return match which {
            SurveyMail::Invitation => "Niemand ist einzuladen: Alle aktiven Konten haben teilgenommen oder erhalten ihre Einladung bereits.".into(),
            SurveyMail::Reminder => "Niemand ist zu erinnern: Alle Eingeladenen haben teilgenommen oder erhalten ihre Erinnerung bereits.".into(),
        };
    }
    let what = match which {
        SurveyMail::Invitation => journey::german::count(n, "Einladung", "Einladungen"),
        SurveyMail::Reminder => journey::german::count(n, "Erinnerung", "Erinnerungen"),
    };
    format!("{what} in die Warteschlange gestellt. Sie werden nach und nach gesendet; den Stand sehen Sie hier und im E-Mail-Protokoll.")
}

/// What the survey page says about its mails.
#[derive(Debug, Clone, Default)]
pub struct MailPanel {
    /// Whether an SMTP server is configured.
    pub enabled: bool,
    pub invitations: String,
    pub reminders: String,
}

pub async fn panel(state: &AppState, survey: &Survey) -> Result<MailPanel, AppError> {
    let invitations = state
        .store
        .mail_counts(templates::SURVEY_INVITATION.slug, survey.id)
        .await?;
    let reminders = state
        .store
        .mail_counts(templates::SURVEY_REMINDER.slug, survey.id)
        .await?;
    Ok(MailPanel {
        enabled: state.mailer.is_some(),
        invitations: progress(&invitations),
        reminders: progress(&reminders),
    })
}

/// "12 von 20 gesendet, 8 wartend, 1 fehlgeschlagen".
pub fn progress(c: &MailCounts) -> String {
    if c.total() == 0 {
        return "noch keine".into();
    }
    let mut parts = vec![format!("{} von {} gesendet", c.sent, c.total())];
    if c.waiting + c.sending > 0 {
        parts.push(format!("{} wartend", c.waiting + c.sending));
    }
    if c.failed > 0 {
        parts.push(format!("{} fehlgeschlagen", c.failed));
    }
    if c.dropped > 0 {
        parts.push(format!("{} entfallen", c.dropped));
    }
    parts.join(", ")
}
