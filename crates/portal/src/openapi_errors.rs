//! The error answers every operation under `/api/v1` can give, written into
//! the OpenAPI document once instead of on each handler: the extractors and
//! the error layer (`api_errors`) answer them for every route alike, so a
//! handler's own `responses(...)` lists only what is particular to it.

use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::{Content, Ref, RefOr, Response, ResponseBuilder};

pub struct CommonErrors;

impl utoipa::Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let has_path_params = path.contains('{');
            for op in operations(item) {
                add_common(op, has_path_params);
            }
        }
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}

fn add_common(op: &mut Operation, has_path_params: bool) {
    // `security(())` on a handler: open to anyone with the link, so neither
    // 401 nor 403 can come from authentication.
    let public = op.security.as_ref().is_some_and(|s| {
        s.iter()
            .all(|r| serde_json::to_value(r).is_ok_and(|v| v == serde_json::json!({})))
    });
    let has_body = op.request_body.is_some();
    let mut common = vec![(
        "400",
        "Ungültiger Parameter in Adresse oder Abfrage, oder kein lesbares JSON",
    )];
    if !public {
        common.push((
            "401",
            "Nicht angemeldet: Sitzung oder API-Schlüssel fehlt oder ist ungültig",
        ));
        common.push((
            "403",
            "Keine Berechtigung für diese Aktion (Rolle, Funktion, CSRF-Token)",
        ));
    }
    // A body can name a stored thing as well as the path can.
    if has_path_params || has_body {
        common.push(("404", "Nicht gefunden"));
    }
    if has_body {
        common.push(("413", "Die Anfrage ist zu groß"));
        common.push((
            "415",
            "Der Inhalt muss JSON sein (Content-Type: application/json)",
        ));
        common.push(("422", "Ungültige Eingabe; „field“ nennt das Feld"));
    }
    for (status, description) in common {
        op.responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| RefOr::T(error_response(description)));
    }
}

fn error_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            Content::new(Some(RefOr::Ref(Ref::from_schema_name("ErrorBody")))),
        )
        .build()
}

#[cfg(test)]
mod tests {
    use utoipa::OpenApi;

    #[test]
    fn every_operation_documents_the_common_errors_and_public_ones_no_auth_errors() {
        let doc = serde_json::to_value(crate::api::ApiDoc::openapi()).unwrap();
        let paths = doc["paths"].as_object().unwrap();
        let mut checked = 0;
        for (path, item) in paths {
            for (method, op) in item.as_object().unwrap() {
                let responses = op["responses"].as_object().unwrap();
                assert!(responses.contains_key("400"), "{method} {path}");
                let public = path.starts_with("/api/v1/participation/")
                    || path == "/api/v1/qualification/credentials/verify";
                assert_eq!(responses.contains_key("401"), !public, "{method} {path}");
                if path.contains('{') || op.get("requestBody").is_some() {
                    assert!(responses.contains_key("404"), "{method} {path}");
                }
                if op.get("requestBody").is_some() {
                    assert!(responses.contains_key("422"), "{method} {path}");
                }
                checked += 1;
            }
        }
        assert!(checked > 80, "{checked} operations");
    }
}
