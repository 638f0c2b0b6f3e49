//! Who has which role profile and from which levels they start: the input
//! the Art. 4 report measures each person against. Without an entry a
//! person counts with the baseline profile ("Alle Beschäftigten") from
//! level 0. The project team edits the people of its department (all, if
//! it has none), admins everyone.

use crate::text_input::Form;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use journey::competency::CompetencyModel;
use std::collections::BTreeMap;
use store::qualification::PersonProfile;

use crate::auth::CurrentUser;
use crate::error::{AppError, PageError};
use crate::form::Fields;
use crate::qualification::catalogue::model;
use crate::qualification::evidence::report_scope;
use crate::qualification::page::{flashed, NAV};
use crate::view::render;
use crate::view::Layout;
use crate::AppState;

pub struct PersonRow {
    pub user_id: i64,
    pub name: String,
    pub department: String,
    pub role: String,
    /// Area id, area short name, start level as shown.
    pub levels: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "qualification/people.html")]
struct PeoplePage {
    layout: Layout,
    rows: Vec<PersonRow>,
    roles: Vec<(String, String)>,
    areas: Vec<(String, String)>,
    levels: Vec<u8>,
    form_error: String,
}

/// The people this user may edit, with what is stored for them.
pub(super) async fn rows(
    state: &AppState,
    cu: &CurrentUser,
    model: &CompetencyModel,
) -> Result<Vec<PersonRow>, AppError> {
    let (department, _) = report_scope(cu);
    let profiles = state.store.person_profiles().await?;
    let baseline = model.baseline().map(|b| b.id.clone()).unwrap_or_default();
    Ok(state
        .store
        .users()
        .await?
        .into_iter()
        .filter(|u| u.active)
        .filter(|u| department.is_none() || u.department == department)
        .map(|u| {
            let stored = profiles.get(&u.id);
            PersonRow {
                user_id: u.id,
                name: u.name,
                department: u.department.unwrap_or_default(),
                role: stored.map_or(baseline.clone(), |p| p.role_profile.clone()),
                levels: model
                    .areas
                    .iter()
                    .map(|a| {
                        let level = stored
                            .and_then(|p| p.start_levels.get(&a.id).copied())
                            .unwrap_or(0);
                        (a.id.clone(), a.short_name.clone(), level.to_string())
                    })
                    .collect(),
            }
        })
        .collect())
}

async fn page(
    state: &AppState,
    cu: &CurrentUser,
    rows: Vec<PersonRow>,
    flash: Option<(&'static str, String)>,
    form_error: String,
) -> Result<Response, PageError> {
    let model = model(state).await?;
    let failed = !form_error.is_empty();
    let mut response = render(&PeoplePage {
        layout: flashed(
            Layout::for_user(state, cu, "Rollen der Beschäftigten", NAV).await,
            flash,
        ),
        rows,
        roles: model
            .role_profiles
            .iter()
            .map(|r| (r.id.clone(), r.name.clone()))
            .collect(),
        areas: model
            .areas
            .iter()
            .map(|a| (a.id.clone(), a.short_name.clone()))
            .collect(),
        levels: (0..=model.max_level()).collect(),
        form_error,
    })?;
    if failed {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

pub async fn show(State(state): State<AppState>, cu: CurrentUser) -> Result<Response, PageError> {
    let model = model(&state).await?;
    let rows = rows(&state, &cu, &model).await?;
    page(&state, &cu, rows, None, String::new()).await
}

/// Saves the grid (`role.<user>`, `l.<user>.<area>`) for the people shown;
/// rows of people outside the editor's scope are ignored. Only changed
/// rows are written, all together or none.
pub async fn save(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    let model = model(&state).await?;
    let mut rows = rows(&state, &cu, &model).await?;
    let mut problems = Vec::new();
    let mut entries = Vec::new();
    for row in &mut rows {
        let role = fields.get(&format!("role.{}", row.user_id)).trim();
        if role.is_empty() {
            continue;
        }
        row.role = role.to_string();
        let mut entry = PersonEntry {
            user_id: row.user_id,
            role_profile: role.to_string(),
            start_levels: BTreeMap::new(),
        };
        for (area, _, shown) in &mut row.levels {
            let raw = fields.get(&format!("l.{}.{area}", row.user_id)).trim();
            *shown = raw.to_string();
            // Checked here too, so a level out of range is named beside
            // the other problems of the form, as before the API twin.
            match raw.parse::<u8>() {
                Ok(level) if level <= model.max_level() => {
                    entry.start_levels.insert(area.clone(), level);
                }
                _ => problems.push(level_problem(&row.name, raw, &model)),
            }
        }
        entries.push(entry);
    }
    if problems.is_empty() {
        match save_people(&state, &cu, &entries).await? {
            Ok(changed) => {
                let rows = self::rows(&state, &cu, &model).await?;
                let flash = ("ok", format!("{changed} Personen geändert."));
                return page(&state, &cu, rows, Some(flash), String::new()).await;
            }
            Err(refused) => problems.extend(refused.into_iter().map(|(_, m)| m)),
        }
    }
    let message = format!("{} Nichts wurde gespeichert.", problems.join(" "));
    page(&state, &cu, rows, None, message).await
}

fn level_problem(name: &str, raw: &str, model: &CompetencyModel) -> String {
    format!(
        "{name}: „{raw}“ ist keine Stufe zwischen 0 und {}.",
        model.max_level()
    )
}

/// One person's role profile and start levels (area id → level; missing
/// areas start at 0).
pub struct PersonEntry {
    pub user_id: i64,
    pub role_profile: String,
    pub start_levels: BTreeMap<String, u8>,
}

/// Saves role profiles and start levels of people in the editor's scope,
/// all together or none; only changed people are written. `Ok(Err(..))`
/// lists every problem with its field (`people[i].…`); `Ok(Ok(n))` says
/// how many people changed.
pub async fn save_people(
    state: &AppState,
    cu: &CurrentUser,
    entries: &[PersonEntry],
) -> Result<Result<usize, Vec<(String, String)>>, AppError> {
    let model = model(state).await?;
    let rows = rows(state, cu, &model).await?;
    let stored = state.store.person_profiles().await?;
    let mut problems = Vec::new();
    let mut changed = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let field = |name: &str| format!("people[{i}].{name}");
        let Some(row) = rows.iter().find(|r| r.user_id == entry.user_id) else {
            problems.push((
                field("user_id"),
                format!(
                    "Die Person {} gibt es nicht, sie ist nicht aktiv oder nicht in Ihrem Fachbereich.",
                    entry.user_id
                ),
            ));
            continue;
        };
        let role = entry.role_profile.as_str();
        if model.role_profile(role).is_none() {
            problems.push((
                field("role_profile"),
                format!("{}: Das Rollenprofil „{role}“ gibt es nicht.", row.name),
            ));
        }
        let mut profile = PersonProfile {
            role_profile: role.to_string(),
            start_levels: Default::default(),
        };
        for (area, level) in &entry.start_levels {
            let at = field(&format!("start_levels.{area}"));
            if model.area(area).is_none() {
                let message = format!("Den Kompetenzbereich „{area}“ gibt es nicht.");
                problems.push((at, message));
            } else if *level > model.max_level() {
                problems.push((at, level_problem(&row.name, &level.to_string(), &model)));
            } else if *level > 0 {
                profile.start_levels.insert(area.clone(), *level);
            }
        }
        let unchanged = match stored.get(&row.user_id) {
            Some(s) => *s == profile,
            None => {
                profile.start_levels.is_empty() && model.baseline().is_some_and(|b| b.id == role)
            }
        };
        if !unchanged {
            changed.push((row.user_id, profile));
        }
    }
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    state
        .store
        .set_person_profiles(&cu.actor(), &changed)
        .await?;
    Ok(Ok(changed.len()))
}
