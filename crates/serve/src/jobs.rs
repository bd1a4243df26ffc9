//! Long work the UI runs in the background (a verify, a diff of big backups, their first index):
//! the page answers at once with the work's progress and reloads itself until the outcome is
//! there, and no other page waits for it.

use crate::status::Status;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a page waits for its work before it answers with the progress instead: short work
/// (a small backup) answers in one page. Two seconds; `VELOSCOPE_UI_PATIENCE_MS` changes it
/// (the tests see the progress page with 0).
fn patience() -> Duration {
    static PATIENCE: std::sync::OnceLock<Duration> = std::sync::OnceLock::new();
    *PATIENCE.get_or_init(|| {
        std::env::var("VELOSCOPE_UI_PATIENCE_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map_or(Duration::from_secs(2), Duration::from_millis)
    })
}
/// The most background jobs running at once; more is a 429 until one ends.
const MOST_JOBS: usize = 4;

/// How long a finished job's outcome is kept for the pages that wait for it (the reloading
/// page, another tab asking the same): after that, or past [`MOST_KEPT`] outcomes, it is dropped
/// and asking again runs the work again.
const KEEP: Duration = Duration::from_secs(60);
const MOST_KEPT: usize = 16;

/// One piece of work: what it has done so far, and its outcome once it ends.
#[derive(Default)]
pub struct Job {
    bytes: AtomicU64,
    total: AtomicU64,
    items: AtomicU64,
    step: Mutex<&'static str>,
    outcome: Mutex<Option<Result<String, Status>>>,
    ended: std::sync::Condvar,
    ended_at: Mutex<Option<Instant>>,
}

impl veloscope_core::Observer for Job {
    fn progress(&self, done: u64, total: u64, items: u64) {
        self.bytes.store(done, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
        self.items.store(items, Ordering::Relaxed);
        if let Ok(mut s) = self.step.lock() {
            *s = "reading the archive";
        }
    }

    fn work(&self, what: &'static str, done: u64, total: u64) {
        self.bytes.store(done, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
        self.items.store(done, Ordering::Relaxed);
        if let Ok(mut s) = self.step.lock() {
            *s = what;
        }
    }
}

impl Job {
    /// "reading the archive: 41% (12000 items)".
    pub fn describe(&self) -> String {
        let step = self.step.lock().map_or("starting", |s| *s);
        let step = if step.is_empty() { "starting" } else { step };
        let (done, total) = (
            self.bytes.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        );
        let share = done
            .saturating_mul(100)
            .checked_div(total)
            .map_or(String::new(), |p| format!(": {p}%"));
        format!(
            "{step}{share} ({} items)",
            self.items.load(Ordering::Relaxed)
        )
    }
}

/// The jobs of the UI by key (`verify/NAME`, `diff/A/B`).
#[derive(Default)]
pub struct Jobs {
    running: Mutex<HashMap<String, Arc<Job>>>,
}

/// A job's outcome, or the job still running.
pub enum Outcome {
    Done(Result<String, Status>),
    Running(Arc<Job>),
}

impl Job {
    fn finished(&self) -> Option<Instant> {
        self.ended_at.lock().ok().and_then(|t| *t)
    }
}

impl Jobs {
    /// The outcome of the work under `key`, starting it in its own thread unless the same work
    /// is running or has just finished (identical requests share one job). Waits a little for it.
    pub fn run(
        &self,
        key: &str,
        work: impl FnOnce(&Job) -> Result<String, Status> + Send + 'static,
    ) -> Result<Outcome, Status> {
        let job = {
            let mut jobs = self
                .running
                .lock()
                .map_err(|_| Status::internal("job table poisoned"))?;
            prune(&mut jobs);
            match jobs.get(key) {
                Some(job) => job.clone(),
                None => {
                    let running = jobs.values().filter(|j| j.finished().is_none()).count();
                    if running >= MOST_JOBS {
                        return Err(Status::too_many_requests(
                            "the server is busy with other long work; retry in a moment",
                        ));
                    }
                    let job = Arc::new(Job::default());
                    jobs.insert(key.to_string(), job.clone());
                    start(key, job.clone(), work)?;
                    job
                }
            }
        };
        let guard = job
            .outcome
            .lock()
            .map_err(|_| Status::internal("job poisoned"))?;
        let (outcome, _) = job
            .ended
            .wait_timeout_while(guard, patience(), |o| o.is_none())
            .map_err(|_| Status::internal("job poisoned"))?;
        Ok(match outcome.as_ref() {
            Some(done) => Outcome::Done(done.clone()),
            None => {
                drop(outcome);
                Outcome::Running(job)
            }
        })
    }
}

/// Drops outcomes older than [`KEEP`], then the oldest past [`MOST_KEPT`]; running jobs stay
/// (each ends by itself: the work is bounded by the backups it reads).
fn prune(jobs: &mut HashMap<String, Arc<Job>>) {
    jobs.retain(|_, j| j.finished().is_none_or(|t| t.elapsed() < KEEP));
    let mut done: Vec<(Instant, String)> = jobs
        .iter()
        .filter_map(|(k, j)| Some((j.finished()?, k.clone())))
        .collect();
    if done.len() > MOST_KEPT {
        done.sort();
        for (_, k) in done.iter().take(done.len() - MOST_KEPT) {
            jobs.remove(k);
        }
    }
}

fn start(
    key: &str,
    worker: Arc<Job>,
    work: impl FnOnce(&Job) -> Result<String, Status> + Send + 'static,
) -> Result<(), Status> {
    std::thread::Builder::new()
        .name(format!("ui {key}"))
        .stack_size(veloscope_core::json::TREE_STACK)
        .spawn(move || {
            // A bug that panics must still end the job, or its page would say "Working"
            // forever and hold one of the job slots.
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&worker)))
                .unwrap_or_else(|_| Err(Status::internal("the work failed unexpectedly (a bug)")));
            if let Ok(mut o) = worker.outcome.lock() {
                *o = Some(outcome);
            }
            if let Ok(mut t) = worker.ended_at.lock() {
                *t = Some(Instant::now());
            }
            worker.ended.notify_all();
        })
        .map(|_| ())
        .map_err(|e| Status::internal(format!("cannot start work: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A job that panics ends with an error instead of running forever.
    #[test]
    fn a_panicking_job_ends_with_an_error() {
        let jobs = Jobs::default();
        let mut outcome = jobs.run("boom", |_| panic!("a bug")).unwrap();
        for _ in 0..50 {
            match outcome {
                Outcome::Done(done) => {
                    assert!(done.is_err());
                    // Ended: it no longer holds a slot.
                    let running = jobs.running.lock().unwrap();
                    assert!(running.values().all(|j| j.finished().is_some()));
                    return;
                }
                Outcome::Running(_) => outcome = jobs.run("boom", |_| Ok(String::new())).unwrap(),
            }
        }
        panic!("the job never ended");
    }

    /// Abandoned jobs (nobody came back for their outcome) free their slots when they end, and
    /// identical requests share one job.
    #[test]
    fn abandoned_jobs_free_their_slots_and_identical_requests_share() {
        let jobs = Jobs::default();
        let runs = Arc::new(AtomicU64::new(0));
        for i in 0..MOST_JOBS {
            let runs = runs.clone();
            let _ = jobs.run(&format!("job{i}"), move |_| {
                runs.fetch_add(1, Ordering::SeqCst);
                Ok(String::new())
            });
        }
        // All ended within the wait: none holds a slot, though none was fetched again.
        let extra = jobs.run("another", |_| Ok("fine".into())).unwrap();
        assert!(matches!(extra, Outcome::Done(Ok(ref p)) if p == "fine"));
        let again = jobs.run("job0", |_| Ok("ran twice".into())).unwrap();
        assert!(
            matches!(again, Outcome::Done(Ok(ref p)) if p.is_empty()),
            "shared outcome"
        );
        assert_eq!(runs.load(Ordering::SeqCst), MOST_JOBS as u64);
    }
}
