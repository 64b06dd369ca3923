//! Block layouts: how the 64 bits are split into blocks, which blocks key each
//! table, and the bit permutations that move a table's key blocks to the top.
//!
//! With `b` blocks and `distance <= k`, at most `k` blocks contain a differing
//! bit, so at least `b - k` blocks agree exactly (pigeonhole). One table per
//! `(b - k)`-subset of the blocks, `C(b, b - k) = C(b, k)` tables in all, is
//! therefore enough: every near pair agrees on the key of at least one table.
//! No two tables share a key set, so no table is redundant.

use crate::{Error, Result};

/// The largest supported `max_distance`.
pub const MAX_DISTANCE: u32 = 8;

/// The largest number of tables (`C(blocks, max_distance)`) a layout may need.
///
/// Each table costs 8 bytes per stored fingerprint in an [`Index`](super::Index)
/// and one sort per [`SelfJoin`](super::SelfJoin) run, so layouts beyond this are
/// never useful and would only let a typo allocate gigabytes.
pub const MAX_TABLES: u64 = 1024;

/// How the 64 fingerprint bits are split into blocks.
///
/// Every layout returns exactly the same answers; they differ only in speed and
/// memory. More blocks mean more tables (`C(blocks, max_distance)`, more memory,
/// more sorting) but longer table keys (fewer candidates to compare per lookup).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Layout {
    /// Choose the number of blocks automatically. See [`Layout::Blocks`] for the
    /// trade-off; [`IndexBuilder::layout`](super::IndexBuilder::layout) and
    /// [`SelfJoinBuilder::layout`](super::SelfJoinBuilder::layout) document the
    /// choice each one makes.
    #[default]
    Auto,
    /// Split the 64 bits into this many blocks of near-equal width (the first
    /// `64 % blocks` blocks are one bit wider), the most significant block first.
    /// Must be greater than `max_distance` and at most 64, and
    /// `C(blocks, max_distance)` must be at most [`MAX_TABLES`].
    Blocks(u32),
}

/// `C(n, r)`, saturating at `u64::MAX`.
pub(crate) fn binomial(n: u32, r: u32) -> u64 {
    if r > n {
        return 0;
    }
    let r = r.min(n - r);
    let mut c: u128 = 1;
    for i in 0..r {
        // Exact at every step: the product of i + 1 consecutive integers is
        // divisible by (i + 1)!.
        c = c * u128::from(n - i) / u128::from(i + 1);
        if c > u128::from(u64::MAX) {
            return u64::MAX;
        }
    }
    c as u64
}

/// Checks `max_distance` and an explicit block count, naming the values.
pub(crate) fn check(max_distance: u32, blocks: u32) -> Result<()> {
    check_distance(max_distance)?;
    if blocks <= max_distance {
        return Err(Error::Config(format!(
            "blocks {blocks} must be greater than max_distance {max_distance}: with \
             distance <= {max_distance} only blocks - max_distance blocks are sure to agree"
        )));
    }
    if blocks > 64 {
        return Err(Error::Config(format!(
            "blocks {blocks} is above the supported maximum 64 (a block needs at least one bit)"
        )));
    }
    let tables = binomial(blocks, max_distance);
    if tables > MAX_TABLES {
        return Err(Error::Config(format!(
            "blocks {blocks} with max_distance {max_distance} needs {tables} tables, \
             above the supported maximum {MAX_TABLES}"
        )));
    }
    Ok(())
}

/// Checks `max_distance` alone.
pub(crate) fn check_distance(max_distance: u32) -> Result<()> {
    if max_distance > MAX_DISTANCE {
        return Err(Error::Config(format!(
            "max_distance {max_distance} is above the supported maximum {MAX_DISTANCE}"
        )));
    }
    Ok(())
}

/// A bit permutation, stored as groups of bits that all move by the same rotation.
///
/// Grouping by rotation keeps `apply` at one mask, rotate and or per distinct
/// shift (at most one per block, usually far fewer), whatever the block count.
#[derive(Clone, Debug)]
pub(crate) struct Permutation {
    moves: Vec<(u64, u32)>,
}

impl Permutation {
    #[inline]
    pub(crate) fn apply(&self, x: u64) -> u64 {
        let mut y = 0;
        for &(mask, rot) in &self.moves {
            y |= (x & mask).rotate_left(rot);
        }
        y
    }

    /// A rotation `r` such that the top `width` bits of `apply(x)` are the
    /// top `width` bits of `x.rotate_left(r)` for every `x`, if one move
    /// supplies them all (for a table, when its first key block is at least
    /// `width` bits wide). Tables whose first key blocks agree then share
    /// their top digits, computed without the whole permutation.
    pub(crate) fn top_rotation(&self, width: u32) -> Option<u32> {
        if width == 0 {
            return Some(0);
        }
        let top = u64::MAX << (64 - width);
        self.moves
            .iter()
            .find(|&&(mask, rot)| mask.rotate_left(rot) & top == top)
            .map(|&(_, rot)| rot)
    }

    fn add(&mut self, mask: u64, rot: u32) {
        match self.moves.iter_mut().find(|(_, r)| *r == rot) {
            Some((m, _)) => *m |= mask,
            None => self.moves.push((mask, rot)),
        }
    }
}

/// One table of a layout.
#[derive(Clone, Debug)]
pub(crate) struct TablePlan {
    /// Moves the key blocks (in block order) to the top, the other blocks below.
    pub(crate) forward: Permutation,
    /// Undoes `forward`.
    pub(crate) inverse: Permutation,
    /// Width of the key: the top `key_bits` bits of a permuted fingerprint.
    pub(crate) key_bits: u32,
    /// Permuted-domain masks of the non-key blocks numbered below the highest
    /// key block. A pair is reported by the table whose key blocks are the
    /// lowest-numbered `b - k` agreeing blocks; this table is that one exactly
    /// when none of these blocks agree.
    lower_free: Vec<u64>,
}

impl TablePlan {
    /// Whether this table is the one that reports a pair whose permuted
    /// fingerprints xor to `x` (given the keys agree and distance <= k).
    #[inline]
    pub(crate) fn owns(&self, x: u64) -> bool {
        self.lower_free.iter().all(|&m| x & m != 0)
    }

    /// The key of a permuted fingerprint.
    #[inline]
    pub(crate) fn key(&self, permuted: u64) -> u64 {
        // key_bits is in 1..=64, so the shift is in 0..=63.
        permuted >> (64 - self.key_bits)
    }
}

/// A checked layout: `max_distance`, the block count and one plan per table.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    pub(crate) max_distance: u32,
    pub(crate) blocks: u32,
    pub(crate) tables: Vec<TablePlan>,
}

fn low_mask(width: u32) -> u64 {
    if width >= 64 {
        u64::MAX
    } else {
        (1u64 << width) - 1
    }
}

impl Plan {
    /// Builds the plan. The caller has called [`check`].
    pub(crate) fn new(max_distance: u32, blocks: u32) -> Plan {
        debug_assert!(check(max_distance, blocks).is_ok());
        let b = blocks as usize;
        let widths: Vec<u32> = (0..blocks)
            .map(|j| 64 / blocks + u32::from(j < 64 % blocks))
            .collect();
        // Block j occupies [low[j], low[j] + widths[j]) counting from bit 0;
        // block 0 is the most significant.
        let mut low = vec![0u32; b];
        let mut top = 64;
        for j in 0..b {
            top -= widths[j];
            low[j] = top;
        }
        let key_len = (blocks - max_distance) as usize;
        let mut tables = Vec::new();
        let mut combo: Vec<usize> = (0..key_len).collect();
        loop {
            let mut in_key = vec![false; b];
            for &j in &combo {
                in_key[j] = true;
            }
            let order: Vec<usize> = combo
                .iter()
                .copied()
                .chain((0..b).filter(|&j| !in_key[j]))
                .collect();
            let mut forward = Permutation { moves: Vec::new() };
            let mut inverse = Permutation { moves: Vec::new() };
            let mut dst_mask = vec![0u64; b];
            let mut top = 64;
            for &j in &order {
                top -= widths[j];
                let rot = (top + 64 - low[j]) % 64;
                forward.add(low_mask(widths[j]) << low[j], rot);
                inverse.add(low_mask(widths[j]) << top, (64 - rot) % 64);
                dst_mask[j] = low_mask(widths[j]) << top;
            }
            let highest = *combo.last().expect("key_len >= 1");
            let lower_free = (0..highest)
                .filter(|&j| !in_key[j])
                .map(|j| dst_mask[j])
                .collect();
            tables.push(TablePlan {
                forward,
                inverse,
                key_bits: combo.iter().map(|&j| widths[j]).sum(),
                lower_free,
            });
            // Next combination in lexicographic order.
            let mut i = key_len;
            loop {
                if i == 0 {
                    return Plan {
                        max_distance,
                        blocks,
                        tables,
                    };
                }
                i -= 1;
                if combo[i] < b - key_len + i {
                    combo[i] += 1;
                    for t in i + 1..key_len {
                        combo[t] = combo[t - 1] + 1;
                    }
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binomials() {
        assert_eq!(binomial(5, 3), 10);
        assert_eq!(binomial(64, 0), 1);
        assert_eq!(binomial(64, 8), 4_426_165_368);
        assert_eq!(binomial(3, 4), 0);
    }

    #[test]
    fn permutations_invert_and_count_tables() {
        let mut rng = 0x1234_5678_9abc_def0u64;
        for k in 0..=MAX_DISTANCE {
            for b in k + 1..=64 {
                if check(k, b).is_err() {
                    continue;
                }
                let plan = Plan::new(k, b);
                assert_eq!(plan.tables.len() as u64, binomial(b, k));
                for t in &plan.tables {
                    assert!(t.key_bits >= 1 && t.key_bits <= 64);
                    for _ in 0..8 {
                        rng ^= rng << 13;
                        rng ^= rng >> 7;
                        rng ^= rng << 17;
                        let p = t.forward.apply(rng);
                        assert_eq!(p.count_ones(), rng.count_ones());
                        assert_eq!(t.inverse.apply(p), rng, "k {k} b {b}");
                        for w in [0, 1, 8, 10, 13, 20, 64] {
                            if let Some(r) = t.forward.top_rotation(w) {
                                let top = |v: u64| if w == 0 { 0 } else { v >> (64 - w) };
                                assert_eq!(top(rng.rotate_left(r)), top(p), "k {k} b {b} w {w}");
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn top_rotation_covers_the_first_key_block() {
        // 5 blocks of 13, 13, 13, 13 and 12 bits: every table's first key
        // block supplies its top 10 bits, and tables sharing it share them.
        let plan = Plan::new(3, 5);
        let rots: Vec<Option<u32>> = plan
            .tables
            .iter()
            .map(|t| t.forward.top_rotation(10))
            .collect();
        assert!(rots.iter().all(Option::is_some), "{rots:?}");
        let mut distinct = rots.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), 4, "{rots:?}");
        // Keyed by blocks 0 and 1, which stay in place: one move, 26 bits.
        assert_eq!(plan.tables[0].forward.top_rotation(26), Some(0));
        // Keyed by blocks 0 and 2: block 2 moves, so 14 bits take two moves.
        assert_eq!(plan.tables[1].forward.top_rotation(13), Some(0));
        assert_eq!(plan.tables[1].forward.top_rotation(14), None);
    }

    #[test]
    fn errors_name_values() {
        let msg = |r: Result<()>| r.unwrap_err().to_string();
        assert!(msg(check(9, 10)).contains("max_distance 9 is above the supported maximum 8"));
        assert!(msg(check(3, 3)).contains("blocks 3 must be greater than max_distance 3"));
        assert!(msg(check(1, 65)).contains("blocks 65 is above the supported maximum 64"));
        assert!(msg(check(8, 13)).contains("needs 1287 tables"));
    }
}
