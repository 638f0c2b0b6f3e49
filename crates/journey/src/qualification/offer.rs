//! Learning offers (Lernangebote) and education partners
//! (Bildungskooperationen).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::{is_http_url, QualificationError};
use crate::competency::CompetencyModel;
use crate::survey::is_valid_id;
use crate::usecase::is_iso_date;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderType {
    Bund,
    Land,
    Kommune,
    Hochschule,
    Volkshochschule,
    Studieninstitut,
    Verein,
    Unternehmen,
    Intern,
}

impl ProviderType {
    pub const ALL: [ProviderType; 9] = [
        ProviderType::Bund,
        ProviderType::Land,
        ProviderType::Kommune,
        ProviderType::Hochschule,
        ProviderType::Volkshochschule,
        ProviderType::Studieninstitut,
        ProviderType::Verein,
        ProviderType::Unternehmen,
        ProviderType::Intern,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ProviderType::Bund => "Bund",
            ProviderType::Land => "Land",
            ProviderType::Kommune => "Kommune",
            ProviderType::Hochschule => "Hochschule",
            ProviderType::Volkshochschule => "Volkshochschule",
            ProviderType::Studieninstitut => "Studieninstitut",
            ProviderType::Verein => "Verein, Stiftung",
            ProviderType::Unternehmen => "Unternehmen",
            ProviderType::Intern => "eigene Verwaltung",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Self-paced online course.
    OnlineSelbstlern,
    /// Live online session (webinar).
    OnlineLive,
    Praesenz,
    /// Mix of online and classroom.
    Blended,
}

impl Format {
    pub const ALL: [Format; 4] = [
        Format::OnlineSelbstlern,
        Format::OnlineLive,
        Format::Praesenz,
        Format::Blended,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Format::OnlineSelbstlern => "Online, selbstgesteuert",
            Format::OnlineLive => "Online, live",
            Format::Praesenz => "Präsenz",
            Format::Blended => "Blended Learning",
        }
    }

    /// The schema.org `courseMode` value.
    pub fn course_mode(self) -> &'static str {
        match self {
            Format::OnlineSelbstlern | Format::OnlineLive => "online",
            Format::Praesenz => "onsite",
            Format::Blended => "blended",
        }
    }
}

/// What an offer teaches: it takes a person who has at least level `from` in
/// `area` to level `to`. `from` is the prerequisite.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coverage {
    pub area: String,
    pub from: u8,
    pub to: u8,
}

impl Coverage {
    /// The level after the offer for someone at `current`: raised to `to`
    /// when the prerequisite is met and the offer teaches something new.
    pub fn apply(&self, current: u8) -> u8 {
        if self.from <= current && current < self.to {
            self.to
        } else {
            current
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LearningOffer {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub provider: String,
    pub provider_type: ProviderType,
    pub format: Format,
    /// Expected learning time per person.
    pub duration_hours: f64,
    /// Cost per participant in euros; `None` when unknown (on request).
    #[serde(default)]
    pub cost_eur: Option<f64>,
    /// BCP 47 language tag, e.g. `de`.
    pub language: String,
    /// What the provider says about accessibility (BITV, subtitles, …).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub accessibility: String,
    /// What participants receive, e.g. "Teilnahmebestätigung", "Open Badge".
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub certificate: String,
    /// Licence of the material, e.g. "CC BY-SA 4.0" or "proprietär".
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub licence: String,
    /// Public page of the offer; internal trainings may have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub covers: Vec<Coverage>,
    /// The education partner that runs it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner: Option<String>,
    /// When a person last checked the public data (`YYYY-MM-DD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_on: Option<String>,
}

impl LearningOffer {
    /// The level after this offer, for one area.
    pub fn apply(&self, area: &str, current: u8) -> u8 {
        self.covers
            .iter()
            .filter(|c| c.area == area)
            .fold(current, |level, c| c.apply(level))
    }

    pub fn cost_or_zero(&self) -> f64 {
        self.cost_eur.unwrap_or(0.0)
    }

    /// Everything wrong with the offer on its own and against the model.
    pub fn problems(&self, model: &CompetencyModel) -> Vec<String> {
        self.issues(model).into_iter().map(|(_, m)| m).collect()
    }

    /// [`Self::problems`] with the form field each belongs to (the field
    /// names of the catalogue schema; `covers.<area>` for one area), so an
    /// editor can show each message beside its field.
    pub fn issues(&self, model: &CompetencyModel) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut push = |field: &str, message: String| out.push((field.to_string(), message));
        if !is_valid_id(&self.id) {
            push("id", "Die Kennung darf nur Buchstaben, Ziffern, _ und - enthalten (höchstens 64 Zeichen).".to_string());
        }
        if self.title.trim().is_empty() {
            push("title", "Der Titel fehlt.".to_string());
        }
        if self.provider.trim().is_empty() {
            push("provider", "Der Anbieter fehlt.".to_string());
        }
        if !(self.duration_hours.is_finite() && self.duration_hours > 0.0) {
            push(
                "duration_hours",
                format!(
                    "Die Dauer muss eine positive Stundenzahl sein (angegeben: {}).",
                    self.duration_hours
                ),
            );
        }
        if let Some(cost) = self.cost_eur {
            if !(cost.is_finite() && cost >= 0.0) {
                push(
                    "cost_eur",
                    format!("Die Kosten dürfen nicht negativ sein (angegeben: {cost})."),
                );
            }
        }
        if self.language.trim().is_empty() {
            push("language", "Die Sprache fehlt.".to_string());
        }
        if let Some(url) = &self.url {
            if !is_http_url(url) {
                push(
                    "url",
                    format!("Die Adresse „{url}“ ist keine http(s)-Adresse."),
                );
            }
        }
        if let Some(date) = &self.checked_on {
            if !is_iso_date(date) {
                push(
                    "checked_on",
                    format!("Das Prüfdatum „{date}“ ist kein Datum der Form JJJJ-MM-TT."),
                );
            }
        }
        if self.covers.is_empty() {
            push(
                "covers",
                "Es ist kein Kompetenzbereich angegeben, den das Angebot vermittelt.".to_string(),
            );
        }
        let max = model.max_level();
        let mut seen = HashSet::new();
        for c in &self.covers {
            let field = format!("covers.{}", c.area);
            if model.area(&c.area).is_none() {
                push(
                    &field,
                    format!("Den Kompetenzbereich „{}“ gibt es nicht.", c.area),
                );
            }
            if c.from >= c.to || c.to > max {
                push(&field, format!(
                    "Bereich „{}“: Die Stufen {}→{} sind ungültig (von muss kleiner als bis sein, höchstens {max}).",
                    c.area, c.from, c.to
                ));
            }
            if !seen.insert(c.area.as_str()) {
                push(
                    &field,
                    format!("Der Bereich „{}“ ist doppelt angegeben.", c.area),
                );
            }
        }
        out
    }

    pub fn validate(&self, model: &CompetencyModel) -> Result<(), QualificationError> {
        let problems = self.problems(model);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(QualificationError::InvalidOffer {
                offer: self.id.clone(),
                problems,
            })
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartnerKind {
    Volkshochschule,
    Studieninstitut,
    Hochschule,
    Land,
    Bund,
    Sonstige,
}

impl PartnerKind {
    pub const ALL: [PartnerKind; 6] = [
        PartnerKind::Volkshochschule,
        PartnerKind::Studieninstitut,
        PartnerKind::Hochschule,
        PartnerKind::Land,
        PartnerKind::Bund,
        PartnerKind::Sonstige,
    ];

    pub fn label(self) -> &'static str {
        match self {
            PartnerKind::Volkshochschule => "Volkshochschule",
            PartnerKind::Studieninstitut => "Studieninstitut",
            PartnerKind::Hochschule => "Hochschule",
            PartnerKind::Land => "Land",
            PartnerKind::Bund => "Bund",
            PartnerKind::Sonstige => "Sonstige",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CooperationStatus {
    Idee,
    Angefragt,
    InGespraech,
    Vereinbart,
    Ruhend,
    Beendet,
}

impl CooperationStatus {
    pub const ALL: [CooperationStatus; 6] = [
        CooperationStatus::Idee,
        CooperationStatus::Angefragt,
        CooperationStatus::InGespraech,
        CooperationStatus::Vereinbart,
        CooperationStatus::Ruhend,
        CooperationStatus::Beendet,
    ];

    pub fn label(self) -> &'static str {
        match self {
            CooperationStatus::Idee => "Idee",
            CooperationStatus::Angefragt => "angefragt",
            CooperationStatus::InGespraech => "im Gespräch",
            CooperationStatus::Vereinbart => "vereinbart",
            CooperationStatus::Ruhend => "ruhend",
            CooperationStatus::Beendet => "beendet",
        }
    }
}

/// An education partner (Bildungskooperation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EducationPartner {
    pub id: String,
    pub name: String,
    pub kind: PartnerKind,
    pub status: CooperationStatus,
    /// Contact person or office; no private data in the seed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub contact: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

impl EducationPartner {
    pub fn problems(&self) -> Vec<String> {
        self.issues().into_iter().map(|(_, m)| m).collect()
    }

    /// [`Self::problems`] with the field each belongs to.
    pub fn issues(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if !is_valid_id(&self.id) {
            out.push((
                "id",
                format!(
                    "Bildungspartner „{}“: Die Kennung darf nur Buchstaben, Ziffern, _ und - enthalten.",
                    self.id
                ),
            ));
        }
        if self.name.trim().is_empty() {
            out.push((
                "name",
                format!("Bildungspartner „{}“: Der Name fehlt.", self.id),
            ));
        }
        if let Some(url) = self.url.as_deref().filter(|u| !is_http_url(u)) {
            out.push((
                "url",
                format!(
                    "Bildungspartner „{}“: Die Adresse „{url}“ ist keine http(s)-Adresse.",
                    self.id
                ),
            ));
        }
        out
    }
}

/// Where a learning path looks up its offers by id: the catalogue, in
/// practice. A trait so that paths need not know the catalogue's shape.
pub trait OfferLookup {
    fn offer(&self, id: &str) -> Option<&LearningOffer>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qualification::catalogue::Catalogue;

    fn model() -> CompetencyModel {
        CompetencyModel::default_model().unwrap()
    }

    #[test]
    fn the_shipped_catalogue_is_valid_and_dated() {
        let catalogue = Catalogue::shipped(&model()).unwrap();
        assert!(catalogue.offers.len() >= 5);
        assert!(!catalogue.partners.is_empty());
        assert!(!catalogue.paths.is_empty());
        for offer in catalogue
            .offers
            .iter()
            .filter(|o| o.provider_type != ProviderType::Intern)
        {
            assert!(offer.url.is_some(), "{} hat keine Adresse", offer.id);
            assert!(
                offer.checked_on.is_some(),
                "{} hat kein Prüfdatum",
                offer.id
            );
        }
    }

    #[test]
    fn an_offer_with_a_non_http_url_is_rejected_by_name() {
        let mut catalogue = Catalogue::shipped(&model()).unwrap();
        catalogue.offers[0].url = Some("ftp://example.org/kurs".into());
        let err = catalogue.offers[0]
            .validate(&model())
            .unwrap_err()
            .to_string();
        assert!(err.contains(&catalogue.offers[0].id), "{err}");
        assert!(err.contains("ftp://example.org/kurs"), "{err}");
    }

    #[test]
    fn an_offer_for_an_unknown_area_or_backward_levels_is_rejected() {
        let mut offer = Catalogue::shipped(&model()).unwrap().offers[0].clone();
        offer.covers = vec![
            Coverage {
                area: "zauberei".into(),
                from: 0,
                to: 1,
            },
            Coverage {
                area: "ki_verstehen".into(),
                from: 2,
                to: 1,
            },
        ];
        let problems = offer.problems(&model()).join(
            "
",
        );
        assert!(problems.contains("zauberei"), "{problems}");
        assert!(problems.contains("2→1"), "{problems}");
    }

    #[test]
    fn coverage_raises_only_when_the_prerequisite_is_met() {
        let c = Coverage {
            area: "a".into(),
            from: 1,
            to: 3,
        };
        assert_eq!(c.apply(0), 0);
        assert_eq!(c.apply(1), 3);
        assert_eq!(c.apply(2), 3);
        assert_eq!(c.apply(4), 4);
    }
}
