//! A naive oracle for the keyword detector, written independently of the
//! library's folding, and properties that the detector equals it.
//!
//! The oracle folds the haystack one character at a time into a list of
//! `(folded char, original byte range)`, with its own noise-run logic and its
//! own small tables for the characters the generators use, then tries every
//! keyword at every position, applies the validity rules and picks hits
//! greedily, leftmost-longest.

use std::ops::Range;

use proptest::prelude::*;
use spamsift::keywords::{Detector, Hit, MatcherKind};
use spamsift::text::{Folded, Folding, fold};

#[derive(Clone, Copy, Debug)]
struct Config {
    width: bool,
    case: bool,
    traditional: bool,
    invisible: bool,
    max_noise: usize,
}

impl Config {
    fn folding(&self) -> Folding {
        let mut f = Folding::none();
        f.width(self.width)
            .case(self.case)
            .traditional(self.traditional)
            .invisible(self.invisible)
            .max_noise(self.max_noise);
        f
    }
}

#[derive(PartialEq)]
enum Kind {
    Invisible,
    Noise,
    Other,
}

/// The classes of the characters the generators use (and of ASCII).
fn kind(c: char) -> Kind {
    match c {
        '\u{200b}' | '\u{200d}' | '\u{feff}' | '\u{ad}' | '\u{2060}' | '\u{fe0f}' => {
            Kind::Invisible
        }
        ' ' | '\t' | '*' | '-' | '·' | '🎰' | '，' | '、' | '\u{3000}' | '＊' | '（' | '）'
        | '.' | ',' | '_' | '★' => Kind::Noise,
        _ => Kind::Other,
    }
}

/// The width fold for the characters the generators use: `None` when the
/// character has no ASCII form.
fn width(c: char) -> Option<String> {
    let u = c as u32;
    match u {
        0xFF01..=0xFF5E => Some(char::from_u32(u - 0xFEE0).unwrap().to_string()),
        0x3000 => Some(" ".to_string()),
        0x2460..=0x2473 => Some((u - 0x2460 + 1).to_string()),
        0x2474..=0x2487 => Some((u - 0x2474 + 1).to_string()),
        _ => None,
    }
}

fn traditional(c: char) -> char {
    match c {
        '體' => '体',
        '網' => '网',
        '運' => '运',
        '門' => '门',
        _ => c,
    }
}

/// The fold of one character that is kept.
fn fold_char(c: char, cfg: &Config) -> Vec<char> {
    let mut out: Vec<char> = match (cfg.width, width(c)) {
        (true, Some(s)) => s.chars().collect(),
        _ => vec![if cfg.traditional { traditional(c) } else { c }],
    };
    if cfg.case {
        for o in &mut out {
            *o = o.to_ascii_lowercase();
        }
    }
    out
}

/// Folds `text`: a list of folded characters with the original byte range of
/// the character each came from. `max_noise` is the longest run of noise
/// removed (`usize::MAX` for keywords).
fn oracle_fold(text: &str, cfg: &Config, max_noise: usize) -> Vec<(char, Range<usize>)> {
    let mut out = Vec::new();
    let mut run: Vec<(usize, char)> = Vec::new();
    let flush = |run: &mut Vec<(usize, char)>, out: &mut Vec<(char, Range<usize>)>| {
        // A long run is kept exactly as it was.
        if run.len() > max_noise {
            for &(i, c) in run.iter() {
                out.push((c, i..i + c.len_utf8()));
            }
        }
        run.clear();
    };
    for (i, c) in text.char_indices() {
        let k = kind(c);
        if k == Kind::Invisible && cfg.invisible {
            continue;
        }
        if k == Kind::Noise && max_noise > 0 {
            run.push((i, c));
            continue;
        }
        flush(&mut run, &mut out);
        for f in fold_char(c, cfg) {
            out.push((f, i..i + c.len_utf8()));
        }
    }
    flush(&mut run, &mut out);
    out
}

fn fold_keyword(keyword: &str, cfg: &Config) -> Vec<char> {
    let limit = if cfg.max_noise > 0 { usize::MAX } else { 0 };
    oracle_fold(keyword, cfg, limit)
        .into_iter()
        .map(|(c, _)| c)
        .collect()
}

#[derive(Debug, PartialEq)]
struct OracleHit {
    range: Range<usize>,
    keyword: String,
    category: String,
}

fn oracle(
    haystack: &str,
    keywords: &[(String, String)],
    allow: &[String],
    cfg: &Config,
) -> Vec<OracleHit> {
    let folded = oracle_fold(haystack, cfg, cfg.max_noise);
    let mut dict: Vec<(Vec<char>, String)> = Vec::new();
    for (k, cat) in keywords {
        let f = fold_keyword(k, cfg);
        if !dict.iter().any(|(d, _)| *d == f) {
            dict.push((f, cat.clone()));
        }
    }
    let allow: Vec<Vec<char>> = allow.iter().map(|a| fold_keyword(a, cfg)).collect();
    let chars_at = |i: usize, k: &[char]| {
        i + k.len() <= folded.len()
            && folded[i..i + k.len()]
                .iter()
                .map(|x| x.0)
                .eq(k.iter().copied())
    };
    let alnum = |i: usize| folded[i].0.is_ascii_alphanumeric();
    let noise_between = |a: usize, b: usize| {
        haystack[folded[a].1.end.min(folded[b].1.start)..folded[b].1.start]
            .chars()
            .any(|c| kind(c) == Kind::Noise)
    };
    let valid = |i: usize, j: usize| {
        if i > 0 && folded[i].1 == folded[i - 1].1 {
            return false;
        }
        if j < folded.len() && folded[j].1 == folded[j - 1].1 {
            return false;
        }
        if alnum(i) && i > 0 && alnum(i - 1) && !noise_between(i - 1, i) {
            return false;
        }
        if alnum(j - 1) && j < folded.len() && alnum(j) && !noise_between(j - 1, j) {
            return false;
        }
        let inside = allow
            .iter()
            .any(|a| (0..=i).any(|t| t + a.len() >= j && chars_at(t, a)));
        !inside
    };
    let mut hits = Vec::new();
    let mut i = 0;
    while i < folded.len() {
        let best = dict
            .iter()
            .filter(|(k, _)| chars_at(i, k) && valid(i, i + k.len()))
            .max_by_key(|(k, _)| k.len());
        match best {
            Some((k, cat)) => {
                let j = i + k.len();
                hits.push(OracleHit {
                    range: folded[i].1.start..folded[j - 1].1.end,
                    keyword: k.iter().collect(),
                    category: cat.clone(),
                });
                i = j;
            }
            None => i += 1,
        }
    }
    hits
}

/// Characters for keywords: Han (simplified and traditional), ASCII letters
/// and digits, full-width and enclosed forms, and now and then noise or an
/// invisible character.
const KEYWORD_CHARS: &[char] = &[
    '金', '博', '体', '育', '沙', '江', '开', '云', '门', '體', '門', 'a', 'b', 'B', '3', '6', '5',
    '1', '0', 'ｂ', 'Ｂ', '３', '①', '⑩', '⑴', ' ', '*', '\u{200b}',
];

/// Characters for haystacks: the keyword characters plus more noise, sentence
/// enders, line breaks and invisible characters.
const HAY_CHARS: &[char] = &[
    '金', '博', '体', '育', '沙', '江', '开', '云', '门', '體', '門', '網', '中', 'a', 'b', 'B',
    'x', '3', '6', '5', '1', '0', 'ｂ', 'Ｂ', '３', 'Ａ', '①', '⑩', '⑴', ' ', ' ', '*', '-', '·',
    '🎰', '，', '、', '\u{3000}', '＊', '。', '！', '!', '?', '\n', '\u{200b}', '\u{feff}',
    '\u{ad}', '\u{2060}', '\u{fe0f}', '𝄞',
];

fn keyword_strategy() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(KEYWORD_CHARS), 1..5)
        .prop_map(|cs| cs.into_iter().collect())
}

#[derive(Clone, Debug)]
enum Piece {
    Char(char),
    Keyword(prop::sample::Index, Vec<(usize, char)>),
}

fn piece_strategy() -> impl Strategy<Value = Piece> {
    prop_oneof![
        3 => prop::sample::select(HAY_CHARS).prop_map(Piece::Char),
        1 => (
            any::<prop::sample::Index>(),
            prop::collection::vec((0usize..6, prop::sample::select(HAY_CHARS)), 0..3)
        )
            .prop_map(|(i, d)| Piece::Keyword(i, d)),
    ]
}

/// Builds a haystack from pieces: single characters and keywords with
/// characters spliced into them (disguises, or near misses).
fn haystack(pieces: &[Piece], keywords: &[(String, String)]) -> String {
    let mut out = String::new();
    for piece in pieces {
        match piece {
            Piece::Char(c) => out.push(*c),
            Piece::Keyword(i, splices) => {
                let k: Vec<char> = keywords[i.index(keywords.len())].0.chars().collect();
                let mut chars = k.clone();
                for &(at, c) in splices {
                    chars.insert(at.min(chars.len()), c);
                }
                out.extend(chars);
            }
        }
    }
    out
}

/// Characters that no keyword starts with (nor, folded, contains): the
/// filler between sparse keywords. Noise, invisible characters, sentence
/// enders and ASCII letters among them test the margins of the windows.
const FILLER: &[char] = &[
    '省', '政', '府', '新', '闻', '发', '布', '会', '這', '個', 'z', 'y', 'Z', 'ｚ', '7', '⑦', ' ',
    '，', '、', '*', '-', '🎰', '\u{200b}', '\u{feff}', '。', '！', '\n', '𝄞',
];

/// Mostly filler, now and then a keyword (maybe disguised) or a character of
/// the keyword alphabet.
fn sparse_piece_strategy() -> impl Strategy<Value = Piece> {
    prop_oneof![
        30 => prop::sample::select(FILLER).prop_map(Piece::Char),
        1 => prop::sample::select(HAY_CHARS).prop_map(Piece::Char),
        1 => (
            any::<prop::sample::Index>(),
            prop::collection::vec((0usize..6, prop::sample::select(HAY_CHARS)), 0..2)
        )
            .prop_map(|(i, d)| Piece::Keyword(i, d)),
    ]
}

/// A hit without its folded range: what every search must agree on.
fn parts<'d>(h: &Hit<'d>) -> (Range<usize>, usize, &'d str, &'d str) {
    (h.range(), h.pattern(), h.keyword(), h.category())
}

/// `find_iter` and `find_iter_with` (which fold windows of the haystack)
/// report the same hits (spans, keywords, categories, pattern ids) as
/// `find_iter_folded` over the fold of the whole haystack, and no folded
/// ranges; `find_iter_folded` gives each hit the range in the whole fold
/// that holds its keyword and maps back to its span.
fn check_windows(
    keywords: &[(String, String)],
    allow: &[String],
    pieces: &[Piece],
    cfg: &Config,
) -> Result<(), TestCaseError> {
    let keywords: Vec<(String, String)> = keywords
        .iter()
        .filter(|(k, _)| !fold_keyword(k, cfg).is_empty())
        .cloned()
        .collect();
    if keywords.is_empty() {
        return Ok(());
    }
    let hay = haystack(pieces, &keywords);
    let mut builder = Detector::builder();
    builder.builtin(false).folding(cfg.folding());
    for (k, c) in &keywords {
        builder.keyword(k, c);
    }
    for a in allow.iter().filter(|a| !fold_keyword(a, cfg).is_empty()) {
        builder.allow(a);
    }
    let detector = builder
        .build()
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let folded = fold(&hay, &cfg.folding());
    let whole: Vec<_> = detector.find_iter_folded(&hay, &folded).collect();
    for h in &whole {
        let range = h.folded_range();
        prop_assert!(range.is_some(), "no folded range, haystack {:?}", hay);
        let range = range.unwrap_or_default();
        prop_assert_eq!(
            &folded.as_str()[range.clone()],
            h.keyword(),
            "haystack {:?}",
            hay
        );
        prop_assert_eq!(
            folded.original_range(&hay, range),
            h.range(),
            "haystack {:?}",
            hay
        );
    }
    let want: Vec<_> = whole.iter().map(parts).collect();
    let got: Vec<_> = detector.find_iter(&hay).collect();
    prop_assert!(got.iter().all(|h| h.folded_range().is_none()));
    prop_assert_eq!(
        got.iter().map(parts).collect::<Vec<_>>(),
        want.clone(),
        "haystack {:?}, keywords {:?}, {:?}",
        hay,
        keywords,
        cfg
    );
    let mut buf = fold("ＡＢ金 博 stale", &Folding::default());
    let again: Vec<_> = detector.find_iter_with(&hay, &mut buf).collect();
    prop_assert!(again.iter().all(|h| h.folded_range().is_none()));
    prop_assert_eq!(
        again.iter().map(parts).collect::<Vec<_>>(),
        want,
        "find_iter_with, haystack {:?}",
        hay
    );
    // The fold that notes where keywords start gives the same fold and
    // the same hits, folded ranges included, into a buffer last filled by
    // another detector's; a fold noted for another detector is read as a
    // plain one.
    let mut noted = Folded::default();
    Detector::new()
        .map_err(|e| TestCaseError::fail(e.to_string()))?
        .fold_into("金博體育 stale", &mut noted);
    detector.fold_into(&hay, &mut noted);
    prop_assert_eq!(noted.as_str(), folded.as_str(), "haystack {:?}", hay);
    let skipped: Vec<_> = detector.find_iter_folded(&hay, &noted).collect();
    prop_assert_eq!(&skipped, &whole, "fold_into, haystack {:?}", hay);
    let other = Detector::builder()
        .builtin(false)
        .folding(cfg.folding())
        .keyword("金博体育", "gambling")
        .build()
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut theirs = Folded::default();
    other.fold_into(&hay, &mut theirs);
    let crossed: Vec<_> = detector.find_iter_folded(&hay, &theirs).collect();
    prop_assert_eq!(&crossed, &whole, "another's fold_into, haystack {:?}", hay);
    Ok(())
}

fn config_strategy() -> impl Strategy<Value = Config> {
    (any::<[bool; 4]>(), 0usize..5).prop_map(|(b, n)| Config {
        width: b[0],
        case: b[1],
        traditional: b[2],
        invisible: b[3],
        max_noise: n,
    })
}

const KINDS: [MatcherKind; 4] = [
    MatcherKind::Auto,
    MatcherKind::Dfa,
    MatcherKind::ContiguousNfa,
    MatcherKind::NoncontiguousNfa,
];

fn check(
    keywords: &[(String, String)],
    allow: &[String],
    pieces: &[Piece],
    cfg: &Config,
    kind: MatcherKind,
) -> Result<(), TestCaseError> {
    // Entries the oracle folds to nothing are left out: the detector would
    // (rightly) refuse them.
    let keywords: Vec<(String, String)> = keywords
        .iter()
        .filter(|(k, _)| !fold_keyword(k, cfg).is_empty())
        .cloned()
        .collect();
    let allow: Vec<String> = allow
        .iter()
        .filter(|a| !fold_keyword(a, cfg).is_empty())
        .cloned()
        .collect();
    if keywords.is_empty() {
        return Ok(());
    }
    let hay = haystack(pieces, &keywords);
    let mut builder = Detector::builder();
    builder.builtin(false).folding(cfg.folding()).kind(kind);
    for (k, c) in &keywords {
        builder.keyword(k, c);
    }
    for a in &allow {
        builder.allow(a);
    }
    let detector = builder
        .build()
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let got: Vec<OracleHit> = detector
        .find_iter(&hay)
        .map(|h| OracleHit {
            range: h.range(),
            keyword: h.keyword().to_string(),
            category: h.category().to_string(),
        })
        .collect();
    let want = oracle(&hay, &keywords, &allow, cfg);
    prop_assert_eq!(
        &got,
        &want,
        "haystack {:?}, keywords {:?}, allow {:?}, {:?}, {:?}",
        hay,
        keywords,
        allow,
        cfg,
        kind
    );
    // Every span slices back to text that folds to its keyword.
    for h in &got {
        let text: String = fold_keyword(&hay[h.range.clone()], cfg)
            .into_iter()
            .collect();
        prop_assert_eq!(
            &text,
            &h.keyword,
            "span {:?} of {:?}",
            h.range.clone(),
            hay.clone()
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn detector_equals_oracle(
        keywords in prop::collection::vec((keyword_strategy(), prop::sample::select(&["gambling", "porn", "spam"][..])), 1..6),
        allow in prop::collection::vec(keyword_strategy(), 0..2),
        pieces in prop::collection::vec(piece_strategy(), 0..30),
        cfg in config_strategy(),
    ) {
        let keywords: Vec<(String, String)> = keywords.into_iter().map(|(k, c)| (k, c.to_string())).collect();
        for kind in KINDS {
            check(&keywords, &allow, &pieces, &cfg, kind)?;
        }
    }

    #[test]
    fn detector_equals_oracle_all_folds(
        keywords in prop::collection::vec((keyword_strategy(), prop::sample::select(&["gambling", "spam"][..])), 1..8),
        allow in prop::collection::vec(keyword_strategy(), 0..2),
        pieces in prop::collection::vec(piece_strategy(), 0..40),
    ) {
        let cfg = Config { width: true, case: true, traditional: true, invisible: true, max_noise: 3 };
        let keywords: Vec<(String, String)> = keywords.into_iter().map(|(k, c)| (k, c.to_string())).collect();
        for kind in KINDS {
            check(&keywords, &allow, &pieces, &cfg, kind)?;
        }
    }

    /// Long haystacks, so that the detector's skipping gives way to the
    /// unanchored search part way through.
    #[test]
    fn detector_equals_oracle_long(
        keywords in prop::collection::vec((keyword_strategy(), prop::sample::select(&["gambling", "spam"][..])), 1..8),
        allow in prop::collection::vec(keyword_strategy(), 0..2),
        pieces in prop::collection::vec(piece_strategy(), 100..300),
        cfg in config_strategy(),
    ) {
        let keywords: Vec<(String, String)> = keywords.into_iter().map(|(k, c)| (k, c.to_string())).collect();
        check(&keywords, &allow, &pieces, &cfg, MatcherKind::Auto)?;
    }

    /// The library's fold equals the oracle's, character by character, with
    /// the same map back to the original.
    #[test]
    fn fold_equals_oracle(
        pieces in prop::collection::vec(prop::sample::select(HAY_CHARS), 0..80),
        cfg in config_strategy(),
    ) {
        let hay: String = pieces.into_iter().collect();
        let want = oracle_fold(&hay, &cfg, cfg.max_noise);
        let got = fold(&hay, &cfg.folding());
        let want_text: String = want.iter().map(|x| x.0).collect();
        prop_assert_eq!(got.as_str(), want_text.as_str(), "haystack {:?} {:?}", hay.clone(), cfg);
        for ((i, _), (_, range)) in got.as_str().char_indices().zip(&want) {
            prop_assert_eq!(got.original_offset(i), range.start, "haystack {:?} {:?}", hay.clone(), cfg);
        }
    }

    /// Sparse keywords in long stretches of text that cannot start one, so
    /// that the detector folds separate windows of the haystack: their
    /// margins and merges against the oracle and against a search of the
    /// whole folded haystack, and that search's folded ranges.
    #[test]
    fn windows_equal_oracle_and_whole_fold(
        keywords in prop::collection::vec((keyword_strategy(), prop::sample::select(&["gambling", "spam"][..])), 1..6),
        allow in prop::collection::vec(keyword_strategy(), 0..2),
        pieces in prop::collection::vec(sparse_piece_strategy(), 0..200),
        cfg in config_strategy(),
    ) {
        let keywords: Vec<(String, String)> = keywords.into_iter().map(|(k, c)| (k, c.to_string())).collect();
        check(&keywords, &allow, &pieces, &cfg, MatcherKind::Auto)?;
        check_windows(&keywords, &allow, &pieces, &cfg)?;
    }

    /// The same with every fold on and a buffer reused across haystacks.
    #[test]
    fn windows_equal_whole_fold_all_folds(
        keywords in prop::collection::vec(keyword_strategy(), 1..6),
        allow in prop::collection::vec(keyword_strategy(), 0..2),
        pages in prop::collection::vec(prop::collection::vec(sparse_piece_strategy(), 0..150), 1..4),
    ) {
        let cfg = Config { width: true, case: true, traditional: true, invisible: true, max_noise: 3 };
        let keywords: Vec<(String, String)> = keywords.into_iter().map(|k| (k, "spam".to_string())).collect();
        for pieces in &pages {
            check(&keywords, &allow, pieces, &cfg, MatcherKind::Dfa)?;
            check_windows(&keywords, &allow, pieces, &cfg)?;
        }
    }

    #[test]
    fn any_haystack_is_safe(hay in "\\PC*", cfg in config_strategy()) {
        let detector = Detector::builder()
            .folding(cfg.folding())
            .keyword("bet365", "gambling")
            .keyword("a", "spam")
            .allow("abc")
            .build()
            .unwrap();
        for h in detector.find_iter(&hay) {
            prop_assert!(hay.is_char_boundary(h.start()) && hay.is_char_boundary(h.end()));
            prop_assert!(h.start() < h.end());
        }
    }
}

/// The oracle's tables agree with the library's folding on every character
/// the generators use, so a disagreement in the properties is about matching,
/// not about a character table.
#[test]
fn oracle_tables_agree_with_fold() {
    let all = Config {
        width: true,
        case: true,
        traditional: true,
        invisible: true,
        max_noise: 3,
    };
    let mut chars: Vec<char> = HAY_CHARS.to_vec();
    chars.extend_from_slice(KEYWORD_CHARS);
    for &c in &chars {
        for cfg in [
            all,
            Config {
                max_noise: 0,
                ..all
            },
        ] {
            let s = format!("x{c}y");
            let want: String = oracle_fold(&s, &cfg, cfg.max_noise)
                .into_iter()
                .map(|(f, _)| f)
                .collect();
            assert_eq!(
                fold(&s, &cfg.folding()).as_str(),
                want,
                "char {c:?} {cfg:?}"
            );
        }
    }
}
