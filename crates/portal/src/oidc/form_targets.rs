//! Where the pages' forms may lead besides the portal itself. The sign-in
//! button (a GET form) and the logout button (a POST form) are answered by
//! a redirect to the OpenID provider; browsers hold the redirect of a form
//! to the page's CSP `form-action`, so with `'self'` alone both buttons
//! silently did nothing in Chromium. The provider's endpoints may only lie
//! on the issuer's host or on hosts the administration allowed
//! ([`super::urls::check_endpoint`]), so those are the sources to add.
//! Kept per instance, refreshed whenever the setting is read, together with
//! the finished CSP header value every response carries.

use std::sync::RwLock;

use axum::http::HeaderValue;

use super::config::OidcConfig;

pub struct FormTargets(RwLock<Current>);

struct Current {
    sources: String,
    policy: HeaderValue,
}

impl Default for FormTargets {
    fn default() -> Self {
        Self(RwLock::new(Current {
            sources: String::new(),
            policy: crate::security::policy(""),
        }))
    }
}

impl FormTargets {
    /// The CSP sources for `config` (none when sign-in through the
    /// provider is off), as one space-separated list.
    pub fn note(&self, config: Option<&OidcConfig>) {
        let sources = config
            .filter(|c| c.enabled)
            .map(sources)
            .unwrap_or_default();
        let unchanged = self.0.read().is_ok_and(|c| c.sources == sources);
        if unchanged {
            return;
        }
        if let Ok(mut current) = self.0.write() {
            current.policy = crate::security::policy(&sources);
            current.sources = sources;
        }
    }

    pub fn sources(&self) -> String {
        self.0.read().map(|c| c.sources.clone()).unwrap_or_default()
    }

    /// The page's whole CSP, ready to insert.
    pub fn policy(&self) -> HeaderValue {
        self.0
            .read()
            .map(|c| c.policy.clone())
            .unwrap_or_else(|_| crate::security::policy(""))
    }
}

fn sources(config: &OidcConfig) -> String {
    let mut out: Vec<String> = Vec::new();
    if let Ok(issuer) = reqwest::Url::parse(config.issuer.trim()) {
        if matches!(issuer.scheme(), "http" | "https") && issuer.host_str().is_some() {
            out.push(issuer.origin().ascii_serialization());
        }
    }
    for entry in &config.allowed_hosts {
        // Only what the setting's own check accepts as a host entry, so
        // nothing but a host and port reaches the header.
        if let Some((host, port)) = gateway::host_entry(entry.trim()) {
            if host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-[]:".contains(c))
            {
                out.push(match port {
                    Some(p) => format!("https://{host}:{p}"),
                    None => format!("https://{host}"),
                });
            }
        }
    }
    out.dedup();
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(issuer: &str, hosts: &[&str], enabled: bool) -> OidcConfig {
        OidcConfig {
            enabled,
            issuer: issuer.into(),
            allowed_hosts: hosts.iter().map(|h| (*h).to_owned()).collect(),
            ..OidcConfig::default()
        }
    }

    #[test]
    fn the_issuer_and_the_allowed_hosts_become_sources_and_nothing_when_off() {
        let targets = FormTargets::default();
        targets.note(Some(&config(
            "https://id.stadt.de/realms/verwaltung",
            &["login.stadt.de", "sso.stadt.de:8443"],
            true,
        )));
        assert_eq!(
            targets.sources(),
            "https://id.stadt.de https://login.stadt.de https://sso.stadt.de:8443"
        );
        targets.note(Some(&config("http://127.0.0.1:4000", &[], true)));
        assert_eq!(targets.sources(), "http://127.0.0.1:4000");
        targets.note(Some(&config("https://id.stadt.de", &[], false)));
        assert_eq!(targets.sources(), "");
        targets.note(None);
        assert_eq!(targets.sources(), "");
    }

    #[test]
    fn a_host_entry_that_is_no_host_never_reaches_the_header() {
        let targets = FormTargets::default();
        targets.note(Some(&config(
            "https://id.stadt.de",
            &["evil.de; script-src *", "a b"],
            true,
        )));
        assert_eq!(targets.sources(), "https://id.stadt.de");
    }

    #[test]
    fn the_policy_follows_the_setting() {
        let targets = FormTargets::default();
        let policy = |t: &FormTargets| t.policy().to_str().unwrap().to_owned();
        assert!(policy(&targets).contains("form-action 'self';"));
        targets.note(Some(&config("https://id.stadt.de", &[], true)));
        assert!(policy(&targets).contains("form-action 'self' https://id.stadt.de;"));
        targets.note(None);
        assert!(policy(&targets).contains("form-action 'self';"));
    }
}
