//! Scans files for injected spam keywords and near-duplicate paragraphs.
//!
//! ```text
//! cargo run --release --example scan -- tests/data/000_214c2e03461503b2.txt
//! cargo run --release --example scan -- --json corpus.jsonl --field title,content
//! cargo run --release --example scan -- corpus.jsonl --clean cleaned.jsonl
//! cargo run --release --example scan -- --no-builtin --discover found.tsv corpus.jsonl
//! ```
//!
//! A 200 MB single line (checked by hand; the tests use a smaller one):
//!
//! ```text
//! python3 -c "import sys; sys.stdout.write('成都平原经济区设施互联互通提速加力，' * 3500000 + '金博体育')" > /tmp/line.txt
//! cargo run --release --example scan -- /tmp/line.txt
//! ```
//!
//! On the project's 2-core machine under load, 189 MB of that line took 9.6 s
//! and 1.4 GB of peak RSS with `--json` (the same as a 200 MB JSONL line,
//! 9.4 s and 1.6 GB; 196 MB of varied news text on one line, 14.8 s): time is
//! linear; memory is about 7.5 bytes per byte of the line, most of it the
//! injection evidence pass's per-character tables and the document's text
//! and folded text, which a single paragraph needs whole.
//!
//! Thin glue over `spamsift::scan`: parse arguments, build the scanner, print
//! its events. Exit status 2 on any error, with the message on stderr.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};
use spamsift::discover::{Discoverer, write_dictionary};
use spamsift::scan::clean::CleanWriter;
use spamsift::scan::{Event, Format, Input, ParagraphMode, Part, Scanner, Summary, snippet};
use spamsift::{Detector, Dictionary, Error};

#[derive(Parser, Debug)]
#[command(about = "Find injected spam keywords and near-duplicate paragraphs in Chinese web text")]
struct Args {
    /// Files to scan; `-` reads standard input. A `.jsonl` file is one
    /// document per line, any other file is one document.
    #[arg(required_unless_present = "restore")]
    files: Vec<PathBuf>,
    /// Read every input as this format instead of choosing by extension.
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// JSONL field(s) with the text; a comma list is joined with newlines.
    #[arg(long, default_value = "text", value_delimiter = ',')]
    field: Vec<String>,
    /// JSONL field with the document id (a string or a number); without it
    /// the id is the 1-based line number.
    #[arg(long, default_value = "id")]
    id_field: String,
    /// Add a keyword dictionary (`keyword<TAB>category` lines); repeatable.
    #[arg(long, value_name = "FILE")]
    dict: Vec<PathBuf>,
    /// Leave the built-in dictionary out.
    #[arg(long)]
    no_builtin: bool,
    /// Paragraphs are near-duplicates when their fingerprints differ in at
    /// most K bits (0-8).
    #[arg(long, value_name = "K", default_value_t = 3)]
    max_distance: u32,
    /// Runs of at most N punctuation/space/symbol characters inside a
    /// keyword are ignored (`金 博*体-育`); 0 turns that off.
    #[arg(long, value_name = "N", default_value_t = 3)]
    max_noise: usize,
    /// How paragraphs are delimited: every non-blank line, or blocks of
    /// lines separated by blank lines.
    #[arg(long, value_enum, default_value = "lines")]
    paragraphs: ParagraphsArg,
    /// Paragraphs of fewer than N units (CJK characters, words) are matched
    /// only by an exact copy.
    #[arg(long, value_name = "N", default_value_t = 12)]
    min_units: usize,
    /// Threads, the calling one included (default: one per core; 1 runs
    /// the whole scan on one core).
    #[arg(long, value_name = "N", default_value_t = 0)]
    threads: usize,
    /// Print exactly one JSON object with every hit and cluster.
    #[arg(long, conflicts_with = "jsonl")]
    json: bool,
    /// Print one JSON record per document as soon as it is processed.
    #[arg(long)]
    jsonl: bool,
    /// Write the input without injected hits and repeated paragraphs to OUT,
    /// and every removal to OUT.removed.jsonl.
    #[arg(long, value_name = "OUT")]
    clean: Option<PathBuf>,
    /// Undo a --clean: print the original input, byte for byte, rebuilt from
    /// CLEANED and CLEANED.removed.jsonl.
    #[arg(long, value_name = "CLEANED", exclusive = true)]
    restore: Option<PathBuf>,
    /// Learn candidate injected keywords from the input itself (near-duplicate
    /// copies that differ, recurring title affixes) and write them to OUT in
    /// the dictionary format, for review and use with --dict.
    #[arg(long, value_name = "OUT")]
    discover: Option<PathBuf>,
    /// Skip the injection-evidence pass: every hit counts as injected.
    #[arg(long)]
    no_evidence: bool,
    /// Report and count malformed JSONL lines instead of stopping.
    #[arg(long)]
    skip_bad_lines: bool,
    /// Characters of context on each side of a hit in the human report.
    #[arg(long, value_name = "N", default_value_t = 12)]
    context: usize,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum FormatArg {
    Text,
    Jsonl,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ParagraphsArg {
    Lines,
    Blocks,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn stdout_error(source: std::io::Error) -> Error {
    Error::Io {
        path: PathBuf::from("<stdout>"),
        source,
    }
}

fn run(args: &Args) -> Result<(), Error> {
    if let Some(cleaned) = &args.restore {
        let out = std::io::BufWriter::new(std::io::stdout().lock());
        spamsift::scan::restore(cleaned, out)?;
        return Ok(());
    }
    let mut detector = Detector::builder();
    detector.builtin(!args.no_builtin).max_noise(args.max_noise);
    for path in &args.dict {
        detector.dictionary(Dictionary::from_path(path)?);
    }
    let scanner = Scanner::builder()
        .detector(detector.build()?)
        .max_distance(args.max_distance)
        .paragraphs(match args.paragraphs {
            ParagraphsArg::Lines => ParagraphMode::Lines,
            ParagraphsArg::Blocks => ParagraphMode::Blocks,
        })
        .min_units(args.min_units)
        .threads(args.threads)
        .fields(args.field.iter().cloned())
        .id_field(args.id_field.clone())
        .skip_bad_lines(args.skip_bad_lines)
        .evidence(!args.no_evidence)
        .build()?;
    let mut discoverer = args.discover.as_ref().map(|_| Discoverer::new());

    let mut total = Some(0u64);
    let inputs: Vec<Input> = args
        .files
        .iter()
        .map(|path| {
            let input = if path.as_os_str() == "-" {
                total = None;
                Input::stdin()
            } else {
                let len = std::fs::metadata(path).ok().filter(|m| m.is_file());
                total = total.zip(len).map(|(t, m)| t + m.len());
                Input::path(path)
            };
            match args.format {
                Some(FormatArg::Text) => input.with_format(Format::Text),
                Some(FormatArg::Jsonl) => input.with_format(Format::Jsonl),
                None => input,
            }
        })
        .collect();

    let bar = std::io::stderr().is_terminal().then(|| progress_bar(total));
    let mut clean = args.clean.as_ref().map(CleanWriter::create).transpose()?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut report = Report::new(args);
    let started = Instant::now();

    let summary = scanner.scan(inputs, |event| {
        if let Some(clean) = clean.as_mut() {
            clean.write(&event)?;
        }
        match event {
            Event::Progress { bytes } => {
                if let Some(bar) = &bar {
                    bar.set_position(bytes);
                }
            }
            Event::BadLine { error, .. } => {
                let message = format!("warning: skipped {error}");
                match &bar {
                    Some(bar) => bar.suspend(|| eprintln!("{message}")),
                    None => eprintln!("{message}"),
                }
            }
            Event::Part(part) => {
                if let Some(d) = discoverer.as_mut() {
                    // A document's later parts (over 1 MiB) only count towards
                    // the candidates' specificity.
                    if part.first {
                        d.add_document(part.doc_index as u64, &part.text);
                    } else {
                        d.add_text(part.doc_index as u64, &part.text);
                    }
                }
                report.part(part, &mut out).map_err(stdout_error)?
            }
            _ => {}
        }
        Ok(())
    });
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let summary = summary?;
    let secs = started.elapsed().as_secs_f64();
    let clean_stats = clean.map(CleanWriter::finish).transpose()?;

    let mut line = format!(
        "documents {}, paragraphs {}, hits {}, clusters {}, {:.1} MB in {:.2} s ({:.1} MB/s)",
        summary.documents,
        summary.paragraphs,
        summary.hits,
        summary.clusters.len(),
        summary.input_bytes as f64 / 1e6,
        secs,
        summary.input_bytes as f64 / 1e6 / secs.max(1e-9),
    );
    if summary.bad_lines > 0 {
        line.push_str(&format!(", {} bad lines skipped", summary.bad_lines));
    }
    if let (Some(stats), Some(path)) = (&clean_stats, &args.clean) {
        line.push_str(&format!(
            "\ncleaned: removed {} injected hits and {} duplicate paragraphs ({} bytes) from {} documents into {}",
            stats.injected,
            stats.duplicates,
            stats.removed_bytes,
            stats.documents_changed,
            path.display()
        ));
    }
    if let (Some(d), Some(path)) = (discoverer.as_mut(), &args.discover) {
        let candidates = d.candidates();
        let text = write_dictionary(&candidates, "spam");
        std::fs::write(path, text).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        let top: Vec<&str> = candidates
            .iter()
            .take(5)
            .map(|c| c.keyword.as_str())
            .collect();
        line.push_str(&format!(
            "
discovered: {} candidate keywords into {} (top: {})",
            candidates.len(),
            path.display(),
            top.join(" ")
        ));
    }
    report
        .finish(&summary, &line, &mut out)
        .map_err(stdout_error)?;
    out.flush().map_err(stdout_error)
}

fn progress_bar(total: Option<u64>) -> ProgressBar {
    match total {
        Some(total) => ProgressBar::new(total).with_style(
            ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}",
            )
            .expect("the template is valid"),
        ),
        None => ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{spinner} {bytes} {binary_bytes_per_sec}")
                .expect("the template is valid"),
        ),
    }
}

/// The three output styles.
struct Report {
    mode: Mode,
    context: usize,
    /// Hits of every document, for `--json`.
    hits: Vec<Value>,
    /// The current document's hits and duplicates, for `--jsonl`.
    doc_hits: Vec<Value>,
    doc_dups: Vec<Value>,
    /// Whether the current document's header is printed (human report).
    header: bool,
}

#[derive(PartialEq)]
enum Mode {
    Human,
    Json,
    Jsonl,
}

impl Report {
    fn new(args: &Args) -> Report {
        let mode = if args.json {
            Mode::Json
        } else if args.jsonl {
            Mode::Jsonl
        } else {
            Mode::Human
        };
        Report {
            mode,
            context: args.context,
            hits: Vec::new(),
            doc_hits: Vec::new(),
            doc_dups: Vec::new(),
            header: false,
        }
    }

    fn part(&mut self, part: &Part, out: &mut impl Write) -> std::io::Result<()> {
        match self.mode {
            Mode::Human => self.human(part, out),
            Mode::Json => {
                self.hits.extend(hits_json(part));
                Ok(())
            }
            Mode::Jsonl => {
                self.doc_hits.extend(hits_json(part));
                for p in &part.paragraphs {
                    if let Some(e) = &p.duplicate_of {
                        self.doc_dups.push(json!({
                            "paragraph": p.index, "start": p.start, "end": p.end,
                            "duplicate_of": {"doc": &*e.doc, "paragraph": e.paragraph},
                        }));
                    }
                }
                if part.last {
                    let record = json!({
                        "doc": &*part.doc,
                        "hits": std::mem::take(&mut self.doc_hits),
                        "duplicates": std::mem::take(&mut self.doc_dups),
                    });
                    writeln!(out, "{record}")?;
                }
                Ok(())
            }
        }
    }

    fn human(&mut self, part: &Part, out: &mut impl Write) -> std::io::Result<()> {
        if part.first {
            self.header = false;
        }
        let dups = part.paragraphs.iter().filter(|p| p.duplicate_of.is_some());
        if part.hits.is_empty() && dups.clone().next().is_none() {
            return Ok(());
        }
        if !self.header {
            self.header = true;
            writeln!(out, "== {}", part.doc)?;
        }
        let local = |i: usize| i - part.offset;
        for h in &part.hits {
            let span = local(h.start)..local(h.end);
            let reasons: Vec<String> = h.reasons.iter().map(|r| r.to_string()).collect();
            writeln!(
                out,
                "  hit  {:>8}..{:<8} {:<10} {}  {}  {} {:.2} {}",
                h.start,
                h.end,
                h.category,
                h.keyword,
                snippet(&part.text, span, self.context),
                if h.injected { "injected" } else { "genuine" },
                h.score,
                reasons.join(" ")
            )?;
        }
        for p in dups {
            let e = p.duplicate_of.as_ref().expect("filtered on duplicates");
            let of = if e.doc_index == part.doc_index {
                format!("¶{}", e.paragraph)
            } else {
                format!("{} ¶{}", e.doc, e.paragraph)
            };
            let text = &part.text[local(p.start)..local(p.end)];
            writeln!(
                out,
                "  dup  ¶{:<4} = {of}  {}",
                p.index,
                snippet(text, 0..0, 2 * self.context)
            )?;
        }
        Ok(())
    }

    fn finish(
        &mut self,
        summary: &Summary,
        line: &str,
        out: &mut impl Write,
    ) -> std::io::Result<()> {
        match self.mode {
            Mode::Human => {
                if !summary.clusters.is_empty() {
                    writeln!(out, "== near-duplicate clusters")?;
                }
                for (i, c) in summary.clusters.iter().enumerate() {
                    let single_doc = c
                        .members
                        .iter()
                        .all(|m| m.doc_index == c.members[0].doc_index);
                    let members: Vec<String> = c
                        .members
                        .iter()
                        .map(|m| {
                            if single_doc {
                                format!("¶{}", m.paragraph)
                            } else {
                                format!("{} ¶{}", m.doc, m.paragraph)
                            }
                        })
                        .collect();
                    let doc = if single_doc {
                        format!("{}: ", c.members[0].doc)
                    } else {
                        String::new()
                    };
                    writeln!(out, "  cluster {}: {doc}{}", i + 1, members.join(", "),)?;
                }
                writeln!(out, "{line}")
            }
            Mode::Json => {
                let clusters: Vec<Value> = summary
                    .clusters
                    .iter()
                    .map(|c| {
                        let members: Vec<Value> = c
                            .members
                            .iter()
                            .map(|m| {
                                json!({"doc": &*m.doc, "paragraph": m.paragraph,
                                       "start": m.start, "end": m.end})
                            })
                            .collect();
                        json!({"members": members, "max_distance": c.max_distance})
                    })
                    .collect();
                let report = json!({
                    "documents": summary.documents,
                    "paragraphs": summary.paragraphs,
                    "bytes": summary.bytes,
                    "hits": std::mem::take(&mut self.hits),
                    "clusters": clusters,
                    "duplicates": summary.duplicates,
                    "bad_lines": summary.bad_lines,
                });
                writeln!(out, "{report}")?;
                eprintln!("{line}");
                Ok(())
            }
            Mode::Jsonl => {
                eprintln!("{line}");
                Ok(())
            }
        }
    }
}

fn hits_json(part: &Part) -> impl Iterator<Item = Value> + '_ {
    part.hits.iter().map(move |h| {
        json!({
            "doc": &*part.doc, "start": h.start, "end": h.end,
            "text": part.slice(h.start, h.end),
            "keyword": h.keyword, "category": h.category, "injected": h.injected,
            "score": h.score,
            "reasons": h.reasons.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
        })
    })
}
