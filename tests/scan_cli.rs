//! End-to-end tests of `examples/scan.rs`: the built example run on the seed
//! page and on bad inputs.
//!
//! `cargo test` builds the examples (into `target/<profile>/examples/`) before
//! running any test; when only this test target is built (`cargo test --test
//! scan_cli`), build the example first: `cargo build --profile test --example scan`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

const SEED: &str = "tests/data/000_214c2e03461503b2.txt";
const SEED_JSONL: &str = "tests/data/seed.jsonl";
const SPAM: &str = "金博体育";

/// The example binary that `cargo test` built next to this test.
fn example() -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows its path");
    // target/<profile>/deps/scan_cli-<hash> -> target/<profile>/examples/scan
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test is in deps/");
    let bin = dir
        .join("examples")
        .join(format!("scan{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: run `cargo test` (which builds the examples) or \
         `cargo build --profile test --example scan`",
        bin.display()
    );
    bin
}

fn run(args: &[&str]) -> Output {
    run_stdin(args, None)
}

fn run_stdin(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(example())
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the example runs");
    if let Some(bytes) = stdin {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(bytes).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// A fresh directory for one test's files.
fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("spamsift-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn seed() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(SEED);
    std::fs::read_to_string(path).unwrap()
}

/// The expected report of the seed page as document `doc`, built from a
/// naive reading of the page: paragraphs are its trimmed non-blank lines.
fn expected_seed_json(doc: &str) -> Value {
    let text = seed();
    let mut paragraphs = Vec::new();
    let mut at = 0;
    for line in text.split('\n') {
        let trimmed = line.trim();
        if !trimmed.is_empty() {
            let start = at + line.find(trimmed).unwrap();
            paragraphs.push((start, start + trimmed.len()));
        }
        at += line.len() + 1;
    }
    assert_eq!(paragraphs.len(), 17);
    let hit_starts = [0, 138, 1712, 3102, 3885, 4765, 6201];
    let hits: Vec<Value> = hit_starts
        .iter()
        .map(|&s| {
            assert_eq!(&text[s..s + SPAM.len()], SPAM);
            json!({"doc": doc, "start": s, "end": s + SPAM.len(), "text": SPAM,
                   "keyword": SPAM, "category": "gambling", "injected": true})
        })
        .collect();
    let clusters: Vec<Value> = (2..=8)
        .map(|p| {
            // The headline (¶9) is ¶2 with text glued on: it joins {2, 10} by
            // design (see "The seed page" in `spamsift::neardup`).
            let copies: &[usize] = if p == 2 { &[2, 9, 10] } else { &[p, p + 8] };
            let members: Vec<Value> = copies
                .iter()
                .map(|&i| {
                    json!({"doc": doc, "paragraph": i,
                           "start": paragraphs[i].0, "end": paragraphs[i].1})
                })
                .collect();
            json!({"members": members, "max_distance": 3})
        })
        .collect();
    json!({
        "documents": 1, "paragraphs": 17, "bytes": text.len(),
        "hits": hits, "clusters": clusters,
        "duplicates": 8, "bad_lines": 0,
    })
}

fn json_report(o: &Output) -> Value {
    assert!(o.status.success(), "failed: {}", stderr(o));
    let out = stdout(o);
    assert_eq!(out.lines().count(), 1, "exactly one JSON object: {out}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn seed_page_as_text() {
    let got = json_report(&run(&["--json", SEED]));
    assert_eq!(got, expected_seed_json(SEED));
}

#[test]
fn seed_page_as_jsonl() {
    let got = json_report(&run(&["--json", SEED_JSONL]));
    assert_eq!(got, expected_seed_json("seed"));
    // The same page with the line number as id, and on one thread.
    let got = json_report(&run(&[
        "--json",
        "--id-field",
        "none",
        "--threads",
        "1",
        SEED_JSONL,
    ]));
    assert_eq!(got, expected_seed_json("1"));
}

#[test]
fn seed_page_from_stdin() {
    let got = json_report(&run_stdin(&["--json", "-"], Some(seed().as_bytes())));
    assert_eq!(got, expected_seed_json("-"));
    let line = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(SEED_JSONL)).unwrap();
    let got = json_report(&run_stdin(
        &["--json", "--format", "jsonl", "-"],
        Some(&line),
    ));
    assert_eq!(got, expected_seed_json("seed"));
}

#[test]
fn human_report() {
    let o = run(&[SEED]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(out.matches("【金博体育】").count(), 7, "{out}");
    assert!(out.contains("dup  ¶10   = ¶2 "), "{out}");
    assert!(out.contains("cluster 7:"), "{out}");
    assert!(
        out.contains("documents 1, paragraphs 17, hits 7, clusters 7,"),
        "{out}"
    );
    assert!(out.contains("MB/s"), "{out}");
}

#[test]
fn jsonl_records() {
    let o = run(&["--jsonl", SEED_JSONL, SEED]);
    assert!(o.status.success(), "{}", stderr(&o));
    let records: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["doc"], "seed");
    assert_eq!(records[0]["hits"].as_array().unwrap().len(), 7);
    assert_eq!(records[0]["duplicates"].as_array().unwrap().len(), 8);
    assert_eq!(
        records[0]["duplicates"][0]["duplicate_of"],
        json!({"doc": "seed", "paragraph": 2})
    );
    // The second copy of the page duplicates the first, paragraph for paragraph.
    let dups = records[1]["duplicates"].as_array().unwrap();
    assert_eq!(dups[0]["paragraph"], 0);
    assert_eq!(
        dups[0]["duplicate_of"],
        json!({"doc": "seed", "paragraph": 0})
    );
    assert!(stderr(&o).contains("documents 2,"), "{}", stderr(&o));
}

#[test]
fn empty_inputs() {
    let dir = tempdir("empty");
    let text = dir.join("empty.txt");
    let jsonl = dir.join("empty.jsonl");
    std::fs::write(&text, "").unwrap();
    std::fs::write(&jsonl, "").unwrap();
    let got = json_report(&run(&["--json", jsonl.to_str().unwrap()]));
    assert_eq!(
        got,
        json!({"documents": 0, "paragraphs": 0, "bytes": 0, "hits": [], "clusters": [],
               "duplicates": 0, "bad_lines": 0})
    );
    let got = json_report(&run(&["--json", text.to_str().unwrap()]));
    assert_eq!(got["documents"], 1);
    assert_eq!(got["paragraphs"], 0);
    let o = run(&[text.to_str().unwrap()]);
    assert!(o.status.success());
    assert!(stdout(&o).contains("documents 1, paragraphs 0, hits 0, clusters 0"));
}

/// Runs the example, expecting exit status 2 and every `wants` in stderr.
fn fails(name: &str, args: &[&str], wants: &[&str]) {
    let o = run(args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "case {name}: {args:?}: {err}");
    for want in wants {
        assert!(
            err.contains(want),
            "case {name}: wanted {want:?} in {err:?}"
        );
    }
    assert!(!err.contains("panicked"), "case {name}: {err}");
}

#[test]
fn bad_inputs_exit_2_with_a_message() {
    let dir = tempdir("bad");
    let p = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path.to_str().unwrap().to_string()
    };
    let utf8 = p("bad.txt", b"line one\n\xe9\x87\x91\xff\n");
    let utf8_line = p(
        "bad_utf8.jsonl",
        b"{\"text\": \"a\"}\n{\"text\": \"\xff\"}\n",
    );
    let not_json = p("bad.jsonl", b"{\"text\": \"a\"}\n{\"text\": \n");
    let missing = p("missing.jsonl", b"{\"text\": \"a\"}\n\n{\"body\": \"b\"}\n");
    let not_string = p("number.jsonl", b"{\"text\": 5}\n");
    let d = dir.to_str().unwrap();
    let cases: &[(&str, &[&str], &[&str])] = &[
        (
            "missing file",
            &["nope/none.txt"],
            &["nope/none.txt", "No such file"],
        ),
        ("directory", &[d], &[d, "is a directory"]),
        (
            "invalid utf-8",
            &[&utf8],
            &[&utf8, ":2:", "invalid UTF-8 at byte offset 12"],
        ),
        (
            "invalid utf-8 in jsonl",
            &[&utf8_line],
            &[&utf8_line, ":2:", "invalid UTF-8 at byte offset 24"],
        ),
        (
            "malformed line",
            &[&not_json],
            &[&not_json, ":2:", "invalid JSON", "byte offset 14"],
        ),
        (
            "missing field",
            &[&missing],
            &[&missing, ":3:", "missing field `text`"],
        ),
        (
            "other field",
            &["--field", "body", SEED_JSONL],
            &["seed.jsonl:1:", "missing field `body`"],
        ),
        (
            "not a string",
            &[&not_string],
            &[":1:", "field `text` is not a string"],
        ),
        (
            "distance",
            &["--max-distance", "9", SEED],
            &["max_distance 9"],
        ),
        ("dictionary", &["--dict", "nope.tsv", SEED], &["nope.tsv"]),
        ("no file", &[], &["FILE"]),
    ];
    for (name, args, wants) in cases {
        fails(name, args, wants);
    }
    // With --skip-bad-lines the bad lines are reported and counted.
    let o = run(&["--json", "--skip-bad-lines", &missing, &not_json]);
    assert!(o.status.success(), "{}", stderr(&o));
    let got: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(got["documents"], 2);
    assert_eq!(got["bad_lines"], 2);
    let err = stderr(&o);
    assert!(
        err.contains("missing field `text`") && err.contains("invalid JSON"),
        "{err}"
    );
    assert!(err.contains("2 bad lines skipped"), "{err}");
}

/// Reads `OUT.removed.jsonl` into `(doc, start, end, text, reason)`.
fn removals(out: &Path) -> Vec<(String, usize, usize, String, String)> {
    let mut path = out.as_os_str().to_owned();
    path.push(".removed.jsonl");
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["doc"].as_str().unwrap().to_string(),
                v["start"].as_u64().unwrap() as usize,
                v["end"].as_u64().unwrap() as usize,
                v["text"].as_str().unwrap().to_string(),
                v["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Puts the removed texts back into the cleaned text, in order.
fn rebuild(cleaned: &str, removed: &[(String, usize, usize, String, String)]) -> String {
    let mut out = String::new();
    let mut from = 0;
    for (_, start, end, text, _) in removed {
        assert_eq!(end - start, text.len());
        let keep = start - out.len();
        out.push_str(&cleaned[from..from + keep]);
        from += keep;
        out.push_str(text);
    }
    out.push_str(&cleaned[from..]);
    out
}

/// The cleaned seed page: no spam, each duplicated paragraph once.
fn check_cleaned_page(cleaned: &str) {
    assert!(!cleaned.contains(SPAM), "{cleaned}");
    let page = seed();
    let body: Vec<&str> = page
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    for p in &body[2..=8] {
        let p = p.replace(SPAM, "");
        let copies = cleaned.lines().filter(|l| l.trim() == p).count();
        assert_eq!(copies, 1, "{p}");
    }
    // The title stays, without the spam; the headline (¶9) holds all of ¶2
    // and goes as its duplicate.
    assert!(cleaned.starts_with("省政府新闻办举行"));
    assert!(!cleaned.contains("推动“五区共兴”成都平原经济区激荡率先发展动能"));
}

#[test]
fn clean_text_rebuilds_byte_for_byte() {
    let dir = tempdir("clean-text");
    let out = dir.join("seed.clean.txt");
    let o = run(&["--clean", out.to_str().unwrap(), SEED]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("removed 3 injected hits and 8 duplicate paragraphs"));
    let cleaned = std::fs::read_to_string(&out).unwrap();
    check_cleaned_page(&cleaned);
    let removed = removals(&out);
    // The hits in ¶9, ¶11, ¶12 and ¶16 go with their paragraphs.
    assert_eq!(removed.len(), 3 + 8);
    assert!(removed.iter().all(|r| r.0 == SEED));
    assert_eq!(rebuild(&cleaned, &removed), seed());
    // No temporary file is left next to the output.
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn clean_jsonl_keeps_other_fields() {
    let dir = tempdir("clean-jsonl");
    let input = dir.join("in.jsonl");
    let seed_line =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(SEED_JSONL)).unwrap();
    let clean_line = "{\"id\": 2, \"text\": \"干净的一行\\u6587字\", \"x\": 1.50}\n";
    let blank = "  \n";
    std::fs::write(&input, format!("{seed_line}{clean_line}{blank}{seed_line}")).unwrap();
    let out = dir.join("out.jsonl");
    let o = run(&["--clean", out.to_str().unwrap(), input.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let cleaned = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = cleaned.split_inclusive('\n').collect();
    assert_eq!(lines.len(), 4);
    // Untouched lines are byte for byte the same; in changed ones only the text.
    assert_eq!(lines[1], clean_line);
    assert_eq!(lines[2], blank);
    let seed_json: Value = serde_json::from_str(&seed_line).unwrap();
    for l in [lines[0], lines[3]] {
        assert!(
            l.starts_with("{\"id\": \"seed\", \"url\": \"http://example.com/a?b=1\", \"text\": \"")
        );
        assert!(l.ends_with("\", \"n\": [1, 2.50, {\"x\": null}]}\n"));
    }
    let first: Value = serde_json::from_str(lines[0]).unwrap();
    check_cleaned_page(first["text"].as_str().unwrap());
    // The second copy of the page is all duplicates: every paragraph goes.
    let second: Value = serde_json::from_str(lines[3]).unwrap();
    assert!(second["text"].as_str().unwrap().trim().is_empty());
    // Each document's decoded text rebuilds from the removals.
    let removed = removals(&out);
    for (line, doc) in [(&first, 0), (&second, 1)] {
        let mine: Vec<_> = removed.iter().filter(|r| r.0 == "seed").cloned().collect();
        // Both copies share the id; split the list where the offsets restart.
        let split = mine.windows(2).position(|w| w[1].1 < w[0].1).unwrap() + 1;
        let part = if doc == 0 {
            &mine[..split]
        } else {
            &mine[split..]
        };
        let text = line["text"].as_str().unwrap();
        assert_eq!(rebuild(text, part), seed_json["text"].as_str().unwrap());
    }
}
