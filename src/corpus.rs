//! The statistics and signing stages: the corpus's boilerplate sentences
//! and term rarity ([`Corpus`]), and from a segmented document what the
//! index and the verifier need: boilerplate removed, terms weighted by
//! rarity, signatures and features.

use rayon::prelude::*;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::io;

use crate::settings::ScanOptions;
use crate::sketch::{self, Banding};
use crate::term_counts::TermCounts;
use crate::text;
use crate::verify::{Features, Half, HalfTerms, Term};

/// A segmented document with a fingerprint of each sentence.
pub(crate) struct Segmented {
    pub(crate) tokens: text::Tokens,
    pub(crate) sentence_hashes: Vec<u64>,
}

pub(crate) fn segmented(tokens: text::Tokens) -> Segmented {
    let sentence_hashes = tokens
        .sentences
        .iter()
        .map(|r| {
            let words = &tokens.tokens[r.start as usize..r.end as usize];
            crate::hash::hash_word_iter(words.iter().map(|t| t.word as u64))
        })
        .collect();
    Segmented {
        tokens,
        sentence_hashes,
    }
}

/// The evidence-bearing content of a document: everything but boilerplate.
pub(crate) struct Tokenized {
    shingles: Vec<u32>,
    /// Each word position's shingle, as its index in `shingles`.
    shingle_order: Vec<u32>,
    /// The content cut into half passages (see [`PASSAGE_WORDS`]): the first
    /// word's index and the word count; two consecutive halves of one run of
    /// content make a passage or a window.
    halves: Vec<Half>,
    /// Each half's distinct terms, as indices into `term_counts`.
    half_terms: HalfTerms,
    /// Term counts over the whole document, sorted by term.
    term_counts: Vec<(u64, u32)>,
    /// Words of content (boilerplate left out).
    words: u32,
}

/// Words per passage. Coverage is measured on passages of this many
/// consecutive words, whatever the punctuation: a text without sentence
/// marks is cut exactly as its punctuated copy is. A passage of one
/// document is compared with every window of the other (passages and the
/// passages shifted by half their length), so a counterpart that straddles
/// two passages still lies mostly in one window. 30 words is about a
/// sentence and a half of news prose.
pub const PASSAGE_WORDS: usize = 30;

/// The sentences of `doc` that are not boilerplate, as ranges of tokens.
fn kept_sentences(doc: &Segmented, boilerplate: &HashSet<u64>) -> Vec<std::ops::Range<u32>> {
    doc.tokens
        .sentences
        .iter()
        .zip(&doc.sentence_hashes)
        .filter(|(_, h)| !boilerplate.contains(h))
        .map(|(r, _)| r.clone())
        .collect()
}

/// The distinct terms of a document's content, sorted: what term document
/// frequencies count.
pub(crate) fn content_terms(doc: &Segmented, boilerplate: &HashSet<u64>) -> Vec<u64> {
    let tokens = &doc.tokens.tokens;
    let mut terms: Vec<u64> = kept_sentences(doc, boilerplate)
        .into_iter()
        .flat_map(|r| tokens[r.start as usize..r.end as usize].iter())
        .filter_map(|t| t.term)
        .map(u64::from)
        .collect();
    terms.sort_unstable();
    terms.dedup();
    terms
}

/// Runs of consecutive kept tokens: sentences next to each other join.
fn runs(kept: &[std::ops::Range<u32>]) -> Vec<std::ops::Range<u32>> {
    let mut out: Vec<std::ops::Range<u32>> = Vec::new();
    for r in kept {
        match out.last_mut() {
            Some(last) if last.end == r.start => last.end = r.end,
            _ => out.push(r.clone()),
        }
    }
    out
}

/// The distinct values of a sequence, sorted, and each position's value as
/// its index among them: one sort of (value, position) pairs, where sorting
/// the values and searching each again would cost a search per position.
fn distinct_in_order(sequence: impl Iterator<Item = u32>) -> (Vec<u32>, Vec<u32>) {
    let mut keyed: Vec<u64> = sequence
        .enumerate()
        .map(|(i, v)| u64::from(v) << 32 | i as u64)
        .collect();
    sort_by_value(&mut keyed);
    let mut distinct: Vec<u32> = Vec::with_capacity(keyed.len());
    let mut order = vec![0u32; keyed.len()];
    for k in keyed {
        let value = (k >> 32) as u32;
        if distinct.last() != Some(&value) {
            distinct.push(value);
        }
        order[k as u32 as usize] = distinct.len() as u32 - 1;
    }
    (distinct, order)
}

/// Sorts (value << 32 | position) keys listed in position order, as a sort
/// of the whole keys would: by value, equal values in position order. A
/// least-significant-digit radix sort on the value's four bytes keeps equal
/// values in the order they come, and takes a few linear passes where a
/// comparison sort of a document's few hundred hashes compares each about
/// ten times (every feature build sorts its words' shingles and terms).
fn sort_by_value(keyed: &mut Vec<u64>) {
    const SMALL: usize = 64;
    if keyed.len() <= SMALL {
        keyed.sort_unstable();
        return;
    }
    let byte = |k: u64, b: usize| (k >> (32 + 8 * b)) as usize & 0xff;
    let mut counts = [[0u32; 256]; 4];
    for &k in keyed.iter() {
        for (b, count) in counts.iter_mut().enumerate() {
            count[byte(k, b)] += 1;
        }
    }
    let mut other = vec![0u64; keyed.len()];
    for (b, count) in counts.iter_mut().enumerate() {
        // A byte every key shares orders nothing.
        if count.iter().any(|&n| n as usize == keyed.len()) {
            continue;
        }
        let mut at = 0u32;
        for n in count.iter_mut() {
            (*n, at) = (at, at + *n);
        }
        for &k in keyed.iter() {
            let slot = &mut count[byte(k, b)];
            other[*slot as usize] = k;
            *slot += 1;
        }
        std::mem::swap(keyed, &mut other);
    }
}

/// Moves the distinct values of a sorted slice to its front; returns how
/// many there are.
fn dedup_sorted(values: &mut [u32]) -> usize {
    let mut kept = 0;
    for i in 0..values.len() {
        if i == 0 || values[i] != values[kept - 1] {
            values[kept] = values[i];
            kept += 1;
        }
    }
    kept
}

/// `shingle_size` 0 skips the shingles (signing does not need them).
fn content(doc: &Segmented, boilerplate: &HashSet<u64>, shingle_size: usize) -> Tokenized {
    let tokens = &doc.tokens.tokens;
    let runs = runs(&kept_sentences(doc, boilerplate));
    let kept_tokens = || {
        runs.iter()
            .flat_map(|r| tokens[r.start as usize..r.end as usize].iter())
    };
    let (shingles, shingle_order) = if shingle_size == 0 {
        (Vec::new(), Vec::new())
    } else {
        let words: Vec<u64> = kept_tokens().map(|t| t.word as u64).collect();
        distinct_in_order(sketch::shingle_sequence(&words, shingle_size).map(|h| (h >> 32) as u32))
    };
    // Each occurrence of a term as its index among the document's distinct
    // terms: the halves list indices, which need no search to weigh.
    let (distinct, occurrences) = distinct_in_order(kept_tokens().filter_map(|t| t.term));
    let mut counts = vec![0u32; distinct.len()];
    for &k in &occurrences {
        counts[k as usize] += 1;
    }
    let term_counts = distinct.iter().map(|&t| u64::from(t)).zip(counts).collect();
    // The halves cut the runs in order, so they take the occurrences in order.
    let mut occurrences = occurrences.into_iter();
    // Sized exactly: the halves are kept with the features.
    let count = runs
        .iter()
        .map(|r| 2 * ((r.end - r.start) as usize).div_ceil(PASSAGE_WORDS))
        .sum();
    let mut halves = Vec::with_capacity(count);
    let mut half_terms = HalfTerms::default();
    for run in &runs {
        let n = (run.end - run.start) as usize;
        let parts = 2 * n.div_ceil(PASSAGE_WORDS);
        for j in 0..parts {
            let start = run.start as usize + n * j / parts;
            let end = run.start as usize + n * (j + 1) / parts;
            let with_term = tokens[start..end]
                .iter()
                .filter(|t| t.term.is_some())
                .count();
            let from = half_terms.terms.len();
            half_terms
                .terms
                .extend(occurrences.by_ref().take(with_term));
            let own = &mut half_terms.terms[from..];
            own.sort_unstable();
            let distinct = from + dedup_sorted(own);
            half_terms.terms.truncate(distinct);
            half_terms.close();
            halves.push(Half {
                start: start as u32,
                len: (end - start) as u32,
                opens_run: j == 0,
            });
        }
    }
    Tokenized {
        shingles,
        shingle_order,
        halves,
        half_terms,
        term_counts,
        words: kept_tokens().count() as u32,
    }
}

/// Sentence hashes found in at least `min_docs` documents, from the sorted
/// stream of each document's distinct sentence hashes: bylines,
/// "Advertisement", share buttons, cookie notices. They say nothing about
/// which story a document tells, so they are no evidence either way.
pub(crate) fn frequent(
    sorted: impl Iterator<Item = io::Result<u64>>,
    min_docs: usize,
) -> io::Result<HashSet<u64>> {
    let mut out = HashSet::default();
    let mut current = None;
    let mut count = 0usize;
    for hash in sorted {
        let hash = hash?;
        if current == Some(hash) {
            count += 1;
        } else {
            current = Some(hash);
            count = 1;
        }
        if count == min_docs.max(1) {
            out.insert(hash);
        }
    }
    Ok(out)
}

/// In how many documents each term occurs (each document lists its terms
/// once; terms are 32-bit, listed as 64-bit numbers).
pub(crate) fn count_in_documents(
    keys: impl ParallelIterator<Item = Vec<u64>>,
) -> HashMap<Term, u32> {
    keys.fold(HashMap::default, |mut df: HashMap<Term, u32>, keys| {
        for key in keys {
            *df.entry(key as Term).or_default() += 1;
        }
        df
    })
    .reduce(HashMap::default, merge_counts)
}

pub(crate) fn merge_counts(a: HashMap<Term, u32>, b: HashMap<Term, u32>) -> HashMap<Term, u32> {
    let (mut into, from) = if a.len() < b.len() { (b, a) } else { (a, b) };
    for (term, n) in from {
        *into.entry(term).or_default() += n;
    }
    into
}

/// Each pair of a passage's this many rarest terms is an anchor.
pub const ANCHOR_TERMS: usize = 3;

/// Signed document: what the index and the verifier need.
pub struct Signed {
    pub features: Features,
    pub band_keys: Vec<u64>,
    /// Window anchors: each window's three rarest terms, two by two.
    /// A paraphrased passage keeps its rare words (names, figures, uncommon
    /// nouns), so rewrites share anchors even when few shingles survive.
    pub anchors: Vec<u64>,
}

/// Each window's `rarest` rarest terms (heaviest first, ties to the
/// smaller term), each pair of them one key.
fn window_anchors(
    halves: &[Half],
    half_terms: &HalfTerms,
    terms: &[(Term, f32)],
    rarest: usize,
) -> Vec<u64> {
    let mut anchors = Vec::new();
    if rarest == 0 {
        return anchors;
    }
    let mut top: Vec<(Term, f32)> = Vec::with_capacity(rarest + 1);
    let before = |x: &(Term, f32), y: &(Term, f32)| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)).is_lt();
    for h in (0..halves.len().saturating_sub(1)).filter(|&h| !halves[h + 1].opens_run) {
        // A pass keeping the few best, not a sort of the window's terms: a
        // term in both halves weighs the same in each, so it is met twice.
        top.clear();
        for &k in half_terms.of(h).iter().chain(half_terms.of(h + 1)) {
            let t = terms[k as usize];
            if top.len() == rarest && !before(&t, &top[rarest - 1]) || top.contains(&t) {
                continue;
            }
            let at = top.partition_point(|x| before(x, &t));
            top.insert(at, t);
            top.truncate(rarest);
        }
        for (i, x) in top.iter().enumerate() {
            for y in &top[i + 1..] {
                let (lo, hi) = (x.0.min(y.0) as u64, x.0.max(y.0) as u64);
                anchors.push(crate::hash::mix64(lo ^ hi.rotate_left(29)));
            }
        }
    }
    anchors.sort_unstable();
    anchors.dedup();
    anchors
}

/// What turns a stored document into features: the corpus statistics.
pub struct Corpus {
    pub(crate) boilerplate: HashSet<u64>,
    /// Documents each term occurs in (keyed by the 32-bit term: half the
    /// table a 64-bit key makes, and every document's terms are looked up).
    pub(crate) df: TermCounts,
    pub(crate) documents: u64,
    /// The IDF of a term in 0, 1, ... documents, for the counts most terms
    /// have: a logarithm per term was a tenth of building features.
    idf_by_count: Vec<f32>,
    /// Whether `df` holds every term of the corpus, not just those of the
    /// documents it was made for (an index's partial statistics).
    pub(crate) whole: bool,
}

/// Document counts [`Corpus::idf_by_count`] holds the IDF of.
const IDF_TABLE: u64 = 1 << 16;

impl Corpus {
    pub(crate) fn new(boilerplate: HashSet<u64>, df: HashMap<Term, u32>, documents: u64) -> Corpus {
        let idf_by_count = (0..=documents.min(IDF_TABLE))
            .map(|count| sketch::idf(documents, count) as f32)
            .collect();
        Corpus {
            boilerplate,
            df: TermCounts::new(&df),
            documents,
            idf_by_count,
            whole: false,
        }
    }

    /// A term's IDF in this corpus (the most for an unseen term).
    fn weight(&self, term: Term) -> f32 {
        let count = self.df.get(term);
        match self.idf_by_count.get(count as usize) {
            Some(&idf) => idf,
            None => sketch::idf(self.documents, count as u64) as f32,
        }
    }

    /// Each term's IDF, in order. The table lookups miss the cache once
    /// it outgrows it, so each term's slot is asked for a few terms ahead.
    fn weights(&self, terms: &[(u64, u32)]) -> Vec<(Term, f32)> {
        const AHEAD: usize = 8;
        for &(t, _) in terms.iter().take(AHEAD) {
            self.df.prefetch(t as Term);
        }
        terms
            .iter()
            .enumerate()
            .map(|(i, &(t, _))| {
                if let Some(&(next, _)) = terms.get(i + AHEAD) {
                    self.df.prefetch(next as Term);
                }
                (t as Term, self.weight(t as Term))
            })
            .collect()
    }

    pub(crate) fn content(&self, tokens: text::Tokens, shingle_size: usize) -> Tokenized {
        content(&segmented(tokens), &self.boilerplate, shingle_size)
    }

    /// A document's verification features (no signature).
    pub(crate) fn is_whole(&self) -> bool {
        self.whole
    }

    pub(crate) fn features(&self, tokens: text::Tokens, shingle_size: usize) -> Features {
        let content = self.content(tokens, shingle_size);
        features(content, self, false, None).0
    }

    /// The features of a document signed before, whose SimHash is known:
    /// rebuilt for verification without computing it again.
    pub(crate) fn rebuilt(
        &self,
        tokens: text::Tokens,
        shingle_size: usize,
        simhash: u64,
    ) -> Features {
        let content = self.content(tokens, shingle_size);
        features(content, self, false, Some(simhash)).0
    }

    /// The verification features of a text of this corpus, exactly as the
    /// scan that counted the corpus built them (for report.html, which reads
    /// the texts it shows again).
    pub fn features_of_text(&self, text: &str, shingle_size: usize) -> Features {
        self.features(text::tokenize(text), shingle_size)
    }

    /// `shingle_size` 0 leaves the features without shingles (enough for
    /// signing); otherwise they are complete, for verification.
    pub(crate) fn sign(
        &self,
        tokens: text::Tokens,
        options: &ScanOptions,
        banding: Banding,
        shingle_size: usize,
    ) -> Signed {
        let doc = self.content(tokens, shingle_size);
        let signature = sketch::minhash(doc.term_counts.iter().map(|(t, _)| *t), options.num_perm);
        let (features, anchors) = features(doc, self, true, None);
        Signed {
            band_keys: banding.keys(&signature),
            anchors,
            features,
        }
    }
}

/// A document's features, and its anchors when asked for.
/// `anchors`: also the document's anchors (signing needs them; rebuilding
/// features for verification does not). `simhash`: the document's SimHash
/// when known, else computed.
pub(crate) fn features(
    doc: Tokenized,
    corpus: &Corpus,
    anchors: bool,
    simhash: Option<u64>,
) -> (Features, Vec<u64>) {
    let n = corpus.documents;
    // Each distinct term's IDF once; the halves take theirs by index.
    let terms = corpus.weights(&doc.term_counts);
    let anchors = if anchors {
        window_anchors(&doc.halves, &doc.half_terms, &terms, ANCHOR_TERMS)
    } else {
        Vec::new()
    };
    let simhash = simhash.unwrap_or_else(|| {
        sketch::weighted_simhash(
            doc.term_counts
                .iter()
                .zip(&terms)
                .map(|((t, count), (_, weight))| (*t, *count as f64 * *weight as f64)),
        )
    });
    let features = Features {
        shingles: doc.shingles,
        shingle_order: doc.shingle_order,
        rare_weight: sketch::idf(n, rare_document_frequency(n)) as f32,
        words: doc.words,
        simhash,
        ..Features::index(doc.halves, &doc.half_terms, terms)
    };
    (features, anchors)
}

/// A term held by at most this many documents of a corpus of `n` is rare:
/// 2% of them, and never fewer than 2. New rare terms in the passages one
/// document adds are the names and details of a new development.
pub fn rare_document_frequency(n: u64) -> u64 {
    ((n as f64 * RARE_SHARE) as u64).max(2)
}

const RARE_SHARE: f64 = 0.02;

/// Segments and signs every document in memory (for `explain` and `eval
/// --pairs-out`, which look at a few pairs of a set that fits): the same
/// features the streaming scan computes.
pub fn sign_all(
    texts: Vec<String>,
    options: &ScanOptions,
    banding: Banding,
) -> (Vec<Signed>, usize) {
    let segmented: Vec<Segmented> = texts
        .into_par_iter()
        .map(|text| segmented(text::tokenize(&text)))
        .collect();
    let corpus = Corpus::of_segmented(&segmented, options);
    let signed = segmented
        .into_par_iter()
        .map(|doc| {
            let content = content(&doc, &corpus.boilerplate, options.shingle_size);
            let mut signed = corpus.sign(doc.tokens, options, banding, 0);
            signed.features.shingles = content.shingles;
            signed.features.shingle_order = content.shingle_order;
            signed
        })
        .collect();
    (signed, corpus.boilerplate.len())
}

impl Corpus {
    /// The statistics of documents held in memory, as the streaming scan
    /// counts them.
    pub(crate) fn of_segmented(segmented: &[Segmented], options: &ScanOptions) -> Corpus {
        let n = segmented.len();
        let min_docs = options.boilerplate_threshold(n as u64) as usize;
        let mut hashes: Vec<u64> = segmented
            .iter()
            .flat_map(|d| {
                let mut h = d.sentence_hashes.clone();
                h.sort_unstable();
                h.dedup();
                h
            })
            .collect();
        hashes.par_sort_unstable();
        let boilerplate = frequent(hashes.into_iter().map(Ok), min_docs).unwrap_or_default();
        let df = count_in_documents(segmented.par_iter().map(|d| content_terms(d, &boilerplate)));
        Corpus::new(boilerplate, df, n as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::SplitMix64;

    #[test]
    fn sorting_by_value_sorts_the_whole_keys() {
        let mut rng = SplitMix64::new(5);
        for (len, values) in [
            (0, 1),
            (1, 1),
            (64, 1000),
            (65, 3),
            (300, 1 << 32),
            (2000, 50),
        ] {
            let keyed: Vec<u64> = (0..len)
                .map(|i| rng.below(values) << 32 | i as u64)
                .collect();
            let mut expected = keyed.clone();
            expected.sort_unstable();
            let mut sorted = keyed;
            sort_by_value(&mut sorted);
            assert_eq!(sorted, expected, "{len} keys");
        }
    }

    #[test]
    fn distinct_in_order_ranks_each_position() {
        let mut rng = SplitMix64::new(9);
        for len in [0usize, 1, 2, 7, 300] {
            let sequence: Vec<u32> = (0..len).map(|_| rng.below(40) as u32).collect();
            let (distinct, order) = distinct_in_order(sequence.iter().copied());
            let mut expected = sequence.clone();
            expected.sort_unstable();
            expected.dedup();
            assert_eq!(distinct, expected);
            let ranks: Vec<u32> = sequence
                .iter()
                .map(|v| expected.binary_search(v).unwrap() as u32)
                .collect();
            assert_eq!(order, ranks);
        }
    }
}
