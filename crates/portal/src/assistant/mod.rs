//! The KI-Assistent: the staff chat over the gateway, the assistants on
//! offer, and the gateway's administration (quotas and keys, retention,
//! models and backends, usage).

pub mod admin_page;
pub mod limits_page;
pub mod page;
pub mod settings_page;
pub mod usage_page;
