//! The hosts a Vergleichstest target may address. A spec is written by a
//! project-team member; without this list its `base_url` would let them make
//! the server send requests to any machine it can reach (request forgery
//! against the intranet or the server's own loopback services).
//!
//! The administrator sets the list (one `host` or `host:port` a line). Until
//! they do, the default is the hosts of the KI-Gateway's backends (config
//! file and portal) and ki-reise's own address: what the municipality has
//! already decided to talk to. Loopback in general is *not* in the default,
//! because other services of the server listen there; an administrator who
//! runs a model server on the same machine adds e.g. `127.0.0.1:8000`.

use gateway::{host_and_port as host_port, host_entry as entry_host_port};

use crate::error::AppError;
use crate::AppState;

/// The list in force and whether it is the default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHosts {
    pub entries: Vec<String>,
    pub is_default: bool,
}

/// Longest list an administrator may set.
const MAX_ENTRIES: usize = 100;

impl AllowedHosts {
    /// Whether `url` (already past the gateway's URL check) addresses a host
    /// on the list; an entry without port allows every port of its host.
    pub fn permits(&self, url: &str) -> bool {
        let Some((host, port)) = host_port(url) else {
            return false;
        };
        self.entries.iter().any(|e| match entry_host_port(e) {
            Some((h, None)) => h == host,
            Some((h, Some(p))) => h == host && p == port,
            None => false,
        })
    }

    /// The check handed to the bench crate: the gateway's rules for backend
    /// addresses, then this list.
    pub fn check(&self, url: &str) -> Result<(), String> {
        gateway::check_backend_url(url)?;
        if self.permits(url) {
            return Ok(());
        }
        let host = host_port(url).map_or_else(String::new, |(h, p)| format!("{h}:{p}"));
        Err(format!(
            "Der Rechner {host} steht nicht auf der Liste der erlaubten Ziele des \
             Vergleichstests ({}). Die Administration pflegt die Liste auf dieser Seite \
             unter „Erlaubte Ziele“.",
            if self.entries.is_empty() {
                "die Liste ist leer".to_owned()
            } else {
                format!("erlaubt: {}", self.entries.join(", "))
            }
        ))
    }
}

/// Whether `entry` is written as a host the way the API documents it: a
/// host name (labels of letters, digits and inner hyphens, the last one
/// beginning with a letter), an IPv4 address or an IPv6 address in
/// brackets, then optionally `:` and a port. The URL parser alone would
/// also take names such as `h*` that no machine has.
pub fn is_written_host(entry: &str) -> bool {
    let (host, port) = match entry.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((v6, after)) if v6.parse::<std::net::Ipv6Addr>().is_ok() => match after {
                "" => return true,
                _ => match after.strip_prefix(':') {
                    Some(port) => ("[::]", Some(port)),
                    None => return false,
                },
            },
            _ => return false,
        },
        None => match entry.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (entry, None),
        },
    };
    let port_ok = port.is_none_or(|p| number_up_to(p, 65_535));
    port_ok && (host == "[::]" || is_host_name(host) || is_ipv4(host))
}

fn is_ipv4(host: &str) -> bool {
    let parts: Vec<&str> = host.split('.').collect();
    parts.len() == 4 && parts.iter().all(|p| number_up_to(p, 255))
}

/// Decimal digits without leading zeros (those read as octal elsewhere).
fn number_up_to(text: &str, max: u32) -> bool {
    (1..=5).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'))
        && text.parse::<u32>().is_ok_and(|n| n <= max)
}

fn is_host_name(host: &str) -> bool {
    let labels: Vec<&str> = host.split('.').collect();
    let label_ok = |l: &&str| {
        (1..=63).contains(&l.len())
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    labels.iter().all(label_ok)
        && labels
            .last()
            .is_some_and(|l| l.starts_with(|c: char| c.is_ascii_alphabetic()))
}

/// Checks the administrator's text: one host or `host:port` a line.
pub fn parse_entries(text: &str) -> Result<Vec<String>, String> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    // Counted as written, before duplicates fold: the API's documented
    // `maxItems` is about the list sent, not about what is left of it.
    if lines.len() > MAX_ENTRIES {
        return Err(format!("Höchstens {MAX_ENTRIES} Einträge."));
    }
    let mut entries = Vec::new();
    for line in lines {
        let ok = entry_host_port(line).is_some() && is_written_host(line) && line.len() <= 255;
        if !ok {
            return Err(format!(
                "„{line}“ ist kein Rechnername. Bitte je Zeile einen Rechner angeben, ohne \
                 http:// und ohne Pfad, z. B. vllm.intern oder 127.0.0.1:8000."
            ));
        }
        if !entries
            .iter()
            .any(|e: &String| e.eq_ignore_ascii_case(line))
        {
            entries.push(line.to_ascii_lowercase());
        }
    }
    Ok(entries)
}

/// The list in force: the administrator's, else the default.
pub async fn in_force(state: &AppState) -> Result<AllowedHosts, AppError> {
    if let Some(entries) = state.store.bench_allowed_hosts().await? {
        return Ok(AllowedHosts {
            entries,
            is_default: false,
        });
    }
    let mut urls: Vec<String> = vec![state.config.public_url.clone()];
    if let Some(gw) = state.gateway() {
        urls.extend(gw.config().backends.iter().flat_map(|b| b.urls.clone()));
    }
    urls.extend(
        state
            .store
            .gateway_backends()
            .await?
            .into_iter()
            .flat_map(|b| b.urls),
    );
    let mut entries: Vec<String> = Vec::new();
    for (host, port) in urls.iter().filter_map(|u| host_port(u)) {
        let entry = format!("{host}:{port}");
        if !entries.contains(&entry) {
            entries.push(entry);
        }
    }
    Ok(AllowedHosts {
        entries,
        is_default: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(entries: &[&str]) -> AllowedHosts {
        AllowedHosts {
            entries: entries.iter().map(|e| e.to_string()).collect(),
            is_default: false,
        }
    }

    #[test]
    fn a_target_must_address_a_listed_host_and_port() {
        let l = list(&["vllm.intern", "127.0.0.1:8000", "[::1]:9000"]);
        for ok in [
            "https://vllm.intern/v1",
            "http://VLLM.intern:8080/v1",
            "http://127.0.0.1:8000/v1",
            "http://[::1]:9000/v1",
        ] {
            assert!(l.check(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://127.0.0.1:8001/v1",
            "http://127.0.0.1/v1",
            "http://169.254.169.254/latest",
            "http://vllm.intern.evil.example/v1",
            "http://localhost:8000/v1",
            "http://[::1]:9001/v1",
        ] {
            let err = l.check(bad).unwrap_err();
            assert!(err.contains("erlaubten Ziele"), "{bad}: {err}");
        }
        assert!(list(&[]).check("http://127.0.0.1:8000/v1").is_err());
    }

    #[test]
    fn the_administrators_text_is_one_host_a_line() {
        assert_eq!(
            parse_entries(
                "vllm.intern\n\n 127.0.0.1:8000 \nVLLM.intern\n[::1]:9000\nx-1.a:65535\n[::1]"
            )
            .unwrap(),
            vec![
                "vllm.intern",
                "127.0.0.1:8000",
                "[::1]:9000",
                "x-1.a:65535",
                "[::1]"
            ]
        );
        for bad in [
            "http://vllm.intern",
            "host/v1",
            "user@host",
            "host:99999",
            "a b",
            "h*",
            "h-",
            "-h",
            "a..b",
            "1.2.3.4.5",
            "999.1.1.1",
            "host:",
            "[::1",
            "[xyz]:80",
            "001.0.0.1",
            "host:08080",
        ] {
            assert!(parse_entries(bad).is_err(), "{bad}");
        }
    }
}
