
/// Scans arbitrary bytes as a JSONL corpus (and as a text document): no
/// panic; a malformed line is an error naming the input, or, with
/// `skip_bad_lines`, an event carrying the line as read, so every line is
/// accounted for; and each part's cleaned text plus its removals rebuilds the
/// part byte for byte.
pub fn check_jsonl(bytes: &[u8], skip_bad_lines: bool, fields: &[&str]) {
    use spamsift::scan::clean::{apply, rebuild, removals};
    use spamsift::scan::{Event, Format, Input, Scanner};

    thread_local! {
        static SCANNERS: std::cell::RefCell<std::collections::HashMap<(bool, Vec<String>), Scanner>> =
            Default::default();
    }
    let key = (skip_bad_lines, fields.iter().map(|f| f.to_string()).collect::<Vec<_>>());
    let scanner = SCANNERS.with(|s| {
        s.borrow_mut()
            .entry(key.clone())
            .or_insert_with(|| {
                Scanner::builder()
                    .threads(1)
                    .skip_bad_lines(skip_bad_lines)
                    .fields(key.1.clone())
                    .part_len(1 << 12)
                    .build()
                    .expect("scanner builds")
            })
            .clone()
    });
    for format in [Format::Jsonl, Format::Text] {
        let input = Input::reader("fuzz.jsonl", std::io::Cursor::new(bytes.to_vec())).with_format(format);
        let mut accounted = 0usize;
        let result = scanner.scan(vec![input], |event| {
            match event {
                Event::Part(part) => {
                    let rs = removals(part);
                    let cleaned = apply(&part.text, part.offset, &rs);
                    let local: Vec<_> = rs
                        .iter()
                        .map(|r| {
                            let mut r = r.clone();
                            r.start -= part.offset;
                            r.end -= part.offset;
                            r
                        })
                        .collect();
                    assert_eq!(
                        rebuild(&cleaned, &local).as_deref(),
                        Some(part.text.as_str()),
                        "clean + removals do not rebuild part {:?}",
                        part.text
                    );
                    if part.first {
                        accounted += 1;
                    }
                }
                Event::BadLine { error, raw } => {
                    assert!(error.to_string().contains("fuzz.jsonl"), "{error}");
                    assert!(!raw.is_empty());
                    accounted += 1;
                }
                Event::BlankLine { .. } => accounted += 1,
                _ => {}
            }
            Ok(())
        });
        match result {
            Ok(summary) => {
                if format == Format::Jsonl {
                    // Every line, blank ones included; a final line break ends the last line.
                    let lines = bytes.split(|&b| b == b'\n').count() - usize::from(bytes.is_empty() || bytes.ends_with(b"\n"));
                    assert_eq!(accounted, lines, "{} lines, {accounted} accounted for; summary {summary:?}", lines);
                }
            }
            Err(e) => {
                let msg = e.to_string();
                assert!(
                    !skip_bad_lines || format == Format::Text,
                    "scan failed with skip_bad_lines: {msg}"
                );
                assert!(msg.contains("fuzz.jsonl"), "error without the input's name: {msg}");
            }
        }
    }
}
