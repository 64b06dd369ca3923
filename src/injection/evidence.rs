//! Gathering the evidence of the module documentation, and scoring it.
//!
//! The positions and windows of the evidence are counted in *characters* of
//! the folded document (invisible characters dropped), but nothing is
//! materialised per character: one pass over the haystack counts the
//! characters, finds the word-list matches, keeps the statistics of the
//! document that the verdicts need (text characters outside hits, the lines
//! that hold hits, the few token counts of the splice evidence), and maps the
//! byte offsets of the hits to character indices as it passes them. What
//! sits right next to a hit (the splice tokens, a title separator, the id
//! after a contact word) is read from the haystack around the hit's bytes.
//! The memory used is a few words per hit, per line holding a hit and per
//! word-list match, whatever the document's length.
//!
//! The first version, which folds the document into per-character vectors,
//! is kept in `naive.rs` as the tests' oracle: both give the same verdicts.

use std::sync::OnceLock;

use super::bigram::{BigramModel, LINE, PUNCT, builtin, fold_char, pmi_of, token};
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

/// Every word list, matched leftmost-longest and ASCII case-insensitively in
/// the original text, as an Aho-Corasick automaton with those settings would
/// match them: at each character where no match is under way, the longest
/// word that starts there, if any.
///
/// The pass over the document decodes every character anyway, so a bit per
/// BMP character (does a word start with it?) rules out almost every
/// position at the cost of one load; an automaton would spend a transition
/// per byte.
#[derive(Debug)]
pub(crate) struct WordMatcher {
    /// One bit per BMP code point: some word starts with this character
    /// (both cases of an ASCII letter).
    first: Box<[u64]>,
    /// Per BMP code point, 1 + the index in `groups` of the words that start
    /// with it (ASCII-lowercased), 0 for none. Read only where `first` says
    /// there is a group.
    group_of: Box<[u8]>,
    /// Ranges of `by_first`, one per first character.
    groups: Vec<(u32, u32)>,
    /// Word indices, sorted by their first character (ASCII-lowercased),
    /// then longest word first.
    by_first: Vec<u32>,
    /// The words, in the order [`kind_of`] reads.
    words: Vec<&'static str>,
    /// Per word, whether it holds an ASCII letter (and is compared
    /// ASCII case-insensitively; the others byte for byte).
    has_letter: Vec<bool>,
}

impl WordMatcher {
    fn new() -> WordMatcher {
        let words: Vec<&'static str> = GENUINE
            .iter()
            .chain(JARGON)
            .chain(CONTACT)
            .chain(DOMAIN)
            .copied()
            .collect();
        let first_of = |w: &str| {
            let c = w.chars().next().expect("no word is empty");
            assert!((c as u32) < 0x10000, "word-list words start in the BMP");
            c
        };
        let mut first = vec![0u64; 0x10000 / 64].into_boxed_slice();
        let mut by_first: Vec<u32> = (0..words.len() as u32).collect();
        by_first.sort_by_key(|&i| {
            let w = words[i as usize];
            (
                first_of(w).to_ascii_lowercase(),
                std::cmp::Reverse(w.len()),
                i,
            )
        });
        let mut group_of = vec![0u8; 0x10000].into_boxed_slice();
        let mut groups: Vec<(u32, u32)> = Vec::new();
        for (k, &i) in by_first.iter().enumerate() {
            let c = first_of(words[i as usize]);
            let lower = c.to_ascii_lowercase();
            if group_of[lower as usize] == 0 {
                groups.push((k as u32, k as u32));
                let g = u8::try_from(groups.len()).expect("fewer than 256 first characters");
                for v in [lower, c.to_ascii_uppercase()] {
                    group_of[v as usize] = g;
                    first[v as usize / 64] |= 1 << (v as usize % 64);
                }
            }
            groups.last_mut().expect("pushed above").1 = k as u32 + 1;
        }
        let has_letter = words
            .iter()
            .map(|w| w.bytes().any(|b| b.is_ascii_alphabetic()))
            .collect();
        WordMatcher {
            first,
            group_of,
            groups,
            by_first,
            words,
            has_letter,
        }
    }

    /// Whether some word starts with `c`.
    #[inline]
    fn starts_with(&self, c: char) -> bool {
        let u = c as usize;
        u < 0x10000 && self.first[u / 64] & (1 << (u % 64)) != 0
    }

    /// The longest word at byte `at` of `haystack`, whose character there is
    /// `c`: its length in bytes and its index.
    #[cold]
    fn longest_at(&self, haystack: &[u8], at: usize, c: char) -> Option<(usize, usize)> {
        let g = usize::from(*self.group_of.get(c as usize)?).checked_sub(1)?;
        let (lo, hi) = self.groups[g];
        let rest = &haystack[at..];
        self.by_first[lo as usize..hi as usize]
            .iter()
            .map(|&i| i as usize)
            .find(|&i| {
                let w = self.words[i].as_bytes();
                rest.len() >= w.len()
                    && if self.has_letter[i] {
                        rest[..w.len()].eq_ignore_ascii_case(w)
                    } else {
                        // A few bytes: a loop, not a call to memcmp.
                        w.iter().zip(rest).all(|(a, b)| a == b)
                    }
            })
            .map(|i| (self.words[i].len(), i))
    }

    /// Every leftmost-longest match in `haystack`: `(start, end, word
    /// index)`. For the tests; the pass over the document inlines this loop.
    #[cfg(test)]
    pub(crate) fn find_all(&self, haystack: &str) -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        let mut resume = 0;
        for (i, c) in haystack.char_indices() {
            if i >= resume && self.starts_with(c) {
                if let Some((len, w)) = self.longest_at(haystack.as_bytes(), i, c) {
                    out.push((i, i + len, w));
                    resume = i + len;
                }
            }
        }
        out
    }
}

/// The word lists' matcher, built once.
pub(crate) fn word_matcher() -> &'static WordMatcher {
    static WORDS: OnceLock<WordMatcher> = OnceLock::new();
    WORDS.get_or_init(WordMatcher::new)
}

/// The weight a reason adds to a hit's log-odds.
pub(crate) fn reason_weight(judge: &Judge, r: &Reason) -> f32 {
    match *r {
        Reason::TitleAffix { separator, .. } => {
            if separator.is_some() {
                2.5
            } else {
                1.5
            }
        }
        Reason::Splice { gain } => (1.0 + 0.5 * (gain - judge.config.splice_gain)).min(2.5),
        Reason::AdContext { kind } => match kind {
            AdKind::Jargon => 1.0,
            AdKind::Contact | AdKind::Url | AdKind::OtherKeyword => 1.5,
        },
        Reason::Repetition { count } => (0.5 * (count.saturating_sub(1)) as f32).min(1.5),
        Reason::CopyDifference => 3.0,
        Reason::Topic { .. } => 1.0,
        Reason::GenuineContext { near, density } => {
            -(1.0 + genuine_strength(near, density)).min(5.0)
        }
    }
}

/// The strength of genuine context: topic words near the hit count fully,
/// the document's density (words per 1000 characters) a quarter.
pub(crate) fn genuine_strength(near: usize, density: f32) -> f32 {
    near as f32 + density / 4.0
}

fn is_text(t: char) -> bool {
    t != PUNCT && t != LINE
}

/// The first character boundary at or after `i` (at most `s.len()`).
fn ceil_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// The folded characters of `s` (invisible ones dropped).
fn folded(s: &str) -> impl DoubleEndedIterator<Item = char> + '_ {
    s.chars().filter_map(fold_char)
}

/// The token next to a hit, read from the folded characters going away from
/// it: a run of noise reads as [`PUNCT`], unless it reaches the line's end
/// (or the document's), which reads as [`LINE`].
fn side_token(chars: impl Iterator<Item = char>) -> char {
    let mut noise = false;
    for c in chars {
        match token(c) {
            LINE => return LINE,
            PUNCT => noise = true,
            t => return if noise { PUNCT } else { t },
        }
    }
    LINE
}

/// Whether an id or a number of at least 5 ASCII letters and digits follows
/// (in `after`, the text after a contact word), after at most 4 other
/// characters (`：`, `号`, a space, ...) on the same line.
fn contact_follows(after: &str) -> bool {
    let mut chars = folded(after);
    let mut cur = chars.next();
    let mut skipped = 0;
    while let Some(c) = cur {
        if skipped < 4 && !c.is_ascii_alphanumeric() && token(c) != LINE {
            skipped += 1;
            cur = chars.next();
        } else {
            break;
        }
    }
    let mut run = 0;
    while let Some(c) = cur {
        if !(c.is_ascii_alphanumeric() || c == '_') {
            return false;
        }
        run += 1;
        if run >= 5 {
            return true;
        }
        cur = chars.next();
    }
    false
}

/// A token of the counting stream: a token character, a Han character of
/// the fast path not yet folded (tagged [`RAW_HAN`]), or [`NO_TOKEN`] after a
/// hit.
type Tok = u32;
const NO_TOKEN: Tok = u32::MAX;
const RAW_HAN: Tok = 1 << 30;

/// The token `t` stands for, `None` after a hit.
fn resolve(t: Tok) -> Option<char> {
    if t == NO_TOKEN {
        None
    } else if t & RAW_HAN != 0 {
        char::from_u32(t & !RAW_HAN).map(t2s)
    } else {
        char::from_u32(t)
    }
}

/// The Han characters of the fast path (U+4E00..=U+9FFF) that fold to
/// another character, as `(folded, original)`, sorted.
fn han_variants() -> &'static [(char, char)] {
    static VARIANTS: OnceLock<Vec<(char, char)>> = OnceLock::new();
    VARIANTS.get_or_init(|| {
        let mut v: Vec<(char, char)> = ('\u{4E00}'..='\u{9FFF}')
            .filter_map(|c| {
                let f = t2s(c);
                (f != c).then_some((f, c))
            })
            .collect();
        v.sort_unstable();
        v
    })
}

fn set_bit(filter: &mut [u64; 64], c: u32) {
    let u = c as usize % 4096;
    filter[u / 64] |= 1 << (u % 64);
}

/// Counts of the few tokens and pairs the splice evidence needs, taken from
/// the document outside the hits.
struct DocCounts {
    unigrams: Vec<(char, u32)>,
    pairs: Vec<(u64, u32)>,
    total: u64,
    /// One bit per `token % 4096` of the tokens in `unigrams` (every second
    /// token of a pair is one of them) and of the Han characters that fold
    /// to them: most tokens of a document are counted in `total` alone,
    /// without folding.
    filter: [u64; 64],
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
        let mut filter = [0u64; 64];
        let variants = han_variants();
        for &c in &unigrams {
            set_bit(&mut filter, c as u32);
            let lo = variants.partition_point(|&(f, _)| f < c);
            for &(_, v) in variants[lo..].iter().take_while(|&&(f, _)| f == c) {
                set_bit(&mut filter, v as u32);
            }
        }
        DocCounts {
            unigrams: unigrams.into_iter().map(|c| (c, 0)).collect(),
            pairs: pairs.into_iter().map(|k| (k, 0)).collect(),
            total: 0,
            filter,
        }
    }

    /// Adds one occurrence of `b` after `a`.
    #[inline]
    fn add(&mut self, a: Tok, b: Tok) {
        self.total += 1;
        let u = (b & !RAW_HAN) as usize % 4096;
        if self.filter[u / 64] & (1 << (u % 64)) != 0 {
            self.add_needed(a, b);
        }
    }

    #[cold]
    fn add_needed(&mut self, a: Tok, b: Tok) {
        let Some(b) = resolve(b) else { return };
        if let Ok(i) = self.unigrams.binary_search_by_key(&b, |&(c, _)| c) {
            self.unigrams[i].1 += 1;
        }
        if let Some(a) = resolve(a) {
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

/// The token stream of `BigramModel::add_text`, broken at hits, counted
/// into a [`DocCounts`].
struct Counter {
    counts: DocCounts,
    prev: Tok,
    pending_punct: bool,
}

impl Counter {
    #[inline]
    fn masked(&mut self) {
        self.prev = NO_TOKEN;
        self.pending_punct = false;
    }

    #[inline]
    fn push(&mut self, t: char) {
        match t {
            PUNCT => self.pending_punct = self.prev != NO_TOKEN && self.prev != LINE as Tok,
            LINE => {
                self.pending_punct = false;
                if self.prev != LINE as Tok {
                    self.counts.add(self.prev, LINE as Tok);
                    self.prev = LINE as Tok;
                }
            }
            t => self.push_text(t as Tok),
        }
    }

    /// A text token, or a Han character of the fast path tagged [`RAW_HAN`].
    #[inline]
    fn push_text(&mut self, t: Tok) {
        if self.pending_punct {
            self.counts.add(self.prev, PUNCT as Tok);
            self.prev = PUNCT as Tok;
            self.pending_punct = false;
        }
        self.counts.add(self.prev, t);
        self.prev = t;
    }
}

/// Every model in use, read as one.
struct Models<'a> {
    /// Whether the built-in model is in use (read from its static tables).
    builtin: bool,
    corpus: Option<&'a BigramModel>,
    doc: &'a DocCounts,
}

impl Models<'_> {
    fn pmi(&self, a: char, b: char) -> f64 {
        let mut ab = f64::from(self.doc.pair(a, b));
        let mut ua = f64::from(self.doc.unigram(a));
        let mut ub = f64::from(self.doc.unigram(b));
        let mut total = self.doc.total as f64;
        if self.builtin {
            ab += f64::from(builtin::count(a, b));
            ua += f64::from(builtin::unigram(a));
            ub += f64::from(builtin::unigram(b));
            total += builtin::TOTAL as f64;
        }
        if let Some(m) = self.corpus {
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

/// A line of the document holding a hit, as a range of character indices
/// without its leading and trailing noise, with the number of text
/// characters before each end.
#[derive(Clone, Copy)]
struct Line {
    start: usize,
    end: usize,
    title: bool,
    text_before_start: usize,
    text_before_end: usize,
}

/// The line being read by the pass.
#[derive(Default)]
struct LineState {
    /// The first and one past the last character that is not noise.
    start: Option<usize>,
    end: usize,
    /// Text characters before `start`; those up to `end` are all in the
    /// line, so the count at the line's end gives the rest.
    text_before_start: usize,
    /// A sentence ender between `start` and `end`.
    has_ender: bool,
    /// A sentence ender after `end` (inside the line if text follows).
    ender_pending: bool,
    /// The last character of the line, noise included.
    last: char,
    /// A hit starts in this line.
    has_hit: bool,
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

/// What the pass over the document finds.
struct Scanned {
    words: Words,
    /// Text characters outside hits.
    free_chars: usize,
    /// The lines holding a hit's start.
    lines: Vec<Line>,
    /// Per hit start and end (2 per hit): the character index and the
    /// number of text characters before it.
    at: Vec<(usize, usize)>,
}

/// Whether the byte range `lo..hi` meets one of the sorted, disjoint byte
/// ranges `masks`.
fn meets(masks: &[(usize, usize)], lo: usize, hi: usize) -> bool {
    let k = masks.partition_point(|&(_, e)| e <= lo);
    masks.get(k).is_some_and(|&(s, _)| s < hi)
}

/// The one pass over the document. `queries` are byte offsets (character
/// boundaries) sorted with their slot in [`Scanned::at`], even slots the
/// starts of hits; `masks` the sorted disjoint byte ranges of the hits;
/// `counter` the splice counts to take, if any.
fn scan(
    haystack: &str,
    queries: &[(usize, usize)],
    masks: &[(usize, usize)],
    mut counter: Option<&mut Counter>,
) -> Scanned {
    let matcher = word_matcher();
    let bytes = haystack.as_bytes();
    let mut out = Scanned {
        words: Words::default(),
        free_chars: 0,
        lines: Vec::new(),
        at: vec![(0, 0); queries.len()],
    };
    // Characters (kept) and text characters so far.
    let mut ci = 0usize;
    let mut text = 0usize;
    let mut q = 0;
    let mut next_query = queries.first().map_or(usize::MAX, |&(o, _)| o);
    let mut m = 0;
    let mut masked = false;
    let mut next_mask = masks.first().map_or(usize::MAX, |&(s, _)| s);
    let mut word_resume = 0;
    let mut prev_folded: Option<char> = None;
    let mut line = LineState::default();
    let mut seen_text = false;

    let finish_line =
        |line: &mut LineState, text: usize, seen_text: &mut bool, lines: &mut Vec<Line>| {
            if let Some(start) = line.start {
                let title = !*seen_text
                    || (text - line.text_before_start <= TITLE_MAX_CHARS
                        && !line.has_ender
                        && !matches!(line.last, ',' | '，' | '、'));
                if line.has_hit {
                    lines.push(Line {
                        start,
                        end: line.end,
                        title,
                        text_before_start: line.text_before_start,
                        text_before_end: text,
                    });
                }
                *seen_text = true;
            }
            *line = LineState::default();
        };

    for (i, c) in haystack.char_indices() {
        while i >= next_query {
            let (_, slot) = queries[q];
            out.at[slot] = (ci, text);
            line.has_hit |= slot % 2 == 0;
            q += 1;
            next_query = queries.get(q).map_or(usize::MAX, |&(o, _)| o);
        }
        while i >= next_mask {
            if masked {
                masked = false;
                m += 1;
                next_mask = masks.get(m).map_or(usize::MAX, |&(s, _)| s);
            } else {
                masked = true;
                next_mask = masks[m].1;
            }
        }
        if i >= word_resume && matcher.starts_with(c) {
            if let Some((len, w)) = matcher.longest_at(bytes, i, c) {
                word_resume = i + len;
                // No word holds an invisible character: the match is `len`
                // bytes of kept characters starting at character `ci`.
                if !meets(masks, i, i + len) {
                    let words = &mut out.words;
                    match kind_of(w) {
                        Kind::Genuine => words.genuine.push(ci),
                        Kind::Jargon => words.jargon.push(ci),
                        Kind::Contact => {
                            if contact_follows(&haystack[i + len..]) {
                                words.contact.push(ci);
                            }
                        }
                        Kind::Domain => {
                            let named = bytes[i] == b'.';
                            let after = folded(&haystack[i + len..]).next();
                            if !named
                                || (prev_folded.is_some_and(|c| c.is_ascii_alphanumeric())
                                    && !after.is_some_and(|c| c.is_ascii_alphabetic()))
                            {
                                words.url.push(ci);
                            }
                        }
                    }
                }
            }
        }
        // Common Han characters are text and their own token once folded:
        // the fast path for most of the document. Their folded form matters
        // only to the splice counts, which fold the few that may count.
        if ('\u{4E00}'..='\u{9FFF}').contains(&c) {
            // The text branch below, for a character that is no sentence
            // ender.
            let idx = ci;
            ci += 1;
            prev_folded = Some(c);
            if let Some(counter) = counter.as_deref_mut() {
                if masked {
                    counter.masked();
                } else {
                    counter.push_text(c as Tok | RAW_HAN);
                }
            }
            out.free_chars += usize::from(!masked);
            if line.start.is_none() {
                line.start = Some(idx);
                line.text_before_start = text;
                line.ender_pending = false;
            }
            text += 1;
            line.has_ender |= line.ender_pending;
            line.ender_pending = false;
            line.end = idx + 1;
            line.last = c;
            continue;
        }
        let Some(f) = fold_char(c) else { continue };
        let t = token(f);
        let idx = ci;
        ci += 1;
        prev_folded = Some(f);
        if let Some(counter) = counter.as_deref_mut() {
            if masked {
                counter.masked();
            } else {
                counter.push(t);
            }
        }
        let ender = matches!(f, '。' | '!' | '?' | '！' | '？');
        match t {
            LINE => finish_line(&mut line, text, &mut seen_text, &mut out.lines),
            PUNCT => {
                line.last = f;
                line.ender_pending |= ender;
            }
            _ => {
                if !masked {
                    out.free_chars += 1;
                }
                if line.start.is_none() {
                    line.start = Some(idx);
                    line.text_before_start = text;
                    // Enders before the line's first text are outside it.
                    line.ender_pending = false;
                }
                text += 1;
                line.has_ender |= line.ender_pending || ender;
                line.ender_pending = false;
                line.end = idx + 1;
                line.last = f;
            }
        }
    }
    for &(_, slot) in &queries[q..] {
        out.at[slot] = (ci, text);
    }
    finish_line(&mut line, text, &mut seen_text, &mut out.lines);
    out
}

/// What is read around a hit before the pass: its bytes, and the splice
/// tokens when the splice evidence applies.
struct Around {
    /// Byte range, moved to character boundaries.
    bytes: (usize, usize),
    /// Some character is kept in `bytes`.
    nonempty: bool,
    splice: Option<[char; 4]>,
}

fn around(haystack: &str, h: &HitSpan<'_>) -> Around {
    let s = ceil_boundary(haystack, h.start);
    let e = ceil_boundary(haystack, h.end);
    let inside = &haystack[s..e.max(s)];
    let mut kept = folded(inside);
    let Some(first) = kept.next() else {
        return Around {
            bytes: (s, e),
            nonempty: false,
            splice: None,
        };
    };
    let last = kept.next_back().unwrap_or(first);
    let (l, r) = (
        side_token(folded(&haystack[..s]).rev()),
        side_token(folded(&haystack[e..])),
    );
    // A whole clause between punctuation: nothing is broken.
    let splice = (is_text(l) || is_text(r)).then(|| [l, token(first), token(last), r]);
    Around {
        bytes: (s, e),
        nonempty: true,
        splice,
    }
}

pub(crate) fn judge_hits(judge: &Judge, haystack: &str, hits: &[HitSpan<'_>]) -> Vec<Verdict> {
    let cfg = &judge.config;
    let around: Vec<Around> = hits.iter().map(|h| around(haystack, h)).collect();

    // The byte offsets whose character indices the pass reports, and the
    // byte ranges it reads as masked.
    let mut queries: Vec<(usize, usize)> = Vec::with_capacity(2 * hits.len());
    let mut masks: Vec<(usize, usize)> = Vec::new();
    for (k, a) in around.iter().enumerate() {
        queries.push((a.bytes.0, 2 * k));
        queries.push((a.bytes.1, 2 * k + 1));
        if a.bytes.0 < a.bytes.1 {
            masks.push(a.bytes);
        }
    }
    queries.sort_unstable();
    masks.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(masks.len());
    for (s, e) in masks {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }

    // The document counts the splice evidence needs.
    let mut uni = Vec::new();
    let mut pairs = Vec::new();
    for &[l, k0, kn, r] in around.iter().filter_map(|a| a.splice.as_ref()) {
        uni.extend([l, k0, kn, r]);
        pairs.extend([pair_key(l, r), pair_key(l, k0), pair_key(kn, r)]);
    }
    let mut counter = (!uni.is_empty()).then(|| Counter {
        counts: DocCounts::new(uni, pairs),
        prev: LINE as Tok,
        pending_punct: false,
    });
    let Scanned {
        words,
        free_chars,
        lines,
        at,
    } = scan(haystack, &queries, &merged, counter.as_mut());
    let empty = DocCounts::new(Vec::new(), Vec::new());
    let doc_counts = counter.as_ref().map_or(&empty, |c| &c.counts);
    let density = words.genuine.len() as f32 * 1000.0 / free_chars.max(DENSITY_FLOOR) as f32;

    // Character ranges of the hits.
    let spans: Vec<(usize, usize)> = (0..hits.len())
        .map(|k| {
            let s = at[2 * k].0;
            (s, at[2 * k + 1].0.max(s))
        })
        .collect();
    debug_assert!(
        spans
            .iter()
            .zip(&around)
            .all(|(&(s, e), a)| (s < e) == a.nonempty)
    );

    let models = Models {
        builtin: judge.builtin,
        corpus: judge.corpus.as_deref(),
        doc: doc_counts,
    };
    let places = repetition_places(hits, &spans);
    let other = OtherKeywords::new(hits, &spans);

    let mut out = Vec::with_capacity(hits.len());
    for (idx, (h, &(s, e))) in hits.iter().zip(&spans).enumerate() {
        let mut reasons = Vec::new();
        // Title affix.
        if s < e {
            // Lines are disjoint and in order: only the last one starting
            // at or before the hit can hold it.
            let k = lines.partition_point(|l| l.start <= s);
            if let Some(line) = k
                .checked_sub(1)
                .map(|k| &lines[k])
                .filter(|l| e <= l.end && l.title)
            {
                let text_at = (at[2 * idx].1, at[2 * idx + 1].1);
                if let Some(r) =
                    title_affix(haystack, line, (s, e), around[idx].bytes, text_at, &words)
                {
                    reasons.push(r);
                }
            }
        }
        // Splice.
        if let Some([l, k0, kn, r]) = around[idx].splice {
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
        if other.near(h.keyword, s, e, cfg.ad_window) {
            reasons.push(Reason::AdContext {
                kind: AdKind::OtherKeyword,
            });
        }
        // Repetition.
        if places[idx] >= cfg.repetition_min {
            reasons.push(Reason::Repetition { count: places[idx] });
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

/// Answers, for each hit, whether a hit of another keyword lies within the
/// ad window, in `O(log n)` instead of a scan of every hit (a big spam page
/// can hold a hundred thousand hits).
struct OtherKeywords<'k> {
    /// The hits' starts, sorted.
    starts: Vec<usize>,
    /// For the hits up to each of `starts`: the greatest end and its
    /// keyword, and the greatest end among the hits of any other keyword.
    best: Vec<((usize, &'k str), Option<usize>)>,
}

impl<'k> OtherKeywords<'k> {
    fn new(hits: &[HitSpan<'k>], spans: &[(usize, usize)]) -> OtherKeywords<'k> {
        let mut order: Vec<usize> = (0..hits.len()).collect();
        order.sort_unstable_by_key(|&k| spans[k].0);
        let mut best = Vec::with_capacity(order.len());
        let mut top: Option<(usize, &'k str)> = None;
        let mut second: Option<usize> = None;
        for &k in &order {
            let (end, kw) = (spans[k].1, hits[k].keyword);
            let t = match top {
                None => (end, kw),
                Some((t, tk)) if tk == kw => (t.max(end), tk),
                Some((t, _)) if end > t => {
                    // The old top has another keyword than this hit and
                    // the greatest end of all before it.
                    second = Some(t);
                    (end, kw)
                }
                Some(t) => {
                    second = Some(second.map_or(end, |s| s.max(end)));
                    t
                }
            };
            top = Some(t);
            best.push((t, second));
        }
        OtherKeywords {
            starts: order.iter().map(|&k| spans[k].0).collect(),
            best,
        }
    }

    /// Whether a hit of a keyword other than `keyword` starts at or before
    /// `e + window` and ends at or after `s - window`.
    fn near(&self, keyword: &str, s: usize, e: usize, window: usize) -> bool {
        let n = self.starts.partition_point(|&os| os <= e + window);
        let Some(&((top, top_kw), second)) = n.checked_sub(1).map(|k| &self.best[k]) else {
            return false;
        };
        if top_kw != keyword {
            top + window >= s
        } else {
            second.is_some_and(|oe| oe + window >= s)
        }
    }
}

/// Per hit, the number of places of its keyword: its hits' starts, in
/// order, each at least [`REPETITION_GAP`] characters after the last place
/// counted.
fn repetition_places(hits: &[HitSpan<'_>], spans: &[(usize, usize)]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..hits.len()).collect();
    order.sort_unstable_by_key(|&k| (hits[k].keyword, spans[k].0));
    let mut places = vec![0; hits.len()];
    for group in order.chunk_by(|&a, &b| hits[a].keyword == hits[b].keyword) {
        let mut n = 0;
        let mut last: Option<usize> = None;
        for &k in group {
            let st = spans[k].0;
            if last.is_none_or(|l| st >= l + REPETITION_GAP) {
                n += 1;
                last = Some(st);
            }
        }
        for &k in group {
            places[k] = n;
        }
    }
    places
}

/// The title-affix evidence of the hit at characters `s..e` (bytes
/// `bytes`, `text_at` text characters before each end) in `line`.
fn title_affix(
    haystack: &str,
    line: &Line,
    (s, e): (usize, usize),
    bytes: (usize, usize),
    text_at: (usize, usize),
    words: &Words,
) -> Option<Reason> {
    let (position, rest, rest_chars) = if s == line.start && e < line.end {
        (
            AffixPosition::Prefix,
            (e, line.end),
            line.text_before_end - text_at.1,
        )
    } else if e == line.end && s > line.start {
        (
            AffixPosition::Suffix,
            (line.start, s),
            text_at.0 - line.text_before_start,
        )
    } else {
        return None;
    };
    let separator = match position {
        AffixPosition::Prefix => folded(&haystack[bytes.1..]).find(|&c| c != ' '),
        // Spaces back to the document's start: no title affix.
        AffixPosition::Suffix => Some(folded(&haystack[..bytes.0]).rev().find(|&c| c != ' ')?),
    }
    .filter(|c| SEPARATORS.contains(c));
    if rest_chars < TITLE_REST_MIN || count_in(&words.genuine, rest.0, rest.1) > 0 {
        return None;
    }
    Some(Reason::TitleAffix {
        position,
        separator,
    })
}

#[cfg(test)]
mod tests {
    //! The fast pass against the straightforward one (`naive.rs`) and the
    //! word matcher against the Aho-Corasick automaton it replaces, on real
    //! and generated text.

    use super::*;
    use crate::injection::naive;
    use crate::text::{Class, classify};
    use proptest::prelude::*;

    const NEWS: &str = include_str!("../../tests/data/news_1998.txt");
    const SEED: &str = include_str!("../../tests/data/000_214c2e03461503b2.txt");
    const SEED_CLEAN: &str = include_str!("../../tests/data/seed_clean.txt");

    /// Pieces the generated documents are made of: text, traditional
    /// characters, every kind of noise and line break, invisible and
    /// non-BMP characters, full-width forms, and words of every list
    /// (including the overlapping `时时彩民`, `必中奖者`).
    const PIECES: &[&str] = &[
        "发",
        "展",
        "的",
        "体",
        "育",
        "體",
        "們",
        "國",
        "一",
        "加",
        "强",
        "大",
        "中",
        "，",
        "。",
        "、",
        ",",
        ".",
        "！",
        "？",
        "!",
        "?",
        ":",
        "：",
        "|",
        "丨",
        "-",
        "—",
        "_",
        "~",
        " ",
        "\u{3000}",
        "\n",
        "\r\n",
        "\u{2028}",
        "\u{85}",
        "\u{200B}",
        "\u{FEFF}",
        "\u{AD}",
        "😀",
        "Ｗ",
        "Ａ",
        "５",
        "5",
        "12",
        "a",
        "B",
        "x",
        "abc12",
        "Qq",
        "微信",
        "微信：abc12345",
        "加qq 123456789",
        "电话 138-0000",
        "www.",
        ".com",
        "xyz.com",
        "http",
        "HTTP://a.cn",
        "警方",
        "法院",
        "彩票中心",
        "彩民",
        "时时彩民",
        "必中奖者",
        "计划",
        "注册送",
        "金博体育",
        "皇冠体育",
        "新皇冠体育：",
        "_万彩娱乐平台",
        "\u{0}",
        "\t",
        "￥",
        "①",
    ];

    const KEYWORDS: &[&str] = &["金博体育", "皇冠体育", "体育", "k"];

    fn judges() -> Vec<Judge> {
        let mut corpus = BigramModel::new();
        corpus.add_text(&NEWS[..20_000]);
        vec![
            Judge::new(),
            Judge::builder()
                .builtin_model(false)
                .corpus_model(corpus)
                .build()
                .unwrap(),
            Judge::builder()
                .builtin_model(false)
                .ad_window(3)
                .topic_window(5)
                .unrelated_min_chars(10)
                .genuine_min(0.5)
                .splice_gain(-5.0)
                .build()
                .unwrap(),
        ]
    }

    fn check(judges: &[Judge], haystack: &str, hits: &[HitSpan<'_>]) {
        for (k, judge) in judges.iter().enumerate() {
            let fast = judge_hits(judge, haystack, hits);
            let slow = naive::judge_hits(judge, haystack, hits);
            assert_eq!(
                fast, slow,
                "judge {k}, hits {hits:?}, haystack {haystack:?}"
            );
        }
    }

    #[test]
    fn words_are_kept_bmp_characters() {
        for w in GENUINE.iter().chain(JARGON).chain(CONTACT).chain(DOMAIN) {
            assert!(!w.is_empty());
            for c in w.chars() {
                assert!(classify(c) != Class::Invisible, "{w}");
                assert!(fold_char(c).is_some(), "{w}");
            }
            assert!((w.chars().next().unwrap() as u32) < 0x10000, "{w}");
        }
    }

    fn ac_matches(haystack: &str) -> Vec<(usize, usize, usize)> {
        naive::matcher()
            .find_iter(haystack)
            .map(|m| (m.start(), m.end(), m.pattern().as_usize()))
            .collect()
    }

    #[test]
    fn word_matcher_equals_aho_corasick_on_real_text() {
        for text in [NEWS, SEED, SEED_CLEAN] {
            let ours = word_matcher().find_all(text);
            assert!(ours.len() > 10);
            assert_eq!(ours, ac_matches(text));
        }
        // Overlapping words of different lists, and ASCII case.
        for text in [
            "时时彩民必中奖者举报警方",
            "WWW.abc.COM Http 北京PK10 pK10 Vx TEL QQ",
        ] {
            assert_eq!(word_matcher().find_all(text), ac_matches(text), "{text}");
        }
    }

    #[test]
    fn verdicts_equal_naive_on_real_text() {
        let judges = judges();
        let detector = crate::keywords::Detector::new().unwrap();
        // Documents of a few news paragraphs, the seed page and its clean
        // copy; hits where a keyword is spliced in, and of the builtin
        // dictionary.
        let mut docs: Vec<String> = vec![SEED.to_owned(), SEED_CLEAN.to_owned()];
        let lines: Vec<&str> = NEWS.lines().collect();
        for (n, chunk) in lines.chunks(7).take(60).enumerate() {
            let mut doc = chunk.join("\n");
            // Splice a keyword into the middle of a line, at the start of the
            // first line and at the end of the second.
            let mid = doc.char_indices().nth(30 + n % 50).map_or(0, |(i, _)| i);
            doc.insert_str(mid, "金博体育");
            doc.insert_str(
                0,
                if n % 2 == 0 {
                    "皇冠体育："
                } else {
                    "皇冠体育"
                },
            );
            if let Some(i) = doc.find('\n') {
                doc.insert_str(i, "_金博体育");
            }
            docs.push(doc);
        }
        for doc in &docs {
            let mut hits: Vec<HitSpan> = detector.find_iter(doc).map(HitSpan::from).collect();
            for kw in ["金博体育", "皇冠体育"] {
                hits.extend(
                    doc.match_indices(kw)
                        .map(|(i, m)| HitSpan::new(i, i + m.len(), kw, "gambling")),
                );
            }
            if hits.is_empty() {
                continue;
            }
            check(&judges, doc, &hits);
            // Each hit alone.
            for h in &hits {
                check(&judges[..1], doc, std::slice::from_ref(h));
            }
        }
    }

    #[test]
    fn verdicts_equal_naive_on_odd_spans() {
        let judges = judges();
        let doc = "\u{200B}金博体育\u{200B}：得州枪击\n\u{FEFF}\n，，体育。发展\u{AD}体育";
        let len = doc.len();
        let mut spans = Vec::new();
        for s in (0..=len + 2).step_by(1) {
            for e in [s, s + 1, s + 3, s + 4, s + 12, s.saturating_sub(2), len + 5] {
                spans.push(HitSpan::new(s, e, "体育", "gambling"));
            }
        }
        for h in &spans {
            check(&judges, doc, std::slice::from_ref(h));
        }
        check(&judges, doc, &spans);
    }

    #[test]
    fn verdicts_equal_naive_with_many_hits() {
        // Thousands of hits of two keywords in one long line and in many
        // short ones: the sweeps that replace the scans of every hit.
        let judges = judges();
        for sep in ["，发展", "\n新闻"] {
            let mut doc = String::new();
            let mut hits = Vec::new();
            for k in 0..1500 {
                let kw = if k % 3 == 0 {
                    "皇冠体育"
                } else {
                    "金博体育"
                };
                hits.push(HitSpan::new(
                    doc.len(),
                    doc.len() + kw.len(),
                    kw,
                    "gambling",
                ));
                doc.push_str(kw);
                doc.push_str(&sep.repeat(1 + k % 7));
            }
            check(&judges[..1], &doc, &hits);
        }
    }

    fn doc_and_hits() -> impl Strategy<Value = (String, Vec<(usize, usize, usize, bool)>)> {
        (
            proptest::collection::vec(0..PIECES.len(), 0..120),
            proptest::collection::vec(
                (0..600usize, 0..40usize, 0..KEYWORDS.len(), any::<bool>()),
                1..6,
            ),
        )
            .prop_map(|(pieces, hits)| {
                let doc: String = pieces.iter().map(|&i| PIECES[i]).collect();
                (doc, hits)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn verdicts_equal_naive_on_generated_text((doc, raw) in doc_and_hits()) {
            let judges = judges();
            let len = doc.len().max(1);
            // Spans anywhere (inside characters, past the end, reversed),
            // and spans on the occurrences of the keywords.
            let mut hits: Vec<HitSpan> = raw
                .iter()
                .map(|&(s, l, k, absent)| {
                    let s = s % (len + 3);
                    let e = if l == 39 { s.saturating_sub(3) } else { s + l };
                    HitSpan { absent_in_copy: absent, ..HitSpan::new(s, e, KEYWORDS[k], "gambling") }
                })
                .collect();
            check(&judges, &doc, &hits);
            hits.clear();
            for kw in KEYWORDS {
                hits.extend(
                    doc.match_indices(kw)
                        .map(|(i, m)| HitSpan::new(i, i + m.len(), kw, "gambling")),
                );
            }
            if !hits.is_empty() {
                check(&judges, &doc, &hits);
            }
        }

        #[test]
        fn other_keywords_equal_every_pair(
            raw in proptest::collection::vec((0..60usize, 0..8usize, 0..3usize), 1..40),
            window in 0..10usize,
        ) {
            let kws = ["a", "b", "c"];
            let hits: Vec<HitSpan> = raw
                .iter()
                .map(|&(s, l, k)| HitSpan::new(s, s + l, kws[k], "x"))
                .collect();
            let spans: Vec<(usize, usize)> = raw.iter().map(|&(s, l, _)| (s, s + l)).collect();
            let other = OtherKeywords::new(&hits, &spans);
            for (h, &(s, e)) in hits.iter().zip(&spans) {
                let naive = hits.iter().zip(&spans).any(|(o, &(os, oe))| {
                    o.keyword != h.keyword && oe + window >= s && os <= e + window
                });
                prop_assert_eq!(other.near(h.keyword, s, e, window), naive);
            }
        }

        #[test]
        fn word_matcher_equals_aho_corasick_on_generated_text(
            pieces in proptest::collection::vec(0..PIECES.len(), 0..200)
        ) {
            let doc: String = pieces.iter().map(|&i| PIECES[i]).collect();
            prop_assert_eq!(word_matcher().find_all(&doc), ac_matches(&doc));
        }
    }
}
