//! The Hamming index and self-join against a naive all-pairs oracle, under
//! every layout, plus the file format's error handling.

use std::collections::BTreeSet;
use std::sync::Mutex;

use proptest::prelude::*;
use spamsift::Error;
use spamsift::neardup::{Index, Item, Layout, MAX_DISTANCE, MAX_TABLES, Match, SelfJoin};

// ---------------------------------------------------------------- helpers

/// splitmix64: a tiny deterministic generator so failures replay from a seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// `x` with exactly `d` distinct random bits flipped.
    fn flip(&mut self, x: u64, d: u32) -> u64 {
        let mut mask = 0u64;
        while mask.count_ones() < d {
            mask |= 1 << (self.next() % 64);
        }
        x ^ mask
    }
}

/// Random base fingerprints, each with planted neighbours at every distance
/// from 0 to `k + 1` (so exact duplicates, boundary cases `k` and `k + 1`,
/// and pairs between neighbours at up to `2k + 2`). Ids are positions.
fn planted(seed: u64, bases: usize, k: u32) -> Vec<Item> {
    let mut rng = Rng(seed);
    let mut fps = Vec::new();
    for _ in 0..bases {
        let base = rng.next();
        fps.push(base);
        for d in 0..=k + 1 {
            fps.push(rng.flip(base, d));
        }
    }
    fps.into_iter()
        .enumerate()
        .map(|(i, fp)| Item::new(fp, i as u64))
        .collect()
}

fn oracle_query(items: &[Item], q: u64, k: u32) -> Vec<Match> {
    let mut out: Vec<Match> = items
        .iter()
        .filter(|it| (it.fingerprint ^ q).count_ones() <= k)
        .map(|it| Match {
            id: it.id,
            fingerprint: it.fingerprint,
            distance: (it.fingerprint ^ q).count_ones(),
        })
        .collect();
    out.sort();
    out
}

/// Every unordered pair of positions within `k`, as (smaller item, larger item, distance).
fn oracle_pairs(items: &[Item], k: u32) -> Vec<(Item, Item, u32)> {
    let mut out = Vec::new();
    for (i, &a) in items.iter().enumerate() {
        for &b in &items[i + 1..] {
            let d = (a.fingerprint ^ b.fingerprint).count_ones();
            if d <= k {
                out.push((a.min(b), a.max(b), d));
            }
        }
    }
    out.sort();
    out
}

fn sorted_matches(index: &Index, q: u64) -> Vec<Match> {
    let mut m = index.matches(q);
    m.sort();
    m
}

fn join_pairs(join: &SelfJoin, items: &[Item]) -> Vec<(Item, Item, u32)> {
    let out = Mutex::new(Vec::new());
    let mut items = items.to_vec();
    join.for_each_pair(&mut items, |p| {
        assert!(p.a <= p.b, "pair not ordered: {p:?}");
        out.lock().unwrap().push((p.a, p.b, p.distance));
    });
    let mut out = out.into_inner().unwrap();
    out.sort();
    out
}

/// The grouped form expanded back into pairs.
fn join_groups(join: &SelfJoin, items: &[Item]) -> Vec<(Item, Item, u32)> {
    let out = Mutex::new(Vec::new());
    let mut items = items.to_vec();
    let mut groups = Vec::new();
    join.for_each_group(
        &mut items,
        |g| {
            assert!(g.len() >= 2);
            assert!(g.iter().all(|it| it.fingerprint == g[0].fingerprint));
            for (i, &a) in g.iter().enumerate() {
                for &b in &g[i + 1..] {
                    groups.push((a, b, 0));
                }
            }
        },
        |gp| {
            assert!(gp.distance >= 1);
            assert!(gp.a[0].fingerprint < gp.b[0].fingerprint);
            let mut out = out.lock().unwrap();
            for &a in gp.a {
                for &b in gp.b {
                    out.push((a, b, gp.distance));
                }
            }
        },
    );
    let mut out = out.into_inner().unwrap();
    out.extend(groups);
    out.sort();
    out
}

/// Every valid explicit layout for `k`, plus the automatic one.
fn layouts(k: u32) -> Vec<Layout> {
    let mut out = vec![Layout::Auto];
    for b in k + 1..=64 {
        if SelfJoin::builder()
            .max_distance(k)
            .blocks(b)
            .build()
            .is_ok()
        {
            out.push(Layout::Blocks(b));
        }
    }
    out
}

fn index_for(k: u32, layout: Layout, buffer: usize) -> Index {
    Index::builder()
        .max_distance(k)
        .layout(layout)
        .buffer_capacity(buffer)
        .build()
        .unwrap()
}

/// Queries at every item and at fresh neighbours of a few items.
fn queries(items: &[Item], k: u32, seed: u64) -> Vec<u64> {
    let mut rng = Rng(seed ^ 0xABCD);
    let mut qs: Vec<u64> = items.iter().map(|it| it.fingerprint).collect();
    for it in items.iter().take(8) {
        let d = (rng.next() % u64::from(k + 2)) as u32;
        qs.push(rng.flip(it.fingerprint, d));
    }
    qs.push(rng.next());
    qs
}

fn check_all(k: u32, layout: Layout, items: &[Item], buffer: usize, seed: u64) {
    let ctx = format!("k {k} layout {layout:?} buffer {buffer} seed {seed}");
    let mut index = index_for(k, layout, buffer);
    index.extend(items.iter().copied());
    assert_eq!(index.len(), items.len(), "{ctx}");
    for q in queries(items, k, seed) {
        assert_eq!(
            sorted_matches(&index, q),
            oracle_query(items, q, k),
            "{ctx} query {q:#x}"
        );
    }
    index.compact();
    for q in queries(items, k, seed).into_iter().step_by(3) {
        assert_eq!(
            sorted_matches(&index, q),
            oracle_query(items, q, k),
            "{ctx} compacted, query {q:#x}"
        );
    }
    let expected = oracle_pairs(items, k);
    for threads in [1, 3] {
        let join = SelfJoin::builder()
            .max_distance(k)
            .layout(layout)
            .threads(threads)
            .build()
            .unwrap();
        assert_eq!(
            join_pairs(&join, items),
            expected,
            "{ctx} threads {threads}"
        );
        assert_eq!(
            join_groups(&join, items),
            expected,
            "{ctx} grouped, threads {threads}"
        );
    }
}

// ------------------------------------------------------- exhaustive sweeps

/// Every supported k and every valid layout (218 of them), against the oracle,
/// with a small buffer so items go through many runs and merges.
#[test]
fn every_layout_equals_oracle() {
    for k in 0..=MAX_DISTANCE {
        for layout in layouts(k) {
            let seed = u64::from(k) * 1000 + 7;
            let items = planted(seed, 4, k);
            check_all(k, layout, &items, 5, seed);
        }
    }
}

/// Hand-picked cases: differences in the first, last and straddling block
/// bits, at exactly k and k + 1.
#[test]
fn boundary_table() {
    let cases: &[(&str, u64, u64)] = &[
        ("top bits", 0, 0xFF00_0000_0000_0000),
        ("bottom bits", 0, 0x0000_0000_0000_00FF),
        ("both ends", 0, 0xF000_0000_0000_000F),
        ("spread", 0, 0x8080_8080_8080_8080),
        ("all ones base", u64::MAX, 0x0101_0101_0101_0101),
        ("adjacent", 0x5555_5555_5555_5555, 0x0000_0003_C000_0000),
    ];
    for &(name, base, flips) in cases {
        for k in 0..=MAX_DISTANCE {
            for layout in layouts(k) {
                let mut index = index_for(k, layout, 1);
                index.insert(base, 1);
                let q = base ^ flips;
                let d = flips.count_ones();
                let got = index.matches(q);
                let want = if d <= k { 1 } else { 0 };
                assert_eq!(
                    got.len(),
                    want,
                    "{name}: k {k} layout {layout:?} distance {d}"
                );
                // Also each prefix of the flips, so every distance <= 8 occurs.
                let mut partial = 0u64;
                for bit in 0..64 {
                    if flips >> bit & 1 == 1 {
                        partial |= 1 << bit;
                        let d = partial.count_ones();
                        let got = index.matches(base ^ partial).len();
                        assert_eq!(got, usize::from(d <= k), "{name}: k {k} {layout:?} d {d}");
                    }
                }
            }
        }
    }
}

// ------------------------------------------------------------- proptests

fn layout_strategy() -> impl Strategy<Value = (u32, Layout)> {
    (0..=MAX_DISTANCE).prop_flat_map(|k| {
        let ls = layouts(k);
        (Just(k), proptest::sample::select(ls))
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn prop_index_and_join_equal_oracle(
        (k, layout) in layout_strategy(),
        seed in any::<u64>(),
        bases in 1usize..12,
        buffer in 1usize..40,
    ) {
        let items = planted(seed, bases, k);
        check_all(k, layout, &items, buffer, seed);
    }

    /// Deduplicating a stream: each query sees exactly the items before it.
    #[test]
    fn prop_interleaved_insert_and_query(
        (k, layout) in layout_strategy(),
        seed in any::<u64>(),
        bases in 1usize..10,
        buffer in 1usize..20,
    ) {
        let mut items = planted(seed, bases, k);
        // Shuffle so neighbours arrive far apart.
        let mut rng = Rng(seed);
        for i in (1..items.len()).rev() {
            items.swap(i, (rng.next() % (i as u64 + 1)) as usize);
        }
        let mut index = index_for(k, layout, buffer);
        for (n, it) in items.iter().enumerate() {
            let mut got = Vec::new();
            index.query_then_insert(it.fingerprint, it.id, |m| got.push(m));
            got.sort();
            prop_assert_eq!(got, oracle_query(&items[..n], it.fingerprint, k));
            prop_assert_eq!(index.len(), n + 1);
        }
    }

    #[test]
    fn prop_save_load_roundtrip(
        (k, layout) in layout_strategy(),
        seed in any::<u64>(),
        bases in 0usize..10,
        buffer in 1usize..20,
    ) {
        let items = planted(seed, bases, k);
        let mut index = index_for(k, layout, buffer);
        index.extend(items.iter().copied());
        let mut bytes = Vec::new();
        index.write_to(&mut bytes).unwrap();
        prop_assert_eq!(bytes.len(), 40 + 16 * items.len());
        let loaded = Index::read_from(&bytes[..]).unwrap();
        prop_assert_eq!(loaded.len(), index.len());
        prop_assert_eq!(loaded.max_distance(), k);
        prop_assert_eq!(loaded.blocks(), index.blocks());
        prop_assert_eq!(loaded.to_items(), index.to_items());
        for q in queries(&items, k, seed) {
            prop_assert_eq!(sorted_matches(&loaded, q), sorted_matches(&index, q));
        }
    }

    #[test]
    fn prop_corrupt_bytes_are_errors(seed in any::<u64>(), at in any::<prop::sample::Index>(), bit in 0u8..8) {
        let bytes = saved(seed, 6);
        let mut bad = bytes.clone();
        let i = at.index(bad.len());
        bad[i] ^= 1 << bit;
        assert_corrupt(Index::read_from(&bad[..]), &format!("flip byte {i} bit {bit}"));
    }
}

// ---------------------------------------------------------- file errors

fn saved(seed: u64, bases: usize) -> Vec<u8> {
    let mut index = index_for(3, Layout::Auto, 4);
    index.extend(planted(seed, bases, 3));
    let mut bytes = Vec::new();
    index.write_to(&mut bytes).unwrap();
    bytes
}

fn assert_corrupt(r: Result<Index, Error>, what: &str) -> String {
    match r {
        Err(e @ Error::CorruptIndex { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("byte offset"), "{what}: no offset in {msg:?}");
            msg
        }
        Err(e) => panic!("{what}: expected a corrupt-index error, got {e}"),
        Ok(_) => panic!("{what}: corrupt data loaded"),
    }
}

#[test]
fn every_truncation_is_an_error() {
    let bytes = saved(42, 5);
    for len in 0..bytes.len() {
        assert_corrupt(Index::read_from(&bytes[..len]), &format!("prefix {len}"));
    }
    assert!(Index::read_from(&bytes[..]).is_ok());
}

#[test]
fn every_byte_flip_is_an_error() {
    let bytes = saved(43, 3);
    for i in 0..bytes.len() {
        for bit in [0, 3, 7] {
            let mut bad = bytes.clone();
            bad[i] ^= 1 << bit;
            assert_corrupt(Index::read_from(&bad[..]), &format!("byte {i} bit {bit}"));
        }
    }
}

fn header(magic: &[u8; 8], version: u32, k: u32, blocks: u32, count: u64) -> Vec<u8> {
    let mut h = magic.to_vec();
    h.extend_from_slice(&version.to_le_bytes());
    h.extend_from_slice(&k.to_le_bytes());
    h.extend_from_slice(&blocks.to_le_bytes());
    h.extend_from_slice(&0u32.to_le_bytes());
    h.extend_from_slice(&count.to_le_bytes());
    h
}

#[test]
fn header_errors_name_what_and_where() {
    let table: &[(&str, Vec<u8>, &str)] = &[
        ("bad magic", header(b"NOTANIDX", 1, 3, 5, 0), "bad magic"),
        (
            "future version",
            header(b"SPSFTIDX", 2, 3, 5, 0),
            "unknown version 2 at byte offset 8",
        ),
        (
            "distance",
            header(b"SPSFTIDX", 1, 9, 10, 0),
            "max_distance 9 is above the supported maximum 8",
        ),
        (
            "blocks",
            header(b"SPSFTIDX", 1, 3, 3, 0),
            "blocks 3 must be greater than max_distance 3",
        ),
        (
            "absurd count",
            header(b"SPSFTIDX", 1, 3, 5, u64::MAX),
            "absurd count",
        ),
        // A huge count with no data behind it: found when the data ends, and
        // nothing near 16 TiB is allocated first.
        (
            "huge count",
            header(b"SPSFTIDX", 1, 3, 5, 1 << 40),
            "truncated: items at byte offset 32",
        ),
        (
            "empty",
            Vec::new(),
            "truncated: the 32-byte header at byte offset 0",
        ),
    ];
    for (name, bytes, want) in table {
        let msg = assert_corrupt(Index::read_from(&bytes[..]), name);
        assert!(msg.contains(want), "{name}: {msg:?} lacks {want:?}");
    }
}

#[test]
fn file_roundtrip_and_file_errors() {
    let dir = std::env::temp_dir().join(format!("spamsift-index-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("a.idx");
    let items = planted(5, 20, 6);
    let mut index = Index::new(6).unwrap();
    index.extend(items.iter().copied());
    index.save(&path).unwrap();
    let loaded = Index::load(&path).unwrap();
    for it in &items {
        assert_eq!(
            sorted_matches(&loaded, it.fingerprint),
            oracle_query(&items, it.fingerprint, 6)
        );
    }
    let bytes = std::fs::read(&path).unwrap();
    // A count that disagrees with the file length is caught before reading on.
    let mut bad = bytes.clone();
    bad[24..32].copy_from_slice(&(1u64 << 50).to_le_bytes());
    std::fs::write(&path, &bad).unwrap();
    let msg = assert_corrupt(Index::load(&path), "count vs length");
    assert!(
        msg.contains("a.idx") && msg.contains("byte offset 24"),
        "{msg}"
    );
    // Trailing bytes.
    let mut bad = bytes.clone();
    bad.push(0);
    std::fs::write(&path, &bad).unwrap();
    assert_corrupt(Index::load(&path), "trailing byte");
    // Truncated file.
    std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
    assert_corrupt(Index::load(&path), "truncated file");
    // Missing file is an I/O error naming the path.
    let missing = dir.join("missing.idx");
    match Index::load(&missing) {
        Err(Error::Io { path, .. }) => assert_eq!(path, missing),
        other => panic!("expected an i/o error, got {other:?}"),
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn items_out_of_order_are_rejected() {
    let bytes = saved(9, 2);
    // Swap the first two items and fix the checksum, so only the order is wrong.
    let mut bad = bytes.clone();
    let (a, b) = (bad[32..48].to_vec(), bad[48..64].to_vec());
    bad[32..48].copy_from_slice(&b);
    bad[48..64].copy_from_slice(&a);
    let n = bad.len() - 8;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for w in bad[..n].chunks_exact(8) {
        h = (h ^ u64::from_le_bytes(w.try_into().unwrap())).wrapping_mul(0x100_0000_01b3);
    }
    bad[n..].copy_from_slice(&h.to_le_bytes());
    let msg = assert_corrupt(Index::read_from(&bad[..]), "swapped items");
    assert!(msg.contains("out of order at byte offset 48"), "{msg}");
}

// ------------------------------------------------------- configuration

#[test]
fn configuration_errors_name_the_values() {
    let msg = |r: Result<Index, Error>| r.unwrap_err().to_string();
    assert!(msg(Index::new(9)).contains("max_distance 9 is above the supported maximum 8"));
    assert!(
        msg(Index::builder().max_distance(3).blocks(3).build())
            .contains("blocks 3 must be greater than max_distance 3")
    );
    assert!(
        msg(Index::builder().max_distance(1).blocks(65).build())
            .contains("blocks 65 is above the supported maximum 64")
    );
    assert!(
        msg(Index::builder().max_distance(8).blocks(13).build()).contains(&format!(
            "needs 1287 tables, above the supported maximum {MAX_TABLES}"
        ))
    );
    assert!(msg(Index::builder().buffer_capacity(0).build()).contains("buffer_capacity 0"));
    assert!(
        SelfJoin::new(9)
            .unwrap_err()
            .to_string()
            .contains("max_distance 9")
    );
    assert!(
        SelfJoin::builder()
            .max_distance(2)
            .blocks(2)
            .build()
            .is_err()
    );
}

#[test]
fn builders_are_reusable_and_report_layouts() {
    let mut b = Index::builder();
    b.max_distance(3);
    let one = b.build().unwrap();
    let two = b.blocks(6).build().unwrap();
    assert_eq!((one.blocks(), one.tables()), (5, 10));
    assert_eq!((two.blocks(), two.tables()), (6, 20));
    let autos: Vec<(u32, usize)> = (0..=MAX_DISTANCE)
        .map(|k| {
            let ix = Index::new(k).unwrap();
            (ix.blocks(), ix.tables())
        })
        .collect();
    assert_eq!(
        autos,
        [
            (1, 1),
            (2, 2),
            (3, 3),
            (5, 10),
            (6, 15),
            (7, 21),
            (8, 28),
            (9, 36),
            (10, 45)
        ]
    );
    let join = SelfJoin::new(3).unwrap();
    assert_eq!(join.blocks_for(10_000_000), 5);
    assert_eq!(SelfJoin::new(6).unwrap().blocks_for(10_000_000), 9);
}

#[test]
fn index_and_join_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Index>();
    assert_send_sync::<SelfJoin>();
}

// ------------------------------------------------------------ degenerate

/// 10^5 copies of one fingerprint: one group, no pair callbacks, linear time.
#[test]
fn identical_fingerprints_stay_linear() {
    let n = 100_000u64;
    let mut items: Vec<Item> = (0..n).map(|id| Item::new(0xDEAD_BEEF, id)).collect();
    items.push(Item::new(0xDEAD_BEEF ^ 0b101, n));
    let join = SelfJoin::new(3).unwrap();
    let mut groups = Vec::new();
    let pairs = Mutex::new(Vec::new());
    join.for_each_group(
        &mut items,
        |g| groups.push(g.len()),
        |gp| {
            pairs
                .lock()
                .unwrap()
                .push((gp.a.len(), gp.b.len(), gp.distance))
        },
    );
    assert_eq!(groups, [n as usize]);
    assert_eq!(pairs.into_inner().unwrap(), [(1, n as usize, 2)]);

    let mut index = Index::new(3).unwrap();
    index.extend(items.iter().copied());
    assert_eq!(index.matches(0xDEAD_BEEF).len(), n as usize + 1);
    // One table entry per distinct fingerprint: far below 10 tables x 8 bytes each.
    let per_item = index.memory_usage() / index.len();
    assert!(per_item < 40, "{per_item} bytes per item");
}

#[test]
fn len_memory_and_empty() {
    let mut index = Index::new(2).unwrap();
    assert!(index.is_empty());
    assert!(index.matches(0).is_empty());
    let before = index.memory_usage();
    for i in 0..5000u64 {
        index.insert(i.wrapping_mul(0x9E37_79B9_7F4A_7C15), i);
    }
    assert_eq!(index.len(), 5000);
    assert!(!index.is_empty());
    assert!(index.memory_usage() > before + 5000 * 16);
    let mut empty: Vec<Item> = Vec::new();
    SelfJoin::new(2)
        .unwrap()
        .for_each_pair(&mut empty, |_| panic!("no pairs in an empty set"));
}

/// A larger random set with planted pairs, against the oracle, on all layouts
/// the automatic choices pick.
#[test]
fn larger_random_set() {
    let mut rng = Rng(77);
    let mut items: Vec<Item> = (0..3000).map(|i| Item::new(rng.next(), i)).collect();
    for i in 0..300u64 {
        let fp = rng.flip(items[i as usize].fingerprint, (i % 7) as u32);
        items.push(Item::new(fp, 10_000 + i));
    }
    for k in [3, 6] {
        let expected = oracle_pairs(&items, k);
        let join = SelfJoin::new(k).unwrap();
        assert_eq!(join_pairs(&join, &items), expected, "k {k}");
        let mut index = Index::new(k).unwrap();
        index.extend(items.iter().copied());
        let mut from_queries = BTreeSet::new();
        for it in &items {
            index.query(it.fingerprint, |m| {
                let other = Item::new(m.fingerprint, m.id);
                if other != *it {
                    from_queries.insert((other.min(*it), other.max(*it), m.distance));
                }
            });
        }
        assert_eq!(
            from_queries.into_iter().collect::<Vec<_>>(),
            expected,
            "k {k}"
        );
    }
}

/// Joins large enough to be split across threads (the join works single-
/// threaded below 2^15 items), on random fingerprints with planted
/// neighbours and on fingerprints confined to the top 32 bits (uneven
/// buckets, many near pairs): every thread count gives the pairs the
/// incremental index finds by querying every item.
#[test]
fn parallel_join_equals_index_queries() {
    let mut rng = Rng(4242);
    let narrow: Vec<Item> = (0..34_000u64)
        .map(|i| Item::new(rng.next() & (0xffff_ffff << 32), i))
        .collect();
    let cases = [
        ("planted", 3, planted(99, 34_000 / 6, 3)),
        ("planted", 6, planted(98, 34_000 / 9, 6)),
        ("narrow", 3, narrow),
    ];
    for (name, k, items) in cases {
        assert!(items.len() >= 1 << 15);
        {
            let mut index = Index::new(k).unwrap();
            index.extend(items.iter().copied());
            let mut expected = Vec::new();
            for (i, it) in items.iter().enumerate() {
                index.query(it.fingerprint, |m| {
                    // Ids are positions: keep each unordered pair once.
                    if m.id > i as u64 {
                        let other = Item::new(m.fingerprint, m.id);
                        expected.push((other.min(*it), other.max(*it), m.distance));
                    }
                });
            }
            expected.sort();
            assert!(!expected.is_empty());
            for threads in [1, 2, 3] {
                let join = SelfJoin::builder()
                    .max_distance(k)
                    .threads(threads)
                    .build()
                    .unwrap();
                assert_eq!(
                    join_pairs(&join, &items),
                    expected,
                    "{name} k {k} threads {threads}"
                );
            }
        }
    }
}
