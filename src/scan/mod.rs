//! Both detectors over a stream of documents, on all cores, into reports.
//!
//! A [`Scanner`] reads [`Input`]s (files, standard input, any reader; one
//! text document each, or one document per JSONL line), folds each document
//! once, finds its keyword hits and fingerprints its paragraphs, and looks
//! every paragraph up among all the paragraphs before it with a
//! [`crate::neardup::Finder`]. It
//! hands the results to a callback, in input order, as [`Event`]s, and returns
//! a [`Summary`] with the near-duplicate [`Cluster`]s.
//!
//! ```
//! use spamsift::scan::{Event, Input, Scanner};
//!
//! let page = "金博体育新闻发布会\n\n  成都平原经济区设施互联互通提速加力。\n\n  \
//!             成都平原经济区设施互联互通提速加力。\n";
//! let scanner = Scanner::new()?;
//! let mut hits = Vec::new();
//! let summary = scanner.scan(vec![Input::reader("page.txt", std::io::Cursor::new(page))], |event| {
//!     if let Event::Part(part) = event {
//!         hits.extend(part.hits.iter().map(|h| page[h.start..h.end].to_string()));
//!     }
//!     Ok(())
//! })?;
//! assert_eq!(hits, ["金博体育"]);
//! assert_eq!(summary.documents, 1);
//! assert_eq!(summary.clusters.len(), 1);
//! assert_eq!(summary.clusters[0].members[1].paragraph, 2);
//! # Ok::<(), spamsift::Error>(())
//! ```
//!
//! # How it runs
//!
//! Inputs are streamed, never loaded whole. They are cut into items: a
//! JSONL line, or a part of a text document of about
//! [`ScannerBuilder::part_len`] bytes cut after a line break (a single line
//! longer than that is one part), in batches of about 128 KiB. A scan on
//! `n` threads ([`ScannerBuilder::threads`]) runs on the calling thread and
//! `n - 1` workers, and each of them in turn reads the next batch (under a
//! lock: reading is a copy, a small part of the work), checks that its text
//! is UTF-8, parses JSONL, folds and runs both detectors: the CPU-heavy
//! part. The calling thread is also the collector: between the batches it
//! analyses, it puts the workers' results back in input order, adds every
//! paragraph to the finder and calls the callback, so the results are the
//! same whatever the number of threads. No thread waits for another while
//! there is a batch to read, and none hands work over through a channel:
//! on two threads a scan switches threads about 40 times per 16 MiB, where
//! a reader thread and a collector apart from two workers switched 580
//! times (`perf stat`), and it runs at 1.9 times the speed of one thread
//! (`benches/scan.rs`). With one thread the calling thread does it all, a
//! scan that costs one core, for pipelines that run one scan per core.
//!
//! Adding a paragraph must happen in input order, one at a time, so the
//! collector's share bounds the speed-up from more workers; it does as
//! little as it can (see `Finder::share`):
//!
//! - The finder's Hamming index is kept by the workers. The collector only
//!   appends the keys it stores to a list and hands them over after every
//!   batch; a worker, after analysing a batch, sorts them into the index's
//!   runs and publishes a snapshot of the sorted runs, then looks all of
//!   the batch's paragraphs up in the latest snapshot at once (their cache
//!   misses overlap).
//! - The collector then looks up only the keys stored since that snapshot
//!   (a batch or two), through chains of its recent keys by each 16-bit
//!   lane, checks the exact hash and the exact chunk keys (a hash map, one
//!   operation per key), confirms candidates by their sketches and joins
//!   clusters.
//! - A batch's paragraphs travel in a few vectors shared by the batch, and
//!   a collected batch goes back to the pool, where the thread that
//!   analyses the next one reuses the vectors and drops the parts:
//!   collecting neither allocates nor frees per paragraph.
//!
//! At most four batches per thread wait for the collector, then the workers
//! wait, so a slow callback slows reading instead of filling memory. Memory
//! grows with the finder (at most about 305 bytes per paragraph, see
//! [`crate::neardup`], plus about 0.6 MB for the recent keys and the
//! index's buffer), not with the corpus.

mod clean_impl;
mod engine;
mod input;
#[cfg(feature = "jsonl")]
mod jsonl;
mod report;
#[cfg(feature = "jsonl")]
mod restore;

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};

pub use self::engine::ParagraphMode;
pub use self::input::{Format, Input};
#[cfg(feature = "jsonl")]
pub use self::jsonl::FieldSpan;
pub use self::report::{json_escape, snippet};
#[cfg(feature = "jsonl")]
pub use self::restore::restore;

/// Removing what a scan found: the removals of a part, the cleaned text, and
/// the rebuild of the original from the two.
pub mod clean {
    pub use super::clean_impl::{
        CleanStats, CleanWriter, Reason, Removal, apply, rebuild, removals,
    };
}

use self::engine::{Analyzer, RawParagraphs};
use self::input::{Batch, Item, ReadOptions, Reader};
use crate::injection::{Judge, Reason};
use crate::neardup::{Finder, FinderBuilder, Fingerprinter, Hub, Location};
use crate::{Detector, Error, Result};

pub use crate::neardup::MAX_DISTANCE;

/// Configures and builds a [`Scanner`].
#[derive(Clone, Debug)]
pub struct ScannerBuilder {
    detector: Option<Detector>,
    judge: Option<Judge>,
    evidence: bool,
    finder: FinderBuilder,
    max_distance: Option<u32>,
    min_units: Option<usize>,
    mode: ParagraphMode,
    threads: usize,
    fields: Vec<String>,
    id_field: String,
    skip_bad_lines: bool,
    part_len: usize,
}

impl Default for ScannerBuilder {
    fn default() -> ScannerBuilder {
        ScannerBuilder {
            detector: None,
            judge: None,
            evidence: true,
            finder: FinderBuilder::new(),
            max_distance: None,
            min_units: None,
            mode: ParagraphMode::Lines,
            threads: 0,
            fields: vec!["text".to_string()],
            id_field: "id".to_string(),
            skip_bad_lines: false,
            part_len: 1 << 20,
        }
    }
}

impl ScannerBuilder {
    /// A builder with the defaults.
    pub fn new() -> ScannerBuilder {
        ScannerBuilder::default()
    }

    /// The keyword detector. Default: [`Detector::new`], the built-in dictionary.
    pub fn detector(&mut self, detector: Detector) -> &mut Self {
        self.detector = Some(detector);
        self
    }

    /// The injection judge that decides [`Hit::injected`], [`Hit::score`] and
    /// [`Hit::reasons`] (see [`crate::injection`]). Default: [`Judge::new`].
    pub fn judge(&mut self, judge: Judge) -> &mut Self {
        self.judge = Some(judge);
        self
    }

    /// Whether the injection-evidence pass runs. Off, every hit is injected
    /// with score 1 and no reasons. Default: on.
    pub fn evidence(&mut self, yes: bool) -> &mut Self {
        self.evidence = yes;
        self
    }

    /// The near-duplicate settings (see [`crate::neardup`]). Default:
    /// [`FinderBuilder::new`]. Its folding is replaced by the detector's, so
    /// each document is folded once, and its paragraph mode by
    /// [`ScannerBuilder::paragraphs`].
    pub fn finder(&mut self, finder: FinderBuilder) -> &mut Self {
        self.finder = finder;
        self
    }

    /// Paragraph fingerprints within Hamming distance `k` (inclusive:
    /// distance <= k, `k <= 8`) are near-duplicate candidates, confirmed by
    /// the Jaccard similarity of their shingles. Default: 3, or what
    /// [`ScannerBuilder::finder`] set.
    pub fn max_distance(&mut self, k: u32) -> &mut Self {
        self.max_distance = Some(k);
        self
    }

    /// How paragraphs are delimited. Default: [`ParagraphMode::Lines`].
    pub fn paragraphs(&mut self, mode: ParagraphMode) -> &mut Self {
        self.mode = mode;
        self
    }

    /// Paragraphs with fewer units (CJK characters and words, hits masked)
    /// than this are short: only an exact copy of one is a duplicate, since
    /// short lines (`责任编辑：张三`) are too alike by chance. Default: 12, or
    /// what [`ScannerBuilder::finder`] set.
    pub fn min_units(&mut self, n: usize) -> &mut Self {
        self.min_units = Some(n);
        self
    }

    /// The number of threads, the calling one included; 0 means one per
    /// core. With 1 the whole scan runs on the calling thread, one core's
    /// work: reading, both detectors and the near-duplicate index in turn,
    /// batch by batch. With `n`, `n - 1` workers read and analyse batches
    /// beside it, and it collects their results in order between its own.
    /// Default: 0.
    pub fn threads(&mut self, n: usize) -> &mut Self {
        self.threads = n;
        self
    }

    /// The JSONL fields holding the text; several are joined with `\n`.
    /// Default: `["text"]`.
    pub fn fields<I: IntoIterator<Item = S>, S: Into<String>>(&mut self, names: I) -> &mut Self {
        self.fields = names.into_iter().map(Into::into).collect();
        self
    }

    /// The JSONL field holding the document id, a string or a number; a line
    /// without it gets its 1-based line number. Default: `id`.
    pub fn id_field<S: Into<String>>(&mut self, name: S) -> &mut Self {
        self.id_field = name.into();
        self
    }

    /// Report a malformed JSONL line (bad JSON, missing field, invalid UTF-8)
    /// as [`Event::BadLine`] and go on, instead of failing the scan. Default: off.
    pub fn skip_bad_lines(&mut self, yes: bool) -> &mut Self {
        self.skip_bad_lines = yes;
        self
    }

    /// Text documents are analysed in parts of about this many bytes, cut
    /// after a line break (after a blank line for [`ParagraphMode::Blocks`]),
    /// so a multi-gigabyte text file is streamed and spread over the cores.
    /// Default: 1 MiB; at least 1.
    pub fn part_len(&mut self, bytes: usize) -> &mut Self {
        self.part_len = bytes;
        self
    }

    /// Builds the scanner, checking every setting.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the value: `max_distance` above
    /// [`MAX_DISTANCE`], no or duplicate or empty JSONL field names,
    /// `part_len` 0; any error of [`FinderBuilder::build`], and of
    /// [`Detector::new`] when no detector was given.
    pub fn build(&self) -> Result<Scanner> {
        if self.fields.is_empty() {
            return Err(Error::Config("no JSONL text field given".to_string()));
        }
        for (i, f) in self.fields.iter().enumerate() {
            if f.is_empty() {
                return Err(Error::Config("empty JSONL field name".to_string()));
            }
            if self.fields[..i].contains(f) {
                return Err(Error::Config(format!("JSONL field `{f}` given twice")));
            }
        }
        if self.part_len == 0 {
            return Err(Error::Config(
                "part_len 0 is below the minimum 1".to_string(),
            ));
        }
        let detector = match &self.detector {
            Some(d) => d.clone(),
            None => Detector::new()?,
        };
        let mut finder = self.finder.clone();
        finder
            .paragraph_mode(self.mode)
            .folding(*detector.folding());
        if let Some(k) = self.max_distance {
            finder.max_distance(k);
        }
        if let Some(n) = self.min_units {
            finder.min_units(n);
        }
        // Builds one to check the settings and keep its fingerprinter.
        let probe = finder.build()?;
        let threads = if self.threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            self.threads
        };
        let judge = if self.evidence {
            Some(self.judge.clone().unwrap_or_default())
        } else {
            None
        };
        Ok(Scanner {
            detector,
            judge,
            max_distance: probe.max_distance(),
            fingerprinter: probe.fingerprinter().clone(),
            finder,
            mode: self.mode,
            threads,
            fields: self.fields.clone(),
            id_field: self.id_field.clone(),
            skip_bad_lines: self.skip_bad_lines,
            part_len: self.part_len,
        })
    }
}

/// Runs both detectors over inputs. Build one with [`Scanner::new`] or
/// [`Scanner::builder`]; scan as many times as needed (each scan starts with
/// an empty index).
#[derive(Clone, Debug)]
#[cfg_attr(not(feature = "jsonl"), allow(dead_code))]
pub struct Scanner {
    detector: Detector,
    judge: Option<Judge>,
    fingerprinter: Fingerprinter,
    finder: FinderBuilder,
    max_distance: u32,
    mode: ParagraphMode,
    threads: usize,
    fields: Vec<String>,
    id_field: String,
    skip_bad_lines: bool,
    part_len: usize,
}

/// A keyword hit in a document.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    /// Byte offset of the start in the document's text.
    pub start: usize,
    /// Byte offset of the end (exclusive) in the document's text.
    pub end: usize,
    /// The dictionary keyword matched, folded.
    pub keyword: String,
    /// The keyword's category.
    pub category: String,
    /// Whether the hit was injected: its [`Hit::score`] reached the judge's
    /// threshold (always, when the evidence pass is off).
    pub injected: bool,
    /// How likely the hit was injected, in `[0, 1]` (1 without the evidence
    /// pass).
    pub score: f32,
    /// The evidence behind the score, for and against.
    pub reasons: Vec<Reason>,
}

/// A paragraph of a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParagraphReport {
    /// The 0-based index of the paragraph in its document.
    pub index: usize,
    /// Byte offset of the start (trimmed) in the document's text.
    pub start: usize,
    /// Byte offset of the end (exclusive) in the document's text.
    pub end: usize,
    /// The paragraph's SimHash fingerprint (see
    /// [`crate::neardup::fingerprint`]), `None` for a paragraph without a
    /// single unit (only punctuation).
    pub fingerprint: Option<u64>,
    /// The earliest paragraph seen before it that it is a near duplicate of.
    pub duplicate_of: Option<Earlier>,
}

/// An earlier paragraph that a paragraph duplicates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Earlier {
    /// The id of its document.
    pub doc: Arc<str>,
    /// The 0-based index of its document in the scan.
    pub doc_index: usize,
    /// Its 0-based paragraph index in that document.
    pub paragraph: usize,
}

/// Where a part came from, for writing it back.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Origin {
    /// A piece of a text document.
    Text,
    /// A JSONL line.
    #[cfg(feature = "jsonl")]
    Jsonl {
        /// The input's name.
        path: Arc<std::path::Path>,
        /// The 1-based line number.
        line: u64,
        /// The whole line as read, line break included.
        raw: String,
        /// The text fields: their spans in `raw` and in the document text.
        fields: Vec<FieldSpan>,
    },
}

/// A part of a document with what was found in it: a whole JSONL document, or
/// a piece of a text document cut after a line break. A document's parts come
/// in order, the first with `first` set, the last with `last`.
#[derive(Clone, Debug)]
pub struct Part {
    /// The document's id: the input's name for text, the id field (or the
    /// 1-based line number) for JSONL.
    pub doc: Arc<str>,
    /// The 0-based index of the document in the scan.
    pub doc_index: usize,
    /// Byte offset of `text` in the document's text.
    pub offset: usize,
    /// The text of this part (for JSONL, the decoded fields joined with `\n`).
    pub text: String,
    /// Whether this is the document's first part.
    pub first: bool,
    /// Whether this is the document's last part.
    pub last: bool,
    /// The keyword hits, offsets in the document's text.
    pub hits: Vec<Hit>,
    /// The paragraphs, offsets in the document's text.
    pub paragraphs: Vec<ParagraphReport>,
    /// Where the part came from.
    pub origin: Origin,
}

impl Part {
    /// The document text covered by this part: `offset..offset + text.len()`.
    pub fn range(&self) -> Range<usize> {
        self.offset..self.offset + self.text.len()
    }

    /// The text of a span given in document offsets.
    ///
    /// # Panics
    ///
    /// Panics when the span is not inside [`Part::range`] on character boundaries.
    pub fn slice(&self, start: usize, end: usize) -> &str {
        &self.text[start - self.offset..end - self.offset]
    }

    /// The spans of the document text (in document offsets) that came from
    /// one field each: for a JSONL document the fields, for text the whole part.
    pub fn segments(&self) -> Vec<Range<usize>> {
        match &self.origin {
            #[cfg(feature = "jsonl")]
            Origin::Jsonl { fields, .. } => fields.iter().map(|f| f.text.clone()).collect(),
            _ => vec![self.range()],
        }
    }
}

/// What a scan reports as it goes, in input order.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// A part of a document, analysed.
    Part(&'a Part),
    /// A malformed JSONL line skipped under [`ScannerBuilder::skip_bad_lines`].
    BadLine {
        /// What is wrong, with path, line and byte offset.
        error: &'a Error,
        /// The line as read, line break included.
        raw: &'a [u8],
    },
    /// A JSONL line holding only whitespace: no document, passed over.
    BlankLine {
        /// The line as read.
        raw: &'a [u8],
    },
    /// Input bytes done so far, after each batch (for progress bars).
    Progress {
        /// Bytes of input read and analysed so far.
        bytes: u64,
    },
}

/// A paragraph in a cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// The id of its document.
    pub doc: Arc<str>,
    /// The 0-based index of its document in the scan.
    pub doc_index: usize,
    /// Its 0-based paragraph index in the document.
    pub paragraph: usize,
    /// Byte offset of its start in the document's text.
    pub start: usize,
    /// Byte offset of its end in the document's text.
    pub end: usize,
}

/// Paragraphs linked by confirmed near-duplicate pairs, transitively.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cluster {
    /// The members in input order; the first is the one that is kept.
    pub members: Vec<Member>,
    /// The Hamming threshold k (distance <= k) the cluster was found with.
    pub max_distance: u32,
}

/// Totals and clusters of a scan.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Summary {
    /// Documents scanned.
    pub documents: u64,
    /// Paragraphs scanned.
    pub paragraphs: u64,
    /// Bytes of document text (for JSONL, of the decoded fields).
    pub bytes: u64,
    /// Bytes of input read.
    pub input_bytes: u64,
    /// Keyword hits.
    pub hits: u64,
    /// Paragraphs that duplicate an earlier one.
    pub duplicates: u64,
    /// Malformed lines skipped.
    pub bad_lines: u64,
    /// Blank JSONL lines passed over.
    pub blank_lines: u64,
    /// The near-duplicate clusters, in the order of their first members.
    pub clusters: Vec<Cluster>,
}

/// A worker's results for a batch: the outcome of each item, and the
/// paragraphs of all its parts.
struct Done {
    seq: u64,
    outcomes: Vec<Outcome>,
    paras: RawParagraphs,
}

/// What the threads of a scan share.
struct Shared {
    /// Whoever needs work next reads it.
    reader: Mutex<Reader>,
    results: Mutex<Results>,
    /// Signalled when a worker leaves a batch or stops.
    ready: Condvar,
    /// Signalled when the collector takes a batch, or the scan stops.
    room: Condvar,
    /// The scan failed: the workers stop.
    stop: AtomicBool,
    /// Batches that may wait for the collector before the workers wait: so
    /// a slow callback slows reading instead of filling memory.
    limit: usize,
}

impl Shared {
    /// Stops the workers, waking those that wait for room. The flag is set
    /// before the lock of the results is taken, so a worker either sees it
    /// before it waits or is waiting when woken.
    fn stop_all(&self) {
        self.stop.store(true, Ordering::Relaxed);
        let _results = lock(&self.results);
        self.room.notify_all();
    }
}

/// What the workers hand the collector, and back.
struct Results {
    /// Analysed batches, by number, until the collector takes them in
    /// order.
    pending: BTreeMap<u64, Done>,
    /// Workers still running.
    workers: usize,
    /// Batches the collector is done with, for the next batch analysed:
    /// the thread that takes one reuses the vectors and drops what the
    /// parts hold.
    spare: Vec<(Vec<Outcome>, RawParagraphs)>,
}

/// A worker's result for one item.
#[cfg_attr(not(feature = "jsonl"), allow(dead_code))]
enum Outcome {
    /// A part, the range of its paragraphs in its batch's [`RawParagraphs`],
    /// and the bytes of input it came from.
    Part(Box<Part>, Range<usize>, usize),
    Bad(Error, Vec<u8>),
    Blank(Vec<u8>),
    Fatal(Error),
}

impl Scanner {
    /// A scanner with the built-in dictionary and the default settings.
    ///
    /// # Errors
    ///
    /// Any error of [`Detector::new`].
    pub fn new() -> Result<Scanner> {
        ScannerBuilder::new().build()
    }

    /// A builder for the settings.
    pub fn builder() -> ScannerBuilder {
        ScannerBuilder::new()
    }

    /// The keyword detector.
    pub fn detector(&self) -> &Detector {
        &self.detector
    }

    /// The number of threads, the calling one included (1: it does it all;
    /// see [`ScannerBuilder::threads`]).
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// The near-duplicate threshold: distance <= k.
    pub fn max_distance(&self) -> u32 {
        self.max_distance
    }

    /// Scans `inputs` in order, calling `on_event` on the calling thread for
    /// every part, skipped line and progress step, in input order.
    ///
    /// # Errors
    ///
    /// The first error in input order: [`Error::Io`] for a missing, unreadable
    /// or directory input; [`Error::InvalidUtf8`] with path, line and byte
    /// offset; [`Error::Malformed`] for a bad JSONL line (unless skipped) or
    /// a JSONL input without the `jsonl` feature; or the first error
    /// `on_event` returns. The scan stops there.
    ///
    /// # Panics
    ///
    /// When the system cannot start a thread, as [`std::thread::scope`]'s
    /// `spawn` does.
    pub fn scan<F>(&self, inputs: Vec<Input>, mut on_event: F) -> Result<Summary>
    where
        F: FnMut(Event<'_>) -> Result<()>,
    {
        let threads = self.threads.max(1);
        let read_opts = ReadOptions {
            mode: self.mode,
            part_len: self.part_len,
            // A batch costs a turn at the reader's and the results' locks
            // and a snapshot of the index: 128 KiB makes them rare without
            // making the collector's look-ups of the keys since a snapshot
            // dearer (see `Finder::share`).
            batch_len: (128 << 10).min(self.part_len.max(1 << 12)),
        };
        let mut finder = self.finder.build()?;
        // The workers keep the finder's Hamming indexes and look paragraphs
        // up in their latest snapshot; the collector only appends keys to
        // lists, hands them over after every batch, and looks up what was
        // added since a paragraph's snapshot (see `Finder::share`).
        let hub = finder.share();
        let shared = Shared {
            reader: Mutex::new(Reader::new(inputs, read_opts)),
            results: Mutex::new(Results {
                pending: BTreeMap::new(),
                workers: threads - 1,
                spare: Vec::new(),
            }),
            ready: Condvar::new(),
            room: Condvar::new(),
            stop: AtomicBool::new(false),
            limit: 4 * threads,
        };
        std::thread::scope(|s| {
            let (shared, hub) = (&shared, &hub);
            for n in 1..threads {
                // Named, so that a profiler can tell the threads apart.
                std::thread::Builder::new()
                    .name(format!("spamsift-worker-{n}"))
                    .spawn_scoped(s, move || self.work(shared, hub))
                    .expect("the system spawns a thread");
            }
            let result = self.collect(finder, shared, hub, threads, &mut on_event);
            // Tell the workers to stop early when the scan failed.
            shared.stop_all();
            result
        })
    }

    /// A worker thread: reads and analyses batches until no batch is left,
    /// and leaves them for the collector.
    fn work(&self, shared: &Shared, hub: &Hub) {
        // Counts the worker out even when it panics, so that the collector
        // does not wait for it. A panic also stops the other workers: the
        // batch it held never comes, so they could wait for room forever.
        struct Leave<'a>(&'a Shared);
        impl Drop for Leave<'_> {
            fn drop(&mut self) {
                if std::thread::panicking() {
                    self.0.stop_all();
                }
                lock(&self.0.results).workers -= 1;
                self.0.ready.notify_all();
            }
        }
        let _leave = Leave(shared);
        let mut analyzer = Analyzer::default();
        while !shared.stop.load(Ordering::Relaxed) {
            let Some(batch) = lock(&shared.reader).next_batch() else {
                return;
            };
            let spare = lock(&shared.results).spare.pop().unwrap_or_default();
            let done = self.analyze_batch(&mut analyzer, batch, spare, hub);
            let mut results = lock(&shared.results);
            results.pending.insert(done.seq, done);
            shared.ready.notify_one();
            // So many batches wait for the collector (a slow callback):
            // read no further until it catches up.
            while results.pending.len() >= shared.limit && !shared.stop.load(Ordering::Relaxed) {
                results = shared
                    .room
                    .wait(results)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
        }
    }

    /// Analyses a batch's items in the vectors of a finished batch, then
    /// looks its paragraphs up in the index's freshest snapshot.
    fn analyze_batch(
        &self,
        analyzer: &mut Analyzer,
        batch: Batch,
        (mut outcomes, mut paras): (Vec<Outcome>, RawParagraphs),
        hub: &Hub,
    ) -> Done {
        // Drops the parts of a batch the collector is done with, here.
        outcomes.clear();
        paras.clear();
        for item in batch.items {
            let outcome = self.analyze(analyzer, item, &mut paras);
            outcomes.push(outcome);
        }
        // The freshest snapshot, taken after the analysis and after sorting
        // in what the collector handed over: the fewer paragraphs added
        // since, the fewer the collector looks up.
        hub.maintain();
        paras.probe_all(&hub.snapshot());
        Done {
            seq: batch.seq,
            outcomes,
            paras,
        }
    }

    fn analyze(&self, analyzer: &mut Analyzer, item: Item, paras: &mut RawParagraphs) -> Outcome {
        let input_len = item.input_len();
        let (doc, offset, text, first, last, origin) = match item {
            Item::Fatal(e) => return Outcome::Fatal(e),
            Item::Text {
                id,
                path,
                offset,
                lines_before,
                bytes,
                first,
                last,
            } => match input::decode_text(bytes, &path, offset, lines_before) {
                Ok(text) => (id, offset, text, first, last, Origin::Text),
                Err(e) => return Outcome::Fatal(e),
            },
            Item::Line {
                path,
                line,
                offset,
                bytes,
            } => match self.parse_line(path, line, offset, bytes) {
                Ok((doc, text, origin)) => (doc, 0, text, true, true, origin),
                Err(outcome) => return outcome,
            },
        };
        let first_para = paras.len();
        let raw_hits = analyzer.analyze(
            &self.detector,
            self.judge.as_ref(),
            &self.fingerprinter,
            self.mode,
            &text,
            paras,
        );
        let para_range = first_para..paras.len();
        let hits = raw_hits
            .into_iter()
            .map(|h| Hit {
                start: offset + h.span.start,
                end: offset + h.span.end,
                keyword: h.keyword,
                category: h.category,
                injected: h.injected,
                score: h.score,
                reasons: h.reasons,
            })
            .collect();
        let part = Part {
            doc,
            doc_index: 0,
            offset,
            text,
            first,
            last,
            hits,
            // Filled in by the collector, in a vector of its own.
            paragraphs: Vec::new(),
            origin,
        };
        Outcome::Part(Box::new(part), para_range, input_len)
    }

    #[cfg(feature = "jsonl")]
    fn parse_line(
        &self,
        path: Arc<std::path::Path>,
        line: u64,
        offset: u64,
        bytes: Vec<u8>,
    ) -> Result<(Arc<str>, String, Origin), Outcome> {
        let raw = match String::from_utf8(bytes) {
            Ok(raw) => raw,
            Err(e) => {
                let error = Error::InvalidUtf8 {
                    path: path.to_path_buf(),
                    line,
                    offset: offset + e.utf8_error().valid_up_to() as u64,
                };
                return Err(self.bad(error, e.into_bytes()));
            }
        };
        let content = raw.trim_end_matches(['\n', '\r']);
        if content.trim().is_empty() {
            return Err(Outcome::Blank(raw.into_bytes()));
        }
        match jsonl::parse_line(content, &self.fields, &self.id_field) {
            Ok(parsed) => {
                let id = parsed.id.unwrap_or_else(|| line.to_string());
                let origin = Origin::Jsonl {
                    path,
                    line,
                    fields: parsed.fields,
                    raw,
                };
                Ok((Arc::from(id), parsed.text, origin))
            }
            Err(message) => {
                let error = Error::Malformed {
                    path: path.to_path_buf(),
                    line,
                    offset,
                    message,
                };
                Err(self.bad(error, raw.into_bytes()))
            }
        }
    }

    #[cfg(not(feature = "jsonl"))]
    fn parse_line(
        &self,
        path: Arc<std::path::Path>,
        line: u64,
        offset: u64,
        _bytes: Vec<u8>,
    ) -> Result<(Arc<str>, String, Origin), Outcome> {
        Err(Outcome::Fatal(Error::Malformed {
            path: path.to_path_buf(),
            line,
            offset,
            message: "reading JSONL needs the `jsonl` feature of spamsift".to_string(),
        }))
    }

    #[cfg(feature = "jsonl")]
    fn bad(&self, error: Error, raw: Vec<u8>) -> Outcome {
        if self.skip_bad_lines {
            Outcome::Bad(error, raw)
        } else {
            Outcome::Fatal(error)
        }
    }

    /// The collector, on the calling thread: puts results back in input
    /// order and runs the index, and between batches in order reads and
    /// analyses batches as the workers do. It waits only when the next
    /// batch in order is a worker's and no batch is left to read.
    fn collect<F>(
        &self,
        finder: Finder,
        shared: &Shared,
        hub: &Hub,
        threads: usize,
        on_event: &mut F,
    ) -> Result<Summary>
    where
        F: FnMut(Event<'_>) -> Result<()>,
    {
        let mut state = Collector::new(finder);
        let mut analyzer = Analyzer::default();
        let mut next = 0u64;
        let mut read_all = false;
        loop {
            // The batches analysed, here or by the workers, in order.
            loop {
                let done = {
                    let mut results = lock(&shared.results);
                    let done = results.pending.remove(&next);
                    if done.is_some() {
                        shared.room.notify_all();
                    }
                    done
                };
                let Some(mut done) = done else { break };
                state.batch(&mut done.outcomes, &done.paras, on_event)?;
                state.finder.publish();
                next += 1;
                // Its vectors, for the next batch analysed here or by a
                // worker: enough for every thread to find one; beyond that
                // the batch is dropped here.
                let mut results = lock(&shared.results);
                if results.spare.len() < 2 * threads + 2 {
                    results.spare.push((done.outcomes, done.paras));
                }
            }
            if !read_all {
                let batch = lock(&shared.reader).next_batch();
                if let Some(batch) = batch {
                    let spare = lock(&shared.results).spare.pop().unwrap_or_default();
                    let done = self.analyze_batch(&mut analyzer, batch, spare, hub);
                    // Collected in order with the workers' batches.
                    lock(&shared.results).pending.insert(done.seq, done);
                    continue;
                }
                read_all = true;
            }
            // Nothing left to read: wait for the workers' batches.
            let batches = lock(&shared.reader).batches();
            if next == batches {
                break;
            }
            let mut results = lock(&shared.results);
            while !results.pending.contains_key(&next) {
                if results.workers == 0 {
                    // A worker died without a result (it panicked; the
                    // scope will propagate the panic).
                    return Err(Error::Config("a scan worker thread failed".to_string()));
                }
                results = shared
                    .ready
                    .wait(results)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
        }
        Ok(state.finish(self.max_distance))
    }
}

/// Locks a mutex whether or not a thread panicked while holding it: the
/// vectors guarded are valid at all times, and a panicking worker fails the
/// scan anyway.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The collector's state: the near-duplicate finder and the documents seen.
struct Collector {
    finder: Finder,
    docs: Vec<Arc<str>>,
    /// Paragraphs of the current document so far.
    doc_paragraphs: usize,
    summary: Summary,
    /// Emptied [`Part::paragraphs`] vectors to fill again.
    spare_reports: Vec<Vec<ParagraphReport>>,
}

impl Collector {
    fn new(finder: Finder) -> Collector {
        Collector {
            finder,
            docs: Vec::new(),
            doc_paragraphs: 0,
            summary: Summary::default(),
            spare_reports: Vec::new(),
        }
    }

    /// Handles a batch's outcomes in order, then reports progress. The
    /// outcomes keep what they hold (the caller drops or reuses them), but
    /// for the parts' paragraph reports, kept for the next batch's parts.
    fn batch<F>(
        &mut self,
        outcomes: &mut [Outcome],
        paras: &RawParagraphs,
        on_event: &mut F,
    ) -> Result<()>
    where
        F: FnMut(Event<'_>) -> Result<()>,
    {
        for outcome in outcomes.iter_mut() {
            self.handle(outcome, paras, on_event)?;
        }
        // The reports' vectors stay with the collector, warm in its cache,
        // for the next batch's parts.
        for outcome in outcomes.iter_mut() {
            if let Outcome::Part(part, ..) = outcome {
                let mut reports = std::mem::take(&mut part.paragraphs);
                reports.clear();
                self.spare_reports.push(reports);
            }
        }
        on_event(Event::Progress {
            bytes: self.summary.input_bytes,
        })
    }

    /// Handles one item's outcome, leaving what it holds in place (a part
    /// goes back to the pool, to be dropped by the thread that reuses its
    /// batch's vectors).
    fn handle<F>(
        &mut self,
        outcome: &mut Outcome,
        paras: &RawParagraphs,
        on_event: &mut F,
    ) -> Result<()>
    where
        F: FnMut(Event<'_>) -> Result<()>,
    {
        match outcome {
            Outcome::Fatal(e) => Err(std::mem::replace(e, Error::Config(String::new()))),
            Outcome::Bad(error, raw) => {
                self.summary.bad_lines += 1;
                self.summary.input_bytes += raw.len() as u64;
                on_event(Event::BadLine { error, raw })
            }
            Outcome::Blank(raw) => {
                self.summary.blank_lines += 1;
                self.summary.input_bytes += raw.len() as u64;
                on_event(Event::BlankLine { raw })
            }
            Outcome::Part(part, range, input_len) => {
                if part.first {
                    self.docs.push(Arc::clone(&part.doc));
                    self.doc_paragraphs = 0;
                    self.summary.documents += 1;
                }
                part.doc_index = self.docs.len() - 1;
                self.summary.input_bytes += *input_len as u64;
                self.summary.bytes += part.text.len() as u64;
                self.summary.hits += part.hits.len() as u64;
                self.summary.paragraphs += range.len() as u64;
                let mut reports = self.spare_reports.pop().unwrap_or_default();
                for i in range.clone() {
                    self.paragraph(part, paras, i, &mut reports);
                }
                part.paragraphs = reports;
                on_event(Event::Part(part))
            }
        }
    }

    /// Adds paragraph `i` of a batch, of `part`, to the finder, in input
    /// order, and its report to `reports`.
    fn paragraph(
        &mut self,
        part: &Part,
        paras: &RawParagraphs,
        i: usize,
        reports: &mut Vec<ParagraphReport>,
    ) {
        let index = self.doc_paragraphs;
        self.doc_paragraphs += 1;
        let span = paras.span(i);
        let start = part.offset + span.start;
        let end = part.offset + span.end;
        let location = Location {
            doc: part.doc_index as u64,
            paragraph: index,
            span: start..end,
        };
        let keys = paras.keys(i);
        let duplicate_of = self
            .finder
            .add_probed(location, keys, paras.probe(i))
            .map(|l| {
                self.summary.duplicates += 1;
                let doc = l.doc as usize;
                Earlier {
                    doc: Arc::clone(&self.docs[doc]),
                    doc_index: doc,
                    paragraph: l.paragraph,
                }
            });
        reports.push(ParagraphReport {
            index,
            start,
            end,
            fingerprint: (keys.units > 0).then_some(keys.fingerprint),
            duplicate_of,
        });
    }

    /// The totals and the finder's clusters.
    fn finish(mut self, max_distance: u32) -> Summary {
        let finder = &self.finder;
        self.summary.clusters = finder
            .cluster_ids()
            .into_iter()
            .map(|ids| Cluster {
                members: ids
                    .into_iter()
                    .map(|id| {
                        let m = finder.location(id);
                        let doc = m.doc as usize;
                        Member {
                            doc: Arc::clone(&self.docs[doc]),
                            doc_index: doc,
                            paragraph: m.paragraph,
                            start: m.span.start,
                            end: m.span.end,
                        }
                    })
                    .collect(),
                max_distance,
            })
            .collect();
        self.summary
    }
}

#[cfg(test)]
mod tests;
