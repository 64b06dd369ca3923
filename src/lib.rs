//! spamsift finds the pollution in scraped Chinese web text, fast, at corpus
//! scale:
//!
//! 1. **Injected keywords**: gambling, porn and fraud brands or ads that
//!    black-hat SEO or a hacked site splices into otherwise normal news
//!    (`金博体育省政府新闻办…`, `…协作金博体育。`, `…变革_万彩娱乐平台`), often
//!    disguised (`金 博*体-育`, `ＫＹ体育`, `金博體育`, zero-width spaces). The
//!    [`keywords::Detector`] folds the disguise away and reports the exact
//!    original bytes.
//! 2. **Near-duplicate paragraphs**: the same paragraph repeated in a page or
//!    across pages with small edits. The [`neardup::Finder`] fingerprints every
//!    paragraph (64-bit SimHash of the paragraph and of content-defined chunks),
//!    looks the keys up in an exact Hamming-distance [`neardup::Index`], confirms
//!    candidates by Jaccard similarity and clusters them.
//!
//! Both read the text through the same [`text::fold`], so a document is folded
//! once, and every offset reported is a byte offset into the original text.
//!
//! # Finding injected keywords
//!
//! ```
//! use spamsift::Detector;
//!
//! let detector = Detector::new()?; // the built-in dictionary, every fold on
//! let page = "省政府新闻办举行发布会，金 博*體-育协作。";
//! let hit = detector.find_iter(page).next().expect("one hit");
//! assert_eq!(&page[hit.range()], "金 博*體-育");
//! assert_eq!((hit.keyword(), hit.category()), ("金博体育", "gambling"));
//!
//! // Your own dictionary, in the same format as the built-in one.
//! let mine = spamsift::Dictionary::from_str_named("万彩娱乐平台\tgambling\n", "mine.tsv")?;
//! let detector = Detector::builder().dictionary(mine).build()?;
//! assert!(detector.is_match("深化改革_万彩娛樂平台"));
//! # Ok::<(), spamsift::Error>(())
//! ```
//!
//! # Finding near-duplicate paragraphs
//!
//! ```
//! use spamsift::neardup::Finder;
//!
//! let mut finder = Finder::new();
//! finder.add_document(1, "成都平原经济区正加快打造高能级产业空间载体，1490家企业开展跨市域产业协作。\n", &[]);
//! let copy = "成都平原经济区正加快打造高能级产业空间载体,1490家企业开展跨市域产业协作金博体育。\n";
//! let out = finder.add_document(2, copy, &[]);
//! let earlier = out[0].duplicate_of.as_ref().expect("a near duplicate");
//! assert_eq!((earlier.doc, earlier.paragraph), (1, 0));
//! assert_eq!(finder.clusters().len(), 1);
//! ```
//!
//! # Crate features
//!
//! The default build depends only on `aho-corasick` (matching),
//! `unicode-segmentation` (word boundaries), `thiserror` (the error type) and
//! `simdutf8` (checking that scanned text files are UTF-8: std's check runs
//! at about 10 instructions a byte of Chinese text, a sixth of a scan, and
//! safe code in the crate cannot do better, since a `String` can only be
//! made from bytes std has checked; `simdutf8` is safe to call, has no
//! dependencies and picks SSE4.2 or AVX2 at run time). The feature `jsonl`
//! adds JSONL input and output to the `scan` module through `serde_json`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod discover;
mod error;
pub mod injection;
pub mod keywords;
pub mod neardup;
pub mod scan;
pub mod text;

pub use crate::discover::Discoverer;
pub use crate::error::{Error, Result};
pub use crate::injection::Judge;
pub use crate::keywords::{Detector, DetectorBuilder, Dictionary, Hit, MatcherKind};
pub use crate::neardup::{Finder, Index};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
