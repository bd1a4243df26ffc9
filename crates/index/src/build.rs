use crate::interner::{Interner, Sym};
use crate::{
    EntryRef, Index, InvalidItem, ItemExtra, NamespaceStats, Owner, ResourceStats, VersionEntry,
    Versions,
};
use hashbrown::HashTable;
use rayon::slice::ParallelSliceMut;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::hash::BuildHasher;
use veloscope_archive::{
    Details, ItemEntry, ItemMeta, ItemPath, ScanEvent, ScanStats, ScanWarning, VersionDir,
    WarningKind,
};
use veloscope_model::catalogue::{Catalogue, ResourceInfo, version_priority};

/// What one entry's metadata says about its item, interned. Its fields are those of [`Item`]
/// from `api_version` to `details`, in that order, so its encoding is theirs.
#[derive(Default, Serialize)]
pub(crate) struct Facts {
    pub api_version: Option<Sym>,
    pub kind: Option<Sym>,
    pub labels: Box<[(Sym, Sym)]>,
    pub extra: Option<Box<ItemExtra>>,
    pub deleting: bool,
    pub details: Details,
}

/// Where a builder keeps its items while entries arrive.
pub(crate) trait ItemStore {
    /// The item's position, adding an empty item when the key is new.
    fn slot(&mut self, gr: Sym, ns: Option<Sym>, name: &str) -> usize;
    fn entry(&mut self, at: usize) -> &mut Option<EntryRef>;
    fn versions(&mut self, at: usize) -> &mut Versions;
    fn has_kind(&self, at: usize) -> bool;
    fn set_facts(&mut self, at: usize, facts: Facts);
}

/// What every builder keeps besides its items.
#[derive(Default)]
pub(crate) struct Core {
    pub strings: Interner,
    pub warnings: Vec<ScanWarning>,
    pub invalid: Vec<InvalidItem>,
    pub crds: Vec<ResourceInfo>,
}

const CRD_GR: &str = "customresourcedefinitions.apiextensions.k8s.io";

fn annotation_kept(key: &str) -> bool {
    key.contains("velero.io/") || key == "kubernetes.io/config.mirror"
}

/// Finds items by key: (group-resource, namespace, name) → position. Positions only, so the
/// table costs 4 bytes a slot; `key_of` reads a stored item's key back.
#[derive(Default)]
pub(crate) struct KeyTable {
    table: HashTable<u32>,
    hasher: hashbrown::DefaultHashBuilder,
}

/// Names as bytes: hashing and comparing them needs no UTF-8 check.
pub(crate) type Key<'k> = (Sym, Option<Sym>, &'k [u8]);

impl KeyTable {
    /// The item's position, or the hash to insert it under.
    pub(crate) fn find<'k>(
        &self,
        key: Key<'_>,
        key_of: impl Fn(u32) -> Key<'k>,
    ) -> Result<usize, u64> {
        let hash = self.hasher.hash_one(key);
        match self.table.find(hash, |&i| key_of(i) == key) {
            Some(&at) => Ok(at as usize),
            None => Err(hash),
        }
    }

    pub(crate) fn insert<'k>(&mut self, hash: u64, at: usize, key_of: impl Fn(u32) -> Key<'k>) {
        let hasher = &self.hasher;
        self.table
            .insert_unique(hash, at as u32, |&i| hasher.hash_one(key_of(i)));
    }
}

impl Core {
    pub(crate) fn add(&mut self, store: &mut impl ItemStore, event: ScanEvent<'_>) {
        match event {
            ScanEvent::Warning(w) => self.warnings.push(w),
            ScanEvent::Item(e) => self.add_item(store, e),
        }
    }

    fn warn(&mut self, kind: WarningKind, entry: &str, message: String) {
        self.warnings.push(ScanWarning {
            kind,
            entry: entry.to_string(),
            message,
        });
    }

    fn add_item(&mut self, store: &mut impl ItemStore, e: ItemEntry<'_>) {
        let gr = self.strings.intern(e.path.gr);
        let ns = e.path.namespace.map(|n| self.strings.intern(n));
        let at = store.slot(gr, ns, e.path.name);
        let entry = EntryRef {
            hash: e.hash,
            size: e.body.len() as u64,
            offset: e.offset,
        };
        let duplicate = match e.path.version {
            VersionDir::Unversioned => store.entry(at).replace(entry).is_some(),
            VersionDir::Preferred(v) | VersionDir::Other(v) => {
                let version = self.strings.intern(v);
                let preferred = matches!(e.path.version, VersionDir::Preferred(_));
                let versions = store.versions(at);
                match versions
                    .iter_mut()
                    .find(|x| x.version == version && x.preferred == preferred)
                {
                    Some(dup) => {
                        dup.entry = entry;
                        true
                    }
                    None => {
                        versions.push(VersionEntry {
                            version,
                            preferred,
                            entry,
                        });
                        false
                    }
                }
            }
        };
        if duplicate {
            self.warn(
                WarningKind::DuplicateEntry,
                e.entry,
                "path appears twice; the later entry wins, as in Velero's extractor".into(),
            );
        }
        if e.path.gr == CRD_GR
            && e.path.version == VersionDir::Unversioned
            && let Ok(crd) = serde_json::from_slice::<serde_json::Value>(e.body)
            && let Some(info) = Catalogue::crd_info(&crd)
        {
            self.crds.push(info);
        }
        match e.meta {
            Some(Ok(meta)) => {
                // The unversioned entry speaks for the item; a non-preferred version only fills
                // in what is still missing.
                let primary = e.path.version == VersionDir::Unversioned;
                if !primary && store.has_kind(at) {
                    return;
                }
                if let Some(name) = meta.metadata.name.as_deref()
                    && (name != e.path.name
                        || meta.metadata.namespace.as_deref().filter(|n| !n.is_empty())
                            != e.path.namespace)
                {
                    let ns = meta.metadata.namespace.as_deref().unwrap_or("");
                    self.warn(
                        WarningKind::PathMismatch,
                        e.entry,
                        format!("object says namespace {ns:?} name {name:?}, unlike its path"),
                    );
                }
                let facts = self.facts(&meta, e.details);
                store.set_facts(at, facts);
            }
            Some(Err(err)) => self.invalid.push(InvalidItem {
                entry: e.entry.to_string(),
                message: format!("invalid JSON: {err}"),
            }),
            None => {}
        }
    }

    fn facts(&mut self, meta: &ItemMeta<'_>, details: Details) -> Facts {
        let s = &mut self.strings;
        Facts {
            api_version: meta.api_version.as_deref().map(|v| s.intern(v)),
            kind: meta.kind.as_deref().map(|v| s.intern(v)),
            labels: meta
                .metadata
                .labels
                .0
                .iter()
                .map(|(k, v)| (s.intern(k), s.intern(v)))
                .collect(),
            extra: {
                let annotations: Box<[(Sym, Box<str>)]> = meta
                    .metadata
                    .annotations
                    .0
                    .iter()
                    .filter(|(k, _)| annotation_kept(k))
                    .map(|(k, v)| {
                        let text = serde_json::from_str::<String>(v.get())
                            .unwrap_or_else(|_| v.get().to_string());
                        (s.intern(k), text.into_boxed_str())
                    })
                    .collect();
                let owners: Box<[Owner]> = meta
                    .metadata
                    .owner_references
                    .iter()
                    .flatten()
                    .map(|o| Owner {
                        kind: s.intern(&o.kind),
                        name: o.name.as_ref().into(),
                        controller: o.controller.unwrap_or(false),
                    })
                    .collect();
                (!annotations.is_empty() || !owners.is_empty()).then(|| {
                    Box::new(ItemExtra {
                        annotations,
                        owners,
                    })
                })
            },
            deleting: meta.is_deleting(),
            details,
        }
    }

    /// Warnings about an item's entries taken together: no unversioned copy, or a
    /// `-preferredversion` twin whose bytes differ from it.
    pub(crate) fn check_item(
        &self,
        (gr, ns, name): Key<'_>,
        entry: Option<EntryRef>,
        versions: &[VersionEntry],
        out: &mut Vec<ScanWarning>,
    ) {
        let gr = self.strings.resolve(gr);
        let ns = ns.map(|n| self.strings.resolve(n));
        let name = &*String::from_utf8_lossy(name);
        match entry {
            None => out.push(ScanWarning {
                kind: WarningKind::MissingUnversioned,
                // No single entry is at fault: name the item with `…` for its versions.
                entry: match ns {
                    Some(ns) => format!("resources/{gr}/…/namespaces/{ns}/{name}.json"),
                    None => format!("resources/{gr}/…/cluster/{name}.json"),
                },
                message: "only versioned copies exist; Velero restores read the unversioned tree"
                    .into(),
            }),
            Some(e) => {
                for v in versions.iter().filter(|v| v.preferred) {
                    if !v.entry.same_bytes(&e) {
                        out.push(ScanWarning {
                            kind: WarningKind::TwinMismatch,
                            entry: ItemPath {
                                gr,
                                version: VersionDir::Preferred(self.strings.resolve(v.version)),
                                namespace: ns,
                                name,
                            }
                            .to_string(),
                            message:
                                "differs from its unversioned copy; the two must be byte-identical"
                                    .into(),
                        });
                    }
                }
            }
        }
    }

    /// Orders item keys as the index does: by group-resource, namespace ("" for cluster scope),
    /// name. Strings are compared by their rank in the sorted string table, computed once, so a
    /// comparison of two keys touches only their names.
    pub(crate) fn key_order(&self) -> impl Fn(Key<'_>, Key<'_>) -> std::cmp::Ordering + use<> {
        let mut by_text: Vec<Sym> = (0..self.strings.len() as Sym).collect();
        by_text.sort_unstable_by_key(|&s| self.strings.resolve(s));
        // Rank 0 is the cluster scope's "" (a namespace is never empty).
        let mut rank = vec![0u32; by_text.len()];
        for (r, &sym) in by_text.iter().enumerate() {
            rank[sym as usize] = r as u32 + 1;
        }
        move |(ga, na, a), (gb, nb, b)| {
            let r = |s: Sym| rank.get(s as usize).copied().unwrap_or(0);
            (r(ga), na.map_or(0, r), a).cmp(&(r(gb), nb.map_or(0, r), b))
        }
    }

    /// Ends a build: the warnings about each item's entries (in the order items were first
    /// seen), `records` sorted by key (keys are unique, so an unstable sort orders the same and
    /// needs no scratch buffer), and the index without items, its counts taken in key order.
    /// `parts` reads a record, with `store` where the record is only a position.
    pub(crate) fn close<S: Sync, R: Send + Sync>(
        mut self,
        store: &S,
        records: &mut [R],
        stats: ScanStats,
        parts: impl for<'a> Fn(&'a S, &'a R) -> ItemParts<'a> + Sync,
    ) -> Index {
        let mut extra = Vec::new();
        for r in records.iter() {
            let p = parts(store, r);
            self.check_item(p.key, p.entry, p.versions, &mut extra);
        }
        self.warnings.extend(extra);
        let order = self.key_order();
        records.par_sort_unstable_by(|a, b| order(parts(store, a).key, parts(store, b).key));
        let mut tally = Tally::default();
        for r in records.iter() {
            let p = parts(store, r);
            tally.add(p.key.0, p.key.1, p.versions);
        }
        self.into_index(tally, stats)
    }

    /// The index without items, its counts taken by `tally` over the items in key order.
    fn into_index(self, tally: Tally, stats: ScanStats) -> Index {
        let strings = &self.strings;
        let resources = tally
            .resources
            .into_iter()
            .map(|(gr, t)| {
                let mut versions: Vec<String> = t
                    .versions
                    .into_iter()
                    .map(|v| strings.resolve(v).to_string())
                    .collect();
                versions.sort_by(|a, b| version_priority(a, b));
                ResourceStats {
                    resource: strings.resolve(gr).to_string(),
                    namespaced: t.namespaced,
                    items: t.items,
                    versions,
                    preferred_version: t.preferred.map(|p| strings.resolve(p).to_string()),
                }
            })
            .collect::<Vec<_>>();
        let mut resources = resources;
        resources.sort_by(|a, b| a.resource.cmp(&b.resource));
        let mut namespaces: Vec<NamespaceStats> = tally
            .namespaces
            .into_iter()
            .map(|(ns, items)| NamespaceStats {
                namespace: strings.resolve(ns).to_string(),
                items,
            })
            .collect();
        namespaces.sort_by(|a, b| a.namespace.cmp(&b.namespace));
        Index {
            strings: self.strings,
            items: Vec::new(),
            resources,
            namespaces,
            cluster_scoped_items: tally.cluster_scoped,
            stats,
            warnings: self.warnings,
            invalid: self.invalid,
            crds: self.crds,
            kinds: None,
            omitted: Vec::new(),
        }
    }
}

/// What [`Core::close`] reads of one item, whichever layout holds it.
pub(crate) struct ItemParts<'a> {
    pub key: Key<'a>,
    pub entry: Option<EntryRef>,
    pub versions: &'a [VersionEntry],
}

/// Per-resource and per-namespace counts, item by item in key order (the last item's preferred
/// version names the resource's).
#[derive(Default)]
struct Tally {
    resources: BTreeMap<Sym, ResourceTally>,
    namespaces: BTreeMap<Sym, u64>,
    cluster_scoped: u64,
}

#[derive(Default)]
struct ResourceTally {
    namespaced: bool,
    items: u64,
    versions: BTreeSet<Sym>,
    preferred: Option<Sym>,
}

impl Tally {
    fn add(&mut self, gr: Sym, ns: Option<Sym>, versions: &[VersionEntry]) {
        let r = self.resources.entry(gr).or_default();
        r.items += 1;
        match ns {
            Some(ns) => {
                r.namespaced = true;
                *self.namespaces.entry(ns).or_default() += 1;
            }
            None => self.cluster_scoped += 1,
        }
        for v in versions {
            r.versions.insert(v.version);
            if v.preferred {
                r.preferred = Some(v.version);
            }
        }
    }
}
