//! Discovery of unknown injected keywords, with no dictionary at all.

#[path = "../benches/corpus/mod.rs"]
mod corpus;

use spamsift::discover::{Discoverer, write_dictionary};

const SEED: &str = include_str!("data/000_214c2e03461503b2.txt");
const NEWS: &str = include_str!("data/news_1998.txt");

#[test]
fn seed_page_top_candidate() {
    let mut d = Discoverer::new();
    d.add_document(0, SEED);
    let c = d.candidates();
    for c in c.iter().take(5) {
        println!(
            "{:<12} score {:.3} runs {} clusters {} titles {} occ {} {:?}",
            c.keyword, c.score, c.spans, c.clusters, c.titles, c.occurrences, c.contexts
        );
    }
    assert_eq!(c[0].keyword, "金博体育", "{:#?}", &c[..c.len().min(5)]);
    assert!(c[0].spans >= 5);
    let dict = write_dictionary(&c[..1], "gambling");
    assert!(dict.contains("\n金博体育\tgambling\n"), "{dict}");
}

/// The bench corpus's deterministic generator.
type Rng = corpus::SplitMix64;

/// Brands that are in no dictionary and never occur in the news text.
const BRANDS: &[&str] = &[
    "鼎盛娱乐",
    "宝马会",
    "鸿运国际",
    "金鲨体育",
    "银泰娱乐城",
    "盛世彩票",
    "凤凰体育",
    "百胜棋牌",
    "利来国际",
    "豪运电竞",
];

/// Splices `brand` into `para` at `n` random character boundaries.
fn splice(para: &str, brand: &str, n: usize, rng: &mut Rng) -> String {
    let mut chars: Vec<String> = para.chars().map(String::from).collect();
    for _ in 0..n {
        let at = 1 + rng.below(chars.len().saturating_sub(1).max(1));
        chars.insert(at.min(chars.len()), brand.to_string());
    }
    chars.concat()
}

/// A light syndication edit: replace, delete or insert a few characters.
fn edit(para: &str, news: &[&str], rng: &mut Rng) -> String {
    let mut chars: Vec<char> = para.chars().collect();
    if chars.len() < 20 {
        return para.to_string();
    }
    let donor: Vec<char> = news[rng.below(news.len())].chars().collect();
    let at = rng.below(chars.len() - 8);
    let piece_at = rng.below(donor.len().saturating_sub(6).max(1));
    let piece: Vec<char> = donor[piece_at..(piece_at + 2 + rng.below(3)).min(donor.len())].to_vec();
    match rng.below(3) {
        0 => {
            chars.splice(at..at + piece.len().min(chars.len() - at), piece);
        }
        1 => {
            chars.drain(at..at + 3 + rng.below(4));
        }
        _ => {
            chars.splice(at..at, piece);
        }
    }
    chars.into_iter().collect()
}

fn title_of(line: &str) -> String {
    let t: String = line
        .chars()
        .take_while(|&c| c != '，' && c != '。')
        .take(24)
        .collect();
    t
}

/// Generates the corpus: pages of one title and four real news paragraphs,
/// some with their body repeated or syndicated with edits, brands spliced
/// into the copies at different places and glued to titles.
fn generate(seed: u64) -> Vec<String> {
    let news: Vec<&str> = NEWS.lines().filter(|l| l.chars().count() >= 40).collect();
    let mut rng = Rng::new(seed);
    let mut docs = Vec::new();
    let pages = 150;
    for p in 0..pages {
        let body: Vec<&str> = (0..4).map(|i| news[(p * 4 + i) % news.len()]).collect();
        let mut title = title_of(news[(1200 + p * 7) % news.len()]);
        let brand = BRANDS[rng.below(BRANDS.len())];
        let polluted = rng.unit() < 0.7;
        if polluted && (rng.unit() < 0.4) {
            title = match rng.below(5) {
                0 => format!("{brand}：{title}"),
                1 => format!("{brand}{title}"),
                2 => format!("{title}_{brand}"),
                3 => format!("{title}-{brand}"),
                _ => format!("{title}|{brand}"),
            };
        }
        let copy = |rng: &mut Rng, edits: bool| -> Vec<String> {
            body.iter()
                .map(|para| {
                    let mut s = para.to_string();
                    if edits && (rng.unit() < 0.6) {
                        s = edit(&s, &news, rng);
                    }
                    if polluted && (rng.unit() < 0.5) {
                        s = splice(&s, brand, 1 + rng.below(2), rng);
                    }
                    s
                })
                .collect()
        };
        match rng.below(10) {
            // The body repeated on the page, as on the seed page.
            0..=3 => {
                let (a, b) = (copy(&mut rng, false), copy(&mut rng, false));
                docs.push(format!("{title}\n\n{}\n{}", a.join("\n"), b.join("\n")));
            }
            // Syndicated to a second page with light edits.
            4..=6 => {
                let (a, b) = (copy(&mut rng, false), copy(&mut rng, true));
                docs.push(format!("{title}\n\n{}", a.join("\n")));
                let t2 = title_of(news[(1700 + p * 3) % news.len()]);
                docs.push(format!("{t2}\n\n{}", b.join("\n")));
            }
            // A page of its own.
            _ => {
                let a = copy(&mut rng, false);
                docs.push(format!("{title}\n\n{}", a.join("\n")));
            }
        }
    }
    docs
}

#[test]
fn generated_corpus_recall_and_precision() {
    let docs = generate(5);
    let mut d = Discoverer::new();
    for (i, doc) in docs.iter().enumerate() {
        d.add_document(i as u64, doc);
    }
    let c = d.candidates();
    let present: Vec<&str> = BRANDS
        .iter()
        .copied()
        .filter(|b| docs.iter().any(|d| d.contains(b)))
        .collect();
    let top20: Vec<&str> = c.iter().take(20).map(|c| c.keyword.as_str()).collect();
    let top10 = &top20[..top20.len().min(10)];
    let found = present.iter().filter(|b| top20.contains(b)).count();
    let recall = found as f64 / present.len() as f64;
    let correct = top10.iter().filter(|k| BRANDS.contains(k)).count();
    let precision = correct as f64 / top10.len().max(1) as f64;
    println!(
        "generated corpus: {} documents, {} brands spliced; recall@20 {recall:.2} ({found}/{}), precision@10 {precision:.2} ({correct}/{})",
        docs.len(),
        present.len(),
        present.len(),
        top10.len()
    );
    for c in c.iter().take(20) {
        println!(
            "  {:<10} score {:.3} runs {} clusters {} docs {} titles {} occ {}",
            c.keyword, c.score, c.spans, c.clusters, c.documents, c.titles, c.occurrences
        );
    }
    assert!(recall >= 0.9, "recall@20 {recall}");
    assert!(precision >= 0.9, "precision@10 {precision}");
}
