//! First start: the set-up page creates the first administrator and the
//! municipality profile, protected by a one-time code printed by `serve`.

use crate::text_input::Form;
use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use journey::profile::{parse_department_lines, Profile};
use serde::Deserialize;
use store::profile::SETUP_CODE_KEY;
use store::users::NewUser;
use store::{Store, StoreError};

use crate::auth::{ensure_session, password, start_session, Identity};
use crate::error::PageError;
use crate::form::{check_email, field_errors, FieldErrors};
use crate::view::render;
use crate::view::Layout;
use crate::AppState;

/// If the instance has no administrator yet, makes a fresh set-up code,
/// stores its hash and returns it for the console. A restart makes a new code.
pub async fn prepare_setup_code(store: &Store) -> Result<Option<String>, StoreError> {
    if store.is_set_up().await? {
        return Ok(None);
    }
    let raw = store::random_token(5).to_uppercase();
    let code = format!("{}-{}", &raw[..5], &raw[5..]);
    store
        .set_setting(SETUP_CODE_KEY, &store::hash_token(&code))
        .await?;
    Ok(Some(code))
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SetupForm {
    pub setup_code: String,
    pub admin_name: String,
    pub admin_email: String,
    pub admin_password: String,
    #[serde(flatten)]
    pub profile: ProfileForm,
}

/// The profile fields as typed, kept verbatim for re-display.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ProfileForm {
    pub name: String,
    pub ags: String,
    pub staff_count: String,
    pub departments: String,
    pub dpo_contact: String,
    pub it_security_contact: String,
    pub staff_council_contact: String,
}

impl ProfileForm {
    pub fn from_profile(p: &Profile) -> ProfileForm {
        ProfileForm {
            name: p.name.clone(),
            ags: p.ags.clone(),
            staff_count: p.staff_count.to_string(),
            departments: journey::profile::department_lines(&p.departments),
            dpo_contact: p.dpo_contact.clone(),
            it_security_contact: p.it_security_contact.clone(),
            staff_council_contact: p.staff_council_contact.clone(),
        }
    }

    /// Parses and validates; every problem lands in `errors`.
    pub fn to_profile(&self, errors: &mut FieldErrors) -> Profile {
        let staff_count = match self.staff_count.trim().parse::<u32>() {
            Ok(n) => n,
            Err(_) => {
                errors.insert("staff_count", "Bitte eine ganze Zahl angeben, z. B. 2500.");
                0
            }
        };
        let departments = match parse_department_lines(&self.departments) {
            Ok(d) => d,
            Err(e) => {
                errors.insert("departments", e.message);
                Vec::new()
            }
        };
        let profile = Profile {
            name: self.name.trim().to_string(),
            ags: self.ags.trim().to_string(),
            staff_count,
            departments,
            dpo_contact: self.dpo_contact.trim().to_string(),
            it_security_contact: self.it_security_contact.trim().to_string(),
            staff_council_contact: self.staff_council_contact.trim().to_string(),
        };
        errors.extend(field_errors(&profile.validate()));
        profile
    }
}

#[derive(Template)]
#[template(path = "people/setup.html")]
struct SetupPage {
    layout: Layout,
    form: SetupFormView,
    errors: FieldErrors,
    form_error: String,
}

/// The form as shown again: everything but the password.
struct SetupFormView {
    setup_code: String,
    admin_name: String,
    admin_email: String,
    name: String,
    ags: String,
    staff_count: String,
    departments: String,
    dpo_contact: String,
    it_security_contact: String,
    staff_council_contact: String,
}

impl From<&SetupForm> for SetupFormView {
    fn from(f: &SetupForm) -> Self {
        SetupFormView {
            setup_code: f.setup_code.clone(),
            admin_name: f.admin_name.clone(),
            admin_email: f.admin_email.clone(),
            name: f.profile.name.clone(),
            ags: f.profile.ags.clone(),
            staff_count: f.profile.staff_count.clone(),
            departments: f.profile.departments.clone(),
            dpo_contact: f.profile.dpo_contact.clone(),
            it_security_contact: f.profile.it_security_contact.clone(),
            staff_council_contact: f.profile.staff_council_contact.clone(),
        }
    }
}

pub async fn show(
    State(state): State<AppState>,
    identity: Identity,
) -> Result<Response, PageError> {
    if state.store.is_set_up().await? {
        return Ok(Redirect::to("/").into_response());
    }
    let (csrf, cookie) = ensure_session(&state, &identity).await?;
    let page = SetupPage {
        layout: Layout::anonymous("Ersteinrichtung", csrf),
        form: (&SetupForm::default()).into(),
        errors: FieldErrors::new(),
        form_error: String::new(),
    };
    let mut response = render(&page)?;
    if let Some(cookie) = cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

pub async fn submit(
    State(state): State<AppState>,
    identity: Identity,
    Form(form): Form<SetupForm>,
) -> Result<Response, PageError> {
    if state.store.is_set_up().await? {
        return Ok(Redirect::to("/anmelden").into_response());
    }
    let csrf = identity
        .session
        .as_ref()
        .map(|s| s.csrf.clone())
        .unwrap_or_default();
    let mut errors = FieldErrors::new();
    let expected = state.store.setting(SETUP_CODE_KEY).await?;
    let given = store::hash_token(form.setup_code.trim().to_uppercase().as_str());
    if expected.as_deref() != Some(given.as_str()) {
        errors.insert(
            "setup_code",
            "Der Einrichtungscode stimmt nicht. Er steht in der Konsole, in der ki-reise gestartet wurde.",
        );
    }
    let mut admin_errors = Vec::new();
    journey::profile::check_text("admin_name", &form.admin_name, true, 200, &mut admin_errors);
    errors.extend(field_errors(&admin_errors));
    if let Some(msg) = check_email(&form.admin_email) {
        errors.insert("admin_email", msg);
    }
    if let Err(msg) = password::check_new(&form.admin_password) {
        errors.insert("admin_password", msg);
    }
    let profile = form.profile.to_profile(&mut errors);
    let again = |errors: FieldErrors, form_error: String| -> Result<Response, PageError> {
        let page = SetupPage {
            layout: Layout::anonymous("Ersteinrichtung", csrf.clone()),
            form: (&form).into(),
            errors,
            form_error,
        };
        let mut response = render(&page)?;
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        Ok(response)
    };
    if !errors.is_empty() {
        return again(errors, "Bitte prüfen Sie die markierten Felder.".into());
    }
    let hash = password::hash(form.admin_password.clone()).await?;
    let admin = NewUser {
        email: form.admin_email.clone(),
        name: form.admin_name.clone(),
        role: journey::access::Role::Admin,
        department: None,
        password_hash: Some(hash),
    };
    let id = match state.store.complete_setup(&admin, &profile).await {
        Ok(id) => id,
        Err(StoreError::Conflict) => return Ok(Redirect::to("/anmelden").into_response()),
        Err(StoreError::Duplicate(msg)) => {
            let mut errors = FieldErrors::new();
            errors.insert("admin_email", msg);
            return again(errors, String::new());
        }
        Err(e) => return Err(e.into()),
    };
    let user = state.store.user(id).await?;
    mark_profile_steps_done(&state, &user).await?;
    let cookie = start_session(&state, &identity, &user).await?;
    let mut response = Redirect::to("/?willkommen=1").into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

/// The set-up has just created the profile, so the journey's profile steps
/// are done: the dashboard must not ask for it again.
async fn mark_profile_steps_done(
    state: &AppState,
    user: &store::users::User,
) -> Result<(), StoreError> {
    let actor = store::Actor::user(user.id, &user.name);
    let steps = state
        .plan
        .steps()
        .filter(|s| s.module == journey::plan::Module::Profile);
    for step in steps {
        let note = "Bei der Ersteinrichtung angelegt.";
        match state
            .store
            .set_step_status(&actor, &step.id, journey::plan::StepStatus::Done, note, 0)
            .await
        {
            // Recorded before (a plan whose step someone already changed).
            Ok(_) | Err(StoreError::Conflict) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
