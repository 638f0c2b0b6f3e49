//! Where a document under review stands: per area the holder of its
//! function and their statement (pending, or nobody holds the function),
//! who adopts, the e-mails to the holders and the adopter, and the tasks on
//! their start pages.

use journey::access::{Function, Role};
use store::documents::{Document, DocumentStatus, Review, ReviewArea};
use store::functions::Holder;
use store::users::User;

use crate::access::may_adopt;
use crate::error::AppError;
use crate::view::format_time;
use crate::AppState;

/// One reviewing body: who holds its function and what they stated on the
/// version under review (their latest statement counts).
pub struct AreaStatus {
    pub area: ReviewArea,
    pub holder: Option<Holder>,
    pub statement: Option<Review>,
}

impl AreaStatus {
    /// Data protection, IT security and the staff council always; the
    /// Gleichstellung only where someone holds the function.
    pub fn required(&self) -> bool {
        self.area.is_mandatory() || self.holder.is_some()
    }

    pub fn consented(&self) -> bool {
        self.statement.as_ref().is_some_and(|r| r.consent)
    }

    /// `zustimmung`, `einwaende`, `ausstehend`, `keine-person` (a required
    /// function nobody holds) or `entfaellt` (an optional one).
    pub fn state_key(&self) -> &'static str {
        match (&self.statement, &self.holder) {
            (Some(r), _) if r.consent => "zustimmung",
            (Some(_), _) => "einwaende",
            (None, Some(_)) => "ausstehend",
            (None, None) if self.required() => "keine-person",
            (None, None) => "entfaellt",
        }
    }

    /// What the review table says: the signed statement, "ausstehend", or
    /// what the administration has to do.
    pub fn state_text(&self) -> String {
        let signed = |r: &Review| {
            let function = if r.reviewer_function.is_empty() {
                String::new()
            } else {
                format!(", {}", r.reviewer_function)
            };
            format!(
                "{}{function}, {}",
                r.reviewer_name,
                format_time(r.created_at)
            )
        };
        match (&self.statement, &self.holder) {
            (Some(r), _) if r.consent => format!("Zustimmung ({})", signed(r)),
            (Some(r), _) => format!("Einwände ({})", signed(r)),
            (None, Some(_)) => "ausstehend".to_owned(),
            (None, None) => {
                let mut text = format!(
                    "Keine Person mit der Funktion {} – bitte in der Benutzerverwaltung zuweisen",
                    self.area.function().label()
                );
                if !self.required() {
                    text.push_str(" (bis dahin entfällt diese Stellungnahme)");
                }
                text
            }
        }
    }

    pub fn holder_name(&self) -> String {
        self.holder
            .as_ref()
            .map(|h| h.name.clone())
            .unwrap_or_else(|| "–".to_owned())
    }
}

pub struct ReviewStatus {
    pub areas: Vec<AreaStatus>,
    pub mayor: Option<Holder>,
}

impl ReviewStatus {
    /// The status of one version.
    pub async fn load(state: &AppState, id: i64, version: i64) -> Result<ReviewStatus, AppError> {
        let holders = state.store.function_holders().await?;
        let reviews = state.store.reviews(id, version).await?;
        let holder = |f: Function| holders.iter().find(|h| h.function == f).cloned();
        Ok(ReviewStatus {
            areas: ReviewArea::ALL
                .into_iter()
                .map(|area| AreaStatus {
                    area,
                    holder: holder(area.function()),
                    statement: reviews.iter().rev().find(|r| r.area == area).cloned(),
                })
                .collect(),
            mayor: holder(Function::Mayor),
        })
    }

    /// Every required body has consented: the adopter's turn.
    pub fn all_consented(&self) -> bool {
        self.areas
            .iter()
            .filter(|a| a.required())
            .all(AreaStatus::consented)
    }

    /// The required bodies that have not stated yet, with their holder.
    pub fn missing(&self) -> Vec<String> {
        self.areas
            .iter()
            .filter(|a| a.required() && a.statement.is_none())
            .map(|a| match &a.holder {
                Some(h) => format!("{} ({})", a.area.label(), h.name),
                None => format!("{} (keine Person mit der Funktion)", a.area.label()),
            })
            .collect()
    }

    /// Who adopts: the Bürgermeister/in by name, else the administration.
    pub fn adopter(&self) -> String {
        match &self.mayor {
            Some(h) => h.name.clone(),
            None => "die Administration".to_owned(),
        }
    }

    /// "Wartet auf den Beschluss durch …" once every statement is in.
    pub fn waiting(&self) -> Option<String> {
        self.all_consented()
            .then(|| format!("Wartet auf den Beschluss durch {}", self.adopter()))
    }
}

/// How the adopter signs when the form leaves the field empty: the name,
/// with the function for the Bürgermeister/in.
pub fn signature(user: &User, held: &[Function]) -> String {
    if held.contains(&Function::Mayor) {
        format!("{}, {}", user.name, Function::Mayor.label())
    } else {
        user.name.clone()
    }
}

fn document_url(state: &AppState, id: i64) -> String {
    format!(
        "{}/dokumente/{id}#pruefung",
        state.config.public_url.trim_end_matches('/')
    )
}

/// What a notice asks for: the outbox's kind of the mail.
pub const STATEMENT_REQUEST: &str = "stellungnahme";
pub const ADOPTION_REQUEST: &str = "beschluss";

/// Queues one notice in the mail outbox when SMTP is configured (sent in
/// the background, retried while the server is down, in the send log). A
/// failure to queue is logged, never fatal: the start page shows the same
/// task.
async fn notify(
    state: &AppState,
    doc: &Document,
    kind: &str,
    to: (Option<i64>, &str, &str),
    subject: String,
    body: String,
) {
    let (user_id, name, email) = to;
    let mail = store::mail_outbox::NewMail {
        kind: kind.into(),
        template: kind.into(),
        ref_id: Some(doc.id),
        ref_key: None,
        user_id,
        recipient_name: name.into(),
        recipient_email: email.into(),
        subject: Some(subject),
        body: Some(body),
    };
    let action = if kind == STATEMENT_REQUEST {
        "Stellungnahme per E-Mail erbeten"
    } else {
        "Beschluss per E-Mail erbeten"
    };
    let object = format!("Dokument {}", doc.id);
    let queued =
        crate::mail::outbox::queue(state, &store::Actor::system(), &[mail], action, &object).await;
    if let Err(e) = queued {
        tracing::warn!(error = %e, "review notice email not queued");
    }
}

/// On submission: every holder of a reviewing function is asked for the
/// statement.
pub async fn notify_reviewers(state: &AppState, doc: &Document) -> Result<(), AppError> {
    let status = ReviewStatus::load(state, doc.id, doc.latest_version).await?;
    let url = document_url(state, doc.id);
    for a in &status.areas {
        let Some(h) = &a.holder else { continue };
        let body = format!(
            "Guten Tag {},\n\n„{}“ (Version {}) liegt zur Prüfung vor. Als {} sind Sie gebeten, die Stellungnahme „{}“ abzugeben:\n{url}\n\nBis alle Stellungnahmen vorliegen, kann das Dokument nicht beschlossen werden.\n",
            h.name,
            doc.title,
            doc.latest_version,
            h.function.label(),
            a.area.label()
        );
        let subject = format!("Stellungnahme erbeten: {}", doc.title);
        let to = (Some(h.user_id), h.name.as_str(), h.email.as_str());
        notify(state, doc, STATEMENT_REQUEST, to, subject, body).await;
    }
    Ok(())
}

/// After the last statement: the adopter (Bürgermeister/in, else every
/// active admin) is asked for the decision.
pub async fn notify_adopter(state: &AppState, doc: &Document) -> Result<(), AppError> {
    let status = ReviewStatus::load(state, doc.id, doc.latest_version).await?;
    if doc.status != DocumentStatus::Review || !status.all_consented() {
        return Ok(());
    }
    let recipients: Vec<(i64, String, String)> = match &status.mayor {
        Some(h) => vec![(h.user_id, h.name.clone(), h.email.clone())],
        None => state
            .store
            .users()
            .await?
            .into_iter()
            .filter(|u| u.active && u.role == Role::Admin)
            .map(|u| (u.id, u.name, u.email))
            .collect(),
    };
    let url = document_url(state, doc.id);
    for (user_id, name, email) in recipients {
        let body = format!(
            "Guten Tag {name},\n\nzu „{}“ (Version {}) liegen alle Stellungnahmen mit Zustimmung vor. Sie sind gebeten, über das Dokument zu beschließen:\n{url}\n",
            doc.title, doc.latest_version
        );
        let subject = format!("Beschluss erwartet: {}", doc.title);
        let to = (Some(user_id), name.as_str(), email.as_str());
        notify(state, doc, ADOPTION_REQUEST, to, subject, body).await;
    }
    Ok(())
}

/// Something a person is asked to do, on their start page.
pub struct Task {
    pub text: String,
    pub href: String,
}

/// The statements a person's functions still owe and the adoptions that
/// wait for them.
pub async fn tasks_for(state: &AppState, user: &User) -> Result<Vec<Task>, AppError> {
    let held = state.store.functions_of(user.id).await?;
    let mayor_assigned = state
        .store
        .function_holder(Function::Mayor)
        .await?
        .is_some();
    let adopts = may_adopt(user.role, &held, mayor_assigned);
    if held.is_empty() && !adopts {
        return Ok(Vec::new());
    }
    let mut tasks = Vec::new();
    for doc in state.store.documents().await? {
        if doc.status != DocumentStatus::Review {
            continue;
        }
        let status = ReviewStatus::load(state, doc.id, doc.latest_version).await?;
        let href = format!("/dokumente/{}#pruefung", doc.id);
        for a in &status.areas {
            if a.statement.is_none() && a.holder.as_ref().is_some_and(|h| h.user_id == user.id) {
                tasks.push(Task {
                    text: format!(
                        "Stellungnahme ausstehend: {} zu „{}“",
                        a.area.label(),
                        doc.title
                    ),
                    href: href.clone(),
                });
            }
        }
        if adopts && status.all_consented() {
            tasks.push(Task {
                text: format!("Beschluss erwartet: „{}“", doc.title),
                href,
            });
        }
    }
    Ok(tasks)
}
