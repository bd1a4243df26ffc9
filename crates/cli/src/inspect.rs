use crate::args::{Format, Global};
use crate::output::{Esc, Table, emit, human_bytes};
use anyhow::Result;
use std::io::Write;
use std::path::PathBuf;
use veloscope_core::summary::Summary;
use veloscope_core::{Backup, Part, Session};

/// The arguments of `veloscope inspect`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A backup tarball (.tar.gz, .tar.zst, .tar) or a backup folder (…/backups/NAME/).
    pub source: PathBuf,
}

pub fn run(a: &Args, g: &Global, s: &Session<'_>, out: &mut impl Write) -> Result<u8> {
    // A summary needs no item from a sidecar: its head has every count.
    let backup = Backup::open_with(&a.source, s, Part::Sections(&|_, _, _| false), None)?;
    let report = backup.summary()?;
    match g.output {
        Format::Table => table(&report, out)?,
        f => emit(out, f, &report)?,
    }
    Ok(0)
}

fn opt(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("<none>")
}

fn table(r: &Summary<'_>, out: &mut impl Write) -> Result<()> {
    let mut head = Table::plain();
    let mut kv = |k: &str, v: String| head.row(vec![format!("{k}:"), v]);
    if let Some(b) = &r.backup {
        kv("Backup", b.name.clone());
        kv("Phase", opt(&b.phase).to_string());
        kv("Started", opt(&b.started).to_string());
        kv("Completed", opt(&b.completed).to_string());
        kv("Expires", opt(&b.expires).to_string());
        kv("Storage location", opt(&b.storage_location).to_string());
        kv("TTL", opt(&b.ttl).to_string());
        kv(
            "Errors / warnings",
            format!("{} / {}", b.errors, b.warnings),
        );
        if let (Some(t), Some(d)) = (b.total_items, b.items_backed_up) {
            kv("Items backed up", format!("{d} of {t}"));
        }
    }
    kv(
        "Archive",
        format!(
            "{} ({}, {})",
            r.archive,
            r.compression,
            human_bytes(r.archive_bytes)
        ),
    );
    kv(
        "Format version",
        r.format_version.unwrap_or("<missing>").to_string(),
    );
    kv(
        "Items",
        format!(
            "{} ({} entries, {} uncompressed)",
            r.items,
            r.entries,
            human_bytes(r.bytes)
        ),
    );
    kv("Cluster-scoped items", r.cluster_scoped_items.to_string());
    if let Some(s) = &r.side_files {
        let n = |v: Option<usize>| v.map_or("-".to_string(), |n| n.to_string());
        kv("Volume info", n(s.volume_info));
        kv("Native snapshots", n(s.volume_snapshots));
        kv("Pod volume backups", n(s.pod_volume_backups));
        kv("Item operations", n(s.item_operations));
    }
    head.write(out)?;
    if let Some(b) = &r.backup {
        writeln!(out, "\nSpec:")?;
        let yaml = veloscope_core::yaml::to_string(&b.spec);
        for line in yaml.lines() {
            writeln!(out, "  {line}")?;
        }
    }
    writeln!(out)?;
    let mut t = Table::new(&["RESOURCE", "NAMESPACED", "ITEMS", "VERSIONS", "PREFERRED"]);
    for res in r.resources {
        t.row(vec![
            res.resource.clone(),
            res.namespaced.to_string(),
            res.items.to_string(),
            res.versions.join(","),
            res.preferred_version.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    t.write(out)?;
    writeln!(out)?;
    let mut t = Table::new(&["NAMESPACE", "ITEMS"]);
    for ns in r.namespaces {
        t.row(vec![ns.namespace.clone(), ns.items.to_string()]);
    }
    t.write(out)?;
    if !r.warnings.is_empty() {
        writeln!(out, "\nWarnings ({}):", r.warnings.len())?;
        for w in &r.warnings {
            writeln!(out, "  {}: {}", Esc(&w.entry), Esc(&w.message))?;
        }
    }
    Ok(())
}
