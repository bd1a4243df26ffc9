//! Files written whole: the content goes to a temporary created exclusively beside the target
//! (`O_CREAT|O_EXCL` under a random name, so a link planted where the temporary would be cannot
//! redirect the write), then is renamed into place. A crash or a full disk leaves the old file,
//! or none, never half a file; a temporary left by a writer that died is removed by the next one.

use std::fs::{File, Permissions};
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Writes `path` whole through `write`, the file created with `mode` (less the umask).
pub fn write_with<R>(
    path: &Path,
    mode: u32,
    write: impl FnOnce(&mut File) -> io::Result<R>,
) -> io::Result<R> {
    let (dir, name) = parts(path)?;
    remove_abandoned(dir, name);
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!("{name}.tmp{}.", std::process::id()))
        .permissions(Permissions::from_mode(mode))
        .tempfile_in(dir)?;
    let out = write(tmp.as_file_mut())?;
    tmp.as_file().sync_all()?;
    // On error the temporary is removed as `tmp` drops.
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(out)
}

/// Writes `bytes` to `path` whole.
pub fn write(path: &Path, mode: u32, bytes: &[u8]) -> io::Result<()> {
    write_with(path, mode, |f| io::Write::write_all(f, bytes))
}

fn parts(path: &Path) -> io::Result<(&Path, &str)> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    Ok((dir, name))
}

/// Removes `NAME.tmpPID.*` files whose writer no longer runs (`kill -9`, a crash before the
/// rename). A live writer's temporary is left alone; only plain files are removed.
fn remove_abandoned(dir: &Path, name: &str) {
    let prefix = format!("{name}.tmp");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let file = e.file_name();
        let Some(pid) = file
            .to_str()
            .and_then(|f| f.strip_prefix(&prefix))
            .and_then(|p| p.split('.').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let plain = e.file_type().is_ok_and(|t| t.is_file());
        if plain && pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_planted_link_is_not_followed_and_the_mode_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"keep").unwrap();
        // Links at every name an older writer would have used.
        for name in [
            format!("out.tmp{}", std::process::id()),
            format!("out.tmp{}.x", std::process::id()),
        ] {
            std::os::unix::fs::symlink(&victim, dir.path().join(name)).unwrap();
        }
        let out = dir.path().join("out");
        write(&out, 0o600, b"new").unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
        assert_eq!(std::fs::read(&out).unwrap(), b"new");
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn temporaries_of_dead_writers_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        // No process has this id (above the kernel's maximum).
        let stale = dir.path().join("out.tmp4999999.abc");
        std::fs::write(&stale, b"half").unwrap();
        write(&dir.path().join("out"), 0o644, b"whole").unwrap();
        assert!(!stale.exists());
    }
}
