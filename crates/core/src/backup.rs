//! Opening a source and indexing it: from its sidecar when a valid one exists, else by one read
//! of the archive.

use crate::Scope;
use crate::{Error, Observer, Options, Result, Session};
use std::path::Path;
use veloscope_archive::zran::{SeekPoint, SeekPoints};
use veloscope_archive::{
    ArchiveError, ItemPath, ScanEvent, ScanOptions, ScanStats, ScanWarning, Source, VersionDir,
};
use veloscope_index::{Index, IndexBuilder, PackedIndex};

/// An opened backup: its source, its index (from a sidecar or one read of the archive) and its
/// access to single entries. Every question is a method; see the crate documentation.
pub struct Backup<I = Index> {
    /// The source as the caller named it (a path or URL).
    pub(crate) named_as: String,
    pub(crate) source: Source,
    pub(crate) index: I,
    /// The bodies the read that opened it was asked to keep (its [`crate::Scope`]).
    pub(crate) captured: Vec<Captured>,
    /// How to read entries at their seek points, when the index came from (or was written to) a
    /// sidecar.
    pub(crate) access: Option<veloscope_archive::Access>,
    /// The most bytes read of any other input (a spec, a policy): `--max-entry-bytes`.
    pub(crate) input_limit: u64,
}

/// An entry body kept during a read, or read at its seek point.
pub struct Captured {
    pub entry: String,
    pub gr: String,
    pub namespace: Option<String>,
    pub name: String,
    pub version: Option<String>,
    pub body: Vec<u8>,
}

impl Captured {
    /// An item entry of a scan, its body copied out of the scan's buffer.
    pub(crate) fn of(e: &veloscope_archive::ItemEntry<'_>) -> Captured {
        Captured {
            entry: e.entry.to_string(),
            gr: e.path.gr.to_string(),
            namespace: e.path.namespace.map(str::to_string),
            name: e.path.name.to_string(),
            version: match e.path.version {
                VersionDir::Unversioned => None,
                VersionDir::Preferred(v) | VersionDir::Other(v) => Some(v.to_string()),
            },
            body: e.body.to_vec(),
        }
    }
}

pub type CaptureFn<'a> = &'a dyn Fn(&ItemPath<'_>) -> bool;

pub fn scan_options(o: &Options) -> ScanOptions {
    ScanOptions {
        max_entry_bytes: o.max_entry_bytes,
        max_header_bytes: o.max_header_bytes,
        ..ScanOptions::default()
    }
}

impl Backup {
    /// Opens a backup by path or URL and indexes all of it: from its sidecar when a valid one
    /// exists, else by one read of the archive (rebuilding a sidecar that exists but is stale).
    pub fn open(path: &Path, s: &Session<'_>) -> Result<Backup> {
        Backup::open_in(path, &Scope::everything(), s)
    }

    /// Like [`Backup::open`], reading what `scope` says a command needs: from a sidecar only its
    /// sections are decoded; as the archive is read, the bodies it asks for are kept.
    pub fn open_in(path: &Path, scope: &Scope<'_>, s: &Session<'_>) -> Result<Backup> {
        let mut backup = crate::indexed::load_part(open(path)?, s, scope.bodies(), scope.part())?;
        backup.named_as = path.display().to_string();
        Ok(backup)
    }
}

/// A backup by path or URL (`s3://bucket/prefix/backups/NAME`, `gs://…`, `az://…`, `file://…`),
/// or one of a location's backups by selector (`LOCATION@latest`, see [`select_backup`]).
pub fn open(path: &Path) -> Result<Source> {
    let spec = path.to_string_lossy();
    // `-`: standard input, streamed and sniffed like any archive.
    if spec == "-" {
        return Ok(veloscope_store::open_source("/dev/stdin")?);
    }
    let spec = select_backup(&spec)?.unwrap_or_else(|| spec.into_owned());
    Ok(veloscope_store::open_source(&spec)?)
}

/// Like [`open`], and a path that is JSON/YAML or a folder of manifests is a live-cluster dump.
pub fn open_or_dump(path: &Path) -> Result<Source> {
    let spec = path.to_string_lossy();
    if veloscope_store::is_url(&spec) || select_backup(&spec)?.is_some() {
        return open(path);
    }
    // A location is no folder of manifests: reading it as one would compare against nonsense.
    if path.join("backups").is_dir() {
        return Err(Error::usage(format!(
            "{spec}: this is a storage location, not a backup or a dump; name one of its backups as {spec}@latest, {spec}@NAME or {spec}/backups/NAME"
        )));
    }
    Ok(Source::open_as(path, true)?)
}

/// `LOCATION@latest` (the newest backup by start time), `@latest-successful` (the newest
/// Completed one), `@N` (the N-th newest, 1 the newest) or `@NAME`: that backup of the location,
/// as `LOCATION/backups/NAME`. None when `spec` is not a location with a selector (a path may
/// hold an `@` of its own).
pub fn select_backup(spec: &str) -> Result<Option<String>> {
    let Some((root, selector)) = spec.rsplit_once('@') else {
        return Ok(None);
    };
    if root.is_empty() || selector.is_empty() || selector.contains('/') {
        return Ok(None);
    }
    let is_location = if veloscope_store::is_url(root) {
        !root.trim_end_matches('/').contains("/backups/")
    } else {
        Path::new(root).join("backups").is_dir()
    };
    if !is_location {
        return Ok(None);
    }
    let rows = crate::location::Location::open(root)?
        .backups(None, None)?
        .rows;
    let chosen = match selector {
        "latest" => rows.first(),
        "latest-successful" => rows
            .iter()
            .find(|r| r.phase.as_deref() == Some("Completed")),
        n if n.bytes().all(|b| b.is_ascii_digit()) => {
            let n: usize = n.parse().unwrap_or(0);
            n.checked_sub(1).and_then(|i| rows.get(i))
        }
        name => rows.iter().find(|r| r.name == name),
    };
    let Some(row) = chosen else {
        let names: Vec<String> = rows.iter().take(5).map(|r| r.name.clone()).collect();
        return Err(Error::NotFound {
            file: root.to_string(),
            message: format!(
                "no backup matches @{selector} ({} backups, newest first: {})",
                rows.len(),
                if names.is_empty() {
                    "none".into()
                } else {
                    names.join(", ")
                }
            ),
            nearest: Vec::new(),
        });
    };
    Ok(Some(format!(
        "{}/backups/{}",
        root.trim_end_matches('/'),
        row.name
    )))
}

/// How [`load_with`] reads a source.
#[derive(Debug, Clone, Copy)]
pub struct LoadOptions {
    /// Draw the progress bar (off for all but one of concurrent loads).
    pub progress_bar: bool,
    /// Parse item metadata (filters and listings need it; a bare diff does not).
    pub parse_metadata: bool,
    /// Fold items into the index (a bare diff needs only the events).
    pub build_index: bool,
    /// Keep what was read before damage, with the damage in `Backup::stop` (verify).
    pub tolerate_damage: bool,
    /// SHA-256 of every unversioned body, computed on the pool (verify's manifests).
    pub sha256: bool,
    /// Record gzip seek points this many decompressed bytes apart (for an index sidecar).
    pub seek_span: Option<u64>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            progress_bar: true,
            parse_metadata: true,
            build_index: true,
            tolerate_damage: false,
            sha256: false,
            seek_span: None,
        }
    }
}

/// Scans a source into an index, keeping the bodies `capture` asks for and showing every event
/// to `also` first (diff matches bodies there).
pub fn load_with(
    source: Source,
    s: &Session<'_>,
    lo: LoadOptions,
    capture: Option<CaptureFn<'_>>,
    also: &mut dyn FnMut(&ScanEvent<'_>),
) -> Result<Backup> {
    Ok(read(source, s, lo, capture, also)?.backup.unpack())
}

/// What one read of an archive gives besides the backup: what only the command that asked for
/// it uses, so that a [`Backup`] holds no command's state.
pub struct Read {
    pub backup: Backup<PackedIndex>,
    /// The damage that ended the read early (only with `LoadOptions::tolerate_damage`: verify).
    pub damage: Option<ArchiveError>,
    /// gzip seek points recorded during the read (only with `LoadOptions::seek_span`: index).
    pub seek_points: Vec<SeekPoint>,
}

impl Backup<PackedIndex> {
    /// The same backup with its index decoded for queries.
    pub(crate) fn unpack(self) -> Backup {
        self.unpack_part(crate::indexed::Part::All)
    }

    /// The same backup with only the part of its items a command needs decoded.
    pub(crate) fn unpack_part(self, part: crate::indexed::Part<'_>) -> Backup {
        let index = match part {
            crate::indexed::Part::All => self.index.into_index(),
            crate::indexed::Part::Sections(keep) => self.index.into_index_where(keep),
        };
        Backup {
            index,
            named_as: self.named_as,
            source: self.source,
            captured: self.captured,
            access: self.access,
            input_limit: self.input_limit,
        }
    }
}

/// Like [`load_with`], keeping the index packed (what a sidecar is written from), with the
/// read's damage and seek points.
pub fn read(
    source: Source,
    s: &Session<'_>,
    lo: LoadOptions,
    capture: Option<CaptureFn<'_>>,
    also: &mut dyn FnMut(&ScanEvent<'_>),
) -> Result<Read> {
    let mut builder = IndexBuilder::new();
    let mut captured = Vec::new();
    let points = SeekPoints::default();
    let opts = ScanOptions {
        parse_metadata: lo.parse_metadata,
        sha256: lo.sha256,
        seek_points: lo.seek_span.map(|span| (span, points.clone())),
        ..scan_options(&s.options)
    };
    let quiet = crate::Quiet;
    let observer: &dyn Observer = if lo.progress_bar { s.observer } else { &quiet };
    let items = std::sync::atomic::AtomicU64::new(0);
    let scanned = source.scan(
        &opts,
        &|done, total| {
            observer.progress(
                done,
                total,
                items.load(std::sync::atomic::Ordering::Relaxed),
            )
        },
        |ev: ScanEvent<'_>| {
            if matches!(ev, ScanEvent::Item(_)) {
                items.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            also(&ev);
            if let (ScanEvent::Item(e), Some(want)) = (&ev, capture)
                && want(&e.path)
            {
                captured.push(Captured::of(e));
            }
            if lo.build_index || matches!(ev, ScanEvent::Warning(_)) {
                builder.add(ev)
            } else {
                std::ops::ControlFlow::Continue(())
            }
        },
    );
    observer.read_finished();
    let (stats, stop) = match scanned {
        Ok(stats) => (stats, None),
        Err(e)
            if lo.tolerate_damage
                && !matches!(
                    e,
                    ArchiveError::Io { .. }
                        | ArchiveError::NotABackup { .. }
                        | ArchiveError::Changed { .. }
                ) =>
        {
            (ScanStats::default(), Some(e))
        }
        Err(e) => return Err(e.into()),
    };
    let index = builder.finish(stats);
    let seek_points = std::mem::take(
        &mut *points
            .lock()
            .map_err(|_| Error::internal("seek point collector poisoned"))?,
    );
    Ok(Read {
        backup: Backup {
            named_as: source.tarball().display().to_string(),
            input_limit: s.options.max_entry_bytes,
            source,
            index,
            captured,
            access: None,
        },
        damage: stop,
        seek_points,
    })
}

/// Commands that describe items stop at the first item whose JSON is unreadable.
pub fn require_valid(loaded: &Backup) -> Result<()> {
    if let Some(bad) = loaded.index.invalid.first() {
        return Err(Error::entry(
            loaded.source.tarball().display(),
            &bad.entry,
            &bad.message,
        ));
    }
    Ok(())
}

/// Tells the observer the reader's warnings, one line each naming the file and entry.
pub fn report_warnings(loaded: &Backup, s: &Session<'_>) {
    report_scan_warnings(&loaded.source, &loaded.index.warnings, s);
}

/// Warnings of one kind shown before the rest of that kind are counted.
pub const WARNINGS_PER_KIND: usize = 10;

pub fn report_scan_warnings(source: &Source, warnings: &[ScanWarning], s: &Session<'_>) {
    let file = source.tarball().display();
    for line in capped_lines(warnings, |w| {
        format!("{file}: entry {}: {}", w.entry, w.message)
    }) {
        s.observer.notice(&line);
    }
}

/// Each warning as `line` makes it, at most [`WARNINGS_PER_KIND`] of a kind, then how many more
/// of that kind there were (an archive of a million odd entries must not print a million lines).
pub fn capped_lines(
    warnings: &[ScanWarning],
    line: impl Fn(&ScanWarning) -> String,
) -> Vec<String> {
    let mut shown: Vec<(veloscope_archive::WarningKind, usize)> = Vec::new();
    let mut out = Vec::new();
    for w in warnings {
        let seen = match shown.iter_mut().find(|(k, _)| *k == w.kind) {
            Some((_, n)) => n,
            None => {
                shown.push((w.kind, 0));
                &mut shown.last_mut().expect("just pushed").1
            }
        };
        *seen += 1;
        if *seen <= WARNINGS_PER_KIND {
            out.push(line(w));
        }
    }
    for (kind, n) in shown {
        if n > WARNINGS_PER_KIND {
            let kind = serde_json::to_value(kind).ok();
            let kind = kind.as_ref().and_then(|k| k.as_str()).unwrap_or("similar");
            out.push(format!(
                "... and {} more {kind} warnings (`veloscope verify` lists every one)",
                n - WARNINGS_PER_KIND
            ));
        }
    }
    out
}
