use crate::interner::{Interner, Sym};
use crate::{
    EntryRef, Index, InvalidItem, Item, NamespaceStats, Owner, ResourceStats, VersionEntry,
};
use hashbrown::HashTable;
use std::collections::{BTreeMap, BTreeSet};
use std::hash::BuildHasher;
use std::ops::ControlFlow;
use veloscope_archive::{
    Details, ItemEntry, ItemPath, ScanEvent, ScanStats, ScanWarning, VersionDir, WarningKind,
};
use veloscope_model::catalogue::{Catalogue, ResourceInfo, version_priority};

/// Folds scan events into an [`Index`]: merges the entries of one logical item, checks that the
/// `-preferredversion` twin is byte-identical to the unversioned entry, records duplicates.
#[derive(Default)]
pub struct IndexBuilder {
    strings: Interner,
    items: Vec<Item>,
    table: HashTable<u32>,
    hasher: hashbrown::DefaultHashBuilder,
    warnings: Vec<ScanWarning>,
    invalid: Vec<InvalidItem>,
    crds: Vec<ResourceInfo>,
}

/// Per-resource counts gathered while finishing the index.
#[derive(Default)]
struct Tally<'a> {
    namespaced: bool,
    items: u64,
    versions: BTreeSet<&'a str>,
    preferred: Option<&'a str>,
}

const CRD_GR: &str = "customresourcedefinitions.apiextensions.k8s.io";

fn annotation_kept(key: &str) -> bool {
    key.contains("velero.io/") || key == "kubernetes.io/config.mirror"
}

impl IndexBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Use as the scan visitor: `scan_archive(.., |ev| builder.add(ev))`.
    pub fn add(&mut self, event: ScanEvent<'_>) -> ControlFlow<()> {
        match event {
            ScanEvent::Warning(w) => self.warnings.push(w),
            ScanEvent::Item(e) => self.add_item(e),
        }
        ControlFlow::Continue(())
    }

    fn slot(&mut self, gr: Sym, ns: Option<Sym>, name: &str) -> usize {
        let hash = self.hasher.hash_one((gr, ns, name));
        let items = &self.items;
        if let Some(&at) = self.table.find(hash, |&i| {
            let it = &items[i as usize];
            it.gr == gr && it.namespace == ns && &*it.name == name
        }) {
            return at as usize;
        }
        let at = self.items.len();
        self.items.push(Item {
            gr,
            namespace: ns,
            name: name.into(),
            api_version: None,
            kind: None,
            labels: Box::new([]),
            annotations: Box::new([]),
            owners: Box::new([]),
            deleting: false,
            details: Details::None,
            entry: None,
            versions: Box::new([]),
        });
        let hasher = &self.hasher;
        let items = &self.items;
        self.table.insert_unique(hash, at as u32, |&i| {
            let it = &items[i as usize];
            hasher.hash_one((it.gr, it.namespace, &*it.name))
        });
        at
    }

    fn warn(&mut self, kind: WarningKind, entry: &str, message: String) {
        self.warnings.push(ScanWarning {
            kind,
            entry: entry.to_string(),
            message,
        });
    }

    fn add_item(&mut self, e: ItemEntry<'_>) {
        let gr = self.strings.intern(e.path.gr);
        let ns = e.path.namespace.map(|n| self.strings.intern(n));
        let at = self.slot(gr, ns, e.path.name);
        let entry = EntryRef {
            hash: e.hash,
            size: e.body.len() as u64,
            offset: e.offset,
        };
        match e.path.version {
            VersionDir::Unversioned => {
                if self.items[at].entry.is_some() {
                    self.warn(
                        WarningKind::DuplicateEntry,
                        e.entry,
                        "path appears twice; the later entry wins, as in Velero's extractor".into(),
                    );
                }
                self.items[at].entry = Some(entry);
            }
            VersionDir::Preferred(v) | VersionDir::Other(v) => {
                let version = self.strings.intern(v);
                let preferred = matches!(e.path.version, VersionDir::Preferred(_));
                let mut versions = std::mem::take(&mut self.items[at].versions).into_vec();
                if let Some(dup) = versions
                    .iter_mut()
                    .find(|x| x.version == version && x.preferred == preferred)
                {
                    dup.entry = entry;
                    self.warn(
                        WarningKind::DuplicateEntry,
                        e.entry,
                        "path appears twice; the later entry wins, as in Velero's extractor".into(),
                    );
                } else {
                    versions.push(VersionEntry {
                        version,
                        preferred,
                        entry,
                    });
                }
                self.items[at].versions = versions.into_boxed_slice();
            }
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
                if !primary && self.items[at].kind.is_some() {
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
                let s = &mut self.strings;
                let item = &mut self.items[at];
                item.api_version = meta.api_version.as_deref().map(|v| s.intern(v));
                item.kind = meta.kind.as_deref().map(|v| s.intern(v));
                item.labels = meta
                    .metadata
                    .labels
                    .0
                    .iter()
                    .map(|(k, v)| (s.intern(k), s.intern(v)))
                    .collect();
                item.annotations = meta
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
                item.owners = meta
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
                item.deleting = meta.is_deleting();
                item.details = e.details;
            }
            Some(Err(err)) => self.invalid.push(InvalidItem {
                entry: e.entry.to_string(),
                message: format!("invalid JSON: {err}"),
            }),
            None => {}
        }
    }

    pub fn finish(mut self, stats: ScanStats) -> Index {
        let mut extra = Vec::new();
        // The key table is not needed past this point; free it before sorting.
        self.table = HashTable::new();
        for item in &self.items {
            let gr = self.strings.resolve(item.gr);
            match item.entry {
                None => extra.push(ScanWarning {
                    kind: WarningKind::MissingUnversioned,
                    // No single entry is at fault: name the item with `…` for its versions.
                    entry: match item.namespace {
                        Some(ns) => format!(
                            "resources/{gr}/…/namespaces/{}/{}.json",
                            self.strings.resolve(ns),
                            item.name
                        ),
                        None => format!("resources/{gr}/…/cluster/{}.json", item.name),
                    },
                    message:
                        "only versioned copies exist; Velero restores read the unversioned tree"
                            .into(),
                }),
                Some(e) => {
                    for v in item.versions.iter().filter(|v| v.preferred) {
                        if !v.entry.same_bytes(&e) {
                            extra.push(ScanWarning {
                                kind: WarningKind::TwinMismatch,
                                entry: ItemPath {
                                    gr,
                                    version: VersionDir::Preferred(self.strings.resolve(v.version)),
                                    namespace: item.namespace.map(|n| self.strings.resolve(n)),
                                    name: &item.name,
                                }
                                .to_string(),
                                message: "differs from its unversioned copy; the two must be byte-identical".into(),
                            });
                        }
                    }
                }
            }
        }
        self.warnings.extend(extra);
        let strings = &self.strings;
        // Keys are unique, so an unstable sort orders the same and needs no scratch buffer.
        self.items.sort_unstable_by(|a, b| {
            let ka = (
                strings.resolve(a.gr),
                a.namespace.map_or("", |n| strings.resolve(n)),
                &a.name,
            );
            let kb = (
                strings.resolve(b.gr),
                b.namespace.map_or("", |n| strings.resolve(n)),
                &b.name,
            );
            ka.cmp(&kb)
        });

        let mut resources: BTreeMap<&str, Tally<'_>> = BTreeMap::new();
        let mut namespaces: BTreeMap<&str, u64> = BTreeMap::new();
        let mut cluster_scoped_items = 0;
        for item in &self.items {
            let r = resources.entry(strings.resolve(item.gr)).or_default();
            r.items += 1;
            match item.namespace {
                Some(ns) => {
                    r.namespaced = true;
                    *namespaces.entry(strings.resolve(ns)).or_default() += 1;
                }
                None => cluster_scoped_items += 1,
            }
            for v in item.versions.iter() {
                let name = strings.resolve(v.version);
                r.versions.insert(name);
                if v.preferred {
                    r.preferred = Some(name);
                }
            }
        }
        let resources = resources
            .into_iter()
            .map(|(gr, t)| {
                let mut versions: Vec<String> = t.versions.into_iter().map(String::from).collect();
                versions.sort_by(|a, b| version_priority(a, b));
                ResourceStats {
                    resource: gr.to_string(),
                    namespaced: t.namespaced,
                    items: t.items,
                    versions,
                    preferred_version: t.preferred.map(String::from),
                }
            })
            .collect();
        let namespaces = namespaces
            .into_iter()
            .map(|(ns, items)| NamespaceStats {
                namespace: ns.to_string(),
                items,
            })
            .collect();
        Index {
            strings: self.strings,
            items: self.items,
            resources,
            namespaces,
            cluster_scoped_items,
            stats,
            warnings: self.warnings,
            invalid: self.invalid,
            crds: self.crds,
            kinds: None,
            omitted: Vec::new(),
        }
    }
}
