//! The KI-Pass part of the one permission decision: a tool the adopted
//! KI-Richtlinie puts behind training opens only to someone who completed
//! every step of its learning path (a completion, the trainer's attendance
//! record, or a credential for the path), who is still within the grace
//! period, or who holds a documented exception. Read per request, so a
//! completion recorded now opens the tool on the next request.

use std::collections::HashSet;

use journey::policy::{KiPassRule, RuleSet, Tool};
use journey::qualification::path::LearningPath;
use store::users::User;

use crate::error::AppError;
use crate::AppState;

/// Why a tool stays closed, and where the next training with free seats is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KiPassRefusal {
    pub message: String,
    /// The page of the next session with a free seat, if one is planned.
    pub next_session: Option<String>,
}

/// Whether and how a person holds the pass, for the Art. 4 report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PassStanding {
    Held,
    Exception { until: String },
    Grace { until: String },
    Missing,
}

impl PassStanding {
    pub fn label(&self) -> String {
        match self {
            PassStanding::Held => "KI-Pass erworben".into(),
            PassStanding::Exception { until } => {
                format!("Ausnahme bis {}", journey::date::german(until))
            }
            PassStanding::Grace { until } => {
                format!("Übergangsfrist bis {}", journey::date::german(until))
            }
            PassStanding::Missing => "kein KI-Pass".into(),
        }
    }

    pub fn admits(&self) -> bool {
        !matches!(self, PassStanding::Missing)
    }
}

/// The last day of a person's grace period: `grace_days` after adoption or
/// after the account's creation, whichever is later.
pub fn grace_until(rule: &KiPassRule, rules: &RuleSet, user: &User) -> Option<String> {
    if rule.grace_days == 0 {
        return None;
    }
    let created = journey::date::from_unix(user.created_at);
    let start = match rules.adopted_on.as_deref() {
        Some(adopted) if journey::date::is_iso_date(adopted) && adopted > created.as_str() => {
            adopted.to_owned()
        }
        _ => created,
    };
    journey::date::add_days(&start, i64::from(rule.grace_days) - 1)
}

/// The learning path a rule names: the municipality's own, else the
/// shipped catalogue's (the template's default names a shipped path).
pub async fn required_path(
    state: &AppState,
    rule: &KiPassRule,
) -> Result<Option<LearningPath>, AppError> {
    if let Some(path) = state
        .store
        .paths()
        .await?
        .into_iter()
        .find(|p| p.id == rule.learning_path)
    {
        return Ok(Some(path));
    }
    let shipped = journey::competency::CompetencyModel::default_model()
        .ok()
        .and_then(|m| journey::qualification::catalogue::Catalogue::shipped(&m).ok());
    Ok(shipped.and_then(|c| c.path(&rule.learning_path).cloned()))
}

fn offers(done: &HashSet<String>) -> Vec<&str> {
    done.iter().map(String::as_str).collect()
}

/// What a person has to show for the pass.
pub struct Evidence<'a> {
    /// Offers completed or attended.
    pub done: &'a HashSet<String>,
    /// A credential was issued for the rule's learning path.
    pub credential: bool,
    /// The last day of a documented exception.
    pub exception_until: Option<&'a str>,
}

/// How `user` stands with the pass `rule` asks for, on `today`.
pub fn standing_of(
    rules: &RuleSet,
    rule: &KiPassRule,
    path: Option<&LearningPath>,
    user: &User,
    evidence: &Evidence<'_>,
    today: &str,
) -> PassStanding {
    if evidence.credential
        || path.is_some_and(|p| p.missing_steps(&offers(evidence.done)).is_empty())
    {
        return PassStanding::Held;
    }
    if let Some(until) = evidence.exception_until.filter(|u| *u >= today) {
        return PassStanding::Exception {
            until: until.to_owned(),
        };
    }
    match grace_until(rule, rules, user) {
        Some(until) if until.as_str() >= today => PassStanding::Grace { until },
        _ => PassStanding::Missing,
    }
}

/// [`standing_of`] with the evidence read from the store.
pub async fn standing(
    state: &AppState,
    rules: &RuleSet,
    rule: &KiPassRule,
    path: Option<&LearningPath>,
    user: &User,
) -> Result<PassStanding, AppError> {
    let done = state.store.offers_done(user.id).await?;
    let credential = state
        .store
        .credentials(Some(user.id))
        .await?
        .iter()
        .any(|c| c.path_id == rule.learning_path);
    let exception = state.store.ki_pass_exception(user.id).await?;
    let evidence = Evidence {
        done: &done,
        credential,
        exception_until: exception.as_ref().map(|x| x.valid_until.as_str()),
    };
    Ok(standing_of(
        rules,
        rule,
        path,
        user,
        &evidence,
        &journey::date::today(),
    ))
}

/// The decision for one request: `None` admits, a refusal names the
/// missing training and the next session with a free seat.
pub async fn check(
    state: &AppState,
    user: &User,
    tool: Tool,
) -> Result<Option<KiPassRefusal>, AppError> {
    let (rules, _) = crate::documents::rules::current_rules(state).await?;
    let Some(rule) = rules.ki_pass_for(tool) else {
        return Ok(None);
    };
    let path = required_path(state, rule).await?;
    if standing(state, &rules, rule, path.as_ref(), user)
        .await?
        .admits()
    {
        return Ok(None);
    }
    let Some(path) = path else {
        return Ok(Some(KiPassRefusal {
            message: format!(
                "Für „{}“ ist nach der KI-Richtlinie der KI-Pass nötig. Der dafür vorgesehene Lernpfad „{}“ ist nicht angelegt; bitte wenden Sie sich an die Administration.",
                tool.label(),
                rule.learning_path
            ),
            next_session: None,
        }));
    };
    let done = state.store.offers_done(user.id).await?;
    let missing = path.missing_steps(&offers(&done));
    let offers: Vec<&str> = missing
        .iter()
        .flat_map(|s| s.offers.iter().map(String::as_str))
        .collect();
    let now = journey::german::local_date_time(store::now());
    let next = state
        .store
        .trainings()
        .await?
        .into_iter()
        .filter(|t| {
            offers.contains(&t.session.offer.as_str())
                && t.session.starts_at > now
                && t.seats_taken < i64::from(t.session.capacity)
        })
        .min_by(|a, b| a.session.starts_at.cmp(&b.session.starts_at));
    let steps: Vec<String> = missing.iter().map(|s| format!("„{}“", s.title)).collect();
    let mut message = format!(
        "Für „{}“ ist nach der KI-Richtlinie der KI-Pass nötig: Schließen Sie dafür den Lernpfad „{}“ ab (noch offen: {}).",
        tool.label(),
        path.title,
        steps.join(", ")
    );
    let next_session = next.map(|t| {
        message.push_str(&format!(
            " Nächster Termin mit freien Plätzen: „{}“ am {}.",
            t.session.title,
            journey::german::date(&t.session.starts_at)
        ));
        format!("/qualifizierung/termine/{}", t.session.id)
    });
    if next_session.is_none() {
        message.push_str(" Zurzeit ist kein Termin mit freien Plätzen angesetzt; die Qualifizierung plant den nächsten.");
    }
    Ok(Some(KiPassRefusal {
        message,
        next_session,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use journey::access::Role;
    use journey::policy::KiPassRule;

    /// A staff account created at `created_at` (Unix seconds).
    fn user(created_at: i64) -> User {
        User {
            id: 1,
            email: "sam@musterstadt.de".into(),
            name: "Sam".into(),
            role: Role::Staff,
            department: None,
            active: true,
            created_at,
            version: 1,
            has_password: true,
            directory_login: None,
            directory_gaps: Vec::new(),
        }
    }

    #[test]
    fn grace_counts_from_adoption_or_a_later_account_and_exceptions_end() {
        let mut rules = RuleSet {
            adopted_on: Some("2026-12-01".into()),
            ..RuleSet::default()
        };
        let rule = KiPassRule {
            learning_path: "grundlagen_alle".into(),
            tools: vec![Tool::Assistant],
            grace_days: 10,
        };
        rules.ki_pass = Some(rule.clone());
        let old = user(1_767_225_600); // 2026-01-01
        let new = user(1_796_428_800); // 2026-12-05
        assert_eq!(
            grace_until(&rule, &rules, &old).as_deref(),
            Some("2026-12-10")
        );
        assert_eq!(
            grace_until(&rule, &rules, &new).as_deref(),
            Some("2026-12-14")
        );
        let none = HashSet::new();
        let bare = Evidence {
            done: &none,
            credential: false,
            exception_until: None,
        };
        assert!(standing_of(&rules, &rule, None, &old, &bare, "2026-12-10").admits());
        assert_eq!(
            standing_of(&rules, &rule, None, &old, &bare, "2026-12-11"),
            PassStanding::Missing
        );
        let excepted = Evidence {
            exception_until: Some("2026-12-31"),
            ..bare
        };
        assert!(standing_of(&rules, &rule, None, &old, &excepted, "2026-12-31").admits());
        assert!(!standing_of(&rules, &rule, None, &old, &excepted, "2027-01-01").admits());
        let no_grace = KiPassRule {
            grace_days: 0,
            ..rule
        };
        assert_eq!(grace_until(&no_grace, &rules, &old), None);
    }
}
