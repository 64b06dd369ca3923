//! Reading one JSONL line: the text fields, their byte spans in the line
//! (so `--clean` can splice in new values and leave every other byte alone),
//! and the document id.

use std::collections::HashMap;
use std::ops::Range;

use serde_json::value::RawValue;

/// One text field of a JSONL document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldSpan {
    /// The field's name.
    pub name: String,
    /// The byte span of the field's JSON value (the quoted string) in the line.
    pub raw: Range<usize>,
    /// The byte span of the decoded value in the document text.
    pub text: Range<usize>,
}

/// A parsed line: the document's text and id.
#[derive(Debug)]
pub(crate) struct ParsedLine {
    pub(crate) id: Option<String>,
    pub(crate) text: String,
    pub(crate) fields: Vec<FieldSpan>,
}

/// Parses `line` (without its line break): the fields named in `fields`,
/// joined with `\n`, and the id from `id_field`. The error is a message for
/// [`crate::Error::Malformed`].
pub(crate) fn parse_line(
    line: &str,
    fields: &[String],
    id_field: &str,
) -> Result<ParsedLine, String> {
    let trimmed = line.trim_start();
    if !trimmed.starts_with('{') {
        return Err("expected a JSON object".to_string());
    }
    let map: HashMap<String, &RawValue> =
        serde_json::from_str(line).map_err(|e| format!("invalid JSON: {e}"))?;
    let mut text = String::new();
    let mut spans = Vec::with_capacity(fields.len());
    for (i, name) in fields.iter().enumerate() {
        let raw = match map.get(name.as_str()) {
            Some(raw) if raw.get() != "null" => *raw,
            _ => return Err(format!("missing field `{name}`")),
        };
        let value: String = if raw.get().starts_with('"') {
            serde_json::from_str(raw.get()).map_err(|e| format!("field `{name}`: {e}"))?
        } else {
            return Err(format!(
                "field `{name}` is not a string: {}",
                truncate(raw.get(), 40)
            ));
        };
        if i > 0 {
            text.push('\n');
        }
        let start = text.len();
        text.push_str(&value);
        // The raw value borrows from `line`: its offset is where it sits.
        let raw_start = raw.get().as_ptr() as usize - line.as_ptr() as usize;
        spans.push(FieldSpan {
            name: name.clone(),
            raw: raw_start..raw_start + raw.get().len(),
            text: start..text.len(),
        });
    }
    let id = match map.get(id_field) {
        None => None,
        Some(raw) => {
            let raw = raw.get();
            if raw.starts_with('"') {
                Some(serde_json::from_str(raw).map_err(|e| format!("id field `{id_field}`: {e}"))?)
            } else if raw.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
                Some(raw.to_string())
            } else if raw == "null" {
                None
            } else {
                return Err(format!(
                    "id field `{id_field}` is neither a string nor a number: {}",
                    truncate(raw, 40)
                ));
            }
        }
    };
    Ok(ParsedLine {
        id,
        text,
        fields: spans,
    })
}

/// At most `n` characters of `s`, with `…` when cut.
fn truncate(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_spans() {
        let line = r#"{"id": 7, "title": "标\"题", "body": "正文\n第二段", "x": [1]}"#;
        let fields = ["title".to_string(), "body".to_string()];
        let p = parse_line(line, &fields, "id").unwrap();
        assert_eq!(p.id.as_deref(), Some("7"));
        assert_eq!(p.text, "标\"题\n正文\n第二段");
        assert_eq!(&line[p.fields[0].raw.clone()], r#""标\"题""#);
        assert_eq!(&p.text[p.fields[1].text.clone()], "正文\n第二段");
    }

    #[test]
    fn errors_name_the_problem() {
        let f = ["text".to_string()];
        let cases = [
            ("not an object", "[1]", "expected a JSON object"),
            ("bad json", "{\"text\": ", "invalid JSON"),
            ("missing", "{\"t\": \"x\"}", "missing field `text`"),
            ("null", "{\"text\": null}", "missing field `text`"),
            ("number", "{\"text\": 5}", "field `text` is not a string"),
            ("bad id", "{\"text\": \"a\", \"id\": [1]}", "id field `id`"),
        ];
        for (name, line, want) in cases {
            let err = parse_line(line, &f, "id").unwrap_err();
            assert!(err.contains(want), "case {name}: {err}");
        }
    }
}
