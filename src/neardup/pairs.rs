//! Candidate keys: the Hamming-distance look-up the finder needs, over the
//! exact block-permuted [`Index`](super::Index).

use super::index::Index;

/// Stored keys with the paragraph id each belongs to.
#[derive(Clone, Debug)]
pub(crate) struct Candidates {
    index: Index,
}

impl Candidates {
    /// # Errors
    ///
    /// When `k` is above [`super::MAX_DISTANCE`].
    pub(crate) fn new(k: u32) -> crate::Result<Candidates> {
        Ok(Candidates {
            index: Index::new(k)?,
        })
    }

    pub(crate) fn insert(&mut self, key: u64, id: u32) {
        self.index.insert(key, id as u64);
    }

    /// Appends to `out` the ids of every stored key within `distance <= k`.
    pub(crate) fn query(&self, key: u64, out: &mut Vec<u32>) {
        self.index.query(key, |m| out.push(m.id as u32));
    }

    pub(crate) fn memory_usage(&self) -> usize {
        self.index.memory_usage()
    }
}
