//! For tests of crates built on the store: a database nobody else uses, on
//! SQLite (a temporary file) or PostgreSQL (a new database on the server
//! named by `KI_REISE_TEST_PG`, default the local `test` database).

use std::sync::atomic::{AtomicU32, Ordering};

use crate::{Db, Store};

pub const PG_ADMIN_URL: &str = "postgres://root@127.0.0.1:5432/test";

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        crate::random_token(3)
    )
}

/// A database URL that nothing else uses.
pub async fn fresh_database_url(backend: Backend) -> String {
    match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join(unique("kireise_test"));
            std::fs::create_dir_all(&dir).expect("temp dir");
            format!("sqlite://{}/ki-reise.db", dir.display())
        }
        Backend::Postgres => {
            let admin =
                std::env::var("KI_REISE_TEST_PG").unwrap_or_else(|_| PG_ADMIN_URL.to_string());
            let name = unique("kireise_test");
            let admin_store = Store::connect_without_migrating(&admin)
                .await
                .expect("PostgreSQL for tests must run (see .ci/run); set KI_REISE_TEST_PG to point elsewhere");
            if let Db::Postgres(pool) = &admin_store.db {
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(pool)
                    .await
                    .expect("create test database");
            }
            admin_store.close().await;
            let base = admin
                .rsplit_once('/')
                .map_or(admin.as_str(), |(b, _)| b)
                .to_string();
            format!("{base}/{name}")
        }
    }
}

/// A migrated store on a fresh database.
pub async fn fresh_store(backend: Backend) -> Store {
    let url = fresh_database_url(backend).await;
    Store::connect(&url).await.expect("connect test store")
}
