//! Properties over arbitrary input: parsers of outside data never panic, the
//! SSE parser does not care where the network splits the bytes, and every
//! score stays in its range.

use bench::score::{chrf, facts_coverage, readability, rouge_l};
use bench::sse::SseParser;
use proptest::prelude::*;

fn events_of(chunks: &[&[u8]]) -> Result<Vec<String>, bench::sse::SseError> {
    let mut p = SseParser::new();
    let mut out = Vec::new();
    for c in chunks {
        out.extend(p.push(c)?);
    }
    out.extend(p.finish()?);
    Ok(out)
}

proptest! {
    #[test]
    fn sse_events_do_not_depend_on_chunk_boundaries(
        payloads in prop::collection::vec("[^\r\n]{0,40}", 0..8),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
        crlf in any::<bool>(),
    ) {
        let nl = if crlf { "\r\n" } else { "\n" };
        let stream: String = payloads.iter().map(|p| format!("data: {p}{nl}{nl}")).collect();
        let bytes = stream.as_bytes();
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
        points.sort_unstable();
        let mut chunks = Vec::new();
        let mut last = 0;
        for p in points {
            chunks.push(&bytes[last..p]);
            last = p;
        }
        chunks.push(&bytes[last..]);
        let whole = events_of(&[bytes]).unwrap();
        prop_assert_eq!(&whole, &payloads);
        prop_assert_eq!(events_of(&chunks).unwrap(), whole);
    }

    #[test]
    fn the_sse_parser_never_panics_on_arbitrary_bytes(
        chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..8)
    ) {
        let refs: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
        let _ = events_of(&refs);
    }

    #[test]
    fn scores_stay_in_range(a in "\\PC{0,80}", b in "\\PC{0,80}") {
        let r = rouge_l(&a, &b);
        prop_assert!((0.0..=1.0).contains(&r));
        let c = chrf(&a, &b);
        prop_assert!((0.0..=100.0 + 1e-9).contains(&c));
        let f = facts_coverage(&a, std::slice::from_ref(&b));
        prop_assert!((0.0..=1.0).contains(&f));
        if let Some(x) = readability(&a) {
            prop_assert!(x.flesch_amstad.is_finite() && x.wstf.iter().all(|w| w.is_finite()));
        }
    }

    #[test]
    fn a_text_scores_full_marks_against_itself(a in "[a-zA-ZäöüÄÖÜß ]{1,60}") {
        prop_assume!(a.chars().any(char::is_alphabetic));
        prop_assert!((rouge_l(&a, &a) - 1.0).abs() < 1e-12);
        prop_assert!((chrf(&a, &a) - 100.0).abs() < 1e-9);
    }

    #[test]
    fn the_spec_parser_never_panics(text in "\\PC{0,200}") {
        let _ = bench::parse_spec(&text);
    }
}
