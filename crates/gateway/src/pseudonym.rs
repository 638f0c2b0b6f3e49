//! Pseudonymisation for remote backends (issue 24.2). Where the adopted
//! rule set allows it (`pseudonymise_remote`), a request that the
//! personal data in it would keep from the requested remote model goes
//! there with every finding replaced by a placeholder such as
//! `[PERSON_1]` or `[IBAN_1]`; the answer is re-identified here before
//! anyone reads it. The table from placeholders to values lives only in
//! the request's memory: it is never logged, stored or sent.

use std::sync::Arc;

use journey::pii::{self, Category};

use serde_json::Value;

use crate::request::{GenerateRequest, Input};

/// The placeholder's word per category (upper case, German where staff
/// read it).
fn tag(category: Category) -> &'static str {
    match category {
        Category::Email => "EMAIL",
        Category::Phone => "TELEFON",
        Category::Iban => "IBAN",
        Category::TaxId => "STEUER_ID",
        Category::SocialSecurity => "SV_NUMMER",
        Category::IdDocument => "AUSWEISNUMMER",
        Category::LicensePlate => "KENNZEICHEN",
        Category::BirthDate => "GEBURTSDATUM",
        Category::Address => "ANSCHRIFT",
        Category::Name => "PERSON",
        Category::CaseNumber => "AKTENZEICHEN",
        Category::Health => "GESUNDHEIT",
        Category::Religion => "RELIGION",
        Category::TradeUnion => "GEWERKSCHAFT",
        Category::EthnicOrigin => "HERKUNFT",
        Category::SexualOrientation => "SEXUALITAET",
        Category::PoliticalOpinion => "POLITIK",
        Category::Biometric => "BIOMETRIE",
    }
}

/// The placeholders of one request and the values they stand for. The
/// same value gets the same placeholder in every message of the request,
/// so the model can tell two persons apart and refer back to one.
#[derive(Default)]
pub struct Pseudonyms {
    /// (category, value, placeholder), in order of first appearance.
    entries: Vec<(Category, String, String)>,
}

impl std::fmt::Debug for Pseudonyms {
    // The values are personal data: never in a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pseudonyms({} placeholders)", self.entries.len())
    }
}

impl Pseudonyms {
    /// `text` with each finding replaced by its placeholder.
    pub fn pseudonymise(&mut self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for f in pii::scan(text) {
            out.push_str(&text[at..f.span.start]);
            out.push_str(self.placeholder(f.category, &text[f.span.clone()]));
            at = f.span.end;
        }
        out.push_str(&text[at..]);
        out
    }

    fn placeholder(&mut self, category: Category, value: &str) -> &str {
        let known = self
            .entries
            .iter()
            .position(|(c, v, _)| *c == category && v == value);
        let i = match known {
            Some(i) => i,
            None => {
                let n = self
                    .entries
                    .iter()
                    .filter(|(c, ..)| tag(*c) == tag(category))
                    .count();
                let placeholder = format!("[{}_{}]", tag(category), n + 1);
                self.entries.push((category, value.to_owned(), placeholder));
                self.entries.len() - 1
            }
        };
        &self.entries[i].2
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The value a placeholder stands for.
    fn value(&self, placeholder: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(_, _, p)| p == placeholder)
            .map(|(_, v, _)| v.as_str())
    }

    fn longest(&self) -> usize {
        self.entries
            .iter()
            .map(|(_, _, p)| p.len())
            .max()
            .unwrap_or(0)
    }

    /// Whether `s` (starting with `[`) could still grow into a placeholder.
    fn could_become(&self, s: &str) -> bool {
        self.entries.iter().any(|(_, _, p)| p.starts_with(s))
    }

    /// `text` with every placeholder replaced by its value; anything else
    /// in brackets stays as it is.
    pub fn reidentify(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(open) = rest.find('[') {
            out.push_str(&rest[..open]);
            let candidate = &rest[open..];
            let close = candidate.find(']').filter(|c| *c < self.longest());
            match close.and_then(|c| self.value(&candidate[..=c]).map(|v| (c, v))) {
                Some((c, value)) => {
                    out.push_str(value);
                    rest = &candidate[c + 1..];
                }
                None => {
                    out.push('[');
                    rest = &candidate[1..];
                }
            }
        }
        out.push_str(rest);
        out
    }
}

/// `req` with every message's text pseudonymised, and the table. Tool
/// call arguments stay as they are: the caller screens the result again,
/// and what is left in them keeps the request from leaving. A client's
/// own body, which a remote backend receives as it came, gets the same
/// placeholders in its `messages` and `prompt`.
pub fn pseudonymise_request(req: &GenerateRequest) -> (GenerateRequest, Pseudonyms) {
    let mut pseudonyms = Pseudonyms::default();
    let mut sent = req.clone();
    match &mut sent.input {
        Input::Chat(messages) => {
            for m in messages {
                m.content = pseudonyms.pseudonymise(&m.content);
            }
        }
        Input::Text(text) => *text = pseudonyms.pseudonymise(text),
    }
    if let Some(Value::Object(body)) = &mut sent.params.body {
        for key in ["messages", "prompt"] {
            if let Some(v) = body.get_mut(key) {
                pseudonymise_json(&mut pseudonyms, v);
            }
        }
    }
    (sent, pseudonyms)
}

/// Every text in a JSON value, except the fields that name rather than say.
fn pseudonymise_json(pseudonyms: &mut Pseudonyms, v: &mut Value) {
    match v {
        Value::String(s) => *s = pseudonyms.pseudonymise(s),
        Value::Array(items) => items
            .iter_mut()
            .for_each(|x| pseudonymise_json(pseudonyms, x)),
        Value::Object(fields) => {
            for (k, x) in fields.iter_mut() {
                if !matches!(k.as_str(), "role" | "type" | "id" | "tool_call_id" | "name") {
                    pseudonymise_json(pseudonyms, x);
                }
            }
        }
        _ => {}
    }
}

/// Re-identifies a streamed answer piece by piece. A placeholder may
/// arrive split over several pieces ("[PER", "SON_1]"): a tail that could
/// still become one is held back until it is complete or cannot be.
#[derive(Debug)]
pub struct Reidentifier {
    pseudonyms: Arc<Pseudonyms>,
    held: String,
}

impl Reidentifier {
    pub fn new(pseudonyms: Arc<Pseudonyms>) -> Reidentifier {
        Reidentifier {
            pseudonyms,
            held: String::new(),
        }
    }

    pub fn pseudonyms(&self) -> &Pseudonyms {
        &self.pseudonyms
    }

    /// What of the answer so far can be shown, re-identified.
    pub fn push(&mut self, piece: &str) -> String {
        self.held.push_str(piece);
        let keep = match self.held.rfind('[') {
            Some(open)
                if !self.held[open..].contains(']')
                    && self.pseudonyms.could_become(&self.held[open..]) =>
            {
                open
            }
            _ => self.held.len(),
        };
        let ready: String = self.held.drain(..keep).collect();
        self.pseudonyms.reidentify(&ready)
    }

    /// The rest, at the end of the answer.
    pub fn finish(&mut self) -> String {
        let rest = std::mem::take(&mut self.held);
        self.pseudonyms.reidentify(&rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LETTER: &str =
        "Sehr geehrte Frau Brodersen, die Erstattung geht auf DE89 3704 0044 0532 0130 00.";

    #[test]
    fn findings_become_stable_placeholders_and_come_back() {
        let mut p = Pseudonyms::default();
        let sent = p.pseudonymise(LETTER);
        assert_eq!(
            sent,
            "Sehr geehrte Frau [PERSON_1], die Erstattung geht auf [IBAN_1]."
        );
        // The same person in a later message keeps the placeholder.
        assert_eq!(
            p.pseudonymise("Frau Brodersen rief an."),
            "Frau [PERSON_1] rief an."
        );
        assert_eq!(
            p.pseudonymise("Herr Petersen auch."),
            "Herr [PERSON_2] auch."
        );
        let answer = "Ich schreibe an [PERSON_1] wegen [IBAN_1] [unbekannt] [PERSON_9].";
        assert_eq!(
            p.reidentify(answer),
            "Ich schreibe an Brodersen wegen DE89 3704 0044 0532 0130 00 [unbekannt] [PERSON_9]."
        );
        assert!(!format!("{p:?}").contains("Brodersen"));
    }

    #[test]
    fn a_placeholder_split_over_pieces_is_held_until_complete() {
        let mut p = Pseudonyms::default();
        p.pseudonymise(LETTER);
        let mut r = Reidentifier::new(Arc::new(p));
        let mut shown = String::new();
        for piece in ["Konto [", "IB", "AN_1", "] von [PER", "SON_1]", " [x] ["] {
            shown.push_str(&r.push(piece));
            assert!(!shown.contains("[IB") && !shown.contains("[PER"), "{shown}");
        }
        shown.push_str(&r.finish());
        assert_eq!(
            shown,
            "Konto DE89 3704 0044 0532 0130 00 von Brodersen [x] ["
        );
    }
}
