//! The content shipped with ki-reise for use cases, parsed once: the EU AI
//! Act decision tree, the scoring criteria, the library of use cases seen
//! in German municipalities, the DPIA threshold analysis and the FRIA form.

use std::sync::OnceLock;

use journey::usecase::ai_act::DecisionTree;
use journey::usecase::library::Library;
use journey::usecase::scoring::Criteria;
use journey::usecase::UseCaseError;

use crate::error::AppError;
use journey::usecase::dpia::ThresholdAnalysis;
use journey::usecase::fria::FriaForm;

pub fn cached<T>(
    cell: &'static OnceLock<Result<T, String>>,
    load: impl FnOnce() -> Result<T, UseCaseError>,
) -> Result<&'static T, AppError> {
    cell.get_or_init(|| load().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| AppError::Internal(e.clone()))
}

/// The EU AI Act decision tree shipped with ki-reise.
pub fn decision_tree() -> Result<&'static DecisionTree, AppError> {
    static TREE: OnceLock<Result<DecisionTree, String>> = OnceLock::new();
    cached(&TREE, DecisionTree::shipped)
}

/// The scoring criteria shipped with ki-reise.
pub fn criteria() -> Result<&'static Criteria, AppError> {
    static CRITERIA: OnceLock<Result<Criteria, String>> = OnceLock::new();
    cached(&CRITERIA, Criteria::shipped)
}

/// The library of use cases seen in German municipalities.
pub fn library() -> Result<&'static Library, AppError> {
    static LIBRARY: OnceLock<Result<Library, String>> = OnceLock::new();
    cached(&LIBRARY, Library::shipped)
}

pub fn threshold_analysis() -> Result<&'static ThresholdAnalysis, AppError> {
    static CELL: OnceLock<Result<ThresholdAnalysis, String>> = OnceLock::new();
    cached(&CELL, ThresholdAnalysis::shipped)
}

pub fn fria_form() -> Result<&'static FriaForm, AppError> {
    static CELL: OnceLock<Result<FriaForm, String>> = OnceLock::new();
    cached(&CELL, FriaForm::shipped)
}
