//! The operations on knowledge spaces, shared by page and API. A space
//! that an account may not read is "not found" for it, in the list, on
//! its page and in every API call alike (`journey::spaces::may_read`).

use std::sync::Arc;

use journey::policy::DataClass;
use journey::spaces::{may_read, Readers};
use store::spaces::{NewDocument, NewSpace, Passage, Space, SpaceDocument};

use super::indexing::index;
use super::upload::{too_large, Received, MAX_DOCUMENT_BYTES};
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::AppState;

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_DESCRIPTION_CHARS: usize = 2_000;
pub const MAX_QUERY_CHARS: usize = 500;
pub const DEFAULT_K: usize = 5;
pub const MAX_K: usize = 20;

/// A new space as a form or program sends it.
#[derive(Debug, Clone)]
pub struct SpaceInput {
    pub name: String,
    pub description: String,
    pub readers: Readers,
    pub data_class: DataClass,
}

fn reads(cu: &CurrentUser, space: &Space) -> bool {
    may_read(&space.readers, cu.user.role, cu.user.department.as_deref())
}

pub async fn create(
    state: &AppState,
    cu: &CurrentUser,
    input: SpaceInput,
) -> Result<Space, AppError> {
    let name = input.name.trim();
    if name.is_empty() {
        return Err(AppError::invalid(
            "name",
            "Bitte geben Sie dem Wissensraum einen Namen.",
        ));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::invalid(
            "name",
            format!("Der Name darf höchstens {MAX_NAME_CHARS} Zeichen lang sein."),
        ));
    }
    let description = input.description.trim();
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(AppError::invalid(
            "description",
            format!("Die Beschreibung darf höchstens {MAX_DESCRIPTION_CHARS} Zeichen lang sein."),
        ));
    }
    let readers = checked_readers(state, input.readers).await?;
    let space = state
        .store
        .create_space(
            &cu.actor(),
            &NewSpace {
                name,
                description,
                readers: &readers,
                data_class: input.data_class,
            },
        )
        .await?;
    Ok(space)
}

/// Departments must be the profile's (trimmed, each once), and a list of
/// departments or roles must name at least one.
async fn checked_readers(state: &AppState, readers: Readers) -> Result<Readers, AppError> {
    match readers {
        Readers::Everyone => Ok(Readers::Everyone),
        Readers::Roles(mut roles) => {
            roles.sort();
            roles.dedup();
            if roles.is_empty() {
                return Err(AppError::invalid(
                    "readers",
                    "Bitte wählen Sie mindestens eine Rolle.",
                ));
            }
            Ok(Readers::Roles(roles))
        }
        Readers::Departments(names) => {
            let known: Vec<String> = state
                .store
                .profile()
                .await?
                .map(|(p, _)| p.departments.into_iter().map(|d| d.name).collect())
                .unwrap_or_default();
            let mut chosen: Vec<String> = Vec::new();
            for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
                let Some(k) = known.iter().find(|k| k.as_str() == name) else {
                    return Err(AppError::invalid(
                        "readers",
                        format!("Den Fachbereich „{name}“ gibt es im Profil der Kommune nicht."),
                    ));
                };
                if !chosen.contains(k) {
                    chosen.push(k.clone());
                }
            }
            if chosen.is_empty() {
                return Err(AppError::invalid(
                    "readers",
                    "Bitte wählen Sie mindestens einen Fachbereich.",
                ));
            }
            Ok(Readers::Departments(chosen))
        }
    }
}

/// The spaces this account may read.
pub async fn visible(state: &AppState, cu: &CurrentUser) -> Result<Vec<Space>, AppError> {
    Ok(state
        .store
        .spaces()
        .await?
        .into_iter()
        .filter(|s| reads(cu, s))
        .collect())
}

/// The space, if it exists and this account may read it.
pub async fn readable(state: &AppState, cu: &CurrentUser, id: i64) -> Result<Space, AppError> {
    match state.store.space(id).await? {
        Some(space) if reads(cu, &space) => Ok(space),
        _ => Err(AppError::NotFound),
    }
}

pub async fn documents(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
) -> Result<(Space, Vec<SpaceDocument>), AppError> {
    let space = readable(state, cu, id).await?;
    let documents = state.store.space_documents(space.id).await?;
    Ok((space, documents))
}

/// The file's own name without any folder part, as a label only: it never
/// becomes a path (the PDF reader writes to a temporary file of ours).
fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    clean.trim().to_owned()
}

/// Reads, cuts and stores an uploaded document: all of it or, on any
/// error, nothing.
pub async fn add_document(
    state: &AppState,
    cu: &CurrentUser,
    space_id: i64,
    received: Received,
) -> Result<SpaceDocument, AppError> {
    let space = readable(state, cu, space_id).await?;
    if received.bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(too_large());
    }
    let file_name = clean_file_name(&received.file_name);
    if file_name.is_empty() {
        return Err(AppError::invalid(
            "file",
            "Die Datei hat keinen Namen; er wird für die Art des Dokuments gebraucht (z. B. „Satzung.pdf“).",
        ));
    }
    let bytes = Arc::new(received.bytes);
    let indexed = index(file_name.clone(), Arc::clone(&bytes)).await?;
    let title = received
        .title
        .map(|t| t.chars().take(MAX_NAME_CHARS * 2).collect::<String>())
        .or(indexed.heading)
        .unwrap_or_else(|| {
            file_name
                .rsplit_once('.')
                .map_or(file_name.clone(), |(stem, _)| stem.to_owned())
        });
    let sha256 = hex::encode(ring::digest::digest(&ring::digest::SHA256, &bytes));
    let document = state
        .store
        .add_space_document(
            &cu.actor(),
            &NewDocument {
                space_id: space.id,
                title: &title,
                file_name: &file_name,
                kind: indexed.kind,
                bytes: bytes.len() as i64,
                pages: indexed.pages,
                sha256: &sha256,
                passages: &indexed.passages,
            },
        )
        .await?;
    Ok(document)
}

pub async fn remove_document(
    state: &AppState,
    cu: &CurrentUser,
    space_id: i64,
    document_id: i64,
) -> Result<(), AppError> {
    let space = readable(state, cu, space_id).await?;
    if state
        .store
        .remove_space_document(&cu.actor(), space.id, document_id)
        .await?
    {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// „S. 3“ or the section, for a citation.
pub fn place(page: Option<i64>, section: &str) -> String {
    match (page, section.is_empty()) {
        (Some(p), true) => format!("S. {p}"),
        (Some(p), false) => format!("S. {p}, {section}"),
        (None, false) => section.to_owned(),
        (None, true) => String::new(),
    }
}

/// A passage found, with its BM25 score.
#[derive(Debug, Clone)]
pub struct Hit {
    pub passage: Passage,
    pub score: f64,
}

/// The `k` passages of the space that answer `query` best (BM25 over the
/// stored terms), best first; none when no passage shares a term with it.
pub async fn search(
    state: &AppState,
    cu: &CurrentUser,
    space_id: i64,
    query: &str,
    k: Option<usize>,
) -> Result<(Space, Vec<Hit>), AppError> {
    let space = readable(state, cu, space_id).await?;
    let query = query.trim();
    if query.is_empty() {
        return Err(AppError::invalid(
            "q",
            "Bitte geben Sie einen Suchbegriff ein.",
        ));
    }
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(AppError::invalid(
            "q",
            format!("Die Suche darf höchstens {MAX_QUERY_CHARS} Zeichen lang sein."),
        ));
    }
    let k = k.unwrap_or(DEFAULT_K);
    if !(1..=MAX_K).contains(&k) {
        return Err(AppError::invalid(
            "k",
            format!("k muss zwischen 1 und {MAX_K} liegen."),
        ));
    }
    let hits = ranked(state, space.id, query, k).await?;
    Ok((space, hits))
}

/// The ranking itself, for callers that have already checked the space.
pub async fn ranked(
    state: &AppState,
    space_id: i64,
    query: &str,
    k: usize,
) -> Result<Vec<Hit>, AppError> {
    let terms = knowledge::german::terms(query);
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let stored = state.store.space_passage_terms(space_id).await?;
    let top = tokio::task::spawn_blocking(move || {
        let texts: Vec<&str> = stored.iter().map(|(_, t)| t.as_str()).collect();
        knowledge::bm25::rank(&terms, &texts, k)
            .into_iter()
            .map(|(i, score)| (stored[i].0, score))
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| AppError::internal("rank passages", e))?;
    let ids: Vec<i64> = top.iter().map(|(id, _)| *id).collect();
    let passages = state.store.space_passages(space_id, &ids).await?;
    Ok(top
        .into_iter()
        .filter_map(|(id, score)| {
            let passage = passages.iter().find(|p| p.id == id)?.clone();
            Some(Hit { passage, score })
        })
        .collect())
}
