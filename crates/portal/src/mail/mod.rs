//! E-mail to staff over SMTP, when the operator configured a server;
//! without one, the portal shows links to copy instead.
//!
//! [`transport`] speaks SMTP: plain to an internal relay, STARTTLS or
//! implicit TLS (rustls with ring, trusting an internal CA from a file the
//! operator names). One-time links (invitation, password reset) are sent
//! at once, since the admin waits for the outcome; everything sent to many
//! goes through the [`outbox`] (queued in the database, sent by a
//! background job in rate-limited batches, retried, logged without
//! content) from [`templates`] the municipality may edit.

pub mod api;
pub mod log_page;
pub mod outbox;
pub mod templates;
pub mod templates_page;
pub mod transport;

pub use transport::{LinkMail, Mailer, SmtpConfig, SmtpSecurity};

use crate::access::{route, Route};

/// The routes of this module; see [`crate::access::ROUTES`].
pub const ROUTES: &[Route] = &[
    route!(GET "/e-mail", ViewAuditLog, log_page::page),
    route!(POST "/e-mail/{id}/erneut", ViewAuditLog, log_page::requeue),
    route!(GET "/api/v1/mail", ViewAuditLog, log_page::api_list),
    route!(POST "/api/v1/mail/{id}/requeue", ViewAuditLog, api::requeue),
    route!(GET "/api/v1/mail/templates", ManageSurveys, api::list),
    route!(PUT "/api/v1/mail/templates/{kind}", ManageSurveys, api::save),
    route!(DELETE "/api/v1/mail/templates/{kind}", ManageSurveys, api::reset),
    route!(GET "/e-mail/vorlagen", ManageSurveys, templates_page::page),
    route!(POST "/e-mail/vorlagen/{kind}", ManageSurveys, templates_page::save),
];
