//! The catalogue: learning offers, education partners and learning paths as
//! one exchangeable unit.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::offer::{EducationPartner, LearningOffer, OfferLookup};
use super::path::LearningPath;
use super::{parse_yaml, QualificationError};
use crate::competency::CompetencyModel;

/// Offers, partners and paths as one exchangeable unit.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub offers: Vec<LearningOffer>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partners: Vec<EducationPartner>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<LearningPath>,
}

impl Catalogue {
    /// Parses a catalogue (YAML or JSON) and checks it against the model.
    pub fn parse(
        file: &str,
        text: &str,
        model: &CompetencyModel,
    ) -> Result<Catalogue, QualificationError> {
        let catalogue: Catalogue = parse_yaml(file, text)?;
        let problems = catalogue.problems(model);
        if problems.is_empty() {
            Ok(catalogue)
        } else {
            Err(QualificationError::InvalidContent {
                file: file.to_owned(),
                problems,
            })
        }
    }

    /// The seed catalogue shipped in `content/de/qualification/angebote.yaml`.
    pub fn shipped(model: &CompetencyModel) -> Result<Catalogue, QualificationError> {
        Catalogue::parse(super::CATALOGUE.path, super::CATALOGUE.default_text, model)
    }

    pub fn offer(&self, id: &str) -> Option<&LearningOffer> {
        self.offers.iter().find(|o| o.id == id)
    }

    pub fn path(&self, id: &str) -> Option<&LearningPath> {
        self.paths.iter().find(|p| p.id == id)
    }

    /// Every problem of every item, each naming the item.
    pub fn problems(&self, model: &CompetencyModel) -> Vec<String> {
        let mut out = Vec::new();
        let mut ids = HashSet::new();
        let mut urls = HashSet::new();
        let partner_ids: HashSet<&str> = self.partners.iter().map(|p| p.id.as_str()).collect();
        for offer in &self.offers {
            out.extend(
                offer
                    .problems(model)
                    .into_iter()
                    .map(|p| format!("Lernangebot „{}“: {p}", offer.id)),
            );
            if !ids.insert(offer.id.as_str()) {
                out.push(format!("Lernangebot „{}“ ist doppelt vorhanden.", offer.id));
            }
            if let Some(url) = &offer.url {
                if !urls.insert(url.as_str()) {
                    out.push(format!(
                        "Lernangebot „{}“: Die Adresse {url} gehört schon zu einem anderen Angebot.",
                        offer.id
                    ));
                }
            }
            if let Some(p) = offer
                .partner
                .as_deref()
                .filter(|p| !partner_ids.contains(p))
            {
                out.push(format!(
                    "Lernangebot „{}“: Den Bildungspartner „{p}“ gibt es nicht.",
                    offer.id
                ));
            }
        }
        let mut partners = HashSet::new();
        for partner in &self.partners {
            out.extend(partner.problems());
            if !partners.insert(partner.id.as_str()) {
                out.push(format!(
                    "Bildungspartner „{}“ ist doppelt vorhanden.",
                    partner.id
                ));
            }
        }
        let mut paths = HashSet::new();
        for path in &self.paths {
            out.extend(
                path.problems(self, model)
                    .into_iter()
                    .map(|p| format!("Lernpfad „{}“: {p}", path.id)),
            );
            if !paths.insert(path.id.as_str()) {
                out.push(format!("Lernpfad „{}“ ist doppelt vorhanden.", path.id));
            }
        }
        out
    }
}

impl OfferLookup for Catalogue {
    fn offer(&self, id: &str) -> Option<&LearningOffer> {
        Catalogue::offer(self, id)
    }
}
