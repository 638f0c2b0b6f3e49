//! Group commit for survey answers. Answers arrive in bursts (a whole
//! department follows the same mail), and each one is a tiny write: using
//! up the token, storing the answer, dropping a saved draft. Committing
//! each on its own costs one durable flush per answer and, on SQLite, a
//! fight for the single write lock. So one writer task per [`Store`] takes
//! whatever answers are waiting, writes them in one transaction and
//! commits once; each caller hears back only after that commit, so an
//! acknowledged answer is on disk (`synchronous = FULL` stays as it is).
//!
//! A batch that fails as a whole (the database went away) answers every
//! caller in it with the error: nothing is acknowledged that was not
//! stored.

use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};

use crate::{on_db, random_token, Db, Result, StoreError};

/// Most answers written in one transaction; a bound keeps a commit short
/// even when thousands are waiting.
const MAX_BATCH: usize = 256;

/// Answers waiting for the writer; beyond this callers wait to enqueue.
const QUEUE_DEPTH: usize = 4096;

/// Why an answer was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmitRefusal {
    /// Unknown, or already used (the two cannot be told apart by design).
    TokenUnknownOrUsed,
    /// The survey is not (or no longer) open.
    NotOpen,
}

type Outcome = std::result::Result<(), SubmitRefusal>;

/// One checked answer on its way to the database.
pub(crate) struct Submission {
    pub survey_id: i64,
    /// The stored hash of the token or code that is used up.
    pub token_hash: String,
    /// The key of a draft saved under the same token, removed with it.
    pub draft_key: String,
    pub answers: String,
    pub reply: oneshot::Sender<Result<Outcome>>,
}

/// The handle in [`crate::Store`]: starts its writer on first use, and
/// again if the runtime that ran the previous one has gone (tests run one
/// runtime per test).
#[derive(Debug, Clone, Default)]
pub(crate) struct SubmitQueue(Arc<Mutex<Option<mpsc::Sender<Submission>>>>);

/// What the writer needs of the store: the pool, and not the queue itself
/// (else the queue would keep its own writer alive for ever).
struct Writer {
    db: Db,
}

impl SubmitQueue {
    fn sender(&self, db: &Db) -> mpsc::Sender<Submission> {
        let mut slot = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match slot.as_ref() {
            Some(tx) if !tx.is_closed() => tx.clone(),
            _ => {
                let (tx, rx) = mpsc::channel(QUEUE_DEPTH);
                let writer = Writer { db: db.clone() };
                tokio::spawn(writer.run(rx));
                *slot = Some(tx.clone());
                tx
            }
        }
    }

    /// Hands the answer to the writer and waits until its batch committed.
    pub(crate) async fn submit(
        &self,
        db: &Db,
        make: impl FnOnce(oneshot::Sender<Result<Outcome>>) -> Submission,
    ) -> Result<Outcome> {
        let (reply, answer) = oneshot::channel();
        let gone = || not_stored("der Schreibvorgang wurde abgebrochen");
        self.sender(db)
            .send(make(reply))
            .await
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

fn not_stored(why: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Protocol(format!(
        "Antwort nicht gespeichert: {why}"
    )))
}

impl Writer {
    async fn run(self, mut rx: mpsc::Receiver<Submission>) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
            match self.write(&batch).await {
                Ok(outcomes) => {
                    for (s, outcome) in batch.drain(..).zip(outcomes) {
                        let _ = s.reply.send(Ok(outcome));
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, answers = batch.len(), "survey answers not stored");
                    let text = e.to_string();
                    // Not stored: callers answer with a server error, and
                    // the tokens stay usable for another try.
                    for s in batch.drain(..) {
                        let _ = s.reply.send(Err(not_stored(&text)));
                    }
                }
            }
        }
    }

    /// Writes the batch in one transaction: per answer, the token is
    /// deleted (only while its survey is open) and, if that found it, the
    /// answer stored and a draft of the same token dropped.
    async fn write(&self, batch: &[Submission]) -> Result<Vec<Outcome>> {
        let ids: Vec<String> = batch.iter().map(|_| random_token(16)).collect();
        let outcomes = on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let mut outcomes = Vec::with_capacity(batch.len());
            for (s, id) in batch.iter().zip(&ids) {
                let used = sqlx::query(
                    "DELETE FROM survey_tokens WHERE token_hash = $1 AND survey_id = $2 \
                     AND EXISTS (SELECT 1 FROM surveys WHERE id = $2 AND status = 'open')",
                )
                .bind(&s.token_hash)
                .bind(s.survey_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if used == 0 {
                    outcomes.push(Err(SubmitRefusal::TokenUnknownOrUsed));
                    continue;
                }
                sqlx::query("INSERT INTO survey_responses (id, survey_id, answers) VALUES ($1, $2, $3)")
                    .bind(id)
                    .bind(s.survey_id)
                    .bind(&s.answers)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM survey_drafts WHERE draft_key = $1")
                    .bind(&s.draft_key)
                    .execute(&mut *tx)
                    .await?;
                outcomes.push(Ok(()));
            }
            tx.commit().await?;
            outcomes
        });
        Ok(outcomes)
    }
}
