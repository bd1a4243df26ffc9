use crate::args::{Format, Global, RestoreFilters};
use crate::output::{Table, emit};
use anyhow::Result;
use std::io::Write;
use std::path::PathBuf;
use veloscope_core::plan::PlanReport;
use veloscope_core::{Action, Backup, Session};

/// The arguments of `veloscope plan`.
#[derive(Debug, clap::Args)]
pub struct Args {
    pub source: PathBuf,
    #[command(flatten)]
    pub restore: RestoreFilters,
}

pub fn run(a: &Args, g: &Global, s: &Session<'_>, out: &mut impl Write) -> Result<u8> {
    let backup = Backup::open(&a.source, s)?;
    let report = backup.plan(&a.restore, s)?;
    match g.output {
        Format::Table => table(&report, out)?,
        f => emit(out, f, &report)?,
    }
    Ok(0)
}

fn table(r: &PlanReport<'_>, out: &mut impl Write) -> Result<()> {
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
        r.skipped.len()
    )?;
    let mut t = Table::new(&["ORDER", "ACTION", "RESOURCE", "NAMESPACE", "NAME", "NOTE"]);
    for s in &r.steps {
        let ns = match (s.namespace.as_deref(), s.target_namespace.as_deref()) {
            (Some(src), Some(dst)) if src != dst => format!("{src} → {dst}"),
            (_, Some(dst)) => dst.to_string(),
            _ => String::new(),
        };
        let mut note = s.note.clone().unwrap_or_default();
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
        t.row(vec![
            s.order.to_string(),
            action.into(),
            s.resource.clone(),
            ns,
            s.name.clone(),
            note,
        ]);
    }
    t.write(out)?;
    if !r.skipped.is_empty() {
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
