//! Web portal.
