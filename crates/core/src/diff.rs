//! `diff`: what changed between two backups, or between a backup and a live cluster's objects,
//! field by field; hash-first, reading bodies only where hashes differ.

use crate::backup::{self, Backup};
use crate::filters::{BackupFilters, DiffOptions};
use crate::{Error, Result, Session, indexed, selection as select, spec};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use veloscope_archive::{ItemPath, ScanEvent, Source, VersionDir, WarningKind};
pub use veloscope_diff::{Change, LineOp, line_diff};
use veloscope_diff::{IgnoreRule, Key, Matcher, Options, Side, defaults};
use veloscope_select::VeleroVersion;

#[derive(Debug, Serialize)]
pub struct ItemRef<'a> {
    pub resource: &'a str,
    pub namespace: Option<&'a str>,
    pub name: &'a str,
}

#[derive(Debug, Serialize)]
pub struct Changed<'a> {
    pub resource: &'a str,
    pub namespace: Option<&'a str>,
    pub name: &'a str,
    pub changes: &'a [Change],
}

#[derive(Debug, Serialize, Default)]
pub struct Tally {
    pub added: u64,
    pub removed: u64,
    pub changed: u64,
    pub unchanged: u64,
}

#[derive(Debug, Serialize)]
pub struct DiffReport<'a> {
    pub added: Vec<ItemRef<'a>>,
    pub removed: Vec<ItemRef<'a>>,
    pub changed: Vec<Changed<'a>>,
    pub unchanged: usize,
    pub summary: BTreeMap<&'static str, BTreeMap<&'a str, Tally>>,
    pub warnings: Vec<String>,
}

fn item_ref(k: &Key) -> ItemRef<'_> {
    ItemRef {
        resource: &k.0,
        namespace: k.1.as_deref(),
        name: &k.2,
    }
}

fn key_of(e: &veloscope_archive::ItemEntry<'_>) -> Key {
    (
        e.path.gr.to_string(),
        e.path.namespace.map(str::to_string),
        e.path.name.to_string(),
    )
}

/// What `diff` compares: A (a backup), B (a backup or a live-cluster dump), the filters that
/// narrow both sides, and what counts as a difference.
#[derive(Debug, Clone, Copy)]
pub struct DiffRequest<'a> {
    pub a: &'a Path,
    pub b: &'a Path,
    pub filters: &'a BackupFilters,
    pub diff: &'a DiffOptions,
    pub velero_version: VeleroVersion,
}

/// The differences found, with the reader's warnings of both sides.
pub struct Diff {
    outcome: veloscope_diff::Outcome,
    warnings: Vec<String>,
}

impl Diff {
    pub fn report(&self) -> DiffReport<'_> {
        let outcome = &self.outcome;
        DiffReport {
            added: outcome.added.iter().map(item_ref).collect(),
            removed: outcome.removed.iter().map(item_ref).collect(),
            changed: outcome
                .changed
                .iter()
                .map(|(k, c)| Changed {
                    resource: &k.0,
                    namespace: k.1.as_deref(),
                    name: &k.2,
                    changes: c,
                })
                .collect(),
            unchanged: outcome.unchanged.len(),
            summary: summarise(outcome),
            warnings: self.warnings.clone(),
        }
    }
}

impl DiffReport<'_> {
    pub fn differs(&self) -> bool {
        !(self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty())
    }
}

/// What changed between two backups, or a backup and a live cluster's objects.
pub fn diff(a: &DiffRequest<'_>, s: &Session<'_>) -> Result<Diff> {
    let version = a.velero_version;
    let mut ignore = if a.diff.all_fields {
        vec![]
    } else {
        defaults(a.diff.include_status)
    };
    for p in &a.diff.ignore {
        ignore.push(IgnoreRule::parse(p).map_err(Error::usage_from)?);
    }
    let matcher = Matcher::new(Options {
        ignore,
        show_secrets: a.diff.show_secrets,
        pending_budget: 256 << 20,
    });
    let filtered = spec::any_filter(a.filters);
    let source_a = backup::open(a.a)?;
    if matches!(source_a, Source::Dump(_)) {
        return Err(Error::usage(format!(
            "{}: the first side must be a backup",
            a.a.display()
        )));
    }
    let source_b = backup::open_or_dump(a.b)?;
    let loaded = match from_sidecars(&source_a, &source_b, &matcher, filtered, s)? {
        Some(loaded) => loaded,
        None => scan_both(source_a, source_b, &matcher, filtered, s)?,
    };
    for l in &loaded {
        backup::require_valid(l)?;
    }
    let mut outcome = matcher.finish();
    if !outcome.rescan.is_empty() {
        let (added, removed) = rescan(&loaded, &matcher, &outcome.rescan, s)?;
        outcome.added.extend(added);
        outcome.removed.extend(removed);
        outcome.added.sort();
        outcome.removed.sort();
        let again = matcher.finish();
        outcome.changed.extend(again.changed);
        outcome.unchanged.extend(again.unchanged);
        outcome.errors.extend(again.errors);
        outcome.changed.sort_by(|x, y| x.0.cmp(&y.0));
    }
    if let Some(e) = outcome.errors.first() {
        return Err(e.clone().into());
    }
    let mut warnings = Vec::new();
    for l in &loaded {
        let file = l.source.tarball().display();
        warnings.extend(backup::capped_lines(&l.index.warnings, |w| {
            format!("{file}: {}: {}", w.entry, w.message)
        }));
    }
    if filtered {
        let keep: Vec<HashSet<Key>> = loaded
            .iter()
            .map(|l| {
                let sel = select::run(l, a.filters, None, version, None)?;
                Ok(sel
                    .preview
                    .decisions
                    .iter()
                    .enumerate()
                    .filter(|(_, d)| d.is_included())
                    .map(|(at, _)| {
                        let i = &l.index.items[at];
                        (
                            l.index.gr(i).to_string(),
                            l.index.namespace(i).map(str::to_string),
                            i.name.to_string(),
                        )
                    })
                    .collect())
            })
            .collect::<Result<_>>()?;
        outcome.removed.retain(|k| keep[0].contains(k));
        outcome.added.retain(|k| keep[1].contains(k));
        outcome
            .changed
            .retain(|(k, _)| keep[0].contains(k) || keep[1].contains(k));
        outcome
            .unchanged
            .retain(|k| keep[0].contains(k) || keep[1].contains(k));
    }
    Ok(Diff { outcome, warnings })
}

/// Reads both archives at once, offering every unversioned body to the matcher.
fn scan_both(
    source_a: Source,
    source_b: Source,
    matcher: &Matcher,
    filtered: bool,
    s: &Session<'_>,
) -> Result<Vec<Backup>> {
    let sides = [(source_a, Side::A, true), (source_b, Side::B, false)];
    std::thread::scope(|scope| {
        let handles: Vec<_> = sides
            .into_iter()
            .map(|(source, side, bar)| {
                // Bodies are compared as trees here, as deep as Go reads them.
                let spawned = std::thread::Builder::new()
                    .stack_size(crate::json::TREE_STACK)
                    .spawn_scoped(scope, move || {
                        let lo = backup::LoadOptions {
                            progress_bar: bar,
                            parse_metadata: filtered,
                            build_index: filtered,
                            ..Default::default()
                        };
                        backup::load_with(source, s, lo, None, &mut |ev| {
                            if let ScanEvent::Item(e) = ev
                                && e.path.version == VersionDir::Unversioned
                            {
                                matcher.offer(side, key_of(e), e.hash, e.body);
                            }
                        })
                    });
                spawned.map_err(|e| Error::internal_from("cannot start a reader", e))
            })
            .collect::<Result<Vec<_>>>()?;
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::internal("a reader thread panicked")))
            })
            .collect::<Result<Vec<_>>>()
    })
}

/// When both sides have valid sidecars, items are matched by the hashes they record and only the
/// bodies of items whose hashes differ are read, each from the seek point before it. Worth it
/// while those reads inflate less than a scan would (fewer items than half the seek points) and
/// the two decoded indexes fit the memory a scan takes. None: read both archives instead.
fn from_sidecars(
    source_a: &Source,
    source_b: &Source,
    matcher: &Matcher,
    filtered: bool,
    s: &Session<'_>,
) -> Result<Option<Vec<Backup>>> {
    // Both indexes are decoded whole; past this many items together they would take more memory
    // than the scan they save (≈ 330 bytes an item each, against the RSS budget of one).
    const MOST_ITEMS: u64 = 200_000;
    let Some(a) = indexed::valid(source_a, s, MOST_ITEMS) else {
        return Ok(None);
    };
    let Some(b) = indexed::valid(source_b, s, MOST_ITEMS - a.0.item_count()) else {
        return Ok(None);
    };
    let unversioned = |(index, ..): &(veloscope_index::Index, _, _)| -> BTreeMap<Key, u64> {
        index
            .items
            .iter()
            .filter_map(|i| {
                let key = (
                    index.gr(i).to_string(),
                    index.namespace(i).map(str::to_string),
                    i.name.to_string(),
                );
                Some((key, i.entry?.hash))
            })
            .collect()
    };
    let (hashes_a, hashes_b) = (unversioned(&a), unversioned(&b));
    let differ: HashSet<&Key> = hashes_a
        .iter()
        .filter(|(k, h)| hashes_b.get(*k).is_some_and(|o| o != *h))
        .map(|(k, _)| k)
        .collect();
    let points = a.1.seek_points().max(b.1.seek_points()).max(16);
    if differ.len() > points / 2 {
        return Ok(None);
    }
    let want = |p: &ItemPath<'_>| {
        p.version == VersionDir::Unversioned
            && differ.contains(&(
                p.gr.to_string(),
                p.namespace.map(str::to_string),
                p.name.to_string(),
            ))
    };
    let bodies: Vec<BTreeMap<Key, Vec<u8>>> = [&a, &b]
        .into_iter()
        .map(|(index, access, archive)| {
            Ok(indexed::bodies(index, access, archive, &want, s)?
                .into_iter()
                .map(|c| ((c.gr, c.namespace, c.name), c.body))
                .collect())
        })
        .collect::<Result<_>>()?;
    for ((side, hashes), bodies) in [(Side::A, &hashes_a), (Side::B, &hashes_b)]
        .into_iter()
        .zip(&bodies)
    {
        for (key, &hash) in hashes {
            let body = bodies.get(key).map_or(&[][..], Vec::as_slice);
            matcher.offer(side, key.clone(), hash, body);
        }
    }
    let loaded = [(source_a, a), (source_b, b)]
        .into_iter()
        .map(|(source, (mut index, ..))| {
            if !filtered {
                // Report what a scan without an index reports: the reader's warnings only.
                index.warnings.retain(|w| !from_the_index(w.kind));
                index.invalid.clear();
            }
            (source, index)
        })
        .map(|(source, index)| Backup {
            named_as: source.tarball().display().to_string(),
            source: source.clone(),
            index,
            captured: Vec::new(),
            access: None,
            input_limit: s.options.max_entry_bytes,
        })
        .collect();
    Ok(Some(loaded))
}

/// Warnings the index builder raises (a diff without filters builds no index).
fn from_the_index(kind: WarningKind) -> bool {
    matches!(
        kind,
        WarningKind::DuplicateEntry
            | WarningKind::TwinMismatch
            | WarningKind::MissingUnversioned
            | WarningKind::PathMismatch
    )
}

/// Counts per resource and per namespace.
fn summarise(o: &veloscope_diff::Outcome) -> BTreeMap<&'static str, BTreeMap<&str, Tally>> {
    let mut summary: BTreeMap<&'static str, BTreeMap<&str, Tally>> = BTreeMap::new();
    type Bump = fn(&mut Tally);
    let groups: [(Vec<&Key>, Bump); 4] = [
        (o.added.iter().collect(), |t| t.added += 1),
        (o.removed.iter().collect(), |t| t.removed += 1),
        (o.changed.iter().map(|(k, _)| k).collect(), |t| {
            t.changed += 1
        }),
        (o.unchanged.iter().collect(), |t| t.unchanged += 1),
    ];
    for (keys, bump) in groups {
        for k in keys {
            bump(
                summary
                    .entry("resources")
                    .or_default()
                    .entry(k.0.as_str())
                    .or_default(),
            );
            if let Some(ns) = &k.1 {
                bump(
                    summary
                        .entry("namespaces")
                        .or_default()
                        .entry(ns.as_str())
                        .or_default(),
                );
            }
        }
    }
    summary
}

/// Re-reads both sides for the pairs whose bodies did not fit the pending budget and for the
/// paths stored twice (the later entry of each wins); returns the keys that turned out to be
/// only in B (added) and only in A (removed).
fn rescan(
    loaded: &[Backup],
    matcher: &Matcher,
    keys: &HashSet<Key>,
    s: &Session<'_>,
) -> Result<(Vec<Key>, Vec<Key>)> {
    let mut bodies: [BTreeMap<Key, Vec<u8>>; 2] = Default::default();
    for (l, slot) in loaded.iter().zip(bodies.iter_mut()) {
        let source = l.source.clone();
        // A second read of each archive: as long as the first, so it shows its progress too.
        let lo = backup::LoadOptions {
            progress_bar: true,
            parse_metadata: false,
            build_index: false,
            ..Default::default()
        };
        backup::load_with(source, s, lo, None, &mut |ev| {
            if let ScanEvent::Item(e) = ev
                && e.path.version == VersionDir::Unversioned
            {
                let k = key_of(e);
                if keys.contains(&k) {
                    slot.insert(k, e.body.to_vec());
                }
            }
        })?;
    }
    let (mut added, mut removed) = (Vec::new(), Vec::new());
    for k in keys {
        match (bodies[0].get(k), bodies[1].get(k)) {
            (Some(x), Some(y)) => matcher.record(k.clone(), matcher.compare(k, x, y)),
            (Some(_), None) => removed.push(k.clone()),
            (None, Some(_)) => added.push(k.clone()),
            (None, None) => {}
        }
    }
    Ok((added, removed))
}
