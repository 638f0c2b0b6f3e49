//! Qualifizierung: from "what our staff know" to "what each person should
//! learn next" to "proof that they did" (EU AI Act Art. 4).
//!
//! The competency model and role profiles live in [`crate::competency`]; this
//! module adds what is built on them:
//!
//! 1. Catalogue: [`catalogue::Catalogue`] of learning offers, education partners
//!    and learning paths (`content/de/qualification/angebote.yaml`).
//! 2. Evaluation: [`rubric::Rubric`] (`content/de/qualification/bewertung.yaml`)
//!    scores an [`rubric::Evaluation`] per offer; [`rubric::compare`] puts
//!    offers side by side.
//! 3. Paths: [`path::LearningPath::validate`] (cycles, empty steps, unknown
//!    offers) and [`path::LearningPath::outcome`].
//! 4. Planner: [`planner::plan`] turns current levels per department × role
//!    into gaps, proposed paths, uncovered gaps, hours and cost;
//!    [`heatmap::heatmap_svg`] and [`heatmap::heatmap_table_html`] show it.
//! 5. Trainings: [`training::enrol`] decides between a seat and the waiting
//!    list; [`ical`] writes sessions as iCalendar.
//! 6. Credentials: [`badge`] issues and verifies Open Badges 3.0 documents
//!    signed with the instance's Ed25519 key.
//! 7. Evidence: [`evidence::art4_report`] per department and role, as CSV and
//!    Markdown.
//! 8. Exchange: [`exchange`] (catalogue JSON with merge, offers CSV) and
//!    [`jsonld`] (schema.org `Course` with LRMI alignment).
//!
//! No I/O: callers hand in text, keys and timestamps and store what comes back.

pub mod badge;
pub mod catalogue;
pub mod evidence;
pub mod exchange;
pub mod heatmap;
pub mod ical;
pub mod jsonld;
pub mod offer;
pub mod path;
pub mod planner;
pub mod rubric;
pub mod training;

mod error;

pub use error::QualificationError;

use crate::content::ContentFile;

/// The seed catalogue: real public offers, education partners, paths.
pub const CATALOGUE: ContentFile = ContentFile {
    path: "qualification/angebote.yaml",
    default_text: include_str!("../../../../content/de/qualification/angebote.yaml"),
};

/// The default evaluation rubric.
pub const RUBRIC: ContentFile = ContentFile {
    path: "qualification/bewertung.yaml",
    default_text: include_str!("../../../../content/de/qualification/bewertung.yaml"),
};

fn parse_yaml<T: serde::de::DeserializeOwned>(
    file: &str,
    text: &str,
) -> Result<T, QualificationError> {
    serde_yaml::from_str(text).map_err(|e| QualificationError::Parse {
        file: file.to_owned(),
        message: e.to_string(),
    })
}

/// True for an absolute `http://` or `https://` URL with a host.
pub fn is_http_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(rest) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            !host.is_empty() && !url.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    }
}

/// The shipped model and seed catalogue, for tests.
#[cfg(test)]
pub(crate) fn shipped() -> (crate::competency::CompetencyModel, catalogue::Catalogue) {
    let model = crate::competency::CompetencyModel::default_model().expect("shipped model");
    let catalogue = catalogue::Catalogue::shipped(&model).expect("shipped catalogue");
    (model, catalogue)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_and_https_urls_with_a_host_are_accepted() {
        assert!(is_http_url("https://ki-campus.org/"));
        assert!(is_http_url("http://example.org/kurs?id=1"));
        assert!(!is_http_url("ftp://example.org/"));
        assert!(!is_http_url("javascript:alert(1)"));
        assert!(!is_http_url("https:///pfad"));
        assert!(!is_http_url("https://example.org/mit leerzeichen"));
    }
}
