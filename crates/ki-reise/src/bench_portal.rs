//! `ki-reise bench portal`: logs in many sessions on a running portal and
//! measures how fast it answers logged-in page views under that load. It only
//! talks to the URL it is given (meant for 127.0.0.1), and it stops by itself
//! after the given time.

use std::time::{Duration, Instant};

use bench::percentile::percentile;
use clap::Args;

use crate::CliError;

#[derive(Debug, Args)]
pub struct PortalArgs {
    /// Adresse des laufenden Portals.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// Konto, mit dem sich alle Sitzungen anmelden.
    #[arg(long)]
    pub email: String,
    /// Passwort (sonst aus KI_REISE_PASSWORD).
    #[arg(long, env = "KI_REISE_PASSWORD", hide_env_values = true)]
    pub password: String,
    /// Zahl der gleichzeitigen Sitzungen.
    #[arg(long, default_value_t = 100)]
    pub sessions: usize,
    /// Messdauer in Sekunden (höchstens 600).
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
    /// Abgerufene Seiten, kommagetrennt.
    #[arg(long, value_delimiter = ',', default_value = "/,/benutzer")]
    pub paths: Vec<String>,
}

struct Sample {
    path: usize,
    micros: u64,
    ok: bool,
}

/// A fresh session (cookie store) with its CSRF token, as a browser that
/// opened the page at `path` holds it.
pub async fn session(base: &str, path: &str) -> Result<(reqwest::Client, String), CliError> {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let page = client
        .get(format!("{base}{path}"))
        .send()
        .await?
        .text()
        .await?;
    let marker = "name=\"csrf-token\" content=\"";
    let csrf = page
        .split_once(marker)
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(token, _)| token.to_string())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            CliError(format!(
                "Die Seite {path} enthält kein CSRF-Token; ist das Portal eingerichtet?"
            ))
        })?;
    Ok((client, csrf))
}

async fn login(base: &str, email: &str, password: &str) -> Result<reqwest::Client, CliError> {
    let (client, csrf) = session(base, "/anmelden").await?;
    let response = client
        .post(format!("{base}/anmelden"))
        .form(&[
            ("email", email),
            ("password", password),
            ("_csrf", &csrf),
            ("next", "/"),
        ])
        .send()
        .await?;
    if response.status() != reqwest::StatusCode::SEE_OTHER {
        return Err(CliError(format!(
            "Anmeldung als {email} fehlgeschlagen (HTTP {}).",
            response.status()
        )));
    }
    Ok(client)
}

pub async fn run(args: PortalArgs) -> Result<(), CliError> {
    let base = args.url.trim_end_matches('/').to_string();
    let seconds = args.seconds.clamp(1, 600);
    eprintln!("Melde {} Sitzungen an …", args.sessions);
    let mut clients = Vec::with_capacity(args.sessions);
    for _ in 0..args.sessions {
        clients.push(login(&base, &args.email, &args.password).await?);
    }
    eprintln!("Messe {seconds} s lang {} …", args.paths.join(", "));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for (i, client) in clients.into_iter().enumerate() {
        let base = base.clone();
        let paths = args.paths.clone();
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut n = i;
            while Instant::now() < deadline {
                let path = n % paths.len();
                n += 1;
                let start = Instant::now();
                let ok = match client.get(format!("{base}{}", paths[path])).send().await {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                samples.push(Sample {
                    path,
                    micros: start.elapsed().as_micros() as u64,
                    ok,
                });
            }
            samples
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.map_err(|e| CliError(e.to_string()))?);
    }
    println!("| Seite | Anfragen | Fehler | Anfragen/s | p50 ms | p99 ms |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    let mut rows: Vec<(String, Vec<&Sample>)> = args
        .paths
        .iter()
        .enumerate()
        .map(|(i, p)| (p.clone(), all.iter().filter(|s| s.path == i).collect()))
        .collect();
    rows.push(("alle".to_string(), all.iter().collect()));
    for (path, samples) in rows {
        let mut millis: Vec<f64> = samples.iter().map(|s| s.micros as f64 / 1000.0).collect();
        millis.sort_unstable_by(f64::total_cmp);
        let ms = |p: f64| percentile(&millis, p).unwrap_or(0.0);
        let errors = samples.iter().filter(|s| !s.ok).count();
        println!(
            "| {path} | {} | {errors} | {:.1} | {:.1} | {:.1} |",
            samples.len(),
            samples.len() as f64 / seconds as f64,
            ms(50.0),
            ms(99.0)
        );
    }
    Ok(())
}
