//! Folding of any text under any settings: the map stays monotone, in bounds
//! and on character boundaries, and `Folding::none()` is the identity.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use spamsift_fuzz::checks::{FoldSettings, check_fold};

#[derive(Arbitrary, Debug)]
struct Input {
    width: bool,
    case: bool,
    traditional: bool,
    invisible: bool,
    max_noise: u16,
    haystack: String,
}

fuzz_target!(|input: Input| {
    let settings = FoldSettings {
        width: input.width,
        case: input.case,
        traditional: input.traditional,
        invisible: input.invisible,
        max_noise: input.max_noise as usize,
    };
    check_fold(&input.haystack, settings);
});
