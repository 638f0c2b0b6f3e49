//! Login throttling: too many failures for one account or from one address
//! pause further attempts for a while. Counts live in the database, so every
//! app instance sees the same numbers.

use std::net::IpAddr;

use crate::error::AppError;
use crate::AppState;

pub const WINDOW_SECS: i64 = 15 * 60;
pub const MAX_PER_ACCOUNT: i64 = 5;
pub const MAX_PER_ADDRESS: i64 = 30;

fn keys(email: &str, ip: Option<IpAddr>) -> (String, Option<String>) {
    (
        format!("account:{}", store::users::normalize_email(email)),
        ip.map(|ip| format!("ip:{ip}")),
    )
}

/// A lockout: the German message and the seconds until the next attempt
/// may succeed (for `Retry-After`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lockout {
    pub message: String,
    pub retry_after_secs: i64,
}

/// The lockout in force for this account or address, if either limit is reached.
pub async fn lockout(
    state: &AppState,
    email: &str,
    ip: Option<IpAddr>,
) -> Result<Option<Lockout>, AppError> {
    let (account, address) = keys(email, ip);
    let mut checks = vec![(account, MAX_PER_ACCOUNT)];
    if let Some(address) = address {
        checks.push((address, MAX_PER_ADDRESS));
    }
    for (key, max) in checks {
        let (count, oldest) = state.store.login_failures(&key, WINDOW_SECS).await?;
        if count >= max {
            let wait = oldest
                .map_or(WINDOW_SECS, |t| t + WINDOW_SECS - store::now())
                .max(1);
            let minutes = (wait.max(60) + 59) / 60;
            return Ok(Some(Lockout {
                message: format!(
                    "Zu viele fehlgeschlagene Anmeldeversuche. Bitte versuchen Sie es in {minutes} Minuten erneut."
                ),
                retry_after_secs: wait,
            }));
        }
    }
    Ok(None)
}

pub async fn record_failure(
    state: &AppState,
    email: &str,
    ip: Option<IpAddr>,
) -> Result<(), AppError> {
    let (account, address) = keys(email, ip);
    state.store.record_login_failure(&account).await?;
    if let Some(address) = address {
        state.store.record_login_failure(&address).await?;
    }
    Ok(())
}

pub async fn record_success(state: &AppState, email: &str) -> Result<(), AppError> {
    let (account, _) = keys(email, None);
    state.store.clear_login_failures(&account).await?;
    Ok(())
}
