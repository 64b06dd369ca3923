//! Text handling shared by both detectors: folding with offset maps,
//! paragraph segmentation and shingles.

// The fold will call `t2s`; until it lands only the tests use the table.
#[allow(dead_code)]
mod t2s_table;
