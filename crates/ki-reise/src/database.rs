//! Opening the database named by the settings, with errors a person can act on.

use store::Store;

use crate::config::Settings;
use crate::CliError;

/// Opens and migrates the database: PostgreSQL by URL, else the SQLite file
/// in the data folder (created if needed).
pub async fn open(settings: &Settings) -> Result<Store, CliError> {
    let store = open_unmigrated(settings).await?;
    store.migrate().await?;
    Ok(store)
}

/// Opens the database without touching its schema: for `migrate --dry-run`
/// and `restore`, which decide themselves what to apply.
pub async fn open_unmigrated(settings: &Settings) -> Result<Store, CliError> {
    match &settings.database_url {
        Some(url) => Ok(Store::connect_without_migrating(url).await?),
        None => {
            let dir = &settings.data;
            std::fs::create_dir_all(dir).map_err(|e| unwritable(dir, &e))?;
            let probe = dir.join(".schreibtest");
            std::fs::write(&probe, b"ok").map_err(|e| unwritable(dir, &e))?;
            let _ = std::fs::remove_file(&probe);
            Ok(Store::connect_sqlite_file_without_migrating(&dir.join("ki-reise.db")).await?)
        }
    }
}

fn unwritable(dir: &std::path::Path, e: &std::io::Error) -> CliError {
    CliError(format!(
        "Der Datenordner „{}“ ist nicht beschreibbar ({e}). Wählen Sie mit --data einen anderen Ordner oder prüfen Sie die Zugriffsrechte.",
        dir.display()
    ))
}
