//! Limits of the KI-Gateway, as operations for the page "Kontingente" and
//! the API: token quotas per person, team or department, and the settings
//! of each API key. A change reaches the gateway with the next request.

use journey::policy::DataClass;
use store::usage::{QuotaPeriod, QuotaScope};

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::AppState;

/// Highest number of requests per minute a key can be given.
pub const MAX_PER_MINUTE: i64 = 100_000;

/// Why a quota's subject cannot be used, in the words of its scope.
pub fn subject_problem(scope: QuotaScope, subject: &str) -> Option<&'static str> {
    let subject = subject.trim();
    (subject.is_empty() || subject.chars().count() > 100).then_some(match scope {
        QuotaScope::User => "Bitte eine Person wählen.",
        QuotaScope::Team => "Bitte den Namen des Teams angeben (höchstens 100 Zeichen).",
        QuotaScope::Department => "Bitte einen Fachbereich wählen.",
    })
}

pub const MAX_TOKENS_MESSAGE: &str =
    "Bitte eine ganze Zahl von Tokens ab 0 angeben, z. B. 100000 (0 sperrt den Zugang).";

fn reload(state: &AppState) {
    if let Some(gw) = state.gateway() {
        gw.reload_quotas();
    }
}

/// Sets a quota, replacing one for the same subject and period.
pub async fn set_quota(
    state: &AppState,
    cu: &CurrentUser,
    scope: QuotaScope,
    subject: &str,
    period: QuotaPeriod,
    max_tokens: i64,
) -> Result<(), AppError> {
    if let Some(message) = subject_problem(scope, subject) {
        return Err(AppError::invalid("subject", message));
    }
    if max_tokens < 0 {
        return Err(AppError::invalid("max_tokens", MAX_TOKENS_MESSAGE));
    }
    state
        .store
        .set_quota(&cu.actor(), scope, subject.trim(), period, max_tokens)
        .await?;
    reload(state);
    Ok(())
}

pub async fn delete_quota(state: &AppState, cu: &CurrentUser, id: i64) -> Result<(), AppError> {
    state.store.delete_quota(&cu.actor(), id).await?;
    reload(state);
    Ok(())
}

/// An API key's gateway settings as sent: default data class (empty: the
/// rule set's), team, requests per minute (empty: the gateway's default).
pub struct KeyLimits<'a> {
    pub class: &'a str,
    pub team: &'a str,
    pub per_minute: &'a str,
}

/// Every problem of `limits`, with its field (`class`, `per_minute`,
/// `team`), and the values to store when there is none.
#[allow(clippy::type_complexity)]
pub fn check_key_limits(
    limits: &KeyLimits<'_>,
) -> Result<(Option<&'static str>, Option<i64>), Vec<(&'static str, String)>> {
    let mut problems = Vec::new();
    let class = match limits.class.trim() {
        "" => None,
        c => match DataClass::parse(c) {
            Ok(c) => Some(c.slug()),
            Err(e) => {
                problems.push(("class", e.to_string()));
                None
            }
        },
    };
    let per_minute = match limits.per_minute.trim() {
        "" => None,
        n => match n.parse::<i64>() {
            Ok(n) if (1..=MAX_PER_MINUTE).contains(&n) => Some(n),
            _ => {
                problems.push((
                    "per_minute",
                    format!("Bitte eine ganze Zahl von 1 bis {MAX_PER_MINUTE} angeben oder das Feld leer lassen."),
                ));
                None
            }
        },
    };
    if limits.team.trim().chars().count() > 100 {
        problems.push((
            "team",
            "Der Name des Teams ist zu lang (höchstens 100 Zeichen).".to_string(),
        ));
    }
    if problems.is_empty() {
        Ok((class, per_minute))
    } else {
        Err(problems)
    }
}

/// Sets an API key's default data class, team and rate limit; the first
/// problem is named.
pub async fn set_key_limits(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    limits: &KeyLimits<'_>,
) -> Result<(), AppError> {
    let (class, per_minute) = check_key_limits(limits).map_err(|problems| {
        let (field, message) = problems.into_iter().next().unwrap_or_default();
        AppError::invalid(field, message)
    })?;
    state
        .store
        .set_api_key_gateway(&cu.actor(), id, class, Some(limits.team.trim()), per_minute)
        .await?;
    Ok(())
}
