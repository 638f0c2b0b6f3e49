//! Valid, unique ids for our questionnaire made from LimeSurvey codes.

use std::collections::{HashMap, HashSet};

use crate::survey::is_valid_id;

/// Hands out valid, unique ids made from LimeSurvey codes.
#[derive(Default)]
pub(super) struct Ids {
    taken: HashSet<String>,
    /// Next suffix per base, so that many equal codes stay linear.
    next: HashMap<String, u32>,
}

impl Ids {
    pub(super) fn make(&mut self, raw: &str, fallback: &str) -> String {
        let mut id: String = raw
            .trim()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .take(56)
            .collect();
        if !id.chars().next().is_some_and(|c| c.is_ascii_alphanumeric()) {
            id = format!("{fallback}{id}").chars().take(56).collect();
        }
        let base = id.clone();
        while !self.taken.insert(id.clone()) {
            let n = self.next.entry(base.clone()).or_insert(2);
            id = format!("{base}_{n}");
            *n += 1;
        }
        debug_assert!(is_valid_id(&id));
        id
    }
}
