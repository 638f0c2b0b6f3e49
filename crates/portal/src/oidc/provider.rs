//! The provider as its discovery document describes it, and its signing
//! keys. Discovered once per setting and kept for an hour; the key set is
//! fetched again when a token names a key it does not hold (the provider
//! rotated), at most every [`REFETCH_AFTER`], so tokens with made-up key ids
//! cannot make the portal hammer the provider. Every request goes to the
//! issuer or a discovered endpoint that passed [`super::urls`], follows no
//! redirect and ends within the configured timeout.

use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::config::OidcConfig;
use super::urls::check_endpoint;

const DISCOVERY_TTL: Duration = Duration::from_secs(3600);
const REFETCH_AFTER: Duration = Duration::from_secs(10);
/// Larger answers are refused: a discovery document or key set is a few KiB.
const MAX_BODY: usize = 512 * 1024;

#[derive(Debug, Clone, Deserialize)]
pub struct Metadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
    #[serde(default)]
    pub code_challenge_methods_supported: Option<Vec<String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// No answer, a refused connection, a timeout, or a server error.
    #[error("Anmeldedienst nicht erreichbar: {0}")]
    Unreachable(String),
    /// It answered, but not what the protocol asks for.
    #[error("Antwort des Anmeldedienstes unbrauchbar: {0}")]
    Invalid(String),
}

#[derive(Debug, Clone, Deserialize)]
pub struct TokenResponse {
    pub id_token: String,
    #[serde(default)]
    pub access_token: Option<String>,
}

struct Keys {
    set: JwkSet,
    fetched: Instant,
}

pub struct Provider {
    /// The setting this was discovered for; a changed setting discovers anew.
    pub config: OidcConfig,
    pub metadata: Metadata,
    http: reqwest::Client,
    keys: tokio::sync::Mutex<Keys>,
    discovered: Instant,
}

/// The provider in use, shared by all requests of this instance.
#[derive(Default)]
pub struct Providers {
    current: tokio::sync::Mutex<Option<Arc<Provider>>>,
}

impl Providers {
    /// The provider for `config`, discovered now if not known or stale.
    /// Concurrent sign-ins wait for one discovery instead of each doing it.
    pub async fn get(&self, config: &OidcConfig) -> Result<Arc<Provider>, ProviderError> {
        let mut slot = self.current.lock().await;
        if let Some(p) = slot.as_ref() {
            if p.config == *config && p.discovered.elapsed() < DISCOVERY_TTL {
                return Ok(p.clone());
            }
        }
        let provider = Arc::new(Provider::discover(config).await?);
        *slot = Some(provider.clone());
        Ok(provider)
    }
}

/// Reads the discovery document and key set for `config` as a sign-in
/// would, without keeping them: the admin page stores only a setting that
/// passed this. Only an administration's setting is ever fetched.
pub async fn check(config: &OidcConfig) -> Result<(), ProviderError> {
    Provider::discover(config).await.map(|_| ())
}

fn unreachable(e: reqwest::Error) -> ProviderError {
    let what = if e.is_timeout() {
        "keine Antwort innerhalb der Wartezeit".to_string()
    } else if e.is_connect() {
        "Verbindung abgelehnt".to_string()
    } else {
        e.to_string()
    };
    ProviderError::Unreachable(what)
}

/// Reads a JSON answer of at most [`MAX_BODY`] bytes.
async fn json<T: DeserializeOwned>(
    response: reqwest::Response,
    what: &str,
) -> Result<T, ProviderError> {
    let status = response.status();
    if status.is_server_error() {
        return Err(ProviderError::Unreachable(format!("{what}: HTTP {status}")));
    }
    let mut response = response;
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_BODY {
            return Err(ProviderError::Invalid(format!("{what}: Antwort zu groß")));
        }
    }
    if !status.is_success() {
        // The provider's OAuth error code says why (invalid_grant, …);
        // only its plain code is repeated, never free text.
        let code = serde_json::from_slice::<Map<String, Value>>(&body)
            .ok()
            .and_then(|m| m.get("error").and_then(Value::as_str).map(str::to_string))
            .filter(|c| c.len() < 64 && c.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or_else(|| format!("HTTP {}", status.as_u16()));
        return Err(ProviderError::Invalid(format!("{what}: {code}")));
    }
    serde_json::from_slice(&body)
        .map_err(|_| ProviderError::Invalid(format!("{what}: kein gültiges JSON")))
}

impl Provider {
    async fn discover(config: &OidcConfig) -> Result<Provider, ProviderError> {
        let issuer = config.issuer.trim();
        super::urls::check_issuer(issuer).map_err(ProviderError::Invalid)?;
        let http = reqwest::Client::builder()
            .timeout(config.timeout())
            .connect_timeout(config.timeout())
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("ki-reise/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ProviderError::Invalid(e.to_string()))?;
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let response = http.get(&url).send().await.map_err(unreachable)?;
        let metadata: Metadata = json(response, "Discovery").await?;
        // OIDC Discovery §4.3: the document must name the issuer asked for.
        if metadata.issuer.trim_end_matches('/') != issuer.trim_end_matches('/') {
            return Err(ProviderError::Invalid(format!(
                "der Discovery-Eintrag nennt den Aussteller „{}“ statt „{issuer}“",
                metadata.issuer
            )));
        }
        let mut endpoints = vec![
            &metadata.authorization_endpoint,
            &metadata.token_endpoint,
            &metadata.jwks_uri,
        ];
        endpoints.extend(metadata.userinfo_endpoint.iter());
        endpoints.extend(metadata.end_session_endpoint.iter());
        for endpoint in endpoints {
            check_endpoint(issuer, endpoint, &config.allowed_hosts)
                .map_err(ProviderError::Invalid)?;
        }
        if let Some(methods) = &metadata.code_challenge_methods_supported {
            if !methods.iter().any(|m| m == "S256") {
                return Err(ProviderError::Invalid(
                    "der Anmeldedienst bietet kein PKCE mit S256 an".into(),
                ));
            }
        }
        let provider = Provider {
            config: config.clone(),
            metadata,
            http,
            keys: tokio::sync::Mutex::new(Keys {
                set: JwkSet { keys: Vec::new() },
                fetched: Instant::now(),
            }),
            discovered: Instant::now(),
        };
        let set = provider.fetch_keys().await?;
        *provider.keys.lock().await = Keys {
            set,
            fetched: Instant::now(),
        };
        Ok(provider)
    }

    async fn fetch_keys(&self) -> Result<JwkSet, ProviderError> {
        let response = self
            .http
            .get(&self.metadata.jwks_uri)
            .send()
            .await
            .map_err(unreachable)?;
        // Key by key: one of a kind we do not know (an encryption key of a
        // new type) must not hide the signing keys beside it.
        #[derive(Deserialize)]
        struct Raw {
            keys: Vec<Value>,
        }
        let raw: Raw = json(response, "Schlüsselsatz (JWKS)").await?;
        Ok(JwkSet {
            keys: raw
                .keys
                .into_iter()
                .filter_map(|k| serde_json::from_value(k).ok())
                .collect(),
        })
    }

    /// The key for a token, fetching the key set again once when the
    /// token names a key not (yet) in it.
    pub async fn key(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Option<DecodingKey>, ProviderError> {
        let mut keys = self.keys.lock().await;
        if let Some(key) = super::verify::select_key(&keys.set, kid, alg) {
            return Ok(Some(key));
        }
        if keys.fetched.elapsed() < REFETCH_AFTER {
            return Ok(None);
        }
        keys.set = self.fetch_keys().await?;
        keys.fetched = Instant::now();
        Ok(super::verify::select_key(&keys.set, kid, alg))
    }

    /// Exchanges the authorization code (with the PKCE verifier) at the
    /// token endpoint, authenticating with the client secret.
    pub async fn exchange(
        &self,
        code: &str,
        verifier: &str,
        redirect_uri: &str,
    ) -> Result<TokenResponse, ProviderError> {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
        ];
        let basic = self
            .metadata
            .token_endpoint_auth_methods_supported
            .as_ref()
            .is_none_or(|m| m.iter().any(|m| m == "client_secret_basic"));
        let mut request = self.http.post(&self.metadata.token_endpoint);
        if basic {
            // RFC 6749 §2.3.1: both parts form-encoded before Basic.
            let enc = |s: &str| -> String {
                percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC)
                    .to_string()
            };
            request = request.basic_auth(
                enc(&self.config.client_id),
                Some(enc(&self.config.client_secret)),
            );
        } else {
            form.push(("client_id", self.config.client_id.as_str()));
            form.push(("client_secret", self.config.client_secret.as_str()));
        }
        let response = request.form(&form).send().await.map_err(unreachable)?;
        json(response, "Token-Abruf").await
    }

    /// The claims the userinfo endpoint gives for `access_token`; `None`
    /// where the provider has no such endpoint.
    pub async fn userinfo(
        &self,
        access_token: &str,
    ) -> Result<Option<Map<String, Value>>, ProviderError> {
        let Some(url) = &self.metadata.userinfo_endpoint else {
            return Ok(None);
        };
        let response = self
            .http
            .get(url)
            .bearer_auth(access_token)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(unreachable)?;
        json(response, "Benutzerinformationen (userinfo)")
            .await
            .map(Some)
    }
}
