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

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use spamsift::injection::{HitSpan, Judge};
use spamsift::keywords::Detector;
use std::hint::black_box;

mod corpus;

/// The keyword detector, its hits as the judge's input.
fn detect<'k>(detector: &'k Detector, text: &str, out: &mut Vec<HitSpan<'k>>) {
    out.clear();
    out.extend(detector.find_iter(text).map(HitSpan::from));
}

fn bench(c: &mut Criterion) {
    let corpus = corpus::load_or_generate(&corpus::Config::new(0x5EED, 4 * corpus::MIB));
    let mut builder = Detector::builder();
    builder.builtin(false);
    for k in &corpus.keywords {
        builder.keyword(k, "gambling");
    }
    let detector = builder.build().expect("the corpus keywords build");
    let judge = Judge::new();
    let mut hits = Vec::new();

    // Checks outside the timed loops.
    let (mut found, mut injected) = (0, 0);
    for d in &corpus.docs {
        detect(&detector, &d.text, &mut hits);
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
                detect(&detector, &d.text, &mut hits);
                n += hits.len();
            }
            black_box(n)
        })
    });
    // The judge alone, on the documents with hits and their hits.
    let with_hits: Vec<(&str, Vec<HitSpan>)> = corpus
        .docs
        .iter()
        .map(|d| {
            (
                d.text.as_str(),
                detector
                    .find_iter(&d.text)
                    .map(HitSpan::from)
                    .collect::<Vec<_>>(),
            )
        })
        .filter(|(_, h)| !h.is_empty())
        .collect();
    eprintln!(
        "{} of {} documents have hits ({} bytes)",
        with_hits.len(),
        corpus.docs.len(),
        with_hits.iter().map(|(t, _)| t.len()).sum::<usize>()
    );
    g.bench_function("judge", |b| {
        b.iter(|| {
            let mut n = 0;
            for (text, hits) in &with_hits {
                n += judge.judge(text, hits).injected;
            }
            black_box(n)
        })
    });
    g.bench_function("detect+judge", |b| {
        b.iter(|| {
            let mut n = 0;
            for d in &corpus.docs {
                detect(&detector, &d.text, &mut hits);
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
