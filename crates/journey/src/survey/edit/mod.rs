//! The questionnaire as the browser editor holds it: every field as the
//! text the person typed, so a form with mistakes comes back exactly as it
//! was sent (nothing is lost), and only [`QuestionnaireDraft::to_questionnaire`]
//! decides whether it is a usable questionnaire.
//!
//! Option lists are edited one per line as `id | Bezeichnung` (a line
//! without `|` gets an id made from its label; `| exklusiv` marks an option
//! that is chosen alone), scales as `Wert | Bezeichnung`. A condition is a
//! question id and the answer values (comma-separated) that show the question.
//!
//! Files: `draft` holds the types and turns a questionnaire into a draft,
//! `form` reads and writes the form fields, `action` applies the editor's
//! buttons, and `questionnaire` turns a draft back into a questionnaire.

mod action;
mod draft;
mod form;
mod questionnaire;

pub use action::EditAction;
pub use draft::{QuestionDraft, QuestionnaireDraft, SectionDraft, OPTION_SOURCES, QUESTION_TYPES};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::survey::default_questionnaire;
    use crate::survey::model::{ConditionTest, Question};

    #[test]
    fn the_default_questionnaire_survives_a_round_trip_through_the_editor_form() {
        let q = default_questionnaire().unwrap();
        let draft = QuestionnaireDraft::from_questionnaire(&q);
        let back = QuestionnaireDraft::from_form(&draft.form_pairs());
        assert_eq!(back, draft);
        let mut expected = q.clone();
        expected.schema = None;
        assert_eq!(back.to_questionnaire().unwrap(), expected);
    }

    #[test]
    fn a_number_that_is_no_number_is_named_per_question_and_the_text_is_kept() {
        let q = default_questionnaire().unwrap();
        let mut draft = QuestionnaireDraft::from_questionnaire(&q);
        draft.apply(&EditAction::AddQuestion {
            section: 0,
            kind: "number".into(),
        });
        let new = draft.sections[0].questions.last_mut().unwrap();
        new.text = "Wie viele Stunden?".into();
        new.min = "zwei".into();
        let id = new.id.clone();
        let issues = draft.to_questionnaire().unwrap_err();
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].question.as_deref(), Some(id.as_str()));
        assert!(issues[0].message.contains("„zwei“ ist keine Zahl"));
        assert_eq!(draft.sections[0].questions.last().unwrap().min, "zwei");
    }

    #[test]
    fn domain_validation_names_the_question_with_an_unknown_condition_target() {
        let q = default_questionnaire().unwrap();
        let mut draft = QuestionnaireDraft::from_questionnaire(&q);
        let target = &mut draft.sections[0].questions[0];
        target.if_question = "gibt-es-nicht".into();
        target.if_value = "ja".into();
        let id = target.id.clone();
        let issues = draft.to_questionnaire().unwrap_err();
        assert!(issues
            .iter()
            .any(|i| i.question.as_deref() == Some(id.as_str())));
    }

    #[test]
    fn questions_move_within_their_section_and_sections_move_and_disappear() {
        let mut draft = QuestionnaireDraft::default();
        draft.apply(&EditAction::AddSection);
        for kind in ["likert", "text", "single_choice"] {
            draft.apply(&EditAction::AddQuestion {
                section: 0,
                kind: kind.into(),
            });
        }
        let ids = |d: &QuestionnaireDraft| -> Vec<String> {
            d.sections[0]
                .questions
                .iter()
                .map(|q| q.id.clone())
                .collect()
        };
        assert_eq!(ids(&draft), ["f1", "f2", "f3"]);
        draft.apply(&EditAction::Up {
            section: 0,
            question: 2,
        });
        assert_eq!(ids(&draft), ["f1", "f3", "f2"]);
        draft.apply(&EditAction::Down {
            section: 0,
            question: 2,
        });
        assert_eq!(ids(&draft), ["f1", "f3", "f2"]);
        draft.apply(&EditAction::Remove {
            section: 0,
            question: 0,
        });
        assert_eq!(ids(&draft), ["f3", "f2"]);
        assert_eq!(draft.sections[0].questions[1].kind, "text");
        draft.apply(&EditAction::AddSection);
        draft.sections[1].title = "Zweiter".into();
        draft.apply(&EditAction::SectionUp(1));
        assert_eq!(draft.sections[0].title, "Zweiter");
        draft.apply(&EditAction::RemoveSection(0));
        assert_eq!(draft.sections.len(), 1);
        assert_eq!(ids(&draft), ["f3", "f2"]);
    }

    #[test]
    fn button_values_parse_to_actions_and_anything_else_is_none() {
        assert_eq!(
            EditAction::parse("add-question:2:likert_matrix"),
            Some(EditAction::AddQuestion {
                section: 2,
                kind: "likert_matrix".into()
            })
        );
        assert_eq!(
            EditAction::parse("down:1:4"),
            Some(EditAction::Down {
                section: 1,
                question: 4
            })
        );
        assert_eq!(EditAction::parse("save"), None);
        assert_eq!(EditAction::parse("up:x:1"), None);
    }

    #[test]
    fn conditions_become_contains_for_multiple_choice_and_any_of_for_several_values() {
        let mut draft = QuestionnaireDraft {
            id: "t".into(),
            title: "Test".into(),
            ..QuestionnaireDraft::default()
        };
        draft.apply(&EditAction::AddSection);
        draft.sections[0].title = "Eins".into();
        for kind in ["multiple_choice", "single_choice", "text", "text"] {
            draft.apply(&EditAction::AddQuestion {
                section: 0,
                kind: kind.into(),
            });
        }
        let qs = &mut draft.sections[0].questions;
        qs[0].text = "Welche?".into();
        qs[0].options = "Chat\nkeine | Keine | exklusiv".into();
        qs[1].text = "Ja?".into();
        qs[1].options = "ja | Ja\nnein | Nein".into();
        qs[2].text = "Wofür?".into();
        qs[2].if_question = "f1".into();
        qs[2].if_value = "chat".into();
        qs[3].text = "Warum?".into();
        qs[3].if_question = "f2".into();
        qs[3].if_value = "ja, nein".into();
        let q = draft.to_questionnaire().unwrap();
        let all: Vec<&Question> = q.questions().map(|(_, q)| q).collect();
        assert!(all[0].kind.options().unwrap().list[1].exclusive);
        assert_eq!(all[0].kind.options().unwrap().list[0].id, "chat");
        assert_eq!(
            all[2].show_if.as_ref().unwrap().test,
            ConditionTest::Contains("chat".into())
        );
        assert_eq!(
            all[3].show_if.as_ref().unwrap().test,
            ConditionTest::AnyOf(vec!["ja".into(), "nein".into()])
        );
    }
}
