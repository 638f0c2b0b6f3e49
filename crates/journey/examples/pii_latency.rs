//! Added latency of the personal-data check: `journey::pii::scan` over a
//! 2,000-character administrative message, one thread. Prints p50, p99 and
//! the maximum in microseconds. Run through `scripts/bench-pii.sh`, which
//! pins it to one core and records the load average.
//!
//! ```text
//! cargo run --release -p journey --example pii_latency -- [ITERATIONS]
//! ```

use std::time::Instant;

/// A letter with the usual mix: addresses, a name, an IBAN, a phone
/// number, a case number, a health term, and plenty of plain text.
const LETTER: &str = "Stadt Musterstadt · Amt für Soziales · Holstenstraße 12 · 24103 Kiel\n\
Frau\nWiebke Brodersen\nKnooper Weg 88\n24116 Kiel\n\n\
Ihr Zeichen: 50.2-4711/25 · Telefon 0431 901-2345 · E-Mail wiebke.brodersen@web.de\n\n\
Sehr geehrte Frau Brodersen,\n\
wir haben Ihren Antrag auf Wohngeld vom 3. März erhalten und geprüft. Für die abschließende \
Bearbeitung fehlen uns noch einige Unterlagen. Bitte reichen Sie den aktuellen Mietvertrag, \
die Nebenkostenabrechnung des Vorjahres sowie die Einkommensnachweise der letzten drei Monate \
ein. Die Erstattung überweisen wir nach Abschluss der Prüfung auf das von Ihnen angegebene \
Konto DE89 3704 0044 0532 0130 00. Sollten Sie aus gesundheitlichen Gründen die Frist nicht \
einhalten können, teilen Sie uns dies bitte formlos mit; ein ärztliches Attest ist dafür nicht \
erforderlich. Die Bearbeitungszeit beträgt derzeit etwa vier Wochen. Wir bitten um Verständnis, \
dass wir wegen der hohen Zahl an Anträgen keine Zwischenstände telefonisch mitteilen können. \
Der Bescheid ergeht schriftlich. Gegen den Bescheid können Sie innerhalb eines Monats nach \
Bekanntgabe Widerspruch einlegen. Der Widerspruch ist schriftlich oder zur Niederschrift bei \
der Stadt Musterstadt einzulegen. Weitere Informationen zum Wohngeld finden Sie im \
Serviceportal der Stadt. Bitte beachten Sie auch die geänderten Öffnungszeiten des \
Bürgerbüros: montags bis freitags von 8 bis 12 Uhr, donnerstags zusätzlich von 14 bis 18 Uhr. \
Termine vereinbaren Sie bitte online. Die Sprechstunde des Sozialamts entfällt am Brückentag. \
Für Rückfragen stehen wir Ihnen gern zur Verfügung.\n\n\
Mit freundlichen Grüßen\ni. A. Hauke Petersen\nSachbearbeitung Wohngeld\n";

fn main() {
    let iterations: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5_000);
    // Exactly 2,000 characters: the letter, padded with its own plain text.
    let mut message = String::from(LETTER);
    let filler = " Die Verwaltung prüft jeden Antrag sorgfältig und zügig.";
    while message.chars().count() < 2_000 {
        message.push_str(filler);
    }
    let message: String = message.chars().take(2_000).collect();
    // The first scan compiles the patterns; that happens once per process.
    let started = Instant::now();
    let findings = journey::pii::scan(&message);
    let first = started.elapsed();
    for _ in 0..200 {
        std::hint::black_box(journey::pii::scan(std::hint::black_box(&message)));
    }
    let mut micros: Vec<f64> = (0..iterations)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(journey::pii::scan(std::hint::black_box(&message)));
            t.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    micros.sort_by(f64::total_cmp);
    let at = |q: f64| micros[((micros.len() - 1) as f64 * q).round() as usize];
    println!(
        "pii scan, {} chars, {} findings ({}), {iterations} runs: p50 {:.0} µs, p99 {:.0} µs, max {:.0} µs; first scan incl. compiling the patterns {:.1} ms",
        message.chars().count(),
        findings.len(),
        journey::pii::describe(&journey::pii::categories(&findings)),
        at(0.5),
        at(0.99),
        micros[micros.len() - 1],
        first.as_secs_f64() * 1e3
    );
    println!("{}", slowest_test_set_piece());
}

/// One letter does not show what other texts cost: the test set's texts,
/// joined and cut into 2,000-character pieces, each scanned 20 times, and
/// the slowest piece's mean. A piece with a dozen health terms once took
/// 5 ms a scan where the others took 50 µs (a pattern's DFA could not be
/// built).
fn slowest_test_set_piece() -> String {
    let texts: Vec<String> = include_str!("../tests/data/pii/testset.jsonl")
        .lines()
        .map(|line| {
            let row: serde_json::Value = serde_json::from_str(line).expect("test set row");
            row["text"].as_str().expect("text").to_owned()
        })
        .collect();
    let chars: Vec<char> = texts.join(" ").chars().collect();
    let mut slowest = (0.0, 0);
    for (i, piece) in chars.chunks(2_000).enumerate() {
        let piece: String = piece.iter().collect();
        journey::pii::scan(&piece);
        let t = Instant::now();
        for _ in 0..20 {
            std::hint::black_box(journey::pii::scan(std::hint::black_box(&piece)));
        }
        let micros = t.elapsed().as_secs_f64() * 1e6 / 20.0;
        if micros > slowest.0 {
            slowest = (micros, i);
        }
    }
    format!(
        "test set in {} pieces of 2,000 chars: slowest piece (no. {}) {:.0} µs a scan",
        chars.len().div_ceil(2_000),
        slowest.1,
        slowest.0
    )
}
