//! The competency model in force (shipped, with role profiles edited in
//! the browser) and merging an imported catalogue into the stored one.

use std::sync::OnceLock;

use journey::competency::CompetencyModel;
use journey::qualification::catalogue::Catalogue;
use journey::qualification::exchange::{self, MergeReport};
use journey::qualification::offer::LearningOffer;
use journey::qualification::QualificationError;

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::AppState;
use journey::qualification::rubric::Decision;

fn shipped_model() -> Result<&'static CompetencyModel, AppError> {
    static MODEL: OnceLock<Result<CompetencyModel, String>> = OnceLock::new();
    MODEL
        .get_or_init(|| CompetencyModel::default_model().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| AppError::Internal(e.clone()))
}

/// The competency model with the role profiles edited in the browser.
pub async fn model(state: &AppState) -> Result<CompetencyModel, AppError> {
    let overrides = state.store.role_profile_overrides().await?;
    shipped_model()?
        .with_role_overrides(&overrides)
        .map_err(|e| AppError::internal("apply the edited role profiles", e))
}

/// A domain error as a form error without a single field.
pub fn invalid(e: QualificationError) -> AppError {
    AppError::Invalid {
        field: None,
        message: e.to_string(),
    }
}

/// Stores what a merge added; the report says what happened.
pub async fn store_merge(
    state: &AppState,
    cu: &CurrentUser,
    existing: &Catalogue,
    incoming: &Catalogue,
) -> Result<MergeReport, AppError> {
    let model = model(state).await?;
    let (merged, report) = exchange::merge(existing, incoming, &model).map_err(invalid)?;
    let new = |id: &str, kind: &str| report.added.iter().any(|a| a == &format!("{kind} {id}"));
    let offers: Vec<LearningOffer> = merged
        .offers
        .iter()
        .filter(|o| new(&o.id, "Lernangebot"))
        .cloned()
        .collect();
    let partners: Vec<_> = merged
        .partners
        .iter()
        .filter(|p| new(&p.id, "Bildungspartner"))
        .cloned()
        .collect();
    let paths: Vec<_> = merged
        .paths
        .iter()
        .filter(|p| new(&p.id, "Lernpfad"))
        .cloned()
        .collect();
    state
        .store
        .import_catalogue_items(
            &cu.actor(),
            &offers,
            &partners,
            &paths,
            "Katalog importiert",
        )
        .await?;
    Ok(report)
}

/// Merges the shipped sample catalogue into the stored one.
pub async fn take_seed(state: &AppState, cu: &CurrentUser) -> Result<MergeReport, AppError> {
    let model = model(state).await?;
    let seed = Catalogue::shipped(&model).map_err(invalid)?;
    let existing = state.store.catalogue().await?;
    store_merge(state, cu, &existing, &seed).await
}

/// The formats an import takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    /// Offers only, one per line.
    Csv,
    /// A whole catalogue as in `schemas/qualification-catalogue.schema.json`.
    Json,
}

/// Imports offers (CSV) or a whole catalogue (JSON), merged by id and URL;
/// a text that does not parse is refused naming the field `text`.
pub async fn import(
    state: &AppState,
    cu: &CurrentUser,
    format: ImportFormat,
    text: &str,
) -> Result<MergeReport, AppError> {
    if text.trim().is_empty() {
        return Err(AppError::invalid(
            "text",
            "Die Importdatei ist leer. Bitte den Inhalt einer CSV- oder JSON-Datei einfügen.",
        ));
    }
    let model = model(state).await?;
    let incoming = match format {
        ImportFormat::Csv => exchange::offers_from_csv(text, &model).map(|offers| Catalogue {
            offers,
            ..Catalogue::default()
        }),
        ImportFormat::Json => exchange::import_json(text, &model),
    }
    .map_err(|e| AppError::invalid("text", e.to_string()))?;
    let existing = state.store.catalogue().await?;
    store_merge(state, cu, &existing, &incoming).await
}

pub fn merge_message(report: &MergeReport) -> String {
    let mut msg = format!(
        "{} neu übernommen, {} unverändert.",
        report.added.len(),
        report.unchanged.len()
    );
    for c in &report.conflicts {
        msg.push_str(&format!(
            " Konflikt: {} „{}“ weicht von „{}“ ab ({}); der eigene Eintrag bleibt.",
            c.kind,
            c.id,
            c.existing,
            c.fields.join(", ")
        ));
    }
    msg
}

/// The catalogue the planner may use: everything but rejected and archived
/// offers.
pub async fn planning_catalogue(state: &AppState) -> Result<Catalogue, AppError> {
    let mut catalogue = state.store.active_catalogue().await?;
    let rejected: Vec<String> = state
        .store
        .evaluations()
        .await?
        .into_iter()
        .filter(|e| e.evaluation.decision == Decision::Ablehnen)
        .map(|e| e.evaluation.offer)
        .collect();
    catalogue.offers.retain(|o| !rejected.contains(&o.id));
    Ok(catalogue)
}
