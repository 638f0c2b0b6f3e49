//! `ki-reise probe`: asks the running portal on this machine whether it is
//! alive (`/healthz`) or ready (`/readyz`). A container image built from
//! scratch has no curl, so its health check is the binary itself; the
//! address comes from the same `bind` setting the portal listens on, never
//! from anything but the server's own configuration and command line.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use clap::Args;

use crate::CliError;

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// Adresse und Port, auf denen das Portal lauscht (wie bei serve).
    #[arg(long, env = "KI_REISE_BIND")]
    pub bind: Option<String>,
    /// Konfigurationsdatei (TOML), aus der bind gelesen wird.
    #[arg(long, env = "KI_REISE_CONFIG")]
    pub config: Option<std::path::PathBuf>,
    /// Bereitschaft prüfen (/readyz: Datenbank erreichbar, Migrationen aktuell) statt nur Lebenszeichen.
    #[arg(long)]
    pub ready: bool,
    /// Sekunden bis zur Aufgabe.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=60))]
    pub timeout: u64,
}

pub async fn probe(args: ProbeArgs) -> Result<(), CliError> {
    let bind = match args.bind {
        Some(bind) => bind,
        None => crate::config::bind_from_file(args.config.as_deref())?,
    };
    let target = loopback_target(&bind)?;
    let path = if args.ready { "readyz" } else { "healthz" };
    let url = format!("http://{target}/{path}");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(args.timeout))
        .build()
        .map_err(|e| CliError(format!("Der HTTP-Client startet nicht: {e}.")))?;
    let response = client
        .get(&url)
        .send()
        .await
        .map_err(|e| CliError(format!("{url} antwortet nicht: {e}.")))?;
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    if status.is_success() {
        println!("{url}: {} {}", status.as_u16(), body.trim());
        Ok(())
    } else {
        Err(CliError(format!(
            "{url} meldet {}: {}",
            status.as_u16(),
            body.trim()
        )))
    }
}

/// The address to ask: the bound one, with a wildcard replaced by the
/// loopback address of the same family (a server bound to 0.0.0.0 is
/// reached on 127.0.0.1).
fn loopback_target(bind: &str) -> Result<SocketAddr, CliError> {
    let addr: SocketAddr = bind.trim().parse().map_err(|_| {
        CliError(format!(
            "„{bind}“ ist keine Adresse mit Port wie 127.0.0.1:8080 oder [::1]:8080."
        ))
    })?;
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    Ok(SocketAddr::new(ip, addr.port()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_are_asked_on_loopback_and_names_are_refused() {
        assert_eq!(
            loopback_target("0.0.0.0:8080").unwrap().to_string(),
            "127.0.0.1:8080"
        );
        assert_eq!(
            loopback_target("[::]:9000").unwrap().to_string(),
            "[::1]:9000"
        );
        assert_eq!(
            loopback_target("10.1.2.3:80").unwrap().to_string(),
            "10.1.2.3:80"
        );
        assert!(loopback_target("example.org:80").is_err());
        assert!(loopback_target("127.0.0.1").is_err());
    }
}
