//! `verify`: is this archive sound? Findings with stable codes, from the compression and tar
//! stream to the backup's own records, a policy and a digest manifest.

use crate::backup::{self, LoadOptions};
use crate::{Error, InFile, Result, Session};
use serde::Serialize;
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use veloscope_select::Resolver;
use veloscope_verify::manifest::{self, Manifest};
pub use veloscope_verify::{Finding, FindingGroup, Severity, grouped};
use veloscope_verify::{Policy, archive, junit};

/// What to verify and what to write.
#[derive(Debug, Clone, Copy)]
pub struct VerifyRequest<'a> {
    pub source: &'a Path,
    pub policy: Option<&'a Path>,
    /// Also write the findings as JUnit XML here.
    pub junit: Option<&'a Path>,
    pub write_manifest: bool,
    pub manifest: Option<&'a Path>,
}

#[derive(Debug, Serialize)]
pub struct VerifyReport {
    pub ok: bool,
    pub items: usize,
    pub problems: Vec<Finding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest: Option<String>,
    /// Findings left out per code by [`VerifyReport::cap`] (`--max-findings`).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub omitted: std::collections::BTreeMap<&'static str, usize>,
    /// Whether the archive was read to its end (a damaged one stops early; its damage is a
    /// finding).
    #[serde(skip)]
    pub complete: bool,
    /// The tarball's path or URL.
    #[serde(skip)]
    pub file: String,
}

impl VerifyReport {
    /// Keeps at most `per_code` findings of each code (the first found), counting the rest in
    /// `omitted`; the verdict is unchanged.
    pub fn cap(&mut self, per_code: usize) {
        let mut seen: std::collections::BTreeMap<(&'static str, Severity), usize> =
            std::collections::BTreeMap::new();
        let omitted = &mut self.omitted;
        self.problems.retain(|f| {
            let n = seen.entry((f.code, f.severity)).or_default();
            *n += 1;
            if *n > per_code {
                *omitted.entry(f.code).or_default() += 1;
            }
            *n <= per_code
        });
    }
}

/// Checks a backup: compression, tar stream, every item, the backup's own records, an optional
/// policy and digest manifest. A damaged archive is read as far as it goes; the damage is a
/// finding, not an error.
pub fn verify(a: &VerifyRequest<'_>, s: &Session<'_>) -> Result<VerifyReport> {
    Ok(verify_reading(a, s, false, &mut |_| {})?.0)
}

/// [`verify`], showing every item entry to `visit` as the read meets it (with its SHA-256 when
/// `sha256`), and keeping the backup that was read.
pub(crate) fn verify_reading(
    a: &VerifyRequest<'_>,
    s: &Session<'_>,
    sha256: bool,
    visit: &mut dyn FnMut(&veloscope_archive::ItemEntry<'_>),
) -> Result<(VerifyReport, crate::Backup)> {
    let policy = a
        .policy
        .map(|p| {
            let text = veloscope_archive::read_text(p, s.options.max_entry_bytes)?;
            Policy::parse(&text).map_err(|e| Error::usage_in(p.display(), e))
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
        .map_err(Error::usage_from)?;
    let mut inputs = crate::output::inputs_of(&source);
    if let Some(p) = a.policy {
        inputs.push(p.to_path_buf());
    }
    if a.write_manifest {
        crate::output::refuse_input(&manifest_path, &inputs, "--manifest")?;
    } else if manifest_path.is_file() {
        inputs.push(manifest_path.clone());
    }
    if let Some(j) = a.junit {
        crate::output::refuse_input(j, &inputs, "--junit")?;
    }
    let observer = RefCell::new(archive::Observer::new(
        file.clone(),
        a.write_manifest || old_manifest.is_some(),
    ));
    let digests_wanted = a.write_manifest || old_manifest.is_some();
    let lo = LoadOptions {
        tolerate_damage: true,
        // Digests on the pool rather than one by one on the reading thread.
        sha256: sha256 || digests_wanted,
        ..LoadOptions::default()
    };
    let read = backup::read(source, s, lo, None, &mut |ev| {
        if let veloscope_archive::ScanEvent::Item(e) = ev {
            visit(e);
        }
        observer.borrow_mut().observe(ev)
    })?;
    let damage = read.damage;
    let loaded = read.backup.unpack();
    let (mut findings, digests) = observer.into_inner().into_parts();
    let index = &loaded.index;
    let resolver = Resolver::for_index(index);
    let complete = damage.is_none();
    if let Some(stop) = &damage {
        match archive::stop_finding(&file, stop) {
            Some(f) => findings.push(f),
            None => {
                return Err(Error::input(&file, stop));
            }
        }
    }
    findings.extend(archive::findings(
        &file,
        complete.then_some(&index.stats),
        index,
        &resolver,
    ));
    if complete && let Some(why) = crate::indexed::disagreement(&loaded.source, index) {
        findings.push(veloscope_verify::finding("index-disagrees", &file, why));
    }
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
        let side = manifest::side_file_digests(&loaded.source).in_file(&file)?;
        let now = Manifest::new(items, side);
        if a.write_manifest {
            if !complete {
                return Err(Error::input(
                    &file,
                    "the archive is damaged; no manifest written",
                ));
            }
            let text = serde_json::to_string_pretty(&now)
                .map_err(|e| Error::internal_from("rendering the manifest", e))?
                + "\n";
            crate::output::write_atomically(&manifest_path, text.as_bytes())?;
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
        let xml = junit::render(&file, &findings)
            .map_err(|e| Error::internal_from("rendering JUnit XML", e))?;
        crate::output::write_atomically(j, xml.as_bytes())?;
    }
    let report = VerifyReport {
        ok: errors == 0,
        items: index.items.len(),
        problems: findings,
        manifest: manifest_note,
        omitted: Default::default(),
        complete,
        file,
    };
    Ok((report, loaded))
}
