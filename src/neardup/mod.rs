//! Near-duplicate paragraphs: SimHash fingerprints, candidate look-up by
//! Hamming distance, Jaccard verification and clusters.
//!
//! [`Finder`] is the high-level entry point; [`Fingerprinter`] computes the
//! keys and sketches it stores.

mod cluster;
mod finder;
pub mod fingerprint;
mod pairs;

pub use cluster::{Cluster, Location, Representative};
pub use finder::{
    DEFAULT_MAX_DISTANCE, DEFAULT_MIN_JACCARD, Finder, FinderBuilder, MAX_DISTANCE_LIMIT, Outcome,
};
pub use fingerprint::{Analysis, Fingerprinter, FingerprinterBuilder, fmix64, sketch_jaccard};
