//! Backup storage locations, local or in object storage (S3, GCS, Azure via `object_store`):
//! listing backups and restores, fetching side files, and streaming a backup's tarball into the
//! archive reader without a temporary copy. Credentials and endpoints come from each cloud's usual
//! environment variables.
//!
//! ```
//! use std::path::Path;
//! use veloscope_store::Location;
//!
//! let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/bsl");
//! let location = Location::open(&folder.display().to_string())?;
//! let backups = location.children("backups")?.names;
//! assert_eq!(backups, ["edge-cases", "k3s-124", "sonobuoy-k8s114"]);
//! # Ok::<(), veloscope_store::StoreError>(())
//! ```

use bytes::Bytes;
use futures::StreamExt;
use object_store::path::Path as ObjPath;
use object_store::{ObjectStore, ObjectStoreExt};
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::runtime::{Handle, Runtime};
use veloscope_archive::ObjectVersion;
use veloscope_archive::{ArchiveError, BackupFolder, RemoteBackup, Source};

mod cloud;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}: {1}")]
    Invalid(String, String),
    #[error("{url}: backup {name:?} not found{}", nearest_text(.nearest))]
    BackupNotFound {
        url: String,
        name: String,
        nearest: Vec<String>,
    },
    /// Object storage (or the local file being uploaded) failed: the URL or file, and why.
    #[error("{url}: {cause}")]
    Access {
        url: String,
        #[source]
        cause: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error(transparent)]
    Archive(#[from] ArchiveError),
}

/// A listing's names, and the entries it skipped (each a one-line error naming it).
#[derive(Debug, Default)]
pub struct Children {
    pub names: Vec<String>,
    pub skipped: Vec<StoreError>,
}

/// The sub-folders of a local folder (none when it does not exist, as in object storage).
fn local_children(url: &str, dir: &std::path::Path) -> Children {
    let mut out = Children::default();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        if !e.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let raw = e.file_name();
        match raw.to_str() {
            Some(name) if ObjPath::parse(name).is_ok() && !name.contains('/') => {
                out.names.push(name.to_string());
            }
            _ => out.skipped.push(StoreError::Invalid(
                url.to_string(),
                format!(
                    "{}: a name object storage cannot hold (control characters or bytes that are not UTF-8); skipped",
                    raw.to_string_lossy().escape_debug()
                ),
            )),
        }
    }
    out.names.sort();
    out
}

fn nearest_text(n: &[String]) -> String {
    if n.is_empty() {
        String::new()
    } else {
        format!(" (nearest: {})", n.join(", "))
    }
}

/// True for `s3://`, `gs://`, `az://`, `azure://` and `file://` addresses.
pub fn is_url(s: &str) -> bool {
    ["s3://", "gs://", "az://", "azure://", "file://"]
        .iter()
        .any(|p| s.starts_with(p))
}

/// Threads `serve` lets blocking work (reading bodies, rendering pages) take: each keeps memory
/// of its own in the allocator, so a burst of requests must not start dozens of them.
pub const BLOCKING_THREADS: usize = 8;

/// How long a blocking thread waits for work before it exits (tokio's default is 10 s). Tokio
/// hands work to its idle threads in turn, and each thread's allocator heap keeps the pages its
/// last work freed until that thread allocates again: after a burst, every thread of the pool
/// held one answer's worth. An exiting thread gives its heap back, so after a second without
/// work the pool shrinks to what the load needs (`benches/serve.py`: server peak 87 -> 81 MiB);
/// starting a thread again costs microseconds against milliseconds of the work it runs.
const BLOCKING_IDLE: std::time::Duration = std::time::Duration::from_secs(1);

/// The process's one async runtime, built on first use: object storage's requests run on it, and
/// `serve` runs its server on it. (A location's synchronous calls block on it from threads that
/// are not its workers: the CLI's, or `serve`'s blocking pool.) Its threads have room for
/// objects nested as deep as Go reads them ([`veloscope_model::json::TREE_STACK`]; only the
/// pages used are committed).
pub fn runtime() -> std::io::Result<&'static Runtime> {
    static RUNTIME: std::sync::OnceLock<Runtime> = std::sync::OnceLock::new();
    if let Some(rt) = RUNTIME.get() {
        return Ok(rt);
    }
    let built = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(BLOCKING_THREADS)
        .thread_keep_alive(BLOCKING_IDLE)
        .thread_stack_size(veloscope_model::json::TREE_STACK)
        .build()?;
    // Two first callers at once: one runtime is kept, the other dropped unused.
    Ok(RUNTIME.get_or_init(|| built))
}

/// A BackupStorageLocation: a bucket (or folder) and a prefix.
#[derive(Clone)]
pub struct Location {
    pub url: String,
    /// The location as it is read: `scheme://bucket/prefix`, or the folder.
    root: String,
    store: Arc<dyn ObjectStore>,
    prefix: String,
    rt: Handle,
    /// For `file://` and plain paths: the folder itself.
    local: Option<PathBuf>,
}

/// An object store's failure as a user needs it said (the credentials, a missing bucket or
/// object, the network), told apart by the store's typed error and its HTTP error's kind; the
/// store's own error is kept as the source. One exception reads text: object_store 0.12 wraps a
/// failed list request's HTTP status in a private type (`RetryError`), so for a `Generic` error
/// the status is read from the message it writes (`status code: 403 Forbidden`).
#[derive(Debug, thiserror::Error)]
#[error("{summary}")]
pub struct Failure {
    summary: String,
    #[source]
    source: object_store::Error,
}

impl From<object_store::Error> for Failure {
    fn from(e: object_store::Error) -> Failure {
        use object_store::Error as E;
        let detail = first_line(&e.to_string());
        let status = match &e {
            E::Generic { .. } => status_in(&detail),
            _ => None,
        };
        let summary = match &e {
            _ if matches!(status, Some(401 | 403)) => {
                format!("access denied: check the credentials ({detail})")
            }
            _ if status == Some(404) => {
                format!("not found (no such bucket or object): {detail}")
            }
            E::PermissionDenied { .. } | E::Unauthenticated { .. } => {
                format!("access denied: check the credentials ({detail})")
            }
            E::NotFound { .. } => format!("not found (no such bucket or object): {detail}"),
            _ if unreachable(&e) => format!("cannot reach the object store: {detail}"),
            _ => detail,
        };
        Failure { summary, source: e }
    }
}

/// The HTTP status object_store wrote into a `Generic` error's message.
fn status_in(message: &str) -> Option<u16> {
    let (_, after) = message.split_once("status code: ")?;
    after.get(..3)?.parse().ok()
}

/// Whether an HTTP error under an object-store error says the store was not reached (connect,
/// request, timeout), by its kind.
#[cfg(feature = "cloud")]
fn unreachable(e: &object_store::Error) -> bool {
    use object_store::client::{HttpError, HttpErrorKind as Http};
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if let Some(http) = c.downcast_ref::<HttpError>() {
            return matches!(
                http.kind(),
                Http::Connect | Http::Request | Http::Timeout | Http::Interrupted
            );
        }
        cause = c.source();
    }
    false
}

/// Without a cloud store there is no HTTP to fail.
#[cfg(not(feature = "cloud"))]
fn unreachable(_: &object_store::Error) -> bool {
    false
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").chars().take(300).collect()
}

/// Levenshtein distance, for "did you mean" hints.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push(
                (prev[j] + usize::from(ca != *cb))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1),
            );
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The candidates closest to `name` (at most three, within a third of its length), for hints.
pub fn nearest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let limit = (name.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|&(d, _)| d <= limit)
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, c)| c).collect()
}

impl Location {
    /// `s3://bucket/prefix`, `gs://…`, `az://container/prefix`, `file:///path`, or a path. Bucket
    /// and prefix are trimmed of slashes and the prefix cleaned, as Velero does.
    pub fn open(spec: &str) -> Result<Location, StoreError> {
        let rt = runtime()
            .map_err(|e| StoreError::Access {
                url: spec.into(),
                cause: Box::new(e),
            })?
            .handle()
            .clone();
        let invalid = |m: &str| StoreError::Invalid(spec.into(), m.into());
        let local_path = match spec.strip_prefix("file://") {
            Some(p) => Some(PathBuf::from(p)),
            None if !is_url(spec) => Some(PathBuf::from(spec)),
            None => None,
        };
        if let Some(root) = local_path {
            if !root.is_dir() {
                return Err(invalid("not a folder"));
            }
            let store = object_store::local::LocalFileSystem::new_with_prefix(&root)
                .map_err(|e| invalid(&Failure::from(e).to_string()))?;
            return Ok(Location {
                url: spec.into(),
                root: root.display().to_string(),
                store: Arc::new(store),
                prefix: String::new(),
                rt,
                local: Some(root),
            });
        }
        let (scheme, rest) = spec.split_once("://").ok_or_else(|| invalid("not a URL"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let bucket = bucket.trim_matches('/');
        if bucket.is_empty() {
            return Err(invalid("no bucket"));
        }
        let prefix: Vec<&str> = prefix.split('/').filter(|p| !p.is_empty()).collect();
        let prefix = prefix.join("/");
        let store = cloud::store(spec, scheme, bucket)?;
        let root = match prefix.as_str() {
            "" => format!("{scheme}://{bucket}"),
            p => format!("{scheme}://{bucket}/{p}"),
        };
        Ok(Location {
            url: spec.into(),
            root,
            store,
            prefix,
            rt,
            local: None,
        })
    }

    /// The location as it is read: `scheme://bucket/prefix` with the bucket and prefix
    /// trimmed and cleaned (no empty segments, no trailing slash), or the folder. A reader that
    /// is given [`Location::object_store`] finds this location's objects under it.
    pub fn root_url(&self) -> &str {
        &self.root
    }

    /// The bucket's store, for a reader that takes object_store's own (DataFusion, for
    /// `veloscope sql`): its paths are the bucket's keys, this location's prefix included.
    pub fn object_store(&self) -> Arc<dyn ObjectStore> {
        self.store.clone()
    }

    fn key(&self, rel: &str) -> ObjPath {
        if self.prefix.is_empty() {
            ObjPath::from(rel)
        } else {
            ObjPath::from(format!("{}/{rel}", self.prefix))
        }
    }

    fn err(&self, e: object_store::Error) -> StoreError {
        StoreError::Access {
            url: self.url.clone(),
            cause: Box::new(Failure::from(e)),
        }
    }

    /// The names under `backups/` (or `restores/`): the common prefixes, as Velero lists them.
    /// In a local folder, an entry whose name object storage could not hold (a control
    /// character, bytes that are not UTF-8) is skipped and reported, not fatal to the listing.
    pub fn children(&self, dir: &str) -> Result<Children, StoreError> {
        if let Some(root) = &self.local {
            return Ok(local_children(&self.url, &root.join(dir)));
        }
        let key = self.key(dir);
        let listing = self
            .rt
            .block_on(self.store.list_with_delimiter(Some(&key)))
            .map_err(|e| self.err(e))?;
        let mut names: Vec<String> = listing
            .common_prefixes
            .iter()
            .filter_map(|p| p.parts().next_back().map(|s| s.as_ref().to_string()))
            .collect();
        names.sort();
        Ok(Children {
            names,
            skipped: Vec::new(),
        })
    }

    /// (file name, size) of the objects directly under `dir`.
    pub fn files(&self, dir: &str) -> Result<Vec<(String, u64)>, StoreError> {
        Ok(self
            .objects(dir)?
            .into_iter()
            .map(|(name, v)| (name, v.size))
            .collect())
    }

    /// The objects directly under `dir`, with what identifies each one's version.
    pub fn objects(&self, dir: &str) -> Result<Vec<(String, ObjectVersion)>, StoreError> {
        let key = self.key(dir);
        let listing = self
            .rt
            .block_on(self.store.list_with_delimiter(Some(&key)))
            .map_err(|e| self.err(e))?;
        Ok(listing
            .objects
            .iter()
            .filter_map(|o| {
                let version = ObjectVersion {
                    size: o.size,
                    etag: o.e_tag.clone(),
                    modified: (
                        o.last_modified.timestamp(),
                        o.last_modified.timestamp_subsec_nanos(),
                    ),
                };
                Some((o.location.filename()?.to_string(), version))
            })
            .collect())
    }

    /// Writes the local file `file` to `rel`, streamed in parts (never whole in memory): object
    /// storage makes the object visible only once complete, so a reader sees the old object or
    /// the new one. For the catalog's output; reading commands never write.
    pub fn put_file(&self, rel: &str, file: &std::path::Path) -> Result<(), StoreError> {
        let key = self.key(rel);
        let io = |e: std::io::Error| StoreError::Access {
            url: file.display().to_string(),
            cause: Box::new(e),
        };
        let mut f = std::fs::File::open(file).map_err(io)?;
        self.rt.block_on(async {
            let upload = self
                .store
                .put_multipart(&key)
                .await
                .map_err(|e| self.err(e))?;
            let mut writer = object_store::WriteMultipart::new_with_chunk_size(upload, 8 << 20);
            let mut buf = vec![0u8; 1 << 20];
            loop {
                let n = f.read(&mut buf).map_err(io)?;
                if n == 0 {
                    break;
                }
                writer.wait_for_capacity(2).await.map_err(|e| self.err(e))?;
                writer.write(&buf[..n]);
            }
            writer.finish().await.map_err(|e| self.err(e))?;
            Ok(())
        })
    }

    /// Writes `bytes` to `rel` in one request.
    pub fn put(&self, rel: &str, bytes: Bytes) -> Result<(), StoreError> {
        let key = self.key(rel);
        self.rt
            .block_on(self.store.put(&key, bytes.into()))
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Deletes every object under `dir/`.
    pub fn delete_under(&self, dir: &str) -> Result<(), StoreError> {
        let key = self.key(dir);
        self.rt.block_on(async {
            let mut listing = self.store.list(Some(&key));
            let mut keys = Vec::new();
            while let Some(meta) = listing.next().await {
                keys.push(meta.map_err(|e| self.err(e))?.location);
            }
            for k in keys {
                match self.store.delete(&k).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                    Err(e) => return Err(self.err(e)),
                }
            }
            Ok(())
        })
    }

    /// One object, whole; None when it does not exist.
    pub fn get(&self, rel: &str) -> Result<Option<Bytes>, StoreError> {
        let key = self.key(rel);
        match self
            .rt
            .block_on(async { self.store.get(&key).await?.bytes().await })
        {
            Ok(b) => Ok(Some(b)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.err(e)),
        }
    }

    /// Many objects at once, eight in flight: the velero-backup.json of every backup, say.
    pub fn get_many(&self, rels: &[String]) -> Vec<Result<Option<Bytes>, StoreError>> {
        let futures = rels.iter().map(|r| {
            let key = self.key(r);
            let store = self.store.clone();
            async move {
                match async { store.get(&key).await?.bytes().await }.await {
                    Ok(b) => Ok(Some(b)),
                    Err(object_store::Error::NotFound { .. }) => Ok(None),
                    Err(e) => Err(e),
                }
            }
        });
        let results: Vec<_> = self
            .rt
            .block_on(futures::stream::iter(futures).buffered(8).collect());
        results
            .into_iter()
            .map(|r| r.map_err(|e| self.err(e)))
            .collect()
    }

    /// A backup of this location as a source: a local folder as it is; in object storage, the
    /// side files fetched into a temporary folder and the tarball streamed on demand.
    pub fn backup(&self, name: &str) -> Result<Source, StoreError> {
        if let Some(root) = &self.local {
            return Ok(Source::open(&root.join("backups").join(name))?);
        }
        let dir = format!("backups/{name}");
        let files = self.objects(&dir)?;
        let tarball = ["tar.gz", "tar.zst", "tar"]
            .iter()
            .map(|ext| format!("{name}.{ext}"))
            .find_map(|t| files.iter().find(|(f, _)| *f == t).cloned());
        if tarball.is_none() && !files.is_empty() {
            // The backup's folder is there but its archive is not (an upload that failed, a
            // lifecycle rule): say that, not "not found".
            let held: Vec<&str> = files.iter().map(|(f, _)| f.as_str()).take(5).collect();
            return Err(StoreError::Invalid(
                format!("{}/{dir}", self.url.trim_end_matches('/')),
                format!(
                    "the backup has no archive ({name}.tar.gz, .tar.zst or .tar); the folder holds {}",
                    held.join(", ")
                ),
            ));
        }
        let Some((tar_name, version)) = tarball else {
            let all = self
                .children("backups")
                .map(|c| c.names)
                .unwrap_or_default();
            let mut nearest: Vec<(usize, String)> = all
                .into_iter()
                .map(|n| (edit_distance(&n, name), n))
                .collect();
            nearest.sort();
            return Err(StoreError::BackupNotFound {
                url: self.url.clone(),
                name: name.into(),
                nearest: nearest.into_iter().take(3).map(|x| x.1).collect(),
            });
        };
        let tmp = tempfile::Builder::new()
            .prefix("veloscope-")
            .tempdir()
            .map_err(|e| StoreError::Invalid(self.url.clone(), e.to_string()))?;
        let local_dir = tmp.path().join(name);
        std::fs::create_dir_all(&local_dir)
            .map_err(|e| StoreError::Invalid(self.url.clone(), e.to_string()))?;
        let side: Vec<String> = files
            .iter()
            .filter(|(f, _)| *f != tar_name)
            .map(|(f, _)| format!("{dir}/{f}"))
            .collect();
        for (rel, got) in side.iter().zip(self.get_many(&side)) {
            if let Some(bytes) = got? {
                let file = rel.rsplit('/').next().unwrap_or(rel);
                std::fs::write(local_dir.join(file), &bytes)
                    .map_err(|e| StoreError::Invalid(self.url.clone(), e.to_string()))?;
            }
        }
        let url = PathBuf::from(format!(
            "{}/backups/{name}/{tar_name}",
            self.url.trim_end_matches('/')
        ));
        let key = self.key(&format!("{dir}/{tar_name}"));
        let size = version.size;
        let read_range: veloscope_archive::ReadRange = {
            let (store, rt, key) = (self.store.clone(), self.rt.clone(), key.clone());
            Arc::new(move |offset, len| {
                let end = offset.saturating_add(len).min(size);
                if offset >= end {
                    return Ok(Vec::new());
                }
                rt.block_on(store.get_range(&key, offset..end))
                    .map(|b| b.to_vec())
                    .map_err(|e| std::io::Error::other(Failure::from(e)))
            })
        };
        let (store, rt, shown) = (self.store.clone(), self.rt.clone(), url.clone());
        let open: veloscope_archive::OpenStream = Arc::new(move || {
            let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, Failure>>(16);
            let (store, key) = (store.clone(), key.clone());
            rt.spawn(async move {
                match store.get(&key).await {
                    Ok(r) => {
                        let mut s = r.into_stream();
                        while let Some(chunk) = s.next().await {
                            let end = chunk.is_err();
                            if tx.send(chunk.map_err(Failure::from)).await.is_err() || end {
                                break;
                            }
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(Failure::from(e))).await;
                    }
                }
            });
            let reader = ChannelReader {
                rx,
                current: Bytes::new(),
            };
            let _ = &shown;
            Ok((Box::new(reader) as Box<dyn Read + Send>, size))
        });
        let folder = BackupFolder {
            dir: local_dir.clone(),
            name: name.into(),
            tarball: local_dir.join(&tar_name),
        };
        Ok(Source::Remote(RemoteBackup {
            url,
            folder,
            open,
            read_range,
            version,
            keep: Arc::new(tmp),
        }))
    }
}

/// The sync end of the bounded channel the async download fills.
struct ChannelReader {
    rx: tokio::sync::mpsc::Receiver<Result<Bytes, Failure>>,
    current: Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                None => return Ok(0),
                Some(Ok(b)) => self.current = b,
                Some(Err(e)) => return Err(std::io::Error::other(e)),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current = self.current.slice(n..);
        Ok(n)
    }
}

/// Opens a backup from a path or URL: `s3://bucket/prefix/backups/NAME` streams from the store.
pub fn open_source(spec: &str) -> Result<Source, StoreError> {
    if !is_url(spec) {
        return Ok(Source::open(std::path::Path::new(spec))?);
    }
    if let Some(p) = spec.strip_prefix("file://") {
        return Ok(Source::open(std::path::Path::new(p))?);
    }
    let trimmed = spec.trim_end_matches('/');
    let Some(at) = trimmed.rfind("/backups/") else {
        return Err(StoreError::Invalid(
            spec.into(),
            "not a backup address: expected …/backups/NAME".into(),
        ));
    };
    let (loc, name) = (&trimmed[..at], &trimmed[at + "/backups/".len()..]);
    if name.is_empty() || name.contains('/') {
        return Err(StoreError::Invalid(
            spec.into(),
            "not a backup address: expected …/backups/NAME".into(),
        ));
    }
    Location::open(loc)?.backup(name)
}

/// gzip-decodes a side file's bytes (bounded).
pub fn gunzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .take(1 << 30)
        .read_to_end(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_names() {
        assert_eq!(edit_distance("nightly-1", "nightly-2"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert!(is_url("s3://b/p") && is_url("file:///x") && !is_url("/tmp/x"));
    }

    #[test]
    fn bad_addresses() {
        assert!(open_source("s3://bucket/prefix/nobackups").is_err());
        assert!(Location::open("s3:///prefix").is_err());
        assert!(Location::open("ftp://x/y").is_err());
    }

    /// As Velero cleans a location's bucket and prefix.
    #[cfg(feature = "s3")]
    #[test]
    fn root_url_is_the_cleaned_location() {
        let cleaned = Location::open("s3://bucket//a//b/").unwrap();
        assert_eq!(cleaned.root_url(), "s3://bucket/a/b");
        let bare = Location::open("s3://bucket/").unwrap();
        assert_eq!(bare.root_url(), "s3://bucket");
    }

    /// The summary follows the store's typed error, whatever its text says, and the store's
    /// error stays reachable as the source.
    #[cfg(feature = "cloud")]
    #[test]
    fn failures_are_told_apart_by_type() {
        use object_store::client::{HttpError, HttpErrorKind};
        use std::error::Error as _;
        let io = || std::io::Error::other("text that names no cause");
        let denied = Failure::from(object_store::Error::PermissionDenied {
            path: "backups".into(),
            source: Box::new(io()),
        });
        assert!(denied.to_string().starts_with("access denied"), "{denied}");
        assert!(
            denied
                .source()
                .is_some_and(|s| s.downcast_ref::<object_store::Error>().is_some())
        );
        let missing = Failure::from(object_store::Error::NotFound {
            path: "backups".into(),
            source: Box::new(io()),
        });
        assert!(missing.to_string().starts_with("not found"), "{missing}");
        let offline = Failure::from(object_store::Error::Generic {
            store: "S3",
            source: Box::new(HttpError::new(HttpErrorKind::Connect, io())),
        });
        assert!(
            offline
                .to_string()
                .starts_with("cannot reach the object store"),
            "{offline}"
        );
        let other = Failure::from(object_store::Error::Generic {
            store: "S3",
            source: Box::new(HttpError::new(HttpErrorKind::Decode, io())),
        });
        assert!(!other.to_string().contains("cannot reach"), "{other}");
        let listed = Failure::from(object_store::Error::Generic {
            store: "S3",
            source: Box::new(std::io::Error::other(
                "Error performing list request: Server returned non-2xx status code: 403 Forbidden: <?xml",
            )),
        });
        assert!(listed.to_string().starts_with("access denied"), "{listed}");
    }
}
