//! Discovery: learning injected keywords no dictionary has yet, from the
//! corpus itself.
//!
//! Injected spam has a signature a dictionary does not need to know: the same
//! paragraph, scraped twice, carries the brand at different places (or only
//! once), and the same brand is glued to the titles of unrelated articles.
//! A [`Discoverer`] collects both kinds of evidence:
//!
//! - **copy differences**: within each near-duplicate cluster the copies are
//!   aligned with a character-level diff of their folded text (Myers' O(ND)
//!   algorithm, bounded by [`DiscovererBuilder::max_edits`]), and the runs
//!   present in only some copies are kept, cut at punctuation;
//! - **title affixes**: the text before a separator (`：:|丨-—_`) at the start
//!   of a title or after one at its end, and, for affixes glued on without a
//!   separator, every short prefix and suffix of every title.
//!
//! [`Discoverer::candidates`] then ranks every substring of that evidence
//! that recurs (in at least [`DiscovererBuilder::min_support`] places), keeps
//! only *closed* strings (no one-character extension has 90% or more of its
//! support, so `金博体育` wins over `金博体` and `博体育`), and scores each by
//!
//! ```text
//! score = specificity² · boundary · ln(1 + evidence) · (1 + ln documents) · length
//! ```
//!
//! where `evidence` is the number of differing runs containing it plus twice
//! the number of documents it is a title affix of; `specificity` is evidence
//! over its occurrences in all the text seen (at most 1: a brand occurs where
//! it was injected, a common word everywhere); `boundary` is `0.1 + 0.9 ·`
//! the smaller of the shares of distinct left and right neighbours over its
//! occurrences (a fragment of a longer word always has the same neighbour,
//! an injected keyword lands between ever different characters);
//! and `length` is 0.5 for two characters, 0.8 for three, 1 from four on.
//!
//! ```
//! use spamsift::discover::Discoverer;
//!
//! let mut d = Discoverer::new();
//! d.add_cluster(&[
//!     (0, "从产业来看，1490家企业开展跨市域产业协作金博体育。"),
//!     (0, "从产业来看，1490家企业开展跨市域产业协作。"),
//! ]);
//! d.add_cluster(&[
//!     (0, "发布会上金博体育，成都、德阳的负责同志介绍情况。"),
//!     (0, "发布会上，成都、德阳的负责同志介绍情况。"),
//! ]);
//! let candidates = d.candidates();
//! assert_eq!(candidates[0].keyword, "金博体育");
//! ```
//!
//! The result is written in the dictionary file format by
//! [`write_dictionary`], with the evidence in comment lines, for a user to
//! review and load back as a dictionary.

mod diff;

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use aho_corasick::AhoCorasick;

use crate::injection::bigram::fold_char;
use crate::neardup::Finder;
use crate::text::{Class, classify};
use crate::{Error, Result};

/// A string is not closed when a one-character extension of it has at least
/// this share of its support: the extension is the keyword, the string a
/// fragment (the rest is alignment noise).
const CLOSED_SHARE: f64 = 0.9;

/// Characters that separate a title from an affix.
const SEPARATORS: &[char] = &[':', '|', '丨', '-', '—', '_', '–', '~'];

/// One proposed keyword, with the evidence behind it.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// The keyword, folded (simplified, lowercase, half-width).
    pub keyword: String,
    /// The ranking score (see the module documentation); higher is better.
    pub score: f64,
    /// Differing runs of near-duplicate copies that contain it.
    pub spans: usize,
    /// Near-duplicate clusters those runs come from.
    pub clusters: usize,
    /// Documents it was seen as evidence in (runs or title affixes).
    pub documents: usize,
    /// Documents whose title it is an affix of.
    pub titles: usize,
    /// Its occurrences in all the text seen.
    pub occurrences: usize,
    /// Up to [`DiscovererBuilder::contexts`] examples, `left[keyword]right`.
    pub contexts: Vec<String>,
}

/// Configures and builds a [`Discoverer`].
#[derive(Clone, Debug)]
pub struct DiscovererBuilder {
    min_len: usize,
    max_len: usize,
    min_support: usize,
    max_edits: usize,
    contexts: usize,
    min_score: f64,
}

impl Default for DiscovererBuilder {
    fn default() -> DiscovererBuilder {
        DiscovererBuilder {
            min_len: 2,
            max_len: 12,
            min_support: 2,
            max_edits: 128,
            contexts: 3,
            min_score: 0.0,
        }
    }
}

impl DiscovererBuilder {
    /// A builder with every default.
    pub fn new() -> DiscovererBuilder {
        DiscovererBuilder::default()
    }

    /// The shortest candidate, in characters (`>= n`, at least 1). Default: 2.
    pub fn min_len(&mut self, n: usize) -> &mut DiscovererBuilder {
        self.min_len = n;
        self
    }

    /// The longest candidate, in characters (`<= n`, at most 64). Default: 12.
    pub fn max_len(&mut self, n: usize) -> &mut DiscovererBuilder {
        self.max_len = n;
        self
    }

    /// The least evidence (differing runs plus title-affix documents) a
    /// candidate needs (`>= n`, at least 1). Default: 2.
    pub fn min_support(&mut self, n: usize) -> &mut DiscovererBuilder {
        self.min_support = n;
        self
    }

    /// The most insertions and deletions the diff of two copies may find
    /// before it gives up on aligning them (at least 1). Bounds the cost of an
    /// alignment to O((N + M) · max_edits). Default: 128.
    pub fn max_edits(&mut self, n: usize) -> &mut DiscovererBuilder {
        self.max_edits = n;
        self
    }

    /// How many example contexts each candidate keeps. Default: 3.
    pub fn contexts(&mut self, n: usize) -> &mut DiscovererBuilder {
        self.contexts = n;
        self
    }

    /// The least score a candidate needs to be returned (`>= score`).
    /// Default: 0.
    pub fn min_score(&mut self, score: f64) -> &mut DiscovererBuilder {
        self.min_score = score;
        self
    }

    /// Builds an empty discoverer.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `min_len` is 0, `max_len` is below `min_len` or
    /// above 64, `min_support` or `max_edits` is 0, or `min_score` is not a
    /// finite number.
    pub fn build(&self) -> Result<Discoverer> {
        if self.min_len == 0 {
            return Err(Error::Config("min_len 0 is below the minimum 1".into()));
        }
        if self.max_len < self.min_len || self.max_len > 64 {
            return Err(Error::Config(format!(
                "max_len {} is outside {}..=64 (min_len..=64)",
                self.max_len, self.min_len
            )));
        }
        if self.min_support == 0 {
            return Err(Error::Config("min_support 0 is below the minimum 1".into()));
        }
        if self.max_edits == 0 {
            return Err(Error::Config("max_edits 0 is below the minimum 1".into()));
        }
        if !self.min_score.is_finite() {
            return Err(Error::Config(format!(
                "min_score {} is not a finite number",
                self.min_score
            )));
        }
        Ok(Discoverer {
            cfg: self.clone(),
            texts: Vec::new(),
            evidence: Vec::new(),
            auto_evidence: Vec::new(),
            finder: None,
            paragraphs: HashMap::new(),
            clusters: 0,
        })
    }
}

/// Where a piece of evidence came from.
#[derive(Clone, Copy, Debug)]
enum Source {
    /// A differing run of a near-duplicate copy.
    Run { cluster: u32 },
    /// A title affix: only the substrings touching `anchor` count (the start
    /// of the title for a prefix, the end for a suffix), or all when `None`.
    Title { anchor: Option<Anchor> },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Anchor {
    Start,
    End,
}

/// A segment of evidence: characters `start..end` of text `text`.
#[derive(Clone, Copy, Debug)]
struct Segment {
    text: u32,
    start: u32,
    end: u32,
    doc: u64,
    source: Source,
}

/// Learns candidate keywords from near-duplicate clusters and titles.
///
/// Feed it with [`Discoverer::add_cluster`] and [`Discoverer::add_title`]
/// (when another component found the clusters), or with
/// [`Discoverer::add_document`], which keeps the documents' paragraphs and
/// groups them into near-duplicate clusters itself when
/// [`Discoverer::candidates`] is called. It keeps the folded text of
/// everything it is given, to count how specific each candidate is.
#[derive(Clone, Debug)]
pub struct Discoverer {
    cfg: DiscovererBuilder,
    /// Folded texts (characters), with the document each came from.
    texts: Vec<(u64, Vec<char>)>,
    evidence: Vec<Segment>,
    /// Evidence from the clusters of [`Discoverer::add_document`]'s finder,
    /// recomputed by every [`Discoverer::candidates`] call (clusters grow).
    auto_evidence: Vec<Segment>,
    /// The near-duplicate finder of [`Discoverer::add_document`].
    finder: Option<Finder>,
    /// Text ids of the paragraphs given to the finder, by (doc, paragraph).
    paragraphs: HashMap<(u64, usize), u32>,
    clusters: u32,
}

impl Default for Discoverer {
    fn default() -> Discoverer {
        Discoverer::new()
    }
}

/// Folds `s` character by character, keeping noise (it marks boundaries).
fn fold_chars(s: &str) -> Vec<char> {
    s.chars().filter_map(fold_char).collect()
}

fn is_boundary(c: char) -> bool {
    c == '\n' || !matches!(classify(c), Class::Text) || c == ' '
}

impl Discoverer {
    /// A discoverer with every default.
    pub fn new() -> Discoverer {
        DiscovererBuilder::new()
            .build()
            .expect("the default configuration is valid")
    }

    /// A builder to tune it.
    pub fn builder() -> DiscovererBuilder {
        DiscovererBuilder::new()
    }

    fn push_text(&mut self, doc: u64, text: &str) -> u32 {
        self.texts.push((doc, fold_chars(text)));
        (self.texts.len() - 1) as u32
    }

    /// Adds one near-duplicate cluster: the texts of its copies, each with the
    /// id of its document. The copies are aligned pairwise (all pairs up to 6
    /// copies, otherwise each with the next and with the first) and the runs
    /// present in one copy and absent from another become evidence.
    pub fn add_cluster(&mut self, copies: &[(u64, &str)]) {
        let ids: Vec<u32> = copies
            .iter()
            .map(|&(doc, text)| self.push_text(doc, text))
            .collect();
        self.align(&ids);
    }

    fn align(&mut self, ids: &[u32]) {
        let cluster = self.clusters;
        self.clusters += 1;
        let mut out = std::mem::take(&mut self.evidence);
        self.align_into(ids, cluster, &mut out);
        self.evidence = out;
    }

    fn align_into(&self, ids: &[u32], cluster: u32, out: &mut Vec<Segment>) {
        if ids.len() < 2 {
            return;
        }
        let mut pairs = Vec::new();
        if ids.len() <= 6 {
            for i in 0..ids.len() {
                for j in i + 1..ids.len() {
                    pairs.push((ids[i], ids[j]));
                }
            }
        } else {
            for i in 1..ids.len() {
                pairs.push((ids[i - 1], ids[i]));
                if i > 1 {
                    pairs.push((ids[0], ids[i]));
                }
            }
        }
        let max_middle = self.cfg.max_len * 4;
        let mut seen: HashSet<(u32, u32, u32)> = HashSet::new();
        for (x, y) in pairs {
            let (a, b) = (&self.texts[x as usize].1, &self.texts[y as usize].1);
            let Some((da, db)) = diff::diff(a, b, self.cfg.max_edits, max_middle) else {
                continue;
            };
            for (id, runs) in [(x, da), (y, db)] {
                for r in runs {
                    if seen.insert((id, r.start as u32, r.end as u32)) {
                        out.push(Segment {
                            text: id,
                            start: r.start as u32,
                            end: r.end as u32,
                            doc: self.texts[id as usize].0,
                            source: Source::Run { cluster },
                        });
                    }
                }
            }
        }
    }

    /// Adds the title of document `doc`: a separated prefix (`新皇冠体育：…`)
    /// or suffix (`…_万彩娱乐平台`) is evidence as a whole; otherwise every
    /// prefix and suffix of up to `max_len` characters is, for affixes glued
    /// on without a separator.
    pub fn add_title(&mut self, doc: u64, title: &str) {
        self.title(doc, title);
    }

    /// [`Discoverer::add_title`], returning the id of the title's text.
    fn title(&mut self, doc: u64, title: &str) -> u32 {
        let id = self.push_text(doc, title.trim());
        let chars = &self.texts[id as usize].1;
        let n = chars.len();
        let max = self.cfg.max_len;
        let mut segs = Vec::new();
        // A separator within max_len + 1 characters of either end.
        if let Some(p) = chars
            .iter()
            .take(max + 1)
            .position(|c| SEPARATORS.contains(c))
        {
            if p > 0 && p + 1 < n {
                segs.push((0, p, None));
            }
        }
        if let Some(p) = chars
            .iter()
            .rev()
            .take(max + 1)
            .position(|c| SEPARATORS.contains(c))
        {
            let p = n - 1 - p;
            if p + 1 < n && p > 0 {
                segs.push((p + 1, n, None));
            }
        }
        if segs.is_empty() && n > 0 {
            segs.push((0, n.min(max), Some(Anchor::Start)));
            segs.push((n.saturating_sub(max), n, Some(Anchor::End)));
        }
        for (s, e, anchor) in segs {
            self.evidence.push(Segment {
                text: id,
                start: s as u32,
                end: e as u32,
                doc,
                source: Source::Title { anchor },
            });
        }
        id
    }

    /// Adds the text of document `doc` without evidence: it only counts
    /// towards the occurrences of candidates (their specificity).
    pub fn add_text(&mut self, doc: u64, text: &str) {
        self.push_text(doc, text);
    }

    /// Adds a whole document: its first paragraph as its title
    /// ([`Discoverer::add_title`]), and every paragraph to a
    /// [`neardup::Finder`](crate::neardup::Finder) with the default settings,
    /// whose clusters (within and across documents) are aligned by
    /// [`Discoverer::candidates`]. Document ids should be distinct.
    pub fn add_document(&mut self, doc: u64, text: &str) {
        let finder = self.finder.get_or_insert_with(Finder::new);
        let outcomes = finder.add_document(doc, text, &[]);
        let mut first = true;
        for o in outcomes {
            let Some(para) = text.get(o.paragraph.span.clone()) else {
                continue;
            };
            let id = if first {
                first = false;
                self.title(doc, para)
            } else {
                self.push_text(doc, para)
            };
            self.paragraphs.insert((doc, o.paragraph.paragraph), id);
        }
    }

    /// Recomputes the evidence of the finder's clusters.
    fn align_documents(&mut self) {
        let Some(finder) = &self.finder else {
            return;
        };
        let mut out = Vec::new();
        for c in finder.clusters() {
            let ids: Vec<u32> = c
                .members
                .iter()
                .filter_map(|m| self.paragraphs.get(&(m.doc, m.paragraph)).copied())
                .collect();
            // Ids above those of explicit clusters, stable across calls.
            let cluster = u32::MAX / 2 + c.id as u32;
            self.align_into(&ids, cluster, &mut out);
        }
        self.auto_evidence = out;
    }

    /// Ranks the candidates, best first (ties by keyword). Aligns the
    /// clusters of the documents added so far first, so it takes `&mut self`;
    /// calling it again reflects what was added in between.
    pub fn candidates(&mut self) -> Vec<Candidate> {
        self.align_documents();
        let cfg = &self.cfg;
        #[derive(Default)]
        struct Stat {
            /// Distinct (text, start) occurrences in runs.
            runs: HashSet<(u32, u32)>,
            clusters: HashSet<u32>,
            docs: HashSet<u64>,
            titles: HashSet<u64>,
            left: HashMap<char, u32>,
            right: HashMap<char, u32>,
            /// (text, start) of an example.
            examples: Vec<(u32, u32)>,
        }
        let mut stats: HashMap<String, Stat> = HashMap::new();
        for seg in self.evidence.iter().chain(&self.auto_evidence) {
            let chars = &self.texts[seg.text as usize].1;
            let (s, e) = (seg.start as usize, seg.end as usize);
            // Cut the segment at punctuation, whitespace and line breaks.
            let mut i = s;
            while i < e {
                while i < e && is_boundary(chars[i]) {
                    i += 1;
                }
                let mut j = i;
                while j < e && !is_boundary(chars[j]) {
                    j += 1;
                }
                for a in i..j {
                    for b in a + cfg.min_len..=j.min(a + cfg.max_len) {
                        if let Source::Title {
                            anchor: Some(anchor),
                        } = seg.source
                        {
                            let ok = match anchor {
                                Anchor::Start => a == s,
                                Anchor::End => b == e,
                            };
                            if !ok {
                                continue;
                            }
                        }
                        let key: String = chars[a..b].iter().collect();
                        let st = stats.entry(key).or_default();
                        match seg.source {
                            Source::Run { cluster } => {
                                if !st.runs.insert((seg.text, a as u32)) {
                                    continue;
                                }
                                st.clusters.insert(cluster);
                            }
                            Source::Title { .. } => {
                                if !st.titles.insert(seg.doc) {
                                    continue;
                                }
                            }
                        }
                        st.docs.insert(seg.doc);
                        let l = if a == 0 { '\n' } else { chars[a - 1] };
                        let r = chars.get(b).copied().unwrap_or('\n');
                        *st.left.entry(l).or_default() += 1;
                        *st.right.entry(r).or_default() += 1;
                        if st.examples.len() < cfg.contexts {
                            st.examples.push((seg.text, a as u32));
                        }
                    }
                }
                i = j;
            }
        }
        let support = |st: &Stat| st.runs.len() + st.titles.len();
        // Keep recurring strings with a letter or a Han character.
        let keep: Vec<&String> = stats
            .iter()
            .filter(|(k, st)| {
                support(st) >= cfg.min_support && k.chars().any(|c| !c.is_ascii_digit())
            })
            .map(|(k, _)| k)
            .collect();
        // Closed strings only: drop a string when a one-character extension
        // has (nearly) the same support.
        let mut open: HashSet<&str> = HashSet::new();
        for k in &keep {
            let sup = support(&stats[*k]);
            if k.chars().count() <= cfg.min_len {
                continue;
            }
            let first = k.chars().next().map_or(0, char::len_utf8);
            let last = k.chars().next_back().map_or(0, char::len_utf8);
            for sub in [&k[first..], &k[..k.len() - last]] {
                if stats
                    .get(sub)
                    .is_some_and(|s| sup as f64 >= CLOSED_SHARE * support(s) as f64)
                {
                    open.insert(sub);
                }
            }
        }
        let closed: Vec<&String> = keep
            .into_iter()
            .filter(|k| !open.contains(k.as_str()))
            .collect();
        if closed.is_empty() {
            return Vec::new();
        }
        // Occurrences in all the text seen.
        let ac = AhoCorasick::new(closed.iter().map(|k| k.as_str()))
            .expect("candidates are short non-empty strings");
        let mut occurrences = vec![0usize; closed.len()];
        let mut buf = String::new();
        for (_, chars) in &self.texts {
            buf.clear();
            buf.extend(chars.iter());
            for m in ac.find_overlapping_iter(&buf) {
                occurrences[m.pattern().as_usize()] += 1;
            }
        }
        let mut out: Vec<Candidate> = closed
            .iter()
            .zip(occurrences)
            .map(|(k, occ)| {
                let st = &stats[*k];
                let evidence = st.runs.len() + 2 * st.titles.len();
                let n = (st.runs.len() + st.titles.len()) as f64;
                let specificity = (n / occ.max(1) as f64).min(1.0);
                let distinct = |m: &HashMap<char, u32>| m.len() as f64 / n.max(1.0);
                let boundary = 0.1 + 0.9 * distinct(&st.left).min(distinct(&st.right)).min(1.0);
                let length = match k.chars().count() {
                    0..=2 => 0.5,
                    3 => 0.8,
                    _ => 1.0,
                };
                let score = specificity
                    * specificity
                    * boundary
                    * (1.0 + evidence as f64).ln()
                    * (1.0 + (st.docs.len().max(1) as f64).ln())
                    * length;
                let contexts = st
                    .examples
                    .iter()
                    .map(|&(t, a)| self.context(t as usize, a as usize, k.chars().count()))
                    .collect();
                Candidate {
                    keyword: (*k).clone(),
                    score,
                    spans: st.runs.len(),
                    clusters: st.clusters.len(),
                    documents: st.docs.len(),
                    titles: st.titles.len(),
                    occurrences: occ,
                    contexts,
                }
            })
            .filter(|c| c.score >= cfg.min_score)
            .collect();
        out.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.keyword.cmp(&b.keyword))
        });
        out
    }

    fn context(&self, text: usize, start: usize, len: usize) -> String {
        let chars = &self.texts[text].1;
        let end = (start + len).min(chars.len());
        let from = start.saturating_sub(8);
        let to = (end + 8).min(chars.len());
        let clean = |cs: &[char]| -> String {
            cs.iter()
                .map(|&c| if c == '\n' || c == '\t' { ' ' } else { c })
                .collect()
        };
        format!(
            "{}[{}]{}",
            clean(&chars[from..start]),
            clean(&chars[start..end]),
            clean(&chars[end..to])
        )
    }

    /// The number of bytes of heap memory held (an estimate).
    pub fn memory_usage(&self) -> usize {
        self.texts
            .iter()
            .map(|(_, t)| t.capacity() * 4 + std::mem::size_of::<(u64, Vec<char>)>())
            .sum::<usize>()
            + (self.evidence.capacity() + self.auto_evidence.capacity())
                * std::mem::size_of::<Segment>()
            + self.paragraphs.capacity() * 24
            + self.finder.as_ref().map_or(0, Finder::memory_usage)
    }
}

/// Writes `candidates` in the dictionary file format: a header comment, then
/// for each candidate a comment line with its evidence, comment lines with its
/// example contexts, and a `keyword<TAB>category` line. Review it, delete the
/// lines that are not spam, and load it as a dictionary.
pub fn write_dictionary(candidates: &[Candidate], category: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# spamsift discover: {} candidate keywords, best first.\n\
         # Review: delete the entries that are not injected spam, fix the categories,\n\
         # then load this file as a dictionary (scan --dict FILE).",
        candidates.len()
    );
    for c in candidates {
        let _ = writeln!(
            out,
            "\n# score {:.3}  runs {}  clusters {}  documents {}  titles {}  occurrences {}",
            c.score, c.spans, c.clusters, c.documents, c.titles, c.occurrences
        );
        for ctx in &c.contexts {
            let _ = writeln!(out, "#   {ctx}");
        }
        let _ = writeln!(out, "{}\t{}", c.keyword, category);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_checks() {
        let err = Discoverer::builder()
            .max_len(100)
            .build()
            .unwrap_err()
            .to_string();
        assert!(err.contains("max_len 100"), "{err}");
        let err = Discoverer::builder()
            .min_len(0)
            .build()
            .unwrap_err()
            .to_string();
        assert!(err.contains("min_len 0"), "{err}");
    }

    #[test]
    fn title_affixes_recur() {
        let mut d = Discoverer::new();
        d.add_title(1, "新皇冠体育：得州一商场发生枪击");
        d.add_title(2, "新皇冠体育：北京冬奥会场馆将向公众开放");
        d.add_title(3, "数字经济推动制造业深刻变革_万彩娱乐平台");
        d.add_title(4, "春耕备耕工作有序推进_万彩娱乐平台");
        d.add_title(5, "万彩娱乐平台全国粮食产量再创新高");
        let c = d.candidates();
        let top: Vec<&str> = c.iter().take(2).map(|c| c.keyword.as_str()).collect();
        assert!(top.contains(&"新皇冠体育"), "{c:#?}");
        assert!(top.contains(&"万彩娱乐平台"), "{c:#?}");
        assert_eq!(
            c.iter()
                .find(|c| c.keyword == "万彩娱乐平台")
                .unwrap()
                .titles,
            3
        );
    }

    #[test]
    fn dictionary_format() {
        let mut d = Discoverer::new();
        d.add_cluster(&[(0, "协作金博体育。成都"), (0, "协作。成都")]);
        d.add_cluster(&[(1, "发布会上金博体育,成都"), (1, "发布会上,成都")]);
        let text = write_dictionary(&d.candidates(), "gambling");
        assert!(text.contains("\n金博体育\tgambling\n"), "{text}");
        assert!(text.contains("#   协作[金博体育]。成都"), "{text}");
        for line in text.lines() {
            assert!(line.is_empty() || line.starts_with('#') || line.contains('\t'));
        }
    }
}
