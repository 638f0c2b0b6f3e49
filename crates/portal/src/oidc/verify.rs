//! The ID token check (OpenID Connect Core §3.1.3.7): a signature by one
//! of the provider's published keys with an asymmetric algorithm (never
//! `none`, never HMAC, where anyone holding the client secret could sign),
//! `iss` the discovered issuer, `aud` containing our client id (and `azp`
//! ours where set), `exp` and `iat` within the allowed clock skew, and the
//! `nonce` this browser's sign-in sent.

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

/// The algorithms accepted: all asymmetric.
const ALLOWED: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// An ID token older than this (by `iat`) was not just issued for us.
const MAX_AGE_SECS: i64 = 600;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("Signaturverfahren nicht zulässig")]
    Algorithm,
    #[error("kein passender Schlüssel des Anmeldedienstes")]
    UnknownKey,
    #[error("Signatur ungültig")]
    Signature,
    #[error("falscher Aussteller")]
    Issuer,
    #[error("nicht für KI-Reise ausgestellt")]
    Audience,
    #[error("abgelaufen oder noch nicht gültig")]
    Expired,
    #[error("Ausstellungszeit unplausibel")]
    IssuedAt,
    #[error("Einmalwert (nonce) passt nicht")]
    Nonce,
    #[error("unlesbar")]
    Malformed,
}

/// What the token must say.
#[derive(Debug, Clone)]
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// `None` for a logout token, which carries none.
    pub nonce: Option<&'a str>,
    pub skew_secs: i64,
    pub now: i64,
}

/// The algorithm and key id from the token's header; refuses `none`, HMAC
/// and anything unknown before any key is looked at.
pub fn header(token: &str) -> Result<(Algorithm, Option<String>), TokenError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Algorithm)?;
    if !ALLOWED.contains(&header.alg) {
        return Err(TokenError::Algorithm);
    }
    Ok((header.alg, header.kid))
}

fn alg_name<T: serde::Serialize>(alg: &T) -> Option<String> {
    serde_json::to_value(alg).ok()?.as_str().map(str::to_string)
}

/// Whether the key may verify `alg`: a signing key of the right family,
/// and of that algorithm where the key names one.
fn fits(key: &Jwk, alg: Algorithm) -> bool {
    let family = matches!(
        (&key.algorithm, alg),
        (
            AlgorithmParameters::RSA(_),
            Algorithm::RS256
                | Algorithm::RS384
                | Algorithm::RS512
                | Algorithm::PS256
                | Algorithm::PS384
                | Algorithm::PS512
        ) | (
            AlgorithmParameters::EllipticCurve(_),
            Algorithm::ES256 | Algorithm::ES384
        ) | (AlgorithmParameters::OctetKeyPair(_), Algorithm::EdDSA)
    );
    let usable = matches!(
        key.common.public_key_use,
        None | Some(PublicKeyUse::Signature)
    );
    let same_alg = match &key.common.key_algorithm {
        None => true,
        Some(named) => alg_name(named) == alg_name(&alg),
    };
    family && usable && same_alg
}

/// The key for a token's `kid` (any fitting key where the token names
/// none); `None` when the set has no such key, so the caller may fetch the
/// set again (the provider rotated its keys).
pub fn select_key(set: &JwkSet, kid: Option<&str>, alg: Algorithm) -> Option<DecodingKey> {
    set.keys
        .iter()
        .filter(|k| kid.is_none() || k.common.key_id.as_deref() == kid)
        .filter(|k| fits(k, alg))
        .find_map(|k| DecodingKey::from_jwk(k).ok())
}

fn number(claims: &Map<String, Value>, name: &str) -> Option<i64> {
    claims.get(name).and_then(Value::as_i64)
}

/// Checks signature and claims; returns the claims.
pub fn verify(
    token: &str,
    alg: Algorithm,
    key: &DecodingKey,
    expected: &Expected<'_>,
) -> Result<Map<String, Value>, TokenError> {
    let claims = decode(token, alg, key, expected, &["exp", "iss", "aud", "sub"])?;
    check_claims(&claims, expected)?;
    Ok(claims)
}

/// Whom a back-channel logout token logs out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logout {
    pub sid: Option<String>,
    pub sub: Option<String>,
    /// The token's id, spent once (a replay is refused).
    pub jti: String,
    /// When it was issued: it is remembered until it is too old anyway.
    pub iat: i64,
}

/// How long a logout token's `jti` must be remembered: after that its
/// `iat` refuses it.
pub fn logout_token_lifetime(skew_secs: i64) -> i64 {
    MAX_AGE_SECS + 2 * skew_secs.max(0)
}

const LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// A logout token (OpenID Connect Back-Channel Logout 1.0 §2.6): signed as
/// an ID token, with `iss`, `aud`, a fresh `iat` and a `jti`, the logout
/// event, `sid` or `sub`, and no `nonce` (so an ID token cannot pass for one).
pub fn verify_logout(
    token: &str,
    alg: Algorithm,
    key: &DecodingKey,
    expected: &Expected<'_>,
) -> Result<Logout, TokenError> {
    let claims = decode(token, alg, key, expected, &["iss", "aud"])?;
    let iat = number(&claims, "iat").ok_or(TokenError::IssuedAt)?;
    if iat > expected.now + expected.skew_secs
        || iat < expected.now - MAX_AGE_SECS - expected.skew_secs
    {
        return Err(TokenError::IssuedAt);
    }
    let event = claims
        .get("events")
        .and_then(Value::as_object)
        .and_then(|e| e.get(LOGOUT_EVENT))
        .is_some_and(Value::is_object);
    if !event || claims.contains_key("nonce") {
        return Err(TokenError::Malformed);
    }
    let text = |name: &str| {
        claims
            .get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty() && s.len() <= 255)
            .map(str::to_string)
    };
    let logout = Logout {
        sid: text("sid"),
        sub: text("sub"),
        jti: text("jti").ok_or(TokenError::Malformed)?,
        iat,
    };
    if logout.sid.is_none() && logout.sub.is_none() {
        return Err(TokenError::Malformed);
    }
    Ok(logout)
}

fn decode(
    token: &str,
    alg: Algorithm,
    key: &DecodingKey,
    expected: &Expected<'_>,
    required: &[&str],
) -> Result<Map<String, Value>, TokenError> {
    use jsonwebtoken::errors::ErrorKind;
    let mut validation = Validation::new(alg);
    validation.algorithms = vec![alg];
    validation.leeway = expected.skew_secs.max(0) as u64;
    validation.validate_nbf = true;
    validation.set_issuer(&[expected.issuer]);
    validation.set_audience(&[expected.client_id]);
    validation.set_required_spec_claims(required);
    let data =
        jsonwebtoken::decode::<Map<String, Value>>(token, key, &validation).map_err(|e| match e
            .kind()
        {
            ErrorKind::InvalidSignature => TokenError::Signature,
            ErrorKind::ExpiredSignature | ErrorKind::ImmatureSignature => TokenError::Expired,
            ErrorKind::InvalidIssuer => TokenError::Issuer,
            ErrorKind::InvalidAudience => TokenError::Audience,
            ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => TokenError::Algorithm,
            ErrorKind::MissingRequiredClaim(c) if c == "aud" => TokenError::Audience,
            ErrorKind::MissingRequiredClaim(c) if c == "iss" => TokenError::Issuer,
            ErrorKind::MissingRequiredClaim(c) if c == "exp" => TokenError::Expired,
            _ => TokenError::Malformed,
        })?;
    Ok(data.claims)
}

/// What the library does not check: `iat`, `azp`, `sub`, `nonce`.
fn check_claims(claims: &Map<String, Value>, expected: &Expected<'_>) -> Result<(), TokenError> {
    let iat = number(claims, "iat").ok_or(TokenError::IssuedAt)?;
    if iat > expected.now + expected.skew_secs
        || iat < expected.now - MAX_AGE_SECS - expected.skew_secs
    {
        return Err(TokenError::IssuedAt);
    }
    let audiences = match claims.get("aud") {
        Some(Value::Array(a)) => a.len(),
        _ => 1,
    };
    match claims.get("azp").and_then(Value::as_str) {
        Some(azp) if azp != expected.client_id => return Err(TokenError::Audience),
        None if audiences > 1 => return Err(TokenError::Audience),
        _ => {}
    }
    let sub = claims.get("sub").and_then(Value::as_str).unwrap_or("");
    if sub.is_empty() || sub.len() > 255 {
        return Err(TokenError::Malformed);
    }
    if let Some(nonce) = expected.nonce {
        let got = claims.get("nonce").and_then(Value::as_str).unwrap_or("");
        if !crate::auth::csrf::constant_time_eq(got.as_bytes(), nonce.as_bytes()) {
            return Err(TokenError::Nonce);
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "verify_tests.rs"]
mod tests;
