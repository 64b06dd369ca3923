//! TEMPORARY copy of `text::paragraph` from the `fprint` branch (issue #3), until it lands.
use std::ops::Range;

use crate::text::{Class, classify};

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

impl Paragraphs<'_> {
    /// Reads the next line: its trimmed span (if not blank) and line number.
    fn next_line(&mut self) -> Option<(Option<Range<usize>>, usize)> {
        if self.pos > self.haystack.len() {
            return None;
        }
        let rest = &self.haystack[self.pos..];
        let (line, advance) = match rest.find('\n') {
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
