//! Where documents come from: files, standard input or any reader, as one
//! text document or as JSONL, read in bounded pieces.

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

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
        /// Not yet checked to be UTF-8: the worker checks it (see
        /// [`decode_text`]), so that the one reader thread does not.
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

/// A numbered group of items, the unit sent through the channels.
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

/// Groups items into batches of about `batch_len` bytes and hands them to
/// its sink: a channel to the workers, or the calling thread's own analysis
/// when the scan runs on one thread.
struct Batcher<'a> {
    sink: &'a mut dyn FnMut(Batch) -> Result<(), Hangup>,
    stop: &'a AtomicBool,
    seq: u64,
    items: Vec<Item>,
    bytes: usize,
    batch_len: usize,
}

/// The receiving side hung up: stop reading.
pub(crate) struct Hangup;

impl Batcher<'_> {
    fn push(&mut self, item: Item) -> Result<(), Hangup> {
        self.bytes += item.input_len();
        self.items.push(item);
        if self.bytes >= self.batch_len {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Hangup> {
        if self.items.is_empty() {
            return Ok(());
        }
        if self.stop.load(Ordering::Relaxed) {
            return Err(Hangup);
        }
        let items = std::mem::take(&mut self.items);
        self.bytes = 0;
        let batch = Batch {
            seq: self.seq,
            items,
        };
        self.seq += 1;
        (self.sink)(batch)
    }
}

/// The reader: reads every input in order and hands its items to `sink` in
/// batches, until the sink hangs up or `stop` is set.
pub(crate) fn read_all(
    inputs: Vec<Input>,
    opts: ReadOptions,
    sink: &mut dyn FnMut(Batch) -> Result<(), Hangup>,
    stop: &AtomicBool,
) {
    let mut batcher = Batcher {
        sink,
        stop,
        seq: 0,
        items: Vec::new(),
        bytes: 0,
        batch_len: opts.batch_len,
    };
    for input in inputs {
        let result = input
            .open()
            .and_then(|(reader, name, format)| match format {
                // Text is read in parts of `part_len` straight into the part's
                // buffer: a buffered reader would copy every byte once more.
                Format::Text => read_text(reader, name, opts, &mut batcher),
                Format::Jsonl => {
                    let reader = BufReader::with_capacity(1 << 16, reader);
                    read_jsonl(reader, name, &mut batcher)
                }
            });
        match result {
            Ok(Ok(())) => {}
            Ok(Err(Hangup)) => return,
            Err(e) => {
                // The scan stops at this error: read no further.
                if batcher.push(Item::Fatal(e)).is_ok() {
                    let _ = batcher.flush();
                }
                return;
            }
        }
    }
    let _ = batcher.flush();
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

fn read_text<R: Read>(
    mut reader: R,
    name: PathBuf,
    opts: ReadOptions,
    batcher: &mut Batcher<'_>,
) -> Result<Result<(), Hangup>> {
    let id: Arc<str> = Arc::from(name.to_string_lossy().as_ref());
    let path: Arc<Path> = Arc::from(name.as_path());
    let io = |source| Error::Io {
        path: name.clone(),
        source,
    };
    let mut offset = 0usize;
    // Line breaks before the current buffer, to name the line of bad UTF-8.
    let mut lines_before = 0u64;
    let mut first = true;
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let mut eof = false;
        while buf.len() < opts.part_len {
            let want = (opts.part_len - buf.len()).max(1 << 16) as u64;
            // Room for a typical page at once: `read_to_end` through `take`
            // would start small and grow by copying. Not the whole part: a
            // part's text keeps its buffer until the scan is done with it.
            if buf.is_empty() {
                buf.reserve((want as usize).min(16 << 10));
            }
            let n = (&mut reader).take(want).read_to_end(&mut buf).map_err(io)?;
            if n == 0 {
                eof = true;
                break;
            }
        }
        let cut = if eof {
            Some(buf.len())
        } else {
            cut_point(&buf, opts.mode)
        };
        let Some(cut) = cut else {
            // One very long line (or block): keep reading until it ends.
            let grow = buf.len();
            let n = (&mut reader)
                .take(grow as u64)
                .read_to_end(&mut buf)
                .map_err(io)?;
            if n == 0 {
                // Ends at the end of the input: the next round sends it.
                let part = std::mem::take(&mut buf);
                return Ok(send_text(
                    part,
                    &id,
                    &path,
                    offset,
                    lines_before,
                    first,
                    true,
                    batcher,
                ));
            }
            continue;
        };
        let rest = buf[cut..].to_vec();
        buf.truncate(cut);
        let part = std::mem::replace(&mut buf, rest);
        let len = part.len();
        let last = eof;
        let newlines = if last {
            0
        } else {
            part.iter().filter(|&&b| b == b'\n').count() as u64
        };
        if let Err(h) = send_text(part, &id, &path, offset, lines_before, first, last, batcher) {
            return Ok(Err(h));
        }
        if last {
            return Ok(Ok(()));
        }
        first = false;
        offset += len;
        lines_before += newlines;
    }
}

#[allow(clippy::too_many_arguments)]
fn send_text(
    bytes: Vec<u8>,
    id: &Arc<str>,
    path: &Arc<Path>,
    offset: usize,
    lines_before: u64,
    first: bool,
    last: bool,
    batcher: &mut Batcher<'_>,
) -> Result<(), Hangup> {
    batcher.push(Item::Text {
        id: Arc::clone(id),
        path: Arc::clone(path),
        offset,
        lines_before,
        bytes,
        first,
        last,
    })
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

fn read_jsonl<R: BufRead>(
    mut reader: R,
    name: PathBuf,
    batcher: &mut Batcher<'_>,
) -> Result<Result<(), Hangup>> {
    let path: Arc<Path> = Arc::from(name.as_path());
    let mut offset = 0u64;
    let mut line = 0u64;
    loop {
        let mut bytes = Vec::new();
        let n = reader
            .read_until(b'\n', &mut bytes)
            .map_err(|source| Error::Io {
                path: name.clone(),
                source,
            })?;
        if n == 0 {
            return Ok(Ok(()));
        }
        line += 1;
        let item = Item::Line {
            path: Arc::clone(&path),
            line,
            offset,
            bytes,
        };
        offset += n as u64;
        if let Err(h) = batcher.push(item) {
            return Ok(Err(h));
        }
    }
}
