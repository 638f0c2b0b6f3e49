//! Word splitting and normalisation shared by the scorers.

/// Lower-cased words: runs of letters and digits. Punctuation separates words
/// and is dropped, so "Bürgeramt," and "bürgeramt" count as the same word.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Lower-cases and folds the German special letters so that a fact written
/// "Strasse" is found in an answer that says "Straße".
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            'ß' => out.push_str("ss"),
            'ä' => out.push_str("ae"),
            'ö' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            c if c.is_alphanumeric() => out.push(c),
            _ => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
        }
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lower_cased_and_stripped_of_punctuation() {
        assert_eq!(
            words("Das Bürgeramt, bitte! 12 Uhr."),
            vec!["das", "bürgeramt", "bitte", "12", "uhr"]
        );
    }

    #[test]
    fn fold_maps_umlauts_and_sharp_s_and_collapses_punctuation() {
        assert_eq!(fold("Große  Straße, Nr. 5"), "grosse strasse nr 5");
        assert_eq!(fold("Öffnungszeiten: Mo–Fr"), "oeffnungszeiten mo fr");
    }
}
