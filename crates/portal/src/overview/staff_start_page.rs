//! The start page of staff (role Beschäftigte): what they are asked to do,
//! not the project team's checklist. The survey they may answer (and
//! whether they have, as far as their personal link tells), the trainings
//! they are booked on, the assistant and the rules that bind them.

use askama::Template;
use axum::response::Response;
use journey::access::Permission;
use journey::qualification::training::{EnrolmentStatus, Session};
use store::survey::SurveyStatus;

use crate::auth::CurrentUser;
use crate::documents::review_status::{tasks_for, Task};
use crate::error::PageError;
use crate::view::{render, Layout};
use crate::AppState;

pub struct SurveyItem {
    pub id: i64,
    pub title: String,
    /// Answered through a personal link (a paper code leaves no trace).
    pub answered: bool,
    /// `bis 31.01.2027` when the survey has a last day, else empty.
    pub until: String,
}

pub struct TrainingItem {
    pub id: String,
    pub title: String,
    pub when: String,
    pub place: String,
    pub status: &'static str,
    pub past: bool,
}

#[derive(Template)]
#[template(path = "overview/staff_start.html")]
struct StaffStartPage {
    layout: Layout,
    surveys: Vec<SurveyItem>,
    trainings: Vec<TrainingItem>,
    can_chat: bool,
    /// Statements and adoptions the person's functions owe.
    tasks: Vec<Task>,
}

/// `14.01.2027, 09:00–12:00 Uhr`, or with both dates when it runs longer
/// than a day. The times are local (Europe/Berlin) as entered.
fn session_when(session: &Session) -> String {
    let split = |s: &str| {
        let (date, time) = s.split_once('T').unwrap_or((s, ""));
        (journey::date::german(date), time.to_string())
    };
    let (start_day, start_time) = split(&session.starts_at);
    let (end_day, end_time) = split(&session.ends_at);
    if start_day == end_day {
        format!("{start_day}, {start_time}–{end_time} Uhr")
    } else {
        format!("{start_day}, {start_time} Uhr bis {end_day}, {end_time} Uhr")
    }
}

async fn my_surveys(state: &AppState, user_id: i64) -> Result<Vec<SurveyItem>, PageError> {
    let mut out = Vec::new();
    for survey in state.store.surveys().await? {
        if survey.status != SurveyStatus::Open {
            continue;
        }
        // A personal link that was made and is gone has been used: that is
        // all the store keeps, and all this page tells the person herself.
        let invited = state.store.survey_invited_user_ids(survey.id).await?;
        let pending = state.store.survey_pending_user_ids(survey.id).await?;
        out.push(SurveyItem {
            id: survey.id,
            title: survey.title,
            answered: invited.contains(&user_id) && !pending.contains(&user_id),
            until: survey
                .answer_until
                .map(|d| format!("bis {}", journey::date::german(&d)))
                .unwrap_or_default(),
        });
    }
    Ok(out)
}

/// The trainings a person is booked on (not those cancelled): upcoming
/// first, each group by date.
async fn my_trainings(state: &AppState, user_id: i64) -> Result<Vec<TrainingItem>, PageError> {
    let today = journey::date::today();
    let mut booked = Vec::new();
    for enrolment in state.store.enrolments(None, Some(user_id)).await? {
        if enrolment.status == EnrolmentStatus::Cancelled {
            continue;
        }
        let session = state.store.training(&enrolment.session_id).await?.session;
        let past = session
            .ends_at
            .get(..10)
            .is_some_and(|d| d < today.as_str());
        booked.push((past, session, enrolment.status));
    }
    booked.sort_by(|a, b| (a.0, &a.1.starts_at).cmp(&(b.0, &b.1.starts_at)));
    Ok(booked
        .into_iter()
        .map(|(past, session, status)| TrainingItem {
            when: session_when(&session),
            place: if session.place.is_empty() {
                "online".into()
            } else {
                session.place.clone()
            },
            status: status.label(),
            past,
            id: session.id,
            title: session.title,
        })
        .collect())
}

pub async fn show(state: &AppState, cu: &CurrentUser) -> Result<Response, PageError> {
    render(&StaffStartPage {
        layout: Layout::for_user(state, cu, "Übersicht", "/").await,
        surveys: my_surveys(state, cu.user.id).await?,
        trainings: my_trainings(state, cu.user.id).await?,
        can_chat: cu.user.role.can(Permission::UseAssistant),
        tasks: tasks_for(state, &cu.user).await?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(starts_at: &str, ends_at: &str) -> Session {
        Session {
            id: "s".into(),
            offer: "o".into(),
            title: "t".into(),
            starts_at: starts_at.into(),
            ends_at: ends_at.into(),
            place: String::new(),
            online_url: None,
            trainer: String::new(),
            capacity: 1,
        }
    }

    #[test]
    fn a_training_reads_as_a_german_date_with_times() {
        assert_eq!(
            session_when(&session("2027-01-14T09:00", "2027-01-14T12:00")),
            "14.01.2027, 09:00–12:00 Uhr"
        );
        assert_eq!(
            session_when(&session("2027-01-14T09:00", "2027-01-15T12:00")),
            "14.01.2027, 09:00 Uhr bis 15.01.2027, 12:00 Uhr"
        );
    }
}
