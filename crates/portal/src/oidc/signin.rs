//! The authorization code flow with PKCE: [`start`] remembers `state`,
//! `nonce` and the PKCE verifier in the database and sends the browser to
//! the provider; [`finish`] takes them back once, exchanges the code,
//! verifies the ID token, asks userinfo for claims the token lacks, and
//! creates or updates the account through the directory's mapping.

use std::collections::HashMap;

use axum::http::StatusCode;
use base64::Engine;
use serde::Deserialize;
use serde_json::{Map, Value};
use store::oidc_logins::PendingLogin;
use store::users::User;

use super::config::OidcConfig;
use super::provider::ProviderError;
use super::verify::{self, Expected, TokenError};
use crate::directory::accounts::{self, Outcome};
use crate::directory::client::DirectoryEntry;
use crate::AppState;

/// How long the provider may take the person through its pages.
pub const LOGIN_TTL_SECS: i64 = 600;

/// The cookie that ties the provider's return to the browser that left:
/// without it, someone could hand a victim a return link for a sign-in
/// the attacker started (and sign the victim in as the attacker).
pub const STATE_COOKIE: &str = "kr_oidc_state";

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("{0}")]
    Provider(#[from] ProviderError),
    #[error("unbekannter, abgelaufener oder schon benutzter state")]
    Expired,
    #[error("Anmeldedienst meldet {0}")]
    Refused(String),
    #[error("ID-Token: {0}")]
    Token(#[from] TokenError),
    #[error("{0}")]
    Account(String),
    #[error("{0}")]
    Store(#[from] store::StoreError),
}

pub const UNREACHABLE: &str =
    "Der Anmeldedienst Ihrer Verwaltung ist gerade nicht erreichbar. Bitte versuchen Sie es in \
     einigen Minuten erneut. Die Administration kann sich im Notfall mit ihrem lokalen Konto anmelden.";

impl SignInError {
    /// The German sentence for the login page.
    pub fn message(&self) -> String {
        match self {
            SignInError::Provider(ProviderError::Unreachable(_)) => UNREACHABLE.into(),
            SignInError::Provider(e @ ProviderError::Invalid(_)) => format!(
                "Die Anmeldung über den Anmeldedienst ist nicht richtig eingerichtet ({e}). \
                 Bitte wenden Sie sich an die Administration."
            ),
            SignInError::Expired => "Diese Anmeldung ist abgelaufen oder wurde schon verwendet. \
                 Bitte melden Sie sich erneut an."
                .into(),
            SignInError::Refused(code) if code == "access_denied" => {
                "Die Anmeldung wurde beim Anmeldedienst abgebrochen.".into()
            }
            SignInError::Refused(code) => format!(
                "Der Anmeldedienst hat die Anmeldung abgelehnt ({code}). Bitte versuchen Sie es erneut."
            ),
            SignInError::Token(e) => format!(
                "Die Anmeldung konnte nicht bestätigt werden (ID-Token {e}). Bitte versuchen Sie \
                 es erneut; bleibt es dabei, wenden Sie sich an die Administration."
            ),
            SignInError::Account(m) => m.clone(),
            SignInError::Store(_) => {
                "Das Konto konnte nicht angelegt werden. Bitte versuchen Sie es erneut.".into()
            }
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            SignInError::Provider(_) => StatusCode::SERVICE_UNAVAILABLE,
            SignInError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
            SignInError::Account(_) => StatusCode::FORBIDDEN,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

pub struct Started {
    /// The provider's authorization endpoint with our parameters.
    pub location: String,
    pub state: String,
}

fn pkce_challenge(verifier: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
}

pub async fn start(
    state: &AppState,
    config: &OidcConfig,
    next: &str,
) -> Result<Started, SignInError> {
    let provider = state.oidc.get(config).await?;
    let login_state = store::random_token(32);
    let nonce = store::random_token(32);
    // 64 hex characters: within RFC 7636's 43–128 unreserved characters.
    let verifier = store::random_token(32);
    state
        .store
        .begin_oidc_login(
            &login_state,
            &PendingLogin {
                nonce: nonce.clone(),
                pkce_verifier: verifier.clone(),
                next: crate::view::safe_next(next).to_string(),
                expires_at: store::now() + LOGIN_TTL_SECS,
            },
        )
        .await?;
    let mut url = reqwest::Url::parse(&provider.metadata.authorization_endpoint)
        .map_err(|_| ProviderError::Invalid("Anmeldeadresse unlesbar".into()))?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &config.client_id)
        .append_pair(
            "redirect_uri",
            &config.redirect_uri(&state.config.public_url),
        )
        .append_pair("scope", &config.scope())
        .append_pair("state", &login_state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &pkce_challenge(&verifier))
        .append_pair("code_challenge_method", "S256");
    Ok(Started {
        location: url.to_string(),
        state: login_state,
    })
}

/// The provider's redirect back to us.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Callback {
    pub code: String,
    pub state: String,
    /// RFC 9207: the issuer of this answer, where the provider sends it.
    pub iss: Option<String>,
    pub error: Option<String>,
}

pub struct Finished {
    pub user: User,
    /// The provider's session, for back-channel logout.
    pub sid: Option<String>,
    pub next: String,
    /// Time spent waiting for the provider (discovery, token exchange,
    /// keys, userinfo).
    pub idp: std::time::Duration,
}

/// An OAuth error code as the provider sent it, if it is a plain code.
fn plain_code(code: &str) -> String {
    if !code.is_empty()
        && code.len() < 64
        && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        code.to_string()
    } else {
        "unbekannter Fehler".to_string()
    }
}

pub async fn finish(
    state: &AppState,
    config: &OidcConfig,
    callback: &Callback,
    browser_state: Option<&str>,
) -> Result<Finished, SignInError> {
    // Taken first, so a return that fails below cannot be tried again.
    let pending = match callback.state.is_empty() {
        true => None,
        false => state.store.take_oidc_login(&callback.state).await?,
    };
    let Some(pending) = pending else {
        return Err(SignInError::Expired);
    };
    let same_browser = browser_state.is_some_and(|b| {
        crate::auth::csrf::constant_time_eq(b.as_bytes(), callback.state.as_bytes())
    });
    if !same_browser {
        return Err(SignInError::Expired);
    }
    if let Some(error) = &callback.error {
        return Err(SignInError::Refused(plain_code(error)));
    }
    // Time spent waiting for the provider, reported (Server-Timing) so a
    // measurement can tell the portal's own time from the provider's.
    let mut idp = std::time::Duration::ZERO;
    let waited = std::time::Instant::now();
    let provider = state.oidc.get(config).await?;
    idp += waited.elapsed();
    let issuer = provider.metadata.issuer.as_str();
    if callback.iss.as_deref().is_some_and(|iss| iss != issuer) {
        return Err(TokenError::Issuer.into());
    }
    if callback.code.is_empty() {
        return Err(SignInError::Refused("kein Code".into()));
    }
    let waited = std::time::Instant::now();
    let tokens = provider
        .exchange(
            &callback.code,
            &pending.pkce_verifier,
            &config.redirect_uri(&state.config.public_url),
        )
        .await?;
    let (alg, kid) = verify::header(&tokens.id_token)?;
    let key = provider
        .key(kid.as_deref(), alg)
        .await?
        .ok_or(TokenError::UnknownKey)?;
    idp += waited.elapsed();
    let mut claims = verify::verify(
        &tokens.id_token,
        alg,
        &key,
        &Expected {
            issuer,
            client_id: &config.client_id,
            nonce: Some(&pending.nonce),
            skew_secs: config.skew_secs(),
            now: store::now(),
        },
    )?;
    let subject = claims
        .get("sub")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let wanted = [
        &config.email_claim,
        &config.name_claim,
        &config.department_claim,
        &config.groups_claim,
    ];
    let lacking = wanted.iter().any(|c| !claims.contains_key(c.as_str()));
    if let (true, Some(access_token)) = (lacking, &tokens.access_token) {
        let waited = std::time::Instant::now();
        let info = provider.userinfo(access_token).await?;
        idp += waited.elapsed();
        if let Some(info) = info {
            // OIDC Core §5.3.2: userinfo about someone else is discarded.
            if info.get("sub").and_then(Value::as_str) != Some(subject.as_str()) {
                return Err(ProviderError::Invalid(
                    "userinfo nennt eine andere Person als das ID-Token".into(),
                )
                .into());
            }
            for (k, v) in info {
                claims.entry(k).or_insert(v);
            }
        }
    }
    let entry = entry_from_claims(config, &subject, &claims);
    let mapping = config.claim_mapping();
    let outcome = accounts::provision_linked(&state.store, &mapping, &entry, Some(&subject))
        .await
        .map_err(|e| match e {
            store::StoreError::Duplicate(m) => SignInError::Account(m),
            e => e.into(),
        })?;
    let user = match outcome {
        Outcome::SignedIn(user, _) => user,
        Outcome::Deactivated => return Err(SignInError::Account(
            "Ihr Konto in KI-Reise ist deaktiviert. Bitte wenden Sie sich an die Administration."
                .into(),
        )),
        Outcome::NoRole => return Err(SignInError::Account(
            "Ihr Dienstkonto ist für KI-Reise nicht freigeschaltet (keine zugeordnete Gruppe). \
                 Bitte wenden Sie sich an die Administration."
                .into(),
        )),
    };
    Ok(Finished {
        user,
        sid: claims
            .get("sid")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty() && s.len() <= 255)
            .map(str::to_string),
        next: pending.next,
        idp,
    })
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Value::Number(n) => vec![n.to_string()],
        _ => Vec::new(),
    }
}

/// The claims as the directory's mapping reads an entry. The e-mail counts
/// only when the provider marks it verified (`email_verified`), since it is
/// what links an existing local account. Group paths as Keycloak writes
/// them (`/Verwaltung/KI-Projektteam`) match by the whole path and by the
/// last name, as LDAP groups match by DN and common name.
pub fn entry_from_claims(
    config: &OidcConfig,
    subject: &str,
    claims: &Map<String, Value>,
) -> DirectoryEntry {
    let verified = matches!(claims.get("email_verified"), Some(Value::Bool(true)))
        || matches!(claims.get("email_verified"), Some(Value::String(s)) if s == "true");
    let mut attrs: HashMap<String, Vec<String>> = HashMap::new();
    for (name, value) in claims {
        if name == &config.email_claim && !verified {
            tracing::info!("OIDC e-mail not marked verified; not used for the account");
            continue;
        }
        attrs.insert(name.clone(), strings(value));
    }
    let mut groups = Vec::new();
    for group in claims
        .get(&config.groups_claim)
        .map(strings)
        .unwrap_or_default()
    {
        if let Some(last) = group
            .rsplit('/')
            .next()
            .filter(|l| !l.is_empty() && *l != group)
        {
            groups.push(last.to_string());
        }
        groups.push(group);
    }
    let login = claims
        .get("preferred_username")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .unwrap_or(subject)
        .to_string();
    DirectoryEntry {
        dn: String::new(),
        login,
        attrs,
        groups,
    }
}
