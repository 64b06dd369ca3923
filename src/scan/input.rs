//! Where documents come from: files, standard input or any reader, as one
//! text document or as JSONL, read in bounded pieces.

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::engine::ParagraphMode;
use crate::{Error, Result};

/// How an input is split into documents.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// The whole input is one document, whose id is the input's name.
    #[default]
    Text,
    /// One JSON object per line, one document per line. Needs the `jsonl`
    /// cargo feature; without it, scanning a JSONL input is an error.
    Jsonl,
}

impl Format {
    /// The format a path's extension suggests: [`Format::Jsonl`] for `.jsonl`
    /// (any case), [`Format::Text`] for everything else.
    pub fn from_path<P: AsRef<Path>>(path: P) -> Format {
        match path.as_ref().extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("jsonl") => Format::Jsonl,
            _ => Format::Text,
        }
    }
}

enum Source {
    Path,
    Stdin,
    Reader(Box<dyn Read + Send>),
}

/// One input of a scan: a file, standard input or a reader, and its format.
///
/// ```
/// use spamsift::scan::{Format, Input};
///
/// assert_eq!(Input::path("corpus.jsonl").format(), Format::Jsonl);
/// assert_eq!(Input::path("page.txt").format(), Format::Text);
/// let input = Input::reader("memory", std::io::Cursor::new("正文")).with_format(Format::Text);
/// assert_eq!(input.name().to_str(), Some("memory"));
/// ```
pub struct Input {
    name: PathBuf,
    source: Source,
    format: Format,
}

impl fmt::Debug for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match self.source {
            Source::Path => "path",
            Source::Stdin => "stdin",
            Source::Reader(_) => "reader",
        };
        f.debug_struct("Input")
            .field("name", &self.name)
            .field("source", &source)
            .field("format", &self.format)
            .finish()
    }
}

impl Input {
    /// A file, in the format its extension suggests ([`Format::from_path`]).
    pub fn path<P: Into<PathBuf>>(path: P) -> Input {
        let name = path.into();
        Input {
            format: Format::from_path(&name),
            name,
            source: Source::Path,
        }
    }

    /// Standard input, named `-`, as text.
    pub fn stdin() -> Input {
        Input {
            name: PathBuf::from("-"),
            source: Source::Stdin,
            format: Format::Text,
        }
    }

    /// Any reader, named `name` in ids and error messages, in the format
    /// `name`'s extension suggests.
    pub fn reader<P: Into<PathBuf>, R: Read + Send + 'static>(name: P, reader: R) -> Input {
        let name = name.into();
        Input {
            format: Format::from_path(&name),
            name,
            source: Source::Reader(Box::new(reader)),
        }
    }

    /// Overrides the format.
    pub fn with_format(mut self, format: Format) -> Input {
        self.format = format;
        self
    }

    /// The name: the path as given, `-` for standard input.
    pub fn name(&self) -> &Path {
        &self.name
    }

    /// The format.
    pub fn format(&self) -> Format {
        self.format
    }

    fn open(self) -> Result<(Box<dyn Read + Send>, PathBuf, Format)> {
        let io = |source| Error::Io {
            path: self.name.clone(),
            source,
        };
        let reader: Box<dyn Read + Send> = match self.source {
            Source::Path => {
                let meta = std::fs::metadata(&self.name).map_err(io)?;
                if meta.is_dir() {
                    return Err(io(io::Error::new(
                        io::ErrorKind::IsADirectory,
                        "is a directory, not a file",
                    )));
                }
                Box::new(File::open(&self.name).map_err(io)?)
            }
            Source::Stdin => Box::new(io::stdin()),
            Source::Reader(r) => r,
        };
        Ok((reader, self.name, self.format))
    }
}

/// One unit of work for a worker.
pub(crate) enum Item {
    /// A piece of a text document, cut at a line boundary.
    Text {
        id: Arc<str>,
        /// The input's name, for an error.
        path: Arc<Path>,
        /// Byte offset of `bytes` in the document.
        offset: usize,
        /// Line breaks in the document before `bytes`, for an error.
        lines_before: u64,
        /// Not yet checked to be UTF-8: the thread that analyses it checks
        /// it (see [`decode_text`]), so that reading, under a lock, stays
        /// short.
        bytes: Vec<u8>,
        first: bool,
        last: bool,
    },
    /// One line of a JSONL input, `\n` included, not yet checked.
    Line {
        path: Arc<Path>,
        /// 1-based.
        line: u64,
        /// Byte offset of the start of the line in the file.
        offset: u64,
        bytes: Vec<u8>,
    },
    /// The input cannot be read further.
    Fatal(Error),
}

impl Item {
    pub(crate) fn input_len(&self) -> usize {
        match self {
            Item::Text { bytes, .. } => bytes.len(),
            Item::Line { bytes, .. } => bytes.len(),
            Item::Fatal(_) => 0,
        }
    }
}

/// A numbered group of items: what one thread reads and analyses at a time.
pub(crate) struct Batch {
    pub(crate) seq: u64,
    pub(crate) items: Vec<Item>,
}

/// How the reader cuts inputs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReadOptions {
    pub(crate) mode: ParagraphMode,
    pub(crate) part_len: usize,
    pub(crate) batch_len: usize,
}

/// The reader: reads every input in order and cuts it into batches of
/// items of about `batch_len` bytes, one batch per call of
/// [`Reader::next_batch`]. It has no thread of its own: whichever thread of
/// the scan needs work next reads the next batch (under a lock when there
/// are several), so a scan on `n` threads runs on `n` threads and reading
/// costs no hand-over between them.
pub(crate) struct Reader {
    inputs: std::vec::IntoIter<Input>,
    /// The input being read.
    open: Option<Open>,
    opts: ReadOptions,
    /// Batches handed out so far.
    seq: u64,
    /// Every input is read, or one failed: no batch follows.
    done: bool,
}

/// An input being read, in its format.
enum Open {
    Text(TextReader),
    Jsonl(JsonlReader),
}

impl Reader {
    pub(crate) fn new(inputs: Vec<Input>, opts: ReadOptions) -> Reader {
        Reader {
            inputs: inputs.into_iter(),
            open: None,
            opts,
            seq: 0,
            done: false,
        }
    }

    /// The next batch: items until they hold `batch_len` bytes or the
    /// inputs end. An input that cannot be read ends its batch with an
    /// [`Item::Fatal`], and no batch follows. `None` when no batch is left.
    pub(crate) fn next_batch(&mut self) -> Option<Batch> {
        let mut items = Vec::new();
        let mut bytes = 0;
        while !self.done && bytes < self.opts.batch_len {
            match self.next_item() {
                Some(item) => {
                    bytes += item.input_len();
                    self.done = matches!(item, Item::Fatal(_));
                    items.push(item);
                }
                None => self.done = true,
            }
        }
        if items.is_empty() {
            return None;
        }
        let batch = Batch {
            seq: self.seq,
            items,
        };
        self.seq += 1;
        Some(batch)
    }

    /// How many batches [`Reader::next_batch`] has handed out: once it
    /// returned `None`, all there are.
    pub(crate) fn batches(&self) -> u64 {
        self.seq
    }

    /// The next item of the inputs in order, or `None` after the last.
    fn next_item(&mut self) -> Option<Item> {
        loop {
            let Some(open) = &mut self.open else {
                let input = self.inputs.next()?;
                match input.open() {
                    Ok((reader, name, Format::Text)) => {
                        self.open = Some(Open::Text(TextReader::new(reader, name)));
                    }
                    Ok((reader, name, Format::Jsonl)) => {
                        self.open = Some(Open::Jsonl(JsonlReader::new(reader, name)));
                    }
                    Err(e) => return Some(Item::Fatal(e)),
                }
                continue;
            };
            let next = match open {
                Open::Text(text) => text.next_part(&self.opts),
                Open::Jsonl(jsonl) => jsonl.next_line(),
            };
            match next {
                Ok(Some(item)) => return Some(item),
                Ok(None) => self.open = None,
                // The scan stops at this error: the caller reads no further.
                Err(e) => {
                    self.open = None;
                    return Some(Item::Fatal(e));
                }
            }
        }
    }
}

/// Where a text part may end: after a line break, or for blocks after a
/// blank line, so no paragraph and no keyword is cut in two. `None` when the
/// buffer has no such place.
fn cut_point(buf: &[u8], mode: ParagraphMode) -> Option<usize> {
    match mode {
        ParagraphMode::Blocks => buf.windows(2).rposition(|w| w == b"\n\n").map(|i| i + 2),
        _ => buf.iter().rposition(|&b| b == b'\n').map(|i| i + 1),
    }
}

/// A text input, read in parts of about `part_len` bytes straight into
/// each part's buffer: a buffered reader would copy every byte once more.
struct TextReader {
    reader: Box<dyn Read + Send>,
    name: PathBuf,
    id: Arc<str>,
    path: Arc<Path>,
    /// Byte offset of `buf` in the document.
    offset: usize,
    /// Line breaks before `buf`, to name the line of bad UTF-8.
    lines_before: u64,
    /// No part handed out yet.
    first: bool,
    /// The last part is handed out.
    finished: bool,
    /// Read and not yet handed out.
    buf: Vec<u8>,
}

impl TextReader {
    fn new(reader: Box<dyn Read + Send>, name: PathBuf) -> TextReader {
        TextReader {
            reader,
            id: Arc::from(name.to_string_lossy().as_ref()),
            path: Arc::from(name.as_path()),
            name,
            offset: 0,
            lines_before: 0,
            first: true,
            finished: false,
            buf: Vec::new(),
        }
    }

    /// The next part, cut after a line break (or a blank line for blocks);
    /// an empty document is one empty part. `None` after the last part.
    fn next_part(&mut self, opts: &ReadOptions) -> Result<Option<Item>> {
        if self.finished {
            return Ok(None);
        }
        let name = &self.name;
        let io = |source| Error::Io {
            path: name.clone(),
            source,
        };
        let buf = &mut self.buf;
        loop {
            let mut eof = false;
            while buf.len() < opts.part_len {
                let want = (opts.part_len - buf.len()).max(1 << 16) as u64;
                // Room for a typical page at once: `read_to_end` through
                // `take` would start small and grow by copying. Not the
                // whole part: a part's text keeps its buffer until the scan
                // is done with it.
                if buf.is_empty() {
                    buf.reserve((want as usize).min(16 << 10));
                }
                let n = (&mut self.reader).take(want).read_to_end(buf).map_err(io)?;
                if n == 0 {
                    eof = true;
                    break;
                }
            }
            let cut = if eof {
                Some(buf.len())
            } else {
                cut_point(buf, opts.mode)
            };
            let Some(cut) = cut else {
                // One very long line (or block): keep reading until it ends.
                let grow = buf.len();
                let n = (&mut self.reader)
                    .take(grow as u64)
                    .read_to_end(buf)
                    .map_err(io)?;
                if n == 0 {
                    // It ends at the end of the input.
                    let part = std::mem::take(buf);
                    return Ok(Some(self.part(part, true)));
                }
                continue;
            };
            let rest = buf[cut..].to_vec();
            buf.truncate(cut);
            let part = std::mem::replace(buf, rest);
            return Ok(Some(self.part(part, eof)));
        }
    }

    /// The item of `bytes`, the next part, and the offsets past it.
    fn part(&mut self, bytes: Vec<u8>, last: bool) -> Item {
        let len = bytes.len();
        let newlines = if last {
            0
        } else {
            bytes.iter().filter(|&&b| b == b'\n').count() as u64
        };
        let item = Item::Text {
            id: Arc::clone(&self.id),
            path: Arc::clone(&self.path),
            offset: self.offset,
            lines_before: self.lines_before,
            bytes,
            first: self.first,
            last,
        };
        self.first = false;
        self.finished = last;
        self.offset += len;
        self.lines_before += newlines;
        item
    }
}

/// The text of a part of a text document, or the error naming where its
/// first byte of invalid UTF-8 is: line (1-based) and byte offset in the
/// document.
///
/// The check is `simdutf8`'s: std's validator is fast only on ASCII and
/// spent about 10 instructions a byte of Chinese text, a sixth of a scan
/// (see `benches/fold.rs`). It borrows the bytes, so valid text is copied
/// once into its `String` (a `memcpy`; safe code cannot turn checked bytes
/// into a `String` without checking them again). Invalid text goes through
/// std's check, which names the first invalid byte.
pub(crate) fn decode_text(
    bytes: Vec<u8>,
    path: &Path,
    offset: usize,
    lines_before: u64,
) -> Result<String> {
    if let Ok(text) = simdutf8::basic::from_utf8(&bytes) {
        return Ok(text.to_owned());
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let line = lines_before + bytes[..valid].iter().filter(|&&b| b == b'\n').count() as u64;
        Error::InvalidUtf8 {
            path: path.to_path_buf(),
            line: line + 1,
            offset: (offset + valid) as u64,
        }
    })
}

/// A JSONL input, read line by line.
struct JsonlReader {
    reader: BufReader<Box<dyn Read + Send>>,
    name: PathBuf,
    path: Arc<Path>,
    /// Byte offset of the next line.
    offset: u64,
    /// Lines read.
    line: u64,
}

impl JsonlReader {
    fn new(reader: Box<dyn Read + Send>, name: PathBuf) -> JsonlReader {
        JsonlReader {
            reader: BufReader::with_capacity(1 << 16, reader),
            path: Arc::from(name.as_path()),
            name,
            offset: 0,
            line: 0,
        }
    }

    /// The next line, `\n` included, not yet checked; `None` at the end.
    fn next_line(&mut self) -> Result<Option<Item>> {
        let mut bytes = Vec::new();
        let n = self
            .reader
            .read_until(b'\n', &mut bytes)
            .map_err(|source| Error::Io {
                path: self.name.clone(),
                source,
            })?;
        if n == 0 {
            return Ok(None);
        }
        self.line += 1;
        let item = Item::Line {
            path: Arc::clone(&self.path),
            line: self.line,
            offset: self.offset,
            bytes,
        };
        self.offset += n as u64;
        Ok(Some(item))
    }
}
