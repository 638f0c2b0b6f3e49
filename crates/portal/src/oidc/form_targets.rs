//! Where the pages' forms may lead besides the portal itself. The sign-in
//! button (a GET form) and the logout button (a POST form) are answered by
//! a redirect to the OpenID provider; browsers hold the redirect of a form
//! to the page's CSP `form-action`, so with `'self'` alone both buttons
//! silently did nothing in Chromium. The provider's endpoints may only lie
//! on the issuer's host or on hosts the administration allowed
//! ([`super::urls::check_endpoint`]), so those are the sources to add.
//! Kept per instance, refreshed whenever the setting is read.

use std::sync::RwLock;

use super::config::OidcConfig;

#[derive(Default)]
pub struct FormTargets(RwLock<String>);

impl FormTargets {
    /// The CSP sources for `config` (none when sign-in through the
    /// provider is off), as one space-separated list.
    pub fn note(&self, config: Option<&OidcConfig>) {
        let sources = config
            .filter(|c| c.enabled)
            .map(sources)
            .unwrap_or_default();
        if let Ok(mut current) = self.0.write() {
            if *current != sources {
                *current = sources;
            }
        }
    }

    pub fn sources(&self) -> String {
        self.0.read().map(|s| s.clone()).unwrap_or_default()
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
}
