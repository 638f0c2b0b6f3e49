//! Nachnutzung for administrators: the whole journey as one bundle to
//! download (with a preview of what would be published), and a bundle of
//! another municipality to take over (dry run first, then per-item choice
//! for conflicts, applied in one transaction).
//!
//! Between dry run and confirmation the uploaded bundle waits in the data
//! folder under a random name, so the confirmation needs no second upload
//! and applies exactly the file that was checked.

use std::collections::BTreeSet;

use crate::text_input::Form;
use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bundle::import::{Action, Plan};
use bundle::BundleError;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::error::{AppError, PageError};
use crate::transfer::import::{self, work_dir, ApplyRefusal};
use crate::transfer::upload::{self as upload, random_token, UploadError};
use crate::view::render;
use crate::view::Layout;
use crate::AppState;

const TITLE: &str = "Nachnutzung";
const DEFAULT_LICENCE: &str = "CC-BY-4.0";

struct ConflictRow {
    key: String,
    what: String,
    fields: String,
}

struct ReportView {
    token: String,
    origin: String,
    created: Vec<String>,
    unchanged: Vec<String>,
    conflicts: Vec<ConflictRow>,
    /// Items a bundle never replaces here (the municipality's profile).
    kept: Vec<String>,
}

#[derive(Template)]
#[template(path = "transfer/nachnutzung.html")]
struct NachnutzungPage {
    layout: Layout,
    licence: String,
    public: bool,
    previewed: bool,
    files: Vec<String>,
    left_out: Vec<String>,
    export_problems: Vec<String>,
    form_error: String,
    problems: Vec<String>,
    report: Option<ReportView>,
    applied: String,
}

impl NachnutzungPage {
    async fn new(state: &AppState, cu: &CurrentUser) -> NachnutzungPage {
        NachnutzungPage {
            layout: Layout::for_user(state, cu, TITLE, "/nachnutzung").await,
            licence: DEFAULT_LICENCE.into(),
            public: false,
            previewed: false,
            files: Vec::new(),
            left_out: Vec::new(),
            export_problems: Vec::new(),
            form_error: String::new(),
            problems: Vec::new(),
            report: None,
            applied: String::new(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ExportQuery {
    lizenz: String,
    oeffentlich: Option<String>,
    vorschau: Option<String>,
}

impl ExportQuery {
    fn licence(&self) -> String {
        let l = self.lizenz.trim();
        if l.is_empty() {
            DEFAULT_LICENCE.into()
        } else {
            l.chars().take(100).collect()
        }
    }
}

fn options(state: &AppState, public: bool, licence: String) -> bundle::export::Options<'_> {
    bundle::export::Options {
        public,
        licence,
        openapi: serde_json::to_string(&crate::openapi_flatten::static_document()).ok(),
        data_dir: Some(&state.config.data_dir),
        created: bundle::export::now_rfc3339(),
    }
}

fn bundle_error(e: BundleError) -> AppError {
    match e {
        BundleError::Store(e) => e.into(),
        other => AppError::Internal(other.to_string()),
    }
}

/// Runs an export on a blocking thread: the writer holds its sink (not
/// `Send`) across awaits, which a request handler's future may not.
async fn off_thread<T, F, Fut>(state: &AppState, f: F) -> Result<T, AppError>
where
    F: FnOnce(AppState) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = T>,
    T: Send + 'static,
{
    let state = state.clone();
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || handle.block_on(f(state)))
        .await
        .map_err(|e| AppError::internal("join the bundle task", e))
}

fn unprocessable(page: &NachnutzungPage) -> Result<Response, PageError> {
    let mut response = render(page)?;
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

pub async fn show(
    State(state): State<AppState>,
    cu: CurrentUser,
    Query(query): Query<ExportQuery>,
) -> Result<Response, PageError> {
    let mut page = NachnutzungPage::new(&state, &cu).await;
    page.licence = query.licence();
    page.public = query.oeffentlich.is_some();
    if query.vorschau.is_some() {
        let (public, licence) = (page.public, page.licence.clone());
        let (planned, problems, left_out) = off_thread(&state, move |state| async move {
            let (planned, problems) =
                bundle::export::preview(&state.store, &options(&state, public, licence.clone()))
                    .await?;
            let mut left_out = Vec::new();
            if public {
                // What the full bundle has and the public one does not.
                let (full, _) =
                    bundle::export::preview(&state.store, &options(&state, false, licence)).await?;
                let kept: BTreeSet<&str> = planned.iter().map(|p| p.path.as_str()).collect();
                left_out = full
                    .iter()
                    .filter(|f| !kept.contains(f.path.as_str()))
                    .map(|f| f.path.clone())
                    .collect();
            }
            Ok::<_, BundleError>((planned, problems, left_out))
        })
        .await?
        .map_err(bundle_error)?;
        page.left_out = left_out;
        page.files = planned.into_iter().map(|p| p.path).collect();
        page.export_problems = problems;
        page.previewed = true;
    }
    render(&page)
}

pub async fn export(
    State(state): State<AppState>,
    cu: CurrentUser,
    Query(query): Query<ExportQuery>,
) -> Result<Response, PageError> {
    let public = query.oeffentlich.is_some();
    let licence = query.licence();
    let path = work_dir(&state)?.join(format!("export-{}.zip", random_token()));
    let (target, chosen) = (path.clone(), licence.clone());
    let bytes = off_thread(&state, move |state| async move {
        let options = options(&state, public, chosen);
        let mut sink = bundle::write::ZipSink::create(&target)?;
        bundle::export::export(&state.store, &options, &mut sink).await?;
        sink.finish()?;
        std::fs::read(&target).map_err(|e| BundleError::Content(e.to_string()))
    })
    .await?;
    let _ = std::fs::remove_file(&path);
    match bytes {
        Ok(bytes) => Ok((
            [
                (header::CONTENT_TYPE, "application/zip".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"ki-reise-paket{}.zip\"",
                        if public { "-oeffentlich" } else { "" }
                    ),
                ),
            ],
            bytes,
        )
            .into_response()),
        Err(BundleError::Refused(problems)) => {
            let mut page = NachnutzungPage::new(&state, &cu).await;
            page.licence = licence;
            page.public = public;
            page.form_error = "Das öffentliche Paket wurde nicht erzeugt, weil es personenbezogene Daten enthielte. Die Liste nennt jede Fundstelle.".into();
            page.export_problems = problems;
            unprocessable(&page)
        }
        Err(e) => Err(bundle_error(e).into()),
    }
}

fn describe(p: &bundle::import::PlannedItem) -> String {
    format!("{} „{}“ ({})", p.item.kind.label(), p.item.title, p.item.id)
}

fn report(token: String, plan: &Plan) -> ReportView {
    let of = |pred: fn(&Action) -> bool| -> Vec<String> {
        plan.items
            .iter()
            .filter(|p| pred(&p.action))
            .map(describe)
            .collect()
    };
    ReportView {
        token,
        origin: plan.origin.clone(),
        created: of(|a| *a == Action::Create),
        unchanged: of(|a| *a == Action::Unchanged),
        kept: of(|a| *a == Action::KeepOwn),
        conflicts: plan
            .items
            .iter()
            .filter_map(|p| match &p.action {
                Action::Conflict(fields) => Some(ConflictRow {
                    key: p.item.key(),
                    what: describe(p),
                    fields: fields.join(", "),
                }),
                _ => None,
            })
            .collect(),
    }
}

fn refused_page(page: &mut NachnutzungPage, e: BundleError) -> Result<Response, PageError> {
    match e {
        BundleError::Refused(problems) => {
            page.form_error = "Das Paket wurde nicht übernommen. Nichts wurde gespeichert; die Liste nennt jedes Problem.".into();
            page.problems = problems;
        }
        BundleError::Content(problem) => {
            page.form_error = "Das Paket wurde nicht übernommen. Nichts wurde gespeichert.".into();
            page.problems = vec![problem];
        }
        e => return Err(bundle_error(e).into()),
    }
    unprocessable(page)
}

fn too_large(page: &mut NachnutzungPage) -> Result<Response, PageError> {
    page.form_error = format!(
        "Die Datei ist größer als {} MB und wurde nicht angenommen. Nichts wurde gespeichert. Größere Pakete übernimmt die Kommandozeile: „ki-reise import PAKET.zip“.",
        upload::MAX_UPLOAD_BYTES >> 20
    );
    let mut response = render(&*page)?;
    *response.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
    Ok(response)
}

/// Checks an uploaded bundle and shows what an import would do; nothing
/// is imported yet. The upload streams to the data folder and is read from
/// there, so neither is held in memory whole.
pub async fn import_check(
    State(state): State<AppState>,
    cu: CurrentUser,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let mut page = NachnutzungPage::new(&state, &cu).await;
    if upload::declared_too_large(&headers) {
        return too_large(&mut page);
    }
    let received = match upload::receive(&mut multipart, &state.config.data_dir).await {
        Ok(received) => received,
        Err(UploadError::Missing) => {
            page.form_error = "Bitte wählen Sie eine ZIP-Datei mit einem ki-reise-Paket.".into();
            return unprocessable(&page);
        }
        Err(UploadError::TooLarge) => return too_large(&mut page),
        Err(UploadError::Incomplete(e)) => {
            return Err(
                AppError::invalid("paket", format!("Der Upload ist unvollständig: {e}")).into(),
            )
        }
        Err(UploadError::Storage(e)) => return Err(AppError::Internal(e).into()),
    };
    match import::check(&state, &received).await {
        Ok(plan) => {
            page.report = Some(report(received.token, &plan));
            render(&page)
        }
        Err(e) => refused_page(&mut page, e),
    }
}

/// Applies the checked bundle with the conflicts the user chose to
/// overwrite, in one transaction, and removes the waiting file.
pub async fn import_apply(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let token = pairs
        .iter()
        .find(|(k, _)| k == "paket")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    let overwrite: BTreeSet<String> = pairs
        .iter()
        .filter(|(k, _)| k == "ueberschreiben")
        .map(|(_, v)| v.clone())
        .collect();
    let mut page = NachnutzungPage::new(&state, &cu).await;
    match import::apply(&state, &cu, token, &overwrite).await {
        Ok(plan) => {
            page.applied = format!("Übernommen aus {}: {}.", plan.origin, plan.summary());
            render(&page)
        }
        Err(ApplyRefusal::Gone) => {
            page.form_error = "Das geprüfte Paket liegt nicht mehr vor (schon übernommen oder verworfen). Bitte laden Sie es erneut hoch.".into();
            unprocessable(&page)
        }
        Err(ApplyRefusal::Bundle(e @ BundleError::Refused(_))) => refused_page(&mut page, e),
        Err(ApplyRefusal::Bundle(e)) => Err(bundle_error(e).into()),
    }
}
