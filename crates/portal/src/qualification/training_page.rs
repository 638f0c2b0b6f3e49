//! Trainings, credentials and evidence: sessions with enrolment and waiting
//! list, attendance and completion, iCalendar files, Open Badges issued for
//! completed learning paths (with a printable certificate and a public
//! verification page), and the Art. 4 report.
//!
//! Who sees what: staff their own enrolments, badges and record; the project
//! team the people of its department (all, if it has none); admins
//! everything.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Form;
use journey::access::Permission;
use journey::qualification::ical;
use journey::qualification::training::{
    next_statuses, transition_problem, EnrolmentStatus, Session,
};

use crate::auth::CurrentUser;
use crate::download::download;
use crate::error::{AppError, PageError};
use crate::form::Fields;
use crate::qualification::page::{flashed, render_form, NAV};
use crate::view::Layout;
use crate::AppState;

pub(super) fn can_manage(cu: &CurrentUser) -> bool {
    cu.user.role.can(Permission::ManageQualification)
}

pub(super) fn host(state: &AppState) -> String {
    let url = state.config.public_url.as_str();
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split(['/', ':'])
        .next()
        .unwrap_or("ki-reise")
        .to_string()
}

// ---------------------------------------------------------------------------
// Sessions.

pub struct SessionRow {
    pub id: String,
    pub title: String,
    pub when: String,
    pub place: String,
    pub seats: String,
    pub mine: String,
}

#[derive(Template)]
#[template(path = "qualification/sessions.html")]
pub(super) struct SessionsPage {
    pub(super) layout: Layout,
    pub(super) sessions: Vec<SessionRow>,
    pub(super) offers: Vec<(String, String)>,
    pub(super) can_manage: bool,
    pub(super) form_error: String,
}

pub(super) async fn sessions_page(
    state: &AppState,
    cu: &CurrentUser,
    flash: Option<(&'static str, String)>,
    form_error: String,
) -> Result<Response, PageError> {
    let mine = state.store.enrolments(None, Some(cu.user.id)).await?;
    let sessions = state
        .store
        .trainings()
        .await?
        .into_iter()
        .map(|s| SessionRow {
            mine: mine
                .iter()
                .find(|e| e.session_id == s.session.id)
                .map(|e| e.status.label().to_string())
                .unwrap_or_default(),
            id: s.session.id.clone(),
            title: s.session.title.clone(),
            when: format!(
                "{} bis {}",
                journey::german::date(&s.session.starts_at),
                journey::german::date(&s.session.ends_at)
            ),
            place: if s.session.place.is_empty() {
                "online".into()
            } else {
                s.session.place.clone()
            },
            seats: format!(
                "{} von {} belegt, {} auf der Warteliste",
                s.seats_taken, s.session.capacity, s.waiting
            ),
        })
        .collect();
    let layout = flashed(
        Layout::for_user(state, cu, "Schulungstermine", NAV).await,
        flash,
    );
    let failed = !form_error.is_empty();
    render_form(
        &SessionsPage {
            layout,
            sessions,
            offers: state
                .store
                .offers()
                .await?
                .into_iter()
                .filter(|o| !o.archived)
                .map(|o| (o.offer.id, o.offer.title))
                .collect(),
            can_manage: can_manage(cu),
            form_error,
        },
        failed,
    )
}

pub async fn sessions(
    State(state): State<AppState>,
    cu: CurrentUser,
) -> Result<Response, PageError> {
    sessions_page(&state, &cu, None, String::new()).await
}

/// A fresh id for a new session.
pub fn new_session_id() -> String {
    format!("t-{}", store::random_token(4))
}

pub fn parse_session(fields: &Fields) -> Session {
    let text = |n: &str| fields.get(n).trim().to_string();
    let url = text("online_url");
    Session {
        id: new_session_id(),
        offer: text("offer"),
        title: text("title"),
        starts_at: text("starts_at"),
        ends_at: text("ends_at"),
        place: text("place"),
        online_url: (!url.is_empty()).then_some(url),
        trainer: text("trainer"),
        capacity: text("capacity").parse().unwrap_or(0),
    }
}

pub async fn create_session(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let session = parse_session(&Fields::new(pairs));
    match create(&state, &cu, &session).await {
        Ok(()) => {
            sessions_page(
                &state,
                &cu,
                Some(("ok", format!("Termin „{}“ angelegt.", session.title))),
                String::new(),
            )
            .await
        }
        Err(e @ AppError::Internal(_)) => Err(e.into()),
        Err(AppError::Invalid { message, .. }) => {
            // The form lists every problem at once.
            let message = session.validate().err().map_or(message, |e| e.to_string());
            sessions_page(&state, &cu, None, message).await
        }
        Err(e) => sessions_page(&state, &cu, None, e.to_string()).await,
    }
}

/// Adds a training session to an offer that is in the catalogue; the
/// first problem names its field.
pub async fn create(state: &AppState, cu: &CurrentUser, session: &Session) -> Result<(), AppError> {
    if let Some((field, message)) = session.issues().into_iter().next() {
        return Err(AppError::invalid(field, message));
    }
    match state.store.offer(&session.offer).await {
        Ok(offer) if offer.archived => {
            return Err(AppError::invalid(
                "offer",
                format!(
                    "„{}“ ist archiviert; für archivierte Angebote gibt es keine neuen Termine.",
                    offer.offer.title
                ),
            ))
        }
        Ok(_) => {}
        Err(store::StoreError::NotFound) => {
            return Err(AppError::invalid(
                "offer",
                format!("Das Lernangebot „{}“ gibt es nicht.", session.offer),
            ))
        }
        Err(e) => return Err(e.into()),
    }
    state.store.create_training(&cu.actor(), session).await?;
    Ok(())
}

pub struct EnrolmentRow {
    pub user_id: i64,
    pub name: String,
    pub department: String,
    pub status: &'static str,
    /// The statuses that may be recorded now: (key, label).
    pub options: Vec<(&'static str, &'static str)>,
    /// When completion or attendance comes later, and from when.
    pub hint: String,
    /// Why the last change for this person was refused.
    pub error: String,
}

/// Local time now in the form sessions are stored in.
fn local_now() -> String {
    journey::german::local_date_time(store::now())
}

fn enrolment_row(
    e: &store::qualification::EnrolmentRecord,
    session: &Session,
    now: &str,
    error: Option<&(i64, String)>,
) -> EnrolmentRow {
    let options = next_statuses(e.status, session, now);
    let hint = if e.status.holds_seat()
        && e.status != EnrolmentStatus::Completed
        && !options.contains(&EnrolmentStatus::Completed)
    {
        transition_problem(
            EnrolmentStatus::Attended,
            EnrolmentStatus::Completed,
            session,
            now,
        )
        .unwrap_or_default()
    } else {
        String::new()
    };
    EnrolmentRow {
        user_id: e.user_id,
        name: e.user_name.clone(),
        department: e.department.clone().unwrap_or_default(),
        status: e.status.label(),
        options: options.iter().map(|s| (s.key(), s.label())).collect(),
        hint,
        error: error
            .filter(|(user, _)| *user == e.user_id)
            .map(|(_, m)| m.clone())
            .unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "qualification/session.html")]
pub(super) struct SessionPage {
    pub(super) layout: Layout,
    pub(super) session: Session,
    pub(super) seats: String,
    pub(super) mine: String,
    pub(super) enrolments: Vec<EnrolmentRow>,
    pub(super) people: Vec<(i64, String)>,
    pub(super) can_manage: bool,
    pub(super) can_enrol: bool,
    pub(super) enrolled: bool,
    /// Departments to invite (only for those who manage, with SMTP).
    pub(super) departments: Vec<String>,
    pub(super) mail: bool,
    /// How far the invitations are sent; empty when none were.
    pub(super) invitations: String,
}

pub(super) async fn session_page(
    state: &AppState,
    cu: &CurrentUser,
    id: &str,
    flash: Option<(&'static str, String)>,
) -> Result<Response, PageError> {
    session_page_with(state, cu, id, flash, None).await
}

/// The session page; `error` is a refused status change (person, why),
/// shown beside that person's status list with 422.
async fn session_page_with(
    state: &AppState,
    cu: &CurrentUser,
    id: &str,
    flash: Option<(&'static str, String)>,
    error: Option<(i64, String)>,
) -> Result<Response, PageError> {
    let record = state.store.training(id).await?;
    let now = local_now();
    let enrolments = state.store.enrolments(Some(id), None).await?;
    let mine = enrolments.iter().find(|e| e.user_id == cu.user.id);
    let manage = can_manage(cu);
    let layout = flashed(
        Layout::for_user(state, cu, &record.session.title, NAV).await,
        flash,
    );
    let failed = error.is_some();
    render_form(
        &SessionPage {
            layout,
            seats: format!(
                "{} von {} Plätzen belegt, {} auf der Warteliste",
                record.seats_taken, record.session.capacity, record.waiting
            ),
            mine: mine
                .map(|e| e.status.label().to_string())
                .unwrap_or_default(),
            enrolled: mine.is_some_and(|e| e.status != EnrolmentStatus::Cancelled),
            enrolments: if manage {
                enrolments
                    .iter()
                    .map(|e| enrolment_row(e, &record.session, &now, error.as_ref()))
                    .collect()
            } else {
                Vec::new()
            },
            people: if manage {
                active_people(state).await?
            } else {
                Vec::new()
            },
            can_manage: manage,
            can_enrol: cu.user.role.can(Permission::EnrolInTrainings),
            departments: if manage {
                departments(state).await?
            } else {
                Vec::new()
            },
            mail: state.mailer.is_some(),
            invitations: if manage {
                super::invitations::progress_of(state, id).await?
            } else {
                String::new()
            },
            session: record.session,
        },
        failed,
    )
}

pub async fn session(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    session_page(&state, &cu, &id, None).await
}

/// The profile's departments, for the choice whom to invite.
async fn departments(state: &AppState) -> Result<Vec<String>, AppError> {
    Ok(state
        .store
        .profile()
        .await?
        .map(|(p, _)| p.departments.into_iter().map(|d| d.name).collect())
        .unwrap_or_default())
}

/// Id and name of every active account, for a "for whom" choice.
pub async fn active_people(state: &AppState) -> Result<Vec<(i64, String)>, AppError> {
    Ok(state
        .store
        .users()
        .await?
        .into_iter()
        .filter(|u| u.active)
        .map(|u| (u.id, u.name))
        .collect())
}

pub(super) fn parse_user_id(raw: &str) -> Result<i64, AppError> {
    raw.trim()
        .parse()
        .map_err(|_| AppError::invalid("user_id", "Bitte eine Person wählen."))
}

/// The person a form acts for: oneself, or anyone for the project team.
pub fn target_user(cu: &CurrentUser, fields: &Fields) -> Result<i64, AppError> {
    match fields.get("user_id").trim() {
        "" => Ok(cu.user.id),
        raw => {
            let id = parse_user_id(raw)?;
            if id != cu.user.id && !can_manage(cu) {
                return Err(AppError::Forbidden);
            }
            Ok(id)
        }
    }
}

pub async fn enrol(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let user = target_user(&cu, &Fields::new(pairs))?;
    let enrolled = state.store.enrol(&cu.actor(), &id, user).await;
    if let Ok(status) = enrolled {
        super::training_mail::confirm(&state, &cu.actor(), &id, user, status).await;
    }
    let flash = match enrolled {
        Ok(EnrolmentStatus::WaitingList) => ("pending", "Der Termin ist voll: Platz auf der Warteliste. Sie rücken automatisch nach, wenn ein Platz frei wird.".to_string()),
        Ok(_) => ("ok", "Angemeldet.".to_string()),
        Err(e) => ("error", AppError::from(e).to_string()),
    };
    session_page(&state, &cu, &id, Some(flash)).await
}

pub async fn cancel(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let user = target_user(&cu, &Fields::new(pairs))?;
    let promoted = state.store.cancel_enrolment(&cu.actor(), &id, user).await?;
    let message = match promoted {
        Some(_) => "Abgemeldet; die erste Person der Warteliste ist nachgerückt.",
        None => "Abgemeldet.",
    };
    session_page(&state, &cu, &id, Some(("ok", message.to_string()))).await
}

pub async fn set_status(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    // The person is a hidden field of the row: only a hand-made request
    // gets here without one, and the error page (with navigation) says so.
    let user = parse_user_id(fields.get("user_id"))?;
    let Some(status) = EnrolmentStatus::parse(fields.get("status")) else {
        let error = (
            user,
            "Bitte einen der angebotenen Status wählen.".to_string(),
        );
        return session_page_with(&state, &cu, &id, None, Some(error)).await;
    };
    match record_status(&state, &cu, &id, user, status).await? {
        Ok(()) => {
            let flash = ("ok", format!("Status „{}“ erfasst.", status.label()));
            session_page(&state, &cu, &id, Some(flash)).await
        }
        Err(message) => session_page_with(&state, &cu, &id, None, Some((user, message))).await,
    }
}

/// Records attendance or completion if the rules allow it now:
/// `Ok(Err(why not))` otherwise. Completion counts from the session's day.
pub(super) async fn record_status(
    state: &AppState,
    cu: &CurrentUser,
    id: &str,
    user: i64,
    status: EnrolmentStatus,
) -> Result<Result<(), String>, AppError> {
    let record = state.store.training(id).await?;
    let enrolments = state.store.enrolments(Some(id), Some(user)).await?;
    let Some(enrolment) = enrolments.iter().find(|e| e.user_id == user) else {
        return Ok(Err(
            "Diese Person ist für den Termin nicht angemeldet.".to_string()
        ));
    };
    if let Some(problem) =
        transition_problem(enrolment.status, status, &record.session, &local_now())
    {
        return Ok(Err(problem));
    }
    let completed_on = record
        .session
        .ends_at
        .get(..10)
        .unwrap_or_default()
        .to_string();
    match state
        .store
        .set_enrolment_status(&cu.actor(), id, user, status, &completed_on)
        .await
    {
        Ok(()) => Ok(Ok(())),
        Err(store::StoreError::Duplicate(message)) => Ok(Err(message)),
        Err(e) => Err(e.into()),
    }
}

pub async fn session_ics(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let record = state.store.training(&id).await?;
    let body = ical::calendar(
        &record.session.title,
        &[(&record.session, None)],
        &host(&state),
        store::now(),
    );
    Ok(download(
        "text/calendar; charset=utf-8",
        format!("{id}.ics"),
        body,
    ))
}

pub async fn my_ics(State(state): State<AppState>, cu: CurrentUser) -> Result<Response, PageError> {
    let mine = state.store.enrolments(None, Some(cu.user.id)).await?;
    let mut sessions = Vec::new();
    for e in &mine {
        sessions.push((state.store.training(&e.session_id).await?.session, e.status));
    }
    let events: Vec<_> = sessions.iter().map(|(s, st)| (s, Some(*st))).collect();
    let body = ical::calendar("Meine Schulungen", &events, &host(&state), store::now());
    Ok(download(
        "text/calendar; charset=utf-8",
        "meine-schulungen.ics".to_string(),
        body,
    ))
}
