//! Paragraph segmentation with byte spans into the original text.
//!
//! Scraped Chinese news puts one paragraph on a line, usually indented with
//! ideographic spaces (U+3000) or ASCII spaces, so by default every non-blank
//! line is a paragraph ([`ParagraphMode::Lines`]). Text that wraps paragraphs
//! over several lines and separates them by blank lines is read with
//! [`ParagraphMode::Blocks`].
//!
//! A paragraph's span is trimmed of surrounding whitespace (anything
//! [`char::is_whitespace`], which includes U+3000 and `\r`) and of zero-width
//! and formatting characters such as a byte-order mark, so `&haystack[span]`
//! starts and ends with visible text. A line holding only whitespace and
//! invisible characters is blank.
//!
//! Lines are separated by `\n` only. Folding never adds or removes a `\n`, so
//! line `i` of the folded text is line `i` of the original; [`Paragraph::lines`]
//! lets a caller find a paragraph in the folded text without folding it again.

use std::ops::Range;

use super::fold::{Class, classify};

/// How paragraphs are delimited.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ParagraphMode {
    /// Every non-blank line is a paragraph. The default.
    #[default]
    Lines,
    /// Paragraphs are runs of non-blank lines separated by blank lines.
    Blocks,
}

/// One paragraph of a haystack.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Paragraph {
    /// The 0-based index of the paragraph among the paragraphs of its haystack.
    pub index: usize,
    /// The trimmed byte span in the haystack.
    pub span: Range<usize>,
    /// The 0-based line numbers the paragraph covers (`\n`-separated lines).
    pub lines: Range<usize>,
}

/// Iterates over the paragraphs of `haystack`.
///
/// ```
/// use spamsift::text::{paragraphs, ParagraphMode};
///
/// let hay = "标题\n\n\u{3000}\u{3000}第一段。\r\n  第二段。\n";
/// let spans: Vec<&str> = paragraphs(hay, ParagraphMode::Lines)
///     .map(|p| &hay[p.span])
///     .collect();
/// assert_eq!(spans, ["标题", "第一段。", "第二段。"]);
///
/// let blocks: Vec<&str> = paragraphs(hay, ParagraphMode::Blocks)
///     .map(|p| &hay[p.span])
///     .collect();
/// assert_eq!(blocks, ["标题", "第一段。\r\n  第二段。"]);
/// ```
pub fn paragraphs(haystack: &str, mode: ParagraphMode) -> Paragraphs<'_> {
    Paragraphs {
        haystack,
        mode,
        pos: 0,
        line: 0,
        index: 0,
    }
}

/// The iterator returned by [`paragraphs`].
#[derive(Clone, Debug)]
pub struct Paragraphs<'h> {
    haystack: &'h str,
    mode: ParagraphMode,
    /// Byte offset of the next line to read.
    pos: usize,
    /// Line number of the next line to read.
    line: usize,
    /// Index of the next paragraph.
    index: usize,
}

/// Whether `c` is trimmed from the ends of a paragraph.
fn is_blank_char(c: char) -> bool {
    c.is_whitespace() || classify(c) == Class::Invisible
}

/// The trimmed span of `line` (which starts at `start`), or `None` when blank.
fn trim(line: &str, start: usize) -> Option<Range<usize>> {
    let front = line.len() - line.trim_start_matches(is_blank_char).len();
    if front == line.len() {
        return None;
    }
    let back = line.trim_end_matches(is_blank_char).len();
    Some(start + front..start + back)
}

/// The offset of the first `\n` in `haystack`.
///
/// A block of bytes is first asked whether it holds a line break at all,
/// by OR-ing a comparison per byte (vector code, no branch per byte), and
/// searched byte by byte only when it does, apart (the compiler would
/// otherwise merge the two loops into code that is neither): about a
/// quarter of an instruction a byte, where `str::find` (core's word-wise
/// `memchr` behind the char searcher) spent 1.4, 2% of a scan.
pub(crate) fn find_newline(haystack: &[u8]) -> Option<usize> {
    const BLOCK: usize = 32;
    let mut blocks = haystack.chunks_exact(BLOCK);
    let mut base = 0;
    for block in &mut blocks {
        let any = block.iter().fold(0u8, |a, &b| a | u8::from(b == b'\n'));
        if any != 0 {
            return Some(base + position_of_newline(block).unwrap_or(0));
        }
        base += BLOCK;
    }
    position_of_newline(blocks.remainder()).map(|i| base + i)
}

/// The byte search of [`find_newline`], for a block known to hold a line
/// break and for the last bytes.
#[inline(never)]
fn position_of_newline(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n')
}

impl Paragraphs<'_> {
    /// Reads the next line: its trimmed span (if not blank) and line number.
    fn next_line(&mut self) -> Option<(Option<Range<usize>>, usize)> {
        if self.pos > self.haystack.len() {
            return None;
        }
        let rest = &self.haystack[self.pos..];
        let (line, advance) = match find_newline(rest.as_bytes()) {
            Some(i) => (&rest[..i], i + 1),
            // The last line; a haystack ending in '\n' ends with an empty line.
            None => (rest, rest.len() + 1),
        };
        let span = trim(line, self.pos);
        let number = self.line;
        self.pos += advance;
        self.line += 1;
        Some((span, number))
    }
}

impl Iterator for Paragraphs<'_> {
    type Item = Paragraph;

    fn next(&mut self) -> Option<Paragraph> {
        let (span, first) = loop {
            match self.next_line()? {
                (Some(span), n) => break (span, n),
                (None, _) => continue,
            }
        };
        let mut span = span;
        let mut last = first;
        if self.mode == ParagraphMode::Blocks {
            // Extend over the following non-blank lines.
            loop {
                let save = (self.pos, self.line);
                match self.next_line() {
                    Some((Some(s), n)) => {
                        span.end = s.end;
                        last = n;
                    }
                    Some((None, _)) => break,
                    None => {
                        (self.pos, self.line) = save;
                        break;
                    }
                }
            }
        }
        let index = self.index;
        self.index += 1;
        Some(Paragraph {
            index,
            span,
            lines: first..last + 1,
        })
    }
}

impl std::iter::FusedIterator for Paragraphs<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(hay: &str, mode: ParagraphMode) -> Vec<(&str, Range<usize>)> {
        paragraphs(hay, mode)
            .map(|p| (&hay[p.span], p.lines))
            .collect()
    }

    /// `(name, haystack, mode, expected (text, line range) per paragraph)`.
    type Case = (
        &'static str,
        &'static str,
        ParagraphMode,
        &'static [(&'static str, Range<usize>)],
    );

    #[test]
    fn table() {
        use ParagraphMode::*;
        let cases: &[Case] = &[
            ("empty", "", Lines, &[]),
            ("blank", " \u{3000}\n\r\n\u{feff}\n", Lines, &[]),
            ("one", "甲", Lines, &[("甲", 0..1)]),
            ("trailing newline", "甲\n", Lines, &[("甲", 0..1)]),
            (
                "indent",
                "\u{3000}\u{3000}甲 乙\u{3000}\r\n\n\t丙\u{200b}",
                Lines,
                &[("甲 乙", 0..1), ("丙", 2..3)],
            ),
            (
                "blocks",
                "甲\n乙\n\n \n丙\n",
                Blocks,
                &[("甲\n乙", 0..2), ("丙", 4..5)],
            ),
            ("blocks at end", "\n甲\n 乙 ", Blocks, &[("甲\n 乙", 1..3)]),
        ];
        for (name, hay, mode, want) in cases {
            assert_eq!(spans(hay, *mode), *want, "case {name}: {hay:?}");
            // Shifted by a multi-byte prefix line, every span moves with it.
            let shifted = format!("前缀\n\n{hay}");
            let got: Vec<_> = paragraphs(&shifted, *mode).skip(1).collect();
            assert_eq!(got.len(), want.len(), "case {name} shifted");
            for (p, (text, lines)) in got.iter().zip(want.iter()) {
                assert_eq!(&shifted[p.span.clone()], *text, "case {name} shifted");
                assert_eq!(p.lines, lines.start + 2..lines.end + 2);
            }
        }
    }

    #[test]
    fn indices_count_paragraphs() {
        let idx: Vec<usize> = paragraphs("a\n\nb\nc", ParagraphMode::Lines)
            .map(|p| p.index)
            .collect();
        assert_eq!(idx, [0, 1, 2]);
    }

    /// The block test against a byte search, for a line break at every
    /// place of texts around the block length, alone or with another one
    /// in a later block.
    #[test]
    fn find_newline_equals_position_at_block_edges() {
        for len in 0..100 {
            for at in 0..=len {
                for second in [None, Some(at + 1), Some(at + 33)] {
                    let mut text = vec![b'a'; len];
                    if at < len {
                        text[at] = b'\n';
                    }
                    if let Some(j) = second.filter(|&j| j < len) {
                        text[j] = b'\n';
                    }
                    let naive = text.iter().position(|&b| b == b'\n');
                    assert_eq!(find_newline(&text), naive, "len {len}, at {at}");
                }
            }
        }
    }

    proptest::proptest! {
        /// Lines split by the block test are those `str::lines`-like
        /// splitting by `find` gives, on real-looking text.
        #[test]
        fn find_newline_equals_find(text in "(\\PC|\n|\n\n|成都新闻){0,120}") {
            proptest::prop_assert_eq!(find_newline(text.as_bytes()), text.find('\n'));
        }
    }
}
