#!/usr/bin/env python3
"""Generate src/text/t2s_table.rs, the one-character traditional→simplified
table, from OpenCC's TSCharacters.txt.

Source: the PyPI package opencc-python-reimplemented 0.1.7, which ships
OpenCC's dictionaries as opencc/dictionary/TSCharacters.txt (Apache-2.0).
Each line is `traditional<TAB>simplified[ alternative...]`. We take the first
candidate, keep only one-character keys with one-character first values, and
skip identity mappings.

Layout (the fold looks up every Han character of every document):
- T2S_MAIN: `[u16; 20992]` indexed by `c - U+4E00` for the main CJK block.
  0 means unchanged, IN_OTHER (1, never a Han code point) means the target is
  outside the BMP and lives in T2S_OTHER, anything else is the simplified
  BMP code point.
- T2S_OTHER: sorted `[(char, char)]` for every other key (CJK Ext A, Ext B..,
  compatibility ideographs) and for main-block keys with astral targets,
  searched with binary search.

Usage:
    python3 tools/gen_t2s.py /tmp/dl/opencc/opencc/dictionary/TSCharacters.txt \
        > src/text/t2s_table.rs && rustfmt --check src/text/t2s_table.rs
"""

import sys

MAIN_FIRST = 0x4E00
MAIN_LAST = 0x9FFF
MAIN_LEN = MAIN_LAST - MAIN_FIRST + 1
IN_OTHER = 1
PER_ROW = 16


def load(path):
    pairs = {}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            key, _, values = line.partition("\t")
            first = values.split(" ")[0]
            if len(key) != 1 or len(first) != 1 or key == first:
                continue
            if key in pairs:
                raise SystemExit(f"{path}:{lineno}: duplicate key {key!r}")
            pairs[key] = first
    return pairs


def checksum(pairs):
    # Mirrors `checksum()` in the generated tests: a wrapping sum over the
    # pairs, so a hand edit of any entry is caught.
    total = 0
    for k, v in pairs.items():
        total = (total + ((ord(k) << 21) | ord(v))) % (1 << 64)
    return total


def esc(c):
    return "'\\u{%X}'" % ord(c)


def main(path):
    pairs = load(path)
    main_table = [0] * MAIN_LEN
    other = []
    for k, v in pairs.items():
        if MAIN_FIRST <= ord(k) <= MAIN_LAST and ord(v) <= 0xFFFF:
            assert ord(v) > IN_OTHER and not 0xD800 <= ord(v) <= 0xDFFF
            main_table[ord(k) - MAIN_FIRST] = ord(v)
        else:
            if MAIN_FIRST <= ord(k) <= MAIN_LAST:
                main_table[ord(k) - MAIN_FIRST] = IN_OTHER
            other.append((k, v))
    other.sort()
    n_main = sum(1 for v in main_table if v > IN_OTHER)

    out = []
    w = out.append
    w("// Traditional→simplified Chinese, one character to one character.")
    w("//")
    w("// GENERATED FILE, DO NOT EDIT: regenerate with")
    w("//     python3 tools/gen_t2s.py <path>/opencc/dictionary/TSCharacters.txt > src/text/t2s_table.rs")
    w("// from OpenCC's TSCharacters.txt as shipped by the PyPI package")
    w("// opencc-python-reimplemented 0.1.7 (opencc/dictionary/TSCharacters.txt).")
    w("// Of each line we take the first candidate, keep one-character keys with a")
    w("// one-character first value, and skip identity mappings.")
    w("//")
    w("// The table data is derived from Open Chinese Convert (OpenCC),")
    w("// https://github.com/BYVoid/OpenCC")
    w("// Copyright 2010-2014 Carbo Kuo <byvoid@byvoid.com>")
    w("// and from OpenCC-Python, Copyright 2016 (NOTICE: \"This product includes")
    w("// dictionary data and configurations developed by OpenCC\").")
    w("// Licensed under the Apache License, Version 2.0; see")
    w("// LICENSES/OpenCC-Apache-2.0.txt or http://www.apache.org/licenses/LICENSE-2.0")
    w("// Distributed on an \"AS IS\" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND.")
    w("")
    w("//! Traditional→simplified mapping of single characters, for folding.")
    w("//!")
    w("//! Callers ask [`t2s`] about Han characters one by one (the fold itself")
    w("//! tests a bit set made from [`mapped_keys`] and asks only about the")
    w("//! characters it changes), so the")
    w("//! main CJK block (U+4E00..=U+9FFF, where nearly all text lives) is a direct")
    w("//! index into a 42 KB table; everything else is a binary search over a")
    w("//! short sorted array, reached only for rare characters.")
    w("//!")
    w("//! Some targets lie outside the BMP (e.g. 俓→𠇹), so a character's UTF-8")
    w("//! length can change from 3 to 4 bytes when folded.")
    w("")
    w("/// First code point of the directly indexed block.")
    w("const MAIN_FIRST: char = '\\u{%X}';" % MAIN_FIRST)
    w("")
    w("/// Value in [`T2S_MAIN`] meaning the target is outside the BMP and is")
    w("/// found in [`T2S_OTHER`]; 1 is not a Han code point, so it cannot clash.")
    w("const IN_OTHER: u16 = %d;" % IN_OTHER)
    w("")
    w("/// Number of mappings taken from TSCharacters.txt.")
    w("#[cfg(test)]")
    w("const MAPPED_COUNT: usize = %d;" % len(pairs))
    w("")
    w("/// Checksum of all mappings, recomputed by the tests (see tools/gen_t2s.py).")
    w("#[cfg(test)]")
    w("const MAPPED_CHECKSUM: u64 = 0x%016X;" % checksum(pairs))
    w("")
    w("/// Simplified BMP code point for each character in U+4E00..=U+9FFF,")
    w("/// 0 when unchanged, or [`IN_OTHER`]. %d entries are mapped here." % n_main)
    w("#[rustfmt::skip]")
    w("static T2S_MAIN: [u16; %d] = [" % MAIN_LEN)
    for row in range(0, MAIN_LEN, PER_ROW):
        cells = ", ".join("0x%04X" % v for v in main_table[row:row + PER_ROW])
        w("    /* U+%04X */ %s," % (MAIN_FIRST + row, cells))
    w("];")
    w("")
    w("/// Every other mapping, sorted by key for binary search.")
    w("#[rustfmt::skip]")
    w("static T2S_OTHER: [(char, char); %d] = [" % len(other))
    for k, v in other:
        w("    (%s, %s), // %s → %s" % (esc(k), esc(v), k, v))
    w("];")
    w("")
    w("""/// Returns the simplified form of `c`, or `c` itself when OpenCC has no
/// single-character mapping for it.
#[inline]
pub(crate) fn t2s(c: char) -> char {
    let offset = (c as usize).wrapping_sub(MAIN_FIRST as usize);
    if let Some(&v) = T2S_MAIN.get(offset) {
        return match v {
            0 => c,
            IN_OTHER => t2s_other(c),
            // The generator only writes valid Han code points here.
            _ => char::from_u32(u32::from(v)).unwrap_or(c),
        };
    }
    if c < T2S_OTHER[0].0 {
        // ASCII, punctuation, kana, ...: nothing below the first key maps.
        return c;
    }
    t2s_other(c)
}

/// Looks `c` up in the sorted [`T2S_OTHER`].
#[cold]
fn t2s_other(c: char) -> char {
    match T2S_OTHER.binary_search_by_key(&c, |&(k, _)| k) {
        Ok(i) => T2S_OTHER[i].1,
        Err(_) => c,
    }
}

/// Every character that [`t2s`] may change: the keys of both tables.
pub(crate) fn mapped_keys() -> impl Iterator<Item = char> {
    let main = T2S_MAIN
        .iter()
        .zip(MAIN_FIRST..)
        .filter(|&(&v, _)| v != 0)
        .map(|(_, c)| c);
    main.chain(T2S_OTHER.iter().map(|&(k, _)| k))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_pairs() -> Vec<(char, char)> {
        let mut pairs: Vec<(char, char)> = T2S_MAIN
            .iter()
            .enumerate()
            .filter(|&(_, &v)| v > IN_OTHER)
            .map(|(i, &v)| {
                let k = char::from_u32(MAIN_FIRST as u32 + i as u32).unwrap();
                (k, char::from_u32(u32::from(v)).unwrap())
            })
            .collect();
        pairs.extend_from_slice(&T2S_OTHER);
        pairs
    }

    #[test]
    fn common_traditional() {
        for (t, s) in [
            ('體', '体'),
            ('網', '网'),
            ('運', '运'),
            ('門', '门'),
            ('發', '发'),
            ('國', '国'),
            ('博', '博'),
            ('彩', '彩'),
            ('娛', '娱'),
            ('樂', '乐'),
            ('開', '开'),
            ('雲', '云'),
            ('葡', '葡'),
            ('京', '京'),
        ] {
            assert_eq!(t2s(t), s, "t2s({t:?})");
        }
    }

    #[test]
    fn simplified_and_other_text_unchanged() {
        for c in [
            '体', '网', '运', '门', '发', '国', '金', '的', '一', '\\u{9FFF}',
        ] {
            assert_eq!(t2s(c), c, "t2s({c:?})");
        }
        for c in (0u32..0x3000).filter_map(char::from_u32) {
            assert_eq!(t2s(c), c, "t2s({c:?})");
        }
        for c in ['Ａ', '１', '，', 'あ', '\\u{10FFFF}', '\\u{F8FF}'] {
            assert_eq!(t2s(c), c, "t2s({c:?})");
        }
    }

    #[test]
    fn outside_main_block_and_astral_targets() {
        // A main-block key whose target is outside the BMP.
        assert_eq!(t2s('俓'), '𠇹');
        assert_eq!(T2S_MAIN['俓' as usize - MAIN_FIRST as usize], IN_OTHER);
        // Every key in T2S_OTHER is found through t2s.
        for &(k, v) in &T2S_OTHER {
            assert_eq!(t2s(k), v, "t2s({k:?})");
        }
    }

    #[test]
    fn tables_match_source() {
        let pairs = all_pairs();
        assert_eq!(pairs.len(), MAPPED_COUNT);
        let sum = pairs.iter().fold(0u64, |acc, &(k, v)| {
            acc.wrapping_add((u64::from(k) << 21) | u64::from(v))
        });
        assert_eq!(sum, MAPPED_CHECKSUM);
        for (k, v) in pairs {
            assert_ne!(k, v, "identity mapping for {k:?}");
        }
    }

    #[test]
    fn other_is_sorted_and_consistent_with_main() {
        assert!(T2S_OTHER.windows(2).all(|w| w[0].0 < w[1].0));
        for &(k, v) in &T2S_OTHER {
            if let Some(&m) = T2S_MAIN.get((k as usize).wrapping_sub(MAIN_FIRST as usize)) {
                assert_eq!(m, IN_OTHER, "{k:?} in both tables");
                assert!(u32::from(v) > 0xFFFF, "{k:?} -> {v:?} belongs in T2S_MAIN");
            }
        }
        let sentinels = T2S_MAIN.iter().filter(|&&v| v == IN_OTHER).count();
        let in_main_block = T2S_OTHER
            .iter()
            .filter(|&&(k, _)| ('\\u{4E00}'..='\\u{9FFF}').contains(&k))
            .count();
        assert_eq!(sentinels, in_main_block);
    }
}""")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else
         "/tmp/dl/opencc/opencc/dictionary/TSCharacters.txt")
