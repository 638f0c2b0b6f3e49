//! A field of the use-case canvas, named in messages about what is missing.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A field of the canvas, for messages about what is missing.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CanvasField {
    Goal,
    Users,
    DataSources,
    AiKinds,
    HumanOversight,
    Integration,
    HoursSavedPerYear,
    Quality,
    CitizenService,
    DataAvailability,
    TechnicalMaturity,
    Effort,
    Cost,
    Risks,
    /// A municipality's own criterion, by id.
    Rating(String),
}

impl fmt::Display for CanvasField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self {
            CanvasField::Goal => "Ziel",
            CanvasField::Users => "Nutzende",
            CanvasField::DataSources => "Datenquellen",
            CanvasField::AiKinds => "Art der KI",
            CanvasField::HumanOversight => "menschliche Aufsicht",
            CanvasField::Integration => "Anbindung an das Fachverfahren",
            CanvasField::HoursSavedPerYear => "eingesparte Stunden pro Jahr",
            CanvasField::Quality => "Qualität",
            CanvasField::CitizenService => "Bürgerservice",
            CanvasField::DataAvailability => "Datenverfügbarkeit",
            CanvasField::TechnicalMaturity => "technische Reife",
            CanvasField::Effort => "Aufwand",
            CanvasField::Cost => "Kosten",
            CanvasField::Risks => "Risiken",
            CanvasField::Rating(id) => return write!(f, "Bewertung „{id}“"),
        };
        f.write_str(label)
    }
}
