//! Injection evidence: was a keyword hit injected, or is it a genuine mention?
//!
//! A dictionary hit is not yet spam. Police news about a raided casino, a
//! court report naming the betting site a defendant used, a lottery-policy
//! story: all mention gambling for real, and deleting those words damages good
//! articles. A [`Judge`] weighs where and how each hit sits in its document
//! and gives every hit a score in `[0, 1]` with the [`Reason`]s behind it, and
//! the document a spam score.
//!
//! ```
//! use spamsift::injection::{HitSpan, Judge};
//! use spamsift::keywords::Detector;
//!
//! let detector = Detector::new()?;
//! let judge = Judge::new();
//! let page = "新皇冠体育：得州一商场发生枪击\n当地时间6日下午，达拉斯北部一家购物中心发生枪击。";
//! let hits: Vec<HitSpan> = detector.find_iter(page).map(HitSpan::from).collect();
//! let verdict = judge.judge(page, &hits);
//! assert!(verdict.hits[0].injected);
//! println!("{}", verdict.hits[0].reasons[0]); // title-affix(prefix, ':')
//!
//! let doc = "金博体育：省政府新闻办举行第二场主题发布会\n\
//!            5月8日，省政府新闻办在成都举行系列主题新闻发布会。\
//!            1490家企业开展跨市域产业协作金博体育。";
//! let hits: Vec<HitSpan> = doc
//!     .match_indices("金博体育")
//!     .map(|(i, m)| HitSpan::new(i, i + m.len(), "金博体育", "gambling"))
//!     .collect();
//! let verdict = judge.judge(doc, &hits);
//! assert!(verdict.hits.iter().all(|h| h.injected));
//!
//! let court = "被告人张某在金博体育网站上组织他人投注，涉案赌资二百余万元。\
//!              法院以开设赌场罪判处其有期徒刑三年。";
//! let i = court.find("金博体育").unwrap();
//! let verdict = judge.judge(court, &[HitSpan::new(i, i + 12, "金博体育", "gambling")]);
//! assert!(!verdict.hits[0].injected);
//! # Ok::<(), spamsift::Error>(())
//! ```
//!
//! # Evidence and weights
//!
//! The score of a hit is `sigmoid(prior + Σ weights)` over the evidence found;
//! a hit is injected when its score is `>= injected_threshold` (default 0.5).
//! The prior (default 0.4, score 0.6) leans towards injection because
//! dictionary entries are chosen to be spam words; with no other evidence a
//! hit stays injected, as it was before this module existed.
//!
//! | evidence ([`Reason`]) | when | weight |
//! |---|---|---|
//! | [`Reason::TitleAffix`] | the hit starts or ends a title-like line (the first non-empty line, or a short line with no sentence ender), the rest of that line is at least 4 characters and carries no genuine-topic word | +2.5 after/before a separator (`：:|丨-—_`), +1.5 glued |
//! | [`Reason::Splice`] | `gain = pmi(L, R) - min(pmi(L, k₀), pmi(kₙ, R)) >= splice_gain` (default 1.0): the join that removing the hit makes against the weaker of the two joins the hit makes; `L`/`R` the tokens around the hit, `k₀`/`kₙ` its first and last; not computed when both `L` and `R` are punctuation or line ends (a quoted or listed name breaks nothing); a PMI involving a digit or Latin-letter token is taken as at least 0 | +1.0 + 0.5 × (gain − splice_gain), at most +2.5 |
//! | [`Reason::AdContext`] | within `ad_window` characters (default 40): contact details (微信/QQ/电话/加… then an id of ≥ 5 letters or digits), a URL or bare domain, lottery-ad jargon, another hit of a different keyword | contact +1.5, URL +1.5, jargon +1.0, other keyword +1.5; at most +3.0 in all |
//! | [`Reason::Repetition`] | the same keyword at `count >= repetition_min` (default 2) places at least 20 characters apart | +0.5 per place beyond the first, at most +1.5 |
//! | [`Reason::CopyDifference`] | [`HitSpan::absent_in_copy`]: the hit is missing from another copy of its paragraph | +3.0 |
//! | [`Reason::Topic`] | the document has at least `unrelated_min_chars` (default 200) characters outside hits and no genuine-topic word at all | +1.0 |
//! | [`Reason::GenuineContext`] | strength `= near + density / 4 >= genuine_min` (default 2.0): `near` genuine-topic words within `topic_window` (default 80) characters of the hit, `density` such words per 1000 characters of the document | −(1.0 + strength), at most −5.0 |
//!
//! Genuine-topic words are those of police and court reports (警方, 抓获,
//! 法院, 判处, 涉赌, 案件, ...), official lottery administration (彩票中心,
//! 福利彩票, 公益金, ...), the harm done to gamblers (沉迷, 输光, 债务, ...)
//! and venue listings (出租, 转让, 面积, 营业, ...).
//!
//! The splice statistics come from [`BigramModel`]s: the built-in one (on by
//! default), a corpus model given to the builder, and the document itself,
//! counted outside the hits, so a page whose body is repeated supplies its own
//! evidence.
//!
//! The per-document score is the highest hit score (0 with no hit); its
//! reasons are the strongest reason of each kind among the injected hits.
//!
//! Everything here is a pure function of the haystack and the hits: any `&str`
//! with any spans is judged without panic (spans out of bounds or inside
//! characters are clamped).

pub mod bigram;
mod bigram_table;
mod evidence;
#[cfg(test)]
mod naive;
mod words;

use std::fmt;
use std::sync::Arc;

pub use bigram::BigramModel;

use crate::{Error, Result};

/// A keyword hit to judge: its byte span in the original haystack, the
/// canonical keyword and its category, and whether another copy of its
/// paragraph lacks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HitSpan<'k> {
    /// Start byte offset in the haystack.
    pub start: usize,
    /// End byte offset in the haystack (exclusive).
    pub end: usize,
    /// The canonical (folded) keyword; hits with equal keywords count as
    /// repetitions of each other.
    pub keyword: &'k str,
    /// The keyword's category.
    pub category: &'k str,
    /// Whether the hit is absent from another copy of its paragraph (see
    /// [`mark_copy_differences`]). Default `false`.
    pub absent_in_copy: bool,
}

impl<'k> HitSpan<'k> {
    /// A hit at `start..end` of `keyword` in `category`, not known to be
    /// absent from any copy.
    pub fn new(start: usize, end: usize, keyword: &'k str, category: &'k str) -> HitSpan<'k> {
        HitSpan {
            start,
            end,
            keyword,
            category,
            absent_in_copy: false,
        }
    }
}

impl<'d> From<&crate::keywords::Hit<'d>> for HitSpan<'d> {
    fn from(hit: &crate::keywords::Hit<'d>) -> HitSpan<'d> {
        HitSpan::new(hit.start(), hit.end(), hit.keyword(), hit.category())
    }
}

impl<'d> From<crate::keywords::Hit<'d>> for HitSpan<'d> {
    fn from(hit: crate::keywords::Hit<'d>) -> HitSpan<'d> {
        HitSpan::from(&hit)
    }
}

/// Marks the hits inside `paragraph` (a byte range of the haystack) whose
/// keyword does not occur in at least one of `copies`, the texts of the other
/// members of the paragraph's near-duplicate cluster. Copies are folded like
/// the detector folds text before the keyword is looked up in them.
pub fn mark_copy_differences(
    hits: &mut [HitSpan<'_>],
    paragraph: std::ops::Range<usize>,
    copies: &[&str],
) {
    if copies.is_empty() {
        return;
    }
    let folding = crate::text::Folding::default();
    let folded: Vec<crate::text::Folded> = copies
        .iter()
        .map(|c| crate::text::fold(c, &folding))
        .collect();
    for h in hits.iter_mut() {
        if h.start >= paragraph.start && h.end <= paragraph.end && !h.keyword.is_empty() {
            let kw = crate::text::fold_keyword(h.keyword, &folding);
            if folded.iter().any(|f| !f.as_str().contains(kw.as_str())) {
                h.absent_in_copy = true;
            }
        }
    }
}

/// Where a title affix sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AffixPosition {
    /// At the start of the title (`新皇冠体育：得州枪击…`).
    Prefix,
    /// At the end of the title (`…变革_万彩娱乐平台`).
    Suffix,
}

/// What kind of advertising surrounds a hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AdKind {
    /// 微信, QQ, 电话, 加 ... followed by an id or a number.
    Contact,
    /// A URL or a bare domain.
    Url,
    /// Lottery-tip or casino-ad jargon (计划, 稳赚, 注册送, 彩金, ...).
    Jargon,
    /// Another hit of a different keyword.
    OtherKeyword,
}

/// One piece of evidence about a hit.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Reason {
    /// The hit is glued to the start or the end of a title.
    TitleAffix {
        /// Start or end.
        position: AffixPosition,
        /// The separator between the hit and the title, `None` when glued.
        separator: Option<char>,
    },
    /// Removing the hit leaves text that reads on naturally.
    Splice {
        /// The splice gain in nats (see the module documentation).
        gain: f32,
    },
    /// Advertising around the hit.
    AdContext {
        /// Which kind.
        kind: AdKind,
    },
    /// The same keyword occurs at several places of the document.
    Repetition {
        /// The number of places.
        count: usize,
    },
    /// The hit is absent from another copy of its paragraph.
    CopyDifference,
    /// The document is about something unrelated to the hit's topic.
    Topic {
        /// Characters of the document outside hits.
        chars: usize,
    },
    /// The hit sits among words of a genuine report (police, court, lottery
    /// administration, venue listing): evidence *against* injection.
    GenuineContext {
        /// Genuine-topic words near the hit.
        near: usize,
        /// Genuine-topic words per 1000 characters of the document.
        density: f32,
    },
}

impl Reason {
    /// A short stable name: `title-affix`, `splice`, `ad-context`,
    /// `repetition`, `copy-difference`, `topic`, `genuine-context`.
    pub fn name(&self) -> &'static str {
        match self {
            Reason::TitleAffix { .. } => "title-affix",
            Reason::Splice { .. } => "splice",
            Reason::AdContext { .. } => "ad-context",
            Reason::Repetition { .. } => "repetition",
            Reason::CopyDifference => "copy-difference",
            Reason::Topic { .. } => "topic",
            Reason::GenuineContext { .. } => "genuine-context",
        }
    }

    /// Whether this is evidence for injection (all but
    /// [`Reason::GenuineContext`]).
    pub fn is_for_injection(&self) -> bool {
        !matches!(self, Reason::GenuineContext { .. })
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Reason::TitleAffix {
                position,
                separator,
            } => {
                let p = match position {
                    AffixPosition::Prefix => "prefix",
                    AffixPosition::Suffix => "suffix",
                };
                match separator {
                    Some(c) => write!(f, "title-affix({p}, {c:?})"),
                    None => write!(f, "title-affix({p}, glued)"),
                }
            }
            Reason::Splice { gain } => write!(f, "splice(gain={gain:.2})"),
            Reason::AdContext { kind } => {
                let k = match kind {
                    AdKind::Contact => "contact",
                    AdKind::Url => "url",
                    AdKind::Jargon => "jargon",
                    AdKind::OtherKeyword => "other-keyword",
                };
                write!(f, "ad-context({k})")
            }
            Reason::Repetition { count } => write!(f, "repetition({count})"),
            Reason::CopyDifference => f.write_str("copy-difference"),
            Reason::Topic { chars } => write!(f, "topic(unrelated, {chars} chars)"),
            Reason::GenuineContext { near, density } => {
                write!(f, "genuine-context(near={near}, density={density:.1})")
            }
        }
    }
}

/// The verdict on one hit.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    /// How likely the hit was injected, in `[0, 1]`.
    pub score: f32,
    /// `score >= injected_threshold`.
    pub injected: bool,
    /// The evidence found, for and against.
    pub reasons: Vec<Reason>,
}

/// The verdict on one document.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DocVerdict {
    /// The document's spam score in `[0, 1]`: the highest hit score, 0
    /// without hits.
    pub score: f32,
    /// How many hits were judged injected.
    pub injected: usize,
    /// The strongest reason of each kind among the injected hits.
    pub reasons: Vec<Reason>,
    /// One verdict per hit, in the order given.
    pub hits: Vec<Verdict>,
}

/// The tunable thresholds of a [`Judge`]; see the module documentation for
/// what each one gates.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Config {
    pub(crate) prior: f32,
    pub(crate) injected_threshold: f32,
    pub(crate) splice_gain: f32,
    pub(crate) ad_window: usize,
    pub(crate) topic_window: usize,
    pub(crate) genuine_min: f32,
    pub(crate) repetition_min: usize,
    pub(crate) unrelated_min_chars: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            prior: 0.4,
            injected_threshold: 0.5,
            splice_gain: 1.0,
            ad_window: 40,
            topic_window: 80,
            genuine_min: 2.0,
            repetition_min: 2,
            unrelated_min_chars: 200,
        }
    }
}

/// Configures and builds a [`Judge`].
///
/// ```
/// use spamsift::injection::{BigramModel, Judge};
///
/// let mut corpus = BigramModel::new();
/// corpus.add_text("成都平原经济区加快建设。");
/// let judge = Judge::builder()
///     .corpus_model(corpus)
///     .injected_threshold(0.6)
///     .build()?;
/// # Ok::<(), spamsift::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct JudgeBuilder {
    config: Config,
    builtin_model: Option<bool>,
    corpus: Option<Arc<BigramModel>>,
}

impl JudgeBuilder {
    /// A builder with every default.
    pub fn new() -> JudgeBuilder {
        JudgeBuilder::default()
    }

    /// The log-odds every hit starts from. Default: 0.4 (score 0.6, so a hit
    /// with no evidence either way is injected).
    pub fn prior(&mut self, logit: f32) -> &mut JudgeBuilder {
        self.config.prior = logit;
        self
    }

    /// A hit is injected when its score is `>= threshold`, in `[0, 1]`.
    /// Default: 0.5.
    pub fn injected_threshold(&mut self, threshold: f32) -> &mut JudgeBuilder {
        self.config.injected_threshold = threshold;
        self
    }

    /// The least splice gain, in nats, that counts as splice evidence
    /// (`gain >= value`). Default: 1.0.
    pub fn splice_gain(&mut self, nats: f32) -> &mut JudgeBuilder {
        self.config.splice_gain = nats;
        self
    }

    /// How far, in characters on either side, ad context is looked for.
    /// Default: 40.
    pub fn ad_window(&mut self, chars: usize) -> &mut JudgeBuilder {
        self.config.ad_window = chars;
        self
    }

    /// How far, in characters on either side, genuine-topic words count as
    /// near the hit. Default: 80.
    pub fn topic_window(&mut self, chars: usize) -> &mut JudgeBuilder {
        self.config.topic_window = chars;
        self
    }

    /// The least genuine-context strength (`near + density / 4`) that counts
    /// as evidence of a genuine mention (`>= value`). Default: 2.0.
    pub fn genuine_min(&mut self, strength: f32) -> &mut JudgeBuilder {
        self.config.genuine_min = strength;
        self
    }

    /// The least number of places (`>= n`, at least 2) of one keyword that
    /// counts as repetition. Default: 2.
    pub fn repetition_min(&mut self, n: usize) -> &mut JudgeBuilder {
        self.config.repetition_min = n;
        self
    }

    /// The least number of characters outside hits (`>= n`) a document needs
    /// before the absence of any genuine-topic word counts as evidence that
    /// it is about something unrelated. Default: 200.
    pub fn unrelated_min_chars(&mut self, n: usize) -> &mut JudgeBuilder {
        self.config.unrelated_min_chars = n;
        self
    }

    /// Whether the built-in bigram model is used. Default: on.
    pub fn builtin_model(&mut self, yes: bool) -> &mut JudgeBuilder {
        self.builtin_model = Some(yes);
        self
    }

    /// Adds corpus bigram statistics (gathered from clean text of the kind
    /// being scanned) to the splice evidence. Default: none.
    pub fn corpus_model(&mut self, model: BigramModel) -> &mut JudgeBuilder {
        self.corpus = Some(Arc::new(model));
        self
    }

    /// Builds the judge.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when a threshold is out of range: a score threshold
    /// outside `[0, 1]`, a non-finite prior, gain or strength, or
    /// `repetition_min` below 2.
    pub fn build(&self) -> Result<Judge> {
        let c = &self.config;
        if !(0.0..=1.0).contains(&c.injected_threshold) {
            return Err(Error::Config(format!(
                "injected_threshold {} is outside [0, 1]",
                c.injected_threshold
            )));
        }
        for (name, v) in [
            ("prior", c.prior),
            ("splice_gain", c.splice_gain),
            ("genuine_min", c.genuine_min),
        ] {
            if !v.is_finite() {
                return Err(Error::Config(format!("{name} {v} is not a finite number")));
            }
        }
        if c.repetition_min < 2 {
            return Err(Error::Config(format!(
                "repetition_min {} is below the supported minimum 2",
                c.repetition_min
            )));
        }
        Ok(Judge {
            config: c.clone(),
            builtin: self.builtin_model.unwrap_or(true),
            corpus: self.corpus.clone(),
        })
    }
}

/// Judges keyword hits: injected or genuine, and why.
///
/// Built once and shared: `Judge` is `Send + Sync` and judging takes `&self`.
#[derive(Clone, Debug)]
pub struct Judge {
    config: Config,
    builtin: bool,
    corpus: Option<Arc<BigramModel>>,
}

impl Default for Judge {
    fn default() -> Judge {
        Judge::new()
    }
}

impl Judge {
    /// A judge with every default: the built-in bigram model, the thresholds
    /// of the module documentation.
    pub fn new() -> Judge {
        JudgeBuilder::new()
            .build()
            .expect("the default configuration is valid")
    }

    /// A builder to tune the thresholds and add corpus statistics.
    pub fn builder() -> JudgeBuilder {
        JudgeBuilder::new()
    }

    /// Judges the `hits` of `haystack`: one [`Verdict`] per hit, in order,
    /// and the document's score. Hits may come in any order and overlap;
    /// spans are clamped to the haystack.
    pub fn judge(&self, haystack: &str, hits: &[HitSpan<'_>]) -> DocVerdict {
        if hits.is_empty() {
            return DocVerdict::default();
        }
        let verdicts = evidence::judge_hits(self, haystack, hits);
        let mut doc = DocVerdict {
            score: verdicts.iter().map(|v| v.score).fold(0.0, f32::max),
            injected: verdicts.iter().filter(|v| v.injected).count(),
            reasons: Vec::new(),
            hits: Vec::new(),
        };
        let mut best: Vec<(Reason, f32)> = Vec::new();
        for v in verdicts.iter().filter(|v| v.injected) {
            for r in &v.reasons {
                let strength = evidence::reason_weight(self, r).abs();
                match best.iter_mut().find(|(b, _)| b.name() == r.name()) {
                    Some(slot) if slot.1 < strength => *slot = (*r, strength),
                    Some(_) => {}
                    None => best.push((*r, strength)),
                }
            }
        }
        doc.reasons = best.into_iter().map(|(r, _)| r).collect();
        doc.hits = verdicts;
        doc
    }

    /// The score threshold: a hit is injected when its score is `>=` this.
    pub fn injected_threshold(&self) -> f32 {
        self.config.injected_threshold
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_sync() {
        fn check<T: Send + Sync>() {}
        check::<Judge>();
        check::<BigramModel>();
    }

    #[test]
    fn build_rejects_bad_values() {
        let err = Judge::builder()
            .injected_threshold(1.5)
            .build()
            .unwrap_err()
            .to_string();
        assert!(err.contains("injected_threshold 1.5"), "{err}");
        let err = Judge::builder()
            .repetition_min(1)
            .build()
            .unwrap_err()
            .to_string();
        assert!(err.contains("repetition_min 1"), "{err}");
        let err = Judge::builder()
            .splice_gain(f32::NAN)
            .build()
            .unwrap_err()
            .to_string();
        assert!(err.contains("splice_gain NaN"), "{err}");
    }

    #[test]
    fn no_hits_no_score() {
        let v = Judge::new().judge("任何文本", &[]);
        assert_eq!(v, DocVerdict::default());
    }
}
