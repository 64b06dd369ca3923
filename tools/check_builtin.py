#!/usr/bin/env python3
"""Precision check for src/keywords/builtin.tsv until the Rust test exists.

Checks, from the repository root:
- the file parses: `keyword<TAB>category`, `!allow phrase`, `#` comments, blanks;
  known category, no whitespace in keywords, lowercase, no duplicates, every
  allow phrase contains a keyword;
- no keyword occurs in tests/data/news_1998.txt or tests/data/seed_clean.txt,
  raw or after folding (full-width ASCII to half-width, lowercase);
- the seed page contains 金博体育 exactly 7 times and no other keyword.
Optionally (when the paths exist) it lists, for review only:
- keywords containing a traditional character (OpenCC TSCharacters.txt);
- jieba dictionary words that contain a keyword (a collision with common text).

Usage: python3 tools/check_builtin.py [TSCharacters.txt] [jieba dict.txt]
Exits non-zero on any failure.
"""

import os
import sys

DICT = "src/keywords/builtin.tsv"
CLEAN = ["tests/data/news_1998.txt", "tests/data/seed_clean.txt"]
SEED = "tests/data/000_214c2e03461503b2.txt"
SEED_KEYWORD, SEED_COUNT = "金博体育", 7
CATEGORIES = {"gambling", "lottery", "porn", "fraud", "medicine"}
TS = sys.argv[1] if len(sys.argv) > 1 else "/tmp/dl/opencc/opencc/dictionary/TSCharacters.txt"
JIEBA = sys.argv[2] if len(sys.argv) > 2 else "/tmp/dl/jieba-0.42.1/jieba/dict.txt"

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL", msg)


def fold(s):
    out = []
    for c in s:
        o = ord(c)
        if 0xFF01 <= o <= 0xFF5E:
            c = chr(o - 0xFEE0)
        elif o == 0x3000:
            c = " "
        out.append(c)
    return "".join(out).lower()


def load():
    keywords, allows = {}, []
    with open(DICT, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            where = f"{DICT}:{n}"
            if not line.strip() or line.startswith("#"):
                continue
            if line.startswith("!"):
                allows.append((line[1:], where))
                continue
            parts = line.split("\t")
            if len(parts) != 2:
                fail(f"{where}: expected keyword<TAB>category: {line!r}")
                continue
            kw, cat = parts
            if cat not in CATEGORIES:
                fail(f"{where}: unknown category {cat!r}")
            if not kw or any(c.isspace() for c in kw):
                fail(f"{where}: empty keyword or whitespace in {kw!r}")
            if kw != fold(kw):
                fail(f"{where}: keyword {kw!r} is not folded (lowercase, half-width)")
            if kw in keywords:
                fail(f"{where}: duplicate keyword {kw!r} (first at {keywords[kw][1]})")
                continue
            keywords[kw] = (cat, where)
    for phrase, where in allows:
        if not any(kw in phrase for kw in keywords):
            fail(f"{where}: allow phrase {phrase!r} contains no keyword")
    return keywords, allows


def main():
    keywords, allows = load()
    counts = {}
    for cat, _ in keywords.values():
        counts[cat] = counts.get(cat, 0) + 1
    print(f"{len(keywords)} keywords {dict(sorted(counts.items()))}, {len(allows)} allow phrases")

    for path in CLEAN:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for variant, hay in (("raw", text), ("folded", fold(text))):
            for kw, (_, where) in keywords.items():
                if kw in hay:
                    i = hay.index(kw)
                    fail(f"{where}: {kw!r} occurs in {path} ({variant}): {hay[max(0, i - 15):i + 15]!r}")
        print(f"checked {path}: {len(text)} chars")

    with open(SEED, encoding="utf-8") as f:
        seed = f.read()
    for variant, hay in (("raw", seed), ("folded", fold(seed))):
        n = hay.count(SEED_KEYWORD)
        if n != SEED_COUNT:
            fail(f"{SEED} ({variant}): {SEED_KEYWORD} occurs {n} times, expected {SEED_COUNT}")
        for kw, (_, where) in keywords.items():
            if kw != SEED_KEYWORD and kw in hay:
                fail(f"{where}: {kw!r} occurs in {SEED} ({variant})")
    if SEED_KEYWORD not in keywords:
        fail(f"{SEED_KEYWORD} is not in {DICT}")
    print(f"checked {SEED}: {SEED_KEYWORD} x{seed.count(SEED_KEYWORD)}, no other keyword")

    if os.path.exists(TS):
        trad = {}
        with open(TS, encoding="utf-8") as f:
            for line in f:
                k, v = line.rstrip("\n").split("\t")
                v = v.split(" ")[0]
                if len(k) == 1 and len(v) == 1 and k != v:
                    trad[k] = v
        for kw, (_, where) in keywords.items():
            if any(c in trad for c in kw):
                print(f"REVIEW {where}: {kw!r} has a traditional character (folds to "
                      f"{''.join(trad.get(c, c) for c in kw)!r})")
    if os.path.exists(JIEBA):
        with open(JIEBA, encoding="utf-8") as f:
            words = [line.split(" ")[0] for line in f]
        for kw, (_, where) in keywords.items():
            hits = [w for w in words if kw in w and w != kw]
            if hits:
                print(f"REVIEW {where}: {kw!r} is inside jieba words {hits[:5]}")

    if failures:
        print(f"{len(failures)} failure(s)")
        sys.exit(1)
    print("OK")


if __name__ == "__main__":
    main()
