//! Long work the UI runs in the background (a verify, a diff of big backups, their first index):
//! the page answers at once with the work's progress and reloads itself until the outcome is
//! there, and no other page waits for it.

use crate::status::Status;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
/// The most background jobs at once; more is a 503 until one ends.
const MOST_JOBS: usize = 4;

/// One piece of work: what it has done so far, and its outcome once it ends.
#[derive(Default)]
pub struct Job {
    bytes: AtomicU64,
    total: AtomicU64,
    items: AtomicU64,
    step: Mutex<&'static str>,
    outcome: Mutex<Option<Result<String, Status>>>,
    ended: std::sync::Condvar,
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

impl Jobs {
    /// The outcome of the work under `key`, starting it in its own thread if it is not running.
    /// Waits a little for it; a job's outcome is handed out once (a reload runs it again).
    pub fn run(
        &self,
        key: &str,
        work: impl FnOnce(&Job) -> Result<String, Status> + Send + 'static,
    ) -> Result<Outcome, Status> {
        let job = {
            let mut running = self
                .running
                .lock()
                .map_err(|_| Status::internal("job table poisoned"))?;
            match running.get(key) {
                Some(job) => job.clone(),
                None => {
                    if running.len() >= MOST_JOBS {
                        return Err(Status::unavailable(
                            "the server is busy with other long work; retry in a moment",
                        ));
                    }
                    let job = Arc::new(Job::default());
                    running.insert(key.to_string(), job.clone());
                    let worker = job.clone();
                    std::thread::Builder::new()
                        .name(format!("ui {key}"))
                        .spawn(move || {
                            // A bug that panics must still end the job, or its page would say
                            // "Working" forever and hold one of the job slots.
                            let outcome =
                                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                    work(&worker)
                                }))
                                .unwrap_or_else(|_| {
                                    Err(Status::internal("the work failed unexpectedly (a bug)"))
                                });
                            if let Ok(mut o) = worker.outcome.lock() {
                                *o = Some(outcome);
                            }
                            worker.ended.notify_all();
                        })
                        .map_err(|e| Status::internal(format!("cannot start work: {e}")))?;
                    job
                }
            }
        };
        let guard = job
            .outcome
            .lock()
            .map_err(|_| Status::internal("job poisoned"))?;
        let (mut outcome, _) = job
            .ended
            .wait_timeout_while(guard, patience(), |o| o.is_none())
            .map_err(|_| Status::internal("job poisoned"))?;
        match outcome.take() {
            Some(done) => {
                drop(outcome);
                if let Ok(mut running) = self.running.lock() {
                    running.remove(key);
                }
                Ok(Outcome::Done(done))
            }
            None => {
                drop(outcome);
                Ok(Outcome::Running(job))
            }
        }
    }
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
                    assert!(jobs.running.lock().unwrap().is_empty());
                    return;
                }
                Outcome::Running(_) => outcome = jobs.run("boom", |_| Ok(String::new())).unwrap(),
            }
        }
        panic!("the job never ended");
    }
}
