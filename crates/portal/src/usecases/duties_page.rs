//! The AI Act duties of one use case as a page (owner, due date, status,
//! reason, evidence file or link, review date, one form per duty), and the
//! overview across all use cases: overdue first, who owns what, filtered
//! by owner.

use std::collections::HashMap;

use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use journey::usecase::duties::evidence::MAX_EVIDENCE_BYTES;
use journey::usecase::duties::{overview_order, DutyStatus, DutyUpdate};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::error::{AppError, PageError};
use crate::form::{FieldErrors, Fields};
use crate::text_input::Form;
use crate::usecases::duties;
use crate::usecases::duties_view::DutyRow;
use crate::usecases::page::NAV;
use crate::view::{render, Layout};
use crate::AppState;

#[derive(askama::Template)]
#[template(path = "usecases/duties.html")]
struct DutiesPage {
    layout: Layout,
    id: String,
    title: String,
    classified: bool,
    rows: Vec<DutyRow>,
    people: Vec<(i64, String)>,
    statuses: Vec<(&'static str, &'static str)>,
    can_assess: bool,
    /// The duty whose form `errors` belong to.
    error_duty: String,
    errors: FieldErrors,
    form_error: String,
    max_mb: usize,
}

/// Active accounts by name, for the owner choice; and every account's
/// name by id, for showing owners (also former ones).
async fn people(state: &AppState) -> Result<(Vec<(i64, String)>, HashMap<i64, String>), AppError> {
    let users = state.store.users().await?;
    let names = users.iter().map(|u| (u.id, u.name.clone())).collect();
    let mut active: Vec<(i64, String)> = users
        .into_iter()
        .filter(|u| u.active)
        .map(|u| (u.id, u.name))
        .collect();
    active.sort_by(|a, b| a.1.cmp(&b.1));
    Ok((active, names))
}

async fn page(state: &AppState, cu: &CurrentUser, id: &str) -> Result<DutiesPage, AppError> {
    let record = state.store.use_case(id).await?;
    let tasks = duties::synced(state, &record).await?;
    let (people, names) = people(state).await?;
    let today = journey::date::today();
    let uc = &record.use_case;
    Ok(DutiesPage {
        layout: Layout::for_user(
            state,
            cu,
            &format!("Pflichten nach der KI-Verordnung: {}", uc.intake.title),
            NAV,
        )
        .await,
        id: uc.id.clone(),
        title: uc.intake.title.clone(),
        classified: uc.classification.is_some(),
        rows: tasks
            .iter()
            .map(|t| DutyRow::new(t, &names, &today))
            .collect(),
        people,
        statuses: DutyStatus::ALL
            .into_iter()
            .map(|s| (s.key(), s.label()))
            .collect(),
        can_assess: cu
            .user
            .role
            .can(journey::access::Permission::AssessUseCases),
        error_duty: String::new(),
        errors: FieldErrors::new(),
        form_error: String::new(),
        max_mb: MAX_EVIDENCE_BYTES / (1024 * 1024),
    })
}

pub async fn show(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let mut p = page(&state, &cu, &id).await?;
    if Fields::new(query).has("gespeichert") {
        p.layout = p.layout.with_flash("ok", "Gespeichert.".to_owned());
    }
    render(&p)
}

/// The page again with the refusal beside the field of `duty`'s form (the
/// file field when the refusal names none) and what was sent kept in it.
async fn refused(
    state: &AppState,
    cu: &CurrentUser,
    id: &str,
    duty: &str,
    refusal: AppError,
    sent: Option<&Fields>,
) -> Result<Response, PageError> {
    let status = refusal.status();
    let field = match &refusal {
        AppError::Invalid {
            field: Some(field), ..
        } => field.clone(),
        _ => "file".to_owned(),
    };
    let message = refusal.to_string();
    let mut p = page(state, cu, id).await?;
    if let (Some(f), Some(row)) = (sent, p.rows.iter_mut().find(|r| r.duty == duty)) {
        row.owner = f.get("owner").trim().parse().ok();
        row.due = f.get("due").trim().to_owned();
        row.status = DutyStatus::from_key(f.get("status")).map_or(row.status, |s| s.key());
        row.reason = f.get("reason").to_owned();
        row.link = f.get("evidence_link").trim().to_owned();
        row.review_on = f.get("review_on").trim().to_owned();
    }
    p.error_duty = duty.to_owned();
    p.errors.insert(field, message);
    p.form_error = "Bitte prüfen Sie das markierte Feld. Nichts wurde gespeichert.".into();
    let mut response = render(&p)?;
    *response.status_mut() = status;
    Ok(response)
}

fn saved(id: &str, duty: &str) -> Response {
    Redirect::to(&format!(
        "/anwendungsfaelle/{id}/pflichten?gespeichert=1#pflicht-{duty}"
    ))
    .into_response()
}

pub async fn save(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path((id, duty)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f = Fields::new(pairs);
    let optional = |name: &str| Some(f.get(name).trim().to_owned()).filter(|v| !v.is_empty());
    let Some(status) = DutyStatus::from_key(f.get("status")) else {
        let refusal = AppError::invalid("status", "Bitte einen der Status wählen.");
        return refused(&state, &cu, &id, &duty, refusal, Some(&f)).await;
    };
    let owner = match optional("owner").map(|o| o.parse::<i64>()) {
        None => None,
        Some(Ok(o)) => Some(o),
        Some(Err(_)) => {
            let refusal = AppError::invalid("owner", "Bitte eine Person aus der Liste wählen.");
            return refused(&state, &cu, &id, &duty, refusal, Some(&f)).await;
        }
    };
    let change = DutyUpdate {
        owner,
        due: optional("due"),
        status,
        reason: f.get("reason").to_owned(),
        evidence_link: optional("evidence_link"),
        review_on: optional("review_on"),
    };
    match duties::update(&state, &cu, &id, &duty, &change).await {
        Ok(_) => Ok(saved(&id, &duty)),
        Err(e @ AppError::Invalid { .. }) => refused(&state, &cu, &id, &duty, e, Some(&f)).await,
        Err(e) => Err(e.into()),
    }
}

/// The file of the form's `nachweis` field: its name, declared type and
/// content. A body over the route's limit ends as too large.
async fn received(
    multipart: &mut Multipart,
) -> Result<(String, Option<String>, Vec<u8>), AppError> {
    let broken = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            duties::too_large()
        } else {
            AppError::invalid(
                "file",
                "Die Datei kam nicht vollständig an. Bitte erneut senden.",
            )
        }
    };
    while let Some(field) = multipart.next_field().await.map_err(broken)? {
        if field.name() == Some("nachweis") {
            let name = field.file_name().unwrap_or_default().to_owned();
            let declared = field.content_type().map(str::to_owned);
            let bytes = field.bytes().await.map_err(broken)?;
            if name.is_empty() && bytes.is_empty() {
                break;
            }
            return Ok((name, declared, bytes.to_vec()));
        }
    }
    Err(AppError::invalid("file", "Bitte eine Datei auswählen."))
}

pub async fn upload(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path((id, duty)): Path<(String, String)>,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let stored = match received(&mut multipart).await {
        Ok((name, declared, bytes)) => {
            duties::attach_evidence(&state, &cu, &id, &duty, &name, declared.as_deref(), &bytes)
                .await
        }
        Err(e) => Err(e),
    };
    match stored {
        Ok(_) => Ok(saved(&id, &duty)),
        Err(e @ (AppError::Invalid { .. } | AppError::TooLarge(_))) => {
            refused(&state, &cu, &id, &duty, e, None).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn download(
    State(state): State<AppState>,
    path: Path<(String, String)>,
) -> Result<Response, PageError> {
    crate::usecases::duties_api::download(State(state), path)
        .await
        .map_err(|e| PageError(e.0))
}

#[derive(Deserialize)]
pub struct OverviewQuery {
    /// An account id, or `niemand` for duties nobody owns.
    #[serde(default)]
    verantwortlich: String,
}

struct OwnerCount {
    filter: String,
    name: String,
    open: usize,
    overdue: usize,
}

#[derive(askama::Template)]
#[template(path = "usecases/duties_overview.html")]
struct OverviewPage {
    layout: Layout,
    rows: Vec<(String, DutyRow)>,
    owners: Vec<OwnerCount>,
    filter: String,
    today: String,
    overdue: usize,
}

pub async fn overview(
    State(state): State<AppState>,
    cu: CurrentUser,
    Query(q): Query<OverviewQuery>,
) -> Result<Response, PageError> {
    let all = duties::synced_all(&state).await?;
    let (_, names) = people(&state).await?;
    let today = journey::date::today();
    let titles: HashMap<String, String> = all
        .iter()
        .map(|(r, _)| (r.use_case.id.clone(), r.use_case.intake.title.clone()))
        .collect();
    let mut tasks: Vec<_> = all
        .into_iter()
        .flat_map(|(_, t)| t)
        .filter(|t| t.current)
        .collect();
    overview_order(&mut tasks, &today);
    let mut owners: Vec<OwnerCount> = Vec::new();
    for t in tasks.iter().filter(|t| !t.status.is_settled()) {
        let filter = t
            .owner
            .map_or_else(|| "niemand".to_owned(), |o| o.to_string());
        let name = t.owner.map_or_else(
            || "ohne Verantwortliche".to_owned(),
            |o| names.get(&o).cloned().unwrap_or_default(),
        );
        let at = match owners.iter().position(|o| o.filter == filter) {
            Some(at) => at,
            None => {
                owners.push(OwnerCount {
                    filter,
                    name,
                    open: 0,
                    overdue: 0,
                });
                owners.len() - 1
            }
        };
        owners[at].open += 1;
        owners[at].overdue += usize::from(t.is_overdue(&today));
    }
    owners.sort_by(|a, b| b.overdue.cmp(&a.overdue).then(a.name.cmp(&b.name)));
    let filter = q.verantwortlich.trim().to_owned();
    let shown = |t: &&journey::usecase::duties::DutyTask| match filter.as_str() {
        "" => true,
        "niemand" => t.owner.is_none(),
        f => t.owner.is_some_and(|o| o.to_string() == f),
    };
    let rows: Vec<(String, DutyRow)> = tasks
        .iter()
        .filter(shown)
        .map(|t| {
            let title = titles.get(&t.use_case).cloned().unwrap_or_default();
            (title, DutyRow::new(t, &names, &today))
        })
        .collect();
    render(&OverviewPage {
        layout: Layout::for_user(&state, &cu, "Pflichten nach der KI-Verordnung", NAV).await,
        overdue: rows.iter().filter(|(_, r)| r.overdue).count(),
        rows,
        owners,
        filter,
        today: journey::date::german(&today),
    })
}
