//! Candidate keys: the Hamming-distance look-up the finder needs, over the
//! exact block-permuted [`Index`](super::Index), or a hash map when the
//! distance is 0.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

use super::fmix64;
use super::index::Index;

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
#[derive(Clone, Debug)]
pub(crate) enum Candidates {
    /// `distance <= k` for `k >= 1`.
    Near(Index),
    /// `distance <= 0` is equality: one hash look-up instead of scanning an
    /// index's unsorted buffer and probing every sorted run, which is what
    /// the default chunk keys (`k = 0`) spent most of the finder's time on.
    Exact(ExactKeys),
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
        let mut at = self.heads.get(&key).copied().unwrap_or(u32::MAX);
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
        }
    }

    /// Appends to `out` the ids of every stored key within `distance <= k`
    /// of one of `keys`, in no particular order, possibly repeated.
    pub(crate) fn query(&self, keys: &[u64], out: &mut Vec<u32>) {
        self.query_since(0, keys, out);
    }

    /// A read-only copy for other threads: a clone of the index, which
    /// shares its sorted runs; `None` for the hash map, which the owner
    /// queries in full (it is a single look-up).
    pub(crate) fn snapshot(&self) -> Option<Index> {
        match self {
            Candidates::Near(index) => Some(index.clone()),
            Candidates::Exact(_) => None,
        }
    }

    /// The number of stored keys of the index, for [`query_since`](Self::query_since).
    pub(crate) fn index_len(&self) -> usize {
        match self {
            Candidates::Near(index) => index.len(),
            Candidates::Exact(_) => 0,
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
        }
    }

    pub(crate) fn memory_usage(&self) -> usize {
        match self {
            Candidates::Near(index) => index.memory_usage(),
            Candidates::Exact(keys) => keys.memory_usage(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
