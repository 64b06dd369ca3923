//! The one place where `scan` calls the detectors: folding, keyword hits,
//! paragraphs and their fingerprints for one part of a document, and the
//! verdict on whether a hit was injected.
//!
//! ADAPTER: until issues #2 (`keywords`) and #3 (`neardup`) land on `main`,
//! the detector, the paragraph splitter, the fingerprint and the index come
//! from the temporary `stub` modules with the same API shapes. Swapping them
//! for the real ones changes the `use` lines below and `fingerprint`.

use std::ops::Range;

use crate::text::Folded;

pub use super::stub::{Detector, DetectorBuilder, Dictionary};
pub use super::stub_paragraph::ParagraphMode;
pub(crate) use super::stub_paragraph::paragraphs;
pub(crate) use crate::neardup::Index;

/// A hit as the worker found it: offsets into the part's text.
#[derive(Debug)]
pub(crate) struct RawHit {
    pub(crate) span: Range<usize>,
    pub(crate) keyword: String,
    pub(crate) category: String,
    pub(crate) injected: bool,
}

/// A paragraph as the worker found it: offsets into the part's text.
#[derive(Debug)]
pub(crate) struct RawParagraph {
    pub(crate) span: Range<usize>,
    pub(crate) fingerprint: Option<u64>,
}

/// Whether a hit was spliced in by a spammer rather than mentioned in earnest.
///
/// This is the single place where the verdict is decided. Every hit counts as
/// injected until the injection-evidence issue (#5) refines it with where and
/// how the hit sits in the text.
fn is_injected(_haystack: &str, _span: &Range<usize>) -> bool {
    true
}

/// The per-thread state of a worker: buffers reused across parts.
#[derive(Debug, Default)]
pub(crate) struct Analyzer {
    folded: Folded,
    /// Byte offsets in the folded text where each line starts.
    line_starts: Vec<usize>,
    /// Folded ranges of the hits, masked out of the fingerprints.
    masks: Vec<Range<usize>>,
    para_masks: Vec<Range<usize>>,
}

/// What the scan settings say about analysis.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AnalyzeOptions {
    pub(crate) mode: ParagraphMode,
    pub(crate) min_paragraph_chars: usize,
}

impl Analyzer {
    /// Folds `text` once and runs both detectors over it.
    pub(crate) fn analyze(
        &mut self,
        detector: &Detector,
        opts: AnalyzeOptions,
        text: &str,
    ) -> (Vec<RawHit>, Vec<RawParagraph>) {
        self.folded.refill(text, detector.folding());
        let folded = &self.folded;
        self.masks.clear();
        let mut hits = Vec::new();
        for hit in detector.find_iter_folded(text, folded) {
            let span = hit.start()..hit.end();
            self.masks.push(hit.folded_range());
            hits.push(RawHit {
                injected: is_injected(text, &span),
                span,
                keyword: hit.keyword().to_string(),
                category: hit.category().to_string(),
            });
        }
        // Folding keeps every '\n', so line i of the folded text is line i of
        // the original: a paragraph's folded text is found from its lines.
        let ftext = folded.as_str();
        self.line_starts.clear();
        self.line_starts.push(0);
        self.line_starts.extend(
            ftext
                .bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        let mut paras = Vec::new();
        for p in paragraphs(text, opts.mode) {
            let fstart = self.line_starts[p.lines.start];
            let fend = self
                .line_starts
                .get(p.lines.end)
                .map_or(ftext.len(), |&next| next - 1);
            self.para_masks.clear();
            for m in &self.masks {
                if m.end > fstart && m.start < fend {
                    self.para_masks
                        .push(m.start.max(fstart) - fstart..m.end.min(fend) - fstart);
                }
            }
            let fingerprint = fingerprint(
                &ftext[fstart..fend],
                &self.para_masks,
                opts.min_paragraph_chars,
            );
            paras.push(RawParagraph {
                span: p.span,
                fingerprint,
            });
        }
        (hits, paras)
    }
}

/// The fingerprint of a paragraph's folded text with the hits masked out, or
/// `None` when fewer than `min_chars` characters are left to fingerprint.
fn fingerprint(folded: &str, masks: &[Range<usize>], min_chars: usize) -> Option<u64> {
    super::stub::fingerprint(folded, masks, min_chars)
}
