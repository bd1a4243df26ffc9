//! Files the engine writes (sidecars, manifests, JUnit reports, rendered objects): never over an
//! input, always whole (a temporary file renamed into place), and a render folder is only ever
//! cleared of what an earlier render wrote.

use crate::{Error, InFile, Result};
use std::path::{Path, PathBuf};
use veloscope_archive::Source;
use veloscope_model::sidefiles::SideFile;

/// The files of a source that a write must never replace: the tarball, and in a backup folder
/// the Backup object and every side file.
pub fn inputs_of(source: &Source) -> Vec<PathBuf> {
    let mut out = vec![source.tarball().to_path_buf()];
    if let Some(f) = source.folder() {
        out.push(f.dir.join("velero-backup.json"));
        out.extend(SideFile::ALL.iter().map(|k| f.side_file_path(*k)));
    }
    out
}

/// Refuses `output` when it is one of `inputs` (the same file, also through links or another
/// spelling of its path).
pub fn refuse_input(output: &Path, inputs: &[PathBuf], flag: &str) -> Result<()> {
    let Some(out_id) = identity(output) else {
        return Ok(());
    };
    if inputs.iter().any(|i| identity(i) == Some(out_id)) {
        return Err(Error::usage(format!(
            "{}: {flag} names an input of this command; refusing to write over it",
            output.display()
        )));
    }
    Ok(())
}

/// Device and inode of an existing file, links followed.
fn identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// Writes `bytes` to `path` whole: through a temporary created exclusively beside it (a link
/// planted there is never followed), renamed into place.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    veloscope_index::atomic::write(path, 0o644, bytes).in_file(path.display())
}

/// The file in a render folder that lists what renders wrote there, one name a line: only
/// those are ever removed.
pub const RENDER_RECORD: &str = ".veloscope-render";

/// Makes `dir` ready for a render: created when missing; the files an earlier render recorded
/// writing are removed, so that no stale manifest is left for `kubectl apply -f`. Any other file
/// (a hand-written `0001-x.yaml` included) is an error, and then nothing is touched.
pub fn prepare_render_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).in_file(dir.display())?;
    let record_path = dir.join(RENDER_RECORD);
    let recorded: std::collections::HashSet<String> = match std::fs::symlink_metadata(&record_path)
    {
        Ok(m) if m.is_file() => std::fs::read_to_string(&record_path)
            .in_file(record_path.display())?
            .lines()
            .map(str::to_string)
            .collect(),
        Ok(_) => {
            return Err(Error::usage(format!(
                "{}: not a plain file; use an empty folder",
                record_path.display()
            )));
        }
        Err(_) => Default::default(),
    };
    let mut ours = Vec::new();
    for entry in std::fs::read_dir(dir).in_file(dir.display())? {
        let entry = entry.in_file(dir.display())?;
        let name = entry.file_name();
        let Some(text) = name.to_str() else {
            return refuse_render_dir(dir, &name);
        };
        if text == RENDER_RECORD {
            continue;
        }
        let ours_to_remove = recorded.contains(text)
            && is_rendered_name(text)
            && entry.file_type().is_ok_and(|t| t.is_file());
        if !ours_to_remove {
            return refuse_render_dir(dir, &name);
        }
        ours.push(entry.path());
    }
    for p in ours {
        std::fs::remove_file(&p).in_file(p.display())?;
    }
    match std::fs::remove_file(&record_path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e).in_file(record_path.display()),
        _ => Ok(()),
    }
}

fn refuse_render_dir(dir: &Path, name: &std::ffi::OsStr) -> Result<()> {
    Err(Error::usage(format!(
        "{}: --render folder holds {:?}, which no render recorded writing; use an empty folder",
        dir.display(),
        name
    )))
}

/// A render folder being written: prepared (an earlier render's files removed), and each file
/// recorded before it is written, so that a crash half-way still leaves a record of it.
pub struct RenderDir {
    dir: PathBuf,
    record: std::fs::File,
    /// The names written so far: an item stored twice is rendered twice, the later winning.
    written: std::collections::HashSet<String>,
}

impl RenderDir {
    pub fn open(dir: &Path) -> Result<RenderDir> {
        prepare_render_dir(dir)?;
        let path = dir.join(RENDER_RECORD);
        let record = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .in_file(path.display())?;
        Ok(RenderDir {
            dir: dir.to_path_buf(),
            record,
            written: Default::default(),
        })
    }

    /// Writes one rendered file under `name` (shortened when too long); returns the name used.
    /// The file is created new (the folder was emptied of the renders' files, and `create_new`
    /// never follows a link planted at its name); no temporary and no sync per file: a render
    /// that fails half-way is removed whole from its record.
    pub fn write(&mut self, name: &str, text: &str) -> Result<String> {
        use std::io::Write as _;
        let name = bounded_file_name(name);
        let path = self.dir.join(&name);
        if self.written.insert(name.clone()) {
            writeln!(self.record, "{name}").in_file(self.dir.join(RENDER_RECORD).display())?;
        } else {
            // Written by this render already (a path stored twice): the later entry wins, as in
            // Velero's extractor. Removed, not truncated, so nothing put there is followed.
            std::fs::remove_file(&path).in_file(path.display())?;
        }
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .in_file(path.display())?;
        Ok(name)
    }
}

/// Longest file name written (bytes): file systems take 255, and a temporary's suffix is added
/// while it is written.
const MOST_NAME_BYTES: usize = 200;

/// `name` as it is when short enough; else its start, a digest of the whole name (so two long
/// names never collide) and its extension. The object's full name stays inside the file.
pub fn bounded_file_name(name: &str) -> String {
    if name.len() <= MOST_NAME_BYTES {
        return name.to_string();
    }
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if e.len() <= 8 => (s, format!(".{e}")),
        _ => (name, String::new()),
    };
    let digest = xxhash_rust::xxh3::xxh3_64(name.as_bytes());
    let keep = MOST_NAME_BYTES - ext.len() - 17;
    let mut cut = keep.min(stem.len());
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}-{digest:016x}{ext}", &stem[..cut])
}

/// `0007-pods-shop-web-0.yaml`: four or more digits, a dash, `.yaml`.
fn is_rendered_name(name: &str) -> bool {
    let digits = name.bytes().take_while(u8::is_ascii_digit).count();
    digits >= 4 && name[digits..].starts_with('-') && name.ends_with(".yaml")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_are_shortened_uniquely_and_short_ones_kept() {
        assert_eq!(bounded_file_name("0001-pods-a.yaml"), "0001-pods-a.yaml");
        let long = format!("0001-pods-{}.yaml", "é".repeat(150));
        let other = format!("0001-pods-{}x.yaml", "é".repeat(150));
        let (a, b) = (bounded_file_name(&long), bounded_file_name(&other));
        assert!(a.len() <= MOST_NAME_BYTES && a.ends_with(".yaml"), "{a}");
        assert_ne!(a, b);
        assert!(is_rendered_name(&a));
    }

    #[test]
    fn rendered_names() {
        assert!(is_rendered_name("0007-pods-shop-web-0.yaml"));
        assert!(is_rendered_name("12345-namespaces-a.yaml"));
        assert!(!is_rendered_name("007-pods.yaml"));
        assert!(!is_rendered_name("kustomization.yaml"));
        assert!(!is_rendered_name("0007-pods.json"));
    }

    #[test]
    fn the_same_file_is_refused_through_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.tar");
        std::fs::write(&a, b"x").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&a, &link).unwrap();
        assert!(refuse_input(&link, std::slice::from_ref(&a), "--out").is_err());
        assert!(refuse_input(&dir.path().join("other"), std::slice::from_ref(&a), "--out").is_ok());
        write_atomically(&dir.path().join("new"), b"data").unwrap();
        assert_eq!(std::fs::read(dir.path().join("new")).unwrap(), b"data");
    }
}
