//! Who may sign in with a local password. Local sign-in can be switched
//! off ("nur für das Notfallkonto") by whichever way in through the
//! service account is on: the directory (LDAP) or the identity provider
//! (OpenID Connect). Either setting that switches it off does; each names
//! its break-glass account, and all named ones keep working, every use in
//! the audit log.

use crate::directory::config::LocalLogin;
use crate::AppState;

#[derive(Debug, Default, Clone)]
pub struct LocalPolicy {
    /// Whether sign-in through the service account is set up at all (then
    /// a break-glass account's use is audited even while local sign-in is
    /// open for everyone).
    service_account: bool,
    /// Local passwords only for the break-glass accounts.
    restricted: bool,
    break_glass: Vec<String>,
}

impl LocalPolicy {
    /// From the sign-in settings in force (each `(local_login, e-mail)`
    /// of a way in that is switched on).
    pub fn from_settings(settings: &[(LocalLogin, &str)]) -> LocalPolicy {
        LocalPolicy {
            service_account: !settings.is_empty(),
            restricted: settings
                .iter()
                .any(|(l, _)| *l == LocalLogin::BreakGlassOnly),
            break_glass: settings
                .iter()
                .map(|(_, e)| store::users::normalize_email(e))
                .filter(|e| !e.is_empty())
                .collect(),
        }
    }

    /// Whether local sign-in is open to the break-glass accounts only.
    pub fn break_glass_only(&self) -> bool {
        self.restricted
    }

    /// Whether `email` may sign in with a local password.
    pub fn allows(&self, email: &str) -> bool {
        !self.restricted || self.is_break_glass(email)
    }

    /// Whether a sign-in of `email` is a use of the break-glass access
    /// (written to the audit log).
    pub fn is_break_glass(&self, email: &str) -> bool {
        let email = store::users::normalize_email(email);
        self.service_account && self.break_glass.contains(&email)
    }
}

/// The policy of the settings in force.
pub async fn policy(state: &AppState) -> Result<LocalPolicy, store::StoreError> {
    let directory = crate::directory::config::active(state).await?;
    let oidc = crate::oidc::config::active(state).await?;
    let mut settings = Vec::new();
    if let Some(d) = &directory {
        settings.push((d.local_login, d.break_glass_email.as_str()));
    }
    if let Some(o) = &oidc {
        settings.push((o.local_login, o.break_glass_email.as_str()));
    }
    Ok(LocalPolicy::from_settings(&settings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn either_way_in_can_switch_local_sign_in_off() {
        let open = LocalPolicy::from_settings(&[]);
        assert!(open.allows("sam@stadt.de") && !open.is_break_glass("ada@stadt.de"));
        let oidc_off = LocalPolicy::from_settings(&[
            (LocalLogin::Everyone, ""),
            (LocalLogin::BreakGlassOnly, "Ada@Stadt.de"),
        ]);
        assert!(oidc_off.break_glass_only());
        assert!(!oidc_off.allows("sam@stadt.de"));
        assert!(oidc_off.allows("ada@stadt.de"));
        assert!(oidc_off.is_break_glass("ada@stadt.de"));
        let both = LocalPolicy::from_settings(&[
            (LocalLogin::BreakGlassOnly, "notfall@stadt.de"),
            (LocalLogin::BreakGlassOnly, "ada@stadt.de"),
        ]);
        assert!(both.allows("notfall@stadt.de") && both.allows("ada@stadt.de"));
        let open_with_account =
            LocalPolicy::from_settings(&[(LocalLogin::Everyone, "ada@stadt.de")]);
        assert!(open_with_account.allows("sam@stadt.de"));
        assert!(open_with_account.is_break_glass("ada@stadt.de"));
    }
}
