//! `GET /readyz`: whether this instance should get traffic. `/healthz`
//! says the process lives; this says it can serve: the database answers,
//! its schema has every migration this build needs, and a configured local
//! model is loaded. A load balancer or Kubernetes takes an instance out of
//! rotation on 503 without restarting it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::AppState;

pub async fn ready(State(state): State<AppState>) -> Response {
    let database = match state.store.ping().await {
        Ok(()) => json!({"ok": true, "backend": state.store.backend_name()}),
        Err(e) => json!({"ok": false, "error": e.to_string()}),
    };
    let migrations = match state.store.migration_status().await {
        Ok(s) => json!({
            "ok": s.is_current(),
            "pending": s.pending.iter().map(|m| m.version).collect::<Vec<_>>(),
            "newer": s.newer,
        }),
        Err(e) => json!({"ok": false, "error": e.to_string()}),
    };
    let model = model_check(&state);
    let ready = [&database, &migrations, &model]
        .iter()
        .all(|c| c["ok"] == Value::Bool(true));
    let body = json!({
        "status": if ready { "ready" } else { "not_ready" },
        "version": crate::view::VERSION,
        "checks": {"database": database, "migrations": migrations, "model": model},
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

/// Without a configured local model there is nothing to wait for.
fn model_check(state: &AppState) -> Value {
    let Some(gateway) = state.gateway() else {
        return json!({"ok": true, "configured": false});
    };
    let local = &gateway.config().local;
    // The portal may have switched the model since the start, or removed it.
    let id = match (gateway.local_model_id(), &local.model) {
        (Some(id), _) => id,
        (None, Some(path)) if !local.chosen_in_portal => local.model_id_for(path),
        _ => return json!({"ok": true, "configured": false}),
    };
    let loaded = gateway.models().iter().any(|m| m.id == id && m.healthy);
    json!({"ok": loaded, "configured": true, "id": id})
}
