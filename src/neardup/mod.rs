//! Near-duplicate paragraphs: SimHash fingerprints, candidate look-up by
//! Hamming distance, Jaccard verification and clusters.
//!
//! - [`Finder`] is the entry point: add documents one by one (each answer
//!   says which earlier paragraph each new paragraph duplicates, for streaming
//!   pipelines) and ask for the [`clusters`](Finder::clusters) at the end.
//! - [`Fingerprinter`] computes what the finder stores: 64-bit SimHash
//!   fingerprints of paragraphs, chunk keys, sketches, exact hashes.
//! - [`Index`]: incremental insert and query, "every stored fingerprint within
//!   distance <= k", for deduplicating new data against what was seen before;
//!   saved to and loaded from a versioned, checksummed file (format in
//!   the [`index`] module docs).
//! - [`SelfJoin`]: every pair within distance <= k of a whole set, in
//!   parallel, streamed to a callback, with [`SelfJoin::for_each_group`]
//!   grouping exactly-identical fingerprints so heavy duplication stays linear.
//!
//! Both index structures use the block-permuted sorted tables of Manku, Jain
//! and Das Sarma (WWW 2007): split the 64 bits into `b` blocks; two
//! fingerprints at distance `<= k` agree exactly on at least `b - k` blocks,
//! so one table per choice of `b - k` key blocks ([`Layout`]) finds every near
//! pair, and every layout answers exactly what an all-pairs scan would.
//!
//! ```
//! use spamsift::neardup::Finder;
//!
//! let mut finder = Finder::new();
//! finder.add_document(1, "\u{3000}\u{3000}成都平原经济区正加快打造高能级产业空间载体，1490家企业开展跨市域产业协作。\n", &[]);
//! let copy = "成都平原经济区正加快打造高能级产业空间载体,1490家企业开展跨市域产业协作金博体育。（记者 雷倢）\n";
//! let out = finder.add_document(2, copy, &[]);
//! let earlier = out[0].duplicate_of.as_ref().expect("a near duplicate");
//! assert_eq!((earlier.doc, earlier.paragraph), (1, 0));
//! ```
//!
//! # How a paragraph is matched
//!
//! 1. The document is folded once (width, case, traditional → simplified,
//!    invisible characters, short punctuation runs; see [`crate::text::fold`]).
//!    Paragraphs are found in the original text ([`crate::text::paragraphs`])
//!    and read from the folded text line for line.
//! 2. The fingerprinter reads the paragraph's units (CJK characters and
//!    words), skipping whitespace, punctuation and the masked spans (detected
//!    spam hits), and makes shingles of `n = 3` units. From one pass it gets
//!    the paragraph's **SimHash**, the keys of its **content-defined chunks**
//!    (the sums of their shingle hashes, at most 4 kept) and its own key
//!    among them (the sum of all its shingle hashes), a **one-permutation
//!    MinHash sketch** of 32 bins of its shingle hashes and an **exact hash**
//!    (of the sum and the number of units). The formulas are fixed and
//!    documented in [`fingerprint`].
//! 3. A paragraph with fewer than 12 units (a heading, a caption, a byline) is
//!    **short**: its SimHash would be noise, so it is matched only by the exact
//!    hash of its units (its folded text, punctuation and masks removed). A
//!    paragraph with no unit at all (only punctuation) is never a duplicate.
//! 4. Otherwise its paragraph key is looked up among the paragraph keys
//!    stored so far within Hamming distance `<= 3` (an [`Index`] of 4
//!    tables), and every key, its own and its chunks', among all the keys
//!    stored so far, paragraph and chunk keys alike, within `<= 0` (an
//!    untouched chunk keeps its key exactly; at distance 0 that is a hash
//!    map; the key of a paragraph of one chunk can equal a chunk key of a
//!    longer one).
//!    Each paragraph found is a candidate, **confirmed** when the Jaccard
//!    similarity of the two shingle sets, estimated from the sketches, is
//!    `>= 0.5`. Then the new paragraph's keys are stored.
//!
//!    Earlier versions searched every key within distance 3 among the paragraph
//!    keys: five Hamming searches per paragraph, which took a fifth of a scan's
//!    CPU time. Only a chunk key at distance 1 to 3 (not 0) from a paragraph
//!    key was lost by searching the paragraph key alone: the quality test
//!    below keeps precision 1.000 and recall 0.982, the bench corpus's
//!    clusters and the seed page's are unchanged, and a scan takes 21% fewer
//!    instructions. With chunk keys at a distance above 0
//!    ([`FinderBuilder::chunk_max_distance`]) every key is still searched in
//!    both indexes.
//! 5. Confirmed pairs are joined in a union-find; [`Finder::clusters`] lists
//!    the components of two or more, numbered in the order their first member
//!    was added, with a [`Representative`] (first seen by default, or longest).
//!
//! # Why chunk keys
//!
//! Paragraphs are short (50 to 300 characters), so one edit moves many bits of
//! a 64-bit SimHash: on the quality test below one paragraph fingerprint alone
//! finds 17% of the edited pairs at `k = 3`, 48% at `k = 7` and 56% at
//! `k = 8` (72% at `k = 10` with an all-pairs scan). A chunk ends where a shingle hash says so, independently of the
//! position and of punctuation, so an edit changes the chunks it touches and
//! leaves the others' keys *equal*. With chunk keys the distance barely
//! matters (recall 0.983 with paragraph keys at `k = 0` and at `k = 4`, 0.983
//! with the exact chunk keys and 0.981 with SimHash chunk keys at `k = 1` or
//! 3): candidates come from untouched chunks.
//! Paragraph keys keep `k = 3` for long paragraphs edited in every chunk;
//! chunk keys use `k = 0`, exact look-ups in a hash map.
//!
//! An exact look-up needs only keys that are equal for equal chunks, and
//! since issue #4 they are the sums of the chunks' shingle hashes (one
//! addition a shingle) instead of their SimHashes (a ripple into bit planes
//! a shingle and a carry chain a chunk); the paragraph's key among them is
//! the sum of all its shingles, so that a paragraph equal to a chunk of
//! another still finds it. SimHash chunk keys remain for
//! [`FinderBuilder::chunk_max_distance`] above 0, where near keys must be
//! near. The 4 kept chunks are the 4 smallest sums; since the choice among
//! a paragraph's 10 or so chunks changed, a few pairs whose copies shared
//! only some chunks changed too: on the 4 MiB bench corpus 2 planted pairs
//! (2 to 3 substituted characters in 40 to 80) lost their only shared kept
//! key and 1 gained one, 815 duplicates instead of 816 (of 817 planted),
//! 687 clusters instead of 689; on the 16 MiB corpus 6 planted pairs were
//! lost and 6 gained (3,386 duplicates either way, 2,899 clusters instead
//! of 2,900). The quality test below finds 0.983 of its pairs (0.982
//! before), precision 1.000.
//!
//! # Measurements behind the defaults
//!
//! `tests/neardup_quality.rs` takes 1000 real People's Daily paragraphs
//! (`tests/data/news_1998.txt`, dropping paragraphs that the newspaper itself
//! repeats), and for each makes a copy with one to three of: an unmasked spam
//! keyword spliced in, punctuation, width and spacing changes, one to three
//! substituted characters, the last 10 to 30% cut off, an appended byline.
//! Negatives: 300 pairs of distinct paragraphs given the same opening dateline
//! and byline, and every pair of distinct paragraphs. Precision and recall are
//! over pairs in the same cluster.
//!
//! Measured by `cargo test --release --test neardup_quality -- --ignored
//! --nocapture` (the sweep), with the sum chunk keys and the
//! one-permutation sketch of issue #4:
//!
//! | setting | precision | recall | keys per paragraph |
//! |---|---|---|---|
//! | **defaults** (n 3, chunk 8, at most 4 chunk keys, k 3 / chunk k 0, Jaccard 0.5, sketch 32) | 1.000 | 0.983 | 5.0 |
//! | paragraph keys at k 0 / 2 / 4 / 6 | 1.000 | 0.983 / 0.983 / 0.983 / 0.984 | 5.0 |
//! | paragraph key only, k 3 / 7 / 8 | 1.000 | 0.172 / 0.477 / 0.560 | 1 |
//! | chunk keys (SimHashes) at k 1 / 3 | 1.000 | 0.981 / 0.981 | 5.0 |
//! | chunk 8, at most 2 / 3 / 6 / all chunk keys | 1.000 | 0.907 / 0.963 / 0.991 / 0.991 | 3.0 / 4.0 / 7.0 / 15.9 |
//! | chunk 12, at most 4 / all | 1.000 | 0.968 / 0.984 | 5.0 / 10.5 |
//! | chunk 16 / 24, all chunk keys | 1.000 | 0.956 / 0.886 | 8.0 / 5.6 |
//! | n 2 / 4 (chunk 24, at most 4) | 1.000 | 0.891 / 0.884 | 4.4 |
//! | Jaccard 0.4 / 0.6 / 0.7 | 1.000 | 0.988 / 0.936 / 0.846 | 5.0 |
//! | sketch of 16 / 64 bins | 1.000 | 0.974 / 0.984 | 5.0 |
//!
//! The exact Jaccard similarity of the edited pairs has median 0.84, 1st
//! percentile 0.53 and minimum 0.39; that of the boilerplate-sharing negatives
//! has median 0.07 and maximum 0.16. The threshold 0.5 sits between them with
//! room for the sketch's error (root-mean-square about 0.08 to 0.09 at 32
//! bins, 0.1 for the shortest paragraphs; see [`sketch_jaccard`]), and 0.4
//! would gain 0.5% of recall for less room. 64 bins (the bytes of the
//! bottom-32 sketch before) gain 0.1%, 16 lose 0.9%. Before the repeated paragraphs were dropped
//! from the sample, every "false" pair found was such a repeat (a speech and
//! `江泽民说，` followed by the same speech).
//!
//! # Cost per paragraph
//!
//! Up to 5 fingerprints: the paragraph's and at most 4 chunks' (5.0 on the
//! news paragraphs of the quality test; 1 for a paragraph of one chunk). In the
//! [`Index`] an item takes 16 bytes plus 8 per table: 48 bytes for a
//! paragraph key at `k = 3` (4 tables of 16-bit keys: as selective as 10
//! tables of 25-bit keys up to millions of paragraphs, with fewer cache
//! misses per look-up); a key at `k = 0` takes about 27 bytes in a hash
//! map (8 per id plus a slot of 17 at 7/8 load per distinct key), and the map
//! holds the paragraph key too, so at most about 190 bytes of keys per
//! paragraph. Then a sketch of 32 bins of 2 bytes (64 bytes; 128 for the
//! bottom-32 sketch of 4-byte values before issue #4) plus an 8-byte
//! offset, the location (document id, index, span: 32 bytes) and 8 bytes of
//! union-find: at most about 305 bytes per paragraph, whatever its length; the
//! text is not kept. With one index for every key at `k = 3` it would be about
//! 355. Every paragraph also costs an entry in the map of exact hashes (about
//! 19 bytes: 16 and a control byte at 7/8 load), and a short paragraph
//! nothing else. [`Finder::memory_usage`]
//! reports the total, with the tables' spare room and the finder's buffers:
//! on the 4 MiB bench corpus (its planted injections masked) 450 bytes per
//! paragraph, 505 with the bottom-32 sketch.
//!
//! # The seed page
//!
//! On `tests/data/000_214c2e03461503b2.txt` with the `金博体育` hits masked,
//! the clusters are {2, 9, 10}, {3, 11}, {4, 12}, {5, 13}, {6, 14}, {7, 15},
//! {8, 16} (0-based non-blank lines). Line 9 is the headline, line 2 and the
//! title run together: it holds all of line 2 (once the hit is masked), and
//! line 2's shingles are 81% of its shingle set (exact Jaccard 0.81). By its
//! shingles it is line 2 with text glued on, as close to it as a copy with an
//! appended byline is to its source, and a rule that kept it out (a Jaccard
//! threshold above 0.81, or refusing added text) would also reject those
//! copies: the quality test's recall falls from 0.982 to 0.827 at 0.7 already.
//! So line 9 joins {2, 10}, by design. The title (line 0) has Jaccard 0.17
//! with line 9 and stays out (with the SimHash chunk keys before issue #4 the
//! two shared a chunk key and were compared; the sums share none).

mod cluster;
mod finder;
pub mod fingerprint;
pub mod index;
mod pairs;

pub use self::index::{
    GroupPair, Index, IndexBuilder, Item, Layout, MAX_DISTANCE, MAX_TABLES, Match, Pair, SelfJoin,
    SelfJoinBuilder,
};
pub use cluster::{Cluster, Location, Representative};
pub use finder::{
    DEFAULT_CHUNK_MAX_DISTANCE, DEFAULT_MAX_DISTANCE, DEFAULT_MIN_JACCARD, Finder, FinderBuilder,
    Outcome,
};
pub(crate) use finder::{Hub, Keys, ProbeAt, ProbeRef, ProbeScratch, Snapshot};
pub use fingerprint::{
    Analysis, ChunkKeys, Fingerprinter, FingerprinterBuilder, fmix64, sketch_jaccard,
};
