//! Password hashing with argon2id. Hashing is slow on purpose, so it runs on
//! the blocking pool and never stalls the async workers.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;

use crate::error::AppError;

pub const MIN_LENGTH: usize = 10;
pub const MAX_LENGTH: usize = 256;

/// Checks a new password; the message names what is missing.
pub fn check_new(password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < MIN_LENGTH {
        return Err(format!(
            "Das Passwort braucht mindestens {MIN_LENGTH} Zeichen (jetzt {n})."
        ));
    }
    if n > MAX_LENGTH {
        return Err(format!(
            "Das Passwort darf höchstens {MAX_LENGTH} Zeichen haben."
        ));
    }
    Ok(())
}

pub fn hash_blocking(password: &str) -> Result<String, AppError> {
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| AppError::internal("encode a password salt", e))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal("hash a password", e))
}

pub async fn hash(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || hash_blocking(&password))
        .await
        .map_err(|e| AppError::internal("join the password hashing task", e))?
}

/// A hash that no password matches, verified when the account does not
/// exist, so that timing does not reveal which emails have accounts.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0cXQXzpVjD5fJ5d2mZ0sTJt2cI4qKjv1bDu0wDgYgbU";

pub async fn verify(password: String, hash: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let stored = hash.as_deref().unwrap_or(DUMMY_HASH);
        let Ok(parsed) = PasswordHash::new(stored) else {
            return false;
        };
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
            && hash.is_some()
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hashed_password_verifies_and_a_wrong_one_does_not() {
        let h = hash("richtig-lang-genug".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("richtig-lang-genug".into(), Some(h.clone())).await);
        assert!(!verify("falsch-lang-genug".into(), Some(h)).await);
        assert!(!verify("egal".into(), None).await);
    }

    #[test]
    fn short_passwords_are_refused_with_the_length_named() {
        assert!(check_new("kurz").unwrap_err().contains("mindestens 10"));
        assert!(check_new("lang-genug-1").is_ok());
    }
}
