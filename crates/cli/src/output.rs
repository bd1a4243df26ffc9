//! Rendering: kubectl-like aligned tables, JSON and YAML, to a buffered stdout.

use crate::args::Format;
use anyhow::Result;
use serde::Serialize;
use std::borrow::Cow;
use std::fmt;
use std::io::Write;

/// Text from a backup made safe for a terminal: control characters, which could move the cursor,
/// rewrite the screen (ESC, OSC sequences), ring the bell or forge a table row (a newline in a
/// name), are shown instead of sent. ESC prints as `^[` and CR as `\r`, as kubectl prints them;
/// LF and TAB as `\n` and `\t`; any other as `\xHH` (or `\u{…}` above U+00FF).
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\u{1b}' => out.push_str("^["),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() && u32::from(c) < 0x100 => {
                out.push_str(&format!("\\x{:02x}", u32::from(c)));
            }
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// [`escape`] as a `Display`, for `write!` arguments.
pub struct Esc<'a>(pub &'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&escape(self.0))
    }
}

pub fn emit<T: Serialize>(out: &mut impl Write, format: Format, value: &T) -> Result<()> {
    match format {
        Format::Yaml => out.write_all(veloscope_core::yaml::to_string_of(value)?.as_bytes())?,
        Format::Name => anyhow::bail!("-o name lists objects: use it with ls, backups or restores"),
        _ => {
            serde_json::to_writer_pretty(&mut *out, value)?;
            writeln!(out)?;
        }
    }
    Ok(())
}

/// A table with upper-case headers and columns padded to the widest cell, three spaces apart.
pub struct Table {
    rows: Vec<Vec<String>>,
    header: bool,
}

/// `--no-headers`, set once by `main` for every table the command prints.
static NO_HEADERS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn set_no_headers(on: bool) {
    NO_HEADERS.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// Names, one per line (`-o name`), escaped for the terminal.
pub fn names(out: &mut impl Write, names: impl IntoIterator<Item = String>) -> Result<()> {
    for n in names {
        writeln!(out, "{}", escape(&n))?;
    }
    Ok(())
}

impl Table {
    pub fn new(headers: &[&str]) -> Table {
        Table {
            rows: vec![headers.iter().map(|h| h.to_string()).collect()],
            header: true,
        }
    }

    /// A table of key/value lines without a header row.
    pub fn plain() -> Table {
        Table {
            rows: Vec::new(),
            header: false,
        }
    }

    /// Adds a row; its cells are escaped for the terminal.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows
            .push(cells.into_iter().map(|c| escape(&c).into_owned()).collect());
    }

    pub fn is_empty(&self) -> bool {
        self.rows.len() <= usize::from(self.header)
    }

    pub fn write(&self, out: &mut impl Write) -> Result<()> {
        let cols = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..cols)
            .map(|c| {
                self.rows
                    .iter()
                    .filter_map(|r| r.get(c))
                    .map(|s| s.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let skip =
            usize::from(self.header && NO_HEADERS.load(std::sync::atomic::Ordering::Relaxed));
        for r in &self.rows[skip.min(self.rows.len())..] {
            let mut line = String::new();
            for (c, cell) in r.iter().enumerate() {
                line.push_str(cell);
                if c + 1 < r.len() {
                    let pad = widths[c] - cell.chars().count() + 3;
                    line.extend(std::iter::repeat_n(' ', pad));
                }
            }
            writeln!(out, "{}", line.trim_end())?;
        }
        Ok(())
    }
}

/// The warnings under a table, if any.
pub fn warnings_footer(out: &mut impl Write, warnings: &[String]) -> Result<()> {
    if !warnings.is_empty() {
        writeln!(out, "\nWarnings:")?;
        for w in warnings {
            writeln!(out, "  {}", Esc(w))?;
        }
    }
    Ok(())
}

pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
