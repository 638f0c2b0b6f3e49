//! Every answer under `/api/v1` that is an error has the documented shape
//! `{"error": {"code", "message", "field"}}` with a German message, also
//! where axum itself refuses (a path parameter or query that does not
//! parse, a body too large, sent with a length or in chunks).

mod common;

use common::{day_one, ApiClient, Backend};
use portal::access::ROUTES;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn admin(server: &common::TestServer) -> ApiClient {
    let ada = server
        .store
        .user_by_email("ada@musterstadt.de")
        .await
        .unwrap()
        .unwrap();
    ApiClient::for_user(server, &ada).await
}

/// Status and body of a response, asserting the error shape.
async fn error_of(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let kind = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let text = response.text().await.unwrap();
    assert!(
        kind.starts_with("application/json"),
        "{status}: not JSON ({kind}): {text}"
    );
    let body: Value = serde_json::from_str(&text).unwrap();
    let error = &body["error"];
    assert!(error["code"].is_string(), "{status}: no code: {body}");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(!message.is_empty(), "{status}: no message: {body}");
    for english in ["Invalid URL", "Cannot parse", "Failed to", "invalid digit"] {
        assert!(!message.contains(english), "{status}: English: {message}");
    }
    assert!(
        error.get("field").is_some(),
        "{status}: no field key: {body}"
    );
    (status, body)
}

#[tokio::test]
async fn path_and_query_that_do_not_parse_are_json_errors_naming_the_field() {
    let server = day_one(Backend::Sqlite).await;
    let api = admin(&server).await;
    for (path, field) in [
        ("/api/v1/documents/abc", "id"),
        ("/api/v1/surveys/abc", "id"),
        ("/api/v1/surveys/1.5/results", "id"),
        ("/api/v1/surveys/x/answers", "id"),
        ("/api/v1/audit?offset=x", "offset"),
        ("/api/v1/audit?limit=viele", "limit"),
    ] {
        let response = api.request(Method::GET, path).send().await.unwrap();
        let (status, body) = error_of(response).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(body["error"]["field"], field, "{path}: {body}");
    }
    // A two-parameter route names the one that failed.
    let (status, body) = error_of(
        api.request(
            Method::PUT,
            "/api/v1/qualification/sessions/t-1/enrolments/niemand",
        )
        .json(&json!({"status": "attended"}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["field"], "user_id", "{body}");
}

#[tokio::test]
async fn oversized_bodies_are_413_json_with_a_length_or_in_chunks() {
    let server = day_one(Backend::Sqlite).await;
    let api = admin(&server).await;
    let big = format!(
        "{{\"title\": \"{}\", \"kind\": \"strategie\"}}",
        "x".repeat(10 << 20)
    );
    let (status, body) = error_of(
        api.request(Method::POST, "/api/v1/documents")
            .header("content-type", "application/json")
            .body(big.clone())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"]["code"], "too_large");

    // The same body in chunks, without Content-Length.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = big
        .into_bytes()
        .chunks(64 * 1024)
        .map(|c| Ok(c.to_vec()))
        .collect();
    let (status, body) = error_of(
        api.request(Method::POST, "/api/v1/documents")
            .header("content-type", "application/json")
            .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
                chunks,
            )))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"]["code"], "too_large");

    // 3 MB is within the documented 4 MB: refused for its content, not its size.
    let within = json!({"title": "x".repeat(3 << 20), "kind": 5});
    let (status, body) = api.send(Method::POST, "/api/v1/documents", within).await;
    assert_ne!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
}

#[tokio::test]
async fn bodies_that_are_not_json_are_json_errors() {
    let server = day_one(Backend::Sqlite).await;
    let api = admin(&server).await;
    for (content_type, body) in [
        ("application/json", "{nicht json"),
        ("text/plain", "{}"),
        ("application/json", "[1, 2]"),
    ] {
        let (status, body) = error_of(
            api.request(Method::POST, "/api/v1/documents")
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert!(status.is_client_error(), "{status}: {body}");
    }
}

/// serde reads a struct from an array by position, so `[null, null]` once
/// set a survey's answering period (found by schemathesis): every body of
/// this API is an object, and anything else is refused before it is read.
#[tokio::test]
async fn a_list_where_an_object_belongs_is_refused() {
    let server = day_one(Backend::Sqlite).await;
    let api = admin(&server).await;
    let (status, survey) = api.send(Method::POST, "/api/v1/surveys", json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{survey}");
    let period = format!("/api/v1/surveys/{}/period", survey["survey"]["id"]);
    for body in [
        json!([null, null]),
        json!(["2026-01-01", "2026-02-01"]),
        json!(7),
    ] {
        let (status, answer) = api.send(Method::PUT, &period, body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert_eq!(answer["error"]["field"], "(Wurzel)", "{answer}");
    }
    let (status, answer) = api
        .send(
            Method::PUT,
            &period,
            json!({"answer_from": "2026-01-01", "answer_until": "2026-02-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["answer_from"], "2026-01-01", "{answer}");
}

/// Walks every `/api/v1` route with parameters that do not fit and a body
/// that is not JSON: whatever the answer, an error is in the documented shape.
#[tokio::test]
async fn every_api_route_answers_errors_in_the_documented_shape() {
    let server = day_one(Backend::Sqlite).await;
    let api = admin(&server).await;
    let mut walked = 0;
    for route in ROUTES.iter().filter(|r| r.path.starts_with("/api/v1/")) {
        let path = route
            .path
            .split('/')
            .map(|s| if s.starts_with('{') { "a%20b" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        let method = Method::from_bytes(route.method.as_bytes()).unwrap();
        let mut request = api.request(method.clone(), &format!("{path}?offset=x&limit=y"));
        if method != Method::GET {
            request = request
                .header("content-type", "application/json")
                .body("{kaputt");
        }
        let response = request.send().await.unwrap();
        if !response.status().is_success() {
            error_of(response).await;
        }
        walked += 1;
    }
    assert!(walked > 50, "only {walked} API routes");
}

/// A NUL character is refused in every stored text: by the API with 422
/// naming the field, by a page form in German, and nothing is stored.
#[tokio::test]
async fn nul_characters_are_refused_in_api_and_page_forms() {
    let server = day_one(Backend::Sqlite).await;
    let api = admin(&server).await;
    let (status, body) = api
        .send(
            Method::POST,
            "/api/v1/documents",
            json!({"template_id": "ki-richtlinie", "title": "Plan\u{0}B"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "title", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Steuerzeichen"),
        "{body}"
    );

    let mut pia = common::login(&server.base, "pia@musterstadt.de").await;
    let page = pia
        .post(
            "/dokumente/neu/ki-richtlinie",
            &[
                ("title", "Richtlinie\u{0}"),
                ("organisation", "Musterstadt"),
            ],
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(page.body.contains("Steuerzeichen"), "{}", page.body);
    assert!(page.body.contains("„title“"), "{}", page.body);

    let (status, list) = api.get("/api/v1/documents").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().map(Vec::len), Some(0), "{list}");
}
