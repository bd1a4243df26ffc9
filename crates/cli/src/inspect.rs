use crate::args::{Format, Global};
use crate::output::{Esc, Table, emit, human_bytes};
use anyhow::Result;
use std::io::Write;
use std::path::PathBuf;
use veloscope_core::details::{BackupDetails, Describe};
use veloscope_core::summary::Summary;
use veloscope_core::{Backup, Scope, Session};

/// The arguments of `veloscope inspect`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A backup tarball (.tar.gz, .tar.zst, .tar) or a backup folder (…/backups/NAME/).
    pub source: PathBuf,
    /// Also the rest of `velero backup describe --details`: volumes, hooks, item operations, the
    /// resource list. (Labels, annotations, errors and warnings with their messages are shown
    /// always, as `velero backup describe` shows them.)
    #[arg(long)]
    pub details: bool,
}

/// The summary, and for a backup folder the details (under `details` in JSON and YAML): what
/// `velero backup describe` shows by default, or everything with `--details`.
#[derive(serde::Serialize)]
struct Report<'a> {
    #[serde(flatten)]
    summary: &'a Summary<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<Described<'a>>,
}

#[derive(serde::Serialize)]
#[serde(untagged)]
enum Described<'a> {
    All(&'a BackupDetails),
    Basics(Basics<'a>),
}

/// The sections `velero backup describe` shows without `--details`.
#[derive(serde::Serialize)]
struct Basics<'a> {
    labels: &'a std::collections::BTreeMap<String, String>,
    annotations: &'a std::collections::BTreeMap<String, String>,
    errors: &'a Option<veloscope_core::details::Messages>,
    warnings: &'a Option<veloscope_core::details::Messages>,
}

pub fn run(a: &Args, g: &Global, s: &Session<'_>, out: &mut impl Write) -> Result<u8> {
    // A summary needs no item from a sidecar: its head has every count.
    let backup = Backup::open_in(&a.source, &Scope::head(), s)?;
    let report = backup.summary()?;
    // The side files are read only for the sections shown.
    let describe = if a.details {
        Describe::Details
    } else {
        Describe::Default
    };
    let details = backup.details(describe)?;
    match g.output.format {
        Format::Table | Format::Wide => {
            table(&report, out)?;
            if let Some(d) = &details {
                basics_table(d, out)?;
                if a.details {
                    details_table(d, out)?;
                }
            }
        }
        _ => {
            let described = details.as_ref().map(|d| {
                if a.details {
                    Described::All(d)
                } else {
                    Described::Basics(Basics {
                        labels: &d.labels,
                        annotations: &d.annotations,
                        errors: &d.errors,
                        warnings: &d.warnings,
                    })
                }
            });
            emit(
                out,
                &g.output,
                &Report {
                    summary: &report,
                    details: described,
                },
            )?
        }
    }
    Ok(0)
}

/// Messages of one kind, as Velero's describer groups them.
fn messages(
    out: &mut impl Write,
    title: &str,
    m: &Option<veloscope_core::details::Messages>,
) -> Result<()> {
    writeln!(out, "\n{title}:")?;
    let Some(m) = m else {
        return Ok(writeln!(out, "  <no results file>")?);
    };
    let list = |v: &[String]| {
        if v.is_empty() {
            "<none>".to_string()
        } else {
            v.iter()
                .map(|s| Esc(s).to_string())
                .collect::<Vec<_>>()
                .join("\n              ")
        }
    };
    writeln!(out, "  Velero:     {}", list(&m.velero))?;
    writeln!(out, "  Cluster:    {}", list(&m.cluster))?;
    if m.namespaces.is_empty() {
        writeln!(out, "  Namespaces: <none>")?;
    } else {
        writeln!(out, "  Namespaces:")?;
        for (ns, msgs) in &m.namespaces {
            for msg in msgs {
                writeln!(out, "    {}: {}", Esc(ns), Esc(msg))?;
            }
        }
    }
    Ok(())
}

/// Labels, annotations, and the errors and warnings with their messages.
fn basics_table(d: &BackupDetails, out: &mut impl Write) -> Result<()> {
    let pairs = |m: &std::collections::BTreeMap<String, String>| {
        if m.is_empty() {
            "<none>".to_string()
        } else {
            m.iter()
                .map(|(k, v)| format!("{}={}", Esc(k), Esc(v)))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    writeln!(out, "\nLabels:       {}", pairs(&d.labels))?;
    writeln!(out, "Annotations:  {}", pairs(&d.annotations))?;
    messages(out, "Errors", &d.errors)?;
    messages(out, "Warnings", &d.warnings)?;
    Ok(())
}

/// The rest of `velero backup describe --details`.
fn details_table(d: &BackupDetails, out: &mut impl Write) -> Result<()> {
    writeln!(out, "\nBackup Volumes:")?;
    if d.volumes.is_empty()
        && d.native_snapshots.is_empty()
        && d.pod_volume_backups.is_empty()
        && d.csi_snapshots.is_empty()
    {
        writeln!(out, "  <none included>")?;
    }
    if !d.volumes.is_empty() {
        let mut t = Table::new(&["PVC", "PV", "METHOD", "RESULT"]);
        for v in &d.volumes {
            let result = match &v.skipped {
                Some(why) => format!("skipped: {why}"),
                None => v.result.clone().unwrap_or_default(),
            };
            t.row(vec![
                v.pvc.clone().unwrap_or_default(),
                v.pv.clone().unwrap_or_default(),
                v.method.clone().unwrap_or_default(),
                result,
            ]);
        }
        t.write(out)?;
    }
    if !d.native_snapshots.is_empty() {
        writeln!(out, "  Velero-Native Snapshots:")?;
        for s in &d.native_snapshots {
            writeln!(
                out,
                "    {}: snapshot {} ({}, {})",
                Esc(&s.pv),
                Esc(s.snapshot_id.as_deref().unwrap_or("<none>")),
                Esc(&s.volume_type),
                Esc(s.phase.as_deref().unwrap_or(""))
            )?;
        }
    }
    if !d.pod_volume_backups.is_empty() {
        writeln!(out, "  Pod Volume Backups:")?;
        for p in &d.pod_volume_backups {
            let size = p.bytes.map(human_bytes).unwrap_or_else(|| "-".into());
            writeln!(
                out,
                "    {} volume {}: {} ({}, {size})",
                Esc(&p.pod),
                Esc(&p.volume),
                Esc(&p.phase),
                Esc(&p.uploader)
            )?;
        }
    }
    if !d.csi_snapshots.is_empty() {
        writeln!(out, "  CSI Snapshots:")?;
        for s in &d.csi_snapshots {
            writeln!(out, "    {}", Esc(s))?;
        }
    }
    if let Some(h) = &d.hooks {
        writeln!(out, "\nHooksAttempted:  {}", h.attempted)?;
        writeln!(out, "HooksFailed:     {}", h.failed)?;
    }
    if !d.item_operations.is_empty() {
        writeln!(out, "\nBackup Item Operations:")?;
        for o in &d.item_operations {
            writeln!(out, "  Operation for {}:", Esc(&o.item))?;
            writeln!(out, "    Backup Item Action Plugin:  {}", Esc(&o.action))?;
            writeln!(
                out,
                "    Operation ID:               {}",
                Esc(&o.operation_id)
            )?;
            writeln!(out, "    Phase:                      {}", Esc(&o.phase))?;
            if let Some(p) = &o.progress {
                writeln!(out, "    Progress:                   {}", Esc(p))?;
            }
            if let Some(e) = &o.error {
                writeln!(out, "    Operation Error:            {}", Esc(e))?;
            }
        }
    }
    writeln!(out, "\nResource List:")?;
    match &d.resource_list {
        None => writeln!(out, "  <no resource list file>")?,
        Some(list) => {
            for (kind, items) in list {
                writeln!(out, "  {}:", Esc(kind))?;
                for i in items {
                    writeln!(out, "    - {}", Esc(i))?;
                }
            }
        }
    }
    Ok(())
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
            "{} ({}, {} uncompressed)",
            r.items,
            crate::output::count(r.entries, "entry"),
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
        // A few of each kind, then how many more (`-o json` lists every one): an archive of a
        // million stray entries must not print a million lines.
        writeln!(out, "\nWarnings ({}):", r.warnings.len())?;
        let mut kinds: Vec<(&str, usize)> = Vec::new();
        for w in &r.warnings {
            let seen = match kinds.iter_mut().find(|(k, _)| *k == w.kind) {
                Some((_, n)) => n,
                None => {
                    kinds.push((&w.kind, 0));
                    &mut kinds.last_mut().expect("just pushed").1
                }
            };
            *seen += 1;
            if *seen <= veloscope_core::WARNINGS_PER_KIND {
                writeln!(out, "  {}: {}", Esc(&w.entry), Esc(&w.message))?;
            }
        }
        for (kind, n) in kinds {
            if n > veloscope_core::WARNINGS_PER_KIND {
                let more = n - veloscope_core::WARNINGS_PER_KIND;
                writeln!(
                    out,
                    "  … and {more} more of this kind ({kind}); -o json lists every one"
                )?;
            }
        }
    }
    Ok(())
}
