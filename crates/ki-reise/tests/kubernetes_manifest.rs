//! The Kubernetes manifests in `docs/kubernetes/` fit the image that
//! `scripts/container-image.py` builds and the routes the portal serves:
//! the same port, user and data folder, liveness on `/healthz` and
//! readiness on `/readyz` (both public), and the database address only in
//! the Secret. A manifest that drifts from the image fails here, not in a
//! municipality's cluster.

use std::path::Path;

use serde::Deserialize;
use serde_yaml::Value;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .parent()
        .unwrap()
}

/// `NAME = value` from the image builder, so the two cannot disagree.
fn image_constant(name: &str) -> String {
    let script = std::fs::read_to_string(repo().join("scripts/container-image.py")).unwrap();
    script
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name} = ")))
        .unwrap_or_else(|| panic!("{name} not in scripts/container-image.py"))
        .trim_matches('"')
        .to_owned()
}

fn documents() -> Vec<Value> {
    let text = std::fs::read_to_string(repo().join("docs/kubernetes/ki-reise.yaml")).unwrap();
    serde_yaml::Deserializer::from_str(&text)
        .map(|d| Value::deserialize(d).expect("each document parses"))
        .collect()
}

fn of_kind<'a>(docs: &'a [Value], kind: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in the manifests"))
}

#[test]
fn the_deployment_runs_the_image_as_built_with_probes_on_the_portal_routes() {
    let docs = documents();
    let port: u64 = image_constant("PORT").parse().unwrap();
    let uid: u64 = image_constant("UID").parse().unwrap();
    let data = image_constant("DATA");

    let pod = &of_kind(&docs, "Deployment")["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsUser"].as_u64(), Some(uid));
    assert_eq!(pod["securityContext"]["runAsNonRoot"].as_bool(), Some(true));
    let container = &pod["containers"][0];
    assert_eq!(container["ports"][0]["containerPort"].as_u64(), Some(port));
    assert_eq!(container["ports"][0]["name"], "http");
    let env = container["env"].as_sequence().unwrap();
    let bind = env.iter().find(|e| e["name"] == "KI_REISE_BIND").unwrap();
    assert_eq!(
        bind["value"].as_str(),
        Some(format!("0.0.0.0:{port}").as_str())
    );
    assert!(
        !env.iter().any(|e| e["name"] == "KI_REISE_DATABASE_URL"),
        "the database address belongs in the Secret"
    );
    assert_eq!(container["envFrom"][0]["secretRef"]["name"], "ki-reise");
    let mounts = container["volumeMounts"].as_sequence().unwrap();
    assert!(mounts
        .iter()
        .any(|m| m["mountPath"].as_str() == Some(&data)));
    assert_eq!(
        container["securityContext"]["readOnlyRootFilesystem"].as_bool(),
        Some(true)
    );

    for (probe, path) in [
        ("livenessProbe", "/healthz"),
        ("readinessProbe", "/readyz"),
        ("startupProbe", "/healthz"),
    ] {
        let get = &container[probe]["httpGet"];
        assert_eq!(get["path"].as_str(), Some(path), "{probe}");
        assert_eq!(get["port"], "http", "{probe}");
        assert_eq!(
            portal::access::lookup("GET", path),
            Some(portal::access::Access::Public),
            "{probe}: {path} must answer without sign-in"
        );
    }

    let secret = of_kind(&docs, "Secret");
    assert!(secret["stringData"]["KI_REISE_DATABASE_URL"]
        .as_str()
        .unwrap()
        .starts_with("postgres://"));
    let service = of_kind(&docs, "Service");
    assert_eq!(service["spec"]["ports"][0]["targetPort"], "http");
    let claim = of_kind(&docs, "PersistentVolumeClaim");
    assert_eq!(
        pod["volumes"][0]["persistentVolumeClaim"]["claimName"],
        claim["metadata"]["name"]
    );
}
