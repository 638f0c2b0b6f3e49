//! Where each journey module lives: [`module_href`] gives a role the page
//! that carries out a step, and `/module/{slug}` sends there, or, where the
//! role may not do that step, says who does it and what it holds.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use journey::access::{Permission, Role};
use journey::plan::Module;

use crate::auth::CurrentUser;
use crate::error::{AppError, PageError};
use crate::view::render;
use crate::view::Layout;
use crate::AppState;

/// The page that carries out a step of `module` for `role`, or the
/// module's own page (`/module/{slug}`) when the role may not do it there.
pub fn module_href(module: Module, role: Role) -> String {
    let (href, needs) = real_page(module);
    match needs {
        Some(permission) if !role.can(permission) => format!("/module/{}", module.slug()),
        _ => href.to_string(),
    }
}

/// Every module's page, and the permission it needs beyond seeing the
/// journey (`None`: everyone who sees the journey may open it).
fn real_page(module: Module) -> (&'static str, Option<Permission>) {
    match module {
        Module::Profile => ("/profil", None),
        Module::Survey => ("/umfrage", None),
        Module::Learning => ("/qualifizierung", Some(Permission::ViewQualification)),
        Module::Documents => ("/dokumente", Some(Permission::ViewDocuments)),
        Module::Usecases => ("/anwendungsfaelle", Some(Permission::ViewUseCases)),
        Module::Users => ("/benutzer", Some(Permission::ManageUsers)),
        // Models are chosen, and private-cloud backends entered, in the
        // gateway's settings.
        Module::Models => ("/assistent/einstellungen", Some(Permission::ManageGateway)),
        Module::Assistant => ("/assistent", Some(Permission::UseAssistant)),
        Module::Bench => ("/vergleichstest", Some(Permission::RunBenchmarks)),
        Module::Transfer => ("/nachnutzung", Some(Permission::ViewAuditLog)),
    }
}

/// Who carries out a module's steps and what the module holds, for those
/// who may not open its page.
fn describe(module: Module) -> (&'static str, &'static str) {
    match module {
        Module::Users => (
            "Benutzerkonten verwaltet die Administration.",
            "Konten anlegen, per Link einladen, aus CSV importieren, deaktivieren und Passwörter zurücksetzen. Wenden Sie sich an die Administration Ihrer Kommune.",
        ),
        Module::Models => (
            "Lokale KI-Modelle richtet die Administration ein.",
            "Sprachmodelle im GGUF-Format laufen direkt in ki-reise auf einem Arbeitsplatzrechner ohne Grafikkarte; die Administration wählt sie in den Einstellungen des KI-Gateways und trägt dort auch Backends einer privaten Cloud ein.",
        ),
        Module::Assistant => (
            "Den KI-Assistenten nutzen Beschäftigte, das Projektteam und die Administration.",
            "Ein Chat für Beschäftigte und eine Schnittstelle unter /v1, die die Datenklassen der KI-Richtlinie beachtet, mit Kontingenten und Nutzungsstatistik.",
        ),
        Module::Bench => (
            "Den Vergleichstest führt das Projektteam durch.",
            "Arbeitsplatz und Private Cloud unter gleicher Last messen: Geschwindigkeit, Antwortqualität bei Verwaltungsaufgaben, Kosten und Zahl der bedienbaren Nutzerinnen und Nutzer, als Bericht für einen Beschluss.",
        ),
        Module::Transfer => (
            "Die Ergebnisse zur Nachnutzung exportiert die Administration.",
            "Alle Ergebnisse als offenes, dokumentiertes Paket (JSON mit Schemas, CSV, Markdown, ODT), das eine andere Kommune importieren kann.",
        ),
        Module::Profile
        | Module::Survey
        | Module::Learning
        | Module::Documents
        | Module::Usecases => (
            "Diesen Schritt bearbeitet das Projektteam.",
            "Wenden Sie sich an das Projektteam KI-Reise Ihrer Kommune.",
        ),
    }
}

#[derive(Template)]
#[template(path = "overview/module.html")]
struct ModulePage {
    layout: Layout,
    title: &'static str,
    who: &'static str,
    description: &'static str,
    steps: Vec<String>,
}

pub async fn show(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let module = Module::from_slug(&slug).ok_or(AppError::NotFound)?;
    let href = module_href(module, cu.user.role);
    if !href.starts_with("/module/") {
        return Ok(Redirect::to(&href).into_response());
    }
    let steps = state
        .plan
        .steps()
        .filter(|s| s.module == module)
        .map(|s| s.title.clone())
        .collect();
    let (who, description) = describe(module);
    let layout = Layout::for_user(&state, &cu, module.title(), "").await;
    render(&ModulePage {
        layout,
        title: module.title(),
        who,
        description,
        steps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_module_leads_the_administration_to_its_real_page() {
        for module in Module::ALL {
            let href = module_href(module, Role::Admin);
            assert!(!href.starts_with("/module/"), "{module:?} → {href}");
        }
    }

    #[test]
    fn models_and_transfer_lead_to_gateway_settings_and_export() {
        assert_eq!(
            module_href(Module::Models, Role::Admin),
            "/assistent/einstellungen"
        );
        assert_eq!(module_href(Module::Transfer, Role::Admin), "/nachnutzung");
        assert_eq!(module_href(Module::Models, Role::Staff), "/module/modelle");
    }
}
