//! Text handling shared by both detectors: folding with offset maps,
//! paragraph segmentation and shingles.
