//! Answers that only give back what they were given: the instruction, or
//! the input (the letter to route, the document to summarise, the context
//! to answer from). Such an answer can look readable and can contain every
//! required fact, so every scorer gives it 0 before measuring anything.

use std::collections::HashSet;

use super::text::words;

/// Share of the answer's word trigrams that an instruction may contribute
/// before the answer counts as its echo. Real answers share a phrase or
/// two with the instruction, not half of their text.
const MAX_INSTRUCTION_SHARE: f64 = 0.5;

/// Share of the input's word trigrams that may reappear in the answer: a
/// summary or a rewrite keeps phrases, a copy keeps nearly all of them.
const MAX_INPUT_COVERAGE: f64 = 0.8;

/// Word trigrams; texts of one or two words count as one "gram".
fn grams(text: &str) -> Vec<String> {
    let w = words(text);
    if w.len() < 3 {
        return if w.is_empty() {
            vec![]
        } else {
            vec![w.join(" ")]
        };
    }
    w.windows(3).map(|g| g.join(" ")).collect()
}

/// Share of `part`'s trigrams found in `whole`.
fn share_in(part: &[String], whole: &[String]) -> f64 {
    if part.is_empty() {
        return 0.0;
    }
    let set: HashSet<&String> = whole.iter().collect();
    part.iter().filter(|g| set.contains(g)).count() as f64 / part.len() as f64
}

/// Whether `answer` repeats the `instruction` (most of the answer is taken
/// from it) or the `input` (most of the input reappears in the answer).
/// Phrases of `expected` (the reference answer) are not counted against
/// the instruction: an instruction may prescribe a wording, such as the
/// sentence with which to decline.
pub fn is_echo(answer: &str, instruction: &str, input: &str, expected: &str) -> bool {
    let a = grams(answer);
    if a.is_empty() {
        return false;
    }
    let allowed: HashSet<String> = grams(expected).into_iter().collect();
    let told: Vec<String> = grams(instruction)
        .into_iter()
        .filter(|g| !allowed.contains(g))
        .collect();
    share_in(&a, &told) >= MAX_INSTRUCTION_SHARE
        || share_in(&grams(input), &a) >= MAX_INPUT_COVERAGE
}

#[cfg(test)]
mod tests {
    use super::*;

    const INSTRUCTION: &str = "Schreibe den Absatz aus einem Bescheid in einfacher Sprache um. \
                               Nutze kurze Sätze und bekannte Wörter.";
    const INPUT: &str = "Gegen diesen Bescheid kann innerhalb eines Monats nach Bekanntgabe \
                         Widerspruch erhoben werden.";

    #[test]
    fn the_instruction_or_the_input_given_back_is_an_echo() {
        assert!(is_echo(INSTRUCTION, INSTRUCTION, INPUT, ""));
        assert!(is_echo(
            "Schreibe den Absatz aus einem Bescheid in einfacher Sprache um.",
            INSTRUCTION,
            INPUT,
            ""
        ));
        assert!(is_echo(INPUT, INSTRUCTION, INPUT, ""));
        assert!(is_echo(
            &format!("Hier der Text: {INPUT}"),
            INSTRUCTION,
            INPUT,
            ""
        ));
    }

    #[test]
    fn a_wording_the_instruction_prescribes_is_no_echo() {
        let told = "Steht die Antwort nicht in den Unterlagen, schreibe: Das geht aus den \
                    Unterlagen nicht hervor.";
        let refusal = "Das geht aus den Unterlagen nicht hervor.";
        assert!(is_echo(refusal, told, INPUT, ""));
        assert!(!is_echo(refusal, told, INPUT, refusal));
        assert!(is_echo(told, told, INPUT, refusal));
    }

    #[test]
    fn a_real_rewrite_or_a_one_word_answer_is_not() {
        assert!(!is_echo(
            "Sie sind nicht einverstanden? Dann können Sie einen Monat lang Widerspruch einlegen.",
            INSTRUCTION,
            INPUT,
            ""
        ));
        assert!(!is_echo(
            "Bürgeramt",
            "Fachbereiche: Bürgeramt; Bauamt",
            INPUT,
            ""
        ));
        assert!(!is_echo("", INSTRUCTION, INPUT, ""));
    }
}
