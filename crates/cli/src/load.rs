//! Opening a source and indexing it, with a progress bar on a terminal for slow reads.

use crate::args::Global;
use anyhow::{Result, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use veloscope_archive::zran::{SeekPoint, SeekPoints};
use veloscope_archive::{
    ArchiveError, ItemPath, ScanEvent, ScanOptions, ScanStats, ScanWarning, Source, VersionDir,
};
use veloscope_index::{Builder, Index, IndexBuilder};

pub struct Loaded<I = Index> {
    pub source: Source,
    pub index: I,
    pub captured: Vec<Captured>,
    /// The damage that ended the read early (only with `LoadOptions::tolerate_damage`).
    pub stop: Option<ArchiveError>,
    /// gzip seek points recorded during the read (only with `LoadOptions::seek_span`).
    pub seek_points: Vec<SeekPoint>,
    /// How to read entries at their seek points, when the index came from (or was written to) a
    /// sidecar.
    pub access: Option<veloscope_archive::Access>,
}

/// An entry body kept during the scan (for `show`).
pub struct Captured {
    pub entry: String,
    pub gr: String,
    pub namespace: Option<String>,
    pub name: String,
    pub version: Option<String>,
    pub body: Vec<u8>,
}

pub type CaptureFn<'a> = &'a dyn Fn(&ItemPath<'_>) -> bool;

pub fn scan_options(g: &Global) -> ScanOptions {
    ScanOptions {
        max_entry_bytes: g.max_entry_bytes,
        max_header_bytes: g.max_header_bytes,
        ..ScanOptions::default()
    }
}

/// A progress bar that stays hidden until the work has taken about a second, and never draws
/// unless stderr is a terminal.
struct Progress {
    bar: ProgressBar,
    start: Instant,
    shown: AtomicBool,
    enabled: bool,
}

impl Progress {
    fn new(g: &Global, wanted: bool) -> Progress {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} reading {bytes}/{total_bytes} [{wide_bar}] {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        Progress {
            bar,
            start: Instant::now(),
            shown: AtomicBool::new(false),
            enabled: wanted && !g.no_progress && !g.quiet && std::io::stderr().is_terminal(),
        }
    }

    fn update(&self, done: u64, total: u64) {
        if !self.enabled {
            return;
        }
        if !self.shown.load(Ordering::Relaxed) && self.start.elapsed() > Duration::from_secs(1) {
            self.shown.store(true, Ordering::Relaxed);
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        self.bar.set_length(total);
        self.bar.set_position(done);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// A backup by path or URL (`s3://bucket/prefix/backups/NAME`, `gs://…`, `az://…`, `file://…`).
pub fn open(path: &Path) -> Result<Source> {
    Ok(veloscope_store::open_source(&path.to_string_lossy())?)
}

/// Like [`open`], and a path that is JSON/YAML or a folder of manifests is a live-cluster dump.
pub fn open_or_dump(path: &Path) -> Result<Source> {
    if veloscope_store::is_url(&path.to_string_lossy()) {
        return open(path);
    }
    Ok(Source::open_as(path, true)?)
}

/// Indexes a backup, from its sidecar when a valid one is beside it.
pub fn load(path: &Path, g: &Global, capture: Option<CaptureFn<'_>>) -> Result<Loaded> {
    crate::sidecar::load(open(path)?, g, capture)
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
    /// Keep what was read before damage, with the damage in `Loaded::stop` (verify).
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
    g: &Global,
    lo: LoadOptions,
    capture: Option<CaptureFn<'_>>,
    also: &mut dyn FnMut(&ScanEvent<'_>),
) -> Result<Loaded> {
    load_into::<IndexBuilder>(source, g, lo, capture, also)
}

/// Like [`load_with`], into the index layout of builder `B`.
pub fn load_into<B: Builder>(
    source: Source,
    g: &Global,
    lo: LoadOptions,
    capture: Option<CaptureFn<'_>>,
    also: &mut dyn FnMut(&ScanEvent<'_>),
) -> Result<Loaded<B::Built>> {
    let progress = Progress::new(g, lo.progress_bar);
    let mut builder = B::default();
    let mut captured = Vec::new();
    let points = SeekPoints::default();
    let opts = ScanOptions {
        parse_metadata: lo.parse_metadata,
        sha256: lo.sha256,
        seek_points: lo.seek_span.map(|span| (span, points.clone())),
        ..scan_options(g)
    };
    let scanned = source.scan(
        &opts,
        &|done, total| progress.update(done, total),
        |ev: ScanEvent<'_>| {
            also(&ev);
            if let (ScanEvent::Item(e), Some(want)) = (&ev, capture)
                && want(&e.path)
            {
                captured.push(Captured {
                    entry: e.entry.to_string(),
                    gr: e.path.gr.to_string(),
                    namespace: e.path.namespace.map(str::to_string),
                    name: e.path.name.to_string(),
                    version: match e.path.version {
                        VersionDir::Unversioned => None,
                        VersionDir::Preferred(v) | VersionDir::Other(v) => Some(v.to_string()),
                    },
                    body: e.body.to_vec(),
                });
            }
            if lo.build_index || matches!(ev, ScanEvent::Warning(_)) {
                builder.add(ev)
            } else {
                std::ops::ControlFlow::Continue(())
            }
        },
    );
    let (stats, stop) = match scanned {
        Ok(stats) => (stats, None),
        Err(e)
            if lo.tolerate_damage
                && !matches!(e, ArchiveError::Io { .. } | ArchiveError::NotABackup { .. }) =>
        {
            (ScanStats::default(), Some(e))
        }
        Err(e) => return Err(e.into()),
    };
    drop(progress);
    let index = builder.finish(stats);
    let seek_points = std::mem::take(
        &mut *points
            .lock()
            .map_err(|_| anyhow::anyhow!("seek point collector poisoned"))?,
    );
    Ok(Loaded {
        source,
        index,
        captured,
        stop,
        seek_points,
        access: None,
    })
}

/// Commands that describe items stop at the first item whose JSON is unreadable.
pub fn require_valid(loaded: &Loaded) -> Result<()> {
    if let Some(bad) = loaded.index.invalid.first() {
        bail!(
            "{}: entry {}: {}",
            loaded.source.tarball().display(),
            bad.entry,
            bad.message
        );
    }
    Ok(())
}

pub fn print_warnings(loaded: &Loaded, g: &Global) {
    print_scan_warnings(&loaded.source, &loaded.index.warnings, g);
}

pub fn print_scan_warnings(source: &Source, warnings: &[ScanWarning], g: &Global) {
    if g.quiet {
        return;
    }
    for w in warnings {
        eprintln!(
            "warning: {}: entry {}: {}",
            source.tarball().display(),
            w.entry,
            w.message
        );
    }
}
