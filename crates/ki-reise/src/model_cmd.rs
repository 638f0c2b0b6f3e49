//! `ki-reise model add|list|rm`: the GGUF models in the data folder
//! (`models/`). A download is resumable (a `.part` file and an HTTP range
//! request), its sha256 is checked when given, and the file must be a
//! readable GGUF before it takes its final name, so a broken download never
//! looks like a model.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};

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
    let part = dir.join(format!("{name}.gguf.part"));
    if is_url {
        download(&args.source, &part).await?;
    } else {
        copy(Path::new(&args.source), &part)?;
    }
    let digest = sha256_file(&part)?;
    if let Some(expected) = &args.sha256 {
        if !digest.eq_ignore_ascii_case(expected.trim()) {
            let _ = std::fs::remove_file(&part);
            return Err(CliError(format!(
                "Die Prüfsumme stimmt nicht: erwartet {expected}, erhalten {digest}. Die Datei wurde verworfen."
            )));
        }
    }
    let summary = describe(&part).map_err(|e| {
        let _ = std::fs::remove_file(&part);
        CliError(format!(
            "Die Datei ist kein lesbares GGUF-Modell und wurde verworfen: {e}"
        ))
    })?;
    std::fs::rename(&part, &target).map_err(io_error(&target))?;
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

/// Downloads into `part`, continuing where an earlier attempt stopped when
/// the server supports range requests.
async fn download(url: &str, part: &Path) -> Result<(), CliError> {
    let have = std::fs::metadata(part).map(|m| m.len()).unwrap_or(0);
    let client = reqwest::Client::new();
    let mut request = client.get(url);
    if have > 0 {
        request = request.header(reqwest::header::RANGE, format!("bytes={have}-"));
    }
    let mut response = request
        .send()
        .await
        .map_err(|e| CliError(format!("Die Adresse {url} ist nicht erreichbar: {e}")))?;
    let status = response.status();
    let resumed = status == reqwest::StatusCode::PARTIAL_CONTENT;
    if !status.is_success() {
        return Err(CliError(format!(
            "Der Server antwortet auf {url} mit {status}."
        )));
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .append(resumed)
        .truncate(!resumed)
        .open(part)
        .map_err(io_error(part))?;
    let start = if resumed { have } else { 0 };
    let progress = bar(
        response.content_length().map(|l| l + start),
        "Herunterladen",
    );
    progress.set_position(start);
    if resumed {
        progress.println(format!("Setze den Download bei {have} Bytes fort."));
    }
    while let Some(chunk) = response.chunk().await.map_err(|e| {
        CliError(format!(
            "Der Download brach ab ({e}); ein erneuter Aufruf setzt ihn fort."
        ))
    })? {
        file.write_all(&chunk).map_err(io_error(part))?;
        progress.inc(chunk.len() as u64);
    }
    progress.finish_and_clear();
    Ok(())
}

fn sha256_file(path: &Path) -> Result<String, CliError> {
    let mut file = std::fs::File::open(path).map_err(io_error(path))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(io_error(path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Architecture, name and size of a GGUF file, checked by the engine's reader.
fn describe(path: &Path) -> Result<String, String> {
    let file = engine::gguf::GgufFile::open(path).map_err(|e| e.to_string())?;
    let arch = file
        .header
        .get_str("general.architecture")
        .unwrap_or("unbekannt")
        .to_owned();
    let name = file.header.get_str("general.name").unwrap_or("").to_owned();
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    Ok(format!(
        "{}{arch}, {:.1} MB",
        if name.is_empty() {
            String::new()
        } else {
            format!("{name}, ")
        },
        size as f64 / 1e6
    ))
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
        match describe(&path) {
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
