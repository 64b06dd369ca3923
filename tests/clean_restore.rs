//! Nothing lost: `--clean` output plus its removal list rebuild the original
//! input byte for byte (`spamsift::scan::restore`), for text and for JSONL in
//! every escaping style real corpora use; and an interrupted or failed run
//! leaves an earlier output intact.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use spamsift::scan::clean::{CleanStats, CleanWriter};
use spamsift::scan::{Format, Input, Scanner, restore};

/// A fresh directory under the target directory, removed first if left over.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("clean_restore-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Scans `bytes` as `format`, cleans into `dir/out`, restores, and checks the
/// restored bytes are the input's. Returns the cleaning's totals.
fn clean_and_restore(dir: &Path, bytes: &[u8], format: Format, fields: &[&str]) -> CleanStats {
    let out = dir.join("out");
    let scanner = Scanner::builder()
        .threads(2)
        .skip_bad_lines(true)
        .fields(fields.iter().map(|f| f.to_string()).collect::<Vec<_>>())
        .part_len(1 << 12)
        .build()
        .unwrap();
    let mut writer = CleanWriter::create(&out).unwrap();
    let input = Input::reader("input", std::io::Cursor::new(bytes.to_vec())).with_format(format);
    scanner
        .scan(vec![input], |event| writer.write(&event))
        .unwrap();
    let stats = writer.finish().unwrap();
    let mut restored = Vec::new();
    let n = restore(&out, &mut restored).unwrap();
    assert_eq!(n as usize, restored.len());
    if restored != bytes {
        let at = restored
            .iter()
            .zip(bytes)
            .position(|(a, b)| a != b)
            .unwrap_or(restored.len().min(bytes.len()));
        panic!(
            "restore differs from the input at byte {at}:\n  input:    {:?}\n  restored: {:?}",
            String::from_utf8_lossy(&bytes[at.saturating_sub(40)..(at + 40).min(bytes.len())]),
            String::from_utf8_lossy(
                &restored[at.saturating_sub(40)..(at + 40).min(restored.len())]
            ),
        );
    }
    stats
}

/// Python's `json.dumps(s)` (`ensure_ascii=True`), written independently of
/// the crate's encoder.
fn python_ascii(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_ascii() && c >= ' ' => out.push(c),
            c => {
                let mut units = [0; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
        }
    }
    out.push('"');
    out
}

/// An encoder no cleaner reproduces: `\/` for `/`, upper-case hex for every
/// character outside ASCII letters and digits.
fn odd(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '/' => out.push_str("\\/"),
            c if c.is_ascii_alphanumeric() => out.push(c),
            c => {
                let mut units = [0; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{u:04X}"));
                }
            }
        }
    }
    out.push('"');
    out
}

#[derive(Clone, Copy, Debug)]
enum Style {
    Utf8,
    Ascii,
    Odd,
}

fn encode(s: &str, style: Style) -> String {
    match style {
        Style::Utf8 => serde_json::to_string(s).unwrap(),
        Style::Ascii => python_ascii(s),
        Style::Odd => odd(s),
    }
}

const SEED: &str = include_str!("data/000_214c2e03461503b2.txt");

/// Paragraphs with spliced keywords, disguises, and repeats across documents.
fn paragraph() -> impl Strategy<Value = String> {
    let lines: Vec<&'static str> = SEED.lines().filter(|l| !l.trim().is_empty()).collect();
    prop_oneof![
        4 => prop::sample::select(lines).prop_map(str::to_string),
        1 => Just("省政府新闻办召开发布会，金\u{200b}博體育协作 a/b \"引号\" \\ 反斜杠。".to_string()),
        1 => Just("免费北京pk10 时时彩 快三计划\t😀".to_string()),
        1 => Just("普通的一段新闻正文，没有任何问题。".to_string()),
    ]
}

fn document() -> impl Strategy<Value = String> {
    let sep = prop::sample::select(vec!["\n", "\n\n", "\r\n", "\n\u{3000}\u{3000}"]);
    prop::collection::vec((paragraph(), sep), 1..6).prop_map(|ps| {
        ps.into_iter()
            .map(|(p, s)| format!("{p}{s}"))
            .collect::<String>()
    })
}

fn style() -> impl Strategy<Value = Style> {
    prop::sample::select(vec![Style::Utf8, Style::Ascii, Style::Odd])
}

/// A JSONL corpus with `title` and `text` fields around other fields, each
/// line in its own escaping style, and blank and malformed lines.
fn jsonl_corpus() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        8 => (any::<u16>(), document(), document(), style()).prop_map(|(id, title, text, st)| {
            format!(
                "{{\"id\": {id}, \"text\":{}, \"url\": \"http:\\/\\/x.cn\", \"title\": {}}}",
                encode(&text, st),
                encode(&title, st),
            )
        }),
        1 => Just(String::new()),
        1 => Just("{\"text\": 5}".to_string()),
    ];
    (prop::collection::vec(line, 0..10), any::<bool>()).prop_map(|(ls, crlf)| {
        let sep = if crlf { "\r\n" } else { "\n" };
        ls.join(sep).into_bytes()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn jsonl_clean_restores_byte_for_byte(bytes in jsonl_corpus()) {
        let dir = scratch("prop-jsonl");
        clean_and_restore(&dir, &bytes, Format::Jsonl, &["title", "text"]);
    }

    #[test]
    fn text_clean_restores_byte_for_byte(docs in prop::collection::vec(document(), 1..8)) {
        let dir = scratch("prop-text");
        clean_and_restore(&dir, docs.concat().as_bytes(), Format::Text, &["text"]);
    }
}

#[test]
fn seed_page_restores_as_text_and_in_every_jsonl_style() {
    let dir = scratch("seed");
    let stats = clean_and_restore(&dir, SEED.as_bytes(), Format::Text, &["text"]);
    // Lines 9 to 16 repeat earlier ones; the injected hits left are removed.
    assert_eq!(stats.duplicates, 8, "{stats:?}");
    assert!(stats.injected > 0, "{stats:?}");
    assert!(
        !std::fs::read_to_string(dir.join("out"))
            .unwrap()
            .contains("金博体育")
    );
    for style in [Style::Utf8, Style::Ascii, Style::Odd] {
        let mut jsonl = String::new();
        for id in 0..3 {
            jsonl.push_str(&format!(
                "{{\"id\":\"p{id}\",\"text\":{}}}\n",
                encode(SEED, style)
            ));
        }
        let stats = clean_and_restore(&dir, jsonl.as_bytes(), Format::Jsonl, &["text"]);
        assert!(
            stats.duplicates > 7 && stats.injected > 0,
            "{style:?}: {stats:?}"
        );
        // The cleaned file keeps the input's style where the cleaner can.
        let cleaned = std::fs::read_to_string(dir.join("out")).unwrap();
        match style {
            Style::Ascii => assert!(cleaned.is_ascii()),
            Style::Utf8 | Style::Odd => assert!(cleaned.contains("成都")),
        }
        let removed = std::fs::read_to_string(dir.join("out.removed.jsonl")).unwrap();
        assert_eq!(removed.contains("\"raw\":"), matches!(style, Style::Odd));
    }
}

#[test]
fn a_removal_list_that_does_not_fit_is_an_error_naming_its_line() {
    let dir = scratch("misfit");
    let out = dir.join("out");
    std::fs::write(&out, "short").unwrap();
    std::fs::write(
        dir.join("out.removed.jsonl"),
        "{\"doc\":\"d\",\"start\":0,\"end\":3,\"text\":\"abc\",\"at\":2}\n\
         {\"doc\":\"d\",\"start\":9,\"end\":12,\"text\":\"abc\",\"at\":99}\n",
    )
    .unwrap();
    let err = restore(&out, Vec::new()).unwrap_err().to_string();
    assert!(err.contains("out.removed.jsonl:2:"), "{err}");
    assert!(err.contains("past the end"), "{err}");

    // A JSONL removal whose next record points inside the field it restored.
    std::fs::write(&out, "{\"text\":\"ab\"}\n").unwrap();
    std::fs::write(
        dir.join("out.removed.jsonl"),
        "{\"doc\":\"1\",\"start\":1,\"end\":2,\"text\":\"x\",\"at\":8,\"field_offset\":0}\n\
         {\"doc\":\"1\",\"start\":0,\"end\":1,\"text\":\"y\",\"at\":9}\n",
    )
    .unwrap();
    let err = restore(&out, Vec::new()).unwrap_err().to_string();
    assert!(
        err.contains("out.removed.jsonl:2:") && err.contains("inside"),
        "{err}"
    );

    std::fs::write(dir.join("out.removed.jsonl"), "{\"doc\":\"d\"}\n").unwrap();
    let err = restore(&out, Vec::new()).unwrap_err().to_string();
    assert!(
        err.contains("out.removed.jsonl:1:") && err.contains("missing `at`"),
        "{err}"
    );
}

/// The example binary that `cargo test` built next to this test.
fn example() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(Path::parent).unwrap();
    let bin = dir
        .join("examples")
        .join(format!("scan{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: run `cargo test`, which builds the examples",
        bin.display()
    );
    bin
}

#[test]
fn the_example_restores_what_it_cleaned() {
    let dir = scratch("example");
    let out = dir.join("clean.txt");
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/000_214c2e03461503b2.txt");
    let status = Command::new(example())
        .arg(&seed)
        .arg("--clean")
        .arg(&out)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let restored = Command::new(example())
        .arg("--restore")
        .arg(&out)
        .output()
        .unwrap();
    assert!(restored.status.success(), "{restored:?}");
    assert_eq!(restored.stdout, SEED.as_bytes());
}

/// Files in `dir` other than `keep`.
fn others(dir: &Path, keep: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !keep.contains(&n.as_str()))
        .collect();
    names.sort();
    names
}

#[test]
fn a_failed_run_leaves_the_earlier_output_and_no_temporary_file() {
    let dir = scratch("failed");
    let out = dir.join("out.jsonl");
    std::fs::write(&out, "earlier output\n").unwrap();
    std::fs::write(dir.join("out.jsonl.removed.jsonl"), "earlier list\n").unwrap();
    let input = dir.join("in.jsonl");
    std::fs::write(
        &input,
        "{\"text\": \"金博体育省政府新闻办\"}\n{\"text\": oops}\n{\"text\": \"后面的行\"}\n",
    )
    .unwrap();
    let run = Command::new(example())
        .arg(&input)
        .arg("--clean")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2), "{run:?}");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("in.jsonl:2"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "earlier output\n");
    assert_eq!(
        std::fs::read_to_string(dir.join("out.jsonl.removed.jsonl")).unwrap(),
        "earlier list\n"
    );
    let left = others(&dir, &["out.jsonl", "out.jsonl.removed.jsonl", "in.jsonl"]);
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

#[test]
fn a_killed_run_leaves_the_earlier_output_intact() {
    let dir = scratch("killed");
    let out = dir.join("out.jsonl");
    std::fs::write(&out, "earlier output\n").unwrap();
    // Standard input stays open, so the run cannot finish before the kill.
    let mut child = Command::new(example())
        .args(["-", "--format", "jsonl", "--clean"])
        .arg(&out)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let line = "{\"text\": \"金博体育省政府新闻办举行发布会。\"}\n".repeat(2000);
    stdin.write_all(line.as_bytes()).unwrap();
    stdin.flush().unwrap();
    // Wait until the run has started writing its temporary file.
    let started = Instant::now();
    while others(&dir, &["out.jsonl"]).is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no temporary file appeared"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(child.try_wait().unwrap().is_none(), "the run ended early");
    child.kill().unwrap();
    child.wait().unwrap();
    drop(stdin);
    // The kill left the temporary files (nothing can remove them), not `OUT`.
    assert_eq!(others(&dir, &["out.jsonl"]).len(), 2);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "earlier output\n");
    assert!(!dir.join("out.jsonl.removed.jsonl").exists());
}

/// A removal record with arbitrary numbers, for the no-panic property.
fn record() -> impl Strategy<Value = String> {
    (
        0u64..64,
        0u64..64,
        prop::option::of(0u64..64),
        "[a-z金\"\\\\]{0,4}",
        any::<bool>(),
        prop::option::of("[a-z\"]{0,6}"),
    )
        .prop_map(|(at, start, field_offset, text, ascii, raw)| {
            let mut r = serde_json::json!({"doc": "d", "start": start, "end": start + 1, "at": at, "text": text});
            if let Some(f) = field_offset {
                r["field_offset"] = f.into();
            }
            if ascii {
                r["ascii"] = true.into();
            }
            if let Some(raw) = raw {
                r["raw"] = raw.into();
            }
            r.to_string()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any cleaned file with any list of removal records: restore returns
    /// the bytes or an error, and never panics.
    #[test]
    fn restore_never_panics(
        cleaned in "[a-z{}\":\\\\金\n]{0,40}",
        mut records in prop::collection::vec(record(), 0..6),
        sorted in any::<bool>(),
    ) {
        if sorted {
            records.sort_by_key(|r| serde_json::from_str::<serde_json::Value>(r).unwrap()["at"].as_u64());
        }
        let dir = scratch("prop-restore");
        let out = dir.join("out");
        std::fs::write(&out, &cleaned).unwrap();
        std::fs::write(dir.join("out.removed.jsonl"), records.join("\n")).unwrap();
        let _ = restore(&out, Vec::new());
    }
}
