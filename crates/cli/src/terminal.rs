//! What the engine tells the user while it works: a progress bar that appears only on a terminal
//! and only once a read has taken about a second, and warnings on stderr unless `-q`.

use crate::args::Global;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use veloscope_core::{Observer, Options, Session};

pub struct Terminal {
    /// The current read's bar, when it started, and whether the bar is drawn.
    read: Mutex<Option<(ProgressBar, Instant, bool)>>,
    bars: bool,
    quiet: bool,
    trace: bool,
    /// How long work runs before its bar appears: a second (`VELOSCOPE_PROGRESS_AFTER_MS`
    /// changes it, for tests).
    after: Duration,
}

impl Terminal {
    pub fn new(g: &Global) -> Terminal {
        Terminal {
            read: Mutex::new(None),
            bars: !g.no_progress && !g.quiet && std::io::stderr().is_terminal(),
            quiet: g.quiet,
            trace: std::env::var_os("VELOSCOPE_TRACE").is_some(),
            after: std::env::var("VELOSCOPE_PROGRESS_AFTER_MS")
                .ok()
                .and_then(|v| v.parse().ok())
                .map_or(Duration::from_secs(1), Duration::from_millis),
        }
    }

    pub fn session<'a>(&'a self, g: &Global) -> Session<'a> {
        Session::new(
            Options {
                max_entry_bytes: g.max_entry_bytes,
                max_header_bytes: g.max_header_bytes,
                no_index: g.no_index,
            },
            self,
        )
    }
}

impl Terminal {
    /// Moves the current bar (made by `make` when there is none), drawing it once the work has
    /// taken a second.
    fn advance(&self, make: impl FnOnce() -> ProgressBar, done: u64, total: u64) {
        if !self.bars {
            return;
        }
        let Ok(mut read) = self.read.lock() else {
            return;
        };
        let (bar, start, shown) = read.get_or_insert_with(|| (make(), Instant::now(), false));
        if !*shown && start.elapsed() > self.after {
            *shown = true;
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        bar.set_length(total);
        bar.set_position(done);
    }

    /// Sets the current bar's message.
    fn say(&self, message: &str) {
        if let Ok(read) = self.read.lock()
            && let Some((bar, _, true)) = read.as_ref()
        {
            bar.set_message(message.to_string());
        }
    }

    fn clear(&self) {
        if let Ok(mut read) = self.read.lock()
            && let Some((bar, _, _)) = read.take()
        {
            bar.finish_and_clear();
        }
    }
}

impl Observer for Terminal {
    fn progress(&self, done: u64, total: u64, items: u64) {
        self.advance(
            || new_bar("reading {bytes}/{total_bytes} ({msg})"),
            done,
            total,
        );
        self.say(&format!("{items} items"));
    }

    fn read_finished(&self) {
        self.clear();
    }

    fn work(&self, what: &'static str, done: u64, total: u64) {
        let make = || {
            let bar = new_bar("{msg} {pos}/{len} items");
            bar.set_message(what);
            bar
        };
        self.advance(make, done, total);
    }

    fn work_finished(&self) {
        self.clear();
    }

    fn notice(&self, text: &str) {
        if !self.quiet {
            eprintln!("warning: {}", crate::output::escape(text));
        }
    }

    fn answered_from(&self, sidecar: &str) {
        if !self.quiet {
            eprintln!(
                "note: answered from the index {} (checked against sampled blocks of the archive; --no-index reads the archive)",
                crate::output::escape(sidecar)
            );
        }
    }

    fn trace(&self, text: &str) {
        if self.trace {
            eprintln!("trace: {}", crate::output::escape(text));
        }
    }
}

fn new_bar(counts: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    if let Ok(style) =
        ProgressStyle::with_template(&format!("{{spinner}} {counts} [{{wide_bar}}] {{eta}}"))
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
