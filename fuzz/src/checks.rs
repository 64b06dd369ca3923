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
        assert!(
            r.start == o && r.end == o + src.len_utf8(),
            "range {r:?} for {c:?} at {i}"
        );
    }
    let end = f.original_offset(out.len());
    assert!(
        end <= haystack.len() && end >= last,
        "end maps to {end} in {haystack:?}"
    );
    // The end maps just past the source of the last folded character.
    if let Some(c) = out.chars().next_back() {
        let o = f.original_offset(out.len() - c.len_utf8());
        let src_len = haystack[o..].chars().next().map_or(0, char::len_utf8);
        assert_eq!(
            end,
            o + src_len,
            "end maps to {end}, not past {o} + {src_len}, in {haystack:?} {settings:?}"
        );
    } else {
        assert_eq!(end, 0, "empty fold's end maps to {end} in {haystack:?}");
    }
    let whole = f.original_range(haystack, 0..out.len());
    assert!(
        haystack.get(whole.clone()).is_some(),
        "whole range {whole:?}"
    );

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
    let bound =
        2 * (haystack.len() * 4 / 3 + 4) + 2 * 16 * (haystack.len() + 1) + 2 * 16 * 256 + 64;
    assert!(
        f.memory_usage() <= bound,
        "folded {} bytes holds {} bytes",
        haystack.len(),
        f.memory_usage()
    );
}

/// One step of an index session, for the index fuzz target and proptest.
#[derive(Clone, Debug)]
pub enum IndexOp {
    /// Insert a fingerprint with an id.
    Insert(u64, u64),
    /// Insert a copy of the `n % len`-th item so far with some bits flipped
    /// (each `Some(bit)` flips bit `bit % 64`), to make near duplicates common.
    InsertNear(usize, [Option<u8>; 4], u64),
    /// Query a fingerprint.
    Query(u64),
    /// Query near the `n % len`-th item.
    QueryNear(usize, [Option<u8>; 4]),
    /// Query, then insert.
    QueryThenInsert(u64, u64),
    /// Insert a batch.
    Extend(Vec<(u64, u64)>),
    /// Sort the buffer into tables.
    Compact,
    /// Self-join everything inserted so far, pairs and groups.
    SelfJoin(Option<u8>),
    /// Save to memory and continue with the loaded copy.
    SaveLoad,
}

/// Settings of an index session.
#[derive(Clone, Debug)]
pub struct IndexCase {
    /// Any value; above `MAX_DISTANCE` the builder must refuse it.
    pub max_distance: u32,
    /// `None` for the automatic layout; any block count otherwise.
    pub blocks: Option<u32>,
    /// Any value; 0 must be refused.
    pub buffer_capacity: usize,
    /// The steps.
    pub ops: Vec<IndexOp>,
}

fn flip(fp: u64, bits: &[Option<u8>; 4]) -> u64 {
    bits.iter()
        .flatten()
        .fold(fp, |f, &b| f ^ (1u64 << (b % 64)))
}

/// The naive answer: every stored item within the distance.
fn naive_matches(model: &[spamsift::neardup::Item], fp: u64, k: u32) -> Vec<(u64, u64, u32)> {
    let mut v: Vec<_> = model
        .iter()
        .map(|it| (it.id, it.fingerprint, (it.fingerprint ^ fp).count_ones()))
        .filter(|&(_, _, d)| d <= k)
        .collect();
    v.sort_unstable();
    v
}

/// Runs the steps on an `Index` and on a plain vector side by side: every
/// query, self-join and reload must give exactly what the vector gives.
pub fn check_index(case: &IndexCase) {
    use spamsift::neardup::{Index, Item, MAX_DISTANCE, SelfJoin};

    let mut b = Index::builder();
    b.max_distance(case.max_distance)
        .buffer_capacity(case.buffer_capacity)
        .threads(1);
    if let Some(blocks) = case.blocks {
        b.blocks(blocks);
    }
    let mut index = match b.build() {
        Ok(i) => i,
        Err(e) => {
            assert!(
                case.max_distance > MAX_DISTANCE
                    || case.blocks.is_some()
                    || case.buffer_capacity == 0,
                "index refused valid settings: {e} for {case:?}"
            );
            return;
        }
    };
    let k = case.max_distance;
    let mut model: Vec<Item> = Vec::new();
    let pick = |model: &[Item], n: usize| {
        model
            .get(n % model.len().max(1))
            .map_or(0, |it| it.fingerprint)
    };
    let query = |index: &Index, model: &[Item], fp: u64| {
        let mut got: Vec<_> = index
            .matches(fp)
            .iter()
            .map(|m| (m.id, m.fingerprint, m.distance))
            .collect();
        got.sort_unstable();
        assert_eq!(
            got,
            naive_matches(model, fp, k),
            "query {fp:#x}, k {k}, {} items",
            model.len()
        );
    };
    for op in &case.ops {
        match op {
            &IndexOp::Insert(fp, id) => {
                index.insert(fp, id);
                model.push(Item::new(fp, id));
            }
            IndexOp::InsertNear(n, bits, id) => {
                let fp = flip(pick(&model, *n), bits);
                index.insert(fp, *id);
                model.push(Item::new(fp, *id));
            }
            &IndexOp::Query(fp) => query(&index, &model, fp),
            IndexOp::QueryNear(n, bits) => query(&index, &model, flip(pick(&model, *n), bits)),
            &IndexOp::QueryThenInsert(fp, id) => {
                let mut got = Vec::new();
                index.query_then_insert(fp, id, |m| got.push((m.id, m.fingerprint, m.distance)));
                got.sort_unstable();
                assert_eq!(
                    got,
                    naive_matches(&model, fp, k),
                    "query_then_insert {fp:#x}"
                );
                model.push(Item::new(fp, id));
            }
            IndexOp::Extend(batch) => {
                index.extend(batch.iter().map(|&(fp, id)| Item::new(fp, id)));
                model.extend(batch.iter().map(|&(fp, id)| Item::new(fp, id)));
            }
            IndexOp::Compact => index.compact(),
            IndexOp::SelfJoin(blocks) => {
                let mut jb = SelfJoin::builder();
                jb.max_distance(k).threads(1);
                if let Some(bl) = blocks {
                    jb.blocks(u32::from(*bl % 66));
                }
                let Ok(join) = jb.build() else {
                    assert!(
                        blocks.is_some(),
                        "self-join refused k {k} with the automatic layout"
                    );
                    continue;
                };
                let mut naive = Vec::new();
                for (i, a) in model.iter().enumerate() {
                    for b in &model[i + 1..] {
                        let d = (a.fingerprint ^ b.fingerprint).count_ones();
                        if d <= k {
                            naive.push(if a <= b { (*a, *b, d) } else { (*b, *a, d) });
                        }
                    }
                }
                naive.sort_unstable();
                let pairs = std::sync::Mutex::new(Vec::new());
                let mut items = model.clone();
                join.for_each_pair(&mut items, |p| {
                    let (a, b) = if p.a <= p.b { (p.a, p.b) } else { (p.b, p.a) };
                    pairs.lock().unwrap().push((a, b, p.distance));
                });
                let mut pairs = pairs.into_inner().unwrap();
                pairs.sort_unstable();
                assert_eq!(
                    pairs,
                    naive,
                    "self-join pairs, k {k}, {} items",
                    model.len()
                );
                // Groups describe the same pairs without listing them.
                let in_groups = std::sync::atomic::AtomicUsize::new(0);
                let mut in_same = 0usize;
                join.for_each_group(
                    &mut items,
                    |g| in_same += g.len() * (g.len() - 1) / 2,
                    |gp| {
                        assert!(gp.distance >= 1 && gp.distance <= k);
                        in_groups.fetch_add(
                            gp.a.len() * gp.b.len(),
                            std::sync::atomic::Ordering::Relaxed,
                        );
                    },
                );
                assert_eq!(
                    in_same + in_groups.into_inner(),
                    naive.len(),
                    "self-join groups"
                );
            }
            IndexOp::SaveLoad => {
                let mut bytes = Vec::new();
                index.write_to(&mut bytes).expect("writing to memory");
                let loaded = Index::read_from(bytes.as_slice()).expect("loading what was saved");
                let mut want = model.clone();
                want.sort_unstable();
                assert_eq!(loaded.to_items(), want, "items after save and load");
                assert_eq!(loaded.max_distance(), index.max_distance());
                assert_eq!(loaded.len(), model.len());
                index = loaded;
            }
        }
        assert_eq!(index.len(), model.len());
    }
    let mut want = model.clone();
    want.sort_unstable();
    let mut got = index.to_items();
    got.sort_unstable();
    assert_eq!(got, want, "to_items");
}

/// Loads arbitrary bytes as an index file: an error or an index, never a
/// panic or a huge allocation (the fuzz crate's allocator aborts on one). An
/// index that loads writes back the very same bytes.
pub fn check_index_bytes(bytes: &[u8]) {
    use spamsift::neardup::Index;
    match Index::read_from(bytes) {
        Ok(index) => {
            let mut again = Vec::new();
            index.write_to(&mut again).expect("writing to memory");
            assert_eq!(
                again.as_slice(),
                bytes.get(..again.len()).unwrap_or(bytes),
                "a loaded index saves differently"
            );
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.contains("<memory>"), "error without the source: {msg}");
        }
    }
}

/// The word-wise FNV-1a 64 of the index file format, so a fuzzer can make
/// files whose checksum is right and reach the checks behind it.
pub fn index_checksum(bytes: &[u8]) -> u64 {
    bytes.chunks_exact(8).fold(0xcbf2_9ce4_8422_2325, |h, w| {
        (h ^ u64::from_le_bytes(w.try_into().unwrap())).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// What a fuzzer or a property test asks of the fingerprinter and finder.
#[derive(Clone, Debug)]
pub struct FingerprintCase {
    /// Fold settings (`max_noise` may be out of range).
    pub fold: FoldSettings,
    /// Any values; the builder must accept those in range and refuse the rest.
    pub shingle_len: usize,
    /// Short-paragraph threshold.
    pub min_units: usize,
    /// Chunk length, 0 for none.
    pub chunk_len: usize,
    /// Chunk keys kept.
    pub max_chunks: usize,
    /// Sketch length.
    pub sketch_len: usize,
    /// Documents, each with byte-range masks that may be out of bounds, not
    /// on character boundaries, overlapping or reversed.
    pub docs: Vec<(String, Vec<(usize, usize)>)>,
}

/// Fingerprints and finds near duplicates in any documents, with any masks:
/// no panic, the same text always gives the same fingerprint whichever entry
/// point computes it, and the finder's answers point at earlier paragraphs.
pub fn check_fingerprint(case: &FingerprintCase) {
    use spamsift::neardup::{Finder, Fingerprinter};

    let folding = case.fold.folding();
    let mut fb = Fingerprinter::builder();
    fb.shingle_len(case.shingle_len)
        .min_units(case.min_units)
        .chunk_len(case.chunk_len)
        .max_chunks(case.max_chunks)
        .sketch_len(case.sketch_len)
        .folding(folding);
    let in_range = (1..=8).contains(&case.shingle_len)
        && case.min_units >= case.shingle_len
        && (case.chunk_len == 0 || case.chunk_len >= 4)
        && (1..=256).contains(&case.sketch_len)
        && case.fold.max_noise <= spamsift::text::MAX_NOISE_LIMIT;
    let fp = match fb.build() {
        Ok(f) => f,
        Err(e) => {
            assert!(
                !in_range,
                "fingerprinter refused settings in range: {e} for {case:?}"
            );
            return;
        }
    };
    for (text, masks) in &case.docs {
        let masks: Vec<_> = masks.iter().map(|&(a, b)| a..b).collect();
        let plain = fp.fingerprint(text);
        assert_eq!(plain, fp.fingerprint(text), "not deterministic on {text:?}");
        assert_eq!(plain, fp.fingerprint_masked(text, &[]));
        let a = fp.analyze(text, &masks);
        assert_eq!(
            a.fingerprint(),
            fp.fingerprint_masked(text, &masks),
            "analyze vs fingerprint_masked on {text:?} {masks:?}"
        );
        assert!(
            a.chunks().len() <= case.max_chunks.max(1) + 1,
            "{} chunks kept",
            a.chunks().len()
        );
        assert!(
            a.sketch().len() <= case.sketch_len,
            "sketch of {}",
            a.sketch().len()
        );
        // The folded entry points clamp any range and masks instead of panicking.
        let folded = fold(text, fp.folding());
        let n = folded.len();
        let range = masks.first().cloned().unwrap_or(0..n);
        let _ = fp.fingerprint_folded(text, &folded, range, &masks);
        assert_eq!(fp.fingerprint_folded(text, &folded, 0..n, &[]), plain);
    }

    let mut finder = match Finder::builder()
        .shingle_len(case.shingle_len)
        .min_units(case.min_units)
        .chunk_len(case.chunk_len)
        .max_chunks(case.max_chunks)
        .sketch_len(case.sketch_len)
        .folding(folding)
        .build()
    {
        Ok(f) => f,
        Err(e) => panic!("finder refused what the fingerprinter accepted: {e}"),
    };
    let mut seen = Vec::new();
    for (doc, (text, masks)) in case.docs.iter().enumerate() {
        let masks: Vec<_> = masks.iter().map(|&(a, b)| a..b).collect();
        for (i, out) in finder
            .add_document(doc as u64, text, &masks)
            .into_iter()
            .enumerate()
        {
            let p = &out.paragraph;
            assert_eq!((p.doc, p.paragraph), (doc as u64, i));
            assert!(
                text.get(p.span.clone()).is_some(),
                "span {:?} not a slice of {text:?}",
                p.span
            );
            if let Some(d) = &out.duplicate_of {
                assert!(
                    (d.doc, d.paragraph) < (p.doc, p.paragraph)
                        && seen.contains(&(d.doc, d.paragraph)),
                    "{p:?} duplicates {d:?}, which was not added before it"
                );
            }
            seen.push((p.doc, p.paragraph));
        }
    }
    let mut members = 0;
    for c in finder.clusters() {
        assert!(c.members.len() >= 2 && c.representative < c.members.len());
        for m in &c.members {
            assert!(
                seen.contains(&(m.doc, m.paragraph)),
                "cluster member {m:?} never added"
            );
        }
        members += c.members.len();
    }
    assert!(members <= seen.len(), "a paragraph in two clusters");
}
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
            assert!(
                msg.contains("fuzz.tsv"),
                "dictionary error without the file name: {msg}"
            );
        }
    }
    for (k, c) in &case.keywords {
        b.keyword(k, c);
    }
    for a in &case.allow {
        b.allow(a);
    }
    let should_build = case.fold.max_noise <= spamsift::text::MAX_NOISE_LIMIT
        && case
            .keywords
            .iter()
            .all(|(k, c)| surely_survives_folding(k) && valid_category(c))
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
        assert!(
            r.start >= last_end,
            "hit {r:?} overlaps the one ending at {last_end} in {hay:?}"
        );
        last_end = r.end;
        let found = hay
            .get(r.clone())
            .unwrap_or_else(|| panic!("hit {r:?} not on char boundaries of {hay:?}"));
        let refolded = fold(found, &folding);
        assert_eq!(
            refolded.as_str(),
            hit.keyword(),
            "hit {r:?} = {found:?} folds to {:?}, not its keyword {:?}; haystack {hay:?}",
            refolded.as_str(),
            hit.keyword()
        );
        let (kw, cat) = detector
            .pattern(hit.pattern())
            .expect("pattern id in range");
        assert_eq!((kw, cat), (hit.keyword(), hit.category()));
    }
    assert_eq!(detector.is_match(hay), n > 0);
    // Folding once outside and scanning the folded text finds the same hits.
    // Only hits from the whole fold carry their folded range, which holds
    // the keyword and maps back to the hit.
    let folded = fold(hay, &folding);
    let outside: Vec<_> = detector
        .find_iter_folded(hay, &folded)
        .map(|h| {
            let f = h
                .folded_range()
                .expect("find_iter_folded gives folded ranges");
            assert_eq!(folded.as_str().get(f.clone()), Some(h.keyword()), "{hay:?}");
            assert_eq!(folded.original_range(hay, f), h.range(), "{hay:?}");
            (h.range(), h.pattern())
        })
        .collect();
    let inside: Vec<_> = detector
        .find_iter(hay)
        .map(|h| {
            assert_eq!(h.folded_range(), None, "{hay:?}");
            (h.range(), h.pattern())
        })
        .collect();
    assert_eq!(
        outside, inside,
        "find_iter_folded differs from find_iter on {hay:?}"
    );
    // The fold that notes where keywords start folds the same and finds the
    // same hits, folded ranges included.
    let mut noted = spamsift::text::Folded::default();
    detector.fold_into(hay, &mut noted);
    assert_eq!(noted.as_str(), folded.as_str(), "fold_into of {hay:?}");
    let whole: Vec<_> = detector.find_iter_folded(hay, &folded).collect();
    let skipped: Vec<_> = detector.find_iter_folded(hay, &noted).collect();
    assert_eq!(
        skipped, whole,
        "find_iter_folded after fold_into on {hay:?}"
    );
}

/// Scans arbitrary bytes as a JSONL corpus (and as a text document): no
/// panic; a malformed line is an error naming the input, or, with
/// `skip_bad_lines`, an event carrying the line as read, so every line is
/// accounted for; and each part's cleaned text plus its removals rebuilds the
/// part byte for byte.
pub fn check_jsonl(bytes: &[u8], skip_bad_lines: bool, fields: &[&str]) {
    use spamsift::scan::clean::{apply, rebuild, removals};
    use spamsift::scan::{Event, Format, Input, Scanner};

    thread_local! {
        static SCANNERS: std::cell::RefCell<std::collections::HashMap<(bool, Vec<String>), Scanner>> =
            Default::default();
    }
    let key = (
        skip_bad_lines,
        fields.iter().map(|f| f.to_string()).collect::<Vec<_>>(),
    );
    let scanner = SCANNERS.with(|s| {
        s.borrow_mut()
            .entry(key.clone())
            .or_insert_with(|| {
                Scanner::builder()
                    .threads(1)
                    .skip_bad_lines(skip_bad_lines)
                    .fields(key.1.clone())
                    .part_len(1 << 12)
                    .build()
                    .expect("scanner builds")
            })
            .clone()
    });
    for format in [Format::Jsonl, Format::Text] {
        let input =
            Input::reader("fuzz.jsonl", std::io::Cursor::new(bytes.to_vec())).with_format(format);
        let mut accounted = 0usize;
        let result = scanner.scan(vec![input], |event| {
            match event {
                Event::Part(part) => {
                    let rs = removals(part);
                    let cleaned = apply(&part.text, part.offset, &rs);
                    let local: Vec<_> = rs
                        .iter()
                        .map(|r| {
                            let mut r = r.clone();
                            r.start -= part.offset;
                            r.end -= part.offset;
                            r
                        })
                        .collect();
                    assert_eq!(
                        rebuild(&cleaned, &local).as_deref(),
                        Some(part.text.as_str()),
                        "clean + removals do not rebuild part {:?}",
                        part.text
                    );
                    if part.first {
                        accounted += 1;
                    }
                }
                Event::BadLine { error, raw } => {
                    assert!(error.to_string().contains("fuzz.jsonl"), "{error}");
                    assert!(!raw.is_empty());
                    accounted += 1;
                }
                Event::BlankLine { .. } => accounted += 1,
                _ => {}
            }
            Ok(())
        });
        match result {
            Ok(summary) => {
                if format == Format::Jsonl {
                    // Every line, blank ones included; a final line break ends the last line.
                    let lines = bytes.split(|&b| b == b'\n').count()
                        - usize::from(bytes.is_empty() || bytes.ends_with(b"\n"));
                    assert_eq!(
                        accounted, lines,
                        "{} lines, {accounted} accounted for; summary {summary:?}",
                        lines
                    );
                }
            }
            Err(e) => {
                let msg = e.to_string();
                assert!(
                    !skip_bad_lines || format == Format::Text,
                    "scan failed with skip_bad_lines: {msg}"
                );
                assert!(
                    msg.contains("fuzz.jsonl"),
                    "error without the input's name: {msg}"
                );
            }
        }
    }
}
