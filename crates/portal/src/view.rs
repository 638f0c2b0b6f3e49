//! What every page shares: the layout (title, navigation, user, CSRF token),
//! notices, German date formatting and rendering.

use askama::Template;
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use journey::access::Permission;

use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::AppState;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Debug, Clone)]
pub struct LayoutUser {
    pub name: String,
    pub role_label: &'static str,
}

#[derive(Debug, Clone)]
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub active: bool,
}

#[derive(Debug, Clone)]
pub struct Flash {
    /// CSS class: `ok`, `error`, `pending` or empty.
    pub kind: &'static str,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct Layout {
    pub title: String,
    pub user: Option<LayoutUser>,
    pub csrf: String,
    pub nav: Vec<NavItem>,
    pub flash: Option<Flash>,
    pub municipality: Option<String>,
    pub version: &'static str,
    /// On public pages that speak for the municipality (the KI-Register):
    /// its name instead of the product's in header and title, and its
    /// Impressum and privacy links in the footer.
    pub public_face: Option<PublicFace>,
}

#[derive(Debug, Clone, Default)]
pub struct PublicFace {
    pub name: String,
    pub imprint_url: Option<String>,
    pub privacy_url: Option<String>,
}

const NAV: &[(&str, &str, Permission)] = &[
    ("/", "Übersicht", Permission::ViewJourney),
    ("/profil", "Profil der Kommune", Permission::ViewJourney),
    ("/umfrage", "Bestandsaufnahme", Permission::ViewJourney),
    (
        "/qualifizierung",
        "Qualifizierung",
        Permission::ViewQualification,
    ),
    (
        "/dokumente",
        "Strategie und Richtlinie",
        Permission::ViewDocuments,
    ),
    (
        "/anwendungsfaelle",
        "Anwendungsfälle",
        Permission::ViewUseCases,
    ),
    ("/assistent", "KI-Assistent", Permission::UseAssistant),
    ("/wissensraeume", "Wissensräume", Permission::ViewSpaces),
    (
        "/vergleichstest",
        "Vergleichstest",
        Permission::RunBenchmarks,
    ),
    ("/benutzer", "Benutzer", Permission::ManageUsers),
    ("/protokoll", "Protokoll", Permission::ViewAuditLog),
    ("/nachnutzung", "Nachnutzung", Permission::ViewAuditLog),
];

impl Layout {
    pub fn anonymous(title: &str, csrf: String) -> Layout {
        Layout {
            title: title.to_string(),
            user: None,
            csrf,
            nav: Vec::new(),
            flash: None,
            municipality: None,
            version: VERSION,
            public_face: None,
        }
    }

    /// The layout for a logged-in user; `active` is the nav entry to mark.
    pub async fn for_user(state: &AppState, cu: &CurrentUser, title: &str, active: &str) -> Layout {
        let municipality = state
            .store
            .profile()
            .await
            .ok()
            .flatten()
            .map(|(p, _)| p.name);
        Layout {
            title: title.to_string(),
            user: Some(LayoutUser {
                name: cu.user.name.clone(),
                role_label: cu.user.role.label(),
            }),
            csrf: cu.csrf(),
            nav: NAV
                .iter()
                .filter(|(_, _, p)| cu.user.role.can(*p))
                .map(|(href, label, _)| NavItem {
                    href,
                    label,
                    active: *href == active,
                })
                .collect(),
            flash: None,
            municipality,
            version: VERSION,
            public_face: None,
        }
    }

    pub fn with_flash(mut self, kind: &'static str, message: impl Into<String>) -> Layout {
        self.flash = Some(Flash {
            kind,
            message: message.into(),
        });
        self
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    layout: Layout,
    heading: &'a str,
    message: &'a str,
    link: Option<&'a str>,
}

pub fn render_error_page(heading: &str, message: &str) -> String {
    render_error_page_with(heading, message, None)
}

/// An error page with a link onward (a path of this portal).
pub fn render_error_page_with(heading: &str, message: &str, link: Option<&str>) -> String {
    let page = ErrorPage {
        layout: Layout::anonymous(heading, String::new()),
        heading,
        message,
        link,
    };
    page.render()
        .unwrap_or_else(|_| format!("<!DOCTYPE html><title>Fehler</title><p>{heading}</p>"))
}

/// What an error page said, kept on its response: it is rendered without
/// the user, and [`error_page_in_layout`] renders it again with the
/// navigation when someone is logged in.
#[derive(Debug, Clone)]
pub struct ErrorText {
    pub heading: &'static str,
    pub message: String,
    pub link: Option<String>,
}

/// An error page for a logged-in user, in the user's layout with the
/// navigation, so no error is a dead end.
pub async fn error_page_in_layout(
    state: &AppState,
    identity: crate::auth::Identity,
    response: Response,
) -> Response {
    let (Some(text), Some(user)) = (
        response.extensions().get::<ErrorText>().cloned(),
        identity.user.clone(),
    ) else {
        return response;
    };
    let cu = CurrentUser { user, identity };
    let page = ErrorPage {
        layout: Layout::for_user(state, &cu, text.heading, "").await,
        heading: text.heading,
        message: &text.message,
        link: text.link.as_deref(),
    };
    let Ok(body) = page.render() else {
        return response;
    };
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(body))
}

/// `26.11.2026, 11:30 Uhr` in German time.
pub fn format_time(unix: i64) -> String {
    journey::german::date_time_of_unix(unix)
}

/// A number as German forms show it: up to two decimals, comma, no
/// trailing zeros ("1200,5", "3").
pub fn decimal_de(v: f64) -> String {
    // An empty f64 sum is -0.0; a form never shows "-0".
    let v = if v.abs() < 0.005 { 0.0 } else { v };
    let s = format!("{v:.2}");
    s.trim_end_matches('0')
        .trim_end_matches('.')
        .replace('.', ",")
}

pub fn render(page: &impl Template) -> Result<Response, PageError> {
    Ok(Html(page.render()?).into_response())
}

pub fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request")
}

/// Only same-site paths are followed after login, never another host.
pub fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next
    } else {
        "/"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_after_login_stay_on_this_site() {
        assert_eq!(safe_next("/benutzer"), "/benutzer");
        assert_eq!(safe_next("//evil.example"), "/");
        assert_eq!(safe_next("https://evil.example"), "/");
        assert_eq!(safe_next("/\\evil.example"), "/");
    }

    #[test]
    fn times_are_shown_in_german_winter_and_summer_time() {
        // 2026-11-26 10:30 UTC is 11:30 CET.
        assert_eq!(format_time(1_795_689_000), "26.11.2026, 11:30 Uhr");
        // 2026-07-01 10:00 UTC is 12:00 CEST.
        assert_eq!(format_time(1_782_900_000), "01.07.2026, 12:00 Uhr");
    }
}
