//! German terms for lexical search: words in lower case, umlauts folded,
//! common function words left out, and each word stemmed with CISTEM
//! (Weißweiler & Fraser 2017), a stemmer made for German that is a page of
//! rules and does as well as Snowball's on German retrieval tests. Query
//! and passages go through the same function, so folding and stemming need
//! only be consistent, not linguistically perfect.

/// Words so frequent in German administrative text that they say nothing
/// about a passage (folded, before stemming).
const STOPWORDS: &[&str] = &[
    "der", "die", "das", "den", "dem", "des", "ein", "eine", "einer", "eines", "einem", "einen",
    "und", "oder", "aber", "als", "am", "an", "auf", "aus", "bei", "bis", "durch", "fur", "im",
    "in", "ist", "sind", "war", "wird", "werden", "wurde", "mit", "nach", "nicht", "noch", "nur",
    "ob", "so", "sich", "sie", "er", "es", "wir", "ich", "ihr", "um", "uber", "unter", "von",
    "vor", "wie", "zu", "zum", "zur", "dass", "daß", "auch", "kann", "konnen", "muss", "soll",
    "was", "wer", "wann", "wo", "welche", "welcher", "welches", "hat", "haben", "habe",
];

/// Lower case with ä, ö, ü folded to a, o, u and ß to ss.
pub fn fold(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars().flat_map(char::to_lowercase) {
        match c {
            'ä' => out.push('a'),
            'ö' => out.push('o'),
            'ü' => out.push('u'),
            'ß' => out.push_str("ss"),
            _ => out.push(c),
        }
    }
    out
}

/// The search terms of a text, in order, repeated as often as they occur.
pub fn terms(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        // A word longer than this is no word (a hash, a run of letters).
        .filter(|w| w.chars().count() <= 40)
        .map(fold)
        .filter(|w| !STOPWORDS.contains(&w.as_str()))
        .map(|w| stem(&w))
        .collect()
}

/// CISTEM on a folded word (case-insensitive variant).
pub fn stem(folded: &str) -> String {
    if folded.chars().any(|c| c.is_ascii_digit()) {
        return folded.to_owned();
    }
    let mut w: Vec<char> = folded.chars().collect();
    // "ge" before at least four letters is a participle prefix.
    if w.len() >= 6 && w[0] == 'g' && w[1] == 'e' {
        w.drain(..2);
    }
    let mut s: String = w.iter().collect();
    s = s.replace("sch", "$").replace("ei", "%").replace("ie", "&");
    // A doubled letter becomes letter + '*' so stripping cannot split it.
    let mut w: Vec<char> = Vec::with_capacity(s.len());
    for c in s.chars() {
        if w.last() == Some(&c) {
            w.push('*');
        } else {
            w.push(c);
        }
    }
    while w.len() > 3 {
        let n = w.len();
        if n > 5
            && (w[n - 2..] == ['e', 'm'] || w[n - 2..] == ['e', 'r'] || w[n - 2..] == ['n', 'd'])
        {
            w.truncate(n - 2);
            continue;
        }
        if matches!(w[n - 1], 't' | 'e' | 's' | 'n') {
            w.truncate(n - 1);
            continue;
        }
        break;
    }
    let mut expanded = String::with_capacity(w.len() + 2);
    let mut previous = None;
    for c in w {
        let c = if c == '*' { previous.unwrap_or(c) } else { c };
        expanded.push(c);
        previous = Some(c);
    }
    expanded
        .replace('&', "ie")
        .replace('%', "ei")
        .replace('$', "sch")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inflections_meet_in_one_stem() {
        assert_eq!(stem(&fold("Gebühren")), stem(&fold("Gebühr")));
        assert_eq!(stem(&fold("Hunde")), stem(&fold("Hund")));
        assert_eq!(stem(&fold("Satzungen")), stem(&fold("Satzung")));
        assert_eq!(stem(&fold("Anträge")), stem(&fold("Antrage")));
        assert_eq!(stem(&fold("Straße")), stem(&fold("Strasse")));
        assert_eq!(stem(&fold("Fristen")), stem(&fold("Frist")));
    }

    #[test]
    fn terms_leave_out_function_words_and_keep_numbers() {
        assert_eq!(
            terms("Die Gebühr für § 12 beträgt 25 Euro."),
            vec![
                stem("gebuhr"),
                "12".into(),
                stem("betragt"),
                "25".into(),
                stem("euro")
            ]
        );
    }
}
