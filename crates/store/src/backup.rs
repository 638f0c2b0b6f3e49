//! The database half of `ki-reise backup` and `restore`: every table read
//! in one consistent snapshot and handed on row by row in a form neither
//! dialect owns (column types `integer`, `boolean`, `real`, `text`; values
//! as JSON), and loaded back into either dialect, so a backup of SQLite
//! restores into PostgreSQL and back.
//!
//! Consistency: PostgreSQL reads every table in one `REPEATABLE READ, READ
//! ONLY` transaction; SQLite (always in WAL mode here) reads them in one
//! read transaction, whose snapshot is fixed at its first read and which
//! writers do not block, the same guarantee the online backup API gives,
//! without a second copy of the file.
//!
//! Not here: the archive, data-folder files, manifest and checksums (the
//! `backup` crate).

use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::Row;

use crate::{on_db, Db, Result, Store, StoreError};

/// Every table of the schema, parents before the tables that refer to
/// them (the order the migrations create them in), so a load never breaks
/// a foreign key. A table a new migration adds must be named here; a test
/// compares this list with the migrated schema of both dialects.
pub const TABLES: &[&str] = &[
    "settings",
    "municipality",
    "departments",
    "users",
    "sessions",
    "login_failures",
    "api_keys",
    "user_tokens",
    "step_status",
    "audit_log",
    "surveys",
    "survey_tokens",
    "survey_invitations",
    "survey_responses",
    "use_cases",
    "documents",
    "document_versions",
    "document_comments",
    "document_reviews",
    "document_templates",
    "usage_records",
    "token_quotas",
    "qualification_offers",
    "qualification_partners",
    "qualification_paths",
    "qualification_evaluations",
    "qualification_role_profiles",
    "qualification_cohorts",
    "qualification_people",
    "qualification_sessions",
    "qualification_enrolments",
    "qualification_completions",
    "qualification_credentials",
    "assistants",
    "survey_drafts",
    "bundle_provenance",
    "qualification_rubric",
    "gateway_backends",
    "chat_conversations",
    "chat_turns",
    "bench_target_keys",
    "bench_task_sets",
    "account_functions",
    "handovers",
    "ki_pass_exceptions",
    "knowledge_spaces",
    "space_documents",
    "space_passages",
    "mail_outbox",
    "mail_templates",
    "usecase_duties",
    "oidc_logins",
    "scheduled_runs",
    "oidc_logout_tokens",
];

/// Settings a fresh instance writes before anyone has used it; a restore
/// replaces them instead of calling the instance "not empty".
const FRESH_INSTANCE_SETTINGS: &[&str] = &[crate::profile::SETUP_CODE_KEY];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    Integer,
    Boolean,
    Real,
    Text,
}

impl ColumnType {
    /// The neutral type of a column as either dialect declares it.
    fn from_declared(table: &str, column: &str, declared: &str) -> Result<ColumnType> {
        match declared.to_ascii_lowercase().as_str() {
            "bigint" | "integer" | "int" | "int8" => Ok(ColumnType::Integer),
            "boolean" | "bool" => Ok(ColumnType::Boolean),
            "double precision" | "real" | "double" | "float8" => Ok(ColumnType::Real),
            "text" => Ok(ColumnType::Text),
            other => Err(StoreError::Refused(format!(
                "Die Spalte {table}.{column} hat den Typ „{other}“, den die Sicherung nicht kennt."
            ))),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ColumnType,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSchema {
    pub name: String,
    pub columns: Vec<Column>,
}

/// Where [`Store::dump`] writes to: a table's schema, then its rows (one
/// value per column, in the schema's order).
pub trait RowSink {
    fn begin_table(&mut self, table: &TableSchema) -> std::io::Result<()>;
    fn row(&mut self, values: &[Value]) -> std::io::Result<()>;
    fn end_table(&mut self) -> std::io::Result<()>;
}

/// What a dump read: the schema version and each table with its row count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub backend: &'static str,
    pub migrations: Vec<i64>,
    pub tables: Vec<(TableSchema, u64)>,
}

fn sink_failed(e: std::io::Error) -> StoreError {
    StoreError::Refused(format!(
        "Die Sicherung konnte nicht geschrieben werden: {e}."
    ))
}

fn columns_sql(db: &Db) -> &'static str {
    match db {
        Db::Sqlite(_) => "SELECT name, type FROM pragma_table_info($1) ORDER BY cid",
        Db::Postgres(_) => {
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position"
        }
    }
}

fn table_names_sql(db: &Db) -> &'static str {
    match db {
        Db::Sqlite(_) => {
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' ORDER BY name"
        }
        Db::Postgres(_) => {
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
             AND table_name <> '_sqlx_migrations' ORDER BY table_name"
        }
    }
}

fn schema_of(table: &str, declared: Vec<(String, String)>) -> Result<TableSchema> {
    if declared.is_empty() {
        return Err(StoreError::Refused(format!(
            "Die Tabelle „{table}“ fehlt in der Datenbank."
        )));
    }
    let columns = declared
        .into_iter()
        .map(|(name, ty)| {
            let kind = ColumnType::from_declared(table, &name, &ty)?;
            Ok(Column { name, kind })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(TableSchema {
        name: table.to_string(),
        columns,
    })
}

/// The column list, quoted, as some names are keywords (`key`,
/// `position`). The names are the catalogue's: a backup's are matched
/// against it in [`Loader::begin_table`] before they reach SQL.
fn column_list(schema: &TableSchema) -> String {
    let columns: Vec<String> = schema
        .columns
        .iter()
        .map(|c| format!("\"{}\"", c.name))
        .collect();
    columns.join(", ")
}

fn select_sql(schema: &TableSchema) -> String {
    format!("SELECT {} FROM \"{}\"", column_list(schema), schema.name)
}

fn insert_sql(schema: &TableSchema) -> String {
    let params: Vec<String> = (1..=schema.columns.len())
        .map(|i| format!("${i}"))
        .collect();
    format!(
        "INSERT INTO \"{}\" ({}) VALUES ({})",
        schema.name,
        column_list(schema),
        params.join(", ")
    )
}

/// Reads one value of a row by its neutral type; the same code serves both
/// drivers.
macro_rules! read_value {
    ($row:expr, $i:expr, $kind:expr) => {
        match $kind {
            ColumnType::Integer => $row.try_get::<Option<i64>, _>($i)?.map(Value::from),
            ColumnType::Boolean => $row.try_get::<Option<bool>, _>($i)?.map(Value::from),
            ColumnType::Real => $row.try_get::<Option<f64>, _>($i)?.map(Value::from),
            ColumnType::Text => $row.try_get::<Option<String>, _>($i)?.map(Value::from),
        }
        .unwrap_or(Value::Null)
    };
}

impl Store {
    /// The tables the migrated schema has (without sqlx's own), sorted.
    pub async fn table_names(&self) -> Result<Vec<String>> {
        let sql = table_names_sql(&self.db);
        Ok(on_db!(self, pool => {
            sqlx::query_scalar::<_, String>(sql).fetch_all(pool).await?
        }))
    }

    /// Every table's schema as this database declares it.
    pub async fn table_schemas(&self) -> Result<Vec<TableSchema>> {
        let sql = columns_sql(&self.db);
        let mut out = Vec::new();
        for table in TABLES {
            let declared: Vec<(String, String)> = on_db!(self, pool => {
                sqlx::query_as(sql).bind(*table).fetch_all(pool).await?
            });
            out.push(schema_of(table, declared)?);
        }
        Ok(out)
    }

    /// Reads every table in one consistent snapshot into `sink`, while
    /// the portal goes on serving.
    pub async fn dump(&self, sink: &mut dyn RowSink) -> Result<Snapshot> {
        let columns = columns_sql(&self.db);
        let backend = self.backend_name();
        let postgres = matches!(self.db, Db::Postgres(_));
        let snapshot = on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            if postgres {
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .execute(&mut *tx)
                    .await?;
            }
            let migrations: Vec<i64> = sqlx::query_scalar(
                "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version",
            )
            .fetch_all(&mut *tx)
            .await?;
            let mut tables = Vec::new();
            for table in TABLES {
                let declared: Vec<(String, String)> =
                    sqlx::query_as(columns).bind(*table).fetch_all(&mut *tx).await?;
                let schema = schema_of(table, declared)?;
                sink.begin_table(&schema).map_err(sink_failed)?;
                let sql = select_sql(&schema);
                let mut rows = sqlx::query(&sql).fetch(&mut *tx);
                let mut count = 0u64;
                let mut values = Vec::with_capacity(schema.columns.len());
                while let Some(row) = rows.try_next().await? {
                    values.clear();
                    for (i, column) in schema.columns.iter().enumerate() {
                        values.push(read_value!(row, i, column.kind));
                    }
                    sink.row(&values).map_err(sink_failed)?;
                    count += 1;
                }
                drop(rows);
                sink.end_table().map_err(sink_failed)?;
                tables.push((schema, count));
            }
            tx.commit().await?;
            Snapshot { backend, migrations, tables }
        });
        Ok(snapshot)
    }

    /// The first table that holds data, if any: a restore goes only into
    /// an instance nobody has used yet (a pending set-up code aside).
    pub async fn first_table_with_data(&self) -> Result<Option<String>> {
        let existing = self.table_names().await?;
        for table in TABLES.iter().filter(|t| existing.iter().any(|e| e == *t)) {
            let sql = if *table == "settings" {
                let ignored: Vec<String> = FRESH_INSTANCE_SETTINGS
                    .iter()
                    .map(|k| format!("'{k}'"))
                    .collect();
                format!(
                    "SELECT COUNT(*) FROM settings WHERE key NOT IN ({})",
                    ignored.join(", ")
                )
            } else {
                format!("SELECT COUNT(*) FROM \"{table}\"")
            };
            let (count,): (i64,) = on_db!(self, pool => {
                sqlx::query_as(&sql).fetch_one(pool).await?
            });
            if count > 0 {
                return Ok(Some(table.to_string()));
            }
        }
        Ok(None)
    }

    /// Starts loading a backup into this (empty, migrated) database: one
    /// transaction for all tables, so a failed restore leaves nothing.
    pub async fn begin_load(&self) -> Result<Loader> {
        let target = self.table_schemas().await?;
        let tx = match &self.db {
            Db::Sqlite(pool) => LoadTx::Sqlite(pool.begin().await?),
            Db::Postgres(pool) => LoadTx::Postgres(pool.begin().await?),
        };
        let mut loader = Loader {
            tx,
            target,
            current: None,
        };
        let ignored: Vec<String> = FRESH_INSTANCE_SETTINGS
            .iter()
            .map(|k| format!("'{k}'"))
            .collect();
        let clear = format!("DELETE FROM settings WHERE key IN ({})", ignored.join(", "));
        match &mut loader.tx {
            LoadTx::Sqlite(tx) => {
                sqlx::query(&clear).execute(&mut **tx).await?;
            }
            LoadTx::Postgres(tx) => {
                sqlx::query(&clear).execute(&mut **tx).await?;
            }
        }
        Ok(loader)
    }
}

enum LoadTx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Loads rows table by table inside one transaction; see
/// [`Store::begin_load`].
pub struct Loader {
    tx: LoadTx,
    target: Vec<TableSchema>,
    /// The table being loaded and its INSERT, with the target's column
    /// types in the backup's column order.
    current: Option<(String, String, Vec<ColumnType>)>,
}

impl std::fmt::Debug for Loader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loader")
            .field("table", &self.current.as_ref().map(|c| &c.0))
            .finish_non_exhaustive()
    }
}

impl Loader {
    /// Prepares to load `table` as the backup describes it; every column
    /// must exist in the target with the same type.
    pub fn begin_table(&mut self, table: &TableSchema) -> Result<()> {
        let target = self
            .target
            .iter()
            .find(|t| t.name == table.name)
            .ok_or_else(|| {
                StoreError::Refused(format!(
                    "Die Sicherung enthält die Tabelle „{}“, die diese Version von ki-reise nicht kennt.",
                    table.name
                ))
            })?;
        let mut kinds = Vec::new();
        for column in &table.columns {
            match target.columns.iter().find(|c| c.name == column.name) {
                Some(c) if c.kind == column.kind => kinds.push(c.kind),
                _ => {
                    return Err(StoreError::Refused(format!(
                        "Die Spalte {}.{} der Sicherung passt nicht zur Datenbank.",
                        table.name, column.name
                    )))
                }
            }
        }
        self.current = Some((table.name.clone(), insert_sql(table), kinds));
        Ok(())
    }

    pub async fn insert(&mut self, values: &[Value]) -> Result<()> {
        let Some((table, sql, kinds)) = &self.current else {
            return Err(StoreError::Refused(
                "Zeile ohne Tabelle in der Sicherung.".into(),
            ));
        };
        if values.len() != kinds.len() {
            return Err(StoreError::Refused(format!(
                "Eine Zeile der Tabelle „{table}“ hat {} statt {} Werte.",
                values.len(),
                kinds.len()
            )));
        }
        let wrong = |i: usize| {
            StoreError::Refused(format!(
                "Ein Wert der Tabelle „{table}“ (Spalte {}) hat den falschen Typ.",
                i + 1
            ))
        };
        macro_rules! bind_all {
            ($query:expr) => {{
                let mut q = $query;
                for (i, (v, kind)) in values.iter().zip(kinds).enumerate() {
                    q = match (kind, v) {
                        (_, Value::Null) => match kind {
                            ColumnType::Integer => q.bind(None::<i64>),
                            ColumnType::Boolean => q.bind(None::<bool>),
                            ColumnType::Real => q.bind(None::<f64>),
                            ColumnType::Text => q.bind(None::<String>),
                        },
                        (ColumnType::Integer, v) => q.bind(v.as_i64().ok_or_else(|| wrong(i))?),
                        (ColumnType::Boolean, v) => q.bind(v.as_bool().ok_or_else(|| wrong(i))?),
                        (ColumnType::Real, v) => q.bind(v.as_f64().ok_or_else(|| wrong(i))?),
                        (ColumnType::Text, v) => {
                            q.bind(v.as_str().ok_or_else(|| wrong(i))?.to_string())
                        }
                    };
                }
                q
            }};
        }
        match &mut self.tx {
            LoadTx::Sqlite(tx) => {
                bind_all!(sqlx::query(sql)).execute(&mut **tx).await?;
            }
            LoadTx::Postgres(tx) => {
                bind_all!(sqlx::query(sql)).execute(&mut **tx).await?;
            }
        }
        Ok(())
    }

    /// Moves PostgreSQL's identity sequences past the loaded ids (SQLite's
    /// AUTOINCREMENT follows inserted ids by itself) and commits.
    pub async fn finish(self) -> Result<()> {
        match self.tx {
            LoadTx::Sqlite(tx) => tx.commit().await?,
            LoadTx::Postgres(mut tx) => {
                for table in &self.target {
                    if !table.columns.iter().any(|c| c.name == "id") {
                        continue;
                    }
                    let sequence: Option<String> =
                        sqlx::query_scalar("SELECT pg_get_serial_sequence($1, 'id')")
                            .bind(&table.name)
                            .fetch_one(&mut *tx)
                            .await?;
                    if let Some(sequence) = sequence {
                        // setval(…, false) on an empty table: the next id is 1.
                        sqlx::query(&format!(
                            "SELECT setval($1, COALESCE((SELECT MAX(id) FROM \"{}\"), 0) + 1, false)",
                            table.name
                        ))
                        .bind(sequence)
                        .execute(&mut *tx)
                        .await?;
                    }
                }
                tx.commit().await?
            }
        }
        Ok(())
    }
}
