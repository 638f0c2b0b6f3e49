//! The idea as a staff member submits it (intake) and the canvas the project
//! team fills in to assess it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::UseCaseError;

/// What any staff member says about an idea. Only title and problem are
/// required; the rest helps the project team and may come later.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Intake {
    pub title: String,
    /// The problem to solve, in the submitter's words.
    pub problem: String,
    /// How the task is done today.
    #[serde(default)]
    pub current_process: String,
    /// Who is affected: staff, citizens, businesses, …
    #[serde(default)]
    pub affected: String,
    /// Which data the task uses.
    #[serde(default)]
    pub data: String,
    #[serde(default)]
    pub expected_benefit: String,
    /// The volume in words, e.g. "ca. 1.200 Anträge pro Jahr".
    #[serde(default)]
    pub volume: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cases_per_year: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
}

impl Intake {
    /// Checks what an idea needs before it can be submitted.
    pub fn validate(&self) -> Result<(), UseCaseError> {
        let mut missing = Vec::new();
        if self.title.trim().is_empty() {
            missing.push("Titel");
        }
        if self.problem.trim().is_empty() {
            missing.push("Problem");
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(UseCaseError::IncompleteIntake { missing })
        }
    }

    /// Turns a free-text answer from the survey into an idea: the first
    /// sentence (at most 80 characters) becomes the title, the whole text the
    /// problem.
    pub fn from_survey_text(text: &str, department: Option<&str>) -> Intake {
        let text = text.trim();
        let first = text
            .split_terminator(['.', '!', '?', '\n'])
            .next()
            .unwrap_or(text)
            .trim();
        let mut title: String = first.chars().take(80).collect();
        if first.chars().count() > 80 {
            title.truncate(title.trim_end().len());
            title.push('…');
        }
        Intake {
            title,
            problem: text.to_owned(),
            department: department.map(str::to_owned),
            ..Intake::default()
        }
    }
}

/// Data classes of a typical KI-Richtlinie, ordered from least to most
/// protected. The highest class of a use case decides which backends may see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataClass {
    Public,
    Internal,
    Confidential,
    Personal,
    /// Special categories of personal data, Art. 9 GDPR.
    SpecialCategories,
}

impl DataClass {
    pub const ALL: [DataClass; 5] = [
        DataClass::Public,
        DataClass::Internal,
        DataClass::Confidential,
        DataClass::Personal,
        DataClass::SpecialCategories,
    ];

    pub fn label(self) -> &'static str {
        match self {
            DataClass::Public => "öffentlich",
            DataClass::Internal => "intern",
            DataClass::Confidential => "vertraulich",
            DataClass::Personal => "personenbezogen",
            DataClass::SpecialCategories => "besondere Kategorien (Art. 9 DSGVO)",
        }
    }

    pub fn is_personal(self) -> bool {
        matches!(self, DataClass::Personal | DataClass::SpecialCategories)
    }
}

/// The kind of AI a use case needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AiKind {
    GenerativeText,
    Classification,
    Extraction,
    Vision,
    Speech,
}

impl AiKind {
    pub const ALL: [AiKind; 5] = [
        AiKind::GenerativeText,
        AiKind::Classification,
        AiKind::Extraction,
        AiKind::Vision,
        AiKind::Speech,
    ];

    pub fn label(self) -> &'static str {
        match self {
            AiKind::GenerativeText => "generative Texte",
            AiKind::Classification => "Klassifikation",
            AiKind::Extraction => "Informationsextraktion",
            AiKind::Vision => "Bilderkennung",
            AiKind::Speech => "Spracherkennung/-ausgabe",
        }
    }
}

/// How people oversee the system's output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HumanOversight {
    /// A person checks every result before it takes effect (human in the loop).
    EveryResult,
    /// People monitor and check samples (human on the loop).
    Sampling,
    /// Results take effect without a person checking them.
    None,
}

impl HumanOversight {
    pub const ALL: [HumanOversight; 3] = [
        HumanOversight::EveryResult,
        HumanOversight::Sampling,
        HumanOversight::None,
    ];

    pub fn label(self) -> &'static str {
        match self {
            HumanOversight::EveryResult => "jedes Ergebnis wird von einem Menschen geprüft",
            HumanOversight::Sampling => "Stichproben und laufende Überwachung",
            HumanOversight::None => "keine menschliche Prüfung",
        }
    }
}

/// How the system connects to the specialist procedure (Fachverfahren).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Integration {
    pub kind: IntegrationKind,
    /// The specialist procedure, if any, e.g. "OK.SOZIUS".
    #[serde(default)]
    pub procedure: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntegrationKind {
    /// Used on its own, next to the specialist procedure.
    Standalone,
    /// Results are copied or imported by hand.
    ManualTransfer,
    /// Connected by an interface.
    Interface,
}

impl IntegrationKind {
    pub const ALL: [IntegrationKind; 3] = [
        IntegrationKind::Standalone,
        IntegrationKind::ManualTransfer,
        IntegrationKind::Interface,
    ];

    pub fn label(self) -> &'static str {
        match self {
            IntegrationKind::Standalone => "eigenständig",
            IntegrationKind::ManualTransfer => "Übertragung von Hand",
            IntegrationKind::Interface => "Schnittstelle",
        }
    }
}

/// A value on a scale from 1 (low) to 5 (high).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Rating(u8);

impl Rating {
    pub const MIN: u8 = 1;
    pub const MAX: u8 = 5;

    pub fn new(value: u8) -> Option<Rating> {
        (Self::MIN..=Self::MAX)
            .contains(&value)
            .then_some(Rating(value))
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for Rating {
    type Error = String;

    fn try_from(value: u8) -> Result<Self, Self::Error> {
        Rating::new(value).ok_or_else(|| format!("Bewertung {value} liegt nicht zwischen 1 und 5"))
    }
}

impl From<Rating> for u8 {
    fn from(r: Rating) -> u8 {
        r.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSource {
    pub name: String,
    pub class: DataClass,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Benefit {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours_saved_per_year: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<Rating>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citizen_service: Option<Rating>,
}

/// Feasibility. For effort and cost a higher rating means *more* effort or
/// cost; scoring turns them around.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Feasibility {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_availability: Option<Rating>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub technical_maturity: Option<Rating>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effort: Option<Rating>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<Rating>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Risk {
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub likelihood: Option<Rating>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact: Option<Rating>,
    #[serde(default)]
    pub mitigation: String,
}

/// The canvas of a use case as the project team assesses it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Canvas {
    #[serde(default)]
    pub goal: String,
    #[serde(default)]
    pub users: String,
    #[serde(default)]
    pub data_sources: Vec<DataSource>,
    #[serde(default)]
    pub ai_kinds: Vec<AiKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub human_oversight: Option<HumanOversight>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration: Option<Integration>,
    #[serde(default)]
    pub benefit: Benefit,
    #[serde(default)]
    pub feasibility: Feasibility,
    #[serde(default)]
    pub risks: Vec<Risk>,
    /// Ratings for criteria a municipality adds itself, by criterion id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ratings: BTreeMap<String, Rating>,
}

pub use super::canvas_field::CanvasField;

impl Canvas {
    /// Every field the project team still has to fill in, in canvas order.
    /// An assessment needs all of them; scoring needs only those its criteria
    /// use (see `scoring`).
    pub fn missing_fields(&self) -> Vec<CanvasField> {
        let mut missing = Vec::new();
        let mut need = |absent: bool, field: CanvasField| {
            if absent {
                missing.push(field);
            }
        };
        need(self.goal.trim().is_empty(), CanvasField::Goal);
        need(self.users.trim().is_empty(), CanvasField::Users);
        need(self.data_sources.is_empty(), CanvasField::DataSources);
        need(self.ai_kinds.is_empty(), CanvasField::AiKinds);
        need(self.human_oversight.is_none(), CanvasField::HumanOversight);
        need(self.integration.is_none(), CanvasField::Integration);
        need(
            self.benefit.hours_saved_per_year.is_none(),
            CanvasField::HoursSavedPerYear,
        );
        need(self.benefit.quality.is_none(), CanvasField::Quality);
        need(
            self.benefit.citizen_service.is_none(),
            CanvasField::CitizenService,
        );
        need(
            self.feasibility.data_availability.is_none(),
            CanvasField::DataAvailability,
        );
        need(
            self.feasibility.technical_maturity.is_none(),
            CanvasField::TechnicalMaturity,
        );
        need(self.feasibility.effort.is_none(), CanvasField::Effort);
        need(self.feasibility.cost.is_none(), CanvasField::Cost);
        need(self.risks.is_empty(), CanvasField::Risks);
        missing
    }

    /// The most protected data class among the data sources, if any.
    pub fn highest_data_class(&self) -> Option<DataClass> {
        self.data_sources.iter().map(|s| s.class).max()
    }

    /// Checks values that serde cannot: hours saved must be a finite number ≥ 0.
    pub fn validate(&self) -> Result<(), UseCaseError> {
        match self.benefit.hours_saved_per_year {
            Some(h) if !h.is_finite() || h < 0.0 => Err(UseCaseError::InvalidCanvas {
                problems: vec![format!(
                    "eingesparte Stunden pro Jahr müssen eine Zahl ≥ 0 sein, nicht {h}"
                )],
            }),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_canvas_misses_every_field() {
        let missing = Canvas::default().missing_fields();
        assert_eq!(missing.len(), 14);
        assert_eq!(missing[0], CanvasField::Goal);
        assert_eq!(missing[13], CanvasField::Risks);
    }

    #[test]
    fn ratings_outside_one_to_five_are_rejected_when_parsing() {
        let err = serde_json::from_str::<Feasibility>(r#"{"effort": 6}"#).unwrap_err();
        assert!(err.to_string().contains("zwischen 1 und 5"), "{err}");
        assert!(Rating::new(0).is_none());
        assert_eq!(Rating::new(5).map(Rating::get), Some(5));
    }

    #[test]
    fn special_categories_are_the_highest_data_class() {
        let canvas = Canvas {
            data_sources: vec![
                DataSource {
                    name: "Akte".into(),
                    class: DataClass::SpecialCategories,
                },
                DataSource {
                    name: "Webseite".into(),
                    class: DataClass::Public,
                },
                DataSource {
                    name: "Antrag".into(),
                    class: DataClass::Personal,
                },
            ],
            ..Canvas::default()
        };
        assert_eq!(
            canvas.highest_data_class(),
            Some(DataClass::SpecialCategories)
        );
        assert!(DataClass::Personal.is_personal());
        assert!(!DataClass::Confidential.is_personal());
    }

    #[test]
    fn a_survey_text_becomes_an_idea_titled_by_its_first_sentence() {
        let intake = Intake::from_survey_text(
            "  Protokolle schreiben dauert ewig. Eine KI könnte helfen.",
            Some("Hauptamt"),
        );
        assert_eq!(intake.title, "Protokolle schreiben dauert ewig");
        assert!(intake.problem.ends_with("helfen."));
        assert_eq!(intake.department.as_deref(), Some("Hauptamt"));
        assert!(intake.validate().is_ok());
    }

    #[test]
    fn an_idea_without_title_and_problem_names_both() {
        let err = Intake::default().validate().unwrap_err();
        assert_eq!(
            err,
            UseCaseError::IncompleteIntake {
                missing: vec!["Titel", "Problem"]
            }
        );
    }

    #[test]
    fn negative_hours_saved_are_rejected() {
        let mut canvas = Canvas::default();
        canvas.benefit.hours_saved_per_year = Some(-3.0);
        assert!(canvas.validate().is_err());
        canvas.benefit.hours_saved_per_year = Some(f64::NAN);
        assert!(canvas.validate().is_err());
    }
}
