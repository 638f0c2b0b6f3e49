//! Talking to the directory over LDAP (`ldap3` with rustls, no OpenSSL):
//! only over TLS (LDAPS or StartTLS), the person found by the service
//! account with the input escaped per RFC 4515, the password checked by a
//! bind as that person, the groups resolved through nesting. Every step
//! ends within the configured timeout.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use ldap3::{ldap_escape, Ldap, LdapConnAsync, LdapConnSettings, Scope, SearchEntry};

use super::config::{DirectoryConfig, NestedGroups};

/// One person as the directory describes them.
#[derive(Debug, Clone)]
pub struct DirectoryEntry {
    pub dn: String,
    pub login: String,
    pub attrs: HashMap<String, Vec<String>>,
    /// Every group's common name and DN, nested memberships included.
    pub groups: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// Not reachable, TLS failed, or no answer within the timeout.
    #[error("Verzeichnis nicht erreichbar: {0}")]
    Unreachable(String),
    /// Unknown person or wrong password (deliberately not told apart).
    #[error("Anmeldename oder Passwort ist falsch")]
    InvalidCredentials,
    /// The service account was refused, or a search failed.
    #[error("Verzeichnisfehler: {0}")]
    Directory(String),
    #[error("Einstellung unvollständig: {0}")]
    Config(String),
}

/// Most groups followed for one person: a guard beside the cycle check
/// against a directory that nests without end.
const MAX_GROUPS: usize = 500;

fn tls_config(
    config: &DirectoryConfig,
) -> Result<Option<Arc<rustls::ClientConfig>>, DirectoryError> {
    let pem = config.ca_cert_pem.trim();
    if pem.is_empty() {
        return Ok(None);
    }
    use rustls::pki_types::{pem::PemObject, CertificateDer};
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        let cert =
            cert.map_err(|e| DirectoryError::Config(format!("CA-Zertifikat nicht lesbar: {e}")))?;
        roots
            .add(cert)
            .map_err(|e| DirectoryError::Config(format!("CA-Zertifikat ungültig: {e}")))?;
    }
    if roots.is_empty() {
        return Err(DirectoryError::Config(
            "Im CA-Zertifikat (PEM) steht kein Zertifikat.".into(),
        ));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| DirectoryError::Config(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Some(Arc::new(tls)))
}

/// A connection bound as the service account (or anonymously without one).
async fn connect(config: &DirectoryConfig) -> Result<Ldap, DirectoryError> {
    if let Some(problem) = config.problems().into_iter().next() {
        return Err(DirectoryError::Config(problem));
    }
    let mut settings = LdapConnSettings::new()
        .set_conn_timeout(config.timeout())
        .set_starttls(config.starttls && config.url.trim().starts_with("ldap://"));
    if let Some(tls) = tls_config(config)? {
        settings = settings.set_config(tls);
    }
    let (conn, mut ldap) = LdapConnAsync::with_settings(settings, config.url.trim())
        .await
        .map_err(|e| DirectoryError::Unreachable(e.to_string()))?;
    ldap3::drive!(conn);
    bind_service_account(&mut ldap, config).await?;
    Ok(ldap)
}

/// Binds as the configured service account; without one, the connection
/// stays anonymous.
async fn bind_service_account(
    ldap: &mut Ldap,
    config: &DirectoryConfig,
) -> Result<(), DirectoryError> {
    if !config.bind_dn.trim().is_empty() {
        ldap.with_timeout(config.timeout())
            .simple_bind(config.bind_dn.trim(), &config.bind_password)
            .await
            .map_err(|e| DirectoryError::Unreachable(e.to_string()))?
            .success()
            .map_err(|e| DirectoryError::Directory(format!("Dienstkonto abgewiesen: {e}")))?;
    }
    Ok(())
}

/// The filter for one login, the input escaped per RFC 4515.
pub fn user_filter(config: &DirectoryConfig, login: &str) -> String {
    config
        .user_filter
        .replace("{login}", &ldap_escape(login.trim()))
}

async fn search(
    ldap: &mut Ldap,
    config: &DirectoryConfig,
    base: &str,
    filter: &str,
    attrs: Vec<String>,
) -> Result<Vec<SearchEntry>, DirectoryError> {
    let (entries, _) = ldap
        .with_timeout(config.timeout())
        .search(base, Scope::Subtree, filter, attrs)
        .await
        .map_err(|e| DirectoryError::Unreachable(e.to_string()))?
        .success()
        .map_err(|e| DirectoryError::Directory(format!("Suche abgewiesen: {e}")))?;
    Ok(entries.into_iter().map(SearchEntry::construct).collect())
}

/// The one entry for `login`; none or several (an ambiguous filter) is
/// `None`, so nobody signs in as somebody else by a vague name.
async fn find_user(
    ldap: &mut Ldap,
    config: &DirectoryConfig,
    login: &str,
) -> Result<Option<SearchEntry>, DirectoryError> {
    let m = &config.mapping;
    let attrs = vec![
        config.login_attribute.clone(),
        m.email_attribute.clone(),
        m.name_attribute.clone(),
        m.department_attribute.clone(),
    ];
    let mut found = search(
        ldap,
        config,
        &config.base_dn,
        &user_filter(config, login),
        attrs,
    )
    .await?;
    Ok(if found.len() == 1 { found.pop() } else { None })
}

fn group_names(entry: &SearchEntry) -> Vec<String> {
    let mut names = vec![entry.dn.clone()];
    for (k, values) in &entry.attrs {
        if k.eq_ignore_ascii_case("cn") {
            names.extend(values.iter().cloned());
        }
    }
    names
}

/// The groups `dn` belongs to, directly or through other groups.
async fn groups_of(
    ldap: &mut Ldap,
    config: &DirectoryConfig,
    dn: &str,
) -> Result<Vec<String>, DirectoryError> {
    let base = config.group_base().to_string();
    let attrs = vec!["cn".to_string()];
    match config.nested_groups {
        NestedGroups::ActiveDirectory => {
            let filter = format!("(member:1.2.840.113556.1.4.1941:={})", ldap_escape(dn));
            let found = search(ldap, config, &base, &filter, attrs).await?;
            Ok(found.iter().flat_map(group_names).collect())
        }
        NestedGroups::Walk => {
            let mut seen: HashSet<String> = HashSet::new();
            let mut queue = vec![dn.to_string()];
            let mut names = Vec::new();
            while let Some(member) = queue.pop() {
                let filter = format!(
                    "(&(|(objectClass=groupOfNames)(objectClass=group))(member={}))",
                    ldap_escape(&member)
                );
                for group in search(ldap, config, &base, &filter, attrs.clone()).await? {
                    // DNs compare without regard to case; a group seen
                    // before (a cycle, or two paths to it) is not walked again.
                    if seen.len() < MAX_GROUPS && seen.insert(group.dn.to_lowercase()) {
                        queue.push(group.dn.clone());
                        names.extend(group_names(&group));
                    }
                }
            }
            Ok(names)
        }
    }
}

fn login_of(entry: &SearchEntry, config: &DirectoryConfig, fallback: &str) -> String {
    entry
        .attrs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(&config.login_attribute))
        .and_then(|(_, v)| v.first().cloned())
        .unwrap_or_else(|| fallback.to_string())
}

async fn entry_with_groups(
    ldap: &mut Ldap,
    config: &DirectoryConfig,
    entry: SearchEntry,
    login: &str,
) -> Result<DirectoryEntry, DirectoryError> {
    let groups = groups_of(ldap, config, &entry.dn).await?;
    Ok(DirectoryEntry {
        login: login_of(&entry, config, login),
        dn: entry.dn,
        attrs: entry.attrs,
        groups,
    })
}

async fn within<T>(
    config: &DirectoryConfig,
    work: impl std::future::Future<Output = Result<T, DirectoryError>>,
) -> Result<T, DirectoryError> {
    // Each step has its own timeout; this one bounds them all together, so
    // a directory that answers slowly at every step cannot add them up.
    let limit = config.timeout() * 3;
    tokio::time::timeout(limit, work).await.unwrap_or_else(|_| {
        Err(DirectoryError::Unreachable(format!(
            "keine Antwort binnen {} s",
            limit.as_secs()
        )))
    })
}

/// Checks `password` for `login` and returns the person with their groups.
pub async fn authenticate(
    config: &DirectoryConfig,
    login: &str,
    password: &str,
) -> Result<DirectoryEntry, DirectoryError> {
    // An empty password makes a simple bind "unauthenticated" (RFC 4513
    // 5.1.2), which many directories accept: it must never count as a login.
    if login.trim().is_empty() || password.is_empty() {
        return Err(DirectoryError::InvalidCredentials);
    }
    within(config, async {
        let mut ldap = connect(config).await?;
        let entry = find_user(&mut ldap, config, login)
            .await?
            .ok_or(DirectoryError::InvalidCredentials)?;
        let dn = entry.dn.clone();
        let bound = ldap
            .with_timeout(config.timeout())
            .simple_bind(&dn, password)
            .await
            .map_err(|e| DirectoryError::Unreachable(e.to_string()))?;
        if bound.rc != 0 {
            let _ = ldap.unbind().await;
            return Err(DirectoryError::InvalidCredentials);
        }
        // Groups are read as the service account again: a person may not
        // be allowed to read the groups they are in.
        bind_service_account(&mut ldap, config).await?;
        let found = entry_with_groups(&mut ldap, config, entry, login).await;
        let _ = ldap.unbind().await;
        found
    })
    .await
}

/// The person for `login` as the service account sees them, without their
/// password: for the preview page and the sync.
pub async fn lookup(
    config: &DirectoryConfig,
    login: &str,
) -> Result<Option<DirectoryEntry>, DirectoryError> {
    if login.trim().is_empty() {
        return Ok(None);
    }
    within(config, async {
        let mut ldap = connect(config).await?;
        let found = match find_user(&mut ldap, config, login).await? {
            Some(entry) => Some(entry_with_groups(&mut ldap, config, entry, login).await?),
            None => None,
        };
        let _ = ldap.unbind().await;
        Ok(found)
    })
    .await
}

/// A session for many look-ups in a row (the sync), on one connection.
pub struct Session {
    ldap: Ldap,
    config: DirectoryConfig,
}

impl Session {
    pub async fn open(config: &DirectoryConfig) -> Result<Session, DirectoryError> {
        let ldap = within(config, connect(config)).await?;
        Ok(Session {
            ldap,
            config: config.clone(),
        })
    }

    pub async fn lookup(&mut self, login: &str) -> Result<Option<DirectoryEntry>, DirectoryError> {
        let config = self.config.clone();
        let ldap = &mut self.ldap;
        within(&config, async {
            match find_user(ldap, &config, login).await? {
                Some(entry) => Ok(Some(entry_with_groups(ldap, &config, entry, login).await?)),
                None => Ok(None),
            }
        })
        .await
    }

    pub async fn close(mut self) {
        let _ = self.ldap.unbind().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_is_escaped_per_rfc_4515() {
        let config = DirectoryConfig {
            user_filter: "(&(objectClass=person)(uid={login}))".into(),
            ..DirectoryConfig::default()
        };
        assert_eq!(
            user_filter(&config, "*)(uid=*"),
            r"(&(objectClass=person)(uid=\2a\29\28uid=\2a))"
        );
        assert_eq!(
            user_filter(&config, r"a\b"),
            r"(&(objectClass=person)(uid=a\5cb))"
        );
        assert_eq!(
            user_filter(&config, "nul\0"),
            r"(&(objectClass=person)(uid=nul\00))"
        );
    }
}
