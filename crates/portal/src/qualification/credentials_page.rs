//! Credentials (certificates, Open Badges, their verification) and the
//! Art. 4 evidence report.

use crate::auth::{ensure_session, CurrentUser, Identity};
use crate::download::download;
use crate::error::{AppError, PageError};
use crate::form::{FieldErrors, Fields};
use crate::qualification::catalogue::{invalid, model};
use crate::qualification::evidence::build_report;
use crate::qualification::page::{flashed, render_form, NAV};
use crate::qualification::training_page::can_manage;
use crate::view::render;
use crate::view::Layout;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::Response;
use axum::Form;
use journey::qualification::badge::{self, BadgeContent};
use journey::qualification::evidence::Art4Report;
use journey::qualification::ical;

pub struct CredentialRow {
    pub id: String,
    pub title: String,
    pub person: String,
    pub issued: String,
}

#[derive(Template)]
#[template(path = "qualification/credentials.html")]
pub(super) struct CredentialsPage {
    pub(super) layout: Layout,
    pub(super) credentials: Vec<CredentialRow>,
    pub(super) people: Vec<(i64, String)>,
    pub(super) paths: Vec<(String, String)>,
    pub(super) can_manage: bool,
    /// The issue form as sent, and the messages beside its fields.
    pub(super) input: IssueInput,
}

/// What the form "Nachweis ausstellen" sent.
#[derive(Default)]
pub(super) struct IssueInput {
    pub(super) user_id: String,
    pub(super) path: String,
    pub(super) errors: FieldErrors,
}

pub(super) async fn credentials_page(
    state: &AppState,
    cu: &CurrentUser,
    flash: Option<(&'static str, String)>,
    input: IssueInput,
) -> Result<Response, PageError> {
    let manage = can_manage(cu);
    let users = state.store.users().await?;
    let name = |id: i64| {
        users
            .iter()
            .find(|u| u.id == id)
            .map_or(String::new(), |u| u.name.clone())
    };
    let credentials = state
        .store
        .credentials(if manage { None } else { Some(cu.user.id) })
        .await?
        .into_iter()
        .map(|c| CredentialRow {
            person: name(c.user_id),
            issued: crate::view::format_time(c.issued_at),
            id: c.id,
            title: c.title,
        })
        .collect();
    let failed = matches!(flash, Some(("error", _))) || !input.errors.is_empty();
    let layout = flashed(Layout::for_user(state, cu, "Nachweise", NAV).await, flash);
    render_form(
        &CredentialsPage {
            layout,
            credentials,
            people: if manage {
                users
                    .iter()
                    .filter(|u| u.active)
                    .map(|u| (u.id, u.name.clone()))
                    .collect()
            } else {
                Vec::new()
            },
            paths: state
                .store
                .paths()
                .await?
                .into_iter()
                .map(|p| (p.id, p.title))
                .collect(),
            can_manage: manage,
            input,
        },
        failed,
    )
}

pub async fn credentials(
    State(state): State<AppState>,
    cu: CurrentUser,
) -> Result<Response, PageError> {
    credentials_page(&state, &cu, None, IssueInput::default()).await
}

/// Issues an Open Badge for a completed learning path, signed with the
/// instance key. Refused, naming the open steps, while the path is not done.
pub async fn issue(
    state: &AppState,
    cu: &CurrentUser,
    user_id: i64,
    path_id: &str,
) -> Result<store::qualification::CredentialRecord, AppError> {
    let person = match state.store.user(user_id).await {
        Ok(u) if u.active => u,
        Ok(_) | Err(store::StoreError::NotFound) => {
            return Err(AppError::invalid(
                "user_id",
                "Bitte eine aktive Person wählen.",
            ))
        }
        Err(e) => return Err(e.into()),
    };
    let model = model(state).await?;
    let path = state
        .store
        .paths()
        .await?
        .into_iter()
        .find(|p| p.id == path_id)
        .ok_or_else(|| {
            AppError::invalid(
                "path",
                "Diesen Lernpfad gibt es nicht (mehr). Bitte einen Lernpfad aus der Liste wählen.",
            )
        })?;
    let completions = state.store.completions(user_id).await?;
    // A completion dated after today (recorded before the rule that
    // completion waits for the training's end) does not earn a badge.
    let today = journey::date::today();
    let done: Vec<&str> = completions
        .iter()
        .filter(|c| c.completed_on.as_str() <= today.as_str())
        .map(|c| c.offer.as_str())
        .collect();
    let missing = path.missing_steps(&done);
    if !missing.is_empty() {
        return Err(AppError::invalid(
            "path",
            format!(
                "{} hat den Lernpfad „{}“ noch nicht abgeschlossen; offen: {}.",
                person.name,
                path.title,
                missing
                    .iter()
                    .map(|s| format!("„{}“", s.title))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let base = state.config.public_url.trim_end_matches('/').to_string();
    let id = format!("nw-{}", store::random_token(8));
    let issuer_name = state
        .store
        .profile()
        .await?
        .map_or_else(|| "ki-reise".to_string(), |(p, _)| p.name);
    let now = store::now();
    let content = BadgeContent {
        credential_id: format!("{base}/qualifizierung/nachweise/{id}"),
        issuer_url: format!("{base}/"),
        issuer_name,
        achievement_id: format!("{base}/qualifizierung/lernpfade#{}", path.id),
        achievement_name: path.title.clone(),
        achievement_description: if path.description.is_empty() {
            path.title.clone()
        } else {
            path.description.clone()
        },
        criteria: format!(
            "Alle Schritte des Lernpfads abgeschlossen: {}.",
            path.steps
                .iter()
                .map(|s| s.title.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        alignments: path
            .targets
            .iter()
            .map(|(area, level)| {
                let name = model.area(area).map_or(area.clone(), |a| a.name.clone());
                let level_name = model
                    .levels
                    .iter()
                    .find(|l| l.level == *level)
                    .map_or(format!("Stufe {level}"), |l| {
                        format!("Stufe {level} ({})", l.name)
                    });
                (
                    name,
                    level_name,
                    format!(
                        "{}#{area}-{level}",
                        crate::qualification::page::framework_url(state)
                    ),
                )
            })
            .collect(),
        framework: model.title.clone(),
        recipient_name: person.name.clone(),
        valid_from: ical::rfc3339(now),
    };
    let seed = state.store.signing_key_seed().await?;
    let signed = badge::sign(
        &badge::credential(&content),
        &badge::signing_key(&seed),
        &ical::rfc3339(now),
    )
    .map_err(invalid)?;
    let record = store::qualification::CredentialRecord {
        id,
        user_id,
        path_id: path.id.clone(),
        title: path.title.clone(),
        document: serde_json::to_string_pretty(&signed)
            .map_err(|e| AppError::internal("serialise a signed credential", e))?,
        issued_at: now,
    };
    state.store.save_credential(&cu.actor(), &record).await?;
    Ok(record)
}

pub async fn issue_form(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    let mut input = IssueInput {
        user_id: fields.get("user_id").trim().to_owned(),
        path: fields.get("path").trim().to_owned(),
        errors: FieldErrors::new(),
    };
    let Ok(user) = input.user_id.parse::<i64>() else {
        input
            .errors
            .insert("user_id", "Bitte eine aktive Person wählen.");
        return credentials_page(&state, &cu, None, input).await;
    };
    match issue(&state, &cu, user, &input.path).await {
        Ok(c) => {
            let flash = (
                "ok",
                format!("Nachweis „{}“ ausgestellt ({}).", c.title, c.id),
            );
            credentials_page(&state, &cu, Some(flash), IssueInput::default()).await
        }
        // Beside the field to blame, with the choices kept.
        Err(AppError::Invalid {
            field: Some(field),
            message,
        }) => {
            input.errors.insert(field, message);
            credentials_page(&state, &cu, None, input).await
        }
        Err(e @ AppError::Internal(_)) => Err(e.into()),
        Err(e) => credentials_page(&state, &cu, Some(("error", e.to_string())), input).await,
    }
}

pub(super) async fn own_credential(
    state: &AppState,
    cu: &CurrentUser,
    id: &str,
) -> Result<store::qualification::CredentialRecord, AppError> {
    let record = state.store.credential(id).await?;
    if record.user_id != cu.user.id && !can_manage(cu) {
        return Err(AppError::NotFound);
    }
    Ok(record)
}

pub async fn badge_json(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let record = own_credential(&state, &cu, &id).await?;
    Ok(download(
        "application/json",
        format!("{id}.json"),
        record.document,
    ))
}

#[derive(Template)]
#[template(path = "qualification/certificate.html")]
pub(super) struct CertificatePage {
    pub(super) layout: Layout,
    pub(super) id: String,
    pub(super) title: String,
    pub(super) person: String,
    pub(super) issuer: String,
    pub(super) issued: String,
    pub(super) criteria: String,
}

pub async fn certificate(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let record = own_credential(&state, &cu, &id).await?;
    let doc: serde_json::Value = serde_json::from_str(&record.document)
        .map_err(|e| AppError::internal("read a stored credential", e))?;
    let text = |p: &str| {
        doc.pointer(p)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    render(&CertificatePage {
        layout: Layout::for_user(&state, &cu, "Teilnahmezertifikat", NAV).await,
        title: record.title,
        person: text("/credentialSubject/identifier/0/identityHash"),
        issuer: text("/issuer/name"),
        issued: crate::view::format_time(record.issued_at),
        criteria: text("/credentialSubject/achievement/criteria/narrative"),
        id: record.id,
    })
}

#[derive(Template)]
#[template(path = "qualification/verify.html")]
pub(super) struct VerifyPage {
    pub(super) layout: Layout,
    pub(super) did: String,
    pub(super) result: Option<(bool, String)>,
}

pub(super) async fn verify_page(
    state: &AppState,
    identity: &Identity,
    result: Option<(bool, String)>,
) -> Result<Response, PageError> {
    let (csrf, cookie) = ensure_session(state, identity).await?;
    let seed = state.store.signing_key_seed().await?;
    let mut response = render(&VerifyPage {
        layout: Layout::anonymous("Nachweis prüfen", csrf),
        did: badge::public_did(&seed),
        result,
    })?;
    if let Some(cookie) = cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

pub async fn verify_form(
    State(state): State<AppState>,
    identity: Identity,
) -> Result<Response, PageError> {
    verify_page(&state, &identity, None).await
}

/// Checks an Open Badge against this instance's key: whether it is valid,
/// and what was found or why not. Anyone may ask, signed in or not.
pub async fn check_badge(
    state: &AppState,
    doc: &serde_json::Value,
) -> Result<(bool, String), AppError> {
    let seed = state.store.signing_key_seed().await?;
    Ok(match badge::verify_with_seed(doc, &seed) {
        Ok(v) => (
            true,
            format!(
                "Gültig: „{}“, ausgestellt von {} am {}.",
                v.name,
                v.issuer,
                journey::german::date(&v.valid_from)
            ),
        ),
        Err(e) => (false, e.to_string()),
    })
}

pub async fn verify(
    State(state): State<AppState>,
    identity: Identity,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    let result = match serde_json::from_str::<serde_json::Value>(fields.get("badge")) {
        Err(e) => (false, format!("Das ist kein JSON-Dokument: {e}")),
        Ok(doc) => check_badge(&state, &doc).await?,
    };
    verify_page(&state, &identity, Some(result)).await
}

// ---------------------------------------------------------------------------
// Art. 4 evidence.

pub struct GroupRow {
    pub department: String,
    pub role: String,
    pub persons: usize,
    pub fully: usize,
    pub coverage: String,
    pub open: String,
}

pub struct PersonRow {
    pub department: String,
    pub role: String,
    pub name: String,
    pub completed: String,
    pub credentials: String,
    pub targets: String,
    pub open: String,
}

#[derive(Template)]
#[template(path = "qualification/report.html")]
pub(super) struct ReportPage {
    pub(super) layout: Layout,
    pub(super) title: String,
    pub(super) generated_on: String,
    pub(super) groups: Vec<GroupRow>,
    pub(super) persons: Vec<PersonRow>,
    /// Who holds the KI-Pass, when the policy asks for one.
    pub(super) ki_pass: Option<super::ki_pass_page::PassOverview>,
}

pub async fn report(State(state): State<AppState>, cu: CurrentUser) -> Result<Response, PageError> {
    let model = model(&state).await?;
    let report = build_report(&state, &cu).await?;
    let (department, only) = super::evidence::report_scope(&cu);
    let ki_pass = super::ki_pass_page::overview(&state, department.as_deref(), only).await?;
    let role = |id: &str| {
        model
            .role_profile(id)
            .map_or(id.to_string(), |r| r.name.clone())
    };
    let area = |id: &str| {
        model
            .area(id)
            .map_or(id.to_string(), |a| a.short_name.clone())
    };
    render(&ReportPage {
        layout: Layout::for_user(&state, &cu, "Nachweis Art. 4", NAV).await,
        groups: report
            .groups
            .iter()
            .map(|g| GroupRow {
                department: g.department.clone(),
                role: role(&g.role),
                persons: g.persons,
                fully: g.fully_covered,
                coverage: journey::qualification::rubric::format_number(g.coverage_percent),
                open: g
                    .open_by_area
                    .iter()
                    .map(|(a, n)| format!("{} ({n})", area(a)))
                    .collect::<Vec<_>>()
                    .join(", "),
            })
            .collect(),
        persons: report
            .persons
            .iter()
            .map(|p| PersonRow {
                department: p.department.clone(),
                role: role(&p.role),
                name: p.name.clone(),
                completed: p.completed.join("; "),
                credentials: p.credentials.join("; "),
                targets: format!("{} von {}", p.targets_met, p.targets),
                open: p
                    .open
                    .iter()
                    .map(|g| format!("{} {}→{}", area(&g.area), g.level, g.target))
                    .collect::<Vec<_>>()
                    .join(", "),
            })
            .collect(),
        title: report.title,
        generated_on: journey::german::date(&report.generated_on),
        ki_pass,
    })
}

/// Title, municipality and date of the report for its HTML and ODT files.
pub(super) async fn report_meta(
    state: &AppState,
    report: &Art4Report,
) -> Result<documents::DocMeta, AppError> {
    let mut meta = documents::DocMeta::new(report.title.clone());
    meta.subtitle =
        Some("Nachweis der Maßnahmen zur KI-Kompetenz nach Art. 4 KI-Verordnung".into());
    meta.author = state.store.profile().await?.map(|(p, _)| p.name);
    meta.date = Some(report.generated_on.clone());
    Ok(meta)
}

pub async fn report_export(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(format): Path<String>,
) -> Result<Response, PageError> {
    let model = model(&state).await?;
    let report = build_report(&state, &cu).await?;
    let (department, only) = super::evidence::report_scope(&cu);
    let pass = super::ki_pass_page::overview(&state, department.as_deref(), only).await?;
    let markdown = report.to_markdown(&model) + &super::ki_pass_page::markdown(pass.as_ref());
    let (content_type, name, body) = match format.as_str() {
        "csv" => (
            "text/csv; charset=utf-8",
            "nachweis-art4.csv",
            report.to_csv(&model).into_bytes(),
        ),
        "md" => (
            "text/markdown; charset=utf-8",
            "nachweis-art4.md",
            markdown.into_bytes(),
        ),
        "html" => (
            "text/html; charset=utf-8",
            "nachweis-art4.html",
            documents::html::document(&markdown, &report_meta(&state, &report).await?).into_bytes(),
        ),
        "odt" => (
            documents::odt::MIME_TYPE,
            "nachweis-art4.odt",
            documents::odt::to_odt(&markdown, &report_meta(&state, &report).await?),
        ),
        _ => return Err(AppError::NotFound.into()),
    };
    Ok(crate::documents::export_page::download(
        body,
        content_type,
        name,
    ))
}
