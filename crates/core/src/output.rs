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

/// Makes `dir` ready for a render: created when missing; when it holds files, they must all be
/// ones a render writes (`NNNN-….yaml`), and they are removed so that no stale manifest is left
/// for `kubectl apply -f` to apply. Any other file is an error and nothing is touched.
pub fn prepare_render_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).in_file(dir.display())?;
    let mut ours = Vec::new();
    for entry in std::fs::read_dir(dir).in_file(dir.display())? {
        let entry = entry.in_file(dir.display())?;
        let name = entry.file_name();
        let rendered = name.to_str().is_some_and(is_rendered_name)
            && entry.file_type().is_ok_and(|t| t.is_file());
        if !rendered {
            return Err(Error::usage(format!(
                "{}: --render folder holds {:?}, which a render did not write; use an empty folder",
                dir.display(),
                name
            )));
        }
        ours.push(entry.path());
    }
    for p in ours {
        std::fs::remove_file(&p).in_file(p.display())?;
    }
    Ok(())
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
