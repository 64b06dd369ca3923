//! The keyword detector against its peers: raw `aho-corasick` and `daachorse`,
//! on the same generated Chinese text and the same dictionaries.
//!
//! Run with `cargo bench --bench keywords`. The corpus (32 MiB by default) is
//! generated in-process by `benches/corpus` with the first 1,000 keywords of
//! `corpus::keywords(n, seed)`; the 10k and 100k dictionaries extend that list
//! (the generator is prefix-stable), so the ground truth stays exact: with
//! every fold on the detector must find every planted injection, with every
//! fold off (and the raw peers, on the unfolded text) exactly the ones left
//! verbatim. `SPAMSIFT_BENCH_CORPUS=path` substitutes a corpus of your own;
//! then the detector with folds off must agree with the peers.
//!
//! `SPAMSIFT_BENCH_MIB=4` makes a smaller corpus for a quick look.
//!
//! Documents are scanned one at a time, as a user would, reusing one fold
//! buffer ([`Detector::find_iter_with`]).
//!
//! Two modes for measuring on a shared machine, outside criterion:
//!
//! ```text
//! # one steady-state scan with one matcher (folds-on, folds-off,
//! # aho-corasick, daachorse), counted by callgrind
//! SPAMSIFT_BENCH_MIB=4 SPAMSIFT_KEYWORDS_ONCE=folds-on valgrind --tool=callgrind \
//!     --branch-sim=yes --toggle-collect='*scan_*' target/release/deps/keywords-* --bench
//! # all four matchers in turn, 10 rounds, median thread CPU time of each
//! SPAMSIFT_KEYWORDS_CPU=10 target/release/deps/keywords-* --bench
//! ```
//!
//! `SPAMSIFT_KEYWORDS_N` picks the dictionary size of both (default 10k).
//!
//! # Measured
//!
//! ## Session 4: no folded offsets from `find_iter`
//!
//! `find_iter` and `find_iter_with` no longer count the length of the fold
//! between windows (their hits have no `Hit::folded_range`, which only
//! `find_iter_folded` gives), so the skip between windows is the plain one;
//! the plain skip itself now tests four characters with one branch and
//! passes ASCII runs eight bytes at a time (see the [`spamsift::keywords`]
//! docs). Before is commit ef8d720, after is this one, both with this file.
//!
//! Callgrind, one scan of the 4 MiB corpus (4,194,321 bytes) with 10k
//! entries, the first command above: instructions and mispredicted
//! branches (conditional plus indirect).
//!
//! | 10k entries | before | after |
//! |---|---|---|
//! | spamsift folds on | 54.54 M, 442.6 k | 21.74 M, 72.0 k |
//! | spamsift folds off | 25.02 M, 80.8 k | 18.93 M, 32.5 k |
//! | daachorse | 46.71 M, 4.7 k | (the same) |
//! | aho-corasick DFA | 75.63 M, 2.0 k | (the same) |
//!
//! Median thread CPU time, 32 MiB, the second command above, the before
//! binary then the after one for each size, under a load average of 7 to
//! 7.6 (five engineers on two cores), in MiB/s: folds on / folds off /
//! aho-corasick / daachorse, and folds on / the faster raw peer.
//!
//! | entries | before | after |
//! |---|---|---|
//! | 1k | 570 / 1602 / 363 / 1183: 0.48 | 1571 / 1995 / 354 / 1210: 1.30 |
//! | 10k | 570 / 1467 / 330 / 1173: 0.49 | 1508 / 1811 / 340 / 1212: 1.24 |
//! | 100k | 538 / 1351 / 323 / 1195: 0.45 | 1442 / 1662 / 333 / 1214: 1.19 |
//!
//! Criterion medians, `cargo bench --bench keywords -- keywords/scan/10000/`,
//! before then after, back to back under a load average of 8.2 to 9.3, in
//! MiB/s: before 295 / 802 / 175 / 602, folds on / daachorse 0.49; after
//! 643 / 736 / 186 / 623, 1.03. Wall-clock medians swing with the load (in
//! another run under load 7.6 to 8.5 daachorse fell to 487 and the ratio
//! read 2.2); the thread CPU times above are steadier, and the before
//! binary's 0.48 to 0.49 matches the 0.48 measured on a quiet machine.
//!
//! `memory_usage()` at 100k entries: 23,365,568 bytes (23,357,376 before:
//! the counting skip's 8 KiB bitmap of stops is gone, and the two bitmaps
//! of the skips grew from 8 KiB to 16 KiB each for their all-set words).
//!
//! ## Earlier sessions
//!
//! `cargo bench --bench keywords -- keywords/scan/10000/`, 32 MiB, on the
//! shared 2-core machine under a load average of 3 to 7 (three other
//! engineers building and benchmarking), so single medians swing by a factor
//! of two from one bench to the next; throughput in MiB/s, two runs of each
//! binary back to back:
//!
//! | 10k entries | spamsift folds on | spamsift folds off | aho-corasick (DFA) | daachorse | folds on / daachorse |
//! |---|---|---|---|---|---|
//! | before (whole fold, then match) | 211 / 150 | 728 / 978 | 167 / 203 | 459 / 685 | 0.46 / 0.22 |
//! | after (windows, counted skip) | 398 / 291 | 592 / 835 | 197 / 177 | 913 / 496 | 0.44 / 0.59 |
//!
//! Later, under a load average of 8 to 9 (`/tmp/before --bench
//! "keywords/scan/10000/"` then the new binary the same way, back to back,
//! with `cargo clippy` building alongside):
//!
//! | 10k entries | spamsift folds on | spamsift folds off | aho-corasick (DFA) | daachorse | folds on / daachorse |
//! |---|---|---|---|---|---|
//! | counted skip | 328 | 607 | 165 | 459 | 0.72 |
//! | plain skip, folded offset counted only for windows with a hit | 352 | 607 | 154 | 354 | 0.99 |
//!
//! Session 3 (load average 9 to 11, five engineers on two cores; the
//! before binary, then the after binary, `--bench "keywords/scan/"`, back
//! to back), folds on / folds off / aho-corasick / daachorse in MiB/s and
//! folds on / daachorse:
//!
//! | entries | before (plain skip, fold counted for windows with a hit) | after (one counting skip, four characters at a time) |
//! |---|---|---|
//! | 1k | 216 / 477 / 150 / 366: 0.59 | 376 / 662 / 194 / 624: 0.60 |
//! | 10k | 148 / 402 / 107 / 295: 0.50 | 221 / 566 / 127 / 411: 0.54 |
//! | 100k | 200 / 572 / 207 / 617: 0.32 | 182 / 794 / 185 / 672: 0.27 |
//!
//! Wall-clock swings hide the change, so it was also measured in
//! instructions (`valgrind --tool=callgrind --branch-sim=yes` over a
//! harness scanning a 4 MiB corpus of this generator once, 10k entries,
//! minus the same run without the scan): folds on 70.1 M instructions and
//! 0.23 M mispredicted branches before, 62.8 M and 0.45 M after; folds off
//! 29.4 M / 0.05 M before, 25.0 M / 0.08 M after; daachorse 50.9 M /
//! 0.01 M. The goal of folds on at daachorse's throughput was not reached:
//! the counting skip stopped at every punctuation mark, and those exits cost
//! the branches the instructions saved.
//!
//! Earlier, under a load average of about 10: 1k entries 218 / 445 / 194 /
//! 872, 10k 284 / 796 / 170 / 635, 100k 121 / 557 / 124 / 387 (before the
//! windows).
//!
//! In session 2 the detector began to skip through the original text to
//! the characters that can start a keyword and to fold only windows around
//! them: about twice the throughput of folding every
//! document, and 0.67 / 0.35 of folds off where it was 0.29 / 0.15. The
//! counting skip of the first table (a class look-up and the noise-run
//! arithmetic for every character, two to three times the plain skip's cost
//! per byte, from a document's first candidate to its end) is gone: the
//! skip between windows is the plain one, and the length of the fold before
//! a window is counted only when the window holds a hit, from the end of
//! the last window that held one. The last table's ratio, about 1.0, comes
//! from one noisy run in which daachorse itself dropped from 459 to 354;
//! folds on / folds off, steadier, went only from 0.54 to 0.58, so on an
//! idle machine expect about 0.85, not 1.0. `memory_usage()`
//! at 100k entries: 23.4 MB before the counted skip's bitmap was dropped
//! (aho-corasick DFA 570 MB, daachorse 9.0 MB); 23,357,376 bytes after
//! session 3 (the counting skip's 8 KiB bitmap of stops).

use std::time::Duration;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use daachorse::{CharwiseDoubleArrayAhoCorasick, CharwiseDoubleArrayAhoCorasickBuilder};
use spamsift::keywords::{Detector, MatcherKind};
use spamsift::text::{Folded, Folding};

mod corpus;

const SEED: u64 = 0x5EED;
const SIZES: [usize; 3] = [1_000, 10_000, 100_000];

fn target_bytes() -> usize {
    std::env::var("SPAMSIFT_BENCH_MIB")
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(32)
        * corpus::MIB
}

fn detector(keywords: &[String], folding: Folding) -> Detector {
    let mut b = Detector::builder();
    b.builtin(false).folding(folding).kind(MatcherKind::Auto);
    for k in keywords {
        b.keyword(k, "gambling");
    }
    b.build().expect("the bench dictionary builds")
}

/// Raw `aho-corasick`, leftmost-longest, in its fastest kind that builds.
fn raw_aho_corasick(keywords: &[String]) -> AhoCorasick {
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .kind(Some(AhoCorasickKind::DFA))
        .build(keywords)
        .or_else(|_| {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(keywords)
        })
        .expect("aho-corasick builds")
}

fn raw_daachorse(keywords: &[String]) -> CharwiseDoubleArrayAhoCorasick<u32> {
    CharwiseDoubleArrayAhoCorasickBuilder::new()
        .match_kind(daachorse::MatchKind::LeftmostLongest)
        .build(keywords)
        .expect("daachorse builds")
}

// The scans are not inlined, so that `valgrind --tool=callgrind
// --toggle-collect='*scan_*'` counts exactly one of them in the profiling
// mode (`SPAMSIFT_KEYWORDS_ONCE`).
#[inline(never)]
fn scan_detector(d: &Detector, docs: &[corpus::Document], folded: &mut Folded) -> usize {
    docs.iter()
        .map(|doc| d.find_iter_with(&doc.text, folded).count())
        .sum()
}

#[inline(never)]
fn scan_aho_corasick(ac: &AhoCorasick, docs: &[corpus::Document]) -> usize {
    docs.iter().map(|d| ac.find_iter(&d.text).count()).sum()
}

#[inline(never)]
fn scan_daachorse(da: &CharwiseDoubleArrayAhoCorasick<u32>, docs: &[corpus::Document]) -> usize {
    docs.iter()
        .map(|d| da.leftmost_find_iter(&d.text).count())
        .sum()
}

/// The profiling mode: with `SPAMSIFT_KEYWORDS_ONCE=folds-on` (or
/// `folds-off`, `aho-corasick`, `daachorse`, `none`), builds the 10k
/// dictionary (`SPAMSIFT_KEYWORDS_N` for another size), scans the corpus
/// twice with that one matcher, prints its count and returns `true`. The
/// first scan warms what the timed loops of the bench find warm (the fold's
/// tables, the grown fold buffer, the allocator after the build); run under
/// `valgrind --tool=callgrind --toggle-collect='*scan_*'`, only the second
/// is counted.
fn profile_once(corpus: &corpus::Corpus) -> bool {
    let Ok(which) = std::env::var("SPAMSIFT_KEYWORDS_ONCE") else {
        return false;
    };
    let n = dictionary_size();
    let kws = corpus::keywords(n, SEED);
    let docs = &corpus.docs;
    let mut folded = Folded::default();
    // The warm-up scans inline the same calls as the `scan_*` functions,
    // outside them.
    let count = match which.as_str() {
        "folds-on" | "folds-off" => {
            let folding = if which == "folds-on" {
                Folding::default()
            } else {
                Folding::none()
            };
            let d = detector(&kws, folding);
            let warm: usize = docs
                .iter()
                .map(|doc| d.find_iter_with(&doc.text, &mut folded).count())
                .sum();
            let count = scan_detector(&d, docs, &mut folded);
            assert_eq!(warm, count);
            eprintln!("memory_usage: {}", d.memory_usage());
            count
        }
        "aho-corasick" => {
            let ac = raw_aho_corasick(&kws);
            let warm: usize = docs.iter().map(|d| ac.find_iter(&d.text).count()).sum();
            let count = scan_aho_corasick(&ac, docs);
            assert_eq!(warm, count);
            count
        }
        "daachorse" => {
            let da = raw_daachorse(&kws);
            let warm: usize = docs
                .iter()
                .map(|d| da.leftmost_find_iter(&d.text).count())
                .sum();
            let count = scan_daachorse(&da, docs);
            assert_eq!(warm, count);
            count
        }
        "none" => 0,
        other => panic!("SPAMSIFT_KEYWORDS_ONCE={other:?}: not a matcher of this bench"),
    };
    eprintln!(
        "keywords once, {n} entries, {which}: {} bytes, {count} hits",
        corpus.bytes
    );
    true
}

/// The dictionary size of the profiling modes: `SPAMSIFT_KEYWORDS_N`, 10k
/// by default.
fn dictionary_size() -> usize {
    std::env::var("SPAMSIFT_KEYWORDS_N")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(10_000)
}

/// The comparison mode: with `SPAMSIFT_KEYWORDS_CPU=rounds`, builds the
/// four matchers for the 10k dictionary (`SPAMSIFT_KEYWORDS_N` for another
/// size), then scans the corpus `rounds` times with each in turn, so that
/// the load of a shared machine falls on all of them alike, and prints the
/// median thread CPU time of each as a throughput, and the ratio of folds
/// on to the faster raw peer. Returns `true` when it ran.
fn compare_cpu(corpus: &corpus::Corpus) -> bool {
    let Some(rounds) = std::env::var("SPAMSIFT_KEYWORDS_CPU")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    else {
        return false;
    };
    let n = dictionary_size();
    let kws = corpus::keywords(n, SEED);
    let docs = &corpus.docs;
    let mut folded = Folded::default();
    let on = detector(&kws, Folding::default());
    let off = detector(&kws, Folding::none());
    let ac = raw_aho_corasick(&kws);
    let da = raw_daachorse(&kws);
    // The bench reuses one fold buffer, warm; so does this. Folds off
    // needs none.
    scan_detector(&on, docs, &mut folded);
    let mut unused = Folded::default();
    type Scan<'a> = Box<dyn FnMut() -> usize + 'a>;
    let mut scans: [(&str, Scan<'_>); 4] = [
        (
            "folds-on",
            Box::new(|| scan_detector(&on, docs, &mut folded)),
        ),
        (
            "folds-off",
            Box::new(|| scan_detector(&off, docs, &mut unused)),
        ),
        ("aho-corasick", Box::new(|| scan_aho_corasick(&ac, docs))),
        ("daachorse", Box::new(|| scan_daachorse(&da, docs))),
    ];
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); scans.len()];
    for _ in 0..rounds.max(1) {
        for ((_, scan), t) in scans.iter_mut().zip(&mut times) {
            let Some(start) = corpus::thread_cpu() else {
                eprintln!("no thread CPU clock here");
                return true;
            };
            std::hint::black_box(scan());
            t.push(corpus::thread_cpu().unwrap_or(start) - start);
        }
    }
    let mib_s = |t: &mut Vec<Duration>| {
        t.sort();
        corpus.bytes as f64 / t[t.len() / 2].as_secs_f64() / corpus::MIB as f64
    };
    let rates: Vec<f64> = times.iter_mut().map(mib_s).collect();
    for ((name, _), rate) in scans.iter().zip(&rates) {
        eprintln!("keywords cpu, {n} entries, {name}: median {rate:.0} MiB/s of thread CPU");
    }
    eprintln!(
        "keywords cpu, {n} entries: folds on / faster raw peer = {:.2} over {rounds} rounds",
        rates[0] / rates[2].max(rates[3])
    );
    true
}

fn keywords(c: &mut Criterion) {
    let cfg = corpus::Config::new(SEED, target_bytes());
    let corpus = corpus::load_or_generate(&cfg);
    if profile_once(&corpus) || compare_cpu(&corpus) {
        return;
    }
    let generated = matches!(corpus.source, corpus::Source::Generated { .. });
    let docs = &corpus.docs;
    let mut folded = Folded::default();

    for n in SIZES {
        let kws = corpus::keywords(n, SEED);

        let mut build = c.benchmark_group(format!("keywords/build/{n}"));
        build
            .sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(3));
        build.bench_function("spamsift/folds-on", |b| {
            b.iter(|| detector(&kws, Folding::default()))
        });
        build.bench_function("aho-corasick", |b| b.iter(|| raw_aho_corasick(&kws)));
        build.bench_function("daachorse", |b| b.iter(|| raw_daachorse(&kws)));
        build.finish();

        let on = detector(&kws, Folding::default());
        let off = detector(&kws, Folding::none());
        let ac = raw_aho_corasick(&kws);
        let da = raw_daachorse(&kws);

        // The expected counts, checked outside the timed loops.
        let ac_count = scan_aho_corasick(&ac, docs);
        let da_count = scan_daachorse(&da, docs);
        let off_count = scan_detector(&off, docs, &mut folded);
        let on_count = scan_detector(&on, docs, &mut folded);
        assert_eq!(ac_count, da_count, "{n}: the raw peers disagree");
        assert_eq!(off_count, ac_count, "{n}: folds off vs raw aho-corasick");
        if generated {
            assert_eq!(
                ac_count,
                corpus.verbatim_count(),
                "{n}: verbatim injections"
            );
            assert_eq!(on_count, corpus.injected.len(), "{n}: all injections");
        } else {
            assert!(on_count >= off_count);
        }
        eprintln!(
            "keywords/{n}: {} bytes, {} docs, hits folds on {on_count}, folds off {off_count}; \
             memory_usage: spamsift {} (folds on), aho-corasick {}, daachorse {}",
            corpus.bytes,
            docs.len(),
            on.memory_usage(),
            ac.memory_usage(),
            da.heap_bytes(),
        );

        let mut scan = c.benchmark_group(format!("keywords/scan/{n}"));
        scan.sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(4))
            .throughput(Throughput::Bytes(corpus.bytes as u64));
        scan.bench_function(BenchmarkId::new("spamsift", "folds-on"), |b| {
            b.iter(|| scan_detector(&on, docs, &mut folded))
        });
        scan.bench_function(BenchmarkId::new("spamsift", "folds-off"), |b| {
            b.iter(|| scan_detector(&off, docs, &mut folded))
        });
        scan.bench_function(BenchmarkId::new("aho-corasick", "raw"), |b| {
            b.iter(|| scan_aho_corasick(&ac, docs))
        });
        scan.bench_function(BenchmarkId::new("daachorse", "charwise"), |b| {
            b.iter(|| scan_daachorse(&da, docs))
        });
        scan.finish();
    }
}

criterion_group!(benches, keywords);
criterion_main!(benches);
