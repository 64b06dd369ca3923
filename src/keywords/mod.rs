//! Injected spam keywords: the dictionary format, the built-in dictionary and
//! the detector that sees through disguise.
//!
//! A [`Detector`] folds the haystack with [`crate::text::fold`] (full width,
//! case, traditional → simplified, invisible characters, short runs of noise),
//! runs an Aho-Corasick automaton (the `aho-corasick` crate) of the folded
//! keywords over the folded text, and maps every hit back to the exact bytes
//! of the original haystack it came from.
//!
//! ```
//! use spamsift::keywords::Detector;
//!
//! let detector = Detector::new()?;
//! let hay = "省政府新闻办召开发布会，金\u{200b}博體育协作。";
//! let hits: Vec<_> = detector.find_iter(hay).collect();
//! assert_eq!(hits.len(), 1);
//! assert_eq!(&hay[hits[0].range()], "金\u{200b}博體育");
//! assert_eq!(hits[0].keyword(), "金博体育");
//! # Ok::<(), spamsift::Error>(())
//! ```
//!
//! # Matching rules
//!
//! Keywords are folded like the haystack, except that every noise character
//! in a keyword is removed, whatever the length of its run. A match `[s, e)`
//! of a folded keyword in the folded text is a *hit* when all of these hold:
//!
//! 1. **Whole characters.** It neither starts nor ends inside the expansion
//!    of one original character (`⑩` folds to `10`: keyword `0` does not
//!    match it).
//! 2. **ASCII word boundaries.** If its first folded character is an ASCII
//!    letter or digit, the folded character before it is not, unless a noise
//!    character (a space, `*`, `-`, ...) was removed between the two in the
//!    original; invisible characters alone do not separate words. The same
//!    holds at its end. This is equivalent to the word boundaries of
//!    `unicode-segmentation` for ASCII letters and digits: `bet365` does not
//!    match inside `alphabet3650`, but matches in `abc bet365` and in
//!    `金博bet365体育` (a Han character is a word of its own).
//! 3. **Allow-list.** It does not lie entirely inside an occurrence, in the
//!    folded text, of a folded allow-list phrase (keyword `金沙`, phrase
//!    `金沙江`).
//!
//! Hits do not overlap and are chosen greedily, leftmost-longest: from the
//! current position, the leftmost position where some keyword is a hit, and
//! there the longest such keyword; the search then resumes at its end. When
//! the longest keyword at a position fails a rule, the shorter keywords
//! matching there are tried, longest first.
//!
//! Sentence enders (`。！？!?`) and line breaks are never folded away, so a
//! hit never spans two sentences; a run of more than `max_noise` noise
//! characters is kept, so `金    博` (four spaces, `max_noise` 3) is not
//! `金博`.
//!
//! Every `&str` is scanned without error and without panic, in time linear in
//! its length (times the length of the longest keyword, a constant of the
//! dictionary).
//!
//! # How the search runs
//!
//! [`Detector::find_iter`] (and [`Detector::find_iter_with`], which reuses
//! the caller's buffer) does not fold the whole haystack. A hit can only
//! start at a *candidate*: a character whose fold starts with the first
//! character of some keyword (`體`, `Ｋ` and `ⓚ` as well as `体` and `k`); in
//! Chinese text most characters are not. The search skips through the
//! original bytes from one candidate to the next and folds only a window
//! around each candidate. A window runs from and to a point where the fold
//! holds no pending noise, with enough characters that folding never
//! removes on each side for the longest keyword, the allow-list window and
//! the word boundaries. Candidates closer than that share a window; once
//! eight have merged into one (a dictionary of common first characters),
//! the window runs to the end of the haystack. Nothing is counted between
//! windows, so these hits do not know where they stand in the fold of the
//! whole haystack: their [`Hit::folded_range`] is `None`.
//!
//! Inside a window, or in the whole fold given to
//! [`Detector::find_iter_folded`] (whose hits have their folded range),
//! [`crate::text::fold`] has copied runs of characters that fold to
//! themselves in one piece and recorded an offset mark only where the
//! folded text and the original stop advancing together. The detector
//! skips through the folded text to the next character that starts some
//! keyword and runs the automaton anchored there; when such characters come
//! more often than one every 16 bytes it falls back to one unanchored
//! leftmost-longest search of the rest. Every way finds the same hits.
//! Folded with [`Detector::fold_into`], the whole fold also lists where
//! those characters stand: the fold's tables of the characters it copies
//! in runs leave them out, so it writes each on its own and notes it, at
//! no cost to the other characters, and the search takes the next from the
//! list instead of skipping through the text (the scan folds this way).
//!
//! Both skips, through the original text and through the folded one, are
//! the same loop over a bitmap of the set of characters. It takes four
//! three-byte characters (Han and CJK punctuation, most of the text) at a
//! time with one branch: the bitmap is laid out so that a character's word
//! comes from its first two bytes and its bit from the third, and any
//! other leading byte finds a word with every bit set, which sends the loop
//! straight to that character. A run of ASCII (digits, Latin words, line
//! breaks) is passed eight bytes at a time without a branch per byte.
//!
//! # The built-in dictionary
//!
//! `src/keywords/builtin.tsv`, compiled in and on by default
//! ([`DetectorBuilder::builtin`] turns it off; [`Dictionary::builtin`] lists
//! it), holds the spam terms a cleaner of scraped news needs on day one, each
//! with its category: `gambling` (betting and casino brands with the suffixes
//! their ads use), `lottery` (lottery-ad and tip-sheet jargon), `porn`,
//! `fraud` (fake invoices, documents, certificates, loan ads) and `medicine`.
//!
//! It was built by hand from terms seen in black-hat SEO spam spliced into
//! scraped Chinese pages, from the brand names of the betting sites that buy
//! such spam, and from lottery-ad jargon. It is precision first: no bare
//! generic word (`体育`, `娱乐`, `彩票`, `赌场`, `金沙`), nothing news uses to
//! report crackdowns, allow-list lines for genuine phrases that contain an
//! entry (`!新葡京酒店`). `tools/check_builtin.py` and the tests run it over
//! clean real news (`tests/data/news_1998.txt`, `tests/data/seed_clean.txt`)
//! and expect no hit.
//!
//! To extend it, load your own [`Dictionary`] next to it with
//! [`DetectorBuilder::dictionary`] (same format), or add lines to the file,
//! keeping the categories, and run `python3 tools/check_builtin.py`.

mod detector;
mod dictionary;

pub use detector::{Detector, DetectorBuilder, FindIter, Hit, MatcherKind};
pub use dictionary::{DEFAULT_CATEGORY, Dictionary, Entry};
