//! The competency model (Kompetenzrahmen): AI-literacy areas for public
//! administration, four levels with observable descriptors, and role profiles
//! with a target level per area.
//!
//! The model is data (`content/de/competencies.yaml`, schema
//! `schemas/competencies.schema.json`); this module parses and checks it. The
//! survey uses its areas for the self-assessment and its role profiles for
//! the gap per department; the learning-path planner uses the same targets.
//! Nothing here knows about offers or learners.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::content::ContentFile;

/// The shipped default competency model.
pub const COMPETENCIES: ContentFile = ContentFile {
    path: "competencies.yaml",
    default_text: include_str!("../../../../content/de/competencies.yaml"),
};

/// Level 0 means "no knowledge yet"; real levels start at 1.
pub const NO_LEVEL: u8 = 0;

#[derive(Debug, thiserror::Error)]
pub enum CompetencyError {
    #[error("Der Kompetenzrahmen ist kein gültiges YAML/JSON: {0}")]
    Parse(String),
    #[error("Der Kompetenzrahmen ist fehlerhaft: {}", .0.join(" "))]
    Invalid(Vec<String>),
}

/// The whole framework as written in `competencies.yaml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompetencyModel {
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    pub id: String,
    pub version: u32,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Where the level bands come from, for the reader of exported documents.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Source>,
    pub levels: Vec<Level>,
    pub areas: Vec<Area>,
    pub role_profiles: Vec<RoleProfile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// One of the four levels, with its place in DigComp 2.2 and UNESCO.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    pub level: u8,
    pub name: String,
    pub description: String,
    pub digcomp: DigCompBand,
    pub unesco: UnescoStage,
}

/// DigComp 2.2 proficiency band and the proficiency levels (1–8) it covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigCompBand {
    pub band: DigCompBandName,
    pub proficiency_levels: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DigCompBandName {
    Foundation,
    Intermediate,
    Advanced,
    HighlySpecialised,
}

impl DigCompBandName {
    /// The proficiency levels DigComp 2.2 puts into this band.
    pub fn proficiency_levels(self) -> [u8; 2] {
        match self {
            DigCompBandName::Foundation => [1, 2],
            DigCompBandName::Intermediate => [3, 4],
            DigCompBandName::Advanced => [5, 6],
            DigCompBandName::HighlySpecialised => [7, 8],
        }
    }
}

/// The progression stages of the UNESCO AI competency frameworks (2024):
/// for students Understand → Apply → Create, for teachers Acquire → Deepen →
/// Create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnescoStage {
    pub students: UnescoStudentStage,
    pub teachers: UnescoTeacherStage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnescoStudentStage {
    Understand,
    Apply,
    Create,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnescoTeacherStage {
    Acquire,
    Deepen,
    Create,
}

/// A competency area with what a person can observably do at each level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Area {
    pub id: String,
    pub name: String,
    /// Short form for tables and the survey matrix.
    pub short_name: String,
    pub description: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topics: Vec<String>,
    pub descriptors: Vec<LevelDescriptors>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelDescriptors {
    pub level: u8,
    /// "Die Person kann …" statements a trainer or colleague can observe.
    pub can_do: Vec<String>,
}

/// A role with its target level per area.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleProfile {
    pub id: String,
    pub name: String,
    pub description: String,
    /// The profile everyone has; others add to it. Exactly one is the baseline.
    #[serde(default)]
    pub baseline: bool,
    /// Whether staff pick this role in the survey as their kind of role.
    /// A KI-Lotse is something one becomes, so that profile is not offered.
    #[serde(default = "yes")]
    pub selectable: bool,
    /// Label in the survey, if it should differ from `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub survey_label: Option<String>,
    pub targets: BTreeMap<String, u8>,
}

fn yes() -> bool {
    true
}

impl CompetencyModel {
    /// Parses YAML (or JSON, which is YAML) and validates the result.
    pub fn parse(text: &str) -> Result<Self, CompetencyError> {
        let model: CompetencyModel =
            serde_yaml::from_str(text).map_err(|e| CompetencyError::Parse(e.to_string()))?;
        let problems = model.problems();
        if problems.is_empty() {
            Ok(model)
        } else {
            Err(CompetencyError::Invalid(problems))
        }
    }

    /// The model shipped in `content/de/competencies.yaml`.
    pub fn default_model() -> Result<Self, CompetencyError> {
        Self::parse(COMPETENCIES.default_text)
    }

    pub fn max_level(&self) -> u8 {
        self.levels.iter().map(|l| l.level).max().unwrap_or(0)
    }

    pub fn area(&self, id: &str) -> Option<&Area> {
        self.areas.iter().find(|a| a.id == id)
    }

    pub fn role_profile(&self, id: &str) -> Option<&RoleProfile> {
        self.role_profiles.iter().find(|r| r.id == id)
    }

    pub fn baseline(&self) -> Option<&RoleProfile> {
        self.role_profiles.iter().find(|r| r.baseline)
    }

    /// The target level for a person in `role` (or only the baseline when
    /// the role is unknown): the higher of the baseline and the role.
    pub fn target(&self, role: Option<&str>, area: &str) -> u8 {
        let base = self
            .baseline()
            .and_then(|b| b.targets.get(area).copied())
            .unwrap_or(NO_LEVEL);
        let own = role
            .and_then(|r| self.role_profile(r))
            .and_then(|p| p.targets.get(area).copied())
            .unwrap_or(NO_LEVEL);
        base.max(own)
    }

    /// The model with role profiles replaced by those edited in the browser
    /// (matched by id; new ids are added). The result is checked as a whole,
    /// so an override cannot lower a role below the baseline.
    pub fn with_role_overrides(&self, overrides: &[RoleProfile]) -> Result<Self, CompetencyError> {
        let mut model = self.clone();
        for o in overrides {
            match model.role_profiles.iter_mut().find(|r| r.id == o.id) {
                Some(r) => *r = o.clone(),
                None => model.role_profiles.push(o.clone()),
            }
        }
        let problems = model.problems();
        if problems.is_empty() {
            Ok(model)
        } else {
            Err(CompetencyError::Invalid(problems))
        }
    }

    /// Everything wrong with the model, in German, each naming what it is about.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        // Levels: 1..=n without gaps, DigComp bands rising and consistent.
        let levels: Vec<u8> = self.levels.iter().map(|l| l.level).collect();
        let expected: Vec<u8> = (1..=self.levels.len() as u8).collect();
        if self.levels.is_empty() {
            out.push("Es ist keine Kompetenzstufe definiert.".to_string());
        } else if levels != expected {
            out.push(format!(
                "Die Stufen müssen lückenlos ab 1 nummeriert sein (gefunden: {levels:?})."
            ));
        }
        for pair in self.levels.windows(2) {
            if pair[1].digcomp.band < pair[0].digcomp.band {
                out.push(format!(
                    "Stufe {}: Das DigComp-Band darf nicht unter dem der Stufe {} liegen.",
                    pair[1].level, pair[0].level
                ));
            }
            if pair[1].unesco.students < pair[0].unesco.students
                || pair[1].unesco.teachers < pair[0].unesco.teachers
            {
                out.push(format!(
                    "Stufe {}: Die UNESCO-Stufe darf nicht unter der von Stufe {} liegen.",
                    pair[1].level, pair[0].level
                ));
            }
        }
        for level in &self.levels {
            let allowed = level.digcomp.band.proficiency_levels();
            if level.digcomp.proficiency_levels.is_empty()
                || level
                    .digcomp
                    .proficiency_levels
                    .iter()
                    .any(|p| !allowed.contains(p))
            {
                out.push(format!(
                    "Stufe {}: Die DigComp-Niveaus {:?} passen nicht zum Band (erlaubt: {:?}).",
                    level.level, level.digcomp.proficiency_levels, allowed
                ));
            }
            if level.name.trim().is_empty() || level.description.trim().is_empty() {
                out.push(format!(
                    "Stufe {}: Name und Beschreibung dürfen nicht leer sein.",
                    level.level
                ));
            }
        }

        let mut area_ids = HashSet::new();
        for area in &self.areas {
            if !crate::survey::is_valid_id(&area.id) {
                out.push(format!(
                    "Kompetenzbereich „{}“: Die Kennung darf nur Buchstaben, Ziffern, _ und - enthalten.",
                    area.id
                ));
            }
            if !area_ids.insert(area.id.as_str()) {
                out.push(format!(
                    "Kompetenzbereich „{}“ ist doppelt vorhanden.",
                    area.id
                ));
            }
            let described: Vec<u8> = area.descriptors.iter().map(|d| d.level).collect();
            if described != levels {
                out.push(format!(
                    "Kompetenzbereich „{}“: Für jede Stufe ({levels:?}) muss genau eine Beschreibung in dieser Reihenfolge vorliegen (gefunden: {described:?}).",
                    area.id
                ));
            }
            for d in &area.descriptors {
                if d.can_do.is_empty() || d.can_do.iter().any(|c| c.trim().is_empty()) {
                    out.push(format!(
                        "Kompetenzbereich „{}“, Stufe {}: Es fehlt eine beobachtbare Beschreibung.",
                        area.id, d.level
                    ));
                }
            }
        }
        if self.areas.is_empty() {
            out.push("Es ist kein Kompetenzbereich definiert.".to_string());
        }

        let mut role_ids = HashSet::new();
        let baselines = self.role_profiles.iter().filter(|r| r.baseline).count();
        if baselines != 1 {
            out.push(format!(
                "Genau ein Rollenprofil muss die Grundlage für alle Beschäftigten sein (baseline), gefunden: {baselines}."
            ));
        }
        let max = self.max_level();
        for role in &self.role_profiles {
            if !crate::survey::is_valid_id(&role.id) {
                out.push(format!(
                    "Rollenprofil „{}“: Die Kennung darf nur Buchstaben, Ziffern, _ und - enthalten.",
                    role.id
                ));
            }
            if !role_ids.insert(role.id.as_str()) {
                out.push(format!("Rollenprofil „{}“ ist doppelt vorhanden.", role.id));
            }
            for area in &self.areas {
                match role.targets.get(&area.id) {
                    None => out.push(format!(
                        "Rollenprofil „{}“: Es fehlt die Zielstufe für „{}“.",
                        role.id, area.id
                    )),
                    Some(&t) if t > max => out.push(format!(
                        "Rollenprofil „{}“: Die Zielstufe {t} für „{}“ gibt es nicht (höchste Stufe: {max}).",
                        role.id, area.id
                    )),
                    Some(&t) => {
                        if let Some(base) = self.baseline().filter(|_| !role.baseline) {
                            let b = base.targets.get(&area.id).copied().unwrap_or(0);
                            if t < b {
                                out.push(format!(
                                    "Rollenprofil „{}“: Die Zielstufe {t} für „{}“ liegt unter der Stufe {b} für alle Beschäftigten.",
                                    role.id, area.id
                                ));
                            }
                        }
                    }
                }
            }
            for area in role.targets.keys() {
                if !area_ids.contains(area.as_str()) {
                    out.push(format!(
                        "Rollenprofil „{}“: Den Kompetenzbereich „{area}“ gibt es nicht.",
                        role.id
                    ));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_model_parses_and_has_no_problems() {
        let model = CompetencyModel::default_model().unwrap();
        assert_eq!(model.levels.len(), 4);
        assert!(model.areas.len() >= 6);
        assert!(model.role_profiles.len() >= 7);
    }

    #[test]
    fn targets_take_the_higher_of_baseline_and_role() {
        let model = CompetencyModel::default_model().unwrap();
        let base = model.baseline().unwrap();
        for area in &model.areas {
            let b = base.targets[&area.id];
            assert_eq!(model.target(None, &area.id), b);
            assert_eq!(model.target(Some("unbekannt"), &area.id), b);
            for role in &model.role_profiles {
                assert!(model.target(Some(&role.id), &area.id) >= b);
            }
        }
    }

    #[test]
    fn a_role_without_a_target_for_an_area_is_reported_by_name() {
        let mut model = CompetencyModel::default_model().unwrap();
        let area = model.areas[0].id.clone();
        model.role_profiles[1].targets.remove(&area);
        let problems = model.problems();
        assert!(
            problems
                .iter()
                .any(|p| p.contains(&model.role_profiles[1].id) && p.contains(&area)),
            "{problems:?}"
        );
    }

    #[test]
    fn a_role_override_replaces_the_target_but_may_not_drop_below_the_baseline() {
        let model = CompetencyModel::default_model().unwrap();
        let mut it = model.role_profile("it").unwrap().clone();
        it.targets.insert("recht_und_ethik".into(), 3);
        let changed = model
            .with_role_overrides(std::slice::from_ref(&it))
            .unwrap();
        assert_eq!(changed.target(Some("it"), "recht_und_ethik"), 3);
        it.targets.insert("ki_verstehen".into(), 0);
        let err = model.with_role_overrides(&[it]).unwrap_err().to_string();
        assert!(
            err.contains("„it“") && err.contains("ki_verstehen"),
            "{err}"
        );
    }

    #[test]
    fn a_digcomp_level_outside_its_band_is_reported() {
        let mut model = CompetencyModel::default_model().unwrap();
        model.levels[0].digcomp.proficiency_levels = vec![5];
        assert!(model.problems().iter().any(|p| p.contains("DigComp")));
    }

    #[test]
    fn a_missing_level_descriptor_is_reported() {
        let mut model = CompetencyModel::default_model().unwrap();
        model.areas[2].descriptors.pop();
        let text = model.problems().join("\n");
        assert!(text.contains(&model.areas[2].id), "{text}");
    }

    #[test]
    fn unknown_fields_are_rejected_when_parsing() {
        let text = COMPETENCIES
            .default_text
            .replacen("title:", "titel: x\ntitle:", 1);
        assert!(matches!(
            CompetencyModel::parse(&text),
            Err(CompetencyError::Parse(_))
        ));
    }
}
