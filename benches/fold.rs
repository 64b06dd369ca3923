//! Folding (`Folded::refill`) and the UTF-8 check of text inputs, the two
//! per-byte passes a scan makes before either detector runs, on the bench
//! corpus (`benches/corpus`, 4 MiB by default, `SPAMSIFT_BENCH_MIB` to
//! change it).
//!
//! ```text
//! cargo bench --bench fold
//! ```
//!
//! Peers in the same group: a plain copy of the text into a reused `String`
//! (the floor any fold pays); for the UTF-8 check, std's (`String::from_utf8`)
//! against `simdutf8`'s followed by the copy into a `String` that
//! `scan::input::decode_text` makes.
//!
//! One pass and nothing else, for a profiler:
//!
//! ```text
//! SPAMSIFT_FOLD_ONCE=1 valgrind --tool=callgrind --toggle-collect='*Folded::fill*' \
//!     target/release/deps/fold-* --bench
//! ```
//!
//! The digests of every fold (its text and the original offset of each of
//! its characters) under three settings are checked outside the timed loop
//! against the ones the fold gave before it was rewritten (for the 4 and 16
//! MiB generated corpora), so that a fast wrong fold cannot pass.
//!
//! # Measured
//!
//! Instructions, from the command above (4 MiB, `Folding::default`, the
//! fold's callees and first-use tables included): 87.0 M before the rewrite
//! described in `src/text/fold.rs`, 28.4 M after. The UTF-8 check of the
//! same text in the 4 MiB scan: std 43.8 M, simdutf8 3.5 M plus the copy.
//!
//! Wall clock, `cargo bench --bench fold -- --warm-up-time 1
//! --measurement-time 4`, load average 5 (five engineers on two cores, so
//! compare the rows, not the absolute figures):
//!
//! | bench | MiB/s |
//! |---|---|
//! | fold/refill/default | 421 |
//! | fold/refill/no_noise | 568 |
//! | fold/refill/none | 15,600 |
//! | fold/copy | 15,700 |
//! | utf8/std | 485 |
//! | utf8/simdutf8_copy | 3,830 |

mod corpus;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use spamsift::text::{Folded, Folding};

/// FNV-1a over the folded text and, for every folded character, its original
/// offset: a stable function of everything the fold answers publicly.
fn digest(folded: &Folded) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    };
    eat(folded.as_str().as_bytes());
    for (i, _) in folded.as_str().char_indices() {
        eat(&(folded.original_offset(i) as u64).to_le_bytes());
    }
    eat(&(folded.original_offset(folded.len()) as u64).to_le_bytes());
    h
}

/// The settings benched: the default, and every fold but the noise fold.
fn foldings() -> [(&'static str, Folding); 3] {
    let mut no_noise = Folding::default();
    no_noise.max_noise(0);
    [
        ("default", Folding::default()),
        ("no_noise", no_noise),
        ("none", Folding::none()),
    ]
}

/// Digests of the generated corpus of this many MiB, under [`foldings`].
fn expected_digests(mib: usize) -> Option<[u64; 3]> {
    match mib {
        4 => Some([
            0xd73b_b0b5_201e_37cf,
            0xe5f3_6715_9c79_9215,
            0x7af6_3ad4_5689_0478,
        ]),
        16 => Some([
            0xf862_c894_849b_a157,
            0xae9a_f90a_fc56_6cc7,
            0xff02_42a3_d277_6917,
        ]),
        _ => None,
    }
}

fn bench_fold(c: &mut Criterion) {
    let mib = std::env::var("SPAMSIFT_BENCH_MIB")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4usize);
    let corpus = corpus::load_or_generate(&corpus::Config::new(0x5EED, mib * corpus::MIB));
    let texts: Vec<&str> = corpus.docs.iter().map(|d| d.text.as_str()).collect();
    let bytes: usize = texts.iter().map(|t| t.len()).sum();
    let mut folded = Folded::default();
    if std::env::var_os("SPAMSIFT_FOLD_ONCE").is_some() {
        let folding = Folding::default();
        let mut len = 0;
        for t in &texts {
            folded.refill(t, &folding);
            len += folded.len();
        }
        eprintln!("fold once: {bytes} bytes fold to {len}");
        return;
    }
    let generated = matches!(corpus.source, corpus::Source::Generated { .. });
    let want = expected_digests(mib).filter(|_| generated);
    let digests = foldings().map(|(name, folding)| {
        let mut h = 0u64;
        for t in &texts {
            folded.refill(t, &folding);
            h = h.rotate_left(5) ^ digest(&folded);
        }
        eprintln!("fold digest {name}: {h:016x}");
        h
    });
    if let Some(want) = want {
        assert_eq!(digests, want, "fold digests");
    }

    let mut group = c.benchmark_group("fold");
    group.throughput(Throughput::Bytes(bytes as u64));
    for (name, folding) in foldings() {
        group.bench_function(format!("refill/{name}"), |b| {
            b.iter(|| {
                let mut len = 0;
                for t in &texts {
                    folded.refill(t, &folding);
                    len += folded.len();
                }
                len
            })
        });
    }
    let mut copy = String::new();
    group.bench_function("copy", |b| {
        b.iter(|| {
            let mut len = 0;
            for t in &texts {
                copy.clear();
                copy.push_str(t);
                len += copy.len();
            }
            len
        })
    });
    group.finish();

    let mut group = c.benchmark_group("utf8");
    group.throughput(Throughput::Bytes(bytes as u64));
    // What a text part costs to become a `String`: std checks the bytes it
    // takes; simdutf8 checks them in place, then they are copied.
    let parts: Vec<Vec<u8>> = texts.iter().map(|t| t.as_bytes().to_vec()).collect();
    group.bench_function("std", |b| {
        b.iter_batched(
            || parts.clone(),
            |parts| {
                parts
                    .into_iter()
                    .map(|p| String::from_utf8(p).map_or(0, |s| s.len()))
                    .sum::<usize>()
            },
            criterion::BatchSize::LargeInput,
        )
    });
    group.bench_function("simdutf8_copy", |b| {
        b.iter_batched(
            || parts.clone(),
            |parts| {
                parts
                    .into_iter()
                    .map(|p| simdutf8::basic::from_utf8(&p).map_or(0, |s| s.to_owned().len()))
                    .sum::<usize>()
            },
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench_fold);
criterion_main!(benches);
