use crate::args::{BackupFilters, FILTER_FLAGS, Format, Global};
use crate::output::{Esc, Table};
use anyhow::Result;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use veloscope_core::Scope;
use veloscope_core::SpecOrigin;
use veloscope_core::VeleroVersion;
use veloscope_core::preview::{ItemOut, PreviewReport, PreviewRequest};
use veloscope_core::{Backup, Session};

/// The arguments of `veloscope preview`.
#[derive(Debug, clap::Args)]
pub struct Args {
    pub source: PathBuf,
    #[command(flatten)]
    pub filters: BackupFilters,
    /// A velero.io/v1 Backup (or Schedule) manifest, or only its spec, YAML or JSON.
    #[arg(long, value_name = "FILE", conflicts_with_all = FILTER_FLAGS)]
    pub spec: Option<PathBuf>,
    /// Apply the --spec file as it is, like a stored spec: no normalisation, no validation
    /// (for a velero-backup.json, or to mirror Velero's backupper tests).
    #[arg(long, requires = "spec")]
    pub as_stored: bool,
    /// Velero release whose rules apply (MAJOR.MINOR).
    #[arg(long, default_value_t = VeleroVersion::LATEST, value_name = "X.Y")]
    pub velero_version: VeleroVersion,
    /// List every item with the rule that decided it.
    #[arg(long)]
    pub explain: bool,
}

pub fn run(a: &Args, g: &Global, s: &Session<'_>, out: &mut impl Write) -> Result<u8> {
    let request = PreviewRequest {
        filters: &a.filters,
        spec: a.spec.as_deref(),
        as_stored: a.as_stored,
        velero_version: a.velero_version,
        explain: a.explain,
    };
    let backup = Backup::open_in(&a.source, &Scope::preview(&request), s)?;
    let report = backup.preview(&request, s)?;
    match g.output.format {
        Format::Table | Format::Wide => table(&report, out)?,
        Format::Name => crate::output::names(
            out,
            report
                .included
                .iter()
                .map(|i| crate::output::kubectl_name(i.resource, i.kind, i.name)),
        )?,
        _ => crate::output::emit_rows(out, &g.output, &report, "included")?,
    }
    Ok(0)
}

fn ns_name(o: &ItemOut<'_>) -> String {
    match o.namespace {
        Some(ns) => format!("{ns}/{}", o.name),
        None => o.name.to_string(),
    }
}

fn table(r: &PreviewReport<'_>, out: &mut impl Write) -> Result<()> {
    let origin = match r.spec_source {
        SpecOrigin::Flags => "from flags, normalised as the backup controller would",
        SpecOrigin::File => "from --spec, normalised as the backup controller would",
        SpecOrigin::FileAsStored => "from --spec, applied as stored (no normalisation)",
        SpecOrigin::Stored => "the backup's own stored spec (velero-backup.json), as stored",
        SpecOrigin::Default => "a backup without filters, normalised",
    };
    let n_inc = r.counts["included"].as_u64().unwrap_or(0);
    let n_exc = r.counts["excluded"].as_u64().unwrap_or(0);
    let related = r.included.iter().filter(|i| i.via.is_some()).count();
    let mut head = Table::plain();
    head.row(vec![
        "Spec:".into(),
        format!("{origin}; Velero {} rules", r.velero_version),
    ]);
    head.row(vec![
        "Selected:".into(),
        format!(
            "{n_inc} of {} items ({related} added as related items or CRDs)",
            n_inc + n_exc
        ),
    ]);
    if let Some(e) = &r.expanded_namespaces {
        head.row(vec![
            "Namespaces:".into(),
            format!(
                "expanded to includes [{}], excludes [{}]",
                e["includes"].join(", "),
                e["excludes"].join(", ")
            ),
        ]);
    }
    head.write(out)?;
    writeln!(out)?;
    let mut t = Table::new(&["RESOURCE", "INCLUDED", "EXCLUDED"]);
    for res in r.counts["resources"].as_array().into_iter().flatten() {
        t.row(vec![
            res["resource"].as_str().unwrap_or("").to_string(),
            res["included"].to_string(),
            res["excluded"].to_string(),
        ]);
    }
    t.write(out)?;
    if let Some(excluded) = &r.excluded {
        explain(out, &r.included, excluded)?;
    }
    if !r.hooks.is_empty() {
        writeln!(out, "\nHooks:")?;
        let mut t = Table::new(&[
            "PHASE",
            "POD",
            "CONTAINER",
            "COMMAND",
            "ON-ERROR",
            "TIMEOUT",
            "SOURCE",
        ]);
        for h in &r.hooks {
            t.row(vec![
                h.phase.into(),
                ns_name(&h.pod),
                h.container.clone(),
                h.command.join(" "),
                h.on_error.clone(),
                h.timeout.clone(),
                match &h.hook {
                    Some(name) => format!("spec hook {name:?}"),
                    None => "pod annotation".into(),
                },
            ]);
        }
        t.write(out)?;
    }
    if let Some(v) = &r.volumes {
        writeln!(out, "\nVolumes:")?;
        let mut t = Table::new(&["PERSISTENTVOLUME", "CLAIM", "ACTION", "POLICY"]);
        for d in v {
            t.row(vec![
                d.persistent_volume.unwrap_or("<none>").into(),
                d.claim.clone().unwrap_or_else(|| "<none>".into()),
                d.action.clone().unwrap_or_else(|| "<default>".into()),
                d.policy
                    .map_or("-".into(), |p| format!("volumePolicies[{p}]")),
            ]);
        }
        t.write(out)?;
    }
    if let Some(ns) = &r.not_selected
        && !ns.is_empty()
    {
        writeln!(
            out,
            "\nNot selected by the backup's own spec ({}):",
            ns.len()
        )?;
        let mut t = Table::new(&["RESOURCE", "ITEM", "REASON"]);
        for o in ns {
            t.row(vec![
                o.resource.into(),
                ns_name(o),
                o.reason.map_or("", |r| r.as_str()).into(),
            ]);
        }
        t.write(out)?;
    }
    crate::output::warnings_footer(out, &r.warnings)
}

/// Every item, grouped by resource: `+` included (with what pulled it in), `-` excluded with
/// the rule that decided, reasons aligned within a group.
fn explain(out: &mut impl Write, included: &[ItemOut<'_>], excluded: &[ItemOut<'_>]) -> Result<()> {
    let mut groups: BTreeMap<&str, Vec<(char, String, String)>> = BTreeMap::new();
    for i in included {
        let note = i
            .via
            .as_ref()
            .map(|v| format!("via {v}"))
            .unwrap_or_default();
        groups
            .entry(i.resource)
            .or_default()
            .push(('+', ns_name(i), note));
    }
    for e in excluded {
        let note = e.reason.map_or("", |r| r.as_str()).to_string();
        groups
            .entry(e.resource)
            .or_default()
            .push(('-', ns_name(e), note));
    }
    for (resource, mut rows) in groups {
        rows.sort_by(|a, b| a.1.cmp(&b.1));
        let inc = rows.iter().filter(|r| r.0 == '+').count();
        writeln!(
            out,
            "\n{} ({inc} included, {} excluded)",
            Esc(resource),
            rows.len() - inc
        )?;
        let width = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0);
        for (mark, name, note) in rows {
            let line = format!("  {mark} {:<width$}   {}", Esc(&name), Esc(&note));
            writeln!(out, "{}", line.trim_end())?;
        }
    }
    Ok(())
}
