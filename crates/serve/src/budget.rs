//! The memory that answers may hold: each answer reserves its size before it is built (from the
//! stored sizes the index records) and keeps the reservation until its client has taken it or
//! gone. Past the budget a client is told to retry (429), so answers that nobody reads, or many
//! large answers at once, cannot fill the server: what they hold is bounded in total, not
//! answer size times clients.

use crate::status::Status;
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Answers smaller than this are not counted (the cap on connections bounds them).
pub const UNCOUNTED: u64 = 64 * 1024;

pub struct Budget {
    kib: Arc<Semaphore>,
    most_kib: usize,
}

/// Memory reserved for one answer, freed when dropped.
#[derive(Default)]
pub struct Reservation(Option<OwnedSemaphorePermit>);

impl Reservation {
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }
}

impl Budget {
    pub fn new(most_kib: usize) -> Budget {
        Budget {
            kib: Arc::new(Semaphore::new(most_kib)),
            most_kib,
        }
    }

    /// Reserves `bytes` (an answer larger than the whole budget takes all of it).
    pub fn reserve(&self, bytes: u64) -> Result<Reservation, Status> {
        if bytes < UNCOUNTED {
            return Ok(Reservation::default());
        }
        let kib = usize::try_from(bytes.div_ceil(1024))
            .unwrap_or(usize::MAX)
            .min(self.most_kib);
        let kib = u32::try_from(kib).unwrap_or(u32::MAX);
        self.kib
            .clone()
            .try_acquire_many_owned(kib)
            .map(|p| Reservation(Some(p)))
            .map_err(|_| {
                Status::too_many_requests(
                    "the server holds as many answers as its memory budget allows; retry shortly",
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_are_bounded_in_total_and_freed_when_dropped() {
        let b = Budget::new(1024);
        assert!(b.reserve(100).unwrap().is_empty(), "small answers are free");
        let first = b.reserve(600 * 1024).unwrap();
        assert!(b.reserve(600 * 1024).is_err(), "over budget");
        drop(first);
        assert!(b.reserve(600 * 1024).is_ok(), "freed");
        // Larger than the whole budget: it takes all of it, rather than never fitting.
        assert!(b.reserve(10 << 20).is_ok());
    }
}
