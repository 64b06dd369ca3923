//! The straightforward evidence pass, kept as the oracle of the tests: it
//! materialises the folded document, its tokens and offsets character by
//! character, and runs the word lists' Aho-Corasick automaton over it, as the
//! first version of [`super::evidence`] did. The fast pass must give exactly
//! the verdicts this one gives.

use std::sync::Arc;

use aho_corasick::{AhoCorasick, MatchKind};

use super::bigram::{BigramModel, LINE, PUNCT, fold_char, pmi_of, token};
use super::evidence::{genuine_strength, reason_weight};
use super::words::{CONTACT, DOMAIN, GENUINE, JARGON};
use super::{AdKind, AffixPosition, HitSpan, Judge, Reason, Verdict};
use crate::text::t2s;

/// Characters that separate a title from an affix glued to it.
const SEPARATORS: &[char] = &[':', '|', '丨', '-', '—', '_', '–', '~'];

/// How far apart, in characters, two places of a keyword must be to count as
/// a repetition rather than one disguised occurrence.
const REPETITION_GAP: usize = 20;

/// Titles are lines of at most this many text characters.
const TITLE_MAX_CHARS: usize = 48;

/// The least number of text characters left in a title besides the affix.
const TITLE_REST_MIN: usize = 4;

/// Documents shorter than this count their topic-word density as if they had
/// this many characters, so one word in a short text is not a dense topic.
const DENSITY_FLOOR: usize = 500;

/// The cap on the sum of the ad-context weights.
const AD_CAP: f32 = 3.0;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Genuine,
    Jargon,
    Contact,
    Domain,
}

fn kind_of(pattern: usize) -> Kind {
    let g = GENUINE.len();
    let j = g + JARGON.len();
    let c = j + CONTACT.len();
    if pattern < g {
        Kind::Genuine
    } else if pattern < j {
        Kind::Jargon
    } else if pattern < c {
        Kind::Contact
    } else {
        Kind::Domain
    }
}

/// The automaton of every word list, in the order [`kind_of`] reads.
pub(super) fn matcher() -> Arc<AhoCorasick> {
    static AC: std::sync::OnceLock<Arc<AhoCorasick>> = std::sync::OnceLock::new();
    AC.get_or_init(|| {
        let words = GENUINE
            .iter()
            .chain(JARGON)
            .chain(CONTACT)
            .chain(DOMAIN)
            .copied();
        Arc::new(
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .ascii_case_insensitive(true)
                .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                .build(words)
                .expect("the word lists are small and valid"),
        )
    })
    .clone()
}

/// The document, folded character by character, with the original offsets.
struct Prepared {
    /// Folded characters (invisible ones dropped, noise kept).
    chars: Vec<char>,
    /// Their tokens.
    toks: Vec<char>,
    /// Original byte offset of each character.
    orig: Vec<usize>,
}

impl Prepared {
    fn new(haystack: &str) -> Prepared {
        // Chinese text is mostly 3 bytes a character.
        let n = haystack.len() / 3 + 16;
        let mut p = Prepared {
            chars: Vec::with_capacity(n),
            toks: Vec::with_capacity(n),
            orig: Vec::with_capacity(n),
        };
        for (i, c) in haystack.char_indices() {
            // Common simplified Han characters are text and their own token:
            // the fast path for most of the document.
            let (f, t) = if ('\u{4E00}'..='\u{9FFF}').contains(&c) {
                let f = t2s(c);
                (f, f)
            } else {
                match fold_char(c) {
                    Some(f) => (f, token(f)),
                    None => continue,
                }
            };
            p.chars.push(f);
            p.toks.push(t);
            p.orig.push(i);
        }
        p
    }

    /// The character index of the first character at or after byte `offset`.
    fn index(&self, offset: usize) -> usize {
        self.orig.partition_point(|&o| o < offset)
    }

    #[inline]
    fn tok(&self, i: usize) -> char {
        self.toks[i]
    }
}

fn is_text(t: char) -> bool {
    t != PUNCT && t != LINE
}

/// The token before character `i`: a run of noise reads as [`PUNCT`], unless
/// it reaches the start of the line, which reads as [`LINE`].
fn left_token(p: &Prepared, i: usize) -> char {
    let mut j = i;
    let mut noise = false;
    while j > 0 {
        let t = p.tok(j - 1);
        match t {
            LINE => return LINE,
            PUNCT => {
                noise = true;
                j -= 1;
            }
            _ => return if noise { PUNCT } else { t },
        }
    }
    LINE
}

/// The token from character `i` on, read like [`left_token`].
fn right_token(p: &Prepared, i: usize) -> char {
    let mut noise = false;
    for j in i..p.chars.len() {
        match p.tok(j) {
            LINE => return LINE,
            PUNCT => noise = true,
            t => return if noise { PUNCT } else { t },
        }
    }
    LINE
}

/// Counts of the few tokens and pairs the splice evidence needs, taken from
/// the document outside the hits.
struct DocCounts {
    unigrams: Vec<(char, u32)>,
    pairs: Vec<(u64, u32)>,
    total: u64,
}

fn pair_key(a: char, b: char) -> u64 {
    (u64::from(a as u32) << 32) | u64::from(b as u32)
}

impl DocCounts {
    fn new(mut unigrams: Vec<char>, mut pairs: Vec<u64>) -> DocCounts {
        unigrams.sort_unstable();
        unigrams.dedup();
        pairs.sort_unstable();
        pairs.dedup();
        DocCounts {
            unigrams: unigrams.into_iter().map(|c| (c, 0)).collect(),
            pairs: pairs.into_iter().map(|k| (k, 0)).collect(),
            total: 0,
        }
    }

    fn count(&mut self, p: &Prepared, masked: &[bool]) {
        // The same token stream as `BigramModel::add_text`, broken at hits.
        let mut prev: Option<char> = Some(LINE);
        let mut pending_punct = false;
        for (i, &t) in p.toks.iter().enumerate() {
            if masked[i] {
                prev = None;
                pending_punct = false;
                continue;
            }
            match t {
                PUNCT => pending_punct = prev.is_some_and(|p| p != LINE),
                LINE => {
                    pending_punct = false;
                    if prev != Some(LINE) {
                        self.add(prev, LINE);
                        prev = Some(LINE);
                    }
                }
                t => {
                    if pending_punct {
                        self.add(prev, PUNCT);
                        prev = Some(PUNCT);
                        pending_punct = false;
                    }
                    self.add(prev, t);
                    prev = Some(t);
                }
            }
        }
    }

    fn add(&mut self, a: Option<char>, b: char) {
        self.total += 1;
        if let Ok(i) = self.unigrams.binary_search_by_key(&b, |&(c, _)| c) {
            self.unigrams[i].1 += 1;
        }
        if let Some(a) = a {
            if let Ok(i) = self
                .pairs
                .binary_search_by_key(&pair_key(a, b), |&(k, _)| k)
            {
                self.pairs[i].1 += 1;
            }
        }
    }

    fn unigram(&self, a: char) -> u32 {
        self.unigrams
            .binary_search_by_key(&a, |&(c, _)| c)
            .map_or(0, |i| self.unigrams[i].1)
    }

    fn pair(&self, a: char, b: char) -> u32 {
        self.pairs
            .binary_search_by_key(&pair_key(a, b), |&(k, _)| k)
            .map_or(0, |i| self.pairs[i].1)
    }
}

/// Every model in use, read as one.
struct Models<'a> {
    models: Vec<&'a BigramModel>,
    doc: &'a DocCounts,
}

impl Models<'_> {
    fn pmi(&self, a: char, b: char) -> f64 {
        let mut ab = f64::from(self.doc.pair(a, b));
        let mut ua = f64::from(self.doc.unigram(a));
        let mut ub = f64::from(self.doc.unigram(b));
        let mut total = self.doc.total as f64;
        for m in &self.models {
            ab += f64::from(m.count(a, b));
            ua += f64::from(m.unigram(a));
            ub += f64::from(m.unigram(b));
            total += m.total() as f64;
        }
        let pmi = pmi_of(ab, ua, ub, total);
        // Digits and Latin letters are read as one class token each, too
        // coarse to call a join with them unnatural: numbers and Latin words
        // follow anything.
        if is_class_token(a) || is_class_token(b) {
            pmi.max(0.0)
        } else {
            pmi
        }
    }
}

fn is_class_token(t: char) -> bool {
    t == '0' || t == 'a'
}

/// A line of the document, as a range of character indices without its
/// leading and trailing noise.
#[derive(Clone, Copy)]
struct Line {
    start: usize,
    end: usize,
    title: bool,
}

fn lines(p: &Prepared) -> Vec<Line> {
    let mut out = Vec::new();
    let mut seen_text = false;
    let mut i = 0;
    let n = p.chars.len();
    while i < n {
        let mut j = i;
        while j < n && p.tok(j) != LINE {
            j += 1;
        }
        let (mut s, mut e) = (i, j);
        while s < e && p.tok(s) == PUNCT {
            s += 1;
        }
        while e > s && p.tok(e - 1) == PUNCT {
            e -= 1;
        }
        if s < e {
            let text_chars = (s..e).filter(|&k| is_text(p.tok(k))).count();
            let has_ender = (s..e).any(|k| matches!(p.chars[k], '。' | '!' | '?' | '！' | '？'));
            let last = p.chars[j.saturating_sub(1).max(s)];
            let title = !seen_text
                || (text_chars <= TITLE_MAX_CHARS
                    && !has_ender
                    && !matches!(last, ',' | '，' | '、'));
            out.push(Line {
                start: s,
                end: e,
                title,
            });
            seen_text = true;
        }
        i = j + 1;
    }
    out
}

/// Sorted character positions of the word-list matches outside hits.
#[derive(Default)]
struct Words {
    genuine: Vec<usize>,
    jargon: Vec<usize>,
    contact: Vec<usize>,
    url: Vec<usize>,
}

fn count_in(v: &[usize], lo: usize, hi: usize) -> usize {
    v.partition_point(|&x| x < hi) - v.partition_point(|&x| x < lo)
}

fn find_words(haystack: &str, p: &Prepared, masked: &[bool]) -> Words {
    let mut w = Words::default();
    // The words are matched in the original text, ASCII case-insensitively:
    // genuine reports are rarely disguised, and a disguised ad word only
    // loses its ad-context evidence.
    for m in matcher().find_iter(haystack) {
        let s = p.index(m.start());
        let e = p.index(m.end());
        if (s..e).any(|i| masked[i]) {
            continue;
        }
        match kind_of(m.pattern().as_usize()) {
            Kind::Genuine => w.genuine.push(s),
            Kind::Jargon => w.jargon.push(s),
            Kind::Contact => {
                if contact_follows(p, e) {
                    w.contact.push(s);
                }
            }
            Kind::Domain => {
                let named = haystack.as_bytes()[m.start()] == b'.';
                let before = s.checked_sub(1).map(|i| p.chars[i]);
                let after = p.chars.get(e).copied();
                if !named
                    || (before.is_some_and(|c| c.is_ascii_alphanumeric())
                        && !after.is_some_and(|c| c.is_ascii_alphabetic()))
                {
                    w.url.push(s);
                }
            }
        }
    }
    w
}

/// Whether an id or a number of at least 5 ASCII letters and digits follows
/// character `i`, after at most 4 other characters (`：`, `号`, a space, ...).
fn contact_follows(p: &Prepared, i: usize) -> bool {
    let n = p.chars.len();
    let mut j = i;
    while j < n && j < i + 4 && !p.chars[j].is_ascii_alphanumeric() && p.tok(j) != LINE {
        j += 1;
    }
    let mut k = j;
    while k < n && (p.chars[k].is_ascii_alphanumeric() || p.chars[k] == '_') {
        k += 1;
    }
    k - j >= 5
}

pub(super) fn judge_hits(judge: &Judge, haystack: &str, hits: &[HitSpan<'_>]) -> Vec<Verdict> {
    let cfg = &judge.config;
    let p = Prepared::new(haystack);
    let n = p.chars.len();
    // Character ranges of the hits, clamped.
    let spans: Vec<(usize, usize)> = hits
        .iter()
        .map(|h| {
            let s = p.index(h.start.min(haystack.len()));
            let e = p.index(h.end.min(haystack.len())).max(s);
            (s, e)
        })
        .collect();
    let mut masked = vec![false; n];
    for &(s, e) in &spans {
        masked[s..e].iter_mut().for_each(|m| *m = true);
    }
    let words = find_words(haystack, &p, &masked);
    let free_chars = (0..n).filter(|&i| !masked[i] && is_text(p.tok(i))).count();
    let density = words.genuine.len() as f32 * 1000.0 / free_chars.max(DENSITY_FLOOR) as f32;
    let lines = lines(&p);

    // The splice tokens of each hit, then the document counts they need.
    let splice_tokens: Vec<Option<[char; 4]>> = spans
        .iter()
        .map(|&(s, e)| {
            if s >= e {
                return None;
            }
            let (l, r) = (left_token(&p, s), right_token(&p, e));
            if !is_text(l) && !is_text(r) {
                // A whole clause between punctuation: nothing is broken.
                return None;
            }
            Some([l, p.tok(s), p.tok(e - 1), r])
        })
        .collect();
    let mut uni = Vec::new();
    let mut pairs = Vec::new();
    for &[l, k0, kn, r] in splice_tokens.iter().flatten() {
        uni.extend([l, k0, kn, r]);
        pairs.extend([pair_key(l, r), pair_key(l, k0), pair_key(kn, r)]);
    }
    let mut doc_counts = DocCounts::new(uni, pairs);
    if !doc_counts.unigrams.is_empty() {
        doc_counts.count(&p, &masked);
    }
    let mut models = Vec::new();
    if judge.builtin {
        models.push(BigramModel::builtin());
    }
    if let Some(c) = &judge.corpus {
        models.push(c.as_ref());
    }
    let models = Models {
        models,
        doc: &doc_counts,
    };

    let mut out = Vec::with_capacity(hits.len());
    for (idx, (h, &(s, e))) in hits.iter().zip(&spans).enumerate() {
        let mut reasons = Vec::new();
        // Title affix.
        if s < e {
            if let Some(line) = lines.iter().find(|l| l.start <= s && e <= l.end && l.title) {
                if let Some(r) = title_affix(&p, line, s, e, &words) {
                    reasons.push(r);
                }
            }
        }
        // Splice.
        if let Some([l, k0, kn, r]) = splice_tokens[idx] {
            // The weakest of the two joins the hit makes, against the join
            // its removal makes.
            let gain = models.pmi(l, r) - models.pmi(l, k0).min(models.pmi(kn, r));
            let gain = gain as f32;
            if gain >= cfg.splice_gain {
                reasons.push(Reason::Splice { gain });
            }
        }
        // Ad context.
        let (lo, hi) = (
            s.saturating_sub(cfg.ad_window),
            e.saturating_add(cfg.ad_window),
        );
        if count_in(&words.contact, lo, hi) > 0 {
            reasons.push(Reason::AdContext {
                kind: AdKind::Contact,
            });
        }
        if count_in(&words.url, lo, hi) > 0 {
            reasons.push(Reason::AdContext { kind: AdKind::Url });
        }
        if count_in(&words.jargon, lo, hi) > 0 {
            reasons.push(Reason::AdContext {
                kind: AdKind::Jargon,
            });
        }
        let other = hits.iter().zip(&spans).any(|(o, &(os, oe))| {
            o.keyword != h.keyword && oe + cfg.ad_window >= s && os <= e + cfg.ad_window
        });
        if other {
            reasons.push(Reason::AdContext {
                kind: AdKind::OtherKeyword,
            });
        }
        // Repetition.
        let mut starts: Vec<usize> = hits
            .iter()
            .zip(&spans)
            .filter(|(o, _)| o.keyword == h.keyword)
            .map(|(_, &(os, _))| os)
            .collect();
        starts.sort_unstable();
        let mut places = 0;
        let mut last: Option<usize> = None;
        for st in starts {
            if last.is_none_or(|l| st >= l + REPETITION_GAP) {
                places += 1;
                last = Some(st);
            }
        }
        if places >= cfg.repetition_min {
            reasons.push(Reason::Repetition { count: places });
        }
        // Copy difference.
        if h.absent_in_copy {
            reasons.push(Reason::CopyDifference);
        }
        // Topic.
        if words.genuine.is_empty() && free_chars >= cfg.unrelated_min_chars {
            reasons.push(Reason::Topic { chars: free_chars });
        }
        let near = count_in(
            &words.genuine,
            s.saturating_sub(cfg.topic_window),
            e.saturating_add(cfg.topic_window),
        );
        if genuine_strength(near, density) >= cfg.genuine_min {
            reasons.push(Reason::GenuineContext { near, density });
        }
        // Score.
        let mut logit = cfg.prior;
        let mut ad = 0.0f32;
        for r in &reasons {
            let w = reason_weight(judge, r);
            if matches!(r, Reason::AdContext { .. }) {
                ad += w;
            } else {
                logit += w;
            }
        }
        logit += ad.min(AD_CAP);
        let score = 1.0 / (1.0 + (-logit).exp());
        out.push(Verdict {
            score,
            injected: score >= cfg.injected_threshold,
            reasons,
        });
    }
    out
}

fn title_affix(p: &Prepared, line: &Line, s: usize, e: usize, words: &Words) -> Option<Reason> {
    let skip_space = |mut i: usize, forward: bool| {
        loop {
            let j = if forward { i } else { i.checked_sub(1)? };
            if j >= p.chars.len() || p.chars[j] != ' ' {
                return Some(i);
            }
            i = if forward { i + 1 } else { i - 1 };
        }
    };
    let (position, rest) = if s == line.start && e < line.end {
        (AffixPosition::Prefix, (e, line.end))
    } else if e == line.end && s > line.start {
        (AffixPosition::Suffix, (line.start, s))
    } else {
        return None;
    };
    let separator = match position {
        AffixPosition::Prefix => {
            let j = skip_space(e, true)?;
            p.chars.get(j).copied().filter(|c| SEPARATORS.contains(c))
        }
        AffixPosition::Suffix => {
            let j = skip_space(s, false)?;
            j.checked_sub(1)
                .map(|k| p.chars[k])
                .filter(|c| SEPARATORS.contains(c))
        }
    };
    let rest_chars = (rest.0..rest.1).filter(|&k| is_text(p.tok(k))).count();
    if rest_chars < TITLE_REST_MIN || count_in(&words.genuine, rest.0, rest.1) > 0 {
        return None;
    }
    Some(Reason::TitleAffix {
        position,
        separator,
    })
}
