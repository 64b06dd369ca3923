//! Near-duplicate paragraphs: 64-bit SimHash fingerprints and exact
//! Hamming-distance search over them.
//!
//! - [`Index`]: incremental insert and query, "every stored fingerprint within
//!   distance <= k", for deduplicating new data against what was seen before;
//!   saved to and loaded from a versioned, checksummed file (format in
//!   the [`index`] module docs).
//! - [`SelfJoin`]: every pair within distance <= k of a whole set, in
//!   parallel, streamed to a callback, with [`SelfJoin::for_each_group`]
//!   grouping exactly-identical fingerprints so heavy duplication stays linear.
//!
//! Both use the block-permuted sorted tables of Manku, Jain and Das Sarma
//! (WWW 2007): split the 64 bits into `b` blocks; two fingerprints at distance
//! `<= k` agree exactly on at least `b - k` blocks, so one table per choice of
//! `b - k` key blocks ([`Layout`]) finds every near pair, and every layout
//! answers exactly what an all-pairs scan would.

pub mod index;

pub use self::index::{
    GroupPair, Index, IndexBuilder, Item, Layout, MAX_DISTANCE, MAX_TABLES, Match, Pair, SelfJoin,
    SelfJoinBuilder,
};
