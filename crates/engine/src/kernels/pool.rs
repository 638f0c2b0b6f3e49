//! A thread pool for fork-join loops over task indices. A 135M-parameter
//! model runs ~150 parallel sections per token, so the hand-off must cost
//! around a microsecond: workers spin briefly on a generation counter before
//! they park, and the caller works on the tasks too. The caller waits only
//! for tasks that were actually taken, never for a worker to show up: on a
//! busy office machine a descheduled worker must not stall every section.

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

const SPINS_BEFORE_PARK: u32 = 1 << 16;

struct Job<'a> {
    f: &'a (dyn Fn(usize) + Sync),
    n_tasks: usize,
    next: AtomicUsize,
    done: AtomicUsize,
    panicked: AtomicBool,
}

impl Job<'_> {
    fn work(&self) {
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            if i >= self.n_tasks {
                return;
            }
            if catch_unwind(AssertUnwindSafe(|| (self.f)(i))).is_err() {
                self.panicked.store(true, Ordering::Relaxed);
            }
            self.done.fetch_add(1, Ordering::Release);
        }
    }
}

struct Shared {
    generation: AtomicUsize,
    job: AtomicPtr<Job<'static>>,
    /// Workers that may hold a reference to the current job.
    active: AtomicUsize,
    sleepers: AtomicUsize,
    stop: AtomicBool,
    lock: Mutex<()>,
    wake: Condvar,
}

/// Runs `n_tasks` calls of a closure on `threads` threads (the caller is one).
pub struct ThreadPool {
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
    /// Serialises `run` calls from different threads sharing one pool.
    busy: Mutex<()>,
}

impl std::fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ThreadPool({} threads)", self.threads())
    }
}

impl ThreadPool {
    pub fn new(threads: usize) -> Self {
        let shared = Arc::new(Shared {
            generation: AtomicUsize::new(0),
            job: AtomicPtr::new(std::ptr::null_mut()),
            active: AtomicUsize::new(0),
            sleepers: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            lock: Mutex::new(()),
            wake: Condvar::new(),
        });
        let workers = (1..threads.max(1))
            .map(|i| {
                let shared = Arc::clone(&shared);
                std::thread::Builder::new()
                    .name(format!("engine-{i}"))
                    .spawn(move || worker(&shared))
                    .expect("spawning an engine worker thread")
            })
            .collect();
        Self {
            shared,
            workers,
            busy: Mutex::new(()),
        }
    }

    pub fn threads(&self) -> usize {
        self.workers.len() + 1
    }

    /// Calls `f(i)` for every `i` in `0..n_tasks`, spread over the pool, and
    /// returns when all calls have returned.
    pub fn run(&self, n_tasks: usize, f: &(dyn Fn(usize) + Sync)) {
        if n_tasks == 0 {
            return;
        }
        if self.workers.is_empty() || n_tasks == 1 {
            (0..n_tasks).for_each(f);
            return;
        }
        let _busy = self.busy.lock().unwrap_or_else(|e| e.into_inner());
        let job = Job {
            f,
            n_tasks,
            next: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
            panicked: AtomicBool::new(false),
        };
        let s = &*self.shared;
        // SAFETY: workers dereference the pointer only between their
        // increment of `active` and their decrement, after seeing it
        // non-null. This function clears the pointer and then waits for
        // `active` to reach zero before `job` goes out of scope (it does
        // not unwind before that: task panics are caught), so `job`
        // outlives every use. The lifetime is erased only to store it.
        let ptr = unsafe {
            std::mem::transmute::<*const Job<'_>, *mut Job<'static>>(&job as *const Job<'_>)
        };
        s.job.store(ptr, Ordering::SeqCst);
        s.generation.fetch_add(1, Ordering::SeqCst);
        if s.sleepers.load(Ordering::SeqCst) > 0 {
            let _g = s.lock.lock().unwrap_or_else(|e| e.into_inner());
            s.wake.notify_all();
        }
        job.work();
        wait_until(|| job.done.load(Ordering::Acquire) == n_tasks);
        s.job.store(std::ptr::null_mut(), Ordering::SeqCst);
        wait_until(|| s.active.load(Ordering::SeqCst) == 0);
        if job.panicked.load(Ordering::Relaxed) {
            resume_unwind(Box::new("an engine task panicked"));
        }
    }
}

impl ThreadPool {
    /// Calls `f(i, chunk_i)` for every `chunk`-sized piece of `data` (the
    /// last may be shorter), in parallel; each piece is handed to exactly
    /// one call, so the closure gets it mutably.
    pub fn run_chunks<T: Send>(
        &self,
        data: &mut [T],
        chunk: usize,
        f: &(dyn Fn(usize, &mut [T]) + Sync),
    ) {
        let chunk = chunk.max(1);
        let len = data.len();
        let n = len.div_ceil(chunk);
        let base = SendPtr(data.as_mut_ptr());
        self.run(n, &|i| {
            let start = i * chunk;
            let end = (start + chunk).min(len);
            let base = &base;
            // SAFETY: `run` calls each index exactly once, so the ranges
            // [start, end) handed out here are disjoint and lie inside
            // `data`, which stays mutably borrowed until `run` returns.
            let piece = unsafe { std::slice::from_raw_parts_mut(base.0.add(start), end - start) };
            f(i, piece);
        });
    }
}

struct SendPtr<T>(*mut T);
// SAFETY: only used to hand disjoint sub-slices of a `&mut [T]` with
// `T: Send` to other threads (see `run_chunks`).
unsafe impl<T: Send> Sync for SendPtr<T> {}

/// Spins briefly, then yields: on an oversubscribed machine the thread we
/// wait for may need our time slice.
fn wait_until(cond: impl Fn() -> bool) {
    let mut spins = 0u32;
    while !cond() {
        spins += 1;
        if spins > 2048 {
            std::thread::yield_now();
        } else {
            std::hint::spin_loop();
        }
    }
}

fn worker(s: &Shared) {
    let mut seen = 0usize;
    loop {
        let mut spins = 0u32;
        loop {
            let g = s.generation.load(Ordering::Acquire);
            if g != seen {
                seen = g;
                break;
            }
            if spins < SPINS_BEFORE_PARK {
                spins += 1;
                std::hint::spin_loop();
                continue;
            }
            let mut guard = s.lock.lock().unwrap_or_else(|e| e.into_inner());
            s.sleepers.fetch_add(1, Ordering::SeqCst);
            while s.generation.load(Ordering::SeqCst) == seen && !s.stop.load(Ordering::SeqCst) {
                guard = s.wake.wait(guard).unwrap_or_else(|e| e.into_inner());
            }
            s.sleepers.fetch_sub(1, Ordering::SeqCst);
            spins = 0;
        }
        if s.stop.load(Ordering::SeqCst) {
            return;
        }
        s.active.fetch_add(1, Ordering::SeqCst);
        let ptr = s.job.load(Ordering::SeqCst);
        // SAFETY: a job pointer seen non-null after incrementing `active`
        // stays valid until `active` is decremented (see `ThreadPool::run`).
        if let Some(job) = unsafe { ptr.as_ref() } {
            job.work();
        }
        s.active.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Drop for ThreadPool {
    fn drop(&mut self) {
        let s = &*self.shared;
        s.stop.store(true, Ordering::SeqCst);
        s.generation.fetch_add(1, Ordering::SeqCst);
        {
            let _g = s.lock.lock().unwrap_or_else(|e| e.into_inner());
            s.wake.notify_all();
        }
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_task_runs_exactly_once_across_many_rounds() {
        let pool = ThreadPool::new(3);
        for round in 0..500 {
            let n = round % 17 + 1;
            let hits: Vec<AtomicUsize> = (0..n).map(|_| AtomicUsize::new(0)).collect();
            pool.run(n, &|i| {
                hits[i].fetch_add(1, Ordering::Relaxed);
            });
            assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == 1));
        }
    }
}
