//! Opening a source and indexing it, with a progress bar on a terminal for slow reads.

use crate::args::Global;
use anyhow::{Result, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use veloscope_archive::{ItemPath, ScanEvent, ScanOptions, Source, VersionDir, scan_archive};
use veloscope_index::{Index, IndexBuilder};

pub struct Loaded {
    pub source: Source,
    pub index: Index,
    pub captured: Vec<Captured>,
}

/// An entry body kept during the scan (for `show`).
pub struct Captured {
    pub entry: String,
    pub gr: String,
    pub namespace: Option<String>,
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
    fn new(g: &Global) -> Progress {
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
            enabled: !g.no_progress && !g.quiet && std::io::stderr().is_terminal(),
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

pub fn load(path: &Path, g: &Global, capture: Option<CaptureFn<'_>>) -> Result<Loaded> {
    let source = Source::open(path)?;
    let progress = Progress::new(g);
    let mut builder = IndexBuilder::new();
    let mut captured = Vec::new();
    let stats = scan_archive(
        source.tarball(),
        &scan_options(g),
        &|done, total| progress.update(done, total),
        |ev: ScanEvent<'_>| {
            if let (ScanEvent::Item(e), Some(want)) = (&ev, capture)
                && want(&e.path)
            {
                captured.push(Captured {
                    entry: e.entry.to_string(),
                    gr: e.path.gr.to_string(),
                    namespace: e.path.namespace.map(str::to_string),
                    version: match e.path.version {
                        VersionDir::Unversioned => None,
                        VersionDir::Preferred(v) | VersionDir::Other(v) => Some(v.to_string()),
                    },
                    body: e.body.to_vec(),
                });
            }
            builder.add(ev)
        },
    )?;
    drop(progress);
    let index = builder.finish(stats);
    Ok(Loaded {
        source,
        index,
        captured,
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
    if g.quiet {
        return;
    }
    for w in &loaded.index.warnings {
        eprintln!(
            "warning: {}: entry {}: {}",
            loaded.source.tarball().display(),
            w.entry,
            w.message
        );
    }
}
