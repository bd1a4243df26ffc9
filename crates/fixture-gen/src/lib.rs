//! Dev-only: writes Velero-layout backups the way Velero's own writer does (format reference §2):
//! `metadata/version` first, every item twice (unversioned + `<v>-preferredversion`), compact JSON
//! with sorted keys, USTAR headers with mode 0755 and PAX `path` records for long names, a single
//! gzip member with MTIME 0 and OS 255. Independent of the veloscope crates on purpose: the tests
//! compare veloscope against what this writer was told to write.

pub mod fixtures;
pub mod sources;
pub mod synth;

use anyhow::{Context, Result};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;

/// One object to archive.
#[derive(Debug, Clone)]
pub struct Obj {
    /// Group-resource directory name, e.g. `deployments.apps`.
    pub gr: String,
    pub namespace: Option<String>,
    pub name: String,
    /// Version directory. With `preferred` the item is written unversioned and as
    /// `<version>-preferredversion`; without, only under `<version>/` (a non-preferred version).
    pub version: String,
    pub preferred: bool,
    pub body: Value,
}

impl Obj {
    pub fn new(gr: &str, namespace: Option<&str>, body: Value) -> Obj {
        let name = body["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let api = body["apiVersion"].as_str().unwrap_or("v1");
        let version = api.rsplit('/').next().unwrap_or("v1").to_string();
        Obj {
            gr: gr.to_string(),
            namespace: namespace.map(str::to_string),
            name,
            version,
            preferred: true,
            body,
        }
    }

    fn scope(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("namespaces/{ns}"),
            None => "cluster".to_string(),
        }
    }

    /// The tar paths Velero writes for this object.
    pub fn paths(&self) -> Vec<String> {
        let file = format!("{}/{}.json", self.scope(), self.name);
        if self.preferred {
            vec![
                format!("resources/{}/{file}", self.gr),
                format!(
                    "resources/{}/{}-preferredversion/{file}",
                    self.gr, self.version
                ),
            ]
        } else {
            vec![format!("resources/{}/{}/{file}", self.gr, self.version)]
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Gzip,
    Zstd,
    Tar,
}

impl Codec {
    pub fn ext(self) -> &'static str {
        match self {
            Codec::Gzip => "tar.gz",
            Codec::Zstd => "tar.zst",
            Codec::Tar => "tar",
        }
    }
}

/// Fixed ModTime so regenerated fixtures are byte-identical.
pub const MTIME: u64 = 1_669_709_736;

/// Appends one regular-file entry as Go's archive/tar would: USTAR when the path fits (split at a
/// `/` into prefix ≤ 155 and name ≤ 100), else a PAX `x` header carrying `path`.
pub fn append_file<W: Write>(b: &mut tar::Builder<W>, path: &str, data: &[u8]) -> Result<()> {
    let mut h = tar::Header::new_ustar();
    h.set_mode(0o755);
    h.set_mtime(MTIME);
    h.set_uid(0);
    h.set_gid(0);
    h.set_size(data.len() as u64);
    h.set_entry_type(tar::EntryType::Regular);
    if h.set_path(path).is_err() || path.len() > 255 {
        let mut record = format!(" path={path}\n");
        let mut len = record.len();
        loop {
            let total = len.to_string().len() + record.len();
            if total == len {
                break;
            }
            len = total;
        }
        record = format!("{len}{record}");
        let mut x = tar::Header::new_ustar();
        x.set_mode(0o644);
        x.set_mtime(MTIME);
        x.set_size(record.len() as u64);
        x.set_entry_type(tar::EntryType::XHeader);
        let base = path.rsplit('/').next().unwrap_or(path);
        let short: String = format!("PaxHeaders.0/{base}").chars().take(99).collect();
        x.set_path(&short)?;
        x.set_cksum();
        b.append(&x, record.as_bytes())?;
        let truncated: String = path.chars().take(100).collect();
        // set_path refuses names it cannot store; write the raw name field directly.
        let name = &mut h.as_old_mut().name;
        name.fill(0);
        name[..truncated.len()].copy_from_slice(truncated.as_bytes());
    }
    h.set_cksum();
    b.append(&h, data)?;
    Ok(())
}

/// Appends an entry of any type with the name stored verbatim (no validation: for hostile
/// archives), `link` as its link target.
pub fn append_raw<W: Write>(
    b: &mut tar::Builder<W>,
    name: &str,
    kind: tar::EntryType,
    data: &[u8],
    link: Option<&str>,
) -> Result<()> {
    let mut h = tar::Header::new_ustar();
    h.set_mode(0o755);
    h.set_mtime(MTIME);
    h.set_entry_type(kind);
    h.set_size(data.len() as u64);
    let field = &mut h.as_old_mut().name;
    field.fill(0);
    field[..name.len()].copy_from_slice(name.as_bytes());
    if let Some(l) = link {
        let lf = &mut h.as_old_mut().linkname;
        lf[..l.len()].copy_from_slice(l.as_bytes());
    }
    h.set_cksum();
    b.append(&h, data)?;
    Ok(())
}

/// The bytes of a tar stream for these objects, `metadata/version` first.
pub fn tar_bytes(objs: &[Obj], extra: &[(String, Vec<u8>)]) -> Result<Vec<u8>> {
    let mut b = tar::Builder::new(Vec::new());
    append_file(&mut b, "metadata/version", b"1.1.0\n")?;
    for o in objs {
        let body = serde_json::to_vec(&o.body)?;
        for p in o.paths() {
            append_file(&mut b, &p, &body)?;
        }
    }
    for (p, data) in extra {
        append_file(&mut b, p, data)?;
    }
    Ok(b.into_inner()?)
}

pub fn compress(tar: &[u8], codec: Codec) -> Result<Vec<u8>> {
    Ok(match codec {
        Codec::Tar => tar.to_vec(),
        Codec::Gzip => gzip(tar)?,
        Codec::Zstd => zstd::encode_all(tar, 3)?,
    })
}

/// A single gzip member, default level, MTIME 0, OS 255 — Go's `gzip.NewWriter`.
pub fn gzip(data: &[u8]) -> Result<Vec<u8>> {
    let mut enc = flate2::GzBuilder::new()
        .operating_system(255)
        .write(Vec::new(), flate2::Compression::default());
    enc.write_all(data)?;
    Ok(enc.finish()?)
}

/// `-resource-list.json.gz` content: `"<apiVersion>/<Kind>"` → sorted `ns/name` or `name`.
pub fn resource_list(objs: &[Obj]) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for o in objs.iter().filter(|o| o.preferred) {
        let key = format!(
            "{}/{}",
            o.body["apiVersion"].as_str().unwrap_or_default(),
            o.body["kind"].as_str().unwrap_or_default()
        );
        let entry = match &o.namespace {
            Some(ns) => format!("{ns}/{}", o.name),
            None => o.name.clone(),
        };
        out.entry(key).or_default().insert(entry);
    }
    out.into_iter()
        .map(|(k, v)| (k, v.into_iter().collect()))
        .collect()
}

/// What the archive holds, computed from the writer's input: the oracle of the fixture tests.
pub fn expected(objs: &[Obj], extra: &[(String, Vec<u8>)]) -> Value {
    let mut keys: BTreeSet<(String, Option<String>, String)> = BTreeSet::new();
    #[derive(Default)]
    struct Res {
        items: BTreeSet<(Option<String>, String)>,
        namespaced: bool,
        versions: BTreeSet<String>,
        preferred: Option<String>,
    }
    let mut resources: BTreeMap<String, Res> = BTreeMap::new();
    let mut namespaces: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    let mut entries = 1 + extra.len();
    for o in objs {
        entries += o.paths().len();
        keys.insert((o.gr.clone(), o.namespace.clone(), o.name.clone()));
        let r = resources.entry(o.gr.clone()).or_default();
        r.items.insert((o.namespace.clone(), o.name.clone()));
        r.namespaced |= o.namespace.is_some();
        r.versions.insert(o.version.clone());
        if o.preferred {
            r.preferred = Some(o.version.clone());
        }
        if let Some(ns) = &o.namespace {
            namespaces
                .entry(ns.clone())
                .or_default()
                .insert((o.gr.clone(), o.name.clone()));
        }
    }
    let cluster = keys.iter().filter(|k| k.1.is_none()).count();
    json!({
        "items": keys.len(),
        "entries": entries,
        "clusterScopedItems": cluster,
        "resources": resources.into_iter().map(|(gr, r)| (gr, json!({
            "items": r.items.len(), "namespaced": r.namespaced,
            "versions": r.versions.into_iter().collect::<Vec<_>>(), "preferredVersion": r.preferred,
        }))).collect::<BTreeMap<_, _>>(),
        "namespaces": namespaces.into_iter().map(|(ns, s)| (ns, s.len())).collect::<BTreeMap<_, _>>(),
    })
}

/// A backup folder `root/backups/<name>/` with tarball, `velero-backup.json`, side files and
/// `expected.json`.
pub struct Folder<'a> {
    pub name: &'a str,
    pub codec: Codec,
    pub objects: Vec<Obj>,
    pub extra_entries: Vec<(String, Vec<u8>)>,
    /// The Backup object to store, or None for a folder without `velero-backup.json`.
    pub backup: Option<Value>,
    pub results: Value,
    pub volume_info: Value,
}

impl Folder<'_> {
    pub fn write(&self, root: &Path) -> Result<std::path::PathBuf> {
        let dir = root.join("backups").join(self.name);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let tar = tar_bytes(&self.objects, &self.extra_entries)?;
        let tarball = dir.join(format!("{}.{}", self.name, self.codec.ext()));
        std::fs::write(&tarball, compress(&tar, self.codec)?)?;
        if let Some(backup) = &self.backup {
            let mut backup = backup.clone();
            let items = self.objects.iter().filter(|o| o.preferred).count();
            backup["metadata"]["name"] = json!(self.name);
            backup["status"]["progress"] = json!({"itemsBackedUp": items, "totalItems": items});
            std::fs::write(
                dir.join("velero-backup.json"),
                serde_json::to_string_pretty(&backup)?,
            )?;
            let side = |suffix: &str, v: &Value| -> Result<()> {
                let mut text = serde_json::to_vec(v)?;
                text.push(b'\n');
                std::fs::write(dir.join(format!("{}{suffix}", self.name)), gzip(&text)?)?;
                Ok(())
            };
            side(
                "-resource-list.json.gz",
                &json!(resource_list(&self.objects)),
            )?;
            side("-results.gz", &self.results)?;
            side("-volumeinfo.json.gz", &self.volume_info)?;
            side("-volumesnapshots.json.gz", &Value::Null)?;
            side("-podvolumebackups.json.gz", &Value::Null)?;
            side("-itemoperations.json.gz", &json!([]))?;
        }
        std::fs::write(
            dir.join("expected.json"),
            serde_json::to_string_pretty(&expected(&self.objects, &self.extra_entries))? + "\n",
        )?;
        Ok(dir)
    }
}
