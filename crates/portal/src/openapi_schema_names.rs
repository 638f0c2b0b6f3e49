//! utoipa keys the OpenAPI document's schemas by type name alone, so two
//! types of one name in different modules leave one schema describing both
//! (seen: the catalogue's and the transfer's `ConflictDto`; the response of
//! the catalogue sample then "lacked" a field of the transfer's). This test
//! reads the portal's sources and finds such pairs before a client does.

use std::collections::BTreeMap;
use std::path::Path;

fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push((
                path.display().to_string(),
                std::fs::read_to_string(&path).unwrap(),
            ));
        }
    }
}

/// The schema names a file's `ToSchema` types get: `#[schema(as = X)]`
/// where given, the type's own name otherwise.
fn schema_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut pending = false;
    let mut renamed: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if line.starts_with("#[derive(") && line.contains("ToSchema") {
            pending = true;
            renamed = None;
        } else if pending && line.starts_with("#[schema(as = ") {
            renamed = line
                .trim_start_matches("#[schema(as = ")
                .split([')', ','])
                .next()
                .map(|s| s.trim().to_owned());
        } else if pending && !line.starts_with("#[") && !line.starts_with("///") {
            let own = line
                .trim_start_matches("pub ")
                .trim_start_matches("struct ")
                .trim_start_matches("enum ")
                .split([' ', '<', '{', '('])
                .next()
                .unwrap_or_default()
                .to_owned();
            names.push(renamed.take().unwrap_or(own));
            pending = false;
        }
    }
    names
}

#[test]
fn no_two_api_types_share_a_schema_name() {
    let mut files = Vec::new();
    sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (path, text) in &files {
        for name in schema_names(text) {
            seen.entry(name).or_default().push(path.clone());
        }
    }
    assert!(seen.len() > 100, "{} schemas found", seen.len());
    let clashes: Vec<_> = seen.iter().filter(|(_, at)| at.len() > 1).collect();
    assert!(
        clashes.is_empty(),
        "give one of each pair #[schema(as = …)]: {clashes:?}"
    );
}

#[test]
fn a_renamed_type_counts_under_its_schema_name() {
    let text = "#[derive(Serialize, ToSchema)]\n#[schema(as = SpaceDocumentDto)]\npub struct DocumentDto {\n}\n#[derive(ToSchema)]\n/// x\npub enum Kind {\n";
    assert_eq!(schema_names(text), vec!["SpaceDocumentDto", "Kind"]);
}
