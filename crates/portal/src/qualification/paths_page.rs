//! Learning paths and role profiles (target level per area), editable.

use crate::auth::CurrentUser;
use crate::error::{AppError, PageError};
use crate::form::Fields;
use crate::qualification::catalogue::model;
use crate::qualification::page::flashed;
use crate::qualification::page::path_rows;
use crate::qualification::page::render_form;
use crate::qualification::page::PathRow;
use crate::qualification::page::NAV;
use crate::text_input::Form;
use crate::view::Layout;
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use journey::access::Permission;
use journey::competency::{CompetencyModel, RoleProfile};
use journey::qualification::path::{LearningPath, PathStep};
use std::collections::BTreeMap;

#[derive(Template)]
#[template(path = "qualification/paths.html")]
pub(super) struct PathsPage {
    pub(super) layout: Layout,
    pub(super) paths: Vec<PathRow>,
    pub(super) roles: Vec<(String, String)>,
    pub(super) can_manage: bool,
    pub(super) form_error: String,
    pub(super) form: Fields,
}

pub(super) async fn paths_page(
    state: &AppState,
    cu: &CurrentUser,
    flash: Option<String>,
    form_error: String,
    form: Fields,
) -> Result<Response, PageError> {
    let model = model(state).await?;
    let catalogue = state.store.catalogue().await?;
    let completions = state.store.completions(cu.user.id).await?;
    let completed: Vec<&str> = completions.iter().map(|c| c.offer.as_str()).collect();
    let layout = flashed(
        Layout::for_user(state, cu, "Lernpfade", NAV).await,
        flash.map(|m| ("ok", m)),
    );
    let failed = !form_error.is_empty();
    render_form(
        &PathsPage {
            layout,
            paths: path_rows(&model, &catalogue, &completed),
            roles: model
                .role_profiles
                .iter()
                .map(|r| (r.id.clone(), r.name.clone()))
                .collect(),
            can_manage: cu.user.role.can(Permission::ManageQualification),
            form_error,
            form,
        },
        failed,
    )
}

#[derive(serde::Deserialize)]
pub struct PathsQuery {
    /// A path to load into the form for changing it.
    #[serde(default)]
    pub(super) bearbeiten: Option<String>,
}

pub async fn paths(
    State(state): State<AppState>,
    cu: CurrentUser,
    Query(q): Query<PathsQuery>,
) -> Result<Response, PageError> {
    let form = match q.bearbeiten {
        Some(id) => match state.store.paths().await?.iter().find(|p| p.id == id) {
            Some(path) => path_form(path),
            None => return Err(AppError::NotFound.into()),
        },
        None => Fields::default(),
    };
    paths_page(&state, &cu, None, String::new(), form).await
}

/// A stored path as the form writes it (the inverse of [`parse_path`]).
pub fn path_form(path: &LearningPath) -> Fields {
    let targets = path
        .targets
        .iter()
        .map(|(area, level)| format!("{area}={level}"))
        .collect::<Vec<_>>()
        .join(", ");
    let steps = path
        .steps
        .iter()
        .map(|s| {
            let mut line = format!("{}; {}; {}", s.id, s.title, s.offers.join(" | "));
            if !s.after.is_empty() {
                line.push_str(&format!("; {}", s.after.join(" | ")));
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n");
    Fields::new(vec![
        ("id".into(), path.id.clone()),
        ("title".into(), path.title.clone()),
        ("description".into(), path.description.clone()),
        ("role".into(), path.role.clone().unwrap_or_default()),
        ("targets".into(), targets),
        ("steps".into(), steps),
    ])
}

/// Reads a path form. Targets as `bereich=stufe` pairs separated by commas;
/// steps one per line: `kennung; Titel; angebot | alternative; nach | nach`.
pub fn parse_path(fields: &Fields) -> Result<LearningPath, String> {
    let mut targets = BTreeMap::new();
    for part in fields
        .get("targets")
        .split([',', ';', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (area, level) = part
            .split_once('=')
            .ok_or_else(|| format!("Zielstufe „{part}“ hat nicht die Form bereich=stufe."))?;
        let level = level
            .trim()
            .parse::<u8>()
            .map_err(|_| format!("„{}“ in „{part}“ ist keine Stufe.", level.trim()))?;
        targets.insert(area.trim().to_string(), level);
    }
    let list = |s: Option<&str>| -> Vec<String> {
        s.unwrap_or("")
            .split('|')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect()
    };
    let steps = fields
        .get("steps")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let mut parts = line.split(';').map(str::trim);
            let id = parts.next().unwrap_or("").to_string();
            let title = parts.next().unwrap_or("").to_string();
            PathStep {
                title: if title.is_empty() { id.clone() } else { title },
                id,
                offers: list(parts.next()),
                after: list(parts.next()),
            }
        })
        .collect();
    let role = fields.get("role").trim();
    Ok(LearningPath {
        id: fields.get("id").trim().to_string(),
        title: fields.get("title").trim().to_string(),
        description: fields.get("description").trim().to_string(),
        role: (!role.is_empty()).then(|| role.to_string()),
        start: BTreeMap::new(),
        targets,
        steps,
    })
}

pub async fn save_path(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    let path = match parse_path(&fields) {
        Ok(p) => p,
        Err(message) => return paths_page(&state, &cu, None, message, fields).await,
    };
    let model = model(&state).await?;
    // Archived offers are no longer steps of a path.
    let catalogue = state.store.active_catalogue().await?;
    if let Err(e) = path.validate(&catalogue, &model) {
        return paths_page(&state, &cu, None, e.to_string(), fields).await;
    }
    state.store.save_path(&cu.actor(), &path).await?;
    let message = format!("Lernpfad „{}“ gespeichert.", path.title);
    paths_page(&state, &cu, Some(message), String::new(), Fields::default()).await
}

// ---------------------------------------------------------------------------
// Role profiles: target level per area, editable.

pub struct RoleRow {
    pub id: String,
    pub name: String,
    /// Area id, target level, area short name.
    pub cells: Vec<(String, u8, String)>,
}

#[derive(Template)]
#[template(path = "qualification/roles.html")]
pub(super) struct RolesPage {
    pub(super) layout: Layout,
    pub(super) areas: Vec<(String, String)>,
    pub(super) roles: Vec<RoleRow>,
    pub(super) levels: Vec<u8>,
    pub(super) form_error: String,
}

/// The grid; `shown` replaces the stored profiles after a refused save, so
/// the page shows what was chosen.
pub(super) async fn roles_page(
    state: &AppState,
    cu: &CurrentUser,
    flash: Option<String>,
    form_error: String,
    shown: Option<Vec<RoleProfile>>,
) -> Result<Response, PageError> {
    let model = model(state).await?;
    let profiles = shown.unwrap_or_else(|| model.role_profiles.clone());
    let layout = flashed(
        Layout::for_user(state, cu, "Rollenprofile", NAV).await,
        flash.map(|m| ("ok", m)),
    );
    let failed = !form_error.is_empty();
    render_form(
        &RolesPage {
            layout,
            areas: model
                .areas
                .iter()
                .map(|a| (a.id.clone(), a.short_name.clone()))
                .collect(),
            roles: profiles
                .iter()
                .map(|r| RoleRow {
                    id: r.id.clone(),
                    name: r.name.clone(),
                    cells: model
                        .areas
                        .iter()
                        .map(|a| {
                            (
                                a.id.clone(),
                                r.targets.get(&a.id).copied().unwrap_or(0),
                                a.short_name.clone(),
                            )
                        })
                        .collect(),
                })
                .collect(),
            levels: (0..=model.max_level()).collect(),
            form_error,
        },
        failed,
    )
}

pub async fn roles(State(state): State<AppState>, cu: CurrentUser) -> Result<Response, PageError> {
    roles_page(&state, &cu, None, String::new(), None).await
}

/// Saves the grid (`t.<role>.<area>` = level); the whole model is checked
/// first, so nothing is stored if one role would fall below the baseline.
pub async fn save_roles(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    if fields.has("reset") {
        state.store.reset_role_profiles(&cu.actor()).await?;
        let message = "Die mitgelieferten Rollenprofile gelten wieder.".to_string();
        return roles_page(&state, &cu, Some(message), String::new(), None).await;
    }
    let current = model(&state).await?;
    let mut targets = Targets::new();
    for role in &current.role_profiles {
        for area in &current.areas {
            let raw = fields.get(&format!("t.{}.{}", role.id, area.id));
            if let Ok(level) = raw.trim().parse::<u8>() {
                targets
                    .entry(role.id.clone())
                    .or_default()
                    .insert(area.id.clone(), level);
            }
        }
    }
    match set_role_targets(&state, &cu, &targets).await {
        Ok(changed) => {
            let message = format!("{changed} Rollenprofile geändert.");
            roles_page(&state, &cu, Some(message), String::new(), None).await
        }
        Err(AppError::Invalid { message, .. }) => {
            let shown = edited_roles(&current, &targets);
            roles_page(&state, &cu, None, message, Some(shown)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Target levels: role profile id → area id → level.
pub type Targets = BTreeMap<String, BTreeMap<String, u8>>;

/// Every role profile of the model with `targets` applied.
fn edited_roles(model: &CompetencyModel, targets: &Targets) -> Vec<RoleProfile> {
    model
        .role_profiles
        .iter()
        .map(|role| {
            let mut edited = role.clone();
            if let Some(levels) = targets.get(&role.id) {
                edited
                    .targets
                    .extend(levels.iter().map(|(a, l)| (a.clone(), *l)));
            }
            edited
        })
        .collect()
}

/// Sets target levels of role profiles. The whole model is checked first,
/// so nothing is stored if one role would fall below the baseline; the
/// number of changed profiles comes back.
pub async fn set_role_targets(
    state: &AppState,
    cu: &CurrentUser,
    targets: &Targets,
) -> Result<usize, AppError> {
    let current = model(state).await?;
    for (role, levels) in targets {
        let field = format!("targets.{role}");
        if current.role_profile(role).is_none() {
            let message = format!("Das Rollenprofil „{role}“ gibt es nicht.");
            return Err(AppError::invalid(&field, message));
        }
        if let Some(area) = levels.keys().find(|a| current.area(a).is_none()) {
            let message = format!("Den Kompetenzbereich „{area}“ gibt es nicht.");
            return Err(AppError::invalid(&format!("{field}.{area}"), message));
        }
    }
    let changed: Vec<RoleProfile> = edited_roles(&current, targets)
        .into_iter()
        .zip(&current.role_profiles)
        .filter(|(edited, role)| edited != *role)
        .map(|(edited, _)| edited)
        .collect();
    if let Err(e) = current.with_role_overrides(&changed) {
        let message = format!("{e} Nichts wurde gespeichert.");
        return Err(AppError::invalid("targets", message));
    }
    state
        .store
        .save_role_profiles(&cu.actor(), &changed)
        .await?;
    Ok(changed.len())
}
