//! The keyword detector under arbitrary dictionary entries, builder settings
//! and haystacks: building fails only for bad configuration or entries,
//! scanning never panics, and every hit slices back to text that folds to its
//! keyword.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use spamsift_fuzz::checks::{DetectorCase, FoldSettings, check_detector};

#[derive(Arbitrary, Debug)]
struct Input {
    width: bool,
    case: bool,
    traditional: bool,
    invisible: bool,
    max_noise: u16,
    kind: u8,
    /// Scan with the built-in detector (built once) when this byte is odd.
    builtin: u8,
    keywords: Vec<(String, String)>,
    allow: Vec<String>,
    dictionary: Vec<u8>,
    haystack: String,
}

fuzz_target!(|input: Input| {
    check_detector(&DetectorCase {
        fold: FoldSettings {
            width: input.width,
            case: input.case,
            traditional: input.traditional,
            invisible: input.invisible,
            // Mostly in range, sometimes above the limit to exercise the error.
            max_noise: if input.max_noise >= 0xFF00 {
                input.max_noise as usize
            } else {
                (input.max_noise % 8) as usize
            },
        },
        kind: input.kind,
        builtin: input.builtin % 2 == 1,
        keywords: input.keywords,
        allow: input.allow,
        dictionary: input.dictionary,
        haystack: input.haystack,
    });
});
