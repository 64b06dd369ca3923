//! The high-level near-duplicate finder: paragraphs in, duplicates and
//! clusters out, incrementally.

use std::collections::hash_map::Entry;
use std::ops::Range;
use std::sync::Arc;

use super::cluster::{Cluster, Location, Representative, UnionFind, components};
use super::fingerprint::{
    Analysis, ChunkKeys, DEFAULT_CHUNK_LEN, DEFAULT_MIN_UNITS, DEFAULT_SHINGLE_LEN,
    DEFAULT_SKETCH_LEN, Fingerprinter, FingerprinterBuilder, sketch_jaccard, to_folded,
};
use super::index::Index;
use super::pairs::{Candidates, KeyMap, NearHub};
use crate::text::{Folded, Folding, ParagraphMode, paragraphs};

/// The default Hamming distance `k`: keys within `distance <= 3` are candidates.
pub const DEFAULT_MAX_DISTANCE: u32 = 3;
/// The default Hamming distance for chunk keys: 0, an exact match (see
/// [`FinderBuilder::chunk_max_distance`]).
pub const DEFAULT_CHUNK_MAX_DISTANCE: u32 = 0;
/// The default Jaccard threshold: candidates with estimated Jaccard similarity
/// `>= 0.5` of their shingle sets are near duplicates.
pub const DEFAULT_MIN_JACCARD: f64 = 0.5;

/// What the finder says about one paragraph of a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The paragraph.
    pub paragraph: Location,
    /// The earliest paragraph added before it that it is a near duplicate
    /// of, if any (earlier paragraphs of the same document included).
    pub duplicate_of: Option<Location>,
}

/// Builds a [`Finder`].
#[derive(Clone, Debug)]
pub struct FinderBuilder {
    fingerprinter: FingerprinterBuilder,
    max_distance: u32,
    chunk_max_distance: u32,
    min_jaccard: f64,
    mode: ParagraphMode,
    representative: Representative,
}

impl Default for FinderBuilder {
    fn default() -> FinderBuilder {
        FinderBuilder {
            fingerprinter: FingerprinterBuilder::default(),
            max_distance: DEFAULT_MAX_DISTANCE,
            chunk_max_distance: DEFAULT_CHUNK_MAX_DISTANCE,
            min_jaccard: DEFAULT_MIN_JACCARD,
            mode: ParagraphMode::default(),
            representative: Representative::default(),
        }
    }
}

impl FinderBuilder {
    /// A builder with the default settings.
    pub fn new() -> FinderBuilder {
        FinderBuilder::default()
    }

    /// Keys within Hamming distance `<= k` make a candidate pair, 0 to
    /// [`MAX_DISTANCE`](super::MAX_DISTANCE). Default: 3.
    pub fn max_distance(&mut self, k: u32) -> &mut Self {
        self.max_distance = k;
        self
    }

    /// Chunk keys are stored in an index of their own searched within
    /// distance `<= k`, 0 to [`MAX_DISTANCE`](super::MAX_DISTANCE). Default:
    /// 0. An untouched chunk keeps its key exactly, so a larger `k` adds
    /// almost no recall (0.982 at 0 and at 3 on the quality test) while an
    /// index for `k = 3` costs 48 bytes per key and a Hamming search, where
    /// `k = 0` is a hash map of about 27 bytes per key and one look-up.
    pub fn chunk_max_distance(&mut self, k: u32) -> &mut Self {
        self.chunk_max_distance = k;
        self
    }

    /// Candidates whose estimated Jaccard similarity is `>= j` are near
    /// duplicates; `j` in `0.0..=1.0`. Default: 0.5.
    pub fn min_jaccard(&mut self, j: f64) -> &mut Self {
        self.min_jaccard = j;
        self
    }

    /// How paragraphs are delimited. Default: [`ParagraphMode::Lines`].
    pub fn paragraph_mode(&mut self, mode: ParagraphMode) -> &mut Self {
        self.mode = mode;
        self
    }

    /// How a cluster's representative is chosen. Default:
    /// [`Representative::FirstSeen`].
    pub fn representative(&mut self, r: Representative) -> &mut Self {
        self.representative = r;
        self
    }

    /// See [`FingerprinterBuilder::shingle_len`]. Default: 3.
    pub fn shingle_len(&mut self, n: usize) -> &mut Self {
        self.fingerprinter.shingle_len(n);
        self
    }

    /// See [`FingerprinterBuilder::min_units`]. Default: 12.
    pub fn min_units(&mut self, n: usize) -> &mut Self {
        self.fingerprinter.min_units(n);
        self
    }

    /// See [`FingerprinterBuilder::chunk_len`]. Default: 8.
    pub fn chunk_len(&mut self, n: usize) -> &mut Self {
        self.fingerprinter.chunk_len(n);
        self
    }

    /// See [`FingerprinterBuilder::max_chunks`]. Default: 4.
    pub fn max_chunks(&mut self, n: usize) -> &mut Self {
        self.fingerprinter.max_chunks(n);
        self
    }

    /// See [`FingerprinterBuilder::sketch_len`]. Default: 32.
    pub fn sketch_len(&mut self, n: usize) -> &mut Self {
        self.fingerprinter.sketch_len(n);
        self
    }

    /// The folding; [`Finder::add_folded`] must be given text folded with it.
    /// Default: [`Folding::default`].
    pub fn folding(&mut self, folding: Folding) -> &mut Self {
        self.fingerprinter.folding(folding);
        self
    }

    /// Checks the settings and builds an empty finder.
    ///
    /// # Errors
    ///
    /// An [`Error::Config`](crate::Error::Config) naming the value when a
    /// setting is out of range.
    pub fn build(&self) -> crate::Result<Finder> {
        // Exact look-ups need only equal keys for equal chunks: the sums of
        // `ChunkKeys::Exact`, far cheaper than SimHashes.
        let fingerprinter = self
            .fingerprinter
            .clone()
            .chunk_keys(if self.chunk_max_distance == 0 {
                ChunkKeys::Exact
            } else {
                ChunkKeys::SimHash
            })
            .build()?;
        if !(0.0..=1.0).contains(&self.min_jaccard) {
            return Err(crate::Error::Config(format!(
                "min_jaccard {} is outside 0.0 to 1.0",
                self.min_jaccard
            )));
        }
        Ok(Finder {
            fingerprinter,
            max_distance: self.max_distance,
            min_jaccard: self.min_jaccard,
            mode: self.mode,
            representative: self.representative,
            candidates: Candidates::new(self.max_distance)?,
            chunk_candidates: Candidates::new(self.chunk_max_distance)?,
            exact: KeyMap::default(),
            locations: Vec::new(),
            sketches: Vec::new(),
            sketch_at: Vec::new(),
            uf: UnionFind::default(),
            scratch: Analysis::default(),
            folded: Folded::default(),
            found: Vec::new(),
            keys: Vec::new(),
            chunks_exact: self.chunk_max_distance == 0,
        })
    }
}

/// Finds near-duplicate paragraphs across the documents added to it.
///
/// Each paragraph is folded, fingerprinted (paragraph key and chunk keys, see
/// [`crate::neardup`]), looked up among the keys of the paragraphs added
/// before it, and the candidates are confirmed by the Jaccard similarity of
/// the shingle sets. Paragraphs with fewer than `min_units` units (short
/// headings, captions) are matched only by an exact hash of their folded text.
/// Paragraphs with no units at all (only punctuation) are never duplicates.
///
/// The finder keeps per paragraph its keys, a sketch and its location, never
/// the text: at most about 305 bytes with the defaults (see
/// [`crate::neardup`], "Cost per paragraph").
///
/// ```
/// use spamsift::neardup::Finder;
///
/// let mut finder = Finder::new();
/// let page = "\u{3000}\u{3000}成都平原经济区如何激荡率先发展的澎湃动能？\n\
///             标题\n\
///             成都平原经济区如何激荡率先发展的澎湃动能金博体育？\n";
/// let masks: Vec<_> = page.match_indices("金博体育").map(|(i, s)| i..i + s.len()).collect();
/// let out = finder.add_document(7, page, &masks);
/// assert_eq!(out[2].duplicate_of.as_ref().map(|l| l.paragraph), Some(0));
/// let clusters = finder.clusters();
/// assert_eq!(clusters.len(), 1);
/// assert_eq!(clusters[0].representative().paragraph, 0);
/// ```
#[derive(Clone, Debug)]
pub struct Finder {
    fingerprinter: Fingerprinter,
    max_distance: u32,
    min_jaccard: f64,
    mode: ParagraphMode,
    representative: Representative,
    /// Paragraph keys, searched within `max_distance`.
    candidates: Candidates,
    /// Chunk keys, searched within `chunk_max_distance`.
    chunk_candidates: Candidates,
    /// Exact key of a short paragraph → the first paragraph with it.
    exact: KeyMap<u32>,
    locations: Vec<Location>,
    sketches: Vec<u16>,
    /// Where each paragraph's sketch starts in `sketches`.
    sketch_at: Vec<usize>,
    uf: UnionFind,
    scratch: Analysis,
    folded: Folded,
    found: Vec<u32>,
    keys: Vec<u64>,
    /// Whether chunk keys are matched exactly (`chunk_max_distance` 0): then
    /// the chunk-key map holds the paragraph keys too, and only paragraph
    /// keys are searched by Hamming distance (see `near_keys`).
    chunks_exact: bool,
}

/// The keys of a paragraph (its own first, then its chunks') to search among
/// the stored paragraph keys by Hamming distance.
///
/// With exact chunk keys (the default), that is the paragraph fingerprint
/// alone: the chunk-key hash map also stores every paragraph's
/// [`Analysis::key`], so a chunk key equal to an earlier paragraph key, or a
/// paragraph key equal to an earlier chunk key, is found there by one
/// look-up. What this drops is a chunk key within
/// distance 1 to `max_distance`, but not 0, of a paragraph key: such a pair
/// shares no untouched chunk, and in practice it is found by its other keys
/// or is no duplicate. It cut the Hamming probes per paragraph from 5 keys to
/// 1, which were a fifth of a scan's CPU time, with the same precision and
/// recall on the quality test and the same clusters on the bench corpus and
/// the seed page. With chunk keys at a distance above 0 every key is
/// searched in both indexes, as before.
fn near_keys<'a>(fingerprint: &'a [u64; 1], keys: &'a [u64], chunks_exact: bool) -> &'a [u64] {
    if chunks_exact { fingerprint } else { keys }
}

impl Default for Finder {
    fn default() -> Finder {
        FinderBuilder::default()
            .build()
            .expect("the default settings are valid")
    }
}

impl Finder {
    /// A finder with the default settings.
    pub fn new() -> Finder {
        Finder::default()
    }

    /// A builder to change the settings.
    pub fn builder() -> FinderBuilder {
        FinderBuilder::default()
    }

    /// The fingerprinter in use.
    pub fn fingerprinter(&self) -> &Fingerprinter {
        &self.fingerprinter
    }

    /// The number of paragraphs added.
    pub fn len(&self) -> usize {
        self.locations.len()
    }

    /// Whether no paragraph was added.
    pub fn is_empty(&self) -> bool {
        self.locations.is_empty()
    }

    /// Adds a document: finds its paragraphs, folds it, cuts out the byte
    /// ranges `masks` of `haystack` (detected spam hits) and returns, for
    /// every paragraph in order, the earlier paragraph it duplicates, if any.
    pub fn add_document(
        &mut self,
        doc: u64,
        haystack: &str,
        masks: &[Range<usize>],
    ) -> Vec<Outcome> {
        let mut folded = std::mem::take(&mut self.folded);
        folded.refill(haystack, self.fingerprinter.folding());
        let masks = to_folded(&folded, masks);
        let out = self.add_folded(doc, haystack, &folded, &masks);
        self.folded = folded;
        out
    }

    /// Like [`add_document`](Self::add_document) for a document already
    /// folded with the finder's folding, with the masks given as ranges of
    /// the *folded* text: the text is not folded again. Line `i` of the folded
    /// text is line `i` of `haystack`, which is how paragraphs are found in it.
    pub fn add_folded(
        &mut self,
        doc: u64,
        haystack: &str,
        folded: &Folded,
        folded_masks: &[Range<usize>],
    ) -> Vec<Outcome> {
        let ftext = folded.as_str();
        // Start of every line of the folded text.
        let mut line_starts = vec![0usize];
        line_starts.extend(ftext.match_indices('\n').map(|(i, _)| i + 1));
        let mut out = Vec::new();
        for p in paragraphs(haystack, self.mode) {
            let start = line_starts
                .get(p.lines.start)
                .copied()
                .unwrap_or(ftext.len());
            let end = line_starts
                .get(p.lines.end)
                .map_or(ftext.len(), |&s| s.saturating_sub(1))
                .max(start);
            let location = Location {
                doc,
                paragraph: p.index,
                span: p.span,
            };
            let duplicate_of =
                self.add_paragraph(haystack, folded, start..end, folded_masks, &location);
            out.push(Outcome {
                paragraph: location,
                duplicate_of,
            });
        }
        out
    }

    fn add_paragraph(
        &mut self,
        haystack: &str,
        folded: &Folded,
        range: Range<usize>,
        masks: &[Range<usize>],
        location: &Location,
    ) -> Option<Location> {
        let mut a = std::mem::take(&mut self.scratch);
        self.fingerprinter
            .analyze_folded(haystack, folded, range, masks, &mut a);
        let first = self.add_analyzed(location.clone(), &a);
        self.scratch = a;
        first
    }

    /// Adds one paragraph analysed elsewhere, with
    /// [`Fingerprinter::analyze_folded`] of this finder's
    /// [`fingerprinter`](Self::fingerprinter), and returns the earliest
    /// paragraph added before it that it is a near duplicate of, if any.
    ///
    /// This splits [`add_folded`](Self::add_folded) in two for parallel
    /// pipelines: worker threads analyse paragraphs (the costly part), one
    /// thread adds the analyses in input order, so the answers do not depend
    /// on the number of threads. An analysis made with another fingerprinter
    /// gives meaningless answers.
    pub fn add_analyzed(&mut self, location: Location, a: &Analysis) -> Option<Location> {
        self.add_probed(location, Keys::of(a), None)
    }

    /// A read-only copy of the stored keys, to [`probe`](Snapshot::probe)
    /// paragraphs with on other threads while this finder goes on adding.
    /// Cheap: the indexes' sorted runs are shared, not copied. (Scans use
    /// [`Finder::share`]; tests compare the two.)
    #[cfg(test)]
    pub(crate) fn snapshot(&self) -> Snapshot {
        Snapshot {
            min_units: self.fingerprinter.min_units(),
            chunks_exact: self.chunks_exact,
            candidates: self.candidates.snapshot(),
            chunk_candidates: self.chunk_candidates.snapshot(),
        }
    }

    /// Hands the upkeep of the Hamming indexes to other threads: from now on
    /// this finder only appends the keys it stores to lists, which
    /// [`publish`](Self::publish) hands to the returned [`Hub`], and the
    /// threads holding the hub sort them into the indexes
    /// ([`Hub::maintain`]) and probe paragraphs in its snapshots
    /// ([`Hub::snapshot`]). The answers stay those of a finder that keeps
    /// its indexes itself (see `pairs::SharedNear`).
    pub(crate) fn share(&mut self) -> Hub {
        self.share_keeping(None, 0)
    }

    /// [`share`](Self::share), keeping `keep` recent keys and an index
    /// buffer of `buffer` keys (see `Candidates::share_keeping`).
    fn share_keeping(&mut self, keep: Option<usize>, buffer: usize) -> Hub {
        let share = |c: &mut Candidates| match keep {
            Some(keep) => c.share_keeping(keep, buffer),
            None => c.share(),
        };
        Hub {
            min_units: self.fingerprinter.min_units(),
            chunks_exact: self.chunks_exact,
            candidates: share(&mut self.candidates),
            chunk_candidates: share(&mut self.chunk_candidates),
        }
    }

    /// After [`share`](Self::share): hands the keys stored since the last
    /// call to the hub, and takes up its latest snapshot for look-ups of
    /// probes older than the keys it keeps. Call it now and then, after
    /// every batch of paragraphs, say: until then the hub does not see the
    /// keys, and this finder keeps them.
    pub(crate) fn publish(&mut self) {
        self.candidates.publish();
        self.chunk_candidates.publish();
    }

    /// [`add_analyzed`](Self::add_analyzed), given what a [`Snapshot`] of
    /// this finder found for the paragraph: only the keys stored since the
    /// snapshot are looked up here, and the answer is the same as without
    /// the probe. A probe made from another finder's snapshot gives
    /// meaningless answers.
    pub(crate) fn add_probed(
        &mut self,
        location: Location,
        a: Keys<'_>,
        probe: Option<ProbeRef<'_>>,
    ) -> Option<Location> {
        let id = self.uf.push();
        self.locations.push(location);
        self.sketch_at.push(self.sketches.len());
        let mut first: Option<u32> = None;
        if a.units == 0 {
            // Nothing to compare: never a duplicate.
        } else {
            // One hash operation finds an earlier exact copy or stores this
            // paragraph as the first with its exact hash.
            match self.exact.entry(a.exact) {
                Entry::Occupied(e) => {
                    // An exact copy (after folding and masking) of an earlier
                    // paragraph is that paragraph's duplicate, and stands for
                    // nothing new: its keys are not stored, so a flood of
                    // identical paragraphs costs one hash look-up each instead
                    // of verifying every earlier copy (which was quadratic).
                    let other = *e.get();
                    self.uf.union(id, other);
                    first = Some(other);
                }
                Entry::Vacant(e) => {
                    e.insert(id);
                    if a.units >= self.fingerprinter.min_units() {
                        first = self.add_keys(id, a, probe);
                    }
                }
            }
        }
        first.map(|f| self.locations[f as usize].clone())
    }

    /// Stores the keys and sketch of paragraph `id`, not an exact copy of an
    /// earlier one and not short, and returns the earliest paragraph before
    /// it whose keys are near and whose sketch confirms it.
    fn add_keys(&mut self, id: u32, a: Keys<'_>, probe: Option<ProbeRef<'_>>) -> Option<u32> {
        self.sketches.extend_from_slice(a.sketch);
        let mut found = std::mem::take(&mut self.found);
        found.clear();
        // A paragraph's key can equal a chunk key of another paragraph
        // (a short paragraph is a single chunk), so every key is looked
        // up among the keys of both kinds; see `near_keys`.
        let mut keys = std::mem::take(&mut self.keys);
        keys.clear();
        keys.extend(a.keys());
        let fingerprint = [a.fingerprint];
        let near = near_keys(&fingerprint, &keys, self.chunks_exact);
        // The snapshot answered for the keys stored before it; what came
        // since is a suffix of each index.
        let (since, chunk_since) = match probe {
            Some(p) => {
                found.extend_from_slice(p.found);
                (p.candidates_len, p.chunk_candidates_len)
            }
            None => (0, 0),
        };
        self.candidates.query_since(since, near, &mut found);
        self.candidates.insert(a.fingerprint, id);
        if self.chunks_exact {
            // The chunk-key map stores the paragraph key too, so the keys
            // stored are the keys looked up: each is looked up and stored in
            // one hash operation.
            self.chunk_candidates
                .query_since_then_insert(chunk_since, &keys, id, &mut found);
        } else {
            self.chunk_candidates
                .query_since(chunk_since, &keys, &mut found);
            for &key in a.chunks {
                self.chunk_candidates.insert(key, id);
            }
        }
        self.keys = keys;
        found.sort_unstable();
        found.dedup();
        let mut first: Option<u32> = None;
        for &other in &found {
            // Storing a key before looking up the next may find the
            // paragraph itself (were two of its keys equal or near).
            if other == id {
                continue;
            }
            let j = sketch_jaccard(a.sketch, self.sketch(other));
            if j >= self.min_jaccard {
                self.uf.union(id, other);
                first = Some(first.map_or(other, |f| f.min(other)));
            }
        }
        self.found = found;
        first
    }

    fn sketch(&self, id: u32) -> &[u16] {
        let start = self.sketch_at[id as usize];
        let end = self
            .sketch_at
            .get(id as usize + 1)
            .copied()
            .unwrap_or(self.sketches.len());
        &self.sketches[start..end]
    }

    /// The ids of the members of each cluster, as [`clusters`](Self::clusters)
    /// orders them, without copying a location: see
    /// [`location`](Self::location).
    pub(crate) fn cluster_ids(&self) -> Vec<Vec<u32>> {
        components(&mut self.uf.clone())
    }

    /// The location of the paragraph with id `id` (ids count the paragraphs
    /// added, from 0).
    pub(crate) fn location(&self, id: u32) -> &Location {
        &self.locations[id as usize]
    }

    /// The clusters found so far: connected components of the verified pairs,
    /// numbered in the order their first member was added.
    pub fn clusters(&self) -> Vec<Cluster> {
        let mut uf = self.uf.clone();
        components(&mut uf)
            .into_iter()
            .enumerate()
            .map(|(cid, ids)| {
                let members: Vec<Location> = ids
                    .iter()
                    .map(|&i| self.locations[i as usize].clone())
                    .collect();
                let representative = match self.representative {
                    Representative::FirstSeen => 0,
                    Representative::Longest => {
                        let mut best = 0;
                        for (i, m) in members.iter().enumerate() {
                            if m.span.len() > members[best].span.len() {
                                best = i;
                            }
                        }
                        best
                    }
                };
                Cluster {
                    id: cid,
                    members,
                    representative,
                }
            })
            .collect()
    }

    /// The number of bytes of heap memory held.
    pub fn memory_usage(&self) -> usize {
        self.candidates.memory_usage()
            + self.chunk_candidates.memory_usage()
            + self.exact.capacity() * 16
            + self.locations.capacity() * std::mem::size_of::<Location>()
            + self.sketches.capacity() * 2
            + self.sketch_at.capacity() * 8
            + self.uf.memory_usage()
            + self.folded.memory_usage()
    }

    /// The Hamming distance `k` for candidate keys.
    pub fn max_distance(&self) -> u32 {
        self.max_distance
    }

    /// The Jaccard threshold for confirming a candidate.
    pub fn min_jaccard(&self) -> f64 {
        self.min_jaccard
    }
}

/// A read-only copy of a [`Finder`]'s key indexes at one moment, shared with
/// worker threads so that the costly look-ups of a paragraph run there, in
/// parallel, and the thread adding paragraphs in order only looks up what was
/// stored since ([`Finder::add_probed`]). Exact keys (the chunk keys at
/// distance 0) stay with the finder: one hash look-up each.
#[derive(Clone, Debug)]
pub(crate) struct Snapshot {
    min_units: usize,
    chunks_exact: bool,
    candidates: Option<Arc<Index>>,
    chunk_candidates: Option<Arc<Index>>,
}

/// A [`Finder`]'s indexes as other threads see them after
/// [`Finder::share`]: they keep them up to date and probe paragraphs in
/// snapshots of them.
#[derive(Clone, Debug)]
pub(crate) struct Hub {
    min_units: usize,
    chunks_exact: bool,
    candidates: Option<Arc<NearHub>>,
    chunk_candidates: Option<Arc<NearHub>>,
}

impl Hub {
    /// Sorts the keys the finder published into the indexes and publishes
    /// snapshots of them; returns at once when there are none, or when
    /// another thread is at it.
    pub(crate) fn maintain(&self) {
        for hub in [&self.candidates, &self.chunk_candidates]
            .into_iter()
            .flatten()
        {
            hub.maintain();
        }
    }

    /// The latest snapshot of the indexes, to [`probe`](Snapshot::probe) with.
    pub(crate) fn snapshot(&self) -> Snapshot {
        Snapshot {
            min_units: self.min_units,
            chunks_exact: self.chunks_exact,
            candidates: self.candidates.as_ref().map(|h| h.published()),
            chunk_candidates: self.chunk_candidates.as_ref().map(|h| h.published()),
        }
    }
}

/// What a [`Snapshot`] found for one paragraph, owned (tests use it; scans
/// use [`ProbeAt`]).
#[cfg(test)]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Probe {
    candidates_len: usize,
    chunk_candidates_len: usize,
    /// Ids of the paragraphs with a key near one of the paragraph's keys,
    /// sorted, distinct.
    found: Vec<u32>,
}

#[cfg(test)]
impl Probe {
    /// The probe with its ids borrowed, for [`Finder::add_probed`].
    pub(crate) fn view(&self) -> ProbeRef<'_> {
        ProbeRef {
            candidates_len: self.candidates_len,
            chunk_candidates_len: self.chunk_candidates_len,
            found: &self.found,
        }
    }
}

/// A [`Probe`] whose ids are a range of a vector shared by many probes
/// ([`Snapshot::probe_into`]), so that probing a batch of paragraphs
/// allocates nothing per paragraph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ProbeAt {
    candidates_len: usize,
    chunk_candidates_len: usize,
    found: Range<usize>,
}

impl ProbeAt {
    /// The probe, its ids borrowed from the vector `probe_into` wrote them to.
    pub(crate) fn view<'a>(&self, found: &'a [u32]) -> ProbeRef<'a> {
        ProbeRef {
            candidates_len: self.candidates_len,
            chunk_candidates_len: self.chunk_candidates_len,
            found: &found[self.found.clone()],
        }
    }
}

/// What a [`Snapshot`] found for one paragraph, the ids borrowed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ProbeRef<'a> {
    candidates_len: usize,
    chunk_candidates_len: usize,
    found: &'a [u32],
}

/// The parts of a paragraph's [`Analysis`] that the finder reads, borrowed
/// from an analysis ([`Keys::of`]) or from copies kept elsewhere: a scan
/// keeps those of a whole batch of paragraphs in a few shared vectors.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Keys<'a> {
    /// [`Analysis::units`].
    pub(crate) units: usize,
    /// [`Analysis::exact`].
    pub(crate) exact: u64,
    /// [`Analysis::fingerprint`].
    pub(crate) fingerprint: u64,
    /// [`Analysis::key`].
    pub(crate) key: u64,
    /// [`Analysis::chunks`].
    pub(crate) chunks: &'a [u64],
    /// [`Analysis::sketch`].
    pub(crate) sketch: &'a [u16],
}

impl<'a> Keys<'a> {
    /// The parts of `a`.
    pub(crate) fn of(a: &'a Analysis) -> Keys<'a> {
        Keys {
            units: a.units(),
            exact: a.exact(),
            fingerprint: a.fingerprint(),
            key: a.key(),
            chunks: a.chunks(),
            sketch: a.sketch(),
        }
    }

    /// The paragraph key followed by the chunk keys, as [`Analysis::keys`].
    fn keys(&self) -> impl Iterator<Item = u64> + 'a {
        std::iter::once(self.key).chain(self.chunks.iter().copied())
    }
}

/// Reused buffers of [`Snapshot::probe_into`].
#[derive(Debug, Default)]
pub(crate) struct ProbeScratch {
    keys: Vec<u64>,
    keys_at: Vec<usize>,
    /// `(paragraph, id)` pairs found.
    pairs: Vec<(u32, u32)>,
    ids: Vec<u32>,
}

impl Snapshot {
    fn candidates_len(&self) -> usize {
        self.candidates.as_ref().map_or(0, |i| i.len())
    }

    fn chunk_candidates_len(&self) -> usize {
        self.chunk_candidates.as_ref().map_or(0, |i| i.len())
    }

    fn probe_at(&self, found: Range<usize>) -> ProbeAt {
        ProbeAt {
            candidates_len: self.candidates_len(),
            chunk_candidates_len: self.chunk_candidates_len(),
            found,
        }
    }

    /// Looks up the keys of a paragraph analysed with the finder's
    /// fingerprinter; `None` when the finder would not look it up (a short
    /// paragraph, matched only by its exact hash).
    #[cfg(test)]
    pub(crate) fn probe(&self, a: &Analysis) -> Option<Probe> {
        let mut found = Vec::new();
        let mut out = Vec::new();
        self.probe_into(
            [Keys::of(a)],
            &mut found,
            &mut out,
            &mut ProbeScratch::default(),
        );
        let at = out.pop().flatten()?;
        Some(Probe {
            candidates_len: at.candidates_len,
            chunk_candidates_len: at.chunk_candidates_len,
            found,
        })
    }

    /// [`probe`](Self::probe) for many paragraphs at once, in order.
    #[cfg(test)]
    pub(crate) fn probe_many<'a, I>(&self, analyses: I) -> Vec<Option<Probe>>
    where
        I: IntoIterator<Item = &'a Analysis>,
    {
        let mut found = Vec::new();
        let mut out = Vec::new();
        let keys = analyses.into_iter().map(Keys::of);
        self.probe_into(keys, &mut found, &mut out, &mut ProbeScratch::default());
        out.into_iter()
            .map(|p| {
                p.map(|p| Probe {
                    candidates_len: p.candidates_len,
                    chunk_candidates_len: p.chunk_candidates_len,
                    found: found[p.found].to_vec(),
                })
            })
            .collect()
    }

    /// [`probe`](Self::probe) for many paragraphs at once, in order,
    /// appending a probe per paragraph to `out` and their ids (sorted and
    /// distinct per paragraph) to `found`. With exact chunk keys the
    /// look-ups of all the paragraphs are interleaved, so that their cache
    /// misses overlap (see [`Index::query_each_since`]).
    pub(crate) fn probe_into<'a, I>(
        &self,
        paragraphs: I,
        found: &mut Vec<u32>,
        out: &mut Vec<Option<ProbeAt>>,
        scratch: &mut ProbeScratch,
    ) where
        I: IntoIterator<Item = Keys<'a>>,
    {
        let short = |k: &Keys<'_>| k.units == 0 || k.units < self.min_units;
        if !self.chunks_exact {
            let mut keys = std::mem::take(&mut scratch.keys);
            let mut ids = std::mem::take(&mut scratch.ids);
            for k in paragraphs {
                if short(&k) {
                    out.push(None);
                    continue;
                }
                keys.clear();
                keys.extend(k.keys());
                ids.clear();
                for index in [&self.candidates, &self.chunk_candidates]
                    .into_iter()
                    .flatten()
                {
                    index.query_keys_since(0, &keys, |m| ids.push(m.id as u32));
                }
                ids.sort_unstable();
                ids.dedup();
                let start = found.len();
                found.extend_from_slice(&ids);
                out.push(Some(self.probe_at(start..found.len())));
            }
            scratch.keys = keys;
            scratch.ids = ids;
            return;
        }
        // The paragraph key of each paragraph looked up, and where its
        // probe is in `out`.
        let ProbeScratch {
            keys,
            keys_at,
            pairs,
            ..
        } = scratch;
        keys.clear();
        keys_at.clear();
        pairs.clear();
        for k in paragraphs {
            if short(&k) {
                out.push(None);
            } else {
                keys.push(k.fingerprint);
                keys_at.push(out.len());
                out.push(Some(self.probe_at(0..0)));
            }
        }
        if let Some(index) = &self.candidates {
            index.query_each_since(0, keys, |i, m| pairs.push((i as u32, m.id as u32)));
        }
        pairs.sort_unstable();
        pairs.dedup();
        let mut pairs = pairs.iter().peekable();
        for (i, &at) in keys_at.iter().enumerate() {
            let start = found.len();
            while let Some(&(_, id)) = pairs.next_if(|p| p.0 as usize == i) {
                found.push(id);
            }
            if let Some(p) = &mut out[at] {
                p.found = start..found.len();
            }
        }
    }
}

// Keep the defaults visible in one place for the docs.
const _: () = {
    assert!(DEFAULT_SHINGLE_LEN <= DEFAULT_MIN_UNITS);
    assert!(DEFAULT_CHUNK_LEN >= 4);
    assert!(DEFAULT_SKETCH_LEN <= 256);
};

#[cfg(test)]
mod tests {
    use super::*;

    /// Real paragraphs, each followed now and then by edited copies (a
    /// character replaced, the tail cut, a byline appended) a few to a few
    /// hundred paragraphs later, and some short lines repeated exactly.
    fn paragraphs_with_copies() -> Vec<String> {
        let news = include_str!("../../tests/data/news_1998.txt");
        let mut out: Vec<String> = Vec::new();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state = super::super::fmix64(state.wrapping_add(0x9e37_79b9_7f4a_7c15));
            state
        };
        for line in news.lines().filter(|l| l.chars().count() > 20).take(1500) {
            out.push(line.to_string());
            let r = next();
            if r % 3 == 0 && !out.is_empty() {
                let back = (next() % 300) as usize % out.len();
                let src: Vec<char> = out[out.len() - 1 - back].chars().collect();
                let copy: String = match r % 4 {
                    0 => src[..src.len() * 4 / 5].iter().collect(),
                    1 => {
                        let mut c = src.clone();
                        let at = (next() as usize) % c.len();
                        c[at] = '某';
                        c.into_iter().collect()
                    }
                    2 => src.iter().collect::<String>() + "（记者 张三）",
                    _ => src.iter().collect(),
                };
                out.push(copy);
            }
            if r % 17 == 0 {
                out.push("责任编辑：李四".to_string());
            }
        }
        out
    }

    /// The settings the probe tests run under: the defaults; paragraph keys
    /// only (so that the look-ups since the snapshot in the Hamming index
    /// decide); chunk keys in a Hamming index too, and paragraph keys at
    /// k = 4 (the automatic layout).
    fn probe_builders() -> [(&'static str, FinderBuilder); 3] {
        let mut only_paragraphs = Finder::builder();
        only_paragraphs.chunk_len(0);
        let mut near_chunks = Finder::builder();
        near_chunks.chunk_max_distance(2).max_distance(4);
        [
            ("defaults", Finder::builder()),
            ("paragraph keys only", only_paragraphs),
            ("near chunk keys", near_chunks),
        ]
    }

    /// A finder built by `builder` with `paras` added plainly, their
    /// analyses, and what each add answered.
    fn plain_adds(
        builder: &FinderBuilder,
        paras: &[String],
    ) -> (Finder, Vec<Analysis>, Vec<Option<Location>>) {
        let mut plain = builder.build().unwrap();
        let analyses: Vec<Analysis> = paras
            .iter()
            .map(|p| plain.fingerprinter().analyze(p, &[]))
            .collect();
        let want = analyses
            .iter()
            .enumerate()
            .map(|(i, a)| plain.add_analyzed(loc(i), a))
            .collect();
        (plain, analyses, want)
    }

    /// Adding paragraphs with probes from snapshots taken at every lag
    /// answers exactly what adding them plainly does, and so clusters alike.
    #[test]
    fn probed_adds_equal_plain_adds() {
        let paras = paragraphs_with_copies();
        for (name, builder) in probe_builders() {
            let (plain, analyses, want) = plain_adds(&builder, &paras);
            assert!(want.iter().filter(|w| w.is_some()).count() > 300, "{name}");
            for lag in [0usize, 1, 3, 50, 700, usize::MAX] {
                let mut probed = builder.build().unwrap();
                // Snapshots in order of the paragraph count they were taken at.
                let mut snapshots: Vec<(usize, Snapshot)> = vec![(0, probed.snapshot())];
                for (i, a) in analyses.iter().enumerate() {
                    // The newest snapshot at least `lag` paragraphs old.
                    let at = i.saturating_sub(lag);
                    let s = snapshots
                        .iter()
                        .rev()
                        .find(|(n, _)| *n <= at)
                        .map(|(_, s)| s)
                        .expect("the first snapshot is at 0");
                    let probe = s.probe(a);
                    let got =
                        probed.add_probed(loc(i), Keys::of(a), probe.as_ref().map(Probe::view));
                    assert_eq!(got, want[i], "{name}: paragraph {i} at lag {lag}");
                    if i % 7 == 0 {
                        snapshots.push((i + 1, probed.snapshot()));
                    }
                }
                assert_eq!(probed.clusters(), plain.clusters(), "{name}: lag {lag}");
            }
        }
    }

    /// A finder whose indexes other threads keep ([`Finder::share`])
    /// answers what a plain one does, whenever keys are handed over,
    /// indexed and snapshotted, for probes of every age (older than the
    /// recent keys it keeps too, when it keeps few) and without a probe.
    #[test]
    fn shared_adds_equal_plain_adds() {
        let paras = paragraphs_with_copies();
        for (name, builder) in probe_builders() {
            let (plain, analyses, want) = plain_adds(&builder, &paras);
            for (keep, buffer) in [
                (0usize, 1),
                (3, 16),
                (100, 64),
                (super::super::pairs::RECENT_KEEP, 256),
            ] {
                let mut shared = builder.build().unwrap();
                let hub = shared.share_keeping(Some(keep), buffer);
                let mut snapshots = vec![hub.snapshot()];
                let mut state = 0x5eed_u64 ^ keep as u64;
                let mut fallbacks = 0;
                for (i, a) in analyses.iter().enumerate() {
                    state = super::super::fmix64(state.wrapping_add(i as u64));
                    if state % 5 == 0 {
                        shared.publish();
                    }
                    if state % 7 < 3 {
                        hub.maintain();
                    }
                    if state % 3 == 0 {
                        snapshots.push(hub.snapshot());
                    }
                    // Mostly a recent snapshot, sometimes the oldest kept
                    // (up to 60 back), sometimes none.
                    let back = match (state >> 8) % 8 {
                        0 => snapshots.len() - 1,
                        1..=3 => ((state >> 16) as usize % 4).min(snapshots.len() - 1),
                        _ => 0,
                    };
                    let probe = if (state >> 24) % 50 == 0 {
                        None
                    } else {
                        snapshots[snapshots.len() - 1 - back].probe(a)
                    };
                    if let (Some(p), Candidates::Shared(s)) = (&probe, &shared.candidates) {
                        fallbacks += usize::from(p.candidates_len < s.recent_start());
                    }
                    let got =
                        shared.add_probed(loc(i), Keys::of(a), probe.as_ref().map(Probe::view));
                    assert_eq!(got, want[i], "{name}: paragraph {i}, keep {keep}");
                    if snapshots.len() > 60 {
                        snapshots.remove(0);
                    }
                }
                if keep < 100 {
                    assert!(
                        fallbacks > 100,
                        "{name}, keep {keep}: {fallbacks} fallbacks"
                    );
                }
                assert_eq!(shared.clusters(), plain.clusters(), "{name}: keep {keep}");
                // A clone keeps its own index and goes on answering alike.
                let mut copy = shared.clone();
                let mut plain_copy = plain.clone();
                for (i, a) in analyses.iter().enumerate().take(300) {
                    let at = analyses.len() + i;
                    assert_eq!(
                        copy.add_analyzed(loc(at), a),
                        plain_copy.add_analyzed(loc(at), a),
                        "{name}: clone, paragraph {i}"
                    );
                }
            }
        }
    }

    /// Probing many paragraphs at once answers what probing each does, in
    /// every configuration, from snapshots with and without unsorted items.
    #[test]
    fn probe_many_equals_probe_each() {
        let paras = paragraphs_with_copies();
        let mut near_chunks = Finder::builder();
        near_chunks.chunk_max_distance(2);
        for (name, builder) in [
            ("defaults", Finder::builder()),
            ("near chunks", near_chunks),
        ] {
            let mut finder = builder.build().unwrap();
            let analyses: Vec<Analysis> = paras
                .iter()
                .map(|p| finder.fingerprinter().analyze(p, &[]))
                .collect();
            let mut found = 0;
            for (i, a) in analyses.iter().enumerate() {
                if i % 301 == 0 {
                    let s = finder.snapshot();
                    let batch = &analyses[i..(i + 400).min(analyses.len())];
                    let many = s.probe_many(batch);
                    let each: Vec<Option<Probe>> = batch.iter().map(|a| s.probe(a)).collect();
                    assert_eq!(many, each, "{name} at {i}");
                    found += many
                        .iter()
                        .flatten()
                        .filter(|p| !p.found.is_empty())
                        .count();
                }
                finder.add_analyzed(loc(i), a);
            }
            assert!(found > 50, "{name}: only {found} probes found anything");
        }
    }

    fn loc(i: usize) -> Location {
        Location {
            doc: i as u64 / 10,
            paragraph: i % 10,
            span: 0..i,
        }
    }
}
