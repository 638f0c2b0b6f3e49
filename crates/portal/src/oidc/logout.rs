//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): a session
//! that came from the provider ends there too, and the provider sends the
//! browser back to our login page.

use crate::error::AppError;
use crate::AppState;

/// Where to send the browser after our session ends: the provider's end
/// session endpoint where the session came from it and the provider has
/// one; `None` (our login page) otherwise, also when the provider cannot
/// be reached (the local session ends all the same).
pub async fn provider_logout_url(
    state: &AppState,
    token: &str,
) -> Result<Option<String>, AppError> {
    if state.store.session_oidc_sid(token).await?.is_none() {
        return Ok(None);
    }
    let Some(config) = super::config::active(state).await? else {
        return Ok(None);
    };
    let provider = match state.oidc.get(&config).await {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "provider unreachable at logout; local logout only");
            return Ok(None);
        }
    };
    let Some(endpoint) = &provider.metadata.end_session_endpoint else {
        return Ok(None);
    };
    let Ok(mut url) = reqwest::Url::parse(endpoint) else {
        return Ok(None);
    };
    url.query_pairs_mut()
        .append_pair("client_id", &config.client_id)
        .append_pair(
            "post_logout_redirect_uri",
            &format!("{}/anmelden", state.config.public_url.trim_end_matches('/')),
        );
    Ok(Some(url.to_string()))
}
