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

/// The daily reminder of AI Act duties that are overdue or soon due, one
/// mail per person listing all of theirs (see
/// `usecases::duty_reminders`).
pub const DUTY_REMINDER: Kind = Kind {
    slug: "pflichten_erinnerung",
    label: "Erinnerung an Pflichten nach der KI-Verordnung",
    placeholders: &[
        ("name", "Name der Person"),
        ("kommune", "Name der Kommune"),
        ("anzahl", "Zahl der genannten Pflichten"),
        ("pflichten", "die Pflichten, je eine Zeile mit Anwendungsfall, Frist und Link"),
        ("link", "Übersicht aller Pflichten im Portal"),
    ],
    required: &["pflichten"],
    subject: "Erinnerung: {anzahl} Pflicht(en) nach der KI-Verordnung fällig",
    body: "Guten Tag {name},\n\n\
für folgende Pflichten nach der KI-Verordnung ist die Frist überschritten oder läuft bald ab:\n\n\
{pflichten}\n\n\
Bitte tragen Sie den Stand und den Nachweis im Portal ein, oder begründen Sie, warum eine Pflicht nicht anwendbar ist. \
Alle Pflichten im Überblick:\n{link}\n\n\
Diese Erinnerung kommt höchstens einmal am Tag, solange eine Pflicht offen und fällig ist.\n",
};

/// The invitation of a target group to a training session, with the
/// session's calendar file attached (see `qualification::invitations`).
pub const TRAINING_INVITATION: Kind = Kind {
    slug: "schulung_einladung",
    label: "Einladung zu einer Schulung",
    placeholders: &[
        ("name", "Name der Person"),
        ("kommune", "Name der Kommune"),
        ("schulung", "Titel des Termins"),
        ("zeit", "Beginn und Ende"),
        ("ort", "Raum oder Online-Adresse"),
        ("link", "Seite des Termins mit der Anmeldung"),
    ],
    required: &["link"],
    subject: "Einladung zur Schulung „{schulung}“",
    body: "Guten Tag {name},\n\n\
die {kommune} lädt Sie zur Schulung „{schulung}“ ein.\n\n\
Zeit: {zeit}\nOrt: {ort}\n\n\
Anmelden können Sie sich hier (die Plätze sind begrenzt):\n{link}\n\n\
Den Termin zum Eintragen in Ihren Kalender finden Sie im Anhang.\n",
};

/// Every kind with a template, in the order the template page lists them.
pub const KINDS: &[Kind] = &[
    SURVEY_INVITATION,
    SURVEY_REMINDER,
    TRAINING_INVITATION,
    DUTY_REMINDER,
];

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

/// A refused template: the field (`subject` or `body`) and in German what
/// to change.
pub type Refusal = (&'static str, String);

/// Checks an edited template.
pub fn check(kind: Kind, subject: &str, body: &str) -> Result<(), Refusal> {
    const S: &str = "subject";
    const B: &str = "body";
    if subject.trim().is_empty() {
        return Err((S, "Bitte einen Betreff angeben.".into()));
    }
    if subject.contains(['\r', '\n']) {
        return Err((S, "Der Betreff muss in einer Zeile stehen.".into()));
    }
    if subject.chars().count() > MAX_SUBJECT {
        return Err((
            S,
            format!("Der Betreff darf höchstens {MAX_SUBJECT} Zeichen lang sein."),
        ));
    }
    if body.trim().is_empty() {
        return Err((B, "Bitte einen Text angeben.".into()));
    }
    if body.chars().count() > MAX_BODY {
        return Err((
            B,
            format!("Der Text darf höchstens {MAX_BODY} Zeichen lang sein."),
        ));
    }
    for (field, text) in [(S, subject), (B, body)] {
        for name in placeholders_in(text) {
            if !kind.placeholders.iter().any(|(p, _)| *p == name) {
                return Err((
                    field,
                    format!(
                        "Den Platzhalter {{{name}}} gibt es nicht. Möglich sind: {}.",
                        offered(kind)
                    ),
                ));
            }
        }
    }
    for required in kind.required {
        if !placeholders_in(body).any(|p| p == *required) {
            return Err((B, format!(
                "Der Text muss den Platzhalter {{{required}}} enthalten, sonst fehlt der E-Mail das Wichtigste."
            )));
        }
    }
    Ok(())
}

/// Checks and saves an edited template as page and API receive it: the
/// subject trimmed, the body with LF line ends (browsers send CRLF).
/// Returns the saved subject and body.
pub async fn save(
    store: &Store,
    actor: &store::Actor,
    kind: Kind,
    subject: &str,
    body: &str,
) -> Result<std::result::Result<(String, String), Refusal>, store::StoreError> {
    let body = body.replace("\r\n", "\n");
    let subject = subject.trim().to_string();
    if let Err(refused) = check(kind, &subject, &body) {
        return Ok(Err(refused));
    }
    store
        .set_mail_template(actor, kind.slug, Some((&subject, &body)))
        .await?;
    Ok(Ok((subject, body)))
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
        let (field, e) = check(SURVEY_REMINDER, "Betreff", "Hallo {vorname} {link}").unwrap_err();
        assert!(e.contains("{vorname}") && e.contains("{link}"), "{e}");
        assert_eq!(field, "body");
        let (_, e) = check(SURVEY_REMINDER, "Betreff", "Hallo {name}").unwrap_err();
        assert!(e.contains("{link}"), "{e}");
        assert_eq!(
            check(SURVEY_REMINDER, "Zwei\nZeilen", "{link}")
                .unwrap_err()
                .0,
            "subject"
        );
    }
}
