//! ID tokens signed here with test keys (ES256, made with ring at test
//! time), each changed in one way an attacker or a broken provider would.

use super::*;
use base64::Engine;
use jsonwebtoken::{encode, EncodingKey, Header};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::json;

pub(crate) const ISSUER: &str = "https://login.stadt.test/realms/v";
pub(crate) const CLIENT: &str = "ki-reise";

/// A signing key and its public JWK.
pub(crate) struct TestKey {
    pub kid: String,
    der: Vec<u8>,
    pub jwk: Value,
}

impl TestKey {
    pub fn new(kid: &str) -> TestKey {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        let point = pair.public_key().as_ref();
        let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
        TestKey {
            kid: kid.into(),
            der: pkcs8.as_ref().to_vec(),
            jwk: json!({
                "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": kid,
                "x": b64(&point[1..33]), "y": b64(&point[33..65]),
            }),
        }
    }

    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        encode(&header, claims, &EncodingKey::from_ec_der(&self.der)).unwrap()
    }
}

pub(crate) fn set(keys: &[&TestKey]) -> JwkSet {
    serde_json::from_value(
        json!({ "keys": keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>() }),
    )
    .unwrap()
}

pub(crate) fn now() -> i64 {
    store::now()
}

pub(crate) fn good_claims() -> Value {
    json!({
        "iss": ISSUER, "aud": CLIENT, "sub": "a1b2", "nonce": "n-123",
        "iat": now(), "exp": now() + 300, "email": "pia@stadt.test",
    })
}

fn expected() -> Expected<'static> {
    Expected {
        issuer: ISSUER,
        client_id: CLIENT,
        nonce: Some("n-123"),
        skew_secs: 60,
        now: now(),
    }
}

/// The whole check as the sign-in runs it: header, key, signature, claims.
fn check(token: &str, keys: &JwkSet) -> Result<Map<String, Value>, TokenError> {
    let (alg, kid) = header(token)?;
    let key = select_key(keys, kid.as_deref(), alg).ok_or(TokenError::UnknownKey)?;
    verify(token, alg, &key, &expected())
}

fn with(change: impl FnOnce(&mut Map<String, Value>)) -> Value {
    let mut claims = good_claims();
    change(claims.as_object_mut().unwrap());
    claims
}

#[test]
fn a_token_from_the_provider_passes() {
    let key = TestKey::new("k1");
    let claims = check(&key.sign(&good_claims()), &set(&[&key])).unwrap();
    assert_eq!(claims["sub"], "a1b2");
    assert_eq!(claims["email"], "pia@stadt.test");
}

#[test]
fn a_tampered_payload_or_another_key_fails_the_signature() {
    let key = TestKey::new("k1");
    let token = key.sign(&good_claims());
    let parts: Vec<&str> = token.split('.').collect();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let forged = b64.encode(
        serde_json::to_vec(&with(|c| {
            c.insert("email".into(), json!("ada@stadt.test"));
        }))
        .unwrap(),
    );
    let tampered = format!("{}.{}.{}", parts[0], forged, parts[2]);
    assert_eq!(check(&tampered, &set(&[&key])), Err(TokenError::Signature));

    let impostor = TestKey::new("k1");
    assert_eq!(
        check(&impostor.sign(&good_claims()), &set(&[&key])),
        Err(TokenError::Signature)
    );
}

#[test]
fn wrong_audience_issuer_or_authorized_party_is_refused() {
    let key = TestKey::new("k1");
    let keys = set(&[&key]);
    let token = |c: Value| key.sign(&c);
    assert_eq!(
        check(
            &token(with(|c| {
                c.insert("aud".into(), json!("andere-app"));
            })),
            &keys
        ),
        Err(TokenError::Audience)
    );
    assert_eq!(
        check(
            &token(with(|c| {
                c.insert("aud".into(), json!(["andere-app", CLIENT]));
            })),
            &keys
        ),
        Err(TokenError::Audience),
        "several audiences need azp"
    );
    assert!(check(
        &token(with(|c| {
            c.insert("aud".into(), json!(["andere-app", CLIENT]));
            c.insert("azp".into(), json!(CLIENT));
        })),
        &keys
    )
    .is_ok());
    assert_eq!(
        check(
            &token(with(|c| {
                c.insert("azp".into(), json!("andere-app"));
            })),
            &keys
        ),
        Err(TokenError::Audience)
    );
    assert_eq!(
        check(
            &token(with(|c| {
                c.insert("iss".into(), json!("https://evil.test"));
            })),
            &keys
        ),
        Err(TokenError::Issuer)
    );
    assert_eq!(
        check(
            &token(with(|c| {
                c.remove("aud");
            })),
            &keys
        ),
        Err(TokenError::Audience)
    );
}

#[test]
fn expired_future_and_stale_tokens_are_refused_within_the_skew() {
    let key = TestKey::new("k1");
    let keys = set(&[&key]);
    let t = now();
    let token = |iat: i64, exp: i64| {
        key.sign(&with(|c| {
            c.insert("iat".into(), json!(iat));
            c.insert("exp".into(), json!(exp));
        }))
    };
    assert_eq!(
        check(&token(t - 4000, t - 3600), &keys),
        Err(TokenError::Expired)
    );
    assert!(
        check(&token(t - 100, t - 30), &keys).is_ok(),
        "30 s late is within the skew"
    );
    assert_eq!(
        check(&token(t + 600, t + 900), &keys),
        Err(TokenError::IssuedAt)
    );
    assert!(
        check(&token(t + 30, t + 300), &keys).is_ok(),
        "a clock 30 s ahead"
    );
    assert_eq!(
        check(&token(t - 3600, t + 300), &keys),
        Err(TokenError::IssuedAt)
    );
    assert_eq!(
        check(
            &key.sign(&with(|c| {
                c.remove("iat");
            })),
            &keys
        ),
        Err(TokenError::IssuedAt)
    );
}

#[test]
fn a_token_for_another_sign_in_is_refused_by_its_nonce() {
    let key = TestKey::new("k1");
    let keys = set(&[&key]);
    assert_eq!(
        check(
            &key.sign(&with(|c| {
                c.insert("nonce".into(), json!("n-999"));
            })),
            &keys
        ),
        Err(TokenError::Nonce)
    );
    assert_eq!(
        check(
            &key.sign(&with(|c| {
                c.remove("nonce");
            })),
            &keys
        ),
        Err(TokenError::Nonce)
    );
}

#[test]
fn alg_none_and_hmac_are_refused_before_any_key() {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let payload = b64.encode(serde_json::to_vec(&good_claims()).unwrap());
    for alg in ["none", "None", "NONE"] {
        let head = b64.encode(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#));
        assert_eq!(
            header(&format!("{head}.{payload}.")),
            Err(TokenError::Algorithm),
            "{alg}"
        );
    }
    // HS256 "signed" with the public key's bytes, the classic confusion.
    let key = TestKey::new("k1");
    let mut head = Header::new(Algorithm::HS256);
    head.kid = Some("k1".into());
    let secret = serde_json::to_vec(&key.jwk).unwrap();
    let forged = encode(&head, &good_claims(), &EncodingKey::from_secret(&secret)).unwrap();
    assert_eq!(check(&forged, &set(&[&key])), Err(TokenError::Algorithm));
    // A symmetric key in the set is never used.
    let oct: JwkSet = serde_json::from_value(json!({"keys": [
        {"kty": "oct", "k": "c2VjcmV0", "kid": "k1"}
    ]}))
    .unwrap();
    assert!(select_key(&oct, Some("k1"), Algorithm::ES256).is_none());
    assert!(select_key(&oct, Some("k1"), Algorithm::RS256).is_none());
}

#[test]
fn an_unknown_key_id_is_found_after_rotation_only() {
    let old = TestKey::new("2025");
    let new = TestKey::new("2026");
    let token = new.sign(&good_claims());
    assert_eq!(check(&token, &set(&[&old])), Err(TokenError::UnknownKey));
    assert!(check(&token, &set(&[&old, &new])).is_ok());
}

#[test]
fn a_logout_token_names_the_session_and_an_id_token_is_no_logout_token() {
    let key = TestKey::new("k1");
    let keys = set(&[&key]);
    let logout = |claims: Value| {
        let token = key.sign(&claims);
        let (alg, kid) = header(&token)?;
        let k = select_key(&keys, kid.as_deref(), alg).ok_or(TokenError::UnknownKey)?;
        let mut e = expected();
        e.nonce = None;
        verify_logout(&token, alg, &k, &e)
    };
    let event = json!({ "http://schemas.openid.net/event/backchannel-logout": {} });
    let ok = logout(json!({
        "iss": ISSUER, "aud": CLIENT, "iat": now(), "jti": "j1", "sid": "s-1", "sub": "a1b2",
        "events": event,
    }))
    .unwrap();
    assert_eq!(ok.sid.as_deref(), Some("s-1"));
    assert_eq!(
        logout(good_claims()),
        Err(TokenError::Malformed),
        "an ID token (nonce, no event) is refused"
    );
    assert_eq!(
        logout(
            json!({ "iss": ISSUER, "aud": "andere", "iat": now(), "sid": "s", "events": event })
        ),
        Err(TokenError::Audience)
    );
    assert_eq!(
        logout(json!({ "iss": ISSUER, "aud": CLIENT, "iat": now(), "events": event })),
        Err(TokenError::Malformed),
        "neither sid nor sub"
    );
    assert_eq!(ok.jti, "j1");
    assert_eq!(
        logout(json!({ "iss": ISSUER, "aud": CLIENT, "iat": now(), "sid": "s", "events": event })),
        Err(TokenError::Malformed),
        "no jti: a replay could not be told apart"
    );
    assert_eq!(
        logout(json!({
            "iss": "https://andere.example", "aud": CLIENT, "iat": now(), "jti": "j2",
            "sid": "s", "events": event,
        })),
        Err(TokenError::Issuer)
    );
    assert_eq!(
        logout(json!({
            "iss": ISSUER, "aud": CLIENT, "iat": now() - 3600, "jti": "j3", "sid": "s",
            "events": event,
        })),
        Err(TokenError::IssuedAt),
        "too old"
    );
    assert_eq!(
        logout(json!({
            "iss": ISSUER, "aud": CLIENT, "iat": now(), "jti": "j4", "sid": "s",
            "events": { "http://schemas.openid.net/event/other": {} },
        })),
        Err(TokenError::Malformed),
        "another event"
    );
}
