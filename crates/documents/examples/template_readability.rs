//! Prints the readability of each shipped template rendered with its
//! defaults: `cargo run -p documents --example template_readability`.

use journey::readability::readability;

fn main() {
    let prefill = serde_json::json!({"profile": {"name": "Musterstadt"}});
    println!("Vorlage                 Wörter  Sätze  Wörter/Satz  Flesch-Amstad  WSTF1  Sätze > 25 Wörter");
    for template in documents::builtin_templates() {
        let markdown = match template.render(&serde_json::Map::new(), &prefill) {
            Ok(markdown) => markdown,
            Err(e) => {
                eprintln!("{}: {e}", template.id);
                continue;
            }
        };
        let Some(r) = readability(&documents::markdown::plain_text(&markdown)) else {
            continue;
        };
        println!(
            "{:<22} {:>7} {:>6} {:>12.1} {:>14.1} {:>6.1} {:>18}",
            template.id,
            r.words,
            r.sentences,
            r.words as f64 / r.sentences as f64,
            r.flesch_amstad,
            r.wstf[0],
            r.long_sentences.len()
        );
    }
}
