//! The near-duplicate finder and fingerprinter: the seed page, folding
//! invariance, masking, the short-paragraph path, golden values.

use spamsift::neardup::{Finder, Fingerprinter, Representative};
use spamsift::text::{Folding, ParagraphMode, fold, paragraphs};
use unicode_segmentation::UnicodeSegmentation;

const SEED: &str = include_str!("data/000_214c2e03461503b2.txt");

fn masks(text: &str, keyword: &str) -> Vec<std::ops::Range<usize>> {
    text.match_indices(keyword)
        .map(|(i, s)| i..i + s.len())
        .collect()
}

fn cluster_sets(finder: &Finder) -> Vec<Vec<usize>> {
    finder
        .clusters()
        .iter()
        .map(|c| c.members.iter().map(|m| m.paragraph).collect())
        .collect()
}

#[test]
fn seed_page_clusters() {
    let mut finder = Finder::new();
    let out = finder.add_document(1, SEED, &masks(SEED, "金博体育"));
    assert_eq!(out.len(), 17);
    // Line 9 is the headline, line 2 and the title run together: two thirds
    // of its shingles are line 2's, as many as a copy with a cut-off end
    // keeps, so it joins {2, 10} (see the `neardup` module docs).
    let mut want: Vec<Vec<usize>> = (2..=8).map(|i| vec![i, i + 8]).collect();
    want[0] = vec![2, 9, 10];
    assert_eq!(cluster_sets(&finder), want);
    for o in &out {
        let i = o.paragraph.paragraph;
        let expect = (9..=16)
            .contains(&i)
            .then(|| if i == 9 { 2 } else { i - 8 });
        assert_eq!(
            o.duplicate_of.as_ref().map(|l| l.paragraph),
            expect,
            "{o:?}"
        );
    }
    // Spans point at the trimmed original text.
    assert!(SEED[out[10].paragraph.span.clone()].starts_with("5月8日"));
}

#[test]
fn seed_page_folded_path_equals_original_path() {
    let mut a = Finder::new();
    let ra = a.add_document(1, SEED, &masks(SEED, "金博体育"));
    let folded = fold(SEED, &Folding::default());
    let fm = masks(folded.as_str(), "金博体育");
    let mut b = Finder::new();
    let rb = b.add_folded(1, SEED, &folded, &fm);
    assert_eq!(ra, rb);
    assert_eq!(a.clusters(), b.clusters());
}

#[test]
fn seed_page_unmasked_still_clusters_the_body() {
    // Without masks the spliced keyword is an edit like any other.
    let mut finder = Finder::new();
    finder.add_document(1, SEED, &[]);
    let sets = cluster_sets(&finder);
    for i in 2..=8 {
        assert!(
            sets.iter().any(|s| s.contains(&i) && s.contains(&(i + 8))),
            "{i}: {sets:?}"
        );
    }
}

#[test]
fn folding_invariance() {
    let fp = Fingerprinter::new();
    let base =
        "成都平原经济区正加快打造高能级产业空间载体，1490家企业开展跨市域产业协作。Good News 2023!";
    let variants = [
        // Full width, upper case.
        "成都平原经济区正加快打造高能级产业空间载体，１４９０家企业开展跨市域产业协作。ＧＯＯＤ ＮＥＷＳ ２０２３！",
        // Traditional characters.
        "成都平原經濟區正加快打造高能級產業空間載體，1490家企業開展跨市域產業協作。Good News 2023!",
        // Invisible characters.
        "成都\u{200b}平原经济区正加快\u{feff}打造高能级产业空间载体，1490家企业开展跨\u{200d}市域产业协作。Go\u{200b}od News 2023!",
        // Spacing and punctuation.
        "成都 平原经济区 正加快打造高能级产业空间载体, 1490 家企业开展跨市域产业协作.  Good  News 2023 !",
        "\u{3000}\u{3000}成都平原经济区正加快打造高能级产业空间载体，1490家企业开展跨市域产业协作。Good News 2023!\u{3000}",
    ];
    let want = fp.fingerprint(base);
    for v in variants {
        assert_eq!(fp.fingerprint(v), want, "{v:?}");
        assert_eq!(fp.analyze(v, &[]), fp.analyze(base, &[]), "{v:?}");
    }
    // Words stay words: merging two words is a change.
    assert_ne!(
        fp.fingerprint("Good News everyone here"),
        fp.fingerprint("GoodNews everyone here")
    );
}

#[test]
fn masking_cuts_the_keyword_out() {
    let fp = Fingerprinter::new();
    let clean = "1490家企业开展跨市域产业协作。成都软件和信息服务入选国家先进制造业集群。";
    let spam = "1490家企业开展跨市域产业协作金博体育。成都软件和信息服务入选国家先进制造业集群。";
    assert_ne!(fp.fingerprint(clean), fp.fingerprint(spam));
    assert_eq!(
        fp.fingerprint_masked(spam, &masks(spam, "金博体育")),
        fp.fingerprint(clean)
    );
    assert_eq!(
        fp.analyze(spam, &masks(spam, "金博体育")),
        fp.analyze(clean, &[])
    );
    // A disguised keyword, masked by its original span.
    let disguised =
        "1490家企业开展跨市域产业协作金 博*體-育。成都软件和信息服务入选国家先进制造业集群。";
    assert_eq!(
        fp.fingerprint_masked(disguised, &masks(disguised, "金 博*體-育")),
        fp.fingerprint(clean)
    );
    // Unsorted, overlapping and out-of-bounds masks are fine.
    let m = masks(spam, "金博体育")[0].clone();
    let messy = [
        m.start + 3..m.end,
        m.clone(),
        m.start..m.start + 3,
        10_000..20_000,
    ];
    assert_eq!(fp.fingerprint_masked(spam, &messy), fp.fingerprint(clean));
}

#[test]
fn short_paragraphs_match_exactly() {
    let mut finder = Finder::new();
    let doc = "图片来源：网络\n正文很长的第一段文字在这里，讲述了一件事情的来龙去脉。\n图片来源: 网络\n图片来源：新华社\n——\n——\n";
    let out = finder.add_document(3, doc, &[]);
    // Lines 0 and 2 are the same short caption; line 3 differs by one word;
    // lines 4 and 5 have no units at all and never match.
    assert_eq!(out[2].duplicate_of.as_ref().map(|l| l.paragraph), Some(0));
    assert_eq!(out[3].duplicate_of, None);
    assert_eq!(out[5].duplicate_of, None);
    assert_eq!(cluster_sets(&finder), vec![vec![0, 2]]);
    let a = finder.fingerprinter().analyze("图片来源：网络", &[]);
    assert!(a.units() < finder.fingerprinter().min_units());
    assert!(a.sketch().is_empty());
    // The exact hash is the sum of the shingle hashes with the number of
    // units: texts of the same shingles (Jaccard 1) share it, others not.
    let fp = finder.fingerprinter();
    let exact = |t: &str| fp.analyze(t, &[]).exact();
    assert_eq!(fp.jaccard("甲乙丙甲乙", "乙丙甲乙丙"), 1.0);
    assert_eq!(exact("甲乙丙甲乙"), exact("乙丙甲乙丙"));
    assert_ne!(exact("甲乙丙甲乙"), exact("甲乙丙甲乙丙"));
    assert_ne!(exact("图片来源网络"), exact("网络来源图片"));
}

#[test]
fn across_documents_and_representatives() {
    let para = "成都平原经济区如何激荡率先发展的澎湃动能？作为全省产业基础最好的区域。";
    let longer = format!("{para}（记者 雷倢 吴亚飞）");
    for (policy, rep) in [(Representative::FirstSeen, 0), (Representative::Longest, 1)] {
        let mut finder = Finder::builder().representative(policy).build().unwrap();
        finder.add_document(10, para, &[]);
        let out = finder.add_document(20, &longer, &[]);
        let dup = out[0].duplicate_of.as_ref().expect("a duplicate");
        assert_eq!((dup.doc, dup.paragraph), (10, 0));
        let clusters = finder.clusters();
        assert_eq!(clusters.len(), 1);
        assert_eq!(clusters[0].id, 0);
        assert_eq!(clusters[0].representative, rep, "{policy:?}");
    }
}

#[test]
fn blocks_mode() {
    let doc = "成都平原经济区如何激荡\n率先发展的澎湃动能？\n\n别的内容完全不一样的一段话在这里出现。\n\n成都平原经济区如何激荡率先发展的澎湃动能？\n";
    let mut finder = Finder::builder()
        .paragraph_mode(ParagraphMode::Blocks)
        .build()
        .unwrap();
    let out = finder.add_document(1, doc, &[]);
    assert_eq!(out.len(), 3);
    assert_eq!(out[2].duplicate_of.as_ref().map(|l| l.paragraph), Some(0));
    assert_eq!(paragraphs(doc, ParagraphMode::Blocks).count(), 3);
}

#[test]
fn words_agree_with_unicode_segmentation() {
    // With n = 1 every shingle is one unit.
    let fp = Fingerprinter::builder()
        .shingle_len(1)
        .min_units(1)
        .build()
        .unwrap();
    for text in [
        "The quick brown fox, jumps over the lazy dog!",
        "Résumé of naïve café owners in 2023 and 1990s",
        "Привет мир, это тест",
        "x1 y22 z333 -- 44",
    ] {
        let ours = fp.shingle_strings(text);
        let theirs: Vec<String> = text
            .unicode_words()
            .map(|w| w.to_ascii_lowercase())
            .collect();
        assert_eq!(ours, theirs, "{text:?}");
    }
}

#[test]
fn golden_fingerprints() {
    // These values are part of the format: stored fingerprints must keep
    // matching. Change them only with a new major version.
    let fp = Fingerprinter::new();
    let golden: &[(&str, u64)] = &[
        ("", 0),
        ("成都平原经济区如何激荡率先发展的澎湃动能？", GOLDEN[0]),
        ("The cat sat on the mat", GOLDEN[1]),
        (
            "市域铁路S3、S5、S11线加快建设，成都铁路枢纽环线开通公交化运营。",
            GOLDEN[2],
        ),
        ("短", GOLDEN[3]),
    ];
    for &(text, want) in golden {
        assert_eq!(
            fp.fingerprint(text),
            want,
            "{text:?}: got {:#018x}",
            fp.fingerprint(text)
        );
    }
    let a = fp.analyze(SEED.lines().nth(4).unwrap(), &[]);
    assert_eq!(
        (a.fingerprint(), a.exact(), a.key(), a.chunks().len()),
        (GOLDEN[4], GOLDEN[5], GOLDEN[6], GOLDEN_CHUNKS),
        "got {:#018x} {:#018x} {:#018x} {}",
        a.fingerprint(),
        a.exact(),
        a.key(),
        a.chunks().len()
    );
}

/// The exact hash (`GOLDEN[5]`) and the paragraph's key (`GOLDEN[6]`) are
/// sums of the shingle hashes since issue #4 (the exact hash was FNV-1a of
/// the units before, `0xe115_4034_635d_32c6`); the fingerprints are
/// unchanged.
const GOLDEN: [u64; 7] = [
    0x705a_1249_b84a_10e2,
    0x4591_030d_6234_d8a0,
    0x426d_cc80_2835_c228,
    0x6c4c_f77a_7d67_ffb2,
    0x30cb_1859_7e61_11b1,
    0xb3f4_cea3_1eca_18a9,
    0xe3f6_6230_ed00_52dd,
];
const GOLDEN_CHUNKS: usize = 4;

#[test]
fn builders_reject_bad_values() {
    let e = Fingerprinter::builder()
        .shingle_len(9)
        .build()
        .unwrap_err()
        .to_string();
    assert!(e.contains("shingle_len 9"), "{e}");
    let e = Fingerprinter::builder()
        .min_units(2)
        .build()
        .unwrap_err()
        .to_string();
    assert!(e.contains("min_units 2"), "{e}");
    let e = Fingerprinter::builder()
        .chunk_len(3)
        .build()
        .unwrap_err()
        .to_string();
    assert!(e.contains("chunk_len 3"), "{e}");
    let e = Finder::builder()
        .max_distance(17)
        .build()
        .unwrap_err()
        .to_string();
    assert!(e.contains("max_distance 17"), "{e}");
    let e = Finder::builder()
        .min_jaccard(1.5)
        .build()
        .unwrap_err()
        .to_string();
    assert!(e.contains("min_jaccard 1.5"), "{e}");
    let mut f = Folding::default();
    f.max_noise(300);
    let e = Finder::builder()
        .folding(f)
        .build()
        .unwrap_err()
        .to_string();
    assert!(e.contains("max_noise 300"), "{e}");
}

#[test]
fn send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Finder>();
    check::<Fingerprinter>();
}

#[test]
fn strange_input_does_not_panic() {
    let fp = Fingerprinter::new();
    let mut finder = Finder::new();
    for text in [
        "",
        "\n\n\n",
        "\u{feff}",
        "⑩⑩⑩",
        "a\u{200b}\n\u{3000}",
        "！？。\n\r\n",
        "\u{10FFFF}\u{0}",
    ] {
        fp.fingerprint(text);
        #[allow(clippy::reversed_empty_ranges)]
        let backwards = 5..2;
        fp.analyze(text, &[0..usize::MAX, backwards]);
        finder.add_document(0, text, &[0..1, 3..100]);
        let folded = fold(text, &Folding::default());
        let past_the_end = vec![0..1000, 2000..3000];
        finder.add_folded(0, "different text", &folded, &past_the_end);
    }
}
