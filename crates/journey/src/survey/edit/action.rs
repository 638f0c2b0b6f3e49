//! The editor's buttons: adding, removing and moving sections and questions.

use super::draft::{
    QuestionDraft, QuestionnaireDraft, SectionDraft, MAX_QUESTIONS_PER_SECTION, MAX_SECTIONS,
    QUESTION_TYPES,
};

/// One step the editor's buttons ask for, besides saving.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditAction {
    AddSection,
    AddQuestion { section: usize, kind: String },
    RemoveSection(usize),
    SectionUp(usize),
    SectionDown(usize),
    Remove { section: usize, question: usize },
    Up { section: usize, question: usize },
    Down { section: usize, question: usize },
}

impl EditAction {
    /// Reads a button value such as `add-question:1:likert` or `up:0:3`;
    /// anything else (saving, preview) is `None`.
    pub fn parse(value: &str) -> Option<EditAction> {
        let mut parts = value.split(':');
        let name = parts.next()?;
        let mut index = || parts.next().and_then(|p| p.parse::<usize>().ok());
        Some(match name {
            "add-section" => EditAction::AddSection,
            "add-question" => {
                let section = index()?;
                let kind = value.rsplit(':').next().unwrap_or("single_choice");
                let kind = if QUESTION_TYPES.iter().any(|(t, _)| *t == kind) {
                    kind
                } else {
                    "single_choice"
                };
                EditAction::AddQuestion {
                    section,
                    kind: kind.to_string(),
                }
            }
            "remove-section" => EditAction::RemoveSection(index()?),
            "section-up" => EditAction::SectionUp(index()?),
            "section-down" => EditAction::SectionDown(index()?),
            "remove" | "up" | "down" => {
                let (section, question) = (index()?, index()?);
                match name {
                    "remove" => EditAction::Remove { section, question },
                    "up" => EditAction::Up { section, question },
                    _ => EditAction::Down { section, question },
                }
            }
            _ => return None,
        })
    }
}

impl QuestionnaireDraft {
    /// An id not yet used by any question (`f1`, `f2`, …).
    fn fresh_question_id(&self) -> String {
        (1..)
            .map(|n| format!("f{n}"))
            .find(|id| {
                !self
                    .sections
                    .iter()
                    .flat_map(|s| &s.questions)
                    .any(|q| &q.id == id)
            })
            .unwrap_or_default()
    }

    fn fresh_section_id(&self) -> String {
        (1..)
            .map(|n| format!("abschnitt{n}"))
            .find(|id| !self.sections.iter().any(|s| &s.id == id))
            .unwrap_or_default()
    }

    /// Applies one button's action; indexes out of range change nothing.
    pub fn apply(&mut self, action: &EditAction) {
        let swap = |list_len: usize, a: usize, b: usize| a < list_len && b < list_len;
        match action {
            EditAction::AddSection => {
                if self.sections.len() < MAX_SECTIONS {
                    let id = self.fresh_section_id();
                    self.sections.push(SectionDraft {
                        id,
                        ..SectionDraft::default()
                    });
                }
            }
            EditAction::AddQuestion { section, kind } => {
                let id = self.fresh_question_id();
                if let Some(s) = self.sections.get_mut(*section) {
                    if s.questions.len() < MAX_QUESTIONS_PER_SECTION {
                        s.questions.push(QuestionDraft::new(id, kind));
                    }
                }
            }
            EditAction::RemoveSection(i) => {
                if *i < self.sections.len() {
                    self.sections.remove(*i);
                }
            }
            EditAction::SectionUp(i) => {
                if *i > 0 && swap(self.sections.len(), *i - 1, *i) {
                    self.sections.swap(*i - 1, *i);
                }
            }
            EditAction::SectionDown(i) => {
                if swap(self.sections.len(), *i, *i + 1) {
                    self.sections.swap(*i, *i + 1);
                }
            }
            EditAction::Remove { section, question } => {
                if let Some(s) = self.sections.get_mut(*section) {
                    if *question < s.questions.len() {
                        s.questions.remove(*question);
                    }
                }
            }
            EditAction::Up { section, question } => {
                if let Some(s) = self.sections.get_mut(*section) {
                    if *question > 0 && swap(s.questions.len(), *question - 1, *question) {
                        s.questions.swap(*question - 1, *question);
                    }
                }
            }
            EditAction::Down { section, question } => {
                if let Some(s) = self.sections.get_mut(*section) {
                    if swap(s.questions.len(), *question, *question + 1) {
                        s.questions.swap(*question, *question + 1);
                    }
                }
            }
        }
    }
}
