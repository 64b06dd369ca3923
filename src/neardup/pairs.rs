//! Candidate keys: the Hamming-distance look-up the finder needs.
//!
//! A stand-in that scans every stored key (exact, `distance <= k`), until the
//! block-permuted [`index`](super) lands; the finder only uses `insert` and
//! `query`, so swapping the layout changes nothing else.

/// Stored keys with the paragraph id each belongs to.
#[derive(Clone, Debug)]
pub(crate) struct Candidates {
    k: u32,
    keys: Vec<u64>,
    ids: Vec<u32>,
}

impl Candidates {
    pub(crate) fn new(k: u32) -> Candidates {
        Candidates {
            k,
            keys: Vec::new(),
            ids: Vec::new(),
        }
    }

    pub(crate) fn insert(&mut self, key: u64, id: u32) {
        self.keys.push(key);
        self.ids.push(id);
    }

    /// Appends to `out` the ids of every stored key within `distance <= k`.
    pub(crate) fn query(&self, key: u64, out: &mut Vec<u32>) {
        for (i, &stored) in self.keys.iter().enumerate() {
            if (stored ^ key).count_ones() <= self.k {
                out.push(self.ids[i]);
            }
        }
    }

    pub(crate) fn memory_usage(&self) -> usize {
        self.keys.capacity() * 8 + self.ids.capacity() * 4
    }
}
