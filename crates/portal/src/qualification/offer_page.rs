//! Editing the catalogue in the browser: a learning offer created or
//! changed with all its fields (each problem shown beside its field, what
//! was typed kept, a concurrent change detected by version), archived or
//! taken back; and the completion of an offer outside any session (a
//! self-paced online course), recorded by the person or the project team.

use crate::text_input::Form;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use journey::competency::CompetencyModel;
use journey::qualification::offer::{Coverage, Format, LearningOffer, ProviderType};
use journey::survey::slug;
use store::StoreError;

use crate::auth::CurrentUser;
use crate::error::{AppError, PageError};
use crate::form::{from_key, key, parse_decimal_de, FieldErrors, Fields};
use crate::qualification::catalogue::model;
use crate::qualification::evidence::complete;
use crate::qualification::page::{offer_page, NAV};
use crate::qualification::training_page::target_user;
use crate::view::Layout;
use crate::view::{decimal_de, render};
use crate::AppState;

/// One competency area in the form: the levels an offer takes people from
/// and to; an empty `to` means the offer does not teach the area.
pub struct CoverRow {
    pub area: String,
    pub name: String,
    pub from: String,
    pub to: String,
}

/// The form's values as text, so what was typed comes back unchanged.
pub struct OfferForm {
    pub id: String,
    pub title: String,
    pub description: String,
    pub provider: String,
    pub provider_type: String,
    pub format: String,
    pub duration_hours: String,
    pub cost_eur: String,
    pub language: String,
    pub accessibility: String,
    pub certificate: String,
    pub licence: String,
    pub url: String,
    pub partner: String,
    pub checked_on: String,
    pub covers: Vec<CoverRow>,
    pub version: i64,
}

impl OfferForm {
    fn blank(model: &CompetencyModel) -> OfferForm {
        OfferForm {
            id: String::new(),
            title: String::new(),
            description: String::new(),
            provider: String::new(),
            provider_type: key(ProviderType::Land),
            format: key(Format::OnlineSelbstlern),
            duration_hours: String::new(),
            cost_eur: String::new(),
            language: "de".into(),
            accessibility: String::new(),
            certificate: String::new(),
            licence: String::new(),
            url: String::new(),
            partner: String::new(),
            checked_on: journey::date::today(),
            covers: cover_rows(model, |_| None),
            version: 0,
        }
    }

    fn of(offer: &LearningOffer, version: i64, model: &CompetencyModel) -> OfferForm {
        OfferForm {
            id: offer.id.clone(),
            title: offer.title.clone(),
            description: offer.description.clone(),
            provider: offer.provider.clone(),
            provider_type: key(offer.provider_type),
            format: key(offer.format),
            duration_hours: decimal_de(offer.duration_hours),
            cost_eur: offer.cost_eur.map(decimal_de).unwrap_or_default(),
            language: offer.language.clone(),
            accessibility: offer.accessibility.clone(),
            certificate: offer.certificate.clone(),
            licence: offer.licence.clone(),
            url: offer.url.clone().unwrap_or_default(),
            partner: offer.partner.clone().unwrap_or_default(),
            checked_on: offer.checked_on.clone().unwrap_or_default(),
            covers: cover_rows(model, |area| {
                offer
                    .covers
                    .iter()
                    .find(|c| c.area == area)
                    .map(|c| (c.from, c.to))
            }),
            version,
        }
    }

    fn read(f: &Fields, model: &CompetencyModel) -> OfferForm {
        let text = |name: &str| f.get(name).to_string();
        OfferForm {
            id: text("id").trim().to_string(),
            title: text("title"),
            description: text("description"),
            provider: text("provider"),
            provider_type: text("provider_type"),
            format: text("format"),
            duration_hours: text("duration_hours"),
            cost_eur: text("cost_eur"),
            language: text("language"),
            accessibility: text("accessibility"),
            certificate: text("certificate"),
            licence: text("licence"),
            url: text("url"),
            partner: text("partner"),
            checked_on: text("checked_on"),
            covers: model
                .areas
                .iter()
                .map(|a| CoverRow {
                    area: a.id.clone(),
                    name: a.short_name.clone(),
                    from: text(&format!("from.{}", a.id)),
                    to: text(&format!("to.{}", a.id)),
                })
                .collect(),
            version: f.get("version").trim().parse().unwrap_or(-1),
        }
    }

    /// The offer the form describes, or the problems per field.
    fn offer(&self, model: &CompetencyModel) -> Result<LearningOffer, FieldErrors> {
        let mut errors = FieldErrors::new();
        let optional = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let provider_type = from_key::<ProviderType>(&self.provider_type).unwrap_or_else(|| {
            errors.insert("provider_type", "Bitte eine Art des Anbieters wählen.");
            ProviderType::Land
        });
        let format = from_key::<Format>(&self.format).unwrap_or_else(|| {
            errors.insert("format", "Bitte ein Format wählen.");
            Format::OnlineSelbstlern
        });
        let duration_hours = match parse_decimal_de(&self.duration_hours) {
            Some(h) => h,
            None if self.duration_hours.trim().is_empty() => {
                errors.insert("duration_hours", "Bitte die Dauer in Stunden angeben.");
                0.0
            }
            None => {
                errors.insert(
                    "duration_hours",
                    format!(
                        "„{}“ ist keine Stundenzahl; bitte z. B. 1,5 angeben.",
                        self.duration_hours.trim()
                    ),
                );
                0.0
            }
        };
        let cost_eur = match optional(&self.cost_eur) {
            None => None,
            Some(raw) => match parse_decimal_de(raw.trim_end_matches('€')) {
                Some(c) => Some(c),
                None => {
                    errors.insert(
                        "cost_eur",
                        format!("„{raw}“ ist kein Betrag; bitte z. B. 120 oder 0 angeben, leer lassen für „auf Anfrage“."),
                    );
                    None
                }
            },
        };
        let mut covers = Vec::new();
        for row in &self.covers {
            let field = format!("covers.{}", row.area);
            if row.to.trim().is_empty() {
                continue;
            }
            let from = if row.from.trim().is_empty() {
                Some(0)
            } else {
                row.from.trim().parse::<u8>().ok()
            };
            match (from, row.to.trim().parse::<u8>().ok()) {
                (Some(from), Some(to)) => covers.push(Coverage {
                    area: row.area.clone(),
                    from,
                    to,
                }),
                _ => errors.insert(field, "Bitte Stufen aus der Liste wählen."),
            }
        }
        let offer = LearningOffer {
            id: if self.id.is_empty() {
                slug(&self.title)
                    .replace('-', "_")
                    .chars()
                    .take(64)
                    .collect()
            } else {
                self.id.clone()
            },
            title: self.title.trim().to_string(),
            description: self.description.trim().to_string(),
            provider: self.provider.trim().to_string(),
            provider_type,
            format,
            duration_hours,
            cost_eur,
            language: self.language.trim().to_string(),
            accessibility: self.accessibility.trim().to_string(),
            certificate: self.certificate.trim().to_string(),
            licence: self.licence.trim().to_string(),
            url: optional(&self.url),
            covers,
            partner: optional(&self.partner),
            checked_on: optional(&self.checked_on),
        };
        for (field, message) in offer.issues(model) {
            // An id derived from a missing title is the title's problem.
            if field == "id" && self.id.is_empty() && offer.title.is_empty() {
                continue;
            }
            // A number that did not parse keeps its first message.
            errors.insert(field, message);
        }
        if errors.is_empty() {
            Ok(offer)
        } else {
            Err(errors)
        }
    }
}

fn cover_rows(model: &CompetencyModel, levels: impl Fn(&str) -> Option<(u8, u8)>) -> Vec<CoverRow> {
    model
        .areas
        .iter()
        .map(|a| {
            let (from, to) = levels(&a.id).map_or((String::new(), String::new()), |(f, t)| {
                (f.to_string(), t.to_string())
            });
            CoverRow {
                area: a.id.clone(),
                name: a.short_name.clone(),
                from,
                to,
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "qualification/offer_form.html")]
struct OfferFormPage {
    layout: Layout,
    form: OfferForm,
    is_new: bool,
    action: String,
    provider_types: Vec<(String, &'static str)>,
    formats: Vec<(String, &'static str)>,
    partners: Vec<(String, String)>,
    levels: Vec<u8>,
    errors: FieldErrors,
    form_error: String,
}

async fn form_page(
    state: &AppState,
    cu: &CurrentUser,
    form: OfferForm,
    is_new: bool,
    errors: FieldErrors,
    form_error: String,
    status: StatusCode,
) -> Result<Response, PageError> {
    let model = model(state).await?;
    let title = if is_new {
        "Lernangebot anlegen".to_string()
    } else {
        format!("Lernangebot bearbeiten: {}", form.title)
    };
    let action = if is_new {
        "/qualifizierung/neues-angebot".to_string()
    } else {
        format!("/qualifizierung/angebote/{}/bearbeiten", form.id)
    };
    let page = OfferFormPage {
        layout: Layout::for_user(state, cu, &title, NAV).await,
        form,
        is_new,
        action,
        provider_types: ProviderType::ALL
            .iter()
            .map(|t| (key(t), t.label()))
            .collect(),
        formats: Format::ALL.iter().map(|f| (key(f), f.label())).collect(),
        partners: state
            .store
            .partners()
            .await?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect(),
        levels: (0..=model.max_level()).collect(),
        errors,
        form_error,
    };
    let mut response = render(&page)?;
    *response.status_mut() = status;
    Ok(response)
}

const CHECK_FIELDS: &str = "Bitte prüfen Sie die markierten Felder. Nichts wurde gespeichert.";

pub async fn new_offer(
    State(state): State<AppState>,
    cu: CurrentUser,
) -> Result<Response, PageError> {
    let model = model(&state).await?;
    form_page(
        &state,
        &cu,
        OfferForm::blank(&model),
        true,
        FieldErrors::new(),
        String::new(),
        StatusCode::OK,
    )
    .await
}

pub async fn edit_offer(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let model = model(&state).await?;
    let record = state.store.offer(&id).await?;
    let form = OfferForm::of(&record.offer, record.version, &model);
    form_page(
        &state,
        &cu,
        form,
        false,
        FieldErrors::new(),
        String::new(),
        StatusCode::OK,
    )
    .await
}

/// The other offer that already has this URL, if any: the URL identifies an
/// offer across catalogues, so two may not share it.
async fn url_taken(state: &AppState, offer: &LearningOffer) -> Result<Option<String>, AppError> {
    let Some(url) = offer.url.as_deref() else {
        return Ok(None);
    };
    Ok(state
        .store
        .offers()
        .await?
        .into_iter()
        .find(|r| r.offer.id != offer.id && r.offer.url.as_deref() == Some(url))
        .map(|r| r.offer.title))
}

/// Creates (`id` None) or updates an offer from the form.
async fn save(
    state: &AppState,
    cu: &CurrentUser,
    fields: Fields,
    id: Option<String>,
) -> Result<Response, PageError> {
    let model = model(state).await?;
    let mut form = OfferForm::read(&fields, &model);
    let is_new = id.is_none();
    if let Some(id) = id {
        form.id = id;
    }
    let offer = match form.offer(&model) {
        Ok(o) => o,
        Err(errors) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return form_page(state, cu, form, is_new, errors, CHECK_FIELDS.into(), status).await;
        }
    };
    if let Some(other) = url_taken(state, &offer).await? {
        let mut errors = FieldErrors::new();
        errors.insert(
            "url",
            format!("Diese Adresse gehört schon zum Lernangebot „{other}“."),
        );
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return form_page(state, cu, form, is_new, errors, CHECK_FIELDS.into(), status).await;
    }
    let saved = if is_new {
        state.store.create_offer(&cu.actor(), &offer).await
    } else {
        state
            .store
            .update_offer(&cu.actor(), &offer, form.version)
            .await
    };
    match saved {
        Ok(record) => Ok(Redirect::to(&format!(
            "/qualifizierung/angebote/{}?gespeichert=1",
            record.offer.id
        ))
        .into_response()),
        Err(StoreError::Duplicate(message)) => {
            let mut errors = FieldErrors::new();
            errors.insert(if is_new { "id" } else { "url" }, message);
            let status = StatusCode::CONFLICT;
            form_page(state, cu, form, is_new, errors, CHECK_FIELDS.into(), status).await
        }
        Err(StoreError::Conflict) => {
            let message = format!(
                "{} Ihre Eingaben stehen noch im Formular; nichts wurde gespeichert.",
                StoreError::Conflict
            );
            form_page(
                state,
                cu,
                form,
                is_new,
                FieldErrors::new(),
                message,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}

pub async fn create_offer(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    save(&state, &cu, Fields::new(pairs), None).await
}

pub async fn update_offer(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    save(&state, &cu, Fields::new(pairs), Some(id)).await
}

/// Archives an offer (`archived=1`) or takes it back (`archived=0`). An
/// offer that a learning path still names stays: the path would lose a step.
/// Archives an offer (out of the catalogue, the planner and new sessions;
/// completions stay) or takes it back. An offer that is a step of a
/// learning path stays: the paths change first (409).
pub async fn set_archived(
    state: &AppState,
    cu: &CurrentUser,
    id: &str,
    archive: bool,
    version: i64,
) -> Result<store::qualification::OfferRecord, AppError> {
    let record = state.store.offer(id).await?;
    let in_paths: Vec<String> = state
        .store
        .paths()
        .await?
        .into_iter()
        .filter(|p| p.steps.iter().any(|s| s.offers.iter().any(|o| o == id)))
        .map(|p| format!("„{}“", p.title))
        .collect();
    if archive && !in_paths.is_empty() {
        return Err(AppError::Conflict(format!(
            "„{}“ bleibt im Katalog: Es ist Schritt der Lernpfade {}. Bitte zuerst die Lernpfade ändern.",
            record.offer.title,
            in_paths.join(", ")
        )));
    }
    Ok(state
        .store
        .set_offer_archived(&cu.actor(), id, archive, version)
        .await?)
}

pub async fn archive_offer(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    let archive = fields.get("archived") == "1";
    let version = fields.get("version").trim().parse().unwrap_or(-1);
    let flash = match set_archived(&state, &cu, &id, archive, version).await {
        Ok(record) if archive => (
            "ok",
            format!("„{}“ ist archiviert: nicht mehr im Katalog, in der Planung und für neue Termine; Abschlüsse bleiben im Nachweis.", record.offer.title),
        ),
        Ok(record) => ("ok", format!("„{}“ ist wieder im Katalog.", record.offer.title)),
        Err(e @ (AppError::Internal(_) | AppError::NotFound)) => return Err(e.into()),
        Err(e) => ("error", e.to_string()),
    };
    offer_page(&state, &cu, &id, Some(flash)).await
}

/// Records that a person completed an offer outside any session. Staff
/// record their own (for offers without sessions, e.g. a self-paced online
/// course); the project team anyone's, for any offer.
pub async fn record_completion(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    let user_id = target_user(&cu, &fields)?;
    let date = fields.get("completed_on").trim().to_string();
    let flash = match complete(&state, &cu, user_id, &id, &date).await? {
        Err(message) => ("error", message),
        Ok(message) => ("ok", message),
    };
    let mut response = offer_page(&state, &cu, &id, Some(flash.clone())).await?;
    if flash.0 == "error" {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}
