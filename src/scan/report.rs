//! Small pieces for writing reports: context snippets and JSON strings.

use std::ops::Range;

/// The text of `span` in `text` with up to `context` characters on each
/// side, on one line: line breaks and tabs become spaces, and `…` marks
/// where the text goes on. The span itself is put in `【】`.
///
/// `span` is clamped to `text` and widened to character boundaries, so any
/// span is accepted.
///
/// ```
/// use spamsift::scan::snippet;
///
/// let text = "协作金博体育。成都平原经济区";
/// let start = text.find("金博").unwrap();
/// assert_eq!(snippet(text, start..start + 12, 2), "协作【金博体育】。成…");
/// ```
pub fn snippet(text: &str, span: Range<usize>, context: usize) -> String {
    let mut start = span.start.min(text.len());
    let mut end = span.end.clamp(start, text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    while !text.is_char_boundary(end) {
        end += 1;
    }
    let before: Vec<(usize, char)> = text[..start].char_indices().rev().take(context).collect();
    let from = before.last().map_or(start, |&(i, _)| i);
    let after_end = text[end..]
        .char_indices()
        .nth(context)
        .map_or(text.len(), |(i, _)| end + i);
    let mut out = String::new();
    if from > 0 {
        out.push('…');
    }
    let flat = |s: &str, out: &mut String| {
        out.extend(s.chars().map(|c| if c.is_control() { ' ' } else { c }));
    };
    flat(&text[from..start], &mut out);
    if start < end {
        out.push('【');
        flat(&text[start..end], &mut out);
        out.push('】');
    }
    flat(&text[end..after_end], &mut out);
    if after_end < text.len() {
        out.push('…');
    }
    out
}

/// Appends `s` to `out` as a JSON string, quotes included: `"`, `\` and
/// control characters escaped, everything else as UTF-8.
///
/// ```
/// let mut out = String::new();
/// spamsift::scan::json_escape("金\"博\n", &mut out);
/// assert_eq!(out, r#""金\"博\n""#);
/// ```
pub fn json_escape(s: &str, out: &mut String) {
    out.reserve(s.len() + 2);
    out.push('"');
    let mut run = 0;
    for (i, b) in s.bytes().enumerate() {
        let esc: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0C => "\\f",
            0..=0x1F => "",
            _ => continue,
        };
        out.push_str(&s[run..i]);
        if esc.is_empty() {
            out.push_str(&format!("\\u{b:04x}"));
        } else {
            out.push_str(esc);
        }
        run = i + 1;
    }
    out.push_str(&s[run..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets() {
        let t = "甲乙\n丙丁戊";
        assert_eq!(snippet(t, 3..6, 1), "甲【乙】 …");
        assert_eq!(snippet(t, 3..6, 0), "…【乙】…");
        assert_eq!(snippet(t, 0..0, 2), "甲乙…");
        assert_eq!(snippet(t, 100..200, 1), "…戊");
        assert_eq!(snippet(t, 1..2, 0), "【甲】…");
    }

    #[test]
    fn escapes() {
        let mut out = String::new();
        json_escape("a\u{1}\\\u{7f}é", &mut out);
        assert_eq!(out, "\"a\\u0001\\\\\u{7f}é\"");
    }
}
