//! The fuzz targets' properties (fuzz/src/checks.rs), run by proptest on
//! stable in every `cargo test`, plus the named regression tests that fuzz
//! findings became.

#[path = "../fuzz/src/checks.rs"]
mod checks;

use checks::{
    DetectorCase, FingerprintCase, FoldSettings, IndexCase, IndexOp, check_detector,
    check_fingerprint, check_fold, check_index, check_index_bytes, check_jsonl, index_checksum,
};
use proptest::prelude::*;
use spamsift::text::{Folded, Folding, fold};

/// Text made of the characters folding treats specially, mixed with any
/// character at all, so short strings hit the interesting cases often.
fn hostile_text() -> impl Strategy<Value = String> {
    let special = prop::sample::select(vec![
        'a',
        'Z',
        '金',
        '博',
        '體',
        'Ａ',
        'ｚ',
        '１',
        '⑩',
        '⒛',
        '❶',
        'ⓐ',
        'Ⓩ',
        '*',
        '-',
        ' ',
        '，',
        '·',
        '🎰',
        '\u{3000}',
        '\u{200b}',
        '\u{feff}',
        '\u{ad}',
        '\u{e0100}',
        '。',
        '!',
        '！',
        '\n',
        '\r',
        '\u{2028}',
    ]);
    prop::collection::vec(prop_oneof![4 => special, 1 => any::<char>()], 0..64)
        .prop_map(|v| v.into_iter().collect())
}

fn fold_settings() -> impl Strategy<Value = FoldSettings> {
    (any::<[bool; 4]>(), prop_oneof![0..5usize, 0..300usize]).prop_map(|(b, max_noise)| {
        FoldSettings {
            width: b[0],
            case: b[1],
            traditional: b[2],
            invisible: b[3],
            max_noise,
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn fold_map_is_monotone_in_bounds_and_on_boundaries(hay in hostile_text(), s in fold_settings()) {
        check_fold(&hay, s);
    }
}

fn bits() -> impl Strategy<Value = [Option<u8>; 4]> {
    prop::array::uniform4(prop::option::of(0u8..64))
}

fn index_op() -> impl Strategy<Value = IndexOp> {
    // Fingerprints from a small pool (and bit flips of stored ones) so near
    // and identical fingerprints are common; ids from a small range so the
    // same id recurs.
    let fp = prop_oneof![
        any::<u64>(),
        (0u64..4).prop_map(|i| i * 0x0101_0101_0101_0101)
    ];
    prop_oneof![
        4 => (fp.clone(), 0u64..8).prop_map(|(f, id)| IndexOp::Insert(f, id)),
        4 => (any::<usize>(), bits(), 0u64..8).prop_map(|(n, b, id)| IndexOp::InsertNear(n, b, id)),
        2 => fp.clone().prop_map(IndexOp::Query),
        3 => (any::<usize>(), bits()).prop_map(|(n, b)| IndexOp::QueryNear(n, b)),
        2 => (fp.clone(), 0u64..8).prop_map(|(f, id)| IndexOp::QueryThenInsert(f, id)),
        1 => prop::collection::vec((fp, 0u64..8), 0..40).prop_map(IndexOp::Extend),
        1 => Just(IndexOp::Compact),
        1 => prop::option::of(any::<u8>()).prop_map(IndexOp::SelfJoin),
        1 => Just(IndexOp::SaveLoad),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn index_agrees_with_naive_model(
        max_distance in 0u32..10,
        blocks in prop::option::of(0u32..70),
        buffer_capacity in 0usize..6,
        ops in prop::collection::vec(index_op(), 0..80),
    ) {
        check_index(&IndexCase { max_distance, blocks, buffer_capacity, ops });
    }

    #[test]
    fn index_loader_rejects_or_round_trips_any_bytes(
        body in prop::collection::vec(any::<u8>(), 0..200),
        magic in any::<bool>(),
        fix_checksum in any::<bool>(),
    ) {
        let mut file = if magic { b"SPSFTIDX\x01\x00\x00\x00".to_vec() } else { Vec::new() };
        file.extend_from_slice(&body);
        if fix_checksum && file.len() >= 40 {
            let n = (file.len() - 8) / 8 * 8;
            file.truncate(n + 8);
            let sum = index_checksum(&file[..n]);
            file[n..].copy_from_slice(&sum.to_le_bytes());
        }
        check_index_bytes(&file);
    }
}

/// Paragraph-shaped documents: hostile text lines, some repeated, so the
/// finder sees exact and near duplicates.
fn documents() -> impl Strategy<Value = Vec<(String, Vec<(usize, usize)>)>> {
    let line = prop_oneof![
        3 => hostile_text(),
        2 => Just("成都平原经济区正加快打造高能级产业空间载体，1490家企业开展跨市域产业协作。".to_string()),
        1 => Just("成都平原经济区正加快打造高能級产業空间载体,1490家企业开展跨市域产业协作金博体育。".to_string()),
    ];
    let doc = prop::collection::vec(line, 0..6).prop_map(|ls| ls.join("\n"));
    let masks = prop::collection::vec((0usize..300, 0usize..300), 0..4);
    prop::collection::vec((doc, masks), 0..6)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn fingerprint_and_finder_keep_their_promises(
        fold in fold_settings(),
        shingle_len in 0usize..10,
        min_units in 0usize..20,
        chunk_len in 0usize..12,
        max_chunks in 0usize..8,
        sketch_len in 0usize..300,
        docs in documents(),
    ) {
        let mut fold = fold;
        fold.max_noise %= 8;
        check_fingerprint(&FingerprintCase { fold, shingle_len, min_units, chunk_len, max_chunks, sketch_len, docs });
    }
}

/// Fuzz finding (`fold`, crash-3aa7fcc9, after the OpenCC table landed): a
/// last character that folds to a longer one (`釲` → a 4-byte character) made
/// `original_offset(len)` point past the end of the haystack (16 of 15
/// bytes); one that folds shorter (`Ａ` → `a`) made it point inside it.
#[test]
fn fold_end_maps_past_the_last_source_character() {
    for (hay, settings) in [
        ("\u{1}\u{1}\u{1}\u{1}\u{3}\0ＡＢ釲", Folding::default()),
        ("ＡＢ鐇", Folding::default()),
        ("Ａ", Folding::default()),
        ("⑩", Folding::default()),
        ("a⑩ \u{200b}", Folding::default()),
    ] {
        let f = fold(hay, &settings);
        let end = f.original_offset(f.len());
        assert!(
            hay.is_char_boundary(end) && end <= hay.len(),
            "{hay:?}: end {end}"
        );
        let last = f.as_str().char_indices().next_back().unwrap().0;
        let src = f.original_offset(last);
        assert_eq!(
            end,
            src + hay[src..].chars().next().unwrap().len_utf8(),
            "{hay:?}"
        );
    }
    for (hay, settings) in [("\u{1}\u{1}\u{1}\u{1}\u{3}\0ＡＢ釲", 256), ("ＡＢ鐇", 3)] {
        check_fold(
            hay,
            FoldSettings {
                width: false,
                case: false,
                traditional: true,
                invisible: false,
                max_noise: settings,
            },
        );
    }
}

/// `Folded::default()` is public and has no offset marks: asking it for
/// offset 0 underflowed and panicked.
#[test]
fn default_folded_maps_offset_zero() {
    let f = Folded::default();
    assert_eq!(f.original_offset(0), 0);
    assert_eq!(f.original_range("", 0..0), 0..0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn detector_builds_only_valid_configs_and_hits_fold_back(
        fold in fold_settings(),
        kind in any::<u8>(),
        builtin in prop::bool::weighted(0.2),
        keywords in prop::collection::vec((hostile_text(), prop_oneof![Just("spam".to_string()), hostile_text()]), 0..5),
        allow in prop::collection::vec(hostile_text(), 0..3),
        dictionary in prop::collection::vec(any::<u8>(), 0..40),
        haystack in hostile_text(),
    ) {
        let mut fold = fold;
        fold.max_noise %= 8;
        check_detector(&DetectorCase { fold, kind, builtin, keywords, allow, dictionary, haystack });
    }
}

/// A generated JSONL corpus: documents with spliced keywords and repeated
/// paragraphs, blank lines, and malformed lines.
fn corpus() -> impl Strategy<Value = Vec<u8>> {
    let para = prop_oneof![
        Just("成都平原经济区正加快打造高能级产业空间载体，1490家企业开展跨市域产业协作。"),
        Just("省政府新闻办召开发布会，金\u{200b}博體育协作。"),
        Just("新皇冠体育：得州枪击案嫌疑人身份公布"),
        Just("免费北京pk10 时时彩 快三计划"),
        Just("普通的一段新闻正文，没有任何问题。"),
    ];
    let doc = prop::collection::vec(para, 1..5).prop_map(|ps| ps.join("\n\n"));
    let line = prop_oneof![
        6 => (any::<u16>(), doc).prop_map(|(id, text)| format!("{{\"id\": {id}, \"text\": {}}}", serde_json::to_string(&text).unwrap())),
        1 => Just(String::new()),
        1 => Just("{\"text\": 5}".to_string()),
        1 => hostile_text(),
    ];
    prop::collection::vec(line, 0..8).prop_map(|ls| ls.join("\n").into_bytes())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    /// Nothing lost: every line of a generated corpus is a document, a bad
    /// line or a blank line, and each part's cleaned text plus its removals
    /// rebuilds the part byte for byte.
    #[test]
    fn jsonl_scan_loses_nothing_and_clean_is_reversible(bytes in corpus(), skip in any::<bool>()) {
        check_jsonl(&bytes, skip, &["text"]);
    }
}
