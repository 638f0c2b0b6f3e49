//! What a POST made and the page after it must show once more: new
//! participation codes, personal links, the invitation links of a user
//! import. The POST answers with a redirect (303) to a GET page that
//! carries a random key in its address; that page takes the result from
//! here. Reloading it shows the same result and creates nothing again.
//!
//! Several instances share one database behind a load balancer, so the GET
//! may land on another instance than the POST: the result is kept in the
//! database (`store::handovers`) for [`KEEP`], for the person who made it.
//! Codes and links are otherwise stored only as hashes, and this must not
//! weaken that: the result is sealed (ChaCha20-Poly1305) with a key derived
//! from the maker's session token (HMAC-SHA256 over the address key), and
//! the database holds both only as hashes. Another account, another login
//! or a copy of the database finds nothing readable.

use std::any::type_name;
use std::time::Duration;

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use ring::hmac;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::AppState;

/// How long a result stays available after the POST that made it.
pub const KEEP: Duration = Duration::from_secs(30 * 60);

/// Keeps `value` for the current user and returns the key for the address.
/// Without a browser session (an API key) there is no secret to seal it
/// with: nothing is kept and the page says the result is no longer shown.
pub async fn put<T: Serialize>(
    state: &AppState,
    cu: &CurrentUser,
    value: &T,
) -> Result<String, AppError> {
    let key = store::random_token(16);
    let Some(session) = &cu.identity.session else {
        return Ok(key);
    };
    let plain = serde_json::to_vec(value).map_err(|e| AppError::internal("keep a handover", e))?;
    let sealed = seal::<T>(&session.token, &key, cu.user.id, plain)?;
    state
        .store
        .put_handover(&key, cu.user.id, &sealed, KEEP.as_secs() as i64)
        .await?;
    Ok(key)
}

/// The value kept under `key`, if it is still there, was made by the
/// current user in this login and is of this type.
pub async fn get<T: DeserializeOwned>(
    state: &AppState,
    cu: &CurrentUser,
    key: &str,
) -> Result<Option<T>, AppError> {
    let Some(session) = &cu.identity.session else {
        return Ok(None);
    };
    if key.is_empty() {
        return Ok(None);
    }
    let Some(sealed) = state.store.handover(key, cu.user.id).await? else {
        return Ok(None);
    };
    Ok(open::<T>(&session.token, key, cu.user.id, &sealed)
        .and_then(|plain| serde_json::from_slice(&plain).ok()))
}

/// The sealing key of one result: only who holds both the session token
/// (cookie) and the address key can derive it.
fn cipher(session_token: &str, key: &str) -> Result<LessSafeKey, AppError> {
    let mac = hmac::Key::new(hmac::HMAC_SHA256, session_token.as_bytes());
    let derived = hmac::sign(&mac, format!("ki-reise handover v1\0{key}").as_bytes());
    UnboundKey::new(&CHACHA20_POLY1305, derived.as_ref())
        .map(LessSafeKey::new)
        .map_err(|_| AppError::internal("derive a handover key", "bad key length"))
}

/// Binds the sealed text to its maker and its type: it opens for nothing
/// else.
fn bound_to<T>(user_id: i64) -> String {
    format!("{user_id}\0{}", type_name::<T>())
}

/// Nonce and ciphertext with tag, as hex (the backup knows text columns).
fn seal<T>(
    session_token: &str,
    key: &str,
    user_id: i64,
    mut plain: Vec<u8>,
) -> Result<String, AppError> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut nonce);
    cipher(session_token, key)?
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(bound_to::<T>(user_id)),
            &mut plain,
        )
        .map_err(|_| AppError::internal("seal a handover", "seal failed"))?;
    Ok(format!("{}{}", hex::encode(nonce), hex::encode(plain)))
}

/// The plain text, or `None` when the token, key, user or type differ.
fn open<T>(session_token: &str, key: &str, user_id: i64, sealed: &str) -> Option<Vec<u8>> {
    let bytes = hex::decode(sealed).ok()?;
    let (nonce, body) = bytes.split_at_checked(NONCE_LEN)?;
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut body = body.to_vec();
    let plain = cipher(session_token, key)
        .ok()?
        .open_in_place(nonce, Aad::from(bound_to::<T>(user_id)), &mut body)
        .ok()?;
    Some(plain.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_result_opens_only_with_its_session_key_user_and_type() {
        let plain = br#"["ABCD-EFGH-JKLM"]"#.to_vec();
        let sealed = seal::<Vec<String>>("session-a", "k1", 7, plain.clone()).unwrap();
        assert!(!sealed.contains("ABCD"));
        assert!(!sealed.contains(&hex::encode(b"ABCD")));
        assert_eq!(
            open::<Vec<String>>("session-a", "k1", 7, &sealed),
            Some(plain)
        );
        assert!(open::<Vec<String>>("session-b", "k1", 7, &sealed).is_none());
        assert!(open::<Vec<String>>("session-a", "k2", 7, &sealed).is_none());
        assert!(open::<Vec<String>>("session-a", "k1", 8, &sealed).is_none());
        assert!(open::<String>("session-a", "k1", 7, &sealed).is_none());
        assert!(open::<Vec<String>>("session-a", "k1", 7, "00").is_none());
        assert!(open::<Vec<String>>("session-a", "k1", 7, "zz").is_none());
    }

    #[test]
    fn the_same_result_is_sealed_differently_each_time() {
        let a = seal::<u8>("s", "k", 1, b"1".to_vec()).unwrap();
        let b = seal::<u8>("s", "k", 1, b"1".to_vec()).unwrap();
        assert_ne!(a, b);
    }
}
