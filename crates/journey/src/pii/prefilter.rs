//! What one pass over the bytes tells about a text, so that a finder
//! whose pattern needs something the text lacks is not run at all. Each
//! gate is a necessary condition of its pattern, never a heuristic: a
//! skipped finder would have found nothing (`tests/pii_spans.rs` compares
//! every span with the ungated detector's).

/// The features of a text the gates ask about.
pub(super) struct Shape {
    /// Longest run of ASCII digits.
    digit_run: usize,
    /// Longest run of ASCII capitals and digits.
    upper_digit_run: usize,
    /// "geb" in any case, or a '*'.
    birth_word: bool,
    /// A separator, one or two capitals and a digit, as in "KI-AB 123".
    plate_tail: bool,
}

impl Shape {
    pub(super) fn of(text: &str) -> Shape {
        let bytes = text.as_bytes();
        let mut shape = Shape {
            digit_run: 0,
            upper_digit_run: 0,
            birth_word: false,
            plate_tail: false,
        };
        let (mut digits, mut upper_digits) = (0, 0);
        for (i, &b) in bytes.iter().enumerate() {
            digits = if b.is_ascii_digit() { digits + 1 } else { 0 };
            upper_digits = if b.is_ascii_digit() || b.is_ascii_uppercase() {
                upper_digits + 1
            } else {
                0
            };
            shape.digit_run = shape.digit_run.max(digits);
            shape.upper_digit_run = shape.upper_digit_run.max(upper_digits);
            match b {
                b'*' => shape.birth_word = true,
                b'g' | b'G' if starts_with_ignore_case(&bytes[i..], b"geb") => {
                    shape.birth_word = true;
                }
                b'-' | b' ' if !shape.plate_tail => shape.plate_tail = plate_tail(&bytes[i + 1..]),
                _ => {}
            }
        }
        shape
    }

    /// A Sozialversicherungsnummer has its eight-digit block of area and
    /// date at most split after two digits, so six digits follow each
    /// other.
    pub(super) fn may_hold_sv_nummer(&self) -> bool {
        self.digit_run >= 6
    }

    /// A document serial is nine capitals and digits in a row.
    pub(super) fn may_hold_document_serial(&self) -> bool {
        self.upper_digit_run >= 9
    }

    /// Every form of a date of birth the detector knows says "geb…"
    /// ("geb.", "geboren", "Geburtsdatum") or "*"; so does a name before
    /// one. The ASCII case-insensitive test equals the patterns' Unicode
    /// `(?i)` because no other character folds to g, e or b.
    pub(super) fn may_hold_birth_date(&self) -> bool {
        self.birth_word
    }

    /// The part of a plate after the district code,
    /// `[- ][A-Z]{1,2}[- ]?[1-9]`.
    pub(super) fn may_hold_plate(&self) -> bool {
        self.plate_tail
    }
}

fn starts_with_ignore_case(bytes: &[u8], prefix: &[u8]) -> bool {
    bytes
        .get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// Whether `[A-Z]{1,2}[- ]?[1-9]` matches at the start of `bytes`. The
/// greedy choice is the only one that can match: a second capital or a
/// separator is never the digit the shorter choice would need.
fn plate_tail(bytes: &[u8]) -> bool {
    let mut i = 0;
    if !bytes.first().is_some_and(u8::is_ascii_uppercase) {
        return false;
    }
    i += 1;
    if bytes.get(i).is_some_and(u8::is_ascii_uppercase) {
        i += 1;
    }
    if matches!(bytes.get(i), Some(b'-' | b' ')) {
        i += 1;
    }
    matches!(bytes.get(i), Some(b'1'..=b'9'))
}

#[cfg(test)]
mod tests {
    use super::*;

    use regex_syntax::hir::{Class, HirKind};

    #[test]
    fn gates_open_on_the_shapes_their_patterns_need() {
        let closed = Shape::of("Der Rat tagt am 12.03.2024 in Saal 1, Az. 50-123.");
        assert!(!closed.may_hold_sv_nummer());
        assert!(!closed.may_hold_document_serial());
        assert!(!closed.may_hold_birth_date());
        assert!(!closed.may_hold_plate());
        let open = Shape::of("12 345678 A 123, L01X00T47, GEBOREN, KI-AB 123");
        assert!(open.may_hold_sv_nummer());
        assert!(open.may_hold_document_serial());
        assert!(open.may_hold_birth_date());
        assert!(open.may_hold_plate());
        assert!(Shape::of("* 1.2.1990").may_hold_birth_date());
        assert!(Shape::of("S-X1").may_hold_plate());
        assert!(Shape::of("S-XY-9").may_hold_plate());
        assert!(!Shape::of("S-XY-0").may_hold_plate());
        assert!(!Shape::of("S-XYZ1").may_hold_plate());
    }

    /// The birth-word gate tests ASCII case only; `(?i)` would also match
    /// any character that folds to g, e or b.
    #[test]
    fn no_other_character_folds_to_the_letters_of_geb() {
        for letter in ['g', 'e', 'b'] {
            let hir = regex_syntax::parse(&format!("(?i){letter}")).expect("pattern");
            let HirKind::Class(Class::Unicode(class)) = hir.kind() else {
                panic!("{letter}: not a class: {hir:?}");
            };
            let chars: Vec<char> = class.iter().flat_map(|r| r.start()..=r.end()).collect();
            assert_eq!(chars, vec![letter.to_ascii_uppercase(), letter]);
        }
    }
}
