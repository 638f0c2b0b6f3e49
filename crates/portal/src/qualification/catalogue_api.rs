//! API twins of the catalogue page's actions: take the sample catalogue,
//! import offers or a catalogue, archive an offer, keep education partners.
//! Each is an adapter over the operation the page uses.

use axum::extract::{Path, State};
use axum::Json;
use journey::qualification::exchange::MergeReport;
use journey::qualification::offer::{CooperationStatus, EducationPartner, PartnerKind};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::ApiJson;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};
use crate::qualification::api::OfferState;
use crate::qualification::catalogue::{self, merge_message, ImportFormat};
use crate::qualification::offer_page::set_archived;
use crate::qualification::partners_page::save_partner;
use crate::AppState;

/// Named apart from the transfer module's `ConflictDto` in the OpenAPI
/// document: two schemas of one name would make one of them wrong.
#[derive(Serialize, ToSchema)]
#[schema(as = CatalogueConflictDto)]
pub struct ConflictDto {
    /// `Lernangebot`, `Bildungspartner` or `Lernpfad`.
    pub kind: String,
    pub id: String,
    /// The stored item it matched (differs from `id` when matched by URL);
    /// the stored one stays.
    pub existing: String,
    /// The fields that differ.
    pub fields: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MergeReportDto {
    /// Taken over, e.g. `Lernangebot ki-grundlagen`.
    pub added: Vec<String>,
    /// Already there as sent.
    pub unchanged: Vec<String>,
    pub conflicts: Vec<ConflictDto>,
    /// The summary the page shows.
    pub message: String,
}

impl From<MergeReport> for MergeReportDto {
    fn from(r: MergeReport) -> Self {
        MergeReportDto {
            message: merge_message(&r),
            added: r.added,
            unchanged: r.unchanged,
            conflicts: r
                .conflicts
                .into_iter()
                .map(|c| ConflictDto {
                    kind: c.kind.to_string(),
                    id: c.id,
                    existing: c.existing,
                    fields: c.fields,
                })
                .collect(),
        }
    }
}

/// Merges the shipped sample catalogue (offers, partners, learning paths)
/// into the stored one; stored entries win over differing ones.
#[utoipa::path(post, path = "/api/v1/qualification/catalogue/sample", tag = "Qualifizierung",
    responses((status = 200, body = MergeReportDto)))]
pub async fn take_sample(
    State(state): State<AppState>,
    cu: CurrentUser,
) -> Result<Json<MergeReportDto>, ApiError> {
    Ok(Json(catalogue::take_seed(&state, &cu).await?.into()))
}

#[derive(Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum ImportFormatDto {
    /// Offers, one per line, as the CSV export writes them.
    Csv,
    /// A whole catalogue as in `schemas/qualification-catalogue.schema.json`.
    Json,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogueImportDto {
    pub format: ImportFormatDto,
    /// The file's text.
    #[schema(pattern = "\\S")]
    pub text: String,
}

/// Imports offers (CSV) or a whole catalogue (JSON), merged by id and URL
/// as on the page; nothing is stored when the text has a problem.
#[utoipa::path(post, path = "/api/v1/qualification/catalogue/import", tag = "Qualifizierung",
    request_body = CatalogueImportDto,
    responses((status = 200, body = MergeReportDto), (status = 422, body = ErrorBody)))]
pub async fn import_catalogue(
    State(state): State<AppState>,
    cu: CurrentUser,
    ApiJson(body): ApiJson<CatalogueImportDto>,
) -> Result<Json<MergeReportDto>, ApiError> {
    let format = match body.format {
        ImportFormatDto::Csv => ImportFormat::Csv,
        ImportFormatDto::Json => ImportFormat::Json,
    };
    Ok(Json(
        catalogue::import(&state, &cu, format, &body.text)
            .await?
            .into(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchivedDto {
    /// Archive (`true`) or take back into the catalogue (`false`).
    pub archived: bool,
    /// The version read before (`GET …/offers/{id}`); another change in
    /// between answers 409.
    pub version: i64,
}

/// Archives an offer (out of the catalogue, the planner and new sessions;
/// completions stay in the evidence) or takes it back. An offer that is a
/// step of a learning path stays (409) until the paths change.
#[utoipa::path(put, path = "/api/v1/qualification/offers/{id}/archived", tag = "Qualifizierung",
    params(("id" = String, Path, description = "Kennung des Lernangebots")), request_body = ArchivedDto,
    responses((status = 200, body = OfferState), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "Veraltete Version, oder das Angebot ist Schritt eines Lernpfads")))]
pub async fn set_offer_archived(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ArchivedDto>,
) -> Result<Json<OfferState>, ApiError> {
    let record = set_archived(&state, &cu, &id, body.archived, body.version).await?;
    Ok(Json(record.into()))
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerInputDto {
    #[schema(min_length = 1, pattern = "\\S")]
    pub name: String,
    #[schema(value_type = String,
        pattern = "^(volkshochschule|studieninstitut|hochschule|land|bund|sonstige)$")]
    pub kind: PartnerKind,
    /// Stand der Kooperation.
    #[schema(value_type = String,
        pattern = "^(idee|angefragt|in_gespraech|vereinbart|ruhend|beendet)$")]
    pub status: CooperationStatus,
    /// Contact person or office.
    #[serde(default)]
    pub contact: String,
    /// The partner's web site, http(s).
    #[serde(default)]
    #[schema(pattern = "^https?://[^\\s/?#]+[^\\s]*$")]
    pub url: Option<String>,
    #[serde(default)]
    pub note: String,
}

#[derive(Serialize, ToSchema)]
pub struct PartnerDto {
    pub id: String,
    #[serde(flatten)]
    pub partner: PartnerInputDto,
}

impl From<EducationPartner> for PartnerDto {
    fn from(p: EducationPartner) -> Self {
        PartnerDto {
            id: p.id,
            partner: PartnerInputDto {
                name: p.name,
                kind: p.kind,
                status: p.status,
                contact: p.contact,
                url: p.url,
                note: p.note,
            },
        }
    }
}

/// The education partners, as on the page "Bildungspartner".
#[utoipa::path(get, path = "/api/v1/qualification/partners", tag = "Qualifizierung",
    responses((status = 200, body = [PartnerDto])))]
pub async fn partners(State(state): State<AppState>) -> Result<Json<Vec<PartnerDto>>, ApiError> {
    let partners = state.store.partners().await?;
    Ok(Json(partners.into_iter().map(PartnerDto::from).collect()))
}

/// Creates the partner with this id, or replaces it.
#[utoipa::path(put, path = "/api/v1/qualification/partners/{id}", tag = "Qualifizierung",
    params(("id" = String, Path, description = "Kennung: Buchstaben, Ziffern, _ und -",
        pattern = "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")),
    request_body = PartnerInputDto,
    responses((status = 200, body = PartnerDto), (status = 422, body = ErrorBody)))]
pub async fn put_partner(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PartnerInputDto>,
) -> Result<Json<PartnerDto>, ApiError> {
    let partner = EducationPartner {
        id,
        name: body.name.trim().to_string(),
        kind: body.kind,
        status: body.status,
        contact: body.contact.trim().to_string(),
        url: body.url.map(|u| u.trim().to_string()),
        note: body.note.trim().to_string(),
    };
    save_partner(&state, &cu, &partner).await?;
    Ok(Json(partner.into()))
}
