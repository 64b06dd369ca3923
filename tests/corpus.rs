//! Tests of the benchmark corpus generator shared by the benches.

#[path = "../benches/corpus/mod.rs"]
mod corpus;

use corpus::{Config, Corpus, Disguise, DupEdit, MIB, ParagraphRef};
use std::collections::HashSet;

fn small(seed: u64) -> Config {
    let mut cfg = Config::new(seed, MIB / 2);
    // Enough injections and duplicates for every kind to show up in a small corpus.
    cfg.injection_rate = 1000.0;
    cfg.dup_rate = 0.2;
    cfg
}

#[test]
fn same_seed_same_bytes() {
    let (a, b) = (generate_small(1), generate_small(1));
    assert_eq!(a.docs, b.docs);
    assert_eq!(a.injected, b.injected);
    assert_eq!(a.dup_pairs, b.dup_pairs);
    let c = generate_small(2);
    assert_ne!(a.docs, c.docs);
}

fn generate_small(seed: u64) -> Corpus {
    corpus::generate(&small(seed))
}

#[test]
fn target_size_is_reached_within_5_percent() {
    for target in [64 * 1024, MIB, 3 * MIB] {
        let c = corpus::generate(&Config::new(7, target));
        let sum: usize = c.docs.iter().map(|d| d.text.len()).sum();
        assert_eq!(sum, c.bytes);
        assert!(c.bytes >= target, "{} < {target}", c.bytes);
        assert!(
            c.bytes as f64 <= target as f64 * 1.05,
            "{} > {target} + 5%",
            c.bytes
        );
    }
}

#[test]
fn documents_look_like_news() {
    let c = corpus::generate(&Config::new(3, MIB));
    let ids: HashSet<&str> = c.docs.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids.len(), c.docs.len());
    let last = c.docs.len() - 1;
    let mut ascii_digits = 0;
    for (i, d) in c.docs.iter().enumerate() {
        assert!(d.text.ends_with('\n'));
        let lines: Vec<&str> = d.text.lines().collect();
        assert!(lines.iter().all(|l| !l.trim().is_empty()));
        if i != last {
            assert!((6..=31).contains(&lines.len()), "{} lines", lines.len());
        }
        for l in &lines[1..] {
            // Byline and keyword splices may lengthen a copied paragraph a little.
            let n = l.chars().count();
            assert!((30..=400).contains(&n), "paragraph of {n} chars: {l}");
        }
        ascii_digits += d.text.bytes().filter(u8::is_ascii_digit).count();
    }
    assert!(ascii_digits > 1000, "{ascii_digits} ASCII digits");
    let text: String = c.docs.iter().map(|d| d.text.as_str()).collect();
    for p in ['，', '。', '、', '；', '：', '“', '”', '！', '？'] {
        assert!(text.contains(p), "no {p}");
    }
}

#[test]
fn every_injection_is_a_disguised_keyword() {
    let c = generate_small(11);
    let kws: HashSet<&str> = c.keywords.iter().map(String::as_str).collect();
    let mut disguises = HashSet::new();
    let mut placements = HashSet::new();
    for inj in &c.injected {
        let found = &c.docs[inj.doc].text[inj.span()];
        assert!(kws.contains(inj.keyword.as_str()));
        assert_eq!(corpus::undisguise(found), inj.keyword, "{inj:?}");
        assert_eq!(
            found == inj.keyword,
            inj.disguise == Disguise::None,
            "{inj:?}"
        );
        disguises.insert(inj.disguise);
        placements.insert(inj.placement);
    }
    assert_eq!(disguises.len(), 6, "{disguises:?}");
    assert_eq!(placements.len(), 6, "{placements:?}");
    let per_mib = c.injected.len() as f64 / (c.bytes as f64 / MIB as f64);
    println!("{} injections, {per_mib:.0}/MiB", c.injected.len());
    assert!((700.0..1400.0).contains(&per_mib), "{per_mib}/MiB");
}

/// The naive oracle: every keyword at every position, disguised forms included (by
/// undisguising every line and searching there).
#[test]
fn keywords_occur_only_where_injected() {
    let c = generate_small(5);
    let mut found = Vec::new();
    for (d, doc) in c.docs.iter().enumerate() {
        for kw in &c.keywords {
            for (at, _) in doc.text.match_indices(kw.as_str()) {
                found.push((d, at, at + kw.len()));
            }
        }
    }
    let mut expected: Vec<(usize, usize, usize)> = c
        .injected
        .iter()
        .filter(|i| i.disguise == Disguise::None)
        .map(|i| (i.doc, i.start, i.end))
        .collect();
    found.sort();
    expected.sort();
    assert_eq!(found, expected);
    assert_eq!(found.len(), c.verbatim_count());

    // Disguised occurrences: undisguising a whole document must reveal exactly one
    // occurrence per injection, and no keyword head outside injections.
    let heads: HashSet<char> = c
        .keywords
        .iter()
        .map(|k| k.chars().next().unwrap())
        .collect();
    for (d, doc) in c.docs.iter().enumerate() {
        let plain = corpus::undisguise(&doc.text);
        let n: usize = c
            .keywords
            .iter()
            .map(|k| plain.matches(k.as_str()).count())
            .sum();
        let injected = c.injected.iter().filter(|i| i.doc == d).count();
        assert_eq!(n, injected, "doc {d}");
        let head_count = doc.text.chars().filter(|ch| heads.contains(ch)).count();
        assert_eq!(head_count, injected, "doc {d}");
    }
}

#[test]
fn keyword_heads_never_occur_in_unspammed_text() {
    let mut cfg = Config::new(9, MIB);
    cfg.injection_rate = 0.0;
    cfg.keywords = corpus::keywords(100_000, 9);
    let c = corpus::generate(&cfg);
    assert!(c.injected.is_empty());
    let heads: HashSet<char> = cfg
        .keywords
        .iter()
        .map(|k| k.chars().next().unwrap())
        .collect();
    for doc in &c.docs {
        assert!(!doc.text.chars().any(|ch| heads.contains(&ch)));
    }
}

fn trigrams(s: &str) -> HashSet<[char; 3]> {
    let c: Vec<char> = s.chars().collect();
    c.windows(3).map(|w| [w[0], w[1], w[2]]).collect()
}

#[test]
fn dup_pairs_are_earlier_similar_paragraphs() {
    let c = generate_small(13);
    assert_eq!(c.dup_pairs.len(), c.dup_edits.len());
    let paragraphs = c.paragraph_count();
    let share = c.dup_pairs.len() as f64 / paragraphs as f64;
    println!("{} dup pairs in {paragraphs} paragraphs", c.dup_pairs.len());
    assert!((0.1..0.3).contains(&share), "dup share {share}");
    let mut edits = HashSet::new();
    let mut same_doc = 0;
    for ((a, b), e) in c.dup_pairs.iter().zip(&c.dup_edits) {
        assert!(a < b, "{a:?} is not before {b:?}");
        assert!(a.paragraph > 0 && b.paragraph > 0, "titles are not copied");
        same_doc += usize::from(a.doc == b.doc);
        let (x, y) = (c.paragraph(*a), c.paragraph(*b));
        if e == &[DupEdit::Exact] {
            assert_eq!(x, y);
        }
        let (tx, ty) = (trigrams(x), trigrams(y));
        let common = tx.intersection(&ty).count() as f64;
        let containment = common / tx.len().min(ty.len()) as f64;
        assert!(containment >= 0.5, "{containment}: {e:?}\n{x}\n{y}");
        edits.extend(e.iter().copied());
    }
    assert_eq!(edits.len(), 6, "{edits:?}");
    assert!(same_doc > 0 && same_doc < c.dup_pairs.len());
    let groups = c.dup_groups();
    let in_groups: usize = groups.iter().map(Vec::len).sum();
    assert!(in_groups >= c.dup_pairs.len() + groups.len() - 1);
    assert!(groups.iter().all(|g| g.windows(2).all(|w| w[0] < w[1])));
    let _ = ParagraphRef {
        doc: 0,
        paragraph: 0,
    };
}

#[test]
fn keywords_are_distinct_prefix_free_and_quick() {
    let t = std::time::Instant::now();
    let kws = corpus::keywords(100_000, 42);
    println!("100k keywords in {:?}", t.elapsed());
    assert_eq!(kws.len(), 100_000);
    assert_eq!(kws, corpus::keywords(100_000, 42));
    assert_eq!(&kws[..1000], &corpus::keywords(1000, 42)[..]);
    let mut sorted = kws.clone();
    sorted.sort();
    for w in sorted.windows(2) {
        assert!(
            !w[1].starts_with(w[0].as_str()),
            "{} prefixes {}",
            w[0],
            w[1]
        );
    }
    let heads: HashSet<char> = kws.iter().map(|k| k.chars().next().unwrap()).collect();
    for k in &kws {
        assert!(!k.chars().skip(1).any(|c| heads.contains(&c)), "{k}");
        assert!(!k.contains(|c: char| corpus::NOISE.iter().any(|n| n.contains(c))));
    }
    for (i, a) in corpus::SUFFIXES.iter().enumerate() {
        for (j, b) in corpus::SUFFIXES.iter().enumerate() {
            assert!(i == j || !b.starts_with(a), "{a} prefixes {b}");
        }
        assert!(!a.chars().any(|c| corpus::BRAND_CHARS.contains(c)));
    }
}

#[test]
fn disguises_round_trip() {
    let mut rng = corpus::SplitMix64::new(1);
    let kws = corpus::keywords(200, 1);
    for kw in &kws {
        for d in [
            Disguise::None,
            Disguise::FullWidth,
            Disguise::Traditional,
            Disguise::Noise,
            Disguise::ZeroWidth,
            Disguise::Mixed,
        ] {
            let (text, applied) = corpus::disguise(kw, d, &mut rng);
            assert_eq!(corpus::undisguise(&text), *kw);
            assert_eq!(text == *kw, applied == Disguise::None, "{kw} {d:?} {text}");
        }
    }
}

#[test]
fn loads_jsonl_and_text() {
    let dir = std::env::temp_dir().join(format!("spamsift-corpus-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let jsonl = dir.join("c.jsonl");
    std::fs::write(
        &jsonl,
        "{\"id\":1,\"text\":\"第一段\\n第二段 \\\"引\\\" \\ud83c\\udfb0\\u4e2d\"}\n\n{\"text\" : \"x\"}\n{\"no\":1}\n",
    )
    .unwrap();
    let c = corpus::load(jsonl.to_str().unwrap());
    let texts: Vec<&str> = c.docs.iter().map(|d| d.text.as_str()).collect();
    assert_eq!(texts, ["第一段\n第二段 \"引\" 🎰中\n", "x\n"]);
    assert!(c.injected.is_empty() && c.dup_pairs.is_empty() && c.keywords.is_empty());

    let txt = dir.join("c.txt");
    std::fs::write(&txt, "甲\n乙\n\n\n丙\r\n").unwrap();
    let c = corpus::load(txt.to_str().unwrap());
    let texts: Vec<&str> = c.docs.iter().map(|d| d.text.as_str()).collect();
    assert_eq!(texts, ["甲\n乙\n", "丙\n"]);
    assert_eq!(c.bytes, 12);
    let lines: String = (0..45).map(|i| format!("{i}\n")).collect();
    std::fs::write(&txt, lines).unwrap();
    assert_eq!(corpus::load(txt.to_str().unwrap()).docs.len(), 3);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
#[ignore = "timing; run with --release --ignored --nocapture"]
fn time_32_mib() {
    let cfg = Config::new(0x5EED, 32 * MIB);
    let t = std::time::Instant::now();
    let c = corpus::generate(&cfg);
    println!(
        "32 MiB: {:?}, {} docs, {} paragraphs, {} injections, {} dup pairs",
        t.elapsed(),
        c.docs.len(),
        c.paragraph_count(),
        c.injected.len(),
        c.dup_pairs.len()
    );
}
