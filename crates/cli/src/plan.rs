use crate::args::{Format, Global, RestoreFilters};
use crate::output::{StreamedTable, Table};
use anyhow::Result;
use std::io::Write;
use std::path::PathBuf;
use veloscope_core::Scope;
use veloscope_core::plan::{PlanReport, StepOut};
use veloscope_core::{Action, Backup, Session};

/// The arguments of `veloscope plan`.
#[derive(Debug, clap::Args)]
pub struct Args {
    pub source: PathBuf,
    #[command(flatten)]
    pub restore: RestoreFilters,
    /// List every item not restored in the table (by default: a count per reason).
    #[arg(long)]
    pub show_skipped: bool,
}

pub fn run(a: &Args, g: &Global, s: &Session<'_>, out: &mut impl Write) -> Result<u8> {
    // The table counts what is not restored; JSON and --show-skipped list every item.
    let every_item = !matches!(g.output.format, Format::Table | Format::Wide) || a.show_skipped;
    let backup = Backup::open_in(&a.source, &Scope::restore(&a.restore, every_item), s)?;
    let report = backup.plan(&a.restore, s)?;
    match g.output.format {
        Format::Table | Format::Wide => table(&report, a.show_skipped, out)?,
        Format::Name => crate::output::names(
            out,
            report
                .steps
                .iter()
                .map(|s| crate::output::kubectl_name(s.resource, None, s.name)),
        )?,
        _ => crate::output::emit_rows(out, &g.output, &report, "steps")?,
    }
    Ok(0)
}

fn table(r: &PlanReport<'_>, show_skipped: bool, out: &mut impl Write) -> Result<()> {
    let omitted: u64 = r.omitted.iter().map(|o| o.items).sum();
    let count = |a: Action| r.steps.iter().filter(|s| s.action == a).count();
    writeln!(
        out,
        "Restore plan (Velero {} rules): {} steps — {} create, {} namespaces created on demand, {} update, {} skip; {} archive items not restored\n",
        r.velero_version,
        r.steps.len(),
        count(Action::Create),
        count(Action::CreateNamespace),
        count(Action::Update),
        count(Action::Skip),
        r.skipped.len() as u64 + omitted
    )?;
    if !r.empty_claims.is_empty() {
        writeln!(out, "Data that will not come back:")?;
        for c in &r.empty_claims {
            writeln!(out, "  {}", crate::output::escape(c))?;
        }
        writeln!(out)?;
    }
    // What changes a live object, or is not done, stands out.
    let by_action: crate::output::ColourOf = |action| match action {
        "update" => Some(crate::output::Colour::Yellow),
        "skip" => Some(crate::output::Colour::Red),
        _ => None,
    };
    let cells = |s: StepOut<'_>| {
        let ns = match (s.namespace, s.target_namespace) {
            (Some(src), Some(dst)) if src != dst => format!("{src} → {dst}"),
            (_, Some(dst)) => dst.to_string(),
            _ => String::new(),
        };
        let mut note = s.note.unwrap_or_default().to_string();
        if let Some(v) = &s.via {
            note = if note.is_empty() {
                format!("via {v}")
            } else {
                format!("via {v}; {note}")
            };
        }
        let action = match s.action {
            Action::Create => "create",
            Action::CreateNamespace => "create-namespace",
            Action::Update => "update",
            Action::Skip => "skip",
        };
        vec![
            s.order.to_string(),
            action.into(),
            s.resource.to_string(),
            ns,
            s.name.to_string(),
            note,
        ]
    };
    // A plan of millions of steps is printed without a second copy of them as cells.
    StreamedTable::new(&["ORDER", "ACTION", "RESOURCE", "NAMESPACE", "NAME", "NOTE"])
        .colour_column(1, by_action)
        .header_when_empty()
        .write(out, &mut |row| {
            r.steps.iter().try_for_each(|s| row(cells(s)))
        })?;
    if !r.skipped.is_empty() && show_skipped {
        writeln!(out, "\nNot restored ({}):", r.skipped.len())?;
        let mut t = Table::new(&["RESOURCE", "ITEM", "REASON"]);
        for s in &r.skipped {
            let item = match s.namespace {
                Some(ns) => format!("{ns}/{}", s.name),
                None => s.name.to_string(),
            };
            let reason = match &s.note {
                Some(n) => format!("{}: {n}", s.reason),
                None => s.reason.to_string(),
            };
            t.row(vec![s.resource.into(), item, reason]);
        }
        t.write(out)?;
    } else if !r.skipped.is_empty() || omitted > 0 {
        // A million lines help nobody: a count per reason, and the flag that lists them.
        let mut by_reason: std::collections::BTreeMap<&str, u64> = Default::default();
        for s in &r.skipped {
            *by_reason.entry(s.reason.as_str()).or_default() += 1;
        }
        for o in &r.omitted {
            *by_reason.entry(o.reason.as_str()).or_default() += o.items;
        }
        writeln!(
            out,
            "\nNot restored ({}; --show-skipped lists them):",
            r.skipped.len() as u64 + omitted
        )?;
        let mut t = Table::new(&["REASON", "ITEMS"]);
        for (reason, n) in by_reason {
            t.row(vec![reason.into(), n.to_string()]);
        }
        t.write(out)?;
    }
    if !r.hooks.is_empty() {
        writeln!(out, "\nHooks:")?;
        let mut t = Table::new(&["KIND", "POD", "HOOK", "SOURCE"]);
        for h in &r.hooks {
            t.row(vec![
                h.kind.into(),
                h.pod.clone(),
                h.detail.clone(),
                h.hook
                    .clone()
                    .map_or("pod annotation".into(), |n| format!("spec hook {n:?}")),
            ]);
        }
        t.write(out)?;
    }
    crate::output::warnings_footer(out, &r.warnings)
}
