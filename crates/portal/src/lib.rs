//! The web portal of ki-reise: German pages (askama + htmx) for the journey
//! and a JSON API under `/api/v1`, both over the same [`store::Store`].
//!
//! [`app`] builds the whole router without a socket (tests call it with
//! `tower::ServiceExt::oneshot`); [`launch`] serves it on a listener with
//! graceful shutdown. Who may use which route is decided in one table,
//! [`access::ROUTES`], enforced by middleware for every request.
//!
//! Not here: business rules (`journey`), SQL (`store`), the command line
//! (`ki-reise`).
#![forbid(unsafe_code)]

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use journey::plan::Plan;
use store::Store;

pub mod access;
pub mod api;
mod api_errors;
pub mod assistant;
pub mod auth;
pub mod comparison;
pub mod directory;
pub mod documents;
pub mod download;
pub mod error;
pub mod form;
pub mod handover;
pub mod mail;
pub mod metrics;
mod metrics_access;
pub mod model_fetch;
pub mod oidc;
mod openapi_errors;
pub mod openapi_flatten;
mod openapi_instance;
#[cfg(test)]
mod openapi_schema_names;
pub mod overview;
pub mod people;
pub mod qualification;
mod readiness;
mod router;
pub mod spaces;
pub use people::setup_page::prepare_setup_code;
mod schema_files;
mod security;
mod static_files;
pub mod survey;
pub mod text_input;
pub mod transfer;
pub mod usecases;
pub mod view;

/// Settings of the portal that come from the command line or config file.
#[derive(Debug, Clone)]
pub struct PortalConfig {
    /// The address users reach the portal at, for links in invitations
    /// (e.g. `https://ki.halle.de`). Defaults to the bind address.
    pub public_url: String,
    /// Trust `X-Forwarded-For` / `X-Forwarded-Proto` from a reverse proxy.
    pub trust_proxy: bool,
    /// How many reverse proxies in a row append to `X-Forwarded-For` (at
    /// least 1); the client is the entry this many places from the right.
    pub trusted_proxies: usize,
    pub session_ttl_secs: i64,
    /// SMTP relay for invitation emails; without it links are shown to copy.
    pub smtp: Option<mail::SmtpConfig>,
    /// The data folder: comparison test reports live in `bench/` below it.
    pub data_dir: std::path::PathBuf,
    /// The bearer token `/metrics` and `/metrics/gateway` need; without
    /// one, only direct clients on this machine may read them.
    pub metrics_token: Option<String>,
    /// Sign-in from LDAP / Active Directory as the config file sets it; the
    /// admin page's setting, once saved, wins (see [`directory::config`]).
    pub directory: Option<directory::config::DirectoryConfig>,
    /// Sign-in with OpenID Connect as the config file sets it; the admin
    /// page's setting, once saved, wins (see [`oidc::config`]).
    pub oidc: Option<oidc::config::OidcConfig>,
}

impl Default for PortalConfig {
    fn default() -> Self {
        PortalConfig {
            public_url: "http://127.0.0.1:8080".to_string(),
            trust_proxy: false,
            trusted_proxies: 1,
            session_ttl_secs: 12 * 3600,
            smtp: None,
            data_dir: std::env::temp_dir().join("ki-reise-portal"),
            metrics_token: None,
            directory: None,
            oidc: None,
        }
    }
}

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub store: Store,
    pub config: PortalConfig,
    pub plan: Plan,
    pub metrics: metrics::Metrics,
    pub mailer: Option<mail::Mailer>,
    /// Comparison tests started since the server started.
    pub bench_runs: comparison::runs::LiveRuns,
    /// The KI-Gateway, when `serve` started one: the staff chat and the
    /// usage pages use it, and an adopted KI-Richtlinie updates its rules.
    pub gateway: std::sync::OnceLock<Arc<gateway::Gateway>>,
    /// Questionnaires of surveys being answered, parsed once per version.
    pub questionnaires: survey::questionnaire::QuestionnaireCache,
    /// Wakes the mail outbox job when something was queued.
    pub mail_wake: tokio::sync::Notify,
    /// The OpenID provider as discovered, with its keys.
    pub oidc: oidc::Providers,
    /// Where forms may lead besides the portal (the provider's sign-in
    /// and logout), for the pages' CSP.
    pub oidc_form_targets: oidc::form_targets::FormTargets,
    /// Models being downloaded from the catalogue.
    pub model_downloads: assistant::catalogue::Downloads,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Fails only for an unusable SMTP setting (e.g. a malformed sender).
    pub fn try_new(store: Store, config: PortalConfig, plan: Plan) -> Result<AppState, String> {
        let mailer = config.smtp.as_ref().map(mail::Mailer::new).transpose()?;
        Ok(AppState(Arc::new(Inner {
            store,
            config,
            plan,
            metrics: metrics::Metrics::default(),
            mailer,
            bench_runs: Default::default(),
            gateway: std::sync::OnceLock::new(),
            questionnaires: Default::default(),
            mail_wake: Default::default(),
            oidc: Default::default(),
            oidc_form_targets: Default::default(),
            model_downloads: Default::default(),
        })))
    }

    /// For set-ups without SMTP, where nothing can fail.
    pub fn new(store: Store, mut config: PortalConfig, plan: Plan) -> AppState {
        config.smtp = None;
        AppState(Arc::new(Inner {
            store,
            config,
            plan,
            metrics: metrics::Metrics::default(),
            mailer: None,
            bench_runs: Default::default(),
            gateway: std::sync::OnceLock::new(),
            questionnaires: Default::default(),
            mail_wake: Default::default(),
            oidc: Default::default(),
            oidc_form_targets: Default::default(),
            model_downloads: Default::default(),
        }))
    }
}

impl AppState {
    /// Connects the gateway (once, at start).
    pub fn attach_gateway(&self, gateway: Arc<gateway::Gateway>) {
        let _ = self.gateway.set(gateway);
    }

    pub fn gateway(&self) -> Option<&Arc<gateway::Gateway>> {
        self.gateway.get()
    }
}

/// The whole application as a router, ready for `oneshot` or `launch`.
pub fn app(state: AppState) -> Router {
    router::build(state)
}

/// The app with the gateway's routes (`/v1`, `/metrics/gateway`) beside
/// it. The gateway's routes stay outside the portal's layers (their own
/// authentication, error shape, body limit and no request timeout for
/// streams); only the metrics guard covers both.
pub fn app_with_gateway(state: AppState, gateway_routes: Router) -> Router {
    gateway_routes
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            access::gateway_pass,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics_access::guard,
        ))
        .merge(app(state))
}

/// Serves the app until `shutdown` resolves, then finishes requests in flight.
pub async fn launch(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let outbox = mail::outbox::spawn(&state);
    let app = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    if let Some(job) = outbox {
        job.abort();
    }
    served
}
