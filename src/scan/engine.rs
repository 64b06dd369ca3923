//! The one place where `scan` calls the detectors: folding, keyword hits,
//! paragraphs and their fingerprints for one part of a document, and the
//! verdict on whether a hit was injected.

use std::ops::Range;

use crate::neardup::{Analysis, Fingerprinter, Probe};
use crate::text::{Folded, paragraphs};

use crate::injection::{HitSpan, Judge, Reason};
use crate::keywords::Detector;
pub use crate::text::ParagraphMode;

/// A hit as the worker found it: offsets into the part's text.
#[derive(Debug)]
pub(crate) struct RawHit {
    pub(crate) span: Range<usize>,
    pub(crate) keyword: String,
    pub(crate) category: String,
    pub(crate) injected: bool,
    pub(crate) score: f32,
    pub(crate) reasons: Vec<Reason>,
}

/// A paragraph as the worker found it: offsets into the part's text, and
/// what the near-duplicate finder needs to place it.
#[derive(Debug)]
pub(crate) struct RawParagraph {
    pub(crate) span: Range<usize>,
    pub(crate) analysis: Analysis,
    /// The finder's candidates as of a recent snapshot, looked up on the
    /// worker (see [`crate::neardup::Snapshot`]).
    pub(crate) probe: Option<Probe>,
}

/// Whether each hit was spliced in by a spammer rather than mentioned in
/// earnest: the [`Judge`]'s verdict, with its score and reasons.
///
/// This is the single place where the verdict is decided. Without a judge
/// (the evidence pass switched off) every hit counts as injected, score 1.
fn judge_hits(judge: Option<&Judge>, haystack: &str, hits: &mut [RawHit]) {
    let Some(judge) = judge else { return };
    if hits.is_empty() {
        return;
    }
    let spans: Vec<HitSpan<'_>> = hits
        .iter()
        .map(|h| HitSpan::new(h.span.start, h.span.end, &h.keyword, &h.category))
        .collect();
    let verdict = judge.judge(haystack, &spans);
    for (h, v) in hits.iter_mut().zip(verdict.hits) {
        h.injected = v.injected;
        h.score = v.score;
        h.reasons = v.reasons;
    }
}

/// The per-thread state of a worker: buffers reused across parts.
#[derive(Debug, Default)]
pub(crate) struct Analyzer {
    folded: Folded,
    /// Byte offsets in the folded text where each line starts.
    line_starts: Vec<usize>,
    /// Folded ranges of the hits, sorted, masked out of the fingerprints.
    masks: Vec<Range<usize>>,
    /// Where each paragraph is analysed before it is copied out.
    scratch: Analysis,
}

impl Analyzer {
    /// Folds `text` once and runs both detectors over it: the keyword hits,
    /// and each paragraph's fingerprints with the hits masked out.
    pub(crate) fn analyze(
        &mut self,
        detector: &Detector,
        judge: Option<&Judge>,
        fingerprinter: &Fingerprinter,
        mode: ParagraphMode,
        text: &str,
    ) -> (Vec<RawHit>, Vec<RawParagraph>) {
        self.folded.refill(text, detector.folding());
        let folded = &self.folded;
        self.masks.clear();
        let mut hits = Vec::new();
        for hit in detector.find_iter_folded(text, folded) {
            let span = hit.start()..hit.end();
            // `find_iter_folded` gives every hit its folded range.
            self.masks.extend(hit.folded_range());
            hits.push(RawHit {
                injected: true,
                score: 1.0,
                reasons: Vec::new(),
                span,
                keyword: hit.keyword().to_string(),
                category: hit.category().to_string(),
            });
        }
        judge_hits(judge, text, &mut hits);
        // Folding keeps every '\n', so line i of the folded text is line i of
        // the original: a paragraph's folded text is found from its lines.
        let ftext = folded.as_str();
        self.line_starts.clear();
        self.line_starts.push(0);
        // `match_indices` of a char finds it with `memchr`, many bytes a step.
        self.line_starts
            .extend(ftext.match_indices('\n').map(|(i, _)| i + 1));
        let mut paras = Vec::new();
        for p in paragraphs(text, mode) {
            let fstart = self.line_starts[p.lines.start];
            let fend = self
                .line_starts
                .get(p.lines.end)
                .map_or(ftext.len(), |&next| next - 1)
                .max(fstart);
            // Hits come left to right without overlap: pass only those that
            // touch the paragraph.
            let lo = self.masks.partition_point(|m| m.end <= fstart);
            let hi = lo + self.masks[lo..].partition_point(|m| m.start < fend);
            // Into a reused scratch analysis, whose vectors have grown to
            // their largest already (it gathers every chunk key before it
            // keeps a few), then copied at the exact size: two allocations
            // per paragraph instead of a chain of reallocations.
            fingerprinter.analyze_folded(
                text,
                folded,
                fstart..fend,
                &self.masks[lo..hi],
                &mut self.scratch,
            );
            paras.push(RawParagraph {
                span: p.span,
                analysis: self.scratch.clone(),
                probe: None,
            });
        }
        (hits, paras)
    }
}
