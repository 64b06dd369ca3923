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
//! the planted injections and prints the share judged injected; it then runs
//! `scan` (one worker thread) with and without the evidence pass and prints
//! the cost in process CPU time, best of 5, which other load changes little.
//!
//! Session 4 (2026-12-02), after the pass became a count of runs by a class
//! per character (see `src/injection/evidence.rs`). The old binary (commit
//! ef8d720) and the new one ran back to back, old-new-old, on the 2-core
//! machine at load 1.6 to 2.6; 230 of the 480 documents (2.17 MB, 741 k
//! characters) have hits and are judged:
//!
//! | bench | before | after |
//! |---|---|---|
//! | `injection/detect` | 6.49 ms, 5.81 ms | 5.76 ms |
//! | `injection/judge` | 10.86 ms, 10.53 ms | 6.31 ms (608 MiB/s of all bytes) |
//! | `judge` / `detect` (the ratio to trust) | 1.81 | 1.10 |
//! | `injection/detect+judge` | 16.55 ms, 16.74 ms | 12.69 ms |
//! | `injection-scan/scan` (1 thread) | 65.5 ms, 65.1 ms | 62.6 ms |
//! | `injection-scan/scan-without-evidence` | 51.9 ms, 53.3 ms | 53.2 ms |
//!
//! By the medians the evidence pass took 18% of one-thread scan time before
//! and 15% after; the printed CPU-time share moves by 10 ms ticks and says
//! nothing at this size. Instructions (callgrind, the deterministic
//! measure: `SPAMSIFT_BENCH_MIB=4 SPAMSIFT_SCAN_ONCE=1 valgrind
//! --tool=callgrind target/release/deps/scan-<hash> --bench`, then
//! `callgrind_annotate --inclusive=yes`, `Judge::judge`; the scan bench
//! judges the same 230 documents): 143.4 M before (20.5 M of them parsing
//! the built-in bigram table on first use), 39.8 M after (2.1 M building the
//! tables once), 173 k a judged document, 54 a character. The wall clock
//! gains less than the instructions (1.7x against 3.6x), likely because the
//! class of each character decides a branch that text mixing Han,
//! punctuation and digits makes hard to predict (not measured). The verdicts are unchanged (917 of 944
//! planted injections judged injected; the scan digests are those of
//! before).
//!
//! Session 5 (2026-12-02), cycles rather than instructions. This VM has no
//! hardware counters (`perf stat -e cycles` says not supported), so the
//! CPU time is sampled with the software clock: `SPAMSIFT_SCAN_ONCE=1
//! SPAMSIFT_SCAN_ROUNDS=40 perf record -F 2000 target/release/deps/scan-<hash>
//! --bench` (16 MiB), the self samples of every `spamsift::injection::`
//! symbol over the other samples of `spamsift-worker`, the old binary
//! (commit 6764e2a) and the new one run alternately, six runs each at load
//! 2.5 to 5:
//!
//! | | before | after |
//! |---|---|---|
//! | evidence samples / other worker samples | 0.270 (0.252..0.286) | 0.200 (0.195..0.203) |
//! | `evidence::skip_run`, share of all samples | 9.3..10.2% | 6.6..6.9% |
//! | `builtin::count` + `unigram` + `Models::pmi` | 1.6..1.9% | 0.5..0.6% |
//! | `injection/judge` (criterion, twice each) | 7.04 ms, 6.19 ms | 4.88 ms, 4.55 ms |
//!
//! The pass's CPU time fell by about a quarter (26%), not the third aimed
//! at. Callgrind on the 4 MiB scan with `--branch-sim=yes --cache-sim=yes
//! --D1=49152,12,64 --LL=2097152,16,64`, `Judge::judge` inclusive: 39.7 M
//! -> 54.6 M instructions, 629 k -> 352 k mispredicted conditional
//! branches (`skip_run` alone 375 k -> 89 k), 191 k -> 200 k first-level
//! data misses. What changed: `skip_run` no longer leaves its loop at noise
//! and at the first characters of words that start no word there (more
//! instructions, far fewer mispredictions), and the built-in bigram counts
//! are found by hashing instead of binary searches that missed the cache.
//! Tried and dropped (no gain or a loss in the same profiles): the class
//! table in deduplicated 16-entry blocks with a per-document stop filter
//! (skip_run 6.7% -> 9.1%: the extra load and operations cost more than the
//! misses saved), a loop over text alone that leaves at noise (6.8% ->
//! 7.7%), the row computed without the `ROWS` load, enders leaving the
//! loop to shorten its counting, inlining `skip_run`, and a direct table of
//! the Han variants for `DocCounts::new`. The verdicts and the scan digests
//! are unchanged.
//!
//! Earlier sessions (2026-11-27/28) took the pass from per-character vectors
//! and an automaton to one pass over the document; their numbers are in the
//! history of this file.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use spamsift::injection::{HitSpan, Judge};
use spamsift::keywords::Detector;
use spamsift::scan::{Format, Input, Scanner};
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

    // The budget: scan with the evidence pass against scan without
    // it, one worker thread, on the same documents.
    let scanner = |evidence: bool| {
        Scanner::builder()
            .detector(detector.clone())
            .threads(1)
            .evidence(evidence)
            .build()
            .expect("valid settings")
    };
    let (with, without) = (scanner(true), scanner(false));
    let inputs = || -> Vec<Input> {
        corpus
            .docs
            .iter()
            .map(|d| {
                Input::reader(&d.id, std::io::Cursor::new(d.text.clone().into_bytes()))
                    .with_format(Format::Text)
            })
            .collect()
    };
    let run = |sc: &Scanner| sc.scan(inputs(), |_| Ok(())).expect("the scan succeeds");
    let (a, b) = (run(&with), run(&without));
    assert_eq!(a.hits, b.hits);
    assert_eq!(a.hits as usize, corpus.injected.len());
    // Process CPU seconds, best of 5 alternating runs: other load on the
    // machine does not change them much.
    let mut best = [f64::MAX; 2];
    for _ in 0..5 {
        for (i, sc) in [&with, &without].into_iter().enumerate() {
            let t0 = cpu_seconds();
            black_box(run(sc));
            best[i] = best[i].min(cpu_seconds() - t0);
        }
    }
    let mib = corpus.bytes as f64 / (1 << 20) as f64;
    eprintln!(
        "scan CPU time, best of 5: with evidence {:.3} s ({:.1} MiB/s), without {:.3} s ({:.1} MiB/s): \
         the evidence pass costs {:.1}% of scan throughput",
        best[0],
        mib / best[0],
        best[1],
        mib / best[1],
        100.0 * (1.0 - best[1] / best[0])
    );
    let mut g = c.benchmark_group("injection-scan");
    g.throughput(Throughput::Bytes(corpus.bytes as u64));
    g.sample_size(10);
    g.bench_function("scan", |b| b.iter(|| run(&with)));
    g.bench_function("scan-without-evidence", |b| b.iter(|| run(&without)));
    g.finish();
}

/// CPU seconds used by the process so far, from `/proc/self/stat` (Linux; a
/// wall clock elsewhere), at 100 ticks per second.
fn cpu_seconds() -> f64 {
    let ticks = || -> Option<f64> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        let rest = &stat[stat.rfind(')')? + 2..];
        let f: Vec<&str> = rest.split(' ').collect();
        let utime: f64 = f.get(11)?.parse().ok()?;
        let stime: f64 = f.get(12)?.parse().ok()?;
        Some((utime + stime) / 100.0)
    };
    ticks().unwrap_or_else(|| {
        static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        START
            .get_or_init(std::time::Instant::now)
            .elapsed()
            .as_secs_f64()
    })
}

criterion_group!(benches, bench);
criterion_main!(benches);
