//! `--clean`: what to remove from a part, the cleaned text, the rebuild of
//! the original, and a writer that produces the cleaned output and the list
//! of removals atomically.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::report::json_escape;
use super::{Event, Origin, Part};
use crate::{Error, Result};

/// Why a span was removed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// An injected keyword hit.
    Injected {
        /// The dictionary keyword.
        keyword: String,
        /// Its category.
        category: String,
    },
    /// A paragraph that duplicates an earlier one (its whole line or lines).
    Duplicate {
        /// The earlier paragraph's document.
        doc: Arc<str>,
        /// The earlier paragraph's index in its document.
        paragraph: usize,
    },
}

/// A span removed from a document's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Removal {
    /// The document's id.
    pub doc: Arc<str>,
    /// Byte offset of the start in the original document text.
    pub start: usize,
    /// Byte offset of the end (exclusive) in the original document text.
    pub end: usize,
    /// The removed text, `&original[start..end]`.
    pub text: String,
    /// Why.
    pub reason: Reason,
}

impl Removal {
    /// One JSON object on one line (no line break):
    /// `{"doc", "start", "end", "text", "reason": "injected" | "duplicate", ...}`
    /// with `keyword` and `category` for injected hits and `duplicate_of`
    /// (`doc`, `paragraph`) for duplicates.
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\"doc\":");
        json_escape(&self.doc, &mut out);
        out.push_str(&format!(
            ",\"start\":{},\"end\":{},\"text\":",
            self.start, self.end
        ));
        json_escape(&self.text, &mut out);
        match &self.reason {
            Reason::Injected { keyword, category } => {
                out.push_str(",\"reason\":\"injected\",\"keyword\":");
                json_escape(keyword, &mut out);
                out.push_str(",\"category\":");
                json_escape(category, &mut out);
            }
            Reason::Duplicate { doc, paragraph } => {
                out.push_str(",\"reason\":\"duplicate\",\"duplicate_of\":{\"doc\":");
                json_escape(doc, &mut out);
                out.push_str(&format!(",\"paragraph\":{paragraph}}}"));
            }
        }
        out.push('}');
        out
    }
}

/// What to remove from a part, in document offsets, sorted and disjoint:
/// every injected hit, and every paragraph that duplicates an earlier one,
/// whole lines from the start of its first line through the `\n` that ends
/// its last line when that `\n` is in the same field. A hit inside a removed
/// paragraph goes with the paragraph. No removal spans two JSONL fields.
pub fn removals(part: &Part) -> Vec<Removal> {
    let segments = part.segments();
    let local = |i: usize| i - part.offset;
    let segment_of = |pos: usize| {
        segments
            .iter()
            .find(|s| s.start <= pos && pos < s.end.max(s.start + 1))
            .cloned()
            .unwrap_or(pos..pos)
    };
    let mut spans: Vec<(Range<usize>, Reason)> = Vec::new();
    for h in part.hits.iter().filter(|h| h.injected) {
        let reason = Reason::Injected {
            keyword: h.keyword.clone(),
            category: h.category.clone(),
        };
        spans.push((h.start..h.end, reason));
    }
    for p in &part.paragraphs {
        let Some(e) = &p.duplicate_of else { continue };
        let seg = segment_of(p.start);
        let before = &part.text[local(seg.start)..local(p.start)];
        let start = before.rfind('\n').map_or(seg.start, |i| seg.start + i + 1);
        let seg_end = segment_of(p.end.saturating_sub(1).max(p.start)).end;
        let after = &part.text[local(p.end)..local(seg_end)];
        let end = after.find('\n').map_or(seg_end, |i| p.end + i + 1);
        let reason = Reason::Duplicate {
            doc: Arc::clone(&e.doc),
            paragraph: e.paragraph,
        };
        spans.push((start..end, reason));
    }
    spans.sort_by_key(|(r, _)| (r.start, r.end));
    let mut merged: Vec<(Range<usize>, Reason)> = Vec::new();
    for (r, reason) in spans {
        match merged.last_mut() {
            Some((last, last_reason)) if r.start < last.end => {
                last.end = last.end.max(r.end);
                if matches!(reason, Reason::Duplicate { .. }) {
                    *last_reason = reason;
                }
            }
            _ => merged.push((r, reason)),
        }
    }
    let mut out = Vec::with_capacity(merged.len());
    for (r, reason) in merged {
        for seg in &segments {
            let (s, e) = (r.start.max(seg.start), r.end.min(seg.end));
            if s < e {
                out.push(Removal {
                    doc: Arc::clone(&part.doc),
                    start: s,
                    end: e,
                    text: part.slice(s, e).to_string(),
                    reason: reason.clone(),
                });
            }
        }
    }
    out
}

/// `text` (which starts at document offset `offset`) without the removals
/// that fall inside it. `removals` must be sorted and disjoint, as
/// [`removals`] returns them.
pub fn apply(text: &str, offset: usize, removals: &[Removal]) -> String {
    let end = offset + text.len();
    let mut out = String::with_capacity(text.len());
    let mut at = offset;
    for r in removals
        .iter()
        .filter(|r| r.start >= offset && r.end <= end)
    {
        out.push_str(&text[at - offset..r.start - offset]);
        at = r.end;
    }
    out.push_str(&text[at - offset..]);
    out
}

/// The original document text from its cleaned text and its removals
/// (sorted, as [`removals`] returns them): each removed text goes back at its
/// start. `None` when the removals do not fit the cleaned text.
///
/// ```
/// use spamsift::scan::clean::{Reason, Removal, rebuild};
///
/// let r = Removal {
///     doc: "d".into(),
///     start: 6,
///     end: 18,
///     text: "金博体育".into(),
///     reason: Reason::Injected { keyword: "金博体育".into(), category: "gambling".into() },
/// };
/// assert_eq!(rebuild("协作。", &[r]).as_deref(), Some("协作金博体育。"));
/// ```
pub fn rebuild(cleaned: &str, removals: &[Removal]) -> Option<String> {
    let total = cleaned.len() + removals.iter().map(|r| r.text.len()).sum::<usize>();
    let mut out = String::with_capacity(total);
    let mut from = 0;
    for r in removals {
        let keep = r.start.checked_sub(out.len())?;
        out.push_str(cleaned.get(from..from + keep)?);
        from += keep;
        out.push_str(&r.text);
    }
    out.push_str(cleaned.get(from..)?);
    Some(out)
}

/// Totals of a cleaning.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CleanStats {
    /// Injected hits removed.
    pub injected: u64,
    /// Duplicate paragraphs removed.
    pub duplicates: u64,
    /// Bytes of document text removed.
    pub removed_bytes: u64,
    /// Documents with at least one removal.
    pub documents_changed: u64,
}

/// Writes the cleaned input to `OUT` and the removals to `OUT.removed.jsonl`,
/// each through a temporary file in the same directory renamed into place by
/// [`CleanWriter::finish`]; dropped unfinished, it deletes the temporary files.
#[derive(Debug)]
pub struct CleanWriter {
    out: Option<Pending>,
    removed: Option<Pending>,
    stats: CleanStats,
    doc_changed: bool,
}

#[derive(Debug)]
struct Pending {
    path: PathBuf,
    tmp: PathBuf,
    file: BufWriter<File>,
}

impl Pending {
    fn create(path: PathBuf) -> Result<Pending> {
        let name = path
            .file_name()
            .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
        let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
        let file = File::create(&tmp).map_err(|source| Error::Io {
            path: tmp.clone(),
            source,
        })?;
        Ok(Pending {
            path,
            tmp,
            file: BufWriter::with_capacity(1 << 16, file),
        })
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.file.write_all(bytes).map_err(|source| Error::Io {
            path: self.tmp.clone(),
            source,
        })
    }

    fn commit(mut self) -> Result<()> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| Error::Io { path, source }
        };
        self.file.flush().map_err(io(&self.tmp))?;
        self.file.get_ref().sync_all().map_err(io(&self.tmp))?;
        std::fs::rename(&self.tmp, &self.path).map_err(io(&self.path))?;
        // Renamed: nothing left for Drop to delete.
        self.tmp = PathBuf::new();
        Ok(())
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if !self.tmp.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

impl CleanWriter {
    /// Starts writing `out` and `out.removed.jsonl`.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when a temporary file cannot be created.
    pub fn create<P: AsRef<Path>>(out: P) -> Result<CleanWriter> {
        let out = out.as_ref().to_path_buf();
        let mut removed = out.clone().into_os_string();
        removed.push(".removed.jsonl");
        Ok(CleanWriter {
            out: Some(Pending::create(out)?),
            removed: Some(Pending::create(PathBuf::from(removed))?),
            stats: CleanStats::default(),
            doc_changed: false,
        })
    }

    /// Writes what an event of the scan contributes: a part cleaned, a
    /// skipped or blank line as it was.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when writing fails.
    pub fn write(&mut self, event: &Event<'_>) -> Result<()> {
        let (Some(out), Some(removed)) = (self.out.as_mut(), self.removed.as_mut()) else {
            return Ok(());
        };
        match event {
            Event::Part(part) => {
                let list = removals(part);
                for r in &list {
                    let mut line = r.to_json();
                    line.push('\n');
                    removed.write(line.as_bytes())?;
                    self.stats.removed_bytes += r.text.len() as u64;
                    match r.reason {
                        Reason::Injected { .. } => self.stats.injected += 1,
                        Reason::Duplicate { .. } => self.stats.duplicates += 1,
                    }
                }
                if part.first {
                    self.doc_changed = false;
                }
                if !list.is_empty() && !self.doc_changed {
                    self.doc_changed = true;
                    self.stats.documents_changed += 1;
                }
                match &part.origin {
                    #[cfg(feature = "jsonl")]
                    Origin::Jsonl { raw, fields, .. } => {
                        if list.is_empty() {
                            out.write(raw.as_bytes())?;
                        } else {
                            out.write(splice(part, raw, fields, &list).as_bytes())?;
                        }
                    }
                    Origin::Text => out.write(apply(&part.text, part.offset, &list).as_bytes())?,
                }
            }
            Event::BadLine { raw, .. } | Event::BlankLine { raw } => out.write(raw)?,
            _ => {}
        }
        Ok(())
    }

    /// The totals so far.
    pub fn stats(&self) -> &CleanStats {
        &self.stats
    }

    /// Flushes both files and renames them into place.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when flushing or renaming fails.
    pub fn finish(mut self) -> Result<CleanStats> {
        if let Some(out) = self.out.take() {
            out.commit()?;
        }
        if let Some(removed) = self.removed.take() {
            removed.commit()?;
        }
        Ok(std::mem::take(&mut self.stats))
    }
}

/// The JSONL line with the cleaned text of each field spliced in place of its
/// value; every other byte as it was.
#[cfg(feature = "jsonl")]
fn splice(part: &Part, raw: &str, fields: &[super::FieldSpan], list: &[Removal]) -> String {
    let mut order: Vec<&super::FieldSpan> = fields.iter().collect();
    order.sort_by_key(|f| f.raw.start);
    let mut out = String::with_capacity(raw.len());
    let mut at = 0;
    for f in order {
        out.push_str(&raw[at..f.raw.start]);
        let text = &part.text[f.text.clone()];
        let touched = list
            .iter()
            .any(|r| r.start >= f.text.start && r.end <= f.text.end);
        if touched {
            json_escape(&apply(text, f.text.start, list), &mut out);
        } else {
            out.push_str(&raw[f.raw.clone()]);
        }
        at = f.raw.end;
    }
    out.push_str(&raw[at..]);
    out
}
