use crate::args::{BackupFilters, DiffOptions, Format, Global};
use crate::output::{Colour, Esc, emit, paint};
use anyhow::Result;
use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;
use veloscope_core::Session;
use veloscope_core::VeleroVersion;
use veloscope_core::diff::{Change, DiffReport, DiffRequest, LineOp, line_diff};

/// The arguments of `veloscope diff`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The older side: a backup tarball or folder.
    pub a: PathBuf,
    /// The newer side: a backup tarball or folder, a List file, or a folder of manifests.
    pub b: PathBuf,
    #[command(flatten)]
    pub filters: BackupFilters,
    #[command(flatten)]
    pub diff: DiffOptions,
    /// Velero release whose filter rules apply (MAJOR.MINOR).
    #[arg(long, default_value_t = VeleroVersion::LATEST, value_name = "X.Y")]
    pub velero_version: VeleroVersion,
}

/// Returns the exit code: 0 no differences, 1 differences.
pub fn run(a: &Args, g: &Global, s: &Session<'_>, out: &mut impl Write) -> Result<u8> {
    let request = DiffRequest {
        a: &a.a,
        b: &a.b,
        filters: &a.filters,
        diff: &a.diff,
        velero_version: a.velero_version,
    };
    let diff = veloscope_core::diff::diff(&request, s)?;
    let report = diff.report();
    match g.output.format {
        Format::Table | Format::Wide => table(&report, a.diff.stat, g, out)?,
        _ => emit(out, &g.output, &report)?,
    }
    Ok(u8::from(report.differs()))
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

/// One field change: `path: old → new`, or for multi-line strings the lines removed and added.
fn change(c: &Change, out: &mut impl Write) -> Result<()> {
    let Some(lines) = line_diff(&c.old, &c.new) else {
        writeln!(
            out,
            "    {}: {} → {}",
            Esc(&c.path),
            paint(Colour::Red, &show(&c.old)),
            paint(Colour::Green, &show(&c.new))
        )?;
        return Ok(());
    };
    writeln!(out, "    {}: (lines)", Esc(&c.path))?;
    for (op, text) in lines {
        let line = match op {
            LineOp::Same => format!("       {}", Esc(&text)),
            LineOp::Removed => paint(Colour::Red, &format!("      -{}", Esc(&text))),
            LineOp::Added => paint(Colour::Green, &format!("      +{}", Esc(&text))),
            LineOp::Gap => "      …".to_string(),
        };
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

fn table(r: &DiffReport<'_>, stat: bool, g: &Global, out: &mut impl Write) -> Result<()> {
    type Line<'a> = (
        (&'a str, Option<&'a str>, &'a str),
        char,
        Option<&'a [Change]>,
    );
    let mut lines: Vec<Line<'_>> = Vec::new();
    lines.extend(
        r.added
            .iter()
            .map(|i| ((i.resource, i.namespace, i.name), '+', None)),
    );
    lines.extend(
        r.removed
            .iter()
            .map(|i| ((i.resource, i.namespace, i.name), '-', None)),
    );
    lines.extend(
        r.changed
            .iter()
            .map(|c| ((c.resource, c.namespace, c.name), 'M', Some(c.changes))),
    );
    let width = lines.iter().map(|l| l.0.0.len()).max().unwrap_or(0);
    lines.sort_by(|x, y| x.0.cmp(&y.0));
    for (k, code, changes) in &lines {
        let who = match k.1 {
            Some(ns) => format!("{ns}/{}", k.2),
            None => k.2.to_string(),
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
        let colour = match code {
            '+' => Colour::Green,
            '-' => Colour::Red,
            _ => Colour::Yellow,
        };
        writeln!(
            out,
            "{} {:<width$}  {}{note}",
            paint(colour, &code.to_string()),
            Esc(k.0),
            Esc(&who)
        )?;
        if let (Some(changes), false) = (changes, stat) {
            for c in *changes {
                change(c, out)?;
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
            eprintln!("warning: {}", Esc(w));
        }
    }
    Ok(())
}
