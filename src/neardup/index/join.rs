//! Batch self-join: every pair of items within Hamming distance <= k.
//!
//! The join never builds an index. The items are sorted by fingerprint (the
//! two halves partitioned on two threads, then interleaved through the
//! join's buffer). Per table the join fills that buffer with the permuted
//! *distinct* fingerprints, scattered by the top bits of the table key into
//! cache-sized buckets, and finds the fingerprints with equal keys inside each
//! bucket by chaining them in a small hash table of their keys. The top-digit
//! counts the scatter needs are taken in one parallel pass over the items
//! for all tables first (tables with the same first key block share them);
//! then the tables are done one after the other, all threads working on each
//! (a parallel scatter, then buckets handed out in turn), so peak extra memory
//! is one 8-byte slot per item plus a cache-sized hash table per thread,
//! whatever the number of tables and threads. Each pair is reported by exactly
//! one table (see [`TablePlan::owns`]), so nothing has to be remembered to
//! deduplicate. The items carrying a pair's fingerprints are looked up in
//! batches, whose binary searches advance in lockstep so that their cache
//! misses overlap.

use super::Item;
use super::layout::{self, Layout, Plan, TablePlan};
#[cfg(test)]
use super::radix::count_top;
use super::radix::{digit, scatter_top, sort_bucket, top_bits};
use crate::Result;

/// Relative cost of putting one fingerprint into one table (scatter and hash
/// chain), counted in candidate comparisons; used by the automatic layout
/// choice.
const SORT_COST: f64 = 8.0;

/// Two items within the distance, as reported by [`SelfJoin::for_each_pair`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Pair {
    /// One item; `a <= b` in `(fingerprint, id)` order.
    pub a: Item,
    /// The other item.
    pub b: Item,
    /// The Hamming distance between their fingerprints, `<= max_distance`.
    pub distance: u32,
}

/// Two groups of exactly-identical fingerprints within the distance, as
/// reported by [`SelfJoin::for_each_group`]. Every item of `a` is within
/// `distance` of every item of `b`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GroupPair<'a> {
    /// The items sharing the smaller fingerprint, sorted by id.
    pub a: &'a [Item],
    /// The items sharing the larger fingerprint, sorted by id.
    pub b: &'a [Item],
    /// The Hamming distance between the two fingerprints, in `1..=max_distance`.
    pub distance: u32,
}

/// Configures and builds a [`SelfJoin`].
#[derive(Clone, Debug)]
pub struct SelfJoinBuilder {
    max_distance: u32,
    layout: Layout,
    threads: usize,
}

impl Default for SelfJoinBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl SelfJoinBuilder {
    /// A builder with the defaults: `max_distance` 3, [`Layout::Auto`], all cores.
    pub fn new() -> SelfJoinBuilder {
        SelfJoinBuilder {
            max_distance: 3,
            layout: Layout::Auto,
            threads: 0,
        }
    }

    /// Pairs are reported when their Hamming distance is `<= max_distance`
    /// (inclusive), at most [`MAX_DISTANCE`](super::MAX_DISTANCE). Default: 3.
    pub fn max_distance(&mut self, max_distance: u32) -> &mut Self {
        self.max_distance = max_distance;
        self
    }

    /// The block layout. Default: [`Layout::Auto`], which picks, for each run,
    /// the block count `b > max_distance` minimising the estimated work
    /// `C(b, k) * (n * sort_cost + n^2 / 2 * 2^-key_bits)` for the `n` distinct
    /// fingerprints of that run: more blocks mean more tables to sort, fewer
    /// blocks mean shorter keys and quadratically more chance collisions. For
    /// random fingerprints this gives 4 to 5 blocks (4 to 10 tables) at `k = 3` and
    /// 8 to 9 blocks (28 to 84 tables) at `k = 6` for 10^6 to 10^7 fingerprints.
    pub fn layout(&mut self, layout: Layout) -> &mut Self {
        self.layout = layout;
        self
    }

    /// Shorthand for `layout(Layout::Blocks(blocks))`. Default: automatic.
    pub fn blocks(&mut self, blocks: u32) -> &mut Self {
        self.layout(Layout::Blocks(blocks))
    }

    /// Worker threads; 0 means one per available core. Default: 0.
    pub fn threads(&mut self, threads: usize) -> &mut Self {
        self.threads = threads;
        self
    }

    /// Checks the parameters and builds the join.
    ///
    /// # Errors
    ///
    /// [`Error::Config`](crate::Error::Config) when `max_distance` is above
    /// [`MAX_DISTANCE`](super::MAX_DISTANCE), or an explicit block count is not
    /// above `max_distance`, is above 64, or needs more than
    /// [`MAX_TABLES`](super::MAX_TABLES) tables.
    pub fn build(&self) -> Result<SelfJoin> {
        let plan = match self.layout {
            Layout::Auto => {
                layout::check_distance(self.max_distance)?;
                None
            }
            Layout::Blocks(b) => {
                layout::check(self.max_distance, b)?;
                Some(Plan::new(self.max_distance, b))
            }
        };
        Ok(SelfJoin {
            max_distance: self.max_distance,
            plan,
            threads: resolve_threads(self.threads),
        })
    }
}

/// Finds all pairs of items whose fingerprints are within Hamming distance
/// `<= max_distance` of each other, in parallel, streaming them to a callback.
///
/// ```
/// use spamsift::neardup::{Item, SelfJoin};
///
/// let join = SelfJoin::new(3)?;
/// let mut items = vec![
///     Item::new(0b1011, 1),
///     Item::new(0b1011, 2),          // identical to item 1
///     Item::new(0b0011, 3),          // distance 1 from items 1 and 2
///     Item::new(u64::MAX, 4),        // far from everything
/// ];
/// let pairs = std::sync::Mutex::new(Vec::new());
/// join.for_each_pair(&mut items, |p| pairs.lock().unwrap().push((p.a.id, p.b.id, p.distance)));
/// let mut pairs = pairs.into_inner().unwrap();
/// pairs.sort();
/// assert_eq!(pairs, [(1, 2, 0), (3, 1, 1), (3, 2, 1)]);
/// # Ok::<(), spamsift::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct SelfJoin {
    max_distance: u32,
    plan: Option<Plan>,
    threads: usize,
}

impl SelfJoin {
    /// A join for `distance <= max_distance` with the default layout and threads.
    ///
    /// # Errors
    ///
    /// [`Error::Config`](crate::Error::Config) when `max_distance` is above
    /// [`MAX_DISTANCE`](super::MAX_DISTANCE).
    pub fn new(max_distance: u32) -> Result<SelfJoin> {
        SelfJoinBuilder::new().max_distance(max_distance).build()
    }

    /// A builder for the other parameters.
    pub fn builder() -> SelfJoinBuilder {
        SelfJoinBuilder::new()
    }

    /// The inclusive distance threshold.
    pub fn max_distance(&self) -> u32 {
        self.max_distance
    }

    /// The block count used for `distinct` distinct fingerprints.
    pub fn blocks_for(&self, distinct: usize) -> u32 {
        match &self.plan {
            Some(p) => p.blocks,
            None => auto_blocks(self.max_distance, distinct),
        }
    }

    /// Calls `on_pair` once for every unordered pair of distinct positions of
    /// `items` whose fingerprints are within the distance, including pairs of
    /// exactly-identical fingerprints (distance 0).
    ///
    /// `items` is sorted in place by `(fingerprint, id)` first. `on_pair` is
    /// called concurrently from several threads, in no particular order.
    ///
    /// The number of pairs is quadratic in the size of groups of identical
    /// fingerprints (10^6 copies of one fingerprint are 5 * 10^11 pairs); memory
    /// stays linear, but prefer [`for_each_group`](Self::for_each_group), which
    /// reports such a group once.
    pub fn for_each_pair<F>(&self, items: &mut [Item], on_pair: F)
    where
        F: Fn(Pair) + Sync,
    {
        self.for_each_group(
            items,
            |group| {
                for (i, &a) in group.iter().enumerate() {
                    for &b in &group[i + 1..] {
                        on_pair(Pair { a, b, distance: 0 });
                    }
                }
            },
            |gp| {
                for &a in gp.a {
                    for &b in gp.b {
                        on_pair(Pair {
                            a,
                            b,
                            distance: gp.distance,
                        });
                    }
                }
            },
        );
    }

    /// Reports near duplicates grouped by exact fingerprint, in time and memory
    /// linear in the input plus the number of near pairs of *distinct*
    /// fingerprints, however many items share a fingerprint.
    ///
    /// `items` is sorted in place by `(fingerprint, id)` first. Then
    /// `on_group` is called on the calling thread, once for each group of two or
    /// more items with the same fingerprint (all pairs inside a group are at
    /// distance 0). Then `on_pair` is called, concurrently from several threads
    /// and in no particular order, once for each unordered pair of distinct
    /// fingerprints within the distance, with the groups of items carrying them
    /// (groups of one item included). Together they describe exactly the pairs
    /// [`for_each_pair`](Self::for_each_pair) would report.
    pub fn for_each_group<G, P>(&self, items: &mut [Item], mut on_group: G, on_pair: P)
    where
        G: FnMut(&[Item]),
        P: Fn(GroupPair<'_>) + Sync,
    {
        // The join's buffer doubles as the sort's: its pages are touched
        // once.
        let mut buf = Vec::new();
        sort_items_split(items, self.threads, &mut buf);
        let items: &[Item] = items;
        // A pair's groups are found through a directory of the items by the
        // fingerprint's top bits (about 16 items per entry, half a byte per
        // item), then a binary search of a few items: a search of the whole
        // sorted items costs a cache miss per step, four searches per pair,
        // and was most of the join's time. One serial pass over the items
        // reports the groups, counts the distinct fingerprints and fills the
        // directory.
        let dir_bits = (usize::BITS - items.len().leading_zeros())
            .saturating_sub(4)
            .clamp(1, 32);
        let shift = 64 - dir_bits;
        let mut dir = vec![0usize; (1 << dir_bits) + 1];
        let mut distinct = 0;
        for group in items.chunk_by(|a, b| a.fingerprint == b.fingerprint) {
            distinct += 1;
            dir[(group[0].fingerprint >> shift) as usize + 1] += group.len();
            if group.len() > 1 {
                on_group(group);
            }
        }
        let auto;
        let plan = match &self.plan {
            Some(p) => p,
            None => {
                auto = Plan::new(self.max_distance, auto_blocks(self.max_distance, distinct));
                &auto
            }
        };
        for d in 1..dir.len() {
            dir[d] += dir[d - 1];
        }
        // Pairs come in batches; the groups of a batch's fingerprints are
        // looked up in lockstep, one search step for every fingerprint at a
        // time, so that the searches' cache misses (the items are far larger
        // than the caches) overlap instead of following one another.
        let resolve = |batch: &[(u64, u64, u32)]| {
            const CHUNK: usize = 32;
            for chunk in batch.chunks(CHUNK) {
                let m = 2 * chunk.len();
                let mut fps = [0u64; 2 * CHUNK];
                for (i, &(x, y, _)) in chunk.iter().enumerate() {
                    fps[2 * i] = x.min(y);
                    fps[2 * i + 1] = x.max(y);
                }
                // The first item with the fingerprint is in base..=base + len.
                let mut base = [0usize; 2 * CHUNK];
                let mut len = [0usize; 2 * CHUNK];
                let mut end = [0usize; 2 * CHUNK];
                for i in 0..m {
                    let d = (fps[i] >> shift) as usize;
                    base[i] = dir[d];
                    end[i] = dir[d + 1];
                    len[i] = end[i] - base[i];
                }
                loop {
                    let mut more = false;
                    for i in 0..m {
                        if len[i] > 0 {
                            let half = len[i].div_ceil(2);
                            if items[base[i] + half - 1].fingerprint < fps[i] {
                                base[i] += half;
                                len[i] -= half;
                            } else {
                                len[i] = half - 1;
                            }
                            more = true;
                        }
                    }
                    if !more {
                        break;
                    }
                }
                for i in 0..m {
                    let (start, fp) = (base[i], fps[i]);
                    debug_assert_eq!(items[start].fingerprint, fp);
                    // Most groups are one item: one look at the next.
                    end[i] = if start + 1 < end[i] && items[start + 1].fingerprint == fp {
                        start
                            + 1
                            + items[start + 1..end[i]].partition_point(|it| it.fingerprint == fp)
                    } else {
                        start + 1
                    };
                }
                for (i, &(_, _, distance)) in chunk.iter().enumerate() {
                    on_pair(GroupPair {
                        a: &items[base[2 * i]..end[2 * i]],
                        b: &items[base[2 * i + 1]..end[2 * i + 1]],
                        distance,
                    });
                }
            }
        };
        join_sorted(items, distinct, plan, self.threads, buf, &resolve);
    }
}

/// 0 threads means one per available core.
pub(crate) fn resolve_threads(threads: usize) -> usize {
    if threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        threads
    }
}

/// The automatic block count for a join of `n` distinct fingerprints.
pub(crate) fn auto_blocks(k: u32, n: usize) -> u32 {
    let n = n as f64;
    let mut best = (f64::INFINITY, k + 1);
    for b in k + 1..=64 {
        if layout::check(k, b).is_err() {
            break;
        }
        let tables = layout::binomial(b, k) as f64;
        if tables * n * SORT_COST >= best.0 {
            // Sorting alone already costs more, and only grows with b.
            break;
        }
        let plan = Plan::new(k, b);
        let collisions: f64 = plan
            .tables
            .iter()
            .map(|t| n * n / 2.0 * (-f64::from(t.key_bits)).exp2())
            .sum();
        let cost = tables * n * SORT_COST + collisions;
        if cost < best.0 {
            best = (cost, b);
        }
    }
    best.1
}

/// Sorts items by `(fingerprint, id)`, in place and in parallel, unless they
/// already are. Extra memory: none beyond the threads' stacks.
pub(crate) fn sort_items(items: &mut [Item], threads: usize) {
    if items.is_sorted() {
        return;
    }
    if threads <= 1 || items.len() < 1 << 16 {
        items.sort_unstable();
        return;
    }
    let counts = partition_top_byte(items);
    sort_buckets(items, &counts, threads);
}

/// [`sort_items`] for the join, which may use `scratch` (resized to the
/// number of items if shorter; the join reuses it as its buffer) to hold half
/// the items: the two halves are partitioned by the top byte on two threads,
/// the first half is copied to `scratch`, the halves are interleaved bucket
/// by bucket, and the buckets are sorted across the threads. The only serial
/// part is the interleaving, a copy at memory speed, instead of a partition
/// of all the items.
pub(crate) fn sort_items_split(items: &mut [Item], threads: usize, scratch: &mut Vec<u64>) {
    if items.is_sorted() {
        return;
    }
    if threads <= 1 || items.len() < 1 << 16 {
        items.sort_unstable();
        return;
    }
    let half = items.len() / 2;
    if scratch.len() < 2 * half {
        // Zeroed pages are mapped lazily: the copies below touch them, in
        // parallel.
        *scratch = vec![0u64; 2 * half];
    }
    let (a, b) = items.split_at_mut(half);
    let (ca, cb) = std::thread::scope(|s| {
        let hb = s.spawn(|| partition_top_byte(b));
        let ca = partition_top_byte(a);
        (ca, hb.join().expect("partition thread"))
    });
    // The first half, as (fingerprint, id) words, copied on two threads.
    let store = |from: &[Item], to: &mut [u64]| {
        for (it, w) in from.iter().zip(to.chunks_exact_mut(2)) {
            w[0] = it.fingerprint;
            w[1] = it.id;
        }
    };
    let (a0, a1) = items[..half].split_at(half / 2);
    let (s0, s1) = scratch[..2 * half].split_at_mut(2 * a0.len());
    std::thread::scope(|s| {
        s.spawn(|| store(a1, s1));
        store(a0, s0);
    });
    // Bucket d of the result is the first half's bucket d then the second
    // half's. Writing front to back never overtakes the second half's
    // unread values: everything written up to the end of the first half's
    // bucket d is at most the whole first half plus the second half's
    // buckets before d.
    let mut counts = [0usize; 256];
    let (mut at, mut from_a, mut from_b) = (0, 0, half);
    for d in 0..256 {
        let words = &scratch[2 * from_a..2 * (from_a + ca[d])];
        for (it, w) in items[at..at + ca[d]].iter_mut().zip(words.chunks_exact(2)) {
            *it = Item::new(w[0], w[1]);
        }
        at += ca[d];
        from_a += ca[d];
        items.copy_within(from_b..from_b + cb[d], at);
        at += cb[d];
        from_b += cb[d];
        counts[d] = ca[d] + cb[d];
    }
    sort_buckets(items, &counts, threads);
}

/// American flag sort on the top byte, in place: afterwards the items are
/// grouped by top byte in increasing order. Returns the size of each group.
fn partition_top_byte(items: &mut [Item]) -> [usize; 256] {
    let digit = |it: &Item| (it.fingerprint >> 56) as usize;
    let mut counts = [0usize; 256];
    for it in items.iter() {
        counts[digit(it)] += 1;
    }
    let mut starts = [0usize; 256];
    let mut ends = [0usize; 256];
    let mut sum = 0;
    for d in 0..256 {
        starts[d] = sum;
        sum += counts[d];
        ends[d] = sum;
    }
    let mut next = starts;
    for d in 0..256 {
        while next[d] < ends[d] {
            let e = digit(&items[next[d]]);
            if e == d {
                next[d] += 1;
            } else {
                items.swap(next[d], next[e]);
                next[e] += 1;
            }
        }
    }
    counts
}

/// Sorts each of the consecutive buckets of `items` (sizes `counts`),
/// spread over `threads` threads.
fn sort_buckets(items: &mut [Item], counts: &[usize; 256], threads: usize) {
    let mut buckets: Vec<&mut [Item]> = Vec::with_capacity(256);
    let mut rest = items;
    for &c in counts {
        let (head, tail) = rest.split_at_mut(c);
        buckets.push(head);
        rest = tail;
    }
    // Largest first onto the least loaded thread keeps the threads even.
    buckets.sort_unstable_by_key(|b| std::cmp::Reverse(b.len()));
    let mut shares: Vec<(usize, Vec<&mut [Item]>)> =
        (0..threads).map(|_| (0, Vec::new())).collect();
    for b in buckets {
        let share = shares.iter_mut().min_by_key(|s| s.0).expect("threads >= 1");
        share.0 += b.len();
        share.1.push(b);
    }
    std::thread::scope(|s| {
        for (_, share) in shares {
            s.spawn(move || {
                for b in share {
                    b.sort_unstable();
                }
            });
        }
    });
}

/// Reports each unordered pair of distinct fingerprints of `items` (sorted
/// by fingerprint, `distinct` of them) within `plan.max_distance` as an
/// `(x, y, distance)` in a batch passed to `on_pairs`: a thread passes its
/// pairs on after a bucket once it holds [`BATCH`] or more, and at the end of
/// each table.
///
/// The threads split the items into contiguous parts and first count, in one
/// pass, their permuted fingerprints per top digit of every table's key. The
/// tables are then done one after the other, each by all the threads: they
/// scatter their parts into one shared buffer, `buf` (each thread into its
/// own slots of every bucket), then take the buckets in turn and find the
/// equal keys in each with [`join_bucket`]. Peak extra memory is therefore
/// `buf`, one 8-byte slot per distinct fingerprint at least (it is grown if
/// shorter), whatever the number of threads.
pub(crate) fn join_sorted<F>(
    items: &[Item],
    distinct: usize,
    plan: &Plan,
    threads: usize,
    mut buf: Vec<u64>,
    on_pairs: &F,
) where
    F: Fn(&[(u64, u64, u32)]) + Sync,
{
    if distinct < 2 {
        return;
    }
    // Small inputs are not worth the threads.
    let threads = if items.len() < 1 << 15 {
        1
    } else {
        threads.max(1)
    };
    let parts: Vec<std::ops::Range<usize>> = (0..threads)
        .map(|t| items.len() * t / threads..items.len() * (t + 1) / threads)
        .collect();
    // The distinct fingerprints of a part, each at its first occurrence.
    let fps = |r: std::ops::Range<usize>| {
        r.filter(move |&i| i == 0 || items[i - 1].fingerprint != items[i].fingerprint)
            .map(move |i| items[i].fingerprint)
    };
    if buf.len() < distinct {
        buf = vec![0u64; distinct];
    }
    buf.truncate(distinct);
    let mut scratch: Vec<Chains> = (0..threads).map(|_| Chains::default()).collect();
    let widths: Vec<u32> = plan
        .tables
        .iter()
        .map(|t| top_bits(distinct, t.key_bits))
        .collect();
    // Count every table's top digits in one pass over the items, per part:
    // one read of the items instead of one per table.
    let all_counts: Vec<Vec<Vec<usize>>> = std::thread::scope(|s| {
        let widths = &widths;
        let handles: Vec<_> = parts
            .iter()
            .skip(1)
            .map(|r| {
                let r = r.clone();
                s.spawn(move || count_tables(fps(r), &plan.tables, widths))
            })
            .collect();
        let mut all = vec![count_tables(fps(parts[0].clone()), &plan.tables, widths)];
        all.extend(handles.into_iter().map(|h| h.join().expect("count thread")));
        all
    });
    for (ti, table) in plan.tables.iter().enumerate() {
        let width = widths[ti];
        let digits = 1usize << width;
        let counts: Vec<&[usize]> = all_counts.iter().map(|c| c[ti].as_slice()).collect();
        // The buffer holds bucket after bucket, each with part 0's values
        // first: cut it into every part's slots of every bucket.
        let mut dests: Vec<Vec<&mut [u64]>> =
            (0..threads).map(|_| Vec::with_capacity(digits)).collect();
        let mut bucket_lens = Vec::with_capacity(digits);
        let mut rest: &mut [u64] = &mut buf;
        for d in 0..digits {
            let mut len = 0;
            for (t, c) in counts.iter().enumerate() {
                let (head, tail) = rest.split_at_mut(c[d]);
                dests[t].push(head);
                rest = tail;
                len += c[d];
            }
            bucket_lens.push(len);
        }
        debug_assert!(rest.is_empty());
        std::thread::scope(|s| {
            let mut dests = dests.into_iter();
            let first = dests.next().expect("threads >= 1");
            for (r, mut d) in parts.iter().skip(1).zip(dests) {
                let r = r.clone();
                s.spawn(move || scatter_top(fps(r).map(|x| table.forward.apply(x)), width, &mut d));
            }
            let mut d = first;
            scatter_top(
                fps(parts[0].clone()).map(|x| table.forward.apply(x)),
                width,
                &mut d,
            );
        });
        // Finish each bucket and scan it; threads take buckets in turn.
        let mut buckets: Vec<&mut [u64]> = Vec::with_capacity(digits);
        let mut rest: &mut [u64] = &mut buf;
        for &len in &bucket_lens {
            let (head, tail) = rest.split_at_mut(len);
            if len > 0 {
                buckets.push(head);
            }
            rest = tail;
        }
        let queue = std::sync::Mutex::new(buckets);
        let work = |scratch: &mut Chains| {
            let mut pending = Vec::new();
            loop {
                let Some(bucket) = queue.lock().expect("bucket queue").pop() else {
                    break;
                };
                join_bucket(
                    bucket,
                    table,
                    plan.max_distance,
                    width,
                    scratch,
                    &mut |x, y, d| {
                        pending.push((x, y, d));
                    },
                );
                if pending.len() >= BATCH {
                    on_pairs(&pending);
                    pending.clear();
                }
            }
            if !pending.is_empty() {
                on_pairs(&pending);
            }
        };
        let work = &work;
        std::thread::scope(|s| {
            let mut sc = scratch.iter_mut();
            let first = sc.next().expect("threads >= 1");
            for other in sc {
                s.spawn(move || work(other));
            }
            work(first);
        });
    }
}

/// Counts the values of `src` per top digit of every table's permuted
/// fingerprint, in one pass: `result[t][d]` is the number of values whose
/// permutation by table `t` has top `widths[t]` bits `d`. Equal to one
/// `count_top` per table.
pub(crate) fn count_tables<I>(src: I, tables: &[TablePlan], widths: &[u32]) -> Vec<Vec<usize>>
where
    I: Iterator<Item = u64>,
{
    debug_assert_eq!(tables.len(), widths.len());
    // Tables whose top digits are one rotation of the fingerprint share a
    // count of that rotation (at k = 3 and 5 blocks, 4 counts serve the 10
    // tables); the others permute each value.
    let mut shared: Vec<(u32, u32)> = Vec::new();
    let mut source = Vec::with_capacity(tables.len());
    for (t, &w) in tables.iter().zip(widths) {
        source.push(t.forward.top_rotation(w).map(|rot| {
            shared
                .iter()
                .position(|&s| s == (rot, w))
                .unwrap_or_else(|| {
                    shared.push((rot, w));
                    shared.len() - 1
                })
        }));
    }
    let mut rotated: Vec<Vec<usize>> = shared.iter().map(|&(_, w)| vec![0usize; 1 << w]).collect();
    let permuted: Vec<(&TablePlan, u32)> = tables
        .iter()
        .zip(widths)
        .zip(&source)
        .filter(|(_, s)| s.is_none())
        .map(|((t, &w), _)| (t, w))
        .collect();
    let mut counts: Vec<Vec<usize>> = permuted
        .iter()
        .map(|&(_, w)| vec![0usize; 1 << w])
        .collect();
    for x in src {
        for (&(rot, w), c) in shared.iter().zip(rotated.iter_mut()) {
            c[digit(x.rotate_left(rot), 64 - w, w)] += 1;
        }
        for (&(t, w), c) in permuted.iter().zip(counts.iter_mut()) {
            c[digit(t.forward.apply(x), 64 - w, w)] += 1;
        }
    }
    let mut counts = counts.into_iter();
    source
        .iter()
        .map(|s| match s {
            Some(i) => rotated[*i].clone(),
            None => counts.next().expect("one count per permuted table"),
        })
        .collect()
}

/// Pairs a thread collects before passing them on (see [`join_sorted`]).
const BATCH: usize = 256;

/// Per-thread scratch of [`join_bucket`]: chain heads and links.
#[derive(Default)]
pub(crate) struct Chains {
    head: Vec<u32>,
    next: Vec<u32>,
    /// Scratch of the radix sort of [`join_runs`].
    sorted: Vec<u64>,
}

/// Most chain heads a bucket gets (4 MiB): a larger bucket, possible only
/// with strongly clustered fingerprints, gets longer chains instead of more
/// memory.
const MAX_HEADS_LOG: u32 = 20;

/// Compares every pair of values of `bucket` (permuted fingerprints, whose
/// keys under `table` share their top `prefix_bits` bits) with equal keys,
/// reporting those within `k` that the table owns.
///
/// Instead of sorting the bucket by key and scanning runs, the values are
/// chained into a hash table of their keys (heads indexed by a multiplicative
/// hash, one link per value): each value is compared with the earlier values
/// of its chain that have its key, so every pair of equal keys is seen once.
/// One pass with L2-resident random accesses replaces the sort's two or more
/// passes of counting and scattering.
pub(crate) fn join_bucket<F>(
    bucket: &mut [u64],
    table: &TablePlan,
    k: u32,
    prefix_bits: u32,
    chains: &mut Chains,
    on_pair: &mut F,
) where
    F: FnMut(u64, u64, u32),
{
    let m = bucket.len();
    if m < 2 {
        return;
    }
    // With few key values per value (short keys, as at k = 6), keys repeat
    // and chains are long: walking them is a dependent load per step where
    // a sorted run is scanned in sequence. So are buckets too long for u32
    // links (2^32 distinct fingerprints with one key prefix).
    let rest = table.key_bits - prefix_bits;
    if m > LINK_MAX || (rest < 64 && m as u64 * 2 >= 1u64 << rest) {
        join_runs(bucket, table, k, rest, &mut chains.sorted, on_pair);
        return;
    }
    let log = (usize::BITS - (m - 1).leading_zeros() + 1).clamp(4, MAX_HEADS_LOG);
    let shift = 64 - log;
    let head = &mut chains.head;
    head.clear();
    head.resize(1 << log, 0);
    let next = &mut chains.next;
    next.clear();
    next.resize(m, 0);
    let hash = |key: u64| (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> shift) as usize;
    for (i, &x) in bucket.iter().enumerate() {
        let key = table.key(x);
        let h = hash(key);
        // Links are 1-based: 0 ends a chain.
        let mut j = head[h];
        while j != 0 {
            let y = bucket[j as usize - 1];
            if table.key(y) == key {
                report(y, x, table, k, on_pair);
            }
            j = next[j as usize - 1];
        }
        next[i] = head[h];
        head[h] = i as u32 + 1;
    }
}

/// Longest bucket [`join_bucket`] chains; longer ones go to [`join_runs`].
const LINK_MAX: usize = u32::MAX as usize - 1;

/// What [`join_bucket`] does, by sorting the bucket by the low `rest_bits`
/// bits of the key (a radix sort; the bits above are the same throughout
/// the bucket) and comparing every pair inside each run of equal key: for
/// short keys and for buckets too long to chain.
pub(crate) fn join_runs<F>(
    bucket: &mut [u64],
    table: &TablePlan,
    k: u32,
    rest_bits: u32,
    scratch: &mut Vec<u64>,
    on_pair: &mut F,
) where
    F: FnMut(u64, u64, u32),
{
    if rest_bits > 0 {
        sort_bucket(bucket, 64 - table.key_bits, rest_bits, scratch);
    }
    for run in bucket.chunk_by(|&a, &b| table.key(a) == table.key(b)) {
        for (i, &a) in run.iter().enumerate() {
            for &b in &run[i + 1..] {
                report(a, b, table, k, on_pair);
            }
        }
    }
}

/// Reports `a` and `b`, permuted fingerprints with equal keys, if they are
/// within `k` and `table` owns the pair.
#[inline]
fn report<F>(a: u64, b: u64, table: &TablePlan, k: u32, on_pair: &mut F)
where
    F: FnMut(u64, u64, u32),
{
    let x = a ^ b;
    let d = x.count_ones();
    if d <= k && table.owns(x) {
        on_pair(table.inverse.apply(a), table.inverse.apply(b), d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pair of a bucket, compared directly: the oracle of the two
    /// bucket joins.
    fn all_pairs(bucket: &[u64], table: &TablePlan, k: u32) -> Vec<(u64, u64, u32)> {
        let mut want = Vec::new();
        for (i, &a) in bucket.iter().enumerate() {
            for &b in &bucket[i + 1..] {
                let x = a ^ b;
                if table.key(a) == table.key(b) && x.count_ones() <= k && table.owns(x) {
                    let (a, b) = (table.inverse.apply(a), table.inverse.apply(b));
                    want.push((a.min(b), a.max(b), x.count_ones()));
                }
            }
        }
        want.sort_unstable();
        want
    }

    #[test]
    fn bucket_joins_equal_all_pairs() {
        let mut seed = 5u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            seed ^ (seed >> 29)
        };
        let mut chains = Chains::default();
        for (k, b) in [(0, 1), (1, 2), (3, 4), (3, 5), (6, 8)] {
            let plan = Plan::new(k, b);
            for len in [0usize, 1, 2, 3, 17, 300, 2000] {
                // Values confined to few bits (long runs of equal keys, hash
                // chains full of other keys) and near copies of a few bases.
                let narrow: Vec<u64> = (0..len).map(|_| next() & 0x8000_0100_0030_0007).collect();
                let bases: Vec<u64> = (0..8).map(|_| next()).collect();
                let near: Vec<u64> = (0..len)
                    .map(|i| bases[i % 8] ^ (1 << (next() % 64)) ^ (1 << (next() % 64)))
                    .collect();
                for values in [narrow, near] {
                    for t in &plan.tables {
                        let mut bucket: Vec<u64> =
                            values.iter().map(|&x| t.forward.apply(x)).collect();
                        bucket.sort_unstable();
                        bucket.dedup();
                        let want = all_pairs(&bucket, t, k);
                        for chained in [true, false] {
                            let got = std::sync::Mutex::new(Vec::new());
                            let mut on_pair = |x: u64, y: u64, d: u32| {
                                got.lock().unwrap().push((x.min(y), x.max(y), d));
                            };
                            let mut shuffled = bucket.clone();
                            shuffled.reverse();
                            if chained {
                                join_bucket(&mut shuffled, t, k, 0, &mut chains, &mut on_pair);
                            } else {
                                join_runs(
                                    &mut shuffled,
                                    t,
                                    k,
                                    t.key_bits,
                                    &mut chains.sorted,
                                    &mut on_pair,
                                );
                            }
                            let mut got = got.into_inner().unwrap();
                            got.sort_unstable();
                            assert_eq!(got, want, "k {k} b {b} len {len} chained {chained}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn split_sort_equals_sort_unstable() {
        let mut seed = 11u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            seed ^ (seed >> 29)
        };
        let n = (1 << 16) + 3;
        let random: Vec<Item> = (0..n).map(|i| Item::new(next(), i)).collect();
        // Few top bytes (very uneven buckets) and many equal fingerprints
        // with ids out of order.
        let skewed: Vec<Item> = (0..n)
            .map(|_| Item::new(next() & 0x0300_0000_0000_00ff, next() % 50))
            .collect();
        let one_half_empty: Vec<Item> = (0..n)
            .map(|i| Item::new(if i < n / 2 { u64::MAX - i } else { i }, i))
            .collect();
        let small: Vec<Item> = (0..1000).map(|i| Item::new(next(), i)).collect();
        for items in [random, skewed, one_half_empty, small] {
            let mut want = items.clone();
            want.sort_unstable();
            for threads in [1, 2, 3] {
                for scratch_len in [0, 7, 2 * items.len()] {
                    let mut got = items.clone();
                    let mut scratch = vec![1u64; scratch_len];
                    sort_items_split(&mut got, threads, &mut scratch);
                    assert_eq!(got, want, "threads {threads} scratch {scratch_len}");
                    let mut got = items.clone();
                    sort_items(&mut got, threads);
                    assert_eq!(got, want, "threads {threads}");
                }
            }
        }
    }

    #[test]
    fn count_tables_matches_count_top_per_table() {
        let mut seed = 99u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            seed ^ (seed >> 29)
        };
        for (k, b) in [(0, 1), (1, 2), (3, 5), (3, 4), (6, 9), (8, 12)] {
            let plan = Plan::new(k, b);
            for len in [0usize, 1, 7, 5000, 70_000] {
                let v: Vec<u64> = (0..len).map(|_| next()).collect();
                let widths: Vec<u32> = plan
                    .tables
                    .iter()
                    .map(|t| top_bits(len.max(1 << 20), t.key_bits))
                    .collect();
                let got = count_tables(v.iter().copied(), &plan.tables, &widths);
                for ((t, &w), g) in plan.tables.iter().zip(&widths).zip(&got) {
                    let mut want = vec![0usize; 1 << w];
                    count_top(v.iter().map(|&x| t.forward.apply(x)), w, &mut want);
                    assert_eq!(g, &want, "k {k} b {b} len {len}");
                    assert_eq!(g.iter().sum::<usize>(), len);
                }
            }
        }
    }
}
