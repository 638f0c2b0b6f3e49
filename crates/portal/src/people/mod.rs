//! Users and sign-in: set-up of a new instance, login, invitations and
//! password resets, user administration and import, the own account with
//! API keys, and the audit log.
//!
//! Operations: [`invitations`], [`import`]. Pages (`*_page`) and the API
//! ([`api`]) are adapters over them.

pub mod account_page;
pub mod api;
pub mod audit_page;
pub mod import;
pub mod invitations;
pub mod invite_page;
pub mod login_page;
pub mod setup_page;
pub mod users_page;
