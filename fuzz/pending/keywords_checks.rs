/// What a fuzzer or a property test asks of the keyword detector.
#[derive(Clone, Debug)]
pub struct DetectorCase {
    /// Fold settings; `max_noise` may be out of range (build must then fail).
    pub fold: FoldSettings,
    /// 0 auto, 1 DFA, 2 contiguous NFA, 3 noncontiguous NFA.
    pub kind: u8,
    /// Scan with the built-in detector (built once) instead of building one.
    pub builtin: bool,
    /// Keywords and categories given to the builder one by one.
    pub keywords: Vec<(String, String)>,
    /// Allow-list phrases given to the builder.
    pub allow: Vec<String>,
    /// A dictionary file's bytes, parsed and added when it parses.
    pub dictionary: Vec<u8>,
    /// The text to scan.
    pub haystack: String,
}

/// Whether folding certainly leaves something of `s`: it holds an ASCII
/// letter or digit, which every fold keeps (case folds it to another one).
fn surely_survives_folding(s: &str) -> bool {
    s.trim().bytes().any(|b| b.is_ascii_alphanumeric())
}

/// A category the dictionary rules surely accept: not empty, no whitespace
/// (not even around it, whether or not the builder trims).
fn valid_category(c: &str) -> bool {
    !c.is_empty() && !c.chars().any(char::is_whitespace)
}

/// Builds a detector from any settings and entries, then scans any haystack:
/// building fails only for bad configuration or entries; scanning never
/// panics; hits are in order, disjoint, on character boundaries, and each one
/// slices back to text that folds to its keyword.
pub fn check_detector(case: &DetectorCase) {
    use spamsift::keywords::{Detector, Dictionary, MatcherKind};

    if case.builtin {
        // The built-in dictionary takes milliseconds to build: build it once
        // and scan the haystack with it, so its real keywords get fuzzed too.
        static BUILTIN: std::sync::OnceLock<Detector> = std::sync::OnceLock::new();
        let d = BUILTIN.get_or_init(|| Detector::new().expect("the built-in detector builds"));
        check_hits(d, &case.haystack);
        return;
    }
    let mut b = Detector::builder();
    b.builtin(false)
        .folding(case.fold.folding())
        .kind(match case.kind % 4 {
            0 => MatcherKind::Auto,
            1 => MatcherKind::Dfa,
            2 => MatcherKind::ContiguousNfa,
            _ => MatcherKind::NoncontiguousNfa,
        });
    match Dictionary::from_bytes_named(&case.dictionary, "fuzz.tsv") {
        Ok(d) => {
            b.dictionary(d);
        }
        Err(e) => {
            // A malformed file is an error naming the file, never a panic.
            let msg = e.to_string();
            assert!(msg.contains("fuzz.tsv"), "dictionary error without the file name: {msg}");
        }
    }
    for (k, c) in &case.keywords {
        b.keyword(k, c);
    }
    for a in &case.allow {
        b.allow(a);
    }
    let should_build = case.fold.max_noise <= spamsift::text::MAX_NOISE_LIMIT
        && case.keywords.iter().all(|(k, c)| surely_survives_folding(k) && valid_category(c))
        && case.allow.iter().all(|a| surely_survives_folding(a));
    let detector = match b.build() {
        Ok(d) => d,
        Err(e) => {
            assert!(
                !should_build,
                "build failed on valid settings and entries: {e} for {case:?}"
            );
            let msg = e.to_string();
            assert!(!msg.is_empty());
            return;
        }
    };
    // Building again from the same builder gives the same detector.
    assert_eq!(b.build().expect("second build").len(), detector.len());

    check_hits(&detector, &case.haystack);
}

/// Scans `hay` and checks every hit against the haystack and the detector.
pub fn check_hits(detector: &spamsift::keywords::Detector, hay: &str) {
    let folding = *detector.folding();
    let mut last_end = 0;
    let mut n = 0;
    for hit in detector.find_iter(hay) {
        n += 1;
        let r = hit.range();
        assert!(r.start < r.end, "empty hit {r:?} in {hay:?}");
        assert!(r.start >= last_end, "hit {r:?} overlaps the one ending at {last_end} in {hay:?}");
        last_end = r.end;
        let found = hay.get(r.clone()).unwrap_or_else(|| panic!("hit {r:?} not on char boundaries of {hay:?}"));
        let refolded = fold(found, &folding);
        assert_eq!(
            refolded.as_str(),
            hit.keyword(),
            "hit {r:?} = {found:?} folds to {:?}, not its keyword {:?}; haystack {hay:?}",
            refolded.as_str(),
            hit.keyword()
        );
        let (kw, cat) = detector.pattern(hit.pattern()).expect("pattern id in range");
        assert_eq!((kw, cat), (hit.keyword(), hit.category()));
    }
    assert_eq!(detector.is_match(hay), n > 0);
    // Folding once outside and scanning the folded text finds the same hits.
    let folded = fold(hay, &folding);
    let outside: Vec<_> = detector.find_iter_folded(hay, &folded).map(|h| (h.range(), h.pattern())).collect();
    let inside: Vec<_> = detector.find_iter(hay).map(|h| (h.range(), h.pattern())).collect();
    assert_eq!(outside, inside, "find_iter_folded differs from find_iter on {hay:?}");
}
