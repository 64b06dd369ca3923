//! Named table tests for the keyword detector, dictionary errors, and the
//! built-in dictionary on real text.

use std::ops::Range;

use spamsift::keywords::{Detector, DetectorBuilder, Dictionary, Hit, MatcherKind};
use spamsift::text::{Folding, fold};

/// A fold the table switches on and off.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Fold {
    Width,
    Case,
    Traditional,
    Invisible,
    Noise,
}

const FOLDS: [Fold; 5] = [
    Fold::Width,
    Fold::Case,
    Fold::Traditional,
    Fold::Invisible,
    Fold::Noise,
];

use Fold::*;

/// One named case. `haystack` marks each expected hit with `⟦…⟧`. The hits are
/// expected when every fold in `needs` is on and every fold in `needs_off` is
/// off; otherwise no hit is expected.
struct Case {
    name: &'static str,
    dictionary: &'static str,
    haystack: &'static str,
    needs: &'static [Fold],
    needs_off: &'static [Fold],
}

const fn case(
    name: &'static str,
    dictionary: &'static str,
    haystack: &'static str,
    needs: &'static [Fold],
) -> Case {
    Case {
        name,
        dictionary,
        haystack,
        needs,
        needs_off: &[],
    }
}

const GAMBLING: &str = "金博体育\tgambling";

const CASES: &[Case] = &[
    // Disguises that must be seen through.
    case("plain", GAMBLING, "省政府⟦金博体育⟧新闻办", &[]),
    case("plain-at-end", GAMBLING, "协作⟦金博体育⟧。", &[]),
    case(
        "spaces-star-dash",
        GAMBLING,
        "协作⟦金 博*体-育⟧。",
        &[Noise],
    ),
    case("middle-dots", GAMBLING, "⟦金·博·体·育⟧", &[Noise]),
    case("emoji", GAMBLING, "⟦金🎰博体育⟧", &[Noise]),
    case("cjk-comma", GAMBLING, "⟦金，博、体育⟧", &[Noise]),
    case(
        "ideographic-space",
        GAMBLING,
        "⟦金\u{3000}博体育⟧",
        &[Noise],
    ),
    case("three-noise", "金博", "⟦金 - 博⟧体", &[Noise]),
    case("full-width", "ky体育", "⟦ＫＹ体育⟧", &[Width, Case]),
    case("full-width-lower", "ky体育", "⟦ｋｙ体育⟧", &[Width]),
    case("upper-case", "ky体育", "看⟦KY体育⟧", &[Case]),
    case("traditional", GAMBLING, "⟦金博體育⟧", &[Traditional]),
    case("traditional-2", "网门", "⟦網門⟧", &[Traditional]),
    case(
        "zero-width",
        GAMBLING,
        "⟦金\u{200b}博\u{feff}体\u{ad}育⟧",
        &[Invisible],
    ),
    case("word-joiner", GAMBLING, "⟦金\u{2060}博体育⟧", &[Invisible]),
    case(
        "circled-digits",
        "pk10",
        "北京赛车⟦ＰＫ⑩⟧计划",
        &[Width, Case],
    ),
    case("parenthesized-digit", "快3", "⟦快⑶⟧计划", &[Width]),
    case(
        "all-disguises",
        GAMBLING,
        "⟦金 博*體\u{200b}-育⟧",
        &[Noise, Traditional, Invisible],
    ),
    case("bet365-after-space", "bet365", "abc ⟦bet365⟧", &[]),
    case("bet365-between-han", "bet365", "金博⟦bet365⟧体育", &[]),
    case(
        "bet365-full-width",
        "bet365",
        "上⟦ＢＥＴ３６５⟧下",
        &[Width, Case],
    ),
    case("bet365-after-star", "bet365", "abc*⟦bet365⟧", &[]),
    case("bet365-noise-glued", "bet365", "abc ⟦bet 365⟧ x", &[Noise]),
    case("two-hits", GAMBLING, "⟦金博体育⟧，⟦金博体育⟧", &[]),
    case(
        "leftmost-longest",
        "金博\n金博体育",
        "⟦金博体育⟧⟦金博⟧",
        &[],
    ),
    case("shorter-when-longest-invalid", "金1\n金", "⟦金⟧⑩", &[]),
    case(
        "allow-elsewhere",
        "金沙\n!金沙江",
        "⟦金沙⟧娱乐，金沙江畔",
        &[],
    ),
    // Near misses that must never match.
    case("sentence-ender", GAMBLING, "金博。体育", &[]),
    case("ascii-bang", GAMBLING, "金博!体育", &[]),
    case("full-width-bang", GAMBLING, "金博！体育", &[]),
    case("question", GAMBLING, "金博？体育", &[]),
    case("newline", GAMBLING, "金博\n体育", &[]),
    case("crlf", GAMBLING, "金博\r\n体育", &[]),
    case("four-noise", GAMBLING, "金 - - 博体育", &[]),
    case("four-stars", GAMBLING, "金****博体育", &[]),
    case("incomplete", GAMBLING, "金博体", &[]),
    case("other-char-between", GAMBLING, "金博大体育", &[]),
    case("bet365-in-word", "bet365", "alphabet3650", &[]),
    case("bet365-digit-after", "bet365", "bet3650", &[]),
    case("bet365-letter-before", "bet365", "xbet365", &[]),
    case("allow-list", "金沙\n!金沙江", "金沙江", &[]),
    case("allow-list-disguised", "金沙\n!金沙江", "金 沙·江", &[]),
    case("mid-expansion-start", "0体育", "⑩体育", &[]),
    case("mid-expansion-end", "金1", "金⑩", &[]),
    Case {
        name: "invisible-is-no-word-gap",
        dictionary: "bet365",
        haystack: "abc\u{200b}⟦bet365⟧",
        needs: &[],
        needs_off: &[Invisible],
    },
];

/// Splits a marked haystack into the haystack and the marked spans.
fn unmark(marked: &str) -> (String, Vec<Range<usize>>) {
    let mut hay = String::new();
    let mut spans = Vec::new();
    let mut start = 0;
    for c in marked.chars() {
        match c {
            '⟦' => start = hay.len(),
            '⟧' => spans.push(start..hay.len()),
            _ => hay.push(c),
        }
    }
    (hay, spans)
}

fn folding_of(on: &[Fold]) -> Folding {
    let mut f = Folding::none();
    f.width(on.contains(&Width))
        .case(on.contains(&Case))
        .traditional(on.contains(&Traditional))
        .invisible(on.contains(&Invisible))
        .max_noise(if on.contains(&Noise) { 3 } else { 0 });
    f
}

const PREFIXES: &[&str] = &["", "中文", "𝄞", "ＡＢ\n"];
const SUFFIXES: &[&str] = &["", "中文", "𝄞", "\nＡＢ"];
const KINDS: [MatcherKind; 4] = [
    MatcherKind::Auto,
    MatcherKind::Dfa,
    MatcherKind::ContiguousNfa,
    MatcherKind::NoncontiguousNfa,
];

#[test]
fn table() {
    let mut runs = 0;
    for case in CASES {
        let dict = Dictionary::from_str_named(case.dictionary, case.name).unwrap();
        let (hay, spans) = unmark(case.haystack);
        for mask in 0u32..32 {
            let on: Vec<Fold> = (0..5)
                .filter(|i| mask & (1 << i) != 0)
                .map(|i| FOLDS[i])
                .collect();
            let expect_hits = case.needs.iter().all(|f| on.contains(f))
                && case.needs_off.iter().all(|f| !on.contains(f));
            for kind in KINDS {
                let detector = Detector::builder()
                    .builtin(false)
                    .dictionary(dict.clone())
                    .folding(folding_of(&on))
                    .kind(kind)
                    .build()
                    .unwrap();
                for prefix in PREFIXES {
                    for suffix in SUFFIXES {
                        let shifted = format!("{prefix}{hay}{suffix}");
                        let got: Vec<Range<usize>> =
                            detector.find_iter(&shifted).map(|h| h.range()).collect();
                        let want: Vec<Range<usize>> = if expect_hits {
                            spans
                                .iter()
                                .map(|r| r.start + prefix.len()..r.end + prefix.len())
                                .collect()
                        } else {
                            Vec::new()
                        };
                        assert_eq!(
                            got, want,
                            "case {:?}: haystack {shifted:?}, dictionary {:?}, folds on {on:?}, {kind:?}",
                            case.name, case.dictionary
                        );
                        assert_eq!(detector.is_match(&shifted), !want.is_empty());
                        let folded = fold(&shifted, detector.folding());
                        let whole: Vec<_> = detector.find_iter_folded(&shifted, &folded).collect();
                        let again: Vec<Range<usize>> = whole.iter().map(|h| h.range()).collect();
                        assert_eq!(again, want, "find_iter_folded, case {:?}", case.name);
                        for h in &whole {
                            let range = h.folded_range().expect("a folded range");
                            assert_eq!(
                                &folded.as_str()[range],
                                h.keyword(),
                                "folded range, case {:?}",
                                case.name
                            );
                        }
                        runs += 1;
                    }
                }
            }
        }
    }
    assert!(runs > 10_000);
}

#[test]
fn hit_reports_keyword_category_and_folded_range() {
    let detector = Detector::builder()
        .builtin(false)
        .keyword("金 博 体 育", "gambling")
        .keyword("开云", "")
        .keyword("ky体育", "gambling")
        .build();
    // An empty category is rejected, naming the builder call.
    let err = detector.unwrap_err().to_string();
    assert!(err.contains("<builder>:2"), "{err}");

    let detector = Detector::builder()
        .builtin(false)
        .keyword("金 博 体 育", "gambling")
        .keyword("开云", "brand")
        .build()
        .unwrap();
    let hay = "看金 博*體-育和开\u{200b}云";
    let hits: Vec<_> = detector.find_iter(hay).collect();
    assert_eq!(hits.len(), 2);
    assert_eq!(&hay[hits[0].range()], "金 博*體-育");
    assert_eq!(hits[0].keyword(), "金博体育");
    assert_eq!(hits[0].category(), "gambling");
    assert_eq!(hits[0].pattern(), 0);
    assert_eq!(hits[1].keyword(), "开云");
    assert_eq!(hits[1].category(), "brand");
    assert_eq!(hits[1].pattern(), 1);
    // Only a search given the fold of the whole haystack knows where a hit
    // stands in it.
    assert!(hits.iter().all(|h| h.folded_range().is_none()));
    let folded = fold(hay, detector.folding());
    let whole: Vec<_> = detector.find_iter_folded(hay, &folded).collect();
    assert_eq!(whole.len(), 2);
    assert_eq!(
        &folded.as_str()[whole[0].folded_range().unwrap()],
        "金博体育"
    );
    assert_eq!(&folded.as_str()[whole[1].folded_range().unwrap()], "开云");
    for (w, h) in whole.iter().zip(&hits) {
        assert_eq!(w.range(), h.range());
        assert_eq!(w.pattern(), h.pattern());
    }
    assert_eq!(detector.pattern(1), Some(("开云", "brand")));
    assert_eq!(detector.pattern(2), None);
}

#[test]
fn merged_entries_keep_the_first_category() {
    let dict = Dictionary::from_str_named(
        "金博体育\tgambling\n金 博 体 育\tporn\n金博體育\tfraud\n",
        "merge.tsv",
    )
    .unwrap();
    assert_eq!(dict.len(), 3);
    let detector = Detector::builder()
        .builtin(false)
        .dictionary(dict.clone())
        .build()
        .unwrap();
    assert_eq!(detector.len(), 1);
    assert_eq!(
        detector.find_iter("金博體育").next().unwrap().category(),
        "gambling"
    );
    // With the folds off the three entries are different keywords.
    let plain = Detector::builder()
        .builtin(false)
        .dictionary(dict)
        .folding(Folding::none())
        .build()
        .unwrap();
    assert_eq!(plain.len(), 3);
}

#[test]
fn dictionary_format() {
    let text = "# comment\n\n  # indented comment\r\n金博体育\tgambling\r\n开云 \n!金沙江\n  金沙\t porn \n";
    let dict = Dictionary::from_str_named(text, "fmt.tsv").unwrap();
    let entries: Vec<_> = dict
        .entries()
        .map(|e| (e.keyword(), e.category(), e.line()))
        .collect();
    assert_eq!(
        entries,
        [
            ("金博体育", "gambling", 4),
            ("开云", "spam", 5),
            ("金沙", "porn", 7)
        ]
    );
    let allow: Vec<_> = dict
        .allow_phrases()
        .map(|e| (e.keyword(), e.line()))
        .collect();
    assert_eq!(allow, [("金沙江", 6)]);
    assert_eq!(dict.name().to_str(), Some("fmt.tsv"));
}

#[test]
fn dictionary_errors_name_path_line_and_offset() {
    let cases: &[(&str, &[u8], &str)] = &[
        (
            "invalid-utf8",
            b"ok\n\xe9\x87\x91\xff\n",
            "bad.tsv:2: invalid UTF-8 at byte offset 6",
        ),
        (
            "empty-after-folding",
            "ok\n* - ·\n".as_bytes(),
            "bad.tsv:2: keyword \"* - ·\" is empty after folding (line starts at byte offset 3)",
        ),
        (
            "category-whitespace",
            "ok\n金博\tfoo bar\n".as_bytes(),
            "bad.tsv:2: category \"foo bar\" contains whitespace (line starts at byte offset 3)",
        ),
        (
            "empty-category",
            "ok\n金博\t\n".as_bytes(),
            "bad.tsv:2: empty category after the tab (line starts at byte offset 3)",
        ),
        (
            "two-tabs",
            "ok\nok\n金博\ta\tb\n".as_bytes(),
            "bad.tsv:3: line \"金博\\ta\\tb\" has more than one tab",
        ),
        (
            "allow-with-tab",
            "!金沙江\tx\n".as_bytes(),
            "bad.tsv:1: allow-list line \"!金沙江\\tx\" has a tab",
        ),
        (
            "empty-allow",
            "金沙\n! ，\n".as_bytes(),
            "bad.tsv:2: allow-list phrase \"，\" is empty after folding (line starts at byte offset 7)",
        ),
    ];
    for &(name, bytes, want) in cases {
        let err = Dictionary::from_bytes_named(bytes, "bad.tsv")
            .expect_err(name)
            .to_string();
        assert!(
            err.starts_with(want),
            "case {name}: got {err:?}, want {want:?}"
        );
    }
}

#[test]
fn dictionary_from_path() {
    let dir = std::env::temp_dir().join(format!("spamsift-kw-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.tsv");
    std::fs::write(&good, "金博体育\tgambling\n").unwrap();
    let dict = Dictionary::from_path(&good).unwrap();
    assert_eq!(dict.len(), 1);
    let bad = dir.join("bad.tsv");
    std::fs::write(&bad, b"a\nb\n\xc3\x28\n").unwrap();
    let err = Dictionary::from_path(&bad).unwrap_err().to_string();
    assert!(
        err.contains("bad.tsv:3: invalid UTF-8 at byte offset 4"),
        "{err}"
    );
    let missing = dir.join("missing.tsv");
    let err = Dictionary::from_path(&missing).unwrap_err().to_string();
    assert!(err.contains("missing.tsv"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn build_errors() {
    let err = Detector::builder()
        .max_noise(256)
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("max_noise 256"), "{err}");
    let err = Detector::builder()
        .builtin(false)
        .keyword("金博", "gambling")
        .keyword(" * ", "gambling")
        .build()
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("<builder>:2: keyword \" * \" is empty after folding"),
        "{err}"
    );
    let err = Detector::builder()
        .builtin(false)
        .keyword("金博", "a b")
        .build()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("category \"a b\" contains whitespace"),
        "{err}"
    );
    let err = Detector::builder()
        .builtin(false)
        .allow("\u{200b}")
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("allow-list phrase"), "{err}");
    // With the folds off, a keyword of spaces is a keyword.
    let detector = Detector::builder()
        .builtin(false)
        .keyword("  x  ", "spam")
        .folding(Folding::none())
        .build()
        .unwrap();
    assert_eq!(detector.len(), 1);
}

#[test]
fn builder_builds_again() {
    let mut builder = DetectorBuilder::new();
    builder.builtin(false).keyword("金博", "gambling");
    let first = builder.build().unwrap();
    builder.keyword("开云", "gambling");
    let second = builder.build().unwrap();
    assert_eq!((first.len(), second.len()), (1, 2));
}

#[test]
fn detector_is_send_and_sync() {
    fn check<T: Send + Sync + Clone>() {}
    check::<Detector>();
    check::<DetectorBuilder>();
    check::<Dictionary>();
}

#[test]
fn builtin_dictionary_parses_and_builds() {
    let dict = Dictionary::builtin();
    assert!(!dict.is_empty());
    for entry in dict.entries() {
        assert!(!entry.category().is_empty());
    }
    for kind in KINDS {
        let detector = Detector::builder().kind(kind).build().unwrap();
        assert!(!detector.is_empty());
        assert!(detector.memory_usage() > 0);
    }
}

fn read_data(name: &str) -> Option<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read_to_string(path).ok()
}

#[test]
fn seed_page_has_exactly_seven_injections() {
    let page = read_data("000_214c2e03461503b2.txt").expect("the seed page is in tests/data");
    let want: Vec<Range<usize>> = page
        .match_indices("金博体育")
        .map(|(i, s)| i..i + s.len())
        .collect();
    assert_eq!(want.len(), 7);
    for kind in KINDS {
        let detector = Detector::builder().kind(kind).build().unwrap();
        let hits: Vec<_> = detector.find_iter(&page).collect();
        let got: Vec<Range<usize>> = hits.iter().map(|h| h.range()).collect();
        assert_eq!(got, want, "{kind:?}: {hits:?}");
        assert!(hits.iter().all(|h| h.keyword() == "金博体育"));
        assert!(hits.iter().all(|h| h.category() == "gambling"));
    }
}

#[test]
fn builtin_is_silent_on_clean_news() {
    let detector = Detector::new().unwrap();
    let mut checked = 0;
    for name in ["seed_clean.txt", "news_1998.txt"] {
        // These land with the data work; until then there is nothing to check.
        let Some(text) = read_data(name) else {
            continue;
        };
        let hits: Vec<_> = detector
            .find_iter(&text)
            .map(|h| (h.start(), &text[h.range()], h.keyword()))
            .collect();
        assert!(hits.is_empty(), "{name}: {hits:?}");
        checked += 1;
    }
    // The seed page with its injections removed, made here, is always checked.
    let page = read_data("000_214c2e03461503b2.txt").unwrap();
    let clean = page.replace("金博体育", "");
    assert_eq!(detector.find_iter(&clean).count(), 0);
    let _ = checked;
}

/// Inputs built to make a careless resume quadratic: each must finish fast.
#[test]
fn adversarial_inputs_are_linear() {
    let detector = Detector::builder()
        .builtin(false)
        .keyword("aaab", "spam")
        .keyword("a", "spam")
        .keyword("ab", "spam")
        .keyword("bet365", "spam")
        .keyword("金博体育", "spam")
        .allow("aaaaaaaaab")
        .build()
        .unwrap();
    let n = 200_000;
    let inputs = [
        "a".repeat(n),
        "ab".repeat(n / 2),
        "aaa".repeat(n / 3) + "b",
        "bet36".repeat(n / 5),
        "金博体".repeat(n / 3),
        "a\u{200b}".repeat(n / 2),
        format!("x{}bet365", "\u{200b}".repeat(n)),
        "金 博 体 ".repeat(n / 8),
        "⑩".repeat(n),
    ];
    for hay in &inputs {
        let start = std::time::Instant::now();
        let count = detector.find_iter(hay).count();
        let elapsed = start.elapsed();
        assert!(
            elapsed.as_secs() < 10,
            "{count} hits in {elapsed:?} on a {}-byte input",
            hay.len()
        );
    }
}

/// A hit without its folded range: what `find_iter` and `find_iter_folded`
/// must agree on.
fn parts<'d>(h: &Hit<'d>) -> (Range<usize>, usize, &'d str, &'d str) {
    (h.range(), h.pattern(), h.keyword(), h.category())
}

/// Across windows without a hit (a candidate alone, a keyword spoiled by a
/// long noise run), noise runs short and long, invisible characters, width
/// and traditional folds between them, the windows of `find_iter` find the
/// hits of `find_iter_folded` over the whole fold, with a fresh buffer and
/// with a reused one; only the latter gives folded ranges, each the
/// keyword's place in the whole fold.
#[test]
fn windows_find_the_whole_fold_hits_across_windows_without_hits() {
    let detector = Detector::builder()
        .builtin(false)
        .keyword("金博体育", "gambling")
        .keyword("kaiyun", "gambling")
        .build()
        .unwrap();
    let filler = "省政府新闻办召开发布会，介绍全年经济运行情况。";
    let spacers = [
        "",
        "\u{200b}",
        " * ",
        "    ",
        "，、",
        "ＡＢＣ⑩",
        "體網運門",
        "abc ",
        "\n",
    ];
    let stops = ["金", "金    博體育", "k", "ＫＡＩ", "金博体", "kaiyunx"];
    let hits_text = ["金 博*體-育", "ＫａｉＹｕｎ", "金博体育", "kai yun"];
    let mut buf = fold("stale ＡＢ 金", &Folding::default());
    for round in 0..64usize {
        let mut hay = String::new();
        for i in 0..24 {
            let k = round * 31 + i * 7;
            for _ in 0..(k % 5) {
                hay.push_str(filler);
            }
            hay.push_str(spacers[k % spacers.len()]);
            if (k / 3) % 4 == 0 {
                hay.push_str(hits_text[k % hits_text.len()]);
            } else {
                hay.push_str(stops[k % stops.len()]);
            }
            hay.push_str(spacers[(k / 2) % spacers.len()]);
        }
        let folded = fold(&hay, detector.folding());
        let whole: Vec<_> = detector.find_iter_folded(&hay, &folded).collect();
        assert!(!whole.is_empty(), "{hay:?}");
        for h in &whole {
            let range = h
                .folded_range()
                .expect("find_iter_folded gives folded ranges");
            assert_eq!(&folded.as_str()[range.clone()], h.keyword(), "{hay:?}");
            assert_eq!(folded.original_range(&hay, range), h.range(), "{hay:?}");
        }
        let want: Vec<_> = whole.iter().map(parts).collect();
        let got: Vec<_> = detector.find_iter(&hay).collect();
        assert!(got.iter().all(|h| h.folded_range().is_none()), "{hay:?}");
        assert_eq!(got.iter().map(parts).collect::<Vec<_>>(), want, "{hay:?}");
        let again: Vec<_> = detector.find_iter_with(&hay, &mut buf).collect();
        assert!(again.iter().all(|h| h.folded_range().is_none()), "{hay:?}");
        assert_eq!(again.iter().map(parts).collect::<Vec<_>>(), want, "{hay:?}");
    }
}
