//! Fills the run-time option lists of a questionnaire: departments from the
//! municipality profile, role kinds and competency areas from the competency
//! model.
//!
//! Resolve once when a survey is opened and keep the resolved questionnaire
//! with it: answers and results then stay readable even if the profile
//! changes later.

use std::collections::{BTreeMap, HashSet};

use super::model::{ChoiceOption, Choices, OptionSource, QuestionKind, Questionnaire};
use super::slug;
use crate::competency::CompetencyModel;
use crate::profile::Profile;

/// The run-time lists. An empty list leaves the questionnaire's fallback
/// options in place.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SurveyContext {
    pub departments: Vec<ChoiceOption>,
    pub role_profiles: Vec<ChoiceOption>,
    pub competency_areas: Vec<ChoiceOption>,
    /// Staff per department id, for response rates.
    pub staff_counts: BTreeMap<String, u32>,
}

impl SurveyContext {
    /// Departments from the profile (ids are slugs of the names, made unique),
    /// selectable role profiles and all areas from the competency model.
    pub fn from_profile(profile: &Profile, model: &CompetencyModel) -> Self {
        let mut seen = HashSet::new();
        let mut departments = Vec::new();
        let mut staff_counts = BTreeMap::new();
        for d in &profile.departments {
            let base = slug(&d.name);
            let mut id = base.clone();
            let mut n = 2;
            while !seen.insert(id.clone()) {
                id = format!("{base}-{n}");
                n += 1;
            }
            if d.staff_count > 0 {
                staff_counts.insert(id.clone(), d.staff_count);
            }
            departments.push(ChoiceOption::new(id, d.name.trim()));
        }
        let mut ctx = Self::from_competency_model(model);
        ctx.departments = departments;
        ctx.staff_counts = staff_counts;
        ctx
    }

    /// Role profiles and areas only; departments are left to the caller.
    pub fn from_competency_model(model: &CompetencyModel) -> Self {
        SurveyContext {
            departments: Vec::new(),
            role_profiles: model
                .role_profiles
                .iter()
                .filter(|r| r.selectable)
                .map(|r| ChoiceOption::new(&r.id, r.survey_label.as_deref().unwrap_or(&r.name)))
                .collect(),
            competency_areas: model
                .areas
                .iter()
                .map(|a| ChoiceOption::new(&a.id, &a.short_name))
                .collect(),
            staff_counts: BTreeMap::new(),
        }
    }

    fn list(&self, source: OptionSource) -> &[ChoiceOption] {
        match source {
            OptionSource::Departments => &self.departments,
            OptionSource::RoleProfiles => &self.role_profiles,
            OptionSource::CompetencyAreas => &self.competency_areas,
        }
    }
}

impl Questionnaire {
    /// A copy with every run-time list filled from `ctx`. The `from` marker
    /// stays, so the department question can still be found.
    pub fn resolve(&self, ctx: &SurveyContext) -> Questionnaire {
        let mut q = self.clone();
        let fill = |choices: &mut Choices| {
            if let Some(source) = choices.from {
                let list = ctx.list(source);
                if !list.is_empty() {
                    choices.list = list.to_vec();
                }
            }
        };
        for section in &mut q.sections {
            for question in &mut section.questions {
                match &mut question.kind {
                    QuestionKind::SingleChoice { options }
                    | QuestionKind::MultipleChoice { options, .. } => fill(options),
                    QuestionKind::LikertMatrix { items, .. } => fill(items),
                    _ => {}
                }
            }
        }
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Department;

    #[test]
    fn departments_with_the_same_slug_get_distinct_ids() {
        let profile = Profile {
            departments: vec![
                Department {
                    name: "Bürgeramt".into(),
                    staff_count: 10,
                },
                Department {
                    name: "Bürger-Amt".into(),
                    staff_count: 0,
                },
            ],
            ..Default::default()
        };
        let model = CompetencyModel::default_model().unwrap();
        let ctx = SurveyContext::from_profile(&profile, &model);
        let ids: Vec<_> = ctx.departments.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["buergeramt", "buerger-amt"]);
        assert_eq!(ctx.staff_counts.get("buergeramt"), Some(&10));
        assert!(!ctx.role_profiles.iter().any(|r| r.id == "ki_lotsen"));
    }

    #[test]
    fn resolving_the_default_questionnaire_fills_departments_roles_and_areas() {
        let model = CompetencyModel::default_model().unwrap();
        let mut ctx = SurveyContext::from_competency_model(&model);
        ctx.departments = vec![ChoiceOption::new("kaemmerei", "Kämmerei")];
        let q = super::super::default_questionnaire().unwrap().resolve(&ctx);
        let dept = q.department_question().unwrap();
        assert_eq!(dept.kind.options().unwrap().list, ctx.departments);
        let role = q.role_question().unwrap();
        assert_eq!(role.kind.options().unwrap().list, ctx.role_profiles);
        match &q.competency_question().unwrap().kind {
            QuestionKind::LikertMatrix { items, .. } => {
                assert_eq!(items.list.len(), model.areas.len())
            }
            other => panic!("not a matrix: {other:?}"),
        }
    }
}
