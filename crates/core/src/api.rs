//! A backup as the Kubernetes API sees it, for front ends that serve it as one (`serve`): the
//! resources it holds with their groups, versions, kinds and short names, the items of one
//! resource (and namespace) with their labels, and the stored bodies of chosen items, read from
//! the sidecar's seek points in windows.

use crate::{Backup, Captured, Result, Session};
pub use veloscope_archive::{Keep, LastWins};
pub use veloscope_model::Selector;
pub use veloscope_model::catalogue::version_priority;
pub use veloscope_model::timestamp::seconds as timestamp_seconds;

/// The gzip seek point spacing of an index written for a front end (the CLI's `index` default).
pub const SEEK_SPAN: u64 = 4 << 20;
use std::collections::HashSet;
use veloscope_archive::{ItemPath, VersionDir};
use veloscope_select::Resolver;

/// One resource of the backup, as discovery describes it.
#[derive(Debug, Clone)]
pub struct ApiResource {
    /// `plural.group` as in archive paths (`plural` alone for the core group).
    pub gr: String,
    pub group: String,
    pub plural: String,
    pub singular: String,
    pub kind: String,
    pub namespaced: bool,
    pub short_names: Vec<String>,
    /// The categories its CRD names (`all` for `kubectl get all`).
    pub categories: Vec<String>,
    /// The version directories the archive holds, the preferred one first.
    pub versions: Vec<String>,
}

impl ApiResource {
    pub fn preferred_version(&self) -> &str {
        self.versions.first().map_or("v1", String::as_str)
    }
}

/// One item of a resource: where it is in the index, and what selectors look at.
#[derive(Clone, Copy)]
pub struct ApiItem<'a> {
    pub position: usize,
    pub namespace: Option<&'a str>,
    pub name: &'a str,
    backup: &'a Backup,
}

impl<'a> ApiItem<'a> {
    /// The stored size of its body (its unversioned copy), in bytes; 0 when unknown.
    pub fn size(&self) -> u64 {
        let idx = &self.backup.index;
        idx.items[self.position].entry.map_or(0, |e| e.size)
    }

    /// The label `key`, as the index holds it.
    pub fn label(&self, key: &str) -> Option<&'a str> {
        let idx = &self.backup.index;
        idx.label(&idx.items[self.position], key)
    }
}

impl Backup {
    /// Opens a backup for a server that reads a few sections per request: from a valid sidecar
    /// only its head (counts, resources, kinds) is decoded, and [`Backup::api_section`] decodes
    /// what a request needs; without one the archive is indexed first; if that fails, the whole
    /// index is kept from a scan.
    pub fn open_for_serving(path: &std::path::Path, s: &Session<'_>) -> Result<Backup> {
        let head = |s: &Session<'_>| Backup::open_in(path, &crate::Scope::head(), s);
        if s.options.no_index {
            // Nothing read at seek points: every request answers from the whole index.
            return Backup::open(path, s);
        }
        let backup = head(s)?;
        if backup.reads_at_seek_points() {
            return Ok(backup);
        }
        match crate::index(path, None, SEEK_SPAN, s) {
            Ok(_) => head(s),
            Err(e) => {
                s.observer.notice(&format!(
                    "{e}; the whole index is kept in memory and objects are read from the archive"
                ));
                Backup::open(path, s)
            }
        }
    }

    /// The items of `gr` (in `namespace`, or all) decoded from the sidecar anew, for one request
    /// of a server that holds only the head; None when this backup holds its whole index (no
    /// sidecar), which then answers itself.
    pub fn api_section(
        &self,
        path: &std::path::Path,
        gr: &str,
        namespace: Option<&str>,
        s: &Session<'_>,
    ) -> Result<Option<Backup>> {
        if !self.reads_at_seek_points() {
            return Ok(None);
        }
        Backup::open_in(path, &crate::Scope::resource(gr, namespace), s).map(Some)
    }

    /// How many items this backup's index holds decoded (a section's, for a server).
    pub fn decoded_items(&self) -> usize {
        self.index.items.len()
    }

    /// Every resource of the archive with its kind, scope, short names and versions; then every
    /// other resource the backup's cluster had (the built-in catalogue, the archive's CRDs), with
    /// no item: a cluster lists an empty `secrets` rather than not knowing the type.
    pub fn api_resources(&self) -> Vec<ApiResource> {
        let idx = &self.index;
        let resolver = Resolver::for_index(idx);
        let mut out: Vec<ApiResource> = idx
            .resources
            .iter()
            .map(|r| {
                let info = resolver.catalogue.get(&r.resource);
                let (plural, group) = match r.resource.split_once('.') {
                    Some((p, g)) => (p.to_string(), g.to_string()),
                    None => (r.resource.clone(), String::new()),
                };
                let kind = idx
                    .kinds_of(&r.resource)
                    .first()
                    .map(|k| k.to_string())
                    .or_else(|| info.map(|i| i.kind.clone()))
                    .unwrap_or_else(|| plural.clone());
                let mut versions = r.versions.clone();
                if let Some(p) = &r.preferred_version {
                    versions.retain(|v| v != p);
                    versions.insert(0, p.clone());
                }
                if versions.is_empty() {
                    versions.push(info.map_or_else(|| "v1".to_string(), |i| i.version.clone()));
                }
                ApiResource {
                    gr: r.resource.clone(),
                    singular: info.map_or_else(|| kind.to_lowercase(), |i| i.singular.clone()),
                    short_names: info.map(|i| i.short_names.clone()).unwrap_or_default(),
                    categories: info.map(|i| i.categories.clone()).unwrap_or_default(),
                    namespaced: r.namespaced,
                    group,
                    plural,
                    kind,
                    versions,
                }
            })
            .collect();
        let held: std::collections::HashSet<String> = out.iter().map(|r| r.gr.clone()).collect();
        for info in resolver.catalogue.resources() {
            let gr = info.gr();
            if held.contains(&gr) || info.version.is_empty() {
                continue;
            }
            out.push(ApiResource {
                gr,
                group: info.group.clone(),
                plural: info.plural.clone(),
                singular: info.singular.clone(),
                kind: info.kind.clone(),
                namespaced: info.namespaced,
                short_names: info.short_names.clone(),
                categories: info.categories.clone(),
                versions: vec![info.version.clone()],
            });
        }
        out
    }

    /// The items of `gr`, in one namespace or in all, in the index's order (by namespace, then
    /// name).
    pub fn api_items<'a>(
        &'a self,
        gr: &str,
        namespace: Option<&'a str>,
    ) -> impl Iterator<Item = ApiItem<'a>> + 'a {
        let idx = &self.index;
        let range = idx.range_of(gr);
        idx.items[range.clone()]
            .iter()
            .zip(range)
            .map(|(item, position)| ApiItem {
                position,
                namespace: idx.namespace(item),
                name: &item.name,
                backup: self,
            })
            .filter(move |i| namespace.is_none_or(|ns| i.namespace == Some(ns)))
    }

    /// The stored bodies of the items at `positions` (from [`ApiItem::position`]): the unversioned
    /// copy, or the copy under `version`'s directory; `None` where there is no such copy. Read at
    /// the sidecar's seek points when there is one, else by a read of the archive.
    pub fn api_bodies(
        &self,
        positions: &[usize],
        version: Option<&str>,
        s: &Session<'_>,
    ) -> Result<Vec<Option<Vec<u8>>>> {
        let idx = &self.index;
        if let (Some(access), Some(archive)) =
            (&self.access, crate::indexed::ArchiveRef::of(&self.source))
        {
            // From the sidecar: straight to the entries, without walking the other items.
            let found = crate::indexed::bodies_at(idx, access, &archive, positions, version, s)?;
            let mut found = found.into_iter().peekable();
            return Ok(positions
                .iter()
                .map(|&p| {
                    let item = idx.items.get(p)?;
                    let next = found.peek()?;
                    let same = next.gr == idx.gr(item)
                        && next.namespace.as_deref() == idx.namespace(item)
                        && next.name == *item.name;
                    same.then(|| found.next().map(|c| c.body)).flatten()
                })
                .collect());
        }
        let wanted: HashSet<(&str, Option<&str>, &str)> = positions
            .iter()
            .filter_map(|&p| idx.items.get(p))
            .map(|i| (idx.gr(i), idx.namespace(i), &*i.name))
            .collect();
        let want = |p: &ItemPath<'_>| {
            let copy = match (p.version, version) {
                (VersionDir::Unversioned, None) => true,
                (VersionDir::Preferred(v) | VersionDir::Other(v), Some(want)) => v == want,
                _ => false,
            };
            copy && wanted.contains(&(p.gr, p.namespace, p.name))
        };
        let mut found: std::collections::HashMap<(String, Option<String>, String), Vec<u8>> =
            std::collections::HashMap::new();
        // A path stored twice is its later entry: later captures replace earlier ones.
        for c in self.bodies(&want, s)? {
            let Captured {
                gr,
                namespace,
                name,
                body,
                ..
            } = c;
            found.insert((gr, namespace, name), body);
        }
        Ok(positions
            .iter()
            .map(|&p| {
                let item = idx.items.get(p)?;
                let key = (
                    idx.gr(item).to_string(),
                    idx.namespace(item).map(str::to_string),
                    item.name.to_string(),
                );
                found.get(&key).cloned()
            })
            .collect())
    }

    /// Whether entries are read at seek points (the index came from a sidecar); if not, every
    /// body read is a read of the archive, and a long-lived caller should index it first.
    pub fn reads_at_seek_points(&self) -> bool {
        self.access.is_some()
    }

    /// When the backup started (`status.startTimestamp` of its Backup object), the moment ages
    /// are counted from; None for a bare tarball.
    pub fn started(&self) -> Option<String> {
        let folder = self.source.folder()?;
        folder.backup().ok()??.backup.status.start_timestamp
    }
}
