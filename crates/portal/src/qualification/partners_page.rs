//! Education partners (Bildungskooperationen) kept up to date in the
//! browser: who they are, the state of the cooperation and whom to contact.
//! A partner is created or, under the same id, replaced.

use crate::text_input::Form;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use journey::qualification::offer::{CooperationStatus, EducationPartner, PartnerKind};

use crate::auth::CurrentUser;
use crate::error::{AppError, PageError};
use crate::form::{from_key, key, Fields};
use crate::qualification::page::{flashed, render_form, NAV};
use crate::view::Layout;
use crate::AppState;

#[derive(Template)]
#[template(path = "qualification/partners.html")]
struct PartnersPage {
    layout: Layout,
    /// Id, name, kind, status, contact.
    partners: Vec<(String, String, &'static str, &'static str, String)>,
    kinds: Vec<(String, &'static str)>,
    statuses: Vec<(String, &'static str)>,
    form: Fields,
    form_error: String,
}

async fn page(
    state: &AppState,
    cu: &CurrentUser,
    flash: Option<(&'static str, String)>,
    form: Fields,
    form_error: String,
) -> Result<Response, PageError> {
    let failed = !form_error.is_empty();
    render_form(
        &PartnersPage {
            layout: flashed(
                Layout::for_user(state, cu, "Bildungspartner", NAV).await,
                flash,
            ),
            partners: state
                .store
                .partners()
                .await?
                .into_iter()
                .map(|p| (p.id, p.name, p.kind.label(), p.status.label(), p.contact))
                .collect(),
            kinds: PartnerKind::ALL
                .iter()
                .map(|k| (key(k), k.label()))
                .collect(),
            statuses: CooperationStatus::ALL
                .iter()
                .map(|s| (key(s), s.label()))
                .collect(),
            form,
            form_error,
        },
        failed,
    )
}

/// A stored partner as the form writes it.
fn partner_form(p: &EducationPartner) -> Fields {
    Fields::new(vec![
        ("id".into(), p.id.clone()),
        ("name".into(), p.name.clone()),
        ("kind".into(), key(p.kind)),
        ("status".into(), key(p.status)),
        ("contact".into(), p.contact.clone()),
        ("url".into(), p.url.clone().unwrap_or_default()),
        ("note".into(), p.note.clone()),
    ])
}

#[derive(serde::Deserialize)]
pub struct PartnerQuery {
    #[serde(default)]
    bearbeiten: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    cu: CurrentUser,
    Query(q): Query<PartnerQuery>,
) -> Result<Response, PageError> {
    let form = match q.bearbeiten {
        Some(id) => match state.store.partners().await?.iter().find(|p| p.id == id) {
            Some(p) => partner_form(p),
            None => return Err(AppError::NotFound.into()),
        },
        None => Fields::default(),
    };
    page(&state, &cu, None, form, String::new()).await
}

pub async fn save(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = Fields::new(pairs);
    let text = |n: &str| form.get(n).trim().to_string();
    let (Some(kind), Some(status)) = (
        from_key::<PartnerKind>(form.get("kind")),
        from_key::<CooperationStatus>(form.get("status")),
    ) else {
        let message = "Bitte Art und Stand der Kooperation aus der Liste wählen.".to_string();
        return page(&state, &cu, None, form, message).await;
    };
    let url = text("url");
    let partner = EducationPartner {
        id: text("id"),
        name: text("name"),
        kind,
        status,
        contact: text("contact"),
        url: (!url.is_empty()).then_some(url),
        note: text("note"),
    };
    match save_partner(&state, &cu, &partner).await {
        Ok(()) => {}
        Err(AppError::Invalid { .. }) => {
            let message = format!("{} Nichts wurde gespeichert.", partner.problems().join(" "));
            return page(&state, &cu, None, form, message).await;
        }
        Err(e) => return Err(e.into()),
    }
    let flash = (
        "ok",
        format!(
            "Bildungspartner „{}“ gespeichert (Stand: {}).",
            partner.name,
            partner.status.label()
        ),
    );
    page(&state, &cu, Some(flash), Fields::default(), String::new()).await
}

/// Creates a partner or replaces the one with the same id; the first
/// problem names its field.
pub async fn save_partner(
    state: &AppState,
    cu: &CurrentUser,
    partner: &EducationPartner,
) -> Result<(), AppError> {
    if let Some((field, message)) = partner.issues().into_iter().next() {
        return Err(AppError::invalid(field, message));
    }
    state.store.save_partner(&cu.actor(), partner).await?;
    Ok(())
}
