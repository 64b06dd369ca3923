//! The detector: Aho-Corasick over the folded haystack, with the validity
//! rules that keep hits on character, word and allow-list boundaries.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use aho_corasick::{AhoCorasick, AhoCorasickKind, Anchored, Input, MatchKind, StartKind};

use super::dictionary::{DEFAULT_CATEGORY, Dictionary, check_category};
use crate::text::{Class, Folded, Folding, Stops, classify, fold_first, fold_keyword};
use crate::{Error, Result};

/// Which automaton runs the search: the kinds of the `aho-corasick` crate.
///
/// All kinds find the same hits; they trade build time and memory for search
/// speed. Default: [`MatcherKind::Auto`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MatcherKind {
    /// Let `aho-corasick` choose from the number and size of the keywords.
    #[default]
    Auto,
    /// A full DFA: the fastest search, the slowest build and the most memory.
    Dfa,
    /// A contiguous NFA: fast search, moderate memory.
    ContiguousNfa,
    /// A noncontiguous NFA: the fastest build and the slowest search.
    NoncontiguousNfa,
}

impl MatcherKind {
    fn to_aho_corasick(self) -> Option<AhoCorasickKind> {
        match self {
            MatcherKind::Auto => None,
            MatcherKind::Dfa => Some(AhoCorasickKind::DFA),
            MatcherKind::ContiguousNfa => Some(AhoCorasickKind::ContiguousNFA),
            MatcherKind::NoncontiguousNfa => Some(AhoCorasickKind::NoncontiguousNFA),
        }
    }
}

/// One keyword found in a haystack.
///
/// `&haystack[hit.start()..hit.end()]` is the keyword as it appeared, disguise
/// included (`金 博*體-育`); [`Hit::keyword`] is the dictionary entry it
/// matched, folded (`金博体育`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Hit<'d> {
    start: usize,
    end: usize,
    /// The range in the folded haystack, when the search was given it.
    folded: Option<(usize, usize)>,
    pattern: usize,
    keyword: &'d str,
    category: &'d str,
}

impl<'d> Hit<'d> {
    /// The byte offset in the original haystack where the hit starts.
    pub fn start(&self) -> usize {
        self.start
    }

    /// The byte offset in the original haystack where the hit ends (exclusive).
    pub fn end(&self) -> usize {
        self.end
    }

    /// `start()..end()`.
    pub fn range(&self) -> Range<usize> {
        self.start..self.end
    }

    /// The byte range of the hit in the folded haystack, for hits from
    /// [`Detector::find_iter_folded`], which is given the fold of the whole
    /// haystack; `None` for hits from [`Detector::find_iter`] and
    /// [`Detector::find_iter_with`], which fold only stretches of it.
    ///
    /// ```
    /// use spamsift::keywords::Detector;
    /// use spamsift::text::fold;
    ///
    /// let detector = Detector::new()?;
    /// let hay = "省政府新闻办协作金 博*體-育。";
    /// let folded = fold(hay, detector.folding());
    /// let hit = detector.find_iter_folded(hay, &folded).next().unwrap();
    /// let range = hit.folded_range().unwrap();
    /// assert_eq!(&folded.as_str()[range], "金博体育");
    /// assert_eq!(detector.find_iter(hay).next().unwrap().folded_range(), None);
    /// # Ok::<(), spamsift::Error>(())
    /// ```
    pub fn folded_range(&self) -> Option<Range<usize>> {
        self.folded.map(|(s, e)| s..e)
    }

    /// The canonical keyword: the dictionary entry, folded.
    pub fn keyword(&self) -> &'d str {
        self.keyword
    }

    /// The keyword's category (`gambling`, `porn`, ..., `spam` by default).
    pub fn category(&self) -> &'d str {
        self.category
    }

    /// The keyword's id: its index among the detector's deduplicated
    /// keywords, `0..detector.len()`, in dictionary order.
    pub fn pattern(&self) -> usize {
        self.pattern
    }
}

/// Configures and builds a [`Detector`].
///
/// ```
/// use spamsift::keywords::{Detector, MatcherKind};
///
/// let detector = Detector::builder()
///     .builtin(false)
///     .keyword("金沙", "gambling")
///     .allow("金沙江")
///     .max_noise(2)
///     .kind(MatcherKind::Dfa)
///     .build()?;
/// let hay = "金*沙娱乐，金沙江畔";
/// let hits: Vec<_> = detector.find_iter(hay).map(|h| &hay[h.range()]).collect();
/// assert_eq!(hits, ["金*沙"]);
/// # Ok::<(), spamsift::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct DetectorBuilder {
    builtin: bool,
    dictionaries: Vec<Dictionary>,
    extra: Dictionary,
    folding: Folding,
    kind: MatcherKind,
}

impl Default for DetectorBuilder {
    fn default() -> DetectorBuilder {
        DetectorBuilder {
            builtin: true,
            dictionaries: Vec::new(),
            extra: Dictionary::named("<builder>"),
            folding: Folding::default(),
            kind: MatcherKind::Auto,
        }
    }
}

impl DetectorBuilder {
    /// A builder with the defaults: the built-in dictionary, every fold on,
    /// `max_noise` 3, [`MatcherKind::Auto`].
    pub fn new() -> DetectorBuilder {
        DetectorBuilder::default()
    }

    /// Whether to include the built-in dictionary. Default: `true`.
    pub fn builtin(&mut self, yes: bool) -> &mut DetectorBuilder {
        self.builtin = yes;
        self
    }

    /// Adds a dictionary, after the built-in one and those added before.
    /// May be called many times. Default: none.
    pub fn dictionary(&mut self, dictionary: Dictionary) -> &mut DetectorBuilder {
        self.dictionaries.push(dictionary);
        self
    }

    /// Adds one keyword with its category, after all dictionaries. Errors
    /// name it as `<builder>` with the number of the call. Default: none.
    pub fn keyword(&mut self, keyword: &str, category: &str) -> &mut DetectorBuilder {
        self.extra.push_keyword(keyword, category);
        self
    }

    /// Adds an allow-list phrase. Default: none (beyond the dictionaries').
    pub fn allow(&mut self, phrase: &str) -> &mut DetectorBuilder {
        self.extra.push_allow(phrase);
        self
    }

    /// Sets every fold at once. Default: [`Folding::default`], all folds on
    /// with `max_noise` 3.
    pub fn folding(&mut self, folding: Folding) -> &mut DetectorBuilder {
        self.folding = folding;
        self
    }

    /// Folds full-width and enclosed letters and digits to ASCII. Default: on.
    pub fn width(&mut self, yes: bool) -> &mut DetectorBuilder {
        self.folding.width(yes);
        self
    }

    /// Folds ASCII upper case to lower case. Default: on.
    pub fn case(&mut self, yes: bool) -> &mut DetectorBuilder {
        self.folding.case(yes);
        self
    }

    /// Folds traditional Chinese to simplified. Default: on.
    pub fn traditional(&mut self, yes: bool) -> &mut DetectorBuilder {
        self.folding.traditional(yes);
        self
    }

    /// Removes invisible characters. Default: on.
    pub fn invisible(&mut self, yes: bool) -> &mut DetectorBuilder {
        self.folding.invisible(yes);
        self
    }

    /// Sees through runs of at most `n` noise characters between two keyword
    /// characters (`n <= 255`, checked by [`build`](Self::build)); 0 turns
    /// the noise fold off. Default: 3.
    pub fn max_noise(&mut self, n: usize) -> &mut DetectorBuilder {
        self.folding.max_noise(n);
        self
    }

    /// Which automaton to use. Default: [`MatcherKind::Auto`].
    pub fn kind(&mut self, kind: MatcherKind) -> &mut DetectorBuilder {
        self.kind = kind;
        self
    }

    /// Builds the detector. May be called again, with the same or changed
    /// settings.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for `max_noise` above 255 or when the automaton
    /// cannot be built (too many keywords for the chosen kind);
    /// [`Error::Malformed`], naming the dictionary and line, for a keyword or
    /// allow-list phrase that is empty after folding with this builder's
    /// folding, or a category that is empty or contains whitespace.
    pub fn build(&self) -> Result<Detector> {
        self.folding.validate()?;
        let builtin = if self.builtin {
            Some(Dictionary::try_builtin()?)
        } else {
            None
        };
        let dicts = builtin
            .iter()
            .chain(self.dictionaries.iter())
            .chain(std::iter::once(&self.extra));

        let mut patterns: Vec<Pattern> = Vec::new();
        let mut by_keyword: HashMap<Box<str>, usize> = HashMap::new();
        let mut categories: Vec<Box<str>> = Vec::new();
        let mut category_ids: HashMap<String, u32> = HashMap::new();
        let mut allow: Vec<String> = Vec::new();
        let mut allow_seen: HashMap<String, ()> = HashMap::new();
        for dict in dicts {
            let malformed = |entry: &super::Entry, message: String| Error::Malformed {
                path: dict.name().to_path_buf(),
                line: entry.line(),
                offset: entry.offset(),
                message,
            };
            for entry in dict.entries() {
                check_category(entry.category()).map_err(|m| malformed(entry, m))?;
                let folded = fold_keyword(entry.keyword(), &self.folding);
                if folded.is_empty() {
                    return Err(malformed(
                        entry,
                        format!("keyword {:?} is empty after folding", entry.keyword()),
                    ));
                }
                if by_keyword.contains_key(folded.as_str()) {
                    continue;
                }
                let next = categories.len() as u32;
                let category = *category_ids
                    .entry(entry.category().to_string())
                    .or_insert_with(|| {
                        categories.push(entry.category().into());
                        next
                    });
                by_keyword.insert(folded.as_str().into(), patterns.len());
                patterns.push(Pattern {
                    keyword: folded.into(),
                    category,
                });
            }
            for entry in dict.allow_phrases() {
                let folded = fold_keyword(entry.keyword(), &self.folding);
                if folded.is_empty() {
                    return Err(malformed(
                        entry,
                        format!(
                            "allow-list phrase {:?} is empty after folding",
                            entry.keyword()
                        ),
                    ));
                }
                if allow_seen.insert(folded.clone(), ()).is_none() {
                    allow.push(folded);
                }
            }
        }
        if categories.is_empty() {
            categories.push(DEFAULT_CATEGORY.into());
        }

        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .kind(self.kind.to_aho_corasick())
            .start_kind(StartKind::Both)
            .build(patterns.iter().map(|p| p.keyword.as_bytes()))
            .map_err(|e| Error::Config(format!("cannot build the keyword automaton: {e}")))?;
        let allow_max_len = allow.iter().map(String::len).max().unwrap_or(0);
        let allow = if allow.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .match_kind(MatchKind::Standard)
                    .build(&allow)
                    .map_err(|e| {
                        Error::Config(format!("cannot build the allow-list automaton: {e}"))
                    })?,
            )
        };
        let mut starts = StartSet::default();
        for p in &patterns {
            starts.insert(p.keyword.chars().next().unwrap_or_default());
        }
        let identity = self.folding == Folding::none();
        let candidates = if identity {
            None
        } else {
            Some(StartSet::candidates(&starts, &self.folding))
        };
        let stops = (!identity).then(|| {
            Arc::new(Stops::new(
                &self.folding,
                |c| starts.contains(c),
                starts.astral,
            ))
        });
        let longest = patterns.iter().map(|p| p.keyword.len()).max().unwrap_or(0);
        Ok(Detector {
            starts,
            stops,
            candidates,
            margin_before: allow_max_len + 4,
            margin_after: longest + allow_max_len + 4,
            folding: self.folding,
            ac,
            patterns,
            categories,
            by_keyword,
            allow,
            allow_max_len,
        })
    }
}

#[derive(Clone, Debug)]
struct Pattern {
    keyword: Box<str>,
    category: u32,
}

/// Finds dictionary keywords in a haystack, through the disguises of its
/// [`Folding`], and reports where they stand in the original text.
///
/// Built once (it is `Send + Sync`) and shared; see the [module
/// docs](crate::keywords) for the matching rules.
///
/// ```
/// use spamsift::keywords::Detector;
///
/// let detector = Detector::new()?;
/// let hay = "省政府新闻办协作金 博*體-育。";
/// let hit = detector.find_iter(hay).next().unwrap();
/// assert_eq!(&hay[hit.range()], "金 博*體-育");
/// assert_eq!((hit.keyword(), hit.category()), ("金博体育", "gambling"));
/// # Ok::<(), spamsift::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Detector {
    folding: Folding,
    ac: AhoCorasick,
    patterns: Vec<Pattern>,
    categories: Vec<Box<str>>,
    /// Folded keyword → pattern id, to try the shorter keywords at a position.
    by_keyword: HashMap<Box<str>, usize>,
    allow: Option<AhoCorasick>,
    allow_max_len: usize,
    /// The first characters of the keywords, to skip ahead to where a
    /// keyword can start.
    starts: StartSet,
    /// The same set for the fold to note ([`Detector::fold_into`]), so
    /// that a search of its folded text skips from one to the next without
    /// reading the text in between. `None` when every fold is off.
    stops: Option<Arc<Stops>>,
    /// The characters of the original text where a hit can start: those
    /// whose fold starts with a keyword's first character (`體`, `Ｋ` and
    /// `ⓚ` as well as `体` and `k`). `None` when every fold is off.
    candidates: Option<StartSet>,
    /// How many folded bytes [`FindIter`] folds before a candidate: enough
    /// for the allow-list window and the word boundary before a hit.
    margin_before: usize,
    /// How many folded bytes it folds from a candidate on: enough for the
    /// longest keyword, the allow-list window and the word boundary after it.
    margin_after: usize,
}

/// A set of characters: a bitmap of the BMP, and one flag for all the rest.
///
/// The bitmap's words are laid out for the skip through UTF-8
/// ([`StartSet::next_in`]): the word of BMP character `u` is
/// `words[BMP_BASE + (u >> 6)]`, its bit `u & 63`, and the first
/// `BMP_BASE` words have every bit set. For a character of three bytes
/// `b0 b1 b2` (`1110hhhh 10llllll 10mmmmmm`), `u >> 6` is `hhhhllllll` and
/// `u & 63` is the low six bits of `b2`, so its word is
/// `words[LEAD_ROW[b0] + b1]` and its bit is `b2` modulo 64, which is what
/// a shift takes of its count. Any other first byte has `LEAD_ROW` 0 and
/// lands, whatever `b1`, in the first words, all set: the skip need not
/// test the leading bytes apart, a set bit tells it to look closer.
#[derive(Clone, Debug)]
struct StartSet {
    words: Box<[u64; WORDS]>,
    astral: bool,
}

/// Where the words of BMP characters start in [`StartSet`]'s bitmap.
const BMP_BASE: usize = 256;
/// The length of the bitmap: the BMP's 1024 words after `BMP_BASE`, then
/// padding up to a power of two, so that any `LEAD_ROW[b0] + b1` masked
/// with `WORDS - 1` is in bounds without a check.
const WORDS: usize = 2048;

/// For a leading byte `1110hhhh`, `LEAD_ROW[b0] + b1` (`b1` = `10llllll`)
/// is `BMP_BASE + (hhhh << 6) + llllll`; 0 for every other byte, whose
/// `LEAD_ROW[b0] + b1` is below `BMP_BASE`.
const LEAD_ROW: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut h = 0;
    while h < 16 {
        t[0xE0 + h] = (BMP_BASE - 0x80 + (h << 6)) as u16;
        h += 1;
    }
    t
};

impl Default for StartSet {
    fn default() -> StartSet {
        let mut words = Box::new([0; WORDS]);
        words[..BMP_BASE].fill(u64::MAX);
        StartSet {
            words,
            astral: false,
        }
    }
}

impl StartSet {
    /// The characters whose fold (as a character that is kept) starts with
    /// a character of `starts`, and those of `starts` themselves.
    fn candidates(starts: &StartSet, folding: &Folding) -> StartSet {
        let mut set = StartSet::default();
        for c in (0..=0xFFFF).filter_map(char::from_u32) {
            if starts.contains(c) || starts.contains(fold_first(c, folding)) {
                set.insert(c);
            }
        }
        // Only the traditional fold maps characters outside the BMP, and only
        // those of planes 2 and 3 (CJK extensions; checked by a test of the
        // fold).
        set.astral = starts.astral
            || (folding.is_traditional()
                && (0x20000..0x40000)
                    .filter_map(char::from_u32)
                    .any(|c| starts.contains(fold_first(c, folding))));
        set
    }

    /// Whether the BMP character `u` is in the set.
    #[inline]
    fn has(&self, u: u32) -> bool {
        (self.words[BMP_BASE + (u as usize >> 6 & 1023)] >> (u & 63)) & 1 != 0
    }

    #[inline]
    fn contains(&self, c: char) -> bool {
        let u = c as u32;
        if u > 0xFFFF { self.astral } else { self.has(u) }
    }

    fn insert(&mut self, c: char) {
        let u = c as u32;
        if u > 0xFFFF {
            self.astral = true;
        } else {
            self.words[BMP_BASE + (u >> 6) as usize] |= 1 << (u & 63);
        }
    }

    /// The offset of the first character at or after `i` (a character
    /// boundary of the UTF-8 text `bytes`) that is in the set.
    #[inline]
    fn next_in(&self, bytes: &[u8], mut i: usize) -> Option<usize> {
        let words = &*self.words;
        // The bit of the three-byte character at `c[k..k + 3]`, in bit 0;
        // bit 0 is set too when `c[k]` leads no three-byte character.
        let bit = |c: &[u8; 12], k: usize| {
            let word =
                (usize::from(LEAD_ROW[usize::from(c[k])]) + usize::from(c[k + 1])) & (WORDS - 1);
            words[word].wrapping_shr(u32::from(c[k + 2]))
        };
        loop {
            // Three-byte characters (Han, CJK punctuation) first: they are
            // most of the text. Four at a time, with one branch: when the
            // four leading bytes at 0, 3, 6 and 9 all lead three-byte
            // characters, the twelve bytes are those four characters.
            let mut rest = bytes.get(i..)?;
            while let Some((c, tail)) = rest.split_first_chunk::<12>() {
                if (bit(c, 0) | bit(c, 3) | bit(c, 6) | bit(c, 9)) & 1 != 0 {
                    // Straight to the first of the four with its bit set: the
                    // ones before it are three-byte characters outside the
                    // set, so it starts a character, and it is in the set or
                    // of another length. Without a branch, as punctuation and
                    // ASCII come every few characters.
                    let flags = (bit(c, 0) & 1)
                        | (bit(c, 3) & 1) << 1
                        | (bit(c, 6) & 1) << 2
                        | (bit(c, 9) & 1) << 3;
                    rest = &rest[3 * flags.trailing_zeros() as usize..];
                    break;
                }
                rest = tail;
            }
            i = bytes.len() - rest.len();
            // A run of ASCII (digits, Latin words, line breaks), up to
            // eight bytes at once: its length from the bytes' top bits, and
            // its first member of the set, without a branch per byte.
            if let Some(c) = rest.first_chunk::<8>() {
                let run = (u64::from_le_bytes(*c) & 0x8080_8080_8080_8080).trailing_zeros() / 8;
                if run > 0 {
                    let mut members = 0u32;
                    for (j, &b) in c.iter().enumerate() {
                        // Bytes past the run are masked off below.
                        let word = words[BMP_BASE + usize::from(b >> 6 & 1)];
                        members |= ((word >> (b & 63)) as u32 & 1) << j;
                    }
                    members &= (1 << run) - 1;
                    if members != 0 {
                        return Some(i + members.trailing_zeros() as usize);
                    }
                    i += run as usize;
                    continue;
                }
            }
            // One character of any length.
            let &b = bytes.get(i)?;
            let (u, len) = if b < 0x80 {
                (u32::from(b), 1)
            } else if b < 0xE0 {
                let u = (u32::from(b & 0x1F) << 6) | u32::from(bytes[i + 1] & 0x3F);
                (u, 2)
            } else if b < 0xF0 {
                let u = (u32::from(b & 0x0F) << 12)
                    | (u32::from(bytes[i + 1] & 0x3F) << 6)
                    | u32::from(bytes[i + 2] & 0x3F);
                (u, 3)
            } else {
                if self.astral {
                    return Some(i);
                }
                i += 4;
                continue;
            };
            if self.has(u) {
                return Some(i);
            }
            i += len;
        }
    }
}

impl Detector {
    /// A detector with the built-in dictionary and every fold on.
    ///
    /// # Errors
    ///
    /// None in practice: the built-in dictionary is tested. The `Result` is
    /// there for symmetry with [`DetectorBuilder::build`].
    pub fn new() -> Result<Detector> {
        DetectorBuilder::new().build()
    }

    /// A builder to choose dictionaries, folds and the automaton.
    pub fn builder() -> DetectorBuilder {
        DetectorBuilder::new()
    }

    /// The folding applied to keywords and haystacks. Fold a haystack with
    /// it to call [`Detector::find_iter_folded`].
    pub fn folding(&self) -> &Folding {
        &self.folding
    }

    /// The number of distinct keywords (after folding and merging).
    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    /// Whether the detector has no keywords.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// The folded keyword and the category of pattern `id`, or `None` when
    /// `id >= self.len()`.
    pub fn pattern(&self, id: usize) -> Option<(&str, &str)> {
        let p = self.patterns.get(id)?;
        Some((&p.keyword, &self.categories[p.category as usize]))
    }

    /// The heap memory held by the detector, in bytes: the automata, the
    /// keywords, the lookup table and the bitmaps and tables of the skips.
    pub fn memory_usage(&self) -> usize {
        let strings: usize = self.patterns.iter().map(|p| p.keyword.len()).sum();
        let categories: usize = self.categories.iter().map(|c| c.len()).sum();
        self.ac.memory_usage()
            + self.allow.as_ref().map_or(0, AhoCorasick::memory_usage)
            + self.patterns.capacity() * std::mem::size_of::<Pattern>()
            + strings
            + self.categories.capacity() * std::mem::size_of::<Box<str>>()
            + categories
            // The table holds a second copy of each keyword, and a hashbrown
            // table spends about one control byte and one slot per bucket.
            + strings
            + self.by_keyword.capacity() * (std::mem::size_of::<(Box<str>, usize)>() + 1)
            + std::mem::size_of::<[u64; WORDS]>() * (1 + usize::from(self.candidates.is_some()))
            + self.stops.as_ref().map_or(0, |s| s.memory_usage())
    }

    /// The hits in `haystack`, left to right, non-overlapping, leftmost-longest.
    ///
    /// Only the stretches of the haystack around characters that can start a
    /// keyword are folded, into a fresh buffer; [`Detector::find_iter_with`]
    /// reuses one across haystacks. The hits have no
    /// [`Hit::folded_range`]; [`Detector::find_iter_folded`] finds the same
    /// hits with it.
    pub fn find_iter<'d, 'h>(&'d self, haystack: &'h str) -> FindIter<'d, 'h> {
        self.lazy_iter(haystack, FoldedRef::Owned(Folded::default()))
    }

    /// Like [`Detector::find_iter`], folding into `buf` (whose contents are
    /// replaced) so that a caller scanning many haystacks allocates once.
    ///
    /// ```
    /// use spamsift::keywords::Detector;
    /// use spamsift::text::Folded;
    ///
    /// let detector = Detector::new()?;
    /// let mut buf = Folded::default();
    /// for page in ["金博體育", "省政府新闻办召开发布会"] {
    ///     let n = detector.find_iter_with(page, &mut buf).count();
    ///     assert_eq!(n, usize::from(page.starts_with('金')));
    /// }
    /// # Ok::<(), spamsift::Error>(())
    /// ```
    pub fn find_iter_with<'d, 'h>(
        &'d self,
        haystack: &'h str,
        buf: &'h mut Folded,
    ) -> FindIter<'d, 'h> {
        self.lazy_iter(haystack, FoldedRef::Mut(buf))
    }

    fn lazy_iter<'d, 'h>(&'d self, haystack: &'h str, buf: FoldedRef<'h>) -> FindIter<'d, 'h> {
        let Some(candidates) = &self.candidates else {
            return FindIter {
                detector: self,
                full: haystack,
                haystack,
                base: 0,
                folded: FoldedRef::Identity,
                at: 0,
                skip: true,
                attempts: 0,
                lazy: None,
            };
        };
        let next = candidates.next_in(haystack.as_bytes(), 0).map(|p| {
            let w = back_margin(haystack, p, 0, self.margin_before).unwrap_or(0);
            (w, p)
        });
        FindIter {
            detector: self,
            full: haystack,
            haystack: &haystack[..0],
            base: 0,
            folded: buf,
            at: usize::MAX,
            skip: true,
            attempts: 0,
            lazy: Some(Lazy { next }),
        }
    }

    /// Folds `haystack` into `folded` (replacing its contents) with
    /// [`Detector::folding`], noting on the way where a keyword can start,
    /// so that [`Detector::find_iter_folded`] skips from one such place to
    /// the next instead of reading the folded text between them. The folded
    /// text and its offset map are those of `folded.refill(haystack,
    /// detector.folding())`, and so are the hits.
    ///
    /// ```
    /// use spamsift::keywords::Detector;
    /// use spamsift::text::Folded;
    ///
    /// let detector = Detector::new()?;
    /// let page = "省政府新闻办协作金 博*體-育。";
    /// let mut folded = Folded::default();
    /// detector.fold_into(page, &mut folded);
    /// assert_eq!(folded.as_str(), "省政府新闻办协作金博体育。");
    /// let hit = detector.find_iter_folded(page, &folded).next().unwrap();
    /// assert_eq!(&page[hit.range()], "金 博*體-育");
    /// # Ok::<(), spamsift::Error>(())
    /// ```
    pub fn fold_into(&self, haystack: &str, folded: &mut Folded) {
        match &self.stops {
            Some(stops) => folded.refill_stopping(haystack, stops),
            None => folded.refill(haystack, &self.folding),
        }
    }

    /// The hits in `haystack`, given its folding with [`Detector::folding`]:
    /// for callers that fold each document once and use the folded text for
    /// other things too. The same hits as [`Detector::find_iter`], each with
    /// its [`Hit::folded_range`] in `folded`. Folded with
    /// [`Detector::fold_into`], `folded` also says where keywords can
    /// start, and the search skips straight there.
    ///
    /// # Panics
    ///
    /// May panic, or return meaningless spans, if `folded` is not the folding
    /// of `haystack` with `self.folding()`.
    pub fn find_iter_folded<'d, 'h>(
        &'d self,
        haystack: &'h str,
        folded: &'h Folded,
    ) -> FindIter<'d, 'h> {
        FindIter {
            detector: self,
            full: haystack,
            haystack,
            base: 0,
            folded: FoldedRef::Borrowed(folded),
            at: 0,
            skip: true,
            attempts: 0,
            lazy: None,
        }
    }

    /// Whether `haystack` contains at least one hit.
    pub fn is_match(&self, haystack: &str) -> bool {
        self.find_iter(haystack).next().is_some()
    }
}

/// The folded haystack a search reads.
#[derive(Debug)]
enum FoldedRef<'h> {
    /// Every fold is off: the folded text is the haystack.
    Identity,
    Owned(Folded),
    Borrowed(&'h Folded),
    /// The caller's buffer, refilled window by window.
    Mut(&'h mut Folded),
}

/// The state of a search that folds only windows of the haystack: the
/// stretches around characters that can start a keyword.
///
/// A window `[w, x)` starts and ends right after a character that folding
/// never removes (or at an end of the haystack): there the fold holds no
/// pending noise, so the window folds exactly as it does inside the whole
/// haystack. Counting only such characters, at least `margin_before` folded
/// bytes lie in it before its first candidate and `margin_after` from its
/// last one on, so that every rule checked for a hit (the word boundaries,
/// the allow-list window) reads the same folded text as with the whole
/// haystack folded; candidates closer than that share a window.
///
/// From the end of one window to the next candidate, the search skips
/// through the original bytes with [`StartSet::next_in`], as it does
/// through the folded text: nothing is counted on the way, so a window's
/// offset in the fold of the whole haystack is not known, and its hits have
/// no [`Hit::folded_range`].
#[derive(Debug)]
struct Lazy {
    /// The next window's start and its first candidate.
    next: Option<(usize, usize)>,
}

/// After this many candidates merged into one window, it runs to the end of
/// the haystack.
const MAX_MERGES: usize = 8;

/// The start of a window whose first candidate is at `q`: right after a
/// character that folding never removes, with at least `margin` folded bytes
/// of such characters from there to `q`; `None` when there are fewer between
/// `floor` and `q`.
fn back_margin(full: &str, q: usize, floor: usize, margin: usize) -> Option<usize> {
    let mut kept = 0;
    for (j, c) in full[floor..q].char_indices().rev() {
        let len = kept_len(c);
        if len > 0 {
            if kept >= margin {
                return Some(floor + j + c.len_utf8());
            }
            kept += len;
        }
    }
    None
}

/// A lower bound of the length in bytes of the fold of `c`, or 0 when
/// folding may remove it: characters of class `Text` and `Barrier` are
/// never removed, and the fold of a Han character is a Han character
/// (checked by a test of the fold). Han characters, most of the text the
/// windows walk through, are all of class `Text` (checked by a test here)
/// and skip the classification's chain of ranges.
#[inline]
fn kept_len(c: char) -> usize {
    if ('\u{3400}'..='\u{9FFF}').contains(&c) {
        return 3;
    }
    match classify(c) {
        Class::Text | Class::Barrier => 1,
        Class::Noise | Class::Invisible => 0,
    }
}

/// An iterator over the [`Hit`]s in a haystack, from [`Detector::find_iter`].
#[derive(Debug)]
pub struct FindIter<'d, 'h> {
    detector: &'d Detector,
    /// The whole haystack.
    full: &'h str,
    /// The part of it that `folded` holds the fold of: all of it, or the
    /// current window.
    haystack: &'h str,
    /// The offset of `haystack` in `full`.
    base: usize,
    folded: FoldedRef<'h>,
    /// Where the next search starts in the folded text.
    at: usize,
    /// Whether to skip to the next keyword start and search anchored there;
    /// turned off for the rest of the haystack when candidates come too
    /// densely for skipping to pay.
    skip: bool,
    /// Anchored searches so far.
    attempts: usize,
    /// The windows, when only they are folded.
    lazy: Option<Lazy>,
}

/// The leftmost-longest textual match of a keyword in `text` starting at or
/// after `at`: either skipping from one keyword start character to the next
/// and searching anchored there (`skip`), or one unanchored search. Skipping
/// is turned off once candidates come more often than one every 16 bytes,
/// where the unanchored automaton is cheaper. `stops`, when the fold noted
/// them ([`Detector::fold_into`]), are the offsets of all the keyword start
/// characters of `text`: the skip takes the next of them instead of looking
/// for it.
fn search(
    d: &Detector,
    text: &str,
    stops: Option<&[usize]>,
    mut at: usize,
    skip: &mut bool,
    attempts: &mut usize,
) -> Option<aho_corasick::Match> {
    let bytes = text.as_bytes();
    while *skip {
        let p = match stops {
            Some(s) => *s.get(s.partition_point(|&p| p < at))?,
            None => d.starts.next_in(bytes, at)?,
        };
        *attempts += 1;
        let m =
            d.ac.find(Input::new(text).range(p..).anchored(Anchored::Yes));
        if *attempts >= 32 && p < *attempts * 16 {
            *skip = false;
        }
        if m.is_some() {
            return m;
        }
        at = p + text[p..].chars().next().map_or(1, char::len_utf8);
    }
    d.ac.find(Input::new(text).range(at..))
}

impl<'d, 'h> FindIter<'d, 'h> {
    fn folded(&self) -> Option<&Folded> {
        match &self.folded {
            FoldedRef::Identity => None,
            FoldedRef::Owned(f) => Some(f),
            FoldedRef::Borrowed(f) => Some(f),
            FoldedRef::Mut(f) => Some(f),
        }
    }

    fn text(&self) -> &str {
        self.folded().map_or(self.haystack, Folded::as_str)
    }

    /// Checks the rules that make a textual match `[s, e)` of the folded text
    /// a hit: whole original characters, ASCII word boundaries, and not
    /// inside an allow-list phrase.
    fn valid(&self, s: usize, e: usize) -> bool {
        self.start_valid(s) && self.end_valid(e) && !self.allowed(s, e)
    }

    /// The rules at the start of a match: it starts on a whole original
    /// character and on an ASCII word boundary. They depend on the start
    /// alone, so when they fail no keyword can be a hit there.
    fn start_valid(&self, s: usize) -> bool {
        let text = self.text().as_bytes();
        if self.folded().is_some_and(|f| f.continues_previous(s)) {
            return false;
        }
        !(text[s].is_ascii_alphanumeric()
            && s > 0
            && text[s - 1].is_ascii_alphanumeric()
            && !self.noise_between(s - 1))
    }

    /// The rules at the end `e` of a match: it ends on a whole original
    /// character and on an ASCII word boundary.
    fn end_valid(&self, e: usize) -> bool {
        let text = self.text().as_bytes();
        if self.folded().is_some_and(|f| f.continues_previous(e)) {
            return false;
        }
        !(text[e - 1].is_ascii_alphanumeric()
            && e < text.len()
            && text[e].is_ascii_alphanumeric()
            && !self.noise_between(e - 1))
    }

    /// Whether a noise character was removed between the ASCII folded
    /// characters at `a` and `a + 1`: then the two were separate words in the
    /// original.
    fn noise_between(&self, a: usize) -> bool {
        let Some(f) = self.folded() else {
            return false;
        };
        let first = f.original_offset(a);
        let first_len = self.haystack[first..]
            .chars()
            .next()
            .map_or(0, char::len_utf8);
        let next = f.original_offset(a + 1);
        self.haystack
            .get(first + first_len..next)
            .is_some_and(|between| between.chars().any(|c| classify(c) == Class::Noise))
    }

    /// Whether `[s, e)` lies entirely inside an occurrence of an allow-list
    /// phrase. Only the window where such an occurrence could be is searched.
    fn allowed(&self, s: usize, e: usize) -> bool {
        let d = self.detector;
        let Some(allow) = &d.allow else {
            return false;
        };
        if e - s > d.allow_max_len {
            return false;
        }
        let text = self.text();
        let lo = e - d.allow_max_len.min(e);
        let hi = (s + d.allow_max_len).min(text.len());
        allow
            .find_overlapping_iter(Input::new(text).range(lo..hi))
            .any(|m| m.start() <= s && e <= m.end())
    }

    /// The leftmost-longest textual match of a keyword starting at or after
    /// `self.at`.
    fn leftmost_longest(&mut self) -> Option<aho_corasick::Match> {
        let (mut skip, mut attempts) = (self.skip, self.attempts);
        // Only the fold of the whole haystack may have noted the starts.
        let stops = match (&self.folded, &self.detector.stops) {
            (FoldedRef::Borrowed(f), Some(s)) => f.stops(s),
            _ => None,
        };
        let m = search(
            self.detector,
            self.text(),
            stops,
            self.at,
            &mut skip,
            &mut attempts,
        );
        (self.skip, self.attempts) = (skip, attempts);
        m
    }

    fn hit(&mut self, s: usize, e: usize, pattern: usize) -> Hit<'d> {
        let d = self.detector;
        let range = match self.folded() {
            None => s..e,
            Some(f) => f.original_range(self.haystack, s..e),
        };
        let p = &d.patterns[pattern];
        Hit {
            start: self.base + range.start,
            end: self.base + range.end,
            // Only a search over the fold of the whole haystack knows where
            // the hit stands in it.
            folded: matches!(self.folded, FoldedRef::Borrowed(_)).then_some((s, e)),
            pattern,
            keyword: &p.keyword,
            category: &d.categories[p.category as usize],
        }
    }
}

impl<'d, 'h> FindIter<'d, 'h> {
    /// Folds the next window, if any; see [`Lazy`].
    fn next_window(&mut self) -> bool {
        let d = self.detector;
        let Some(lazy) = &mut self.lazy else {
            return false;
        };
        let Some((w, p)) = lazy.next.take() else {
            return false;
        };
        let Some(candidates) = &d.candidates else {
            return false;
        };
        let full = self.full;
        // Walk from the candidate until `margin_after` folded bytes past the
        // last candidate; merge the next candidate into the window when its
        // own margin before it would reach back into it.
        let mut x = p;
        let mut next = None;
        // Where candidates come densely (a dictionary of common first
        // characters), walking the margins between them costs more than
        // folding: after a few merges the window runs to the end.
        let mut merges = 0;
        loop {
            if merges == MAX_MERGES {
                x = full.len();
                break;
            }
            let mut remaining = 0usize;
            while let Some(c) = full[x..].chars().next() {
                if candidates.contains(c) {
                    remaining = d.margin_after;
                }
                x += c.len_utf8();
                let len = kept_len(c);
                if len > 0 {
                    remaining = remaining.saturating_sub(len);
                    if remaining == 0 {
                        break;
                    }
                }
            }
            let Some(q) = candidates.next_in(full.as_bytes(), x) else {
                break;
            };
            if let Some(w) = back_margin(full, q, x, d.margin_before) {
                next = Some((w, q));
                break;
            }
            x = q;
            merges += 1;
        }
        let buf: &mut Folded = match &mut self.folded {
            FoldedRef::Owned(f) => f,
            FoldedRef::Mut(f) => f,
            // Only a search that folds into a buffer of its own has windows.
            FoldedRef::Identity | FoldedRef::Borrowed(_) => return false,
        };
        self.base = w;
        self.haystack = &full[w..x];
        buf.refill(self.haystack, &d.folding);
        lazy.next = next;
        self.at = 0;
        self.skip = true;
        self.attempts = 0;
        true
    }

    /// The next hit in the current window (the whole haystack, when it is
    /// folded at once).
    fn next_here(&mut self) -> Option<Hit<'d>> {
        let d = self.detector;
        loop {
            let text = self.text();
            if self.at > text.len() {
                return None;
            }
            let Some(m) = self.leftmost_longest() else {
                self.at = usize::MAX;
                return None;
            };
            let text = self.text();
            let (p, e) = (m.start(), m.end());
            if self.valid(p, e) {
                self.at = e;
                return Some(self.hit(p, e, m.pattern().as_usize()));
            }
            // Every shorter keyword matching at `p` is a prefix of the
            // longest one's text: try them, longest first, unless the start
            // itself fails the rules (then they all do, and trying each
            // prefix would cost O(L^2) per position inside a long word).
            let shorter = if self.start_valid(p) {
                let longest = &text[p..e];
                longest
                    .char_indices()
                    .rev()
                    // The end rules are checked before the look-up, which
                    // hashes the prefix: inside a long word they fail at once.
                    .filter(|&(q, _)| q > 0 && self.end_valid(p + q))
                    .filter_map(|(q, _)| d.by_keyword.get(&longest[..q]).map(|&id| (q, id)))
                    .find(|&(q, _)| self.valid(p, p + q))
            } else {
                None
            };
            if let Some((q, id)) = shorter {
                self.at = p + q;
                return Some(self.hit(p, p + q, id));
            }
            // No hit starts at `p`: resume one character later. The automaton
            // rescans at most the longest keyword's length.
            let width = text[p..].chars().next().map_or(1, char::len_utf8);
            self.at = p + width;
        }
    }
}

impl<'d, 'h> Iterator for FindIter<'d, 'h> {
    type Item = Hit<'d>;

    fn next(&mut self) -> Option<Hit<'d>> {
        loop {
            if let Some(hit) = self.next_here() {
                return Some(hit);
            }
            if !self.next_window() {
                return None;
            }
        }
    }
}

impl std::iter::FusedIterator for FindIter<'_, '_> {}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`kept_len`] takes every Han character for three kept bytes without
    /// classifying it.
    #[test]
    fn han_characters_are_text() {
        let other = ('\u{3400}'..='\u{9FFF}').find(|&c| classify(c) != Class::Text);
        assert_eq!(other, None, "a Han character of another class");
    }

    /// The plain skip, four characters at a time, stops at the first
    /// character of the set.
    #[test]
    fn skip_stops_at_first_member() {
        let mut set = StartSet::default();
        for c in ['博', 'k', '，', '𝄞'] {
            set.insert(c);
        }
        let hay = "省政府新闻发布会召开省政府新闻发布会召开博a省政府新闻发布会k，省政府新闻发布会召开政府𝄞";
        let got: Vec<usize> = std::iter::successors(set.next_in(hay.as_bytes(), 0), |&i| {
            set.next_in(
                hay.as_bytes(),
                i + hay[i..].chars().next().unwrap().len_utf8(),
            )
        })
        .collect();
        let want: Vec<usize> = hay
            .char_indices()
            .filter(|&(_, c)| set.contains(c))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(got, want);
    }

    /// From every character boundary of random text mixing characters of
    /// every UTF-8 length (the edges of each length among them), the skip
    /// stops where a naive walk over the characters does, for random sets
    /// of those characters: the bitmap's layout, its all-set words for other
    /// leading bytes and the four-at-a-time loop agree with `contains`.
    #[test]
    fn skip_equals_naive_walk() {
        let chars = [
            'a',
            '\u{0}',
            '\u{7f}',
            '\n',
            '\u{80}',
            '\u{7ff}',
            'é',
            'Ж',
            '\u{800}',
            '\u{fff}',
            '\u{1000}',
            '\u{d7ff}',
            '\u{e000}',
            '\u{ffff}',
            '金',
            '博',
            '體',
            '，',
            '。',
            '\u{200b}',
            '\u{10000}',
            '🎰',
            '\u{10ffff}',
            '䶵',
            'Ｋ',
            '省',
            '政',
            '府',
        ];
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut stops = 0;
        for _ in 0..2000 {
            let mut set = StartSet::default();
            let mut members = Vec::new();
            for _ in 0..next() % 4 {
                let c = chars[(next() % chars.len() as u64) as usize];
                set.insert(c);
                members.push(c);
            }
            for c in chars {
                let astral = c > '\u{ffff}' && members.iter().any(|&m| m > '\u{ffff}');
                assert_eq!(set.contains(c), astral || members.contains(&c), "{c:?}");
            }
            // Mostly the characters the four-at-a-time loop passes.
            let hay: String = (0..next() % 60)
                .map(|_| match next() % 8 {
                    0 | 1 => chars[(next() % chars.len() as u64) as usize],
                    _ => ['省', '政', '府', '，'][(next() % 4) as usize],
                })
                .collect();
            for (from, _) in hay.char_indices() {
                let want = hay[from..]
                    .char_indices()
                    .find(|&(_, c)| set.contains(c))
                    .map(|(j, _)| from + j);
                assert_eq!(
                    set.next_in(hay.as_bytes(), from),
                    want,
                    "{hay:?} from {from}"
                );
                stops += usize::from(want.is_some());
            }
            assert_eq!(set.next_in(hay.as_bytes(), hay.len()), None);
        }
        assert!(stops > 10_000, "{stops}");
    }
}
