//! API twin of `/benutzer/dienstkonto`: the OpenID Connect settings, with
//! the same permission (ManageUsers) and the same checks as the page,
//! including reading the discovery document before anything is stored.
//! The client secret is write-only: an answer says only whether one is
//! stored.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::admin_form::OidcForm;
use super::admin_page::{self, SaveError};
use super::config::OidcConfig;
use crate::api::ApiJson;
use crate::auth::CurrentUser;
use crate::directory::accounts;
use crate::directory::api::{first_error, MappingTablesDto};
use crate::directory::config::LocalLogin;
use crate::error::{ApiError, AppError, ErrorBody};
use crate::AppState;

/// OpenID Connect settings as read.
#[derive(Serialize, ToSchema)]
pub struct OidcSettingsDto {
    pub enabled: bool,
    pub issuer: String,
    pub client_id: String,
    /// Whether a client secret is stored (never the secret itself).
    pub client_secret_stored: bool,
    pub scopes: Vec<String>,
    pub email_claim: String,
    pub name_claim: String,
    pub department_claim: String,
    pub groups_claim: String,
    pub allowed_hosts: Vec<String>,
    pub timeout_secs: u64,
    pub mapping: MappingTablesDto,
    /// `everyone` or `break-glass-only`.
    pub local_login: String,
    pub break_glass_email: String,
    /// true: from the config file, not (yet) saved in the portal.
    pub from_file: bool,
    /// To register at the provider: redirect URI, post-logout redirect
    /// URI and back-channel logout URI.
    pub redirect_uri: String,
    pub post_logout_redirect_uri: String,
    pub backchannel_logout_uri: String,
}

fn settings_dto(state: &AppState, c: &OidcConfig, from_file: bool) -> OidcSettingsDto {
    let public = state.config.public_url.trim_end_matches('/');
    OidcSettingsDto {
        enabled: c.enabled,
        issuer: c.issuer.clone(),
        client_id: c.client_id.clone(),
        client_secret_stored: !c.client_secret.is_empty(),
        scopes: c.scopes.clone(),
        email_claim: c.email_claim.clone(),
        name_claim: c.name_claim.clone(),
        department_claim: c.department_claim.clone(),
        groups_claim: c.groups_claim.clone(),
        allowed_hosts: c.allowed_hosts.clone(),
        timeout_secs: c.timeout_secs,
        mapping: MappingTablesDto::of(&c.mapping),
        local_login: c.local_login.slug().into(),
        break_glass_email: c.break_glass_email.clone(),
        from_file,
        redirect_uri: c.redirect_uri(public),
        post_logout_redirect_uri: format!("{public}/anmelden"),
        backchannel_logout_uri: format!("{public}{}", super::backchannel::PATH),
    }
}

/// The OpenID Connect sign-in settings.
#[utoipa::path(get, path = "/api/v1/sign-in/oidc", tag = "Anmeldung",
    responses((status = 200, body = OidcSettingsDto)))]
pub async fn get_settings(
    State(state): State<AppState>,
    _cu: CurrentUser,
) -> Result<Json<OidcSettingsDto>, ApiError> {
    let current = admin_page::current(&state).await?;
    Ok(Json(settings_dto(
        &state,
        &current.config,
        current.from_file,
    )))
}

/// OpenID Connect settings to store. Fields left out take their defaults.
#[derive(Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct OidcSettingsInput {
    pub enabled: bool,
    /// `https://…` exactly as the discovery document names it (plain HTTP
    /// only for localhost, in tests). Read on save: an unreachable or
    /// invalid issuer answers 422 and nothing is stored.
    pub issuer: String,
    pub client_id: String,
    /// Write-only. Absent or empty: the stored secret stays.
    pub client_secret: Option<String>,
    /// Besides `openid`.
    pub scopes: Vec<String>,
    pub email_claim: String,
    pub name_claim: String,
    pub department_claim: String,
    pub groups_claim: String,
    /// Hosts besides the issuer's that discovered endpoints may name.
    pub allowed_hosts: Vec<String>,
    #[schema(minimum = 1, maximum = 60)]
    pub timeout_secs: u64,
    pub mapping: MappingTablesDto,
    /// `everyone` or `break-glass-only`.
    #[schema(pattern = "^(everyone|break-glass-only)$")]
    pub local_login: String,
    pub break_glass_email: String,
}

impl Default for OidcSettingsInput {
    fn default() -> Self {
        let d = OidcConfig::default();
        OidcSettingsInput {
            enabled: d.enabled,
            issuer: d.issuer,
            client_id: d.client_id,
            client_secret: None,
            scopes: d.scopes,
            email_claim: d.email_claim,
            name_claim: d.name_claim,
            department_claim: d.department_claim,
            groups_claim: d.groups_claim,
            allowed_hosts: d.allowed_hosts,
            timeout_secs: d.timeout_secs,
            mapping: MappingTablesDto::default(),
            local_login: "everyone".into(),
            break_glass_email: d.break_glass_email,
        }
    }
}

/// Stores the OpenID Connect settings after reading the issuer's
/// discovery document (checked as on the page).
#[utoipa::path(put, path = "/api/v1/sign-in/oidc", tag = "Anmeldung",
    request_body = OidcSettingsInput,
    responses((status = 200, body = OidcSettingsDto), (status = 422, body = ErrorBody)))]
pub async fn put_settings(
    State(state): State<AppState>,
    cu: CurrentUser,
    ApiJson(body): ApiJson<OidcSettingsInput>,
) -> Result<Json<OidcSettingsDto>, ApiError> {
    let current = admin_page::current(&state).await?.config;
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
    let new_secret = body.client_secret.filter(|s| !s.is_empty());
    let candidate = OidcConfig {
        enabled: body.enabled,
        issuer: body.issuer,
        client_id: body.client_id,
        client_secret: String::new(),
        scopes: body.scopes,
        email_claim: body.email_claim,
        name_claim: body.name_claim,
        department_claim: body.department_claim,
        groups_claim: body.groups_claim,
        allowed_hosts: body.allowed_hosts,
        timeout_secs: body.timeout_secs,
        clock_skew_secs: current.clock_skew_secs,
        mapping: body.mapping.into_mapping(&current.mapping),
        local_login,
        break_glass_email: body.break_glass_email,
    };
    // The page's check, on the page's form of the same setting.
    let form = OidcForm {
        client_secret: new_secret.clone().unwrap_or_default(),
        ..OidcForm::from_config(&candidate)
    };
    let departments = accounts::profile_departments(&state.store).await?;
    let config = form
        .to_config(&current, &departments)
        .map_err(|e| first_error(&e))?;
    match admin_page::store_setting(&state, &cu, &config, new_secret.is_some()).await {
        Ok(()) => Ok(Json(settings_dto(&state, &config, false))),
        Err(SaveError::Provider(message)) => Err(AppError::invalid("issuer", message).into()),
        Err(SaveError::Other(e)) => Err(e.into()),
    }
}
