//! Usage metering and the limits built on it: records go to the database
//! in batches on a task of their own (never on the request's path), token
//! quotas are checked against cached sums plus what this instance metered
//! since, and request rates are counted per key and minute in memory.
//!
//! Several app instances each count their own requests per minute; quotas
//! converge through the database within [`SUM_TTL`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use store::usage::{Quota, QuotaScope, UsageRecord};
use store::Store;
use tokio::sync::{mpsc, oneshot};

use crate::error::ApiError;

/// How long a sum of used tokens read from the database is trusted.
const SUM_TTL: Duration = Duration::from_secs(5);
/// How long the list of quotas is trusted.
const QUOTA_TTL: Duration = Duration::from_secs(10);

enum Message {
    Record(Box<UsageRecord>),
    Flush(oneshot::Sender<()>),
}

/// Who a request counts against.
#[derive(Debug, Clone)]
pub struct Subject {
    pub user_id: i64,
    pub team: Option<String>,
    pub department: Option<String>,
}

type SumKey = (QuotaScope, String, i64);

pub struct Meter {
    store: Store,
    tx: mpsc::UnboundedSender<Message>,
    sums: Mutex<HashMap<SumKey, (Instant, i64)>>,
    quotas: Mutex<Option<(Instant, Vec<Quota>)>>,
    minutes: Mutex<HashMap<i64, (i64, i64)>>,
}

impl std::fmt::Debug for Meter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Meter").finish_non_exhaustive()
    }
}

impl Meter {
    /// Starts the writer task; call inside a Tokio runtime.
    pub fn start(store: Store) -> Meter {
        let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
        let writer = store.clone();
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = Vec::new();
                let mut waiting = Vec::new();
                let mut next = Some(first);
                while let Some(msg) = next {
                    match msg {
                        Message::Record(r) => batch.push(*r),
                        Message::Flush(done) => waiting.push(done),
                    }
                    next = if batch.len() < 200 {
                        rx.try_recv().ok()
                    } else {
                        None
                    };
                }
                if let Err(e) = writer.record_usage(&batch).await {
                    tracing::error!(error = %e, records = batch.len(), "usage records lost");
                }
                for done in waiting {
                    let _ = done.send(());
                }
            }
        });
        Meter {
            store,
            tx,
            sums: Mutex::new(HashMap::new()),
            quotas: Mutex::new(None),
            minutes: Mutex::new(HashMap::new()),
        }
    }

    /// Queues a record and counts its tokens against cached sums.
    pub fn record(&self, record: UsageRecord) {
        let tokens = record.tokens_in + record.tokens_out;
        if let Ok(mut sums) = self.sums.lock() {
            for ((scope, subject, _), (_, used)) in sums.iter_mut() {
                let matches = match scope {
                    QuotaScope::User => {
                        record.user_id.map(|i| i.to_string()).as_ref() == Some(subject)
                    }
                    QuotaScope::Team => record.team.as_ref() == Some(subject),
                    QuotaScope::Department => record.department.as_ref() == Some(subject),
                };
                if matches {
                    *used += tokens;
                }
            }
        }
        let _ = self.tx.send(Message::Record(Box::new(record)));
    }

    /// Waits until every record queued so far is in the database.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Message::Flush(done)).is_ok() {
            let _ = wait.await;
        }
    }

    /// Counts a request against the key's limit per minute.
    pub fn check_rate(&self, key_id: i64, per_minute: i64, now: i64) -> Result<(), ApiError> {
        let minute = now.div_euclid(60);
        let mut minutes = self.minutes.lock().map_err(|_| poisoned())?;
        let entry = minutes.entry(key_id).or_insert((minute, 0));
        if entry.0 != minute {
            *entry = (minute, 0);
        }
        if entry.1 >= per_minute {
            let wait = 60 - now.rem_euclid(60);
            return Err(ApiError::rate_limited(per_minute, wait.max(1) as u64));
        }
        entry.1 += 1;
        Ok(())
    }

    async fn quotas(&self) -> Result<Vec<Quota>, ApiError> {
        if let Some((at, q)) = self.quotas.lock().map_err(|_| poisoned())?.as_ref() {
            if at.elapsed() < QUOTA_TTL {
                return Ok(q.clone());
            }
        }
        let q = self.store.quotas().await?;
        *self.quotas.lock().map_err(|_| poisoned())? = Some((Instant::now(), q.clone()));
        Ok(q)
    }

    /// Forgets cached quotas, e.g. after an administrator changed them.
    pub fn reload_quotas(&self) {
        if let Ok(mut q) = self.quotas.lock() {
            *q = None;
        }
    }

    async fn used(&self, scope: QuotaScope, subject: &str, since: i64) -> Result<i64, ApiError> {
        let key = (scope, subject.to_string(), since);
        if let Some((at, used)) = self.sums.lock().map_err(|_| poisoned())?.get(&key) {
            if at.elapsed() < SUM_TTL {
                return Ok(*used);
            }
        }
        let used = self.store.tokens_used(scope, subject, since).await?;
        self.sums
            .lock()
            .map_err(|_| poisoned())?
            .insert(key, (Instant::now(), used));
        Ok(used)
    }

    /// Refuses the request when any quota of the subject is used up.
    pub async fn check_quota(&self, who: &Subject, now: i64) -> Result<(), ApiError> {
        let quotas = self.quotas().await?;
        if quotas.is_empty() {
            return Ok(());
        }
        let user = who.user_id.to_string();
        for q in quotas {
            let subject = match q.scope {
                QuotaScope::User => Some(&user),
                QuotaScope::Team => who.team.as_ref(),
                QuotaScope::Department => who.department.as_ref(),
            };
            if subject != Some(&q.subject) {
                continue;
            }
            let (start, end) = q.period.bounds(now);
            if self.used(q.scope, &q.subject, start).await? >= q.max_tokens {
                let what = format!("{} {}", q.scope.label(), q.period.label());
                return Err(ApiError::quota_exhausted(&what, (end - now).max(1) as u64));
            }
        }
        Ok(())
    }
}

fn poisoned() -> ApiError {
    ApiError::internal("Interner Zustand des Gateways ist beschädigt; bitte neu starten.")
}
