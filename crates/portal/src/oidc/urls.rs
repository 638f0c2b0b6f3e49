//! Which addresses the portal contacts for OpenID Connect: the issuer as
//! the administration wrote it, and the endpoints its discovery document
//! names only where they lie on the issuer's host (or a host the
//! administration allowed). Plain HTTP only on this machine, for tests.

/// The issuer: `https://host[:port][/path]` without credentials, query or
/// fragment (the backend URL rules of the gateway), HTTP only for loopback.
pub fn check_issuer(issuer: &str) -> Result<(), String> {
    if issuer.is_empty() {
        return Err("Adresse fehlt (z. B. https://login.stadt.de/realms/verwaltung).".into());
    }
    gateway::check_backend_url(issuer)?;
    require_tls(issuer)
}

fn require_tls(url: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|_| "keine gültige Adresse".to_string())?;
    let host = parsed.host_str().unwrap_or("");
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if parsed.scheme() == "https" || loopback {
        Ok(())
    } else {
        Err("Die Adresse muss mit https:// beginnen; Anmeldedaten gehen nie unverschlüsselt über das Netz.".into())
    }
}

/// A discovered endpoint: an absolute HTTP(S) URL without credentials or
/// fragment, TLS as for the issuer, on the issuer's host and port or on one
/// of `allowed_hosts`. A query is allowed (some providers need one).
pub fn check_endpoint(issuer: &str, url: &str, allowed_hosts: &[String]) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|_| format!("„{url}“ ist keine Adresse"))?;
    if !matches!(parsed.scheme(), "http" | "https")
        || !parsed.username().is_empty()
        || parsed.password().is_some()
        || parsed.fragment().is_some()
        || url.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(format!("„{url}“ ist keine zulässige Adresse"));
    }
    require_tls(url)?;
    let endpoint =
        gateway::host_and_port(url).ok_or_else(|| format!("„{url}“ nennt keinen Rechner"))?;
    let same_as_issuer = gateway::host_and_port(issuer).is_some_and(|i| i == endpoint);
    let allowed = allowed_hosts
        .iter()
        .any(|entry| match gateway::host_entry(entry.trim()) {
            Some((host, port)) => host == endpoint.0 && port.is_none_or(|p| p == endpoint.1),
            None => false,
        });
    if same_as_issuer || allowed {
        Ok(())
    } else {
        Err(format!(
            "„{url}“ liegt nicht beim Aussteller; weitere Rechner nur, wenn die Administration sie erlaubt"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers_need_tls_except_on_this_machine() {
        assert!(check_issuer("https://login.stadt.de/realms/verwaltung").is_ok());
        assert!(check_issuer("http://127.0.0.1:8081").is_ok());
        assert!(check_issuer("http://localhost:8081/realms/x").is_ok());
        for bad in [
            "",
            "http://login.stadt.de",
            "https://user:pw@login.stadt.de",
            "https://login.stadt.de/?x=1",
            "file:///etc/passwd",
        ] {
            assert!(check_issuer(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn endpoints_stay_on_the_issuers_host_or_an_allowed_one() {
        let issuer = "https://login.stadt.de/realms/v";
        let ok = |u: &str, hosts: &[&str]| {
            let hosts: Vec<String> = hosts.iter().map(|h| h.to_string()).collect();
            check_endpoint(issuer, u, &hosts)
        };
        assert!(ok(
            "https://login.stadt.de/realms/v/protocol/openid-connect/token",
            &[]
        )
        .is_ok());
        assert!(ok("https://login.stadt.de:443/x?y=1", &[]).is_ok());
        assert!(ok("https://evil.example/token", &[]).is_err());
        assert!(ok("https://login.stadt.de:8443/token", &[]).is_err());
        assert!(ok("http://login.stadt.de/token", &[]).is_err());
        assert!(ok("https://a@login.stadt.de/token", &[]).is_err());
        assert!(ok(
            "https://graph.microsoft.com/oidc/userinfo",
            &["graph.microsoft.com"]
        )
        .is_ok());
        assert!(ok(
            "https://graph.microsoft.com/oidc/userinfo",
            &["graph.microsoft.com:8443"]
        )
        .is_err());
    }
}
