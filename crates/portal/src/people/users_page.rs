//! User administration: list, create, edit, (de)activate, one-time links,
//! CSV import.

use crate::text_input::Form;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use journey::access::Role;
use serde::Deserialize;
use store::tokens::TokenKind;
use store::users::{NewUser, User};
use store::StoreError;

use crate::auth::CurrentUser;
use crate::error::{AppError, PageError};
use crate::form::{check_email, FieldErrors};
use crate::people::functions::{choices, FunctionChoice};
use crate::people::import::{import_users, ImportRefusal, Imported};
use crate::people::link_notice::{self, LinkView};
use crate::view::render;
use crate::view::Layout;
use crate::AppState;

struct UserRow {
    id: i64,
    name: String,
    email: String,
    role_label: &'static str,
    department: String,
    status: &'static str,
    has_password: bool,
    functions: String,
    /// Signs in from the directory: no local password link.
    directory: bool,
    /// What the directory left open, for the administration to fix.
    gaps: Vec<String>,
}

impl From<&User> for UserRow {
    fn from(u: &User) -> Self {
        UserRow {
            id: u.id,
            name: u.name.clone(),
            email: u.email.clone(),
            role_label: u.role.label(),
            department: u.department.clone().unwrap_or_else(|| "–".into()),
            status: match (u.active, u.has_password, u.directory_login.is_some()) {
                (false, _, _) => "deaktiviert",
                (true, _, true) => "aktiv (Verzeichnis)",
                (true, false, false) => "eingeladen",
                (true, true, false) => "aktiv",
            },
            has_password: u.has_password,
            functions: String::new(),
            directory: u.directory_login.is_some(),
            gaps: u.directory_gaps.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "people/users.html")]
struct UsersPage {
    layout: Layout,
    users: Vec<UserRow>,
    new_link: Option<LinkView>,
}

async fn list_page(
    state: &AppState,
    cu: &CurrentUser,
    new_link: Option<LinkView>,
) -> Result<Response, PageError> {
    let users = state.store.users().await?;
    let holders = state.store.function_holders().await?;
    let rows = users
        .iter()
        .map(|u| {
            let mut row = UserRow::from(u);
            let labels: Vec<&str> = holders
                .iter()
                .filter(|h| h.user_id == u.id)
                .map(|h| h.function.label())
                .collect();
            row.functions = labels.join(", ");
            row
        })
        .collect();
    render(&UsersPage {
        layout: Layout::for_user(state, cu, "Benutzer", "/benutzer").await,
        users: rows,
        new_link,
    })
}

/// The user list, with the one-time link just made if there is one.
pub async fn list(
    State(state): State<AppState>,
    cu: CurrentUser,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    match link_notice::take(&state, &cu, &headers).await? {
        Some((link, clear)) => {
            let mut response = list_page(&state, &cu, Some(link)).await?;
            response.headers_mut().append(clear.0, clear.1);
            Ok(response)
        }
        None => list_page(&state, &cu, None).await,
    }
}

/// Redirect after POST to the list, which shows the new link once.
fn to_list_with(cookie: HeaderValue) -> Response {
    let mut response = Redirect::to("/benutzer").into_response();
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}

/// Creates a one-time link for the user; the list shows it to copy.
pub async fn create_link(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let user = state.store.user(id).await?;
    if !user.active {
        return Err(AppError::Conflict(
            "Das Konto ist deaktiviert. Aktivieren Sie es zuerst.".into(),
        )
        .into());
    }
    let kind = if user.has_password {
        TokenKind::Reset
    } else {
        TokenKind::Invite
    };
    let cookie = link_notice::deliver(&state, &cu, &user, kind, false).await?;
    Ok(to_list_with(cookie))
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct UserForm {
    pub name: String,
    pub email: String,
    pub role: String,
    pub department: String,
    pub version: i64,
}

#[derive(Template)]
#[template(path = "people/user_form.html")]
struct UserFormPage {
    layout: Layout,
    is_new: bool,
    action: String,
    form: UserForm,
    roles: Vec<(&'static str, &'static str)>,
    departments: Vec<String>,
    errors: FieldErrors,
    form_error: String,
    user_id: Option<i64>,
    active: bool,
    functions: Vec<FunctionChoice>,
}

fn roles() -> Vec<(&'static str, &'static str)> {
    Role::ALL.iter().map(|r| (r.as_str(), r.label())).collect()
}

async fn departments(state: &AppState) -> Result<Vec<String>, PageError> {
    Ok(state
        .store
        .profile()
        .await?
        .map(|(p, _)| p.departments.into_iter().map(|d| d.name).collect())
        .unwrap_or_default())
}

/// Validates the form; returns the role and department to store.
async fn check_form(
    state: &AppState,
    form: &UserForm,
    errors: &mut FieldErrors,
) -> Result<(Role, Option<String>), PageError> {
    let mut field_errors = Vec::new();
    journey::profile::check_text("name", &form.name, true, 200, &mut field_errors);
    for e in field_errors {
        errors.insert(e.field, e.message);
    }
    let role = Role::parse(&form.role).unwrap_or_else(|| {
        errors.insert("role", "Bitte eine Rolle wählen.");
        Role::Staff
    });
    let department = form.department.trim();
    let department = if department.is_empty() {
        None
    } else if departments(state).await?.iter().any(|d| d == department) {
        Some(department.to_string())
    } else {
        errors.insert("department", "Diesen Fachbereich gibt es im Profil nicht.");
        None
    };
    Ok((role, department))
}

pub async fn new_form(
    State(state): State<AppState>,
    cu: CurrentUser,
) -> Result<Response, PageError> {
    render(&UserFormPage {
        layout: Layout::for_user(&state, &cu, "Benutzer anlegen", "/benutzer").await,
        is_new: true,
        action: "/benutzer/neu".into(),
        form: UserForm {
            role: Role::Staff.as_str().into(),
            ..UserForm::default()
        },
        roles: roles(),
        departments: departments(&state).await?,
        errors: FieldErrors::new(),
        form_error: String::new(),
        user_id: None,
        active: true,
        functions: Vec::new(),
    })
}

pub async fn create(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(form): Form<UserForm>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    if let Some(msg) = check_email(&form.email) {
        errors.insert("email", msg);
    }
    let (role, department) = check_form(&state, &form, &mut errors).await?;
    if errors.is_empty() {
        let new = NewUser {
            email: form.email.clone(),
            name: form.name.clone(),
            role,
            department,
            password_hash: None,
        };
        match state.store.create_user(&cu.actor(), &new).await {
            Ok(user) => {
                let cookie =
                    link_notice::deliver(&state, &cu, &user, TokenKind::Invite, true).await?;
                return Ok(to_list_with(cookie));
            }
            Err(StoreError::Duplicate(msg)) => {
                errors.insert("email", msg);
            }
            Err(e) => return Err(e.into()),
        }
    }
    let mut response = render(&UserFormPage {
        layout: Layout::for_user(&state, &cu, "Benutzer anlegen", "/benutzer").await,
        is_new: true,
        action: "/benutzer/neu".into(),
        form,
        roles: roles(),
        departments: departments(&state).await?,
        errors,
        form_error: "Bitte prüfen Sie die markierten Felder.".into(),
        user_id: None,
        active: true,
        functions: Vec::new(),
    })?;
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

pub async fn edit_form(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let user = state.store.user(id).await?;
    render(&UserFormPage {
        layout: Layout::for_user(&state, &cu, "Benutzer bearbeiten", "/benutzer").await,
        is_new: false,
        action: format!("/benutzer/{id}"),
        form: UserForm {
            name: user.name.clone(),
            email: user.email.clone(),
            role: user.role.as_str().into(),
            department: user.department.clone().unwrap_or_default(),
            version: user.version,
        },
        roles: roles(),
        departments: departments(&state).await?,
        errors: FieldErrors::new(),
        form_error: String::new(),
        user_id: Some(id),
        active: user.active,
        functions: choices(&state, id).await?,
    })
}

pub async fn update(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<UserForm>,
) -> Result<Response, PageError> {
    let current = state.store.user(id).await?;
    let mut errors = FieldErrors::new();
    let (role, department) = check_form(&state, &form, &mut errors).await?;
    let mut form_error = "Bitte prüfen Sie die markierten Felder.".to_string();
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if errors.is_empty() {
        match state
            .store
            .update_user(
                &cu.actor(),
                id,
                form.version,
                &form.name,
                role,
                department.as_deref(),
            )
            .await
        {
            Ok(_) => return Ok(Redirect::to("/benutzer").into_response()),
            Err(StoreError::Conflict) => {
                form_error = format!(
                    "{} Ihre Eingaben stehen noch im Formular; speichern Sie erneut, um sie zu übernehmen.",
                    StoreError::Conflict
                );
                status = StatusCode::CONFLICT;
            }
            Err(StoreError::Duplicate(msg)) => {
                errors.insert("role", msg);
            }
            Err(e) => return Err(e.into()),
        }
    }
    let mut form = form;
    form.email = current.email.clone();
    if status == StatusCode::CONFLICT {
        form.version = current.version;
    }
    let mut response = render(&UserFormPage {
        layout: Layout::for_user(&state, &cu, "Benutzer bearbeiten", "/benutzer").await,
        is_new: false,
        action: format!("/benutzer/{id}"),
        form,
        roles: roles(),
        departments: departments(&state).await?,
        errors,
        form_error,
        user_id: Some(id),
        active: current.active,
        functions: choices(&state, id).await?,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ActiveForm {
    active: String,
}

pub async fn set_active(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<ActiveForm>,
) -> Result<Response, PageError> {
    let active = form.active == "1";
    if !active && id == cu.user.id {
        return Err(
            AppError::Conflict("Sie können Ihr eigenes Konto nicht deaktivieren.".into()).into(),
        );
    }
    match state.store.set_user_active(&cu.actor(), id, active).await {
        Ok(_) => Ok(Redirect::to("/benutzer").into_response()),
        Err(StoreError::Duplicate(msg)) => Err(AppError::Conflict(msg).into()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "people/user_import.html")]
struct ImportPage {
    layout: Layout,
    csv: String,
    mode: String,
    errors: FieldErrors,
    form_error: String,
    row_errors: Vec<(u64, String)>,
    valid_count: usize,
    invites: Vec<(String, String)>,
    mailed: usize,
    /// Rows left out by an import of the valid rows only.
    skipped: Vec<(u64, String)>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ImportQuery {
    /// The key of the import just made (redirect after POST).
    ergebnis: String,
}

/// The import form; after an import it shows the invitation links and the
/// rows left out (reloading shows them again and imports nothing).
pub async fn import_form(
    State(state): State<AppState>,
    cu: CurrentUser,
    Query(q): Query<ImportQuery>,
) -> Result<Response, PageError> {
    let mut layout = Layout::for_user(&state, &cu, "Benutzer importieren", "/benutzer").await;
    let imported = if q.ergebnis.is_empty() {
        None
    } else {
        let found = crate::handover::get::<Imported>(&state, &cu, &q.ergebnis).await?;
        layout = match &found {
            Some(i) => layout.with_flash(
                "ok",
                format!(
                    "{} importiert.",
                    journey::german::count(i.invites.len(), "Person", "Personen")
                ),
            ),
            None => layout.with_flash(
                "pending",
                "Die Einladungslinks des Imports werden nicht mehr angezeigt. Neue Links gibt es in der Benutzerliste bei jeder Person.",
            ),
        };
        found
    };
    render(&ImportPage {
        layout,
        csv: "name,email,department,role\n".into(),
        mode: "all".into(),
        errors: FieldErrors::new(),
        form_error: String::new(),
        row_errors: Vec::new(),
        valid_count: 0,
        invites: imported
            .as_ref()
            .map(|i| i.invites.clone())
            .unwrap_or_default(),
        mailed: imported.as_ref().map_or(0, |i| i.mailed),
        skipped: imported.map(|i| i.skipped.clone()).unwrap_or_default(),
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ImportForm {
    csv: String,
    mode: String,
}

pub async fn import(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(form): Form<ImportForm>,
) -> Result<Response, PageError> {
    let mut page = ImportPage {
        layout: Layout::for_user(&state, &cu, "Benutzer importieren", "/benutzer").await,
        csv: form.csv.clone(),
        mode: form.mode.clone(),
        errors: FieldErrors::new(),
        form_error: String::new(),
        row_errors: Vec::new(),
        valid_count: 0,
        invites: Vec::new(),
        mailed: 0,
        skipped: Vec::new(),
    };
    let (refused, status) = match import_users(&state, &cu, &form.csv, form.mode == "valid").await {
        Ok(Ok(imported)) => {
            // Redirect after POST: reloading the page shows the links and
            // imports nobody twice.
            let key = crate::handover::put(&state, &cu, &imported).await?;
            return Ok(Redirect::to(&format!("/benutzer/import?ergebnis={key}")).into_response());
        }
        Ok(Err(ImportRefusal::Unreadable(message))) => {
            page.errors.insert("csv", message);
            page.form_error =
                "Die CSV-Datei konnte nicht gelesen werden. Nichts wurde gespeichert.".into();
            (page, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Ok(Err(ImportRefusal::Rows { valid, errors })) => {
            page.valid_count = valid;
            page.row_errors = errors;
            (page, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(AppError::Conflict(message)) => {
            page.form_error = message;
            (page, StatusCode::CONFLICT)
        }
        Err(e) => return Err(e.into()),
    };
    let mut response = render(&refused)?;
    *response.status_mut() = status;
    Ok(response)
}
