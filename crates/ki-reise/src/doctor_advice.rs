//! The part of `ki-reise doctor` that recommends models from the catalogue
//! (`content/de/models.yaml`) for the memory and bandwidth it measured.

use journey::models::recommend::{self, Machine, Verdict};
use journey::models::Catalogue;

/// How many suitable files the advice names.
const SHOWN: usize = 5;

/// The recommendation as German text, one line per file.
pub fn advice(catalogue: &Catalogue, machine: Machine) -> String {
    let ranked = recommend::recommend(catalogue, machine);
    let mut text = format!(
        "\nEmpfehlung aus dem Modellkatalog ({:.1} GiB frei, {:.1} GB/s gemessen):\n",
        machine.available_bytes as f64 / f64::from(1u32 << 30),
        machine.bandwidth / 1e9
    )
    .replace('.', ",");
    let suitable: Vec<_> = ranked
        .iter()
        .filter(|r| r.verdict == Verdict::Suitable)
        .take(SHOWN)
        .collect();
    if suitable.is_empty() {
        text.push_str("  Kein Modell des Katalogs läuft hier mit Lesegeschwindigkeit; ");
        match ranked.iter().find(|r| r.verdict == Verdict::Slow) {
            Some(r) => text.push_str(&format!("am ehesten {}.\n", r.summary())),
            None => text.push_str("für lokale Modelle fehlt Speicher.\n"),
        }
    }
    for r in &suitable {
        let f16 = recommend::kv_bytes_per_user(r.model.shape, r.model.context_length);
        text.push_str(&format!(
            "  {}; je Nutzer {} KV-Cache, mit kv_cache = \"q8_0\" {} (Datei {}, herunterladen mit: ki-reise model add {}{})\n",
            r.summary(),
            mib(f16),
            mib(q8_0_share(f16)),
            r.file.file,
            r.file.url,
            r.file
                .sha256
                .as_ref()
                .map(|s| format!(" --sha256 {s}"))
                .unwrap_or_default()
        ));
    }
    text.push_str(&format!(
        "Schätzung: Beim Antworten liest die Engine für jedes Token alle Gewichte einmal, also etwa {:.0} % der gemessenen Speicherbandbreite geteilt durch die Dateigröße; gleichzeitige Nutzer sind so viele, wie gebündelt (etwa {:.0}-facher Durchsatz) je {:.0} Tokens/s bekommen und deren Gespräche ({} Tokens KV-Cache) in den freien Speicher passen.\n",
        recommend::EFFICIENCY * 100.0,
        recommend::BATCH_GAIN,
        recommend::READING_SPEED,
        recommend::CONTEXT_PER_USER
    ));
    text
}

/// The Q8_0 KV cache's size for an f16 one of `bytes`: per 32 values one
/// f16 scale and 32 bytes (34) instead of 64.
fn q8_0_share(bytes: u64) -> u64 {
    let row = 2 * 32;
    bytes / row * engine::KvType::Q8_0.row_bytes(32) as u64
}

fn mib(bytes: u64) -> String {
    format!("{} MiB", bytes.div_ceil(1 << 20))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogue_architecture_is_one_the_engine_loads() {
        let loads: Vec<&str> = engine::model::ARCHITECTURES
            .iter()
            .map(|a| a.name())
            .collect();
        for m in Catalogue::shipped().unwrap().models {
            assert!(loads.contains(&m.architecture.as_str()), "{}", m.id);
        }
    }

    #[test]
    fn advice_names_the_seven_b_model_on_a_workstation_and_explains_the_estimate() {
        let c = Catalogue::shipped().unwrap();
        let text = advice(
            &c,
            Machine {
                available_bytes: 16 << 30,
                bandwidth: 47e9,
            },
        );
        assert!(
            text.contains("Qwen2.5-7B-Instruct Q4_K_M: etwa 6 Tokens/s, 2 gleichzeitige Nutzer"),
            "{text}"
        );
        // 28 layers × K and V × 4 heads × 128 × 2 bytes × 4,096 tokens.
        assert!(
            text.contains("je Nutzer 224 MiB KV-Cache, mit kv_cache = \"q8_0\" 119 MiB"),
            "{text}"
        );
        assert!(text.contains("Schätzung:"), "{text}");
        let tiny = advice(
            &c,
            Machine {
                available_bytes: 1 << 30,
                bandwidth: 47e9,
            },
        );
        assert!(tiny.contains("für lokale Modelle fehlt Speicher"), "{tiny}");
    }
}
