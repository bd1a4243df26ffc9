use crate::args::{BackupFilters, Format, Global};
use crate::output::emit;
use anyhow::Result;
use std::io::Write;
use std::path::PathBuf;
use veloscope_core::Scope;
use veloscope_core::VeleroVersion;
use veloscope_core::{Backup, Session};

/// The arguments of `veloscope extract`.
#[derive(Debug, clap::Args)]
pub struct Args {
    pub source: PathBuf,
    /// A new or empty folder: objects go to DIR/NAMESPACE/RESOURCE/NAME.yaml (cluster scope under
    /// DIR/_cluster/).
    pub dir: PathBuf,
    #[command(flatten)]
    pub filters: BackupFilters,
    /// Velero release whose rules the filters follow (MAJOR.MINOR).
    #[arg(long, default_value_t = VeleroVersion::LATEST, value_name = "X.Y")]
    pub velero_version: VeleroVersion,
    /// Drop status, managedFields, uid, resourceVersion and creationTimestamp, so that
    /// `kubectl apply -f DIR -R` takes the files.
    #[arg(long)]
    pub clean: bool,
}

pub fn run(a: &Args, g: &Global, s: &Session<'_>, out: &mut impl Write) -> Result<u8> {
    let version = a.velero_version;
    let backup = Backup::open_in(&a.source, &Scope::items(&a.filters), s)?;
    let report = backup.extract(&a.filters, version, &a.dir, a.clean, s)?;
    match g.output.format {
        // -q: the files are the answer, and the exit code says it went well.
        Format::Table | Format::Wide if g.quiet => {}
        Format::Table | Format::Wide => {
            writeln!(
                out,
                "wrote {} of {} under {}",
                crate::output::count(report.objects as u64, "object"),
                crate::output::count(report.resources.len() as u64, "resource"),
                crate::output::escape(&report.dir)
            )?;
        }
        _ => emit(out, &g.output, &report)?,
    }
    Ok(0)
}
