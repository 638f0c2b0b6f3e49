//! The public AI register (KI-Register): one entry per use case the
//! municipality chooses to publish, with fields following the Dutch algorithm
//! register publication standard (as used by Amsterdam, Helsinki and the
//! Dutch government): besides what follows from the use case, the legal
//! basis, the impact assessments done, the supplier, risks and mitigations,
//! the checks for discrimination, how to object, start and end, monitoring
//! and links to more information or the source code. Each field except the
//! name can be kept internal; exports never contain an internal field.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::model::UseCase;
use super::{unless_problems, UseCaseError};

pub const NAME_MAX_CHARS: usize = 100;
pub const DESCRIPTION_MAX_CHARS: usize = 350;
pub const REGISTER_FORMAT: &str = "ki-reise/ki-register";
/// Longest text of a written field (links together).
pub const WRITTEN_MAX_CHARS: usize = 2000;

/// An address the register may link to: http(s) with a host and no spaces,
/// so a `javascript:` link never reaches the public page.
pub fn is_web_link(s: &str) -> bool {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    rest.is_some_and(|r| {
        !r.is_empty()
            && !r.starts_with('/')
            && !r
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>')
    })
}

/// `14.01.2027` as `2027-01-14`; `None` for anything else.
fn german_to_iso(s: &str) -> Option<String> {
    let mut parts = s.split('.');
    let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 {
        return None;
    }
    let (d, m): (u32, u32) = (d.parse().ok()?, m.parse().ok()?);
    let iso = format!("{y}-{m:02}-{d:02}");
    crate::date::is_iso_date(&iso).then_some(iso)
}

/// A field of a register entry; its serde name is the key in the exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegisterField {
    Name,
    Description,
    Purpose,
    Department,
    AiKind,
    RiskClass,
    HumanOversight,
    DataSources,
    Contact,
    Status,
    LegalBasis,
    Dpia,
    Fria,
    Supplier,
    Risks,
    NonDiscrimination,
    Objection,
    StartDate,
    EndDate,
    Monitoring,
    Links,
}

impl RegisterField {
    pub const ALL: [RegisterField; 21] = [
        RegisterField::Name,
        RegisterField::Description,
        RegisterField::Purpose,
        RegisterField::Department,
        RegisterField::AiKind,
        RegisterField::RiskClass,
        RegisterField::HumanOversight,
        RegisterField::DataSources,
        RegisterField::Contact,
        RegisterField::Status,
        RegisterField::LegalBasis,
        RegisterField::Dpia,
        RegisterField::Fria,
        RegisterField::Supplier,
        RegisterField::Risks,
        RegisterField::NonDiscrimination,
        RegisterField::Objection,
        RegisterField::StartDate,
        RegisterField::EndDate,
        RegisterField::Monitoring,
        RegisterField::Links,
    ];

    /// The fields the project team writes beyond name, description and
    /// contact (the others follow from the use case).
    pub const WRITTEN: [RegisterField; 11] = [
        RegisterField::LegalBasis,
        RegisterField::Dpia,
        RegisterField::Fria,
        RegisterField::Supplier,
        RegisterField::Risks,
        RegisterField::NonDiscrimination,
        RegisterField::Objection,
        RegisterField::StartDate,
        RegisterField::EndDate,
        RegisterField::Monitoring,
        RegisterField::Links,
    ];

    /// A hint for the form field, where the label alone says too little.
    pub fn hint(self) -> &'static str {
        match self {
            RegisterField::LegalBasis => "z. B. § 3 EGovG, Art. 6 Abs. 1 Buchst. e DSGVO",
            RegisterField::Dpia => {
                "durchgeführt am …, nicht erforderlich weil …; ein Link zum Bericht wird verlinkt"
            }
            RegisterField::Fria => {
                "Art. 27 KI-VO: durchgeführt am …, nicht erforderlich weil …; mit Link"
            }
            RegisterField::Supplier => "Hersteller oder Dienstleister des Systems",
            RegisterField::Risks => "was schiefgehen kann und was dagegen getan wird",
            RegisterField::NonDiscrimination => "wie geprüft wird, dass niemand benachteiligt wird",
            RegisterField::Objection => "an wen man sich wendet, wie man widerspricht",
            RegisterField::StartDate | RegisterField::EndDate => "Datum, z. B. 14.01.2027",
            RegisterField::Monitoring => "wer die Ergebnisse im Betrieb wie oft prüft",
            RegisterField::Links => {
                "eine Adresse je Zeile (http:// oder https://), z. B. Quellcode"
            }
            _ => "",
        }
    }

    /// The key in JSON and the CSV header.
    pub fn key(self) -> &'static str {
        match self {
            RegisterField::Name => "name",
            RegisterField::Description => "description",
            RegisterField::Purpose => "purpose",
            RegisterField::Department => "department",
            RegisterField::AiKind => "ai_kind",
            RegisterField::RiskClass => "risk_class",
            RegisterField::HumanOversight => "human_oversight",
            RegisterField::DataSources => "data_sources",
            RegisterField::Contact => "contact",
            RegisterField::Status => "status",
            RegisterField::LegalBasis => "legal_basis",
            RegisterField::Dpia => "dpia",
            RegisterField::Fria => "fria",
            RegisterField::Supplier => "supplier",
            RegisterField::Risks => "risks",
            RegisterField::NonDiscrimination => "non_discrimination",
            RegisterField::Objection => "objection",
            RegisterField::StartDate => "start_date",
            RegisterField::EndDate => "end_date",
            RegisterField::Monitoring => "monitoring",
            RegisterField::Links => "links",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RegisterField::Name => "Name",
            RegisterField::Description => "Kurzbeschreibung",
            RegisterField::Purpose => "Zweck",
            RegisterField::Department => "Organisationseinheit",
            RegisterField::AiKind => "Art der KI",
            RegisterField::RiskClass => "Risikoklasse (KI-Verordnung)",
            RegisterField::HumanOversight => "Menschliche Aufsicht",
            RegisterField::DataSources => "Daten",
            RegisterField::Contact => "Kontakt",
            RegisterField::Status => "Status",
            RegisterField::LegalBasis => "Rechtsgrundlage",
            RegisterField::Dpia => "Datenschutz-Folgenabschätzung (DSFA)",
            RegisterField::Fria => "Grundrechte-Folgenabschätzung",
            RegisterField::Supplier => "Anbieter",
            RegisterField::Risks => "Risiken und Gegenmaßnahmen",
            RegisterField::NonDiscrimination => "Prüfung auf Diskriminierung",
            RegisterField::Objection => "Widerspruch und Beschwerde",
            RegisterField::StartDate => "Im Einsatz seit",
            RegisterField::EndDate => "Im Einsatz bis",
            RegisterField::Monitoring => "Überwachung im Betrieb",
            RegisterField::Links => "Weitere Informationen und Quellcode",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterEntry {
    /// The use case's id.
    pub id: String,
    pub name: String,
    /// Plain language, at most 350 characters.
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub purpose: String,
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub ai_kind: String,
    #[serde(default)]
    pub risk_class: String,
    #[serde(default)]
    pub human_oversight: String,
    #[serde(default)]
    pub data_sources: Vec<String>,
    #[serde(default)]
    pub contact: String,
    #[serde(default)]
    pub status: String,
    /// Fields kept internal: never exported or shown publicly.
    #[serde(default)]
    pub internal: BTreeSet<RegisterField>,
    /// Whether the entry appears in the public register at all.
    #[serde(default)]
    pub published: bool,
    // What the project team writes; absent in entries made before these
    // fields existed, so old bundles still import.
    #[serde(default)]
    pub legal_basis: String,
    #[serde(default)]
    pub dpia: String,
    #[serde(default)]
    pub fria: String,
    #[serde(default)]
    pub supplier: String,
    #[serde(default)]
    pub risks: String,
    #[serde(default)]
    pub non_discrimination: String,
    #[serde(default)]
    pub objection: String,
    /// ISO date (`2027-01-14`) or empty.
    #[serde(default)]
    pub start_date: String,
    /// ISO date or empty.
    #[serde(default)]
    pub end_date: String,
    #[serde(default)]
    pub monitoring: String,
    /// http(s) addresses: more information, the source code.
    #[serde(default)]
    pub links: Vec<String>,
}

fn truncate_chars(s: &str, max: usize) -> String {
    let s = s.trim();
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

impl RegisterEntry {
    /// A draft from the use case for the project team to edit; unpublished,
    /// with the contact kept internal until someone decides otherwise.
    pub fn draft_from(uc: &UseCase) -> RegisterEntry {
        let c = &uc.canvas;
        let description = if c.goal.trim().is_empty() {
            &uc.intake.problem
        } else {
            &c.goal
        };
        RegisterEntry {
            id: uc.id.clone(),
            name: truncate_chars(&uc.intake.title, NAME_MAX_CHARS),
            description: truncate_chars(description, DESCRIPTION_MAX_CHARS),
            purpose: c.goal.trim().to_owned(),
            department: uc.intake.department.clone().unwrap_or_default(),
            ai_kind: c
                .ai_kinds
                .iter()
                .map(|k| k.label())
                .collect::<Vec<_>>()
                .join(", "),
            risk_class: uc.classification.as_ref().map_or_else(
                || "noch nicht eingestuft".to_owned(),
                |k| k.conclusion_label.clone(),
            ),
            human_oversight: c
                .human_oversight
                .map(|h| h.label().to_owned())
                .unwrap_or_default(),
            data_sources: c
                .data_sources
                .iter()
                .map(|d| format!("{} ({})", d.name, d.class.label()))
                .collect(),
            contact: String::new(),
            status: uc.status.label().to_owned(),
            internal: BTreeSet::from([RegisterField::Contact]),
            published: false,
            fria: uc
                .classification
                .as_ref()
                .filter(|c| !c.fria_required)
                .map(|_| "nach der Einstufung nicht erforderlich".to_owned())
                .unwrap_or_default(),
            ..RegisterEntry::default()
        }
    }

    /// The text of a written field (the links one a line).
    pub fn written(&self, field: RegisterField) -> String {
        match field {
            RegisterField::LegalBasis => self.legal_basis.clone(),
            RegisterField::Dpia => self.dpia.clone(),
            RegisterField::Fria => self.fria.clone(),
            RegisterField::Supplier => self.supplier.clone(),
            RegisterField::Risks => self.risks.clone(),
            RegisterField::NonDiscrimination => self.non_discrimination.clone(),
            RegisterField::Objection => self.objection.clone(),
            RegisterField::StartDate => self.start_date.clone(),
            RegisterField::EndDate => self.end_date.clone(),
            RegisterField::Monitoring => self.monitoring.clone(),
            RegisterField::Links => self.links.join("\n"),
            _ => String::new(),
        }
    }

    /// Sets a written field from form text (trimmed; links one a line;
    /// dates as ISO or German `14.01.2027`). Other fields are left alone.
    pub fn set_written(&mut self, field: RegisterField, text: &str) {
        let text = text.trim().to_owned();
        let date = |t: String| german_to_iso(&t).unwrap_or(t);
        match field {
            RegisterField::LegalBasis => self.legal_basis = text,
            RegisterField::Dpia => self.dpia = text,
            RegisterField::Fria => self.fria = text,
            RegisterField::Supplier => self.supplier = text,
            RegisterField::Risks => self.risks = text,
            RegisterField::NonDiscrimination => self.non_discrimination = text,
            RegisterField::Objection => self.objection = text,
            RegisterField::StartDate => self.start_date = date(text),
            RegisterField::EndDate => self.end_date = date(text),
            RegisterField::Monitoring => self.monitoring = text,
            RegisterField::Links => {
                self.links = text
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect();
            }
            _ => {}
        }
    }

    /// Copies what the project team wrote from `other`.
    pub fn keep_written(&mut self, other: &RegisterEntry) {
        for f in RegisterField::WRITTEN {
            self.set_written(f, &other.written(f));
        }
    }

    /// Problems of the written fields, as (field, German message).
    pub fn written_problems(&self) -> Vec<(RegisterField, String)> {
        let mut problems = Vec::new();
        for (f, d) in [
            (RegisterField::StartDate, &self.start_date),
            (RegisterField::EndDate, &self.end_date),
        ] {
            if !d.is_empty() && !crate::date::is_iso_date(d) {
                problems.push((
                    f,
                    format!("{}: bitte ein Datum wie 14.01.2027 angeben", f.label()),
                ));
            }
        }
        if !self.start_date.is_empty()
            && !self.end_date.is_empty()
            && crate::date::is_iso_date(&self.start_date)
            && crate::date::is_iso_date(&self.end_date)
            && self.end_date < self.start_date
        {
            problems.push((
                RegisterField::EndDate,
                "das Ende liegt vor dem Beginn".to_owned(),
            ));
        }
        if let Some(bad) = self.links.iter().find(|l| !is_web_link(l)) {
            problems.push((
                RegisterField::Links,
                format!("„{bad}“ ist keine Adresse mit http:// oder https://"),
            ));
        }
        for f in RegisterField::WRITTEN {
            if self.written(f).chars().count() > WRITTEN_MAX_CHARS {
                problems.push((
                    f,
                    format!("{}: höchstens {WRITTEN_MAX_CHARS} Zeichen", f.label()),
                ));
            }
        }
        problems
    }

    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.name.trim().is_empty() {
            problems.push("der Name fehlt".to_owned());
        }
        let n = self.name.chars().count();
        if n > NAME_MAX_CHARS {
            problems.push(format!(
                "der Name hat {n} Zeichen, erlaubt sind höchstens {NAME_MAX_CHARS}"
            ));
        }
        let d = self.description.chars().count();
        if d > DESCRIPTION_MAX_CHARS {
            problems.push(format!(
                "die Kurzbeschreibung hat {d} Zeichen, erlaubt sind höchstens {DESCRIPTION_MAX_CHARS}"
            ));
        }
        if self.internal.contains(&RegisterField::Name) {
            problems.push("der Name kann nicht intern bleiben".to_owned());
        }
        problems.extend(self.written_problems().into_iter().map(|(_, p)| p));
        problems
    }

    pub fn validate(&self) -> Result<(), UseCaseError> {
        let problems = self.problems();
        unless_problems((), problems, |problems| {
            UseCaseError::InvalidRegisterEntry { problems }
        })
    }

    pub fn is_public(&self, field: RegisterField) -> bool {
        !self.internal.contains(&field)
    }

    fn value(&self, field: RegisterField) -> Value {
        let s = |v: &String| Value::String(v.clone());
        match field {
            RegisterField::Name => s(&self.name),
            RegisterField::Description => s(&self.description),
            RegisterField::Purpose => s(&self.purpose),
            RegisterField::Department => s(&self.department),
            RegisterField::AiKind => s(&self.ai_kind),
            RegisterField::RiskClass => s(&self.risk_class),
            RegisterField::HumanOversight => s(&self.human_oversight),
            RegisterField::DataSources => Value::Array(self.data_sources.iter().map(s).collect()),
            RegisterField::Contact => s(&self.contact),
            RegisterField::Status => s(&self.status),
            RegisterField::Links => Value::Array(self.links.iter().map(s).collect()),
            f => Value::String(self.written(f)),
        }
    }

    /// The public fields as a JSON object (`id` plus every public field).
    pub fn public_json(&self) -> Value {
        let mut map = Map::new();
        map.insert("id".to_owned(), Value::String(self.id.clone()));
        for f in RegisterField::ALL
            .into_iter()
            .filter(|f| self.is_public(*f))
        {
            map.insert(f.key().to_owned(), self.value(f));
        }
        Value::Object(map)
    }

    /// The public fields as (label, text) pairs for the public page.
    pub fn public_fields(&self) -> Vec<(RegisterField, String)> {
        RegisterField::ALL
            .into_iter()
            .filter(|f| self.is_public(*f))
            .map(|f| {
                let text = match self.value(f) {
                    Value::String(s) => s,
                    Value::Array(items) => items
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join("; "),
                    other => other.to_string(),
                };
                (f, text)
            })
            .collect()
    }
}

/// The published entries, checked; an invalid one stops the export.
fn published(entries: &[RegisterEntry]) -> Result<Vec<&RegisterEntry>, UseCaseError> {
    let list: Vec<&RegisterEntry> = entries.iter().filter(|e| e.published).collect();
    let mut problems = Vec::new();
    for e in &list {
        problems.extend(e.problems().into_iter().map(|p| format!("„{}“: {p}", e.id)));
    }
    unless_problems(list, problems, |problems| {
        UseCaseError::InvalidRegisterEntry { problems }
    })
}

/// One AI Act duty of a published use case as the public reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicDuty {
    pub title: String,
    /// „offen“, „in Arbeit“, „erfüllt“ or „nicht anwendbar“.
    pub status: String,
}

/// Each published use case's duties, by use-case id.
pub type PublicDuties = std::collections::BTreeMap<String, Vec<PublicDuty>>;

/// The public register as JSON (`schemas/usecase-register.schema.json`).
pub fn register_json(entries: &[RegisterEntry]) -> Result<String, UseCaseError> {
    register_json_with_duties(entries, &PublicDuties::new())
}

/// The public register as JSON, each entry with its AI Act duties (title
/// and status) where it has any.
pub fn register_json_with_duties(
    entries: &[RegisterEntry],
    duties: &PublicDuties,
) -> Result<String, UseCaseError> {
    let list = published(entries)?;
    let doc = serde_json::json!({
        "format": REGISTER_FORMAT,
        "format_version": 1,
        "entries": list.iter().map(|e| {
            let mut entry = e.public_json();
            if let (Some(d), Value::Object(map)) = (duties.get(&e.id).filter(|d| !d.is_empty()), &mut entry) {
                map.insert("duties".to_owned(), serde_json::json!(d));
            }
            entry
        }).collect::<Vec<_>>(),
    });
    serde_json::to_string_pretty(&doc).map_err(|e| UseCaseError::Parse {
        file: "KI-Register".to_owned(),
        message: e.to_string(),
    })
}

/// Quotes a CSV field per RFC 4180 when it needs it. A field that a
/// spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`, a
/// tab or a carriage return) gets a leading apostrophe, as OWASP advises
/// against CSV injection: the register may hold text imported from elsewhere.
/// The field separator of the register's CSV, as spreadsheets in German
/// locales read it.
const CSV_SEPARATOR: char = ';';

fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([CSV_SEPARATOR, ',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The public register as CSV (RFC 4180, UTF-8, CRLF). Every column is
/// present; an internal field leaves its cell empty.
pub fn register_csv(entries: &[RegisterEntry]) -> Result<String, UseCaseError> {
    register_csv_with_duties(entries, &PublicDuties::new())
}

/// The register as CSV with a last column `duties`: each duty as
/// „Titel: Status“, separated by „ | “.
pub fn register_csv_with_duties(
    entries: &[RegisterEntry],
    duties: &PublicDuties,
) -> Result<String, UseCaseError> {
    let list = published(entries)?;
    // The byte-order mark and the semicolon are what Excel and LibreOffice
    // in German expect; without them umlauts break and all lands in one column.
    let mut out = String::from("\u{feff}id");
    for f in RegisterField::ALL {
        out.push(CSV_SEPARATOR);
        out.push_str(f.key());
    }
    out.push(CSV_SEPARATOR);
    out.push_str("duties");
    out.push_str("\r\n");
    for e in list {
        out.push_str(&csv_field(&e.id));
        let public: Vec<(RegisterField, String)> = e.public_fields();
        for f in RegisterField::ALL {
            out.push(CSV_SEPARATOR);
            if let Some((_, text)) = public.iter().find(|(pf, _)| *pf == f) {
                let _ = write!(out, "{}", csv_field(text));
            }
        }
        out.push(CSV_SEPARATOR);
        let cell: Vec<String> = duties
            .get(&e.id)
            .into_iter()
            .flatten()
            .map(|d| format!("{}: {}", d.title, d.status))
            .collect();
        out.push_str(&csv_field(&cell.join(" | ")));
        out.push_str("\r\n");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> RegisterEntry {
        RegisterEntry {
            id: "uc-7".into(),
            name: "Chatbot, \"Bürgerfragen\"".into(),
            description: "Beantwortet Fragen.".into(),
            purpose: "Erreichbarkeit".into(),
            department: "Bürgeramt".into(),
            ai_kind: "generative Texte".into(),
            risk_class: "Transparenzpflichten".into(),
            human_oversight: "Stichproben".into(),
            data_sources: vec!["Webseite (öffentlich)".into(), "FAQ (intern)".into()],
            contact: "geheim-kontakt@example.invalid".into(),
            status: "Im Betrieb".into(),
            internal: BTreeSet::from([RegisterField::Contact, RegisterField::Department]),
            published: true,
            ..RegisterEntry::default()
        }
    }

    #[test]
    fn internal_fields_never_reach_the_json_or_the_csv() {
        let e = entry();
        let json = register_json(std::slice::from_ref(&e)).unwrap();
        let csv = register_csv(&[e]).unwrap();
        for out in [&json, &csv] {
            assert!(!out.contains("geheim-kontakt"), "{out}");
            assert!(!out.contains("Bürgeramt"), "{out}");
        }
        assert!(!json.contains("\"contact\""));
        assert!(json.contains("\"risk_class\": \"Transparenzpflichten\""));
    }

    #[test]
    fn the_csv_has_a_bom_and_semicolons_quotes_what_needs_it_and_ends_lines_with_crlf() {
        let csv = register_csv(&[entry()]).unwrap();
        assert!(
            csv.starts_with('\u{feff}'),
            "UTF-8 byte-order mark for Excel"
        );
        let mut lines = csv.trim_start_matches('\u{feff}').split("\r\n");
        assert_eq!(
            lines.next().unwrap(),
            "id;name;description;purpose;department;ai_kind;risk_class;human_oversight;data_sources;contact;status;\
             legal_basis;dpia;fria;supplier;risks;non_discrimination;objection;start_date;end_date;monitoring;links;duties"
        );
        assert_eq!(
            lines.next().unwrap(),
            "uc-7;\"Chatbot, \"\"Bürgerfragen\"\"\";Beantwortet Fragen.;Erreichbarkeit;;generative Texte;Transparenzpflichten;Stichproben;\"Webseite (öffentlich); FAQ (intern)\";;Im Betrieb;;;;;;;;;;;;"
        );
        // With duties, the last cell names each with its status.
        let duties = PublicDuties::from([(
            "uc-7".to_owned(),
            vec![
                PublicDuty {
                    title: "Transparenz (Art. 50)".into(),
                    status: "offen".into(),
                },
                PublicDuty {
                    title: "KI-Kompetenz (Art. 4)".into(),
                    status: "erfüllt".into(),
                },
            ],
        )]);
        let csv = register_csv_with_duties(&[entry()], &duties).unwrap();
        assert!(
            csv.ends_with(";Transparenz (Art. 50): offen | KI-Kompetenz (Art. 4): erfüllt\r\n"),
            "{csv}"
        );
    }

    #[test]
    fn a_field_that_looks_like_a_formula_is_defused_in_the_csv() {
        assert_eq!(
            csv_field("=HYPERLINK(\"http://x\")"),
            "\"'=HYPERLINK(\"\"http://x\"\")\""
        );
        assert_eq!(csv_field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_field("Bürgeramt"), "Bürgeramt");
    }

    #[test]
    fn the_fields_of_the_dutch_and_helsinki_registers_reach_json_and_csv() {
        let mut e = entry();
        e.set_written(RegisterField::LegalBasis, "§ 3 EGovG");
        e.set_written(
            RegisterField::Dpia,
            "durchgeführt, https://musterstadt.de/dsfa.pdf",
        );
        e.set_written(RegisterField::Fria, "nicht erforderlich");
        e.set_written(RegisterField::Supplier, "Firma X");
        e.set_written(RegisterField::Risks, "Falsche Antworten; Stichproben");
        e.set_written(RegisterField::NonDiscrimination, "Prüfung je Quartal");
        e.set_written(RegisterField::Objection, "Widerspruch beim Bürgeramt");
        e.set_written(RegisterField::StartDate, "14.01.2027");
        e.set_written(RegisterField::EndDate, "2028-12-31");
        e.set_written(RegisterField::Monitoring, "monatlich");
        e.set_written(
            RegisterField::Links,
            "https://code.musterstadt.de/bot\n\nhttps://musterstadt.de/ki",
        );
        assert!(e.problems().is_empty(), "{:?}", e.problems());
        assert_eq!(e.start_date, "2027-01-14", "a German date is kept as ISO");
        let json: Value =
            serde_json::from_str(&register_json(std::slice::from_ref(&e)).unwrap()).unwrap();
        let j = &json["entries"][0];
        assert_eq!(j["legal_basis"], "§ 3 EGovG");
        assert_eq!(j["start_date"], "2027-01-14");
        assert_eq!(j["links"][1], "https://musterstadt.de/ki");
        let csv = register_csv(std::slice::from_ref(&e)).unwrap();
        assert!(csv.contains(";2027-01-14;2028-12-31;monatlich;"), "{csv}");
        // An entry written before these fields existed still reads.
        let old = r#"{"id":"a","name":"N","published":true}"#;
        assert!(serde_json::from_str::<RegisterEntry>(old).is_ok());
    }

    #[test]
    fn written_fields_refuse_bad_dates_and_links_that_are_not_web_addresses() {
        let mut e = entry();
        e.set_written(RegisterField::StartDate, "bald");
        e.set_written(RegisterField::Links, "javascript:alert(1)");
        let fields: Vec<RegisterField> = e.written_problems().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, [RegisterField::StartDate, RegisterField::Links]);
        e.set_written(RegisterField::StartDate, "2027-02-01");
        e.set_written(RegisterField::EndDate, "2027-01-01");
        e.set_written(RegisterField::Links, "");
        assert_eq!(e.written_problems()[0].0, RegisterField::EndDate);
    }

    #[test]
    fn unpublished_entries_are_left_out() {
        let mut e = entry();
        e.published = false;
        let csv = register_csv(&[e]).unwrap();
        assert_eq!(csv.lines().count(), 1);
    }

    #[test]
    fn names_and_descriptions_over_the_limits_are_rejected() {
        let mut e = entry();
        e.name = "x".repeat(101);
        e.description = "y".repeat(351);
        e.internal.insert(RegisterField::Name);
        assert_eq!(e.problems().len(), 3);
        let err = register_json(&[e]).unwrap_err();
        assert!(
            err.to_string().contains("„uc-7“: der Name hat 101 Zeichen"),
            "{err}"
        );
    }

    #[test]
    fn long_titles_are_shortened_to_the_limit_in_a_draft() {
        let s = truncate_chars(&"Wort ".repeat(40), NAME_MAX_CHARS);
        assert!(s.chars().count() <= NAME_MAX_CHARS);
        assert!(s.ends_with('…'));
    }
}
