//! Text handling shared by both detectors: folding with offset maps,
//! paragraph segmentation and shingles.

// Parts of folding and the table's self-check are used by the keyword
// detector, which is merged separately.
#[allow(dead_code)]
mod fold;
mod paragraph;
#[allow(dead_code)]
mod t2s_table;

#[allow(unused_imports)]
pub(crate) use fold::{Class, classify, fold_keyword};
pub use fold::{Folded, Folding, MAX_NOISE_LIMIT, fold};
pub use paragraph::{Paragraph, ParagraphMode, Paragraphs, paragraphs};
