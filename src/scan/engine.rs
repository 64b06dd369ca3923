//! The one place where `scan` calls the detectors: folding, keyword hits,
//! paragraphs and their fingerprints for one part of a document, and the
//! verdict on whether a hit was injected.

use std::ops::Range;

use crate::neardup::{Analysis, Fingerprinter, Keys, ProbeAt, ProbeRef, ProbeScratch, Snapshot};
use crate::text::{Folded, find_newline, paragraphs};

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
/// what the near-duplicate finder needs to place it, whose variable-length
/// parts are in the [`RawParagraphs`] of its batch.
#[derive(Debug)]
pub(crate) struct RawParagraph {
    pub(crate) span: Range<usize>,
    units: usize,
    exact: u64,
    fingerprint: u64,
    key: u64,
    chunks: Range<usize>,
    sketch: Range<usize>,
    /// The finder's candidates as of a recent snapshot, looked up on the
    /// worker (see [`crate::neardup::Snapshot`]).
    probe: Option<ProbeAt>,
}

/// The paragraphs of a batch: a fixed-size record each, and their chunk
/// keys, sketches and probed ids in vectors shared by the batch, so that a
/// batch costs a few allocations instead of three per paragraph, and none
/// once the collector hands it back to be reused.
#[derive(Debug, Default)]
pub(crate) struct RawParagraphs {
    records: Vec<RawParagraph>,
    chunks: Vec<u64>,
    sketches: Vec<u16>,
    found: Vec<u32>,
    probes: Vec<Option<ProbeAt>>,
    scratch: ProbeScratch,
}

impl RawParagraphs {
    pub(crate) fn clear(&mut self) {
        self.records.clear();
        self.chunks.clear();
        self.sketches.clear();
        self.found.clear();
    }

    pub(crate) fn len(&self) -> usize {
        self.records.len()
    }

    fn push(&mut self, span: Range<usize>, a: &Analysis) {
        let chunks = self.chunks.len()..self.chunks.len() + a.chunks().len();
        self.chunks.extend_from_slice(a.chunks());
        let sketch = self.sketches.len()..self.sketches.len() + a.sketch().len();
        self.sketches.extend_from_slice(a.sketch());
        self.records.push(RawParagraph {
            span,
            units: a.units(),
            exact: a.exact(),
            fingerprint: a.fingerprint(),
            key: a.key(),
            chunks,
            sketch,
            probe: None,
        });
    }

    /// The span of paragraph `i` in its part's text.
    pub(crate) fn span(&self, i: usize) -> Range<usize> {
        self.records[i].span.clone()
    }

    /// What the finder reads of paragraph `i`.
    pub(crate) fn keys(&self, i: usize) -> Keys<'_> {
        let r = &self.records[i];
        Keys {
            units: r.units,
            exact: r.exact,
            fingerprint: r.fingerprint,
            key: r.key,
            chunks: &self.chunks[r.chunks.clone()],
            sketch: &self.sketches[r.sketch.clone()],
        }
    }

    /// What the snapshot found for paragraph `i`, if it was probed.
    pub(crate) fn probe(&self, i: usize) -> Option<ProbeRef<'_>> {
        self.records[i].probe.as_ref().map(|p| p.view(&self.found))
    }

    /// Probes every paragraph in `snapshot`, all at once: their look-ups
    /// overlap.
    pub(crate) fn probe_all(&mut self, snapshot: &Snapshot) {
        let RawParagraphs {
            records,
            chunks,
            sketches,
            found,
            probes,
            scratch,
        } = self;
        found.clear();
        probes.clear();
        let keys = records.iter().map(|r| Keys {
            units: r.units,
            exact: r.exact,
            fingerprint: r.fingerprint,
            key: r.key,
            chunks: &chunks[r.chunks.clone()],
            sketch: &sketches[r.sketch.clone()],
        });
        snapshot.probe_into(keys, found, probes, scratch);
        for (r, p) in records.iter_mut().zip(probes.drain(..)) {
            r.probe = p;
        }
    }
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
    /// Folds `text` once and runs both detectors over it: returns the
    /// keyword hits, and appends each paragraph with its fingerprints (the
    /// hits masked out) to `paras`.
    pub(crate) fn analyze(
        &mut self,
        detector: &Detector,
        judge: Option<&Judge>,
        fingerprinter: &Fingerprinter,
        mode: ParagraphMode,
        text: &str,
        paras: &mut RawParagraphs,
    ) -> Vec<RawHit> {
        detector.fold_into(text, &mut self.folded);
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
        line_starts(ftext.as_bytes(), &mut self.line_starts);
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
            // keeps a few), then copied into the batch's shared vectors.
            fingerprinter.analyze_folded(
                text,
                folded,
                fstart..fend,
                &self.masks[lo..hi],
                &mut self.scratch,
            );
            paras.push(p.span, &self.scratch);
        }
        hits
    }
}

/// Appends to `out` the offset just after every `\n` in `haystack`, by
/// [`find_newline`]'s block test.
fn line_starts(haystack: &[u8], out: &mut Vec<usize>) {
    let mut at = 0;
    while let Some(i) = find_newline(&haystack[at..]) {
        at += i + 1;
        out.push(at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive_line_starts(haystack: &str) -> Vec<usize> {
        haystack.match_indices('\n').map(|(i, _)| i + 1).collect()
    }

    #[test]
    fn line_starts_at_block_edges() {
        for len in 0..100 {
            for at in 0..len {
                let mut text = vec![b'a'; len];
                text[at] = b'\n';
                if at + 33 < len {
                    text[at + 33] = b'\n';
                }
                let text = String::from_utf8(text).unwrap();
                let mut got = Vec::new();
                line_starts(text.as_bytes(), &mut got);
                assert_eq!(got, naive_line_starts(&text), "len {len}, at {at}");
            }
        }
    }

    proptest! {
        #[test]
        fn line_starts_equal_match_indices(text in "(\\PC|\n|\n\n|成都){0,200}") {
            let mut got = vec![0];
            line_starts(text.as_bytes(), &mut got);
            let mut want = vec![0];
            want.extend(naive_line_starts(&text));
            prop_assert_eq!(got, want);
        }
    }
}
