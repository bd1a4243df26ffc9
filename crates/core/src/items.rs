//! `ls` and `show`: a backup's items, all of them or exactly those a Backup spec selects, and one
//! item's stored bytes.

use crate::backup::CaptureFn;
use crate::filters::BackupFilters;
use crate::{Backup, Captured, Error, Result, Session, selection, spec};
use serde::Serialize;
use std::collections::HashSet;
use veloscope_archive::{ItemPath, VersionDir};
use veloscope_index::{Index, Item, Sym};
use veloscope_select::{Decision, Resolution, Resolver, VeleroVersion};

/// One row of `ls`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemRow<'a> {
    pub resource: &'a str,
    pub namespace: Option<&'a str>,
    pub name: &'a str,
    pub api_version: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub labels: Labels<'a>,
    /// The item that pulled this one in, for related items and CRDs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// The indexed item, for what only `-o wide` shows (computed on demand: a million rows
    /// should not each allocate it).
    #[serde(skip)]
    item: &'a Item,
    #[serde(skip)]
    index: &'a Index,
}

impl ItemRow<'_> {
    /// The version directories holding copies, the preferred one marked `*`.
    pub fn versions(&self) -> Vec<String> {
        self.item
            .versions
            .iter()
            .map(|v| {
                let mark = if v.preferred { "*" } else { "" };
                format!("{}{mark}", self.index.str(v.version))
            })
            .collect()
    }

    /// The stored size of the unversioned copy, in bytes.
    pub fn size(&self) -> Option<u64> {
        self.item.entry.map(|e| e.size)
    }

    /// The controlling owner (else the first), as `Kind/name`.
    pub fn owner(&self) -> Option<String> {
        let owners = self.item.owners();
        owners
            .iter()
            .find(|o| o.controller)
            .or(owners.first())
            .map(|o| format!("{}/{}", self.index.str(o.kind), o.name))
    }
}

/// An item's labels, read where the index holds them (a row allocates nothing for them),
/// listed and serialized in key order.
#[derive(Debug, Clone, Copy)]
pub struct Labels<'a> {
    pairs: &'a [(Sym, Sym)],
    index: &'a Index,
}

impl<'a> Labels<'a> {
    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.pairs
            .iter()
            .find(|(k, _)| self.index.str(*k) == key)
            .map(|(_, v)| self.index.str(*v))
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The pairs in key order.
    pub fn sorted(&self) -> Vec<(&'a str, &'a str)> {
        let mut pairs: Vec<(&str, &str)> = self
            .pairs
            .iter()
            .map(|(k, v)| (self.index.str(*k), self.index.str(*v)))
            .collect();
        pairs.sort_unstable();
        pairs
    }
}

impl Serialize for Labels<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_map(self.sorted())
    }
}

/// The rows of `ls`, made one at a time each time they are walked: a million-item backup
/// is listed without holding a million rows.
pub struct ItemRows<'a> {
    index: &'a Index,
    /// Per item, whether the filters include it (and through what); None without filters.
    decisions: Option<Vec<Decision>>,
    name: Option<veloscope_select::GlobPattern>,
}

impl<'a> ItemRows<'a> {
    /// Only the rows whose name matches a glob (`ls --name 'web-*'`), with Velero's glob rules.
    pub fn named(self, glob: Option<&str>) -> ItemRows<'a> {
        ItemRows {
            name: glob.map(veloscope_select::GlobPattern::new),
            ..self
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = ItemRow<'a>> + '_ {
        let idx = self.index;
        idx.items.iter().enumerate().filter_map(move |(at, i)| {
            if !self.is_named(i) {
                return None;
            }
            let via = match self.decisions.as_ref().map(|d| &d[at]) {
                None => None,
                Some(Decision::Included(via)) => via.as_ref().map(|v| selection::via_text(idx, v)),
                Some(Decision::Excluded(_)) => return None,
            };
            Some(row(idx, i, via))
        })
    }

    /// Whether some row was pulled in by another item (a related item or a CRD), which `ls`
    /// shows in a VIA column.
    pub fn any_related(&self) -> bool {
        let Some(decisions) = &self.decisions else {
            return false;
        };
        self.index
            .items
            .iter()
            .zip(decisions)
            .any(|(i, d)| matches!(d, Decision::Included(Some(_))) && self.is_named(i))
    }

    /// Whether the item passes the `--name` glob, if there is one.
    fn is_named(&self, i: &Item) -> bool {
        self.name
            .as_ref()
            .is_none_or(|glob| glob.matches(&i.name) == Some(true))
    }
}

/// A list of the rows, serialized as they are made.
impl Serialize for ItemRows<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// Which item `show` prints.
#[derive(Debug, Clone, Copy)]
pub struct ItemQuery<'a> {
    /// Plural, singular, kind, short name or plural.group.
    pub resource: &'a str,
    pub name: &'a str,
    pub namespace: Option<&'a str>,
    /// The version directory to read (`v1`, `v2beta2`); None: the preferred copy.
    pub api_version: Option<&'a str>,
}

/// One item's bytes as stored, and the entry they came from.
#[derive(Debug)]
pub struct StoredItem {
    /// The archive's path or URL.
    pub file: String,
    pub entry: String,
    /// The group-resource it is stored under (`secrets`, `deployments.apps`), as resolved.
    pub group_resource: String,
    pub body: Vec<u8>,
}

impl StoredItem {
    /// The body as JSON (a key given twice keeps its last value, as in Go).
    pub fn value(&self) -> Result<serde_json::Value> {
        crate::error::parse_body(&self.file, &self.entry, &self.body)
    }
}

impl Backup {
    /// Without filters every item; with them, exactly the items `preview` includes for the same
    /// filters (related items and CRDs among them, marked `via`). A resource name that resolves
    /// to nothing is an error here: a typo should not list nothing.
    pub fn items(
        &self,
        filters: &BackupFilters,
        version: VeleroVersion,
        s: &Session<'_>,
    ) -> Result<Vec<ItemRow<'_>>> {
        Ok(self.item_rows(filters, version, s)?.iter().collect())
    }

    /// The rows [`Backup::items`] lists, made as they are walked.
    pub fn item_rows(
        &self,
        filters: &BackupFilters,
        version: VeleroVersion,
        s: &Session<'_>,
    ) -> Result<ItemRows<'_>> {
        crate::backup::require_valid(self)?;
        crate::backup::report_warnings(self, s);
        for w in crate::selection::unknown_namespaces(&self.index, &filters.include_namespaces) {
            s.observer.notice(&w);
        }
        let idx = &self.index;
        let decisions: Option<Vec<Decision>> = if spec::any_filter(filters) {
            let sel = selection::run(self, filters, None, version, None)?;
            selection::reject_unresolvable(self, &sel.spec, &sel.resolver)?;
            for w in selection::absent_resources(&sel.spec, &sel.resolver) {
                s.observer.notice(&w);
            }
            notice_backup_rules(&sel.preview.decisions, s);
            Some(sel.preview.decisions)
        } else {
            None
        };
        Ok(ItemRows {
            index: idx,
            decisions,
            name: None,
        })
    }

    /// One item's stored bytes: the unversioned copy, or the one under `--api-version`.
    pub fn item(&self, q: &ItemQuery<'_>, s: &Session<'_>) -> Result<StoredItem> {
        let idx = &self.index;
        let file = self.source.tarball().display().to_string();
        let resolver = Resolver::for_index(idx);
        let gr = match resolver.resolve(q.resource) {
            Resolution::Resource(gr) => gr,
            Resolution::Pattern(p) if resolver.in_archive(&p) => p,
            Resolution::Pattern(p) => {
                return Err(Error::NotFound {
                    file,
                    message: veloscope_select::SelectError::UnknownResource(p).to_string(),
                    nearest: Vec::new(),
                });
            }
        };
        if !resolver.in_archive(&gr) {
            return Err(Error::NotFound {
                file,
                message: format!("the backup holds no {gr} (no resources/{gr}/ directory)"),
                nearest: Vec::new(),
            });
        }
        let candidates: Vec<_> = idx
            .items_of(&gr)
            .iter()
            .filter(|i| {
                &*i.name == q.name && (q.namespace.is_none() || idx.namespace(i) == q.namespace)
            })
            .collect();
        let item = match candidates.as_slice() {
            [one] => *one,
            [] => {
                let message = match q.namespace {
                    Some(ns) => format!("no {gr} named {:?} in namespace {ns:?}", q.name),
                    None => format!("no {gr} named {:?}", q.name),
                };
                let names = idx
                    .items_of(&gr)
                    .iter()
                    .filter(|i| q.namespace.is_none() || idx.namespace(i) == q.namespace)
                    .map(|i| &*i.name);
                let nearest = veloscope_store::nearest(q.name, names)
                    .into_iter()
                    .map(str::to_string)
                    .collect();
                return Err(Error::NotFound {
                    file,
                    message,
                    nearest,
                });
            }
            many => {
                let namespaces: Vec<&str> = many.iter().filter_map(|i| idx.namespace(i)).collect();
                return Err(Error::usage(format!(
                    "{file}: {gr} {:?} exists in several namespaces ({}); choose one with -n",
                    q.name,
                    namespaces.join(", ")
                )));
            }
        };
        let ns = idx.namespace(item);
        let of_item =
            |c: &&Captured| c.gr == gr && c.namespace.as_deref() == ns && c.name == q.name;
        let fetched;
        let pool: &[Captured] = if self.captured.iter().any(|c| of_item(&c)) {
            &self.captured
        } else {
            let exact = ItemQuery {
                resource: &gr,
                namespace: ns,
                ..*q
            };
            let want = |p: &ItemPath<'_>| p.gr == gr.as_str() && exact.matches(p);
            fetched = self.bodies(&want, s)?;
            &fetched
        };
        // A path stored twice resolves to its later entry, as Velero's extractor leaves it.
        let body = pool
            .iter()
            .rev()
            .filter(of_item)
            .find(|c| c.version.as_deref() == q.api_version)
            .or_else(|| {
                // No unversioned copy: fall back to any stored copy.
                q.api_version
                    .is_none()
                    .then(|| pool.iter().rev().find(of_item))
                    .flatten()
            });
        let Some(c) = body else {
            let versions: Vec<&str> = item.versions.iter().map(|v| idx.str(v.version)).collect();
            return Err(Error::NotFound {
                file,
                message: format!(
                    "{gr} {:?} has no copy under version {:?} (stored versions: {})",
                    q.name,
                    q.api_version.unwrap_or(""),
                    versions.join(", ")
                ),
                nearest: Vec::new(),
            });
        };
        if let Some(bad) = self.index.invalid.iter().find(|b| b.entry == c.entry) {
            return Err(Error::entry(file, &bad.entry, &bad.message));
        }
        Ok(StoredItem {
            file,
            entry: c.entry.clone(),
            group_resource: gr.to_string(),
            body: c.body.clone(),
        })
    }

    /// These rows' stored bodies handed to `visit` one by one as they are read (archive order),
    /// none kept: what writes or prints every object of a big backup holds one at a time.
    pub fn each_body_of(
        &self,
        rows: &[ItemRow<'_>],
        s: &Session<'_>,
        visit: &mut dyn FnMut(Captured) -> Result<()>,
    ) -> Result<()> {
        let wanted: HashSet<(&str, Option<&str>, &str)> = rows
            .iter()
            .map(|r| (r.resource, r.namespace, r.name))
            .collect();
        let want = |p: &ItemPath<'_>| {
            p.version == VersionDir::Unversioned && wanted.contains(&(p.gr, p.namespace, p.name))
        };
        if let (Some(access), Some(archive)) =
            (&self.access, crate::indexed::ArchiveRef::of(&self.source))
        {
            return crate::indexed::each_body(&self.index, access, &archive, &want, s, visit);
        }
        let lo = crate::backup::LoadOptions {
            parse_metadata: false,
            build_index: false,
            ..Default::default()
        };
        // The scan cannot be stopped from here: after a failed visit the rest is only skipped.
        let mut failed: Option<Error> = None;
        crate::backup::load_with(self.source.clone(), s, lo, None, &mut |ev| {
            if let (veloscope_archive::ScanEvent::Item(e), None) = (ev, &failed)
                && want(&e.path)
                && let Err(err) = visit(Captured::of(e))
            {
                failed = Some(err);
            }
        })?;
        failed.map_or(Ok(()), Err)
    }

    /// The bodies `want` asks for: at their seek points when the index came from a sidecar,
    /// else by another read of the archive.
    pub fn bodies(&self, want: CaptureFn<'_>, s: &Session<'_>) -> Result<Vec<Captured>> {
        if let (Some(access), Some(archive)) =
            (&self.access, crate::indexed::ArchiveRef::of(&self.source))
        {
            return crate::indexed::bodies(&self.index, access, &archive, want, s);
        }
        let lo = crate::backup::LoadOptions {
            parse_metadata: false,
            build_index: false,
            ..Default::default()
        };
        Ok(crate::backup::load_with(self.source.clone(), s, lo, Some(want), &mut |_| {})?.captured)
    }
}

impl ItemQuery<'_> {
    /// Whether a path is a copy this query asks for (by name, namespace and version directory).
    pub(crate) fn matches(&self, p: &ItemPath<'_>) -> bool {
        let version = match (p.version, self.api_version) {
            (VersionDir::Unversioned, None) => true,
            // Kept as the fallback for items stored only under version directories.
            (VersionDir::Preferred(_), None) => true,
            (VersionDir::Preferred(v) | VersionDir::Other(v), Some(want)) => v == want,
            _ => false,
        };
        version
            && p.name == self.name
            && (self.namespace.is_none() || p.namespace == self.namespace)
    }
}

fn row<'a>(idx: &'a Index, i: &'a Item, via: Option<String>) -> ItemRow<'a> {
    ItemRow {
        resource: idx.gr(i),
        namespace: idx.namespace(i),
        name: &i.name,
        api_version: i.api_version.map(|s| idx.str(s)),
        kind: i.kind.map(|s| idx.str(s)),
        labels: Labels {
            pairs: &i.labels,
            index: idx,
        },
        via,
        item: i,
        index: idx,
    }
}

/// Says how many archive items the filters would list but Velero's backup rules leave out (as
/// `preview` decides): an auditor asking what a backup holds must not miss them in silence.
fn notice_backup_rules(decisions: &[Decision], s: &Session<'_>) {
    use veloscope_select::Reason;
    let mut by_rule: std::collections::BTreeMap<&str, usize> = Default::default();
    for d in decisions {
        if let Decision::Excluded(
            r @ (Reason::ExcludeLabel
            | Reason::BeingDeleted
            | Reason::NamespaceNotActive
            | Reason::Cohabiting),
        ) = d
        {
            *by_rule.entry(r.as_str()).or_default() += 1;
        }
    }
    if by_rule.is_empty() {
        return;
    }
    let total: usize = by_rule.values().sum();
    let rules: Vec<String> = by_rule.iter().map(|(r, n)| format!("{n} {r}")).collect();
    let items = if total == 1 { "item" } else { "items" };
    s.observer.notice(&format!(
        "{total} archive {items} left out by Velero's backup rules ({}), as a backup with these filters would leave them out; `preview --explain` lists them, and `ls` without filter flags lists everything the archive holds",
        rules.join(", ")
    ));
}
