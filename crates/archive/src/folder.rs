//! Sources: a tarball path, or a backup folder in BSL layout (`…/backups/NAME/`) holding the
//! tarball and the side files. Missing side files mean "none", as in Velero.

use crate::error::ArchiveError;
use flate2::read::MultiGzDecoder;
use serde::de::DeserializeOwned;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use veloscope_model::Backup;
use veloscope_model::sidefiles::SideFile;

#[derive(Debug, Clone)]
pub enum Source {
    Tarball(PathBuf),
    Folder(BackupFolder),
    /// A live-cluster dump: a List file or a folder of manifests (see [`crate::dump`]).
    Dump(PathBuf),
    /// A backup in object storage: the tarball is streamed, the side files were fetched whole.
    Remote(RemoteBackup),
}

/// Opens the tarball's byte stream and tells its length.
pub type OpenStream =
    Arc<dyn Fn() -> Result<(Box<dyn std::io::Read + Send>, u64), ArchiveError> + Send + Sync>;

/// Reads `len` bytes of the tarball object from `offset` (a ranged GET); fewer at its end.
pub type ReadRange = Arc<dyn Fn(u64, u64) -> std::io::Result<Vec<u8>> + Send + Sync>;

/// What identifies one version of the tarball object: a changed object has another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectVersion {
    pub size: u64,
    pub etag: Option<String>,
    /// Last modified, seconds and nanoseconds since the epoch.
    pub modified: (i64, u32),
}

#[derive(Clone)]
pub struct RemoteBackup {
    /// The URL, as the user wrote it (names the source in messages).
    pub url: PathBuf,
    /// The side files, fetched into a local folder of BSL layout.
    pub folder: BackupFolder,
    pub open: OpenStream,
    pub read_range: ReadRange,
    pub version: ObjectVersion,
    /// Keeps the local folder alive as long as the source.
    pub keep: Arc<dyn std::any::Any + Send + Sync>,
}

impl std::fmt::Debug for RemoteBackup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteBackup")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub struct BackupFolder {
    pub dir: PathBuf,
    pub name: String,
    pub tarball: PathBuf,
}

/// The stored Backup object: typed, and as raw JSON for faithful echoing.
#[derive(Debug, Clone)]
pub struct StoredBackup {
    pub backup: Backup,
    pub raw: serde_json::Value,
}

impl Source {
    pub fn open(path: &Path) -> Result<Source, ArchiveError> {
        Self::open_as(path, false)
    }

    /// Like [`Source::open`], and when `dumps` is set a folder without a backup tarball or a
    /// file that is JSON/YAML rather than an archive is a live-cluster dump.
    pub fn open_as(path: &Path, dumps: bool) -> Result<Source, ArchiveError> {
        let meta = std::fs::metadata(path).map_err(|source| ArchiveError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        if dumps && crate::dump::is_dump(path) {
            return Ok(Source::Dump(path.to_path_buf()));
        }
        if meta.is_dir() {
            BackupFolder::open(path).map(Source::Folder)
        } else {
            Ok(Source::Tarball(path.to_path_buf()))
        }
    }

    /// The file items are read from (the dump's path for a dump).
    pub fn tarball(&self) -> &Path {
        match self {
            Source::Tarball(p) | Source::Dump(p) => p,
            Source::Folder(f) => &f.tarball,
            Source::Remote(r) => &r.url,
        }
    }

    pub fn folder(&self) -> Option<&BackupFolder> {
        match self {
            Source::Folder(f) => Some(f),
            Source::Remote(r) => Some(&r.folder),
            _ => None,
        }
    }

    /// Reads every item of the source, archive or dump, calling `visit` in order.
    pub fn scan(
        &self,
        opts: &crate::ScanOptions,
        progress: &(dyn Fn(u64, u64) + Sync),
        visit: impl FnMut(crate::ScanEvent<'_>) -> std::ops::ControlFlow<()>,
    ) -> Result<crate::ScanStats, ArchiveError> {
        match self {
            Source::Dump(p) => {
                crate::dump::scan_dump(p, opts.parse_metadata, opts.max_entry_bytes, visit)
            }
            Source::Remote(r) => {
                let (stream, len) = (r.open)()?;
                crate::scan_stream(&r.url, stream, len, opts, progress, visit)
            }
            _ => crate::scan_archive(self.tarball(), opts, progress, visit),
        }
    }
}

impl BackupFolder {
    pub fn open(dir: &Path) -> Result<BackupFolder, ArchiveError> {
        let not_a_backup = |reason: String| ArchiveError::NotABackup {
            path: dir.to_path_buf(),
            reason,
        };
        let name = dir
            .canonicalize()
            .ok()
            .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
            .ok_or_else(|| not_a_backup("cannot tell the backup name from the folder".into()))?;
        for ext in ["tar.gz", "tar.zst", "tar"] {
            let tarball = dir.join(format!("{name}.{ext}"));
            if tarball.is_file() {
                return Ok(BackupFolder {
                    dir: dir.to_path_buf(),
                    name,
                    tarball,
                });
            }
        }
        let hint = if dir.join("backups").is_dir() {
            " (this is a storage location: name one of its backups as LOCATION@latest, LOCATION@NAME or LOCATION/backups/NAME)"
        } else {
            ""
        };
        Err(not_a_backup(format!(
            "no {name}.tar.gz, {name}.tar.zst or {name}.tar in the folder{hint}"
        )))
    }

    /// `velero-backup.json` (or the pre-v0.11 `ark-backup.json`), if present.
    pub fn backup(&self) -> Result<Option<StoredBackup>, ArchiveError> {
        for file in ["velero-backup.json", "ark-backup.json"] {
            let path = self.dir.join(file);
            if !path.is_file() {
                continue;
            }
            let bytes = std::fs::read(&path).map_err(|source| ArchiveError::Io {
                path: path.clone(),
                source,
            })?;
            let side_err = |e: serde_json::Error| ArchiveError::SideFile {
                path: path.clone(),
                message: format!("invalid JSON: {e}"),
            };
            let raw: serde_json::Value = serde_json::from_slice(&bytes).map_err(side_err)?;
            let backup: Backup = serde_json::from_value(raw.clone()).map_err(side_err)?;
            return Ok(Some(StoredBackup { backup, raw }));
        }
        Ok(None)
    }

    pub fn side_file_path(&self, kind: SideFile) -> PathBuf {
        self.dir.join(kind.file_name(&self.name))
    }

    /// Decodes one gzip side file; a missing file is `None`, JSON `null` is the type's default.
    pub fn side_file<T: DeserializeOwned + Default>(
        &self,
        kind: SideFile,
    ) -> Result<Option<T>, ArchiveError> {
        let path = self.side_file_path(kind);
        if !path.is_file() {
            return Ok(None);
        }
        let file = std::fs::File::open(&path).map_err(|source| ArchiveError::Io {
            path: path.clone(),
            source,
        })?;
        let mut text = Vec::new();
        MultiGzDecoder::new(file)
            .take(1 << 30)
            .read_to_end(&mut text)
            .map_err(|e| ArchiveError::SideFile {
                path: path.clone(),
                message: format!("cannot decompress: {e}"),
            })?;
        let value: Option<T> =
            serde_json::from_slice(&text).map_err(|e| ArchiveError::SideFile {
                path: path.clone(),
                message: format!("invalid JSON: {e}"),
            })?;
        Ok(Some(value.unwrap_or_default()))
    }
}
