//! From a segmented document to what the index and the verifier need:
//! boilerplate removed, terms weighted by rarity, signatures and features.

use rayon::prelude::*;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::io;

use crate::scan::ScanOptions;
use crate::sketch::{self, Banding};
use crate::text;
use crate::verify::{Features, Sentence, Term};

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
            let words: Vec<u64> = tokens.tokens[r.start as usize..r.end as usize]
                .iter()
                .map(|t| t.word as u64)
                .collect();
            crate::hash::hash_words(&words)
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
    /// Distinct terms per sentence, with the sentence's position.
    sentence_terms: Vec<(u32, Vec<u64>)>,
    /// Term counts over the whole document, sorted by term.
    term_counts: Vec<(u64, u32)>,
    /// Distinct terms of salient words (names, numbers), sorted.
    facts: Vec<u64>,
}

/// The sentences of `doc` that are not boilerplate, with their positions.
fn kept_sentences<'a>(
    doc: &'a Segmented,
    boilerplate: &HashSet<u64>,
) -> Vec<(u32, &'a [text::Token])> {
    let tokens = &doc.tokens.tokens;
    doc.tokens
        .sentences
        .iter()
        .zip(&doc.sentence_hashes)
        .enumerate()
        .filter(|(_, (_, h))| !boilerplate.contains(h))
        .map(|(i, (r, _))| (i as u32, &tokens[r.start as usize..r.end as usize]))
        .collect()
}

/// The distinct terms of a document's content, sorted: what term document
/// frequencies count.
pub(crate) fn content_terms(doc: &Segmented, boilerplate: &HashSet<u64>) -> Vec<u64> {
    let mut terms: Vec<u64> = kept_sentences(doc, boilerplate)
        .iter()
        .flat_map(|(_, tokens)| tokens.iter().filter_map(|t| t.term))
        .map(u64::from)
        .collect();
    terms.sort_unstable();
    terms.dedup();
    terms
}

/// `shingle_size` 0 skips the shingles (signing does not need them).
fn content(doc: &Segmented, boilerplate: &HashSet<u64>, shingle_size: usize) -> Tokenized {
    let kept = kept_sentences(doc, boilerplate);
    let kept_tokens = || kept.iter().flat_map(|(_, tokens)| tokens.iter());
    let shingles = if shingle_size == 0 {
        Vec::new()
    } else {
        let words: Vec<u64> = kept_tokens().map(|t| t.word as u64).collect();
        let mut high: Vec<u32> = sketch::shingles(&words, shingle_size)
            .iter()
            .map(|h| (h >> 32) as u32)
            .collect();
        // Sorted 64-bit hashes stay sorted by their high halves.
        high.dedup();
        high
    };
    let sentence_terms: Vec<(u32, Vec<u64>)> = kept
        .iter()
        .map(|(position, tokens)| {
            let mut terms: Vec<u64> = tokens
                .iter()
                .filter_map(|t| t.term)
                .map(u64::from)
                .collect();
            terms.sort_unstable();
            terms.dedup();
            (*position, terms)
        })
        .filter(|(_, terms)| !terms.is_empty())
        .collect();
    let mut all_terms: Vec<u64> = kept_tokens()
        .filter_map(|t| t.term)
        .map(u64::from)
        .collect();
    all_terms.sort_unstable();
    let term_counts = all_terms
        .chunk_by(|x, y| x == y)
        .map(|run| (run[0], run.len() as u32))
        .collect();
    let mut facts: Vec<u64> = kept_tokens()
        .filter(|t| t.salient)
        .filter_map(|t| t.term)
        .map(u64::from)
        .collect();
    facts.sort_unstable();
    facts.dedup();
    Tokenized {
        shingles,
        sentence_terms,
        term_counts,
        facts,
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

/// In how many documents each key occurs (each document lists its keys once).
pub(crate) fn count_in_documents(
    keys: impl ParallelIterator<Item = Vec<u64>>,
) -> HashMap<u64, u32> {
    keys.fold(HashMap::default, |mut df: HashMap<u64, u32>, keys| {
        for key in keys {
            *df.entry(key).or_default() += 1;
        }
        df
    })
    .reduce(HashMap::default, merge_counts)
}

pub(crate) fn merge_counts(a: HashMap<u64, u32>, b: HashMap<u64, u32>) -> HashMap<u64, u32> {
    let (mut into, from) = if a.len() < b.len() { (b, a) } else { (a, b) };
    for (term, n) in from {
        *into.entry(term).or_default() += n;
    }
    into
}

/// Each pair of a sentence's this many rarest terms is an anchor.
pub const ANCHOR_TERMS: usize = 2;

/// Signed document: what the index and the verifier need.
pub struct Signed {
    pub features: Features,
    pub band_keys: Vec<u64>,
    /// Sentence anchors: for each sentence, its two rarest terms as one key.
    /// A paraphrased sentence keeps its rare words (names, figures, uncommon
    /// nouns), so rewrites share anchors even when few shingles survive.
    pub anchors: Vec<u64>,
}

fn sentence_anchors(sentences: &[Sentence], rarest: usize) -> Vec<u64> {
    let mut anchors = Vec::new();
    for sentence in sentences.iter().filter(|s| s.terms.len() >= 2) {
        let mut terms: Vec<&(Term, f32)> = sentence.terms.iter().collect();
        terms.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
        let top = &terms[..terms.len().min(rarest)];
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
pub(crate) struct Corpus {
    pub(crate) boilerplate: HashSet<u64>,
    pub(crate) df: HashMap<u64, u32>,
    pub(crate) documents: u64,
}

impl Corpus {
    pub(crate) fn content(&self, tokens: text::Tokens, shingle_size: usize) -> Tokenized {
        content(&segmented(tokens), &self.boilerplate, shingle_size)
    }

    /// A document's verification features (no signature).
    pub(crate) fn features(&self, tokens: text::Tokens, shingle_size: usize) -> Features {
        features(self.content(tokens, shingle_size), &self.df, self.documents)
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
        let features = features(doc, &self.df, self.documents);
        Signed {
            band_keys: banding.keys(&signature),
            anchors: sentence_anchors(&features.sentences, ANCHOR_TERMS),
            features,
        }
    }
}

pub(crate) fn features(doc: Tokenized, df: &HashMap<u64, u32>, n: u64) -> Features {
    // Each distinct term's IDF once; sentences and facts look it up here.
    let terms: Vec<(Term, f32)> = doc
        .term_counts
        .iter()
        .map(|&(t, _)| {
            (
                t as Term,
                sketch::idf(n, df.get(&t).copied().unwrap_or(0) as u64) as f32,
            )
        })
        .collect();
    let weight = |term: &u64| match terms.binary_search_by_key(term, |t| t.0 as u64) {
        Ok(i) => terms[i].1,
        Err(_) => sketch::idf(n, df.get(term).copied().unwrap_or(0) as u64) as f32,
    };
    let sentences: Vec<Sentence> = doc
        .sentence_terms
        .iter()
        .map(|(position, terms)| {
            Sentence::new(terms.iter().map(|t| (*t as Term, weight(t))).collect()).at(*position)
        })
        .collect();
    let simhash = sketch::weighted_simhash(
        doc.term_counts
            .iter()
            .map(|(t, count)| (*t, *count as f64 * weight(t) as f64)),
    );
    Features {
        shingles: doc.shingles,
        sentences,
        facts: doc.facts.iter().map(|t| (*t as Term, weight(t))).collect(),
        terms,
        simhash,
    }
}

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
            let shingles = content(&doc, &corpus.boilerplate, options.shingle_size).shingles;
            let mut signed = corpus.sign(doc.tokens, options, banding, 0);
            signed.features.shingles = shingles;
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
        Corpus {
            boilerplate,
            df,
            documents: n as u64,
        }
    }
}
