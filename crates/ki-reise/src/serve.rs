//! `ki-reise serve`: migrations, set-up code, then the portal until SIGTERM.

use std::time::Duration;

use portal::{AppState, PortalConfig};

use crate::cli::ServeArgs;
use crate::config::Settings;
use crate::CliError;

pub async fn serve(args: ServeArgs) -> Result<(), CliError> {
    let settings = Settings::resolve(&args.db, Some(&args))?;
    let listener = tokio::net::TcpListener::bind(&settings.bind)
        .await
        .map_err(|e| bind_error(&settings.bind, &e))?;
    let store = crate::database::open(&settings).await?;
    let plan = journey::plan::Plan::default_plan();
    let address = listener
        .local_addr()
        .map_err(|e| bind_error(&settings.bind, &e))?;
    let public_url = settings
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{address}"));
    let config = PortalConfig {
        public_url: public_url.clone(),
        trust_proxy: settings.trust_proxy,
        trusted_proxies: settings.trusted_proxies,
        session_ttl_secs: settings.session_hours * 3600,
        smtp: settings.smtp.clone(),
        data_dir: settings.data.clone(),
        metrics_token: settings.metrics_token.clone(),
        directory: settings.directory.clone(),
        oidc: settings.oidc.clone(),
    };
    let setup_code = portal::prepare_setup_code(&store).await?;
    let database = match &settings.database_url {
        Some(url) => format!("PostgreSQL ({})", store::redact_url(url)),
        None => format!("SQLite ({})", settings.data.join("ki-reise.db").display()),
    };
    println!(
        "ki-reise {} läuft unter {public_url}",
        env!("CARGO_PKG_VERSION")
    );
    println!("Datenbank: {database}");
    if let Some(code) = setup_code {
        println!();
        println!("Ersteinrichtung: Öffnen Sie {public_url}/einrichtung");
        println!("Einrichtungscode: {code}");
        println!(
            "(Der Code gilt, bis die Einrichtung abgeschlossen ist oder ki-reise neu startet.)"
        );
    }
    if let Some(smtp) = &settings.smtp {
        println!(
            "E-Mails über {}:{} ({})",
            smtp.host,
            smtp.port,
            smtp.security.label()
        );
    }
    let state = AppState::try_new(store.clone(), config, plan).map_err(CliError)?;
    // The pages' CSP names the OpenID provider from the first response on.
    portal::oidc::config::effective(&state)
        .await
        .map_err(|e| CliError(e.to_string()))?;
    let gateway = start_gateway(&settings, store.clone()).await?;
    state.attach_gateway(gateway.clone());
    println!("KI-Schnittstelle (OpenAI-kompatibel): {public_url}/v1");
    for m in gateway.models() {
        println!(
            "  Modell „{}“ über {} ({})",
            m.id,
            m.backend,
            m.reach.label()
        );
    }
    let outbox = portal::mail::outbox::spawn(&state);
    let duty_reminders = portal::usecases::duty_reminders::spawn(&state);
    let housekeeping = tokio::spawn(purge_loop(store.clone(), settings.data.clone()));
    let directory_sync = tokio::spawn(directory_loop(store.clone(), settings.directory.clone()));
    let app = portal::app_with_gateway(state, gateway::router(gateway.clone()))
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    // Streamed answers are many small writes; without TCP_NODELAY, Nagle's
    // algorithm and the client's delayed ACK hold each back by ~40 ms.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    // On SIGTERM the server stops taking connections and waits for the
    // requests in flight, but only up to the grace period: then open streams
    // end with an error event and `[DONE]`, and after a moment to send that,
    // whatever still runs is dropped.
    let (stopping, stop) = tokio::sync::watch::channel(false);
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        let mut stop = stop;
        let _ = stop.wait_for(|s| *s).await;
    });
    let deadline = async {
        shutdown_signal().await;
        stopping.send_replace(true);
        tokio::time::sleep(settings.shutdown_grace).await;
        tracing::warn!(
            grace_secs = settings.shutdown_grace.as_secs(),
            "shutdown grace period over, ending open streams"
        );
        gateway.end_streams();
        tokio::time::sleep(FINAL_EVENT_MARGIN).await;
    };
    tokio::select! {
        served = server => served
            .map_err(|e| CliError(format!("Der Server wurde unerwartet beendet: {e}")))?,
        () = deadline => println!(
            "Frist zum Beenden ({} s) abgelaufen; offene Antworten wurden abgebrochen.",
            settings.shutdown_grace.as_secs()
        ),
    }
    housekeeping.abort();
    for job in [outbox, duty_reminders].into_iter().flatten() {
        job.abort();
    }
    directory_sync.abort();
    store.close().await;
    println!("ki-reise wurde beendet.");
    Ok(())
}

/// After the drain deadline, how long open streams have to send their final
/// event before the server stops waiting for them.
const FINAL_EVENT_MARGIN: Duration = Duration::from_secs(1);

/// Loads the local model (`--model`, the config file, else the one chosen
/// in the portal), the local embedding model (the config file, else the
/// portal's choice) and the rule set — that of the
/// adopted KI-Richtlinie, else the data folder's `policy/regelwerk.json`,
/// else the default — and starts the gateway.
async fn start_gateway(
    settings: &Settings,
    store: store::Store,
) -> Result<std::sync::Arc<gateway::Gateway>, CliError> {
    let mut config = settings.gateway.clone();
    if config.local.model.is_none() {
        config.local.model = chosen_in_portal(settings, store.local_model().await?);
        config.local.chosen_in_portal = true;
    }
    if config.embeddings.model.is_none() {
        config.embeddings.model = chosen_in_portal(settings, store.local_embedding_model().await?);
    }
    let chat_model = config.local.model.as_deref().map(load_model).transpose()?;
    let local = match (&config.local.model, &chat_model) {
        (Some(path), Some(model)) => {
            let id = config.local.model_id_for(path);
            let mut options = config.local.options(id.clone());
            options.sampling = portal::assistant::catalogue::load_from(&settings.data)
                .ok()
                .and_then(|c| gateway::local::sampling_for_file(&c, path));
            let backend = gateway::LocalBackend::start(model.clone(), options)
                .map_err(|e| CliError(e.message))?;
            println!("Lokales Modell „{id}“ geladen");
            Some(backend)
        }
        _ => None,
    };
    let embeddings = match &config.embeddings.model {
        None => None,
        Some(path) => {
            // The chat model's file is mapped once and serves both.
            let model = match &chat_model {
                Some(m) if config.local.model.as_ref() == Some(path) => m.clone(),
                _ => load_model(path)?,
            };
            let id = config.embeddings.model_id_for(path);
            let embedder = gateway::LocalEmbeddings::start(model, id.clone(), &config.embeddings)
                .map_err(|e| CliError(e.message))?;
            println!("Lokales Embedding-Modell „{id}“ geladen");
            Some(embedder)
        }
    };
    let rules_path = settings.data.join(journey::policy::DEFAULT_RULES.path);
    let adopted = store.policy_rules().await?;
    let rules = match (adopted, std::fs::read_to_string(&rules_path)) {
        (Some(json), _) => journey::policy::RuleSet::from_json(&json).map_err(|e| {
            CliError(format!(
                "Das Regelwerk der beschlossenen KI-Richtlinie ist fehlerhaft: {e}"
            ))
        })?,
        (None, Ok(text)) => journey::policy::RuleSet::from_json(&text).map_err(|e| {
            CliError(format!(
                "Das Regelwerk „{}“ ist fehlerhaft: {e}",
                rules_path.display()
            ))
        })?,
        (None, Err(_)) => journey::policy::RuleSet::default(),
    };
    let gateway = gateway::Gateway::with_embeddings(store, config, rules, local, embeddings)
        .map_err(|e| CliError(e.message))?;
    // The backends an administrator keeps in the portal join those of the
    // config file.
    gateway
        .reload_backends()
        .await
        .map_err(|e| CliError(e.message))?;
    Ok(gateway)
}

/// A model file an administrator chose in the portal, from `models/`. The
/// stored value is only a name: it becomes a path only if it is a plain
/// `.gguf` file name that the folder's listing holds; anything else (a file
/// that has gone, `../…`, an absolute path) is reported and skipped.
fn chosen_in_portal(settings: &Settings, file: Option<String>) -> Option<std::path::PathBuf> {
    model_in(&settings.data.join("models"), &file?)
}

fn model_in(models: &std::path::Path, file: &str) -> Option<std::path::PathBuf> {
    let path = portal::assistant::model_files::chosen(models, file);
    if path.is_none() {
        eprintln!(
            "Warnung: Das im Portal gewählte Modell „{}“ ist keine Modelldatei in {}; ki-reise startet ohne dieses Modell.",
            file.escape_debug(),
            models.display()
        );
    }
    path
}

fn load_model(path: &std::path::Path) -> Result<std::sync::Arc<engine::Model>, CliError> {
    let started = std::time::Instant::now();
    let model = engine::Model::load(path).map_err(|e| {
        CliError(format!(
            "Das Modell „{}“ lässt sich nicht laden: {e}",
            path.display()
        ))
    })?;
    println!(
        "Modell „{}“ gelesen in {:.1} s",
        path.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(model.shared())
}

fn bind_error(bind: &str, e: &std::io::Error) -> CliError {
    CliError(match e.kind() {
        std::io::ErrorKind::AddrInUse => format!(
            "Die Adresse {bind} ist bereits belegt. Beenden Sie das andere Programm oder wählen Sie mit --bind einen anderen Port, z. B. --bind 127.0.0.1:8081."
        ),
        std::io::ErrorKind::PermissionDenied => format!(
            "Keine Berechtigung, auf {bind} zu lauschen. Wählen Sie mit --bind einen Port über 1024."
        ),
        _ => format!("Auf {bind} kann nicht gelauscht werden ({e}). Prüfen Sie die Angabe --bind, z. B. 127.0.0.1:8080."),
    })
}

/// Hourly, and once at start (the first tick is immediate).
async fn purge_loop(store: store::Store, data_dir: std::path::PathBuf) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        if let Err(e) = store.purge_expired().await {
            tracing::warn!(error = %e, "could not purge expired sessions");
        }
        // Chat texts kept on the server go once their retention ends.
        if let Err(e) = store.purge_chat_history(store::now()).await {
            tracing::warn!(error = %e, "could not purge stored chat conversations");
        }
        // Bundles uploaded on the Nachnutzung page but never confirmed.
        let uploads =
            portal::transfer::upload::purge_stale(&data_dir, std::time::SystemTime::now());
        if let Err(e) = uploads {
            tracing::warn!(error = %e, "could not purge unconfirmed bundle uploads");
        }
    }
}

/// Leavers and movers from the directory, hourly (the first run an hour
/// after start: a restart should not hit the directory every time). Of
/// several instances on one database, the first to record the hour in
/// `scheduled_runs` runs it.
async fn directory_loop(
    store: store::Store,
    from_file: Option<portal::directory::config::DirectoryConfig>,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    tick.tick().await;
    loop {
        tick.tick().await;
        let hour = store::scheduled_runs::hour_period(store::now());
        match store
            .claim_scheduled_run("verzeichnisabgleich", &hour)
            .await
        {
            Ok(true) => portal::directory::sync::scheduled(&store, from_file.as_ref()).await,
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "directory sync: run not recorded"),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down, finishing requests in flight");
}

#[cfg(test)]
mod tests {
    use super::model_in;

    #[test]
    fn a_stored_model_name_outside_the_models_folder_is_never_loaded() {
        let root = tempfile::tempdir().unwrap();
        let models = root.path().join("models");
        std::fs::create_dir(&models).unwrap();
        std::fs::write(models.join("klein.gguf"), b"GGUF").unwrap();
        std::fs::write(root.path().join("fremd.gguf"), b"GGUF").unwrap();
        assert_eq!(
            model_in(&models, "klein.gguf"),
            Some(models.join("klein.gguf"))
        );
        let absolute = root.path().join("fremd.gguf").display().to_string();
        for stored in [
            "../fremd.gguf",
            absolute.as_str(),
            "/etc/passwd",
            "klein.gguf/..",
        ] {
            assert_eq!(model_in(&models, stored), None, "{stored}");
        }
    }
}
