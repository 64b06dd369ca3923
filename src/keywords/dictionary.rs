//! The dictionary format: one keyword per line, with an optional category, and
//! allow-list phrases.

use std::path::{Path, PathBuf};

use crate::text::{Folding, fold_keyword};
use crate::{Error, Result};

/// The category of an entry that names none.
pub const DEFAULT_CATEGORY: &str = "spam";

/// The built-in dictionary, compiled in.
const BUILTIN: &str = include_str!("builtin.tsv");

/// The name the built-in dictionary goes by in error messages.
const BUILTIN_NAME: &str = "<builtin>";

/// A list of spam keywords with their categories, and of allow-list phrases.
///
/// # Format
///
/// UTF-8 text, one entry per line (`\n` or `\r\n`):
///
/// | line | meaning |
/// |---|---|
/// | `keyword` | a keyword of category `spam` |
/// | `keyword<TAB>category` | a keyword of the given category |
/// | `!phrase` | an allow-list phrase: a hit lying entirely inside an occurrence of it is suppressed |
/// | `# ...`, blank | ignored |
///
/// Whitespace around the keyword, the phrase and the category is trimmed.
/// Keywords are written plainly (`金博体育`): the detector folds them the way
/// it folds the haystack, so one entry covers every disguise of it.
///
/// # Errors
///
/// Loading rejects, naming the path (or the name given to
/// [`Dictionary::from_str_named`]), the 1-based line and a byte offset:
///
/// - bytes that are not UTF-8 ([`Error::InvalidUtf8`], with the offset of the
///   first bad byte);
/// - a keyword or phrase that is empty after folding, that is, made only of
///   spaces, punctuation, symbols or invisible characters;
/// - a category that is empty or contains whitespace;
/// - a line with more than one tab, or an allow-list line with a tab.
///
/// These are [`Error::Malformed`], with the offset of the start of the line.
///
/// # Merging
///
/// Entries that fold to the same keyword are not errors: the detector keeps
/// the first one (its category wins) and drops the others. Which entries merge
/// depends on the detector's folding, so merging happens when the detector is
/// built; a `Dictionary` keeps every entry as written, with its line.
///
/// ```
/// use spamsift::keywords::Dictionary;
///
/// let dict = Dictionary::from_str_named("# brands\n金博体育\tgambling\n开云\n!开云山\n", "mine.tsv")?;
/// assert_eq!(dict.len(), 2);
/// let first = dict.entries().next().unwrap();
/// assert_eq!((first.keyword(), first.category(), first.line()), ("金博体育", "gambling", 2));
/// assert_eq!(dict.entries().nth(1).unwrap().category(), "spam");
/// assert_eq!(dict.allow_phrases().next().unwrap().keyword(), "开云山");
///
/// let err = Dictionary::from_str_named("ok\n* -\n", "bad.tsv").unwrap_err();
/// assert!(err.to_string().starts_with("bad.tsv:2:"), "{err}");
/// # Ok::<(), spamsift::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Dictionary {
    name: PathBuf,
    entries: Vec<Entry>,
    allow: Vec<Entry>,
}

/// One keyword or allow-list phrase of a [`Dictionary`], as written, with
/// where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    keyword: String,
    category: String,
    line: u64,
    offset: u64,
}

impl Entry {
    /// The keyword or phrase as written (trimmed, not folded).
    pub fn keyword(&self) -> &str {
        &self.keyword
    }

    /// The category (`spam` when the line names none; empty for allow-list
    /// phrases).
    pub fn category(&self) -> &str {
        &self.category
    }

    /// The 1-based line it was read from.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The byte offset of the start of its line.
    pub fn offset(&self) -> u64 {
        self.offset
    }
}

impl Dictionary {
    /// An empty dictionary named `<empty>`.
    pub fn new() -> Dictionary {
        Dictionary {
            name: PathBuf::from("<empty>"),
            ..Dictionary::default()
        }
    }

    /// The built-in dictionary: gambling brands and lottery jargon, porn, fake
    /// documents and invoices, fake medicine. See the [module
    /// docs](crate::keywords#the-built-in-dictionary) for how it was built.
    ///
    /// # Panics
    ///
    /// Never in practice: a test parses the compiled-in list.
    pub fn builtin() -> Dictionary {
        Dictionary::try_builtin().expect("the built-in dictionary parses")
    }

    pub(crate) fn try_builtin() -> Result<Dictionary> {
        Dictionary::from_str_named(BUILTIN, BUILTIN_NAME)
    }

    /// Reads a dictionary file.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the file cannot be read, and the errors listed on
    /// [`Dictionary`], naming `path`.
    pub fn from_path<P: AsRef<Path>>(path: P) -> Result<Dictionary> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Dictionary::from_bytes_named(&bytes, path)
    }

    /// Parses a dictionary from text; `name` stands for the path in error
    /// messages.
    ///
    /// # Errors
    ///
    /// The [`Error::Malformed`] errors listed on [`Dictionary`].
    pub fn from_str_named<P: AsRef<Path>>(text: &str, name: P) -> Result<Dictionary> {
        Dictionary::from_bytes_named(text.as_bytes(), name)
    }

    /// Parses a dictionary from bytes; `name` stands for the path in error
    /// messages. Each line is checked for UTF-8 on its own, so the error names
    /// the line and the offset of its first bad byte.
    ///
    /// # Errors
    ///
    /// The errors listed on [`Dictionary`].
    pub fn from_bytes_named<P: AsRef<Path>>(bytes: &[u8], name: P) -> Result<Dictionary> {
        let name = name.as_ref().to_path_buf();
        let mut dict = Dictionary {
            name,
            entries: Vec::new(),
            allow: Vec::new(),
        };
        let all = Folding::default();
        let mut line_start = 0usize;
        for (index, raw) in bytes.split(|&b| b == b'\n').enumerate() {
            let line_no = index as u64 + 1;
            let offset = line_start;
            line_start += raw.len() + 1;
            let text = std::str::from_utf8(raw).map_err(|e| Error::InvalidUtf8 {
                path: dict.name.clone(),
                line: line_no,
                offset: (offset + e.valid_up_to()) as u64,
            })?;
            let text = text.strip_suffix('\r').unwrap_or(text);
            let malformed = |message: String| Error::Malformed {
                path: dict.name.clone(),
                line: line_no,
                offset: offset as u64,
                message,
            };
            let trimmed = text.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            if let Some(phrase) = trimmed.strip_prefix('!') {
                if phrase.contains('\t') {
                    return Err(malformed(format!(
                        "allow-list line {trimmed:?} has a tab: allow-list phrases take no category"
                    )));
                }
                let phrase = phrase.trim();
                if fold_keyword(phrase, &all).is_empty() {
                    return Err(malformed(format!(
                        "allow-list phrase {phrase:?} is empty after folding"
                    )));
                }
                dict.allow.push(Entry {
                    keyword: phrase.to_string(),
                    category: String::new(),
                    line: line_no,
                    offset: offset as u64,
                });
                continue;
            }
            // Split the untrimmed line: a trailing tab announces a category.
            let mut fields = text.split('\t');
            let keyword = fields.next().unwrap_or_default().trim();
            let category = fields.next().map(str::trim);
            if fields.next().is_some() {
                return Err(malformed(format!(
                    "line {trimmed:?} has more than one tab: expected keyword<TAB>category"
                )));
            }
            if fold_keyword(keyword, &all).is_empty() {
                return Err(malformed(format!(
                    "keyword {keyword:?} is empty after folding"
                )));
            }
            let category = match category {
                None => DEFAULT_CATEGORY,
                Some(c) => {
                    check_category(c).map_err(malformed)?;
                    c
                }
            };
            dict.entries.push(Entry {
                keyword: keyword.to_string(),
                category: category.to_string(),
                line: line_no,
                offset: offset as u64,
            });
        }
        Ok(dict)
    }

    /// The path or name the dictionary was read from.
    pub fn name(&self) -> &Path {
        &self.name
    }

    /// The number of keyword entries as written, before merging.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the dictionary has no keyword entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The keyword entries in the order written.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }

    /// The allow-list phrases in the order written.
    pub fn allow_phrases(&self) -> impl Iterator<Item = &Entry> {
        self.allow.iter()
    }

    /// Appends a keyword, as if it were the next line.
    pub(crate) fn push_keyword(&mut self, keyword: &str, category: &str) {
        let line = (self.entries.len() + self.allow.len()) as u64 + 1;
        self.entries.push(Entry {
            keyword: keyword.to_string(),
            category: category.to_string(),
            line,
            offset: 0,
        });
    }

    /// Appends an allow-list phrase, as if it were the next line.
    pub(crate) fn push_allow(&mut self, phrase: &str) {
        let line = (self.entries.len() + self.allow.len()) as u64 + 1;
        self.allow.push(Entry {
            keyword: phrase.to_string(),
            category: String::new(),
            line,
            offset: 0,
        });
    }

    pub(crate) fn named(name: &str) -> Dictionary {
        Dictionary {
            name: PathBuf::from(name),
            ..Dictionary::default()
        }
    }
}

/// Checks a category: not empty, no whitespace.
pub(crate) fn check_category(category: &str) -> std::result::Result<(), String> {
    if category.is_empty() {
        return Err("empty category after the tab".to_string());
    }
    if category.chars().any(char::is_whitespace) {
        return Err(format!("category {category:?} contains whitespace"));
    }
    Ok(())
}
