//! The incremental Hamming-distance index.
//!
//! Storage is log-structured. New items go to a small unsorted buffer that
//! queries scan linearly. When it fills up it becomes a sorted *run*: the items
//! sorted by `(fingerprint, id)` plus one table per key-block combination of the
//! layout, each table holding the run's distinct fingerprints permuted (key
//! blocks on top) and sorted, with a small directory on the top bits. A run is
//! merged into the one before it while that one is at most 4 times larger
//! (linear merges, no re-sorting), so there are O(log n) runs, each covering a
//! contiguous stretch of insertions, and each item is merged O(log n) times:
//! insertion is amortised O(tables * log n). Runs are immutable and shared,
//! so a clone of the index is a cheap snapshot that other threads can query.
//!
//! A query permutes the fingerprint once per table, reads the directory slot
//! of its key and compares the few fingerprints there. Only matches are mapped
//! back (inverse permutation, then a binary search in the run's items) to the
//! ids that carry them; a fingerprint stored under many ids is one table entry.
//!
//! # File format, version 1
//!
//! Written by [`Index::save`] and [`Index::write_to`], read by [`Index::load`]
//! and [`Index::read_from`].
//!
//! All integers little-endian.
//!
//! | byte offset | size | field |
//! |---|---|---|
//! | 0 | 8 | magic `SPSFTIDX` |
//! | 8 | 4 | version, `1` |
//! | 12 | 4 | `max_distance` |
//! | 16 | 4 | `blocks` |
//! | 20 | 4 | reserved, `0` |
//! | 24 | 8 | `count`, the number of items |
//! | 32 | 16 × count | items sorted by `(fingerprint, id)`: fingerprint `u64`, id `u64` |
//! | 32 + 16 × count | 8 | checksum |
//!
//! Only the items are stored; the tables are rebuilt on load (a radix sort per
//! table, parallel), which keeps files at 16 bytes per item whatever the layout.
//!
//! The checksum is FNV-1a 64 taken over 8-byte little-endian words instead of
//! bytes: start from `0xcbf29ce484222325`, then for each word `w` of everything
//! before the checksum, `h = (h ^ w) * 0x100000001b3` (wrapping). Every step is
//! a bijection of `h` for a given `w`, so any change confined to one word is
//! always detected; the word-wise form runs at memory speed, eight times faster
//! than the byte-wise one.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

mod file;
mod join;
mod layout;
mod radix;

pub use self::join::{GroupPair, Pair, SelfJoin, SelfJoinBuilder};
pub use self::layout::{Layout, MAX_DISTANCE, MAX_TABLES};

use self::join::{resolve_threads, sort_items};
use self::layout::Plan;
use crate::{Error, Result};
use radix::sort_by_top_bits;

/// Default for [`IndexBuilder::buffer_capacity`].
const BUFFER_CAP: usize = 1024;

/// A new run is merged into the one before it while that one holds at most
/// this many times as many items. Every run costs a query one probe per
/// table, and a larger ratio means fewer runs (about `log_4 n` instead of
/// `log_2 n`) for about as much merging: an item is copied about
/// `ratio / 2` times per level instead of once, over half as many levels.
const MERGE_RATIO: usize = 4;

/// Runs of fewer distinct fingerprints sort their tables with a comparison
/// sort instead of the radix sort.
const SMALL_RUN: usize = 4096;

/// Automatic block count per `max_distance` for an [`Index`]; see
/// [`IndexBuilder::layout`].
const QUERY_BLOCKS: [u32; 9] = [1, 2, 3, 5, 6, 7, 8, 9, 10];

/// A fingerprint and the caller's id for the text it came from.
///
/// Ids are `u64`: a corpus of terabytes holds tens of billions of paragraphs,
/// beyond `u32`, and callers often pack a document number and a paragraph
/// number into one id. The 4 extra bytes per item are small next to the
/// 8 bytes per table an index needs anyway.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Item {
    /// The 64-bit SimHash fingerprint.
    pub fingerprint: u64,
    /// The caller's id, e.g. a paragraph number. Ids need not be unique.
    pub id: u64,
}

impl Item {
    /// An item.
    pub const fn new(fingerprint: u64, id: u64) -> Item {
        Item { fingerprint, id }
    }
}

/// A stored item within the distance of a query.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Match {
    /// The stored item's id.
    pub id: u64,
    /// The stored item's fingerprint.
    pub fingerprint: u64,
    /// The Hamming distance to the query, `<= max_distance`.
    pub distance: u32,
}

/// Configures and builds an [`Index`].
#[derive(Clone, Debug)]
pub struct IndexBuilder {
    max_distance: u32,
    layout: Layout,
    threads: usize,
    buffer_capacity: usize,
}

impl Default for IndexBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl IndexBuilder {
    /// A builder with the defaults: `max_distance` 3, [`Layout::Auto`], all cores.
    pub fn new() -> IndexBuilder {
        IndexBuilder {
            max_distance: 3,
            layout: Layout::Auto,
            threads: 0,
            buffer_capacity: BUFFER_CAP,
        }
    }

    /// Queries find stored items at Hamming distance `<= max_distance`
    /// (inclusive), at most [`MAX_DISTANCE`]. Default: 3.
    pub fn max_distance(&mut self, max_distance: u32) -> &mut Self {
        self.max_distance = max_distance;
        self
    }

    /// The block layout. Default: [`Layout::Auto`], which uses
    /// `max_distance + 1` blocks for `max_distance <= 2` and `max_distance + 2`
    /// blocks above, that is 1, 2, 3, 10, 15, 21, 28, 36, 45 tables for
    /// `max_distance` 0 to 8.
    ///
    /// Why: each table costs 8 bytes per stored fingerprint, and a query
    /// compares about `n / 2^key_bits` stored fingerprints per table. Up to
    /// `k = 2` a single key block is already 21 bits or more, so a query on 10^7
    /// fingerprints compares about 5 per table with the fewest tables possible.
    /// From `k = 3` a single block would be 16 bits or less (150 candidates
    /// per table at 10^7); two key blocks give 25 bits at `k = 3` for 10 tables,
    /// where three would need 20 tables. Beyond `k = 4` two-block keys shrink to
    /// 12 bits at `k = 8`, but three-block keys would need 84 to 165 tables
    /// (over 1 KiB per fingerprint): the automatic choice caps memory and lets
    /// queries at large `k` scan longer. Choose [`Layout::Blocks`] to trade the
    /// other way.
    pub fn layout(&mut self, layout: Layout) -> &mut Self {
        self.layout = layout;
        self
    }

    /// Shorthand for `layout(Layout::Blocks(blocks))`. Default: automatic.
    pub fn blocks(&mut self, blocks: u32) -> &mut Self {
        self.layout(Layout::Blocks(blocks))
    }

    /// Threads used to build tables for large batches ([`Index::extend`],
    /// loading); 0 means one per available core. Default: 0.
    pub fn threads(&mut self, threads: usize) -> &mut Self {
        self.threads = threads;
        self
    }

    /// How many inserted items wait in an unsorted buffer, which every query
    /// scans linearly, before they are sorted into tables. Larger buffers make
    /// inserts cheaper and queries slower; 1 sorts every insert at once.
    /// Default: 1024.
    pub fn buffer_capacity(&mut self, items: usize) -> &mut Self {
        self.buffer_capacity = items;
        self
    }

    /// Checks the parameters and builds an empty index. Can be called again.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `max_distance` is above
    /// [`MAX_DISTANCE`], or an explicit block count is not
    /// above `max_distance`, is above 64, or needs more than
    /// [`MAX_TABLES`] tables, or `buffer_capacity` is 0.
    pub fn build(&self) -> Result<Index> {
        if self.buffer_capacity == 0 {
            return Err(Error::Config(
                "buffer_capacity 0 is below the minimum 1".to_string(),
            ));
        }
        let blocks = match self.layout {
            Layout::Auto => {
                layout::check_distance(self.max_distance)?;
                QUERY_BLOCKS[self.max_distance as usize]
            }
            Layout::Blocks(b) => b,
        };
        layout::check(self.max_distance, blocks)?;
        Ok(Index {
            plan: Plan::new(self.max_distance, blocks),
            threads: resolve_threads(self.threads),
            buffer_capacity: self.buffer_capacity,
            buffer: Vec::new(),
            runs: Vec::new(),
            len: 0,
        })
    }
}

/// An exact index of 64-bit fingerprints under Hamming distance `<= k`.
///
/// Answers are exactly those of comparing the query with every stored item,
/// for every layout. Queries see every item inserted before them.
///
/// ```
/// use spamsift::neardup::Index;
///
/// let mut index = Index::new(3)?;
/// index.insert(0xF0F0_F0F0_F0F0_F0F0, 7);
/// index.insert(0x0F0F_0F0F_0F0F_0F0F, 8);
///
/// // Three bits differ from item 7: a near duplicate.
/// let hits = index.matches(0xF0F0_F0F0_F0F0_F0F7);
/// assert_eq!(hits.len(), 1);
/// assert_eq!((hits[0].id, hits[0].distance), (7, 3));
///
/// // Deduplicate a stream: report what was seen before, then remember it.
/// let mut seen = Vec::new();
/// index.query_then_insert(0x0F0F_0F0F_0F0F_0F0E, 9, |m| seen.push(m.id));
/// assert_eq!(seen, [8]);
/// assert_eq!(index.len(), 3);
/// # Ok::<(), spamsift::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Index {
    pub(crate) plan: Plan,
    pub(crate) threads: usize,
    buffer_capacity: usize,
    buffer: Vec<Item>,
    /// Oldest first; each covers a contiguous stretch of insertions. Shared,
    /// so a clone of the index (a snapshot another thread can query while
    /// this one goes on inserting) copies only the buffer.
    runs: Vec<Arc<Run>>,
    len: usize,
}

#[derive(Clone, Debug)]
struct Run {
    /// The number of items inserted into the index before and with this
    /// run's newest item: the run holds insertions `end - items.len()..end`.
    end: usize,
    /// Sorted by `(fingerprint, id)`.
    items: Vec<Item>,
    /// Finds an item's fingerprint without a binary search.
    dir: Directory,
    /// One per table of the plan.
    tables: Vec<Table>,
}

#[derive(Clone, Debug)]
struct Table {
    /// The run's distinct fingerprints, permuted, sorted.
    sorted: Vec<u64>,
    dir: Directory,
}

/// Offsets of the entries of a sorted array by their top bits, so a lookup
/// reads two adjacent offsets and a few entries instead of binary searching.
#[derive(Clone, Debug)]
struct Directory {
    /// `offsets[d]..offsets[d + 1]` are the entries whose top `bits` bits are `d`.
    offsets: Vec<usize>,
    bits: u32,
}

impl Directory {
    /// `keys` are sorted; at most `max_bits` top bits are used.
    fn new<I: Iterator<Item = u64>>(keys: I, len: usize, max_bits: u32) -> Directory {
        // About 8 entries per slot: one or two cache lines to scan, and a
        // directory of 1 byte per entry.
        let log = (usize::BITS - len.leading_zeros()).saturating_sub(1);
        let bits = log.saturating_sub(3).min(max_bits);
        let mut offsets = vec![0usize; (1usize << bits) + 1];
        if bits > 0 {
            for x in keys {
                offsets[(x >> (64 - bits)) as usize + 1] += 1;
            }
            for i in 1..offsets.len() {
                offsets[i] += offsets[i - 1];
            }
        } else {
            offsets[1] = len;
        }
        Directory { offsets, bits }
    }

    #[inline]
    fn range(&self, x: u64) -> std::ops::Range<usize> {
        let d = if self.bits == 0 {
            0
        } else {
            (x >> (64 - self.bits)) as usize
        };
        self.offsets[d]..self.offsets[d + 1]
    }

    fn memory_usage(&self) -> usize {
        self.offsets.capacity() * size_of::<usize>()
    }
}

impl Table {
    fn new(sorted: Vec<u64>, key_bits: u32) -> Table {
        let dir = Directory::new(sorted.iter().copied(), sorted.len(), key_bits);
        Table { sorted, dir }
    }

    fn memory_usage(&self) -> usize {
        self.sorted.capacity() * 8 + self.dir.memory_usage()
    }
}

impl Run {
    /// Builds the tables of items sorted by `(fingerprint, id)`.
    fn build(items: Vec<Item>, plan: &Plan, threads: usize) -> Run {
        debug_assert!(items.is_sorted());
        let distinct = usize::from(!items.is_empty())
            + items
                .windows(2)
                .filter(|w| w[0].fingerprint != w[1].fingerprint)
                .count();
        let fps = || {
            items
                .iter()
                .enumerate()
                .filter(|&(i, it)| i == 0 || items[i - 1].fingerprint != it.fingerprint)
                .map(|(_, it)| it.fingerprint)
        };
        let build_one = |t: usize, scratch: &mut Vec<u64>| {
            let tp = &plan.tables[t];
            let mut sorted = Vec::new();
            if distinct < SMALL_RUN {
                // A flushed buffer: the radix sort's passes and counters
                // cost 20 times a comparison sort at this size.
                sorted.extend(fps().map(|x| tp.forward.apply(x)));
                sorted.sort_unstable();
            } else {
                sort_by_top_bits(
                    fps().map(|x| tp.forward.apply(x)),
                    distinct,
                    64,
                    &mut sorted,
                    scratch,
                    |_| {},
                );
            }
            Table::new(sorted, tp.key_bits)
        };
        let n = plan.tables.len();
        let threads = if items.len() < 1 << 14 {
            1
        } else {
            threads.min(n)
        };
        let tables = if threads <= 1 {
            let mut scratch = Vec::new();
            (0..n).map(|t| build_one(t, &mut scratch)).collect()
        } else {
            let next = AtomicUsize::new(0);
            let done = Mutex::new(Vec::with_capacity(n));
            let work = || {
                let mut scratch = Vec::new();
                loop {
                    let t = next.fetch_add(1, Ordering::Relaxed);
                    if t >= n {
                        break;
                    }
                    let table = build_one(t, &mut scratch);
                    done.lock().expect("no panics while held").push((t, table));
                }
            };
            std::thread::scope(|s| {
                for _ in 1..threads {
                    s.spawn(work);
                }
                work();
            });
            let mut done = done.into_inner().expect("no panics while held");
            done.sort_unstable_by_key(|(t, _)| *t);
            done.into_iter().map(|(_, table)| table).collect()
        };
        Run::new(items, tables, 0)
    }

    /// Merges two runs without re-sorting anything; `b` holds the later
    /// insertions.
    fn merge(a: &Run, b: &Run, plan: &Plan) -> Run {
        let items = merge_sorted(&a.items, &b.items, false);
        let tables = a
            .tables
            .iter()
            .zip(&b.tables)
            .zip(&plan.tables)
            .map(|((x, y), tp)| Table::new(merge_sorted(&x.sorted, &y.sorted, true), tp.key_bits))
            .collect();
        Run::new(items, tables, b.end)
    }

    fn new(items: Vec<Item>, tables: Vec<Table>, end: usize) -> Run {
        let dir = Directory::new(items.iter().map(|it| it.fingerprint), items.len(), 64);
        Run {
            end,
            items,
            dir,
            tables,
        }
    }

    /// The items with this fingerprint.
    fn group(&self, fp: u64) -> &[Item] {
        let slot = &self.items[self.dir.range(fp)];
        let start = slot.partition_point(|it| it.fingerprint < fp);
        let len = slot[start..].partition_point(|it| it.fingerprint == fp);
        &slot[start..start + len]
    }

    fn memory_usage(&self) -> usize {
        self.items.capacity() * size_of::<Item>()
            + self.dir.memory_usage()
            + self.tables.capacity() * size_of::<Table>()
            + self.tables.iter().map(Table::memory_usage).sum::<usize>()
    }
}

/// Calls `on_match` for every buffered item within distance `k` of
/// `fingerprint`.
///
/// Matches are rare, so the scan first asks branch-free whether a block of
/// items holds any (a loop the compiler turns into vector code), and looks
/// at the items one by one only in the blocks that do. The question is a
/// pigeonhole filter: split into `k + 1` or more lanes, two fingerprints
/// within distance `k` agree on a whole lane, and whether the XOR of two
/// has a zero lane is three word operations (`(x - 0x0001…) & !x & 0x8000…`
/// is non-zero exactly when some lane of `x` is zero), where `count_ones`
/// has no vector instruction on the baseline x86-64 target. Four 16-bit
/// lanes serve `k <= 3`, eight bytes `k <= 7`; larger `k` counts bits.
#[inline]
pub(crate) fn scan_buffer<F: FnMut(Match)>(
    buffer: &[Item],
    fingerprint: u64,
    k: u32,
    on_match: &mut F,
) {
    let (ones, highs) = lanes(k);
    for block in buffer.chunks(SCAN_BLOCK) {
        if ones != 0 {
            // The lane test of every item OR-ed, masked once: no compare
            // and no branch per item.
            let mut any = 0;
            for it in block {
                let x = it.fingerprint ^ fingerprint;
                any |= x.wrapping_sub(ones) & !x;
            }
            if any & highs == 0 {
                continue;
            }
        }
        for it in block {
            let d = (it.fingerprint ^ fingerprint).count_ones();
            if d <= k {
                on_match(Match {
                    id: it.id,
                    fingerprint: it.fingerprint,
                    distance: d,
                });
            }
        }
    }
}

/// Items per block of the buffer scan's filter.
const SCAN_BLOCK: usize = 16;

/// The lane constants of the buffer scan's pigeonhole filter for distance
/// `k` (see [`scan_buffer`]): `(0, 0)` when `k` is too large for one.
#[inline]
fn lanes(k: u32) -> (u64, u64) {
    match k {
        0..=3 => (0x0001_0001_0001_0001u64, 0x8000_8000_8000_8000u64),
        4..=7 => (0x0101_0101_0101_0101, 0x8080_8080_8080_8080),
        _ => (0, 0),
    }
}

/// [`scan_buffer`] over bare fingerprints: calls `on_match(i, distance)`
/// for every `fingerprints[i]` within distance `k` of `fingerprint`. Kept
/// apart from the ids, the fingerprints are contiguous, and the filter runs
/// over them as vector code two or four at a time.
#[inline]
pub(crate) fn scan_fingerprints<F: FnMut(usize, u32)>(
    fingerprints: &[u64],
    fingerprint: u64,
    k: u32,
    mut on_match: F,
) {
    let (ones, highs) = lanes(k);
    for (b, block) in fingerprints.chunks(SCAN_BLOCK).enumerate() {
        if ones != 0 {
            let mut any = 0;
            for &f in block {
                let x = f ^ fingerprint;
                any |= x.wrapping_sub(ones) & !x;
            }
            if any & highs == 0 {
                continue;
            }
        }
        for (j, &f) in block.iter().enumerate() {
            let d = (f ^ fingerprint).count_ones();
            if d <= k {
                on_match(b * SCAN_BLOCK + j, d);
            }
        }
    }
}

/// Merges two sorted slices; with `dedup`, values present in both appear once.
fn merge_sorted<T: Ord + Copy>(a: &[T], b: &[T], dedup: bool) -> Vec<T> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                if dedup {
                    j += 1;
                }
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

impl Index {
    /// An empty index for `distance <= max_distance` with the default layout.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `max_distance` is above
    /// [`MAX_DISTANCE`].
    pub fn new(max_distance: u32) -> Result<Index> {
        IndexBuilder::new().max_distance(max_distance).build()
    }

    /// A builder for the other parameters.
    pub fn builder() -> IndexBuilder {
        IndexBuilder::new()
    }

    /// The inclusive distance threshold.
    pub fn max_distance(&self) -> u32 {
        self.plan.max_distance
    }

    /// The number of blocks the 64 bits are split into.
    pub fn blocks(&self) -> u32 {
        self.plan.blocks
    }

    /// The number of tables, `C(blocks, max_distance)`.
    pub fn tables(&self) -> usize {
        self.plan.tables.len()
    }

    /// The number of stored items.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no item is stored.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Heap and inline bytes used by the index.
    pub fn memory_usage(&self) -> usize {
        size_of::<Self>()
            + self.buffer.capacity() * size_of::<Item>()
            + self.runs.capacity() * size_of::<Arc<Run>>()
            + self
                .runs
                .iter()
                .map(|r| size_of::<Run>() + r.memory_usage())
                .sum::<usize>()
    }

    /// Stores an item. Amortised O(tables * log n).
    pub fn insert(&mut self, fingerprint: u64, id: u64) {
        self.buffer.push(Item::new(fingerprint, id));
        self.len += 1;
        if self.buffer.len() >= self.buffer_capacity {
            self.flush();
        }
    }

    /// Sorts the buffered items into a run.
    fn flush(&mut self) {
        if self.buffer.is_empty() {
            return;
        }
        let mut items = std::mem::take(&mut self.buffer);
        items.sort_unstable();
        let mut run = Run::build(items, &self.plan, self.threads);
        run.end = self.len;
        self.push_run(run);
    }

    /// Merges everything into one sorted run: the fastest layout for queries
    /// when no more inserts are coming. Memory is briefly doubled.
    pub fn compact(&mut self) {
        self.flush();
        while self.runs.len() >= 2 {
            let b = self.runs.pop().expect("len >= 2");
            let a = self.runs.pop().expect("len >= 1");
            let merged = Run::merge(&a, &b, &self.plan);
            self.runs.push(Arc::new(merged));
        }
        self.runs.shrink_to_fit();
    }

    /// Stores many items. Large batches are sorted and indexed in one go, on
    /// the configured number of threads.
    pub fn extend<I: IntoIterator<Item = Item>>(&mut self, items: I) {
        let mut items: Vec<Item> = items.into_iter().collect();
        if items.len() < self.buffer_capacity.max(BUFFER_CAP) {
            for it in items {
                self.insert(it.fingerprint, it.id);
            }
            return;
        }
        // The buffered items were inserted first: they go into a run of
        // their own, so that runs stay in insertion order.
        self.flush();
        sort_items(&mut items, self.threads);
        self.len += items.len();
        let mut run = Run::build(items, &self.plan, self.threads);
        run.end = self.len;
        self.push_run(run);
    }

    /// Appends a run, then merges while the run before the last is not more
    /// than [`MERGE_RATIO`] times as large as the last, keeping sizes
    /// geometric. Only neighbours merge, so runs stay in insertion order.
    fn push_run(&mut self, run: Run) {
        self.runs.push(Arc::new(run));
        while self.runs.len() >= 2 {
            let n = self.runs.len();
            if self.runs[n - 2].items.len() > MERGE_RATIO * self.runs[n - 1].items.len() {
                break;
            }
            let b = self.runs.pop().expect("len >= 2");
            let a = self.runs.pop().expect("len >= 1");
            let merged = Run::merge(&a, &b, &self.plan);
            self.runs.push(Arc::new(merged));
        }
    }

    /// Calls `on_match` once for every stored item whose fingerprint is within
    /// `max_distance` of `fingerprint` (inclusive), in no particular order.
    pub fn query<F: FnMut(Match)>(&self, fingerprint: u64, on_match: F) {
        self.query_since(0, fingerprint, on_match);
    }

    /// Like [`query`](Self::query), for the items inserted after the first
    /// `since` (the [`len`](Self::len) of an earlier snapshot): each of them
    /// within the distance is reported once, and so may be some older ones
    /// that share a sorted run with them, which the caller filters out (by
    /// id, say). Only the runs that hold later insertions are probed: the
    /// delta since a recent [`Clone`] of the index costs a few runs, not all.
    pub(crate) fn query_since<F: FnMut(Match)>(&self, since: usize, fingerprint: u64, on_match: F) {
        self.query_keys_since(since, &[fingerprint], on_match);
    }

    /// [`query_since`](Self::query_since) for several fingerprints at once,
    /// reporting the matches of all of them (an item near two of them twice).
    pub(crate) fn query_keys_since<F: FnMut(Match)>(
        &self,
        since: usize,
        fingerprints: &[u64],
        mut on_match: F,
    ) {
        self.query_each_since(since, fingerprints, |_, m| on_match(m));
    }

    /// [`query_since`](Self::query_since) for several fingerprints at once,
    /// calling `on_match(i, m)` for each match `m` of `fingerprints[i]`.
    ///
    /// Faster than one query each: a query is a few random reads, a
    /// directory slot and then the candidates it points to, per sorted run
    /// and table, and nearly all its time is spent waiting for them. The
    /// (run, fingerprint, table) triples are visited in chunks: first every
    /// directory slot of the chunk is read, then the first candidate of every
    /// slot, then the candidates are compared. The reads of one phase do not
    /// depend on each other, so their cache misses overlap instead of
    /// queueing one after the other.
    pub(crate) fn query_each_since<F: FnMut(usize, Match)>(
        &self,
        since: usize,
        fingerprints: &[u64],
        mut on_match: F,
    ) {
        let k = self.plan.max_distance;
        let buffered = self.len - self.buffer.len();
        let tail = &self.buffer[since.saturating_sub(buffered).min(self.buffer.len())..];
        if !tail.is_empty() {
            for (i, &fp) in fingerprints.iter().enumerate() {
                scan_buffer(tail, fp, k, &mut |m| on_match(i, m));
            }
        }
        // Runs are in insertion order: the ones holding later insertions
        // are a suffix.
        let first = self.runs.partition_point(|r| r.end <= since);
        let runs = &self.runs[first..];
        const CHUNK: usize = 16;
        let tables = self.plan.tables.len();
        let per_run = fingerprints.len() * tables;
        let triples = runs.len() * per_run;
        // (run, fingerprint index, table, permuted fingerprint, slot start, slot end)
        let mut slots = [(0usize, 0usize, 0usize, 0u64, 0usize, 0usize); CHUNK];
        let (mut r, mut i, mut t) = (0, 0, 0);
        let mut lo = 0;
        while lo < triples {
            let hi = (lo + CHUNK).min(triples);
            let slots = &mut slots[..hi - lo];
            for slot in slots.iter_mut() {
                let q = self.plan.tables[t].forward.apply(fingerprints[i]);
                let range = runs[r].tables[t].dir.range(q);
                *slot = (r, i, t, q, range.start, range.end);
                t += 1;
                if t == tables {
                    t = 0;
                    i += 1;
                    if i == fingerprints.len() {
                        i = 0;
                        r += 1;
                    }
                }
            }
            // Touch the first candidate of every slot: a plain read whose
            // result is kept, so that it is not optimised away, standing in
            // for a prefetch (no intrinsics without `unsafe`).
            let mut touched = 0u64;
            for &(r, _, t, _, start, end) in slots.iter() {
                if start < end {
                    touched ^= runs[r].tables[t].sorted[start];
                }
            }
            std::hint::black_box(touched);
            for &(r, i, t, q, start, end) in slots.iter() {
                let tp = &self.plan.tables[t];
                let run = &runs[r];
                for &e in &run.tables[t].sorted[start..end] {
                    let x = e ^ q;
                    if tp.key(x) != 0 {
                        continue;
                    }
                    let d = x.count_ones();
                    if d <= k && tp.owns(x) {
                        let fp = tp.inverse.apply(e);
                        for it in run.group(fp) {
                            on_match(
                                i,
                                Match {
                                    id: it.id,
                                    fingerprint: fp,
                                    distance: d,
                                },
                            );
                        }
                    }
                }
            }
            lo = hi;
        }
    }

    /// A snapshot of the sorted runs only: the items inserted before the
    /// unsorted buffer's, which a query would scan linearly. Its
    /// [`len`](Self::len) counts them, so that `query_since(len)` on the
    /// full index gives what it lacks.
    pub(crate) fn runs_snapshot(&self) -> Index {
        Index {
            plan: self.plan.clone(),
            threads: self.threads,
            buffer_capacity: self.buffer_capacity,
            buffer: Vec::new(),
            runs: self.runs.clone(),
            len: self.len - self.buffer.len(),
        }
    }

    /// Sets [`IndexBuilder::buffer_capacity`]; at least 1. The buffer is
    /// sorted into a run when it next fills up.
    pub(crate) fn set_buffer_capacity(&mut self, items: usize) {
        self.buffer_capacity = items.max(1);
    }

    /// The items of the unsorted buffer, the latest inserted, in order.
    pub(crate) fn buffered(&self) -> &[Item] {
        &self.buffer
    }

    /// An empty index with the same settings.
    pub(crate) fn emptied(&self) -> Index {
        Index {
            plan: self.plan.clone(),
            threads: self.threads,
            buffer_capacity: self.buffer_capacity,
            buffer: Vec::new(),
            runs: Vec::new(),
            len: 0,
        }
    }

    /// The matches of [`query`](Self::query), collected.
    pub fn matches(&self, fingerprint: u64) -> Vec<Match> {
        let mut out = Vec::new();
        self.query(fingerprint, |m| out.push(m));
        out
    }

    /// Queries, then inserts: deduplicating a stream against everything seen
    /// before it. The new item is not reported against itself.
    pub fn query_then_insert<F: FnMut(Match)>(&mut self, fingerprint: u64, id: u64, on_match: F) {
        self.query(fingerprint, on_match);
        self.insert(fingerprint, id);
    }

    /// All stored items, sorted by `(fingerprint, id)`: for saving, or to hand
    /// to a [`SelfJoin`] (which needs no tables).
    pub fn to_items(&self) -> Vec<Item> {
        let mut out = Vec::with_capacity(self.len);
        for run in &self.runs {
            out.extend_from_slice(&run.items);
        }
        out.extend_from_slice(&self.buffer);
        sort_items(&mut out, self.threads);
        out
    }

    /// Replaces the contents with `items` sorted by `(fingerprint, id)`.
    pub(crate) fn with_sorted_items(mut self, items: Vec<Item>) -> Index {
        debug_assert!(items.is_sorted());
        self.buffer.clear();
        self.runs.clear();
        self.len = items.len();
        if !items.is_empty() {
            let mut run = Run::build(items, &self.plan, self.threads);
            run.end = self.len;
            self.runs.push(Arc::new(run));
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `query_since` reports every item inserted at or after `since` within
    /// the distance (and only items within it), for every buffer size and
    /// through merges; `query_keys_since` reports the union of single queries.
    #[test]
    fn query_since_covers_the_later_insertions() {
        for (k, blocks, buffer) in [(3, 0, 1), (3, 4, 7), (3, 5, 64), (0, 0, 5), (1, 0, 1024)] {
            let mut b = Index::builder();
            b.max_distance(k).buffer_capacity(buffer).threads(1);
            if blocks > 0 {
                b.blocks(blocks);
            }
            let mut index = b.build().unwrap();
            let mut all: Vec<Item> = Vec::new();
            let mut state = 0x9e37_79b9_7f4a_7c15u64;
            for id in 0..3000u64 {
                state = crate::neardup::fmix64(state.wrapping_add(id));
                // Near copies of earlier items, so that queries match.
                let fp = if id > 0 && state % 2 == 0 {
                    let base = all[(state >> 20) as usize % all.len()].fingerprint;
                    base ^ (1 << (state % 64)) ^ (1 << ((state >> 8) % 64))
                } else {
                    state
                };
                if id % 97 == 0 {
                    let batch: Vec<Item> =
                        (0..300).map(|j| Item::new(fp ^ (j << 40), id)).collect();
                    index.extend(batch.iter().copied());
                    all.extend(batch);
                } else {
                    index.insert(fp, id);
                    all.push(Item::new(fp, id));
                }
                assert_eq!(index.len(), all.len());
                if id % 13 != 0 {
                    continue;
                }
                let q = [
                    fp ^ 1,
                    all[(state >> 30) as usize % all.len()].fingerprint ^ (1 << 63),
                ];
                for since in [0, all.len() / 2, all.len().saturating_sub(3), all.len()] {
                    let mut got = Vec::new();
                    index.query_keys_since(since, &q, |m| got.push((m.id, m.fingerprint)));
                    for (id, fp) in &got {
                        assert!(
                            q.iter().any(|x| (x ^ fp).count_ones() <= k),
                            "{id} not within {k}"
                        );
                    }
                    got.sort_unstable();
                    let mut union = Vec::new();
                    for &x in &q {
                        index.query(x, |m| union.push((m.id, m.fingerprint)));
                    }
                    union.sort_unstable();
                    for x in &q {
                        for (i, it) in all.iter().enumerate() {
                            if i >= since && (it.fingerprint ^ x).count_ones() <= k {
                                let want = (it.id, it.fingerprint);
                                assert!(
                                    got.binary_search(&want).is_ok(),
                                    "k {k} buffer {buffer}: item {i} missing since {since}"
                                );
                            }
                        }
                    }
                    if since == 0 {
                        assert_eq!(got, union, "k {k} buffer {buffer}");
                    }
                    // Each fingerprint's matches are told apart, and are
                    // those of its own query since the same point.
                    let mut each = vec![Vec::new(); q.len()];
                    index.query_each_since(since, &q, |i, m| each[i].push(m));
                    for (x, got) in q.iter().zip(&mut each) {
                        let mut want = Vec::new();
                        index.query_since(since, *x, |m| want.push(m));
                        got.sort_unstable();
                        want.sort_unstable();
                        assert_eq!(*got, want, "k {k} buffer {buffer} since {since}");
                    }
                }
            }
        }
    }

    /// The buffer scan's zero-lane filter never drops a match: for every `k`,
    /// XORs of weight `<= k` placed anywhere (lane edges included) pass it,
    /// so a query of an unflushed index equals a count of every item.
    #[test]
    fn buffer_scan_finds_every_item_within_k() {
        let mut state = 0x0123_4567_89ab_cdefu64;
        for k in 0..=MAX_DISTANCE {
            let mut index = Index::builder()
                .max_distance(k)
                .buffer_capacity(1 << 20)
                .build()
                .unwrap();
            let q = crate::neardup::fmix64(u64::from(k) + 1);
            let mut items = Vec::new();
            for id in 0..4000u64 {
                state = crate::neardup::fmix64(state.wrapping_add(id));
                // Flip 0 to k + 2 bits, often at lane edges and in one lane.
                let mut fp = q;
                for j in 0..(state % u64::from(k + 3)) {
                    let r = crate::neardup::fmix64(state ^ (j + 1));
                    let bit = match r % 3 {
                        0 => (r >> 8) % 64,
                        1 => [7, 8, 15, 16, 31, 32, 47, 48, 63][((r >> 16) % 9) as usize],
                        _ => 16 + (r >> 24) % 16,
                    };
                    fp ^= 1 << bit;
                }
                index.insert(fp, id);
                items.push(fp);
            }
            let want: Vec<u64> = (0..4000u64)
                .filter(|&i| (items[i as usize] ^ q).count_ones() <= k)
                .collect();
            let mut got: Vec<u64> = index.matches(q).iter().map(|m| m.id).collect();
            got.sort_unstable();
            assert_eq!(got, want, "k {k}");
            assert!(want.len() > 100, "k {k}: only {} within", want.len());
        }
    }

    /// A clone is a snapshot: inserting into the original leaves it as it was.
    #[test]
    fn clones_are_snapshots() {
        let fp = |i: u64| crate::neardup::fmix64(i + 1);
        let mut index = Index::builder().buffer_capacity(4).build().unwrap();
        for i in 0..100u64 {
            index.insert(fp(i), i);
        }
        let snapshot = index.clone();
        for i in 100..1000u64 {
            index.insert(fp(i), i);
        }
        assert_eq!(snapshot.len(), 100);
        let ids = |index: &Index, i: u64| -> Vec<u64> {
            let mut v: Vec<u64> = index.matches(fp(i)).iter().map(|m| m.id).collect();
            v.sort_unstable();
            v
        };
        assert_eq!(ids(&snapshot, 500), Vec::<u64>::new());
        assert_eq!(ids(&index, 500), [500]);
        assert_eq!(ids(&snapshot, 50), [50]);
        assert_eq!(ids(&index, 50), [50]);
    }
}
