//! The cost of the injection-evidence pass, against the detection it follows.
//!
//! `cargo bench --bench injection`
//!
//! On a 4 MiB generated corpus (about 265 planted injections per MiB, 20% of
//! documents spammed), `detect` is what finding the hits costs, `detect+judge`
//! adds [`Judge::judge`] on every document with a hit. The budget is
//! that the evidence pass costs at most 20% of scan throughput.
//!
//! Outside the timed loops the bench checks that the hits found are exactly
//! the planted injections and prints the share judged injected.

use aho_corasick::{AhoCorasick, MatchKind};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use spamsift::injection::{HitSpan, Judge};
use spamsift::text::{Folded, Folding};
use std::hint::black_box;

mod corpus;

/// Fold, then a leftmost-longest automaton of the folded keywords: the
/// detector's core, with spans mapped back to the original text.
fn detect<'k>(
    ac: &AhoCorasick,
    keywords: &'k [String],
    folded: &mut Folded,
    text: &str,
    out: &mut Vec<HitSpan<'k>>,
) {
    out.clear();
    folded.refill(text, &Folding::default());
    for m in ac.find_iter(folded.as_str()) {
        let r = folded.original_range(text, m.start()..m.end());
        out.push(HitSpan::new(
            r.start,
            r.end,
            &keywords[m.pattern().as_usize()],
            "gambling",
        ));
    }
}

fn bench(c: &mut Criterion) {
    let corpus = corpus::load_or_generate(&corpus::Config::new(0x5EED, 4 * corpus::MIB));
    let ac = AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .build(&corpus.keywords)
        .expect("keywords build");
    let judge = Judge::new();
    let mut folded = Folded::default();
    let mut hits = Vec::new();

    // Checks outside the timed loops.
    let (mut found, mut injected) = (0, 0);
    for d in &corpus.docs {
        detect(&ac, &corpus.keywords, &mut folded, &d.text, &mut hits);
        found += hits.len();
        if !hits.is_empty() {
            injected += judge.judge(&d.text, &hits).injected;
        }
    }
    assert_eq!(found, corpus.injected.len(), "hits found vs planted");
    eprintln!(
        "{} documents, {} bytes, {} planted injections, {} judged injected ({:.3})",
        corpus.docs.len(),
        corpus.bytes,
        found,
        injected,
        injected as f64 / found.max(1) as f64
    );

    let mut g = c.benchmark_group("injection");
    g.throughput(Throughput::Bytes(corpus.bytes as u64));
    g.sample_size(10);
    g.bench_function("detect", |b| {
        b.iter(|| {
            let mut n = 0;
            for d in &corpus.docs {
                detect(&ac, &corpus.keywords, &mut folded, &d.text, &mut hits);
                n += hits.len();
            }
            black_box(n)
        })
    });
    g.bench_function("detect+judge", |b| {
        b.iter(|| {
            let mut n = 0;
            for d in &corpus.docs {
                detect(&ac, &corpus.keywords, &mut folded, &d.text, &mut hits);
                if !hits.is_empty() {
                    n += judge.judge(&d.text, &hits).injected;
                }
            }
            black_box(n)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
