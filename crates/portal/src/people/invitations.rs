//! Sign-in links for new and locked-out users: the address of a link and
//! sending it by email when SMTP is configured (otherwise the page shows
//! it to copy).

use store::tokens::TokenKind;
use store::users::User;

use crate::AppState;

pub fn link_url(state: &AppState, token: &str) -> String {
    format!(
        "{}/einladung/{token}",
        state.config.public_url.trim_end_matches('/')
    )
}

/// Emails the link when SMTP is configured. Returns whether it was sent and,
/// if sending failed, why.
pub async fn mail_link(
    state: &AppState,
    user: &User,
    kind: TokenKind,
    url: &str,
) -> (bool, Option<String>) {
    let Some(mailer) = &state.mailer else {
        return (false, None);
    };
    let municipality = state
        .store
        .profile()
        .await
        .ok()
        .flatten()
        .map(|(p, _)| p.name)
        .unwrap_or_else(|| "Ihrer Kommune".to_string());
    let kind = match kind {
        TokenKind::Invite => crate::mail::LinkMail::Invite,
        TokenKind::Reset => crate::mail::LinkMail::Reset,
    };
    match mailer
        .send_link(kind, &user.name, &user.email, &municipality, url)
        .await
    {
        Ok(()) => (true, None),
        Err(msg) => {
            tracing::warn!(error = %msg, "invitation email failed");
            (false, Some(msg))
        }
    }
}
