//! `ki-reise model add|list|rm`: the GGUF models in the data folder
//! (`models/`). A download is resumable (a `.part` file and an HTTP range
//! request), its sha256 is checked when given, and the file must be a
//! readable GGUF before it takes its final name, so a broken download never
//! looks like a model.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::DbArgs;
use crate::CliError;

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Kopiert eine GGUF-Datei oder lädt sie von einer http(s)-Adresse in den Datenordner.
    Add(AddArgs),
    /// Listet die Modelle im Datenordner.
    List(ListArgs),
    /// Entfernt ein Modell aus dem Datenordner.
    Rm(RmArgs),
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Pfad zu einer .gguf-Datei oder http(s)-Adresse.
    pub source: String,
    /// Erwartete SHA-256-Prüfsumme (hex); weicht sie ab, wird die Datei verworfen.
    #[arg(long)]
    pub sha256: Option<String>,
    /// Name im Datenordner (ohne .gguf); Vorgabe: der Dateiname der Quelle.
    #[arg(long)]
    pub name: Option<String>,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// Name des Modells (wie in `ki-reise model list`).
    pub name: String,
    #[command(flatten)]
    pub db: DbArgs,
}

pub async fn run(command: ModelCommand) -> Result<(), CliError> {
    match command {
        ModelCommand::Add(args) => add(args).await,
        ModelCommand::List(args) => list(&models_dir(&args.db)?),
        ModelCommand::Rm(args) => rm(&models_dir(&args.db)?, &args.name),
    }
}

fn models_dir(db: &DbArgs) -> Result<PathBuf, CliError> {
    Ok(crate::config::Settings::resolve(db, None)?
        .data
        .join("models"))
}

/// A model name: letters, digits, `.`, `-`, `_`; no path, no hidden file.
fn check_name(name: &str) -> Result<&str, CliError> {
    let name = name.strip_suffix(".gguf").unwrap_or(name);
    let ok = !name.is_empty()
        && name.len() <= 120
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if ok {
        Ok(name)
    } else {
        Err(CliError(format!(
            "„{name}“ taugt nicht als Modellname: erlaubt sind Buchstaben, Ziffern, Punkt, Binde- und Unterstrich."
        )))
    }
}

fn bar(len: Option<u64>, what: &str) -> ProgressBar {
    let bar = match len {
        Some(len) => ProgressBar::new(len),
        None => ProgressBar::new_spinner(),
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} {bar:40} {bytes}/{total_bytes} ({bytes_per_sec}, noch {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(what.to_owned());
    bar
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> CliError + '_ {
    move |e| CliError(format!("{}: {e}", path.display()))
}

async fn add(args: AddArgs) -> Result<(), CliError> {
    let dir = models_dir(&args.db)?;
    std::fs::create_dir_all(&dir).map_err(io_error(&dir))?;
    let is_url = args.source.starts_with("http://") || args.source.starts_with("https://");
    let default_name = args
        .source
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("modell")
        .split(['?', '#'])
        .next()
        .unwrap_or("modell")
        .to_owned();
    let name = check_name(args.name.as_deref().unwrap_or(&default_name))?.to_owned();
    let target = dir.join(format!("{name}.gguf"));
    if target.exists() {
        return Err(CliError(format!(
            "Das Modell „{name}“ gibt es schon ({}). Entfernen Sie es mit `ki-reise model rm {name}` oder wählen Sie mit --name einen anderen Namen.",
            target.display()
        )));
    }
    let part = portal::model_fetch::part_path(&target);
    if is_url {
        let mut progress = BarProgress(None);
        let done = portal::model_fetch::download(&args.source, &part, &mut progress).await;
        if let Some(b) = progress.0 {
            b.finish_and_clear();
        }
        done.map_err(CliError)?;
    } else {
        copy(Path::new(&args.source), &part)?;
    }
    let portal::model_fetch::Fetched {
        sha256: digest,
        summary,
    } = portal::model_fetch::finish(&part, &target, args.sha256.as_deref()).map_err(CliError)?;
    println!("Modell „{name}“ hinzugefügt: {summary}");
    println!("  Datei: {}", target.display());
    println!("  SHA-256: {digest}");
    println!("Starten mit: ki-reise serve --model {}", target.display());
    Ok(())
}

fn copy(source: &Path, part: &Path) -> Result<(), CliError> {
    let mut input = std::fs::File::open(source).map_err(|e| {
        CliError(format!(
            "Die Datei „{}“ lässt sich nicht öffnen: {e}",
            source.display()
        ))
    })?;
    let len = input.metadata().map(|m| m.len()).ok();
    let mut output = std::fs::File::create(part).map_err(io_error(part))?;
    let progress = bar(len, "Kopieren");
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = input.read(&mut buf).map_err(io_error(source))?;
        if n == 0 {
            break;
        }
        output.write_all(&buf[..n]).map_err(io_error(part))?;
        progress.inc(n as u64);
    }
    progress.finish_and_clear();
    Ok(())
}

/// Shows a download's progress on the terminal.
struct BarProgress(Option<ProgressBar>);

impl portal::model_fetch::Progress for BarProgress {
    fn start(&mut self, total: Option<u64>, resumed_at: u64) {
        let progress = bar(total, "Herunterladen");
        progress.set_position(resumed_at);
        if resumed_at > 0 {
            progress.println(format!("Setze den Download bei {resumed_at} Bytes fort."));
        }
        self.0 = Some(progress);
    }
    fn advance(&mut self, bytes: u64) {
        if let Some(b) = &self.0 {
            b.inc(bytes);
        }
    }
}

fn list(dir: &Path) -> Result<(), CliError> {
    let mut names: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "gguf"))
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    if names.is_empty() {
        println!(
            "Keine Modelle in {}. Hinzufügen mit: ki-reise model add DATEI.gguf",
            dir.display()
        );
        return Ok(());
    }
    for path in names {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        match portal::model_fetch::describe(&path) {
            Ok(summary) => println!("{name}\t{summary}\t{}", path.display()),
            Err(e) => println!("{name}\tnicht lesbar: {e}\t{}", path.display()),
        }
    }
    Ok(())
}

fn rm(dir: &Path, name: &str) -> Result<(), CliError> {
    let name = check_name(name)?;
    let path = dir.join(format!("{name}.gguf"));
    if !path.exists() {
        return Err(CliError(format!(
            "Ein Modell „{name}“ gibt es in {} nicht (siehe ki-reise model list).",
            dir.display()
        )));
    }
    std::fs::remove_file(&path).map_err(io_error(&path))?;
    let _ = std::fs::remove_file(dir.join(format!("{name}.gguf.part")));
    println!("Modell „{name}“ entfernt.");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_names_cannot_leave_the_folder() {
        assert_eq!(
            check_name("SmolLM2-135M.Q4_1.gguf").unwrap(),
            "SmolLM2-135M.Q4_1"
        );
        for bad in ["../etc/passwd", "a/b", ".hidden", "", "x y"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }
}
