//! The deterministic benchmark corpus shared by every bench of the crate.
//!
//! Benches run on machines without network, so the corpus is generated in-process from a
//! bundled word-frequency list (`benches/data/words.tsv`, People's Daily 1998, see
//! `benches/data/README.md`) and a seed. It imitates scraped Chinese news polluted the way
//! black-hat SEO pollutes it:
//!
//! * documents of one title line and 5..30 body paragraphs (lines of about 50..300 chars),
//!   sentences of words sampled by corpus frequency, punctuation at news-like rates, some ASCII
//!   dates and numbers;
//! * synthetic spam-brand keywords ([`keywords`]) spliced in at an average rate per MiB, glued to
//!   titles and paragraph starts, in mid-sentence, before a full stop, as a title suffix or in a
//!   whole ad sentence, often disguised ([`Disguise`]);
//! * near-duplicate paragraphs planted as lightly edited copies of earlier paragraphs of the same
//!   or another document ([`DupEdit`]).
//!
//! Every planted injection and duplicate is recorded, so a bench can assert the expected count
//! of matches outside its timed loop. Everything is a pure function of [`Config`]: same
//! config, same bytes, on every platform.
//!
//! # Why keywords never occur by accident
//!
//! Every keyword is `head · middle · suffix` where `head` is a Han character from
//! `benches/data/rare_chars.txt` that the generator never emits anywhere else (it is absent
//! from the word list, from the generator's literals and from OpenCC's traditional/simplified
//! tables), `middle` is made of brand characters and ASCII letters and digits, and `suffix`
//! comes from a prefix-free list whose characters never appear in a middle. Hence the keyword
//! set is prefix-free, and since a head occurs only at position 0 of a keyword, it is
//! substring-free. Any occurrence of a keyword in generated text must start at a head, that is
//! at the first char of an injection; a disguise never touches the head and only inserts or
//! replaces characters that no keyword contains, so the occurrence is exactly an undisguised
//! injection of that keyword. The ground truth is therefore exact for keywords made by
//! [`keywords`] (and only for those).
#![allow(dead_code)]

use std::collections::HashSet;
use std::sync::OnceLock;

/// Bytes in a mebibyte; rates are given per MiB of generated text.
pub const MIB: usize = 1 << 20;

/// The bundled word list: `word<TAB>count`, sorted by count descending.
const WORDS_TSV: &str = include_str!("../data/words.tsv");
/// Candidate keyword heads: Han chars absent from the word corpus and from OpenCC's tables.
const RARE_CHARS: &str = include_str!("../data/rare_chars.txt");

/// Keyword suffixes. Prefix-free (no suffix starts another), and none of their chars occurs in
/// [`BRAND_CHARS`]; both facts are what makes the keyword set prefix-free.
pub const SUFFIXES: &[&str] = &[
    "体育",
    "娱乐城",
    "娱乐场",
    "彩票",
    "棋牌",
    "平台",
    "官网",
    "国际",
    "电竞",
    "真人",
    "百家乐",
    "网投",
];

/// Han chars for the middle of a keyword, the stock of real gambling brand names.
pub const BRAND_CHARS: &str = "金博皇冠新万利澳威尼斯永发鑫盛亚星凯旋葡京银河龙凤宝华贵宾亿豪运门";

/// ASCII parts of keyword middles, as in `xx888` or `pk10`.
const ASCII_PARTS: &[&str] = &[
    "888", "365", "188", "999", "666", "777", "pk10", "bet", "vip", "xx", "ag", "bb", "mg", "ky",
    "hg", "dafa", "2028", "868",
];

/// Traditional -> simplified pairs used by [`Disguise::Traditional`]. Each pair is the first
/// mapping of the traditional char in OpenCC's `TSCharacters.txt` (checked by
/// `tools/gen_words.py`), so the crate's folding undoes it.
pub const TRAD: &[(char, char)] = &[
    ('體', '体'),
    ('娛', '娱'),
    ('樂', '乐'),
    ('網', '网'),
    ('臺', '台'),
    ('國', '国'),
    ('際', '际'),
    ('電', '电'),
    ('競', '竞'),
    ('場', '场'),
    ('門', '门'),
    ('運', '运'),
    ('發', '发'),
    ('萬', '万'),
    ('貴', '贵'),
    ('賓', '宾'),
    ('龍', '龙'),
    ('鳳', '凤'),
    ('銀', '银'),
    ('華', '华'),
    ('寶', '宝'),
    ('億', '亿'),
];

/// Noise that [`Disguise::Noise`] puts between keyword chars; no keyword contains any of them.
pub const NOISE: &[&str] = &[" ", "*", "-", "·", "🎰"];

/// The zero-width space of [`Disguise::ZeroWidth`].
pub const ZWSP: char = '\u{200B}';

/// Literal text the generator emits besides words, numbers and keywords. Listed here so that
/// keyword heads can be checked against it.
const LITERALS: &[&str] = &[
    "，。、；：“”！？_（）年月日%万元第期次. ,:",
    "免费推荐计划加微信官方网址注册就送www.com",
    "记者报道来源新华社人民日报编辑责任张王李刘陈杨黄赵周吴伟芳娜敏静丽强磊军洋勇艳杰涛明超秀兰霞平刚",
    "0123456789abcdefghijklmnopqrstuvwxyz０１２３４５６７８９",
];

/// SplitMix64 (Steele, Lea, Flood 2014; the seeder of xoshiro): a 64-bit state advanced by a
/// Weyl sequence and hashed by a fixed mixer. Small, fast, passes BigCrush, and its output is
/// a pure function of the seed on every platform, which is all a benchmark corpus needs.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (Lemire's multiply-shift; the bias, below n / 2^64, is irrelevant
    /// here). Returns 0 when `n` is 0.
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// A float in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// An element of a non-empty slice.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// An index in `0..n` with probability proportional to `1 / (i + 1)` (Zipf, s = 1),
    /// by inverting the continuous approximation of its distribution function.
    pub fn zipf(&mut self, n: usize) -> usize {
        let x = ((n as f64 + 1.0).powf(self.unit())).floor() as usize;
        x.saturating_sub(1).min(n.saturating_sub(1))
    }
}

/// The parsed word list and the character sets derived from it.
struct Vocab {
    words: Vec<&'static str>,
    /// `cumulative[i]` is the sum of the counts of words `0..=i`.
    cumulative: Vec<u64>,
    /// Keyword heads: rare chars minus everything the generator can emit otherwise.
    heads: Vec<char>,
}

fn vocab() -> &'static Vocab {
    static VOCAB: OnceLock<Vocab> = OnceLock::new();
    VOCAB.get_or_init(|| {
        let mut words = Vec::new();
        let mut cumulative = Vec::new();
        let mut total = 0u64;
        let mut alphabet: HashSet<char> = HashSet::new();
        for line in WORDS_TSV.lines() {
            let (word, count) = line.split_once('\t').expect("words.tsv: word<TAB>count");
            total += count.parse::<u64>().expect("words.tsv: count");
            words.push(word);
            cumulative.push(total);
            alphabet.extend(word.chars());
        }
        for lit in LITERALS {
            alphabet.extend(lit.chars());
        }
        let heads = RARE_CHARS
            .chars()
            .filter(|c| !c.is_whitespace() && !alphabet.contains(c))
            .collect();
        Vocab {
            words,
            cumulative,
            heads,
        }
    })
}

impl Vocab {
    fn word(&self, rng: &mut SplitMix64) -> &'static str {
        let total = *self.cumulative.last().unwrap();
        let r = rng.next_u64() % total;
        self.words[self.cumulative.partition_point(|&c| c <= r)]
    }
}

/// `n` distinct synthetic spam-brand keywords, a pure function of `(n, seed)`.
///
/// Each is a rare head char, one to three brand chars or ASCII parts, and a suffix such as
/// 体育 or 娱乐城 (see the module docs for why they never occur by accident). The set is
/// prefix-free and substring-free. 100_000 keywords take a few tens of milliseconds.
///
/// # Panics
///
/// If `n` exceeds the number of distinct keywords the scheme can make (hundreds of millions).
pub fn keywords(n: usize, seed: u64) -> Vec<String> {
    let heads = &vocab().heads;
    let brand: Vec<char> = BRAND_CHARS.chars().collect();
    let mut rng = SplitMix64::new(seed ^ 0x6B65_7977_6F72_6473);
    let mut seen = HashSet::with_capacity(n);
    let mut out = Vec::with_capacity(n);
    let mut attempts = 0usize;
    while out.len() < n {
        attempts += 1;
        assert!(
            attempts < 20 * n + 1000,
            "cannot make {n} distinct keywords"
        );
        let mut kw = String::with_capacity(24);
        kw.push(rng.pick(heads));
        match rng.below(10) {
            0..=6 => {
                for _ in 0..rng.range(1, 2) {
                    kw.push(rng.pick(&brand));
                }
            }
            7 | 8 => {
                kw.push(rng.pick(&brand));
                kw.push_str(rng.pick(ASCII_PARTS));
            }
            _ => {
                kw.push_str(rng.pick(ASCII_PARTS));
                kw.push_str(rng.pick(ASCII_PARTS));
            }
        }
        kw.push_str(rng.pick(SUFFIXES));
        if seen.insert(kw.clone()) {
            out.push(kw);
        }
    }
    out
}

/// How an injected keyword was disguised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Disguise {
    /// Verbatim.
    None,
    /// ASCII letters and digits in full width (`ｐｋ１０`). Only for keywords with ASCII.
    FullWidth,
    /// Simplified chars replaced by their traditional forms from [`TRAD`] (`體育`). Only for
    /// keywords with such chars.
    Traditional,
    /// 1..=3 chars of [`NOISE`] in some gaps between chars (`金 博*体-育`).
    Noise,
    /// A zero-width space in some gaps between chars.
    ZeroWidth,
    /// Noise in one gap, a zero-width space in another, and each of full width and traditional
    /// with probability 0.6 where they apply.
    Mixed,
}

/// Where an injection was put, after black-hat SEO practice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Placement {
    /// Glued to the start of the title, sometimes followed by `：`.
    TitlePrefix,
    /// Appended to the title after `_`.
    TitleSuffix,
    /// Glued to the start of a body paragraph.
    ParagraphStart,
    /// Between two words of a sentence.
    MidSentence,
    /// Right before a `。`.
    BeforeFullStop,
    /// Inside a whole ad sentence (`免费…计划加（微信：…）`) put at a sentence start.
    AdSentence,
}

/// One planted keyword occurrence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Injection {
    /// Index of the document in [`Corpus::docs`].
    pub doc: usize,
    /// Byte offset of the first byte of the (disguised) keyword in the document text.
    pub start: usize,
    /// Byte offset one past its last byte; `&text[start..end]` is what was planted.
    pub end: usize,
    /// The canonical keyword, as listed in [`Corpus::keywords`].
    pub keyword: String,
    /// The disguise that was applied.
    pub disguise: Disguise,
    /// Where it was put.
    pub placement: Placement,
}

impl Injection {
    /// The byte span in the document text.
    pub fn span(&self) -> std::ops::Range<usize> {
        self.start..self.end
    }
}

/// A paragraph: a document index and the 0-based index among the document's non-blank lines
/// (the title is paragraph 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParagraphRef {
    /// Index in [`Corpus::docs`].
    pub doc: usize,
    /// 0-based index among the non-blank lines of the document text.
    pub paragraph: usize,
}

/// An edit applied to the copy of a planted near-duplicate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DupEdit {
    /// No edit: an exact copy (a scraper that repeats the body).
    Exact,
    /// 1..=3 chars outside injections replaced by other chars.
    Substitute,
    /// Up to two punctuation marks or digits switched in width (`，`→`,`, `3`→`３`).
    Punctuation,
    /// The end cut off, keeping 75..95% of the chars.
    Truncate,
    /// A byline such as `（记者 张伟 报道）` appended.
    Byline,
    /// A keyword spliced in (recorded in [`Corpus::injected`]); not when
    /// [`Config::injection_rate`] is 0.
    SpliceKeyword,
}

/// A document: an id and its text, lines separated by `\n`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    /// Unique within the corpus: `doc000042` for generated ones, `path:N` for loaded ones.
    pub id: String,
    /// The text; every line, the last one included, ends with `\n`.
    pub text: String,
}

/// Where a corpus came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// Generated by [`generate`] with this seed.
    Generated {
        /// [`Config::seed`].
        seed: u64,
    },
    /// Loaded by [`load_or_generate`] from this path; its ground truth is empty.
    File(String),
}

/// A benchmark corpus and its ground truth.
#[derive(Clone, Debug)]
pub struct Corpus {
    /// The documents.
    pub docs: Vec<Document>,
    /// Total bytes of all document texts.
    pub bytes: usize,
    /// The keyword dictionary the corpus was built with ([`Config::keywords`]); a bench builds
    /// its detector from it.
    pub keywords: Vec<String>,
    /// Every planted keyword occurrence, in document and byte order. Exact: no keyword occurs
    /// anywhere else, verbatim or disguised (if the keywords came from [`keywords`]).
    pub injected: Vec<Injection>,
    /// Planted near-duplicates: (earlier source paragraph, edited copy). Copies of copies and
    /// two copies of one source are near-duplicates too; see [`Corpus::dup_groups`].
    pub dup_pairs: Vec<(ParagraphRef, ParagraphRef)>,
    /// The edits applied to each copy, parallel to `dup_pairs`.
    pub dup_edits: Vec<Vec<DupEdit>>,
    /// Where the corpus came from.
    pub source: Source,
}

impl Corpus {
    /// Number of paragraphs (non-blank lines) in all documents.
    pub fn paragraph_count(&self) -> usize {
        self.docs
            .iter()
            .map(|d| d.text.lines().filter(|l| !l.trim().is_empty()).count())
            .sum()
    }

    /// The text of a paragraph, without its `\n`.
    ///
    /// # Panics
    ///
    /// If the reference is out of range.
    pub fn paragraph(&self, r: ParagraphRef) -> &str {
        self.docs[r.doc]
            .text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .nth(r.paragraph)
            .expect("paragraph index in range")
    }

    /// Injections left verbatim, the occurrences an exact (non-folding) matcher must find.
    pub fn verbatim_count(&self) -> usize {
        self.injected
            .iter()
            .filter(|i| i.disguise == Disguise::None)
            .count()
    }

    /// The planted duplicate groups: connected components of `dup_pairs`, each sorted, groups
    /// in order of their first paragraph. Only groups of two or more.
    pub fn dup_groups(&self) -> Vec<Vec<ParagraphRef>> {
        let mut refs: Vec<ParagraphRef> =
            self.dup_pairs.iter().flat_map(|&(a, b)| [a, b]).collect();
        refs.sort();
        refs.dedup();
        let id = |r: &ParagraphRef| refs.binary_search(r).unwrap();
        let mut parent: Vec<usize> = (0..refs.len()).collect();
        fn root(parent: &mut [usize], mut x: usize) -> usize {
            while parent[x] != x {
                parent[x] = parent[parent[x]];
                x = parent[x];
            }
            x
        }
        for (a, b) in &self.dup_pairs {
            let (ra, rb) = (root(&mut parent, id(a)), root(&mut parent, id(b)));
            parent[ra.max(rb)] = ra.min(rb);
        }
        let mut groups: Vec<Vec<ParagraphRef>> = vec![Vec::new(); refs.len()];
        for (i, r) in refs.iter().enumerate() {
            let g = root(&mut parent, i);
            groups[g].push(*r);
        }
        groups.retain(|g| g.len() > 1);
        groups
    }
}

/// Shares of each [`Disguise`]; they need not sum to one (they are weights).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DisguiseMix {
    /// Default 0.4.
    pub none: f64,
    /// Default 0.1.
    pub full_width: f64,
    /// Default 0.15.
    pub traditional: f64,
    /// Default 0.15.
    pub noise: f64,
    /// Default 0.1.
    pub zero_width: f64,
    /// Default 0.1.
    pub mixed: f64,
}

impl Default for DisguiseMix {
    fn default() -> DisguiseMix {
        DisguiseMix {
            none: 0.4,
            full_width: 0.1,
            traditional: 0.15,
            noise: 0.15,
            zero_width: 0.1,
            mixed: 0.1,
        }
    }
}

impl DisguiseMix {
    /// Every injection verbatim.
    pub fn verbatim() -> DisguiseMix {
        DisguiseMix {
            none: 1.0,
            full_width: 0.0,
            traditional: 0.0,
            noise: 0.0,
            zero_width: 0.0,
            mixed: 0.0,
        }
    }

    fn sample(&self, rng: &mut SplitMix64) -> Disguise {
        let table = [
            (self.none, Disguise::None),
            (self.full_width, Disguise::FullWidth),
            (self.traditional, Disguise::Traditional),
            (self.noise, Disguise::Noise),
            (self.zero_width, Disguise::ZeroWidth),
            (self.mixed, Disguise::Mixed),
        ];
        let total: f64 = table.iter().map(|t| t.0).sum();
        let mut x = rng.unit() * total;
        for (w, d) in table {
            if x < w {
                return d;
            }
            x -= w;
        }
        Disguise::None
    }
}

/// What to generate.
#[derive(Clone, Debug)]
pub struct Config {
    /// Seed of everything. Default `0x5EED`.
    pub seed: u64,
    /// Stop when the documents hold at least this many bytes; the last document is cut short
    /// (it may hold fewer than 5 body paragraphs), so the size overshoots by at most one line.
    /// Default 8 MiB.
    pub target_bytes: usize,
    /// The dictionary that injections are drawn from, Zipf-distributed over its order (the first
    /// brands are the most frequent). Default `keywords(1000, seed)`. Empty: no injections.
    pub keywords: Vec<String>,
    /// Average fresh injections per MiB in body paragraphs. Default 200. Title injections,
    /// keyword splices of near-duplicates and injections carried along by copied paragraphs
    /// come on top: with the other defaults [`Corpus::injected`] holds about 265 per MiB.
    pub injection_rate: f64,
    /// Fraction of documents that are spammed; injections go only there (1..=3 brands each,
    /// repeated). Default 0.2.
    pub spam_doc_fraction: f64,
    /// Shares of the disguises. Default [`DisguiseMix::default`].
    pub disguises: DisguiseMix,
    /// Fraction of body paragraphs planted as near-duplicates of an earlier one. Default 0.1.
    pub dup_rate: f64,
    /// Of those, the fraction copied from the same document (when it has an earlier body
    /// paragraph) rather than from any earlier one. Default 0.4.
    pub same_doc_dup_share: f64,
}

impl Config {
    /// The defaults, with this seed and size (`keywords(1000, seed)`).
    pub fn new(seed: u64, target_bytes: usize) -> Config {
        Config {
            seed,
            target_bytes,
            keywords: keywords(1000, seed),
            injection_rate: 200.0,
            spam_doc_fraction: 0.2,
            disguises: DisguiseMix::default(),
            dup_rate: 0.1,
            same_doc_dup_share: 0.4,
        }
    }
}

impl Default for Config {
    fn default() -> Config {
        Config::new(0x5EED, 8 * MIB)
    }
}

/// A piece of a line under construction: plain text or an injection.
#[derive(Clone, Debug)]
enum Piece {
    Text(String),
    Inj {
        text: String,
        keyword: usize,
        disguise: Disguise,
        placement: Placement,
    },
}

/// A body paragraph already emitted, a possible near-duplicate source.
#[derive(Clone, Copy, Debug)]
struct ParaRec {
    at: ParagraphRef,
    /// Byte range of the line (without `\n`) in its document text.
    start: usize,
    end: usize,
    /// Range of its injections in `Corpus::injected`.
    inj_start: usize,
    inj_end: usize,
}

/// A freshly generated paragraph with the places where injections may go.
#[derive(Default)]
struct Fresh {
    text: String,
    chars: usize,
    /// Byte offsets between two words of a clause.
    word_gaps: Vec<usize>,
    /// Byte offsets of `。`.
    full_stops: Vec<usize>,
    /// Byte offsets where a sentence starts.
    sentence_starts: Vec<usize>,
}

struct Gen<'a> {
    cfg: &'a Config,
    rng: SplitMix64,
    vocab: &'static Vocab,
    corpus: Corpus,
    paras: Vec<ParaRec>,
    /// Text of the document being built.
    cur: String,
    /// Non-blank lines of the document being built.
    cur_lines: usize,
    /// Index in `paras` of the first body paragraph of the current document.
    cur_first_para: usize,
    /// Brands of the current document, empty if it is not spammed.
    brands: Vec<usize>,
    /// Keyword index of each entry of `corpus.injected`.
    inj_keyword: Vec<usize>,
}

/// Generates a corpus, a pure function of `cfg`. 32 MiB take about 3 s in a release build
/// (measured on a loaded 2-core machine), dominated by sampling words.
///
/// # Panics
///
/// If a rate or fraction in `cfg` is negative or not finite, or a fraction exceeds 1.
pub fn generate(cfg: &Config) -> Corpus {
    for (name, v, max) in [
        ("injection_rate", cfg.injection_rate, f64::MAX),
        ("spam_doc_fraction", cfg.spam_doc_fraction, 1.0),
        ("dup_rate", cfg.dup_rate, 1.0),
        ("same_doc_dup_share", cfg.same_doc_dup_share, 1.0),
    ] {
        assert!(
            v.is_finite() && (0.0..=max).contains(&v),
            "{name} {v} is outside 0..={max}"
        );
    }
    let mut g = Gen {
        cfg,
        rng: SplitMix64::new(cfg.seed),
        vocab: vocab(),
        corpus: Corpus {
            docs: Vec::new(),
            bytes: 0,
            keywords: cfg.keywords.clone(),
            injected: Vec::new(),
            dup_pairs: Vec::new(),
            dup_edits: Vec::new(),
            source: Source::Generated { seed: cfg.seed },
        },
        paras: Vec::new(),
        cur: String::new(),
        cur_lines: 0,
        cur_first_para: 0,
        brands: Vec::new(),
        inj_keyword: Vec::new(),
    };
    while g.corpus.bytes < cfg.target_bytes {
        g.document();
    }
    g.corpus
}

impl Gen<'_> {
    fn document(&mut self) {
        let doc = self.corpus.docs.len();
        self.cur = String::with_capacity(8 * 1024);
        self.cur_lines = 0;
        self.cur_first_para = self.paras.len();
        self.brands.clear();
        let n_kw = self.cfg.keywords.len();
        if n_kw > 0 && self.cfg.injection_rate > 0.0 && self.rng.chance(self.cfg.spam_doc_fraction)
        {
            let n = match self.rng.below(10) {
                0..=7 => 1,
                8 => 2,
                _ => 3,
            };
            for _ in 0..n {
                let k = self.rng.zipf(n_kw);
                self.brands.push(k);
            }
        }
        let start_bytes = self.corpus.bytes;
        let done = |g: &Self| start_bytes + g.cur.len() >= g.cfg.target_bytes;

        // Title.
        let mut pieces = vec![Piece::Text(self.title())];
        if !self.brands.is_empty() && self.rng.chance(0.5) {
            let prefix = self.rng.chance(0.5);
            let placement = if prefix {
                Placement::TitlePrefix
            } else {
                Placement::TitleSuffix
            };
            let brand = self.brand();
            let inj = self.injection(brand, placement);
            if prefix {
                if self.rng.chance(0.5) {
                    pieces.insert(0, Piece::Text("：".into()));
                }
                pieces.insert(0, inj);
            } else {
                pieces.push(Piece::Text("_".into()));
                pieces.push(inj);
            }
        }
        self.emit(doc, &pieces, false);

        let body = self.rng.range(5, 30);
        for _ in 0..body {
            if done(self) {
                break;
            }
            let have_source = !self.paras.is_empty();
            if have_source && self.rng.chance(self.cfg.dup_rate) {
                self.duplicate(doc);
            } else {
                let pieces = self.fresh_paragraph();
                self.emit(doc, &pieces, true);
            }
        }
        self.corpus.bytes += self.cur.len();
        self.corpus.docs.push(Document {
            id: format!("doc{doc:06}"),
            text: std::mem::take(&mut self.cur),
        });
    }

    fn brand(&mut self) -> usize {
        let b = &self.brands;
        b[self.rng.below(b.len())]
    }

    /// Appends a line to the current document and records its injections.
    fn emit(&mut self, doc: usize, pieces: &[Piece], body: bool) -> ParagraphRef {
        let start = self.cur.len();
        let inj_start = self.corpus.injected.len();
        for p in pieces {
            match p {
                Piece::Text(t) => self.cur.push_str(t),
                Piece::Inj {
                    text,
                    keyword,
                    disguise,
                    placement,
                } => {
                    let s = self.cur.len();
                    self.cur.push_str(text);
                    self.inj_keyword.push(*keyword);
                    self.corpus.injected.push(Injection {
                        doc,
                        start: s,
                        end: self.cur.len(),
                        keyword: self.cfg.keywords[*keyword].clone(),
                        disguise: *disguise,
                        placement: *placement,
                    });
                }
            }
        }
        let end = self.cur.len();
        self.cur.push('\n');
        let at = ParagraphRef {
            doc,
            paragraph: self.cur_lines,
        };
        self.cur_lines += 1;
        if body {
            self.paras.push(ParaRec {
                at,
                start,
                end,
                inj_start,
                inj_end: self.corpus.injected.len(),
            });
        }
        at
    }

    fn injection(&mut self, keyword: usize, placement: Placement) -> Piece {
        let kw = &self.cfg.keywords[keyword];
        let wanted = self.cfg.disguises.sample(&mut self.rng);
        let (text, disguise) = disguise(kw, wanted, &mut self.rng);
        Piece::Inj {
            text,
            keyword,
            disguise,
            placement,
        }
    }

    fn title(&mut self) -> String {
        let target = self.rng.range(8, 28);
        let colon = if self.rng.chance(0.2) {
            self.rng.range(3, 6)
        } else {
            usize::MAX
        };
        let mut t = String::new();
        let mut chars = 0;
        while chars < target {
            let w = self.vocab.word(&mut self.rng);
            t.push_str(w);
            chars += w.chars().count();
            if chars >= colon && colon != usize::MAX && !t.contains('：') {
                t.push('：');
                chars += 1;
            }
        }
        t
    }

    /// An ASCII number as news writes them.
    fn number(&mut self, out: &mut String) -> usize {
        use std::fmt::Write;
        let before = out.len();
        let r = &mut self.rng;
        let _ = match r.below(6) {
            0 => write!(out, "{}年", r.range(1990, 2026)),
            1 => write!(out, "{}月{}日", r.range(1, 12), r.range(1, 28)),
            2 => write!(out, "{}.{}%", r.range(1, 99), r.below(10)),
            3 => write!(out, "{}万元", r.range(1, 9999)),
            4 => write!(out, "第{}期", r.range(1, 99)),
            _ => write!(out, "{}", r.range(2, 5000)),
        };
        out.len() - before // ASCII digits plus a few Han chars; close enough for length control
    }

    fn fresh_text(&mut self) -> Fresh {
        let target = self.rng.range(45, 270);
        let mut f = Fresh::default();
        loop {
            // One sentence of 1..=4 clauses.
            f.sentence_starts.push(f.text.len());
            let clauses = self.rng.range(1, 4);
            for c in 0..clauses {
                let quoted = self.rng.chance(0.04);
                if quoted {
                    f.text.push('“');
                    f.chars += 1;
                }
                let words = self.rng.range(2, 10);
                for w in 0..words {
                    if w > 0 {
                        f.word_gaps.push(f.text.len());
                        if self.rng.chance(0.03) {
                            f.text.push('、');
                            f.chars += 1;
                        }
                    }
                    if self.rng.chance(0.015) {
                        let before = f.text.len();
                        self.number(&mut f.text);
                        f.chars += f.text[before..].chars().count();
                    } else {
                        let word = self.vocab.word(&mut self.rng);
                        f.text.push_str(word);
                        f.chars += word.chars().count();
                    }
                }
                if quoted {
                    f.text.push('”');
                    f.chars += 1;
                }
                if c + 1 < clauses && f.chars < target {
                    let sep = match self.rng.below(20) {
                        0 => '；',
                        1 => '：',
                        _ => '，',
                    };
                    f.text.push(sep);
                    f.chars += 1;
                } else {
                    break;
                }
            }
            let end = match self.rng.below(100) {
                0..=2 => '！',
                3..=5 => '？',
                _ => '。',
            };
            if end == '。' {
                f.full_stops.push(f.text.len());
            }
            f.text.push(end);
            f.chars += 1;
            if f.chars >= target {
                return f;
            }
        }
    }

    /// A fresh body paragraph with this paragraph's share of injections.
    fn fresh_paragraph(&mut self) -> Vec<Piece> {
        let f = self.fresh_text();
        let mut inserts: Vec<(usize, Vec<Piece>)> = Vec::new();
        if !self.brands.is_empty() {
            let lambda = self.cfg.injection_rate * f.text.len() as f64
                / MIB as f64
                / self.cfg.spam_doc_fraction;
            let n = lambda.floor() as usize + usize::from(self.rng.chance(lambda.fract()));
            for _ in 0..n {
                let kw = self.brand();
                let placement = match self.rng.below(20) {
                    0..=3 => Placement::ParagraphStart,
                    4..=12 => Placement::MidSentence,
                    13..=17 => Placement::BeforeFullStop,
                    _ => Placement::AdSentence,
                };
                let (pos, placement) = match placement {
                    Placement::MidSentence if !f.word_gaps.is_empty() => {
                        (self.rng.pick(&f.word_gaps), placement)
                    }
                    Placement::BeforeFullStop if !f.full_stops.is_empty() => {
                        (self.rng.pick(&f.full_stops), placement)
                    }
                    Placement::AdSentence => (self.rng.pick(&f.sentence_starts), placement),
                    _ => (0, Placement::ParagraphStart),
                };
                let inj = self.injection(kw, placement);
                let pieces = if placement == Placement::AdSentence {
                    self.ad(inj)
                } else {
                    vec![inj]
                };
                inserts.push((pos, pieces));
            }
        }
        inserts.sort_by_key(|i| i.0);
        let mut pieces = Vec::new();
        let mut at = 0;
        for (pos, ins) in inserts {
            if pos > at {
                pieces.push(Piece::Text(f.text[at..pos].to_string()));
                at = pos;
            }
            pieces.extend(ins);
        }
        pieces.push(Piece::Text(f.text[at..].to_string()));
        pieces
    }

    /// A whole ad sentence around an injection.
    fn ad(&mut self, inj: Piece) -> Vec<Piece> {
        let pre = self.rng.pick(&["免费", "推荐", ""]);
        let post = match self.rng.below(3) {
            0 => format!(
                "计划加（微信：{}）。",
                self.rng.range(10_000_000, 99_999_999)
            ),
            1 => {
                let mut s = String::from("官方网址：www.");
                for _ in 0..self.rng.range(3, 8) {
                    s.push((b'a' + self.rng.below(26) as u8) as char);
                }
                s.push_str(".com。");
                s
            }
            _ => format!("，注册就送{}元！", self.rng.range(8, 888)),
        };
        vec![Piece::Text(pre.into()), inj, Piece::Text(post)]
    }

    /// Plants a near-duplicate of an earlier body paragraph.
    fn duplicate(&mut self, doc: usize) {
        let same_doc = self.paras.len() > self.cur_first_para;
        let src = if same_doc && self.rng.chance(self.cfg.same_doc_dup_share) {
            self.paras[self.rng.range(self.cur_first_para, self.paras.len() - 1)]
        } else {
            self.paras[self.rng.below(self.paras.len())]
        };
        let text = if src.at.doc == doc {
            &self.cur[src.start..src.end]
        } else {
            &self.corpus.docs[src.at.doc].text[src.start..src.end]
        };
        // Split the source into text and injection pieces.
        let mut pieces = Vec::new();
        let mut at = src.start;
        for (inj, &keyword) in self.corpus.injected[src.inj_start..src.inj_end]
            .iter()
            .zip(&self.inj_keyword[src.inj_start..src.inj_end])
        {
            if inj.start > at {
                pieces.push(Piece::Text(
                    text[at - src.start..inj.start - src.start].into(),
                ));
            }
            pieces.push(Piece::Inj {
                text: text[inj.start - src.start..inj.end - src.start].into(),
                keyword,
                disguise: inj.disguise,
                placement: inj.placement,
            });
            at = inj.end;
        }
        pieces.push(Piece::Text(text[at - src.start..].into()));

        let mut edits = Vec::new();
        if !self.rng.chance(0.1) {
            for _ in 0..self.rng.range(1, 2) {
                let edit = match self.rng.below(5) {
                    0 => DupEdit::Substitute,
                    1 => DupEdit::Punctuation,
                    2 => DupEdit::Truncate,
                    3 => DupEdit::Byline,
                    // A rate of 0 means no keywords at all, splices included.
                    _ if self.cfg.keywords.is_empty() || self.cfg.injection_rate == 0.0 => {
                        DupEdit::Substitute
                    }
                    _ => DupEdit::SpliceKeyword,
                };
                if !edits.contains(&edit) {
                    self.edit(&mut pieces, edit);
                    edits.push(edit);
                }
            }
        } else {
            edits.push(DupEdit::Exact);
        }
        let copy = self.emit(doc, &pieces, true);
        self.corpus.dup_pairs.push((src.at, copy));
        self.corpus.dup_edits.push(edits);
    }

    /// A random text piece and a char index in it, if any text piece is non-empty.
    fn text_spot(&mut self, pieces: &[Piece]) -> Option<(usize, usize)> {
        let texts: Vec<usize> = (0..pieces.len())
            .filter(|&i| matches!(&pieces[i], Piece::Text(t) if !t.is_empty()))
            .collect();
        if texts.is_empty() {
            return None;
        }
        let i = self.rng.pick(&texts);
        let Piece::Text(t) = &pieces[i] else {
            unreachable!()
        };
        Some((i, self.rng.below(t.chars().count())))
    }

    fn edit(&mut self, pieces: &mut Vec<Piece>, edit: DupEdit) {
        match edit {
            DupEdit::Exact => {}
            DupEdit::Substitute => {
                for _ in 0..self.rng.range(1, 3) {
                    let Some((i, c)) = self.text_spot(pieces) else {
                        return;
                    };
                    let new = self.vocab.word(&mut self.rng).chars().next().unwrap();
                    if let Piece::Text(t) = &mut pieces[i] {
                        *t = t
                            .chars()
                            .enumerate()
                            .map(|(j, ch)| if j == c { new } else { ch })
                            .collect();
                    }
                }
            }
            DupEdit::Punctuation => {
                let mut changed = 0;
                for p in pieces.iter_mut() {
                    if let Piece::Text(t) = p {
                        if changed == 2 {
                            break;
                        }
                        let mut s = String::with_capacity(t.len());
                        for ch in t.chars() {
                            let new = match ch {
                                _ if changed == 2 => ch,
                                '，' => ',',
                                '。' => '.',
                                '：' => ':',
                                '0'..='9' => char::from_u32(ch as u32 + 0xFEE0).unwrap(),
                                _ => ch,
                            };
                            changed += usize::from(new != ch);
                            s.push(new);
                        }
                        *t = s;
                    }
                }
            }
            DupEdit::Truncate => {
                let total: usize = pieces
                    .iter()
                    .map(|p| match p {
                        Piece::Text(t) | Piece::Inj { text: t, .. } => t.chars().count(),
                    })
                    .sum();
                let mut keep = total * self.rng.range(75, 95) / 100;
                let mut out = Vec::new();
                for p in pieces.drain(..) {
                    match p {
                        Piece::Text(t) => {
                            let n = t.chars().count();
                            if n >= keep {
                                out.push(Piece::Text(t.chars().take(keep).collect()));
                                break;
                            }
                            keep -= n;
                            out.push(Piece::Text(t));
                        }
                        Piece::Inj { ref text, .. } => {
                            let n = text.chars().count();
                            if n > keep {
                                break;
                            }
                            keep -= n;
                            out.push(p);
                        }
                    }
                }
                *pieces = out;
            }
            DupEdit::Byline => {
                const SURNAMES: &[&str] = &["张", "王", "李", "刘", "陈", "杨", "黄", "赵"];
                const GIVEN: &[&str] = &[
                    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰",
                    "涛", "明", "超", "秀兰", "霞", "平", "刚",
                ];
                let name = format!("{}{}", self.rng.pick(SURNAMES), self.rng.pick(GIVEN));
                let line = match self.rng.below(3) {
                    0 => format!("（记者 {name} 报道）"),
                    1 => format!("（来源：人民日报 责任编辑：{name}）"),
                    _ => format!("（新华社记者 {name}）"),
                };
                pieces.push(Piece::Text(line));
            }
            DupEdit::SpliceKeyword => {
                let kw = if self.brands.is_empty() {
                    self.rng.zipf(self.cfg.keywords.len())
                } else {
                    self.brand()
                };
                let inj = self.injection(kw, Placement::MidSentence);
                match self.text_spot(pieces) {
                    Some((i, c)) => {
                        let Piece::Text(t) = &pieces[i] else {
                            unreachable!()
                        };
                        let b = t.char_indices().nth(c).map_or(t.len(), |(b, _)| b);
                        let (left, right) = (t[..b].to_string(), t[b..].to_string());
                        pieces.splice(i..=i, [Piece::Text(left), inj, Piece::Text(right)]);
                    }
                    None => pieces.push(inj),
                }
            }
        }
    }
}

/// Applies a disguise to `kw`, returning the text and the disguise actually applied: a wanted
/// [`Disguise::FullWidth`] or [`Disguise::Traditional`] that would not change `kw` (no ASCII,
/// no char in [`TRAD`]) becomes [`Disguise::Noise`]; keywords shorter than 3 chars are left
/// verbatim.
pub fn disguise(kw: &str, wanted: Disguise, rng: &mut SplitMix64) -> (String, Disguise) {
    let chars: Vec<char> = kw.chars().collect();
    if chars.len() < 3 {
        return (kw.to_string(), Disguise::None);
    }
    let has_ascii = chars.iter().any(|c| c.is_ascii_alphanumeric());
    let has_trad = chars.iter().any(|&c| to_trad(c) != c);
    let d = match wanted {
        Disguise::FullWidth if !has_ascii => Disguise::Noise,
        Disguise::Traditional if !has_trad => Disguise::Noise,
        d => d,
    };
    let (mut trad, mut wide) = (d == Disguise::Traditional, d == Disguise::FullWidth);
    // gaps[i] is what goes between chars i and i + 1.
    let mut gaps: Vec<String> = vec![String::new(); chars.len() - 1];
    let noise = |rng: &mut SplitMix64| -> String {
        (0..rng.range(1, 3)).map(|_| rng.pick(NOISE)).collect()
    };
    match d {
        Disguise::Noise | Disguise::ZeroWidth => {
            let forced = rng.below(gaps.len());
            for (i, g) in gaps.iter_mut().enumerate() {
                if i == forced || rng.chance(0.4) {
                    *g = if d == Disguise::Noise {
                        noise(rng)
                    } else {
                        ZWSP.to_string()
                    };
                }
            }
        }
        Disguise::Mixed => {
            trad = has_trad && rng.chance(0.6);
            wide = has_ascii && rng.chance(0.6);
            let a = rng.below(gaps.len());
            let b = (a + 1 + rng.below(gaps.len() - 1)) % gaps.len();
            gaps[a] = noise(rng);
            gaps[b] = ZWSP.to_string();
            for (i, g) in gaps.iter_mut().enumerate() {
                if i != a && i != b && rng.chance(0.3) {
                    *g = if rng.chance(0.5) {
                        noise(rng)
                    } else {
                        ZWSP.to_string()
                    };
                }
            }
        }
        _ => {}
    }
    let mut out = String::with_capacity(kw.len() * 3);
    for (i, &c) in chars.iter().enumerate() {
        let c = if trad { to_trad(c) } else { c };
        let c = if wide && c.is_ascii_alphanumeric() {
            char::from_u32(c as u32 + 0xFEE0).unwrap()
        } else {
            c
        };
        out.push(c);
        if let Some(g) = gaps.get(i) {
            out.push_str(g);
        }
    }
    (out, d)
}

fn to_trad(c: char) -> char {
    TRAD.iter().find(|p| p.1 == c).map_or(c, |p| p.0)
}

/// Undoes every disguise: drops [`NOISE`] and [`ZWSP`], narrows full-width ASCII, maps
/// [`TRAD`] back to simplified. The oracle of the tests.
pub fn undisguise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    'outer: while let Some(c) = rest.chars().next() {
        for n in NOISE {
            if let Some(r) = rest.strip_prefix(n) {
                rest = r;
                continue 'outer;
            }
        }
        rest = &rest[c.len_utf8()..];
        if c == ZWSP {
            continue;
        }
        let c = match c as u32 {
            0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap(),
            _ => TRAD.iter().find(|p| p.0 == c).map_or(c, |p| p.1),
        };
        out.push(c);
    }
    out
}

/// The corpus the benches run on: the file named by the environment variable
/// `SPAMSIFT_BENCH_CORPUS` if it is set and non-empty, else `generate(default_cfg)`.
///
/// A loaded corpus has empty ground truth (no keywords, injections or duplicate pairs;
/// benches then compare against the peers) and is read as follows:
///
/// * a path ending in `.jsonl`: one document per non-blank line, its text the string value of
///   the first `"text"` key. The parser is minimal, without serde: it finds `"text"` followed
///   by `:` and decodes one JSON string (all JSON escapes, surrogate pairs included); lines
///   without one are skipped. A `"text"` inside an earlier string value would fool it.
/// * any other file: UTF-8 text (invalid bytes replaced), documents separated by blank lines,
///   each line a paragraph. A file without blank lines is cut into documents of 20 lines.
///
/// Documents get `\n` line ends and ids `path:N`, N counting from 0.
///
/// # Panics
///
/// If the file cannot be read: a bench cannot run without its input.
pub fn load_or_generate(default_cfg: &Config) -> Corpus {
    match std::env::var("SPAMSIFT_BENCH_CORPUS") {
        Ok(path) if !path.is_empty() => load(&path),
        _ => generate(default_cfg),
    }
}

/// Loads a corpus from a file as [`load_or_generate`] describes.
///
/// # Panics
///
/// If the file cannot be read.
pub fn load(path: &str) -> Corpus {
    let bytes = std::fs::read(path)
        .unwrap_or_else(|e| panic!("SPAMSIFT_BENCH_CORPUS: cannot read {path}: {e}"));
    let raw = String::from_utf8_lossy(&bytes);
    let mut texts: Vec<String> = Vec::new();
    if path.ends_with(".jsonl") {
        texts.extend(raw.lines().filter_map(json_text).map(|t| {
            let mut t = t.replace("\r\n", "\n");
            if !t.ends_with('\n') {
                t.push('\n');
            }
            t
        }));
    } else {
        let lines: Vec<&str> = raw.lines().collect();
        let blank = lines.iter().any(|l| l.trim().is_empty());
        let mut cur = String::new();
        let mut n = 0;
        for l in lines {
            if l.trim().is_empty() {
                if !cur.is_empty() {
                    texts.push(std::mem::take(&mut cur));
                }
                continue;
            }
            cur.push_str(l);
            cur.push('\n');
            n += 1;
            if !blank && n % 20 == 0 {
                texts.push(std::mem::take(&mut cur));
            }
        }
        if !cur.is_empty() {
            texts.push(cur);
        }
    }
    let docs: Vec<Document> = texts
        .into_iter()
        .enumerate()
        .map(|(i, text)| Document {
            id: format!("{path}:{i}"),
            text,
        })
        .collect();
    Corpus {
        bytes: docs.iter().map(|d| d.text.len()).sum(),
        docs,
        keywords: Vec::new(),
        injected: Vec::new(),
        dup_pairs: Vec::new(),
        dup_edits: Vec::new(),
        source: Source::File(path.to_string()),
    }
}

/// The decoded string value of the first `"text"` key of a JSON line, if any.
pub fn json_text(line: &str) -> Option<String> {
    let mut from = 0;
    let rest = loop {
        let i = line[from..].find("\"text\"")? + from + "\"text\"".len();
        let r = line[i..].trim_start();
        if let Some(r) = r.strip_prefix(':') {
            break r.trim_start().strip_prefix('"')?;
        }
        from = i;
    };
    let mut out = String::new();
    let mut chars = rest.chars();
    loop {
        match chars.next()? {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                'b' => out.push('\u{8}'),
                'f' => out.push('\u{c}'),
                'u' => {
                    let hex = |chars: &mut std::str::Chars| -> Option<u32> {
                        let h: String = chars.by_ref().take(4).collect();
                        u32::from_str_radix(&h, 16).ok()
                    };
                    let hi = hex(&mut chars)?;
                    let c = if (0xD800..0xDC00).contains(&hi) {
                        let s = chars.as_str();
                        let lo = s
                            .strip_prefix("\\u")
                            .and_then(|s| u32::from_str_radix(s.get(..4)?, 16).ok())
                            .filter(|lo| (0xDC00..0xE000).contains(lo));
                        match lo {
                            Some(lo) => {
                                chars = s[6..].chars();
                                char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                            }
                            None => None,
                        }
                    } else {
                        char::from_u32(hi)
                    };
                    out.push(c.unwrap_or('\u{FFFD}'));
                }
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
}

/// The CPU time the calling thread has used (`CLOCK_THREAD_CPUTIME_ID`),
/// which a shared machine's other work does not inflate the way it does
/// wall-clock time; `None` where the clock is missing.
#[cfg(unix)]
pub fn thread_cpu() -> Option<std::time::Duration> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the call's duration.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
}

#[cfg(not(unix))]
pub fn thread_cpu() -> Option<std::time::Duration> {
    None
}
