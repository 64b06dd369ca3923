//! TEMPORARY stand-ins for `keywords::Detector` (issue #2) and the SimHash
//! with the same API
//! shape, so `scan` can be written and tested before they land on `main`.
//! Delete this file when they do; `scan::engine` is the only user.

use std::ops::Range;
use std::path::{Path, PathBuf};

use aho_corasick::{AhoCorasick, MatchKind};

use crate::text::{Folded, Folding, fold_keyword};
use crate::{Error, Result};

/// A keyword dictionary: `keyword<TAB>category` lines (stand-in).
#[derive(Clone, Debug, Default)]
pub struct Dictionary {
    entries: Vec<(String, String)>,
}

impl Dictionary {
    /// The built-in dictionary (stand-in).
    pub fn builtin() -> Dictionary {
        Dictionary {
            entries: vec![("金博体育".into(), "gambling".into())],
        }
    }

    /// Reads a dictionary file.
    ///
    /// # Errors
    ///
    /// When the file cannot be read or a line is malformed.
    pub fn from_path<P: AsRef<Path>>(path: P) -> Result<Dictionary> {
        let path = path.as_ref();
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let text = std::fs::read_to_string(path).map_err(io)?;
        let mut entries = Vec::new();
        let mut offset = 0u64;
        for (i, line) in text.split('\n').enumerate() {
            let start = offset;
            offset += line.len() as u64 + 1;
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let (k, c) = line.split_once('\t').unwrap_or((line, "spam"));
            if k.trim().is_empty() {
                return Err(Error::Malformed {
                    path: PathBuf::from(path),
                    line: i as u64 + 1,
                    offset: start,
                    message: "empty keyword".into(),
                });
            }
            entries.push((k.trim().to_string(), c.trim().to_string()));
        }
        Ok(Dictionary { entries })
    }
}

/// One keyword found (stand-in with the API of `keywords::Hit`).
#[derive(Clone, Copy, Debug)]
pub struct Hit<'d> {
    start: usize,
    end: usize,
    folded: (usize, usize),
    keyword: &'d str,
    category: &'d str,
}

impl<'d> Hit<'d> {
    /// Start byte offset in the haystack.
    pub fn start(&self) -> usize {
        self.start
    }
    /// End byte offset in the haystack.
    pub fn end(&self) -> usize {
        self.end
    }
    /// The range in the folded haystack.
    pub fn folded_range(&self) -> Range<usize> {
        self.folded.0..self.folded.1
    }
    /// The keyword.
    pub fn keyword(&self) -> &'d str {
        self.keyword
    }
    /// The category.
    pub fn category(&self) -> &'d str {
        self.category
    }
}

/// Builds a [`Detector`] (stand-in).
#[derive(Clone, Debug)]
pub struct DetectorBuilder {
    builtin: bool,
    dictionaries: Vec<Dictionary>,
    folding: Folding,
}

impl DetectorBuilder {
    /// Use the built-in dictionary. Default: yes.
    pub fn builtin(&mut self, yes: bool) -> &mut DetectorBuilder {
        self.builtin = yes;
        self
    }
    /// Add a dictionary.
    pub fn dictionary(&mut self, d: Dictionary) -> &mut DetectorBuilder {
        self.dictionaries.push(d);
        self
    }
    /// Add one keyword.
    pub fn keyword(&mut self, keyword: &str, category: &str) -> &mut DetectorBuilder {
        self.dictionaries.push(Dictionary {
            entries: vec![(keyword.to_string(), category.to_string())],
        });
        self
    }
    /// Longest noise run removed. Default: 3.
    pub fn max_noise(&mut self, n: usize) -> &mut DetectorBuilder {
        self.folding.max_noise(n);
        self
    }
    /// Builds.
    ///
    /// # Errors
    ///
    /// When the folding is invalid.
    pub fn build(&self) -> Result<Detector> {
        self.folding.validate()?;
        let mut words = Vec::new();
        let mut cats = Vec::new();
        let builtin = Dictionary::builtin();
        let dicts = self
            .builtin
            .then_some(&builtin)
            .into_iter()
            .chain(self.dictionaries.iter());
        for d in dicts {
            for (k, c) in &d.entries {
                words.push(fold_keyword(k, &self.folding));
                cats.push(c.clone());
            }
        }
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&words)
            .map_err(|e| Error::Config(e.to_string()))?;
        Ok(Detector {
            ac,
            words,
            cats,
            folding: self.folding,
        })
    }
}

/// The keyword detector (stand-in).
#[derive(Clone, Debug)]
pub struct Detector {
    ac: AhoCorasick,
    words: Vec<String>,
    cats: Vec<String>,
    folding: Folding,
}

impl Detector {
    /// With the built-in dictionary.
    ///
    /// # Errors
    ///
    /// Never, in the stand-in.
    pub fn new() -> Result<Detector> {
        Detector::builder().build()
    }
    /// A builder.
    pub fn builder() -> DetectorBuilder {
        DetectorBuilder {
            builtin: true,
            dictionaries: Vec::new(),
            folding: Folding::default(),
        }
    }
    /// The folding the detector reads.
    pub fn folding(&self) -> &Folding {
        &self.folding
    }
    /// Hits over an already folded haystack.
    pub fn find_iter_folded<'d, 'h>(
        &'d self,
        haystack: &'h str,
        folded: &'h Folded,
    ) -> impl Iterator<Item = Hit<'d>> + 'h
    where
        'd: 'h,
    {
        self.ac.find_iter(folded.as_str()).map(move |m| {
            let r = folded.original_range(haystack, m.range());
            Hit {
                start: r.start,
                end: r.end,
                folded: (m.start(), m.end()),
                keyword: &self.words[m.pattern().as_usize()],
                category: &self.cats[m.pattern().as_usize()],
            }
        })
    }
}
