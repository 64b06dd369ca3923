//! Folding: one pass over the haystack that undoes the disguises spammers use,
//! keeping a map from every folded character back to the original bytes.
//!
//! Both detectors read the folded text: the keyword detector runs its automaton
//! over it, the fingerprinter takes its shingles from it. Offsets reported to
//! users are always offsets into the original text, so [`Folded::original_range`]
//! turns a range of the folded text back into the exact bytes it came from.
//!
//! # What is folded
//!
//! Each fold is switched by [`Folding`], all on by default:
//!
//! | fold | effect |
//! |---|---|
//! | width | full-width ASCII (`ＡＢＣ１２３`, `！`) → ASCII; the ideographic space U+3000 → ` `; circled, parenthesized, full-stop and dingbat digits and letters (`①`, `⑵`, `⒈`, `❶`, `ⓐ`) → ASCII digits and letters (`⑩` → `10`) |
//! | case | ASCII upper case → lower case (after width, so `Ｋ` → `k`) |
//! | traditional | traditional Chinese → simplified, one character to one character, from OpenCC's `TSCharacters` table (`體` → `体`) |
//! | invisible | zero-width and formatting characters are removed: U+00AD, U+034F, U+061C, U+180E, U+200B–U+200F, U+202A–U+202E, U+2060–U+2064, U+2066–U+2069, U+FEFF, variation selectors U+FE00–U+FE0F and U+E0100–U+E01EF, tag characters U+E0001 and U+E0020–U+E007F |
//! | noise | a run of at most `max_noise` noise characters (default 3) is removed; a longer run is kept as it is |
//!
//! *Noise* is whitespace other than line breaks, ASCII and CJK punctuation
//! except the sentence enders, symbols, dingbats, box drawing and emoji. Invisible
//! characters inside a run do not count towards its length. Sentence-ending
//! punctuation (`。！？!?｡‼⁇⁈⁉` and the small forms `﹒﹖﹗`) and line breaks are
//! never noise and never removed, so a keyword never matches across two
//! sentences or two lines.
//!
//! # The offset map
//!
//! The map is sparse: it holds a mark `(folded offset, original offset)` only
//! where the two stop advancing together, that is after a removed character or
//! where a fold changes a character's length in UTF-8 (`Ａ` is three bytes, `a`
//! one). Text that folds to itself costs nothing; Chinese text with its
//! punctuation removed costs one mark per punctuation mark.
//!
//! # How the fold is fast
//!
//! Characters that fold to themselves are copied in runs, one `push_str`
//! each, so the fold's cost is how fast it finds the next character that
//! does not. A tight loop passes three-byte characters (Han and CJK
//! punctuation, nearly all of Chinese text) four at a time, each with one
//! look-up in a table made for the current [`Folding`]: indexed by the
//! character's first two bytes as they are (one 16-bit load, no decoding),
//! a row of 64 bits picked by the third byte says whether it folds to
//! itself; the rows of every other leading byte are 0, so ASCII and two-
//! and four-byte characters stop the loop with no test of their own. The
//! loop hands back the bytes it stopped at, and a second table laid out
//! the same way says whether they are noise, the punctuation between two
//! runs of Han, which is then held back by its count alone. The classes of
//! the BMP, the width fold's characters and the bit sets the tables are
//! made of are computed by the compiler; the traditional fold's come from
//! its table's keys; a folding's table is built on its first use in about
//! 50,000 instructions. The tests compare the fold, text, marks and gaps,
//! with a character-by-character reference fold under 128 settings.
//!
//! Measured in instructions (`valgrind --tool=callgrind
//! --toggle-collect='*Folded::fill*'` over `SPAMSIFT_FOLD_ONCE=1
//! target/release/deps/fold-*`, the 4 MiB bench corpus folded once with
//! [`Folding::default`], `benches/fold.rs`): 87.0 M before (about 21 a
//! byte: the Han loop stopped at every punctuation mark, which then cost a
//! `classify` through its chain of ranges, a `fold_width` and a copy),
//! 28.4 M after (6.8 a byte; 5 a Han character, about 100 a punctuation
//! mark, most of it the copy of the run before it and its mark). In the
//! 4 MiB scan (`SPAMSIFT_BENCH_MIB=4 SPAMSIFT_SCAN_ONCE=1
//! target/release/deps/scan-* --bench`, `callgrind_annotate
//! --inclusive=yes`): 87.8 M before, 29.1 M after.

use std::ops::Range;
use std::sync::{Arc, OnceLock};

use super::t2s_table::t2s;

/// The largest supported `max_noise`.
pub const MAX_NOISE_LIMIT: usize = 255;

/// Which disguises to undo. All folds are on by default, with `max_noise` 3.
///
/// ```
/// use spamsift::text::{fold, Folding};
///
/// let folded = fold("金 博*體-育ＡＢＣ", &Folding::default());
/// assert_eq!(folded.as_str(), "金博体育abc");
///
/// let mut plain = Folding::none();
/// plain.case(true);
/// assert_eq!(fold("金 博ABC", &plain).as_str(), "金 博abc");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Folding {
    width: bool,
    case: bool,
    traditional: bool,
    invisible: bool,
    max_noise: usize,
}

impl Default for Folding {
    fn default() -> Folding {
        Folding {
            width: true,
            case: true,
            traditional: true,
            invisible: true,
            max_noise: 3,
        }
    }
}

impl Folding {
    /// Every fold on, `max_noise` 3: the same as [`Folding::default`].
    pub fn new() -> Folding {
        Folding::default()
    }

    /// Every fold off: the folded text is the haystack itself.
    pub fn none() -> Folding {
        Folding {
            width: false,
            case: false,
            traditional: false,
            invisible: false,
            max_noise: 0,
        }
    }

    /// Fold full-width ASCII, the ideographic space and enclosed digits and
    /// letters to ASCII. Default: on.
    pub fn width(&mut self, yes: bool) -> &mut Folding {
        self.width = yes;
        self
    }

    /// Fold ASCII upper case to lower case. Default: on.
    pub fn case(&mut self, yes: bool) -> &mut Folding {
        self.case = yes;
        self
    }

    /// Fold traditional Chinese characters to simplified ones. Default: on.
    pub fn traditional(&mut self, yes: bool) -> &mut Folding {
        self.traditional = yes;
        self
    }

    /// Remove zero-width and formatting characters. Default: on.
    pub fn invisible(&mut self, yes: bool) -> &mut Folding {
        self.invisible = yes;
        self
    }

    /// Remove runs of at most `n` noise characters (`n <= 255`); 0 turns the
    /// noise fold off. Default: 3. The value is checked by the builders that
    /// take a `Folding`; [`fold`] clamps it to [`MAX_NOISE_LIMIT`].
    pub fn max_noise(&mut self, n: usize) -> &mut Folding {
        self.max_noise = n;
        self
    }

    /// Whether the width fold is on.
    pub fn is_width(&self) -> bool {
        self.width
    }

    /// Whether the case fold is on.
    pub fn is_case(&self) -> bool {
        self.case
    }

    /// Whether the traditional → simplified fold is on.
    pub fn is_traditional(&self) -> bool {
        self.traditional
    }

    /// Whether invisible characters are removed.
    pub fn is_invisible(&self) -> bool {
        self.invisible
    }

    /// The longest run of noise characters that is removed (0: none is).
    pub fn noise_len(&self) -> usize {
        self.max_noise
    }

    /// Checks the settings, naming the value that is out of range.
    pub(crate) fn validate(&self) -> crate::Result<()> {
        if self.max_noise > MAX_NOISE_LIMIT {
            return Err(crate::Error::Config(format!(
                "max_noise {} is above the supported maximum {MAX_NOISE_LIMIT}",
                self.max_noise
            )));
        }
        Ok(())
    }
}

/// What a character is, before folding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    /// A zero-width or formatting character.
    Invisible,
    /// Sentence-ending punctuation or a line break: never removed.
    Barrier,
    /// Whitespace, punctuation, symbols, emoji.
    Noise,
    /// Everything else: letters, digits, Han characters.
    Text,
}

/// [`classify`] of every BMP character, one byte each: a look-up where the
/// chain of ranges costs a tenth of a skip through CJK text with its
/// punctuation (perf). Computed by the compiler, so that no scan pays for
/// building it.
static BMP_CLASSES: [Class; 0x10000] = {
    let mut t = [Class::Text; 0x10000];
    let mut u = 0;
    while u < 0x10000 {
        t[u as usize] = class_of(u);
        u += 1;
    }
    t
};

/// Classifies a character of the original text.
#[inline]
pub(crate) fn classify(c: char) -> Class {
    match BMP_CLASSES.get(c as usize) {
        Some(&class) => class,
        None => class_of(c as u32),
    }
}

/// [`classify`] of the code point `u`, by its ranges: the definition of the
/// classes, which [`BMP_CLASSES`] tabulates.
const fn class_of(u: u32) -> Class {
    if u < 0x80 {
        return ASCII_CLASS[u as usize];
    }
    match u {
        0x85
        | 0x2028
        | 0x2029
        | 0x3002
        | 0xFF01
        | 0xFF1F
        | 0xFF61
        | 0xFE52
        | 0xFE56
        | 0xFE57
        | 0x203C
        | 0x2047..=0x2049 => Class::Barrier,
        0xAD
        | 0x34F
        | 0x61C
        | 0x180E
        | 0x200B..=0x200F
        | 0x202A..=0x202E
        | 0x2060..=0x2064
        | 0x2066..=0x2069
        | 0xFEFF
        | 0xFE00..=0xFE0F
        | 0xE0001
        | 0xE0020..=0xE007F
        | 0xE0100..=0xE01EF => Class::Invisible,
        // Latin-1 punctuation and symbols, except the letters and digits among them.
        0xA0..=0xBF if !matches!(u, 0xAA | 0xB2 | 0xB3 | 0xB5 | 0xB9 | 0xBA) => Class::Noise,
        0xD7 | 0xF7 => Class::Noise,
        0x1680 | 0x2000..=0x200A | 0x202F | 0x205F => Class::Noise,
        // General punctuation, currency symbols, combining marks for symbols (keycaps).
        0x2010..=0x2027 | 0x2030..=0x205E | 0x20A0..=0x20FF => Class::Noise,
        // Arrows through miscellaneous symbols and arrows, except enclosed
        // alphanumerics and the dingbat digits, which the width fold reads.
        0x2190..=0x245F | 0x2500..=0x2775 | 0x2794..=0x2BFF => Class::Noise,
        // CJK symbols and punctuation, except the iteration and number marks.
        0x3000
        | 0x3001
        | 0x3003
        | 0x3008..=0x3011
        | 0x3012..=0x301F
        | 0x3020
        | 0x3030
        | 0x303D
        | 0x30FB => Class::Noise,
        // Vertical, compatibility and small forms.
        0xFE10..=0xFE19 | 0xFE30..=0xFE4F | 0xFE50..=0xFE6B => Class::Noise,
        // Full-width and half-width punctuation.
        0xFF02..=0xFF0F
        | 0xFF1A..=0xFF1E
        | 0xFF20
        | 0xFF3B..=0xFF40
        | 0xFF5B..=0xFF60
        | 0xFF62..=0xFF65
        | 0xFFE0..=0xFFEE => Class::Noise,
        // Emoji, mahjong, domino and playing cards, regional indicators, pictographs.
        0x1F000..=0x1FAFF => Class::Noise,
        _ => Class::Text,
    }
}

const ASCII_CLASS: [Class; 128] = {
    let mut t = [Class::Text; 128];
    let mut i = 0;
    while i < 128 {
        let b = i as u8;
        t[i] = if b == b'\n' || b == b'\r' || b == b'!' || b == b'?' {
            Class::Barrier
        } else if b.is_ascii_whitespace() || b == 0x0B || b.is_ascii_punctuation() {
            Class::Noise
        } else {
            Class::Text
        };
        i += 1;
    }
    t
};

/// The width fold of one character: `Some` ASCII text when it has one.
#[inline]
const fn fold_width(c: char) -> Option<Expansion> {
    let u = c as u32;
    Some(match u {
        0xFF01..=0xFF5E => Expansion::one((u - 0xFF01 + 0x21) as u8),
        0x3000 => Expansion::one(b' '),
        0x2460..=0x2473 => Expansion::number(u - 0x2460 + 1),
        0x2474..=0x2487 => Expansion::number(u - 0x2474 + 1),
        0x2488..=0x249B => Expansion::number(u - 0x2488 + 1),
        0x249C..=0x24B5 => Expansion::one(b'a' + (u - 0x249C) as u8),
        0x24B6..=0x24CF => Expansion::one(b'A' + (u - 0x24B6) as u8),
        0x24D0..=0x24E9 => Expansion::one(b'a' + (u - 0x24D0) as u8),
        0x24EA | 0x24FF => Expansion::number(0),
        0x24EB..=0x24F4 => Expansion::number(u - 0x24EB + 11),
        0x24F5..=0x24FE => Expansion::number(u - 0x24F5 + 1),
        0x2776..=0x277F => Expansion::number(u - 0x2776 + 1),
        0x2780..=0x2789 => Expansion::number(u - 0x2780 + 1),
        0x278A..=0x2793 => Expansion::number(u - 0x278A + 1),
        _ => return None,
    })
}

/// At most two ASCII characters that one character folds to.
#[derive(Clone, Copy, Debug)]
struct Expansion {
    bytes: [u8; 2],
    len: u8,
}

impl Expansion {
    const fn one(b: u8) -> Expansion {
        Expansion {
            bytes: [b, 0],
            len: 1,
        }
    }

    const fn number(n: u32) -> Expansion {
        if n < 10 {
            Expansion {
                bytes: [b'0' + n as u8, 0],
                len: 1,
            }
        } else {
            Expansion {
                bytes: [b'0' + (n / 10) as u8, b'0' + (n % 10) as u8],
                len: 2,
            }
        }
    }
}

/// Where a fold writes: the folded text with its offset map ([`Folded`]).
/// (A second sink once counted the fold's length for the keyword detector's
/// counting skip, which is gone: the lazy search no longer reports folded
/// offsets.)
trait Sink {
    /// Appends `haystack[from..to]`, characters that fold to themselves.
    fn copy(&mut self, haystack: &str, from: usize, to: usize);
    /// Appends `c`, the fold of the character at original offset `pos`.
    fn push(&mut self, pos: usize, c: char);
    /// Records that a short run of noise was removed right before the
    /// character about to be written.
    fn gap(&mut self);
    /// Notes that the character about to be written is one of the
    /// [`Stops`] the fold was asked for.
    fn stop(&mut self);
}

impl Sink for Folded {
    #[inline(always)]
    fn copy(&mut self, haystack: &str, from: usize, to: usize) {
        self.flush(haystack, from, to);
    }

    #[inline]
    fn push(&mut self, pos: usize, c: char) {
        if self.stops_of.as_ref().is_some_and(|s| s.contains(c)) {
            self.stop();
        }
        self.push_char(pos, c);
    }

    #[inline]
    fn gap(&mut self) {
        // Nothing is copied while a run is held back, so the character
        // about to be written starts at `text.len()`.
        self.gaps.push(self.text.len());
    }

    #[inline]
    fn stop(&mut self) {
        self.stops.push(self.text.len());
    }
}

/// The first character of the fold of `c` when it is not removed (as a
/// character of a keyword, or of a long run of noise, would be folded):
/// `Ａ` → `a`, `⑩` → `1`, `體` → `体`.
pub(crate) fn fold_first(c: char, folding: &Folding) -> char {
    if folding.width {
        if let Some(e) = fold_width(c) {
            let b = e.bytes[0];
            return if folding.case {
                b.to_ascii_lowercase() as char
            } else {
                b as char
            };
        }
    }
    let mut out = c;
    if folding.case {
        out = out.to_ascii_lowercase();
    }
    if folding.traditional && (c as u32) >= 0x3400 {
        out = t2s(out);
    }
    out
}

/// Appends the fold of `c`, found at original offset `pos`.
#[inline]
fn push_folded<S: Sink>(out: &mut S, pos: usize, c: char, folding: &Folding) {
    if folding.width && ('\u{FF01}'..='\u{FF5E}').contains(&c) {
        // Full-width ASCII, the width fold's common case, without the
        // look-up of `fold_width`.
        let b = (c as u32 - 0xFEE0) as u8;
        out.push(
            pos,
            char::from(if folding.case {
                b.to_ascii_lowercase()
            } else {
                b
            }),
        );
        return;
    }
    if folding.width {
        if let Some(e) = fold_width(c) {
            for &b in &e.bytes[..e.len as usize] {
                let mut b = b;
                if folding.case {
                    b = b.to_ascii_lowercase();
                }
                out.push(pos, b as char);
            }
            return;
        }
    }
    let mut folded = c;
    if folding.case {
        folded = folded.to_ascii_lowercase();
    }
    if folding.traditional && (c as u32) >= 0x3400 {
        folded = t2s(folded);
    }
    out.push(pos, folded);
}

/// One bit per BMP code point, bit `u & 63` of word `u >> 6`.
type BmpBits = [u64; 1024];

/// The BMP code points of class `class`.
const fn class_bits(class: Class) -> BmpBits {
    let mut bits = [0u64; 1024];
    let mut u = 0;
    while u < 0x10000 {
        if BMP_CLASSES[u] as u8 == class as u8 {
            bits[u >> 6] |= 1 << (u & 63);
        }
        u += 1;
    }
    bits
}

/// The noise of the BMP.
static NOISE_BITS: BmpBits = class_bits(Class::Noise);

/// The invisible characters of the BMP.
static INVISIBLE_BITS: BmpBits = class_bits(Class::Invisible);

/// The BMP characters that the width fold changes.
static WIDTH_BITS: BmpBits = {
    let mut bits = [0u64; 1024];
    let mut u = 0;
    while u < 0x10000 {
        if let Some(c) = char::from_u32(u) {
            if fold_width(c).is_some() {
                bits[(u >> 6) as usize] |= 1 << (u & 63);
            }
        }
        u += 1;
    }
    bits
};

/// The BMP characters from U+3400 on that the traditional fold changes
/// (it leaves everything below alone), from the keys of its tables.
fn traditional_bits() -> &'static BmpBits {
    static BITS: OnceLock<BmpBits> = OnceLock::new();
    BITS.get_or_init(|| {
        let mut bits = [0u64; 1024];
        for c in super::t2s_table::mapped_keys() {
            let u = c as usize;
            if (0x3400..0x10000).contains(&u) && t2s(c) != c {
                bits[u >> 6] |= 1 << (u & 63);
            }
        }
        bits
    })
}

/// Whether bit `u` of `bits` is set.
#[inline]
fn has_bit(bits: &BmpBits, u: u32) -> bool {
    bits.get((u >> 6) as usize)
        .is_some_and(|w| (w >> (u & 63)) & 1 != 0)
}

/// For every three-byte UTF-8 sequence `[b0, b1, b2]`, whether the character
/// folds to itself and ends a run of noise ([`folds_to_itself`]) under the
/// folds that `key` names ([`plain_key`]): bit `b2 & 63` of
/// `rows[u16::from_le_bytes([b0, b1])]`.
///
/// Indexing by the first two bytes as they are, without decoding, makes the
/// test of a Han character in the fold's tight loop a load of the row, a
/// shift and a bit test. The rows of every other leading byte (ASCII,
/// continuation bytes, two- and four-byte characters) are 0, so the loop
/// needs no test of its own for them. 512 KB of address space each, zeroed
/// by the allocator (untouched pages cost no memory); only the 4,096 rows of
/// the three-byte leading bytes E0 to EF are written (a row is the 64 code
/// points of one word of [`BmpBits`]), in 128 KB of pages. Built on first
/// use from the bit sets of the classes and folds, in about 50,000
/// instructions; one table for each combination of the width, traditional,
/// invisible and noise folds that is used.
fn plain_rows(key: usize) -> &'static Rows {
    static ROWS: [OnceLock<Box<Rows>>; 16] = [const { OnceLock::new() }; 16];
    ROWS[key & 15].get_or_init(|| {
        let on = |bit: usize, bits: &BmpBits, word: usize| {
            if key & bit != 0 { bits[word] } else { 0 }
        };
        let traditional = traditional_bits();
        let mut rows = vec![0u64; 1 << 16];
        for b0 in 0xE0..=0xEFu8 {
            for b1 in 0x80..=0xBFu8 {
                let word = (usize::from(b0 & 0x0F) << 6) | usize::from(b1 & 0x3F);
                // Overlong forms (below U+0800) and surrogates are not
                // UTF-8: no `&str` holds them.
                if word < 0x800 >> 6 || (0xD800 >> 6..0xE000 >> 6).contains(&word) {
                    continue;
                }
                let changed = on(1, &WIDTH_BITS, word)
                    | on(2, traditional, word)
                    | on(4, &INVISIBLE_BITS, word)
                    | on(8, &NOISE_BITS, word);
                rows[usize::from(u16::from_le_bytes([b0, b1]))] = !changed;
            }
        }
        rows.into_boxed_slice()
            .try_into()
            .expect("the rows have 1 << 16 entries")
    })
}

/// The three-byte noise characters, laid out as [`plain_rows`]: the fold
/// tells the punctuation that ends a run of Han from the bytes it has just
/// loaded, without decoding them.
fn noise_rows() -> &'static Rows {
    static ROWS: OnceLock<Box<Rows>> = OnceLock::new();
    ROWS.get_or_init(|| {
        let mut rows = vec![0u64; 1 << 16];
        for b0 in 0xE0..=0xEFu8 {
            for b1 in 0x80..=0xBFu8 {
                let word = (usize::from(b0 & 0x0F) << 6) | usize::from(b1 & 0x3F);
                if word >= 0x800 >> 6 {
                    rows[usize::from(u16::from_le_bytes([b0, b1]))] = NOISE_BITS[word];
                }
            }
        }
        rows.into_boxed_slice()
            .try_into()
            .expect("the rows have 1 << 16 entries")
    })
}

/// One bit for each three-byte sequence: see [`plain_rows`].
type Rows = [u64; 1 << 16];

/// The key of [`plain_rows`] for these settings, with the noise fold on when
/// `max_noise > 0`.
fn plain_key(folding: &Folding, max_noise: usize) -> usize {
    usize::from(folding.width)
        | usize::from(folding.traditional) << 1
        | usize::from(folding.invisible) << 2
        | usize::from(max_noise > 0) << 3
}

/// For every byte, whether it is an ASCII character that folds to itself and
/// ends a run of noise, indexed by `max_noise > 0` and the case fold:
/// `ASCII_PLAIN[noise | case << 1][b]`. False for every byte from 0x80 on.
static ASCII_PLAIN: [[bool; 256]; 4] = {
    let mut t = [[false; 256]; 4];
    let mut k = 0;
    while k < 4 {
        let (noise, case) = (k & 1 != 0, k & 2 != 0);
        let mut b = 0;
        while b < 128 {
            let class = ASCII_CLASS[b];
            let c = b as u8;
            t[k][b] =
                !(noise && matches!(class, Class::Noise)) && !(case && c.is_ascii_uppercase());
            b += 1;
        }
        k += 1;
    }
    t
};

/// A set of characters whose folded offsets a fold notes as it writes them
/// ([`Folded::refill_stopping`]): the first characters of a detector's
/// keywords, so that its search skips from one to the next without reading
/// the folded text again.
///
/// The fold's tight loops pass the characters that fold to themselves by
/// their tables ([`plain_rows`], [`ASCII_PLAIN`]); the set keeps copies of
/// those tables without its own characters, so that the loops stop at them
/// and cost no more a character than before. Any other character of the
/// set is noted where the fold writes it one by one. Built for one
/// [`Folding`], and used only with it.
pub(crate) struct Stops {
    folding: Folding,
    /// The rows of [`plain_rows`] for `folding`, without the set's
    /// three-byte characters.
    rows: Box<Rows>,
    /// The row of [`ASCII_PLAIN`] for `folding`, without the set's ASCII
    /// characters.
    ascii: [bool; 256],
    /// The set's BMP characters, a bit each.
    bits: Box<BmpBits>,
    /// Whether every character past the BMP is in the set.
    astral: bool,
}

impl Stops {
    /// The BMP characters for which `contains` holds, and all the others
    /// when `astral`, for folds with `folding`.
    pub(crate) fn new(folding: &Folding, contains: impl Fn(char) -> bool, astral: bool) -> Stops {
        let mut bits = Box::new([0u64; 1024]);
        for c in (0..=0xFFFF).filter_map(char::from_u32) {
            if contains(c) {
                let u = c as usize;
                bits[u >> 6] |= 1 << (u & 63);
            }
        }
        let max_noise = folding.max_noise.min(MAX_NOISE_LIMIT);
        let plain = plain_rows(plain_key(folding, max_noise));
        // As in `plain_rows`: the untouched rows stay unwritten pages.
        let mut rows: Box<Rows> = vec![0u64; 1 << 16]
            .into_boxed_slice()
            .try_into()
            .expect("the rows have 1 << 16 entries");
        for b0 in 0xE0..=0xEFu8 {
            for b1 in 0x80..=0xBFu8 {
                let i = usize::from(u16::from_le_bytes([b0, b1]));
                let word = (usize::from(b0 & 0x0F) << 6) | usize::from(b1 & 0x3F);
                rows[i] = plain[i] & !bits[word];
            }
        }
        let mut ascii = ASCII_PLAIN[usize::from(max_noise > 0) | usize::from(folding.case) << 1];
        for (b, plain) in ascii.iter_mut().enumerate().take(0x80) {
            *plain &= !has_bit(&bits, b as u32);
        }
        Stops {
            folding: *folding,
            rows,
            ascii,
            bits,
            astral,
        }
    }

    /// The heap memory held, in bytes (of the rows, only the pages of the
    /// three-byte characters are ever written).
    pub(crate) fn memory_usage(&self) -> usize {
        std::mem::size_of::<Rows>() + std::mem::size_of::<BmpBits>()
    }

    /// Whether `c` is in the set.
    #[inline]
    pub(crate) fn contains(&self, c: char) -> bool {
        let u = c as u32;
        if u > 0xFFFF {
            self.astral
        } else {
            has_bit(&self.bits, u)
        }
    }
}

impl std::fmt::Debug for Stops {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n: u32 = self.bits.iter().map(|w| w.count_ones()).sum();
        f.debug_struct("Stops")
            .field("folding", &self.folding)
            .field("bmp_chars", &n)
            .field("astral", &self.astral)
            .finish_non_exhaustive()
    }
}

/// Whether the character `c` of class `class` is written as it is and ends
/// a run of noise: it is neither removed (an invisible character with the
/// invisible fold on, noise with the noise fold on: these are the only ones
/// that do not end a run) nor changed by a fold; `noise` says whether the
/// noise fold is on.
#[inline]
fn folds_to_itself(c: char, class: Class, folding: &Folding, noise: bool) -> bool {
    match class {
        Class::Invisible if folding.invisible => false,
        Class::Noise if noise => false,
        _ => {
            !((folding.width && fold_width(c).is_some())
                || (folding.case && c.is_ascii_uppercase())
                || (folding.traditional && (c as u32) >= 0x3400 && t2s(c) != c))
        }
    }
}

/// What the fold does with one character that its tight loops do not pass.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Written as it is; ends a run of noise. Only two- and four-byte
    /// characters: the tight loops pass the others.
    Plain,
    /// Written as it is, ends a run of noise, and is one of the [`Stops`]
    /// (which the tight loops do not pass).
    Stop,
    /// Noise, with the noise fold on: held back until its run ends.
    Noise,
    /// An invisible character, with the invisible fold on: removed.
    Invisible,
    /// Changed by a fold; ends a run of noise.
    Changed(char),
}

/// The fold itself: one pass over `haystack`, writing to `out`.
///
/// Characters that fold to themselves are not written one by one: they are
/// copied in runs, `haystack[run..pos]`, when something else comes. Two
/// tight loops pass them: one for three-byte characters (Han and CJK
/// punctuation, most of Chinese text), one table look-up each
/// ([`plain_rows`]), and one for ASCII. Everything else is looked at one
/// character at a time; the same table tells three-byte noise (the
/// punctuation between two runs of Han) without decoding it.
///
/// A run of noise is held back, by its length alone, until its end shows
/// whether it is short enough to remove; once it is known to be long it is
/// written out as it is. A character that is neither noise nor removed ends
/// the run; a short run is dropped there, leaving a gap unless that
/// character is a Han character of U+4000 to U+9FFF that folds to itself.
///
/// With `stops`, the tight loops pass no character of the set: each is
/// written on its own as a [`Step::Stop`], and noted with [`Sink::stop`]
/// (or, when a fold changed it, by the sink as it is pushed).
fn fold_into<S: Sink>(
    out: &mut S,
    haystack: &str,
    folding: &Folding,
    max_noise: usize,
    stops: Option<&Stops>,
) {
    let bytes = haystack.as_bytes();
    let noise = max_noise > 0;
    let all_plain = plain_rows(plain_key(folding, max_noise));
    let noisy = noise_rows();
    let all_ascii = &ASCII_PLAIN[usize::from(noise) | usize::from(folding.case) << 1];
    // What the tight loops pass: every character that folds to itself, or
    // all those but the stops.
    let (plain, ascii) = match stops {
        Some(s) => (&*s.rows, &s.ascii),
        None => (all_plain, all_ascii),
    };
    let mut run = 0;
    let mut pos = 0;
    // The number of noise characters held back (invisible ones among them
    // are not counted), or `LONG` once the run is known to be long; and
    // where the first of them starts.
    const LONG: usize = usize::MAX;
    let (mut held, mut held_from) = (0usize, 0usize);
    loop {
        // Pass the characters that fold to themselves.
        let start = pos;
        // The bytes at `pos`, from `skip_plain`.
        let mut here;
        loop {
            (pos, here) = skip_plain(bytes, pos, plain);
            match bytes.get(pos) {
                Some(&b) if ascii[usize::from(b)] => pos += 1,
                _ => break,
            }
            while bytes.get(pos).is_some_and(|&b| ascii[usize::from(b)]) {
                pos += 1;
            }
        }
        if pos > start && held != 0 {
            // The first of them ends the run of noise before it.
            if held != LONG && !(0xE4..=0xE9).contains(&bytes[start]) {
                out.gap();
            }
            held = 0;
        }
        // The common case first: three-byte noise (CJK punctuation) in a
        // run still short, which is held back.
        if held < max_noise && (noisy[(here & 0xFFFF) as usize] >> ((here >> 16) & 63)) & 1 != 0 {
            out.copy(haystack, run, pos);
            if held == 0 {
                held_from = pos;
            }
            held += 1;
            pos += 3;
            run = pos;
            continue;
        }
        // Then one character that does not fold to itself (or one of two
        // or four bytes that does).
        let Some(&b) = bytes.get(pos) else {
            break;
        };
        let (step, width) = if b < 0x80 {
            let step = if noise && ASCII_CLASS[usize::from(b)] == Class::Noise {
                Step::Noise
            } else if all_ascii[usize::from(b)] {
                // It folds to itself, and the loops did not pass it.
                Step::Stop
            } else {
                Step::Changed(char::from(b))
            };
            (step, 1)
        } else if let Some(&[b0, b1, b2]) = bytes
            .get(pos..)
            .and_then(<[u8]>::first_chunk::<3>)
            .filter(|_| b & 0xF0 == 0xE0)
        {
            let u =
                (u32::from(b0 & 0x0F) << 12) | (u32::from(b1 & 0x3F) << 6) | u32::from(b2 & 0x3F);
            let step = if noise && has_bit(&NOISE_BITS, u) {
                Step::Noise
            } else if folding.invisible && has_bit(&INVISIBLE_BITS, u) {
                Step::Invisible
            } else if (all_plain[usize::from(u16::from_le_bytes([b0, b1]))] >> (b2 & 63)) & 1 != 0 {
                // It folds to itself, and the loops did not pass it.
                Step::Stop
            } else {
                Step::Changed(char::from_u32(u).unwrap_or_default())
            };
            (step, 3)
        } else {
            let c = char_at(haystack, pos);
            let class = classify(c);
            let step = match class {
                Class::Invisible if folding.invisible => Step::Invisible,
                Class::Noise if noise => Step::Noise,
                _ if folds_to_itself(c, class, folding, noise) => {
                    if stops.is_some_and(|s| s.contains(c)) {
                        Step::Stop
                    } else {
                        Step::Plain
                    }
                }
                _ => Step::Changed(c),
            };
            (step, c.len_utf8())
        };
        match step {
            Step::Plain => {
                // It ends the run of noise held back, if any.
                if held != 0 && held != LONG {
                    out.gap();
                }
                held = 0;
                pos += width;
                continue;
            }
            Step::Stop => {
                // As where the tight loops pass it: it ends the run of
                // noise, with a gap unless it is Han. It starts the run
                // copied next.
                if held != 0 && held != LONG && !(0xE4..=0xE9).contains(&b) {
                    out.gap();
                }
                held = 0;
                out.copy(haystack, run, pos);
                run = pos;
                out.stop();
                pos += width;
                continue;
            }
            Step::Invisible => out.copy(haystack, run, pos),
            Step::Noise => {
                out.copy(haystack, run, pos);
                if held == LONG {
                    out.push(pos, char_at(haystack, pos));
                } else if held < max_noise {
                    if held == 0 {
                        held_from = pos;
                    }
                    held += 1;
                } else {
                    // The run turns out long: write it as it is, without
                    // the invisible characters among it.
                    held = LONG;
                    for (i, h) in haystack[held_from..pos + width].char_indices() {
                        if !(folding.invisible && classify(h) == Class::Invisible) {
                            out.push(held_from + i, h);
                        }
                    }
                }
            }
            Step::Changed(c) => {
                if held != 0 && held != LONG {
                    out.gap();
                }
                held = 0;
                out.copy(haystack, run, pos);
                push_folded(out, pos, c, folding);
            }
        }
        pos += width;
        run = pos;
    }
    out.copy(haystack, run, bytes.len());
}

/// The offset of the first character from `pos` on that is not a three-byte
/// character that folds to itself by `plain` ([`plain_rows`]), and the
/// three bytes there as the low bytes of a word (0 when fewer remain), for
/// the caller to test with the same kind of table.
///
/// Four characters at a time: two loads of eight bytes give them all (the
/// two bytes that pick each one's row, the byte that picks its bit), so a
/// character costs a load of its row, a few shifts and a bit test.
#[inline(always)]
fn skip_plain(bytes: &[u8], pos: usize, plain: &Rows) -> (usize, u64) {
    let mut at = pos;
    while at + 12 <= bytes.len() {
        let c: &[u8; 12] = bytes[at..at + 12].try_into().expect("12 bytes");
        for k in [0, 3, 6, 9] {
            // One 16-bit load picks the row, one byte load the bit.
            let i = u16::from_le_bytes(*c[k..].first_chunk::<2>().expect("k + 3 <= 12"));
            let b2 = c[k + 2];
            if (plain[usize::from(i)] >> (b2 & 63)) & 1 == 0 {
                return (at + k, u64::from(i) | u64::from(b2) << 16);
            }
        }
        at += 12;
    }
    while let Some(&[b0, b1, b2]) = bytes.get(at..).and_then(<[u8]>::first_chunk::<3>) {
        let i = u16::from_le_bytes([b0, b1]);
        if (plain[usize::from(i)] >> (b2 & 63)) & 1 == 0 {
            return (at, u64::from(i) | u64::from(b2) << 16);
        }
        at += 3;
    }
    (at, 0)
}

/// The character of `haystack` that starts at `pos`.
#[inline]
fn char_at(haystack: &str, pos: usize) -> char {
    haystack[pos..].chars().next().unwrap_or_default()
}

/// Text after folding, with the map back to the original byte offsets.
///
/// Build one with [`fold`], or keep one around and refill it with
/// [`Folded::refill`] to reuse its buffers across documents.
#[derive(Clone, Debug, Default)]
pub struct Folded {
    text: String,
    /// `(folded offset, original offset)`: from each mark on, both advance
    /// together until the next mark. The first mark is always `(0, 0)`.
    marks: Vec<(usize, usize)>,
    /// `original - folded` (wrapping) after the last mark: the fold checks
    /// with it whether it needs a mark, without reading the last one.
    skew: usize,
    /// The folded offsets of the characters right after a removed run of
    /// noise (a removed visible character), increasing; see [`Folded::gaps`].
    gaps: Vec<usize>,
    /// The folded offsets of the characters of `stops_of`, increasing.
    stops: Vec<usize>,
    /// The set whose characters `stops` lists, if the last fill noted one.
    stops_of: Option<Arc<Stops>>,
}

/// Folds `haystack`, returning the folded text and its offset map.
///
/// Never fails and never panics: every `&str` folds, in one pass, in time and
/// memory linear in its length.
pub fn fold(haystack: &str, folding: &Folding) -> Folded {
    let mut folded = Folded::default();
    folded.refill(haystack, folding);
    folded
}

/// Folds a dictionary entry: like [`fold`], except that, with the noise fold
/// on, every noise character is removed whatever the length of its run.
pub(crate) fn fold_keyword(entry: &str, folding: &Folding) -> String {
    let mut folded = Folded::default();
    let limit = if folding.max_noise > 0 { usize::MAX } else { 0 };
    folded.fill(entry, folding, limit, None);
    folded.text
}

impl Folded {
    /// Replaces the contents with the folding of `haystack`, reusing the buffers.
    pub fn refill(&mut self, haystack: &str, folding: &Folding) {
        self.stops_of = None;
        self.fill(
            haystack,
            folding,
            folding.max_noise.min(MAX_NOISE_LIMIT),
            None,
        );
    }

    /// Like [`Folded::refill`] with the folding `stops` was built for,
    /// noting the folded offsets of the characters of `stops` on the way
    /// ([`Folded::stops`]).
    pub(crate) fn refill_stopping(&mut self, haystack: &str, stops: &Arc<Stops>) {
        let folding = stops.folding;
        if folding == Folding::none() {
            // No fold to note them in: the caller reads the text itself.
            self.refill(haystack, &folding);
            return;
        }
        if !self
            .stops_of
            .as_ref()
            .is_some_and(|s| Arc::ptr_eq(s, stops))
        {
            self.stops_of = Some(Arc::clone(stops));
        }
        let max_noise = folding.max_noise.min(MAX_NOISE_LIMIT);
        self.fill(haystack, &folding, max_noise, Some(stops));
    }

    /// The folded offsets of the characters of `stops`, in increasing
    /// order, if the last fill noted them ([`Folded::refill_stopping`] with
    /// that very set).
    pub(crate) fn stops(&self, stops: &Arc<Stops>) -> Option<&[usize]> {
        self.stops_of
            .as_ref()
            .filter(|s| Arc::ptr_eq(s, stops))
            .map(|_| &self.stops[..])
    }

    fn fill(&mut self, haystack: &str, folding: &Folding, max_noise: usize, stops: Option<&Stops>) {
        self.text.clear();
        self.marks.clear();
        self.gaps.clear();
        self.stops.clear();
        self.text.reserve(haystack.len());
        self.marks.push((0, 0));
        self.skew = 0;
        if *folding == Folding::none() {
            // Every character folds to itself.
            self.text.push_str(haystack);
            return;
        }
        fold_into(self, haystack, folding, max_noise, stops);
        // Mark the end, so that `original_offset(len)` is the end of the last
        // folded character's source even when folding changed its length
        // (`Ａ` → `a`, or `釲` → a 4-byte character): without the mark the end
        // mapped inside `Ａ`, or past the end of the haystack.
        if let Some((i, _)) = self.text.char_indices().next_back() {
            let start = self.original_offset(i);
            let end = start + haystack[start..].chars().next().map_or(0, char::len_utf8);
            self.align(end);
        }
    }

    /// Marks the map if the next folded character, whose source starts at
    /// original offset `pos`, does not follow on from the last mark.
    #[inline(always)]
    fn align(&mut self, pos: usize) {
        let len = self.text.len();
        if len.wrapping_add(self.skew) != pos {
            self.marks.push((len, pos));
            self.skew = pos.wrapping_sub(len);
        }
    }

    /// Copies `haystack[from..to]`, characters that fold to themselves.
    #[inline(always)]
    fn flush(&mut self, haystack: &str, from: usize, to: usize) {
        if from < to {
            self.align(from);
            self.text.push_str(&haystack[from..to]);
        }
    }

    /// Appends `out`, whose source character starts at original offset `pos`,
    /// marking the map where the two texts stop advancing together.
    #[inline]
    fn push_char(&mut self, pos: usize, out: char) {
        self.align(pos);
        self.text.push(out);
    }

    /// The folded text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The length of the folded text in bytes.
    pub fn len(&self) -> usize {
        self.text.len()
    }

    /// Whether the folded text is empty.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// The original offset of the character that produced the folded
    /// character starting at `folded`. For `folded == self.len()` it is the
    /// offset just past the last folded character's mapping.
    ///
    /// # Panics
    ///
    /// Panics if `folded` is greater than [`Folded::len`].
    pub fn original_offset(&self, folded: usize) -> usize {
        assert!(
            folded <= self.text.len(),
            "offset {folded} is past the folded text"
        );
        // `Folded::default()` has no marks yet: it is the fold of "".
        let Some(i) = self
            .marks
            .partition_point(|&(f, _)| f <= folded)
            .checked_sub(1)
        else {
            return folded;
        };
        let (f, o) = self.marks[i];
        o + (folded - f)
    }

    /// The original byte range that the folded range `folded` came from:
    /// from the start of the source character of its first character to the
    /// end of the source character of its last one. `haystack` must be the
    /// text this was folded from. An empty range maps to an empty range.
    ///
    /// # Panics
    ///
    /// Panics if `folded` is out of bounds or not on character boundaries of
    /// the folded text, or if `haystack` is not the text that was folded.
    pub fn original_range(&self, haystack: &str, folded: Range<usize>) -> Range<usize> {
        let start = self.original_offset(folded.start);
        if folded.is_empty() {
            return start..start;
        }
        let last = self.text[..folded.end]
            .char_indices()
            .next_back()
            .map_or(folded.start, |(i, _)| i);
        let last_start = self.original_offset(last);
        let len = haystack[last_start..]
            .chars()
            .next()
            .map_or(0, char::len_utf8);
        start..last_start + len
    }

    /// Whether the folded character starting at `folded` comes from the same
    /// original character as the one before it (as the `0` of `⑩` → `10` does).
    pub(crate) fn continues_previous(&self, folded: usize) -> bool {
        if folded == 0 || folded >= self.text.len() {
            return false;
        }
        let prev = self.text[..folded]
            .char_indices()
            .next_back()
            .map_or(0, |(i, _)| i);
        self.original_offset(prev) == self.original_offset(folded)
    }

    /// The offset map's marks, `(folded offset, original offset)`, in
    /// increasing order; the first is `(0, 0)`.
    #[cfg(test)]
    pub(crate) fn marks(&self) -> &[(usize, usize)] {
        &self.marks
    }

    /// The folded offsets before which folding removed a visible character
    /// (a short run of whitespace, punctuation or symbols, not only
    /// invisible ones), in increasing order: where the original text had a
    /// word boundary that the folded text no longer shows (`the cat` folds
    /// to `thecat`; `cat` starts at a gap). A character removed at the very
    /// end leaves no gap, and neither does one before a Han character of
    /// U+4000 to U+9FFF that folds to itself: no word continues across it,
    /// and Chinese text with its punctuation removed keeps an empty list.
    pub(crate) fn gaps(&self) -> &[usize] {
        &self.gaps
    }

    /// The number of bytes of heap memory held.
    pub fn memory_usage(&self) -> usize {
        self.text.capacity()
            + self.marks.capacity() * std::mem::size_of::<(usize, usize)>()
            + self.gaps.capacity() * std::mem::size_of::<usize>()
            + self.stops.capacity() * std::mem::size_of::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks every folded character start maps to a character start of the
    /// original text that folds (alone) to a string containing it.
    fn check_map(haystack: &str, folding: &Folding) {
        let f = fold(haystack, folding);
        let mut last = 0;
        for (i, _) in f.as_str().char_indices() {
            let o = f.original_offset(i);
            assert!(o >= last, "map not monotone at {i} in {haystack:?}");
            assert!(haystack.is_char_boundary(o));
            last = o;
        }
    }

    #[test]
    fn table() {
        let all = Folding::default();
        let cases: &[(&str, &str)] = &[
            ("金 博*体-育", "金博体育"),
            ("金·博·体·育", "金博体育"),
            ("金🎰博体育", "金博体育"),
            ("金\u{200b}博\u{feff}体\u{ad}育", "金博体育"),
            ("金博體育", "金博体育"),
            ("ＫＹ体育", "ky体育"),
            ("①⑵⒊❶ⓐⒶ⑩", "1231aa10"),
            ("金    博", "金    博"),
            ("金。博", "金。博"),
            ("金\n博", "金\n博"),
            ("金！博", "金!博"),
            ("a \u{200b} \u{200b} b", "ab"),
            ("a - - b", "a - - b"),
            ("", ""),
            ("  ", ""),
        ];
        for &(input, want) in cases {
            assert_eq!(fold(input, &all).as_str(), want, "input {input:?}");
            check_map(input, &all);
        }
        for &(input, _) in cases {
            assert_eq!(fold(input, &Folding::none()).as_str(), input);
        }
    }

    #[test]
    fn ranges_map_back() {
        let hay = "前文ＡＢ金 博*體-育⑩后";
        let f = fold(hay, &Folding::default());
        assert_eq!(f.as_str(), "前文ab金博体育10后");
        let s = f.as_str().find("金博体育").unwrap();
        let r = f.original_range(hay, s..s + "金博体育".len());
        assert_eq!(&hay[r], "金 博*體-育");
        let s = f.as_str().find("ab").unwrap();
        assert_eq!(&hay[f.original_range(hay, s..s + 2)], "ＡＢ");
        let s = f.as_str().find("10").unwrap();
        assert_eq!(&hay[f.original_range(hay, s..s + 1)], "⑩");
        assert!(f.continues_previous(s + 1));
        assert!(!f.continues_previous(s));
    }

    #[test]
    fn keyword_fold_removes_all_noise() {
        assert_eq!(fold_keyword("金  -  博", &Folding::default()), "金博");
        assert_eq!(fold_keyword("金 博", &Folding::none()), "金 博");
    }

    /// The detector looks for characters outside the BMP that fold to a
    /// keyword's first character only in planes 2 and 3.
    #[test]
    fn astral_folds_only_in_planes_2_and_3() {
        for c in (0x10000..=0x10FFFF).filter_map(char::from_u32) {
            if !(0x20000..0x40000).contains(&(c as u32)) {
                assert_eq!(fold_first(c, &Folding::default()), c, "{c:?}");
            }
        }
    }

    /// The detector counts a Han character that folding keeps as at least
    /// three folded bytes.
    #[test]
    fn han_folds_to_three_bytes_or_more() {
        for c in ('\u{3400}'..='\u{9FFF}')
            .filter(|&c| matches!(classify(c), Class::Text | Class::Barrier))
        {
            for folding in [Folding::default(), Folding::none()] {
                assert!(
                    fold(c.encode_utf8(&mut [0; 4]), &folding).len() >= 3,
                    "{c:?}"
                );
            }
        }
    }

    #[test]
    fn fold_first_is_the_first_folded_char() {
        let all = Folding::default();
        for c in (0..=0xFFFF).filter_map(char::from_u32) {
            if classify(c) == Class::Text {
                let f = fold(c.encode_utf8(&mut [0; 4]), &all);
                assert_eq!(
                    f.as_str().chars().next(),
                    Some(fold_first(c, &all)),
                    "{c:?}"
                );
            }
        }
    }

    /// The fold one character at a time, from the definitions in the module
    /// docs: the oracle of [`fold_into`] and its tables. The text, the
    /// marks (one wherever the two offsets stop advancing together, and
    /// one for the end) and the gaps.
    fn reference_fold(
        haystack: &str,
        folding: &Folding,
        max_noise: usize,
    ) -> (String, Vec<(usize, usize)>, Vec<usize>) {
        fn emit(text: &mut String, marks: &mut Vec<(usize, usize)>, pos: usize, c: char) {
            let &(f, o) = marks.last().unwrap();
            if o + (text.len() - f) != pos {
                marks.push((text.len(), pos));
            }
            text.push(c);
        }
        let (mut text, mut marks, mut gaps) = (String::new(), vec![(0, 0)], Vec::new());
        let mut held: Vec<(usize, char)> = Vec::new();
        let mut long = false;
        // The end of the source of the last character written.
        let mut end = 0;
        for (pos, c) in haystack.char_indices() {
            let class = classify(c);
            if class == Class::Invisible && folding.invisible {
                continue;
            }
            if class == Class::Noise && max_noise > 0 {
                if !long && held.len() < max_noise {
                    held.push((pos, c));
                    continue;
                }
                long = true;
                held.push((pos, c));
                for (p, h) in held.drain(..) {
                    emit(&mut text, &mut marks, p, h);
                    end = p + h.len_utf8();
                }
                continue;
            }
            let folded: Vec<char> = match fold_width(c).filter(|_| folding.width) {
                Some(e) => e.bytes[..usize::from(e.len)]
                    .iter()
                    .map(|&b| {
                        let b = b as char;
                        if folding.case {
                            b.to_ascii_lowercase()
                        } else {
                            b
                        }
                    })
                    .collect(),
                None => {
                    let mut f = c;
                    if folding.case {
                        f = f.to_ascii_lowercase();
                    }
                    if folding.traditional && c >= '\u{3400}' {
                        f = t2s(f);
                    }
                    vec![f]
                }
            };
            if !held.is_empty() {
                let han_as_is = ('\u{4000}'..='\u{9FFF}').contains(&c) && folded == [c];
                if !han_as_is {
                    gaps.push(text.len());
                }
                held.clear();
            }
            long = false;
            for f in folded {
                emit(&mut text, &mut marks, pos, f);
            }
            end = pos + c.len_utf8();
        }
        let &(f, o) = marks.last().unwrap();
        if !text.is_empty() && o + (text.len() - f) != end {
            marks.push((text.len(), end));
        }
        (text, marks, gaps)
    }

    /// Pieces of hostile text: Han (simplified and traditional, with
    /// traditional ones that fold to four bytes), full-width and enclosed
    /// forms, ASCII of every class, noise of one to four bytes, invisible
    /// characters of two to four bytes, sentence enders and line breaks,
    /// other scripts.
    const PIECES: &[&str] = &[
        "金",
        "博",
        "体育",
        "中文网",
        "體",
        "網運",
        "釲",
        "俓",
        "㑯",
        "\u{3400}",
        "\u{4DC0}",
        "\u{9FFF}",
        "\u{A000}",
        "ＡＢ",
        "ｋ",
        "１２",
        "！",
        "？",
        "，",
        "．",
        "①",
        "⑩",
        "⒈",
        "❶",
        "ⓐ",
        "Ⓐ",
        "⓿",
        "a",
        "Z",
        "7",
        " ",
        "*",
        "-",
        "_",
        "\t",
        ".",
        "!",
        "?",
        "\n",
        "\r",
        "、",
        "。",
        "·",
        "—",
        "…",
        "※",
        "《",
        "》",
        "\u{3000}",
        "🎰",
        "🀄",
        "€",
        "×",
        "é",
        "Ж",
        "\u{200b}",
        "\u{feff}",
        "\u{ad}",
        "\u{34f}",
        "\u{fe0f}",
        "\u{e0020}",
        "\u{e0100}",
        "\u{2060}",
        "\u{85}",
        "\u{2028}",
        "‼",
        "﹗",
        "｡",
        "𠀀",
        "𪚏",
        "ア",
        "한",
    ];

    /// Every combination of the four on-off folds, with noise runs of
    /// every length up to past the longest held back here.
    fn every_folding() -> Vec<Folding> {
        let mut all = Vec::new();
        for bits in 0..16 {
            for n in [0, 1, 2, 3, 4, 7, 255, 300] {
                let mut f = Folding::none();
                f.width(bits & 1 != 0)
                    .case(bits & 2 != 0)
                    .traditional(bits & 4 != 0)
                    .invisible(bits & 8 != 0)
                    .max_noise(n);
                all.push(f);
            }
        }
        all
    }

    /// Compares the fold of `hay` with [`reference_fold`] under every
    /// setting, for documents and for dictionary entries.
    fn check_against_reference(hay: &str) {
        let mut reused = Folded::default();
        for folding in every_folding() {
            let limit = folding.max_noise.min(MAX_NOISE_LIMIT);
            let (text, marks, gaps) = reference_fold(hay, &folding, limit);
            let f = fold(hay, &folding);
            assert_eq!(f.as_str(), text, "text of {hay:?} {folding:?}");
            assert_eq!(f.marks(), &marks[..], "marks of {hay:?} {folding:?}");
            assert_eq!(f.gaps(), &gaps[..], "gaps of {hay:?} {folding:?}");
            reused.refill(hay, &folding);
            assert_eq!(reused.as_str(), text, "refilled {hay:?} {folding:?}");
            assert_eq!(reused.marks(), &marks[..], "refilled {hay:?} {folding:?}");
            assert_eq!(reused.gaps(), &gaps[..], "refilled {hay:?} {folding:?}");
            let keyword = reference_fold(hay, &folding, if limit > 0 { usize::MAX } else { 0 });
            assert_eq!(
                fold_keyword(hay, &folding),
                keyword.0,
                "keyword {hay:?} {folding:?}"
            );
            for stops in stop_sets(&folding) {
                reused.refill_stopping(hay, stops);
                let what = format!("{hay:?} {folding:?} {stops:?}");
                assert_eq!(reused.as_str(), text, "stopping {what}");
                assert_eq!(reused.marks(), &marks[..], "stopping {what}");
                assert_eq!(reused.gaps(), &gaps[..], "stopping {what}");
                let want: Vec<usize> = text
                    .char_indices()
                    .filter(|&(_, c)| stops.contains(c))
                    .map(|(i, _)| i)
                    .collect();
                // The fold of every fold off is the haystack: nothing noted.
                let want = (folding != Folding::none()).then_some(&want[..]);
                assert_eq!(reused.stops(stops), want, "stops of {what}");
            }
        }
    }

    /// Sets of stops for `folding`, built once: every character (so that
    /// the tight loops pass none), every other code point, and a few
    /// characters of each length, class and fold among [`PIECES`] and what
    /// they fold to.
    fn stop_sets(folding: &Folding) -> &'static [Arc<Stops>; 3] {
        static SETS: OnceLock<Vec<(Folding, [Arc<Stops>; 3])>> = OnceLock::new();
        let sets = SETS.get_or_init(|| {
            every_folding()
                .into_iter()
                .map(|f| {
                    let few = "金体k1a，. *é\n\u{200b}🎰";
                    let sets = [
                        Arc::new(Stops::new(&f, |_| true, true)),
                        Arc::new(Stops::new(&f, |c| c as u32 % 2 == 0, false)),
                        Arc::new(Stops::new(&f, |c| few.contains(c), true)),
                    ];
                    (f, sets)
                })
                .collect()
        });
        &sets
            .iter()
            .find(|(f, _)| f == folding)
            .expect("one of every_folding")
            .1
    }

    #[test]
    fn fold_equals_reference_on_named_cases() {
        for hay in [
            "",
            "金",
            "金，博",
            "金，，，，博",
            "體育，體育",
            "，體",
            "a，b",
            "，\n",
            "金 \u{200b} \u{200b} 博",
            "金\u{200b}博",
            "ＡＢ，①⑩",
            "俓，釲",
            "金  \u{200b}  -  博",
            "𠀀，𠀀🎰🎰🎰🎰a",
            "中文网\u{e0020}，\u{e0100}中",
        ] {
            check_against_reference(hay);
            // Shifted by multi-byte text on both sides.
            check_against_reference(&format!("中文{hay}體育"));
            check_against_reference(&format!("ａ{hay}，"));
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]
        /// The fast fold equals the character-by-character one: text, marks
        /// and gaps, under every folding, on text mixing every kind of
        /// character, with runs of noise of every length.
        #[test]
        fn fold_equals_reference(
            parts in proptest::collection::vec((0..PIECES.len(), 1..6usize), 0..40),
        ) {
            let mut hay = String::new();
            for (i, n) in parts {
                // Noise (and everything else) repeated up to five times,
                // so that runs of every length around `max_noise` occur.
                for _ in 0..if i % 3 == 0 { n } else { 1 } {
                    hay.push_str(PIECES[i]);
                }
            }
            check_against_reference(&hay);
        }
    }

    /// The bit sets the fold's tables are made of agree with the functions
    /// they tabulate.
    #[test]
    fn bit_sets_equal_their_functions() {
        for c in (0..=0xFFFF).filter_map(char::from_u32) {
            let u = c as u32;
            assert_eq!(
                has_bit(&NOISE_BITS, u),
                classify(c) == Class::Noise,
                "{c:?}"
            );
            assert_eq!(
                has_bit(&INVISIBLE_BITS, u),
                classify(c) == Class::Invisible,
                "{c:?}"
            );
            assert_eq!(has_bit(&WIDTH_BITS, u), fold_width(c).is_some(), "{c:?}");
            assert_eq!(
                has_bit(traditional_bits(), u),
                u >= 0x3400 && t2s(c) != c,
                "{c:?}"
            );
        }
    }

    /// The rows of [`plain_rows`] say, for every three-byte character, what
    /// [`folds_to_itself`] says, and are 0 for every other leading byte.
    #[test]
    fn plain_rows_equal_folds_to_itself() {
        for key in 0..16 {
            let folding = Folding {
                width: key & 1 != 0,
                case: true,
                traditional: key & 2 != 0,
                invisible: key & 4 != 0,
                max_noise: 0,
            };
            let rows = plain_rows(key);
            for c in ('\u{800}'..='\u{FFFF}').filter(|c| !c.is_ascii()) {
                let mut b = [0; 4];
                let b = c.encode_utf8(&mut b).as_bytes();
                let bit = (rows[usize::from(u16::from_le_bytes([b[0], b[1]]))] >> (b[2] & 63)) & 1;
                assert_eq!(
                    bit != 0,
                    folds_to_itself(c, classify(c), &folding, key & 8 != 0),
                    "{c:?} key {key}"
                );
            }
            for b0 in (0..=0xFFu8).filter(|b| !(0xE0..=0xEF).contains(b)) {
                for b1 in 0..=0xFFu8 {
                    assert_eq!(rows[usize::from(u16::from_le_bytes([b0, b1]))], 0);
                }
            }
        }
    }

    #[test]
    fn validate_names_value() {
        let mut f = Folding::default();
        f.max_noise(300);
        let err = f.validate().unwrap_err().to_string();
        assert!(err.contains("max_noise 300"), "{err}");
    }
}
