//! Undoing `--clean`: the original input, byte for byte, from the cleaned
//! output `OUT` and its removal list `OUT.removed.jsonl`.
//!
//! Besides the fields [`Removal::to_json`](super::clean::Removal::to_json)
//! documents, each line of the removal list that [`CleanWriter`] writes
//! places its removal in `OUT`:
//!
//! - `at`: for text, the byte offset in `OUT` where `text` goes back. For a
//!   JSONL field, the byte offset in `OUT` of the field's cleaned JSON value
//!   (its opening quote).
//! - `field_offset` (JSONL only): where the field's text starts in the
//!   document text, so `start - field_offset` is the removal's offset in the
//!   field.
//! - `ascii` (JSONL only, on the first removal of a field): the input escaped
//!   every non-ASCII character of the field (`\uXXXX`, as Python's
//!   `json.dumps` writes by default); `OUT` keeps that style.
//! - `raw` (JSONL only, on the first removal of a field): the field's JSON
//!   value exactly as the input had it, when neither the UTF-8 style of
//!   [`json_escape`] nor the ASCII style reproduces it (escapes such as `\/`
//!   or upper-case hex digits). Only then does the list hold a field whole.
//!
//! [`restore`] copies `OUT` and puts every removal back: text at its `at`; for
//! a JSONL field, it decodes the value at `at`, puts the field's removals back
//! and writes the value again in the input's style (or its `raw` bytes).
//!
//! [`CleanWriter`]: super::clean::CleanWriter

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::report::json_escape;
use crate::{Error, Result};

/// Writes `s` as a JSON string in the style of Python's `json.dumps` with
/// `ensure_ascii` (its default): `"`, `\` and the control characters escaped
/// as [`json_escape`] does, and every non-ASCII character as `\uXXXX` with
/// lower-case hex digits (a surrogate pair above U+FFFF).
pub(crate) fn ascii_escape(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || !c.is_ascii() => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// One line of the removal list, as restore needs it.
struct Record {
    /// Its line in the removal list and that line's byte offset, for errors.
    line: u64,
    offset: u64,
    at: u64,
    text: String,
    /// For a JSONL field: the removal's offset in the field's text.
    in_field: Option<usize>,
    ascii: bool,
    raw: Option<String>,
}

/// Where a malformed removal list line is.
struct Place<'a> {
    path: &'a Path,
    line: u64,
    offset: u64,
}

impl Place<'_> {
    fn error(&self, message: impl Into<String>) -> Error {
        Error::Malformed {
            path: self.path.to_path_buf(),
            line: self.line,
            offset: self.offset,
            message: message.into(),
        }
    }
}

fn parse_record(line: &str, place: &Place<'_>) -> Result<Record> {
    let value: Value =
        serde_json::from_str(line).map_err(|e| place.error(format!("invalid JSON: {e}")))?;
    let uint = |name: &str| -> Result<Option<u64>> {
        match value.get(name) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| place.error(format!("`{name}` is not an unsigned integer"))),
        }
    };
    let string = |name: &str| -> Result<Option<String>> {
        match value.get(name) {
            None => Ok(None),
            Some(v) => v
                .as_str()
                .map(|s| Some(s.to_string()))
                .ok_or_else(|| place.error(format!("`{name}` is not a string"))),
        }
    };
    let missing = |name: &str| place.error(format!("missing `{name}` (not written by --clean?)"));
    let at = uint("at")?.ok_or_else(|| missing("at"))?;
    let text = string("text")?.ok_or_else(|| missing("text"))?;
    let in_field = match uint("field_offset")? {
        None => None,
        Some(field_offset) => {
            let start = uint("start")?.ok_or_else(|| missing("start"))?;
            let in_field = start
                .checked_sub(field_offset)
                .ok_or_else(|| place.error("`start` is before `field_offset`"))?;
            Some(usize::try_from(in_field).map_err(|_| place.error("`start` is too large"))?)
        }
    };
    Ok(Record {
        line: place.line,
        offset: place.offset,
        at,
        text,
        in_field,
        ascii: value.get("ascii").and_then(Value::as_bool).unwrap_or(false),
        raw: string("raw")?,
    })
}

/// Reads the removal list, checking that `at` never goes back.
fn read_records<R: BufRead>(mut removed: R, path: &Path) -> Result<Vec<Record>> {
    let mut records: Vec<Record> = Vec::new();
    let mut buf = Vec::new();
    let mut place = Place {
        path,
        line: 0,
        offset: 0,
    };
    loop {
        place.offset += buf.len() as u64;
        buf.clear();
        let n = removed
            .read_until(b'\n', &mut buf)
            .map_err(|source| Error::Io {
                path: path.to_path_buf(),
                source,
            })?;
        if n == 0 {
            return Ok(records);
        }
        place.line += 1;
        let line = std::str::from_utf8(&buf).map_err(|e| Error::InvalidUtf8 {
            path: path.to_path_buf(),
            line: place.line,
            offset: place.offset + e.valid_up_to() as u64,
        })?;
        let line = line.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            continue;
        }
        let record = parse_record(line, &place)?;
        if records.last().is_some_and(|last| record.at < last.at) {
            return Err(place.error(format!(
                "`at` {} goes back (the previous removal is at {})",
                record.at,
                records.last().map_or(0, |r| r.at)
            )));
        }
        records.push(record);
    }
}

/// Rebuilds the input of a `--clean` run, byte for byte, from the cleaned
/// output `cleaned` and the removal list beside it (`cleaned` +
/// `.removed.jsonl`), writing it to `out`. Returns the number of bytes
/// written.
///
/// ```no_run
/// let original = std::fs::File::create("corpus.restored.jsonl")?;
/// spamsift::scan::restore("cleaned.jsonl", std::io::BufWriter::new(original))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// [`Error::Io`] when a file cannot be read or `out` written;
/// [`Error::Malformed`] naming the removal list's line when a line is not a
/// removal written by [`CleanWriter`](super::clean::CleanWriter), or when it
/// does not fit `cleaned` (an `at` past its end, or not at a JSON string).
pub fn restore<P: AsRef<Path>, W: Write>(cleaned: P, out: W) -> Result<u64> {
    let cleaned = cleaned.as_ref();
    let mut removed_path = cleaned.as_os_str().to_owned();
    removed_path.push(".removed.jsonl");
    let removed_path = PathBuf::from(removed_path);
    let open = |path: &Path| {
        File::open(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })
    };
    let records = read_records(BufReader::new(open(&removed_path)?), &removed_path)?;
    let reader = BufReader::with_capacity(1 << 16, open(cleaned)?);
    restore_from(reader, cleaned, &records, &removed_path, out)
}

fn restore_from<R: BufRead, W: Write>(
    mut cleaned: R,
    cleaned_path: &Path,
    records: &[Record],
    removed_path: &Path,
    mut out: W,
) -> Result<u64> {
    let read_err = |source| Error::Io {
        path: cleaned_path.to_path_buf(),
        source,
    };
    let write_err = |source| Error::Io {
        path: PathBuf::from("<output>"),
        source,
    };
    let misfit = |i: usize, message: String| Error::Malformed {
        path: removed_path.to_path_buf(),
        line: records[i].line,
        offset: records[i].offset,
        message,
    };
    let mut pos = 0u64;
    let mut written = 0u64;
    let mut i = 0;
    while i < records.len() {
        let at = records[i].at;
        if at < pos {
            return Err(misfit(
                i,
                format!("`at` {at} falls inside the JSON string that ends at byte {pos}"),
            ));
        }
        let copied = copy(&mut cleaned, at - pos, &mut out, read_err, write_err)?;
        written += copied;
        pos += copied;
        if pos < at {
            return Err(misfit(
                i,
                format!("`at` {at} is past the end of the cleaned file ({pos} bytes)"),
            ));
        }
        if records[i].in_field.is_none() {
            out.write_all(records[i].text.as_bytes())
                .map_err(write_err)?;
            written += records[i].text.len() as u64;
            i += 1;
            continue;
        }
        // A JSONL field: every record at this `at` is one of its removals.
        let end = i + records[i..].iter().take_while(|r| r.at == at).count();
        let token = read_json_string(&mut cleaned).map_err(read_err)?;
        let Some(token) = token else {
            return Err(misfit(
                i,
                format!("no JSON string at byte {at} of the cleaned file"),
            ));
        };
        pos += token.len() as u64;
        let value: String = serde_json::from_str(&token)
            .map_err(|e| misfit(i, format!("the JSON string at byte {at}: {e}")))?;
        let mut field = String::with_capacity(value.len());
        let mut from = 0;
        for (j, r) in records[i..end].iter().enumerate() {
            let keep = r.in_field.unwrap_or(0).checked_sub(field.len());
            let kept = keep.and_then(|keep| value.get(from..from + keep));
            let Some(kept) = kept else {
                return Err(misfit(
                    i + j,
                    format!("the removal does not fit the field at byte {at}"),
                ));
            };
            field.push_str(kept);
            from += kept.len();
            field.push_str(&r.text);
        }
        field.push_str(&value[from..]);
        let mut encoded = String::new();
        match records[i..end].iter().find_map(|r| r.raw.as_deref()) {
            Some(raw) => encoded.push_str(raw),
            None if records[i..end].iter().any(|r| r.ascii) => ascii_escape(&field, &mut encoded),
            None => json_escape(&field, &mut encoded),
        }
        out.write_all(encoded.as_bytes()).map_err(write_err)?;
        written += encoded.len() as u64;
        i = end;
    }
    written += copy(&mut cleaned, u64::MAX, &mut out, read_err, write_err)?;
    out.flush().map_err(write_err)?;
    Ok(written)
}

/// Copies up to `limit` bytes from `r` to `w`, telling read errors from
/// write errors.
fn copy<R: BufRead, W: Write>(
    r: &mut R,
    limit: u64,
    w: &mut W,
    read_err: impl Fn(std::io::Error) -> Error,
    write_err: impl Fn(std::io::Error) -> Error,
) -> Result<u64> {
    let mut copied = 0u64;
    while copied < limit {
        let buf = r.fill_buf().map_err(&read_err)?;
        if buf.is_empty() {
            break;
        }
        let n = buf
            .len()
            .min(usize::try_from(limit - copied).unwrap_or(usize::MAX));
        w.write_all(&buf[..n]).map_err(&write_err)?;
        r.consume(n);
        copied += n as u64;
    }
    Ok(copied)
}

/// Reads one JSON string token (quotes included) from `r`, or `None` when
/// the next byte is not `"` or the string does not end.
fn read_json_string<R: BufRead>(r: &mut R) -> std::io::Result<Option<String>> {
    let mut token = Vec::new();
    let mut byte = [0u8; 1];
    let mut escaped = false;
    loop {
        if r.read(&mut byte)? == 0 {
            return Ok(None);
        }
        token.push(byte[0]);
        match (token.len(), byte[0]) {
            (1, b'"') => {}
            (1, _) => return Ok(None),
            (_, _) if escaped => escaped = false,
            (_, b'\\') => escaped = true,
            (_, b'"') => break,
            (_, b'\n') => return Ok(None),
            _ => {}
        }
    }
    Ok(String::from_utf8(token).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_escape_matches_python() {
        // json.dumps("金博\"\\\n\x01é😀/") in Python 3.
        let mut out = String::new();
        ascii_escape("金博\"\\\n\u{1}é😀/", &mut out);
        assert_eq!(out, r#""\u91d1\u535a\"\\\n\u0001\u00e9\ud83d\ude00/""#);
        let back: String = serde_json::from_str(&out).unwrap();
        assert_eq!(back, "金博\"\\\n\u{1}é😀/");
    }

    #[test]
    fn json_string_tokens() {
        let read = |s: &str| read_json_string(&mut s.as_bytes()).unwrap();
        assert_eq!(read(r#""a\"b" rest"#).as_deref(), Some(r#""a\"b""#));
        assert_eq!(read(r#""a\\" rest"#).as_deref(), Some(r#""a\\""#));
        assert_eq!(read("x\"a\""), None);
        assert_eq!(read("\"unterminated"), None);
        assert_eq!(read("\"line\nbreak\""), None);
    }
}
