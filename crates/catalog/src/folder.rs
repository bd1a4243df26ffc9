//! The catalog on disk: `_veloscope_catalog.json` (the schema version), a folder per table with
//! Hive partitions `location=…/backup=…/part-0.parquet`, and `_staging/`, where files are
//! written before they are renamed into place. Readers skip names starting with `_` or `.`
//! (Spark, Hive, Trino) or glob `*.parquet` (DuckDB), so they never see a file being written.

use crate::schema::{SCHEMA_VERSION, TABLES};
use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{ChunkReader, FileReader, SerializedFileReader};
use parquet::schema::types::ColumnPath;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use veloscope_core::{Error, Result};

const MANIFEST: &str = "_veloscope_catalog.json";
const FINGERPRINT_KEY: &str = "veloscope.fingerprint";
const SCHEMA_KEY: &str = "veloscope.schema";

/// What a partition value escapes, as Hive does: all but letters, digits, `.`, `_` and `-`.
const PARTITION_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'.').remove(b'_').remove(b'-');

/// A row group is closed once its encoded pages reach this size, so a backup of large objects
/// never holds more than this of a table in memory.
const ROW_GROUP_BYTES: usize = 16 << 20;

/// The encoded values a column holds before they are compressed into a page: each column of a
/// table being written holds up to this much.
const PAGE_BYTES: usize = 256 << 10;

/// Columns whose values are (nearly) all different.
const UNIQUE_COLUMNS: &[&str] = &["uid", "sha256", "entry", "object"];

pub struct CatalogFolder {
    /// Where the catalog is: a local folder, or a bucket and prefix.
    target: Target,
    staging: tempfile::TempDir,
}

enum Target {
    Local(PathBuf),
    /// Object storage: files are written to a local staging folder and uploaded, each object
    /// visible only once whole.
    Remote(veloscope_store::Location),
}

/// A catalog's manifest must name the schema version this veloscope reads and writes.
fn same_version(root: &str, manifest: &[u8]) -> Result<()> {
    let version = serde_json::from_slice::<serde_json::Value>(manifest)
        .ok()
        .and_then(|v| v.get("schemaVersion")?.as_u64());
    if version != Some(u64::from(SCHEMA_VERSION)) {
        return Err(Error::usage(format!(
            "{root}: a catalog of schema version {}; this veloscope reads and writes version {SCHEMA_VERSION}: write a new catalog",
            version.map_or("unknown".into(), |v| v.to_string())
        )));
    }
    Ok(())
}

/// Refuses a folder that is not a catalog of this schema version.
#[cfg_attr(not(feature = "sql"), allow(dead_code))]
pub fn check_catalog(root: &Path) -> Result<()> {
    let name = root.display().to_string();
    match std::fs::read(root.join(MANIFEST)) {
        Ok(bytes) => same_version(&name, &bytes),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(no_manifest(&name)),
        Err(e) => Err(io_error(root.display(), e)),
    }
}

#[cfg(feature = "sql")]
/// [`check_catalog`] for a catalog in object storage (`s3://bucket/prefix`): its location.
pub fn open_remote_catalog(url: &str) -> Result<veloscope_store::Location> {
    let location = veloscope_store::Location::open(url)?;
    match location.get(MANIFEST)? {
        Some(bytes) => same_version(url, &bytes).map(|()| location),
        None => Err(no_manifest(url)),
    }
}

fn no_manifest(root: &str) -> Error {
    Error::usage(format!(
        "{root}: not a veloscope catalog (no {MANIFEST}); make one with veloscope catalog SRC --out {root}"
    ))
}

fn io_error(path: impl std::fmt::Display, e: impl std::fmt::Display) -> Error {
    Error::input(path, e)
}

fn manifest_text() -> String {
    let text = serde_json::json!({
        "schemaVersion": SCHEMA_VERSION,
        "tables": TABLES,
        "partitions": ["location", "backup"],
        "writer": concat!("veloscope ", env!("CARGO_PKG_VERSION")),
    });
    format!("{text:#}\n")
}

/// Whether a name at a catalog's top level is one a catalog has.
fn ours(name: &str) -> bool {
    TABLES.contains(&name) || name == "_staging" || name == MANIFEST
}

fn not_a_catalog(root: &str) -> Error {
    Error::usage(format!(
        "{root}: not empty and not a veloscope catalog (no {MANIFEST}); give an empty or new folder"
    ))
}

impl CatalogFolder {
    /// Opens (or starts) the catalog at `out`: a folder, or an object-storage URL
    /// (`s3://bucket/prefix`). One that holds something else is refused rather than written
    /// into, and so is a catalog of another schema version.
    pub fn open(out: &str) -> Result<CatalogFolder> {
        if veloscope_store::is_url(out) && !out.starts_with("file://") {
            return Self::open_remote(out);
        }
        let root = Path::new(out.strip_prefix("file://").unwrap_or(out));
        std::fs::create_dir_all(root).map_err(|e| io_error(root.display(), e))?;
        let manifest = root.join(MANIFEST);
        match std::fs::read(&manifest) {
            Ok(bytes) => same_version(out, &bytes)?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let foreign = std::fs::read_dir(root)
                    .map_err(|e| io_error(root.display(), e))?
                    .filter_map(|e| e.ok())
                    .any(|e| !ours(&e.file_name().to_string_lossy()));
                if foreign {
                    return Err(not_a_catalog(out));
                }
                veloscope_core::atomic::write(&manifest, 0o644, manifest_text().as_bytes())
                    .map_err(|e| io_error(manifest.display(), e))?;
            }
            Err(e) => return Err(io_error(manifest.display(), e)),
        }
        // Every table's folder, so readers meet an empty table rather than a missing one.
        for table in TABLES {
            let dir = root.join(table);
            std::fs::create_dir_all(&dir).map_err(|e| io_error(dir.display(), e))?;
        }
        let staging_root = root.join("_staging");
        std::fs::create_dir_all(&staging_root).map_err(|e| io_error(staging_root.display(), e))?;
        remove_abandoned(&staging_root);
        // One folder per writer: shards writing one catalog never touch each other's files.
        let staging = tempfile::Builder::new()
            .prefix(&format!("{}.", std::process::id()))
            .tempdir_in(&staging_root)
            .map_err(|e| io_error(staging_root.display(), e))?;
        Ok(CatalogFolder {
            target: Target::Local(root.to_path_buf()),
            staging,
        })
    }

    fn open_remote(url: &str) -> Result<CatalogFolder> {
        let store = veloscope_store::Location::open(url)?;
        match store.get(MANIFEST)? {
            Some(bytes) => same_version(url, &bytes)?,
            None => {
                let top = store.children("")?.names;
                let files = store.files("")?;
                if top.iter().any(|n| !ours(n)) || files.iter().any(|(n, _)| !ours(n)) {
                    return Err(not_a_catalog(url));
                }
                store.put(MANIFEST, manifest_text().into())?;
            }
        }
        let staging = tempfile::tempdir().map_err(|e| io_error("a temporary folder", e))?;
        Ok(CatalogFolder {
            target: Target::Remote(store),
            staging,
        })
    }

    /// `table/location=…` relative to the catalog.
    fn location_key(table: &str, location: &str) -> String {
        format!("{table}/location={}", escape(location))
    }

    fn partition_key(table: &str, location: &str, backup: &str) -> String {
        format!(
            "{}/backup={}",
            Self::location_key(table, location),
            escape(backup)
        )
    }

    /// The fingerprint recorded for a backup that was catalogued whole, from its `backups`
    /// file's metadata (None: not in the catalog, or catalogued with an error).
    pub fn fingerprint(&self, location: &str, backup: &str) -> Option<String> {
        let key = format!(
            "{}/part-0.parquet",
            Self::partition_key("backups", location, backup)
        );
        fn footer<R: ChunkReader + 'static>(file: R) -> Option<Vec<KeyValue>> {
            let reader = SerializedFileReader::new(file).ok()?;
            reader
                .metadata()
                .file_metadata()
                .key_value_metadata()
                .cloned()
        }
        let kv = match &self.target {
            Target::Local(root) => footer(File::open(root.join(key)).ok()?)?,
            Target::Remote(store) => footer(store.get(&key).ok()??)?,
        };
        let value = |key: &str| {
            kv.iter()
                .find(|k| k.key == key)
                .and_then(|k| k.value.clone())
        };
        (value(SCHEMA_KEY)? == SCHEMA_VERSION.to_string())
            .then(|| value(FINGERPRINT_KEY))
            .flatten()
    }

    /// The backups of `location` with a partition in any table.
    pub fn catalogued(&self, location: &str) -> Result<Vec<String>> {
        let mut names = Vec::new();
        for table in TABLES {
            let key = Self::location_key(table, location);
            let children: Vec<String> = match &self.target {
                Target::Local(root) => std::fs::read_dir(root.join(&key))
                    .into_iter()
                    .flatten()
                    .filter_map(|e| Some(e.ok()?.file_name().to_str()?.to_string()))
                    .collect(),
                Target::Remote(store) => store.children(&key)?.names,
            };
            names.extend(children.into_iter().filter_map(|name| {
                let value = name.strip_prefix("backup=")?;
                Some(percent_decode_str(value).decode_utf8().ok()?.into_owned())
            }));
        }
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// Removes a backup's partitions, `backups` first (so no backup row outlives its items).
    pub fn remove(&self, location: &str, backup: &str) -> Result<()> {
        for table in TABLES.iter().rev() {
            let key = Self::partition_key(table, location, backup);
            match &self.target {
                Target::Local(root) => {
                    let dir = root.join(&key);
                    match std::fs::remove_dir_all(&dir) {
                        Ok(()) => {}
                        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                        Err(e) => return Err(io_error(dir.display(), e)),
                    }
                }
                Target::Remote(store) => store.delete_under(&key)?,
            }
        }
        Ok(())
    }

    /// A new file of `table` for this backup, written in the staging folder.
    pub fn part(
        &self,
        table: &'static str,
        schema: &SchemaRef,
        fingerprint: Option<&str>,
    ) -> Result<Part> {
        let tmp = tempfile::Builder::new()
            .prefix(table)
            .tempfile_in(self.staging.path())
            .map_err(|e| io_error(self.staging.path().display(), e))?;
        let file = tmp
            .reopen()
            .map_err(|e| io_error(tmp.path().display(), e))?;
        let mut kv = vec![KeyValue::new(SCHEMA_KEY.into(), SCHEMA_VERSION.to_string())];
        if let Some(f) = fingerprint {
            kv.push(KeyValue::new(FINGERPRINT_KEY.into(), f.to_string()));
        }
        let mut props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).map_err(internal)?))
            .set_data_page_size_limit(PAGE_BYTES)
            .set_key_value_metadata(Some(kv));
        // A dictionary of values that hardly repeat only costs time and memory until the
        // writer gives it up.
        for column in UNIQUE_COLUMNS {
            props = props.set_column_dictionary_enabled(ColumnPath::from(*column), false);
        }
        let props = props.build();
        let writer = ArrowWriter::try_new(file, schema.clone(), Some(props)).map_err(internal)?;
        Ok(Part { table, writer, tmp })
    }

    /// Moves a backup's finished files into their partitions, in [`TABLES`] order: renamed
    /// within a local folder, uploaded to object storage.
    pub fn commit(&self, location: &str, backup: &str, mut parts: Vec<Part>) -> Result<()> {
        parts.sort_by_key(|p| TABLES.iter().position(|t| *t == p.table));
        let mut closed = Vec::new();
        for p in parts {
            p.writer.close().map_err(internal)?;
            p.tmp
                .as_file()
                .sync_all()
                .map_err(|e| io_error(p.tmp.path().display(), e))?;
            closed.push((p.table, p.tmp));
        }
        for (table, tmp) in closed {
            let key = format!(
                "{}/part-0.parquet",
                Self::partition_key(table, location, backup)
            );
            match &self.target {
                Target::Local(root) => {
                    let target = root.join(&key);
                    if let Some(dir) = target.parent() {
                        std::fs::create_dir_all(dir).map_err(|e| io_error(dir.display(), e))?;
                    }
                    tmp.persist(&target)
                        .map_err(|e| io_error(target.display(), e.error))?;
                }
                Target::Remote(store) => store.put_file(&key, tmp.path())?,
            }
        }
        Ok(())
    }
}

/// A table's file for one backup, being written.
pub struct Part {
    table: &'static str,
    writer: ArrowWriter<File>,
    tmp: tempfile::NamedTempFile,
}

impl Part {
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.writer.write(batch).map_err(internal)?;
        if self.writer.in_progress_size() >= ROW_GROUP_BYTES {
            self.writer.flush().map_err(internal)?;
        }
        Ok(())
    }
}

fn internal(e: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::internal_from("writing Parquet", e)
}

pub fn escape(value: &str) -> String {
    utf8_percent_encode(value, PARTITION_VALUE).to_string()
}

/// Staging folders of writers that died more than a day ago.
fn remove_abandoned(staging: &Path) {
    let old = SystemTime::now() - Duration::from_secs(24 * 3600);
    for e in std::fs::read_dir(staging).into_iter().flatten().flatten() {
        let stale = e
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t < old);
        if stale {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}
