//! Qualifizierung: the training catalogue (offers, partners, paths), its
//! import and export, the evaluation of offers with a side-by-side
//! comparison, and the role profiles. Planner, trainings, credentials and
//! the Art. 4 report have their own modules beside this one.
//!
//! Everything is checked by `journey::qualification` before it is stored;
//! an error is shown on the page with the item it names.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use journey::access::Permission;
use journey::competency::{CompetencyModel, RoleProfile};
use journey::qualification::exchange::{self};
use journey::qualification::jsonld;
use journey::qualification::offer::{Catalogue, LearningOffer};
use journey::qualification::path::{LearningPath, PathStep};
use journey::qualification::rubric::{compare, Decision, Evaluation};

use crate::auth::CurrentUser;
pub use crate::download::download;
use crate::error::{AppError, PageError};
use crate::form::Fields;
use crate::qualification::catalogue::invalid;
use crate::qualification::catalogue::merge_message;
use crate::qualification::catalogue::model;
use crate::qualification::catalogue::store_merge;
use crate::view::render;
use crate::view::Layout;
use crate::AppState;

pub const NAV: &str = "/qualifizierung";

// ---------------------------------------------------------------------------
// Shared with the other qualification pages and the API.

/// Renders a page with a form; when the form failed the answer is 422, so
/// programs and tests see the refusal, and the page shows why.
pub fn render_form(page: &impl Template, failed: bool) -> Result<Response, PageError> {
    let mut response = render(page)?;
    if failed {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

/// The layout with a notice (`ok`, `error`, `pending`) if there is one.
pub fn flashed(layout: Layout, flash: Option<(&'static str, String)>) -> Layout {
    match flash {
        Some((kind, message)) => layout.with_flash(kind, message),
        None => layout,
    }
}

fn euro(x: Option<f64>) -> String {
    match x {
        Some(0.0) => "kostenfrei".to_string(),
        Some(v) => format!("{} €", journey::qualification::rubric::format_number(v)),
        None => "auf Anfrage".to_string(),
    }
}

fn covers_text(model: &CompetencyModel, offer: &LearningOffer) -> String {
    offer
        .covers
        .iter()
        .map(|c| {
            let area = model
                .area(&c.area)
                .map_or(c.area.as_str(), |a| a.short_name.as_str());
            format!("{area} {}→{}", c.from, c.to)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

// ---------------------------------------------------------------------------
// Overview: catalogue, partners, paths.

pub struct OfferRow {
    pub id: String,
    pub title: String,
    pub provider: String,
    pub format: &'static str,
    pub hours: String,
    pub cost: String,
    pub covers: String,
    pub evaluation: String,
}

pub struct PartnerRow {
    pub name: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub contact: String,
}

pub struct PathRow {
    pub id: String,
    pub title: String,
    pub role: String,
    /// Each step and whether the viewer has completed it.
    pub steps: Vec<(String, bool)>,
    pub effort: String,
    /// The viewer's progress, e.g. "1 von 2 Schritten abgeschlossen".
    pub progress: String,
}

#[derive(Template)]
#[template(path = "qualification.html")]
struct OverviewPage {
    layout: Layout,
    offers: Vec<OfferRow>,
    /// Id and title of archived offers.
    archived: Vec<(String, String)>,
    partners: Vec<PartnerRow>,
    paths: Vec<PathRow>,
    can_manage: bool,
}

/// The paths as listed, with the progress of someone who completed the
/// offers `completed` (any alternative of a step counts).
pub fn path_rows(
    model: &CompetencyModel,
    catalogue: &Catalogue,
    completed: &[&str],
) -> Vec<PathRow> {
    catalogue
        .paths
        .iter()
        .map(|p| {
            let effort = p.effort(catalogue);
            let missing = p.missing_steps(completed);
            PathRow {
                progress: format!(
                    "{} von {} Schritten abgeschlossen",
                    p.steps.len() - missing.len(),
                    p.steps.len()
                ),
                id: p.id.clone(),
                title: p.title.clone(),
                role: p
                    .role
                    .as_deref()
                    .map(|r| {
                        model
                            .role_profile(r)
                            .map_or(r, |x| x.name.as_str())
                            .to_string()
                    })
                    .unwrap_or_else(|| "alle Rollen".to_string()),
                steps: p
                    .steps
                    .iter()
                    .map(|s| {
                        let names: Vec<&str> = s
                            .offers
                            .iter()
                            .map(|o| catalogue.offer(o).map_or(o.as_str(), |x| x.title.as_str()))
                            .collect();
                        let done = !missing.iter().any(|m| m.id == s.id);
                        (format!("{}: {}", s.title, names.join(" oder ")), done)
                    })
                    .collect(),
                effort: format!(
                    "{} Stunden, {}",
                    journey::qualification::rubric::format_number(effort.hours),
                    euro(Some(effort.cost_eur))
                ),
            }
        })
        .collect()
}

async fn overview_page(
    state: &AppState,
    cu: &CurrentUser,
    layout: Layout,
) -> Result<Response, PageError> {
    let model = model(state).await?;
    let catalogue = state.store.active_catalogue().await?;
    let archived = state
        .store
        .offers()
        .await?
        .into_iter()
        .filter(|r| r.archived)
        .map(|r| (r.offer.id, r.offer.title))
        .collect();
    let evaluations = state.store.evaluations().await?;
    let offers = catalogue
        .offers
        .iter()
        .map(|o| OfferRow {
            id: o.id.clone(),
            title: o.title.clone(),
            provider: o.provider.clone(),
            format: o.format.label(),
            hours: journey::qualification::rubric::format_number(o.duration_hours),
            cost: euro(o.cost_eur),
            covers: covers_text(&model, o),
            evaluation: evaluations
                .iter()
                .find(|e| e.evaluation.offer == o.id)
                .map(|e| {
                    format!(
                        "{} Punkte – {}",
                        journey::qualification::rubric::format_number(e.total),
                        e.evaluation.decision.label()
                    )
                })
                .unwrap_or_else(|| "nicht bewertet".to_string()),
        })
        .collect();
    let partners = catalogue
        .partners
        .iter()
        .map(|p| PartnerRow {
            name: p.name.clone(),
            kind: p.kind.label(),
            status: p.status.label(),
            contact: p.contact.clone(),
        })
        .collect();
    render(&OverviewPage {
        layout,
        offers,
        archived,
        partners,
        paths: path_rows(&model, &catalogue, &[]),
        can_manage: cu.user.role.can(Permission::ManageQualification),
    })
}

pub async fn overview(
    State(state): State<AppState>,
    cu: CurrentUser,
) -> Result<Response, PageError> {
    let layout = Layout::for_user(&state, &cu, "Qualifizierung", NAV).await;
    overview_page(&state, &cu, layout).await
}

/// Takes the shipped seed catalogue into the instance (only what is new).
pub async fn take_seed(
    State(state): State<AppState>,
    cu: CurrentUser,
) -> Result<Response, PageError> {
    let model = model(&state).await?;
    let seed = Catalogue::shipped(&model).map_err(invalid)?;
    let existing = state.store.catalogue().await?;
    let report = store_merge(&state, &cu, &existing, &seed).await?;
    let layout = Layout::for_user(&state, &cu, "Qualifizierung", NAV)
        .await
        .with_flash(
            "ok",
            format!("Musterkatalog übernommen: {}", merge_message(&report)),
        );
    overview_page(&state, &cu, layout).await
}

/// Imports offers (CSV) or a whole catalogue (JSON), merged by id and URL.
pub async fn import(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    let model = model(&state).await?;
    let text = fields.get("text");
    let incoming = match fields.get("format") {
        "csv" => exchange::offers_from_csv(text, &model).map(|offers| Catalogue {
            offers,
            ..Catalogue::default()
        }),
        _ => exchange::import_json(text, &model),
    };
    let result = match incoming {
        Ok(incoming) => {
            let existing = state.store.catalogue().await?;
            store_merge(&state, &cu, &existing, &incoming)
                .await
                .map(|r| merge_message(&r))
        }
        Err(e) => Err(invalid(e)),
    };
    let (kind, message, status) = match result {
        Ok(m) => ("ok", format!("Import: {m}"), StatusCode::OK),
        Err(e) => ("error", e.to_string(), e.status()),
    };
    let layout = Layout::for_user(&state, &cu, "Qualifizierung", NAV)
        .await
        .with_flash(kind, message);
    let mut response = overview_page(&state, &cu, layout).await?;
    *response.status_mut() = status;
    Ok(response)
}

pub fn framework_url(state: &AppState) -> String {
    format!(
        "{}/qualifizierung/kompetenzrahmen",
        state.config.public_url.trim_end_matches('/')
    )
}

pub async fn export_json(State(state): State<AppState>) -> Result<Response, PageError> {
    let catalogue = state.store.active_catalogue().await?;
    Ok(download(
        "application/json",
        "schulungskatalog.json".to_string(),
        exchange::export_json(&catalogue),
    ))
}

pub async fn export_jsonld(State(state): State<AppState>) -> Result<Response, PageError> {
    let model = model(&state).await?;
    let catalogue = state.store.active_catalogue().await?;
    let sessions: Vec<_> = state
        .store
        .trainings()
        .await?
        .into_iter()
        .map(|s| s.session)
        .collect();
    let doc = jsonld::catalogue(&catalogue.offers, &model, &sessions, &framework_url(&state));
    Ok(download(
        "application/ld+json",
        "schulungskatalog.jsonld".to_string(),
        serde_json::to_string_pretty(&doc).unwrap_or_default(),
    ))
}

pub async fn export_csv(State(state): State<AppState>) -> Result<Response, PageError> {
    let catalogue = state.store.active_catalogue().await?;
    Ok(download(
        "text/csv; charset=utf-8",
        "lernangebote.csv".to_string(),
        exchange::offers_csv(&catalogue.offers),
    ))
}

// ---------------------------------------------------------------------------
// One offer, with its schema.org description embedded.

#[derive(Template)]
#[template(path = "qualification_offer.html")]
struct OfferPage {
    layout: Layout,
    offer: LearningOffer,
    version: i64,
    archived: bool,
    provider_type: &'static str,
    format: &'static str,
    hours: String,
    cost: String,
    covers: String,
    jsonld: String,
    sessions: Vec<(String, String, String)>,
    can_manage: bool,
    /// Whether the user may record a completion here (see
    /// `qualification_offer_edit::record_completion`).
    can_record: bool,
    /// When the user completed the offer, if they did.
    completed_on: Option<String>,
    people: Vec<(i64, String)>,
    today: String,
}

#[derive(serde::Deserialize)]
pub struct OfferQuery {
    #[serde(default)]
    gespeichert: Option<String>,
}

pub async fn offer(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<OfferQuery>,
) -> Result<Response, PageError> {
    let flash = q
        .gespeichert
        .map(|_| ("ok", "Lernangebot gespeichert.".to_string()));
    offer_page(&state, &cu, &id, flash).await
}

/// One offer with its sessions, its schema.org description embedded, and
/// the forms to edit, archive and record a completion.
pub async fn offer_page(
    state: &AppState,
    cu: &CurrentUser,
    id: &str,
    flash: Option<(&'static str, String)>,
) -> Result<Response, PageError> {
    let model = model(state).await?;
    let record = state.store.offer(id).await?;
    let sessions: Vec<_> = state
        .store
        .trainings()
        .await?
        .into_iter()
        .filter(|s| s.session.offer == id)
        .collect();
    let refs: Vec<_> = sessions.iter().map(|s| &s.session).collect();
    let ld = jsonld::course(&record.offer, &model, &refs, &framework_url(state));
    // "</" inside a script element would end it early.
    let jsonld = serde_json::to_string(&ld)
        .unwrap_or_default()
        .replace("</", "<\\/");
    let manage = cu.user.role.can(Permission::ManageQualification);
    let o = &record.offer;
    render(&OfferPage {
        layout: flashed(Layout::for_user(state, cu, &o.title, NAV).await, flash),
        version: record.version,
        archived: record.archived,
        provider_type: o.provider_type.label(),
        format: o.format.label(),
        hours: journey::qualification::rubric::format_number(o.duration_hours),
        cost: euro(o.cost_eur),
        covers: covers_text(&model, o),
        jsonld,
        sessions: sessions
            .iter()
            .map(|s| {
                (
                    s.session.id.clone(),
                    s.session.title.clone(),
                    s.session.starts_at.replace('T', " "),
                )
            })
            .collect(),
        can_manage: manage,
        can_record: manage
            || (sessions.is_empty() && cu.user.role.can(Permission::EnrolInTrainings)),
        completed_on: state
            .store
            .completions(cu.user.id)
            .await?
            .into_iter()
            .find(|c| c.offer == id)
            .map(|c| c.completed_on),
        people: if manage {
            crate::qualification::training_page::active_people(state).await?
        } else {
            Vec::new()
        },
        today: journey::date::today(),
        offer: record.offer.clone(),
    })
}

// ---------------------------------------------------------------------------
// Evaluation and comparison.

pub struct CriterionInput {
    pub id: String,
    pub label: String,
    pub description: String,
    pub weight: String,
}

pub struct ComparisonRowView {
    pub label: String,
    pub weight: String,
    /// Rating per offer ("–" where not yet rated) and whether it is the
    /// best in the row.
    pub cells: Vec<(String, bool)>,
}

pub struct ComparisonView {
    /// Title, points, decision, reason.
    pub offers: Vec<(String, String, String, String)>,
    /// "Title: criteria" of offers not rated on criteria added since.
    pub unrated: Vec<String>,
    pub rows: Vec<ComparisonRowView>,
}

#[derive(Template)]
#[template(path = "qualification_evaluation.html")]
struct EvaluationPage {
    layout: Layout,
    criteria: Vec<CriterionInput>,
    offers: Vec<(String, String)>,
    comparison: Option<ComparisonView>,
    form_error: String,
}

async fn evaluation_page(
    state: &AppState,
    cu: &CurrentUser,
    flash: Option<(&'static str, String)>,
    form_error: String,
) -> Result<Response, PageError> {
    let (rubric, _) = crate::qualification::rubric::current(state).await?;
    let catalogue = state.store.active_catalogue().await?;
    // Archived offers leave the comparison with the catalogue.
    let evaluations: Vec<Evaluation> = state
        .store
        .evaluations()
        .await?
        .into_iter()
        .map(|e| e.evaluation)
        .filter(|e| catalogue.offer(&e.offer).is_some())
        .collect();
    let comparison = if evaluations.is_empty() {
        None
    } else {
        let cmp = compare(&rubric, &evaluations);
        let title = |id: &str| {
            catalogue
                .offer(id)
                .map_or(id.to_string(), |o| o.title.clone())
        };
        Some(ComparisonView {
            offers: cmp
                .offers
                .iter()
                .map(|o| {
                    (
                        title(&o.offer),
                        journey::qualification::rubric::format_number(o.total),
                        o.decision.label().to_string(),
                        o.reason.clone(),
                    )
                })
                .collect(),
            unrated: cmp
                .offers
                .iter()
                .filter(|o| !o.unrated.is_empty())
                .map(|o| format!("{}: {}", title(&o.offer), o.unrated.join(", ")))
                .collect(),
            rows: cmp
                .rows
                .iter()
                .map(|r| ComparisonRowView {
                    label: r.label.clone(),
                    weight: journey::qualification::rubric::format_number(r.weight),
                    cells: r
                        .ratings
                        .iter()
                        .enumerate()
                        .map(|(i, v)| {
                            let text = v.map_or("–".to_string(), |v| v.to_string());
                            (text, r.best.contains(&i))
                        })
                        .collect(),
                })
                .collect(),
        })
    };
    let layout = flashed(
        Layout::for_user(state, cu, "Lernangebote bewerten", NAV).await,
        flash,
    );
    let failed = !form_error.is_empty();
    render_form(
        &EvaluationPage {
            layout,
            criteria: rubric
                .criteria
                .iter()
                .map(|c| CriterionInput {
                    id: c.id.clone(),
                    label: c.label.clone(),
                    description: c.description.clone(),
                    weight: journey::qualification::rubric::format_number(c.weight),
                })
                .collect(),
            offers: catalogue
                .offers
                .iter()
                .map(|o| (o.id.clone(), o.title.clone()))
                .collect(),
            comparison,
            form_error,
        },
        failed,
    )
}

pub async fn evaluation(
    State(state): State<AppState>,
    cu: CurrentUser,
) -> Result<Response, PageError> {
    evaluation_page(&state, &cu, None, String::new()).await
}

/// Reads an evaluation form: `offer`, `r.<criterion>`, `decision`, `reason`.
pub fn parse_evaluation(fields: &Fields) -> Evaluation {
    let ratings = fields
        .pairs()
        .iter()
        .filter_map(|(k, v)| {
            Some((
                k.strip_prefix("r.")?.to_string(),
                v.trim().parse::<u8>().unwrap_or(0),
            ))
        })
        .collect::<BTreeMap<_, _>>();
    Evaluation {
        offer: fields.get("offer").trim().to_string(),
        ratings,
        decision: Decision::parse(fields.get("decision")).unwrap_or(Decision::Pruefen),
        reason: fields.get("reason").trim().to_string(),
    }
}

pub async fn evaluate(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let evaluation = parse_evaluation(&Fields::new(pairs));
    if state.store.offer(&evaluation.offer).await.is_err() {
        return evaluation_page(
            &state,
            &cu,
            None,
            "Bitte ein Lernangebot aus der Liste wählen.".into(),
        )
        .await;
    }
    let (rubric, _) = crate::qualification::rubric::current(&state).await?;
    match rubric.score(&evaluation) {
        Ok(score) => {
            state
                .store
                .save_evaluation(&cu.actor(), &evaluation, &score)
                .await?;
            let message = format!(
                "Bewertung gespeichert: {} Punkte (Vorschlag: {}), Entscheidung: {}.",
                journey::qualification::rubric::format_number(score.total),
                score.suggested.label(),
                score.decision.label()
            );
            evaluation_page(&state, &cu, Some(("ok", message)), String::new()).await
        }
        Err(e) => evaluation_page(&state, &cu, None, e.to_string()).await,
    }
}

// ---------------------------------------------------------------------------
// Learning paths.

#[derive(Template)]
#[template(path = "qualification_paths.html")]
struct PathsPage {
    layout: Layout,
    paths: Vec<PathRow>,
    roles: Vec<(String, String)>,
    can_manage: bool,
    form_error: String,
    form: Fields,
}

async fn paths_page(
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
    bearbeiten: Option<String>,
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
#[template(path = "qualification_roles.html")]
struct RolesPage {
    layout: Layout,
    areas: Vec<(String, String)>,
    roles: Vec<RoleRow>,
    levels: Vec<u8>,
    form_error: String,
}

/// The grid; `shown` replaces the stored profiles after a refused save, so
/// the page shows what was chosen.
async fn roles_page(
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
    let mut changed = Vec::new();
    let mut shown = Vec::new();
    for role in &current.role_profiles {
        let mut edited = role.clone();
        for area in &current.areas {
            let raw = fields.get(&format!("t.{}.{}", role.id, area.id));
            if let Ok(level) = raw.trim().parse::<u8>() {
                edited.targets.insert(area.id.clone(), level);
            }
        }
        if edited != *role {
            changed.push(edited.clone());
        }
        shown.push(edited);
    }
    if let Err(e) = current.with_role_overrides(&changed) {
        let message = format!("{e} Nichts wurde gespeichert.");
        return roles_page(&state, &cu, None, message, Some(shown)).await;
    }
    state
        .store
        .save_role_profiles(&cu.actor(), &changed)
        .await?;
    roles_page(
        &state,
        &cu,
        Some(format!("{} Rollenprofile geändert.", changed.len())),
        String::new(),
        None,
    )
    .await
}
