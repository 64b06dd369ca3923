//! The fuzz targets' properties (fuzz/src/checks.rs), run by proptest on
//! stable in every `cargo test`, plus the named regression tests that fuzz
//! findings became.

#[path = "../fuzz/src/checks.rs"]
mod checks;

use checks::{FoldSettings, check_fold};
use proptest::prelude::*;

/// Text made of the characters folding treats specially, mixed with any
/// character at all, so short strings hit the interesting cases often.
fn hostile_text() -> impl Strategy<Value = String> {
    let special = prop::sample::select(vec![
        'a', 'Z', '金', '博', '體', 'Ａ', 'ｚ', '１', '⑩', '⒛', '❶', 'ⓐ', 'Ⓩ', '*', '-', ' ', '，', '·', '🎰',
        '\u{3000}', '\u{200b}', '\u{feff}', '\u{ad}', '\u{e0100}', '。', '!', '！', '\n', '\r', '\u{2028}',
    ]);
    prop::collection::vec(prop_oneof![4 => special, 1 => any::<char>()], 0..64)
        .prop_map(|v| v.into_iter().collect())
}

fn fold_settings() -> impl Strategy<Value = FoldSettings> {
    (any::<[bool; 4]>(), prop_oneof![0..5usize, 0..300usize]).prop_map(|(b, max_noise)| FoldSettings {
        width: b[0],
        case: b[1],
        traditional: b[2],
        invisible: b[3],
        max_noise,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn fold_map_is_monotone_in_bounds_and_on_boundaries(hay in hostile_text(), s in fold_settings()) {
        check_fold(&hay, s);
    }
}
