use crate::args::{Format, Global};
use crate::output::{Table, emit};
use anyhow::{Context, Result, anyhow, bail};
use serde::Serialize;
use std::cell::RefCell;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use veloscope_core::Session;
use veloscope_core::backup::{self, LoadOptions};
use veloscope_select::Resolver;
use veloscope_verify::manifest::{self, Manifest};
use veloscope_verify::{Finding, Policy, Severity, archive, junit};

pub struct Args<'a> {
    pub source: &'a Path,
    pub policy: Option<&'a Path>,
    pub junit: Option<&'a Path>,
    pub write_manifest: bool,
    pub manifest: Option<&'a Path>,
}

#[derive(Serialize)]
struct Report<'a> {
    ok: bool,
    items: usize,
    problems: &'a [Finding],
    #[serde(skip_serializing_if = "Option::is_none")]
    manifest: Option<String>,
}

/// Returns the exit code: 0 no error finding, 1 errors.
pub fn run(a: &Args<'_>, g: &Global, s: &Session<'_>, out: &mut impl Write) -> Result<u8> {
    let policy = a
        .policy
        .map(|p| {
            let text = std::fs::read_to_string(p).with_context(|| p.display().to_string())?;
            Policy::parse(&text).map_err(|e| anyhow!("{}: {e}", p.display()))
        })
        .transpose()?;
    let source = backup::open(a.source)?;
    let file = source.tarball().display().to_string();
    let manifest_path: PathBuf = a
        .manifest
        .map_or_else(|| manifest::default_path(&source), Path::to_path_buf);
    let old_manifest = (!a.write_manifest && manifest_path.is_file())
        .then(|| manifest::read(&manifest_path))
        .transpose()
        .map_err(|e| anyhow!(e))?;
    let observer = RefCell::new(archive::Observer::new(
        file.clone(),
        a.write_manifest || old_manifest.is_some(),
    ));
    let lo = LoadOptions {
        tolerate_damage: true,
        ..LoadOptions::default()
    };
    let loaded = backup::load_with(source, s, lo, None, &mut |ev| {
        observer.borrow_mut().observe(ev)
    })?;
    let (mut findings, digests) = observer.into_inner().into_parts();
    let index = &loaded.index;
    let resolver = Resolver::for_index(index);
    let complete = loaded.stop.is_none();
    if let Some(stop) = &loaded.stop {
        match archive::stop_finding(&file, stop) {
            Some(f) => findings.push(f),
            None => bail!("{stop}"),
        }
    }
    findings.extend(archive::findings(
        &file,
        complete.then_some(&index.stats),
        index,
        &resolver,
    ));
    if complete {
        findings.extend(veloscope_verify::backup::format_version(
            &file,
            index.stats.format_version.as_deref(),
        ));
    }
    let mut stored = None;
    if let Some(folder) = loaded.source.folder() {
        stored = veloscope_verify::backup::stored_backup(folder, &mut findings);
        if let Some(s) = &stored {
            findings.extend(veloscope_verify::backup::status(folder, s, index));
            if complete {
                findings.extend(veloscope_verify::backup::audit(&file, s, index, &resolver));
            }
        }
        findings.extend(veloscope_verify::backup::side_files(folder, index));
    }
    if let Some(p) = &policy {
        findings.extend(p.check(
            &file,
            index,
            &resolver,
            stored.as_ref().map(|s| &s.backup),
            SystemTime::now(),
        ));
    }
    let mut manifest_note = None;
    if let Some(items) = digests {
        let side = manifest::side_file_digests(&loaded.source).with_context(|| file.clone())?;
        let now = Manifest::new(items, side);
        if a.write_manifest {
            if !complete {
                bail!("{file}: the archive is damaged; no manifest written");
            }
            let text = serde_json::to_string_pretty(&now)? + "\n";
            std::fs::write(&manifest_path, text)
                .with_context(|| manifest_path.display().to_string())?;
            manifest_note = Some(format!("wrote {}", manifest_path.display()));
        } else if let Some(old) = &old_manifest {
            findings.extend(manifest::compare(&manifest_path, old, &now));
            manifest_note = Some(format!("checked against {}", manifest_path.display()));
        }
    }
    if let Some(p) = &policy {
        p.adjust(&mut findings);
    }
    findings.sort_by(|x, y| (x.severity, x.code, &x.entry).cmp(&(y.severity, y.code, &y.entry)));
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    if let Some(j) = a.junit {
        let xml = junit::render(&file, &findings).map_err(|e| anyhow!(e))?;
        std::fs::write(j, xml).with_context(|| j.display().to_string())?;
    }
    let report = Report {
        ok: errors == 0,
        items: index.items.len(),
        problems: &findings,
        manifest: manifest_note,
    };
    match g.output {
        Format::Table => table(&report, &file, out)?,
        f => emit(out, f, &report)?,
    }
    Ok(u8::from(errors > 0))
}

fn table(r: &Report<'_>, file: &str, out: &mut impl Write) -> Result<()> {
    for (severity, title) in [(Severity::Error, "ERRORS"), (Severity::Warning, "WARNINGS")] {
        let rows: Vec<&Finding> = r
            .problems
            .iter()
            .filter(|f| f.severity == severity)
            .collect();
        if rows.is_empty() {
            continue;
        }
        writeln!(out, "{title} ({})", rows.len())?;
        let mut t = Table::new(&["CODE", "ENTRY", "MESSAGE"]);
        for f in rows {
            t.row(vec![f.code.to_string(), f.entry.clone(), f.message.clone()]);
        }
        t.write(out)?;
        writeln!(out)?;
    }
    if let Some(m) = &r.manifest {
        writeln!(out, "Manifest: {m}")?;
    }
    let errors = r
        .problems
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = r.problems.len() - errors;
    writeln!(
        out,
        "{file}: {} items, {errors} errors, {warnings} warnings: {}",
        r.items,
        if r.ok { "OK" } else { "FAILED" }
    )?;
    Ok(())
}
