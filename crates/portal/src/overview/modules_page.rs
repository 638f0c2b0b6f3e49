//! Information pages for modules that later issues build ("folgt"): they say
//! what will be here and which journey steps belong to it.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use journey::plan::Module;

use crate::auth::CurrentUser;
use crate::error::{AppError, PageError};
use crate::view::render;
use crate::view::Layout;
use crate::AppState;

#[derive(Template)]
#[template(path = "overview/module.html")]
struct ModulePage {
    layout: Layout,
    title: &'static str,
    pending: &'static str,
    description: &'static str,
    steps: Vec<String>,
}

fn describe(module: Module) -> Option<(&'static str, &'static str)> {
    let text = match module {
        Module::Survey => (
            "Die anonyme Bestandsaufnahme wird gerade gebaut.",
            "Fragebogen aus der Mustervorlage oder eigenen Fragen, Import aus LimeSurvey, anonyme Teilnahme mit Einladungscodes, Ergebnisse je Fachbereich mit Schutz kleiner Gruppen (unter fünf Antworten wird nichts angezeigt) und Export als JSON und CSV.",
        ),
        Module::Models => (
            "Die eingebaute Inferenz für lokale Modelle folgt.",
            "Sprachmodelle im GGUF-Format laufen direkt in ki-reise auf einem Arbeitsplatzrechner ohne Grafikkarte; Modelle hinzufügen, testen und ihre Geschwindigkeit messen.",
        ),
        Module::Assistant => (
            "Der KI-Assistent und die OpenAI-kompatible Schnittstelle folgen.",
            "Ein Chat für Beschäftigte und eine Schnittstelle unter /v1, die die Datenklassen der KI-Richtlinie beachtet, mit Kontingenten und Nutzungsstatistik.",
        ),
        Module::Bench => (
            "Den Vergleichstest führt das Projektteam durch.",
            "Arbeitsplatz und Private Cloud unter gleicher Last messen: Geschwindigkeit, Antwortqualität bei Verwaltungsaufgaben, Kosten und Zahl der bedienbaren Nutzerinnen und Nutzer, als Bericht für einen Beschluss.",
        ),
        Module::Transfer => (
            "Export und Import der ganzen KI-Reise folgen.",
            "Alle Ergebnisse als offenes, dokumentiertes Paket (JSON mit Schemas, CSV, Markdown, ODT), das eine andere Kommune importieren kann.",
        ),
        Module::Profile
        | Module::Users
        | Module::Usecases
        | Module::Documents
        | Module::Learning => return None,
    };
    Some(text)
}

pub async fn show(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let module = Module::from_slug(&slug).ok_or(AppError::NotFound)?;
    if module == Module::Survey {
        return Ok(axum::response::IntoResponse::into_response(
            axum::response::Redirect::to("/umfrage"),
        ));
    }
    // Modules that are built have their own pages.
    if module == Module::Usecases {
        return Ok(Redirect::to("/anwendungsfaelle").into_response());
    }
    if module == Module::Documents {
        return Ok(Redirect::to("/dokumente").into_response());
    }
    if module == Module::Assistant && cu.user.role.can(journey::access::Permission::UseAssistant) {
        return Ok(Redirect::to("/assistent").into_response());
    }
    // Staff may not start comparison tests; they get the description.
    if module == Module::Bench && cu.user.role.can(journey::access::Permission::RunBenchmarks) {
        return Ok(Redirect::to("/vergleichstest").into_response());
    }
    if module == Module::Learning {
        return Ok(Redirect::to("/qualifizierung").into_response());
    }
    let steps = state
        .plan
        .steps()
        .filter(|s| s.module == module)
        .map(|s| s.title.clone())
        .collect();
    let (pending, description) = match describe(module) {
        Some(text) => text,
        None if module == Module::Users => (
            "Benutzerkonten verwaltet die Administration.",
            "Konten anlegen, per Link einladen, aus CSV importieren, deaktivieren und Passwörter zurücksetzen. Wenden Sie sich an die Administration Ihrer Kommune.",
        ),
        None => return Err(AppError::NotFound.into()),
    };
    let layout = Layout::for_user(&state, &cu, module.title(), "").await;
    render(&ModulePage {
        layout,
        title: module.title(),
        pending,
        description,
        steps,
    })
}
