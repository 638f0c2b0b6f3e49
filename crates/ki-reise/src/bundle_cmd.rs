//! `ki-reise export` and `ki-reise import`: the whole journey as one bundle
//! for another municipality (Nachnutzung), and taking one over.

use std::collections::BTreeSet;
use std::path::PathBuf;

use clap::Args;
use store::Actor;

use crate::cli::DbArgs;
use crate::config::Settings;
use crate::CliError;

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Ziel: ein neuer oder leerer Ordner, oder eine Datei mit der Endung .zip.
    #[arg(long, value_name = "ORDNER|DATEI.zip")]
    pub out: PathBuf,
    /// Nur Veröffentlichbares: ohne interne Angaben und ohne personenbezogene Daten.
    #[arg(long)]
    pub public: bool,
    /// Lizenz der Texte, z. B. CC-BY-4.0.
    #[arg(long, default_value = "CC-BY-4.0")]
    pub licence: String,
    /// Nur anzeigen, was geschrieben würde.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Das Paket: ein Ordner oder eine ZIP-Datei.
    #[arg(value_name = "PAKET")]
    pub bundle: PathBuf,
    /// Nur anzeigen, was angelegt, überschrieben oder übersprungen würde.
    #[arg(long)]
    pub dry_run: bool,
    /// Einen Konflikt überschreiben, je Eintrag, z. B. --overwrite anwendungsfall/af-1a2b.
    #[arg(long, value_name = "ART/KENNUNG")]
    pub overwrite: Vec<String>,
    #[command(flatten)]
    pub db: DbArgs,
}

pub async fn export(args: ExportArgs) -> Result<(), CliError> {
    let settings = Settings::resolve(&args.db, None)?;
    let store = crate::database::open(&settings).await?;
    let openapi = serde_json::to_string(&portal::openapi_flatten::static_document())?;
    let options = bundle::export::Options {
        public: args.public,
        licence: args.licence,
        openapi: Some(openapi),
        data_dir: Some(&settings.data),
        created: bundle::export::now_rfc3339(),
    };
    let (planned, problems) = bundle::export::preview(&store, &options).await?;
    if args.dry_run || (args.public && !problems.is_empty()) {
        let what = if args.public {
            "veröffentlicht"
        } else {
            "geschrieben"
        };
        println!("Diese {} Dateien würden {what}:", planned.len());
        for p in &planned {
            println!("  {}", p.path);
        }
        if !problems.is_empty() {
            return Err(CliError(format!(
                "Das Paket wird nicht geschrieben:\n{}",
                problems.join("\n")
            )));
        }
        return Ok(());
    }
    let is_zip = args
        .out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    let manifest = if is_zip {
        if args.out.exists() {
            return Err(CliError(format!(
                "Die Datei „{}“ gibt es schon. Bitte einen neuen Namen angeben.",
                args.out.display()
            )));
        }
        let mut sink = bundle::write::ZipSink::create(&args.out)?;
        let m = bundle::export::export(&store, &options, &mut sink).await;
        match m {
            Ok(m) => {
                sink.finish()?;
                m
            }
            Err(e) => {
                drop(sink);
                let _ = std::fs::remove_file(&args.out);
                return Err(e.into());
            }
        }
    } else {
        let mut sink = bundle::write::DirSink::create(&args.out)?;
        bundle::export::export(&store, &options, &mut sink).await?
    };
    println!(
        "Paket geschrieben: {} ({} Dateien{}).",
        args.out.display(),
        manifest.files.len() + 1,
        if manifest.public { ", öffentlich" } else { "" }
    );
    Ok(())
}

pub async fn import(args: ImportArgs) -> Result<(), CliError> {
    let settings = Settings::resolve(&args.db, None)?;
    let bundle = bundle::read::open(&args.bundle)?;
    let store = crate::database::open(&settings).await?;
    let overwrite: BTreeSet<String> = args.overwrite.into_iter().collect();
    let plan = bundle::import::plan(&store, &bundle, Some(&settings.data), &overwrite).await?;
    println!("Paket von {} ({} Einträge):", plan.origin, plan.items.len());
    for line in plan.lines() {
        println!("  {line}");
    }
    if args.dry_run {
        println!("Probelauf: {}. Nichts wurde geändert.", plan.summary());
        return Ok(());
    }
    bundle::import::apply(
        &store,
        &Actor::command_line(),
        &bundle,
        &plan,
        Some(&settings.data),
    )
    .await?;
    println!("Übernommen: {}.", plan.summary());
    Ok(())
}
