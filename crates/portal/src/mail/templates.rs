//! The German texts of the mails sent to many, one template per kind with
//! a built-in default; the municipality may edit subject and body. A
//! template names its values as placeholders (`{name}`, `{link}`, …);
//! which ones a kind offers is fixed here, so an edited template can never
//! reach anything else.

use store::Store;

/// A kind of mail with its template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    /// Stored in the outbox and in `mail_templates`.
    pub slug: &'static str,
    pub label: &'static str,
    /// Placeholders this kind fills, with what they stand for.
    pub placeholders: &'static [(&'static str, &'static str)],
    /// Placeholders the body must contain (a survey mail without its link
    /// would be useless).
    pub required: &'static [&'static str],
    pub subject: &'static str,
    pub body: &'static str,
}

const SURVEY_PLACEHOLDERS: &[(&str, &str)] = &[
    ("name", "Name der Person"),
    ("umfrage", "Titel der Umfrage"),
    ("kommune", "Name der Kommune"),
    ("link", "persönlicher Teilnahmelink"),
];

pub const SURVEY_INVITATION: Kind = Kind {
    slug: "umfrage_einladung",
    label: "Einladung zur Umfrage",
    placeholders: SURVEY_PLACEHOLDERS,
    required: &["link"],
    subject: "Einladung zur Bestandsaufnahme „{umfrage}“",
    body: "Guten Tag {name},\n\n\
die {kommune} fragt alle Beschäftigten, wie sie Künstliche Intelligenz heute nutzen und was sie brauchen. \
Die Umfrage „{umfrage}“ dauert etwa 10 Minuten.\n\n\
Über Ihren persönlichen Link nehmen Sie teil (nur einmal nutzbar):\n{link}\n\n\
Ihre Antworten werden anonym gespeichert: Der Link wird beim Absenden gelöscht, \
niemand kann Ihre Antworten Ihnen zuordnen.\n\n\
Vielen Dank!\n",
};

pub const SURVEY_REMINDER: Kind = Kind {
    slug: "umfrage_erinnerung",
    label: "Erinnerung an die Umfrage",
    placeholders: SURVEY_PLACEHOLDERS,
    required: &["link"],
    subject: "Erinnerung: Bestandsaufnahme „{umfrage}“",
    body: "Guten Tag {name},\n\n\
die Umfrage „{umfrage}“ der {kommune} läuft noch, und wir würden uns über Ihre Teilnahme freuen.\n\n\
Hier ist Ihr neuer persönlicher Link (ein älterer gilt nicht mehr):\n{link}\n\n\
Ihre Antworten bleiben anonym. Wenn Sie inzwischen teilgenommen haben, \
betrachten Sie diese E-Mail bitte als gegenstandslos.\n",
};

/// Every kind with a template, in the order the template page lists them.
pub const KINDS: &[Kind] = &[SURVEY_INVITATION, SURVEY_REMINDER];

pub fn kind(slug: &str) -> Option<Kind> {
    KINDS.iter().copied().find(|k| k.slug == slug)
}

/// Longest subject and body an edited template may have.
pub const MAX_SUBJECT: usize = 200;
pub const MAX_BODY: usize = 10_000;

/// The text a kind is sent with: the edited one, else the default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub subject: String,
    pub body: String,
    /// Whether the municipality edited it.
    pub edited: bool,
}

pub async fn text(store: &Store, kind: Kind) -> store::Result<Text> {
    Ok(match store.mail_template(kind.slug).await? {
        Some(t) => Text {
            subject: t.subject,
            body: t.body,
            edited: true,
        },
        None => Text {
            subject: kind.subject.to_string(),
            body: kind.body.to_string(),
            edited: false,
        },
    })
}

/// Checks an edited template; the error says in German what to change.
pub fn check(kind: Kind, subject: &str, body: &str) -> Result<(), String> {
    if subject.trim().is_empty() {
        return Err("Bitte einen Betreff angeben.".into());
    }
    if subject.contains(['\r', '\n']) {
        return Err("Der Betreff muss in einer Zeile stehen.".into());
    }
    if subject.chars().count() > MAX_SUBJECT {
        return Err(format!(
            "Der Betreff darf höchstens {MAX_SUBJECT} Zeichen lang sein."
        ));
    }
    if body.trim().is_empty() {
        return Err("Bitte einen Text angeben.".into());
    }
    if body.chars().count() > MAX_BODY {
        return Err(format!(
            "Der Text darf höchstens {MAX_BODY} Zeichen lang sein."
        ));
    }
    for text in [subject, body] {
        for name in placeholders_in(text) {
            if !kind.placeholders.iter().any(|(p, _)| *p == name) {
                return Err(format!(
                    "Den Platzhalter {{{name}}} gibt es nicht. Möglich sind: {}.",
                    offered(kind)
                ));
            }
        }
    }
    for required in kind.required {
        if !placeholders_in(body).any(|p| p == *required) {
            return Err(format!(
                "Der Text muss den Platzhalter {{{required}}} enthalten, sonst fehlt der E-Mail das Wichtigste."
            ));
        }
    }
    Ok(())
}

/// The placeholders offered by `kind`, as `{a}, {b}` for messages.
pub fn offered(kind: Kind) -> String {
    kind.placeholders
        .iter()
        .map(|(p, _)| format!("{{{p}}}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Names between braces made of letters only (`{link}`); other braces are
/// text.
fn placeholders_in(text: &str) -> impl Iterator<Item = &str> {
    text.split('{').skip(1).filter_map(|rest| {
        let name = rest.split_once('}')?.0;
        (!name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase())).then_some(name)
    })
}

/// Fills the placeholders; one without a value stays as written.
pub fn render(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let value = after.split_once('}').and_then(|(name, _)| {
            values
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (name.len(), *v))
        });
        match value {
            Some((len, v)) => {
                out.push_str(v);
                rest = &after[len + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_and_other_braces_stay() {
        let text = render(
            "Hallo {name}, {link} {unbekannt} {",
            &[("name", "Ada"), ("link", "https://x/{name}")],
        );
        assert_eq!(text, "Hallo Ada, https://x/{name} {unbekannt} {");
    }

    #[test]
    fn the_defaults_pass_their_own_check() {
        for k in KINDS {
            check(*k, k.subject, k.body).unwrap();
        }
    }

    #[test]
    fn an_unknown_or_missing_placeholder_is_refused_in_german() {
        let e = check(SURVEY_REMINDER, "Betreff", "Hallo {vorname} {link}").unwrap_err();
        assert!(e.contains("{vorname}") && e.contains("{link}"), "{e}");
        let e = check(SURVEY_REMINDER, "Betreff", "Hallo {name}").unwrap_err();
        assert!(e.contains("{link}"), "{e}");
        assert!(check(SURVEY_REMINDER, "Zwei\nZeilen", "{link}").is_err());
    }
}
