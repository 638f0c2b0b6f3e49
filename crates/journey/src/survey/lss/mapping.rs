//! Mapping what an `.lss` file holds to our questionnaire: groups become
//! sections, questions keep their place, texts become plain text, and every
//! change or omission goes into the import report.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::file::{get, number, LsQuestion, LssFile};
use super::ids::Ids;
use super::kinds::kind;
use super::relevance::condition;
use super::text::{imported_text, shorten};
use crate::survey::import::{ImportReport, ImportedQuestionnaire, Severity};
use crate::survey::model::{Question, QuestionKind, Questionnaire, Section};
use crate::survey::validate::validate_questionnaire;
use crate::survey::SurveyError;

/// Builds the questionnaire and the report of what was not taken over.
pub(super) struct Importer {
    pub(super) report: ImportReport,
}

impl Importer {
    pub(super) fn new() -> Self {
        Importer {
            report: ImportReport::default(),
        }
    }

    pub(super) fn run(mut self, file: &LssFile) -> Result<ImportedQuestionnaire, SurveyError> {
        self.report.source = format!(
            "LimeSurvey (DBVersion {})",
            shorten(file.db_version.trim(), 12)
        );
        if !file.other_languages.is_empty() {
            self.report.push(
                "Umfrage",
                Severity::NotMapped,
                format!(
                    "Nur die Sprache „{}“ wurde übernommen, nicht: {}.",
                    file.language,
                    file.other_languages
                        .iter()
                        .map(|s| format!("„{}“", shorten(s, 12)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        if file.has_survey_settings {
            self.report.push(
                "Umfrage",
                Severity::Note,
                "Umfrage-Einstellungen von LimeSurvey (Zugang, Zeiten, Darstellung, E-Mails) werden nicht übernommen; sie werden in ki-reise neu festgelegt.",
            );
        }
        let settings = &file.settings;
        let title = imported_text(
            &mut self.report,
            "Umfrage",
            "Titel",
            get(settings, "surveyls_title"),
        );
        let description = imported_text(
            &mut self.report,
            "Umfrage",
            "Beschreibung",
            get(settings, "surveyls_description"),
        );

        let mut question_ids = Ids::default();
        // LimeSurvey code → (our id, our kind) of mapped questions so far.
        let mut mapped: HashMap<String, (String, QuestionKind)> = HashMap::new();
        let mut sections = Vec::new();
        let mut section_ids = Ids::default();
        let known_groups: HashSet<String> = file
            .groups
            .iter()
            .map(|g| get(g, "gid").to_string())
            .collect();
        let orphans: Vec<&LsQuestion> = file
            .questions
            .iter()
            .filter(|q| !known_groups.contains(&q.gid))
            .collect();
        for q in &orphans {
            self.report.push(
                format!("Frage {}", q.title),
                Severity::NotMapped,
                format!("Die Frage gehört zu keiner bekannten Gruppe (gid {}) und wurde nicht übernommen.", shorten(&q.gid, 12)),
            );
        }

        for group in &file.groups {
            let gid = get(group, "gid").to_string();
            let texts = file
                .group_texts
                .get(&gid)
                .cloned()
                .unwrap_or_else(|| group.clone());
            let location = format!("Gruppe {gid}");
            let mut section_title = imported_text(
                &mut self.report,
                &location,
                "Gruppenname",
                get(&texts, "group_name"),
            );
            if section_title.is_empty() {
                section_title = format!("Abschnitt {gid}");
            }
            let mut description = imported_text(
                &mut self.report,
                &location,
                "Gruppenbeschreibung",
                get(&texts, "description"),
            );
            let relevance = get(group, "grelevance");
            if !relevance.is_empty() && relevance != "1" {
                self.report.push(
                    location.as_str(),
                    Severity::NotMapped,
                    format!("Die Bedingung der Gruppe ({}) wurde nicht übernommen; die Gruppe wird immer gezeigt.", shorten(relevance, 200)),
                );
            }
            let mut section_questions = Vec::new();
            for lq in file.questions.iter().filter(|q| q.gid == gid) {
                let loc = format!("Frage {}", lq.title);
                if !lq.script.trim().is_empty() {
                    self.report.push(
                        loc.as_str(),
                        Severity::NotMapped,
                        "Das JavaScript der Frage (Feld „script“) wurde nicht übernommen: ki-reise führt in Umfragen keine Skripte aus.",
                    );
                }
                let subs = file.subquestions.get(&lq.qid).cloned().unwrap_or_default();
                let attrs = file.attributes.get(&lq.qid).cloned().unwrap_or_default();
                let scale0 = file
                    .answers
                    .get(&(lq.qid.clone(), 0))
                    .cloned()
                    .unwrap_or_default();
                if file.answers.contains_key(&(lq.qid.clone(), 1))
                    || subs.iter().any(|s| number(s, "scale_id") > 0)
                {
                    self.report.push(
                        loc.as_str(),
                        Severity::NotMapped,
                        "Die zweite Skala bzw. zweite Achse der Frage wurde nicht übernommen.",
                    );
                }
                if lq.kind == "X" {
                    let text = imported_text(&mut self.report, &loc, "Textanzeige", &lq.text);
                    if !text.is_empty() {
                        if !description.is_empty() {
                            description.push('\n');
                        }
                        description.push_str(&text);
                    }
                    self.report.push(
                        loc.as_str(),
                        Severity::Changed,
                        "Textanzeige (Typ X) in die Abschnittsbeschreibung übernommen.",
                    );
                    continue;
                }
                let Some(kind) = kind(&mut self.report, file, lq, &loc, &subs, &scale0, &attrs)
                else {
                    continue;
                };
                let id = question_ids.make(&lq.title, "q");
                if id != lq.title {
                    self.report.push(
                        loc.as_str(),
                        Severity::Changed,
                        format!(
                            "Fragecode „{}“ als Kennung „{id}“ übernommen.",
                            shorten(&lq.title, 64)
                        ),
                    );
                }
                let mut text = imported_text(&mut self.report, &loc, "Fragetext", &lq.text);
                if text.is_empty() {
                    text = lq.title.clone();
                    self.report.push(
                        loc.as_str(),
                        Severity::Changed,
                        "Leerer Fragetext: der Fragecode steht an seiner Stelle.",
                    );
                }
                let help = Some(imported_text(&mut self.report, &loc, "Hilfetext", &lq.help))
                    .filter(|h| !h.is_empty());
                let required = match lq.mandatory.as_str() {
                    "Y" => true,
                    "S" => {
                        self.report.push(
                            loc.as_str(),
                            Severity::Changed,
                            "„Weiche Pflicht“ (Hinweis, aber keine Pflicht) als freiwillige Frage übernommen.",
                        );
                        false
                    }
                    _ => false,
                };
                let show_if = condition(&mut self.report, &loc, &lq.relevance, &mapped);
                self.attributes_left(&loc, &attrs);
                mapped.insert(lq.title.clone(), (id.clone(), kind.clone()));
                section_questions.push(Question {
                    id,
                    text,
                    help,
                    required,
                    show_if,
                    kind,
                });
            }
            if section_questions.is_empty() {
                self.report.push(
                    location.as_str(),
                    Severity::NotMapped,
                    format!(
                        "Die Gruppe „{}“ enthält keine übertragbare Frage und wurde weggelassen.",
                        shorten(&section_title, 80)
                    ),
                );
                continue;
            }
            sections.push(Section {
                id: section_ids.make(&format!("g{gid}"), "g"),
                title: section_title,
                description: Some(description).filter(|d| !d.is_empty()),
                questions: section_questions,
            });
        }

        self.report_other_tables(file);
        let id_source = if file.sid.is_empty() {
            "import".to_string()
        } else {
            format!("lss-{}", file.sid)
        };
        let questionnaire = Questionnaire {
            schema: None,
            id: Ids::default().make(&id_source, "lss-"),
            version: 1,
            title: if title.is_empty() {
                "Importierte Umfrage".to_string()
            } else {
                title
            },
            description: Some(description).filter(|d| !d.is_empty()),
            language: if file.language.len() == 2 {
                file.language.clone()
            } else {
                "de".to_string()
            },
            sections,
        };
        let issues = validate_questionnaire(&questionnaire);
        if !issues.is_empty() {
            return Err(SurveyError::Invalid(issues));
        }
        Ok(ImportedQuestionnaire {
            questionnaire,
            report: self.report,
        })
    }

    /// Attributes with a value that we did not use.
    fn attributes_left(&mut self, loc: &str, attrs: &BTreeMap<String, String>) {
        const USED: [&str; 6] = [
            "min_num_value_n",
            "max_num_value_n",
            "num_value_int_only",
            "maximum_chars",
            "max_answers",
            "suffix",
        ];
        let left: Vec<String> = attrs
            .iter()
            .filter(|(k, v)| !USED.contains(&k.as_str()) && !v.is_empty())
            .map(|(k, v)| format!("{}={}", shorten(k, 40), shorten(v, 40)))
            .collect();
        if !left.is_empty() {
            self.report.push(
                loc,
                Severity::NotMapped,
                format!("Einstellungen nicht übernommen: {}.", left.join(", ")),
            );
        }
    }

    fn report_other_tables(&mut self, file: &LssFile) {
        for (name, rows) in &file.other_tables {
            let name = name.as_str();
            let what = match name {
                "conditions" => "Bedingungen im alten Format (conditions)".to_string(),
                "quota" | "quota_members" | "quota_languagesettings" => {
                    format!("Quoten ({name})")
                }
                "assessments" => "Bewertungen (assessments)".to_string(),
                "themes" | "themes_inherited" => format!("Layout ({name})"),
                other => format!("Bereich „{}“", shorten(other, 40)),
            };
            self.report.push(
                "Umfrage",
                Severity::NotMapped,
                format!(
                    "{what} mit {} nicht übernommen.",
                    crate::german::count(*rows, "Eintrag", "Einträgen")
                ),
            );
        }
    }
}
