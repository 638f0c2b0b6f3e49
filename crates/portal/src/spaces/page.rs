//! Pages of the knowledge spaces: the list with the form for a new space
//! (project team), a space with its documents, the upload form and the
//! search. Errors are shown on the page they came from, answered 422.

use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use journey::access::Role;
use journey::policy::DataClass;
use journey::spaces::{may_manage, Readers};
use serde::Deserialize;
use store::spaces::{Space, SpaceDocument};

use super::operations::{self, place, Hit, SpaceInput};
use super::upload::receive;
use crate::auth::CurrentUser;
use crate::error::{AppError, PageError};
use crate::form::{FieldErrors, Fields};
use crate::text_input::Form;
use crate::view::{render, Layout};
use crate::AppState;

const NAV: &str = "/wissensraeume";

struct SpaceRow {
    id: i64,
    name: String,
    description: String,
    readers: String,
    class: &'static str,
}

impl From<Space> for SpaceRow {
    fn from(s: Space) -> Self {
        SpaceRow {
            id: s.id,
            readers: s.readers.label(),
            class: s.data_class.label(),
            name: s.name,
            description: s.description,
        }
    }
}

#[derive(askama::Template)]
#[template(path = "spaces/list.html")]
struct ListPage {
    layout: Layout,
    spaces: Vec<SpaceRow>,
    manage: bool,
    departments: Vec<String>,
    roles: Vec<(&'static str, &'static str)>,
    classes: Vec<(&'static str, &'static str)>,
    errors: FieldErrors,
    draft: Fields,
}

async fn list_page(
    state: &AppState,
    cu: &CurrentUser,
    draft: Fields,
) -> Result<ListPage, AppError> {
    let departments = state
        .store
        .profile()
        .await?
        .map(|(p, _)| p.departments.into_iter().map(|d| d.name).collect())
        .unwrap_or_default();
    Ok(ListPage {
        layout: Layout::for_user(state, cu, "Wissensräume", NAV).await,
        spaces: operations::visible(state, cu)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
        manage: may_manage(cu.user.role),
        departments,
        roles: Role::ALL
            .into_iter()
            .map(|r| (r.as_str(), r.label()))
            .collect(),
        classes: DataClass::ALL
            .into_iter()
            .map(|c| (c.slug(), c.label()))
            .collect(),
        errors: FieldErrors::new(),
        draft,
    })
}

pub async fn list(State(state): State<AppState>, cu: CurrentUser) -> Result<Response, PageError> {
    render(&list_page(&state, &cu, Fields::default()).await?)
}

fn input_from(fields: &Fields) -> Result<SpaceInput, AppError> {
    let readers = match fields.get("readers") {
        "departments" => Readers::Departments(
            fields
                .all("department")
                .into_iter()
                .map(str::to_owned)
                .collect(),
        ),
        "roles" => Readers::Roles(
            fields
                .all("role")
                .into_iter()
                .filter_map(Role::parse)
                .collect(),
        ),
        _ => Readers::Everyone,
    };
    let data_class = DataClass::parse(fields.get("data_class"))
        .map_err(|_| AppError::invalid("data_class", "Bitte wählen Sie eine Datenklasse."))?;
    Ok(SpaceInput {
        name: fields.get("name").to_owned(),
        description: fields.get("description").to_owned(),
        readers,
        data_class,
    })
}

pub async fn create(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    let created = match input_from(&fields) {
        Ok(input) => operations::create(&state, &cu, input).await,
        Err(e) => Err(e),
    };
    match created {
        Ok(space) => Ok(Redirect::to(&format!("/wissensraeume/{}", space.id)).into_response()),
        Err(AppError::Invalid { field, message }) => {
            let mut page = list_page(&state, &cu, fields).await?;
            page.errors
                .insert(field.unwrap_or_else(|| "name".into()), message);
            let mut response = render(&page)?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(AppError::Conflict(message)) => {
            let mut page = list_page(&state, &cu, fields).await?;
            page.errors.insert("name", message);
            let mut response = render(&page)?;
            *response.status_mut() = StatusCode::CONFLICT;
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}

struct DocumentRow {
    id: i64,
    title: String,
    file_name: String,
    pages: String,
    passages: i64,
    added_by: String,
}

impl From<SpaceDocument> for DocumentRow {
    fn from(d: SpaceDocument) -> Self {
        DocumentRow {
            id: d.id,
            pages: d.pages.map(|p| p.to_string()).unwrap_or_default(),
            title: d.title,
            file_name: d.file_name,
            passages: d.passages,
            added_by: d.added_by_name,
        }
    }
}

struct HitRow {
    title: String,
    place: String,
    text: String,
    score: String,
}

impl From<Hit> for HitRow {
    fn from(h: Hit) -> Self {
        HitRow {
            place: place(h.passage.page, &h.passage.section),
            title: h.passage.title,
            text: h.passage.text,
            score: format!("{:.2}", h.score),
        }
    }
}

#[derive(askama::Template)]
#[template(path = "spaces/show.html")]
struct ShowPage {
    layout: Layout,
    space: SpaceRow,
    documents: Vec<DocumentRow>,
    manage: bool,
    query: String,
    searched: bool,
    hits: Vec<HitRow>,
    errors: FieldErrors,
}

#[derive(Deserialize, Default)]
pub struct SearchForm {
    #[serde(default)]
    q: String,
}

async fn show_page(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    query: &str,
) -> Result<ShowPage, AppError> {
    let (space, documents) = operations::documents(state, cu, id).await?;
    let mut errors = FieldErrors::new();
    let mut hits = Vec::new();
    let searched = !query.trim().is_empty();
    if searched {
        match operations::search(state, cu, id, query, None).await {
            Ok((_, found)) => hits = found.into_iter().map(Into::into).collect(),
            Err(AppError::Invalid { field, message }) => {
                errors.insert(field.unwrap_or_else(|| "q".into()), message)
            }
            Err(e) => return Err(e),
        }
    }
    Ok(ShowPage {
        layout: Layout::for_user(state, cu, &space.name, NAV).await,
        space: space.into(),
        documents: documents.into_iter().map(Into::into).collect(),
        manage: may_manage(cu.user.role),
        query: query.to_owned(),
        searched,
        hits,
        errors,
    })
}

pub async fn show(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    Query(form): Query<SearchForm>,
) -> Result<Response, PageError> {
    render(&show_page(&state, &cu, id, &form.q).await?)
}

pub async fn upload(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    operations::readable(&state, &cu, id).await?;
    let added = match receive(&mut multipart).await {
        Ok(received) => operations::add_document(&state, &cu, id, received).await,
        Err(e) => Err(e),
    };
    match added {
        Ok(_) => Ok(Redirect::to(&format!("/wissensraeume/{id}")).into_response()),
        Err(e @ (AppError::Invalid { .. } | AppError::TooLarge(_))) => {
            let status = e.status();
            let mut page = show_page(&state, &cu, id, "").await?;
            page.errors.insert("file", e.to_string());
            let mut response = render(&page)?;
            *response.status_mut() = status;
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn remove(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path((id, doc)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    operations::remove_document(&state, &cu, id, doc).await?;
    Ok(Redirect::to(&format!("/wissensraeume/{id}")).into_response())
}
