//! Byte tests that tell whether a text can hold what a finder's pattern
//! needs, so that the pattern, a pass of a lazy DFA over the whole text,
//! is not run where it cannot match. Each gate is a necessary condition
//! of its pattern, never a heuristic: a skipped finder would have found
//! nothing (`tests/pii_spans.rs` compares every span with the ungated
//! detector's).

/// A Sozialversicherungsnummer has its eight-digit block of area and
/// date at most split after two digits, so six digits follow each other.
pub(super) fn may_hold_sv_nummer(text: &str) -> bool {
    has_run(text.as_bytes(), 6, |b| b.is_ascii_digit())
}

/// A document serial is nine capitals and digits in a row.
pub(super) fn may_hold_document_serial(text: &str) -> bool {
    has_run(text.as_bytes(), 9, |b| {
        b.is_ascii_uppercase() || b.is_ascii_digit()
    })
}

/// Every form of a date of birth the detector knows has "*", "geboren",
/// or at a word's start "geb.", "geboren" or "geburt…" in any case. The
/// ASCII case-insensitive test equals the pattern's Unicode `(?i)`
/// because no other character folds to these letters.
pub(super) fn may_hold_birth_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.contains(&b'*')
        || text.contains("geboren")
        || (0..bytes.len()).any(|i| {
            bytes[i] | 0x20 == b'g'
                && [&b"geb."[..], b"geboren", b"geburt"]
                    .iter()
                    .any(|word| starts_with_ignore_case(&bytes[i..], word))
                && super::bounds::boundary(text, i)
        })
}

/// A name before a date of birth is followed by "geb.", "geboren" or "*".
pub(super) fn may_name_before_birth(text: &str) -> bool {
    text.as_bytes().contains(&b'*') || text.contains("geb.") || text.contains("geboren")
}

/// A plate's code, separator, letters and first digit,
/// `[A-ZÄÖÜ][- ][A-Z]{1,2}[- ]?[1-9]`, found from the digit backwards:
/// digits are the rarest of these in prose.
pub(super) fn may_hold_plate(text: &str) -> bool {
    let bytes = text.as_bytes();
    let separator = |at: usize| matches!(bytes[at], b'-' | b' ');
    let code_ends_at = |end: usize| {
        bytes[..end].last().is_some_and(u8::is_ascii_uppercase)
            || matches!(bytes[..end], [.., 0xC3, 0x84 | 0x96 | 0x9C])
    };
    (1..bytes.len()).any(|digit| {
        if !matches!(bytes[digit], b'1'..=b'9') {
            return false;
        }
        // The optional separator: a letter cannot stand for it.
        let letters_end = if separator(digit - 1) {
            digit - 1
        } else {
            digit
        };
        (1..=2).any(|letters| {
            letters_end > letters
                && bytes[letters_end - letters..letters_end]
                    .iter()
                    .all(u8::is_ascii_uppercase)
                && separator(letters_end - letters - 1)
                && code_ends_at(letters_end - letters - 1)
        })
    })
}

/// Whether `bytes` has `n` bytes of `class` in a row. Only every `n`th
/// byte is looked at until one is in the class: a run of `n` covers one
/// of them.
fn has_run(bytes: &[u8], n: usize, class: impl Fn(u8) -> bool) -> bool {
    let mut at = n - 1;
    while at < bytes.len() {
        if !class(bytes[at]) {
            at += n;
            continue;
        }
        let before = bytes[..at].iter().rev().take_while(|b| class(**b)).count();
        let after = bytes[at..].iter().take_while(|b| class(**b)).count();
        if before + after >= n {
            return true;
        }
        // The next run starts after this one's end, the byte at
        // `at + after`, which is not in the class.
        at += after + n;
    }
    false
}

fn starts_with_ignore_case(bytes: &[u8], prefix: &[u8]) -> bool {
    bytes
        .get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    use regex_syntax::hir::{Class, HirKind};

    #[test]
    fn gates_open_on_the_shapes_their_patterns_need() {
        let closed = "Der Rat tagt am 12.03.2024 in Saal 1, Az. 50-123; angegeben \
            ist die Gebühr, Konto DE89 3704, E-Mail, A 1, AB-XYZ 1.";
        assert!(!may_hold_sv_nummer(closed));
        assert!(!may_hold_document_serial(closed));
        assert!(!may_hold_birth_date(closed));
        assert!(!may_name_before_birth(closed));
        assert!(!may_hold_plate(closed));
        assert!(may_hold_sv_nummer("12 345678 A 123"));
        assert!(may_hold_sv_nummer("x123456"));
        assert!(!may_hold_sv_nummer("12345 67890"));
        assert!(may_hold_document_serial("L01X00T47"));
        assert!(!may_hold_document_serial("L01X00T4 7"));
        for birth in [
            "GEBOREN",
            "Geb. 1.2.1990",
            "(Geburtsdatum",
            "* 1.2.1990",
            "ist geboren",
        ] {
            assert!(may_hold_birth_date(birth), "{birth}");
        }
        assert!(!may_hold_birth_date("abgeb. am"));
        assert!(may_name_before_birth("Anna Meyer, geb. Schulz"));
        assert!(!may_name_before_birth("Anna Meyer, Geb. Schulz"));
        for plate in ["KI-AB 123", "S-X1", "S-XY-9", "S XY 9", "FÜ-A 1", "KÖ-A1"] {
            assert!(may_hold_plate(plate), "{plate}");
        }
        for other in ["S-XY-0", "S-XYZ1", "s-XY 9", "S--X1", "-X1", "X1"] {
            assert!(!may_hold_plate(other), "{other}");
        }
    }

    /// The birth-word gate tests ASCII case only; `(?i)` would also match
    /// any character that folds to the letters of "geboren" or "geburt".
    #[test]
    fn no_other_character_folds_to_the_letters_of_geb() {
        for letter in ['g', 'e', 'b', 'o', 'r', 'u', 't'] {
            let hir = regex_syntax::parse(&format!("(?i){letter}")).expect("pattern");
            let HirKind::Class(Class::Unicode(class)) = hir.kind() else {
                panic!("{letter}: not a class: {hir:?}");
            };
            let chars: Vec<char> = class.iter().flat_map(|r| r.start()..=r.end()).collect();
            assert_eq!(chars, vec![letter.to_ascii_uppercase(), letter]);
        }
    }
}
