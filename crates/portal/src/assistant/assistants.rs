//! The shared assistants (saved instructions) as an operation: checking
//! what the project team entered and saving it. The page and the API are
//! adapters over [`save`].

use journey::policy::DataClass;
use store::assistants::{Assistant, AssistantInput};
use store::StoreError;

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::AppState;

/// Longest name of an assistant.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest instruction (system prompt).
pub const MAX_PROMPT_CHARS: usize = 8000;

/// An assistant as entered.
pub struct Draft<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub system_prompt: &'a str,
    /// A data class slug; empty: the rule set's default.
    pub class: &'a str,
}

/// Why an assistant cannot be saved; the page shows each message beside its
/// field, the API names the first.
pub enum Refusal {
    /// What was entered is wrong: per field (`name`, `system_prompt`, `class`).
    Invalid(Vec<(&'static str, String)>),
    /// Another assistant has the name (a conflict with what is stored).
    NameTaken(String),
}

impl Refusal {
    /// Every message with its field.
    pub fn fields(self) -> Vec<(&'static str, String)> {
        match self {
            Refusal::Invalid(fields) => fields,
            Refusal::NameTaken(message) => vec![("name", message)],
        }
    }
}

/// Checks a draft and saves it as a new assistant (`id` none) or over an
/// existing one; returns the assistant as stored.
pub async fn save(
    state: &AppState,
    cu: &CurrentUser,
    id: Option<i64>,
    draft: &Draft<'_>,
) -> Result<Result<Assistant, Refusal>, AppError> {
    let mut refusal = Vec::new();
    let name = draft.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        refusal.push((
            "name",
            format!("Bitte einen Namen mit höchstens {MAX_NAME_CHARS} Zeichen angeben."),
        ));
    }
    let prompt_chars = draft.system_prompt.trim().chars().count();
    if prompt_chars == 0 || draft.system_prompt.chars().count() > MAX_PROMPT_CHARS {
        refusal.push((
            "system_prompt",
            format!("Die Anweisung muss zwischen 1 und {MAX_PROMPT_CHARS} Zeichen lang sein."),
        ));
    }
    let class = match draft.class.trim() {
        "" => None,
        c => match DataClass::parse(c) {
            Ok(c) => Some(c.slug()),
            Err(e) => {
                refusal.push(("class", e.to_string()));
                None
            }
        },
    };
    if !refusal.is_empty() {
        return Ok(Err(Refusal::Invalid(refusal)));
    }
    let input = AssistantInput {
        name,
        description: draft.description,
        system_prompt: draft.system_prompt,
        data_class: class,
    };
    match state.store.save_assistant(&cu.actor(), id, &input).await {
        Ok(()) => {}
        Err(StoreError::Duplicate(msg)) => return Ok(Err(Refusal::NameTaken(msg))),
        Err(e) => return Err(e.into()),
    }
    state
        .store
        .assistants()
        .await?
        .into_iter()
        .find(|a| a.name == name)
        .map(Ok)
        .ok_or_else(|| AppError::internal("read the assistant just saved", name))
}
