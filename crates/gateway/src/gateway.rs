//! [`Gateway`]: who is asking (API key or a logged-in portal user), which
//! data class the request has, which backends the KI-Richtlinie lets it
//! reach, and the limits on it; then the answer as a [`Reply`] whose usage
//! is metered when it ends, however it ends.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use journey::access::Permission;
use journey::policy::{DataClass, RuleSet};
use serde::Deserialize;
use store::users::User;
use store::Store;

use crate::backend::{Backend, StartError};
use crate::error::ApiError;
use crate::local::embeddings::{EmbeddingConfig, LocalEmbeddings};
use crate::local::LocalBackend;
use crate::meter::{Meter, Subject};
use crate::metrics::Metrics;
use crate::openai::unix_now;
use crate::pseudonym::{pseudonymise_request, Pseudonyms, Reidentifier};
use crate::remote::{RemoteBackend, RemoteConfig};
use crate::reply::{Ledger, Reply};
use crate::request::GenerateRequest;
use crate::screening::Screening;

mod embeddings;

/// How often a key's "last used" time is written at most; the key itself
/// is read on every request.
const TOUCH_INTERVAL: Duration = Duration::from_secs(60);

/// The gateway's settings (the `[gateway]` section of the config file).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GatewayConfig {
    /// Remote backends in fallback order.
    #[serde(default)]
    pub backends: Vec<RemoteConfig>,
    /// Largest accepted request body.
    #[serde(default = "default_max_body")]
    pub max_body_bytes: usize,
    /// Requests per minute and key unless the key sets its own; none: no limit.
    #[serde(default)]
    pub requests_per_minute: Option<i64>,
    /// Seconds between health checks of remote backends.
    #[serde(default = "default_health_interval")]
    pub health_interval_secs: u64,
    /// The local model.
    #[serde(default)]
    pub local: crate::local::LocalConfig,
    /// The local embedding model.
    #[serde(default)]
    pub embeddings: EmbeddingConfig,
}

fn default_max_body() -> usize {
    1024 * 1024
}

fn default_health_interval() -> u64 {
    10
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            backends: Vec::new(),
            max_body_bytes: default_max_body(),
            requests_per_minute: None,
            health_interval_secs: default_health_interval(),
            local: crate::local::LocalConfig::default(),
            embeddings: EmbeddingConfig::default(),
        }
    }
}

/// Who a request comes from.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    pub key_id: Option<i64>,
    pub team: Option<String>,
    /// The key's data class, used when the request names none.
    pub default_class: Option<DataClass>,
    pub requests_per_minute: Option<i64>,
}

impl Caller {
    /// A user logged in to the portal (the staff chat): no key settings.
    pub fn user(user: User) -> Caller {
        Caller {
            user,
            key_id: None,
            team: None,
            default_class: None,
            requests_per_minute: None,
        }
    }
}

/// A model offered by the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelInfo {
    pub id: String,
    /// The name to show people (the model's own, else the id).
    pub name: String,
    pub backend: String,
    pub reach: journey::policy::Reach,
    pub healthy: bool,
}

/// The backends in fallback order; replaced as a whole when an
/// administrator changes the portal's backends, while requests under way
/// keep the list they started with.
type Backends = Arc<Vec<Arc<Backend>>>;

pub struct Gateway {
    store: Store,
    /// The local engine (if any) first, then the config file's remote
    /// backends, then the portal's.
    backends: RwLock<Backends>,
    rules: RwLock<RuleSet>,
    /// The local embedding model; it answers `/v1/embeddings` only.
    embedder: Option<LocalEmbeddings>,
    config: GatewayConfig,
    /// When each key's use was last written (key id → time).
    touched: Mutex<HashMap<i64, Instant>>,
    pub(crate) meter: Meter,
    pub(crate) metrics: Metrics,
    /// Set at shutdown once the drain deadline has passed: open streams
    /// then end with an error event and `[DONE]`.
    streams_ended: tokio::sync::watch::Sender<bool>,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("backends", &self.backends())
            .finish_non_exhaustive()
    }
}

impl Ledger for Gateway {
    fn metrics(&self) -> &Metrics {
        &self.metrics
    }
    fn meter(&self) -> &Meter {
        &self.meter
    }
}

impl Gateway {
    /// Builds the gateway: the local backend first (if any), then the
    /// remote ones in configured order, which is also the fallback order.
    /// Starts the metering writer and, with remote backends, the health
    /// checks; call inside a Tokio runtime.
    pub fn new(
        store: Store,
        config: GatewayConfig,
        rules: RuleSet,
        local: Option<LocalBackend>,
    ) -> Result<Arc<Gateway>, ApiError> {
        Self::with_embeddings(store, config, rules, local, None)
    }

    /// As [`Gateway::new`], with a local embedding model for
    /// `/v1/embeddings`, which comes before remote backends of the same
    /// model name.
    pub fn with_embeddings(
        store: Store,
        config: GatewayConfig,
        rules: RuleSet,
        local: Option<LocalBackend>,
        embedder: Option<LocalEmbeddings>,
    ) -> Result<Arc<Gateway>, ApiError> {
        let mut backends: Vec<Arc<Backend>> = local
            .into_iter()
            .map(|l| Arc::new(Backend::Local(l)))
            .collect();
        for remote in &config.backends {
            backends.push(Arc::new(Backend::Remote(RemoteBackend::new(
                remote.clone(),
            )?)));
        }
        let gateway = Arc::new(Gateway {
            meter: Meter::start(store.clone()),
            store,
            backends: RwLock::new(Arc::new(backends)),
            rules: RwLock::new(rules),
            embedder,
            config,
            touched: Mutex::new(HashMap::new()),
            metrics: Metrics::default(),
            streams_ended: tokio::sync::watch::Sender::new(false),
        });
        // Also without remote backends now: the portal may add some later.
        let weak = Arc::downgrade(&gateway);
        // Every second: healthy replicas are probed every `every`,
        // unhealthy ones after their backoff.
        let every = Duration::from_secs(gateway.config.health_interval_secs.max(1));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1).min(every));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(gw) = weak.upgrade() else { return };
                gw.probe_due(every).await;
            }
        });
        Ok(gateway)
    }

    /// Ends every open stream now (with an error event and `[DONE]`) and
    /// every stream started later at once: the drain deadline at shutdown.
    pub fn end_streams(&self) {
        self.streams_ended.send_replace(true);
    }

    /// Resolves once [`Gateway::end_streams`] was called.
    pub(crate) fn streams_ended(&self) -> tokio::sync::watch::Receiver<bool> {
        self.streams_ended.subscribe()
    }

    fn backends(&self) -> Backends {
        self.backends
            .read()
            .map(|b| Arc::clone(&b))
            .unwrap_or_default()
    }

    /// Names of the backends from the config file, which the portal's
    /// backends may not reuse.
    pub fn configured_backend_names(&self) -> Vec<String> {
        let mut names = vec!["lokal".to_string()];
        names.extend(self.config.backends.iter().map(|b| b.name.clone()));
        names
    }

    /// Reads the backends kept in the portal and puts them after the local
    /// engine and the config file's backends (in fallback order). Backends
    /// that stay keep their health state.
    pub async fn reload_backends(&self) -> Result<(), ApiError> {
        let stored = self.store.gateway_backends().await?;
        let mut remotes = Vec::new();
        for b in stored {
            let reach = b.reach.parse().map_err(|_| {
                ApiError::internal(format!(
                    "Das Backend „{}“ hat einen unbekannten Ort „{}“.",
                    b.name, b.reach
                ))
            })?;
            remotes.push(RemoteConfig {
                name: b.name,
                urls: b.urls,
                api_key: b.api_key,
                models: b.models,
                timeout_secs: u64::try_from(b.timeout_secs).unwrap_or(60).max(1),
                reach,
                limits: Default::default(),
            });
        }
        // Built under the lock, so that a switch of the local model
        // meanwhile is not undone.
        let Ok(mut guard) = self.backends.write() else {
            return Err(ApiError::internal("Die Liste der Backends ist gesperrt."));
        };
        let current = Arc::clone(&guard);
        let fixed = self.fixed(&current);
        let mut next: Vec<Arc<Backend>> = current.iter().take(fixed).cloned().collect();
        for config in remotes {
            let kept = current[fixed..].iter().find(|b| match b.as_ref() {
                Backend::Remote(r) => r.config() == &config,
                Backend::Local(_) => false,
            });
            next.push(match kept {
                Some(b) => Arc::clone(b),
                None => Arc::new(Backend::Remote(RemoteBackend::new(config)?)),
            });
        }
        *guard = Arc::new(next);
        Ok(())
    }

    /// How many backends at the front of `list` come from the start (local
    /// engine, config file); the portal's follow them.
    fn fixed(&self, list: &[Arc<Backend>]) -> usize {
        let local = list
            .iter()
            .take_while(|b| matches!(b.as_ref(), Backend::Local(_)))
            .count();
        (local + self.config.backends.len()).min(list.len())
    }

    /// Puts `local` in place of the local engine's model (`None`: no local
    /// model any more). Requests already started finish on the old model,
    /// which frees its memory once the last of them has ended; requests
    /// from now on go to the new one.
    pub fn switch_local(&self, local: Option<LocalBackend>) {
        let Ok(mut guard) = self.backends.write() else {
            return;
        };
        let mut next: Vec<Arc<Backend>> = local
            .into_iter()
            .map(|l| Arc::new(Backend::Local(l)))
            .collect();
        next.extend(
            guard
                .iter()
                .filter(|b| !matches!(b.as_ref(), Backend::Local(_)))
                .cloned(),
        );
        *guard = Arc::new(next);
    }

    /// The id of the local engine's model now, if one runs.
    pub fn local_model_id(&self) -> Option<String> {
        self.backends().iter().find_map(|b| match b.as_ref() {
            Backend::Local(l) => Some(l.model_id().to_owned()),
            Backend::Remote(_) => None,
        })
    }

    /// Replaces the rule set (when the documents module adopts a new
    /// KI-Richtlinie); requests from then on follow it.
    pub fn set_rules(&self, rules: RuleSet) {
        if let Ok(mut r) = self.rules.write() {
            *r = rules;
        }
    }

    pub fn rules(&self) -> RuleSet {
        self.rules.read().map(|r| r.clone()).unwrap_or_default()
    }

    pub fn config(&self) -> &GatewayConfig {
        &self.config
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Checks every remote backend once.
    pub async fn check_health(&self) {
        for b in self.backends().iter() {
            if let Backend::Remote(r) = b.as_ref() {
                r.check_health().await;
            }
        }
    }

    /// Checks the replicas whose check is due (see [`RemoteBackend::probe_due`]).
    async fn probe_due(&self, every: Duration) {
        let backends = self.backends();
        let checks = backends.iter().filter_map(|b| match b.as_ref() {
            Backend::Remote(r) => Some(r.probe_due(every)),
            Backend::Local(_) => None,
        });
        futures_util::future::join_all(checks).await;
    }

    /// The local embedding model, if one is loaded.
    pub fn embedding_models(&self) -> Vec<ModelInfo> {
        self.embedder
            .iter()
            .map(|e| ModelInfo {
                id: e.model_id().to_string(),
                name: e.model_id().to_string(),
                backend: LOCAL.to_string(),
                reach: journey::policy::Reach::Local,
                healthy: true,
            })
            .collect()
    }

    /// Every chat and completion model with the backend that serves it, in
    /// fallback order (embedding models: [`Gateway::embedding_models`]).
    pub fn models(&self) -> Vec<ModelInfo> {
        self.backends()
            .iter()
            .flat_map(|b| {
                b.models().into_iter().map(move |id| ModelInfo {
                    name: b.display_name(&id),
                    id,
                    backend: b.name().to_string(),
                    reach: b.reach(),
                    healthy: b.is_healthy(),
                })
            })
            .collect()
    }

    /// Resolves a bearer key. It is read from the database on every
    /// request, so a revoked key or a deactivated user is refused at once on
    /// every instance that shares the database. A role without the
    /// assistant permission is refused: the same decision
    /// (`Role::can(Permission::UseAssistant)`) as the portal's access table
    /// takes for the assistant's pages.
    pub async fn authenticate(&self, bearer: Option<&str>) -> Result<Caller, ApiError> {
        let secret = bearer
            .filter(|s| !s.is_empty())
            .ok_or_else(ApiError::unauthenticated)?;
        let key = self
            .store
            .gateway_key(secret)
            .await?
            .ok_or_else(ApiError::unauthenticated)?;
        if !key.user.role.can(Permission::UseAssistant) {
            return Err(ApiError::not_permitted(key.user.role.label()));
        }
        // An unreadable stored class must not open anything up.
        let default_class = key
            .data_class
            .as_deref()
            .map(|c| DataClass::parse(c).unwrap_or(DataClass::SpecialCategories));
        let caller = Caller {
            user: key.user,
            key_id: Some(key.id),
            team: key.team,
            default_class,
            requests_per_minute: key.requests_per_minute,
        };
        let due = self.touched.lock().is_ok_and(|mut touched| {
            let now = Instant::now();
            let due = touched
                .get(&key.id)
                .is_none_or(|at| now.duration_since(*at) >= TOUCH_INTERVAL);
            if due {
                touched.insert(key.id, now);
            }
            due
        });
        if due {
            let store = self.store.clone();
            tokio::spawn(async move {
                let _ = store.touch_api_key(key.id).await;
            });
        }
        Ok(caller)
    }

    /// The request's data class: the header, else the key's default, else
    /// the rule set's default.
    pub fn data_class(&self, caller: &Caller, header: Option<&str>) -> Result<DataClass, ApiError> {
        match header {
            Some(h) => DataClass::parse(h).map_err(|e| {
                ApiError::invalid("X-Datenklasse", e.to_string()).with_code("unknown_data_class")
            }),
            None => Ok(caller
                .default_class
                .unwrap_or_else(|| self.rules().default_class)),
        }
    }

    fn check_limits_sync(&self, caller: &Caller, now: i64) -> Result<(), ApiError> {
        let limit = caller
            .requests_per_minute
            .or(self.config.requests_per_minute);
        match (caller.key_id, limit) {
            (Some(key), Some(per_minute)) => self.meter.check_rate(key, per_minute, now),
            _ => Ok(()),
        }
    }

    fn subject(caller: &Caller) -> Subject {
        Subject {
            user_id: caller.user.id,
            team: caller.team.clone(),
            department: caller.user.department.clone(),
        }
    }

    /// The backends a request of `class` for `model` may reach, in order.
    fn allowed(&self, model: &str, class: DataClass) -> Result<Vec<Arc<Backend>>, ApiError> {
        let serving: Vec<Arc<Backend>> = self
            .backends()
            .iter()
            .filter(|b| b.serves(model))
            .cloned()
            .collect();
        self.permitted(model, class, serving, |b| b.reach())
    }

    /// Those of `serving` (all serving `model`) that the rule set lets a
    /// request of `class` reach; none serving is 404, none allowed 403.
    fn permitted<T>(
        &self,
        model: &str,
        class: DataClass,
        serving: Vec<T>,
        reach: impl Fn(&T) -> journey::policy::Reach,
    ) -> Result<Vec<T>, ApiError> {
        if serving.is_empty() {
            return Err(ApiError::unknown_model(model));
        }
        let rules = self.rules();
        let allowed: Vec<T> = serving
            .into_iter()
            .filter(|b| rules.allows(class, reach(b)))
            .collect();
        if allowed.is_empty() {
            let reaches: Vec<&str> = rules.allowed(class).iter().map(|r| r.label()).collect();
            return Err(ApiError::policy_violation(format!(
                "Daten der Klasse „{}“ dürfen das Modell „{model}“ nach der KI-Richtlinie nicht erreichen. Erlaubt ist: {}. {}",
                class.label(),
                if reaches.is_empty() { "kein KI-Dienst".to_string() } else { reaches.join(", ") },
                rules.note(class)
            ).trim_end().to_string()));
        }
        Ok(allowed)
    }

    /// Runs a generation for `caller`: limits, routing by data class,
    /// fallback over the allowed backends.
    pub async fn generate(
        self: &Arc<Self>,
        caller: &Caller,
        class_header: Option<&str>,
        mut req: GenerateRequest,
    ) -> Result<Reply, ApiError> {
        req.params.n = None;
        let mut replies = self.generate_choices(caller, class_header, req).await?;
        replies
            .pop()
            .ok_or_else(|| ApiError::internal("Keine Antwort gestartet."))
    }

    /// Starts the `n` choices of a request (`params.n`, one if unset) on
    /// one backend, checked and limited as one request. Each choice is a
    /// sequence of its own, so the local engine's scheduler decodes them
    /// together in one batch; with a `seed`, choice `i` samples with
    /// `seed + i`, so the choices differ and each is reproducible.
    pub async fn generate_choices(
        self: &Arc<Self>,
        caller: &Caller,
        class_header: Option<&str>,
        req: GenerateRequest,
    ) -> Result<Vec<Reply>, ApiError> {
        let declared = self.data_class(caller, class_header)?;
        let screening = Screening::of_input(declared, &req.input);
        let (req, screening, pseudonyms, candidates) =
            match self.allowed(&req.model, screening.effective) {
                Ok(candidates) => (req, screening, None, candidates),
                Err(e) => match self.pseudonymised(&req, &screening) {
                    Some((sent, screening, pseudonyms, candidates)) => {
                        (sent, screening, Some(pseudonyms), candidates)
                    }
                    None => return Err(screening.annotate(e)),
                },
            };
        let class = screening.effective;
        let now = store::now();
        self.check_limits_sync(caller, now)?;
        self.meter.check_quota(&Self::subject(caller), now).await?;
        let started_at = Instant::now();
        let n = req.params.choices();
        let id = crate::openai::new_id("chatcmpl");
        let created = unix_now();
        let mut last: Option<ApiError> = None;
        'backends: for backend in candidates.iter().filter(|b| b.is_healthy()) {
            let mut replies = Vec::with_capacity(n as usize);
            for i in 0..n {
                let choice = if n == 1 {
                    None
                } else {
                    let mut one = req.clone();
                    one.params.n = Some(1);
                    one.params.seed = req.params.seed.map(|s| s.wrapping_add(i64::from(i)));
                    Some(one)
                };
                match backend.start(choice.as_ref().unwrap_or(&req)).await {
                    Ok(started) => {
                        self.metrics.started(backend.name());
                        replies.push(Reply {
                            ledger: Arc::clone(self) as Arc<dyn Ledger>,
                            id: id.clone(),
                            created,
                            model: req.model.clone(),
                            backend: backend.name().to_string(),
                            class,
                            screening: screening.clone(),
                            events: started.events,
                            started_at,
                            first_token: None,
                            prompt_tokens: started.prompt_tokens,
                            meters_prompt: i == 0,
                            text_chars: 0,
                            subject: Self::subject(caller),
                            key_id: caller.key_id,
                            finished: false,
                            reidentifier: pseudonyms
                                .as_ref()
                                .map(|p| Reidentifier::new(Arc::clone(p))),
                            held: None,
                        });
                    }
                    // Choices already started end with `replies` (dropped,
                    // so the backend stops them).
                    Err(StartError::Refused(e)) => return Err(e),
                    Err(StartError::Unavailable(e)) => {
                        tracing::warn!(backend = backend.name(), error = %e, "backend unavailable, trying the next allowed one");
                        last = Some(e);
                        continue 'backends;
                    }
                }
            }
            return Ok(replies);
        }
        Err(last.unwrap_or_else(|| {
            ApiError::unavailable(format!(
                "Kein Backend, das Daten der Klasse „{}“ für das Modell „{}“ erreichen dürfen, ist gerade verfügbar. Bitte versuchen Sie es später noch einmal.",
                class.label(),
                req.model
            ))
        }))
    }

    /// Where the rule set allows it and the findings alone keep `req` from
    /// its model: the request with every finding replaced by a
    /// placeholder, screened again, the class of what is sent, and the
    /// backends that class may reach. None where the rule is off, the
    /// declared class already refuses it, or something is still found.
    #[allow(clippy::type_complexity)]
    fn pseudonymised(
        &self,
        req: &GenerateRequest,
        screening: &Screening,
    ) -> Option<(
        GenerateRequest,
        Screening,
        Arc<Pseudonyms>,
        Vec<Arc<Backend>>,
    )> {
        if !self.rules().pseudonymise_remote || !screening.raised() {
            return None;
        }
        let (sent, pseudonyms) = pseudonymise_request(req);
        let again = Screening::of_input(screening.declared, &sent.input);
        if again.raised() || pseudonyms.is_empty() {
            return None;
        }
        let candidates = self.allowed(&req.model, again.effective).ok()?;
        let screening = Screening {
            effective: again.effective,
            pseudonymised: true,
            ..screening.clone()
        };
        Some((sent, screening, Arc::new(pseudonyms), candidates))
    }

    /// Waits until all usage metered so far is stored.
    pub async fn flush_usage(&self) {
        self.meter.flush().await;
    }

    /// Forgets cached quotas (after an administrator changed them).
    pub fn reload_quotas(&self) {
        self.meter.reload_quotas();
    }

    /// Usage per day, model and department in `[from, to)` (Unix seconds).
    pub async fn usage_summary(
        &self,
        from: i64,
        to: i64,
    ) -> Result<Vec<store::usage::UsageSummaryRow>, ApiError> {
        Ok(self.store.usage_summary(from, to).await?)
    }

    /// The Prometheus text of the gateway's own metrics.
    pub fn render_metrics(&self) -> String {
        let backends = self.backends();
        let local = backends.iter().find_map(|b| match b.as_ref() {
            Backend::Local(l) => Some(l.stats().clone()),
            Backend::Remote(_) => None,
        });
        let health: Vec<(String, bool)> = backends
            .iter()
            .map(|b| (b.name().to_string(), b.is_healthy()))
            .collect();
        let pools: Vec<_> = backends
            .iter()
            .filter_map(|b| match b.as_ref() {
                Backend::Remote(r) => Some(r.stats()),
                Backend::Local(_) => None,
            })
            .collect();
        self.metrics.render(local.as_deref(), &health, &pools)
    }
}

/// The backend name of the engine on this machine.
pub(crate) const LOCAL: &str = "lokal";
