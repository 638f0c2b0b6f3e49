//! The store's notion of time.

/// Seconds since the Unix epoch; all timestamps are stored this way so both
/// dialects share one column type.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
