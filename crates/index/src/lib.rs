//! The in-memory index of one backup: every logical item keyed by (group-resource, namespace,
//! name) with the metadata selection needs, its entries (unversioned, `-preferredversion` twin,
//! other versions), per-resource and per-namespace counts, and the reader's warnings.
//! Repeated strings are interned; items are sorted by key so output order is deterministic.
//!
//! ```
//! use std::path::Path;
//! use veloscope_archive::{ScanOptions, scan_archive};
//! use veloscope_index::IndexBuilder;
//!
//! let tarball = Path::new(env!("CARGO_MANIFEST_DIR"))
//!     .join("../../fixtures/bsl/backups/edge-cases/edge-cases.tar");
//! let mut builder = IndexBuilder::new();
//! let stats = scan_archive(&tarball, &ScanOptions::default(), &|_, _| {}, |event| {
//!     builder.add(event)
//! })?;
//! let index = builder.finish(stats).into_index();
//! assert_eq!(index.items.len(), 13);
//! assert!(index.position("pods", Some("edge"), "skip-me").is_some());
//! # Ok::<(), veloscope_archive::ArchiveError>(())
//! ```

// The Unix file APIs this crate uses are listed in docs/architecture.md ("Platform").
#[cfg(not(unix))]
compile_error!("veloscope builds on Unix (Linux, macOS): see docs/architecture.md, \"Platform\"");

pub mod atomic;
mod build;
mod interner;
mod packed;
pub mod sidecar;

pub use interner::{Interner, Sym};
pub use packed::{IndexBuilder, PackedIndex};

use serde::{Deserialize, Serialize};
use veloscope_archive::{Details, ScanStats, ScanWarning};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryRef {
    pub hash: u64,
    pub size: u64,
    /// Where the body starts in the decompressed tar stream.
    pub offset: u64,
}

impl EntryRef {
    /// Whether two entries hold the same bytes (by hash and size; offsets differ by nature).
    pub fn same_bytes(&self, other: &EntryRef) -> bool {
        self.hash == other.hash && self.size == other.size
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionEntry {
    pub version: Sym,
    pub preferred: bool,
    pub entry: EntryRef,
}

/// An item's versioned entries. Nearly every item has one (its `-preferredversion` twin), kept
/// inline rather than in an allocation of its own.
pub type Versions = smallvec::SmallVec<[VersionEntry; 1]>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    pub kind: Sym,
    pub name: Box<str>,
    pub controller: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Item {
    pub gr: Sym,
    pub namespace: Option<Sym>,
    pub name: Box<str>,
    pub api_version: Option<Sym>,
    pub kind: Option<Sym>,
    pub labels: Box<[(Sym, Sym)]>,
    /// The annotations veloscope acts on and the owner references; most items have neither, so
    /// they take one pointer, not two slices.
    pub extra: Option<Box<ItemExtra>>,
    pub deleting: bool,
    /// Kind-specific facts (pods, PVCs, PVs, jobs, namespaces, role bindings).
    pub details: Details,
    /// The unversioned entry; None when the archive has only versioned copies.
    pub entry: Option<EntryRef>,
    pub versions: Versions,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemExtra {
    /// Only the annotations veloscope acts on: `*velero.io/*` keys and `kubernetes.io/config.mirror`.
    pub annotations: Box<[(Sym, Box<str>)]>,
    pub owners: Box<[Owner]>,
}

impl Item {
    pub fn annotations(&self) -> &[(Sym, Box<str>)] {
        self.extra.as_ref().map_or(&[], |x| &x.annotations)
    }

    pub fn owners(&self) -> &[Owner] {
        self.extra.as_ref().map_or(&[], |x| &x.owners)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceStats {
    pub resource: String,
    pub namespaced: bool,
    pub items: u64,
    pub versions: Vec<String>,
    pub preferred_version: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NamespaceStats {
    pub namespace: String,
    pub items: u64,
}

/// An item whose body is not a valid JSON object.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InvalidItem {
    pub entry: String,
    pub message: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Index {
    pub strings: Interner,
    pub items: Vec<Item>,
    pub resources: Vec<ResourceStats>,
    pub namespaces: Vec<NamespaceStats>,
    pub cluster_scoped_items: u64,
    pub stats: ScanStats,
    pub warnings: Vec<ScanWarning>,
    pub invalid: Vec<InvalidItem>,
    /// The resources defined by the CustomResourceDefinitions in the archive.
    pub crds: Vec<veloscope_model::ResourceInfo>,
    /// Kinds per group-resource, when the index was read from a sidecar (which may have loaded
    /// only some items; `kinds_of` must still see every resource's kinds).
    #[serde(skip)]
    pub kinds: Option<Vec<(Sym, Vec<Sym>)>>,
    /// Item sections a partial sidecar read left out: (group-resource, namespace, item count).
    #[serde(skip)]
    pub omitted: Vec<(Sym, Option<Sym>, u64)>,
}

impl Index {
    /// Items in the archive, counting those a partial sidecar read left out.
    pub fn item_count(&self) -> u64 {
        self.items.len() as u64 + self.omitted.iter().map(|o| o.2).sum::<u64>()
    }

    pub fn str(&self, sym: Sym) -> &str {
        self.strings.resolve(sym)
    }

    pub fn gr(&self, item: &Item) -> &str {
        self.str(item.gr)
    }

    pub fn namespace(&self, item: &Item) -> Option<&str> {
        item.namespace.map(|s| self.str(s))
    }

    pub fn label<'a>(&'a self, item: &Item, key: &str) -> Option<&'a str> {
        item.labels
            .iter()
            .find(|(k, _)| self.str(*k) == key)
            .map(|(_, v)| self.str(*v))
    }

    pub fn annotation<'a>(&self, item: &'a Item, key: &str) -> Option<&'a str> {
        item.annotations()
            .iter()
            .find(|(k, _)| self.str(*k) == key)
            .map(|(_, v)| &**v)
    }

    fn key_of<'a>(&'a self, item: &'a Item) -> (&'a str, &'a str, &'a str) {
        (
            self.gr(item),
            self.namespace(item).unwrap_or(""),
            &item.name,
        )
    }

    /// The positions of one group-resource's items, in key order.
    pub fn range_of(&self, gr: &str) -> std::ops::Range<usize> {
        let start = self.items.partition_point(|i| self.gr(i) < gr);
        let end = self.items.partition_point(|i| self.gr(i) <= gr);
        start..end
    }

    /// The items of one group-resource, in key order.
    pub fn items_of(&self, gr: &str) -> &[Item] {
        &self.items[self.range_of(gr)]
    }

    /// The position of an item by key.
    pub fn position(&self, gr: &str, namespace: Option<&str>, name: &str) -> Option<usize> {
        let key = (gr, namespace.unwrap_or(""), name);
        self.items
            .binary_search_by(|i| self.key_of(i).cmp(&key))
            .ok()
    }

    pub fn find(&self, gr: &str, namespace: Option<&str>, name: &str) -> Option<&Item> {
        self.position(gr, namespace, name).map(|at| &self.items[at])
    }

    pub fn resource(&self, gr: &str) -> Option<&ResourceStats> {
        self.resources.iter().find(|r| r.resource == gr)
    }

    /// Kind strings seen for a group-resource (to resolve `show deployment x` style names).
    pub fn kinds_of(&self, gr: &str) -> Vec<&str> {
        if let Some(kinds) = &self.kinds {
            return kinds
                .iter()
                .find(|(g, _)| self.str(*g) == gr)
                .map(|(_, k)| k.iter().map(|&s| self.str(s)).collect())
                .unwrap_or_default();
        }
        let mut kinds: Vec<&str> = self
            .items_of(gr)
            .iter()
            .filter_map(|i| i.kind.map(|k| self.str(k)))
            .collect();
        kinds.sort_unstable();
        kinds.dedup();
        kinds
    }
}
