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
use axum::http::header;
use axum::response::Response;
use axum::Form;
use journey::access::Permission;
use journey::qualification::badge::{self, BadgeContent};
use journey::qualification::evidence::Art4Report;
use journey::qualification::ical;
use journey::qualification::training::{EnrolmentStatus, Session};

use crate::auth::{ensure_session, CurrentUser, Identity};
use crate::download::download;
use crate::error::{AppError, PageError};
use crate::form::Fields;
use crate::qualification::catalogue::{invalid, model};
use crate::qualification::evidence::build_report;
use crate::qualification::page::{flashed, render_form, NAV};
use crate::view::render;
use crate::view::Layout;
use crate::AppState;

fn can_manage(cu: &CurrentUser) -> bool {
    cu.user.role.can(Permission::ManageQualification)
}

fn host(state: &AppState) -> String {
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
#[template(path = "qualification_sessions.html")]
struct SessionsPage {
    layout: Layout,
    sessions: Vec<SessionRow>,
    offers: Vec<(String, String)>,
    can_manage: bool,
    form_error: String,
}

async fn sessions_page(
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
                s.session.starts_at.replace('T', " "),
                s.session.ends_at.replace('T', " ")
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

pub fn parse_session(fields: &Fields) -> Session {
    let text = |n: &str| fields.get(n).trim().to_string();
    let url = text("online_url");
    Session {
        id: format!("t-{}", store::random_token(4)),
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
    if let Err(e) = session.validate() {
        return sessions_page(&state, &cu, None, e.to_string()).await;
    }
    if let Ok(offer) = state.store.offer(&session.offer).await {
        if offer.archived {
            let message = format!(
                "„{}“ ist archiviert; für archivierte Angebote gibt es keine neuen Termine.",
                offer.offer.title
            );
            return sessions_page(&state, &cu, None, message).await;
        }
    }
    match state.store.create_training(&cu.actor(), &session).await {
        Ok(_) => {
            sessions_page(
                &state,
                &cu,
                Some(("ok", format!("Termin „{}“ angelegt.", session.title))),
                String::new(),
            )
            .await
        }
        Err(e) => sessions_page(&state, &cu, None, AppError::from(e).to_string()).await,
    }
}

pub struct EnrolmentRow {
    pub user_id: i64,
    pub name: String,
    pub department: String,
    pub status: &'static str,
}

#[derive(Template)]
#[template(path = "qualification_session.html")]
struct SessionPage {
    layout: Layout,
    session: Session,
    seats: String,
    mine: String,
    enrolments: Vec<EnrolmentRow>,
    people: Vec<(i64, String)>,
    can_manage: bool,
    can_enrol: bool,
    enrolled: bool,
}

async fn session_page(
    state: &AppState,
    cu: &CurrentUser,
    id: &str,
    flash: Option<(&'static str, String)>,
) -> Result<Response, PageError> {
    let record = state.store.training(id).await?;
    let enrolments = state.store.enrolments(Some(id), None).await?;
    let mine = enrolments.iter().find(|e| e.user_id == cu.user.id);
    let manage = can_manage(cu);
    let layout = flashed(
        Layout::for_user(state, cu, &record.session.title, NAV).await,
        flash,
    );
    render(&SessionPage {
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
                .map(|e| EnrolmentRow {
                    user_id: e.user_id,
                    name: e.user_name.clone(),
                    department: e.department.clone().unwrap_or_default(),
                    status: e.status.label(),
                })
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
        session: record.session,
    })
}

pub async fn session(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    session_page(&state, &cu, &id, None).await
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

fn parse_user_id(raw: &str) -> Result<i64, AppError> {
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
    let flash = match state.store.enrol(&cu.actor(), &id, user).await {
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
    let user = parse_user_id(fields.get("user_id"))?;
    let status = EnrolmentStatus::parse(fields.get("status"))
        .ok_or_else(|| AppError::invalid("status", "Unbekannter Status."))?;
    let record = state.store.training(&id).await?;
    let completed_on = record
        .session
        .starts_at
        .get(..10)
        .unwrap_or_default()
        .to_string();
    let flash = match state
        .store
        .set_enrolment_status(&cu.actor(), &id, user, status, &completed_on)
        .await
    {
        Ok(()) => ("ok", format!("Status „{}“ erfasst.", status.label())),
        Err(e) => ("error", AppError::from(e).to_string()),
    };
    session_page(&state, &cu, &id, Some(flash)).await
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

// ---------------------------------------------------------------------------
// Credentials.

pub struct CredentialRow {
    pub id: String,
    pub title: String,
    pub person: String,
    pub issued: String,
}

#[derive(Template)]
#[template(path = "qualification_credentials.html")]
struct CredentialsPage {
    layout: Layout,
    credentials: Vec<CredentialRow>,
    people: Vec<(i64, String)>,
    paths: Vec<(String, String)>,
    can_manage: bool,
}

async fn credentials_page(
    state: &AppState,
    cu: &CurrentUser,
    flash: Option<(&'static str, String)>,
) -> Result<Response, PageError> {
    let manage = can_manage(cu);
    let users = state.store.users().await?;
    let name = |id: i64| {
        users
            .iter()
            .find(|u| u.id == id)
            .map_or(String::new(), |u| u.name.clone())
    };
    let credentials = state
        .store
        .credentials(if manage { None } else { Some(cu.user.id) })
        .await?
        .into_iter()
        .map(|c| CredentialRow {
            person: name(c.user_id),
            issued: crate::view::format_time(c.issued_at),
            id: c.id,
            title: c.title,
        })
        .collect();
    let failed = matches!(flash, Some(("error", _)));
    let layout = flashed(Layout::for_user(state, cu, "Nachweise", NAV).await, flash);
    render_form(
        &CredentialsPage {
            layout,
            credentials,
            people: if manage {
                users
                    .iter()
                    .filter(|u| u.active)
                    .map(|u| (u.id, u.name.clone()))
                    .collect()
            } else {
                Vec::new()
            },
            paths: state
                .store
                .paths()
                .await?
                .into_iter()
                .map(|p| (p.id, p.title))
                .collect(),
            can_manage: manage,
        },
        failed,
    )
}

pub async fn credentials(
    State(state): State<AppState>,
    cu: CurrentUser,
) -> Result<Response, PageError> {
    credentials_page(&state, &cu, None).await
}

/// Issues an Open Badge for a completed learning path, signed with the
/// instance key. Refused, naming the open steps, while the path is not done.
pub async fn issue(
    state: &AppState,
    cu: &CurrentUser,
    user_id: i64,
    path_id: &str,
) -> Result<store::qualification::CredentialRecord, AppError> {
    let model = model(state).await?;
    let path = state
        .store
        .paths()
        .await?
        .into_iter()
        .find(|p| p.id == path_id)
        .ok_or_else(|| {
            AppError::invalid("path", format!("Den Lernpfad „{path_id}“ gibt es nicht."))
        })?;
    let person = state.store.user(user_id).await?;
    let completions = state.store.completions(user_id).await?;
    let done: Vec<&str> = completions.iter().map(|c| c.offer.as_str()).collect();
    let missing = path.missing_steps(&done);
    if !missing.is_empty() {
        return Err(AppError::invalid(
            "path",
            format!(
                "{} hat den Lernpfad „{}“ noch nicht abgeschlossen; offen: {}.",
                person.name,
                path.title,
                missing
                    .iter()
                    .map(|s| format!("„{}“", s.title))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let base = state.config.public_url.trim_end_matches('/').to_string();
    let id = format!("nw-{}", store::random_token(8));
    let issuer_name = state
        .store
        .profile()
        .await?
        .map_or_else(|| "ki-reise".to_string(), |(p, _)| p.name);
    let now = store::now();
    let content = BadgeContent {
        credential_id: format!("{base}/qualifizierung/nachweise/{id}"),
        issuer_url: format!("{base}/"),
        issuer_name,
        achievement_id: format!("{base}/qualifizierung/lernpfade#{}", path.id),
        achievement_name: path.title.clone(),
        achievement_description: if path.description.is_empty() {
            path.title.clone()
        } else {
            path.description.clone()
        },
        criteria: format!(
            "Alle Schritte des Lernpfads abgeschlossen: {}.",
            path.steps
                .iter()
                .map(|s| s.title.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        alignments: path
            .targets
            .iter()
            .map(|(area, level)| {
                let name = model.area(area).map_or(area.clone(), |a| a.name.clone());
                let level_name = model
                    .levels
                    .iter()
                    .find(|l| l.level == *level)
                    .map_or(format!("Stufe {level}"), |l| {
                        format!("Stufe {level} ({})", l.name)
                    });
                (
                    name,
                    level_name,
                    format!(
                        "{}#{area}-{level}",
                        crate::qualification::page::framework_url(state)
                    ),
                )
            })
            .collect(),
        framework: model.title.clone(),
        recipient_name: person.name.clone(),
        valid_from: ical::rfc3339(now),
    };
    let seed = state.store.signing_key_seed().await?;
    let signed = badge::sign(
        &badge::credential(&content),
        &badge::signing_key(&seed),
        &ical::rfc3339(now),
    )
    .map_err(invalid)?;
    let record = store::qualification::CredentialRecord {
        id,
        user_id,
        path_id: path.id.clone(),
        title: path.title.clone(),
        document: serde_json::to_string_pretty(&signed).unwrap_or_default(),
        issued_at: now,
    };
    state.store.save_credential(&cu.actor(), &record).await?;
    Ok(record)
}

pub async fn issue_form(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    let user = parse_user_id(fields.get("user_id"))?;
    let flash = match issue(&state, &cu, user, fields.get("path").trim()).await {
        Ok(c) => (
            "ok",
            format!("Nachweis „{}“ ausgestellt ({}).", c.title, c.id),
        ),
        Err(e) => ("error", e.to_string()),
    };
    credentials_page(&state, &cu, Some(flash)).await
}

async fn own_credential(
    state: &AppState,
    cu: &CurrentUser,
    id: &str,
) -> Result<store::qualification::CredentialRecord, AppError> {
    let record = state.store.credential(id).await?;
    if record.user_id != cu.user.id && !can_manage(cu) {
        return Err(AppError::NotFound);
    }
    Ok(record)
}

pub async fn badge_json(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let record = own_credential(&state, &cu, &id).await?;
    Ok(download(
        "application/json",
        format!("{id}.json"),
        record.document,
    ))
}

#[derive(Template)]
#[template(path = "qualification_certificate.html")]
struct CertificatePage {
    layout: Layout,
    id: String,
    title: String,
    person: String,
    issuer: String,
    issued: String,
    criteria: String,
}

pub async fn certificate(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let record = own_credential(&state, &cu, &id).await?;
    let doc: serde_json::Value = serde_json::from_str(&record.document).unwrap_or_default();
    let text = |p: &str| {
        doc.pointer(p)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    render(&CertificatePage {
        layout: Layout::for_user(&state, &cu, "Teilnahmezertifikat", NAV).await,
        title: record.title,
        person: text("/credentialSubject/identifier/0/identityHash"),
        issuer: text("/issuer/name"),
        issued: crate::view::format_time(record.issued_at),
        criteria: text("/credentialSubject/achievement/criteria/narrative"),
        id: record.id,
    })
}

#[derive(Template)]
#[template(path = "qualification_verify.html")]
struct VerifyPage {
    layout: Layout,
    did: String,
    result: Option<(bool, String)>,
}

async fn verify_page(
    state: &AppState,
    identity: &Identity,
    result: Option<(bool, String)>,
) -> Result<Response, PageError> {
    let (csrf, cookie) = ensure_session(state, identity).await?;
    let seed = state.store.signing_key_seed().await?;
    let mut response = render(&VerifyPage {
        layout: Layout::anonymous("Nachweis prüfen", csrf),
        did: badge::public_did(&seed),
        result,
    })?;
    if let Some(cookie) = cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

pub async fn verify_form(
    State(state): State<AppState>,
    identity: Identity,
) -> Result<Response, PageError> {
    verify_page(&state, &identity, None).await
}

pub async fn verify(
    State(state): State<AppState>,
    identity: Identity,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    let seed = state.store.signing_key_seed().await?;
    let result = match serde_json::from_str::<serde_json::Value>(fields.get("badge")) {
        Err(e) => (false, format!("Das ist kein JSON-Dokument: {e}")),
        Ok(doc) => match badge::verify_with_seed(&doc, &seed) {
            Ok(v) => (
                true,
                format!(
                    "Gültig: „{}“, ausgestellt von {} am {}.",
                    v.name, v.issuer, v.valid_from
                ),
            ),
            Err(e) => (false, e.to_string()),
        },
    };
    verify_page(&state, &identity, Some(result)).await
}

// ---------------------------------------------------------------------------
// Art. 4 evidence.

pub struct GroupRow {
    pub department: String,
    pub role: String,
    pub persons: usize,
    pub fully: usize,
    pub coverage: String,
    pub open: String,
}

pub struct PersonRow {
    pub department: String,
    pub role: String,
    pub name: String,
    pub completed: String,
    pub credentials: String,
    pub targets: String,
    pub open: String,
}

#[derive(Template)]
#[template(path = "qualification_report.html")]
struct ReportPage {
    layout: Layout,
    title: String,
    generated_on: String,
    groups: Vec<GroupRow>,
    persons: Vec<PersonRow>,
}

pub async fn report(State(state): State<AppState>, cu: CurrentUser) -> Result<Response, PageError> {
    let model = model(&state).await?;
    let report = build_report(&state, &cu).await?;
    let role = |id: &str| {
        model
            .role_profile(id)
            .map_or(id.to_string(), |r| r.name.clone())
    };
    let area = |id: &str| {
        model
            .area(id)
            .map_or(id.to_string(), |a| a.short_name.clone())
    };
    render(&ReportPage {
        layout: Layout::for_user(&state, &cu, "Nachweis Art. 4", NAV).await,
        groups: report
            .groups
            .iter()
            .map(|g| GroupRow {
                department: g.department.clone(),
                role: role(&g.role),
                persons: g.persons,
                fully: g.fully_covered,
                coverage: journey::qualification::rubric::format_number(g.coverage_percent),
                open: g
                    .open_by_area
                    .iter()
                    .map(|(a, n)| format!("{} ({n})", area(a)))
                    .collect::<Vec<_>>()
                    .join(", "),
            })
            .collect(),
        persons: report
            .persons
            .iter()
            .map(|p| PersonRow {
                department: p.department.clone(),
                role: role(&p.role),
                name: p.name.clone(),
                completed: p.completed.join("; "),
                credentials: p.credentials.join("; "),
                targets: format!("{} von {}", p.targets_met, p.targets),
                open: p
                    .open
                    .iter()
                    .map(|g| format!("{} {}→{}", area(&g.area), g.level, g.target))
                    .collect::<Vec<_>>()
                    .join(", "),
            })
            .collect(),
        title: report.title,
        generated_on: report.generated_on,
    })
}

/// Title, municipality and date of the report for its HTML and ODT files.
async fn report_meta(
    state: &AppState,
    report: &Art4Report,
) -> Result<documents::DocMeta, AppError> {
    let mut meta = documents::DocMeta::new(report.title.clone());
    meta.subtitle =
        Some("Nachweis der Maßnahmen zur KI-Kompetenz nach Art. 4 KI-Verordnung".into());
    meta.author = state.store.profile().await?.map(|(p, _)| p.name);
    meta.date = Some(report.generated_on.clone());
    Ok(meta)
}

pub async fn report_export(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(format): Path<String>,
) -> Result<Response, PageError> {
    let model = model(&state).await?;
    let report = build_report(&state, &cu).await?;
    let (content_type, name, body) = match format.as_str() {
        "csv" => (
            "text/csv; charset=utf-8",
            "nachweis-art4.csv",
            report.to_csv(&model).into_bytes(),
        ),
        "md" => (
            "text/markdown; charset=utf-8",
            "nachweis-art4.md",
            report.to_markdown(&model).into_bytes(),
        ),
        "html" => (
            "text/html; charset=utf-8",
            "nachweis-art4.html",
            documents::html::document(
                &report.to_markdown(&model),
                &report_meta(&state, &report).await?,
            )
            .into_bytes(),
        ),
        "odt" => (
            documents::odt::MIME_TYPE,
            "nachweis-art4.odt",
            documents::odt::to_odt(
                &report.to_markdown(&model),
                &report_meta(&state, &report).await?,
            ),
        ),
        _ => return Err(AppError::NotFound.into()),
    };
    Ok(crate::documents::export_page::download(
        body,
        content_type,
        name,
    ))
}
