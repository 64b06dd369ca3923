//! Precision and recall of the default near-duplicate settings on generated
//! pairs from real Chinese news text.
//!
//! Positives: a paragraph and a copy with one to three of the edits users
//! meet: a spam keyword spliced in that no dictionary knows (so it is not
//! masked), punctuation and width changes with extra spaces, a few
//! substituted characters, a cut-off end, an appended byline.
//! Negatives: pairs of distinct paragraphs given the same boilerplate
//! (opening dateline and closing byline), and every pair of distinct
//! paragraphs of the corpus.
//!
//! `cargo test --release --test neardup_quality -- --ignored --nocapture`
//! runs the parameter sweep behind the defaults.

use std::collections::HashMap;

use spamsift::neardup::{Finder, FinderBuilder, Fingerprinter};

/// splitmix64: a small deterministic generator, so runs are reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 > 1.0 - p
    }
}

/// Spam keywords that are in no dictionary.
const SPAM: &[&str] = &[
    "鼎丰娱乐",
    "云顶国际",
    "bet9九州",
    "开元棋牌",
    "澳门银河",
    "新葡京娱乐城",
    "乐鱼体育",
    "pk10计划",
];
const BYLINES: &[&str] = &[
    "（记者 张晓明 李红）",
    "（来源：人民日报）",
    "(新华社记者王小明摄)",
    "责任编辑：刘洋",
    "（本报记者 陈建国）",
];
const OPENINGS: &[&str] = &[
    "新华社北京1月5日电 ",
    "本报讯 ",
    "据新华社报道，",
    "记者从有关部门获悉，",
];

/// The corpus paragraphs of at least 40 characters that share no run of 12
/// Han characters with an earlier one. The newspaper quotes itself (a
/// speech, then `江泽民说，` and the same paragraph), and those genuine near
/// duplicates would otherwise count as false positives.
fn corpus() -> Vec<String> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/news_1998.txt"
    ))
    .expect("tests/data/news_1998.txt");
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        let han: Vec<char> = line
            .chars()
            .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
            .collect();
        if line.chars().count() < 40 || han.len() < 12 {
            continue;
        }
        let grams: Vec<String> = han.windows(12).map(|w| w.iter().collect()).collect();
        if grams.iter().any(|g| seen.contains(g)) {
            continue;
        }
        seen.extend(grams);
        out.push(line.to_string());
    }
    out
}

fn splice(r: &mut Rng, s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let at = r.below(chars.len() + 1);
    let mut out: String = chars[..at].iter().collect();
    out.push_str(SPAM[r.below(SPAM.len())]);
    out.extend(&chars[at..]);
    out
}

fn punctuation(r: &mut Rng, s: &str) -> String {
    let full_digits = r.chance(0.5);
    let mut out = String::new();
    for c in s.chars() {
        let swapped = match c {
            '，' => ',',
            '；' => ';',
            '：' => ':',
            '（' => '(',
            '）' => ')',
            '“' | '”' => '"',
            '、' => ',',
            ',' => '，',
            '０'..='９' if !full_digits => {
                char::from_u32(c as u32 - 0xFF10 + '0' as u32).unwrap()
            }
            '0'..='9' if full_digits => char::from_u32(c as u32 - '0' as u32 + 0xFF10).unwrap(),
            _ => c,
        };
        out.push(if r.chance(0.5) { swapped } else { c });
        if r.chance(0.03) {
            out.push(' ');
        }
    }
    out
}

fn substitute(r: &mut Rng, s: &str, pool: &[char]) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    for _ in 0..1 + r.below(3) {
        let i = r.below(chars.len());
        chars[i] = pool[r.below(pool.len())];
    }
    chars.into_iter().collect()
}

fn cut(r: &mut Rng, s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let drop = chars.len() * (10 + r.below(21)) / 100;
    let mut out: String = chars[..chars.len() - drop].iter().collect();
    if r.chance(0.3) {
        out.push('…');
    }
    out
}

fn byline(r: &mut Rng, s: &str) -> String {
    format!("{s}{}", BYLINES[r.below(BYLINES.len())])
}

/// One labelled paragraph: its text and the source it came from.
struct Item {
    text: String,
    group: usize,
}

/// The generated set: items plus the planted positive pairs.
fn generate(sources: usize, negatives: usize) -> (Vec<Item>, Vec<(usize, usize)>) {
    let paras = corpus();
    let pool: Vec<char> = paras
        .iter()
        .flat_map(|p| p.chars())
        .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
        .collect();
    let mut r = Rng(0x5eed_2026);
    let mut items = Vec::new();
    let mut planted = Vec::new();
    let sources = sources.min(paras.len().saturating_sub(2 * negatives));
    for (g, p) in paras.iter().take(sources).enumerate() {
        let mut copy = p.clone();
        let mut kinds: Vec<usize> = (0..5).collect();
        let n_edits = 1 + r.below(3);
        for _ in 0..n_edits {
            let k = kinds.remove(r.below(kinds.len()));
            copy = match k {
                0 => splice(&mut r, &copy),
                1 => punctuation(&mut r, &copy),
                2 => substitute(&mut r, &copy, &pool),
                3 => cut(&mut r, &copy),
                _ => byline(&mut r, &copy),
            };
        }
        planted.push((items.len(), items.len() + 1));
        items.push(Item {
            text: p.clone(),
            group: g,
        });
        items.push(Item {
            text: copy,
            group: g,
        });
    }
    // Distinct paragraphs sharing boilerplate, preferring short ones, which
    // the boilerplate dominates most.
    let mut rest: Vec<&String> = paras[sources..].iter().collect();
    rest.sort_by_key(|p| p.chars().count());
    for (i, pair) in rest.chunks(2).take(negatives).enumerate() {
        if pair.len() < 2 {
            break;
        }
        let open = OPENINGS[i % OPENINGS.len()];
        let close = BYLINES[i % BYLINES.len()];
        for (j, p) in pair.iter().enumerate() {
            items.push(Item {
                text: format!("{open}{p}{close}"),
                group: sources + 2 * i + j,
            });
        }
    }
    (items, planted)
}

#[derive(Debug)]
struct Score {
    precision: f64,
    recall: f64,
    false_pairs: usize,
    found_pairs: usize,
    keys_per_paragraph: f64,
}

fn score(builder: &FinderBuilder, items: &[Item], planted: &[(usize, usize)]) -> Score {
    let mut finder = builder.build().unwrap();
    let mut keys = 0usize;
    for (i, item) in items.iter().enumerate() {
        finder.add_document(i as u64, &item.text, &[]);
        keys += finder
            .fingerprinter()
            .analyze(&item.text, &[])
            .keys()
            .count();
    }
    let mut cluster_of = HashMap::new();
    let (mut found, mut false_pairs) = (0usize, 0usize);
    for c in finder.clusters() {
        let docs: Vec<usize> = c.members.iter().map(|m| m.doc as usize).collect();
        for (a, &x) in docs.iter().enumerate() {
            cluster_of.insert(x, c.id);
            for &y in &docs[a + 1..] {
                found += 1;
                if items[x].group != items[y].group {
                    false_pairs += 1;
                    if std::env::var_os("SPAMSIFT_DEBUG").is_some() {
                        let j = finder
                            .fingerprinter()
                            .jaccard(&items[x].text, &items[y].text);
                        println!("FALSE j={j:.3}\n  {}\n  {}", items[x].text, items[y].text);
                    }
                }
            }
        }
    }
    if std::env::var_os("SPAMSIFT_DEBUG").is_some() {
        for (a, b) in planted {
            if !cluster_of.contains_key(a) || cluster_of.get(a) != cluster_of.get(b) {
                let j = finder
                    .fingerprinter()
                    .jaccard(&items[*a].text, &items[*b].text);
                println!("MISS j={j:.3}\n  {}\n  {}", items[*a].text, items[*b].text);
            }
        }
    }
    let hits = planted
        .iter()
        .filter(|(a, b)| cluster_of.contains_key(a) && cluster_of.get(a) == cluster_of.get(b))
        .count();
    Score {
        precision: if found == 0 {
            1.0
        } else {
            (found - false_pairs) as f64 / found as f64
        },
        recall: hits as f64 / planted.len() as f64,
        false_pairs,
        found_pairs: found,
        keys_per_paragraph: keys as f64 / items.len() as f64,
    }
}

#[test]
fn default_settings_meet_the_goal() {
    let (items, planted) = generate(1000, 300);
    println!("{} corpus paragraphs kept", corpus().len());
    let s = score(&Finder::builder(), &items, &planted);
    println!(
        "{} paragraphs, {} planted pairs: precision {:.4} recall {:.4} ({} pairs found, {} false), {:.2} keys per paragraph",
        items.len(),
        planted.len(),
        s.precision,
        s.recall,
        s.found_pairs,
        s.false_pairs,
        s.keys_per_paragraph
    );
    assert!(s.recall >= 0.95, "{s:?}");
    assert!(s.precision >= 0.99, "{s:?}");
}

#[test]
#[ignore = "parameter sweep; run in release with --nocapture"]
fn sweep() {
    let (items, planted) = generate(1000, 300);
    let fp = Fingerprinter::new();
    let (mut jp, mut jn) = (Vec::new(), Vec::new());
    for &(a, b) in &planted {
        jp.push(fp.jaccard(&items[a].text, &items[b].text));
    }
    for w in items[2 * planted.len()..].chunks(2) {
        jn.push(fp.jaccard(&w[0].text, &w[1].text));
    }
    jp.sort_by(f64::total_cmp);
    jn.sort_by(f64::total_cmp);
    let q = |v: &[f64], f: f64| v[((v.len() - 1) as f64 * f) as usize];
    println!(
        "exact jaccard positives: min {:.3} p1 {:.3} p5 {:.3} median {:.3}; boilerplate negatives: median {:.3} p99 {:.3} max {:.3}",
        q(&jp, 0.0),
        q(&jp, 0.01),
        q(&jp, 0.05),
        q(&jp, 0.5),
        q(&jn, 0.5),
        q(&jn, 0.99),
        q(&jn, 1.0)
    );
    let run = |name: String, b: &FinderBuilder| {
        let s = score(b, &items, &planted);
        println!(
            "{name:40} precision {:.4} recall {:.4} false {:4} keys/para {:.2}",
            s.precision, s.recall, s.false_pairs, s.keys_per_paragraph
        );
    };
    for k in [0, 2, 3, 4, 6] {
        run(format!("k={k}"), Finder::builder().max_distance(k));
    }
    for k in [0, 1, 3] {
        run(
            format!("chunk k={k}"),
            Finder::builder().chunk_max_distance(k),
        );
    }
    for j in [0.4, 0.5, 0.6, 0.7] {
        run(format!("min_jaccard={j}"), Finder::builder().min_jaccard(j));
    }
    for (c, k) in [(0, 3), (0, 7), (0, 8)] {
        run(
            format!("chunk_len={c} k={k}"),
            Finder::builder().chunk_len(c).max_distance(k),
        );
    }
    // The other rows of the table in the `neardup` module docs.
    let all = 1 << 20;
    for (c, m) in [
        (8, 2),
        (8, 3),
        (8, 6),
        (8, all),
        (12, 4),
        (12, all),
        (16, all),
        (24, all),
    ] {
        run(
            format!("chunk_len={c} max_chunks={m}"),
            Finder::builder().chunk_len(c).max_chunks(m),
        );
    }
    for n in [2, 4] {
        run(
            format!("shingle_len={n} chunk_len=24"),
            Finder::builder().shingle_len(n).chunk_len(24),
        );
    }
    for k in [16, 64] {
        run(format!("sketch_len={k}"), Finder::builder().sketch_len(k));
    }
}
