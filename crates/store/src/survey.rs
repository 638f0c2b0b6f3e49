//! The Bestandsaufnahme: surveys, participation tokens and anonymous answers.
//!
//! How anonymity is kept here (see the migration `0002_survey.sql`):
//! - a token is stored as its hash and **deleted** in the transaction that
//!   stores the answer, so afterwards no row says which token (or person)
//!   gave which answer; who has not answered yet is what remains;
//! - an answer row has a random id, the survey id and the answers: no
//!   person, no token, no time;
//! - the audit log records administrative changes (create, open, close,
//!   links, exports), never answers or their submission.
//!
//! Questionnaires and answers are stored as JSON text; the `journey` crate
//! parses and checks them. This module does not look inside.

use serde::Serialize;

use crate::{hash_token, now, on_db, random_token, write_audit, Actor, Result, Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SurveyStatus {
    /// Being prepared; nobody can answer yet.
    Draft,
    /// Answers are accepted.
    Open,
    /// No more answers; results can be seen. A closed survey stays closed,
    /// so results are never compared over time by difference.
    Closed,
}

impl SurveyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SurveyStatus::Draft => "draft",
            SurveyStatus::Open => "open",
            SurveyStatus::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SurveyStatus::Draft => "in Vorbereitung",
            SurveyStatus::Open => "läuft",
            SurveyStatus::Closed => "abgeschlossen",
        }
    }

    fn parse(s: &str) -> SurveyStatus {
        match s {
            "open" => SurveyStatus::Open,
            "closed" => SurveyStatus::Closed,
            _ => SurveyStatus::Draft,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Survey {
    pub id: i64,
    pub title: String,
    /// The questionnaire as JSON (resolved once the survey is open).
    pub questionnaire: String,
    /// The import report as JSON, empty when nothing was imported.
    pub import_report: String,
    pub status: SurveyStatus,
    pub min_group_size: i64,
    pub codes_issued: i64,
    pub created_at: i64,
    pub opened_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub version: i64,
    /// First and last day answers are taken (YYYY-MM-DD), if limited.
    pub answer_from: Option<String>,
    pub answer_until: Option<String>,
}

#[derive(sqlx::FromRow)]
struct SurveyRow {
    id: i64,
    title: String,
    questionnaire: String,
    import_report: String,
    status: String,
    min_group_size: i64,
    codes_issued: i64,
    created_at: i64,
    opened_at: Option<i64>,
    closed_at: Option<i64>,
    version: i64,
    answer_from: Option<String>,
    answer_until: Option<String>,
}

impl From<SurveyRow> for Survey {
    fn from(r: SurveyRow) -> Survey {
        Survey {
            id: r.id,
            title: r.title,
            questionnaire: r.questionnaire,
            import_report: r.import_report,
            status: SurveyStatus::parse(&r.status),
            min_group_size: r.min_group_size,
            codes_issued: r.codes_issued,
            created_at: r.created_at,
            opened_at: r.opened_at,
            closed_at: r.closed_at,
            version: r.version,
            answer_from: r.answer_from,
            answer_until: r.answer_until,
        }
    }
}

const SURVEY_COLUMNS: &str = "id, title, questionnaire, import_report, status, min_group_size, \
     codes_issued, created_at, opened_at, closed_at, version, answer_from, answer_until";

/// A new survey as the project team sets it up.
#[derive(Debug, Clone)]
pub struct NewSurvey {
    pub title: String,
    pub questionnaire: String,
    pub import_report: String,
    pub min_group_size: i64,
}

/// How many took part, without saying who answered what.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Participation {
    pub responses: i64,
    /// Personal links made, and how many of them were used.
    pub invited: i64,
    pub invited_answered: i64,
    pub codes_issued: i64,
    pub codes_used: i64,
}

/// The open survey behind a token, as far as answering needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AnswerGate {
    pub id: i64,
    /// Changes with every change of questionnaire, status or period.
    pub version: i64,
    pub answer_from: Option<String>,
    pub answer_until: Option<String>,
}

/// A personal link made for one person.
#[derive(Debug, Clone, Serialize)]
pub struct PersonalToken {
    pub user_id: i64,
    pub token: String,
}

pub use crate::survey_submissions::SubmitRefusal;

impl Store {
    pub async fn create_survey(&self, actor: &Actor, survey: &NewSurvey) -> Result<Survey> {
        let id = on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO surveys (title, questionnaire, import_report, status, min_group_size, \
                 codes_issued, created_by, created_at, version) \
                 VALUES ($1, $2, $3, $4, $5, 0, $6, $7, 1) RETURNING id",
            )
            .bind(survey.title.trim())
            .bind(&survey.questionnaire)
            .bind(&survey.import_report)
            .bind(SurveyStatus::Draft.as_str())
            .bind(survey.min_group_size)
            .bind(actor.id)
            .bind(now())
            .fetch_one(&mut *tx)
            .await?;
            write_audit!(tx, actor, "Umfrage angelegt", format!("Umfrage {id}"), survey.title.trim().to_string());
            tx.commit().await?;
            id
        });
        self.survey(id).await
    }

    pub async fn survey(&self, id: i64) -> Result<Survey> {
        let sql = format!("SELECT {SURVEY_COLUMNS} FROM surveys WHERE id = $1");
        let row: SurveyRow = on_db!(self, pool => {
            sqlx::query_as(&sql).bind(id).fetch_one(pool).await?
        });
        Ok(row.into())
    }

    /// All surveys, newest first.
    pub async fn surveys(&self) -> Result<Vec<Survey>> {
        let sql = format!("SELECT {SURVEY_COLUMNS} FROM surveys ORDER BY id DESC");
        let rows: Vec<SurveyRow> = on_db!(self, pool => {
            sqlx::query_as(&sql).fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(Survey::from).collect())
    }

    /// Opens a draft with the questionnaire resolved against the profile.
    pub async fn open_survey(&self, actor: &Actor, id: i64, resolved: &str) -> Result<Survey> {
        self.change_status(
            actor,
            id,
            SurveyStatus::Draft,
            SurveyStatus::Open,
            Some(resolved),
        )
        .await
    }

    /// Closes an open survey for good; its tokens are deleted with it.
    pub async fn close_survey(&self, actor: &Actor, id: i64) -> Result<Survey> {
        self.change_status(actor, id, SurveyStatus::Open, SurveyStatus::Closed, None)
            .await
    }

    async fn change_status(
        &self,
        actor: &Actor,
        id: i64,
        from: SurveyStatus,
        to: SurveyStatus,
        questionnaire: Option<&str>,
    ) -> Result<Survey> {
        let before = self.survey(id).await?;
        if before.status != from {
            return Err(StoreError::Duplicate(match to {
                SurveyStatus::Open => "Die Umfrage wurde bereits gestartet.".to_string(),
                _ => "Nur eine laufende Umfrage kann abgeschlossen werden.".to_string(),
            }));
        }
        let at = now();
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let done = sqlx::query(
                "UPDATE surveys SET status = $1, questionnaire = COALESCE($2, questionnaire), \
                 opened_at = CASE WHEN $1 = 'open' THEN $3 ELSE opened_at END, \
                 closed_at = CASE WHEN $1 = 'closed' THEN $3 ELSE closed_at END, \
                 version = version + 1 WHERE id = $4 AND status = $5",
            )
            .bind(to.as_str())
            .bind(questionnaire)
            .bind(at)
            .bind(id)
            .bind(from.as_str())
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::Conflict);
            }
            if to == SurveyStatus::Closed {
                sqlx::query("DELETE FROM survey_tokens WHERE survey_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM survey_drafts WHERE survey_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            let action = if to == SurveyStatus::Open { "Umfrage gestartet" } else { "Umfrage abgeschlossen" };
            write_audit!(tx, actor, action, format!("Umfrage {id}"), before.title.clone());
            tx.commit().await?;
        });
        self.survey(id).await
    }

    /// Makes a personal link for each of `user_ids` who has not answered
    /// yet; an older unused link of the same person stops working. Those
    /// who already answered get none (and are not in the result).
    pub async fn create_personal_tokens(
        &self,
        actor: &Actor,
        survey_id: i64,
        user_ids: &[i64],
    ) -> Result<Vec<PersonalToken>> {
        let at = now();
        let out = on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let (status,): (String,) = sqlx::query_as("SELECT status FROM surveys WHERE id = $1")
                .bind(survey_id)
                .fetch_one(&mut *tx)
                .await?;
            if SurveyStatus::parse(&status) == SurveyStatus::Closed {
                return Err(StoreError::Duplicate("Die Umfrage ist abgeschlossen.".into()));
            }
            let mut out = Vec::new();
            for &user_id in user_ids {
                let invited: Option<(i64,)> = sqlx::query_as(
                    "SELECT user_id FROM survey_invitations WHERE survey_id = $1 AND user_id = $2",
                )
                .bind(survey_id)
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?;
                let open = sqlx::query("DELETE FROM survey_tokens WHERE survey_id = $1 AND user_id = $2")
                    .bind(survey_id)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if invited.is_some() && open == 0 {
                    // Invited, and the link is gone: this person has answered.
                    continue;
                }
                if invited.is_none() {
                    sqlx::query("INSERT INTO survey_invitations (survey_id, user_id) VALUES ($1, $2)")
                        .bind(survey_id)
                        .bind(user_id)
                        .execute(&mut *tx)
                        .await?;
                }
                let token = random_token(24);
                sqlx::query(
                    "INSERT INTO survey_tokens (token_hash, survey_id, user_id, created_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(hash_token(&normalize_code(&token)))
                .bind(survey_id)
                .bind(user_id)
                .bind(at)
                .execute(&mut *tx)
                .await?;
                out.push(PersonalToken { user_id, token });
            }
            write_audit!(tx, actor, "Teilnahmelinks erstellt", format!("Umfrage {survey_id}"),
                format!("{} persönliche Links", out.len()));
            tx.commit().await?;
            out
        });
        Ok(out)
    }

    /// One-time codes that belong to nobody, for a printed list.
    pub async fn create_survey_codes(
        &self,
        actor: &Actor,
        survey_id: i64,
        count: usize,
    ) -> Result<Vec<String>> {
        let at = now();
        let codes: Vec<String> = (0..count).map(|_| participation_code()).collect();
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let done = sqlx::query(
                "UPDATE surveys SET codes_issued = codes_issued + $1 WHERE id = $2 AND status <> 'closed'",
            )
            .bind(count as i64)
            .bind(survey_id)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::Duplicate("Die Umfrage ist abgeschlossen.".into()));
            }
            for code in &codes {
                sqlx::query(
                    "INSERT INTO survey_tokens (token_hash, survey_id, user_id, created_at) VALUES ($1, $2, NULL, $3)",
                )
                .bind(hash_token(&normalize_code(code)))
                .bind(survey_id)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            }
            write_audit!(tx, actor, "Teilnahmecodes erstellt", format!("Umfrage {survey_id}"),
                format!("{count} Codes"));
            tx.commit().await?;
        });
        Ok(codes)
    }

    /// Replaces the questionnaire of a draft. `version` is the version the
    /// editor started from; a draft changed (or opened) since is a conflict,
    /// so two editors never overwrite each other unnoticed.
    pub async fn update_survey_questionnaire(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
        questionnaire: &str,
    ) -> Result<Survey> {
        let before = self.survey(id).await?;
        if before.status != SurveyStatus::Draft {
            return Err(StoreError::Duplicate(
                "Nur eine Umfrage in Vorbereitung lässt sich bearbeiten.".to_string(),
            ));
        }
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let done = sqlx::query(
                "UPDATE surveys SET questionnaire = $1, version = version + 1 \
                 WHERE id = $2 AND status = 'draft' AND version = $3",
            )
            .bind(questionnaire)
            .bind(id)
            .bind(version)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::Conflict);
            }
            write_audit!(tx, actor, "Fragebogen bearbeitet", format!("Umfrage {id}"), before.title.clone());
            tx.commit().await?;
        });
        self.survey(id).await
    }

    /// Sets (or clears, with `None`) the answering period of a survey that
    /// is not closed. Dates are `YYYY-MM-DD`, checked by the caller.
    pub async fn set_survey_period(
        &self,
        actor: &Actor,
        id: i64,
        from: Option<&str>,
        until: Option<&str>,
    ) -> Result<Survey> {
        let before = self.survey(id).await?;
        if before.status == SurveyStatus::Closed {
            return Err(StoreError::Duplicate(
                "Eine abgeschlossene Umfrage bekommt keinen neuen Zeitraum.".to_string(),
            ));
        }
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "UPDATE surveys SET answer_from = $1, answer_until = $2, version = version + 1 \
                 WHERE id = $3 AND status <> 'closed'",
            )
            .bind(from)
            .bind(until)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            let detail = format!("{} bis {}", from.unwrap_or("offen"), until.unwrap_or("offen"));
            write_audit!(tx, actor, "Umfragezeitraum festgelegt", format!("Umfrage {id}"), detail);
            tx.commit().await?;
        });
        self.survey(id).await
    }

    /// Keeps the unfinished answers (`answers`: JSON) of the holder of a
    /// valid token, replacing an earlier draft. `false` when the token is
    /// unknown, used, or its survey not open.
    pub async fn save_survey_draft(&self, token: &str, answers: &str) -> Result<bool> {
        let Some(survey) = self.survey_for_token(token).await? else {
            return Ok(false);
        };
        let key = draft_key(token);
        on_db!(self, pool => {
            sqlx::query(
                "INSERT INTO survey_drafts (draft_key, survey_id, answers) VALUES ($1, $2, $3) \
                 ON CONFLICT (draft_key) DO UPDATE SET answers = excluded.answers",
            )
            .bind(&key)
            .bind(survey.id)
            .bind(answers)
            .execute(pool)
            .await?;
        });
        Ok(true)
    }

    /// The saved unfinished answers for a token, if any.
    pub async fn survey_draft(&self, token: &str) -> Result<Option<String>> {
        let row: Option<(String,)> = on_db!(self, pool => {
            sqlx::query_as("SELECT answers FROM survey_drafts WHERE draft_key = $1")
                .bind(draft_key(token))
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|(a,)| a))
    }

    /// Stores an answer the project team typed in from a paper form. There
    /// is no token to use up: the paper itself was the one-time form. The
    /// audit log records that a paper answer was entered, never its content.
    pub async fn submit_paper_response(
        &self,
        actor: &Actor,
        survey_id: i64,
        answers: &str,
    ) -> Result<std::result::Result<(), SubmitRefusal>> {
        let id = random_token(16);
        let refused = on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let (status,): (String,) = sqlx::query_as("SELECT status FROM surveys WHERE id = $1")
                .bind(survey_id)
                .fetch_one(&mut *tx)
                .await?;
            if SurveyStatus::parse(&status) != SurveyStatus::Open {
                Some(SubmitRefusal::NotOpen)
            } else {
                sqlx::query("INSERT INTO survey_responses (id, survey_id, answers) VALUES ($1, $2, $3)")
                    .bind(&id)
                    .bind(survey_id)
                    .bind(answers)
                    .execute(&mut *tx)
                    .await?;
                write_audit!(tx, actor, "Papierantwort erfasst", format!("Umfrage {survey_id}"), String::new());
                tx.commit().await?;
                None
            }
        });
        Ok(match refused {
            Some(r) => Err(r),
            None => Ok(()),
        })
    }

    /// The open survey a token or code is valid for.
    pub async fn survey_for_token(&self, token: &str) -> Result<Option<Survey>> {
        let row: Option<(i64,)> = on_db!(self, pool => {
            sqlx::query_as("SELECT survey_id FROM survey_tokens WHERE token_hash = $1")
                .bind(hash_token(&normalize_code(token)))
                .fetch_optional(pool)
                .await?
        });
        let Some((id,)) = row else {
            return Ok(None);
        };
        let survey = self.survey(id).await?;
        Ok((survey.status == SurveyStatus::Open).then_some(survey))
    }

    /// What answering needs to know about the open survey a token or code
    /// belongs to, in one query and without the questionnaire text: the
    /// caller keeps questionnaires parsed by `(id, version)`.
    pub async fn answer_gate(&self, token: &str) -> Result<Option<AnswerGate>> {
        let row: Option<AnswerGate> = on_db!(self, pool => {
            sqlx::query_as(
                "SELECT s.id, s.version, s.answer_from, s.answer_until FROM survey_tokens t \
                 JOIN surveys s ON s.id = t.survey_id WHERE t.token_hash = $1 AND s.status = 'open'",
            )
            .bind(hash_token(&normalize_code(token)))
            .fetch_optional(pool)
            .await?
        });
        Ok(row)
    }

    /// Stores one checked answer (`answers`: the response as JSON) and uses
    /// up the token, both or neither. The token row is deleted, not marked,
    /// so nothing is left that links it to the answer. Answers arriving
    /// together share one commit (see `survey_submissions`); this returns
    /// once the answer's commit is durable.
    pub async fn submit_response(
        &self,
        survey_id: i64,
        token: &str,
        answers: &str,
    ) -> Result<std::result::Result<(), SubmitRefusal>> {
        self.submissions
            .submit(&self.db, |reply| crate::survey_submissions::Submission {
                survey_id,
                token_hash: hash_token(&normalize_code(token)),
                draft_key: draft_key(token),
                answers: answers.to_owned(),
                reply,
            })
            .await
    }

    /// All answers of a survey as JSON texts, in no meaningful order.
    pub async fn survey_responses(&self, survey_id: i64) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = on_db!(self, pool => {
            sqlx::query_as("SELECT answers FROM survey_responses WHERE survey_id = $1 ORDER BY id")
                .bind(survey_id)
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(|(a,)| a).collect())
    }

    pub async fn participation(&self, survey: &Survey) -> Result<Participation> {
        let (responses, invited, open_personal, open_codes) = on_db!(self, pool => {
            let (responses,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM survey_responses WHERE survey_id = $1")
                .bind(survey.id).fetch_one(pool).await?;
            let (invited,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM survey_invitations WHERE survey_id = $1")
                .bind(survey.id).fetch_one(pool).await?;
            let (open_personal,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM survey_tokens WHERE survey_id = $1 AND user_id IS NOT NULL")
                .bind(survey.id).fetch_one(pool).await?;
            let (open_codes,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM survey_tokens WHERE survey_id = $1 AND user_id IS NULL")
                .bind(survey.id).fetch_one(pool).await?;
            (responses, invited, open_personal, open_codes)
        });
        // Once closed, the tokens are gone; used counts are then unknown.
        let closed = survey.status == SurveyStatus::Closed;
        Ok(Participation {
            responses,
            invited,
            invited_answered: if closed { 0 } else { invited - open_personal },
            codes_issued: survey.codes_issued,
            codes_used: if closed {
                0
            } else {
                survey.codes_issued - open_codes
            },
        })
    }

    /// Ids of the people with a personal link who have not answered yet
    /// (for reminders).
    pub async fn survey_pending_user_ids(&self, survey_id: i64) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> = on_db!(self, pool => {
            sqlx::query_as(
                "SELECT user_id FROM survey_tokens WHERE survey_id = $1 AND user_id IS NOT NULL ORDER BY user_id",
            )
            .bind(survey_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Ids of everyone who was sent a personal link.
    pub async fn survey_invited_user_ids(&self, survey_id: i64) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> = on_db!(self, pool => {
            sqlx::query_as(
                "SELECT user_id FROM survey_invitations WHERE survey_id = $1 ORDER BY user_id",
            )
            .bind(survey_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }
}

/// The key of a token's draft: a hash unlike the token's own stored hash,
/// so drafts and tokens cannot be joined in the database.
fn draft_key(token: &str) -> String {
    hash_token(&format!("entwurf:{}", normalize_code(token)))
}

/// A code to type from paper: 12 characters from an alphabet without
/// look-alikes, shown in groups of four (`K7QM-2XRA-P9TD`).
/// The letters and digits of a code: no 0/O, 1/I that look alike on paper.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

fn participation_code() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = CODE_ALPHABET;
    let mut rng = rand::rngs::OsRng;
    let chars: Vec<char> = (0..12)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// A code as printed (`K7QM-2XRA-P9TD`) when `code`, however typed, has
/// the shape of one of ours; `None` for anything else.
pub fn printed_code(code: &str) -> Option<String> {
    let code = normalize_code(code);
    let ours = code.len() == 12 && code.bytes().all(|b| CODE_ALPHABET.contains(&b));
    ours.then(|| format!("{}-{}-{}", &code[..4], &code[4..8], &code[8..]))
}

/// Codes typed by hand may differ in case, blanks and dashes; long link
/// tokens (hex) pass unchanged apart from case.
pub fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_typed_by_hand_match_in_any_case_and_grouping() {
        let code = participation_code();
        assert_eq!(code.len(), 14);
        assert_eq!(
            printed_code(&code.to_lowercase().replace('-', "")),
            Some(code.clone())
        );
        assert_eq!(printed_code("K7QM-2XRA-P9T0"), None);
        assert_eq!(
            normalize_code(&code.to_lowercase().replace('-', " ")),
            normalize_code(&code)
        );
    }
}
