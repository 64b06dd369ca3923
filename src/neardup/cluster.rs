//! Clusters: connected components of verified near-duplicate pairs.

use std::ops::Range;

/// Where a paragraph is: its document, its index among the document's
/// paragraphs, and its byte span in the document's original text.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Location {
    /// The document id given to [`Finder::add_document`](super::Finder::add_document).
    pub doc: u64,
    /// The 0-based index of the paragraph in its document.
    pub paragraph: usize,
    /// The paragraph's trimmed byte span in the document's original text.
    pub span: Range<usize>,
}

/// How a cluster's representative is chosen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Representative {
    /// The member seen first (added earliest). The default: in a streaming
    /// pipeline it is the copy that was kept.
    #[default]
    FirstSeen,
    /// The longest member (in bytes of original text), the first seen among
    /// equally long ones: the most complete copy when others were cut off.
    Longest,
}

/// A set of paragraphs that are near duplicates of each other, directly or
/// through a chain of verified pairs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cluster {
    /// The cluster id: clusters are numbered 0, 1, 2, ... in the order in
    /// which their first member was seen, so the same input in the same order
    /// gives the same ids.
    pub id: usize,
    /// The members in the order they were seen; at least two.
    pub members: Vec<Location>,
    /// The index in `members` of the representative.
    pub representative: usize,
}

impl Cluster {
    /// The representative member.
    pub fn representative(&self) -> &Location {
        &self.members[self.representative]
    }
}

/// Union-find over paragraph ids 0, 1, 2, ... with path halving and union by
/// size.
#[derive(Clone, Debug, Default)]
pub(crate) struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    /// Adds a singleton and returns its id.
    pub(crate) fn push(&mut self) -> u32 {
        let id = self.parent.len() as u32;
        self.parent.push(id);
        self.size.push(1);
        id
    }

    pub(crate) fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = p;
        }
        x
    }

    pub(crate) fn union(&mut self, a: u32, b: u32) {
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        if self.size[a as usize] < self.size[b as usize] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b as usize] = a;
        self.size[a as usize] += self.size[b as usize];
    }

    pub(crate) fn set_size(&mut self, x: u32) -> u32 {
        let r = self.find(x);
        self.size[r as usize]
    }

    pub(crate) fn len(&self) -> usize {
        self.parent.len()
    }

    pub(crate) fn memory_usage(&self) -> usize {
        (self.parent.capacity() + self.size.capacity()) * 4
    }
}

/// Groups ids `0..uf.len()` into components of at least two, ordered by their
/// smallest id, each listing its ids ascending.
pub(crate) fn components(uf: &mut UnionFind) -> Vec<Vec<u32>> {
    let n = uf.len();
    // Component number per root, assigned in order of the smallest member.
    let mut slot = vec![u32::MAX; n];
    let mut groups: Vec<Vec<u32>> = Vec::new();
    for id in 0..n as u32 {
        if uf.set_size(id) < 2 {
            continue;
        }
        let r = uf.find(id) as usize;
        if slot[r] == u32::MAX {
            slot[r] = groups.len() as u32;
            groups.push(Vec::new());
        }
        groups[slot[r] as usize].push(id);
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_in_first_seen_order() {
        let mut uf = UnionFind::default();
        for _ in 0..7 {
            uf.push();
        }
        uf.union(5, 1);
        uf.union(6, 3);
        uf.union(3, 1);
        uf.union(2, 4);
        assert_eq!(components(&mut uf), vec![vec![1, 3, 5, 6], vec![2, 4]]);
    }
}
