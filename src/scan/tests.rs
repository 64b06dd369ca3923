use std::io::Cursor;

use super::clean::{apply, rebuild, removals};
use super::*;

const SEED: &str = include_str!("../../tests/data/000_214c2e03461503b2.txt");

fn text_input(name: &str, text: &str) -> Input {
    Input::reader(name, Cursor::new(text.as_bytes().to_vec())).with_format(Format::Text)
}

/// Scans and collects every part.
fn scan_parts(scanner: &Scanner, inputs: Vec<Input>) -> (Summary, Vec<Part>) {
    let mut parts = Vec::new();
    let summary = scanner
        .scan(inputs, |e| {
            if let Event::Part(p) = e {
                parts.push(p.clone());
            }
            Ok(())
        })
        .unwrap();
    (summary, parts)
}

fn hits(parts: &[Part]) -> Vec<(usize, usize, usize)> {
    parts
        .iter()
        .flat_map(|p| p.hits.iter().map(|h| (p.doc_index, h.start, h.end)))
        .collect()
}

fn paragraphs(parts: &[Part]) -> Vec<(usize, ParagraphReport)> {
    parts
        .iter()
        .flat_map(|p| p.paragraphs.iter().map(|r| (p.doc_index, r.clone())))
        .collect()
}

#[test]
fn scanner_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Scanner>();
    check::<Summary>();
    check::<Part>();
}

#[test]
fn seed_page() {
    let scanner = Scanner::new().unwrap();
    let (summary, parts) = scan_parts(&scanner, vec![text_input("seed", SEED)]);
    assert_eq!(parts.len(), 1);
    assert_eq!(summary.documents, 1);
    assert_eq!(summary.paragraphs, 17);
    assert_eq!(summary.hits, 7);
    for (_, s, e) in hits(&parts) {
        assert_eq!(&SEED[s..e], "金博体育");
    }
    let clusters: Vec<Vec<usize>> = summary
        .clusters
        .iter()
        .map(|c| c.members.iter().map(|m| m.paragraph).collect())
        .collect();
    let mut want: Vec<Vec<usize>> = (2..=8).map(|p| vec![p, p + 8]).collect();
    // The headline (¶9) is ¶2 with text glued on: it joins {2, 10} by design
    // (see "The seed page" in `crate::neardup`).
    want[0] = vec![2, 9, 10];
    assert_eq!(clusters, want);
}

/// Cutting a text document into small parts changes nothing that is
/// reported, in either paragraph mode, on any number of threads.
#[test]
fn parts_report_the_same_as_the_whole() {
    // Two copies of the page in one document: the second is all duplicates.
    let doc = format!("{SEED}\n{SEED}");
    for mode in [ParagraphMode::Lines, ParagraphMode::Blocks] {
        let whole = Scanner::builder()
            .paragraphs(mode)
            .threads(1)
            .build()
            .unwrap();
        let (want_summary, want_parts) = scan_parts(&whole, vec![text_input("d", &doc)]);
        assert_eq!(want_parts.len(), 1);
        for (part_len, threads) in [(1, 1), (64, 3), (1000, 2), (5000, 4)] {
            let cut = Scanner::builder()
                .paragraphs(mode)
                .part_len(part_len)
                .threads(threads)
                .build()
                .unwrap();
            let (summary, parts) = scan_parts(&cut, vec![text_input("d", &doc)]);
            let name = format!("{mode:?} part_len {part_len} threads {threads}");
            assert!(parts.len() > 1, "{name}");
            assert!(parts[0].first && parts.last().unwrap().last, "{name}");
            assert_eq!(summary, want_summary, "{name}");
            assert_eq!(hits(&parts), hits(&want_parts), "{name}");
            assert_eq!(paragraphs(&parts), paragraphs(&want_parts), "{name}");
            let text: String = parts.iter().map(|p| p.text.as_str()).collect();
            assert_eq!(text, doc, "{name}");
        }
    }
}

/// A line far longer than a part is one part, found whole.
#[test]
fn long_single_line() {
    let unit = "成都平原经济区设施互联互通提速加力，金 博*體-育。";
    let line = unit.repeat(20_000);
    let scanner = Scanner::builder().part_len(4096).build().unwrap();
    let input = format!("开头\n{line}\n结尾");
    let (summary, parts) = scan_parts(&scanner, vec![text_input("long", &input)]);
    assert_eq!(summary.hits, 20_000);
    assert_eq!(summary.paragraphs, 3);
    assert!(parts.iter().any(|p| p.text.len() > line.len()));
    let first = parts.iter().flat_map(|p| &p.hits).next().unwrap();
    assert_eq!(&input[first.start..first.end], "金 博*體-育");
}

#[test]
fn many_documents_on_many_threads_are_deterministic() {
    let docs: Vec<String> = (0..200)
        .map(|i| {
            let lines = SEED.lines().filter(|l| !l.trim().is_empty());
            let mut d: Vec<&str> = lines.skip(i % 7).take(5).collect();
            d.push("独一无二的段落，只出现一次的文字内容。");
            d.join("\n")
        })
        .collect();
    let inputs = || {
        docs.iter()
            .enumerate()
            .map(|(i, d)| text_input(&format!("d{i}"), d))
            .collect()
    };
    let one = Scanner::builder().threads(1).build().unwrap();
    let (want, want_parts) = scan_parts(&one, inputs());
    assert_eq!(want.documents, 200);
    for threads in [2, 5] {
        let many = Scanner::builder().threads(threads).build().unwrap();
        let (got, got_parts) = scan_parts(&many, inputs());
        assert_eq!(got, want);
        assert_eq!(paragraphs(&got_parts), paragraphs(&want_parts));
    }
    // The repeated line is a duplicate in every document after the first.
    let last = want.clusters.last().unwrap();
    assert!(
        want.clusters.iter().any(|c| c.members.len() >= 199),
        "{last:?}"
    );
}

/// A callback slower than the workers: they wait for the collector (at
/// most four batches per thread wait), and the reports are those of one
/// thread.
#[test]
fn a_slow_callback_holds_the_workers_back() {
    let docs: Vec<String> = (0..2000)
        .map(|i| format!("第{i}篇。\n{}", SEED.lines().nth(i % 40).unwrap_or("")))
        .collect();
    let inputs = || {
        docs.iter()
            .enumerate()
            .map(|(i, d)| text_input(&format!("d{i}"), d))
            .collect::<Vec<_>>()
    };
    // Parts of one byte make batches of 4 KiB: about 50 of them here, more
    // than wait for the collector on three threads (12).
    let build = |threads| {
        Scanner::builder()
            .threads(threads)
            .part_len(1)
            .build()
            .unwrap()
    };
    let (want, want_parts) = scan_parts(&build(1), inputs());
    let mut got_parts = Vec::new();
    let got = build(3)
        .scan(inputs(), |e| {
            if let Event::Part(p) = e {
                std::thread::sleep(std::time::Duration::from_micros(100));
                got_parts.push(p.clone());
            }
            Ok(())
        })
        .unwrap();
    assert_eq!(got, want);
    assert_eq!(paragraphs(&got_parts), paragraphs(&want_parts));
    assert_eq!(hits(&got_parts), hits(&want_parts));
}

#[test]
fn removals_rebuild_the_input() {
    let doc = format!("{SEED}\n{SEED}");
    for part_len in [1 << 20, 300] {
        let scanner = Scanner::builder().part_len(part_len).build().unwrap();
        let (_, parts) = scan_parts(&scanner, vec![text_input("d", &doc)]);
        let mut all = Vec::new();
        let mut cleaned = String::new();
        for p in &parts {
            let list = removals(p);
            cleaned.push_str(&apply(&p.text, p.offset, &list));
            all.extend(list);
        }
        assert!(!cleaned.contains("金博体育"));
        for r in &all {
            assert_eq!(&doc[r.start..r.end], r.text);
        }
        assert_eq!(rebuild(&cleaned, &all).as_deref(), Some(doc.as_str()));
    }
}

#[test]
fn invalid_utf8_names_line_and_offset_across_parts() {
    let mut bytes = "第一行\n".repeat(100).into_bytes();
    let at = bytes.len() + 3;
    bytes.extend_from_slice(b"abc\xffdef\n");
    for part_len in [16, 1 << 20] {
        let scanner = Scanner::builder().part_len(part_len).build().unwrap();
        let input = Input::reader("bad.txt", Cursor::new(bytes.clone())).with_format(Format::Text);
        let err = scanner
            .scan(vec![input], |_| Ok(()))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            format!("bad.txt:101: invalid UTF-8 at byte offset {at}")
        );
    }
}

/// The workers check UTF-8 and the reader reads on past a bad part: the
/// error is still the first one in input order (not a later missing file),
/// after exactly the parts before it, on any number of threads.
#[test]
fn invalid_utf8_stops_the_scan_in_input_order() {
    for threads in [1, 2, 4] {
        let mut inputs = vec![
            text_input("a", SEED),
            Input::reader("bad.txt", Cursor::new(b"ok\n\xfe\n".to_vec())).with_format(Format::Text),
        ];
        inputs.extend((0..30).map(|i| text_input(&format!("d{i}"), SEED)));
        inputs.push(Input::path("/nonexistent/spamsift/missing.txt"));
        let scanner = Scanner::builder().threads(threads).build().unwrap();
        let mut docs = Vec::new();
        let err = scanner
            .scan(inputs, |e| {
                if let Event::Part(p) = e {
                    docs.push(p.doc.to_string());
                }
                Ok(())
            })
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "bad.txt:2: invalid UTF-8 at byte offset 3",
            "{threads} threads"
        );
        assert_eq!(docs, ["a"], "{threads} threads");
    }
}

/// On one thread as on several, where workers may be waiting for room.
#[test]
fn callback_errors_stop_the_scan() {
    for threads in [1, 2, 4] {
        let docs: Vec<Input> = (0..100)
            .map(|i| text_input(&format!("d{i}"), SEED))
            .collect();
        let scanner = Scanner::builder().threads(threads).build().unwrap();
        let mut seen = 0;
        let mut progress = 0;
        let err = scanner
            .scan(docs, |e| {
                match e {
                    Event::Part(_) => {
                        seen += 1;
                        if seen == 3 {
                            return Err(Error::Config("stop".into()));
                        }
                    }
                    Event::Progress { .. } => progress += 1,
                    _ => {}
                }
                Ok(())
            })
            .unwrap_err();
        assert_eq!(err.to_string(), "invalid configuration: stop");
        assert_eq!((seen, progress), (3, 0), "{threads} threads");
    }
}

#[test]
fn settings_are_checked() {
    let cases: Vec<(&str, ScannerBuilder, &str)> = vec![
        (
            "distance",
            Scanner::builder().max_distance(9).clone(),
            "max_distance 9",
        ),
        (
            "no field",
            Scanner::builder().fields(Vec::<String>::new()).clone(),
            "no JSONL",
        ),
        (
            "twice",
            Scanner::builder().fields(["a", "a"]).clone(),
            "`a` given twice",
        ),
        (
            "part_len",
            Scanner::builder().part_len(0).clone(),
            "part_len 0",
        ),
    ];
    for (name, builder, want) in cases {
        let err = builder.build().unwrap_err().to_string();
        assert!(err.contains(want), "case {name}: {err}");
    }
}

#[cfg(feature = "jsonl")]
#[test]
fn jsonl_fields_join_and_ids() {
    let data = concat!(
        "{\"id\": \"a\", \"title\": \"金博体育标题\", \"body\": \"正文一\\n正文二\"}\n",
        "\n",
        "{\"title\": \"标题\", \"body\": \"金博体育\", \"id\": 42}\n",
        "{\"title\": \"t\", \"body\": \"b\"}\n",
    );
    let scanner = Scanner::builder()
        .fields(["title", "body"])
        .build()
        .unwrap();
    let input = Input::reader("c.jsonl", Cursor::new(data.as_bytes().to_vec()));
    let (summary, parts) = scan_parts(&scanner, vec![input]);
    assert_eq!(summary.documents, 3);
    assert_eq!(summary.blank_lines, 1);
    let ids: Vec<&str> = parts.iter().map(|p| &*p.doc).collect();
    assert_eq!(ids, ["a", "42", "4"]);
    assert_eq!(parts[0].text, "金博体育标题\n正文一\n正文二");
    assert_eq!(parts[0].segments(), [0..18, 19..38]);
    assert_eq!(hits(&parts), [(0, 0, 12), (1, 7, 19)]);
}

/// News documents full of edited copies of each other's paragraphs: the scan
/// finds, on every number of threads and with parts and batches of every
/// size, exactly what a plain [`Finder`] fed the same documents in order finds
/// (the workers' snapshot look-ups plus the collector's look-ups since the
/// snapshot are the whole look-up).
#[test]
fn scan_equals_the_plain_finder_on_every_thread_count() {
    let news = include_str!("../../tests/data/news_1998.txt");
    let lines: Vec<&str> = news.lines().filter(|l| l.chars().count() > 15).collect();
    let mut state = 0x51_7cc1_b727_220au64;
    let mut next = || {
        state = crate::neardup::fmix64(state.wrapping_add(0x9e37_79b9_7f4a_7c15));
        state
    };
    let mut docs: Vec<String> = Vec::new();
    let mut used: Vec<String> = Vec::new();
    for d in 0..150 {
        let mut doc = Vec::new();
        for i in 0..12 {
            let r = next();
            let line = if !used.is_empty() && r % 4 == 0 {
                // A copy of a paragraph seen before, lightly edited.
                let src: Vec<char> = used[(next() as usize) % used.len()].chars().collect();
                match r % 3 {
                    0 => src[..src.len() * 5 / 6].iter().collect(),
                    1 => src.iter().collect::<String>() + "（本报记者）",
                    _ => src.iter().collect(),
                }
            } else {
                lines[(d * 12 + i) % lines.len()].to_string()
            };
            used.push(line.clone());
            doc.push(line);
        }
        docs.push(doc.join("\n"));
    }
    // Paragraph keys only, so that the Hamming look-ups since the workers'
    // snapshot decide, and the defaults.
    let mut only_paragraphs = FinderBuilder::new();
    only_paragraphs.chunk_len(0);
    for finder in [only_paragraphs, FinderBuilder::new()] {
        check_against_plain_finder(&docs, finder);
    }
}

fn check_against_plain_finder(docs: &[String], finder: FinderBuilder) {
    let inputs = || {
        docs.iter()
            .enumerate()
            .map(|(i, d)| text_input(&format!("d{i}"), d))
            .collect()
    };
    let scanner = Scanner::builder()
        .threads(1)
        .finder(finder.clone())
        .build()
        .unwrap();
    let mut finder_plain = scanner.finder.build().unwrap();
    let mut want_dups = Vec::new();
    for (i, d) in docs.iter().enumerate() {
        let masks: Vec<Range<usize>> = scanner
            .detector
            .find_iter(d)
            .map(|h| h.start()..h.end())
            .collect();
        for o in finder_plain.add_document(i as u64, d, &masks) {
            want_dups.push(o.duplicate_of.map(|l| (l.doc as usize, l.paragraph)));
        }
    }
    let want_clusters: Vec<Vec<(usize, usize)>> = finder_plain
        .clusters()
        .iter()
        .map(|c| {
            c.members
                .iter()
                .map(|m| (m.doc as usize, m.paragraph))
                .collect()
        })
        .collect();
    assert!(want_dups.iter().flatten().count() > 200);
    for (threads, part_len) in [(1, 1 << 20), (2, 1 << 20), (4, 1 << 20), (3, 700), (2, 1)] {
        let scanner = Scanner::builder()
            .threads(threads)
            .part_len(part_len)
            .finder(finder.clone())
            .build()
            .unwrap();
        let (summary, parts) = scan_parts(&scanner, inputs());
        let got_dups: Vec<Option<(usize, usize)>> = paragraphs(&parts)
            .into_iter()
            .map(|(_, p)| p.duplicate_of.map(|e| (e.doc_index, e.paragraph)))
            .collect();
        let name = format!("threads {threads} part_len {part_len}");
        assert_eq!(got_dups, want_dups, "{name}");
        let got_clusters: Vec<Vec<(usize, usize)>> = summary
            .clusters
            .iter()
            .map(|c| {
                c.members
                    .iter()
                    .map(|m| (m.doc_index, m.paragraph))
                    .collect()
            })
            .collect();
        assert_eq!(got_clusters, want_clusters, "{name}");
    }
}
