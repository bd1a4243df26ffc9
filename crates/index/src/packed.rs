//! The one index builder. A read of an archive folds into a [`PackedIndex`]: every item is one
//! fixed record, names live in one string arena and each item's metadata is kept already encoded,
//! as the sidecar stores it, in a byte arena. That is ≈ 235 bytes an item with the key table
//! (measured at 1M items), with no allocation per item, and writing a sidecar is mostly a copy.
//! The queryable [`Index`] is decoded from it exactly as from a sidecar, so there is one
//! encoding of an item and no second layout to keep in step.

use crate::build::{Core, Facts, ItemParts, ItemStore, Key, KeyTable};
use crate::{EntryRef, Index, Sym, Versions};
use std::io::{self, Write};
use std::ops::ControlFlow;
use veloscope_archive::{ScanEvent, ScanStats};

/// Folds scan events into a [`PackedIndex`]: merges the entries of one logical item, checks that
/// the `-preferredversion` twin is byte-identical to the unversioned entry, records duplicates.
#[derive(Default)]
pub struct IndexBuilder {
    core: Core,
    store: Store,
}

#[derive(Default)]
struct Store {
    slots: Chunked<Slot>,
    table: KeyTable,
    names: Arena,
    facts: Arena,
    /// Where an item's facts are encoded before they are copied into their arena.
    scratch: Vec<u8>,
}

/// Items per chunk of [`Chunked`].
const CHUNK: usize = 1 << 14;
/// Bytes per chunk of [`Arena`].
const ARENA_CHUNK: usize = 1 << 20;

/// A vector grown in fixed chunks: a doubling `Vec` would hold its old and new buffers at once,
/// a transient of 1.5× the items at every growth.
struct Chunked<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Chunked<T> {
    fn push(&mut self, value: T) {
        match self.chunks.last_mut() {
            Some(last) if last.len() < CHUNK => last.push(value),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(value);
                self.chunks.push(chunk);
            }
        }
        self.len += 1;
    }

    fn get(&self, at: usize) -> &T {
        &self.chunks[at / CHUNK][at % CHUNK]
    }

    fn get_mut(&mut self, at: usize) -> &mut T {
        &mut self.chunks[at / CHUNK][at % CHUNK]
    }
}

/// Byte strings appended into chunks of a fixed capacity (for the same reason as [`Chunked`]); a
/// string never spans two chunks, so each is one slice, and one longer than a chunk gets a chunk
/// of its own. Addressed by chunk * ARENA_CHUNK + offset.
#[derive(Default)]
struct Arena {
    chunks: Vec<Vec<u8>>,
}

impl Arena {
    /// Appends one string; returns its address and length.
    fn push(&mut self, bytes: &[u8]) -> (u64, u32) {
        let room = self
            .chunks
            .last()
            .is_some_and(|c| c.len() + bytes.len() <= c.capacity().min(ARENA_CHUNK));
        if !room {
            self.chunks
                .push(Vec::with_capacity(ARENA_CHUNK.max(bytes.len())));
        }
        let last = self.chunks.len() - 1;
        let chunk = &mut self.chunks[last];
        let at = (last * ARENA_CHUNK + chunk.len()) as u64;
        chunk.extend_from_slice(bytes);
        (at, bytes.len() as u32)
    }

    fn get(&self, at: u64, len: u32) -> &[u8] {
        let (chunk, offset) = (at as usize / ARENA_CHUNK, at as usize % ARENA_CHUNK);
        self.chunks
            .get(chunk)
            .and_then(|c| c.get(offset..offset + len as usize))
            .unwrap_or(&[])
    }
}

/// Slots decoded per batch by [`PackedIndex::into_index_where`], and per task within a batch.
const DECODE_BATCH: usize = 1 << 16;
const DECODE_PART: usize = 1 << 12;

/// Moves each item to its place: `places[i]` is where `items[i]` belongs. The places are
/// distinct and, unless a part failed to decode, exactly `0..len`; otherwise they keep their
/// order among themselves.
fn put_in_order<T>(items: &mut [T], mut places: Vec<u32>) {
    if places.iter().any(|&p| p as usize >= items.len()) {
        let mut sorted = places.clone();
        sorted.sort_unstable();
        for p in &mut places {
            *p = sorted.partition_point(|&q| q < *p) as u32;
        }
    }
    // Each swap puts one item where it belongs: at most len swaps, no second vector of items.
    for i in 0..items.len() {
        while places[i] as usize != i {
            let j = places[i] as usize;
            items.swap(i, j);
            places.swap(i, j);
        }
    }
}

/// Which chunks of a [`Store`] each decode batch reads last, to free them after it.
struct Frees {
    slots: Vec<Option<usize>>,
    names: Vec<Option<usize>>,
    facts: Vec<Option<usize>>,
}

impl Frees {
    fn new(store: &Store) -> Frees {
        Frees {
            slots: vec![None; store.slots.chunks.len()],
            names: vec![None; store.names.chunks.len()],
            facts: vec![None; store.facts.chunks.len()],
        }
    }

    /// Batch `b` reads the slot at `at`, its name and its facts.
    fn read(&mut self, store: &Store, at: u32, b: usize) {
        let s = store.slots.get(at as usize);
        let mark = |last: &mut Vec<Option<usize>>, chunk: usize| {
            if let Some(l) = last.get_mut(chunk) {
                *l = Some(b);
            }
        };
        mark(&mut self.slots, at as usize / CHUNK);
        mark(&mut self.names, s.name_at as usize / ARENA_CHUNK);
        if s.facts_len > 0 {
            mark(&mut self.facts, s.facts_at as usize / ARENA_CHUNK);
        }
    }

    fn free_where(&self, store: &mut Store, when: impl Fn(Option<usize>) -> bool) {
        let free = |last: &[Option<usize>], chunks: &mut Vec<Vec<u8>>| {
            for (c, l) in last.iter().enumerate() {
                if when(*l) {
                    chunks[c] = Vec::new();
                }
            }
        };
        free(&self.names, &mut store.names.chunks);
        free(&self.facts, &mut store.facts.chunks);
        for (c, l) in self.slots.iter().enumerate() {
            if when(*l) {
                store.slots.chunks[c] = Vec::new();
            }
        }
    }

    /// Frees the chunks no batch reads (sections left out).
    fn free_unread(&self, store: &mut Store) {
        self.free_where(store, |l| l.is_none());
    }

    /// Frees the chunks batch `b` read last.
    fn free_after(&self, b: usize, store: &mut Store) {
        self.free_where(store, |l| l == Some(b));
    }
}

/// One item. `facts_len` 0 means no metadata was read (the encoding of empty facts is never 0
/// bytes long). Names and facts are addresses in their arenas.
pub(crate) struct Slot {
    name_at: u64,
    facts_at: u64,
    entry: Option<EntryRef>,
    versions: Versions,
    gr: Sym,
    namespace: Option<Sym>,
    kind: Option<Sym>,
    name_len: u32,
    facts_len: u32,
}

/// Names were stored from `&str`s, so the conversion never fails; "" would only hide a bug.
fn name_str<'a>(names: &'a Arena, s: &Slot) -> &'a str {
    std::str::from_utf8(names.get(s.name_at, s.name_len)).unwrap_or("")
}

fn key_at<'a>(slots: &'a Chunked<Slot>, names: &'a Arena, at: u32) -> Key<'a> {
    let s = slots.get(at as usize);
    (s.gr, s.namespace, names.get(s.name_at, s.name_len))
}

impl Store {
    fn key_of(&self, at: u32) -> Key<'_> {
        key_at(&self.slots, &self.names, at)
    }
}

/// Lets postcard append to a `Vec` it does not own.
struct Append<'a>(&'a mut Vec<u8>);

impl Extend<u8> for Append<'_> {
    fn extend<I: IntoIterator<Item = u8>>(&mut self, iter: I) {
        self.0.extend(iter);
    }
}

/// Appends the postcard encoding of `value`. The values encoded here are fixed-shape index
/// types, which postcard always encodes; a failure would leave `out` as it was.
fn encode_into<T: serde::Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> io::Result<()> {
    let before = out.len();
    postcard::to_extend(value, Append(out))
        .map(drop)
        .map_err(|e| {
            out.truncate(before);
            io::Error::other(format!("cannot encode the index: {e}"))
        })
}

impl ItemStore for Store {
    fn slot(&mut self, gr: Sym, ns: Option<Sym>, name: &str) -> usize {
        let hash = match self
            .table
            .find((gr, ns, name.as_bytes()), |i| self.key_of(i))
        {
            Ok(at) => return at,
            Err(hash) => hash,
        };
        let at = self.slots.len;
        let (name_at, name_len) = self.names.push(name.as_bytes());
        self.slots.push(Slot {
            name_at,
            facts_at: 0,
            entry: None,
            versions: Versions::new(),
            gr,
            namespace: ns,
            kind: None,
            name_len,
            facts_len: 0,
        });
        let (slots, names) = (&self.slots, &self.names);
        self.table.insert(hash, at, |i| key_at(slots, names, i));
        at
    }

    fn entry(&mut self, at: usize) -> &mut Option<EntryRef> {
        &mut self.slots.get_mut(at).entry
    }

    fn versions(&mut self, at: usize) -> &mut Versions {
        &mut self.slots.get_mut(at).versions
    }

    fn has_kind(&self, at: usize) -> bool {
        self.slots.get(at).kind.is_some()
    }

    fn set_facts(&mut self, at: usize, facts: Facts) {
        // A later entry's facts replace an earlier one's; the old bytes stay unused (rare:
        // duplicates, or a non-preferred version read before the unversioned entry).
        self.scratch.clear();
        if encode_into(&facts, &mut self.scratch).is_ok() {
            let (facts_at, facts_len) = self.facts.push(&self.scratch);
            let slot = self.slots.get_mut(at);
            slot.facts_at = facts_at;
            slot.facts_len = facts_len;
            slot.kind = facts.kind;
        }
    }
}

impl IndexBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Use as the scan visitor: `scan_archive(.., |ev| builder.add(ev))`.
    pub fn add(&mut self, event: ScanEvent<'_>) -> ControlFlow<()> {
        self.core.add(&mut self.store, event);
        ControlFlow::Continue(())
    }

    pub fn finish(self, stats: ScanStats) -> PackedIndex {
        let mut store = self.store;
        store.table = KeyTable::default();
        // Sort positions, not the records: 4 bytes an item moved instead of a whole record.
        let mut order: Vec<u32> = (0..store.slots.len as u32).collect();
        let summary = self.core.close(&store, &mut order, stats, |store, &at| {
            let s = store.slots.get(at as usize);
            ItemParts {
                key: store.key_of(at),
                entry: s.entry,
                versions: &s.versions,
            }
        });
        PackedIndex {
            summary,
            store,
            order,
        }
    }
}

/// An index in the packed layout: its summary (an [`Index`] without items) and the items, in
/// key order, ready to be written as sidecar sections.
pub struct PackedIndex {
    pub summary: Index,
    store: Store,
    /// Item positions in key order.
    order: Vec<u32>,
}

impl PackedIndex {
    pub fn item_count(&self) -> usize {
        self.order.len()
    }

    /// The queryable index, its items decoded from their encoded sections as a sidecar read
    /// decodes them.
    pub fn into_index(self) -> Index {
        self.into_index_where(&|_, _, _| true)
    }

    /// Like [`PackedIndex::into_index`], decoding only the sections (group-resource, namespace)
    /// `keep` accepts, as a sidecar read of those sections would: a filtered command over an
    /// archive read without a sidecar then holds the packed index and its few sections, not a
    /// second copy of every item. Counts, resources and warnings stay whole.
    pub fn into_index_where(self, keep: &dyn Fn(&Index, Sym, Option<Sym>) -> bool) -> Index {
        self.decode(keep, DECODE_BATCH, DECODE_PART)
    }

    /// [`PackedIndex::into_index_where`], `batch` slots per batch, `part` per task.
    fn decode(
        mut self,
        keep: &dyn Fn(&Index, Sym, Option<Sym>) -> bool,
        batch: usize,
        part: usize,
    ) -> Index {
        use rayon::prelude::*;
        let mut omitted = Vec::new();
        // Every resource's kinds, as a sidecar's head gives them (`kinds_of` must see the
        // resources left out too).
        let mut kinds: std::collections::BTreeMap<Sym, std::collections::BTreeSet<Sym>> =
            Default::default();
        // The kept sections, as ranges of `order`.
        let mut ranges: Vec<std::ops::Range<usize>> = Vec::new();
        let mut from = 0;
        for section in self.sections() {
            let range = from..from + section.len();
            from = range.end;
            let Some(&at) = section.first() else { continue };
            let s = self.slot(at);
            let entry = kinds.entry(s.gr).or_default();
            entry.extend(section.iter().filter_map(|&at| self.slot(at).kind()));
            if keep(&self.summary, s.gr, s.namespace) {
                ranges.push(range);
            } else {
                omitted.push((s.gr, s.namespace, section.len() as u64));
            }
        }
        let partial = !omitted.is_empty();
        // Each kept item's place in the answer (key order); the rest are never decoded.
        let mut rank = vec![u32::MAX; self.store.slots.len];
        let mut count = 0u32;
        for r in &ranges {
            for &at in &self.order[r.clone()] {
                rank[at as usize] = count;
                count += 1;
            }
        }
        self.order = Vec::new();
        // Items decode in the order the archive gave them, a batch of slot chunks at a time on
        // every core, and each batch frees the packed chunks no later batch reads: slots,
        // names and facts were appended in that order, so the packed form shrinks as the
        // decoded one grows, whatever the archive's order (in key order, an archive whose
        // namespaces are spread over it would hold both whole). Then the decoded items are put
        // in key order where they lie.
        let mut frees = Frees::new(&self.store);
        let slots = self.store.slots.len;
        let kept: Vec<Vec<u32>> = (0..slots)
            .step_by(batch)
            .enumerate()
            .map(|(b, from)| {
                let at: Vec<u32> = (from..from.saturating_add(batch).min(slots))
                    .filter(|&at| rank[at] != u32::MAX)
                    .map(|at| at as u32)
                    .collect();
                for &a in &at {
                    frees.read(&self.store, a, b);
                }
                at
            })
            .collect();
        frees.free_unread(&mut self.store);
        let mut items = Vec::with_capacity(count as usize);
        // Where each decoded item goes (its rank), in decoded order.
        let mut places: Vec<u32> = Vec::with_capacity(count as usize);
        for (b, at) in kept.iter().enumerate() {
            let decoded: Vec<(Vec<crate::Item>, &[u32])> = at
                .par_chunks(part)
                .map(|part| {
                    let mut buf = Vec::new();
                    let mut items = Vec::with_capacity(part.len());
                    // Encoding into memory and decoding what was just encoded cannot fail; a
                    // failure would be a bug in the encoding, and leaves the part out.
                    if self.write_section(part, &mut buf).is_err()
                        || crate::sidecar::decode_items(&buf, &mut items).is_err()
                        || items.len() != part.len()
                    {
                        items.clear();
                    }
                    (items, part)
                })
                .collect();
            for (part_items, part) in decoded {
                if !part_items.is_empty() {
                    places.extend(part.iter().map(|&a| rank[a as usize]));
                    items.extend(part_items);
                }
            }
            frees.free_after(b, &mut self.store);
        }
        drop(rank);
        put_in_order(&mut items, places);
        let PackedIndex {
            summary: mut index, ..
        } = self;
        index.items = items;
        if partial {
            index.omitted = omitted;
            index.kinds = Some(
                kinds
                    .into_iter()
                    .map(|(gr, k)| (gr, k.into_iter().collect()))
                    .collect(),
            );
        }
        index
    }

    pub(crate) fn slot(&self, at: u32) -> &Slot {
        self.store.slots.get(at as usize)
    }

    /// The item positions of each (group-resource, namespace), in key order.
    pub(crate) fn sections(&self) -> impl Iterator<Item = &[u32]> {
        self.order.chunk_by(|&a, &b| {
            let (a, b) = (self.slot(a), self.slot(b));
            a.gr == b.gr && a.namespace == b.namespace
        })
    }

    /// Writes a section as the postcard encoding of a `[Item]`: the length, then each item's
    /// fields, its stored facts copied in between its name and its entries.
    pub(crate) fn write_section(&self, section: &[u32], out: &mut dyn Write) -> io::Result<()> {
        let mut empty = Vec::new();
        encode_into(&Facts::default(), &mut empty)?;
        let mut buf = Vec::with_capacity(128 << 10);
        encode_into(&section.len(), &mut buf)?;
        for &at in section {
            let s = self.slot(at);
            encode_into(
                &(s.gr, s.namespace, name_str(&self.store.names, s)),
                &mut buf,
            )?;
            match self.store.facts.get(s.facts_at, s.facts_len) {
                [] => buf.extend_from_slice(&empty),
                facts => buf.extend_from_slice(facts),
            }
            encode_into(&(s.entry, &s.versions), &mut buf)?;
            if buf.len() >= 64 << 10 {
                out.write_all(&buf)?;
                buf.clear();
            }
        }
        out.write_all(&buf)
    }
}

impl Slot {
    pub(crate) fn gr(&self) -> Sym {
        self.gr
    }

    pub(crate) fn namespace(&self) -> Option<Sym> {
        self.namespace
    }

    pub(crate) fn kind(&self) -> Option<Sym> {
        self.kind
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arena_strings_stay_whole_across_chunks() {
        let mut arena = Arena::default();
        let small = vec![b'a'; ARENA_CHUNK - 10];
        let big = vec![b'b'; ARENA_CHUNK * 2 + 5];
        let stored: Vec<(Vec<u8>, (u64, u32))> = [&small[..], b"0123456789xyz", &big, b"", b"tail"]
            .into_iter()
            .map(|bytes| (bytes.to_vec(), arena.push(bytes)))
            .collect();
        for (bytes, (at, len)) in &stored {
            assert_eq!(arena.get(*at, *len), &bytes[..]);
        }
        // The string that did not fit moved whole to the next chunk.
        assert_eq!(stored[1].1.0, ARENA_CHUNK as u64);
        assert!(arena.get(u64::MAX, 3).is_empty());
    }

    fn sonobuoy() -> PackedIndex {
        let tarball = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/bsl/backups/sonobuoy-k8s114/sonobuoy-k8s114.tar.gz");
        let mut builder = IndexBuilder::new();
        let stats =
            veloscope_archive::scan_archive(&tarball, &Default::default(), &|_, _| {}, |event| {
                builder.add(event)
            })
            .expect("the fixture reads");
        builder.finish(stats)
    }

    /// Decoding in many small batches (every chunk freed as soon as it is read) and parts gives
    /// the index one batch gives, with or without sections left out.
    #[test]
    fn small_batches_decode_the_same_index() {
        let json = |items: &[&crate::Item]| serde_json::to_string(items).expect("items serialize");
        let all_of = |i: &Index| json(&i.items.iter().collect::<Vec<_>>());
        let all = |_: &Index, _, _| true;
        let whole = sonobuoy().decode(&all, usize::MAX, usize::MAX);
        assert!(whole.items.len() > 100, "{}", whole.items.len());
        // In key order: each item is where a lookup of its key finds it.
        for (at, i) in whole.items.iter().enumerate() {
            let found = whole.position(whole.gr(i), whole.namespace(i), &i.name);
            assert_eq!(found, Some(at), "{}", i.name);
        }
        let small = sonobuoy().decode(&all, 7, 3);
        assert_eq!(all_of(&small), all_of(&whole));
        let no_pods = |i: &Index, gr: Sym, _| i.str(gr) != "pods";
        let filtered = sonobuoy().decode(&no_pods, 5, 2);
        let expected: Vec<&crate::Item> = whole
            .items
            .iter()
            .filter(|i| whole.str(i.gr) != "pods")
            .collect();
        assert!(expected.len() < whole.items.len());
        assert_eq!(all_of(&filtered), json(&expected));
        assert!(!filtered.omitted.is_empty());
    }

    /// A sidecar's sections visited one at a time hold, in turn, the items a whole read gives,
    /// each section decoded alone.
    #[test]
    fn visited_sections_are_the_whole_index_in_turn() {
        use crate::sidecar::{Fingerprint, read, visit_sections, write};
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.vsidx");
        let fingerprint = Fingerprint {
            size: 1,
            mtime_secs: 2,
            mtime_nanos: 3,
            head: 4,
            tail: 5,
        };
        let access = veloscope_archive::Access::Direct;
        write(&path, &fingerprint, &access, &[7], &sonobuoy()).expect("written");
        let (_, whole) = read(&path, &fingerprint).expect("read");
        let (mut seen, mut sections) = (Vec::new(), 0);
        let (reach, head) = visit_sections(&path, &fingerprint, &mut |head, section| {
            sections += 1;
            let first = &section[0];
            assert!(
                section
                    .iter()
                    .all(|i| i.gr == first.gr && i.namespace == first.namespace)
            );
            seen.extend(
                section
                    .iter()
                    .map(|i| format!("{}/{:?}/{}", head.gr(i), head.namespace(i), i.name)),
            );
        })
        .expect("visited");
        let expected: Vec<String> = whole
            .items
            .iter()
            .map(|i| format!("{}/{:?}/{}", whole.gr(i), whole.namespace(i), i.name))
            .collect();
        assert_eq!(seen, expected);
        assert!(sections > 10, "{sections}");
        assert!(head.items.is_empty());
        assert_eq!(reach.digest, [7]);
        // A stale fingerprint is refused before any section is visited.
        let stale = Fingerprint {
            size: 9,
            ..fingerprint
        };
        let refused = visit_sections(&path, &stale, &mut |_, _| panic!("visited a stale sidecar"));
        assert!(refused.is_err());
    }

    #[test]
    fn items_are_put_in_their_places() {
        let mut items = vec!['c', 'a', 'd', 'b', 'e'];
        put_in_order(&mut items, vec![2, 0, 3, 1, 4]);
        assert_eq!(items, ['a', 'b', 'c', 'd', 'e']);
        // A part left out leaves gaps: the others keep their relative order.
        let mut items = vec!['z', 'x', 'y'];
        put_in_order(&mut items, vec![9, 1, 4]);
        assert_eq!(items, ['x', 'y', 'z']);
    }

    #[test]
    fn chunked_positions_span_chunks() {
        let mut v = Chunked::default();
        for i in 0..(CHUNK * 2 + 3) {
            v.push(i);
        }
        assert_eq!(v.len, CHUNK * 2 + 3);
        assert_eq!(*v.get(CHUNK + 1), CHUNK + 1);
        *v.get_mut(CHUNK * 2) = 7;
        assert_eq!(*v.get(CHUNK * 2), 7);
    }
}
