//! The journey plan: three phases with their steps (content/de/journey.yaml),
//! the status of each step, and the progress computed from it.

use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// The module of ki-reise that carries out a step; the portal maps it to a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Module {
    Profile,
    Users,
    Survey,
    Learning,
    Documents,
    Usecases,
    Models,
    Assistant,
    Bench,
    Transfer,
}

impl Module {
    pub const ALL: [Module; 10] = [
        Module::Profile,
        Module::Users,
        Module::Survey,
        Module::Learning,
        Module::Documents,
        Module::Usecases,
        Module::Models,
        Module::Assistant,
        Module::Bench,
        Module::Transfer,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Module::Profile => "profil",
            Module::Users => "benutzer",
            Module::Survey => "umfrage",
            Module::Learning => "qualifizierung",
            Module::Documents => "dokumente",
            Module::Usecases => "anwendungsfaelle",
            Module::Models => "modelle",
            Module::Assistant => "assistent",
            Module::Bench => "vergleichstest",
            Module::Transfer => "nachnutzung",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Module::Profile => "Profil der Kommune",
            Module::Users => "Benutzerverwaltung",
            Module::Survey => "Bestandsaufnahme",
            Module::Learning => "Qualifizierung",
            Module::Documents => "KI-Strategie und KI-Richtlinie",
            Module::Usecases => "Anwendungsfälle",
            Module::Models => "Lokale KI-Modelle",
            Module::Assistant => "KI-Assistent",
            Module::Bench => "Vergleichstest",
            Module::Transfer => "Nachnutzung",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Module> {
        Module::ALL.into_iter().find(|m| m.slug() == slug)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub version: u32,
    pub phases: Vec<Phase>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phase {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub id: String,
    pub title: String,
    pub description: String,
    pub module: Module,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    #[error("journey.yaml ist kein gültiges YAML: {0}")]
    Syntax(String),
    #[error("journey.yaml: die ID „{0}“ kommt mehrfach vor")]
    DuplicateId(String),
    #[error("journey.yaml: die Phase „{0}“ hat keine Schritte")]
    EmptyPhase(String),
    #[error("journey.yaml: die ID „{0}“ ist ungültig (erlaubt: a–z, 0–9 und Bindestrich)")]
    InvalidId(String),
    #[error("journey.yaml enthält keine Phase")]
    NoPhases,
}

impl Plan {
    pub fn parse(yaml: &str) -> Result<Plan, PlanError> {
        let plan: Plan =
            serde_yaml::from_str(yaml).map_err(|e| PlanError::Syntax(e.to_string()))?;
        plan.validate()?;
        Ok(plan)
    }

    pub fn default_plan() -> Plan {
        // The default is compiled in and covered by a test, so failing here is
        // a build defect, not bad input.
        Plan::parse(crate::content::JOURNEY.default_text)
            .unwrap_or_else(|e| panic!("built-in journey.yaml is invalid: {e}"))
    }

    fn validate(&self) -> Result<(), PlanError> {
        if self.phases.is_empty() {
            return Err(PlanError::NoPhases);
        }
        let mut seen = HashSet::new();
        for phase in &self.phases {
            if phase.steps.is_empty() {
                return Err(PlanError::EmptyPhase(phase.id.clone()));
            }
            let ids = std::iter::once(&phase.id).chain(phase.steps.iter().map(|s| &s.id));
            for id in ids {
                if !is_valid_id(id) {
                    return Err(PlanError::InvalidId(id.clone()));
                }
                if !seen.insert(id.clone()) {
                    return Err(PlanError::DuplicateId(id.clone()));
                }
            }
        }
        Ok(())
    }

    pub fn step(&self, id: &str) -> Option<&Step> {
        self.phases
            .iter()
            .flat_map(|p| &p.steps)
            .find(|s| s.id == id)
    }

    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        self.phases.iter().flat_map(|p| &p.steps)
    }
}

fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum StepStatus {
    #[default]
    Open,
    InProgress,
    Done,
}

impl StepStatus {
    pub const ALL: [StepStatus; 3] = [StepStatus::Open, StepStatus::InProgress, StepStatus::Done];

    pub fn label(self) -> &'static str {
        match self {
            StepStatus::Open => "offen",
            StepStatus::InProgress => "in Arbeit",
            StepStatus::Done => "erledigt",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Open => "open",
            StepStatus::InProgress => "in-progress",
            StepStatus::Done => "done",
        }
    }

    pub fn parse(s: &str) -> Option<StepStatus> {
        StepStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// Progress of one phase: how many of its steps are done or under way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PhaseProgress {
    pub total: usize,
    pub done: usize,
    pub in_progress: usize,
}

impl PhaseProgress {
    /// Percent done, rounded down, so that 100 % means every step is done.
    pub fn percent(&self) -> u32 {
        if self.total == 0 {
            return 0;
        }
        ((self.done * 100) / self.total) as u32
    }
}

pub fn phase_progress(phase: &Phase, status: &HashMap<String, StepStatus>) -> PhaseProgress {
    let mut progress = PhaseProgress {
        total: phase.steps.len(),
        done: 0,
        in_progress: 0,
    };
    for step in &phase.steps {
        match status.get(&step.id).copied().unwrap_or_default() {
            StepStatus::Done => progress.done += 1,
            StepStatus::InProgress => progress.in_progress += 1,
            StepStatus::Open => {}
        }
    }
    progress
}

/// What to do next: the first step under way, else the first open step, in
/// the order of the plan. Work already started is finished before new work.
pub fn next_step<'a>(plan: &'a Plan, status: &HashMap<String, StepStatus>) -> Option<&'a Step> {
    let of = |s: &Step| status.get(&s.id).copied().unwrap_or_default();
    plan.steps()
        .find(|s| of(s) == StepStatus::InProgress)
        .or_else(|| plan.steps().find(|s| of(s) == StepStatus::Open))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_plan_has_three_phases_with_steps_and_unique_ids() {
        let plan = Plan::default_plan();
        assert_eq!(plan.phases.len(), 3);
        let ids: Vec<_> = plan.steps().map(|s| s.id.clone()).collect();
        let unique: HashSet<_> = ids.iter().collect();
        assert_eq!(ids.len(), unique.len());
        assert!(plan.step("bestandsaufnahme").is_some());
    }

    #[test]
    fn duplicate_step_ids_are_rejected_with_the_id_named() {
        let yaml = r#"
version: 1
phases:
  - id: a
    title: A
    summary: s
    steps:
      - {id: x, title: X, description: d, module: survey}
      - {id: x, title: Y, description: d, module: survey}
"#;
        assert_eq!(Plan::parse(yaml), Err(PlanError::DuplicateId("x".into())));
    }

    #[test]
    fn unknown_module_is_a_syntax_error() {
        let yaml = "version: 1\nphases:\n  - id: a\n    title: A\n    summary: s\n    steps:\n      - {id: x, title: X, description: d, module: nope}\n";
        assert!(matches!(Plan::parse(yaml), Err(PlanError::Syntax(_))));
    }

    #[test]
    fn next_step_prefers_work_in_progress_over_open_steps() {
        let plan = Plan::default_plan();
        let mut status = HashMap::new();
        assert_eq!(
            next_step(&plan, &status).map(|s| s.id.as_str()),
            Some("profil")
        );
        status.insert("profil".to_string(), StepStatus::Done);
        status.insert("lernpfade".to_string(), StepStatus::InProgress);
        assert_eq!(
            next_step(&plan, &status).map(|s| s.id.as_str()),
            Some("lernpfade")
        );
    }

    #[test]
    fn phase_progress_counts_done_and_in_progress_steps() {
        let plan = Plan::default_plan();
        let phase = &plan.phases[0];
        let mut status = HashMap::new();
        status.insert(phase.steps[0].id.clone(), StepStatus::Done);
        status.insert(phase.steps[1].id.clone(), StepStatus::InProgress);
        let p = phase_progress(phase, &status);
        assert_eq!((p.done, p.in_progress, p.total), (1, 1, phase.steps.len()));
        assert_eq!(p.percent(), (100 / phase.steps.len()) as u32);
    }

    #[test]
    fn every_module_slug_round_trips() {
        for m in Module::ALL {
            assert_eq!(Module::from_slug(m.slug()), Some(m));
        }
    }
}
