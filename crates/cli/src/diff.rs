use crate::args::{BackupFilters, DiffOptions, Format, Global};
use crate::output::emit;
use anyhow::{Result, anyhow, bail};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::io::{IsTerminal, Write};
use std::path::Path;
use veloscope_archive::{ItemPath, ScanEvent, Source, VersionDir, WarningKind};
use veloscope_core::Session;
use veloscope_core::backup::{self, Backup};
use veloscope_core::{selection as select, sidecar, spec};
use veloscope_diff::{Change, IgnoreRule, Key, Matcher, Options, Side, defaults};
use veloscope_select::VeleroVersion;

pub struct Args<'a> {
    pub a: &'a Path,
    pub b: &'a Path,
    pub filters: &'a BackupFilters,
    pub diff: &'a DiffOptions,
    pub velero_version: &'a str,
}

#[derive(Serialize)]
struct ItemRef<'a> {
    resource: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
}

#[derive(Serialize)]
struct Changed<'a> {
    resource: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
    changes: &'a [Change],
}

#[derive(Serialize, Default)]
struct Tally {
    added: u64,
    removed: u64,
    changed: u64,
    unchanged: u64,
}

#[derive(Serialize)]
struct Report<'a> {
    added: Vec<ItemRef<'a>>,
    removed: Vec<ItemRef<'a>>,
    changed: Vec<Changed<'a>>,
    unchanged: usize,
    summary: BTreeMap<&'static str, BTreeMap<&'a str, Tally>>,
    warnings: Vec<String>,
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

/// Returns the exit code: 0 no differences, 1 differences.
pub fn run(a: &Args<'_>, g: &Global, s: &Session<'_>, out: &mut impl Write) -> Result<u8> {
    let version: VeleroVersion = a.velero_version.parse().map_err(|e: String| anyhow!(e))?;
    let mut ignore = if a.diff.all_fields {
        vec![]
    } else {
        defaults(a.diff.include_status)
    };
    for p in &a.diff.ignore {
        ignore.push(IgnoreRule::parse(p).map_err(|e| anyhow!(e))?);
    }
    let matcher = Matcher::new(Options {
        ignore,
        show_secrets: a.diff.show_secrets,
        pending_budget: 256 << 20,
    });
    let filtered = spec::any_filter(a.filters);
    let source_a = backup::open(a.a)?;
    if matches!(source_a, Source::Dump(_)) {
        bail!("{}: the first side must be a backup", a.a.display());
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
        rescan(&loaded, &matcher, &outcome.rescan, s)?;
        let again = matcher.finish();
        outcome.changed.extend(again.changed);
        outcome.unchanged.extend(again.unchanged);
        outcome.errors.extend(again.errors);
        outcome.changed.sort_by(|x, y| x.0.cmp(&y.0));
    }
    if let Some(e) = outcome.errors.first() {
        bail!("{e}");
    }
    let mut warnings = Vec::new();
    for l in &loaded {
        for w in &l.index.warnings {
            warnings.push(format!(
                "{}: {}: {}",
                l.source.tarball().display(),
                w.entry,
                w.message
            ));
        }
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
    let summary = summarise(&outcome);
    let report = Report {
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
        summary,
        warnings,
    };
    let differs =
        !(report.added.is_empty() && report.removed.is_empty() && report.changed.is_empty());
    match g.output {
        Format::Table => table(&outcome, &report, a.diff.stat, g, out)?,
        f => emit(out, f, &report)?,
    }
    Ok(u8::from(differs))
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
                scope.spawn(move || {
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
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| {
                        Err(veloscope_core::Error::Internal(
                            "a reader thread panicked".into(),
                        ))
                    })
                    .map_err(anyhow::Error::from)
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
    let Some(a) = sidecar::valid(source_a, s, MOST_ITEMS) else {
        return Ok(None);
    };
    let Some(b) = sidecar::valid(source_b, s, MOST_ITEMS - a.0.item_count()) else {
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
            Ok(sidecar::bodies(index, access, archive, &want, s)?
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
            stop: None,
            seek_points: Vec::new(),
            access: None,
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

/// Re-reads both sides for the pairs whose bodies did not fit the pending budget.
fn rescan(
    loaded: &[Backup],
    matcher: &Matcher,
    keys: &HashSet<Key>,
    s: &Session<'_>,
) -> Result<()> {
    let mut bodies: [BTreeMap<Key, Vec<u8>>; 2] = Default::default();
    for (l, slot) in loaded.iter().zip(bodies.iter_mut()) {
        let source = l.source.clone();
        let lo = backup::LoadOptions {
            progress_bar: false,
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
    for k in keys {
        if let (Some(x), Some(y)) = (bodies[0].get(k), bodies[1].get(k)) {
            matcher.record(k.clone(), matcher.compare(k, x, y));
        }
    }
    Ok(())
}

fn show(v: &Value) -> String {
    match v {
        Value::Null => "<none>".into(),
        other => {
            let s = other.to_string();
            if s.len() > 120 {
                format!(
                    "{}…",
                    &s[..s.char_indices().nth(117).map_or(s.len(), |x| x.0)]
                )
            } else {
                s
            }
        }
    }
}

fn table(
    outcome: &veloscope_diff::Outcome,
    r: &Report<'_>,
    stat: bool,
    g: &Global,
    out: &mut impl Write,
) -> Result<()> {
    let colour =
        std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none() && !g.quiet;
    let paint = |code: &str, text: String| {
        if colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text
        }
    };
    let width = outcome
        .added
        .iter()
        .chain(&outcome.removed)
        .chain(outcome.changed.iter().map(|(k, _)| k))
        .map(|k| k.0.len())
        .max()
        .unwrap_or(0);
    let mut lines: Vec<(Key, char, Option<&[Change]>)> = Vec::new();
    lines.extend(outcome.added.iter().map(|k| (k.clone(), '+', None)));
    lines.extend(outcome.removed.iter().map(|k| (k.clone(), '-', None)));
    lines.extend(
        outcome
            .changed
            .iter()
            .map(|(k, c)| (k.clone(), 'M', Some(c.as_slice()))),
    );
    lines.sort_by(|x, y| x.0.cmp(&y.0));
    for (k, code, changes) in &lines {
        let who = match &k.1 {
            Some(ns) => format!("{ns}/{}", k.2),
            None => k.2.clone(),
        };
        let note = changes
            .map(|c| {
                format!(
                    "  ({} field{})",
                    c.len(),
                    if c.len() == 1 { "" } else { "s" }
                )
            })
            .unwrap_or_default();
        let colour_code = match code {
            '+' => "32",
            '-' => "31",
            _ => "33",
        };
        writeln!(
            out,
            "{} {:<width$}  {who}{note}",
            paint(colour_code, code.to_string()),
            k.0
        )?;
        if let (Some(changes), false) = (changes, stat) {
            for c in *changes {
                writeln!(
                    out,
                    "    {}: {} → {}",
                    c.path,
                    paint("31", show(&c.old)),
                    paint("32", show(&c.new))
                )?;
            }
        }
    }
    if !lines.is_empty() {
        writeln!(out)?;
    }
    writeln!(
        out,
        "{} added, {} removed, {} changed, {} unchanged",
        r.added.len(),
        r.removed.len(),
        r.changed.len(),
        r.unchanged
    )?;
    if !g.quiet {
        for w in &r.warnings {
            eprintln!("warning: {w}");
        }
    }
    Ok(())
}
