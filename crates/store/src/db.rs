//! The two database backends and the macro that runs one query body on
//! whichever the store holds.

use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;

/// Runs the same body against whichever pool the store holds. The body is
/// compiled once per driver, so a query that one dialect cannot type fails to
/// build rather than at run time.
macro_rules! on_db {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.db {
            $crate::Db::Sqlite($pool) => $body,
            $crate::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_db;

#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}
