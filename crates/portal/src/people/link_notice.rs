//! A new one-time link (invitation or password reset), from the POST that
//! made it to the user list the browser is sent to afterwards (redirect
//! after POST: reloading the list never creates a user or link again).
//!
//! The link travels in a short-lived cookie of its own, readable only by
//! this browser (`HttpOnly`, `SameSite=Strict`, path `/benutzer`), which is
//! shown the link anyway; the list clears it when it shows the link, so the
//! link appears once. No link is stored in the database: only its hash is.

use axum::http::{header, HeaderMap, HeaderValue};
use store::tokens::TokenKind;
use store::users::User;

use crate::auth::{cookie_value, CurrentUser};
use crate::error::PageError;
use crate::people::invitations::{link_url, mail_link};
use crate::AppState;

const COOKIE: &str = "kireise_neuer_link";

pub struct LinkView {
    pub title: &'static str,
    pub explanation: String,
    pub url: String,
}

/// How the link reached its person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Delivery {
    Mailed,
    /// No mail server is configured.
    NotMailed,
    /// Sending failed.
    MailFailed,
}

impl Delivery {
    fn code(self) -> char {
        match self {
            Delivery::Mailed => 'm',
            Delivery::NotMailed => 'n',
            Delivery::MailFailed => 'f',
        }
    }

    fn parse(c: &str) -> Option<Delivery> {
        [Delivery::Mailed, Delivery::NotMailed, Delivery::MailFailed]
            .into_iter()
            .find(|d| c.len() == 1 && c.starts_with(d.code()))
    }
}

/// What the cookie carries: whose link, which kind, how it was delivered,
/// whether the account was just created, and the token.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pending {
    user_id: i64,
    kind: TokenKind,
    delivery: Delivery,
    created: bool,
    token: String,
}

impl Pending {
    fn encode(&self) -> String {
        format!(
            "{}.{}.{}.{}.{}",
            self.user_id,
            if self.kind == TokenKind::Invite {
                'i'
            } else {
                'r'
            },
            self.delivery.code(),
            u8::from(self.created),
            self.token
        )
    }

    fn decode(value: &str) -> Option<Pending> {
        let mut parts = value.splitn(5, '.');
        let user_id = parts.next()?.parse().ok()?;
        let kind = match parts.next()? {
            "i" => TokenKind::Invite,
            "r" => TokenKind::Reset,
            _ => return None,
        };
        let delivery = Delivery::parse(parts.next()?)?;
        let created = parts.next()? == "1";
        let token = parts.next()?.to_string();
        let well_formed = !token.is_empty() && token.bytes().all(|b| b.is_ascii_alphanumeric());
        well_formed.then_some(Pending {
            user_id,
            kind,
            delivery,
            created,
            token,
        })
    }
}

fn cookie(value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE}={value}; Path=/benutzer; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Creates a one-time link, emails it if possible, and returns the cookie
/// that shows it on the next page.
pub async fn deliver(
    state: &AppState,
    cu: &CurrentUser,
    user: &User,
    kind: TokenKind,
    created: bool,
) -> Result<HeaderValue, PageError> {
    let token = state
        .store
        .create_user_token(&cu.actor(), user, kind)
        .await?;
    let delivery = match mail_link(state, user, kind, &link_url(state, &token)).await {
        (true, _) => Delivery::Mailed,
        // mail_link has logged why.
        (false, Some(_)) => Delivery::MailFailed,
        (false, None) => Delivery::NotMailed,
    };
    let pending = Pending {
        user_id: user.id,
        kind,
        delivery,
        created,
        token,
    };
    Ok(cookie(&pending.encode(), 300, cu.identity.secure))
}

/// The link waiting in the request's cookie, and the header that clears
/// it; `None` when there is none (or its account is gone).
pub async fn take(
    state: &AppState,
    cu: &CurrentUser,
    headers: &HeaderMap,
) -> Result<Option<(LinkView, (header::HeaderName, HeaderValue))>, PageError> {
    let Some(pending) = cookie_value(headers, COOKIE).and_then(|v| Pending::decode(&v)) else {
        return Ok(None);
    };
    let clear = (header::SET_COOKIE, cookie("", 0, cu.identity.secure));
    let user = match state.store.user(pending.user_id).await {
        Ok(user) => user,
        Err(store::StoreError::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let lead = if pending.created {
        format!("{} wurde angelegt. ", user.name)
    } else {
        String::new()
    };
    let how = match pending.delivery {
        Delivery::Mailed => format!(
            "Der Link wurde per E-Mail an {} gesendet. Sie können ihn auch selbst weitergeben.",
            user.email
        ),
        Delivery::MailFailed => format!(
            "Die E-Mail konnte nicht gesendet werden. Bitte geben Sie den Link selbst an {} ({}) weiter.",
            user.name, user.email
        ),
        Delivery::NotMailed => format!(
            "Geben Sie diesen Link an {} ({}) weiter.",
            user.name, user.email
        ),
    };
    let view = LinkView {
        title: if pending.kind == TokenKind::Invite {
            "Einladungslink"
        } else {
            "Link zum Zurücksetzen des Passworts"
        },
        explanation: format!(
            "{lead}{how} Er gilt 7 Tage und nur einmal; ältere Links für dieses Konto gelten nicht mehr."
        ),
        url: link_url(state, &pending.token),
    };
    Ok(Some((view, clear)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pending_link_survives_its_cookie_and_nothing_else_passes() {
        let pending = Pending {
            user_id: 7,
            kind: TokenKind::Reset,
            delivery: Delivery::MailFailed,
            created: false,
            token: "0a1b2c".into(),
        };
        assert_eq!(Pending::decode(&pending.encode()), Some(pending));
        assert_eq!(Pending::decode("7.i.m.1.abc;Path=/"), None);
        assert_eq!(Pending::decode("7.x.m.1.abc"), None);
        assert_eq!(Pending::decode("7.i.m.1."), None);
    }
}
