//! Use cases at a glance and across municipalities: the board by status,
//! the one-pager (Markdown, HTML, ODT), the exchange JSON, the import of
//! another municipality's use case, and ideas taken over from the survey's
//! free texts.

use crate::text_input::Form;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use journey::usecase::model::{board, UseCase};
use journey::usecase::onepager;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::error::{AppError, PageError};
use crate::usecases::content::decision_tree;
use crate::usecases::intake::idea_from_survey;
use crate::usecases::intake::import_use_case;
use crate::view::render;
use crate::view::Layout;
use crate::AppState;

struct Card {
    id: String,
    title: String,
    department: String,
    risk: String,
}

struct Column {
    status: &'static str,
    cards: Vec<Card>,
}

#[derive(Template)]
#[template(path = "usecases/board.html")]
struct BoardPage {
    layout: Layout,
    columns: Vec<Column>,
    can_assess: bool,
    form_error: String,
}

async fn board_page(state: &AppState, cu: &CurrentUser) -> Result<BoardPage, AppError> {
    let use_cases: Vec<UseCase> = state
        .store
        .use_cases()
        .await?
        .into_iter()
        .map(|r| r.use_case)
        .collect();
    let columns = board(&use_cases)
        .into_iter()
        .map(|(status, list)| Column {
            status: status.label(),
            cards: list
                .into_iter()
                .map(|uc| Card {
                    id: uc.id.clone(),
                    title: uc.intake.title.clone(),
                    department: uc.intake.department.clone().unwrap_or_default(),
                    risk: uc
                        .classification
                        .as_ref()
                        .map_or_else(|| "nicht eingestuft".into(), |c| c.risk.label().into()),
                })
                .collect(),
        })
        .collect();
    Ok(BoardPage {
        layout: Layout::for_user(
            state,
            cu,
            "Anwendungsfälle nach Status",
            "/anwendungsfaelle",
        )
        .await,
        columns,
        can_assess: cu
            .user
            .role
            .can(journey::access::Permission::AssessUseCases),
        form_error: String::new(),
    })
}

pub async fn show_board(
    State(state): State<AppState>,
    cu: CurrentUser,
) -> Result<Response, PageError> {
    render(&board_page(&state, &cu).await?)
}

fn attachment(bytes: Vec<u8>, media_type: &str, name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, media_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The one-pager or the exchange JSON of one use case.
pub async fn export(
    State(state): State<AppState>,
    Path((id, format)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let record = state.store.use_case(&id).await?;
    let uc = &record.use_case;
    let stem = crate::documents::export_page::file_stem(&uc.intake.title);
    if format == "json" {
        let json = uc
            .export_json()
            .map_err(|e| AppError::internal("export a use case as JSON", e))?;
        return Ok(attachment(
            json.into_bytes(),
            "application/json",
            &format!("{stem}.json"),
        ));
    }
    let score = crate::usecases::scoring::current(&state)
        .await?
        .score(&uc.canvas)
        .ok();
    let names = crate::usecases::duties_api::owner_names(&state).await?;
    let duties: Vec<_> = crate::usecases::duties::synced(&state, &record)
        .await?
        .into_iter()
        .map(|t| {
            let owner = t
                .owner
                .and_then(|o| names.get(&o).cloned())
                .unwrap_or_default();
            (t, owner)
        })
        .collect();
    let markdown =
        onepager::markdown_with_duties(uc, Some(decision_tree()?), score.as_ref(), Some(&duties));
    let mut meta = documents::DocMeta::new(uc.intake.title.clone());
    meta.subtitle = Some("Steckbrief eines KI-Anwendungsfalls".into());
    meta.author = state.store.profile().await?.map(|(p, _)| p.name);
    meta.status = Some(uc.status.label().into());
    // ISO here: the documents crate shows it in German and keeps the ISO
    // form for the machine-readable metadata.
    meta.date = Some(journey::date::from_unix(record.updated_at));
    // The ODT puts the title above subtitle and facts itself; the
    // Markdown's own first heading would come after them. HTML keeps it as
    // the page's one h1.
    let odt_body = markdown
        .split_once('\n')
        .filter(|(first, _)| first.starts_with("# "))
        .map_or(markdown.as_str(), |(_, rest)| rest);
    Ok(match format.as_str() {
        "md" => attachment(
            markdown.into_bytes(),
            "text/markdown; charset=utf-8",
            &format!("{stem}.md"),
        ),
        "html" => attachment(
            documents::html::document(&markdown, &meta).into_bytes(),
            "text/html; charset=utf-8",
            &format!("{stem}.html"),
        ),
        "odt" => attachment(
            documents::odt::to_odt(odt_body, &meta),
            "application/vnd.oasis.opendocument.text",
            &format!("{stem}.odt"),
        ),
        _ => return Err(AppError::NotFound.into()),
    })
}

#[derive(Deserialize)]
pub struct ImportForm {
    json: String,
    #[serde(default)]
    from: String,
}

/// Imports another municipality's use case (its exchange JSON, pasted): the
/// classification answers are kept and re-walked through our tree; status
/// and pilot decision start afresh.
pub async fn import(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(form): Form<ImportForm>,
) -> Result<Response, PageError> {
    let refuse = |mut page: BoardPage, message: String| -> Result<Response, PageError> {
        page.form_error = message;
        let mut response = render(&page)?;
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        Ok(response)
    };
    match import_use_case(&state, &cu, &form.json, &form.from).await {
        Ok(saved) => Ok(Redirect::to(&format!(
            "/anwendungsfaelle/{}?importiert=1",
            saved.use_case.id
        ))
        .into_response()),
        Err(AppError::Invalid { message, .. } | AppError::Conflict(message)) => {
            refuse(board_page(&state, &cu).await?, message)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct SurveyIdeaForm {
    text: String,
    #[serde(default)]
    department: String,
}

/// Turns a free-text answer of the survey into an idea with one click. The
/// text is anonymous; the idea is marked as coming from the survey.
pub async fn from_survey(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(survey_id): Path<i64>,
    Form(form): Form<SurveyIdeaForm>,
) -> Result<Response, PageError> {
    let department = Some(form.department.trim()).filter(|d| !d.is_empty());
    let saved = idea_from_survey(&state, &cu, survey_id, &form.text, department).await?;
    Ok(Redirect::to(&format!(
        "/anwendungsfaelle/{}?aus_umfrage=1",
        saved.use_case.id
    ))
    .into_response())
}
