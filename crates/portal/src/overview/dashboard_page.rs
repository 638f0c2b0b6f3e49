//! The journey dashboard: three phases, their steps with status, progress
//! per phase and what to do next. Staff get their own start page
//! ([`staff_start_page`]) instead.

use std::collections::HashMap;

use crate::text_input::Form;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use journey::access::{Permission, Role};
use journey::plan::{next_step, phase_progress, Step, StepStatus};
use serde::Deserialize;
use store::journey::StepRecord;
use store::StoreError;

use crate::auth::CurrentUser;
use crate::documents::review_status::{tasks_for, Task};
use crate::error::{AppError, PageError};
use crate::overview::modules_page::module_href;
use crate::overview::staff_start_page;
use crate::overview::steps::check_step_change;
use crate::view::{format_time, Layout};
use crate::view::{is_htmx, render};
use crate::AppState;

pub struct StepView {
    pub id: String,
    pub title: String,
    pub description: String,
    pub href: String,
    pub module_title: &'static str,
    pub status_code: &'static str,
    pub status_label: &'static str,
    pub updated_by: String,
    pub updated_at: String,
    pub note: String,
    pub version: i64,
    pub error: String,
}

pub struct PhaseView {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub total: usize,
    pub done: usize,
    pub in_progress: usize,
    pub percent: u32,
    pub steps: Vec<StepView>,
}

fn step_view(step: &Step, record: Option<&StepRecord>, role: journey::access::Role) -> StepView {
    let status = record.map(|r| r.status).unwrap_or_default();
    StepView {
        id: step.id.clone(),
        title: step.title.clone(),
        description: step.description.clone(),
        href: module_href(step.module, role),
        module_title: step.module.title(),
        status_code: status.as_str(),
        status_label: status.label(),
        updated_by: record
            .map(|r| r.updated_by_name.clone())
            .unwrap_or_default(),
        updated_at: record
            .map(|r| format_time(r.updated_at))
            .unwrap_or_default(),
        note: record.map(|r| r.note.clone()).unwrap_or_default(),
        version: record.map_or(0, |r| r.version),
        error: String::new(),
    }
}

fn status_options() -> Vec<(&'static str, &'static str)> {
    StepStatus::ALL
        .iter()
        .map(|s| (s.as_str(), s.label()))
        .collect()
}

#[derive(Template)]
#[template(path = "overview/dashboard.html")]
struct DashboardPage {
    layout: Layout,
    phases: Vec<PhaseView>,
    next: Option<StepView>,
    can_update: bool,
    status_options: Vec<(&'static str, &'static str)>,
    /// Statements and adoptions the person's functions owe.
    tasks: Vec<Task>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DashboardQuery {
    willkommen: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    cu: CurrentUser,
    Query(q): Query<DashboardQuery>,
) -> Result<Response, PageError> {
    if cu.user.role == Role::Staff {
        return staff_start_page::show(&state, &cu).await;
    }
    let records = state.store.step_records().await?;
    let statuses: HashMap<String, StepStatus> =
        records.iter().map(|(k, r)| (k.clone(), r.status)).collect();
    let role = cu.user.role;
    let phases = state
        .plan
        .phases
        .iter()
        .map(|phase| {
            let p = phase_progress(phase, &statuses);
            PhaseView {
                id: phase.id.clone(),
                title: phase.title.clone(),
                summary: phase.summary.clone(),
                total: p.total,
                done: p.done,
                in_progress: p.in_progress,
                percent: p.percent(),
                steps: phase
                    .steps
                    .iter()
                    .map(|s| step_view(s, records.get(&s.id), role))
                    .collect(),
            }
        })
        .collect();
    let next = next_step(&state.plan, &statuses).map(|s| step_view(s, records.get(&s.id), role));
    let mut layout = Layout::for_user(&state, &cu, "Übersicht", "/").await;
    if q.willkommen.is_some() {
        layout = layout.with_flash(
            "ok",
            "Die Einrichtung ist abgeschlossen. Als Nächstes: Projektteam einladen und die Bestandsaufnahme vorbereiten.",
        );
    }
    render(&DashboardPage {
        layout,
        phases,
        next,
        can_update: role.can(Permission::UpdateSteps),
        status_options: status_options(),
        tasks: tasks_for(&state, &cu.user).await?,
    })
}

#[derive(Template)]
#[template(path = "overview/step_fragment.html")]
struct StepFragment {
    layout: Layout,
    step: StepView,
    can_update: bool,
    status_options: Vec<(&'static str, &'static str)>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StepForm {
    status: String,
    note: String,
    version: i64,
}

pub async fn update_step(
    State(state): State<AppState>,
    cu: CurrentUser,
    headers: HeaderMap,
    Path(step_id): Path<String>,
    Form(form): Form<StepForm>,
) -> Result<Response, PageError> {
    let result = match check_step_change(&state, &step_id, &form.status, &form.note) {
        Ok(status) => state
            .store
            .set_step_status(&cu.actor(), &step_id, status, &form.note, form.version)
            .await
            .map_err(AppError::from),
        Err(e) => Err(e),
    };
    if !is_htmx(&headers) {
        return match result {
            Ok(_) => Ok(Redirect::to(&format!("/#step-{step_id}")).into_response()),
            Err(e) => Err(PageError(e)),
        };
    }
    let Some(step) = state.plan.step(&step_id) else {
        return Err(PageError(AppError::NotFound));
    };
    let records = state.store.step_records().await?;
    let mut view = step_view(step, records.get(&step_id), cu.user.role);
    let mut status = StatusCode::OK;
    if let Err(e) = result {
        status = if matches!(e, AppError::Conflict(_)) {
            StatusCode::OK
        } else {
            e.status()
        };
        view.error = match e {
            AppError::Conflict(_) => format!(
                "{} Der aktuelle Stand ist jetzt angezeigt; Ihre Notiz war: „{}“.",
                StoreError::Conflict,
                form.note
            ),
            other => other.to_string(),
        };
    }
    let layout = Layout::for_user(&state, &cu, "Übersicht", "/").await;
    let mut response = render(&StepFragment {
        layout,
        step: view,
        can_update: true,
        status_options: status_options(),
    })?;
    *response.status_mut() = status;
    Ok(response)
}
