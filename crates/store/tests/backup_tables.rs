//! The backup knows every table: a migration that adds a table without
//! naming it in `store::backup::TABLES` fails here, on both dialects, and
//! both dialects declare each table with the same neutral column types.

use store::backup::TABLES;
use store::Store;

const PG_ADMIN_URL: &str = "postgres://root@127.0.0.1:5432/test";

async fn sqlite() -> Store {
    let dir = std::env::temp_dir().join(format!(
        "kireise_bt_{}_{}",
        std::process::id(),
        store::random_token(4)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    Store::connect_sqlite_file(&dir.join("ki-reise.db"))
        .await
        .unwrap()
}

async fn postgres() -> Store {
    let admin = std::env::var("KI_REISE_TEST_PG").unwrap_or_else(|_| PG_ADMIN_URL.to_string());
    let name = format!(
        "kireise_bt_{}_{}",
        std::process::id(),
        store::random_token(4)
    );
    let admin_store = Store::connect_without_migrating(&admin).await.unwrap();
    if let store::Db::Postgres(pool) = &admin_store.db {
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(pool)
            .await
            .unwrap();
    }
    admin_store.close().await;
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    Store::connect(&format!("{base}/{name}")).await.unwrap()
}

#[tokio::test]
async fn every_table_the_migrations_create_is_in_the_backup_with_the_same_columns_on_both_dialects()
{
    let mut listed: Vec<String> = TABLES.iter().map(|t| t.to_string()).collect();
    listed.sort();
    let lite = sqlite().await;
    let pg = postgres().await;
    for store in [&lite, &pg] {
        assert_eq!(
            store.table_names().await.unwrap(),
            listed,
            "{}: the migrated tables and store::backup::TABLES differ; name a new table there",
            store.backend_name()
        );
    }
    assert_eq!(
        lite.table_schemas().await.unwrap(),
        pg.table_schemas().await.unwrap(),
        "the dialects declare a table differently"
    );
}

#[tokio::test]
async fn migrate_up_to_stops_at_the_version_and_the_status_names_what_is_pending() {
    let dir = std::env::temp_dir().join(format!("kireise_mig_{}", store::random_token(4)));
    std::fs::create_dir_all(&dir).unwrap();
    let store = Store::connect_sqlite_file_without_migrating(&dir.join("ki-reise.db"))
        .await
        .unwrap();
    let known = store.known_migrations();
    let status = store.migration_status().await.unwrap();
    assert!(status.applied.is_empty());
    assert_eq!(status.pending, known);
    assert!(
        store.table_names().await.unwrap().is_empty(),
        "dry: nothing created"
    );

    store.migrate_up_to(3).await.unwrap();
    let status = store.migration_status().await.unwrap();
    assert_eq!(status.applied, vec![1, 2, 3]);
    assert_eq!(status.pending.first().map(|m| m.version), Some(4));
    assert!(!status.is_current());
    store.migrate().await.unwrap();
    assert!(store.migration_status().await.unwrap().is_current());
}
