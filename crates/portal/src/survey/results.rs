//! Operations on the answers of a closed survey: anonymous results (with
//! k-suppression, optionally filtered), competency gaps and the anonymised
//! answer export. Nothing here exists before the survey is closed, so
//! answers cannot be tied to people by comparing interim figures.

use journey::survey::anonymise::{anonymised_answers_csv, AnswerExportOptions};
use journey::survey::filter::{filtered_results, Filter};
use journey::survey::{
    competency_gaps, AggregateOptions, CompetencyGaps, Questionnaire, Response as SurveyResponse,
    SurveyResults,
};
use store::survey::{Survey, SurveyStatus};

use super::questionnaire::{competency_model, context, questionnaire_of};
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::AppState;

/// Everything the results page and exports show, for a closed survey only.
pub struct Computed {
    pub questionnaire: Questionnaire,
    pub results: SurveyResults,
    pub gaps: Option<CompetencyGaps>,
}

pub async fn compute_results(state: &AppState, survey: &Survey) -> Result<Computed, AppError> {
    compute_results_for(state, survey, &Filter::default()).await
}

/// The results of the answers `filter` selects (see `journey::survey::filter`);
/// a filter that would reveal a small group is refused with its reason.
pub async fn compute_results_for(
    state: &AppState,
    survey: &Survey,
    filter: &Filter,
) -> Result<Computed, AppError> {
    if survey.status != SurveyStatus::Closed {
        return Err(AppError::Conflict(
            "Ergebnisse gibt es erst, wenn die Umfrage abgeschlossen ist. So lassen sich Antworten nicht durch Vergleich von Zwischenständen einzelnen Personen zuordnen."
                .into(),
        ));
    }
    let q = questionnaire_of(survey)?;
    let responses = stored_responses(state, survey).await?;
    let ctx = context(state).await?;
    let options = AggregateOptions {
        min_group_size: u32::try_from(survey.min_group_size).unwrap_or(5),
        group_by: None,
        include_free_texts: true,
        staff_counts: ctx.staff_counts.clone(),
    };
    let results = filtered_results(&q, &responses, &options, filter)
        .map_err(|e| AppError::Conflict(e.to_string()))?;
    let gaps = if filter.is_empty() {
        competency_gaps(&q, &responses, &competency_model()?, &options).ok()
    } else {
        None
    };
    Ok(Computed {
        questionnaire: q,
        results,
        gaps,
    })
}

/// All stored answers of a survey, parsed.
pub async fn stored_responses(
    state: &AppState,
    survey: &Survey,
) -> Result<Vec<SurveyResponse>, AppError> {
    state
        .store
        .survey_responses(survey.id)
        .await?
        .iter()
        .map(|text| {
            serde_json::from_str(text).map_err(|e| {
                AppError::internal(&format!("read a stored answer of survey {}", survey.id), e)
            })
        })
        .collect()
}

/// The anonymised answers of a closed survey as CSV, with the name to
/// download it under.
pub struct AnonymisedAnswers {
    pub file_name: String,
    pub csv: String,
}

/// The anonymised answer-level CSV of a closed survey; the export is
/// recorded in the audit log.
pub async fn anonymised_answers(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    include_free_texts: bool,
) -> Result<AnonymisedAnswers, AppError> {
    let survey = state.store.survey(id).await?;
    if survey.status != SurveyStatus::Closed {
        return Err(AppError::Conflict(
            "Antworten gibt es erst, wenn die Umfrage abgeschlossen ist.".into(),
        ));
    }
    let q = questionnaire_of(&survey)?;
    let responses = stored_responses(state, &survey).await?;
    let options = AnswerExportOptions {
        min_group_size: u32::try_from(survey.min_group_size).unwrap_or(5),
        include_free_texts,
    };
    let export = anonymised_answers_csv(&q, &responses, &options)
        .map_err(|e| AppError::Conflict(e.to_string()))?;
    state
        .store
        .record_event(
            &cu.actor(),
            "Anonymisierte Antworten exportiert",
            &format!("Umfrage {id}"),
            &format!("{} Zeilen", export.rows),
        )
        .await?;
    Ok(AnonymisedAnswers {
        file_name: format!("bestandsaufnahme-{id}-antworten.csv"),
        csv: export.csv,
    })
}
