//! Evidence of AI competency (Art. 4 AI Act): recording a completed
//! offer and the report over what people completed, scoped to what the
//! user may see.

use journey::access::{Permission, Role};
use journey::qualification::evidence::{art4_report, Art4Report};
use journey::usecase::is_iso_date;

use super::catalogue::model;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::AppState;

/// Records the completion if the rules allow it: `Ok(Ok(confirmation))`,
/// or `Ok(Err(why not))`. The caller has checked that `cu` may act for
/// `user_id`.
pub async fn complete(
    state: &AppState,
    cu: &CurrentUser,
    user_id: i64,
    id: &str,
    date: &str,
) -> Result<Result<String, String>, AppError> {
    let manage = cu.user.role.can(Permission::ManageQualification);
    let record = state.store.offer(id).await?;
    let has_sessions = state
        .store
        .trainings()
        .await?
        .iter()
        .any(|s| s.session.offer == id);
    let problem = if has_sessions && !manage {
        Some("Für dieses Angebot gibt es Schulungstermine: Den Abschluss trägt das Projektteam beim Termin ein.".to_string())
    } else if !is_iso_date(date) {
        Some("Bitte das Datum des Abschlusses angeben.".to_string())
    } else if date > journey::date::today().as_str() {
        Some(format!(
            "Das Datum {date} liegt in der Zukunft; bitte den Tag des Abschlusses angeben."
        ))
    } else {
        None
    };
    if let Some(message) = problem {
        return Ok(Err(message));
    }
    let person = state.store.user(user_id).await?;
    state
        .store
        .record_completion(&cu.actor(), user_id, id, date)
        .await?;
    Ok(Ok(format!(
        "Abschluss von „{}“ für {} am {date} eingetragen; er zählt im Nachweis nach Art. 4 und im Fortschritt der Lernpfade.",
        record.offer.title, person.name
    )))
}

/// The department a user may see reports for: `None` = everything.
/// Staff and viewers only ever see themselves (see [`report_scope`]).
pub fn report_scope(cu: &CurrentUser) -> (Option<String>, Option<i64>) {
    match cu.user.role {
        Role::Admin => (None, None),
        Role::ProjectTeam => (cu.user.department.clone(), None),
        Role::Staff | Role::Viewer => (None, Some(cu.user.id)),
    }
}

pub async fn build_report(state: &AppState, cu: &CurrentUser) -> Result<Art4Report, AppError> {
    let model = model(state).await?;
    let catalogue = state.store.catalogue().await?;
    let (department, user) = report_scope(cu);
    let baseline = model
        .baseline()
        .map_or("alle".to_string(), |b| b.id.clone());
    let records: Vec<_> = state
        .store
        .person_records(&baseline, department.as_deref(), user)
        .await?
        .into_iter()
        .map(|(_, r)| r)
        .collect();
    let title = match (&department, user) {
        (_, Some(_)) => format!("Mein Nachweis der KI-Kompetenz – {}", cu.user.name),
        (Some(d), None) => format!("Nachweis der KI-Kompetenz (Art. 4 KI-Verordnung) – {d}"),
        (None, None) => "Nachweis der KI-Kompetenz (Art. 4 KI-Verordnung)".to_string(),
    };
    Ok(art4_report(
        &title,
        &journey::date::today(),
        &model,
        &catalogue,
        &records,
    ))
}
