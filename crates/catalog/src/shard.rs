//! `--shard I/N`: a stable share of the backups, so N writers (the pods of a Kubernetes Indexed
//! Job, N Spark tasks) write disjoint partitions whose union is every backup.

use sha2::{Digest, Sha256};
use veloscope_core::{Error, Result};

/// Kubernetes sets this in each pod of an Indexed Job (0 to completions - 1).
pub const JOB_COMPLETION_INDEX: &str = "JOB_COMPLETION_INDEX";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// `I/N` (I from 0), or `N` alone with I read from `JOB_COMPLETION_INDEX` (`job_index`).
    pub fn parse(text: &str, job_index: Option<&str>) -> Result<Shard> {
        let number = |s: &str, what: &str| {
            s.trim().parse::<u64>().map_err(|_| {
                Error::usage(format!(
                    "--shard {text:?}: {what} is not a whole number (give I/N, I counted from 0)"
                ))
            })
        };
        let (index, count) = match text.split_once('/') {
            Some((i, n)) => (number(i, "the index")?, number(n, "the count")?),
            None => {
                let count = number(text, "the count")?;
                let Some(i) = job_index else {
                    return Err(Error::usage(format!(
                        "--shard {text}: give I/N, or run where {JOB_COMPLETION_INDEX} is set (a Kubernetes Indexed Job)"
                    )));
                };
                let index = i.trim().parse::<u64>().map_err(|_| {
                    Error::usage(format!(
                        "{JOB_COMPLETION_INDEX}={i:?} is not a whole number"
                    ))
                })?;
                (index, count)
            }
        };
        if count == 0 || index >= count {
            return Err(Error::usage(format!(
                "--shard {index}/{count}: the index counts from 0 and must be below the count"
            )));
        }
        Ok(Shard { index, count })
    }

    /// Whether this shard takes the backup: the first 8 bytes of SHA-256 over the location's
    /// partition name, a newline and the backup's name, modulo the count.
    pub fn takes(&self, location: &str, backup: &str) -> bool {
        let digest = Sha256::digest(format!("{location}\n{backup}"));
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        u64::from_be_bytes(first) % self.count == self.index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_disjoint_and_complete() {
        let count = 5;
        let shards: Vec<Shard> = (0..count)
            .map(|i| Shard::parse(&format!("{i}/{count}"), None).unwrap())
            .collect();
        let mut sizes = vec![0; count as usize];
        for b in 0..1000 {
            let name = format!("daily-{b:04}");
            let takers: Vec<usize> = (0..shards.len())
                .filter(|&i| shards[i].takes("prod", &name))
                .collect();
            assert_eq!(takers.len(), 1, "{name} is taken by {takers:?}");
            sizes[takers[0]] += 1;
        }
        // A stable hash spreads the work: no shard is idle or holds most of it.
        assert!(sizes.iter().all(|&n| (120..=280).contains(&n)), "{sizes:?}");
    }

    #[test]
    fn the_index_comes_from_an_indexed_job() {
        assert_eq!(
            Shard::parse("4", Some("3")).unwrap(),
            Shard { index: 3, count: 4 }
        );
        for bad in ["4", "4/4", "x/2", "1/0", "-1/3"] {
            let err = Shard::parse(bad, None).unwrap_err().to_string();
            assert!(err.contains("--shard"), "{bad}: {err}");
        }
        assert!(Shard::parse("4", Some("x")).is_err());
    }
}
