//! Verify stage: exact evidence for a candidate pair, and a verdict.
//!
//! Sketches only nominate pairs. This stage decides on evidence computed from
//! the documents' words, none of it from letter case or punctuation:
//! - word-shingle Jaccard and containment (near-verbatim copies, excerpts);
//! - passage alignment: each document is cut into passages of
//!   [`crate::corpus::PASSAGE_WORDS`] words, and each passage is matched to
//!   its most similar window of the other document (any position, so
//!   reordering is free; windows overlap by half, so split or merged
//!   sentences still meet), by the IDF-weighted Dice overlap of their terms.
//!   *Coverage* is the share of a document's term weight in passages aligned
//!   at [`VerifyOptions::passage_threshold`];
//! - new passages: where a document has no counterpart at the level the pair
//!   shares elsewhere. A rewrite, even a translation, matches every part of
//!   its source about equally well; a follow-up story recycles background
//!   word for word and adds whole passages of its own, with new names and
//!   numbers (rare terms), often at its opening.
//!
//! A logistic model weighs these into a score (see [`Model`]), fitted by
//! `benches/fit` on every labelled set and its mangled copies.
//!
//! Passages and windows are both made of *halves*: a passage is halves 2k
//! and 2k + 1, a window any two neighbouring halves of one run of content.
//! A document keeps one index of (term, half), from which every passage's
//! and window's terms follow, so nothing is stored twice.

pub use crate::settings::{INPUTS, Model, VerifyOptions};
use crate::sketch::hamming;

/// A term id (see `text`): 32 bits, which keeps features small enough that
/// many documents' stay in memory between signing and verifying.
pub type Term = u32;

/// Half a passage: consecutive words of one run of content (boilerplate
/// ends a run).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Half {
    /// The first word (an index into the document's tokens, boilerplate
    /// included, as `text::word_spans` lists them) and the word count.
    pub start: u32,
    pub len: u32,
    /// The first half of a run: no window joins it to the half before.
    pub opens_run: bool,
}

/// What verification needs of one document.
#[derive(Clone, Debug, Default)]
pub struct Features {
    /// Sorted, distinct shingle hashes (the high half of each 64-bit hash,
    /// which keeps their order; half the memory, and two of a document's
    /// ~600 shingles collide with odds of about 1 in 10^4).
    pub shingles: Vec<u32>,
    /// The shingle at each word position, as its index in `shingles`: where
    /// the shared ones run on word for word.
    pub shingle_order: Vec<u32>,
    /// Distinct terms with their IDF weights, sorted by term.
    pub terms: Vec<(Term, f32)>,
    /// (term, half) for each distinct term of each half, sorted (for a
    /// document of more than 64 halves; see `masks`).
    pub postings: Vec<(Term, u32)>,
    /// Where each of `terms` starts in `postings`, then the end.
    pub offsets: Vec<u32>,
    /// For a document of at most 64 halves (about 960 words), the same index
    /// as bits instead of postings (which are then empty): the halves holding
    /// each of `terms`. Smaller, and compared much faster.
    pub masks: Vec<u64>,
    /// The windows that exist (h + 1 does not open a run), as bits, where
    /// `masks` is filled.
    pub window_mask: u64,
    pub halves: Vec<Half>,
    /// Term weight of each passage (its distinct terms' IDF summed).
    pub passage_weights: Vec<f32>,
    /// Term weight of each window (halves h and h + 1); zero where h + 1
    /// opens a run, which makes no window.
    pub window_weights: Vec<f32>,
    /// Terms weighing at least this (IDF) are rare in the corpus
    /// (`corpus::rare_document_frequency`).
    pub rare_weight: f32,
    /// Words of content.
    pub words: u32,
    pub simhash: u64,
}

/// Each half's distinct terms, as indices into the document's terms
/// (sorted, so in term order): half h's are `terms[ends[h - 1]..ends[h]]`.
/// One list for the whole document instead of one per half.
#[derive(Clone, Debug, Default)]
pub struct HalfTerms {
    pub terms: Vec<u32>,
    pub ends: Vec<u32>,
}

impl HalfTerms {
    /// Half `h`'s term indices.
    pub fn of(&self, h: usize) -> &[u32] {
        let start = if h == 0 { 0 } else { self.ends[h - 1] };
        &self.terms[start as usize..self.ends[h] as usize]
    }

    /// Closes the current half: the indices pushed since the last close.
    pub fn close(&mut self) {
        self.ends.push(self.terms.len() as u32);
    }
}

/// The weight of the distinct terms of two sorted lists of term indices,
/// summed in term order.
fn union_weight(terms: &[(Term, f32)], a: &[u32], b: &[u32]) -> f32 {
    let (mut i, mut j, mut total) = (0, 0, 0f32);
    loop {
        let k = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) => {
                i += usize::from(x <= y);
                j += usize::from(y <= x);
                x.min(y)
            }
            (Some(&x), None) => {
                i += 1;
                x
            }
            (None, Some(&y)) => {
                j += 1;
                y
            }
            (None, None) => return total,
        };
        total += terms[k as usize].1;
    }
}

impl Features {
    /// The index of a document's halves (every run of content holds an even
    /// number of them), whose distinct terms, sorted, are `terms`.
    pub fn index(halves: Vec<Half>, half_terms: &HalfTerms, terms: Vec<(Term, f32)>) -> Features {
        Features::build(halves, half_terms, terms, true)
    }

    /// `masks`: index a short document by bits; otherwise, or for a long
    /// one, by (term, half) postings.
    fn build(
        halves: Vec<Half>,
        half_terms: &HalfTerms,
        terms: Vec<(Term, f32)>,
        masks: bool,
    ) -> Features {
        let (mut postings, mut offsets, mut term_masks, mut window_mask) =
            (Vec::new(), Vec::new(), Vec::new(), 0);
        let of = |h: usize| half_terms.of(h);
        if masks && halves.len() <= 64 {
            term_masks = vec![0u64; terms.len()];
            for h in 0..halves.len() {
                for &k in of(h) {
                    term_masks[k as usize] |= 1 << h;
                }
            }
            window_mask = halves
                .windows(2)
                .enumerate()
                .filter(|(_, w)| !w[1].opens_run)
                .fold(0u64, |m, (h, _)| m | 1 << h);
        } else {
            postings = (0..halves.len())
                .flat_map(|h| of(h).iter().map(move |&k| (k, h as u32)))
                .map(|(k, h)| (terms[k as usize].0, h))
                .collect();
            postings.sort_unstable();
            offsets.reserve(terms.len() + 1);
            let mut at = 0;
            for t in &terms {
                at += postings[at..].partition_point(|p: &(Term, u32)| p.0 < t.0);
                offsets.push(at as u32);
            }
            offsets.push(postings.len() as u32);
        }
        let passage_weights = (0..halves.len())
            .step_by(2)
            .map(|h| {
                let second = if h + 1 < halves.len() { of(h + 1) } else { &[] };
                union_weight(&terms, of(h), second)
            })
            .collect();
        let window_weights = (0..halves.len().saturating_sub(1))
            .map(|h| {
                if halves[h + 1].opens_run {
                    0.0
                } else {
                    union_weight(&terms, of(h), of(h + 1))
                }
            })
            .collect();
        Features {
            postings,
            offsets,
            masks: term_masks,
            window_mask,
            halves,
            passage_weights,
            window_weights,
            terms,
            ..Features::default()
        }
    }

    pub fn passages(&self) -> usize {
        self.passage_weights.len()
    }

    /// The first word and word count of passage `k`.
    pub fn passage_span(&self, k: usize) -> (u32, u32) {
        let first = self.halves[2 * k];
        let len = self.halves.get(2 * k + 1).map_or(0, |h| h.len);
        (first.start, first.len + len)
    }

    /// The first word and word count of window `h`.
    pub fn window_span(&self, h: usize) -> (u32, u32) {
        let first = self.halves[h];
        let len = self.halves.get(h + 1).map_or(0, |h| h.len);
        (first.start, first.len + len)
    }

    /// The halves holding term `k` (of [`Features::terms`]).
    fn halves_of(&self, k: usize) -> &[(Term, u32)] {
        let (from, to) = (self.offsets[k] as usize, self.offsets[k + 1] as usize);
        self.postings.get(from..to).unwrap_or_default()
    }

    /// Approximate heap bytes held, for memory budgets.
    pub fn heap_bytes(&self) -> usize {
        std::mem::size_of::<Features>()
            + (self.shingles.capacity() + self.shingle_order.capacity()) * 4
            + (self.terms.capacity() + self.postings.capacity()) * 8
            + self.offsets.capacity() * 4
            + self.masks.capacity() * 8
            + self.halves.capacity() * std::mem::size_of::<Half>()
            + (self.passage_weights.capacity() + self.window_weights.capacity()) * 4
    }
}

/// What one document shows against the other.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Side {
    /// Share of the document's term weight in passages aligned to the other.
    pub coverage: f64,
    pub aligned: u32,
    pub passages: u32,
    /// Share of the document's term weight found anywhere in the other.
    pub terms_in_other: f64,
    /// Share of its term weight in new passages: passages whose similarity
    /// (smoothed over their neighbours) is under half of what the pair's
    /// better-matched passages reach.
    pub new: f64,
    /// Rare terms the other document lacks that occur only in new passages.
    pub new_terms: u32,
    /// Mean similarity of the opening passages (the first fifth of the
    /// words, at least [`OPENING_WORDS`]), weighted by term weight.
    pub opening: f64,
    /// Share of the opening's term weight in new passages.
    pub new_opening: f64,
    /// Share of its words in runs of at least [`VERBATIM_WORDS`] that the
    /// other document holds word for word (every shingle of the run shared).
    pub verbatim: f64,
}

/// A run of this many words held word for word by the other document is
/// copied text, not a shared stock phrase ("in the first half of the").
pub const VERBATIM_WORDS: usize = 8;

/// The opening is the first fifth of a document's words, and at least this
/// many: a headline and a lead, or the start of any other text.
pub const OPENING_WORDS: u32 = 30;
const OPENING_SHARE: f64 = 0.2;

/// The evidence for one pair.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Evidence {
    pub score: f64,
    pub jaccard: f64,
    pub containment: f64,
    pub simhash_distance: u32,
    pub a: Side,
    pub b: Side,
}

/// A value of the evidence: a share or score in [0, 1], or a count.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    Share(f64),
    Count(u32),
}

impl Value {
    pub fn as_f64(self) -> f64 {
        match self {
            Value::Share(x) => x,
            Value::Count(n) => n as f64,
        }
    }
}

/// One evidence column: its name in pairs.csv, how to read it from the
/// evidence, and how to set it from a number (a count is exact in an f64).
type Column = (&'static str, fn(&Evidence) -> Value, fn(&mut Evidence, f64));

/// The evidence columns of pairs.csv after the ids, in order: the one table
/// the struct's report columns, the on-disk records and the Python module
/// follow.
const EVIDENCE_COLUMNS: [Column; COLUMNS] = {
    use Value::{Count, Share};
    [
        ("score", |e| Share(e.score), |e, v| e.score = v),
        ("jaccard", |e| Share(e.jaccard), |e, v| e.jaccard = v),
        (
            "containment",
            |e| Share(e.containment),
            |e, v| e.containment = v,
        ),
        (
            "coverage_a",
            |e| Share(e.a.coverage),
            |e, v| e.a.coverage = v,
        ),
        (
            "coverage_b",
            |e| Share(e.b.coverage),
            |e, v| e.b.coverage = v,
        ),
        (
            "aligned_a",
            |e| Count(e.a.aligned),
            |e, v| e.a.aligned = v as u32,
        ),
        (
            "passages_a",
            |e| Count(e.a.passages),
            |e, v| e.a.passages = v as u32,
        ),
        (
            "aligned_b",
            |e| Count(e.b.aligned),
            |e, v| e.b.aligned = v as u32,
        ),
        (
            "passages_b",
            |e| Count(e.b.passages),
            |e, v| e.b.passages = v as u32,
        ),
        (
            "simhash_distance",
            |e| Count(e.simhash_distance),
            |e, v| e.simhash_distance = v as u32,
        ),
        (
            "terms_in_other_a",
            |e| Share(e.a.terms_in_other),
            |e, v| e.a.terms_in_other = v,
        ),
        (
            "terms_in_other_b",
            |e| Share(e.b.terms_in_other),
            |e, v| e.b.terms_in_other = v,
        ),
        ("new_a", |e| Share(e.a.new), |e, v| e.a.new = v),
        ("new_b", |e| Share(e.b.new), |e, v| e.b.new = v),
        (
            "new_terms_a",
            |e| Count(e.a.new_terms),
            |e, v| e.a.new_terms = v as u32,
        ),
        (
            "new_terms_b",
            |e| Count(e.b.new_terms),
            |e, v| e.b.new_terms = v as u32,
        ),
        ("opening_a", |e| Share(e.a.opening), |e, v| e.a.opening = v),
        ("opening_b", |e| Share(e.b.opening), |e, v| e.b.opening = v),
        (
            "new_opening_a",
            |e| Share(e.a.new_opening),
            |e, v| e.a.new_opening = v,
        ),
        (
            "new_opening_b",
            |e| Share(e.b.new_opening),
            |e, v| e.b.new_opening = v,
        ),
        (
            "verbatim_a",
            |e| Share(e.a.verbatim),
            |e, v| e.a.verbatim = v,
        ),
        (
            "verbatim_b",
            |e| Share(e.b.verbatim),
            |e, v| e.b.verbatim = v,
        ),
    ]
};

/// The number of evidence columns.
pub const COLUMNS: usize = 22;

impl Evidence {
    /// The evidence as `pairs.csv`'s columns after the ids, named.
    pub fn columns(&self) -> [(&'static str, Value); COLUMNS] {
        EVIDENCE_COLUMNS.map(|(name, get, _)| (name, get(self)))
    }

    /// The evidence from its columns' values, in [`Evidence::columns`]' order.
    pub fn from_columns(values: [f64; COLUMNS]) -> Evidence {
        let mut evidence = Evidence::default();
        for ((_, _, set), value) in EVIDENCE_COLUMNS.iter().zip(values) {
            set(&mut evidence, value);
        }
        evidence
    }

    /// The column names, in order.
    pub fn names() -> [&'static str; COLUMNS] {
        EVIDENCE_COLUMNS.map(|c| c.0)
    }
}

/// The score's inputs for document X against Y, in this order, with the sign
/// each weight must have (the pruning bounds rely on it: the score can only
/// grow with the first three and only shrink with the others, which are zero
/// at best):
pub const INPUT_NAMES: [(&str, f64); INPUTS] = [
    ("coverage of X", 1.0),
    ("ln(containment + 0.01)", 1.0),
    ("opening similarity, the lower of X and Y", 1.0),
    ("new share of the opening, the higher of X and Y", -1.0),
    ("new share of Y", -1.0),
    ("new share of X", -1.0),
    ("ln(1 + new rare terms of X)", -1.0),
    ("ln(1 + new rare terms of Y)", -1.0),
    ("containment x the higher new share", -1.0),
    ("containment x ln(1 + new rare terms of both)", -1.0),
    (
        "verbatim share x uncovered share, the lower of X and Y",
        -1.0,
    ),
];

impl Model {
    pub fn inputs(x: &Side, y: &Side, containment: f64) -> [f64; INPUTS] {
        let new_terms = |s: &Side| (s.new_terms as f64).ln_1p();
        [
            x.coverage,
            (containment + 0.01).ln(),
            x.opening.min(y.opening),
            x.new_opening.max(y.new_opening),
            y.new,
            x.new,
            new_terms(x),
            new_terms(y),
            containment * x.new.max(y.new),
            containment * ((x.new_terms + y.new_terms) as f64).ln_1p(),
            (x.verbatim * (1.0 - x.coverage)).min(y.verbatim * (1.0 - y.coverage)),
        ]
    }

    pub fn score(&self, inputs: &[f64; INPUTS]) -> f64 {
        let z: f64 = self.bias
            + self
                .weights
                .iter()
                .zip(inputs)
                .map(|(w, x)| w * x)
                .sum::<f64>();
        1.0 / (1.0 + (-z).exp())
    }

    /// Whether every weight has the sign [`INPUT_NAMES`] gives it.
    pub fn is_monotone(&self) -> bool {
        self.weights
            .iter()
            .zip(INPUT_NAMES)
            .all(|(w, (_, sign))| w * sign >= 0.0)
    }
}

/// Shingle Jaccard and containment (overlap over the smaller set).
pub fn overlap(a: &[u32], b: &[u32]) -> (f64, f64) {
    let shared = sorted_intersection_count(a, b);
    let union = a.len() + b.len() - shared;
    let jaccard = if union == 0 {
        0.0
    } else {
        shared as f64 / union as f64
    };
    let smaller = a.len().min(b.len());
    let containment = if smaller == 0 {
        0.0
    } else {
        shared as f64 / smaller as f64
    };
    (jaccard, containment)
}

/// Elements two sorted, distinct lists share, counted in blocks
/// ([`intersection_in_blocks`]): of eight where the CPU has AVX2 (the
/// sixty-four comparisons are then a few vector instructions), else of four.
fn sorted_intersection_count(a: &[u32], b: &[u32]) -> usize {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { intersection_avx2(a, b) };
    }
    intersection_in_blocks::<4>(a, b)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn intersection_avx2(a: &[u32], b: &[u32]) -> usize {
    intersection_in_blocks::<8>(a, b)
}

/// Elements two sorted, distinct lists share. Without a branch on the
/// comparison: which list advances is unpredictable, and mispredicted
/// branches made this merge the costliest step of verifying a chance pair.
/// Blocks of `N` are compared all against all (which the compiler turns
/// into vector instructions) and the block with the smaller last element
/// moves on, both when the last elements are equal: every pair of
/// overlapping blocks meets once, so each shared element is counted once.
#[inline(always)]
fn intersection_in_blocks<const N: usize>(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i + N <= a.len() && j + N <= b.len() {
        let x: &[u32; N] = a[i..i + N].try_into().expect("a block");
        let y: &[u32; N] = b[j..j + N].try_into().expect("a block");
        let mut hits = [0u32; N];
        for p in x {
            for (hit, q) in hits.iter_mut().zip(y) {
                *hit += u32::from(p == q);
            }
        }
        n += hits.iter().sum::<u32>() as usize;
        let (last_x, last_y) = (x[N - 1], y[N - 1]);
        i += N * usize::from(last_x <= last_y);
        j += N * usize::from(last_y <= last_x);
    }
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        n += usize::from(x == y);
        i += usize::from(x <= y);
        j += usize::from(y <= x);
    }
    n
}

/// The terms two documents share, as (index in the first's terms, index in
/// the second's), in term order: found once per pair by a branch-free merge,
/// then every other comparison walks this short list.
pub struct Shared(pub Vec<(u32, u32)>);

impl Shared {
    pub fn of(x: &Features, y: &Features) -> Shared {
        let (xs, ys) = (&x.terms, &y.terms);
        // Every step writes the next slot and keeps it only on a match:
        // whether two terms match is as unpredictable as which list moves.
        // The smaller list bounds the matches; one slot more takes the
        // write after the last.
        let mut out = vec![(0u32, 0u32); xs.len().min(ys.len()) + 1];
        let (mut k, mut j, mut n) = (0, 0, 0);
        while k < xs.len() && j < ys.len() {
            let (a, b) = (xs[k].0, ys[j].0);
            out[n] = (k as u32, j as u32);
            n += usize::from(a == b);
            k += usize::from(a <= b);
            j += usize::from(b <= a);
        }
        out.truncate(n);
        Shared(out)
    }

    /// The same terms seen from the other document.
    pub fn swapped(&self) -> Shared {
        Shared(self.0.iter().map(|&(k, j)| (j, k)).collect())
    }
}

/// The passages (bit k) of a set of halves (bits 2k and 2k + 1).
fn passage_bits(halves: u64) -> u64 {
    let mut x = (halves | halves >> 1) & 0x5555_5555_5555_5555;
    x = (x | x >> 1) & 0x3333_3333_3333_3333;
    x = (x | x >> 2) & 0x0f0f_0f0f_0f0f_0f0f;
    x = (x | x >> 4) & 0x00ff_00ff_00ff_00ff;
    x = (x | x >> 8) & 0x0000_ffff_0000_ffff;
    (x | x >> 16) & 0x0000_0000_ffff_ffff
}

/// The positions of the set bits, lowest first.
fn ones(mut bits: u64) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        (bits != 0).then(|| {
            let i = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            i
        })
    })
}

/// Calls `f` with each passage holding term `k` of `x`, once, in order.
#[inline]
fn passages_of(x: &Features, k: usize, mut f: impl FnMut(usize)) {
    match x.masks.get(k) {
        Some(&halves) => ones(passage_bits(halves)).for_each(f),
        None => {
            let mut last = usize::MAX;
            for &(_, h) in x.halves_of(k) {
                let p = h as usize / 2;
                if p != last {
                    f(p);
                    last = p;
                }
            }
        }
    }
}

/// Calls `f` with each window holding term `j` of `y`, once, in order.
#[inline]
fn windows_of(y: &Features, j: usize, mut f: impl FnMut(usize)) {
    match y.masks.get(j) {
        Some(&halves) => ones((halves | halves >> 1) & y.window_mask).for_each(f),
        None => {
            let mut last = usize::MAX;
            for &(_, h) in y.halves_of(j) {
                let h = h as usize;
                // The window ending with this half and the one starting
                // with it, where each exists.
                for w in [h.wrapping_sub(1), h] {
                    if w != last && y.window_weights.get(w).is_some_and(|&x| x > 0.0) {
                        f(w);
                        last = w;
                    }
                }
            }
        }
    }
}

/// Each passage of `x` with its best window of `y` and their IDF-weighted
/// Dice similarity, in [0, 1]; ties go to the earliest window.
pub fn alignment(x: &Features, y: &Features) -> Vec<Option<(usize, f64)>> {
    align(x, y, &Shared::of(x, y))
}

/// [`alignment`] given the shared terms: the weight each passage shares
/// with each window is summed in a table, term by term in term order (as a
/// merge of the two term lists would add them), a block of passages at a
/// time so the table stays small.
fn align(x: &Features, y: &Features, shared: &Shared) -> Vec<Option<(usize, f64)>> {
    align_first(x, y, shared, x.passages())
}

/// [`align`] for the first `count` passages of `x` only.
fn align_first(
    x: &Features,
    y: &Features,
    shared: &Shared,
    count: usize,
) -> Vec<Option<(usize, f64)>> {
    let windows = y.window_weights.len();
    if windows == 0 {
        return vec![None; count];
    }
    if count * windows > TABLE_CELLS {
        return align_sparse(x, y, shared, count);
    }
    let block = (TABLE_CELLS / windows).max(1);
    let mut out = Vec::with_capacity(count);
    // One table per thread, reused: allocating it per pair cost more than
    // filling it.
    thread_local!(static TABLE: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) });
    TABLE.with_borrow_mut(|table| {
        for first in (0..count).step_by(block) {
            let passages = first..(first + block).min(count);
            table.clear();
            table.resize(passages.len() * windows, 0f32);
            for &(k, j) in &shared.0 {
                let weight = y.terms[j as usize].1;
                passages_of(x, k as usize, |p| {
                    if passages.contains(&p) {
                        let row = (p - first) * windows;
                        windows_of(y, j as usize, |w| table[row + w] += weight);
                    }
                });
            }
            for (p, row) in passages.zip(table.chunks_mut(windows)) {
                // Each window's similarity in place, -1 where nothing is
                // shared: a loop without branches, so the divisions run
                // several at a time; then the first best.
                let passage_weight = x.passage_weights[p];
                for (cell, &window_weight) in row.iter_mut().zip(&y.window_weights) {
                    let similarity = (2.0 * *cell / (passage_weight + window_weight)).min(1.0);
                    *cell = if *cell == 0.0 { -1.0 } else { similarity };
                }
                let (mut at, mut top) = (usize::MAX, -1f32);
                for (w, &similarity) in row.iter().enumerate() {
                    if similarity > top {
                        (at, top) = (w, similarity);
                    }
                }
                out.push((at != usize::MAX).then_some((at, top as f64)));
            }
        }
    });
    out
}

/// [`align_first`] for long documents, where a (passage, window) table
/// would be quadratic in their length. Each passage first scores the window
/// after its predecessor's best (where a near-copy's next passage is),
/// exactly; then walks its shared terms from the fewest windows up,
/// touching the windows each occurs in, and stops once the weight left
/// could not lift an untouched window to the best so far. Touched windows
/// that could still win are scored exactly: summed in term order, as the
/// table adds them, so the result is the table's.
fn align_sparse(
    x: &Features,
    y: &Features,
    shared: &Shared,
    count: usize,
) -> Vec<Option<(usize, f64)>> {
    let (starts, terms) = terms_by_passage(x, shared, count);
    let windows = y.window_weights.len();
    let mut row = vec![0f32; windows];
    let mut touched = Vec::new();
    let mut rarest_first = Vec::new();
    // Windows still in the running for the current passage.
    let mut live: Vec<usize> = Vec::new();
    let mut previous: Option<usize> = None;
    (0..count)
        .map(|p| {
            let own = &terms[starts[p] as usize..starts[p + 1] as usize];
            let passage_weight = x.passage_weights[p];
            let exact = |w: usize| {
                let shared: f32 = own
                    .iter()
                    .filter(|&&j| window_holds(y, j as usize, w))
                    .map(|&j| y.terms[j as usize].1)
                    .sum();
                (2.0 * shared / (passage_weight + y.window_weights[w])).min(1.0) as f64
            };
            let mut best: Option<(usize, f64)> = None;
            let consider = |w: usize, similarity: f64, best: &mut Option<(usize, f64)>| {
                if similarity > 0.0
                    && best.is_none_or(|(bw, b)| similarity > b || (similarity == b && w < bw))
                {
                    *best = Some((w, similarity));
                }
            };
            if let Some(guess) = previous.map(|w| w + 2)
                && y.window_weights.get(guess).is_some_and(|&ww| ww > 0.0)
            {
                consider(guess, exact(guess), &mut best);
            }
            // The most an untouched window can reach, sharing at most
            // `left` with the passage (its own weight is at least what it
            // shares): 2 left / (passage + left). Compared with a margin for
            // rounding, so nothing that could tie is cut.
            let lowest = |best: &Option<(usize, f64)>| best.map_or(0.0, |(_, b)| b) * (1.0 - 1e-4);
            let mut left: f64 = own.iter().map(|&j| y.terms[j as usize].1 as f64).sum();
            rarest_first.clear();
            rarest_first.extend(own.iter().map(|&j| (window_count(y, j as usize), j)));
            rarest_first.sort_unstable();
            let mut rest = rarest_first.iter();
            for &(_, j) in rest.by_ref() {
                let weight = y.terms[j as usize].1;
                left -= weight as f64;
                windows_of(y, j as usize, |w| {
                    if row[w] == 0.0 {
                        touched.push(w);
                    }
                    row[w] += weight;
                });
                if 2.0 * left / (passage_weight as f64 + left) < lowest(&best) {
                    break;
                }
            }
            // The touched window sharing the most so far, scored exactly,
            // raises the bar the others must clear.
            let share = |w: usize| 2.0 * row[w] / (passage_weight + y.window_weights[w]);
            if let Some(&w) = touched
                .iter()
                .max_by(|&&a, &&b| share(a).total_cmp(&share(b)))
            {
                consider(w, exact(w), &mut best);
            }
            // The most a touched window can reach: it shares what it has so
            // far and at most all that is left.
            let most = |row: f32, left: f64, w: usize| {
                let left = left.max(0.0) * (1.0 + 1e-4) + 1e-6;
                (2.0 * (row as f64 * (1.0 + 1e-4) + left)
                    / (passage_weight as f64 + y.window_weights[w] as f64))
                    .min(1.0)
            };
            live.clear();
            live.extend(touched.iter().copied().filter(|&w| {
                Some(w) != best.map(|b| b.0) && most(row[w], left, w) >= lowest(&best)
            }));
            // The remaining terms only add to windows still in the running:
            // looked up in each, or by walking the term's windows when that
            // is cheaper.
            for &(count, j) in rest {
                if live.is_empty() {
                    break;
                }
                let weight = y.terms[j as usize].1;
                left -= weight as f64;
                if live.len() * 8 < count as usize {
                    for &w in &live {
                        if window_holds(y, j as usize, w) {
                            row[w] += weight;
                        }
                    }
                } else {
                    windows_of(y, j as usize, |w| {
                        if row[w] != 0.0 {
                            row[w] += weight;
                        }
                    });
                }
                live.retain(|&w| most(row[w], left, w) >= lowest(&best));
            }
            for &w in &live {
                consider(w, exact(w), &mut best);
            }
            for &w in &touched {
                row[w] = 0.0;
            }
            touched.clear();
            previous = best.map(|b| b.0);
            best
        })
        .collect()
}

/// Each of the first `count` passages' shared terms (as indices into y's),
/// in term order: a counting sort of (passage, term) by passage. Passage
/// p's are `terms[starts[p]..starts[p + 1]]`.
fn terms_by_passage(x: &Features, shared: &Shared, count: usize) -> (Vec<u32>, Vec<u32>) {
    let mut starts = vec![0u32; count + 1];
    for &(k, _) in &shared.0 {
        passages_of(x, k as usize, |p| {
            if p < count {
                starts[p + 1] += 1;
            }
        });
    }
    for p in 0..count {
        starts[p + 1] += starts[p];
    }
    let mut next = starts.clone();
    let mut terms = vec![0u32; starts[count] as usize];
    for &(k, j) in &shared.0 {
        passages_of(x, k as usize, |p| {
            if p < count {
                terms[next[p] as usize] = j;
                next[p] += 1;
            }
        });
    }
    (starts, terms)
}

/// Whether term `j` of `y` occurs in window `w` (halves w and w + 1).
fn window_holds(y: &Features, j: usize, w: usize) -> bool {
    match y.masks.get(j) {
        Some(&halves) => w < 64 && (halves >> w) & 0b11 != 0,
        None => {
            let halves = y.halves_of(j);
            let at = halves.partition_point(|&(_, h)| (h as usize) < w);
            halves.get(at).is_some_and(|&(_, h)| h as usize <= w + 1)
        }
    }
}

/// How many halves of `y` hold term `j`: a bound on its windows.
fn window_count(y: &Features, j: usize) -> u32 {
    match y.masks.get(j) {
        Some(&halves) => halves.count_ones(),
        None => y.offsets[j + 1] - y.offsets[j],
    }
}

/// Cells of the (passage, window) table [`align`] fills at a time.
const TABLE_CELLS: usize = 1 << 16;

/// Which passages of `x` are openings: those starting within the first
/// [`OPENING_SHARE`] of its words (and at least [`OPENING_WORDS`]).
fn opening_passages(x: &Features) -> impl Iterator<Item = bool> + '_ {
    let limit = ((x.words as f64 * OPENING_SHARE) as u32).max(OPENING_WORDS);
    x.halves.chunks(2).scan(0u32, move |offset, pair| {
        let opening = *offset < limit;
        *offset += pair.iter().map(|h| h.len).sum::<u32>();
        Some(opening)
    })
}

/// The mean similarity of `x`'s opening passages to their best windows of
/// `y`, weighted by term weight: [`Side::opening`], computed alone (the
/// openings are the first passages, a few of them).
fn opening_similarity(x: &Features, y: &Features, shared: &Shared) -> f64 {
    let count = opening_passages(x).take_while(|&o| o).count();
    let matches = align_first(x, y, shared, count);
    let (mut total, mut similar) = (0f64, 0f64);
    for (&w, m) in x.passage_weights.iter().zip(&matches) {
        total += w as f64;
        similar += w as f64 * m.map_or(0.0, |(_, s)| s);
    }
    if total > 0.0 { similar / total } else { 0.0 }
}

/// Weighted quantile `q` of `values` (weights `weights`).
fn weighted_quantile(weights: &[f32], values: &[f64], q: f64) -> f64 {
    let mut pairs: Vec<(f64, f32)> = values
        .iter()
        .copied()
        .zip(weights.iter().copied())
        .collect();
    pairs.sort_unstable_by(|x, y| x.0.total_cmp(&y.0));
    let total: f64 = weights.iter().map(|&w| w as f64).sum();
    let mut seen = 0.0;
    for &(value, weight) in &pairs {
        seen += weight as f64;
        if seen >= q * total {
            return value;
        }
    }
    pairs.last().map_or(0.0, |p| p.0)
}

/// The median of each value and its two neighbours on either side: one
/// passage that a translator rendered loosely is not a new passage, a run
/// of them is.
fn smoothed(values: &[f64]) -> impl Iterator<Item = f64> + '_ {
    (0..values.len()).map(|i| {
        let near = &values[i.saturating_sub(2)..(i + 3).min(values.len())];
        let mut sorted = [0f64; 5];
        sorted[..near.len()].copy_from_slice(near);
        let sorted = &mut sorted[..near.len()];
        sorted.sort_unstable_by(|x, y| x.total_cmp(y));
        sorted[sorted.len() / 2]
    })
}

/// How each passage of one document fares against the other.
#[derive(Clone, Debug, Default)]
pub struct Details {
    /// Each passage's best window of the other document and its similarity.
    pub matches: Vec<Option<(usize, f64)>>,
    /// Whether each passage is new (see [`Side::new`]).
    pub new: Vec<bool>,
    /// The rare terms the other document lacks that occur only in new
    /// passages, sorted.
    pub new_terms: Vec<Term>,
}

impl Details {
    pub fn similarity(&self, passage: usize) -> f64 {
        self.matches[passage].map_or(0.0, |(_, s)| s)
    }
}

/// Each passage of `x` against `y`: its match, whether it is new, and the
/// new rare terms.
pub fn details(x: &Features, y: &Features) -> Details {
    details_with(x, y, &Shared::of(x, y))
}

fn details_with(x: &Features, y: &Features, shared: &Shared) -> Details {
    let matches = align(x, y, shared);
    let similarity: Vec<f64> = matches.iter().map(|m| m.map_or(0.0, |(_, s)| s)).collect();
    let level = 0.5 * weighted_quantile(&x.passage_weights, &similarity, 0.75);
    let new: Vec<bool> = smoothed(&similarity).map(|s| s < level).collect();
    let mut new_terms = Vec::new();
    if new.contains(&true) {
        // x's rare terms that y lacks, in order: skip the shared ones.
        let mut next_shared = shared.0.iter().map(|&(k, _)| k as usize).peekable();
        for (k, &(term, weight)) in x.terms.iter().enumerate() {
            if next_shared.next_if_eq(&k).is_some() || weight < x.rare_weight {
                continue;
            }
            let mut only_in_new = true;
            passages_of(x, k, |p| only_in_new &= new[p]);
            if only_in_new {
                new_terms.push(term);
            }
        }
    }
    Details {
        matches,
        new,
        new_terms,
    }
}

/// What document `x` shows against `y`.
pub fn side(x: &Features, y: &Features, options: &VerifyOptions) -> Side {
    side_with(x, y, &Shared::of(x, y), options)
}

fn side_with(x: &Features, y: &Features, shared: &Shared, options: &VerifyOptions) -> Side {
    let details = details_with(x, y, shared);
    let total: f64 = x.passage_weights.iter().map(|&w| w as f64).sum();
    let share = |part: f64, whole: f64| if whole > 0.0 { part / whole } else { 0.0 };
    let (mut covered, mut aligned, mut new_weight) = (0.0, 0, 0.0);
    let (mut opening_weight, mut opening_similarity, mut opening_new) = (0.0, 0.0, 0.0);
    for (i, (&w, opening)) in x
        .passage_weights
        .iter()
        .zip(opening_passages(x))
        .enumerate()
    {
        let (w, s, is_new) = (w as f64, details.similarity(i), details.new[i]);
        if s >= options.passage_threshold {
            covered += w;
            aligned += 1;
        }
        if is_new {
            new_weight += w;
        }
        if opening {
            opening_weight += w;
            opening_similarity += w * s;
            if is_new {
                opening_new += w;
            }
        }
    }
    // Summed in term order, as a merge of the two term lists would.
    let terms_total: f32 = x.terms.iter().map(|t| t.1).sum();
    let terms_shared: f32 = shared.0.iter().map(|&(k, _)| x.terms[k as usize].1).sum();
    Side {
        coverage: share(covered, total),
        aligned,
        passages: x.passages() as u32,
        terms_in_other: if terms_total > 0.0 {
            (terms_shared / terms_total).min(1.0) as f64
        } else {
            1.0
        },
        new: share(new_weight, total),
        new_terms: details.new_terms.len() as u32,
        opening: share(opening_similarity, opening_weight),
        new_opening: share(opening_new, opening_weight),
        verbatim: verbatim(x, y),
    }
}

/// Share of `x`'s words in runs of at least [`VERBATIM_WORDS`] words that
/// `y` holds word for word: a run of k shared shingles of n words covers
/// k + n - 1 words.
fn verbatim(x: &Features, y: &Features) -> f64 {
    let order = &x.shingle_order;
    if order.is_empty() || x.words == 0 {
        return 0.0;
    }
    let mut held = vec![false; x.shingles.len()];
    let (mut i, mut j) = (0, 0);
    while i < x.shingles.len() && j < y.shingles.len() {
        let (a, b) = (x.shingles[i], y.shingles[j]);
        held[i] = a == b;
        i += usize::from(a <= b);
        j += usize::from(b <= a);
    }
    let extra = (x.words as usize).saturating_sub(order.len());
    let mut covered = 0;
    for run in order.chunk_by(|&a, &b| held[a as usize] == held[b as usize]) {
        let words = run.len() + extra;
        if held[run[0] as usize] && words >= VERBATIM_WORDS {
            covered += words;
        }
    }
    (covered as f64 / x.words as f64).min(1.0)
}

/// Upper bounds on `x`'s coverage and opening similarity against the other
/// document, from the weight each passage shares with it as a whole: a
/// window holds at most that much of it, so the passage's Dice similarity
/// is at most 2s / (w + s). Inflated by a hair so float rounding never cuts
/// a pair. `shared`: the indices in `x.terms` of the terms the other holds.
fn side_bound(
    x: &Features,
    shared: impl Iterator<Item = u32>,
    options: &VerifyOptions,
) -> (f64, f64) {
    if !x.masks.is_empty() {
        // At most 32 passages (64 halves): a buffer on the stack, and each
        // term's passages straight from its bits.
        let mut with_other = [0f64; 32];
        for k in shared {
            let weight = x.terms[k as usize].1 as f64;
            let mut passages = passage_bits(x.masks[k as usize]);
            while passages != 0 {
                with_other[passages.trailing_zeros() as usize & 31] += weight;
                passages &= passages - 1;
            }
        }
        return side_bound_of(x, &with_other[..x.passages()], options);
    }
    // One buffer per thread, reused: most candidates stop at this bound.
    thread_local!(static WITH_OTHER: std::cell::RefCell<Vec<f64>> = const { std::cell::RefCell::new(Vec::new()) });
    WITH_OTHER.with_borrow_mut(|with_other| {
        with_other.clear();
        with_other.resize(x.passages(), 0.0);
        for k in shared {
            let weight = x.terms[k as usize].1 as f64;
            passages_of(x, k as usize, |p| with_other[p] += weight);
        }
        side_bound_of(x, with_other, options)
    })
}

/// [`side_bound`] given the weight each passage shares with the other.
fn side_bound_of(x: &Features, with_other: &[f64], options: &VerifyOptions) -> (f64, f64) {
    let (mut total, mut possible, mut opening_total, mut opening_possible) = (0f64, 0., 0., 0.);
    for ((&w, &s), opening) in x
        .passage_weights
        .iter()
        .zip(with_other)
        .zip(opening_passages(x))
    {
        let w = w as f64;
        let bound = if w + s > 0.0 {
            (2.0 * s / (w + s) * (1.0 + 1e-5) + 1e-6).min(1.0)
        } else {
            0.0
        };
        total += w;
        if bound >= options.passage_threshold {
            possible += w;
        }
        if opening {
            opening_total += w;
            opening_possible += w * bound;
        }
    }
    let share = |part: f64, whole: f64| {
        if whole > 0.0 {
            (part / whole + 1e-9).min(1.0)
        } else {
            0.0
        }
    };
    (
        share(possible, total),
        share(opening_possible, opening_total),
    )
}

/// The best a side can show, within bounds on its coverage and opening:
/// every input the score grows with at its bound, every other at zero.
fn best_side(coverage: f64, opening: f64) -> Side {
    Side {
        coverage,
        opening,
        ..Side::default()
    }
}

/// Whether the pair could score `min_score` or more, decided from bounds that
/// cost far less than aligning every passage; false means it certainly
/// cannot. The score grows only with coverage, containment and the
/// opening's similarity, and only shrinks with the other inputs, which are
/// never below zero ([`Model::is_monotone`]): those take zero, coverage its
/// upper bound, and the containment and the openings are exact.
pub fn could_reach(a: &Features, b: &Features, options: &VerifyOptions, min_score: f64) -> bool {
    identical(a, b) || Bounds::of(a, b, options, min_score).is_some()
}

/// Upper bounds on what each side of a pair can show.
struct Bounds {
    containment: f64,
    a: Side,
    b: Side,
    shared: Shared,
    swapped: Shared,
}

impl Bounds {
    /// `None` when the pair cannot reach `min_score`: first with only the
    /// containment known (everything else at its best), then with bounds on
    /// each side's coverage and opening, then with the openings exact.
    fn of(a: &Features, b: &Features, options: &VerifyOptions, min_score: f64) -> Option<Bounds> {
        // The bounds read a few masks of each term list at random; their
        // loads missed the cache more than anything else the verifier does.
        crate::cache::prefetch(&a.masks);
        crate::cache::prefetch(&b.masks);
        let containment = overlap(&a.shingles, &b.shingles).1;
        let best = best_side(1.0, 1.0);
        if !Bounds::reach_sides(options, containment, &best, &best, min_score) {
            return None;
        }
        let shared = Shared::of(a, b);
        let (coverage_a, opening_a) = side_bound(a, shared.0.iter().map(|s| s.0), options);
        let (coverage_b, opening_b) = side_bound(b, shared.0.iter().map(|s| s.1), options);
        let side_b = best_side(coverage_b, opening_b);
        if !Bounds::reach_sides(
            options,
            containment,
            &best_side(coverage_a, opening_a),
            &side_b,
            min_score,
        ) {
            return None;
        }
        // The openings exactly (a few passages each, and a heavy input),
        // one side at a time: the first alone rules out most pairs.
        let side_a = best_side(coverage_a, opening_similarity(a, b, &shared));
        if !Bounds::reach_sides(options, containment, &side_a, &side_b, min_score) {
            return None;
        }
        let swapped = shared.swapped();
        let bounds = Bounds {
            containment,
            a: side_a,
            b: best_side(coverage_b, opening_similarity(b, a, &swapped)),
            shared,
            swapped,
        };
        Bounds::reach_sides(options, containment, &bounds.a, &bounds.b, min_score).then_some(bounds)
    }

    fn reach_sides(
        options: &VerifyOptions,
        containment: f64,
        a: &Side,
        b: &Side,
        min_score: f64,
    ) -> bool {
        let model = &options.model;
        model.score(&Model::inputs(a, b, containment)) >= min_score
            || model.score(&Model::inputs(b, a, containment)) >= min_score
    }
}

/// The evidence for the pair if it scores `min_score` or more. Cheaper than
/// [`evidence`] on the pairs that do not: bounds rule most of them out, and
/// the rest are judged on one side computed and the other bounded before
/// the second side is computed.
pub fn verified(
    a: &Features,
    b: &Features,
    options: &VerifyOptions,
    min_score: f64,
) -> Option<Evidence> {
    if identical(a, b) {
        return Some(evidence(a, b, options));
    }
    let bounds = Bounds::of(a, b, options, min_score)?;
    let side_a = side_with(a, b, &bounds.shared, options);
    if !Bounds::reach_sides(options, bounds.containment, &side_a, &bounds.b, min_score) {
        return None;
    }
    let side_b = side_with(b, a, &bounds.swapped, options);
    let evidence = assemble(a, b, options, side_a, side_b);
    (evidence.score >= min_score).then_some(evidence)
}

/// The same words in the same order, after boilerplate removal: an exact
/// copy, whatever its length or vocabulary, so its score is 1.
fn identical(a: &Features, b: &Features) -> bool {
    !a.shingles.is_empty()
        && a.shingles == b.shingles
        && a.terms.len() == b.terms.len()
        && a.terms.iter().zip(&b.terms).all(|(x, y)| x.0 == y.0)
}

/// All the evidence for a pair and its score in [0, 1] (symmetric).
pub fn evidence(a: &Features, b: &Features, options: &VerifyOptions) -> Evidence {
    let shared = Shared::of(a, b);
    let (side_a, side_b) = (
        side_with(a, b, &shared, options),
        side_with(b, a, &shared.swapped(), options),
    );
    assemble(a, b, options, side_a, side_b)
}

fn assemble(
    a: &Features,
    b: &Features,
    options: &VerifyOptions,
    side_a: Side,
    side_b: Side,
) -> Evidence {
    let (jaccard, containment) = overlap(&a.shingles, &b.shingles);
    let model = &options.model;
    let score = if identical(a, b) {
        1.0
    } else {
        model
            .score(&Model::inputs(&side_a, &side_b, containment))
            .max(model.score(&Model::inputs(&side_b, &side_a, containment)))
    };
    Evidence {
        score,
        jaccard,
        containment,
        simhash_distance: hamming(a.simhash, b.simhash),
        a: side_a,
        b: side_b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds features from each passage's halves' terms (a term weighs the
    /// same wherever it occurs, as an IDF does).
    fn from_halves(halves: Vec<Vec<Term>>, shingles: Vec<u32>, rare_weight: f32) -> Features {
        from_halves_as(halves, shingles, rare_weight, true)
    }

    /// `masks`: false indexes the document by postings, as a long one is.
    fn from_halves_as(
        halves: Vec<Vec<Term>>,
        shingles: Vec<u32>,
        rare_weight: f32,
        masks: bool,
    ) -> Features {
        let weigh = |t: Term| 0.5 + (t % 7) as f32 * 0.4;
        let mut terms: Vec<(Term, f32)> = halves.iter().flatten().map(|&t| (t, weigh(t))).collect();
        terms.sort_by_key(|t| t.0);
        terms.dedup_by_key(|t| t.0);
        let words = 15 * halves.len() as u32;
        let mut half_terms = HalfTerms::default();
        for t in &halves {
            let mut k: Vec<u32> = t
                .iter()
                .map(|t| terms.binary_search_by_key(t, |x| x.0).unwrap() as u32)
                .collect();
            k.sort_unstable();
            k.dedup();
            half_terms.terms.extend(k);
            half_terms.close();
        }
        let halves = (0..halves.len())
            .map(|h| Half {
                start: 15 * h as u32,
                len: 15,
                opens_run: h == 0,
            })
            .collect();
        Features {
            shingles,
            rare_weight,
            words,
            ..Features::build(halves, &half_terms, terms, masks)
        }
    }

    /// Passages of 30 words holding `terms`, all in their first half.
    fn features(passages: &[&[Term]]) -> Features {
        let halves = passages
            .iter()
            .flat_map(|p| [p.to_vec(), Vec::new()])
            .collect();
        from_halves(halves, Vec::new(), 0.0)
    }

    /// A random document of up to 12 passages, indexed by bits, and the
    /// same indexed by postings.
    fn random_pair(rng: &mut crate::hash::SplitMix64) -> (Features, Features) {
        let halves: Vec<Vec<Term>> = (0..2 * (1 + rng.below(12)))
            .map(|_| (0..rng.below(6)).map(|_| rng.below(40) as Term).collect())
            .collect();
        let mut shingles: Vec<u32> = (0..rng.below(30)).map(|_| rng.below(60) as u32).collect();
        shingles.sort_unstable();
        shingles.dedup();
        let order: Vec<u32> = if shingles.is_empty() {
            Vec::new()
        } else {
            (0..rng.below(60))
                .map(|_| rng.below(shingles.len() as u64) as u32)
                .collect()
        };
        let with_order = |f: Features| Features {
            shingle_order: order.clone(),
            ..f
        };
        (
            with_order(from_halves_as(halves.clone(), shingles.clone(), 3.0, true)),
            with_order(from_halves_as(halves, shingles, 3.0, false)),
        )
    }

    fn random_features(rng: &mut crate::hash::SplitMix64) -> Features {
        random_pair(rng).0
    }

    /// Features holding only a shingle sequence (3-word shingles).
    fn sequence(order: &[u32]) -> Features {
        let mut shingles = order.to_vec();
        shingles.sort_unstable();
        shingles.dedup();
        Features {
            shingle_order: order
                .iter()
                .map(|s| shingles.binary_search(s).unwrap() as u32)
                .collect(),
            shingles,
            words: order.len() as u32 + 2,
            ..Features::default()
        }
    }

    fn assert_sparse_is_the_table(x: &Features, y: &Features) {
        let shared = Shared::of(x, y);
        let n = x.passages();
        assert_eq!(
            align_sparse(x, y, &shared, n),
            align_first(x, y, &shared, n)
        );
    }

    #[test]
    fn sparse_alignment_equals_the_table() {
        let mut rng = crate::hash::SplitMix64::new(11);
        for _ in 0..300 {
            let (a, a_postings) = random_pair(&mut rng);
            let (b, b_postings) = random_pair(&mut rng);
            for (x, y) in [(&a, &b), (&a_postings, &b_postings), (&b, &a_postings)] {
                assert_sparse_is_the_table(x, y);
            }
        }
    }

    /// Long near-copies (terms dropped and replaced, halves moved and
    /// inserted) from a small vocabulary, so that terms recur in many
    /// windows and the sparse alignment prunes, looks terms up and guesses
    /// from the previous passage: still exactly the table.
    #[test]
    fn sparse_alignment_of_near_copies_equals_the_table() {
        let mut rng = crate::hash::SplitMix64::new(12);
        for round in 0..60 {
            let vocabulary = 20 + rng.below(60);
            let halves: Vec<Vec<Term>> = (0..2 * (10 + rng.below(140)))
                .map(|_| {
                    (0..1 + rng.below(8))
                        .map(|_| rng.below(vocabulary) as Term)
                        .collect()
                })
                .collect();
            let mut copy: Vec<Vec<Term>> = Vec::new();
            for half in &halves {
                let mut kept = Vec::new();
                for &t in half {
                    match rng.below(30) {
                        0..3 => {}
                        3..5 => kept.push(rng.below(vocabulary) as Term),
                        _ => kept.push(t),
                    }
                }
                copy.push(kept);
            }
            for _ in 0..rng.below(4) {
                let (from, to) = (
                    rng.below(copy.len() as u64) as usize,
                    rng.below(copy.len() as u64) as usize,
                );
                let moved = copy.remove(from);
                copy.insert(to, moved);
            }
            if round % 3 == 0 {
                copy.insert(rng.below(copy.len() as u64) as usize, vec![1, 2, 3]);
                copy.push(Vec::new());
            }
            let x = from_halves_as(halves, Vec::new(), 3.0, false);
            let y = from_halves_as(copy, Vec::new(), 3.0, false);
            for (x, y) in [(&x, &y), (&y, &x)] {
                assert_sparse_is_the_table(x, y);
            }
        }
    }

    #[test]
    fn verbatim_counts_only_runs_of_copied_words() {
        // x: 20 shingles (22 words). y holds shingles 0..6 (a run of six
        // shingles: eight words) and 10..15 (five: seven words, a stock
        // phrase, not a copy).
        let x = sequence(&(0..20).collect::<Vec<u32>>());
        let y = sequence(&[0, 1, 2, 3, 4, 5, 100, 10, 11, 12, 13, 14, 101]);
        assert!((verbatim(&x, &y) - 8.0 / 22.0).abs() < 1e-12);
        assert_eq!(verbatim(&x, &Features::default()), 0.0);
        assert!((verbatim(&x, &x) - 1.0).abs() < 1e-12);
    }

    /// Weight of the terms two sorted weighted sets share.
    fn shared_weight(a: &[(Term, f32)], b: &[(Term, f32)]) -> f32 {
        a.iter()
            .filter(|x| b.binary_search_by_key(&x.0, |t| t.0).is_ok())
            .map(|x| x.1)
            .sum()
    }

    fn union(a: &[(Term, f32)], b: &[(Term, f32)]) -> Vec<(Term, f32)> {
        let mut all: Vec<(Term, f32)> = a.iter().chain(b).copied().collect();
        all.sort_by_key(|t| t.0);
        all.dedup_by_key(|t| t.0);
        all
    }

    /// [`alignment`] by comparing every passage with every window, each
    /// spelled out as its terms (for tests).
    fn alignment_exhaustive(x: &Features, y: &Features) -> Vec<Option<(usize, f64)>> {
        // From the bits, or the postings, whichever the document has.
        let terms_of = |f: &Features, h: usize| -> Vec<(Term, f32)> {
            f.terms
                .iter()
                .enumerate()
                .filter(|(k, _)| match f.masks.get(*k) {
                    Some(m) => m >> h & 1 == 1,
                    None => f.halves_of(*k).iter().any(|p| p.1 as usize == h),
                })
                .map(|(_, t)| *t)
                .collect()
        };
        (0..x.passages())
            .map(|p| {
                let passage = union(&terms_of(x, 2 * p), &terms_of(x, 2 * p + 1));
                let mut best: Option<(usize, f64)> = None;
                for w in 0..y.window_weights.len() {
                    if y.halves[w + 1].opens_run {
                        continue;
                    }
                    let window = union(&terms_of(y, w), &terms_of(y, w + 1));
                    let shared = shared_weight(&passage, &window);
                    if shared == 0.0 {
                        continue;
                    }
                    let total = x.passage_weights[p] + y.window_weights[w];
                    let s = (2.0 * shared / total).min(1.0) as f64;
                    if best.is_none_or(|(_, b)| s > b) {
                        best = Some((w, s));
                    }
                }
                best
            })
            .collect()
    }

    #[test]
    fn indexed_alignment_equals_exhaustive_comparison() {
        let mut rng = crate::hash::SplitMix64::new(4);
        for _ in 0..300 {
            let ((a, long_a), (b, long_b)) = (random_pair(&mut rng), random_pair(&mut rng));
            let expected = alignment_exhaustive(&a, &b);
            assert_eq!(alignment(&a, &b), expected);
            assert_eq!(alignment_exhaustive(&long_a, &long_b), expected);
            // The same from the (term, half) postings, as for long
            // documents, on either side or both.
            assert_eq!(alignment(&long_a, &b), expected);
            assert_eq!(alignment(&a, &long_b), expected);
            assert_eq!(alignment(&long_a, &long_b), expected);
            let options = VerifyOptions::default();
            assert_eq!(
                evidence(&long_a, &long_b, &options),
                evidence(&a, &b, &options)
            );
            let shared = Shared::of(&a, &b);
            let terms = || shared.0.iter().map(|s| s.0);
            assert_eq!(
                side_bound(&long_a, terms(), &options),
                side_bound(&a, terms(), &options)
            );
        }
    }

    #[test]
    fn could_reach_never_rejects_a_pair_that_scores() {
        let mut rng = crate::hash::SplitMix64::new(21);
        let options = VerifyOptions::default();
        assert!(options.model.is_monotone());
        let (mut scoring, mut rejected) = (0, 0);
        for _ in 0..3000 {
            let (a, b) = (random_features(&mut rng), random_features(&mut rng));
            let e = evidence(&a, &b, &options);
            for min in [0.1, 0.35, options.threshold, 0.9] {
                let can = could_reach(&a, &b, &options, min);
                assert!(
                    can || e.score < min,
                    "rejected a pair scoring {} >= {min}",
                    e.score
                );
                // The staged check gives the full evidence or nothing.
                let staged = verified(&a, &b, &options, min);
                assert_eq!(staged, (e.score >= min).then_some(e));
                if e.score >= min {
                    scoring += 1;
                } else if !can {
                    rejected += 1;
                }
            }
        }
        // The test must see both outcomes to mean anything.
        assert!(
            scoring > 100 && rejected > 100,
            "{scoring} scoring, {rejected} rejected"
        );
    }

    #[test]
    fn overlap_of_sorted_sets() {
        assert_eq!(overlap(&[1, 2, 3, 4], &[3, 4, 5, 6]), (2.0 / 6.0, 0.5));
        assert_eq!(overlap(&[1, 2], &[1, 2, 3, 4]), (0.5, 1.0));
        assert_eq!(overlap(&[], &[]), (0.0, 0.0));
    }

    #[test]
    fn block_intersection_counts_what_a_set_does() {
        let mut rng = crate::hash::SplitMix64::new(11);
        for round in 0..2000 {
            // From disjoint to nearly equal, in lists of 0 to 40 elements
            // drawn from a range that makes runs of shared ones likely.
            let range = 8 + rng.below(120);
            let mut list = |len| {
                let mut l: Vec<u32> = (0..len).map(|_| rng.below(range) as u32).collect();
                l.sort_unstable();
                l.dedup();
                l
            };
            let (a, b) = (list(round % 41), list(round / 41 % 41));
            let expected = a.iter().filter(|x| b.binary_search(x).is_ok()).count();
            for (x, y) in [(&a, &b), (&b, &a)] {
                assert_eq!(sorted_intersection_count(x, y), expected, "{a:?} {b:?}");
                assert_eq!(intersection_in_blocks::<4>(x, y), expected, "{a:?} {b:?}");
                assert_eq!(intersection_in_blocks::<8>(x, y), expected, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn reordered_passages_still_align() {
        let a = features(&[&[1, 2, 3], &[4, 5, 6], &[7, 8, 9]]);
        let b = features(&[&[7, 8, 9], &[1, 2, 3], &[4, 5, 6]]);
        let e = evidence(&a, &b, &VerifyOptions::default());
        assert_eq!((e.a.coverage, e.b.coverage), (1.0, 1.0));
        assert_eq!((e.a.aligned, e.b.aligned), (3, 3));
        assert_eq!((e.a.new, e.b.new), (0.0, 0.0));
    }

    #[test]
    fn a_passage_split_across_two_passages_meets_the_window_between_them() {
        // B holds A's middle passage in the second half of one passage and
        // the first half of the next: the window across them matches it.
        let a = features(&[&[1, 2, 3], &[4, 5, 6, 7], &[8, 9, 10]]);
        let b = from_halves(
            vec![vec![1, 2, 3], vec![4, 5], vec![6, 7], vec![8, 9, 10]],
            Vec::new(),
            0.0,
        );
        let matches = alignment(&a, &b);
        assert_eq!(matches[1], Some((1, 1.0)));
        assert_eq!(evidence(&a, &b, &VerifyOptions::default()).a.coverage, 1.0);
    }

    #[test]
    fn unrelated_passages_do_not_align() {
        let a = features(&[&[1, 2, 3], &[4, 5, 6]]);
        let b = features(&[&[11, 12, 13], &[14, 15, 16]]);
        let e = evidence(&a, &b, &VerifyOptions::default());
        assert_eq!((e.a.coverage, e.b.coverage), (0.0, 0.0));
        assert!(e.score < 0.05, "{}", e.score);
    }

    #[test]
    fn a_run_of_passages_without_counterpart_is_new_one_loose_passage_is_not() {
        let source: Vec<Vec<Term>> = (0..8)
            .map(|i| vec![10 * i + 1, 10 * i + 2, 10 * i + 3])
            .collect();
        let refs: Vec<&[Term]> = source.iter().map(Vec::as_slice).collect();
        let original = features(&refs);
        // One passage rendered loosely: still no new passage.
        let mut loose = source.clone();
        loose[4] = vec![41, 99, 98];
        let refs: Vec<&[Term]> = loose.iter().map(Vec::as_slice).collect();
        let e = evidence(&features(&refs), &original, &VerifyOptions::default());
        assert_eq!(e.a.new, 0.0);
        // Three passages of new matter at the top, with new rare terms.
        let mut followup: Vec<Vec<Term>> = vec![
            vec![201, 202, 203],
            vec![204, 205, 206],
            vec![207, 208, 209],
        ];
        followup.extend(source.iter().cloned());
        let refs: Vec<&[Term]> = followup.iter().map(Vec::as_slice).collect();
        let followup = features(&refs);
        let e = evidence(&followup, &original, &VerifyOptions::default());
        let new: f32 = followup.passage_weights[..3].iter().sum();
        let all: f32 = followup.passage_weights.iter().sum();
        assert!((e.a.new - (new / all) as f64).abs() < 1e-6, "{}", e.a.new);
        assert_eq!(e.a.new_terms, 9);
        assert_eq!(e.a.new_opening, 1.0);
        assert_eq!((e.b.coverage, e.b.new), (1.0, 0.0));
    }

    #[test]
    fn the_score_grows_and_shrinks_with_each_input_as_its_sign_says() {
        let model = Model::FITTED;
        assert!(model.is_monotone());
        let base = [0.5, -2.0, 0.4, 0.2, 0.2, 0.2, 1.0, 1.0, 0.05, 0.2, 0.02];
        for (i, (name, sign)) in INPUT_NAMES.iter().enumerate() {
            if model.weights[i] == 0.0 {
                continue;
            }
            let mut more = base;
            more[i] += 0.1;
            let (before, after) = (model.score(&base), model.score(&more));
            assert!((after - before) * sign > 0.0, "{name}: {before} -> {after}");
        }
        assert!((0.0..=1.0).contains(&model.score(&base)));
    }

    #[test]
    fn evidence_columns_round_trip() {
        let a = features(&[&[1, 2, 3], &[4, 5, 6], &[20, 21]]);
        let b = features(&[&[1, 2, 30], &[4, 5, 6, 7]]);
        let e = evidence(&a, &b, &VerifyOptions::default());
        let values = e.columns().map(|c| c.1.as_f64());
        assert_eq!(Evidence::from_columns(values), e);
        let names = Evidence::names();
        let distinct: std::collections::HashSet<_> = names.iter().collect();
        assert_eq!(distinct.len(), COLUMNS);
        assert_eq!(names[0], "score");
    }

    #[test]
    fn score_is_symmetric() {
        let a = features(&[&[1, 2, 3], &[4, 5, 6], &[20, 21]]);
        let b = features(&[&[1, 2, 30], &[4, 5, 6, 7]]);
        let options = VerifyOptions::default();
        assert_eq!(
            evidence(&a, &b, &options).score,
            evidence(&b, &a, &options).score
        );
    }

    #[test]
    fn a_summary_is_covered_by_its_source() {
        let story = features(&[&[1, 2, 3], &[4, 5, 6], &[7, 8, 9], &[10, 11, 12]]);
        let summary = features(&[&[1, 2, 3], &[7, 8, 9]]);
        let e = evidence(&summary, &story, &VerifyOptions::default());
        assert_eq!(e.a.coverage, 1.0);
        assert!(e.b.coverage < 0.6, "{}", e.b.coverage);
    }
}
