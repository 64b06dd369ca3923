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
    /// Bytes written to `OUT` so far: where the next removal's `at` points.
    written: u64,
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
            written: 0,
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
        let bytes: std::borrow::Cow<'_, [u8]> = match event {
            Event::Part(part) => {
                let list = removals(part);
                for r in &list {
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
                let (cleaned, records) = clean_part(part, &list, self.written);
                for record in records {
                    removed.write(record.as_bytes())?;
                }
                cleaned
            }
            Event::BadLine { raw, .. } | Event::BlankLine { raw } => (*raw).into(),
            _ => return Ok(()),
        };
        out.write(&bytes)?;
        self.written += bytes.len() as u64;
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

/// The cleaned bytes of a part written at offset `at` of `OUT`, and the
/// lines of `OUT.removed.jsonl` for its removals (see [`Removal::to_json`]
/// and [`super::restore`] for the extra fields that place each removal in
/// `OUT`).
fn clean_part<'a>(
    part: &'a Part,
    list: &[Removal],
    at: u64,
) -> (std::borrow::Cow<'a, [u8]>, Vec<String>) {
    let record = |r: &Removal, extra: &str| {
        let mut line = r.to_json();
        line.pop();
        line.push_str(extra);
        line.push_str("}\n");
        line
    };
    match &part.origin {
        #[cfg(feature = "jsonl")]
        Origin::Jsonl { raw, fields, .. } => {
            if list.is_empty() {
                return (raw.as_bytes().into(), Vec::new());
            }
            let (line, placed) = splice(part, raw, fields, list);
            // In the order of `OUT`: fields by where their values went,
            // each field's removals by their start.
            let mut in_fields: Vec<(&Placed, &Removal)> = list
                .iter()
                .filter_map(|r| {
                    let p = placed
                        .iter()
                        .find(|p| r.start >= p.text.start && r.end <= p.text.end)?;
                    Some((p, r))
                })
                .collect();
            // removals() never spans two fields.
            debug_assert_eq!(in_fields.len(), list.len());
            in_fields.sort_by_key(|(p, r)| (p.value_start, r.start));
            let mut records = Vec::with_capacity(list.len());
            let mut first_of_field = None;
            for (p, r) in in_fields {
                let mut extra = format!(
                    ",\"at\":{},\"field_offset\":{}",
                    at + p.value_start as u64,
                    p.text.start
                );
                if first_of_field != Some(p.value_start) {
                    first_of_field = Some(p.value_start);
                    match &p.encoding {
                        Encoding::Utf8 => {}
                        Encoding::Ascii => extra.push_str(",\"ascii\":true"),
                        Encoding::Raw(original) => {
                            extra.push_str(",\"raw\":");
                            let mut quoted = String::new();
                            json_escape(original, &mut quoted);
                            extra.push_str(&quoted);
                        }
                    }
                }
                records.push(record(r, &extra));
            }
            (line.into_bytes().into(), records)
        }
        Origin::Text => {
            let mut removed = 0;
            let records = list
                .iter()
                .map(|r| {
                    let offset = at + (r.start - part.offset - removed) as u64;
                    removed += r.end - r.start;
                    record(r, &format!(",\"at\":{offset}"))
                })
                .collect();
            (
                apply(&part.text, part.offset, list).into_bytes().into(),
                records,
            )
        }
    }
}

/// How a touched JSONL field is written back, so that [`super::restore`] can
/// encode the rebuilt text exactly as the input had it.
#[cfg(feature = "jsonl")]
enum Encoding {
    /// The input had the field as [`json_escape`] writes it (UTF-8, the
    /// shortest escapes): cleaned and restored the same way.
    Utf8,
    /// The input escaped every non-ASCII character (`\uXXXX`, as Python's
    /// `json.dumps` does by default): cleaned and restored that way too.
    Ascii,
    /// Neither reproduces the input's bytes (other escapes such as `\/`, or
    /// upper-case hex): cleaned as UTF-8, and the original value is kept in
    /// the removal list.
    Raw(String),
}

/// Where a touched field's value went in the cleaned line.
#[cfg(feature = "jsonl")]
struct Placed {
    /// The field's span in the document text.
    text: Range<usize>,
    /// Byte offset of its cleaned JSON value in the cleaned line.
    value_start: usize,
    encoding: Encoding,
}

/// The JSONL line with the cleaned text of each touched field spliced in
/// place of its value, every other byte as it was; and where each touched
/// field's value went.
#[cfg(feature = "jsonl")]
fn splice(
    part: &Part,
    raw: &str,
    fields: &[super::FieldSpan],
    list: &[Removal],
) -> (String, Vec<Placed>) {
    let mut order: Vec<&super::FieldSpan> = fields.iter().collect();
    order.sort_by_key(|f| f.raw.start);
    let mut out = String::with_capacity(raw.len());
    let mut placed = Vec::new();
    let mut at = 0;
    for f in order {
        out.push_str(&raw[at..f.raw.start]);
        let text = &part.text[f.text.clone()];
        let touched = list
            .iter()
            .any(|r| r.start >= f.text.start && r.end <= f.text.end);
        if touched {
            let original = &raw[f.raw.clone()];
            let mut utf8 = String::new();
            json_escape(text, &mut utf8);
            let encoding = if utf8 == original {
                Encoding::Utf8
            } else {
                let mut ascii = String::new();
                super::restore::ascii_escape(text, &mut ascii);
                if ascii == original {
                    Encoding::Ascii
                } else {
                    Encoding::Raw(original.to_string())
                }
            };
            let value_start = out.len();
            let cleaned = apply(text, f.text.start, list);
            match encoding {
                Encoding::Ascii => super::restore::ascii_escape(&cleaned, &mut out),
                _ => json_escape(&cleaned, &mut out),
            }
            placed.push(Placed {
                text: f.text.clone(),
                value_start,
                encoding,
            });
        } else {
            out.push_str(&raw[f.raw.clone()]);
        }
        at = f.raw.end;
    }
    out.push_str(&raw[at..]);
    (out, placed)
}
