//! SimHash fingerprints of paragraphs, chunk keys and Jaccard sketches.
//!
//! # Features
//!
//! The fingerprinter reads the *folded* text (see [`crate::text::fold`]) and
//! splits it into **units**:
//!
//! - every Han, kana, hangul or other CJK character is a unit of its own;
//! - a **word** (a maximal run of ASCII letters and digits and of non-CJK
//!   alphanumeric characters, such as `s11`, `2023`, `café`) is one unit. Words
//!   end wherever the original text had whitespace or punctuation, even where
//!   folding removed it, so `the cat` gives the words `the` and `cat` although
//!   it folds to `thecat`; this is where UAX #29 (`unicode-segmentation`) puts
//!   word boundaries in such text, and a test checks the two agree;
//! - whitespace, punctuation, sentence enders and invisible characters are not
//!   units and are ignored, as are the masked spans (detected spam hits): a
//!   masked keyword is cut out and its two sides join, so `协作金博体育。` reads
//!   exactly like `协作。`.
//!
//! The **shingles** (features) are the runs of `n` consecutive units
//! ([`FingerprinterBuilder::shingle_len`], default 3): character trigrams in
//! Chinese text, word trigrams in Latin text, mixed at the seams. A paragraph
//! with fewer than `n` units has one shingle, of all its units. Every
//! occurrence counts, so the weights are term frequencies.
//!
//! # The feature hash and the rounding (fixed: fingerprints are stored)
//!
//! - unit value: a character's code point (`'成' as u64`); a word's 64-bit
//!   FNV-1a hash of its folded UTF-8 bytes (offset basis `0xcbf29ce484222325`,
//!   prime `0x100000001b3`);
//! - shingle hash: `x = u1`, then `x = x.rotate_left(21) ^ u` for each further
//!   unit, then the MurmurHash3 64-bit finalizer [`fmix64`]. For three
//!   characters `x` packs the three code points, so distinct character
//!   trigrams never collide before the finalizer, which is a bijection;
//! - SimHash: bit `i` of the fingerprint is 1 when **more than half** of the
//!   shingle occurrences have bit `i` set (the weight `ones - zeros` is `> 0`;
//!   a tie gives 0), the same rounding as the `simhash` crate;
//! - the paragraph with no unit at all has fingerprint 0.
//!
//! Golden-value tests pin the fingerprints of sample strings.
//!
//! # Chunk keys: recall on short paragraphs
//!
//! Paragraphs are short (50 to 300 characters), so a small edit moves many
//! bits of one 64-bit SimHash. The fingerprinter therefore also cuts each
//! paragraph into **content-defined chunks** of about
//! [`FingerprinterBuilder::chunk_len`] shingles and fingerprints each chunk:
//! a chunk ends after at least `chunk_len / 2` shingles, at the first shingle
//! whose hash's low 32 bits are below `2^32 / (chunk_len - chunk_len / 2)`.
//! The cut points depend only on the nearby text, not on punctuation or on
//! the position in the paragraph, so an edit changes the keys of the chunks
//! it touches and leaves the others equal. A last chunk shorter than
//! `chunk_len / 2` shingles gets no key of its own. The paragraph fingerprint
//! and the distinct chunk fingerprints are all keys into one Hamming index; a
//! pair of paragraphs is a candidate when any key of one is within distance
//! `k` of any key of the other, and candidates are confirmed by the Jaccard
//! similarity of their shingle sets (estimated from a bottom-k sketch, see
//! [`sketch_jaccard`]).
//!
//! # Speed
//!
//! One pass over the folded text; no allocation per shingle. The unit reader
//! decodes the common Han characters (U+4E00 to U+9FFF) straight from their
//! three UTF-8 bytes, runs of them in a loop of their own, and it decides a
//! word boundary from the list of gaps the fold recorded (the folded offsets
//! where it removed whitespace or punctuation), read with a forward cursor,
//! without touching the original text. The reader only appends unit values
//! to a block on the stack; a tight loop, specialised to the shingle length,
//! then hashes every window of the block by the chained definition. For the
//! plain fingerprint the hashes are counted 16 at a time by carry-save
//! adders (per-position counts as bit planes kept across blocks, only the
//! weight-16 plane spread to byte-wide counters). The analysis adds each
//! hash to 64 byte-wide counters packed in eight `u64`s (one table look-up
//! per byte of the hash), reads a chunk's SimHash from them with one add and
//! one multiplication per eight bits, keeps its bottom-k sketch in a buffer
//! appended to below a bound that a 16-bucket histogram lowers when the
//! buffer fills (no sorting until the end, and then only of the `k`
//! selected; repeats that defeat the histogram bound are detected and the
//! sketch computed again exactly), and keeps the `max_chunks` best chunk
//! keys in a small sorted array.

use std::ops::Range;

use crate::text::{Class, Folded, Folding, classify, fold};

/// The default shingle length `n`, in units; see the crate's measurement notes
/// in [`crate::neardup`].
pub const DEFAULT_SHINGLE_LEN: usize = 3;
/// The default minimum number of units of a paragraph fingerprinted by SimHash;
/// shorter paragraphs are matched by an exact hash of their folded text.
pub const DEFAULT_MIN_UNITS: usize = 12;
/// The default expected chunk length, in shingles.
pub const DEFAULT_CHUNK_LEN: usize = 8;
/// The default most chunk keys per paragraph.
pub const DEFAULT_MAX_CHUNKS: usize = 4;
/// The default number of values kept in a paragraph's bottom-k sketch.
pub const DEFAULT_SKETCH_LEN: usize = 32;
/// The largest supported shingle length.
pub const MAX_SHINGLE_LEN: usize = 8;
/// The largest supported sketch length.
pub const MAX_SKETCH_LEN: usize = 256;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// The MurmurHash3 64-bit finalizer: a fixed bijection of `u64` that mixes
/// every input bit into every output bit.
///
/// ```
/// assert_eq!(spamsift::neardup::fmix64(0), 0);
/// assert_eq!(spamsift::neardup::fmix64(1), 0xb456_bcfc_34c2_cb2c);
/// ```
#[inline]
pub fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^= k >> 33;
    k
}

/// Computes paragraph fingerprints, chunk keys and sketches.
///
/// ```
/// use spamsift::neardup::Fingerprinter;
///
/// let fp = Fingerprinter::new();
/// let a = fp.fingerprint("成都平原经济区如何激荡率先发展的澎湃动能？");
/// // Width, traditional characters, invisible characters and spacing are folded away.
/// let b = fp.fingerprint("成都平原經濟區 如何激蕩率先發展的澎湃動能\u{200b}?");
/// assert_eq!(a, b);
/// ```
#[derive(Clone, Debug)]
pub struct Fingerprinter {
    shingle_len: usize,
    min_units: usize,
    chunk_len: usize,
    max_chunks: usize,
    sketch_len: usize,
    folding: Folding,
    /// Cut a chunk after a shingle whose low 32 bits are below this.
    chunk_cut: u32,
}

/// Builds a [`Fingerprinter`].
#[derive(Clone, Debug)]
pub struct FingerprinterBuilder {
    shingle_len: usize,
    min_units: usize,
    chunk_len: usize,
    max_chunks: usize,
    sketch_len: usize,
    folding: Folding,
}

impl Default for FingerprinterBuilder {
    fn default() -> FingerprinterBuilder {
        FingerprinterBuilder {
            shingle_len: DEFAULT_SHINGLE_LEN,
            min_units: DEFAULT_MIN_UNITS,
            chunk_len: DEFAULT_CHUNK_LEN,
            max_chunks: DEFAULT_MAX_CHUNKS,
            sketch_len: DEFAULT_SKETCH_LEN,
            folding: Folding::default(),
        }
    }
}

impl FingerprinterBuilder {
    /// A builder with the default settings.
    pub fn new() -> FingerprinterBuilder {
        FingerprinterBuilder::default()
    }

    /// The number of units per shingle, 1 to 8. Default: 3.
    pub fn shingle_len(&mut self, n: usize) -> &mut Self {
        self.shingle_len = n;
        self
    }

    /// Paragraphs with fewer than `n` units are *short*: the finder matches
    /// them by an exact hash of their folded text instead of by SimHash.
    /// Must be at least the shingle length. Default: 12.
    pub fn min_units(&mut self, n: usize) -> &mut Self {
        self.min_units = n;
        self
    }

    /// The expected chunk length in shingles (at least 4), or 0 for no chunk
    /// keys (one fingerprint per paragraph). Default: 8.
    pub fn chunk_len(&mut self, n: usize) -> &mut Self {
        self.chunk_len = n;
        self
    }

    /// The most chunk keys kept per paragraph; a paragraph with more chunks
    /// keeps those whose keys have the smallest [`fmix64`] value, a choice
    /// two copies make alike for the chunks they share. Default: 4.
    pub fn max_chunks(&mut self, n: usize) -> &mut Self {
        self.max_chunks = n;
        self
    }

    /// The number of shingle hashes kept in the bottom-k sketch, 1 to 256.
    /// Each costs 4 bytes per paragraph. Default: 32.
    pub fn sketch_len(&mut self, n: usize) -> &mut Self {
        self.sketch_len = n;
        self
    }

    /// The folding applied by [`Fingerprinter::fingerprint`] and
    /// [`Fingerprinter::analyze`]; the text given to the `*_folded` methods must
    /// have been folded with it. Default: [`Folding::default`].
    pub fn folding(&mut self, folding: Folding) -> &mut Self {
        self.folding = folding;
        self
    }

    /// Checks the settings and builds the fingerprinter.
    ///
    /// # Errors
    ///
    /// An [`Error::Config`](crate::Error::Config) naming the value when a
    /// setting is out of range.
    pub fn build(&self) -> crate::Result<Fingerprinter> {
        let err = |m: String| Err(crate::Error::Config(m));
        if self.shingle_len == 0 || self.shingle_len > MAX_SHINGLE_LEN {
            return err(format!(
                "shingle_len {} is outside the supported range 1 to {MAX_SHINGLE_LEN}",
                self.shingle_len
            ));
        }
        if self.min_units < self.shingle_len {
            return err(format!(
                "min_units {} is below shingle_len {}",
                self.min_units, self.shingle_len
            ));
        }
        if self.chunk_len != 0 && !(4..=1 << 20).contains(&self.chunk_len) {
            return err(format!(
                "chunk_len {} is outside the supported range 4 to {} (or 0 for none)",
                self.chunk_len,
                1 << 20
            ));
        }
        if self.sketch_len == 0 || self.sketch_len > MAX_SKETCH_LEN {
            return err(format!(
                "sketch_len {} is outside the supported range 1 to {MAX_SKETCH_LEN}",
                self.sketch_len
            ));
        }
        self.folding.validate()?;
        let chunk_cut = if self.chunk_len == 0 {
            0
        } else {
            let span = (self.chunk_len - self.chunk_len / 2) as u64;
            ((1u64 << 32) / span).min(u32::MAX as u64) as u32
        };
        Ok(Fingerprinter {
            shingle_len: self.shingle_len,
            min_units: self.min_units,
            chunk_len: self.chunk_len,
            max_chunks: self.max_chunks,
            sketch_len: self.sketch_len,
            folding: self.folding,
            chunk_cut,
        })
    }
}

impl Default for Fingerprinter {
    fn default() -> Fingerprinter {
        FingerprinterBuilder::default()
            .build()
            .expect("the default settings are valid")
    }
}

/// Everything the finder keeps of one paragraph: its keys and its sketch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Analysis {
    units: usize,
    shingles: usize,
    fingerprint: u64,
    exact: u64,
    chunks: Vec<u64>,
    sketch: Vec<u32>,
}

impl Analysis {
    /// The number of units (characters and words) read.
    pub fn units(&self) -> usize {
        self.units
    }

    /// The number of shingle occurrences.
    pub fn shingles(&self) -> usize {
        self.shingles
    }

    /// The paragraph's SimHash.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// The exact hash of the paragraph's units (its folded text without
    /// whitespace, punctuation and masked spans): `x = 0xcbf29ce484222325`,
    /// `x = (x ^ u) * 0x100000001b3` for each unit value `u`, then
    /// [`fmix64`]`(x ^ units)`.
    pub fn exact(&self) -> u64 {
        self.exact
    }

    /// The SimHashes of the chunks, distinct and different from the paragraph
    /// fingerprint: in text order, or when there are more than `max_chunks`,
    /// the `max_chunks` with the smallest [`fmix64`] value in that order.
    /// Empty when the paragraph is one chunk.
    pub fn chunks(&self) -> &[u64] {
        &self.chunks
    }

    /// The paragraph fingerprint followed by the chunk fingerprints.
    pub fn keys(&self) -> impl Iterator<Item = u64> + '_ {
        std::iter::once(self.fingerprint).chain(self.chunks.iter().copied())
    }

    /// The bottom-k sketch: the smallest distinct values of the shingle hashes'
    /// upper 32 bits, ascending.
    pub fn sketch(&self) -> &[u32] {
        &self.sketch
    }
}

/// Estimates the Jaccard similarity of two shingle sets from their bottom-k
/// sketches (as in [`Analysis::sketch`]), each holding the `k` smallest values
/// of its set or the whole set when it is smaller.
///
/// The estimate is the share of the `k` smallest values of the union that
/// are in both sketches; it is exact when the union has at most `k` values.
/// Two empty sets have similarity 1.
pub fn sketch_jaccard(a: &[u32], b: &[u32], k: usize) -> f64 {
    let (mut i, mut j, mut seen, mut both) = (0, 0, 0usize, 0usize);
    while seen < k && (i < a.len() || j < b.len()) {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x == y => {
                both += 1;
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x < y => i += 1,
            (Some(_), None) => i += 1,
            _ => j += 1,
        }
        seen += 1;
    }
    if seen == 0 {
        1.0
    } else {
        both as f64 / seen as f64
    }
}

impl Fingerprinter {
    /// A fingerprinter with the default settings.
    pub fn new() -> Fingerprinter {
        Fingerprinter::default()
    }

    /// A builder to change the settings.
    pub fn builder() -> FingerprinterBuilder {
        FingerprinterBuilder::default()
    }

    /// The shingle length.
    pub fn shingle_len(&self) -> usize {
        self.shingle_len
    }

    /// The minimum number of units of a paragraph fingerprinted by SimHash.
    pub fn min_units(&self) -> usize {
        self.min_units
    }

    /// The expected chunk length in shingles (0: no chunk keys).
    pub fn chunk_len(&self) -> usize {
        self.chunk_len
    }

    /// The most chunk keys kept per paragraph.
    pub fn max_chunks(&self) -> usize {
        self.max_chunks
    }

    /// The sketch length.
    pub fn sketch_len(&self) -> usize {
        self.sketch_len
    }

    /// The folding applied to the text.
    pub fn folding(&self) -> &Folding {
        &self.folding
    }

    /// Folds `text` and returns its SimHash.
    pub fn fingerprint(&self, text: &str) -> u64 {
        self.fingerprint_masked(text, &[])
    }

    /// Folds `text` and returns its SimHash with the byte ranges `masks` of
    /// `text` cut out (a mask covers every character that starts inside it).
    pub fn fingerprint_masked(&self, text: &str, masks: &[Range<usize>]) -> u64 {
        let folded = fold(text, &self.folding);
        self.fingerprint_folded(text, &folded, 0..folded.len(), &to_folded(&folded, masks))
    }

    /// The SimHash of the range `range` of already folded text.
    ///
    /// `folded` must be the fold of `haystack` with this fingerprinter's
    /// folding (it records where folding removed the spaces between two
    /// words, which the folded text alone no longer shows, so `haystack`
    /// itself is not read); `masks` are
    /// ranges of the folded text (sorted or not, they may overlap and stick
    /// out of `range`). The result equals
    /// [`fingerprint_masked`](Self::fingerprint_masked) of the original text
    /// of `range`. Ranges out of bounds are clamped; nothing panics.
    pub fn fingerprint_folded(
        &self,
        haystack: &str,
        folded: &Folded,
        range: Range<usize>,
        masks: &[Range<usize>],
    ) -> u64 {
        // The fold recorded the word boundaries it removed: the original
        // text is not needed.
        let _ = haystack;
        let (text, base) = slice(folded.as_str(), range);
        let masks = normalize(masks);
        let mut gaps = Gaps::new(folded, base);
        // Two phases per block: the unit reader only appends unit values to
        // a buffer on the stack (few live values in its branchy loop), and a
        // tight loop then hashes every full window of the block into
        // shingle hashes and counts them. The last `n - 1` units of a block
        // start the next one, so every window is hashed once.
        let n = self.shingle_len;
        let mut acc = Acc::new();
        let mut buf = [0u64; MAX_SHINGLE_LEN - 1 + BATCH];
        let full = n - 1 + BATCH;
        let mut len = 0usize;
        let mut seen = 0usize;
        units(text, base, &masks, &mut gaps, |u, _, _| {
            buf[len] = u;
            len += 1;
            if len == full {
                hash_windows(n, &buf[..len], &mut acc);
                seen += len - (n - 1);
                buf.copy_within(len - (n - 1)..len, 0);
                len = n - 1;
            }
        });
        if seen + len >= n {
            hash_windows(n, &buf[..len], &mut acc);
        } else if len > 0 {
            // Fewer than `n` units in all: one shingle of them all.
            let x = buf[1..len]
                .iter()
                .fold(buf[0], |x, &v| x.rotate_left(21) ^ v);
            acc.add(fmix64(x));
        }
        acc.finish()
    }

    /// Folds `text` and analyzes it with the byte ranges `masks` of `text`
    /// cut out.
    pub fn analyze(&self, text: &str, masks: &[Range<usize>]) -> Analysis {
        let folded = fold(text, &self.folding);
        let mut out = Analysis::default();
        let masks = to_folded(&folded, masks);
        self.analyze_folded(text, &folded, 0..folded.len(), &masks, &mut out);
        out
    }

    /// Analyzes the range `range` of already folded text into `out`, reusing
    /// its buffers. The arguments are as for
    /// [`fingerprint_folded`](Self::fingerprint_folded), and
    /// `out.fingerprint()` equals what it returns.
    pub fn analyze_folded(
        &self,
        haystack: &str,
        folded: &Folded,
        range: Range<usize>,
        masks: &[Range<usize>],
        out: &mut Analysis,
    ) {
        // The fold recorded the word boundaries it removed: the original
        // text is not needed.
        let _ = haystack;
        let (text, base) = slice(folded.as_str(), range);
        let masks = normalize(masks);
        let mut gaps = Gaps::new(folded, base);
        out.chunks.clear();
        let mut state = AnalyzeState {
            para: Counter::new(),
            chunk: Counter::new(),
            chunk_n: 0,
            chunk_min: self.chunk_len / 2,
            // Without chunk keys no shingle ends a chunk: the one chunk is
            // the paragraph.
            cut: if self.chunk_len == 0 {
                0
            } else {
                self.chunk_cut
            },
            chunks: &mut out.chunks,
            sketch: Bottom::new(&mut out.sketch, self.sketch_len),
        };
        // As in `fingerprint_folded`: the reader appends unit values to a
        // block, and every full window of the block is hashed in a tight
        // loop and handed on a batch at a time.
        let n = self.shingle_len;
        let mut exact = FNV_OFFSET;
        let mut buf = [0u64; MAX_SHINGLE_LEN - 1 + BATCH];
        let full = n - 1 + BATCH;
        let mut len = 0usize;
        let mut seen = 0usize;
        units(text, base, &masks, &mut gaps, |u, _, _| {
            exact = (exact ^ u).wrapping_mul(FNV_PRIME);
            buf[len] = u;
            len += 1;
            if len == full {
                state.take_windows(n, &buf[..len]);
                seen += len - (n - 1);
                buf.copy_within(len - (n - 1)..len, 0);
                len = n - 1;
            }
        });
        let n_units = seen + len;
        if n_units >= n {
            state.take_windows(n, &buf[..len]);
        } else if len > 0 {
            // Fewer than `n` units in all: one shingle of them all.
            let x = buf[1..len]
                .iter()
                .fold(buf[0], |x, &v| x.rotate_left(21) ^ v);
            state.take(&[fmix64(x)]);
        }
        if self.chunk_len != 0 && state.chunk_n >= state.chunk_min.max(1) {
            state.chunks.push(state.chunk.simhash());
        }
        state.para.absorb(&state.chunk);
        let (shingles, fingerprint) = (state.para.total() as usize, state.para.simhash());
        if !state.sketch.finish() {
            // The quick bounds dropped values that repeats turned out to
            // need: compute the sketch again, exactly.
            exact_sketch(
                n,
                text,
                base,
                &masks,
                folded,
                self.sketch_len,
                &mut out.sketch,
            );
        }
        out.shingles = shingles;
        out.fingerprint = fingerprint;
        out.units = n_units;
        out.exact = fmix64(exact ^ n_units as u64);
        // Keep the distinct chunk keys that differ from the paragraph key,
        // in text order.
        let fp = out.fingerprint;
        if out.chunks.len() <= 32 {
            let mut i = 0;
            while i < out.chunks.len() {
                let c = out.chunks[i];
                if c == fp || out.chunks[..i].contains(&c) {
                    out.chunks.remove(i);
                } else {
                    i += 1;
                }
            }
        } else {
            // A long paragraph has one chunk per few shingles: the scan and
            // `remove` above would be quadratic in them (a 4 MB paragraph of
            // one repeated sentence took 5.7 s), so remember what was kept.
            let mut seen = std::collections::HashSet::with_capacity(out.chunks.len());
            out.chunks.retain(|&c| c != fp && seen.insert(c));
        }
        if out.chunks.len() > self.max_chunks {
            keep_smallest_keys(&mut out.chunks, self.max_chunks);
        }
    }

    /// The shingles of `text` as strings, in order, repeats included: the
    /// features whose hashes make the fingerprint. Units are concatenated, with
    /// a space between two adjacent words. For inspection and for feeding other
    /// SimHash implementations; this allocates, the fingerprint does not.
    pub fn shingle_strings(&self, text: &str) -> Vec<String> {
        let folded = fold(text, &self.folding);
        let s = folded.as_str();
        let mut gaps = Gaps::new(&folded, 0);
        let mut list: Vec<(usize, usize, bool)> = Vec::new();
        units(s, 0, &[], &mut gaps, |_, start, end| {
            let word = !is_single_unit(s[start..end].chars().next().unwrap_or(' '));
            list.push((start, end, word));
        });
        let n = self.shingle_len;
        let render = |w: &[(usize, usize, bool)]| {
            let mut out = String::new();
            for (i, &(a, b, word)) in w.iter().enumerate() {
                if i > 0 && word && w[i - 1].2 {
                    out.push(' ');
                }
                out.push_str(&s[a..b]);
            }
            out
        };
        if list.is_empty() {
            Vec::new()
        } else if list.len() < n {
            vec![render(&list)]
        } else {
            list.windows(n).map(render).collect()
        }
    }

    /// The exact Jaccard similarity of the shingle sets of two texts (folded
    /// with this fingerprinter's folding), for when both texts are at hand.
    /// Two texts without shingles have similarity 1.
    pub fn jaccard(&self, a: &str, b: &str) -> f64 {
        let set = |t: &str| {
            let folded = fold(t, &self.folding);
            let s = folded.as_str();
            let mut gaps = Gaps::new(&folded, 0);
            let mut v = Vec::new();
            let mut sh = Shingler::new(self.shingle_len);
            units(s, 0, &[], &mut gaps, |u, _, _| sh.push(u, |h| v.push(h)));
            sh.finish(|h| v.push(h));
            v.sort_unstable();
            v.dedup();
            v
        };
        let (x, y) = (set(a), set(b));
        let (mut i, mut j, mut both) = (0, 0, 0usize);
        while i < x.len() && j < y.len() {
            match x[i].cmp(&y[j]) {
                std::cmp::Ordering::Equal => {
                    both += 1;
                    i += 1;
                    j += 1;
                }
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
            }
        }
        let union = x.len() + y.len() - both;
        if union == 0 {
            1.0
        } else {
            both as f64 / union as f64
        }
    }
}

/// Keeps the `m` chunk keys with the smallest [`fmix64`] values, in the order
/// of those values (the keys are distinct, so the order is unique). Sorting
/// them all cost a sort per long paragraph and an `fmix64` per comparison;
/// the default `m` of 4 is kept in a small sorted array instead, each key
/// mixed once.
fn keep_smallest_keys(chunks: &mut Vec<u64>, m: usize) {
    const SMALL: usize = 8;
    if m == 0 {
        chunks.clear();
    } else if m <= SMALL {
        let mut best = [(0u64, 0u64); SMALL];
        let mut have = 0usize;
        for &c in chunks.iter() {
            let key = fmix64(c);
            let mut i = if have < m {
                have += 1;
                have - 1
            } else if key < best[m - 1].0 {
                m - 1
            } else {
                continue;
            };
            while i > 0 && best[i - 1].0 > key {
                best[i] = best[i - 1];
                i -= 1;
            }
            best[i] = (key, c);
        }
        chunks.clear();
        chunks.extend(best[..have].iter().map(|&(_, c)| c));
    } else if chunks.len() > m {
        chunks.select_nth_unstable_by_key(m - 1, |&c| fmix64(c));
        chunks.truncate(m);
        chunks.sort_unstable_by_key(|&c| fmix64(c));
    } else {
        chunks.sort_unstable_by_key(|&c| fmix64(c));
    }
}

/// The part of `text` in `range`, clamped to bounds and moved back to
/// character boundaries, with its start offset.
fn slice(text: &str, range: Range<usize>) -> (&str, usize) {
    let floor = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let end = floor(range.end);
    let start = floor(range.start).min(end);
    (&text[start..end], start)
}

/// Sorted, merged, non-empty ranges.
fn normalize(masks: &[Range<usize>]) -> Vec<Range<usize>> {
    let mut v: Vec<Range<usize>> = masks.iter().filter(|r| r.start < r.end).cloned().collect();
    v.sort_unstable_by_key(|r| r.start);
    let mut out: Vec<Range<usize>> = Vec::with_capacity(v.len());
    for r in v {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

/// The folded offset of the first folded character whose source starts at or
/// after the original offset `orig` (or the folded length).
fn folded_offset(folded: &Folded, orig: usize) -> usize {
    let s = folded.as_str();
    let (mut lo, mut hi) = (0usize, s.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if folded.original_offset(mid) >= orig {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    while !s.is_char_boundary(lo) {
        lo += 1;
    }
    lo
}

/// Maps ranges of the original text to ranges of the folded text covering
/// the folded characters whose sources start inside them.
pub(crate) fn to_folded(folded: &Folded, masks: &[Range<usize>]) -> Vec<Range<usize>> {
    masks
        .iter()
        .filter(|r| r.start < r.end)
        .map(|r| folded_offset(folded, r.start)..folded_offset(folded, r.end))
        .collect()
}

/// Word boundaries that the folded text no longer shows: the folded offsets
/// before which folding removed visible characters (whitespace,
/// punctuation), as the fold recorded them ([`Folded::gaps`]). Read with a
/// cursor that only moves forward, and only asked between two word
/// characters, so Chinese text costs nothing; the original text is not read.
struct Gaps<'a> {
    gaps: &'a [usize],
    next: usize,
}

impl<'a> Gaps<'a> {
    fn new(folded: &'a Folded, start: usize) -> Gaps<'a> {
        let gaps = folded.gaps();
        // A whole text starts at 0: no need to touch the list (a cache miss
        // per paragraph) before a word needs it.
        let next = if start == 0 {
            0
        } else {
            gaps.partition_point(|&g| g < start)
        };
        Gaps { gaps, next }
    }

    /// Whether a removed visible character precedes folded offset `pos`;
    /// `pos` must not decrease between calls.
    #[inline(always)]
    fn at(&mut self, pos: usize) -> bool {
        while let Some(&g) = self.gaps.get(self.next) {
            if g >= pos {
                return g == pos;
            }
            self.next += 1;
        }
        false
    }
}

/// Whether `c` is a unit on its own (not part of a word).
#[inline]
fn is_single_unit(c: char) -> bool {
    let u = c as u32;
    if u < 0x80 {
        return !c.is_ascii_alphanumeric();
    }
    matches!(u, 0x2E80..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFF66..=0xFF9F | 0x20000..=0x3FFFF)
        || !c.is_alphanumeric()
}

/// Calls `f(value, start, end)` for every unit of `text` (which starts at
/// folded offset `base`), skipping masked characters; `masks` are sorted and
/// merged, in folded offsets; `gaps` tells where words end unseen.
#[inline(always)]
fn units(
    text: &str,
    base: usize,
    masks: &[Range<usize>],
    gaps: &mut Gaps<'_>,
    mut f: impl FnMut(u64, usize, usize),
) {
    let mut mi = 0usize;
    // The word being read: its FNV state and start, if any.
    let mut word: Option<(u64, usize)> = None;
    let mut word_end = 0usize;
    let mut next_mask = masks.first().map_or(usize::MAX, |m| m.start);
    let bytes = text.as_bytes();
    let mut at = 0usize;
    while at < bytes.len() {
        let pos = base + at;
        let b0 = bytes[at];
        // Fast path: the common Han characters, U+4E00 to U+9FFF, decoded
        // straight from their three bytes (lead bytes 0xE4 to 0xE9), when no
        // mask is near.
        if (0xE4..=0xE9).contains(&b0) && pos < next_mask {
            if let Some(u) = common_han(bytes, at) {
                if let Some((h, s)) = word.take() {
                    f(h, s, word_end);
                }
                f(u, at, at + 3);
                at += 3;
                // The rest of the run, in a loop of its own: no word is
                // open, and no mask starts before `limit`.
                let limit = bytes.len().min(next_mask - base);
                while at < limit {
                    let Some(u) = common_han(bytes, at) else {
                        break;
                    };
                    f(u, at, at + 3);
                    at += 3;
                }
                continue;
            }
        }
        let Some(c) = text.get(at..).and_then(|t| t.chars().next()) else {
            break;
        };
        let i = at;
        at += c.len_utf8();
        if pos >= next_mask {
            while mi < masks.len() && masks[mi].end <= pos {
                mi += 1;
            }
            match masks.get(mi) {
                Some(m) if m.start <= pos => continue,
                Some(m) => next_mask = m.start,
                None => next_mask = usize::MAX,
            }
        }
        let u = c as u32;
        // Fast path: the common Han characters.
        if (0x4E00..=0x9FFF).contains(&u) {
            if let Some((h, s)) = word.take() {
                f(h, s, word_end);
            }
            f(u as u64, i, i + 3);
            continue;
        }
        let class = classify(c);
        if class == Class::Text && !is_single_unit(c) {
            // A word character: a gap before it ends the current word.
            if word.is_some() && gaps.at(pos) {
                if let Some((h, s)) = word.take() {
                    f(h, s, word_end);
                }
            }
            let (mut h, s) = word.unwrap_or((FNV_OFFSET, i));
            let mut buf = [0u8; 4];
            for &b in c.encode_utf8(&mut buf).as_bytes() {
                h = (h ^ b as u64).wrapping_mul(FNV_PRIME);
            }
            word = Some((h, s));
            word_end = i + c.len_utf8();
            continue;
        }
        if class == Class::Invisible {
            continue;
        }
        if let Some((h, s)) = word.take() {
            f(h, s, word_end);
        }
        if class == Class::Text {
            f(u as u64, i, i + c.len_utf8());
        }
    }
    if let Some((h, s)) = word {
        f(h, s, word_end);
    }
}

/// The common Han character (U+4E00 to U+9FFF) whose three UTF-8 bytes start
/// at `at`, if that is one.
#[inline(always)]
fn common_han(bytes: &[u8], at: usize) -> Option<u64> {
    let &[b0, b1, b2] = bytes.get(at..at + 3)? else {
        return None;
    };
    if !(0xE4..=0xE9).contains(&b0) {
        return None;
    }
    let u = (u32::from(b0 & 0x0F) << 12) | (u32::from(b1 & 0x3F) << 6) | u32::from(b2 & 0x3F);
    (u >= 0x4E00).then_some(u64::from(u))
}

/// Hashes every window of `n` consecutive values of `units` by the chained
/// definition and counts the hashes into `acc`, 16 at a time.
#[inline]
fn hash_windows(n: usize, units: &[u64], acc: &mut Acc) {
    #[inline(always)]
    fn chain<const N: usize>(w: &[u64]) -> u64 {
        let mut x = w[0];
        for &v in &w[1..N] {
            x = x.rotate_left(21) ^ v;
        }
        fmix64(x)
    }
    #[inline(always)]
    fn fixed<const N: usize>(units: &[u64], acc: &mut Acc) {
        let windows = units.len().saturating_sub(N - 1);
        let mut i = 0;
        while i + 16 <= windows {
            let mut hashes = [0u64; 16];
            for (out, w) in hashes.iter_mut().zip(units[i..i + 15 + N].windows(N)) {
                *out = chain::<N>(w);
            }
            acc.add16(&hashes);
            i += 16;
        }
        for w in units[i..].windows(N) {
            acc.add(chain::<N>(w));
        }
    }
    match n {
        1 => fixed::<1>(units, acc),
        2 => fixed::<2>(units, acc),
        3 => fixed::<3>(units, acc),
        4 => fixed::<4>(units, acc),
        5 => fixed::<5>(units, acc),
        6 => fixed::<6>(units, acc),
        7 => fixed::<7>(units, acc),
        _ => fixed::<8>(units, acc),
    }
}

/// Rolls a window of `n` unit values into shingle hashes, in constant work
/// per unit whatever `n`: the chained hash `x` of the window is kept, and
/// each step removes the oldest unit's term (`u.rotate_left(21 * (n - 1))`),
/// rotates, and xors the new unit in. The result is exactly the chained
/// definition `x = u1`, `x = x.rotate_left(21) ^ u`.
struct Shingler {
    n: usize,
    /// The last units, `ring[i & 7]` for the `i`-th unit.
    ring: [u64; MAX_SHINGLE_LEN],
    seen: usize,
    x: u64,
    /// `21 * (n - 1) mod 64`: the rotation of the oldest unit's term.
    out_rot: u32,
}

impl Shingler {
    fn new(n: usize) -> Shingler {
        debug_assert!((1..=MAX_SHINGLE_LEN).contains(&n));
        Shingler {
            n,
            ring: [0; MAX_SHINGLE_LEN],
            seen: 0,
            x: 0,
            out_rot: (21 * (n as u32 - 1)) % 64,
        }
    }

    /// Takes the next unit and calls `f` with the hash of the shingle it ends.
    #[inline(always)]
    fn push(&mut self, u: u64, mut f: impl FnMut(u64)) {
        let n = self.n;
        let slot = self.seen & (MAX_SHINGLE_LEN - 1);
        if self.seen >= n {
            // The oldest unit of the window, about to leave it.
            let old = self.ring[(self.seen + MAX_SHINGLE_LEN - n) & (MAX_SHINGLE_LEN - 1)];
            self.x ^= old.rotate_left(self.out_rot);
        }
        self.x = self.x.rotate_left(21) ^ u;
        self.ring[slot] = u;
        self.seen += 1;
        if self.seen >= n {
            f(fmix64(self.x));
        }
    }

    /// Emits the one shingle of a text with fewer than `n` units.
    fn finish(&self, mut f: impl FnMut(u64)) {
        if self.seen > 0 && self.seen < self.n {
            f(fmix64(self.x));
        }
    }
}

/// Byte-wide counters of the set bits of up to 255 hashes, with wide
/// counters behind them for more.
#[derive(Clone)]
struct Counter {
    /// Byte `j` of `lanes[k]` counts bit `8k + j`.
    lanes: [u64; 8],
    /// Hashes in `lanes`, at most 255.
    n: u32,
    /// Whether `wide` holds anything.
    spilled: bool,
    wide: [u64; 64],
    /// Hashes in `wide`.
    wide_n: u64,
}

impl Counter {
    fn new() -> Counter {
        Counter {
            lanes: [0; 8],
            n: 0,
            spilled: false,
            wide: [0; 64],
            wide_n: 0,
        }
    }

    /// Counts `h`; the caller spills before `n` would pass 255.
    #[inline(always)]
    fn add(&mut self, h: u64) {
        for (k, lane) in self.lanes.iter_mut().enumerate() {
            *lane += SPREAD[((h >> (8 * k)) & 0xff) as usize];
        }
        self.n += 1;
    }

    /// Moves the byte-wide counts to the wide counters.
    fn spill(&mut self) {
        for (k, lane) in self.lanes.iter_mut().enumerate() {
            for j in 0..8 {
                self.wide[8 * k + j] += (*lane >> (8 * j)) & 0xff;
            }
            *lane = 0;
        }
        self.wide_n += u64::from(self.n);
        self.n = 0;
        self.spilled = true;
    }

    /// Adds everything `other` counted.
    #[inline]
    fn absorb(&mut self, other: &Counter) {
        if self.n + other.n > 255 {
            self.spill();
        }
        for (a, b) in self.lanes.iter_mut().zip(&other.lanes) {
            *a += b;
        }
        self.n += other.n;
        if other.spilled {
            for (a, b) in self.wide.iter_mut().zip(&other.wide) {
                *a += b;
            }
            self.wide_n += other.wide_n;
            self.spilled = true;
        }
    }

    /// The number of hashes counted.
    fn total(&self) -> u64 {
        self.wide_n + u64::from(self.n)
    }

    /// The SimHash: bit `i` set when more than half of the hashes have it.
    #[inline]
    fn simhash(&self) -> u64 {
        if !self.spilled && self.n < 128 {
            return small_simhash(&self.lanes, self.n);
        }
        let total = self.total();
        let mut out = 0u64;
        for (k, &lane) in self.lanes.iter().enumerate() {
            for j in 0..8 {
                let c = self.wide[8 * k + j] + ((lane >> (8 * j)) & 0xff);
                out |= u64::from(2 * c > total) << (8 * k + j);
            }
        }
        out
    }

    /// Forgets everything.
    #[inline]
    fn clear(&mut self) {
        self.lanes = [0; 8];
        self.n = 0;
        if self.spilled {
            self.wide = [0; 64];
            self.wide_n = 0;
            self.spilled = false;
        }
    }
}

/// The SimHash of at most 127 hashes counted in byte lanes, without
/// unpacking them: bit `i` is set when its count `c` has `2c > n`, that is
/// `c >= n / 2 + 1 =: m`. Adding `0x80 - m` to every byte sets the byte's top
/// bit exactly then (no byte overflows: `c + 0x80 - m <= 254`), and one
/// multiplication gathers the eight top bits of a lane into a byte.
#[inline]
fn small_simhash(lanes: &[u64; 8], n: u32) -> u64 {
    debug_assert!(n < 128);
    const ONES: u64 = 0x0101_0101_0101_0101;
    let m = u64::from(n / 2 + 1);
    let bias = (0x80 - m) * ONES;
    let mut out = 0u64;
    for (k, &lane) in lanes.iter().enumerate() {
        let top = ((lane + bias) >> 7) & ONES;
        out |= (top.wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * k);
    }
    out
}

/// The per-shingle work of [`Fingerprinter::analyze_folded`]: the chunk and
/// paragraph SimHashes, the chunk cuts and the sketch, in one tight loop over
/// a few shingle hashes at a time.
struct AnalyzeState<'a> {
    /// Every finished chunk's counts.
    para: Counter,
    /// The current chunk's counts.
    chunk: Counter,
    /// Shingles in the current chunk.
    chunk_n: usize,
    chunk_min: usize,
    cut: u32,
    chunks: &'a mut Vec<u64>,
    sketch: Bottom<'a>,
}

impl AnalyzeState<'_> {
    /// Hashes every window of `n` consecutive values of `units` (at most
    /// `BATCH` windows) by the chained definition and takes the hashes.
    #[inline]
    fn take_windows(&mut self, n: usize, units: &[u64]) {
        #[inline(always)]
        fn fixed<const N: usize>(state: &mut AnalyzeState<'_>, units: &[u64]) {
            let mut hashes = [0u64; BATCH];
            let mut k = 0;
            for (w, out) in units.windows(N).zip(hashes.iter_mut()) {
                let mut x = w[0];
                for &v in &w[1..] {
                    x = x.rotate_left(21) ^ v;
                }
                *out = fmix64(x);
                k += 1;
            }
            state.take(&hashes[..k]);
        }
        match n {
            1 => fixed::<1>(self, units),
            2 => fixed::<2>(self, units),
            3 => fixed::<3>(self, units),
            4 => fixed::<4>(self, units),
            5 => fixed::<5>(self, units),
            6 => fixed::<6>(self, units),
            7 => fixed::<7>(self, units),
            _ => fixed::<8>(self, units),
        }
    }

    #[inline]
    fn take(&mut self, hashes: &[u64]) {
        for &h in hashes {
            self.sketch.push((h >> 32) as u32);
            self.chunk.add(h);
            self.chunk_n += 1;
            if self.chunk_n >= self.chunk_min && (h as u32) < self.cut {
                self.chunks.push(self.chunk.simhash());
                self.para.absorb(&self.chunk);
                self.chunk.clear();
                self.chunk_n = 0;
            } else if self.chunk.n == 255 {
                self.chunk.spill();
            }
        }
    }
}

/// Collects the bottom-`k` distinct values of a stream into a buffer, in
/// amortised constant work per value and memory bounded by the buffer.
///
/// Values are appended unsorted while below the current bound. When the
/// buffer is full (`4k` values, at least 64) it is cut without sorting: a
/// histogram of 16 buckets below the bound gives the lowest bucket edge with
/// about `1.5k` values below it, which becomes the bound. Every value below
/// the bound is then still in the buffer, so the `k` smallest distinct
/// values of the buffer at the end are those of the stream, unless repeats
/// left fewer than `k` distinct values in it: [`Bottom::finish`] says so,
/// and the caller computes the sketch again with exact compaction (sort,
/// deduplicate, keep `k`, bound at the largest). The end takes the `k`
/// smallest by selection and sorts only those.
struct Bottom<'a> {
    buf: &'a mut Vec<u32>,
    k: usize,
    cap: usize,
    /// Values at or above this are not kept: either every smaller value of
    /// the stream is in the buffer, or the buffer holds `k` distinct values
    /// up to and including it.
    bound: u64,
    /// Whether a histogram cut dropped values.
    guessed: bool,
    /// Compact exactly only, never by histogram.
    exact_only: bool,
}

impl<'a> Bottom<'a> {
    fn new(buf: &'a mut Vec<u32>, k: usize) -> Bottom<'a> {
        buf.clear();
        let cap = (4 * k).max(64);
        buf.reserve(cap);
        Bottom {
            buf,
            k,
            cap,
            bound: 1 << 32,
            guessed: false,
            exact_only: false,
        }
    }

    #[inline(always)]
    fn push(&mut self, v: u32) {
        if u64::from(v) < self.bound {
            self.buf.push(v);
            if self.buf.len() >= self.cap {
                self.compact();
            }
        }
    }

    #[inline(never)]
    fn compact(&mut self) {
        if !self.exact_only {
            let need = self.k + self.k / 2 + 1;
            // Buckets of `2^shift` values: 16 of them cover `0..bound`.
            let top = self.bound.saturating_sub(1);
            let shift = (64 - top.leading_zeros()).saturating_sub(4);
            let mut hist = [0u32; 16];
            for &v in self.buf.iter() {
                hist[(u64::from(v) >> shift).min(15) as usize] += 1;
            }
            let mut below = 0usize;
            let mut edge = self.bound;
            for (i, &h) in hist.iter().enumerate() {
                below += h as usize;
                if below >= need {
                    edge = ((i as u64 + 1) << shift).min(self.bound);
                    break;
                }
            }
            if edge < self.bound {
                // Without a branch per value: whether a uniform value is
                // kept is a coin toss that a branch would mispredict.
                let mut kept = 0;
                for i in 0..self.buf.len() {
                    let v = self.buf[i];
                    self.buf[kept] = v;
                    kept += usize::from(u64::from(v) < edge);
                }
                self.buf.truncate(kept);
                self.bound = edge;
                self.guessed = true;
            }
            if self.buf.len() <= self.cap / 2 {
                return;
            }
        }
        // Repeats or a narrow spread: cut exactly.
        self.buf.sort_unstable();
        self.buf.dedup();
        self.buf.truncate(self.k);
        if self.buf.len() == self.k {
            self.bound = u64::from(self.buf[self.k - 1]);
        }
    }

    /// Leaves the `k` smallest distinct values of the buffer in it, sorted,
    /// and says whether they are those of the stream.
    fn finish(&mut self) -> bool {
        let k = self.k;
        if self.buf.len() > k {
            self.buf.select_nth_unstable(k - 1);
            let head = &mut self.buf[..k];
            head.sort_unstable();
            if head.windows(2).all(|w| w[0] < w[1]) {
                self.buf.truncate(k);
                return true;
            }
        }
        self.buf.sort_unstable();
        self.buf.dedup();
        let complete = self.buf.len() >= k;
        self.buf.truncate(k);
        complete || !self.guessed
    }
}

/// The bottom-`k` sketch of the shingles of `text` (at folded offset
/// `base`) by the rolling shingler and exact compaction: the fallback of
/// [`Fingerprinter::analyze_folded`] when repeats defeat the quick bounds.
#[inline(never)]
fn exact_sketch(
    n: usize,
    text: &str,
    base: usize,
    masks: &[Range<usize>],
    folded: &Folded,
    k: usize,
    out: &mut Vec<u32>,
) {
    let mut gaps = Gaps::new(folded, base);
    let mut sketch = Bottom::new(out, k);
    sketch.exact_only = true;
    let mut shingles = Shingler::new(n);
    units(text, base, masks, &mut gaps, |u, _, _| {
        shingles.push(u, |h| sketch.push((h >> 32) as u32));
    });
    shingles.finish(|h| sketch.push((h >> 32) as u32));
    let complete = sketch.finish();
    debug_assert!(complete);
}

/// Inserts `v` into the sorted, distinct bottom-`k` sketch: the naive
/// oracle of [`Bottom`].
#[cfg(test)]
fn add_to_sketch(sketch: &mut Vec<u32>, k: usize, v: u32) {
    if sketch.len() == k && v >= sketch[k - 1] {
        return;
    }
    if let Err(at) = sketch.binary_search(&v) {
        if sketch.len() == k {
            sketch.pop();
        }
        sketch.insert(at, v);
    }
}

/// The windows hashed per block of units by `fingerprint_folded`: a
/// multiple of 16, the group of the carry-save counting, and small, so that
/// the block on the stack costs little to set up for a short paragraph.
const BATCH: usize = 64;

/// `SPREAD[b]` has byte `j` equal to bit `j` of `b`.
static SPREAD: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut b = 0;
    while b < 256 {
        let mut j = 0;
        while j < 8 {
            t[b] |= (((b >> j) & 1) as u64) << (8 * j);
            j += 1;
        }
        b += 1;
    }
    t
};

/// Per-bit counts of ones over a stream of 64-bit hashes.
///
/// Positional population count by carry-save adders (Harley-Seal): each
/// group of 16 hashes goes through 15 full adders working on all 64 bit
/// positions at once, which keep per-position counts as bit planes of weight
/// 1, 2, 4 and 8 across groups; only the plane of weight 16 that comes out of
/// a group is spread to byte-wide counters (eight table look-ups per 16
/// hashes instead of per hash). Hashes that do not fill a group are counted
/// one by one in byte-wide counters.
pub(crate) struct Acc {
    /// Carry-save planes: bit `i` of each is a binary digit of the count of
    /// bit `i` over the groups added, weights 1, 2, 4 and 8.
    planes: [u64; 4],
    /// Byte-wide counts of the weight-16 plane: byte `j` of `sixteens[k]`
    /// for bit `8k + j`, over at most 255 groups.
    sixteens: [u64; 8],
    groups: u32,
    /// Byte-wide counts of the hashes added one by one, at most 255.
    lanes: [u64; 8],
    pending: u32,
    /// Wide counts of what the byte-wide counters held before they could
    /// overflow.
    counts: [u64; 64],
    total: u64,
}

impl Acc {
    pub(crate) fn new() -> Acc {
        Acc {
            planes: [0; 4],
            sixteens: [0; 8],
            groups: 0,
            lanes: [0; 8],
            pending: 0,
            counts: [0; 64],
            total: 0,
        }
    }

    /// Adds a group of 16 hashes.
    #[inline(always)]
    fn add16(&mut self, d: &[u64; 16]) {
        #[inline(always)]
        fn csa(a: u64, b: u64, c: u64) -> (u64, u64) {
            let u = a ^ b;
            ((a & b) | (u & c), u ^ c)
        }
        let [ones, twos, fours, eights] = self.planes;
        let (twos_a, o) = csa(ones, d[0], d[1]);
        let (twos_b, o) = csa(o, d[2], d[3]);
        let (fours_a, t) = csa(twos, twos_a, twos_b);
        let (twos_a, o) = csa(o, d[4], d[5]);
        let (twos_b, o) = csa(o, d[6], d[7]);
        let (fours_b, t) = csa(t, twos_a, twos_b);
        let (eights_a, f) = csa(fours, fours_a, fours_b);
        let (twos_a, o) = csa(o, d[8], d[9]);
        let (twos_b, o) = csa(o, d[10], d[11]);
        let (fours_a, t) = csa(t, twos_a, twos_b);
        let (twos_a, o) = csa(o, d[12], d[13]);
        let (twos_b, o) = csa(o, d[14], d[15]);
        let (fours_b, t) = csa(t, twos_a, twos_b);
        let (eights_b, f) = csa(f, fours_a, fours_b);
        let (s16, e) = csa(eights, eights_a, eights_b);
        self.planes = [o, t, f, e];
        for (k, lane) in self.sixteens.iter_mut().enumerate() {
            *lane += SPREAD[((s16 >> (8 * k)) & 0xff) as usize];
        }
        self.total += 16;
        self.groups += 1;
        if self.groups == 255 {
            self.spill16();
        }
    }

    #[inline(never)]
    fn spill16(&mut self) {
        for (k, lane) in self.sixteens.iter_mut().enumerate() {
            for j in 0..8 {
                self.counts[8 * k + j] += 16 * ((*lane >> (8 * j)) & 0xff);
            }
            *lane = 0;
        }
        self.groups = 0;
    }

    /// Adds one hash.
    #[inline]
    fn add(&mut self, h: u64) {
        for (k, lane) in self.lanes.iter_mut().enumerate() {
            *lane += SPREAD[((h >> (8 * k)) & 0xff) as usize];
        }
        self.total += 1;
        self.pending += 1;
        if self.pending == 255 {
            self.flush();
        }
    }

    #[inline(never)]
    fn flush(&mut self) {
        for (k, lane) in self.lanes.iter_mut().enumerate() {
            for j in 0..8 {
                self.counts[8 * k + j] += (*lane >> (8 * j)) & 0xff;
            }
            *lane = 0;
        }
        self.pending = 0;
    }

    /// The SimHash of what was added: bit `i` set when more than half of the
    /// hashes have it set.
    pub(crate) fn finish(&mut self) -> u64 {
        let byte = |plane: u64, k: usize| SPREAD[((plane >> (8 * k)) & 0xff) as usize];
        let [ones, twos, fours, eights] = self.planes;
        if self.total < 128 {
            // Nothing spilled (at most 7 groups and 127 single hashes): the
            // per-position counts, below 128, add up byte-wide.
            let lanes: [u64; 8] = std::array::from_fn(|k| {
                (self.sixteens[k] << 4)
                    + self.lanes[k]
                    + (byte(eights, k) << 3)
                    + (byte(fours, k) << 2)
                    + (byte(twos, k) << 1)
                    + byte(ones, k)
            });
            return small_simhash(&lanes, self.total as u32);
        }
        self.spill16();
        self.flush();
        let mut out = 0u64;
        for (i, &c) in self.counts.iter().enumerate() {
            let c = c
                + ((ones >> i) & 1)
                + (((twos >> i) & 1) << 1)
                + (((fours >> i) & 1) << 2)
                + (((eights >> i) & 1) << 3);
            out |= u64::from(2 * c > self.total) << i;
        }
        out
    }
}

/// The SimHash of a stream of feature hashes, each occurrence weight 1.
#[cfg(test)]
pub(crate) fn simhash_of(hashes: impl IntoIterator<Item = u64>) -> u64 {
    let mut counts = [0u64; 64];
    let mut n = 0u64;
    for h in hashes {
        for (i, c) in counts.iter_mut().enumerate() {
            *c += (h >> i) & 1;
        }
        n += 1;
    }
    let mut out = 0u64;
    for (i, &c) in counts.iter().enumerate() {
        out |= u64::from(2 * c > n) << i;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accumulation_matches_simhash_crate() {
        // The simhash crate hashes a `&str` feature with SipHash-2-4, keys 0,
        // via `Hash`; std's deprecated SipHasher is the same function.
        #[allow(deprecated)]
        fn sip(s: &str) -> u64 {
            use std::hash::{Hash, Hasher};
            let mut h = std::hash::SipHasher::new();
            s.hash(&mut h);
            h.finish()
        }
        let fp = Fingerprinter::new();
        let texts = [
            "成都平原经济区如何激荡率先发展的澎湃动能？",
            "The cat sat on the mat",
            "市域铁路S3、S5、S11线加快建设，成都铁路枢纽环线开通公交化运营",
            "短",
            "",
        ];
        for t in texts {
            let feats = fp.shingle_strings(t);
            let ours = simhash_of(feats.iter().map(|s| sip(s)));
            let theirs = simhash::simhash_stream(feats.iter().map(String::as_str));
            assert_eq!(ours, theirs, "{t:?} features {feats:?}");
        }
        // Many features, past the 255-shingle flush.
        let long: String = texts[2].repeat(40);
        let feats = fp.shingle_strings(&long);
        assert!(feats.len() > 1000);
        assert_eq!(
            simhash_of(feats.iter().map(|s| sip(s))),
            simhash::simhash_stream(feats.iter().map(String::as_str))
        );
    }

    #[test]
    fn shingle_strings_show_units() {
        let fp = Fingerprinter::new();
        assert_eq!(fp.shingle_strings("成都平原"), ["成都平", "都平原"]);
        assert_eq!(
            fp.shingle_strings("The cat sat on"),
            ["the cat sat", "cat sat on"]
        );
        assert_eq!(fp.shingle_strings("S11线加"), ["s11线加"]);
        assert_eq!(fp.shingle_strings("线 ab"), ["线ab"]);
        assert_eq!(fp.shingle_strings("，。"), Vec::<String>::new());
    }

    #[test]
    fn sketch_estimates() {
        assert_eq!(sketch_jaccard(&[1, 2, 3], &[1, 2, 3], 4), 1.0);
        assert_eq!(sketch_jaccard(&[1, 2], &[3, 4], 4), 0.0);
        assert_eq!(sketch_jaccard(&[1, 2, 3], &[2, 3, 4], 8), 0.5);
        assert_eq!(sketch_jaccard(&[], &[], 8), 1.0);
        let mut s = Vec::new();
        for v in [5, 3, 9, 3, 1, 7] {
            add_to_sketch(&mut s, 3, v);
        }
        assert_eq!(s, [1, 3, 5]);
    }

    /// The shingle hashes of `text` by the chained definition, recomputed
    /// from a list of units.
    fn naive_hashes(fp: &Fingerprinter, text: &str) -> Vec<u64> {
        let folded = fold(text, &fp.folding);
        let mut gaps = Gaps::new(&folded, 0);
        let mut us = Vec::new();
        units(folded.as_str(), 0, &[], &mut gaps, |u, _, _| us.push(u));
        let n = fp.shingle_len;
        let chain = |w: &[u64]| fmix64(w[1..].iter().fold(w[0], |x, &v| x.rotate_left(21) ^ v));
        if us.is_empty() {
            Vec::new()
        } else if us.len() < n {
            vec![chain(&us)]
        } else {
            us.windows(n).map(chain).collect()
        }
    }

    fn lcg(seed: &mut u64) -> u64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        fmix64(*seed)
    }

    #[test]
    fn rolling_shingler_matches_chained_definition() {
        let mut seed = 3;
        for n in 1..=MAX_SHINGLE_LEN {
            for len in 0..20 {
                let us: Vec<u64> = (0..len).map(|_| lcg(&mut seed)).collect();
                let mut sh = Shingler::new(n);
                let mut got = Vec::new();
                for &u in &us {
                    sh.push(u, |h| got.push(h));
                }
                sh.finish(|h| got.push(h));
                let chain =
                    |w: &[u64]| fmix64(w[1..].iter().fold(w[0], |x, &v| x.rotate_left(21) ^ v));
                let want: Vec<u64> = if us.is_empty() {
                    Vec::new()
                } else if us.len() < n {
                    vec![chain(&us)]
                } else {
                    us.windows(n).map(chain).collect()
                };
                assert_eq!(got, want, "n {n} len {len}");
            }
        }
    }

    #[test]
    fn counter_matches_wide_counts() {
        let mut seed = 11;
        for len in (0..140).chain([254, 255, 256, 300, 511, 700]) {
            // Biased hashes, so that counts sit near the half.
            let hs: Vec<u64> = (0..len)
                .map(|i| {
                    lcg(&mut seed)
                        & if i % 3 == 0 {
                            u64::MAX
                        } else {
                            lcg(&mut seed) | 0xff00
                        }
                })
                .collect();
            let mut c = Counter::new();
            for &h in &hs {
                if c.n == 255 {
                    c.spill();
                }
                c.add(h);
            }
            assert_eq!(c.simhash(), simhash_of(hs.iter().copied()), "len {len}");
            assert_eq!(c.total(), len as u64);
            // Absorbing in two halves gives the same.
            let mut a = Counter::new();
            let mut b = Counter::new();
            for (i, &h) in hs.iter().enumerate() {
                let t = if i < len / 2 { &mut a } else { &mut b };
                if t.n == 255 {
                    t.spill();
                }
                t.add(h);
            }
            a.absorb(&b);
            assert_eq!(a.simhash(), c.simhash(), "len {len}");
            a.clear();
            assert_eq!((a.simhash(), a.total()), (0, 0));
        }
    }

    /// The bottom-k buffer against sorted insertion: uniform values (the
    /// histogram cuts hold), values with many repeats (they may not: then
    /// `finish` says so), and exact compaction alone, which always holds.
    #[test]
    fn bottom_matches_sorted_insertion() {
        let mut seed = 5;
        let mut fallbacks = 0;
        let mut quick = 0;
        for k in [1usize, 2, 3, 32, 40, 256] {
            for len in [
                0usize, 1, 10, 63, 64, 65, 127, 128, 129, 200, 1000, 3000, 20000,
            ] {
                for modulus in [1u64 << 32, 1 << 20, 500, 40, 3] {
                    let vs: Vec<u32> = (0..len)
                        .map(|i| {
                            // Runs of one value too, as repeated text gives.
                            if i % 7 < 3 {
                                7
                            } else {
                                (lcg(&mut seed) % modulus) as u32
                            }
                        })
                        .collect();
                    let mut want = Vec::new();
                    for &v in &vs {
                        add_to_sketch(&mut want, k, v);
                    }
                    let mut got = vec![7, 7];
                    let mut b = Bottom::new(&mut got, k);
                    for &v in &vs {
                        b.push(v);
                    }
                    if b.finish() {
                        quick += 1;
                        assert_eq!(got, want, "k {k} len {len} modulus {modulus}");
                    } else {
                        fallbacks += 1;
                    }
                    let mut exact = vec![9];
                    let mut b = Bottom::new(&mut exact, k);
                    b.exact_only = true;
                    for &v in &vs {
                        b.push(v);
                    }
                    assert!(b.finish());
                    assert_eq!(exact, want, "exact k {k} len {len} modulus {modulus}");
                }
            }
        }
        // Both paths ran.
        assert!(
            fallbacks > 0 && quick > 2 * fallbacks,
            "{quick} {fallbacks}"
        );
    }

    /// `analyze_folded` against a naive recomputation from the list of
    /// shingle hashes: per-chunk SimHashes by the wide-counter oracle,
    /// sorted-insertion sketch.
    #[test]
    fn analysis_matches_naive_recomputation() {
        let base = "市域铁路S3、S5、S11线加快建设，成都铁路枢纽环线开通公交化运营。The cat sat on the mat! ";
        let mut texts: Vec<String> = vec![
            String::new(),
            "短".into(),
            "成都平原经济区如何激荡率先发展的澎湃动能？".into(),
        ];
        for r in [1, 2, 5, 20, 200] {
            texts.push(base.repeat(r));
        }
        let mut seed = 9;
        let mut mixed = String::new();
        for _ in 0..3000 {
            mixed.push(char::from_u32(0x4E00 + (lcg(&mut seed) % 300) as u32).unwrap());
        }
        texts.push(mixed);
        // Repeats: the sketch's quick bounds fail and it is computed again.
        texts.push("金博体育".repeat(300));
        texts.push("金博体育。".repeat(50) + &"成都平原经济区".repeat(40));
        for (chunk_len, sketch_len, n) in
            [(8, 32, 3), (0, 32, 3), (4, 1, 1), (64, 256, 8), (600, 5, 2)]
        {
            let fp = Fingerprinter::builder()
                .chunk_len(chunk_len)
                .sketch_len(sketch_len)
                .shingle_len(n)
                .min_units(n)
                .max_chunks(1 << 20)
                .build()
                .unwrap();
            for t in &texts {
                let hs = naive_hashes(&fp, t);
                let a = fp.analyze(t, &[]);
                assert_eq!(a.shingles(), hs.len());
                assert_eq!(a.fingerprint(), simhash_of(hs.iter().copied()));
                assert_eq!(a.fingerprint(), fp.fingerprint(t));
                let mut sketch = Vec::new();
                for &h in &hs {
                    add_to_sketch(&mut sketch, sketch_len, (h >> 32) as u32);
                }
                assert_eq!(a.sketch(), &sketch[..]);
                let mut chunks = Vec::new();
                if chunk_len != 0 {
                    let mut cur = Vec::new();
                    for &h in &hs {
                        cur.push(h);
                        if cur.len() >= chunk_len / 2 && (h as u32) < fp.chunk_cut {
                            chunks.push(simhash_of(cur.drain(..)));
                        }
                    }
                    if cur.len() >= (chunk_len / 2).max(1) {
                        chunks.push(simhash_of(cur.drain(..)));
                    }
                }
                let mut seen = std::collections::HashSet::new();
                chunks.retain(|&c| c != a.fingerprint() && seen.insert(c));
                assert_eq!(a.chunks(), &chunks[..], "chunk_len {chunk_len} {t:?}");
            }
        }
    }

    /// Keeping the chunk keys with the smallest mixed values against sorting
    /// them all, for every `m` around the small-array limit, and through
    /// `analyze` on long text.
    #[test]
    fn smallest_keys_match_sorting() {
        let mut seed = 17;
        for len in [0usize, 1, 3, 4, 5, 8, 9, 20, 100] {
            let keys: Vec<u64> = (0..len).map(|_| lcg(&mut seed)).collect();
            for m in 0..12 {
                let mut want = keys.clone();
                want.sort_unstable_by_key(|&c| fmix64(c));
                want.truncate(m);
                let mut got = keys.clone();
                if got.len() > m {
                    keep_smallest_keys(&mut got, m);
                }
                if keys.len() > m {
                    assert_eq!(got, want, "len {len} m {m}");
                }
            }
        }
        let text: String = (0..1000)
            .map(|_| char::from_u32(0x4E00 + (lcg(&mut seed) % 300) as u32).unwrap())
            .collect();
        let all = Fingerprinter::builder()
            .max_chunks(1 << 20)
            .build()
            .unwrap()
            .analyze(&text, &[]);
        assert!(all.chunks().len() > 20);
        for m in [0, 1, 4, 8, 9, 20, 1000] {
            let mut want = all.chunks().to_vec();
            if want.len() > m {
                want.sort_unstable_by_key(|&c| fmix64(c));
                want.truncate(m);
            }
            let got = Fingerprinter::builder()
                .max_chunks(m)
                .build()
                .unwrap()
                .analyze(&text, &[]);
            assert_eq!(got.chunks(), &want[..], "m {m}");
        }
    }

    /// The straightforward unit reader: every character decoded by
    /// `char_indices`, every word boundary decided from scratch (at a mark of
    /// the offset map, a visible character of the original text lies between
    /// the source of the previous folded character and the mark's original
    /// offset), with binary searches instead of a cursor.
    fn naive_units(
        haystack: &str,
        folded: &Folded,
        masks: &[Range<usize>],
    ) -> Vec<(u64, usize, usize)> {
        let text = folded.as_str();
        let masked = |p: usize| masks.iter().any(|m| m.start <= p && p < m.end);
        let gap_before = |p: usize| {
            let Some(prev) = text[..p].chars().next_back() else {
                return false;
            };
            let op = folded.original_offset(p - prev.len_utf8());
            let end = op + haystack[op..].chars().next().map_or(0, char::len_utf8);
            // Folding removed something before `p` only where the offset
            // map jumps: at a mark.
            let Some(&(_, o)) = folded.marks().iter().find(|&&(f, _)| f == p) else {
                return false;
            };
            o > end
                && haystack[end..o]
                    .chars()
                    .any(|c| classify(c) != Class::Invisible)
        };
        let mut out = Vec::new();
        let mut word: Option<(u64, usize, usize)> = None;
        for (i, c) in text.char_indices() {
            if masked(i) {
                continue;
            }
            let class = classify(c);
            if class == Class::Text && !is_single_unit(c) {
                if word.is_some() && gap_before(i) {
                    out.extend(word.take());
                }
                let (mut h, s, _) = word.unwrap_or((FNV_OFFSET, i, i));
                for &b in c.to_string().as_bytes() {
                    h = (h ^ u64::from(b)).wrapping_mul(FNV_PRIME);
                }
                word = Some((h, s, i + c.len_utf8()));
            } else if class != Class::Invisible {
                out.extend(word.take());
                if class == Class::Text {
                    out.push((c as u64, i, i + c.len_utf8()));
                }
            }
        }
        out.extend(word);
        out
    }

    /// The gaps the fold records are the folded character starts (after
    /// the first) before which the original text had a visible character
    /// that folding removed, found from the offset map and the original
    /// text, under every folding setting: all of them except some before
    /// Han characters, which no word continues across.
    #[test]
    fn fold_gaps_match_offset_map() {
        let pieces = [
            "成",
            "經",
            "，",
            "。",
            " ",
            "  ",
            "\u{3000}",
            "\u{200b}",
            "\u{feff}",
            "a",
            "Z",
            "1",
            "Ａ",
            "⑩",
            "é",
            "-",
            ".",
            "!",
            "\n",
            "★",
            "😀",
            "ab cd",
            "a.b",
            "x\u{200b} y",
        ];
        let mut seed = 99;
        for bits in 0u32..16 {
            for noise in [0, 1, 2, 3, 255] {
                let mut folding = Folding::none();
                folding
                    .width(bits & 1 != 0)
                    .case(bits & 2 != 0)
                    .traditional(bits & 4 != 0)
                    .invisible(bits & 8 != 0)
                    .max_noise(noise);
                for _ in 0..60 {
                    let len = (lcg(&mut seed) % 30) as usize;
                    let t: String = (0..len)
                        .map(|_| pieces[(lcg(&mut seed) % pieces.len() as u64) as usize])
                        .collect();
                    let folded = fold(&t, &folding);
                    let s = folded.as_str();
                    let want: Vec<usize> = s
                        .char_indices()
                        .skip(1)
                        .map(|(p, _)| p)
                        .filter(|&p| {
                            let prev = s[..p].chars().next_back().unwrap();
                            let op = folded.original_offset(p - prev.len_utf8());
                            let end = op + t[op..].chars().next().map_or(0, char::len_utf8);
                            let o = folded.original_offset(p);
                            o > end && t[end..o].chars().any(|c| classify(c) != Class::Invisible)
                        })
                        .collect();
                    // No gap is recorded before a Han character (no word
                    // continues across it); every other one is.
                    let han = |p: usize| {
                        s[p..]
                            .chars()
                            .next()
                            .is_some_and(|c| ('\u{4000}'..='\u{9FFF}').contains(&c))
                    };
                    let got: Vec<usize> =
                        folded.gaps().iter().copied().filter(|&g| g > 0).collect();
                    assert!(got.iter().all(|g| want.contains(g)), "{t:?} {folding:?}");
                    let want_not_han: Vec<usize> =
                        want.iter().copied().filter(|&p| !han(p)).collect();
                    let got_not_han: Vec<usize> =
                        got.iter().copied().filter(|&p| !han(p)).collect();
                    assert_eq!(got_not_han, want_not_han, "{t:?} {folding:?}");
                    assert!(folded.gaps().windows(2).all(|w| w[0] < w[1]));
                }
            }
        }
    }

    /// The byte-level Han fast path and the fold's word boundaries
    /// against the naive reader, on generated mixed text, with every folding
    /// setting and with masks.
    #[test]
    fn units_match_naive_reader() {
        let pieces = [
            "成",
            "都",
            "经",
            "濟",
            "一",
            "龥",
            "㐀",
            "𠀀",
            "가",
            "カ",
            "ｶ",
            "ア",
            "、",
            "。",
            "，",
            "？",
            " ",
            "  ",
            "\u{3000}",
            "\u{200b}",
            "\u{feff}",
            "\u{ad}",
            "a",
            "Z",
            "s11",
            "2023",
            "café",
            "Ａ",
            "１",
            "ß",
            "İ",
            "-",
            "_",
            ".",
            "!",
            "\n",
            "\t",
            "é",
            "\u{301}",
            "ǅ",
            "★",
            "①",
            "Ⅻ",
            "™",
            "\u{fe0f}",
            "😀",
            "\u{e000}",
            "x\u{200b}y",
            "ab cd",
            "a.b",
        ];
        let foldings = {
            let mut v = Vec::new();
            for bits in 0u32..16 {
                for noise in [0, 1, 3] {
                    let mut f = Folding::none();
                    f.width(bits & 1 != 0)
                        .case(bits & 2 != 0)
                        .traditional(bits & 4 != 0)
                        .invisible(bits & 8 != 0)
                        .max_noise(noise);
                    v.push(f);
                }
            }
            v
        };
        let mut seed = 77;
        let mut texts: Vec<String> = vec![
            String::new(),
            "市域铁路S3、S5、S11线加快建设，成都铁路枢纽环线开通公交化运营。The cat sat on the mat! ".into(),
            "成都平原經濟區 如何激蕩率先發展的澎湃動能\u{200b}?".into(),
        ];
        for _ in 0..400 {
            let len = (lcg(&mut seed) % 40) as usize;
            texts.push(
                (0..len)
                    .map(|_| pieces[(lcg(&mut seed) % pieces.len() as u64) as usize])
                    .collect(),
            );
        }
        for folding in &foldings {
            for t in &texts {
                let folded = fold(t, folding);
                let n = folded.len() as u64;
                let mut mask_sets = vec![Vec::new()];
                if n > 0 {
                    let a = (lcg(&mut seed) % n) as usize;
                    let b = a + (lcg(&mut seed) % 7) as usize;
                    let c = (lcg(&mut seed) % n) as usize;
                    mask_sets.push(vec![a..b, c..c + 3]);
                }
                for masks in mask_sets {
                    let want = naive_units(t, &folded, &masks);
                    let mut gaps = Gaps::new(&folded, 0);
                    let mut got = Vec::new();
                    units(
                        folded.as_str(),
                        0,
                        &normalize(&masks),
                        &mut gaps,
                        |u, s, e| got.push((u, s, e)),
                    );
                    assert_eq!(got, want, "{t:?} {folding:?} {masks:?}");
                }
            }
        }
    }

    /// The blockwise window hashing of `fingerprint_folded` against the
    /// SimHash of the naive shingle hashes, for every shingle length, at
    /// lengths around the block boundaries, with and without masks.
    #[test]
    fn blockwise_fingerprint_matches_naive() {
        let mut seed = 41;
        for n in 1..=MAX_SHINGLE_LEN {
            let fp = Fingerprinter::builder()
                .shingle_len(n)
                .min_units(n)
                .build()
                .unwrap();
            let mut lens = vec![0, 1, n - 1, n, n + 1];
            for k in 1..4 {
                let b = n - 1 + BATCH * k;
                lens.extend([b - 1, b, b + 1, b + n]);
            }
            for len in lens {
                let t: String = (0..len)
                    .map(|i| match lcg(&mut seed) % 8 {
                        0 if len % 2 == 0 || i == 0 => " ab ".to_string(),
                        1 => "，".to_string(),
                        _ => char::from_u32(0x4E00 + (lcg(&mut seed) % 50) as u32)
                            .unwrap()
                            .to_string(),
                    })
                    .collect();
                let want = simhash_of(naive_hashes(&fp, &t));
                assert_eq!(fp.fingerprint(&t), want, "n {n} len {len}");
                // A mask: the fingerprint of the text with the span cut out.
                let folded = fold(&t, &fp.folding);
                if folded.len() > 10 && !t.contains('a') {
                    let cut = 3..folded.len() / 2;
                    let (a, b) = (cut.start, cut.end);
                    let (a, b) = (
                        (a..)
                            .find(|&i| folded.as_str().is_char_boundary(i))
                            .unwrap(),
                        (b..)
                            .find(|&i| folded.as_str().is_char_boundary(i))
                            .unwrap(),
                    );
                    let rest = format!("{}{}", &folded.as_str()[..a], &folded.as_str()[b..]);
                    let mask: Vec<Range<usize>> = std::iter::once(a..b).collect();
                    let got = fp.fingerprint_folded(&t, &folded, 0..folded.len(), &mask);
                    // Only characters and punctuation (no word boundaries
                    // in play): the cut text reads like the text cut out.
                    assert_eq!(got, simhash_of(naive_hashes(&fp, &rest)), "n {n} len {len}");
                }
            }
        }
    }

    /// The carry-save counting, groups of 16 and single hashes mixed, past
    /// every spill, against the wide counts of `simhash_of`.
    #[test]
    fn acc_matches_wide_counts() {
        let mut seed = 21;
        let lens = [
            0usize, 1, 15, 16, 17, 31, 32, 100, 127, 128, 129, 254, 255, 256, 300,
        ];
        for len in lens
            .into_iter()
            .chain([4079, 4080, 4096, 4097, 9000, 17000])
        {
            // Biased hashes, so that counts sit near the half.
            let hs: Vec<u64> = (0..len)
                .map(|i| lcg(&mut seed) & if i % 2 == 0 { u64::MAX } else { lcg(&mut seed) })
                .collect();
            let want = simhash_of(hs.iter().copied());
            // All single; all in groups; groups and singles interleaved.
            for split in [0usize, 1, 3] {
                let mut acc = Acc::new();
                let mut rest = &hs[..];
                let mut round = 0;
                while !rest.is_empty() {
                    round += 1;
                    if split != 0 && rest.len() >= 16 && round % split.max(1) == 0 {
                        acc.add16(rest[..16].try_into().unwrap());
                        rest = &rest[16..];
                    } else {
                        acc.add(rest[0]);
                        rest = &rest[1..];
                    }
                }
                assert_eq!(acc.finish(), want, "len {len} split {split}");
            }
            let mut acc = Acc::new();
            let mut groups = hs.chunks_exact(16);
            for g in &mut groups {
                acc.add16(g.try_into().unwrap());
            }
            for &h in groups.remainder() {
                acc.add(h);
            }
            assert_eq!(acc.finish(), want, "len {len} groups");
        }
    }
}
