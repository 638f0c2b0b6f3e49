//! Renders a shipped template with its defaults and prints the Markdown,
//! e.g. `cargo run -p documents --example render_builtin -- ki-richtlinie`.

fn main() {
    let id = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "ki-richtlinie".into());
    let templates = documents::builtin_templates();
    let Some(template) = templates.iter().find(|t| t.id == id) else {
        eprintln!("Unbekannte Vorlage „{id}“");
        std::process::exit(2);
    };
    let prefill =
        serde_json::json!({"profile": {"name": "Musterstadt", "ai_officer": "Frau Beispiel"}});
    match template.render(&serde_json::Map::new(), &prefill) {
        Ok(markdown) => print!("{markdown}"),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
