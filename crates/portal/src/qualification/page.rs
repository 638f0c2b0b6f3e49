//! Qualifizierung: the training catalogue (offers, partners, paths), its
//! import and export, the evaluation of offers with a side-by-side
//! comparison, and the role profiles. Planner, trainings, credentials and
//! the Art. 4 report have their own modules beside this one.
//!
//! Everything is checked by `journey::qualification` before it is stored;
//! an error is shown on the page with the item it names.

use crate::text_input::Form;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use journey::access::Permission;
use journey::competency::CompetencyModel;
use journey::qualification::catalogue::Catalogue;
use journey::qualification::exchange::{self};
use journey::qualification::jsonld;
use journey::qualification::offer::LearningOffer;

use crate::auth::CurrentUser;
pub use crate::download::download;
use crate::error::{AppError, PageError};
use crate::form::Fields;
use crate::qualification::catalogue::{self, merge_message, model, ImportFormat};
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

pub(super) fn euro(x: Option<f64>) -> String {
    match x {
        Some(0.0) => "kostenfrei".to_string(),
        Some(v) => format!("{} €", journey::qualification::rubric::format_number(v)),
        None => "auf Anfrage".to_string(),
    }
}

pub(super) fn covers_text(model: &CompetencyModel, offer: &LearningOffer) -> String {
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
#[template(path = "qualification/qualification.html")]
pub(super) struct OverviewPage {
    pub(super) layout: Layout,
    pub(super) offers: Vec<OfferRow>,
    /// Id and title of archived offers.
    pub(super) archived: Vec<(String, String)>,
    pub(super) partners: Vec<PartnerRow>,
    pub(super) paths: Vec<PathRow>,
    pub(super) can_manage: bool,
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

pub(super) async fn overview_page(
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
    let report = catalogue::take_seed(&state, &cu).await?;
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
    let format = match fields.get("format") {
        "csv" => ImportFormat::Csv,
        _ => ImportFormat::Json,
    };
    let result = catalogue::import(&state, &cu, format, fields.get("text"))
        .await
        .map(|r| merge_message(&r));
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
        serde_json::to_string_pretty(&doc)
            .map_err(|e| AppError::internal("serialise the JSON-LD catalogue", e))?,
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
#[template(path = "qualification/offer.html")]
pub(super) struct OfferPage {
    pub(super) layout: Layout,
    pub(super) offer: LearningOffer,
    pub(super) version: i64,
    pub(super) archived: bool,
    pub(super) provider_type: &'static str,
    pub(super) format: &'static str,
    pub(super) hours: String,
    pub(super) cost: String,
    pub(super) covers: String,
    pub(super) jsonld: String,
    pub(super) sessions: Vec<(String, String, String)>,
    pub(super) can_manage: bool,
    /// Whether the user may record a completion here (see
    /// `qualification_offer_edit::record_completion`).
    pub(super) can_record: bool,
    /// When the user completed the offer, if they did.
    pub(super) completed_on: Option<String>,
    pub(super) people: Vec<(i64, String)>,
    pub(super) today: String,
}

#[derive(serde::Deserialize)]
pub struct OfferQuery {
    #[serde(default)]
    pub(super) gespeichert: Option<String>,
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
        .map_err(|e| AppError::internal("serialise the JSON-LD of an offer", e))?
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
                    journey::german::date(&s.session.starts_at),
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
