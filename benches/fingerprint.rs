//! Fingerprint throughput against the `simhash` crate fed the same shingles.
//!
//! `cargo bench --bench fingerprint`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use spamsift::neardup::{Analysis, Fingerprinter};
use spamsift::text::{Folding, fold};
use std::hint::black_box;

/// Real text: the news paragraphs (or the seed page) repeated to about 4 MB.
fn paragraphs() -> Vec<String> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/news_1998.txt"
    ))
    .unwrap_or_else(|_| include_str!("../tests/data/000_214c2e03461503b2.txt").to_string());
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut out = Vec::new();
    let mut bytes = 0;
    while bytes < 4 << 20 {
        for l in &lines {
            bytes += l.len();
            out.push(l.to_string());
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let paras = paragraphs();
    let bytes: usize = paras.iter().map(String::len).sum();
    let fp = Fingerprinter::new();
    let folded: Vec<_> = paras.iter().map(|p| fold(p, &Folding::default())).collect();
    let shingles: Vec<Vec<String>> = paras.iter().map(|p| fp.shingle_strings(p)).collect();

    // Counts outside the timed loops: one fingerprint per paragraph, and the
    // paths agree.
    let ours: Vec<u64> = paras.iter().map(|p| fp.fingerprint(p)).collect();
    assert_eq!(ours.len(), paras.len());
    for (i, p) in paras.iter().enumerate().take(500) {
        let f = &folded[i];
        assert_eq!(fp.fingerprint_folded(p, f, 0..f.len(), &[]), ours[i]);
    }
    // Distinct paragraphs get distinct fingerprints.
    let unique: std::collections::HashSet<&String> = paras.iter().collect();
    let distinct: std::collections::HashSet<u64> = ours.iter().copied().collect();
    assert!(distinct.len() as f64 >= 0.99 * unique.len() as f64);

    let mut g = c.benchmark_group("fingerprint");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("spamsift/fingerprint", |b| {
        b.iter(|| {
            let mut x = 0u64;
            for p in &paras {
                x ^= fp.fingerprint(black_box(p));
            }
            x
        })
    });
    g.bench_function("spamsift/fingerprint_folded", |b| {
        b.iter(|| {
            let mut x = 0u64;
            for (p, f) in paras.iter().zip(&folded) {
                x ^= fp.fingerprint_folded(p, black_box(f), 0..f.len(), &[]);
            }
            x
        })
    });
    g.bench_function("spamsift/analyze_folded", |b| {
        let mut a = Analysis::default();
        b.iter(|| {
            let mut x = 0u64;
            for (p, f) in paras.iter().zip(&folded) {
                fp.analyze_folded(p, black_box(f), 0..f.len(), &[], &mut a);
                x ^= a.fingerprint() ^ a.chunks().len() as u64;
            }
            x
        })
    });
    g.bench_function("simhash-crate/simhash_stream", |b| {
        b.iter(|| {
            let mut x = 0u64;
            for s in &shingles {
                x ^= simhash::simhash_stream(black_box(s).iter().map(String::as_str));
            }
            x
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
