//! `ki-reise backup`, `ki-reise restore` and `ki-reise migrate`: the admin
//! commands that look after the database, with a progress bar.

use std::path::PathBuf;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::DbArgs;
use crate::config::Settings;
use crate::CliError;

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Zieldatei der Sicherung (ZIP), z. B. /var/backups/ki-reise/2025-01-31.zip.
    #[arg(long, value_name = "DATEI")]
    pub out: PathBuf,
    /// Auch die Modelle (models/) sichern; sonst fehlen sie absichtlich (groß, neu ladbar).
    #[arg(long)]
    pub with_models: bool,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// Die Sicherung (ZIP) aus ki-reise backup.
    #[arg(value_name = "DATEI")]
    pub file: PathBuf,
    /// Nur die Prüfsummen der Sicherung prüfen, nichts wiederherstellen.
    #[arg(long)]
    pub verify_only: bool,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Nur anzeigen, welche Migrationen ausgeführt würden; nichts ändern.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub db: DbArgs,
}

/// One indicatif bar per phase: rows of the database, bytes of files.
struct Bar(Option<ProgressBar>);

impl backup::Progress for Bar {
    fn phase(&mut self, name: &str, total: u64) {
        if let Some(old) = self.0.take() {
            old.finish();
        }
        let bytes = name != "Datenbank";
        let template = match (total, bytes) {
            (0, _) => "{msg} {spinner} {human_pos} Zeilen ({per_sec})",
            (_, false) => "{msg} {bar:40} {human_pos}/{human_len} Zeilen (noch {eta})",
            (_, true) => "{msg} {bar:40} {bytes}/{total_bytes} ({bytes_per_sec}, noch {eta})",
        };
        let bar = if total == 0 {
            ProgressBar::new_spinner()
        } else {
            ProgressBar::new(total)
        };
        bar.set_style(
            ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(format!("{name:<11}"));
        self.0 = Some(bar);
    }

    fn advance(&mut self, n: u64) {
        if let Some(bar) = &self.0 {
            bar.inc(n);
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        if let Some(bar) = self.0.take() {
            bar.finish();
        }
    }
}

pub async fn backup(args: BackupArgs) -> Result<(), CliError> {
    let settings = Settings::resolve(&args.db, None)?;
    let store = crate::database::open_unmigrated(&settings).await?;
    let status = store.migration_status().await?;
    if status.applied.is_empty() {
        return Err(CliError(
            "Die Datenbank ist leer (noch nie migriert); es gibt nichts zu sichern. Prüfen Sie --data bzw. --database-url.".into(),
        ));
    }
    let started = std::time::Instant::now();
    let options = backup::Options {
        data_dir: settings.data.clone(),
        with_models: args.with_models,
        ki_reise_version: env!("CARGO_PKG_VERSION").into(),
    };
    let summary = {
        let mut bar = Bar(None);
        backup::create(&store, &options, &args.out, &mut bar).await?
    };
    store.close().await;
    let rows: u64 = summary.manifest.tables.iter().map(|t| t.rows).sum();
    println!(
        "Sicherung „{}“ geschrieben: {} Tabellen mit {rows} Zeilen aus {}, {} Dateien, {:.1} MB, in {:.1} s.",
        args.out.display(),
        summary.manifest.tables.len(),
        summary.manifest.database.backend,
        summary.manifest.files.len(),
        summary.archive_bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    if !args.with_models {
        println!("Modelle (models/) sind nicht enthalten; mit --with-models sichern Sie sie mit.");
    }
    for s in &summary.skipped {
        eprintln!("Warnung: „{s}“ ist keine gewöhnliche Datei und wurde nicht gesichert.");
    }
    Ok(())
}

pub async fn restore(args: RestoreArgs) -> Result<(), CliError> {
    let started = std::time::Instant::now();
    if args.verify_only {
        let manifest = backup::verify(&args.file, &mut Bar(None))?;
        println!(
            "Die Sicherung ist vollständig: {} Tabellen, {} Dateien, alle Prüfsummen stimmen (ki-reise {}, {}).",
            manifest.tables.len(),
            manifest.files.len(),
            manifest.ki_reise_version,
            manifest.created_at
        );
        return Ok(());
    }
    let settings = Settings::resolve(&args.db, None)?;
    let store = crate::database::open_unmigrated(&settings).await?;
    let restored = {
        let mut bar = Bar(None);
        backup::restore(&store, &settings.data, &args.file, &mut bar).await?
    };
    println!(
        "Wiederhergestellt in {} ({}): {} Zeilen, {} Dateien aus der Sicherung vom {} (ki-reise {}, {}), in {:.1} s.",
        store.backend_name(),
        settings.data.display(),
        restored.rows,
        restored.files,
        restored.manifest.created_at,
        restored.manifest.ki_reise_version,
        restored.manifest.database.backend,
        started.elapsed().as_secs_f64()
    );
    store.close().await;
    Ok(())
}

pub async fn migrate(args: MigrateArgs) -> Result<(), CliError> {
    let settings = Settings::resolve(&args.db, None)?;
    let store = crate::database::open_unmigrated(&settings).await?;
    let status = store.migration_status().await?;
    if !status.newer.is_empty() {
        println!(
            "Hinweis: Die Datenbank hat Migrationen einer neueren Version ({}); diese Version läuft weiter mit ihnen.",
            join(&status.newer)
        );
    }
    if args.dry_run {
        if status.pending.is_empty() {
            println!(
                "Die Datenbank ({}) ist auf dem neuesten Stand; keine Migration ausstehend.",
                store.backend_name()
            );
        } else {
            println!(
                "Ausstehende Migrationen ({}), in dieser Reihenfolge:",
                store.backend_name()
            );
            for m in &status.pending {
                println!("  {:04} {}", m.version, m.description);
            }
            println!("Nichts wurde geändert. Ausführen mit: ki-reise migrate");
        }
        return Ok(());
    }
    store.migrate().await?;
    for m in &status.pending {
        println!("Ausgeführt: {:04} {}", m.version, m.description);
    }
    println!(
        "Die Datenbank ({}) ist auf dem neuesten Stand.",
        store.backend_name()
    );
    Ok(())
}

fn join(versions: &[i64]) -> String {
    versions
        .iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
