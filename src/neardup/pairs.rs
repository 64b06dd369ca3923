//! Candidate keys: the Hamming-distance look-up the finder needs, over the
//! exact block-permuted [`Index`](super::Index), or a hash map when the
//! distance is 0.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::fmix64;
use super::index::{Index, Item, scan_fingerprints};

/// A hash map keyed by a fingerprint or hash, with [`KeyHasher`].
pub(crate) type KeyMap<V> = HashMap<u64, V, KeyHasher>;

/// Hashes a `u64` key with [`fmix64`] of the key XOR a random seed: the keys
/// are already hashes, so one mixing step spreads them, at a tenth of the
/// cost of the default SipHash (which with its rehashing took 3% of a scan).
/// The seed is drawn per map from the standard library's random keys, so that
/// text made to collide in one process's table does not in another's.
#[derive(Clone, Copy, Debug)]
pub(crate) struct KeyHasher {
    seed: u64,
}

impl Default for KeyHasher {
    fn default() -> KeyHasher {
        KeyHasher {
            seed: std::collections::hash_map::RandomState::new().hash_one(0u64),
        }
    }
}

impl BuildHasher for KeyHasher {
    type Hasher = KeyHash;

    fn build_hasher(&self) -> KeyHash {
        KeyHash(self.seed)
    }
}

/// The [`Hasher`] of a [`KeyHasher`]: only `u64` keys are hashed with it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct KeyHash(u64);

impl Hasher for KeyHash {
    fn write(&mut self, bytes: &[u8]) {
        // Not used by `u64` keys; correct for any other all the same.
        for &b in bytes {
            self.0 = fmix64(self.0 ^ u64::from(b));
        }
    }

    #[inline]
    fn write_u64(&mut self, x: u64) {
        self.0 = fmix64(self.0 ^ x);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// The unsorted buffer of a paragraph-key index: every look-up scans it, and
/// the finder looks up five keys per paragraph for one it stores, so it is
/// kept smaller than the [`Index`] default.
const BUFFER_CAP: usize = 256;

/// Stored keys with the paragraph id each belongs to.
#[derive(Debug)]
pub(crate) enum Candidates {
    /// `distance <= k` for `k >= 1`.
    Near(Index),
    /// `distance <= 0` is equality: one hash look-up instead of scanning an
    /// index's unsorted buffer and probing every sorted run, which is what
    /// the default chunk keys (`k = 0`) spent most of the finder's time on.
    Exact(ExactKeys),
    /// `distance <= k` for `k >= 1`, with the index kept by other threads
    /// (see [`SharedNear`]).
    Shared(SharedNear),
}

impl Clone for Candidates {
    /// A clone keeps its own index: a shared one is copied out of its hub,
    /// since two writers feeding one hub would mix their keys.
    fn clone(&self) -> Candidates {
        match self {
            Candidates::Near(index) => Candidates::Near(index.clone()),
            Candidates::Exact(keys) => Candidates::Exact(keys.clone()),
            Candidates::Shared(shared) => Candidates::Near(shared.to_index()),
        }
    }
}

/// Locks a mutex whether or not a thread panicked while holding it: every
/// value guarded here is valid between any two of its operations, and a
/// panicking worker fails the scan anyway.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// How many of the latest keys a [`SharedNear`] keeps in its own list, at
/// least: probes are made from snapshots a few batches old, and every key
/// since is scanned linearly; older snapshots fall back to a published index.
pub(crate) const RECENT_KEEP: usize = 1 << 13;

/// The buffer of a shared index (see [`SharedNear`]): its keys are the
/// recent ones that snapshots lack, so it is well below [`RECENT_KEEP`].
const SHARED_BUFFER_CAP: usize = 1 << 11;

/// A Hamming index of keys that one thread adds to and other threads
/// maintain: the adding thread (a scan's collector, which must add in input
/// order) only appends keys to two lists, and the costly part, sorting them
/// into the runs of an [`Index`] and merging runs, runs on whichever thread
/// calls [`NearHub::maintain`], which then publishes a snapshot of it.
///
/// Look-ups on the adding thread are for the keys added since a snapshot,
/// a few batches of a scan, hundreds of keys with several workers: for
/// `k <= 3` through chains of the recent keys by each of their four 16-bit
/// lanes ([`LaneChains`]), otherwise (or for a few keys) a linear scan of
/// them, which is also what an index does with its unsorted buffer. For a
/// snapshot older than
/// the recent keys it holds, it queries a published index it keeps a hold
/// of, which covers all but the recent keys. So the answers are those of an
/// [`Index`] holding every key, whatever the threads do and when.
#[derive(Debug)]
pub(crate) struct SharedNear {
    k: u32,
    /// Keys added so far.
    len: usize,
    /// The keys with insertion numbers `recent_start..len`, in order, and
    /// their ids: apart, so that the scan reads only keys.
    recent: Vec<u64>,
    recent_ids: Vec<u32>,
    recent_start: usize,
    /// The recent keys by lane, for `k <= 3`.
    chains: Option<LaneChains>,
    /// The fewest keys kept in `recent` (see [`RECENT_KEEP`]).
    keep: usize,
    /// Added and not yet handed to the hub.
    outbox: Vec<Item>,
    /// A published index holding at least the keys before `recent_start`.
    fallback: Arc<Index>,
    hub: Arc<NearHub>,
}

/// The part of a [`SharedNear`] that other threads see.
#[derive(Debug)]
pub(crate) struct NearHub {
    /// Keys handed over by the adding thread, in order, not yet indexed.
    inbox: Mutex<Vec<Item>>,
    /// `inbox.len()`, read without the lock.
    waiting: AtomicUsize,
    /// The index and a spare vector to swap with the inbox, so that neither
    /// side allocates per hand-over.
    index: Mutex<(Index, Vec<Item>)>,
    /// The latest snapshot of the index.
    published: Mutex<Arc<Index>>,
}

impl NearHub {
    /// Moves the waiting keys into the index and publishes a snapshot of
    /// it; does nothing when none are waiting or another thread is at it.
    /// Keys enter the index in the order they were added, since the inbox
    /// is only emptied under the index's lock.
    pub(crate) fn maintain(&self) {
        if self.waiting.load(Ordering::Relaxed) == 0 {
            return;
        }
        let Ok(mut guard) = self.index.try_lock() else {
            return;
        };
        let (index, spare) = &mut *guard;
        {
            let mut inbox = lock(&self.inbox);
            std::mem::swap(&mut *inbox, spare);
            self.waiting.store(0, Ordering::Relaxed);
        }
        if spare.is_empty() {
            return;
        }
        for it in spare.drain(..) {
            index.insert(it.fingerprint, it.id);
        }
        // Without the unsorted buffer, which every probe would scan: the
        // adding thread looks up the keys since the snapshot anyway, and its
        // cost hardly grows with their number (see `LaneChains`).
        let fresh = Arc::new(index.runs_snapshot());
        // The snapshot replaced is dropped here, on the maintaining thread.
        let _old = std::mem::replace(&mut *lock(&self.published), fresh);
    }

    /// The latest published snapshot.
    pub(crate) fn published(&self) -> Arc<Index> {
        Arc::clone(&lock(&self.published))
    }

    fn memory_usage(&self) -> usize {
        let inbox = lock(&self.inbox).capacity() * size_of::<Item>();
        let index = lock(&self.index);
        inbox + index.0.memory_usage() + index.1.capacity() * size_of::<Item>()
    }
}

impl SharedNear {
    fn new(index: Index, keep: usize) -> SharedNear {
        let snapshot = Arc::new(index.runs_snapshot());
        // The snapshot lacks the index's buffer: those keys are the recent
        // ones.
        let buffered = index.buffered().to_vec();
        // Reserved for the most the recent lists hold between two trims, so
        // that they never grow by copying (the memory is not touched before
        // it is used).
        let most = 2 * keep + SHARED_BUFFER_CAP;
        let mut shared = SharedNear {
            k: index.max_distance(),
            len: snapshot.len(),
            recent: Vec::with_capacity(most),
            recent_ids: Vec::with_capacity(most),
            recent_start: snapshot.len(),
            chains: (index.max_distance() <= 3).then(|| LaneChains::new(most)),
            keep,
            outbox: Vec::new(),
            fallback: Arc::clone(&snapshot),
            hub: Arc::new(NearHub {
                inbox: Mutex::new(Vec::new()),
                waiting: AtomicUsize::new(0),
                index: Mutex::new((index, Vec::new())),
                published: Mutex::new(snapshot),
            }),
        };
        for it in buffered {
            shared.push_recent(it.fingerprint, it.id as u32);
        }
        shared
    }

    /// The insertion number of the oldest key kept in the recent list.
    #[cfg(test)]
    pub(crate) fn recent_start(&self) -> usize {
        self.recent_start
    }

    fn insert(&mut self, key: u64, id: u32) {
        self.push_recent(key, id);
        self.outbox.push(Item::new(key, u64::from(id)));
    }

    fn push_recent(&mut self, key: u64, id: u32) {
        if let Some(chains) = &mut self.chains {
            chains.insert(key, self.len);
        }
        self.recent.push(key);
        self.recent_ids.push(id);
        self.len += 1;
    }

    fn query_since(&self, since: usize, keys: &[u64], out: &mut Vec<u32>) {
        let since = since.min(self.len);
        let from = if since >= self.recent_start {
            since
        } else {
            // Older than the recent keys: the fallback covers `since` up to
            // its length (and maybe some keys before, which are matches too).
            self.fallback
                .query_keys_since(since, keys, |m| out.push(m.id as u32));
            self.fallback.len()
        };
        let tail = &self.recent[from - self.recent_start..];
        let ids = &self.recent_ids[from - self.recent_start..];
        match &self.chains {
            // A few keys are scanned faster than four chains are walked.
            Some(chains) if tail.len() > LaneChains::MIN_KEYS => {
                for &key in keys {
                    chains.query(key, self.k, from, self.recent_start, &self.recent, |i| {
                        out.push(self.recent_ids[i]);
                    });
                }
            }
            _ => {
                for &key in keys {
                    scan_fingerprints(tail, key, self.k, |i, _| out.push(ids[i]));
                }
            }
        }
    }

    /// Hands the keys added since the last call to the hub, takes the
    /// latest published snapshot as the fallback and forgets the recent keys
    /// it covers beyond the `keep` latest.
    fn publish(&mut self) {
        if !self.outbox.is_empty() {
            let mut inbox = lock(&self.hub.inbox);
            inbox.extend_from_slice(&self.outbox);
            self.hub.waiting.store(inbox.len(), Ordering::Relaxed);
            drop(inbox);
            self.outbox.clear();
        }
        let published = self.hub.published();
        if published.len() > self.fallback.len() {
            self.fallback = published;
        }
        let start = self.fallback.len().min(self.len.saturating_sub(self.keep));
        // Forget in steps of `keep`, so that the copy is amortised.
        if start >= self.recent_start + self.keep.max(1) {
            self.recent.drain(..start - self.recent_start);
            self.recent_ids.drain(..start - self.recent_start);
            if let Some(chains) = &mut self.chains {
                chains.links.drain(..start - self.recent_start);
            }
            self.recent_start = start;
        }
    }

    /// An index of every key added, on this thread.
    fn to_index(&self) -> Index {
        let mut index = (*self.fallback).clone();
        let from = self.fallback.len() - self.recent_start;
        for (&key, &id) in self.recent[from..].iter().zip(&self.recent_ids[from..]) {
            index.insert(key, u64::from(id));
        }
        index
    }

    fn memory_usage(&self) -> usize {
        self.recent.capacity() * 8
            + self.recent_ids.capacity() * 4
            + self.chains.as_ref().map_or(0, LaneChains::memory_usage)
            + self.outbox.capacity() * size_of::<Item>()
            + self.hub.memory_usage()
    }
}

/// The recent keys of a [`SharedNear`] chained by each of their four 16-bit
/// lanes, for look-ups within `distance <= 3`: a key within 3 of another
/// agrees with it on a whole lane (pigeonhole), so walking the four chains
/// of a query's lanes meets every match. A chain holds the keys whose lane
/// falls in one of 4096 buckets (its low 12 bits), newest first, so a walk
/// stops at the first key older than the look-up wants: it visits the
/// matches and about one key in 4096 of the others per lane, instead of
/// every recent key.
#[derive(Debug)]
struct LaneChains {
    /// The newest insertion number in each lane's bucket, or [`NONE`].
    heads: Vec<usize>,
    /// Per recent key (from the owner's `recent_start`), per lane, how many
    /// keys back the previous key in its bucket is, or [`NO_LINK`]: 16
    /// bytes a key instead of 32.
    links: Vec<[u32; LANES]>,
}

/// The 16-bit lanes of a key.
const LANES: usize = 4;
/// Buckets per lane: 2^12.
const BUCKET_BITS: u32 = 12;
/// The end of a chain.
const NONE: usize = usize::MAX;
/// The end of a chain in [`LaneChains::links`].
const NO_LINK: u32 = u32::MAX;

impl LaneChains {
    /// Look-ups over at most this many keys scan them instead.
    const MIN_KEYS: usize = 32;

    fn new(capacity: usize) -> LaneChains {
        LaneChains {
            heads: vec![NONE; LANES << BUCKET_BITS],
            links: Vec::with_capacity(capacity),
        }
    }

    #[inline]
    fn bucket(key: u64, lane: usize) -> usize {
        (lane << BUCKET_BITS) | ((key >> (16 * lane)) as usize & ((1 << BUCKET_BITS) - 1))
    }

    /// Chains the key with insertion number `at`, the newest.
    fn insert(&mut self, key: u64, at: usize) {
        let mut links = [NO_LINK; LANES];
        for (lane, link) in links.iter_mut().enumerate() {
            let head = &mut self.heads[Self::bucket(key, lane)];
            if *head != NONE {
                // A key over 4 billion back is long forgotten.
                *link = u32::try_from(at - *head).unwrap_or(NO_LINK);
            }
            *head = at;
        }
        self.links.push(links);
    }

    /// Calls `on_match(i)` for the recent keys `recent[i]` (insertion number
    /// `base + i`) from insertion number `from` on within distance `k <= 3`
    /// of `key`, some of them more than once; `from >= base`.
    fn query<F: FnMut(usize)>(
        &self,
        key: u64,
        k: u32,
        from: usize,
        base: usize,
        recent: &[u64],
        mut on_match: F,
    ) {
        debug_assert!(k <= 3);
        for lane in 0..LANES {
            let mut at = self.heads[Self::bucket(key, lane)];
            // Chains run newest first; one that reaches below `from` (or
            // below `base`, keys forgotten) has no more to give.
            while at != NONE && at >= from {
                let i = at - base;
                if (recent[i] ^ key).count_ones() <= k {
                    on_match(i);
                }
                let back = self.links[i][lane];
                if back == NO_LINK {
                    break;
                }
                at -= back as usize;
            }
        }
    }

    fn memory_usage(&self) -> usize {
        self.heads.capacity() * size_of::<usize>()
            + self.links.capacity() * size_of::<[u32; LANES]>()
    }
}

/// Keys mapped to the ids stored under them, as linked lists through one
/// vector: 16 bytes of map per distinct key and 8 per stored id, against
/// 24 per id in an [`Index`] at `k = 0`.
#[derive(Clone, Debug, Default)]
pub(crate) struct ExactKeys {
    /// Key → the last entry stored under it.
    heads: KeyMap<u32>,
    /// `(id, previous entry with the same key or u32::MAX)`.
    entries: Vec<(u32, u32)>,
}

impl ExactKeys {
    fn insert(&mut self, key: u64, id: u32) {
        let at = self.entries.len() as u32;
        let prev = self.heads.insert(key, at).unwrap_or(u32::MAX);
        self.entries.push((id, prev));
    }

    fn query(&self, key: u64, out: &mut Vec<u32>) {
        self.walk(self.heads.get(&key).copied().unwrap_or(u32::MAX), out);
    }

    /// [`query`](Self::query), then [`insert`](Self::insert), in one hash
    /// operation.
    fn query_then_insert(&mut self, key: u64, id: u32, out: &mut Vec<u32>) {
        let at = self.entries.len() as u32;
        let prev = self.heads.insert(key, at).unwrap_or(u32::MAX);
        self.entries.push((id, prev));
        self.walk(prev, out);
    }

    /// Appends the ids of the entry `at` and those before it with its key.
    fn walk(&self, mut at: u32, out: &mut Vec<u32>) {
        while at != u32::MAX {
            let (id, prev) = self.entries[at as usize];
            out.push(id);
            at = prev;
        }
    }

    fn memory_usage(&self) -> usize {
        // A hashbrown slot is the (key, value) pair plus one control byte.
        self.heads.capacity() * (size_of::<(u64, u32)>() + 1) + self.entries.capacity() * 8
    }
}

impl Candidates {
    /// # Errors
    ///
    /// When `k` is above [`super::MAX_DISTANCE`].
    pub(crate) fn new(k: u32) -> crate::Result<Candidates> {
        let mut b = Index::builder();
        b.max_distance(k).buffer_capacity(BUFFER_CAP);
        if k <= 3 {
            b.blocks(k + 1);
        }
        let index = b.build()?;
        Ok(if k == 0 {
            Candidates::Exact(ExactKeys::default())
        } else {
            Candidates::Near(index)
        })
    }

    pub(crate) fn insert(&mut self, key: u64, id: u32) {
        match self {
            Candidates::Near(index) => index.insert(key, id as u64),
            Candidates::Exact(keys) => keys.insert(key, id),
            Candidates::Shared(shared) => shared.insert(key, id),
        }
    }

    /// Hands the upkeep of a Hamming index to other threads (see
    /// [`SharedNear`]) and returns the hub they maintain it through; `None`
    /// for the hash map, which stays with its owner.
    pub(crate) fn share(&mut self) -> Option<Arc<NearHub>> {
        self.share_keeping(RECENT_KEEP, SHARED_BUFFER_CAP)
    }

    /// [`share`](Self::share), keeping at least `keep` recent keys, with an
    /// index buffer of `buffer` keys (tests make both small to exercise the
    /// fallback).
    pub(crate) fn share_keeping(&mut self, keep: usize, buffer: usize) -> Option<Arc<NearHub>> {
        let shared = match self {
            Candidates::Exact(_) => return None,
            Candidates::Shared(shared) => return Some(Arc::clone(&shared.hub)),
            Candidates::Near(index) => {
                let mut index = std::mem::replace(index, index.emptied());
                // No probe scans the buffer of a shared index (its
                // snapshots leave it out), so it can be larger: fewer runs
                // to sort, merge and probe.
                index.set_buffer_capacity(buffer);
                SharedNear::new(index, keep)
            }
        };
        let hub = Arc::clone(&shared.hub);
        *self = Candidates::Shared(shared);
        Some(hub)
    }

    /// For a shared index, hands the latest keys to its hub and takes its
    /// latest snapshot (see [`SharedNear`]); nothing otherwise.
    pub(crate) fn publish(&mut self) {
        if let Candidates::Shared(shared) = self {
            shared.publish();
        }
    }

    /// Appends to `out` the ids of every stored key within `distance <= k`
    /// of one of `keys`, in no particular order, possibly repeated.
    #[cfg(test)]
    pub(crate) fn query(&self, keys: &[u64], out: &mut Vec<u32>) {
        self.query_since(0, keys, out);
    }

    /// A read-only copy for other threads: a clone of the index, which
    /// shares its sorted runs; `None` for the hash map, which the owner
    /// queries in full (it is a single look-up).
    #[cfg(test)]
    pub(crate) fn snapshot(&self) -> Option<Arc<Index>> {
        match self {
            Candidates::Near(index) => Some(Arc::new(index.clone())),
            Candidates::Exact(_) => None,
            Candidates::Shared(shared) => Some(Arc::clone(&shared.fallback)),
        }
    }

    /// Like [`query`](Self::query) for the keys stored after the first
    /// `since` (a snapshot's [`index_len`](Self::index_len)); may also
    /// append some earlier ones.
    pub(crate) fn query_since(&self, since: usize, keys: &[u64], out: &mut Vec<u32>) {
        match self {
            Candidates::Near(index) => {
                index.query_keys_since(since, keys, |m| out.push(m.id as u32));
            }
            Candidates::Exact(map) => {
                for &key in keys {
                    map.query(key, out);
                }
            }
            Candidates::Shared(shared) => shared.query_since(since, keys, out),
        }
    }

    /// [`query_since`](Self::query_since) for `keys`, then
    /// [`insert`](Self::insert) of each under `id`; a key may find `id`
    /// itself when `keys` repeat (or are near, at distance above 0).
    pub(crate) fn query_since_then_insert(
        &mut self,
        since: usize,
        keys: &[u64],
        id: u32,
        out: &mut Vec<u32>,
    ) {
        match self {
            Candidates::Exact(map) => {
                for &key in keys {
                    map.query_then_insert(key, id, out);
                }
            }
            _ => {
                self.query_since(since, keys, out);
                for &key in keys {
                    self.insert(key, id);
                }
            }
        }
    }

    pub(crate) fn memory_usage(&self) -> usize {
        match self {
            Candidates::Near(index) => index.memory_usage(),
            Candidates::Exact(keys) => keys.memory_usage(),
            Candidates::Shared(shared) => shared.memory_usage(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A shared index answers every key stored since `since` within the
    /// distance (and nothing farther), through its lane chains, its linear
    /// scan and its fallback, for near keys differing in any lanes.
    #[test]
    fn shared_near_finds_every_key_since() {
        for (k, keep, buffer) in [
            (3, 0, 1),
            (3, 40, 16),
            (3, 4096, 1024),
            (2, 8, 8),
            (1, 100, 64),
            (4, 50, 32),
        ] {
            let mut shared = Candidates::new(k).unwrap();
            let hub = shared.share_keeping(keep, buffer).unwrap();
            let mut keys: Vec<u64> = Vec::new();
            let mut state = 0x0bad_5eed_u64 ^ u64::from(k);
            let mut next = || {
                state = fmix64(state.wrapping_add(0x9e37_79b9_7f4a_7c15));
                state
            };
            // Flips `n` bits, each in a lane of its own while there are any.
            let flip = |key: u64, n: u64, r: u64| -> u64 {
                let mut x = key;
                for j in 0..n {
                    let lane = (r >> (8 * j)) % 4;
                    x ^= 1 << (16 * lane + (r >> (8 * j + 2)) % 16);
                }
                x
            };
            let mut checked = 0;
            for id in 0..3000u32 {
                let r = next();
                let key = if keys.is_empty() || r % 3 == 0 {
                    next()
                } else {
                    flip(keys[(r >> 8) as usize % keys.len()], r % 5, next())
                };
                shared.insert(key, id);
                keys.push(key);
                if r % 7 == 0 {
                    shared.publish();
                }
                if r % 11 < 4 {
                    hub.maintain();
                }
                let q = flip(keys[(next() as usize) % keys.len()], next() % 4, next());
                let since = [
                    0,
                    keys.len() / 2,
                    keys.len().saturating_sub(200),
                    keys.len() - 1,
                ][(r >> 20) as usize % 4];
                let mut got = Vec::new();
                shared.query_since(since, &[q], &mut got);
                got.sort_unstable();
                got.dedup();
                let near = |i: usize| (keys[i] ^ q).count_ones() <= k;
                for i in since..keys.len() {
                    if near(i) {
                        checked += 1;
                        assert!(
                            got.binary_search(&(i as u32)).is_ok(),
                            "k {k}: key {i} missing since {since}"
                        );
                    }
                }
                for &i in &got {
                    assert!(near(i as usize), "k {k}: key {i} is not near");
                }
            }
            assert!(checked > 500, "k {k}: only {checked} near keys");
        }
    }

    /// The hash-map path answers what the index at `k = 0` answers.
    #[test]
    fn exact_keys_equal_the_index_at_distance_0() {
        let mut exact = Candidates::new(0).unwrap();
        assert!(matches!(exact, Candidates::Exact(_)));
        let mut index = Index::new(0).unwrap();
        let mut state = 0x1234_5678_9abc_def0u64;
        let mut keys = Vec::new();
        for id in 0..5000u32 {
            state = super::super::fmix64(state.wrapping_add(0x9e37_79b9_7f4a_7c15));
            // Few distinct keys, so that many ids share one.
            let key = state % 1500;
            keys.push(key);
            exact.insert(key, id);
            index.insert(key, id as u64);
            if id % 7 == 0 {
                let q = keys[(state >> 40) as usize % keys.len()];
                let mut got = Vec::new();
                exact.query(&[q], &mut got);
                got.sort_unstable();
                let mut want: Vec<u32> = index.matches(q).iter().map(|m| m.id as u32).collect();
                want.sort_unstable();
                assert_eq!(got, want, "key {q} after {id}");
                let mut none = Vec::new();
                exact.query(&[1 << 40], &mut none);
                assert!(none.is_empty());
            }
        }
    }
}
