#!/usr/bin/env python3
"""Write tests/data/seed_clean.txt: the seed page with its 7 spliced
occurrences of 金博体育 removed and nothing else changed (the seed has no
trailing newline, and neither does the clean copy).

Usage: python3 tools/make_seed_clean.py   (from the repository root)
"""

SEED = "tests/data/000_214c2e03461503b2.txt"
CLEAN = "tests/data/seed_clean.txt"
KEYWORD = "金博体育"

with open(SEED, encoding="utf-8", newline="") as f:
    seed = f.read()
count = seed.count(KEYWORD)
if count != 7:
    raise SystemExit(f"expected 7 occurrences of {KEYWORD} in {SEED}, found {count}")
with open(CLEAN, "w", encoding="utf-8", newline="") as f:
    f.write(seed.replace(KEYWORD, ""))
