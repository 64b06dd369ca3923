//! Properties every entry point of spamsift must keep on any input.
//!
//! This file depends only on `spamsift` and `std`: `tests/hostile_props.rs`
//! includes it with `#[path]`, so the properties the fuzzer checks are also
//! checked by proptest in every `cargo test` on stable.

#![allow(dead_code)]

use spamsift::text::{Folded, Folding, fold};

/// The settings a fuzzer or a property test picks for folding.
#[derive(Clone, Copy, Debug)]
pub struct FoldSettings {
    /// Width fold.
    pub width: bool,
    /// Case fold.
    pub case: bool,
    /// Traditional to simplified.
    pub traditional: bool,
    /// Remove invisible characters.
    pub invisible: bool,
    /// Any value, including ones above `MAX_NOISE_LIMIT` (fold clamps them).
    pub max_noise: usize,
}

impl FoldSettings {
    /// The `Folding` these settings describe.
    pub fn folding(&self) -> Folding {
        let mut f = Folding::none();
        f.width(self.width)
            .case(self.case)
            .traditional(self.traditional)
            .invisible(self.invisible)
            .max_noise(self.max_noise);
        f
    }
}

/// Folding keeps its map honest: every folded character maps to the start of
/// a character of the haystack, in order, inside the haystack; the character
/// there explains it; ranges map back to slices; `Folding::none()` is the
/// identity; refilling a used `Folded` gives the same result as a fresh one.
pub fn check_fold(haystack: &str, settings: FoldSettings) {
    let folding = settings.folding();
    let f = fold(haystack, &folding);
    let out = f.as_str();
    assert!(std::str::from_utf8(out.as_bytes()).is_ok());
    assert_eq!(f.len(), out.len());
    assert_eq!(f.is_empty(), out.is_empty());
    // Folding never grows text by more than a character's worth per character:
    // the longest expansion is one 3-byte character to two ASCII digits, and
    // traditional to simplified may change a 3-byte character into a 4-byte one.
    assert!(
        out.len() <= haystack.len() / 3 * 4 + 4,
        "fold grew {} bytes to {} for {haystack:?} {settings:?}",
        haystack.len(),
        out.len()
    );

    // A character alone, folded with the noise fold off, gives every output a
    // character can have, except noise copied through as it is in a long run.
    let mut single = folding;
    single.max_noise(0);

    let mut last = 0;
    for (i, c) in out.char_indices() {
        let o = f.original_offset(i);
        assert!(
            o < haystack.len(),
            "folded {i} maps to {o}, out of bounds {} in {haystack:?} {settings:?}",
            haystack.len()
        );
        assert!(
            haystack.is_char_boundary(o),
            "folded {i} maps to {o}, inside a character of {haystack:?} {settings:?}"
        );
        assert!(
            o >= last,
            "map goes back from {last} to {o} at folded {i} in {haystack:?} {settings:?}"
        );
        last = o;
        let src = haystack[o..].chars().next().expect("o is in bounds");
        let alone = fold(src.encode_utf8(&mut [0; 4]), &single);
        assert!(
            alone.as_str().contains(c) || c == src,
            "folded {c:?} at {i} maps to {src:?} at {o}, which folds to {:?}, in {haystack:?} {settings:?}",
            alone.as_str()
        );
        let r = f.original_range(haystack, i..i + c.len_utf8());
        assert!(r.start == o && r.end == o + src.len_utf8(), "range {r:?} for {c:?} at {i}");
    }
    let end = f.original_offset(out.len());
    assert!(end <= haystack.len() && end >= last, "end maps to {end} in {haystack:?}");
    let whole = f.original_range(haystack, 0..out.len());
    assert!(haystack.get(whole.clone()).is_some(), "whole range {whole:?}");

    // Reusing buffers must not leak anything from the previous document.
    let mut reused = fold("ＡＢ金 博*體-育⑩\u{200b}。\n", &Folding::default());
    reused.refill(haystack, &folding);
    assert_eq!(reused.as_str(), out);
    for (i, _) in out.char_indices() {
        assert_eq!(reused.original_offset(i), f.original_offset(i));
    }

    // Every fold off: the folded text is the haystack, offset for offset.
    let none = fold(haystack, &Folding::none());
    assert_eq!(none.as_str(), haystack);
    for (i, _) in haystack.char_indices().step_by(7) {
        assert_eq!(none.original_offset(i), i);
    }
    check_folded_memory(&f, haystack);
}

/// The offset map is sparse and proportional to the input.
fn check_folded_memory(f: &Folded, haystack: &str) {
    // text + at most one mark (16 bytes) per input character + pending; allow
    // amortised doubling of each buffer.
    let bound = 2 * (haystack.len() * 4 / 3 + 4) + 2 * 16 * (haystack.len() + 1) + 2 * 16 * 256 + 64;
    assert!(
        f.memory_usage() <= bound,
        "folded {} bytes holds {} bytes",
        haystack.len(),
        f.memory_usage()
    );
}
