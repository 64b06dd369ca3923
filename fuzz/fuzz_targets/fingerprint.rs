//! The fingerprinter and the finder on any documents and masks, under any
//! settings: no panic, one fingerprint per text whatever the entry point, and
//! duplicates that point at earlier paragraphs.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use spamsift_fuzz::checks::{FingerprintCase, FoldSettings, check_fingerprint};

#[derive(Arbitrary, Debug)]
struct Input {
    width: bool,
    case: bool,
    traditional: bool,
    invisible: bool,
    max_noise: u8,
    shingle_len: u8,
    min_units: u8,
    chunk_len: u8,
    max_chunks: u8,
    sketch_len: u16,
    docs: Vec<(String, Vec<(u16, u16)>)>,
}

fuzz_target!(|input: Input| {
    check_fingerprint(&FingerprintCase {
        fold: FoldSettings {
            width: input.width,
            case: input.case,
            traditional: input.traditional,
            invisible: input.invisible,
            max_noise: usize::from(input.max_noise % 8),
        },
        shingle_len: usize::from(input.shingle_len % 10),
        min_units: usize::from(input.min_units % 20),
        chunk_len: usize::from(input.chunk_len % 12),
        max_chunks: usize::from(input.max_chunks % 8),
        sketch_len: usize::from(input.sketch_len % 300),
        docs: input
            .docs
            .into_iter()
            .take(16)
            .map(|(t, m)| {
                (
                    t,
                    m.into_iter()
                        .take(8)
                        .map(|(a, b)| (a.into(), b.into()))
                        .collect(),
                )
            })
            .collect(),
    });
});
