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
//! [`FingerprinterBuilder::chunk_len`] shingles and keys each chunk:
//! a chunk ends after at least `chunk_len / 2` shingles, at the first shingle
//! whose hash's low 32 bits are below `2^32 / (chunk_len - chunk_len / 2)`.
//! The cut points depend only on the nearby text, not on punctuation or on
//! the position in the paragraph, so an edit changes the keys of the chunks
//! it touches and leaves the others equal. A last chunk shorter than
//! `chunk_len / 2` shingles gets no key of its own.
//!
//! A chunk's key ([`ChunkKeys`]) is by default the **sum of its shingle
//! hashes** modulo `2^64`, for exact look-ups: equal for a chunk of the
//! same shingles, unrelated otherwise. For look-ups within a Hamming
//! distance above 0 it is the chunk's SimHash instead. The paragraph's own
//! key among them ([`Analysis::key`]) is the same function of all its
//! shingles, so that a paragraph equal to a chunk of another finds it. A
//! pair of paragraphs is a candidate when a key of one matches a key of the
//! other, and candidates are confirmed by the Jaccard similarity of their
//! shingle sets, estimated from one-permutation MinHash sketches (see
//! [`sketch_jaccard`]).
//!
//! # Speed
//!
//! One pass over the folded text; no allocation per shingle. The unit reader
//! of the hot paths (`Reader`) appends unit values to a block on the stack:
//! runs of the common Han characters (U+4E00 to U+9FFF) are decoded straight
//! from their three bytes by a small loop of their own, two characters a
//! round with one range test each, ASCII letters and digits extend the open
//! word without decoding a `char`, and a word boundary is decided from the
//! list of gaps the fold recorded (the folded offsets where it removed
//! whitespace or punctuation), read with a forward cursor, without touching
//! the original text. A tight loop, specialised to the shingle length, then
//! hashes every window of the block by the chained definition.
//!
//! The paragraph's SimHash, in the fingerprint and in the analysis alike,
//! is counted 16 hashes at a time by carry-save adders into twelve bit
//! planes (each position's count as a 12-digit binary number; a paragraph's
//! last few hashes go through them as a group padded with zeros), and read
//! from them by one carry chain. The analysis takes a group of 16 hashes
//! at a time: the window loop adds each hash, as it makes it, to a running
//! prefix sum and to a mask of cut candidates (no branch on the hash); a
//! second loop reads the stored group into the sketch's bins (a shift, a
//! load, a minimum and a store each); and a loop over the candidates that
//! close a chunk keys each chunk by a difference of prefix sums. The exact
//! hash is the paragraph's sum. The `max_chunks` smallest chunk keys are
//! kept by a network of compare-exchanges (no branch on a key), falling
//! back to a threshold pass into a small sorted array when a kept key
//! repeats. With [`ChunkKeys::SimHash`] each chunk is counted in four bit
//! planes of its own instead (a ripple of seven operations a hash; a
//! chunk's majority is a carry chain of four steps).
//!
//! How the bins and cuts are arranged matters more than what they cost in
//! instructions. With a branch a hash for the cuts (mispredicted about
//! once a chunk) and the bins updated in the window loop (each bin's load
//! and store waiting for an address known only when the hash is made),
//! `analyze_folded` ran at 340 MiB/s where it now runs at 470 to 490 (the
//! bench's ratio lines, binaries alternated); either change alone gained
//! nothing measurable. Callgrind does not see this: it counts 11% more
//! instructions for the faster code.
//!
//! Measured with callgrind on the 4 MiB bench corpus (8,956 paragraphs,
//! 1.21 M shingles; `SPAMSIFT_BENCH_MIB=4 SPAMSIFT_FP_ONCE=NAME
//! valgrind --tool=callgrind --toggle-collect='*Fingerprinter::NAME*'
//! target/release/deps/fingerprint-* --bench`): `analyze_folded` took
//! 258.1 M instructions with its first definitions, 176.5 M with the same
//! definitions made faster (of which 36 M the chunks' SimHashes and key
//! choice, 30 M the bottom-32 sketch, over half of it sorting, and 6 M the
//! FNV-1a exact hash), and 99.9 M with the sums for chunk keys and exact
//! hash and the one-permutation sketch, and 110.9 M (but a quarter less
//! time) with the branch-free cuts, the bins apart and the key network. Of
//! those (callgrind's inclusive costs), 65.0 M are the window loop
//! (hashing, the carry-save counting, the sketch's bins, the chunk sums
//! and cuts; 54.0 M before), 19.1 M the Han loop, 6.2 M choosing the chunk
//! keys (6.4 M before), and the rest the reader's other steps and the
//! per-paragraph set-up and ends. `fingerprint_folded`: 103.4 M first,
//! 78.1 M with the same definitions made faster, 70.5 M with the padded
//! last group and the two-step ripple of the counter.

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
/// The default number of bins of a paragraph's sketch.
pub const DEFAULT_SKETCH_LEN: usize = 32;
/// The largest supported shingle length.
pub const MAX_SHINGLE_LEN: usize = 8;
/// The largest supported sketch length (number of bins).
pub const MAX_SKETCH_LEN: usize = 256;

/// What a chunk key is ([`FingerprinterBuilder::chunk_keys`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ChunkKeys {
    /// The sum of the chunk's shingle hashes, modulo `2^64`: equal for
    /// chunks of the same shingles, unrelated for any others, for exact
    /// look-ups (the [`Finder`](super::Finder)'s chunk keys at distance 0,
    /// its default). One addition a shingle.
    #[default]
    Exact,
    /// The SimHash of the chunk's shingle hashes (as the paragraph
    /// fingerprint is of all of them): near for chunks of nearly the same
    /// shingles, for look-ups within a Hamming distance above 0.
    SimHash,
}

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
pub const fn fmix64(mut k: u64) -> u64 {
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
    chunk_keys: ChunkKeys,
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
    chunk_keys: ChunkKeys,
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
            chunk_keys: ChunkKeys::default(),
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
    /// keeps those with the smallest keys (with [`ChunkKeys::SimHash`], the
    /// smallest [`fmix64`] values of the keys), a choice two copies make
    /// alike for the chunks they share. Default: 4.
    pub fn max_chunks(&mut self, n: usize) -> &mut Self {
        self.max_chunks = n;
        self
    }

    /// The number of bins of the sketch ([`Analysis::sketch`]), 1 to 256.
    /// Each costs 2 bytes per paragraph. Default: 32.
    pub fn sketch_len(&mut self, n: usize) -> &mut Self {
        self.sketch_len = n;
        self
    }

    /// What the chunk keys are: sums of their shingle hashes for exact
    /// look-ups, or SimHashes for look-ups by Hamming distance. The
    /// [`Finder`](super::Finder) sets this from its
    /// [`chunk_max_distance`](super::FinderBuilder::chunk_max_distance).
    /// Default: [`ChunkKeys::Exact`].
    pub fn chunk_keys(&mut self, kind: ChunkKeys) -> &mut Self {
        self.chunk_keys = kind;
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
            chunk_keys: self.chunk_keys,
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
    key: u64,
    exact: u64,
    chunks: Vec<u64>,
    sketch: Vec<u16>,
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

    /// The paragraph's key among chunk keys: the key a chunk of all its
    /// shingles would get, so that a paragraph that equals a chunk of
    /// another finds it. With [`ChunkKeys::Exact`] the sum of all its
    /// shingle hashes modulo `2^64` (0 without shingles); with
    /// [`ChunkKeys::SimHash`] the [`fingerprint`](Self::fingerprint).
    pub fn key(&self) -> u64 {
        self.key
    }

    /// The exact hash of the paragraph: [`fmix64`]`(s ^ units)`, where `s`
    /// is the sum of its shingle hashes modulo `2^64` (0 without
    /// shingles). Equal for texts of the same units (the folded text
    /// without whitespace, punctuation and masked spans), and otherwise
    /// (but by a chance of about `2^-64`) only for texts of the same number
    /// of units and the same multiset of shingles (`甲乙丙甲乙` and
    /// `乙丙甲乙丙`), which have Jaccard similarity 1: the
    /// finder matches short paragraphs by it alone, and an exact copy of a
    /// longer one without comparing sketches. (Earlier versions hashed the
    /// units by FNV-1a, 6 M instructions on the bench corpus that the sum,
    /// already made for the keys, spares.)
    pub fn exact(&self) -> u64 {
        self.exact
    }

    /// The chunk keys ([`ChunkKeys`]), distinct and different from the
    /// paragraph's [`key`](Self::key): in text order, or when there are more
    /// than `max_chunks`, the `max_chunks` chosen by a rule two copies apply
    /// alike to the chunks they share (the smallest keys for
    /// [`ChunkKeys::Exact`], the smallest [`fmix64`] values of the keys for
    /// [`ChunkKeys::SimHash`]), in that order. Empty when the paragraph is
    /// one chunk.
    pub fn chunks(&self) -> &[u64] {
        &self.chunks
    }

    /// The paragraph's [`key`](Self::key) followed by the chunk keys: what
    /// is looked up among the chunk keys of other paragraphs.
    pub fn keys(&self) -> impl Iterator<Item = u64> + '_ {
        std::iter::once(self.key).chain(self.chunks.iter().copied())
    }

    /// The one-permutation MinHash sketch of the shingle set, `sketch_len`
    /// bins: see [`sketch_jaccard`] for the definition. Empty for a short
    /// paragraph (fewer than `min_units` units),
    /// which the finder matches by its [`exact`](Self::exact) hash alone.
    pub fn sketch(&self) -> &[u16] {
        &self.sketch
    }
}

/// Estimates the Jaccard similarity of two shingle sets from their sketches
/// ([`Analysis::sketch`]): the share of bins where the two hold the same
/// value.
///
/// The sketch is one-permutation MinHash (Li, Owen and Zhang, 2012) with
/// optimal densification (Shrivastava, 2017). A shingle hash `h` falls in
/// bin `((h >> 32) * k) >> 32` of the `k` bins (its top bits when `k` is a
/// power of two), and a bin keeps its smallest hash. An empty bin `i` (when
/// some bin is not) takes the hash of the first non-empty bin among
/// `d(i, 1)`, `d(i, 2)`, ... `d(i, 16)`, where `d(i, j)` is the bin of
/// [`fmix64`]`(i << 32 | j)`, and failing those among `i + 1`, `i + 2`, ...
/// (modulo `k`). The sketch keeps the low 16 bits of each bin's hash (2
/// bytes a bin; the smallest hash of a bin is decided by its top bits, so
/// its low bits are uniform).
///
/// Bin `i` of two sketches is equal, 16-bit collisions aside, exactly when
/// in the first bin of `i`'s sequence that the union of the two sets
/// reaches, the union's smallest hash is in both sets. So every bin is
/// equal with chance `J`, the Jaccard similarity, and the estimate is
/// unbiased but for the collisions (at most `2^-16` too high). Its
/// root-mean-square error is at most `sqrt(J (1 - J) / k)` (0.088 at
/// `J = 0.5`, `k = 32`) when the union has at least `1.5 k` shingles, and
/// up to a quarter more for the smallest unions, whose densified bins
/// repeat others. Measured at `k = 32` on random sets (2,000 pairs each,
/// the test `sketch_estimate_error_is_within_its_bound`), at `J = 0.5`:
/// 0.106 for unions of 12 shingles, 0.096 of 24, 0.078 to 0.084 from 48 to
/// 1,000. (The bottom-32 sketch before it was exact up to 32 shingles, but
/// cost a sort per paragraph and 4 bytes a value.)
///
/// Two empty sketches have similarity 1, sketches of different lengths
/// (other settings) 0; a short paragraph's sketch is empty.
pub fn sketch_jaccard(a: &[u16], b: &[u16]) -> f64 {
    if a.len() != b.len() {
        return 0.0;
    }
    if a.is_empty() {
        return 1.0;
    }
    let same = a.iter().zip(b).filter(|(x, y)| x == y).count();
    same as f64 / a.len() as f64
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

    /// What the chunk keys are.
    pub fn chunk_keys(&self) -> ChunkKeys {
        self.chunk_keys
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
        let gaps = Gaps::new(folded, base);
        // Two phases per block: the unit reader only appends unit values to
        // a block on the stack (few live values in its branchy loop), and a
        // tight loop then hashes every window of the block into shingle
        // hashes and counts them.
        let n = self.shingle_len;
        let mut acc = Acc::new();
        let (_, short) = read_blocks(n, text, base, &masks, gaps, |units, _| {
            hash_windows(n, units, &mut acc)
        });
        if let Some(h) = short {
            // Fewer than `n` units in all: one shingle of them all.
            acc.add(h);
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
        // The sketch's buffer held every shingle hash on the way.
        out.sketch.shrink_to_fit();
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
        let gaps = Gaps::new(folded, base);
        out.chunks.clear();
        // Chunk keys only when some are kept: with `max_chunks` 0 or
        // `chunk_len` 0 the chunks are never cut.
        let chunking = self.chunk_len != 0 && self.max_chunks != 0;
        let input = (text, base, &masks[..], gaps);
        let default_bins = self.sketch_len == DEFAULT_SKETCH_LEN;
        match (self.chunk_keys, default_bins) {
            (ChunkKeys::Exact, true) => {
                let bins = DefaultBins::new(self.sketch_len);
                self.analyze_with(input, SumChunks::new(self, chunking), bins, out);
            }
            (ChunkKeys::Exact, false) => {
                let bins = AnyBins::new(self.sketch_len);
                self.analyze_with(input, SumChunks::new(self, chunking), bins, out);
            }
            (ChunkKeys::SimHash, true) => {
                let bins = DefaultBins::new(self.sketch_len);
                self.analyze_with(input, SimHashChunks::new(self, chunking), bins, out);
            }
            (ChunkKeys::SimHash, false) => {
                let bins = AnyBins::new(self.sketch_len);
                self.analyze_with(input, SimHashChunks::new(self, chunking), bins, out);
            }
        }
    }

    /// The body of [`analyze_folded`](Self::analyze_folded) for one kind of
    /// chunk keys and of sketch bins.
    #[inline(always)]
    fn analyze_with<C: Chunker, S: Sketch>(
        &self,
        (text, base, masks, gaps): (&str, usize, &[Range<usize>], Gaps<'_>),
        mut chunker: C,
        mut bins: S,
        out: &mut Analysis,
    ) {
        let mut para = Acc::new();
        let chunks = &mut out.chunks;
        // As in `fingerprint_folded`: the reader appends unit values to a
        // block, and every window of the block is hashed in a tight loop.
        let n = self.shingle_len;
        let (n_units, short) = read_blocks(n, text, base, masks, gaps, |units, _| {
            analyze_windows_n(n, units, &mut para, &mut chunker, &mut bins, chunks);
        });
        if let Some(h) = short {
            // Fewer than `n` units in all: one shingle of them all.
            para.add(h);
            chunker.take(&[h], &mut bins, chunks);
        }
        out.shingles = para.total as usize;
        out.fingerprint = para.finish();
        out.key = chunker.finish(chunks, out.fingerprint);
        if n_units >= self.min_units {
            bins.finish(&mut out.sketch);
        } else {
            // A short paragraph is matched by its exact hash alone: no
            // sketch to densify (the costliest part of a sketch of a few
            // shingles).
            out.sketch.clear();
        }
        out.units = n_units;
        out.exact = fmix64(chunker.sum() ^ n_units as u64);
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

/// Leaves the chunk keys that [`Analysis::chunks`] describes: the at most
/// `m` distinct keys other than the paragraph key `fp` with the smallest
/// `mix` values (`mix` a bijection: [`fmix64`] or the identity), in the
/// order of those values.
///
/// For `m` up to 8 (the default is 4) the best keys are kept in a small
/// sorted array. The mixed values are uniform, so of `s` keys about `m + 2
/// sqrt(m) + 2` are below `t = (m + 2 sqrt(m) + 2) / s` of the range, and
/// when `m` distinct ones are, the `m` smallest are among them: only those
/// are inserted, the others cost a comparison each (inserting every key
/// that beat the largest kept cost twice as much). With too few below `t`
/// (repeats, or bad luck) every key is looked at. (Earlier versions kept
/// the text order when there were at most `m`; the finder does not care
/// about the order.)
fn select_chunk_keys(chunks: &mut Vec<u64>, fp: u64, m: usize, mix: impl Fn(u64) -> u64) {
    const SMALL: usize = 8;
    if m == 0 {
        chunks.clear();
        return;
    }
    if m > SMALL {
        chunks.retain(|&c| c != fp);
        chunks.sort_unstable_by_key(|&c| mix(c));
        // Equal keys have equal mixed values: repeats are neighbours now.
        chunks.dedup();
        chunks.truncate(m);
        return;
    }
    // The default's length as a constant: the small loops unroll.
    if m == DEFAULT_MAX_CHUNKS {
        select_smallest::<DEFAULT_MAX_CHUNKS>(chunks, fp, mix);
    } else {
        select_smallest::<SMALL>(chunks, fp, mix);
        chunks.truncate(m);
    }
}

/// [`select_chunk_keys`] for `m` at most `M` (or `M` itself), keeping
/// `M`: the `M` smallest mixed values.
#[inline]
fn select_smallest<const M: usize>(chunks: &mut Vec<u64>, fp: u64, mix: impl Fn(u64) -> u64) {
    let want = M + 2 * M.isqrt() + 2;
    let s = chunks.len();
    // Below `2 want` keys the threshold would spare little.
    let t = if s >= 2 * want {
        (((want as u128) << 64) / s as u128) as u64
    } else {
        u64::MAX
    };
    // (mixed key, key), ascending by mixed key, distinct.
    let mut best = [(0u64, 0u64); M];
    let mut have = 0usize;
    for bound in [t, u64::MAX] {
        have = 0;
        for &c in chunks.iter() {
            let key = mix(c);
            // With `bound` the largest value, every key is looked at
            // (`u64::MAX` itself too, by the test of `best` below).
            if (key > bound) | (c == fp) || (have == M && key >= best[M - 1].0) {
                continue;
            }
            let mut i = have;
            while i > 0 && best[i - 1].0 > key {
                i -= 1;
            }
            if i > 0 && best[i - 1].0 == key {
                // A repeat (the mix is a bijection).
                continue;
            }
            if have < M {
                have += 1;
            }
            // The largest kept key drops out when the array was full.
            let mut j = have - 1;
            while j > i {
                best[j] = best[j - 1];
                j -= 1;
            }
            best[i] = (key, c);
        }
        if have == M || bound == u64::MAX {
            break;
        }
    }
    chunks.clear();
    chunks.extend(best[..have].iter().map(|b| b.1));
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

/// Sorted, merged, non-empty ranges: `masks` itself when they are (no
/// masks, or a scan's hits, which come sorted and apart), else a sorted and
/// merged copy.
fn normalize(masks: &[Range<usize>]) -> std::borrow::Cow<'_, [Range<usize>]> {
    if masks.iter().all(|r| r.start < r.end) && masks.windows(2).all(|w| w[0].end < w[1].start) {
        return std::borrow::Cow::Borrowed(masks);
    }
    let mut v: Vec<Range<usize>> = masks.iter().filter(|r| r.start < r.end).cloned().collect();
    v.sort_unstable_by_key(|r| r.start);
    let mut out: Vec<Range<usize>> = Vec::with_capacity(v.len());
    for r in v {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    std::borrow::Cow::Owned(out)
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

/// The room a block of units needs: `n - 1` carried over, `BATCH` more, and
/// one of slack, since one step of [`Reader::fill`] can end a word and add
/// the character after it.
const BLOCK: usize = MAX_SHINGLE_LEN - 1 + BATCH + 1;

/// The unit reader of the hot paths: the values [`units`] gives, appended
/// to a block on the stack until it is full, with the common cases in loops
/// of their own. [`units`] is the reference (and serves the callers that
/// need each unit's offsets); a test checks the two agree.
///
/// Runs of common Han characters, most of a Chinese text, are decoded
/// straight from their three bytes into the block, with one check of the
/// block's room and one of the text's end per character; ASCII letters and
/// digits extend the open word without decoding a `char`. Everything else
/// (other characters, masks, punctuation) goes through the general step.
struct Reader<'a> {
    text: &'a str,
    base: usize,
    masks: &'a [Range<usize>],
    /// The first mask that may still matter.
    mi: usize,
    /// The folded offset where the next mask starts.
    next_mask: usize,
    gaps: Gaps<'a>,
    /// The byte offset in `text` of the next character.
    at: usize,
    /// The FNV state of the open word, if any.
    word: Option<u64>,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str, base: usize, masks: &'a [Range<usize>], gaps: Gaps<'a>) -> Reader<'a> {
        Reader {
            text,
            base,
            masks,
            mi: 0,
            next_mask: masks.first().map_or(usize::MAX, |m| m.start),
            gaps,
            at: 0,
            word: None,
        }
    }

    /// Appends units to `buf` from `len` on until at least `full` (at most
    /// `full + 1`) are there, or the text ends. Returns the new length and
    /// whether the text may go on (`false`: it ended, the last word
    /// included).
    #[inline(always)]
    fn fill(&mut self, buf: &mut [u64; BLOCK], mut len: usize, full: usize) -> (usize, bool) {
        let full = full.min(BLOCK - 1);
        let bytes = self.text.as_bytes();
        // The state the loop changes, in locals (written back on return).
        let mut at = self.at;
        let base = self.base;
        let mut next_mask = self.next_mask;
        while len < full {
            let Some(&b0) = bytes.get(at) else {
                if let Some(h) = self.word.take() {
                    buf[len] = h;
                    len += 1;
                }
                self.at = at;
                self.next_mask = next_mask;
                return (len, false);
            };
            let pos = base + at;
            if pos < next_mask {
                if b0.is_ascii_alphanumeric() {
                    // A word character (folding left ASCII letters in lower
                    // case): a gap before it ends the open word.
                    let h = match self.word {
                        Some(h) if !self.gaps.at(pos) => h,
                        Some(h) => {
                            buf[len] = h;
                            len += 1;
                            FNV_OFFSET
                        }
                        None => FNV_OFFSET,
                    };
                    self.word = Some((h ^ u64::from(b0)).wrapping_mul(FNV_PRIME));
                    at += 1;
                    continue;
                }
                if let Some(u) = common_han(bytes, at) {
                    if let Some(h) = self.word.take() {
                        buf[len] = h;
                        len += 1;
                    }
                    buf[len] = u;
                    len += 1;
                    at += 3;
                    // The rest of the run: no word is open, and no mask
                    // starts before `limit`.
                    let limit = bytes.len().min(next_mask - base);
                    if at < limit && len < full {
                        let k = han_run(&bytes[at..limit], &mut buf[len..full]);
                        at += 3 * k;
                        len += k;
                    }
                    continue;
                }
            }
            // The general step, as in `units`.
            let Some(c) = self.text.get(at..).and_then(|t| t.chars().next()) else {
                at = bytes.len();
                continue;
            };
            at += c.len_utf8();
            if pos >= next_mask {
                let masks = self.masks;
                while self.mi < masks.len() && masks[self.mi].end <= pos {
                    self.mi += 1;
                }
                match masks.get(self.mi) {
                    Some(m) if m.start <= pos => continue,
                    Some(m) => next_mask = m.start,
                    None => next_mask = usize::MAX,
                }
            }
            let u = c as u32;
            if (0x4E00..=0x9FFF).contains(&u) {
                if let Some(h) = self.word.take() {
                    buf[len] = h;
                    len += 1;
                }
                buf[len] = u64::from(u);
                len += 1;
                continue;
            }
            let class = classify(c);
            if class == Class::Text && !is_single_unit(c) {
                let mut h = match self.word {
                    Some(h) if !self.gaps.at(pos) => h,
                    Some(h) => {
                        buf[len] = h;
                        len += 1;
                        FNV_OFFSET
                    }
                    None => FNV_OFFSET,
                };
                let mut utf8 = [0u8; 4];
                for &b in c.encode_utf8(&mut utf8).as_bytes() {
                    h = (h ^ u64::from(b)).wrapping_mul(FNV_PRIME);
                }
                self.word = Some(h);
                continue;
            }
            if class == Class::Invisible {
                continue;
            }
            if let Some(h) = self.word.take() {
                buf[len] = h;
                len += 1;
            }
            if class == Class::Text {
                buf[len] = u64::from(u);
                len += 1;
            }
        }
        self.at = at;
        self.next_mask = next_mask;
        (len, true)
    }
}

/// Decodes the run of common Han characters (U+4E00 to U+9FFF) at the
/// start of `run` into `slots`, as many as fit, and returns how many.
///
/// A function of its own, so that its few values live in registers: inside
/// the reader's loop the compiler kept the block's length and the text's
/// bounds on the stack, 36 instructions a character instead of 13. Two
/// characters a round, zipped with two free slots: one bound to check and
/// one loop count for both (17 instructions a character before, 14 after).
#[inline(never)]
fn han_run(run: &[u8], slots: &mut [u64]) -> usize {
    /// The code point of the three bytes `c` if they are a common Han
    /// character. With the marker bits left in, a character U+4E00 to
    /// U+9FFF is `raw - 0xE2080`, and no other three bytes of valid UTF-8
    /// starting at a character give a `raw` in that range: one test
    /// instead of the lead byte's and the value's.
    #[inline(always)]
    fn value(c: &[u8]) -> Option<u64> {
        let raw = (u32::from(c[0]) << 12) + (u32::from(c[1]) << 6) + u32::from(c[2]);
        (raw.wrapping_sub(HAN_RAW_MIN) < 0x5200)
            .then_some(u64::from(raw.wrapping_sub(HAN_RAW_OFFSET)))
    }
    let mut k = 0;
    for (c, s) in run.chunks_exact(6).zip(slots.chunks_exact_mut(2)) {
        let Some(a) = value(&c[..3]) else {
            return k;
        };
        s[0] = a;
        let Some(b) = value(&c[3..]) else {
            return k + 1;
        };
        s[1] = b;
        k += 2;
    }
    // At most one character or one slot is left over.
    if let (Some(c), Some(slot)) = (run.get(3 * k..3 * k + 3), slots.get_mut(k)) {
        if let Some(u) = value(c) {
            *slot = u;
            k += 1;
        }
    }
    k
}

/// The marker bits of a three-byte UTF-8 sequence read as
/// `(b0 << 12) + (b1 << 6) + b2`: `0xE0 << 12`, `0x80 << 6` and `0x80`.
const HAN_RAW_OFFSET: u32 = 0xE2080;
/// `raw` of U+4E00. With `b1` and `b2` continuation bytes (`0x80` to
/// `0xBF`, as valid UTF-8 has after a lead byte), `raw` within `0x5200` of
/// it means a lead byte `0xE4` to `0xE9`: `0xE3` reaches at most
/// `0xE607F`, `0xEA` starts at `0xEC080`, and no lead byte of another
/// length or ASCII byte (whatever follows it) comes near.
const HAN_RAW_MIN: u32 = HAN_RAW_OFFSET + 0x4E00;

/// Reads the units of `text` a block at a time and calls `block(units,
/// fresh)` for each block: `units` are the last `n - 1` units of the block
/// before (the start of the windows that straddle the two) followed by the
/// new ones, which start at `fresh`; every window of `n` units is in
/// exactly one block. Returns the number of units, and for a text of fewer
/// than `n` units (but some), the hash of its one shingle of them all.
#[inline(always)]
fn read_blocks(
    n: usize,
    text: &str,
    base: usize,
    masks: &[Range<usize>],
    gaps: Gaps<'_>,
    mut block: impl FnMut(&[u64], usize),
) -> (usize, Option<u64>) {
    let mut reader = Reader::new(text, base, masks, gaps);
    let mut buf = [0u64; BLOCK];
    let full = n - 1 + BATCH;
    let mut fresh = 0usize;
    let mut units = 0usize;
    loop {
        let (len, more) = reader.fill(&mut buf, fresh, full);
        units += len - fresh;
        if len > fresh {
            block(&buf[..len], fresh);
        }
        if !more {
            let short = (units > 0 && units < n).then(|| {
                let x = buf[1..len]
                    .iter()
                    .fold(buf[0], |x, &v| x.rotate_left(21) ^ v);
                fmix64(x)
            });
            return (units, short);
        }
        buf.copy_within(len - (n - 1)..len, 0);
        fresh = n - 1;
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
        let mut hashes = [0u64; 16];
        let mut r = 0;
        for (out, w) in hashes.iter_mut().zip(units[i..].windows(N)) {
            *out = chain::<N>(w);
            r += 1;
        }
        acc.add_some(&hashes, r);
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

    /// Counts `h`; the caller spills before `n` would pass 255. The tests'
    /// way to fill a counter; the analysis fills it from bit planes.
    #[cfg(test)]
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
    #[cfg(test)]
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

/// The per-shingle work of [`Fingerprinter::analyze_folded`] on the chunk
/// keys, a group of shingle hashes at a time, together with the sketch's
/// bins (so that the keys of [`ChunkKeys::Exact`] and the bins take each
/// hash in one loop). Two kinds, [`SumChunks`] and [`SimHashChunks`]: the
/// analysis is compiled for each, with no test of the kind per shingle.
trait Chunker {
    /// Takes the next shingle hashes: counts them into `bins`, and cuts and
    /// keys chunks into `chunks`.
    fn take<S: Sketch>(&mut self, hashes: &[u64], bins: &mut S, chunks: &mut Vec<u64>);

    /// Like [`take`](Self::take) for the 16 hashes `hash(0)` to `hash(15)`,
    /// written to `hashes` too, for the kinds that can take each hash as it
    /// is made (no second loop reading them back).
    #[inline(always)]
    fn take16<S: Sketch>(
        &mut self,
        hashes: &mut [u64; 16],
        bins: &mut S,
        chunks: &mut Vec<u64>,
        hash: impl Fn(usize) -> u64,
    ) {
        for (j, h) in hashes.iter_mut().enumerate() {
            *h = hash(j);
        }
        self.take(hashes, bins, chunks);
    }

    /// Ends the paragraph: keys its last chunk if it is long enough, leaves
    /// the chunk keys [`Analysis::chunks`] describes in `chunks`, and returns
    /// the paragraph's own key ([`Analysis::key`]) given its SimHash.
    fn finish(&mut self, chunks: &mut Vec<u64>, fingerprint: u64) -> u64;

    /// The sum of all the shingle hashes taken, modulo `2^64`.
    fn sum(&self) -> u64;
}

/// The keys of [`ChunkKeys::Exact`]: each chunk's sum of shingle hashes.
///
/// The hashes come in groups of up to 16 (the window loop's), and a group
/// is taken in three steps with no branch that depends on a hash: the loop
/// that makes the hashes adds each to a running prefix sum (kept in an
/// array) and to a mask of the cut candidates (hashes whose low 32 bits
/// are below the cut); a loop over the stored group adds each hash to its
/// bin; then a loop over the candidates that close a chunk long enough,
/// each found by a count of leading zeros, keys the chunk by a difference
/// of prefix sums and clears the candidates its successor would be too
/// short for. Testing every hash for a cut, as earlier versions did,
/// mispredicted about once a chunk (a quarter of the hashes pass the test,
/// at random).
struct SumChunks {
    /// Whether chunks are cut at all (else only the paragraph's sum).
    chunking: bool,
    chunk_min: usize,
    cut: u32,
    /// The sum and number of the shingles of the open chunk.
    open: u64,
    n: usize,
    /// The sum of all the shingles taken.
    total: u64,
    /// `max_chunks`.
    m: usize,
    /// The prefix sums of the group being taken.
    prefix: [u64; 16],
}

/// The top `32 - k` bits of a `u32` (none for `k >= 32`): in a mask of
/// cut candidates, the hashes from `k` on.
#[inline(always)]
fn bits_from(k: usize) -> u32 {
    u32::MAX.checked_shr(k.min(32) as u32).unwrap_or(0)
}

impl SumChunks {
    fn new(fp: &Fingerprinter, chunking: bool) -> SumChunks {
        SumChunks {
            chunking,
            chunk_min: fp.chunk_len / 2,
            cut: fp.chunk_cut,
            open: 0,
            n: 0,
            total: 0,
            m: fp.max_chunks,
            prefix: [0; 16],
        }
    }

    /// Takes the group of the `len` (1 to 16) hashes `hash(0)` to
    /// `hash(len - 1)` (chunking), writing each to `hashes` too.
    #[inline(always)]
    fn take_group<S: Sketch>(
        &mut self,
        len: usize,
        hashes: &mut [u64; 16],
        bins: &mut S,
        chunks: &mut Vec<u64>,
        hash: impl Fn(usize) -> u64,
    ) {
        debug_assert!((1..=16).contains(&len));
        let cut = self.cut;
        // `prefix[j]`: the sum of the group's hashes up to `j`; hash `j` a
        // candidate at bit `31 - j` of `cand` (shifted there below).
        // (In the struct, not zeroed a group.)
        let prefix = &mut self.prefix;
        let mut p = 0u64;
        let mut cand = 0u32;
        let mut step = |j: usize| {
            let h = hash(j & 15);
            hashes[j & 15] = h;
            p = p.wrapping_add(h);
            prefix[j & 15] = p;
            cand = (cand << 1) | u32::from((h as u32) < cut);
        };
        // Four a round: one loop count for four hashes.
        let mut j = 0;
        while j + 4 <= len {
            step(j);
            step(j + 1);
            step(j + 2);
            step(j + 3);
            j += 4;
        }
        while j < len {
            step(j);
            j += 1;
        }
        cand <<= 32 - len;
        // The bins from the stored hashes, in a loop of their own: see
        // `Bins`.
        for &h in &hashes[..len.min(16)] {
            bins.add(h);
        }
        self.total = self.total.wrapping_add(p);
        // A cut after hash `j` needs `n + j + 1 >= chunk_min`, where `n`
        // counts the open chunk's hashes before the group (after a cut in
        // the group at `j`, `-(j + 1)` modulo `2^64`), and a chunk of at
        // least one hash.
        let min = self.chunk_min.max(1);
        let mut n = self.n;
        cand &= bits_from(min.saturating_sub(n.saturating_add(1)));
        // After a cut at `j < 16` the next needs `j + min`: with `min`
        // clamped to 32 (a larger one leaves no candidate of the group
        // either) the shift of a 64-bit mask below stays under 64, no
        // test needed.
        let step = min.min(32);
        let mut cand = u64::from(cand) << 32;
        // The key of a chunk that ends at `j` is `open + prefix[j]`.
        let mut open = self.open;
        while cand != 0 {
            let j = cand.leading_zeros() as usize;
            let pj = self.prefix[j & 15];
            chunks.push(open.wrapping_add(pj));
            open = pj.wrapping_neg();
            n = (j + 1).wrapping_neg();
            cand &= u64::MAX >> (j + step);
        }
        self.open = open.wrapping_add(p);
        self.n = n.wrapping_add(len);
    }
}

impl Chunker for SumChunks {
    #[inline(always)]
    fn take<S: Sketch>(&mut self, hashes: &[u64], bins: &mut S, chunks: &mut Vec<u64>) {
        if !self.chunking {
            bins.add_all(hashes);
            self.total = hashes.iter().fold(self.total, |s, &h| s.wrapping_add(h));
            return;
        }
        let mut scratch = [0u64; 16];
        for group in hashes.chunks(16) {
            self.take_group(group.len(), &mut scratch, bins, chunks, |j| group[j]);
        }
    }

    #[inline(always)]
    fn take16<S: Sketch>(
        &mut self,
        hashes: &mut [u64; 16],
        bins: &mut S,
        chunks: &mut Vec<u64>,
        hash: impl Fn(usize) -> u64,
    ) {
        if !self.chunking {
            for (j, h) in hashes.iter_mut().enumerate() {
                *h = hash(j);
            }
            self.take(hashes, bins, chunks);
            return;
        }
        self.take_group(16, hashes, bins, chunks, hash);
    }

    fn sum(&self) -> u64 {
        self.total
    }

    fn finish(&mut self, chunks: &mut Vec<u64>, _fingerprint: u64) -> u64 {
        let key = self.sum();
        if !self.chunking {
            return key;
        }
        if self.n >= self.chunk_min.max(1) {
            chunks.push(self.open);
        }
        // The sums are uniform: the smallest are as good a choice as the
        // smallest mixed ones, without the mixing.
        if self.m != DEFAULT_MAX_CHUNKS || !smallest_by_network::<DEFAULT_MAX_CHUNKS>(chunks, key) {
            select_chunk_keys(chunks, key, self.m, |c| c);
        }
        key
    }
}

/// [`select_chunk_keys`] for `M` keys and the identity as the mix, without
/// a branch that depends on a key: each key other than `fp` goes through a
/// network of `M` compare-exchanges into a sorted array of the `M` smallest
/// so far (`u64::MAX` for none). Returns `false`, leaving `chunks` as they
/// were, in the rare cases the network alone does not decide: a key
/// repeated among the smallest (the array would keep both copies) or a key
/// `u64::MAX` (taken for none). The branchy selection mispredicted about
/// once a key (209 k of callgrind's simulated mispredictions on the bench
/// corpus; 13 k with the network).
#[inline]
fn smallest_by_network<const M: usize>(chunks: &mut Vec<u64>, fp: u64) -> bool {
    let mut best = [u64::MAX; M];
    let mut max_seen = false;
    for &c in chunks.iter() {
        max_seen |= c == u64::MAX;
        let mut x = if c == fp { u64::MAX } else { c };
        for slot in best.iter_mut() {
            let lo = x.min(*slot);
            x = x.max(*slot);
            *slot = lo;
        }
    }
    let repeat = best.windows(2).any(|w| w[0] == w[1] && w[0] != u64::MAX);
    if max_seen || repeat {
        return false;
    }
    let have = best.iter().filter(|&&b| b != u64::MAX).count();
    chunks.clear();
    chunks.extend_from_slice(&best[..have]);
    true
}

/// The keys of [`ChunkKeys::SimHash`]: each chunk's SimHash, counted in
/// bit planes (see [`ChunkCounter`]).
struct SimHashChunks {
    /// The sum of all the shingle hashes, for the exact hash.
    sum: u64,
    chunking: bool,
    max_chunks: usize,
    chunk_min: usize,
    cut: u32,
    chunk: ChunkCounter,
}

impl SimHashChunks {
    fn new(fp: &Fingerprinter, chunking: bool) -> SimHashChunks {
        SimHashChunks {
            sum: 0,
            chunking,
            max_chunks: fp.max_chunks,
            chunk_min: fp.chunk_len / 2,
            cut: fp.chunk_cut,
            chunk: ChunkCounter::new(),
        }
    }
}

impl Chunker for SimHashChunks {
    #[inline]
    fn take<S: Sketch>(&mut self, hashes: &[u64], bins: &mut S, chunks: &mut Vec<u64>) {
        bins.add_all(hashes);
        self.sum = hashes.iter().fold(self.sum, |s, &h| s.wrapping_add(h));
        if !self.chunking {
            return;
        }
        // The counter's state in locals for the loop: kept in the struct,
        // every step stored and reloaded it (the push below may alias it,
        // as far as the compiler knows), 31 instructions a shingle.
        let (chunk_min, cut) = (self.chunk_min, self.cut);
        let [mut p0, mut p1, mut p2, mut p3] = self.chunk.planes;
        let mut n = self.chunk.n;
        // The chunk length at which the planes are full (15 hashes).
        let mut flush_at = n + 15 - self.chunk.pending as usize;
        for &h in hashes {
            let c0 = p0 & h;
            p0 ^= h;
            let c1 = p1 & c0;
            p1 ^= c0;
            let c2 = p2 & c1;
            p2 ^= c1;
            p3 ^= c2;
            n += 1;
            if n == flush_at {
                self.chunk.planes = [p0, p1, p2, p3];
                self.chunk.pending = 15;
                self.chunk.n = n;
                self.chunk.flush();
                [p0, p1, p2, p3] = [0; 4];
                flush_at = n + 15;
            }
            if (h as u32) < cut && n >= chunk_min {
                let pending = (n + 15 - flush_at) as u32;
                let key = if n == pending as usize {
                    planes_majority(&[p0, p1, p2, p3], pending)
                } else {
                    self.chunk.planes = [p0, p1, p2, p3];
                    self.chunk.pending = pending;
                    self.chunk.n = n;
                    let key = self.chunk.simhash();
                    self.chunk.clear();
                    key
                };
                chunks.push(key);
                [p0, p1, p2, p3] = [0; 4];
                n = 0;
                flush_at = 15;
            }
        }
        self.chunk.planes = [p0, p1, p2, p3];
        self.chunk.pending = (n + 15 - flush_at) as u32;
        self.chunk.n = n;
    }

    fn finish(&mut self, chunks: &mut Vec<u64>, fingerprint: u64) -> u64 {
        if self.chunking && self.chunk.n >= self.chunk_min.max(1) {
            chunks.push(self.chunk.simhash());
        }
        select_chunk_keys(chunks, fingerprint, self.max_chunks, fmix64);
        fingerprint
    }

    fn sum(&self) -> u64 {
        self.sum
    }
}

/// Hashes every window of `N` consecutive values of `units` by the chained
/// definition, 16 at a time into an array on the stack, and hands each
/// group to the paragraph's carry-save counter and to the chunker (no
/// buffer of a block's hashes to set up per paragraph).
#[inline(always)]
fn analyze_windows<const N: usize, C: Chunker, S: Sketch>(
    units: &[u64],
    para: &mut Acc,
    chunker: &mut C,
    bins: &mut S,
    chunks: &mut Vec<u64>,
) {
    #[inline(always)]
    fn chain<const N: usize>(w: &[u64]) -> u64 {
        let mut x = w[0];
        for &v in &w[1..N] {
            x = x.rotate_left(21) ^ v;
        }
        fmix64(x)
    }
    let windows = units.len().saturating_sub(N - 1);
    let mut i = 0;
    // Every group writes all 16 before reading any: cleared once a block.
    let mut hashes = [0u64; 16];
    while i + 16 <= windows {
        let group = &units[i..i + 15 + N];
        chunker.take16(&mut hashes, bins, chunks, |j| chain::<N>(&group[j..j + N]));
        para.add16(&hashes);
        i += 16;
    }
    if i < windows {
        let mut hashes = [0u64; 16];
        let mut r = 0;
        for (out, w) in hashes.iter_mut().zip(units[i..].windows(N)) {
            *out = chain::<N>(w);
            r += 1;
        }
        para.add_some(&hashes, r);
        chunker.take(&hashes[..r], bins, chunks);
    }
}

/// [`analyze_windows`] for the shingle length `n`.
#[inline(always)]
fn analyze_windows_n<C: Chunker, S: Sketch>(
    n: usize,
    units: &[u64],
    para: &mut Acc,
    chunker: &mut C,
    bins: &mut S,
    chunks: &mut Vec<u64>,
) {
    match n {
        1 => analyze_windows::<1, C, S>(units, para, chunker, bins, chunks),
        2 => analyze_windows::<2, C, S>(units, para, chunker, bins, chunks),
        3 => analyze_windows::<3, C, S>(units, para, chunker, bins, chunks),
        4 => analyze_windows::<4, C, S>(units, para, chunker, bins, chunks),
        5 => analyze_windows::<5, C, S>(units, para, chunker, bins, chunks),
        6 => analyze_windows::<6, C, S>(units, para, chunker, bins, chunks),
        7 => analyze_windows::<7, C, S>(units, para, chunker, bins, chunks),
        _ => analyze_windows::<8, C, S>(units, para, chunker, bins, chunks),
    }
}

/// The per-bit counts of a chunk's hashes, for its SimHash.
///
/// Chunks are short (7 shingles on average with the defaults), so the
/// counts are kept as bit planes (bit `i` of `planes[j]` is binary digit
/// `j` of the count of bit `i`): adding a hash is a ripple of three ANDs and
/// four XORs over all 64 positions at once, and the majority of up to 14
/// hashes is read from the planes by a carry chain of four steps. Every 15
/// hashes the planes move to byte-wide counters, for the longer chunks.
struct ChunkCounter {
    planes: [u64; 4],
    /// Hashes in the planes, at most 14 between calls.
    pending: u32,
    /// Hashes in the chunk.
    n: usize,
    /// What the planes held before they filled.
    rest: Counter,
}

impl ChunkCounter {
    fn new() -> ChunkCounter {
        ChunkCounter {
            planes: [0; 4],
            pending: 0,
            n: 0,
            rest: Counter::new(),
        }
    }

    /// Counts `h`: the step [`SimHashChunks::take`] runs on locals.
    #[cfg(test)]
    fn add(&mut self, h: u64) {
        let [p0, p1, p2, p3] = self.planes;
        let c0 = p0 & h;
        let c1 = p1 & c0;
        let c2 = p2 & c1;
        self.planes = [p0 ^ h, p1 ^ c0, p2 ^ c1, p3 ^ c2];
        self.n += 1;
        self.pending += 1;
        if self.pending == 15 {
            self.flush();
        }
    }

    /// Moves the planes to the byte-wide counters.
    #[inline(never)]
    fn flush(&mut self) {
        if self.rest.n + self.pending > 255 {
            self.rest.spill();
        }
        let [p0, p1, p2, p3] = self.planes;
        let byte = |p: u64, k: usize| SPREAD[((p >> (8 * k)) & 0xff) as usize];
        for (k, lane) in self.rest.lanes.iter_mut().enumerate() {
            *lane += byte(p0, k) + (byte(p1, k) << 1) + (byte(p2, k) << 2) + (byte(p3, k) << 3);
        }
        self.rest.n += self.pending;
        self.planes = [0; 4];
        self.pending = 0;
    }

    /// The SimHash of the chunk: bit `i` set when more than half of its
    /// hashes have it.
    #[inline(always)]
    fn simhash(&mut self) -> u64 {
        if self.n == self.pending as usize {
            return planes_majority(&self.planes, self.pending);
        }
        self.flush();
        self.rest.simhash()
    }

    /// Forgets everything.
    #[inline]
    fn clear(&mut self) {
        if self.n != self.pending as usize {
            self.rest.clear();
        }
        self.planes = [0; 4];
        self.pending = 0;
        self.n = 0;
    }
}

/// The bits whose count, held in four bit planes (weights 1, 2, 4, 8), is
/// more than half of `n <= 15`: at least `m = n / 2 + 1`, that is where
/// adding the constant `16 - m` to the count carries out of the top plane.
/// The carry chain of that addition runs over all 64 positions at once: at
/// a digit where the constant has a 1 the carry out is `plane | carry`,
/// where it has a 0, `plane & carry`.
/// The constant's digits 0 to 2 come from a table (its digit 3 is always
/// 1: `16 - m >= 8`).
#[inline(always)]
fn planes_majority(planes: &[u64; 4], n: u32) -> u64 {
    static DIGITS: [[u64; 3]; 16] = {
        let mut t = [[0u64; 3]; 16];
        let mut n = 0;
        while n < 16 {
            let c = 16 - (n / 2 + 1);
            let mut i = 0;
            while i < 3 {
                t[n][i] = 0u64.wrapping_sub(((c >> i) & 1) as u64);
                i += 1;
            }
            n += 1;
        }
        t
    };
    let [p0, p1, p2, p3] = *planes;
    let [d0, d1, d2] = DIGITS[(n & 15) as usize];
    let carry = p0 & d0;
    let carry = (p1 & carry) | (d1 & (p1 | carry));
    let carry = (p2 & carry) | (d2 & (p2 | carry));
    p3 | carry
}

/// A bin of a [`Bins`] that no shingle fell in.
const EMPTY: u64 = u64::MAX;

/// The hashed donor sequence of an empty bin tried before the plain scan
/// of [`sketch_jaccard`]'s densification.
const DONOR_TRIES: u64 = 16;

/// The hashed donor sequences of the default sketch length, `d(i, j)` of
/// [`sketch_jaccard`]: a table look-up a try instead of a mixing.
static DEFAULT_DONORS: [[u8; DONOR_TRIES as usize]; DEFAULT_SKETCH_LEN] = {
    let mut t = [[0u8; DONOR_TRIES as usize]; DEFAULT_SKETCH_LEN];
    let mut i = 0;
    while i < DEFAULT_SKETCH_LEN {
        let mut j = 0;
        while j < DONOR_TRIES as usize {
            let x = fmix64(((i as u64) << 32) | (j as u64 + 1));
            t[i][j] = bin_of(x, DEFAULT_SKETCH_LEN) as u8;
            j += 1;
        }
        i += 1;
    }
    t
};

/// The bins of the one-permutation sketch ([`sketch_jaccard`] has the
/// definition) while a paragraph is read: each bin's smallest shingle hash.
///
/// A shingle costs a shift, a load, a minimum and a store, and no branch:
/// the bottom-k sketch before it gathered every value, picked the smallest
/// few once the number of shingles was known and sorted them, 30 M
/// instructions of 176 M on the bench corpus, over half of it sorting. The
/// analysis updates the bins from a stored group of hashes, whose addresses
/// the processor has early, not in the loop that makes the hashes (see the
/// module's notes on speed).
/// `CAP` bins are held; with `TOP` (then `k` is `CAP`, a power of two) the
/// bin is the hash's top bits, a shift by a constant and no bounds check,
/// else the multiply-shift of the definition (the same bins).
struct Bins<const CAP: usize, const TOP: bool> {
    min: [u64; CAP],
    k: usize,
}

/// The bins of the default sketch length.
type DefaultBins = Bins<DEFAULT_SKETCH_LEN, true>;
/// The bins of any other sketch length.
type AnyBins = Bins<MAX_SKETCH_LEN, false>;

/// What [`Bins`] do, for the analysis to be generic over its two kinds.
trait Sketch {
    /// Counts one shingle hash.
    fn add(&mut self, h: u64);

    /// Densifies the bins and writes the sketch to `out`: nothing when no
    /// shingle came.
    fn finish(&self, out: &mut Vec<u16>);

    #[inline(always)]
    fn add_all(&mut self, hashes: &[u64]) {
        for &h in hashes {
            self.add(h);
        }
    }
}

/// The bin of `x` among `k`: `((x >> 32) * k) >> 32`.
#[inline(always)]
const fn bin_of(x: u64, k: usize) -> usize {
    (((x >> 32) * k as u64) >> 32) as usize
}

impl<const CAP: usize, const TOP: bool> Bins<CAP, TOP> {
    fn new(k: usize) -> Self {
        debug_assert!((1..=CAP).contains(&k));
        debug_assert!(!TOP || (k == CAP && CAP.is_power_of_two() && CAP >= 2));
        Bins {
            min: [EMPTY; CAP],
            k,
        }
    }

    /// The value an empty bin `i` takes: that of the first non-empty bin of
    /// its sequence. Some bin is non-empty, so the scan ends.
    fn donor(&self, i: usize) -> u64 {
        let bins = &self.min[..self.k];
        if TOP && CAP == DEFAULT_SKETCH_LEN {
            for &d in &DEFAULT_DONORS[i % DEFAULT_SKETCH_LEN] {
                let v = bins[usize::from(d) % DEFAULT_SKETCH_LEN];
                if v != EMPTY {
                    return v;
                }
            }
        } else {
            for j in 1..=DONOR_TRIES {
                let v = bins[bin_of(fmix64(((i as u64) << 32) | j), self.k)];
                if v != EMPTY {
                    return v;
                }
            }
        }
        let k = self.k;
        (1..k)
            .map(|s| bins[(i + s) % k])
            .find(|&v| v != EMPTY)
            .unwrap_or(EMPTY)
    }
}

impl<const CAP: usize, const TOP: bool> Sketch for Bins<CAP, TOP> {
    #[inline(always)]
    fn add(&mut self, h: u64) {
        let b = if TOP {
            // `CAP = 2^s`: the top `s` bits, which is what the
            // multiply-shift gives for `k = 2^s`.
            (h >> (64 - CAP.trailing_zeros())) as usize
        } else {
            // `b < k <= CAP`: the mask only spares a bounds check.
            bin_of(h, self.k) & (CAP - 1)
        };
        self.min[b] = self.min[b].min(h);
    }

    fn finish(&self, out: &mut Vec<u16>) {
        out.clear();
        let bins = &self.min[..self.k];
        // Without a branch a bin: most paragraphs fill every bin.
        let empty = bins
            .iter()
            .fold(0usize, |n, &v| n + usize::from(v == EMPTY));
        if empty == 0 {
            out.extend(bins.iter().map(|&v| v as u16));
        } else if empty < bins.len() {
            out.extend(bins.iter().enumerate().map(|(i, &v)| {
                let v = if v == EMPTY { self.donor(i) } else { v };
                v as u16
            }));
        }
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
/// 1, 2, 4 and 8 across groups; the plane of weight 16 that comes out of a
/// group is added by a ripple of 15 operations into eight more planes, of
/// weight 16 to 2048 (a hash added alone ripples through all twelve). So
/// the planes hold each position's count as a 12-digit binary number, and
/// the SimHash of up to 4,080 hashes is read from them by one carry chain
/// (earlier versions spread the weight-16 plane to byte-wide counters every
/// group, eight table look-ups, and compared them position by position or
/// widened to 16 bits at the end, 500 to 1,800 instructions a paragraph).
/// Only every 255 ripples do the upper planes move to wide counters, which
/// very long paragraphs then sum.
pub(crate) struct Acc {
    /// Carry-save planes: bit `i` of `planes[j]` is binary digit `j` of the
    /// count of bit `i` since the upper planes last moved to `counts`.
    planes: [u64; 12],
    /// Ripples into the upper planes since they last moved, each adding at
    /// most 1 to a position's value there: at most 254 between calls, so
    /// they never carry out.
    ripples: u32,
    /// Wide counts of what the upper planes held, in units of 16: made at
    /// the first spill (a paragraph of over 4,080 shingles), so that the
    /// common paragraph does not clear 512 bytes for nothing.
    counts: Option<Box<[u64; 64]>>,
    total: u64,
}

impl Acc {
    pub(crate) fn new() -> Acc {
        Acc {
            planes: [0; 12],
            ripples: 0,
            counts: None,
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
        let [ones, twos, fours, eights, ..] = self.planes;
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
        self.planes[..4].copy_from_slice(&[o, t, f, e]);
        self.ripple_upper(s16);
        self.total += 16;
    }

    /// Adds the first `r` hashes of a group whose others are 0. A hash of
    /// 0 adds nothing to any count, so from three hashes on the group goes
    /// through the carry-save adders as a whole (about 100 instructions),
    /// where each hash alone rippled through all twelve planes (about 35):
    /// the tail of every paragraph, 2 M instructions on the bench corpus.
    #[inline(always)]
    fn add_some(&mut self, d: &[u64; 16], r: usize) {
        debug_assert!(r <= 16 && d[r..].iter().all(|&h| h == 0));
        if r >= 3 {
            self.add16(d);
            self.total -= (16 - r) as u64;
        } else {
            for &h in &d[..r] {
                self.add(h);
            }
        }
    }

    /// Adds `c` (weight 16) into the upper eight planes.
    #[inline(always)]
    fn ripple_upper(&mut self, mut c: u64) {
        // Weights 16 to 128 always; a carry of weight 256 and up needs a
        // count past 255, which a paragraph of a few hundred shingles never
        // reaches: one test that the branch predictor gets right, where a
        // test a plane (stopping where the carry died out) saved as many
        // instructions but mispredicted at every depth, and was slower.
        for p in &mut self.planes[4..8] {
            let carry = *p & c;
            *p ^= c;
            c = carry;
        }
        if c != 0 {
            for p in &mut self.planes[8..] {
                let carry = *p & c;
                *p ^= c;
                c = carry;
            }
        }
        self.ripples += 1;
        if self.ripples == 255 {
            self.spill();
        }
    }

    /// Moves the upper planes to the wide counters.
    #[inline(never)]
    fn spill(&mut self) {
        let counts = self.counts.get_or_insert_with(|| Box::new([0; 64]));
        for (i, count) in counts.iter_mut().enumerate() {
            let mut v = 0;
            for (j, &p) in self.planes[4..].iter().enumerate() {
                v |= ((p >> i) & 1) << j;
            }
            *count += v;
        }
        self.planes[4..].fill(0);
        self.ripples = 0;
    }

    /// Adds one hash.
    #[inline]
    fn add(&mut self, h: u64) {
        let [p0, p1, p2, p3, ..] = self.planes;
        let c0 = p0 & h;
        let c1 = p1 & c0;
        let c2 = p2 & c1;
        let c3 = p3 & c2;
        self.planes[..4].copy_from_slice(&[p0 ^ h, p1 ^ c0, p2 ^ c1, p3 ^ c2]);
        self.ripple_upper(c3);
        self.total += 1;
    }

    /// The SimHash of what was added: bit `i` set when more than half of the
    /// hashes have it set.
    pub(crate) fn finish(&mut self) -> u64 {
        let Some(counts) = &self.counts else {
            // Each position's count is the 12-digit number in the planes
            // (at most 254 ripples of at most 16: below 4096), and it is at
            // least `m = total / 2 + 1` exactly where adding `4096 - m`
            // carries out of the top digit: a carry chain over the planes,
            // all positions at once.
            let c = 4096 - (self.total / 2 + 1);
            let mut carry = 0u64;
            for (i, &p) in self.planes.iter().enumerate() {
                let one = 0u64.wrapping_sub((c >> i) & 1);
                carry = (p & carry) | (one & (p | carry));
            }
            return carry;
        };
        let mut out = 0u64;
        for (i, &c) in counts.iter().enumerate() {
            let mut v = 16 * c;
            for (j, &p) in self.planes.iter().enumerate() {
                v += ((p >> i) & 1) << j;
            }
            out |= u64::from(2 * v > self.total) << i;
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
        assert_eq!(sketch_jaccard(&[1, 2, 3, 4], &[1, 2, 3, 4]), 1.0);
        assert_eq!(sketch_jaccard(&[1, 2], &[3, 4]), 0.0);
        assert_eq!(sketch_jaccard(&[1, 2, 3, 4], &[1, 5, 3, 6]), 0.5);
        // The same values in other bins do not count.
        assert_eq!(sketch_jaccard(&[1, 2], &[2, 1]), 0.0);
        assert_eq!(sketch_jaccard(&[], &[]), 1.0);
        assert_eq!(sketch_jaccard(&[1], &[]), 0.0);
        assert_eq!(sketch_jaccard(&[1, 2], &[1, 2, 3]), 0.0);
    }

    /// The bound [`sketch_jaccard`] documents for the root-mean-square
    /// error, with 3% of room for the test's own sampling error (2,000
    /// trials measure it to about 1.6%).
    fn sketch_error_bound(j: f64, union: usize, k: usize) -> f64 {
        let base = (j * (1.0 - j) / k as f64).sqrt();
        let factor = if 2 * union >= 3 * k { 1.0 } else { 1.25 };
        1.03 * factor * base
    }

    /// The sketch of a list of shingle hashes by its definition in
    /// [`sketch_jaccard`], written out plainly: no shared helper but
    /// `fmix64`.
    fn naive_sketch(hashes: &[u64], k: usize) -> Vec<u16> {
        let mut bins: Vec<Option<u64>> = vec![None; k];
        for &h in hashes {
            let b = (((h >> 32) as u128 * k as u128) >> 32) as usize;
            bins[b] = Some(bins[b].map_or(h, |m| m.min(h)));
        }
        if bins.iter().all(Option::is_none) {
            return Vec::new();
        }
        (0..k)
            .map(|i| {
                let tries = (1..=16u64)
                    .map(|j| {
                        let x = fmix64(((i as u64) << 32) | j);
                        (((x >> 32) as u128 * k as u128) >> 32) as usize
                    })
                    .chain((0..k).map(|s| (i + s) % k));
                let v = std::iter::once(i)
                    .chain(tries)
                    .find_map(|b| bins[b])
                    .expect("a bin is not empty");
                v as u16
            })
            .collect()
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

    /// `len` hashes biased so that the counts of their bits sit near the
    /// half, where a counter's rounding decides.
    fn biased_hashes(seed: &mut u64, len: usize) -> Vec<u64> {
        (0..len)
            .map(|i| {
                lcg(seed)
                    & if i % 3 == 0 {
                        u64::MAX
                    } else {
                        lcg(seed) | 0xff00
                    }
            })
            .collect()
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
            let hs = biased_hashes(&mut seed, len);
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

    /// Both kinds of sketch bins against the naive definition, for hashes
    /// fed in blocks of every size: many shingles (every bin filled), few
    /// (densified bins, and the plain scan after the hashed tries when only
    /// one or two bins are filled), repeats, and every length around the
    /// powers of two.
    #[test]
    fn bins_match_naive_sketch() {
        fn run<S: Sketch>(mut bins: S, hashes: &[u64], block: usize) -> Vec<u16> {
            for part in hashes.chunks(block) {
                bins.add_all(part);
            }
            let mut out = vec![7, 7];
            bins.finish(&mut out);
            out
        }
        let mut seed = 5;
        let mut densified = 0;
        for k in [1usize, 2, 3, 5, 16, 31, 32, 33, 64, 100, 255, 256] {
            for len in [0usize, 1, 2, 3, 5, 10, 31, 32, 33, 100, 1000] {
                for distinct in [u64::MAX, 40, 3, 1] {
                    let pool: Vec<u64> = (0..len.min(64)).map(|_| lcg(&mut seed)).collect();
                    let hashes: Vec<u64> = (0..len)
                        .map(|i| {
                            if distinct == u64::MAX {
                                lcg(&mut seed)
                            } else {
                                pool[i % distinct.min(pool.len() as u64) as usize]
                            }
                        })
                        .collect();
                    let want = naive_sketch(&hashes, k);
                    assert_eq!(want.len(), if len == 0 { 0 } else { k });
                    densified += usize::from(len > 0 && len < k);
                    for block in [1usize, 4, 16, 65] {
                        let what = format!("k {k} len {len} distinct {distinct} block {block}");
                        assert_eq!(run(AnyBins::new(k), &hashes, block), want, "{what}");
                        if k == DEFAULT_SKETCH_LEN {
                            assert_eq!(run(DefaultBins::new(k), &hashes, block), want, "{what}");
                        }
                    }
                }
            }
        }
        assert!(densified > 50);
        // The table of donor bins is the hashed sequence of the definition.
        for (i, row) in DEFAULT_DONORS.iter().enumerate() {
            for (j, &d) in row.iter().enumerate() {
                let x = fmix64(((i as u64) << 32) | (j as u64 + 1));
                assert_eq!(usize::from(d), bin_of(x, DEFAULT_SKETCH_LEN), "{i} {j}");
            }
        }
    }

    /// The Jaccard estimate on random sets of known similarity: unbiased
    /// (mean error within 0.01 over 2,000 pairs), and its root-mean-square
    /// error within the bound [`sketch_jaccard`] states, at every size from
    /// a few shingles (heavy densification) to many.
    #[test]
    fn sketch_estimate_error_is_within_its_bound() {
        let mut seed = 31;
        let k = DEFAULT_SKETCH_LEN;
        for union in [12usize, 24, 48, 96, 200, 1000] {
            for j in [0.25f64, 0.5, 0.75] {
                let both = (j * union as f64).round() as usize;
                let only = (union - both) / 2;
                let union = both + 2 * only;
                let truth = both as f64 / union as f64;
                let (mut sum, mut squares) = (0.0, 0.0);
                let trials = 2000;
                for _ in 0..trials {
                    let shared: Vec<u64> = (0..both).map(|_| lcg(&mut seed)).collect();
                    let mut a = shared.clone();
                    let mut b = shared;
                    a.extend((0..only).map(|_| lcg(&mut seed)));
                    b.extend((0..only).map(|_| lcg(&mut seed)));
                    let (sa, sb) = (naive_sketch(&a, k), naive_sketch(&b, k));
                    let e = sketch_jaccard(&sa, &sb) - truth;
                    sum += e;
                    squares += e * e;
                }
                let (mean, rms) = (sum / trials as f64, (squares / trials as f64).sqrt());
                let bound = sketch_error_bound(truth, union, k);
                assert!(
                    mean.abs() < 0.01,
                    "union {union} j {truth:.3}: mean error {mean:.4}"
                );
                assert!(
                    rms <= bound,
                    "union {union} j {truth:.3}: rms error {rms:.4} above {bound:.4}"
                );
            }
        }
    }

    /// The majority read from bit planes and the chunk counter, past every
    /// flush of its planes, against the wide counts of `simhash_of`.
    #[test]
    fn chunk_counter_matches_wide_counts() {
        let mut seed = 13;
        for len in (0..100).chain([254, 255, 256, 270, 300, 511, 700]) {
            let hs = biased_hashes(&mut seed, len);
            let mut c = ChunkCounter::new();
            // Twice: `clear` forgets everything, flushed counts included.
            for round in 0..2 {
                for &h in &hs {
                    c.add(h);
                }
                assert_eq!(c.n, len);
                assert_eq!(
                    c.simhash(),
                    simhash_of(hs.iter().copied()),
                    "len {len} round {round}"
                );
                c.clear();
            }
            if len <= 15 {
                // Binary digit `i` of the count of each position, naively.
                let mut planes = [0u64; 4];
                for bit in 0..64 {
                    let count = hs.iter().filter(|&&h| (h >> bit) & 1 == 1).count();
                    for (i, p) in planes.iter_mut().enumerate() {
                        *p |= (((count >> i) & 1) as u64) << bit;
                    }
                }
                assert_eq!(
                    planes_majority(&planes, len as u32),
                    simhash_of(hs.iter().copied()),
                    "planes len {len}"
                );
            }
        }
    }

    /// Choosing the chunk keys against deduplicating them all and sorting,
    /// with repeats and the paragraph key among them, for every `m` around
    /// the default and the small-array limit, with either mix, and with
    /// enough keys that the threshold pass runs (and fails on repeats).
    #[test]
    fn chunk_key_selection_matches_dedup_then_sort() {
        fn check(mix: fn(u64) -> u64, name: &str) {
            let mut seed = 23;
            for len in [0usize, 1, 2, 3, 4, 5, 6, 8, 9, 12, 20, 21, 40, 100, 1000] {
                for pool in [2u64, 5, 12, 1000, u64::MAX] {
                    let pool_keys: Vec<u64> = (0..pool.min(1000)).map(|_| lcg(&mut seed)).collect();
                    let keys: Vec<u64> = (0..len)
                        .map(|_| {
                            if pool == u64::MAX {
                                lcg(&mut seed)
                            } else {
                                pool_keys[(lcg(&mut seed) % pool) as usize]
                            }
                        })
                        .collect();
                    let fp = keys.first().copied().unwrap_or(1);
                    for m in 0..12 {
                        let mut want: Vec<u64> = Vec::new();
                        for &c in &keys {
                            if c != fp && !want.contains(&c) {
                                want.push(c);
                            }
                        }
                        want.sort_unstable_by_key(|&c| mix(c));
                        want.truncate(m);
                        let mut got = keys.clone();
                        select_chunk_keys(&mut got, fp, m, mix);
                        assert_eq!(got, want, "{name}: len {len} pool {pool} m {m}");
                    }
                }
            }
        }
        check(|c| c, "identity");
        check(fmix64, "fmix64");
    }

    /// The compare-exchange network against dedup-then-sort, whenever it
    /// decides: repeats, the paragraph key, keys `u64::MAX` and fewer keys
    /// than kept; when it declines, `chunks` must be left as they were.
    #[test]
    fn network_selection_matches_dedup_then_sort() {
        let mut seed = 41;
        let mut decided = 0;
        for len in [0usize, 1, 2, 3, 4, 5, 7, 17, 40, 300] {
            for pool in [1u64, 3, 6, 50, u64::MAX] {
                for round in 0..20 {
                    let pool_keys: Vec<u64> = (0..pool.min(50)).map(|_| lcg(&mut seed)).collect();
                    let mut keys: Vec<u64> = (0..len)
                        .map(|_| match pool {
                            u64::MAX => lcg(&mut seed),
                            _ => pool_keys[(lcg(&mut seed) % pool) as usize],
                        })
                        .collect();
                    // Small keys, so that `u64::MAX` and the paragraph key
                    // are among the smallest now and then.
                    if round % 3 == 0 {
                        keys.iter_mut().for_each(|k| *k %= 9);
                    }
                    if round % 5 == 1 && len > 0 {
                        keys[0] = u64::MAX;
                    }
                    let fp = match round % 4 {
                        0 => keys.get(1).copied().unwrap_or(7),
                        1 => u64::MAX,
                        _ => lcg(&mut seed) % 9,
                    };
                    let mut want: Vec<u64> = Vec::new();
                    for &c in &keys {
                        if c != fp && !want.contains(&c) {
                            want.push(c);
                        }
                    }
                    want.sort_unstable();
                    want.truncate(DEFAULT_MAX_CHUNKS);
                    let mut got = keys.clone();
                    if smallest_by_network::<DEFAULT_MAX_CHUNKS>(&mut got, fp) {
                        decided += 1;
                        assert_eq!(got, want, "len {len} pool {pool} round {round} {keys:?}");
                    } else {
                        assert_eq!(got, keys, "declined but changed: {keys:?}");
                    }
                }
            }
        }
        // The network decides the common case itself.
        assert!(decided > 300, "{decided}");
    }

    /// `analyze_folded` against a naive recomputation from the list of
    /// shingle hashes: per-chunk sums and SimHashes (by the wide-counter
    /// oracle), the paragraph's key, the exact hash and the sketch by their
    /// definitions, for both kinds of chunk keys.
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
        // Repeats: repeated chunk keys, few distinct shingles.
        texts.push("金博体育".repeat(300));
        texts.push("金博体育。".repeat(50) + &"成都平原经济区".repeat(40));
        for kind in [ChunkKeys::Exact, ChunkKeys::SimHash] {
            for (chunk_len, sketch_len, n, max_chunks) in [
                (8, 32, 3, 1 << 20),
                (8, 32, 3, 4),
                (8, 32, 3, 0),
                (0, 32, 3, 4),
                (4, 1, 1, 2),
                (64, 256, 8, 1 << 20),
                (600, 5, 2, 7),
            ] {
                let fp = Fingerprinter::builder()
                    .chunk_len(chunk_len)
                    .sketch_len(sketch_len)
                    .shingle_len(n)
                    .min_units(n)
                    .max_chunks(max_chunks)
                    .chunk_keys(kind)
                    .build()
                    .unwrap();
                for t in &texts {
                    let what = format!("{kind:?} chunk_len {chunk_len} max {max_chunks} {t:?}");
                    let hs = naive_hashes(&fp, t);
                    let a = fp.analyze(t, &[]);
                    assert_eq!(a.shingles(), hs.len());
                    assert_eq!(a.fingerprint(), simhash_of(hs.iter().copied()));
                    assert_eq!(a.fingerprint(), fp.fingerprint(t));
                    let sketch = if a.units() < fp.min_units() {
                        Vec::new()
                    } else {
                        naive_sketch(&hs, sketch_len)
                    };
                    assert_eq!(a.sketch(), &sketch[..], "{what}");
                    let sum = hs.iter().fold(0u64, |s, &h| s.wrapping_add(h));
                    let folded = fold(t, &fp.folding);
                    let mut gaps = Gaps::new(&folded, 0);
                    let mut n_units = 0u64;
                    units(folded.as_str(), 0, &[], &mut gaps, |_, _, _| n_units += 1);
                    assert_eq!(a.units() as u64, n_units);
                    assert_eq!(a.exact(), fmix64(sum ^ n_units), "{what}");
                    let key_of = |c: &[u64]| match kind {
                        ChunkKeys::Exact => c.iter().fold(0u64, |s, &h| s.wrapping_add(h)),
                        ChunkKeys::SimHash => simhash_of(c.iter().copied()),
                    };
                    assert_eq!(a.key(), key_of(&hs), "{what}");
                    let mut chunks = Vec::new();
                    if chunk_len != 0 && max_chunks != 0 {
                        let mut cur = Vec::new();
                        for &h in &hs {
                            cur.push(h);
                            if cur.len() >= chunk_len / 2 && (h as u32) < fp.chunk_cut {
                                chunks.push(key_of(&cur));
                                cur.clear();
                            }
                        }
                        if cur.len() >= (chunk_len / 2).max(1) {
                            chunks.push(key_of(&cur));
                        }
                    }
                    let mut seen = std::collections::HashSet::new();
                    chunks.retain(|&c| c != a.key() && seen.insert(c));
                    let mix = |c: u64| match kind {
                        ChunkKeys::Exact => c,
                        ChunkKeys::SimHash => fmix64(c),
                    };
                    chunks.sort_unstable_by_key(|&c| mix(c));
                    chunks.truncate(max_chunks);
                    assert_eq!(a.chunks(), &chunks[..], "{what}");
                    let keys: Vec<u64> = a.keys().collect();
                    assert_eq!(keys[0], a.key());
                    assert_eq!(&keys[1..], a.chunks());
                }
            }
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
            // The ends of the Han fast path: U+9FFF is in it, U+A000 (a Yi
            // syllable, a word character) and U+4DFF are not.
            "\u{9fff}",
            "\u{a000}",
            "\u{4dff}",
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
                    // The block reader of the hot paths gives the same
                    // values, whatever the block size, and `read_blocks`
                    // hands every one on once, in blocks that overlap by
                    // `n - 1`.
                    let values: Vec<u64> = want.iter().map(|w| w.0).collect();
                    let norm = normalize(&masks);
                    for full in [1usize, 2, 3, 7, BATCH + 2] {
                        let mut reader =
                            Reader::new(folded.as_str(), 0, &norm, Gaps::new(&folded, 0));
                        let mut buf = [0u64; BLOCK];
                        let mut read = Vec::new();
                        loop {
                            let (len, more) = reader.fill(&mut buf, 0, full);
                            assert!(len <= full + 1 && (len >= full || !more));
                            read.extend_from_slice(&buf[..len]);
                            if !more {
                                break;
                            }
                        }
                        assert_eq!(read, values, "full {full} {t:?} {folding:?} {masks:?}");
                    }
                    for n in [1usize, 3, 8] {
                        let mut fresh_units = Vec::new();
                        let mut windows = Vec::new();
                        let (count, short) = read_blocks(
                            n,
                            folded.as_str(),
                            0,
                            &norm,
                            Gaps::new(&folded, 0),
                            |b, fresh| {
                                assert!(fresh == 0 || fresh == n - 1);
                                fresh_units.extend_from_slice(&b[fresh..]);
                                windows.extend(b.windows(n).map(<[u64]>::to_vec));
                            },
                        );
                        assert_eq!(fresh_units, values, "n {n} {t:?}");
                        assert_eq!(count, values.len());
                        let want_windows: Vec<Vec<u64>> =
                            values.windows(n).map(<[u64]>::to_vec).collect();
                        assert_eq!(windows, want_windows, "n {n} {t:?}");
                        let chain = |w: &[u64]| {
                            fmix64(w[1..].iter().fold(w[0], |x, &v| x.rotate_left(21) ^ v))
                        };
                        let want_short =
                            (!values.is_empty() && values.len() < n).then(|| chain(&values));
                        assert_eq!(short, want_short, "n {n} {t:?}");
                    }
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
