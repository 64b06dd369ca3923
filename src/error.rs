//! The crate's one error type.
//!
//! Errors come from configuration and from malformed input *files* (dictionaries,
//! index files, JSONL corpora); never from the text being scanned. Every variant
//! carries the offending value and where it came from, so the message alone is
//! enough to find and fix the problem.

use std::path::PathBuf;

/// Everything that can go wrong in spamsift.
///
/// Messages are lowercase and name the path, the 1-based line number and the
/// byte offset (counted from the start of the file) where the problem was found.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be opened, read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file that was being read or written.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A text file (a dictionary, a JSONL corpus) is not valid UTF-8.
    #[error("{}:{line}: invalid UTF-8 at byte offset {offset}", path.display())]
    InvalidUtf8 {
        /// The file.
        path: PathBuf,
        /// The 1-based line number.
        line: u64,
        /// The byte offset of the first invalid byte, from the start of the file.
        offset: u64,
    },
    /// A line of a file is malformed: an empty dictionary entry, a category with
    /// whitespace, a JSONL line that is not an object, a missing field, ...
    #[error("{}:{line}: {message} (line starts at byte offset {offset})", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The 1-based line number.
        line: u64,
        /// The byte offset of the start of the line, from the start of the file.
        offset: u64,
        /// What is wrong, quoting the offending value.
        message: String,
    },
    /// A configuration value is out of range or inconsistent with another one.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A saved index file is truncated, corrupt, or of an unsupported version.
    #[error("{}: corrupt index file: {message}", path.display())]
    CorruptIndex {
        /// The file (or `<memory>` when loading from a reader).
        path: PathBuf,
        /// What is wrong, with the byte offset where it was found.
        message: String,
    },
}

/// A `Result` with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
