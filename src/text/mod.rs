//! Text handling shared by both detectors: folding with offset maps,
//! paragraph segmentation and shingles.

mod fold;
mod paragraph;
mod t2s_table;

pub(crate) use fold::{Class, Stops, classify, fold_first, fold_keyword};
pub use fold::{Folded, Folding, MAX_NOISE_LIMIT, fold};
pub(crate) use paragraph::find_newline;
pub use paragraph::{Paragraph, ParagraphMode, Paragraphs, paragraphs};
pub(crate) use t2s_table::t2s;
