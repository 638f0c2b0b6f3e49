//! Balancing of one remote backend's replicas: a request goes to the
//! healthy replica with the fewest outstanding requests, each replica takes
//! at most `max_concurrent` at once, and when all are full a request waits
//! in a bounded queue for a bounded time. An unhealthy replica is probed
//! again after one second, then after growing intervals (doubling, capped
//! at `probe_max_secs`), and rejoins when it answers.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::sync::Notify;

/// The first interval between probes of an unhealthy replica.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);

/// Limits of one remote backend (`limits = { … }` in its
/// `[[gateway.backends]]` entry); every field has a default.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Requests one replica works on at once (streams count until they
    /// end); further requests wait in the queue.
    pub max_concurrent: usize,
    /// Requests that may wait for a free replica; one more gets 503.
    pub queue: usize,
    /// Seconds a request waits in the queue at most, then 503.
    pub queue_wait_secs: u64,
    /// Largest interval in seconds between probes of an unhealthy replica.
    pub probe_max_secs: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_concurrent: 16,
            queue: 64,
            queue_wait_secs: 10,
            probe_max_secs: 30,
        }
    }
}

impl Limits {
    /// `Retry-After` for a request the queue turned away.
    pub fn retry_after(&self) -> u64 {
        self.queue_wait_secs.clamp(1, 30)
    }
}

/// When a replica is checked next.
#[derive(Debug)]
struct Probe {
    last: Option<Instant>,
    next: Instant,
    backoff: Duration,
}

/// One server of a remote backend.
#[derive(Debug)]
pub struct Replica {
    /// Base URL including `/v1`, from the server's config only.
    pub base: String,
    healthy: AtomicBool,
    outstanding: AtomicUsize,
    requests: AtomicU64,
    errors: AtomicU64,
    probe: Mutex<Probe>,
}

impl Replica {
    pub fn new(base: String) -> Replica {
        Replica {
            base,
            healthy: AtomicBool::new(true),
            outstanding: AtomicUsize::new(0),
            requests: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            probe: Mutex::new(Probe {
                last: None,
                next: Instant::now(),
                backoff: FIRST_BACKOFF,
            }),
        }
    }

    pub fn is_healthy(&self) -> bool {
        self.healthy.load(Ordering::Relaxed)
    }

    /// A request failed on this replica (no connection, 5xx, a stream cut
    /// off): counted, and the replica is out until a probe finds it back.
    /// True where it was healthy until now.
    pub fn failed(&self) -> bool {
        self.errors.fetch_add(1, Ordering::Relaxed);
        let was = self.healthy.swap(false, Ordering::Relaxed);
        if was {
            if let Ok(mut p) = self.probe.lock() {
                p.backoff = FIRST_BACKOFF;
                p.next = Instant::now() + FIRST_BACKOFF;
            }
        }
        was
    }

    /// Whether a probe is due: a healthy replica every `interval`, an
    /// unhealthy one when its backoff has passed.
    pub fn probe_due(&self, now: Instant, interval: Duration) -> bool {
        let Ok(p) = self.probe.lock() else {
            return true;
        };
        if self.is_healthy() {
            p.last.is_none_or(|l| now.duration_since(l) >= interval)
        } else {
            now >= p.next
        }
    }

    /// Records a probe's outcome; true where the health changed.
    pub fn probed(&self, ok: bool, cap: Duration) -> bool {
        let now = Instant::now();
        if let Ok(mut p) = self.probe.lock() {
            p.last = Some(now);
            if ok {
                p.backoff = FIRST_BACKOFF;
            } else {
                p.next = now + p.backoff;
                p.backoff = (p.backoff * 2).min(cap.max(FIRST_BACKOFF));
            }
        }
        self.healthy.swap(ok, Ordering::Relaxed) != ok
    }

    /// The interval before the next probe of an unhealthy replica.
    #[cfg(test)]
    fn backoff(&self) -> Duration {
        self.probe.lock().map(|p| p.backoff).unwrap_or_default()
    }
}

/// A replica's numbers for the metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaStats {
    pub replica: String,
    pub healthy: bool,
    pub outstanding: usize,
    pub requests: u64,
    pub errors: u64,
}

/// A backend's queue and replicas for the metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolStats {
    pub backend: String,
    pub waiting: usize,
    pub rejected: u64,
    pub replicas: Vec<ReplicaStats>,
}

/// Why no replica was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Busy {
    /// No healthy replica is left to try.
    NoneHealthy,
    /// Every healthy replica is at its limit and the queue is full.
    QueueFull,
    /// The request waited as long as allowed.
    WaitExpired,
}

/// A request's place on a replica; dropping it frees the place.
#[derive(Debug)]
pub struct Slot {
    replica: Arc<Replica>,
    freed: Arc<Notify>,
}

impl Slot {
    pub fn replica(&self) -> &Arc<Replica> {
        &self.replica
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.replica.outstanding.fetch_sub(1, Ordering::Relaxed);
        self.freed.notify_waiters();
    }
}

/// Counts a waiting request while it waits.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The replicas of one backend with their limits and queue.
#[derive(Debug)]
pub struct Pool {
    replicas: Vec<Arc<Replica>>,
    limits: Limits,
    /// Rotates the start among equally loaded replicas; held while picking.
    turn: Mutex<usize>,
    waiting: AtomicUsize,
    rejected: AtomicU64,
    freed: Arc<Notify>,
}

impl Pool {
    pub fn new(bases: impl IntoIterator<Item = String>, limits: Limits) -> Pool {
        Pool {
            replicas: bases
                .into_iter()
                .map(|b| Arc::new(Replica::new(b)))
                .collect(),
            limits,
            turn: Mutex::new(0),
            waiting: AtomicUsize::new(0),
            rejected: AtomicU64::new(0),
            freed: Arc::new(Notify::new()),
        }
    }

    pub fn replicas(&self) -> &[Arc<Replica>] {
        &self.replicas
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    pub fn is_healthy(&self) -> bool {
        self.replicas.iter().any(|r| r.is_healthy())
    }

    /// Wakes waiting requests to look again (a replica came back or went).
    pub fn wake(&self) {
        self.freed.notify_waiters();
    }

    fn usable(&self, skip: &[usize]) -> bool {
        self.replicas
            .iter()
            .enumerate()
            .any(|(i, r)| r.is_healthy() && !skip.contains(&i))
    }

    /// The healthy replica (not in `skip`) with the fewest outstanding
    /// requests below the limit, taken at once.
    fn try_take(&self, skip: &[usize]) -> Option<(usize, Slot)> {
        let limit = self.limits.max_concurrent.max(1);
        let mut turn = self.turn.lock().ok()?;
        let n = self.replicas.len();
        let best = (0..n)
            .map(|k| (*turn + k) % n)
            .filter(|i| !skip.contains(i) && self.replicas[*i].is_healthy())
            .map(|i| (i, self.replicas[i].outstanding.load(Ordering::Relaxed)))
            .filter(|(_, out)| *out < limit)
            .min_by_key(|(_, out)| *out)?;
        *turn = (best.0 + 1) % n;
        let replica = Arc::clone(&self.replicas[best.0]);
        replica.outstanding.fetch_add(1, Ordering::Relaxed);
        replica.requests.fetch_add(1, Ordering::Relaxed);
        Some((
            best.0,
            Slot {
                replica,
                freed: Arc::clone(&self.freed),
            },
        ))
    }

    /// A place on a replica not in `skip`, waiting in the queue until
    /// `deadline` when all are full.
    pub async fn acquire(&self, skip: &[usize], deadline: Instant) -> Result<(usize, Slot), Busy> {
        if let Some(taken) = self.try_take(skip) {
            return Ok(taken);
        }
        if !self.usable(skip) {
            return Err(Busy::NoneHealthy);
        }
        if self.waiting.fetch_add(1, Ordering::Relaxed) >= self.limits.queue {
            self.waiting.fetch_sub(1, Ordering::Relaxed);
            self.rejected.fetch_add(1, Ordering::Relaxed);
            return Err(Busy::QueueFull);
        }
        let _waiting = Waiting(&self.waiting);
        loop {
            let freed = self.freed.notified();
            tokio::pin!(freed);
            // Registered before looking, so a place freed in between wakes it.
            freed.as_mut().enable();
            if let Some(taken) = self.try_take(skip) {
                return Ok(taken);
            }
            if !self.usable(skip) {
                return Err(Busy::NoneHealthy);
            }
            if tokio::time::timeout_at(deadline.into(), freed)
                .await
                .is_err()
            {
                self.rejected.fetch_add(1, Ordering::Relaxed);
                return Err(Busy::WaitExpired);
            }
        }
    }

    pub fn stats(&self, backend: &str) -> PoolStats {
        PoolStats {
            backend: backend.to_string(),
            waiting: self.waiting.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
            replicas: self
                .replicas
                .iter()
                .map(|r| ReplicaStats {
                    replica: r.base.clone(),
                    healthy: r.is_healthy(),
                    outstanding: r.outstanding.load(Ordering::Relaxed),
                    requests: r.requests.load(Ordering::Relaxed),
                    errors: r.errors.load(Ordering::Relaxed),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(n: usize, limits: Limits) -> Pool {
        Pool::new((0..n).map(|i| format!("http://r{i}/v1")), limits)
    }

    fn soon(ms: u64) -> Instant {
        Instant::now() + Duration::from_millis(ms)
    }

    #[tokio::test]
    async fn the_least_loaded_healthy_replica_is_chosen() {
        let p = pool(3, Limits::default());
        let (a, _sa) = p.acquire(&[], soon(10)).await.unwrap();
        let (b, _sb) = p.acquire(&[], soon(10)).await.unwrap();
        let (c, sc) = p.acquire(&[], soon(10)).await.unwrap();
        let mut all = [a, b, c];
        all.sort_unstable();
        assert_eq!(all, [0, 1, 2], "one each while all are busy");
        drop(sc);
        // The one that became free is the least loaded now.
        assert_eq!(p.acquire(&[], soon(10)).await.unwrap().0, c);
        p.replicas[a].failed();
        let (d, _sd) = p.acquire(&[], soon(10)).await.unwrap();
        assert_ne!(d, a, "an unhealthy replica gets nothing");
        assert_ne!(p.acquire(&[b], soon(10)).await.unwrap().0, b);
    }

    #[tokio::test]
    async fn a_full_pool_queues_then_turns_away_with_the_reason() {
        let limits = Limits {
            max_concurrent: 1,
            queue: 1,
            ..Limits::default()
        };
        let p = Arc::new(pool(1, limits));
        let (_, first) = p.acquire(&[], soon(10)).await.unwrap();
        // One waits; a second waiter finds the queue full at once.
        let waiter = {
            let p = Arc::clone(&p);
            tokio::spawn(async move { p.acquire(&[], soon(2000)).await.map(|t| t.0) })
        };
        while p.stats("x").waiting == 0 {
            tokio::task::yield_now().await;
        }
        assert_eq!(
            p.acquire(&[], soon(2000)).await.unwrap_err(),
            Busy::QueueFull
        );
        drop(first);
        assert_eq!(
            waiter.await.unwrap(),
            Ok(0),
            "the freed place goes to the waiter"
        );
        // The waiter's slot was dropped with its task: free again, and a wait
        // that runs out says so.
        let (_, held) = p.acquire(&[], soon(10)).await.unwrap();
        assert_eq!(
            p.acquire(&[], soon(50)).await.unwrap_err(),
            Busy::WaitExpired
        );
        drop(held);
        assert_eq!(p.stats("x").rejected, 2);
        assert_eq!(p.stats("x").waiting, 0);
        p.replicas[0].failed();
        assert_eq!(
            p.acquire(&[], soon(10)).await.unwrap_err(),
            Busy::NoneHealthy
        );
    }

    #[test]
    fn an_unhealthy_replica_is_probed_with_a_growing_capped_interval() {
        let r = Replica::new("http://r/v1".into());
        let every = Duration::from_secs(10);
        let now = Instant::now();
        assert!(r.probe_due(now, every), "never checked yet");
        assert!(!r.probed(true, Duration::from_secs(4)));
        assert!(!r.probe_due(Instant::now(), every));
        assert!(r.failed());
        assert!(!r.probe_due(Instant::now(), every));
        assert!(r.probe_due(Instant::now() + FIRST_BACKOFF, every));
        let cap = Duration::from_secs(4);
        let mut seen = Vec::new();
        for _ in 0..4 {
            r.probed(false, cap);
            seen.push(r.backoff().as_secs());
        }
        assert_eq!(seen, [2, 4, 4, 4]);
        assert!(r.probed(true, cap), "back");
        assert!(r.is_healthy());
        assert_eq!(r.backoff(), FIRST_BACKOFF);
    }
}
