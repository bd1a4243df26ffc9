//! Questions over a whole storage location: its backups (`velero backup get` without a
//! cluster), its restores, and which backups hold matching items.

use crate::filters::BackupFilters;
use crate::{Backup, Cause, Error, Result, Session};
use serde::Serialize;
use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::path::Path;
use veloscope_archive::dump::group_resource;
use veloscope_model::sidefiles::{BackupResults, ResourceList};
use veloscope_model::{Catalogue, Selector};
use veloscope_select::{GlobPattern, IncludesExcludes};
use veloscope_store::gunzip;

/// What a question over a location found, and the backups (or restores) it could not read: one
/// bad backup is reported and the others still answer.
#[derive(Debug)]
pub struct Listing<T> {
    pub rows: Vec<T>,
    pub problems: Vec<Error>,
}

/// A BackupStorageLocation: a bucket/prefix URL or a local BSL folder.
pub struct Location {
    store: veloscope_store::Location,
}

#[derive(Debug, Serialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct BackupRow {
    pub name: String,
    pub phase: Option<String>,
    pub started: Option<String>,
    pub completed: Option<String>,
    pub expires: Option<String>,
    pub items: Option<i64>,
    pub errors: i64,
    pub warnings: i64,
    pub bytes: Option<u64>,
    #[serde(skip)]
    pub labels: BTreeMap<String, String>,
    /// The stored Backup object (`velero-backup.json`) as it is.
    #[serde(skip)]
    pub object: serde_json::Value,
}

impl BackupRow {
    /// Whether its expiration has passed (Velero's garbage collector deletes such a backup).
    pub fn expired(&self) -> bool {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        self.expires
            .as_deref()
            .and_then(veloscope_model::timestamp::seconds)
            .is_some_and(|e| e < now)
    }
}

#[derive(Debug, Serialize)]
pub struct Found {
    pub backup: String,
    pub started: Option<String>,
    pub items: Vec<FoundItem>,
}

#[derive(Debug, Serialize)]
pub struct FoundItem {
    pub resource: String,
    pub namespace: Option<String>,
    pub name: String,
}

#[derive(Debug, Serialize)]
pub struct RestoreRow {
    pub name: String,
    pub errors: usize,
    pub warnings: usize,
    pub items: Option<usize>,
}

/// What `find` looks for: the filters' namespaces, resources and selectors, an item name glob,
/// and a kind or resource spelling.
#[derive(Debug, Clone, Copy)]
pub struct FindQuery<'a> {
    pub filters: &'a BackupFilters,
    pub name: Option<&'a str>,
    pub kind: Option<&'a str>,
}

impl Location {
    pub fn open(url: &str) -> Result<Location> {
        // `LOC/backups` is a common slip: it would list no backups, silently.
        let trimmed = url.trim_end_matches('/');
        if let Some(parent) = trimmed.strip_suffix("/backups")
            && !(Path::new(trimmed).join("backups").is_dir())
        {
            return Err(Error::usage(format!(
                "{url}: this is the backups/ folder of a location; pass the location itself: {parent}"
            )));
        }
        // A backup given where a location is expected would list nothing, silently.
        let local = Path::new(trimmed.strip_prefix("file://").unwrap_or(trimmed));
        let is_backup_folder =
            local.join("velero-backup.json").is_file() && !local.join("backups").is_dir();
        let named_backup = url.contains("://") && {
            let segs: Vec<&str> = trimmed.split('/').collect();
            segs.len() >= 2 && segs[segs.len() - 2] == "backups"
        };
        if local.is_file() {
            return Err(Error::usage(format!(
                "{url}: this is a file (a backup's tarball?), not a storage location; pass the folder that holds backups/"
            )));
        }
        if is_backup_folder || named_backup {
            let location = trimmed
                .rsplitn(3, '/')
                .nth(2)
                .filter(|l| !l.is_empty())
                .unwrap_or(".");
            return Err(Error::usage(format!(
                "{url}: this is one backup, not a storage location; pass the location: {location}"
            )));
        }
        Ok(Location {
            store: veloscope_store::Location::open(url)?,
        })
    }

    /// The location as it was named (a path or URL).
    pub fn url(&self) -> &str {
        &self.store.url
    }

    /// What identifies the stored content of backup `name`: SHA-256 over every object under
    /// `backups/NAME/` with its size and the store's version marker (the ETag in object storage;
    /// inode, modification time and size in a local folder). Any rewrite of the tarball or a
    /// side file changes it, and it costs one listing, not a read of the tarball.
    pub fn fingerprint(&self, name: &str) -> Result<String> {
        use sha2::Digest;
        let mut objects = self.store.objects(&format!("backups/{name}"))?;
        objects.sort_by(|a, b| a.0.cmp(&b.0));
        let mut h = sha2::Sha256::new();
        for (file, v) in &objects {
            let marker = v
                .etag
                .clone()
                .unwrap_or_else(|| format!("{}.{}", v.modified.0, v.modified.1));
            h.update(format!("{file}\0{}\0{marker}\n", v.size));
        }
        Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
    }

    /// Every backup (one whose velero-backup.json exists, as in Velero), newest first, optionally
    /// only those of a Schedule and those whose labels match a selector.
    pub fn backups(
        &self,
        schedule: Option<&str>,
        selector: Option<&str>,
    ) -> Result<Listing<BackupRow>> {
        let selector = selector
            .map(Selector::parse)
            .transpose()
            .map_err(Error::usage_from)?;
        let Listing { rows, problems } = self.rows()?;
        let rows = rows
            .into_iter()
            .filter(|r| {
                schedule.is_none_or(|s| {
                    r.labels.get("velero.io/schedule-name").map(String::as_str) == Some(s)
                })
            })
            .filter(|r| {
                selector
                    .as_ref()
                    .is_none_or(|s| s.matches(|k| r.labels.get(k).map(String::as_str)))
            })
            .collect();
        Ok(Listing { rows, problems })
    }

    fn rows(&self) -> Result<Listing<BackupRow>> {
        let Listing {
            rows: named,
            mut problems,
        } = self.each_backup()?;
        let mut out = Vec::new();
        for (_, row) in named {
            match row {
                Ok(Some(row)) => out.push(row),
                Ok(None) => {}
                Err(e) => problems.push(e),
            }
        }
        out.sort_by(|a, b| b.started.cmp(&a.started).then(a.name.cmp(&b.name)));
        Ok(Listing {
            rows: out,
            problems,
        })
    }

    /// Every folder under `backups/` by name (sorted), with its row: None when it holds no
    /// velero-backup.json (not a backup, as in Velero's BackupExists), an error when that file
    /// cannot be read. The problems are the folders whose names cannot be read at all.
    pub fn each_backup(&self) -> Result<Listing<(String, Result<Option<BackupRow>>)>> {
        let loc = &self.store;
        let children = loc.children("backups")?;
        let names = children.names;
        let jsons = loc.get_many(
            &names
                .iter()
                .map(|n| format!("backups/{n}/velero-backup.json"))
                .collect::<Vec<_>>(),
        );
        let problems: Vec<Error> = children.skipped.into_iter().map(Error::from).collect();
        let mut out = Vec::new();
        for (name, json) in names.into_iter().zip(jsons) {
            let read =
                || -> Result<Option<(veloscope_model::Backup, Option<u64>, serde_json::Value)>> {
                    // A backup exists iff its velero-backup.json does (Velero's BackupExists).
                    let Some(bytes) = json? else { return Ok(None) };
                    let invalid = |e: serde_json::Error| {
                        Error::input(
                            format!("{}/backups/{name}/velero-backup.json", loc.url),
                            format!("invalid JSON: {e}"),
                        )
                    };
                    let raw: serde_json::Value = serde_json::from_slice(&bytes).map_err(invalid)?;
                    let b = serde_json::from_value(raw.clone()).map_err(invalid)?;
                    let size = loc
                        .files(&format!("backups/{name}"))?
                        .into_iter()
                        .find(|(f, _)| f.starts_with(&format!("{name}.tar")))
                        .map(|(_, s)| s);
                    Ok(Some((b, size, raw)))
                };
            let row = read().map(|found| {
                found.map(
                    |(b, size, object): (veloscope_model::Backup, _, _)| BackupRow {
                        name: name.clone(),
                        phase: b.status.phase,
                        started: b.status.start_timestamp,
                        completed: b.status.completion_timestamp,
                        expires: b.status.expiration,
                        items: b.status.progress.map(|p| p.items_backed_up),
                        errors: b.status.errors,
                        warnings: b.status.warnings,
                        bytes: size,
                        labels: b.metadata.labels,
                        object,
                    },
                )
            });
            out.push((name, row));
        }
        Ok(Listing {
            rows: out,
            problems,
        })
    }

    /// Backup `name` of this location, as a source path or URL every command opens.
    pub fn backup_path(&self, name: &str) -> std::path::PathBuf {
        format!("{}/backups/{name}", self.store.url.trim_end_matches('/')).into()
    }

    /// Which backups hold matching items, and which items, newest first. Namespace, resource,
    /// name and kind filters read each backup's resource list only; label selectors read the
    /// tarballs one after another.
    pub fn find(&self, q: &FindQuery<'_>, s: &Session<'_>) -> Result<Listing<Found>> {
        let mut rows = Vec::new();
        let problems = self.find_each(q, s, &mut |found| {
            rows.push(found);
            Ok(())
        })?;
        Ok(Listing { rows, problems })
    }

    /// [`Location::find`], handing each backup's matches to `each` as soon as that backup is
    /// searched (a fleet's matches are never held together); returns the backups that could not
    /// be searched. A name nothing matches is refused once every backup is searched, as `find`
    /// refuses it, and then `each` was never called.
    pub fn find_each(
        &self,
        q: &FindQuery<'_>,
        s: &Session<'_>,
        each: &mut dyn FnMut(Found) -> Result<()>,
    ) -> Result<Vec<Error>> {
        let (f, name, kind) = (q.filters, q.name, q.kind);
        let loc = &self.store;
        let catalogue = Catalogue::builtin();
        let namespaces = IncludesExcludes::new(&f.include_namespaces, &f.exclude_namespaces);
        let resolve = |n: &String| {
            catalogue
                .resolve(n)
                .map(|r| r.gr())
                .unwrap_or_else(|| n.clone())
        };
        let resources = IncludesExcludes::new(
            &f.include_resources.iter().map(resolve).collect::<Vec<_>>(),
            &f.exclude_resources.iter().map(resolve).collect::<Vec<_>>(),
        );
        let name_glob = name.map(GlobPattern::new);
        let kind_gr = kind.and_then(|k| catalogue.resolve(k)).map(|r| r.gr());
        let selectors = match (&f.selector, &f.or_selector) {
            (Some(s), _) => vec![Selector::parse(s).map_err(Error::usage_from)?],
            (None, Some(s)) => Selector::parse_or(s).map_err(Error::usage_from)?,
            (None, None) => vec![],
        };
        let keep = |gr: &str, k: &str, ns: Option<&str>, n: &str| {
            resources.should_include(gr)
                && ns.is_none_or(|ns| namespaces.should_include(ns))
                && (ns.is_some() || namespaces.include_everything())
                && name_glob
                    .as_ref()
                    .is_none_or(|gl| gl.matches(n) == Some(true))
                && kind.is_none_or(|want| {
                    want.eq_ignore_ascii_case(k) || kind_gr.as_deref() == Some(gr)
                })
        };
        let mut found_any = false;
        let Listing { rows, mut problems } = self.rows()?;
        // Every kind and group-resource the searched backups hold: a name that is none of them
        // (nor in the catalogue) is a typo, refused rather than answered with "none".
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut searched = 0usize;
        for row in rows {
            let mut items = Vec::new();
            let mut search = || -> Result<()> {
                let list = if selectors.is_empty() {
                    loc.get(&format!("backups/{0}/{0}-resource-list.json.gz", row.name))?
                } else {
                    None
                };
                if let Some(gz) = list {
                    // Fast path: the resource list names every item without reading the tarball.
                    let list: ResourceList = gunzip(&gz)
                        .map_err(Cause::from)
                        .and_then(|b| serde_json::from_slice(&b).map_err(Cause::from))
                        .map_err(|e| {
                            Error::input_part(&loc.url, format!("{} resource list", row.name), e)
                        })?;
                    for (gvk, names) in &list {
                        let (api, k) = gvk.rsplit_once('/').unwrap_or(("", gvk));
                        let gr = group_resource(&catalogue, api, k).0;
                        seen.insert(k.to_ascii_lowercase());
                        seen.insert(gr.clone());
                        for entry in names {
                            let (ns, n) = match entry.split_once('/') {
                                Some((ns, n)) => (Some(ns), n),
                                None => (None, entry.as_str()),
                            };
                            if keep(&gr, k, ns, n) {
                                items.push(FoundItem {
                                    resource: gr.clone(),
                                    namespace: ns.map(str::to_string),
                                    name: n.to_string(),
                                });
                            }
                        }
                    }
                } else {
                    // Labels, or no resource list (older releases, a lost side file): the archive
                    // itself (its sidecar where there is one; remote ones are streamed).
                    let source = loc.backup(&row.name)?;
                    let loaded: Backup = crate::indexed::load(source, s, None)?;
                    let idx = &loaded.index;
                    // What the backup holds, once per resource (not per item).
                    for r in &idx.resources {
                        seen.insert(r.resource.clone());
                        seen.extend(
                            idx.kinds_of(&r.resource)
                                .iter()
                                .map(|k| k.to_ascii_lowercase()),
                        );
                    }
                    for i in &idx.items {
                        let (gr, k, ns) = (
                            idx.gr(i),
                            i.kind.map_or("", |k| idx.str(k)),
                            idx.namespace(i),
                        );
                        if keep(gr, k, ns, &i.name)
                            && (selectors.is_empty()
                                || selectors.iter().any(|s| s.matches(|key| idx.label(i, key))))
                        {
                            items.push(FoundItem {
                                resource: gr.to_string(),
                                namespace: ns.map(str::to_string),
                                name: i.name.to_string(),
                            });
                        }
                    }
                }
                Ok(())
            };
            if let Err(e) = search() {
                problems.push(e);
                continue;
            }
            searched += 1;
            items.sort_by(|a, b| {
                (&a.resource, &a.namespace, &a.name).cmp(&(&b.resource, &b.namespace, &b.name))
            });
            if !items.is_empty() {
                found_any = true;
                each(Found {
                    backup: row.name,
                    started: row.started,
                    items,
                })?;
            }
        }
        if !found_any && searched > 0 {
            let names = kind
                .into_iter()
                .chain(f.include_resources.iter().map(String::as_str));
            for n in names {
                let known = catalogue.resolve(n).is_some()
                    || n.contains(['*', '?', '['])
                    || seen.contains(&n.to_ascii_lowercase())
                    || seen.iter().any(|g| g.split('.').next() == Some(n));
                if !known {
                    let nearest = veloscope_store::nearest(n, seen.iter().map(String::as_str))
                        .into_iter()
                        .map(str::to_string)
                        .collect();
                    return Err(Error::NotFound {
                        file: loc.url.clone(),
                        message: format!(
                            "no backup holds a resource or kind named {n:?}, and Kubernetes has none by that name"
                        ),
                        nearest,
                    });
                }
            }
        }
        Ok(problems)
    }

    /// The restores recorded under `restores/`, with their result counts.
    pub fn restores(&self) -> Result<Listing<RestoreRow>> {
        let loc = &self.store;
        let mut rows = Vec::new();
        let mut problems = Vec::new();
        for name in loc.children("restores")?.names {
            let results = (|| -> Result<BackupResults> {
                Ok(loc
                    .get(&format!("restores/{name}/restore-{name}-results.gz"))?
                    .map(|gz| -> Result<BackupResults, Cause> {
                        Ok(serde_json::from_slice(&gunzip(&gz)?)?)
                    })
                    .transpose()
                    .map_err(|e| {
                        Error::input_part(&loc.url, format!("restore {name}: results"), e)
                    })?
                    .unwrap_or_default())
            })();
            let results = match results {
                Ok(r) => r,
                Err(e) => {
                    problems.push(e);
                    continue;
                }
            };
            let items = loc
                .get(&format!(
                    "restores/{name}/restore-{name}-resource-list.json.gz"
                ))?
                .and_then(|gz| serde_json::from_slice::<ResourceList>(&gunzip(&gz).ok()?).ok())
                .map(|l| l.values().map(Vec::len).sum());
            rows.push(RestoreRow {
                name,
                errors: results.errors.count(),
                warnings: results.warnings.count(),
                items,
            });
        }
        Ok(Listing { rows, problems })
    }
}
