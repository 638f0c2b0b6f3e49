//! The directory's settings: from the config file (`[directory]`, the bind
//! password also from `KI_REISE_DIRECTORY_BIND_PASSWORD`) and from the admin
//! page, which stores them in the database. What the page saved wins over
//! the file, so the administration can change it without a restart and
//! every instance on the same database sees the same setting.

use serde::{Deserialize, Serialize};

use super::mapping::Mapping;
use crate::AppState;

/// How group membership through nested groups is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum NestedGroups {
    /// Active Directory: one search with the matching rule
    /// LDAP_MATCHING_RULE_IN_CHAIN (`member:1.2.840.113556.1.4.1941:=DN`),
    /// which the domain controller resolves at any depth.
    #[default]
    ActiveDirectory,
    /// Other directories (OpenLDAP): the groups naming the person as
    /// `member`, then the groups naming those, with a guard against cycles.
    Walk,
}

/// Who may still sign in with a local password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum LocalLogin {
    #[default]
    Everyone,
    /// Only the break-glass administration; each use is in the audit log.
    BreakGlassOnly,
}

impl LocalLogin {
    /// The form's and the API's value, as serde writes it.
    pub fn slug(self) -> &'static str {
        match self {
            LocalLogin::Everyone => "everyone",
            LocalLogin::BreakGlassOnly => "break-glass-only",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DirectoryConfig {
    pub enabled: bool,
    /// `ldaps://dc1.stadt.intern` (port 636) or `ldap://…` with `starttls`.
    pub url: String,
    pub starttls: bool,
    /// PEM of the internal CA that signed the directory's certificate;
    /// empty: the system's trusted CAs.
    pub ca_cert_pem: String,
    /// Config file only: a PEM file read into `ca_cert_pem` at start.
    #[serde(skip_serializing)]
    pub ca_cert_file: Option<std::path::PathBuf>,
    /// The service account that searches for people and groups.
    pub bind_dn: String,
    /// Never shown or returned; the admin page only replaces it.
    pub bind_password: String,
    /// Where people are searched.
    pub base_dn: String,
    /// Where groups are searched (empty: `base_dn`).
    pub group_base_dn: String,
    /// The search for one person; `{login}` is replaced by the escaped
    /// input (RFC 4515), so `*)(uid=*` matches nobody.
    pub user_filter: String,
    /// The attribute that holds the login name (the account's stable link).
    pub login_attribute: String,
    pub nested_groups: NestedGroups,
    /// Longest wait for the directory, per sign-in or sync step.
    pub timeout_secs: u64,
    pub mapping: Mapping,
    pub local_login: LocalLogin,
    /// The local account that may always sign in with its password.
    pub break_glass_email: String,
}

impl Default for DirectoryConfig {
    fn default() -> Self {
        DirectoryConfig {
            enabled: false,
            url: String::new(),
            starttls: false,
            ca_cert_pem: String::new(),
            ca_cert_file: None,
            bind_dn: String::new(),
            bind_password: String::new(),
            base_dn: String::new(),
            group_base_dn: String::new(),
            user_filter: "(&(objectClass=user)(|(sAMAccountName={login})(mail={login})))".into(),
            login_attribute: "sAMAccountName".into(),
            nested_groups: NestedGroups::ActiveDirectory,
            timeout_secs: 5,
            mapping: Mapping::default(),
            local_login: LocalLogin::Everyone,
            break_glass_email: String::new(),
        }
    }
}

pub const SETTING_KEY: &str = "directory";

impl DirectoryConfig {
    pub fn timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.timeout_secs.clamp(1, 120))
    }

    pub fn group_base(&self) -> &str {
        if self.group_base_dn.trim().is_empty() {
            &self.base_dn
        } else {
            &self.group_base_dn
        }
    }

    /// What is missing before sign-in can work, in German, for the page.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let url = self.url.trim();
        if !(url.starts_with("ldaps://") || (url.starts_with("ldap://") && self.starttls)) {
            out.push(
                "Adresse: ldaps://… angeben, oder ldap://… zusammen mit StartTLS. \
                 Unverschlüsselt werden keine Passwörter übertragen."
                    .to_string(),
            );
        }
        if self.base_dn.trim().is_empty() {
            out.push("Suchbasis für Personen fehlt (z. B. ou=Verwaltung,dc=stadt,dc=de).".into());
        }
        if !self.user_filter.contains("{login}") {
            out.push("Der Suchfilter muss {login} enthalten.".into());
        }
        if self.login_attribute.trim().is_empty() {
            out.push("Attribut für den Anmeldenamen fehlt (z. B. sAMAccountName oder uid).".into());
        }
        if self.local_login == LocalLogin::BreakGlassOnly
            && self.break_glass_email.trim().is_empty()
        {
            out.push(
                "Wer lokale Anmeldungen abschaltet, muss ein Notfallkonto der Administration angeben."
                    .into(),
            );
        }
        out
    }
}

/// The setting in force: the admin page's if saved, else the file's.
pub async fn effective(state: &AppState) -> Result<Option<DirectoryConfig>, store::StoreError> {
    load(&state.store, state.config.directory.as_ref()).await
}

pub async fn load(
    store: &store::Store,
    from_file: Option<&DirectoryConfig>,
) -> Result<Option<DirectoryConfig>, store::StoreError> {
    load_setting(store, SETTING_KEY, from_file).await
}

/// A sign-in setting as the admin page stored it (JSON under `key`), else
/// the config file's; shared with OpenID Connect ([`crate::oidc::config`]).
pub(crate) async fn load_setting<T: serde::de::DeserializeOwned + Clone>(
    store: &store::Store,
    key: &str,
    from_file: Option<&T>,
) -> Result<Option<T>, store::StoreError> {
    if let Some(json) = store.setting(key).await? {
        match serde_json::from_str::<T>(&json) {
            Ok(config) => return Ok(Some(config)),
            Err(e) => {
                tracing::error!(error = %e, key, "stored sign-in setting unreadable; using the file's")
            }
        }
    }
    Ok(from_file.cloned())
}

/// The configuration in use when directory sign-in is switched on.
pub async fn active(state: &AppState) -> Result<Option<DirectoryConfig>, store::StoreError> {
    Ok(effective(state).await?.filter(|c| c.enabled))
}
