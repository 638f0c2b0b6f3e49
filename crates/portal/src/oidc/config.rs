//! The OpenID Connect settings: from the config file (`[oidc]`, the client
//! secret also from `KI_REISE_OIDC_CLIENT_SECRET`) and from the admin page,
//! which stores them in the database; what the page saved wins, as for the
//! directory (see [`crate::directory::config`]).

use serde::{Deserialize, Serialize};

use crate::directory::config::LocalLogin;
use crate::directory::mapping::Mapping;
use crate::AppState;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OidcConfig {
    pub enabled: bool,
    /// The provider's issuer, exactly as its discovery document names it,
    /// e.g. `https://login.stadt.de/realms/verwaltung` (Keycloak).
    pub issuer: String,
    pub client_id: String,
    /// Never shown or returned; the admin page only replaces it.
    pub client_secret: String,
    /// Scopes asked for besides `openid`.
    pub scopes: Vec<String>,
    /// Claims that carry e-mail, display name, department and groups.
    pub email_claim: String,
    pub name_claim: String,
    pub department_claim: String,
    pub groups_claim: String,
    /// Hosts besides the issuer's that discovered endpoints may name (e.g.
    /// `graph.microsoft.com` for Entra ID's userinfo); nothing else is
    /// ever contacted.
    pub allowed_hosts: Vec<String>,
    /// Longest wait for the provider, per request.
    pub timeout_secs: u64,
    /// Clock difference accepted for `exp` and `iat`.
    pub clock_skew_secs: u64,
    /// Departments, group → role and group → function tables as for the
    /// directory; the claim names above replace its attribute names.
    pub mapping: Mapping,
    /// Who may still sign in with a local password while this is on; as
    /// for the directory, and either setting can switch local sign-in off
    /// (see [`crate::people::local_login`]).
    pub local_login: LocalLogin,
    /// The break-glass administration's e-mail: its local sign-in keeps
    /// working and is written to the audit log.
    pub break_glass_email: String,
}

impl Default for OidcConfig {
    fn default() -> Self {
        OidcConfig {
            enabled: false,
            issuer: String::new(),
            client_id: String::new(),
            client_secret: String::new(),
            scopes: vec!["email".into(), "profile".into()],
            email_claim: "email".into(),
            name_claim: "name".into(),
            department_claim: "department".into(),
            groups_claim: "groups".into(),
            allowed_hosts: Vec::new(),
            timeout_secs: 5,
            clock_skew_secs: 60,
            mapping: Mapping::default(),
            local_login: LocalLogin::Everyone,
            break_glass_email: String::new(),
        }
    }
}

pub const SETTING_KEY: &str = "oidc";

/// Where the provider sends the browser back, below `--public-url`.
pub const CALLBACK_PATH: &str = "/anmelden/dienstkonto/zurueck";

impl OidcConfig {
    pub fn timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.timeout_secs.clamp(1, 60))
    }

    pub fn skew_secs(&self) -> i64 {
        self.clock_skew_secs.min(300) as i64
    }

    /// The directory's mapping with this provider's claim names.
    pub fn claim_mapping(&self) -> Mapping {
        Mapping {
            email_attribute: self.email_claim.clone(),
            name_attribute: self.name_claim.clone(),
            department_attribute: self.department_claim.clone(),
            ..self.mapping.clone()
        }
    }

    /// `openid` and the configured scopes; a scope is a plain token
    /// (RFC 6749 §3.3), anything else is left out.
    pub fn scope(&self) -> String {
        let mut scopes = vec!["openid".to_string()];
        for s in &self.scopes {
            let s = s.trim();
            let plain = !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\');
            if plain && !scopes.iter().any(|x| x == s) {
                scopes.push(s.to_string());
            }
        }
        scopes.join(" ")
    }

    pub fn redirect_uri(&self, public_url: &str) -> String {
        format!("{}{CALLBACK_PATH}", public_url.trim_end_matches('/'))
    }

    /// What is missing before sign-in can work, in German, for the page.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Err(e) = super::urls::check_issuer(self.issuer.trim()) {
            out.push(format!("Aussteller (Issuer): {e}"));
        }
        if self.client_id.trim().is_empty() {
            out.push("Client-ID fehlt.".into());
        }
        if self.client_secret.is_empty() {
            out.push("Client-Geheimnis fehlt.".into());
        }
        if self.local_login == LocalLogin::BreakGlassOnly
            && self.break_glass_email.trim().is_empty()
        {
            out.push(
                "Wer lokale Anmeldungen abschaltet, muss ein Notfallkonto der Administration angeben."
                    .into(),
            );
        }
        for host in &self.allowed_hosts {
            if gateway::host_entry(host.trim()).is_none() {
                out.push(format!(
                    "„{host}“ ist kein Rechnername (z. B. graph.microsoft.com)."
                ));
            }
        }
        out
    }
}

/// The setting in force: the admin page's if saved, else the file's.
pub async fn effective(state: &AppState) -> Result<Option<OidcConfig>, store::StoreError> {
    let config = load(&state.store, state.config.oidc.as_ref()).await?;
    state.oidc_form_targets.note(config.as_ref());
    Ok(config)
}

pub async fn load(
    store: &store::Store,
    from_file: Option<&OidcConfig>,
) -> Result<Option<OidcConfig>, store::StoreError> {
    crate::directory::config::load_setting(store, SETTING_KEY, from_file).await
}

/// The configuration in use when sign-in with OpenID Connect is on.
pub async fn active(state: &AppState) -> Result<Option<OidcConfig>, store::StoreError> {
    Ok(effective(state).await?.filter(|c| c.enabled))
}
