//! What changed between two sets of items: each item is matched by (group-resource, namespace,
//! name), compared by hash first, and parsed and compared field by field only when the hashes
//! differ. Items arrive from both sides concurrently through a [`Matcher`]; bodies wait for their
//! counterpart within a byte budget, past which only their keys are kept for a targeted re-read.
//!
//! ```
//! use serde_json::json;
//!
//! let before = json!({"spec": {"replicas": 2, "paused": false}});
//! let after = json!({"spec": {"replicas": 3, "paused": false}});
//! let changes = veloscope_diff::diff(&before, &after);
//! assert_eq!(changes.len(), 1);
//! assert_eq!(changes[0].path, "spec.replicas");
//! assert_eq!((&changes[0].old, &changes[0].new), (&json!(2), &json!(3)));
//! ```

mod compare;
mod ignore;
mod lines;

pub use compare::{Change, Seg, diff, render};
pub use ignore::{IgnoreRule, defaults};
pub use lines::{LineOp, line_diff};

use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

/// Why two items could not be compared, or a diff could not be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiffError {
    /// An item body that is not JSON.
    #[error("{0}")]
    InvalidBody(String),
    /// An `--ignore` path that does not parse.
    #[error("{0}")]
    InvalidIgnore(String),
}

/// (group-resource, namespace, name).
pub type Key = (String, Option<String>, String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    A,
    B,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub ignore: Vec<IgnoreRule>,
    pub show_secrets: bool,
    /// Bytes of bodies kept while waiting for the other side.
    pub pending_budget: usize,
}

struct Pending {
    side: Side,
    hash: u64,
    body: Option<Vec<u8>>,
}

#[derive(Default)]
struct State {
    pending: HashMap<Key, Pending>,
    pending_bytes: usize,
    unchanged: Vec<Key>,
    changed: Vec<(Key, Vec<Change>)>,
    rescan: HashSet<Key>,
    errors: Vec<DiffError>,
    /// Hashes of the keys each side offered, to notice a path stored twice.
    seen: [HashSet<u64>; 2],
    /// Keys offered twice by one side: paired too early, they are settled by a re-read.
    twice: HashSet<Key>,
}

/// The result once both sides have been offered.
#[derive(Debug, Default)]
pub struct Outcome {
    pub added: Vec<Key>,
    pub removed: Vec<Key>,
    pub changed: Vec<(Key, Vec<Change>)>,
    pub unchanged: Vec<Key>,
    /// Keys on both sides whose bodies did not fit the budget: compare them with [`Matcher::compare`]
    /// after re-reading their bodies.
    pub rescan: HashSet<Key>,
    pub errors: Vec<DiffError>,
}

pub struct Matcher {
    state: Mutex<State>,
    opts: Options,
    keys: std::collections::hash_map::RandomState,
}

impl Matcher {
    pub fn new(opts: Options) -> Matcher {
        Matcher {
            state: Mutex::new(State::default()),
            opts,
            keys: Default::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Offers one item from one side. Safe to call from both sides' threads at once.
    pub fn offer(&self, side: Side, key: Key, hash: u64, body: &[u8]) {
        use std::hash::BuildHasher;
        let key_hash = self.keys.hash_one(&key);
        let mut st = self.lock();
        if !st.seen[side as usize].insert(key_hash) {
            st.twice.insert(key.clone());
        }
        match st.pending.remove(&key) {
            Some(p) if p.side != side => {
                if let Some(b) = &p.body {
                    st.pending_bytes -= b.len();
                }
                if p.hash == hash {
                    st.unchanged.push(key);
                    return;
                }
                let Some(other) = p.body else {
                    st.rescan.insert(key);
                    return;
                };
                drop(st);
                let (a, b) = match side {
                    Side::A => (body, other.as_slice()),
                    Side::B => (other.as_slice(), body),
                };
                let result = self.compare(&key, a, b);
                let mut st = self.lock();
                match result {
                    Ok(None) => st.unchanged.push(key),
                    Ok(Some(changes)) => st.changed.push((key, changes)),
                    Err(e) => st.errors.push(e),
                }
            }
            previous => {
                if let Some(prev) = previous {
                    // The same key twice on one side: the later entry wins, as in Velero.
                    if let Some(b) = &prev.body {
                        st.pending_bytes -= b.len();
                    }
                }
                let keep = st.pending_bytes + body.len() <= self.opts.pending_budget;
                if keep {
                    st.pending_bytes += body.len();
                }
                st.pending.insert(
                    key,
                    Pending {
                        side,
                        hash,
                        body: keep.then(|| body.to_vec()),
                    },
                );
            }
        }
    }

    /// Compares two bodies after normalisation: None when they are equal.
    pub fn compare(&self, key: &Key, a: &[u8], b: &[u8]) -> Result<Option<Vec<Change>>, DiffError> {
        let parse = |bytes: &[u8], side: &str| -> Result<Value, DiffError> {
            veloscope_model::json::from_slice(bytes).map_err(|e| {
                DiffError::InvalidBody(format!("{} ({side}): invalid JSON: {e}", key_text(key)))
            })
        };
        let (mut x, mut y) = (parse(a, "A")?, parse(b, "B")?);
        for rule in &self.opts.ignore {
            rule.apply(&mut x);
            rule.apply(&mut y);
        }
        if !self.opts.show_secrets {
            // Values become keyed fingerprints before comparing: a change still shows, a value
            // (or the last-applied annotation that embeds it) never does.
            veloscope_model::redact::fingerprint(&key.0, &mut x);
            veloscope_model::redact::fingerprint(&key.0, &mut y);
        }
        let changes = diff(&x, &y);
        if changes.is_empty() {
            return Ok(None);
        }
        Ok(Some(changes))
    }

    /// Records the comparison of a re-read pair.
    pub fn record(&self, key: Key, result: Result<Option<Vec<Change>>, DiffError>) {
        let mut st = self.lock();
        match result {
            Ok(None) => st.unchanged.push(key),
            Ok(Some(c)) => st.changed.push((key, c)),
            Err(e) => st.errors.push(e),
        }
    }

    pub fn finish(&self) -> Outcome {
        let mut st = self.lock();
        let st = std::mem::take(&mut *st);
        let mut out = Outcome {
            changed: st.changed,
            unchanged: st.unchanged,
            rescan: st.rescan,
            errors: st.errors,
            ..Outcome::default()
        };
        for (key, p) in st.pending {
            match p.side {
                Side::A => out.removed.push(key),
                Side::B => out.added.push(key),
            }
        }
        if !st.twice.is_empty() {
            // A path stored twice resolves to its later entry (Velero's extractor overwrites);
            // the early pairing may have used the earlier one, so these are re-read.
            let twice = &st.twice;
            out.added.retain(|k| !twice.contains(k));
            out.removed.retain(|k| !twice.contains(k));
            out.unchanged.retain(|k| !twice.contains(k));
            out.changed.retain(|(k, _)| !twice.contains(k));
            out.rescan.extend(st.twice);
        }
        out.added.sort();
        out.removed.sort();
        out.changed.sort_by(|a, b| a.0.cmp(&b.0));
        out.unchanged.sort();
        out
    }
}

pub fn key_text(key: &Key) -> String {
    match &key.1 {
        Some(ns) => format!("{}/{ns}/{}", key.0, key.2),
        None => format!("{}/{}", key.0, key.2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> Key {
        ("configmaps".into(), Some("ns".into()), name.into())
    }

    fn opts(budget: usize) -> Options {
        Options {
            ignore: defaults(false),
            show_secrets: false,
            pending_budget: budget,
        }
    }

    #[test]
    fn matches_both_sides_in_any_order() {
        let m = Matcher::new(opts(1 << 20));
        let same = br#"{"data":{"a":"1"},"metadata":{"name":"same"}}"#;
        m.offer(Side::A, key("same"), 1, same);
        m.offer(Side::B, key("same"), 1, same);
        m.offer(
            Side::B,
            key("rv"),
            3,
            br#"{"metadata":{"name":"rv","resourceVersion":"9"}}"#,
        );
        m.offer(
            Side::A,
            key("rv"),
            2,
            br#"{"metadata":{"name":"rv","resourceVersion":"8"}}"#,
        );
        m.offer(Side::A, key("edit"), 4, br#"{"data":{"a":"1"}}"#);
        m.offer(Side::B, key("edit"), 5, br#"{"data":{"a":"2"}}"#);
        m.offer(Side::A, key("gone"), 6, b"{}");
        m.offer(Side::B, key("new"), 7, b"{}");
        let o = m.finish();
        assert_eq!(
            o.unchanged,
            vec![key("rv"), key("same")],
            "resourceVersion is ignored"
        );
        assert_eq!(o.changed.len(), 1);
        assert_eq!(o.changed[0].1[0].path, "data.a");
        assert_eq!(o.removed, vec![key("gone")]);
        assert_eq!(o.added, vec![key("new")]);
    }

    #[test]
    fn over_budget_bodies_are_left_for_a_rescan() {
        let m = Matcher::new(opts(0));
        m.offer(Side::A, key("x"), 1, b"{\"a\":1}");
        m.offer(Side::B, key("x"), 2, b"{\"a\":2}");
        let o = m.finish();
        assert!(o.rescan.contains(&key("x")));
    }

    #[test]
    fn secret_values_are_redacted() {
        let m = Matcher::new(opts(1 << 20));
        let k: Key = ("secrets".into(), Some("ns".into()), "s".into());
        let c = m
            .compare(
                &k,
                br#"{"data":{"pw":"YQ=="}}"#,
                br#"{"data":{"pw":"Yg=="}}"#,
            )
            .unwrap()
            .unwrap();
        assert!(c[0].old.as_str().unwrap().starts_with("<redacted hmac:"));
        assert_ne!(c[0].old, c[0].new);
        // The last-applied annotation that embeds the values is never shown, not even as lines.
        let applied = |pw: &str| {
            format!(
                r#"{{"metadata":{{"annotations":{{"kubectl.kubernetes.io/last-applied-configuration":"{{\"data\":{{\"pw\":\"{pw}\"}}}}"}}}},"data":{{"pw":"{pw}"}}}}"#
            )
        };
        let (one, two) = (applied("c2VjcmV0LW9uZQ=="), applied("c2VjcmV0LXR3bw=="));
        let c = m
            .compare(&k, one.as_bytes(), two.as_bytes())
            .unwrap()
            .unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("c2VjcmV0"), "{shown}");
        assert_eq!(c.len(), 2, "{shown}");
    }
}
