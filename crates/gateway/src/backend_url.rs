//! The one check a base URL passes before the gateway, or anything else that
//! sends requests in its name (the portal's Vergleichstest), talks to it:
//! plain HTTP(S) to a named host, nothing that changes where a request goes
//! or what it carries besides the path the client appends.

/// Refuses anything but `http(s)://host[:port][/path]`: no credentials in
/// the URL (they would travel to whoever the URL names), no query or
/// fragment (the client appends `/chat/completions`), no whitespace or
/// control characters. The reason is German, for the form that showed it.
pub fn check_backend_url(url: &str) -> Result<(), String> {
    const SHAPE: &str = "z. B. https://vllm.intern/v1 oder http://127.0.0.1:8080/v1";
    if url.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "Die Adresse darf keine Leer- oder Steuerzeichen enthalten ({SHAPE})."
        ));
    }
    let parsed = reqwest::Url::parse(url).map_err(|_| {
        format!("Das ist keine gültige Adresse; sie beginnt mit http:// oder https:// ({SHAPE}).")
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "Die Adresse muss mit http:// oder https:// beginnen ({SHAPE})."
        ));
    }
    // The URL standard reads `http:///v1` as host `v1`: the host must be
    // written where the user's text puts it, right after `://`.
    let written_host = url.split_once("://").map_or("", |(_, rest)| rest);
    if parsed.host_str().is_none_or(str::is_empty) || written_host.starts_with(['/', '\\']) {
        return Err(format!("Der Adresse fehlt der Rechnername ({SHAPE})."));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(
            "Zugangsdaten gehören nicht in die Adresse; den API-Schlüssel bitte im Feld dafür angeben."
                .into(),
        );
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(format!(
            "Die Adresse endet mit dem Pfad, ohne ? oder # ({SHAPE})."
        ));
    }
    Ok(())
}

/// Host (as written in URLs: lower case, IPv6 in brackets) and port (the
/// scheme's default where none is written) of an absolute URL.
pub fn host_and_port(url: &str) -> Option<(String, u16)> {
    let parsed = reqwest::Url::parse(url).ok()?;
    let host = parsed.host_str().filter(|h| !h.is_empty())?;
    Some((host.to_ascii_lowercase(), parsed.port_or_known_default()?))
}

/// Host and written port of an allow-list entry such as `vllm.intern`,
/// `10.0.0.5:8000` or `[::1]:8080`; `None` for anything else (a scheme, a
/// path, credentials).
pub fn host_entry(entry: &str) -> Option<(String, Option<u16>)> {
    if entry.is_empty() || entry.contains(['/', '\\', '?', '#', '@', ' ']) {
        return None;
    }
    let parsed = reqwest::Url::parse(&format!("http://{entry}/")).ok()?;
    let host = parsed.host_str().filter(|h| !h.is_empty())?;
    Some((host.to_ascii_lowercase(), parsed.port()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_and_https_addresses_pass() {
        for ok in [
            "http://127.0.0.1:8080/v1",
            "https://vllm.intern/v1",
            "https://[::1]:9000/v1/",
        ] {
            assert_eq!(check_backend_url(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn anything_that_redirects_a_request_or_carries_credentials_is_refused() {
        for bad in [
            "",
            "ftp://host/v1",
            "file:///etc/passwd",
            "unix:///run/x.sock",
            "http://user:pw@host/v1",
            "http://host/v1?x=1",
            "http://host/v1#frag",
            "http://host /v1",
            "http://host/v1\n",
            "http:///v1",
            "gopher://host:70/",
        ] {
            assert!(check_backend_url(bad).is_err(), "{bad:?} passed");
        }
    }
}
