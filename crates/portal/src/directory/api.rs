//! API twins of `/benutzer/verzeichnis`: the directory settings (the
//! service account's password write-only: never in an answer, only
//! whether one is stored), the mapping preview for a test account, and the
//! sync. Same permission as the page (ManageUsers), same checks: the
//! settings go through the page's form check.

use axum::extract::State;
use axum::Json;
use journey::access::Role;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::admin_form::DirectoryForm;
use super::config::{self, DirectoryConfig, LocalLogin, NestedGroups};
use super::mapping::{DepartmentRule, GroupFunction, GroupRole, Mapping};
use super::{accounts, admin_page, client, signin, sync};
use crate::api::ApiJson;
use crate::auth::CurrentUser;
use crate::error::{ApiError, AppError, ErrorBody};
use crate::form::FieldErrors;
use crate::AppState;

/// The group tables of a mapping, for directory and identity provider.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MappingTablesDto {
    /// Names that differ from the profile's departments.
    pub departments: Vec<DepartmentRule>,
    /// Group → role; of several, the role with the most rights counts.
    pub roles: Vec<GroupRole>,
    pub functions: Vec<GroupFunction>,
    /// The role of someone in no mapped group; null: no sign-in.
    #[schema(value_type = Option<String>)]
    pub default_role: Option<Role>,
}

impl MappingTablesDto {
    pub fn of(m: &Mapping) -> MappingTablesDto {
        MappingTablesDto {
            departments: m.departments.clone(),
            roles: m.roles.clone(),
            functions: m.functions.clone(),
            default_role: m.default_role,
        }
    }

    /// A mapping with these tables and `base`'s attribute names.
    pub fn into_mapping(self, base: &Mapping) -> Mapping {
        Mapping {
            departments: self.departments,
            roles: self.roles,
            functions: self.functions,
            default_role: self.default_role,
            ..base.clone()
        }
    }
}

/// The first problem of a form check as the API's field error.
pub fn first_error(errors: &FieldErrors) -> AppError {
    match errors.first() {
        Some((field, message)) => AppError::invalid(field, message),
        None => AppError::invalid("(Wurzel)", "Ungültige Einstellung."),
    }
}

/// Directory settings as read.
#[derive(Serialize, ToSchema)]
pub struct DirectorySettingsDto {
    pub enabled: bool,
    pub url: String,
    pub starttls: bool,
    pub ca_cert_pem: String,
    pub bind_dn: String,
    /// Whether a password of the service account is stored (never itself).
    pub bind_password_stored: bool,
    pub base_dn: String,
    pub group_base_dn: String,
    pub user_filter: String,
    pub login_attribute: String,
    /// `active-directory` or `walk`.
    pub nested_groups: String,
    pub timeout_secs: u64,
    pub email_attribute: String,
    pub name_attribute: String,
    pub department_attribute: String,
    pub mapping: MappingTablesDto,
    /// `everyone` or `break-glass-only`.
    pub local_login: String,
    pub break_glass_email: String,
    /// true: from the config file, not (yet) saved in the portal.
    pub from_file: bool,
}

fn settings_dto(c: &DirectoryConfig, from_file: bool) -> DirectorySettingsDto {
    let form = DirectoryForm::from_config(c);
    DirectorySettingsDto {
        enabled: c.enabled,
        url: c.url.clone(),
        starttls: c.starttls,
        ca_cert_pem: c.ca_cert_pem.clone(),
        bind_dn: c.bind_dn.clone(),
        bind_password_stored: !c.bind_password.is_empty(),
        base_dn: c.base_dn.clone(),
        group_base_dn: c.group_base_dn.clone(),
        user_filter: c.user_filter.clone(),
        login_attribute: c.login_attribute.clone(),
        nested_groups: form.nested_groups,
        timeout_secs: c.timeout_secs,
        email_attribute: c.mapping.email_attribute.clone(),
        name_attribute: c.mapping.name_attribute.clone(),
        department_attribute: c.mapping.department_attribute.clone(),
        mapping: MappingTablesDto::of(&c.mapping),
        local_login: c.local_login.slug().into(),
        break_glass_email: c.break_glass_email.clone(),
        from_file,
    }
}

async fn current(state: &AppState) -> Result<(DirectoryConfig, bool), AppError> {
    let effective = config::effective(state).await?;
    let saved = state.store.setting(config::SETTING_KEY).await?.is_some();
    Ok((
        effective.clone().unwrap_or_default(),
        !saved && effective.is_some(),
    ))
}

/// The directory sign-in settings.
#[utoipa::path(get, path = "/api/v1/sign-in/directory", tag = "Anmeldung",
    responses((status = 200, body = DirectorySettingsDto)))]
pub async fn get_settings(
    State(state): State<AppState>,
    _cu: CurrentUser,
) -> Result<Json<DirectorySettingsDto>, ApiError> {
    let (c, from_file) = current(&state).await?;
    Ok(Json(settings_dto(&c, from_file)))
}

/// Directory settings to store. Fields left out take their defaults.
#[derive(Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DirectorySettingsInput {
    pub enabled: bool,
    /// `ldaps://…`, or `ldap://…` with `starttls`.
    pub url: String,
    pub starttls: bool,
    pub ca_cert_pem: String,
    pub bind_dn: String,
    /// Write-only. Absent or empty: the stored password stays.
    pub bind_password: Option<String>,
    pub base_dn: String,
    pub group_base_dn: String,
    /// Must contain `{login}`.
    pub user_filter: String,
    pub login_attribute: String,
    /// `active-directory` or `walk`.
    #[schema(pattern = "^(active-directory|walk)$")]
    pub nested_groups: String,
    #[schema(minimum = 1, maximum = 120)]
    pub timeout_secs: u64,
    pub email_attribute: String,
    pub name_attribute: String,
    pub department_attribute: String,
    pub mapping: MappingTablesDto,
    /// `everyone` or `break-glass-only`.
    #[schema(pattern = "^(everyone|break-glass-only)$")]
    pub local_login: String,
    pub break_glass_email: String,
}

impl Default for DirectorySettingsInput {
    fn default() -> Self {
        let d = DirectoryConfig::default();
        DirectorySettingsInput {
            enabled: d.enabled,
            url: d.url,
            starttls: d.starttls,
            ca_cert_pem: d.ca_cert_pem,
            bind_dn: d.bind_dn,
            bind_password: None,
            base_dn: d.base_dn,
            group_base_dn: d.group_base_dn,
            user_filter: d.user_filter,
            login_attribute: d.login_attribute,
            nested_groups: "active-directory".into(),
            timeout_secs: d.timeout_secs,
            email_attribute: d.mapping.email_attribute.clone(),
            name_attribute: d.mapping.name_attribute.clone(),
            department_attribute: d.mapping.department_attribute.clone(),
            mapping: MappingTablesDto::default(),
            local_login: "everyone".into(),
            break_glass_email: String::new(),
        }
    }
}

/// Stores the directory sign-in settings (checked as on the page).
#[utoipa::path(put, path = "/api/v1/sign-in/directory", tag = "Anmeldung",
    request_body = DirectorySettingsInput,
    responses((status = 200, body = DirectorySettingsDto), (status = 422, body = ErrorBody)))]
pub async fn put_settings(
    State(state): State<AppState>,
    cu: CurrentUser,
    ApiJson(body): ApiJson<DirectorySettingsInput>,
) -> Result<Json<DirectorySettingsDto>, ApiError> {
    let (stored, _) = current(&state).await?;
    let nested = match body.nested_groups.as_str() {
        "active-directory" => NestedGroups::ActiveDirectory,
        "walk" => NestedGroups::Walk,
        _ => {
            return Err(
                AppError::invalid("nested_groups", "Erlaubt: active-directory oder walk.").into(),
            )
        }
    };
    let local_login = match body.local_login.as_str() {
        "everyone" => LocalLogin::Everyone,
        "break-glass-only" => LocalLogin::BreakGlassOnly,
        _ => {
            return Err(AppError::invalid(
                "local_login",
                "Erlaubt: everyone oder break-glass-only.",
            )
            .into())
        }
    };
    let new_password = body.bind_password.filter(|p| !p.is_empty());
    let candidate = DirectoryConfig {
        enabled: body.enabled,
        url: body.url,
        starttls: body.starttls,
        ca_cert_pem: body.ca_cert_pem,
        // A file path is the config file's alone, never an API value.
        ca_cert_file: None,
        bind_dn: body.bind_dn,
        bind_password: String::new(),
        base_dn: body.base_dn,
        group_base_dn: body.group_base_dn,
        user_filter: body.user_filter,
        login_attribute: body.login_attribute,
        nested_groups: nested,
        timeout_secs: body.timeout_secs,
        mapping: body.mapping.into_mapping(&Mapping {
            email_attribute: body.email_attribute,
            name_attribute: body.name_attribute,
            department_attribute: body.department_attribute,
            ..Mapping::default()
        }),
        local_login,
        break_glass_email: body.break_glass_email,
    };
    // The page's check, on the page's form of the same setting.
    let form = DirectoryForm {
        bind_password: new_password.clone().unwrap_or_default(),
        ..DirectoryForm::from_config(&candidate)
    };
    let departments = accounts::profile_departments(&state.store).await?;
    let config = form
        .to_config(&stored.bind_password, &departments)
        .map_err(|e| first_error(&e))?;
    admin_page::store_setting(&state, &cu, &config, new_password.is_some()).await?;
    Ok(Json(settings_dto(&config, false)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewInput {
    /// The login name of a test account in the directory.
    #[schema(min_length = 1, max_length = 200)]
    pub login: String,
}

/// What the mapping makes of one directory account.
#[derive(Serialize, ToSchema)]
pub struct PreviewDto {
    pub login: String,
    pub dn: String,
    pub groups: Vec<String>,
    pub email: Option<String>,
    pub name: String,
    pub department: Option<String>,
    /// null: in no mapped group and no default role, so no sign-in.
    pub role: Option<String>,
    pub functions: Vec<String>,
    /// What the administration must fill in (German).
    pub gaps: Vec<String>,
}

/// Shows what the mapping makes of a test account, read with the service
/// account, without creating or changing any account.
#[utoipa::path(post, path = "/api/v1/sign-in/directory/preview", tag = "Anmeldung",
    request_body = PreviewInput,
    responses((status = 200, body = PreviewDto), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn preview(
    State(state): State<AppState>,
    _cu: CurrentUser,
    ApiJson(body): ApiJson<PreviewInput>,
) -> Result<Json<PreviewDto>, ApiError> {
    let Some(config) = config::effective(&state).await? else {
        return Err(AppError::Conflict(
            "Bitte zuerst die Verbindung zum Verzeichnis speichern.".into(),
        )
        .into());
    };
    if body.login.trim().is_empty() {
        return Err(AppError::invalid("login", "Bitte einen Anmeldenamen angeben.").into());
    }
    let entry = match client::lookup(&config, &body.login).await {
        Ok(Some(entry)) => entry,
        Ok(None) => {
            return Err(AppError::invalid(
                "login",
                format!(
                    "Im Verzeichnis gibt es kein eindeutiges Konto „{}“.",
                    body.login.trim()
                ),
            )
            .into())
        }
        Err(e) => return Err(AppError::Unavailable(signin::directory_message(&e)).into()),
    };
    let departments = accounts::profile_departments(&state.store).await?;
    let mapped = accounts::map_entry(&config.mapping, &entry, &departments);
    Ok(Json(PreviewDto {
        login: entry.login,
        dn: entry.dn,
        groups: entry.groups,
        email: mapped.email,
        name: mapped.name,
        department: mapped.department,
        role: mapped.role.map(|r| r.as_str().to_string()),
        functions: mapped
            .functions
            .iter()
            .map(|f| f.as_str().to_string())
            .collect(),
        gaps: mapped.gaps,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct SyncDto {
    pub checked: usize,
    /// E-mail addresses of the accounts deactivated now.
    pub deactivated: Vec<String>,
    pub present: usize,
    /// Accounts that could not be updated, with the reason (German).
    pub problems: Vec<String>,
}

/// Runs the directory sync now (as the hourly job does).
#[utoipa::path(post, path = "/api/v1/sign-in/directory/sync", tag = "Anmeldung",
    responses((status = 200, body = SyncDto), (status = 409, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
pub async fn run_sync(
    State(state): State<AppState>,
    _cu: CurrentUser,
) -> Result<Json<SyncDto>, ApiError> {
    let Some(config) = config::active(&state).await? else {
        return Err(AppError::Conflict(
            "Die Anmeldung über das Verzeichnis ist ausgeschaltet.".into(),
        )
        .into());
    };
    let report = sync::run(&state.store, &config)
        .await
        .map_err(|e| AppError::Unavailable(e.message()))?;
    Ok(Json(SyncDto {
        checked: report.checked,
        deactivated: report.deactivated,
        present: report.present,
        problems: report.problems,
    }))
}
