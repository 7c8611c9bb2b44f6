//! Verify stage: exact evidence for a candidate pair, and a verdict.
//!
//! Sketches only nominate pairs. This stage decides on evidence computed from
//! the documents themselves:
//! - word-shingle Jaccard and containment (near-verbatim copies, excerpts);
//! - sentence alignment: each sentence is matched to its most similar sentence
//!   in the other document (any position, so reordering is free), similarity
//!   being the IDF-weighted Dice overlap of their terms. A sentence counts as
//!   aligned above [`VerifyOptions::sentence_threshold`]. *Coverage* is the
//!   share of a document's term weight in aligned sentences.
//!
//! A paraphrase rewrites the words of every sentence but keeps the names,
//! numbers and rarer content words, so nearly all its sentences align; two
//! stories on one topic share some names but few whole sentences.

use crate::sketch::hamming;

/// A sentence as a set of terms with their IDF weights, sorted by term.
#[derive(Clone, Debug, Default)]
pub struct Sentence {
    pub terms: Vec<(u64, f32)>,
    pub weight: f32,
}

impl Sentence {
    pub fn new(mut terms: Vec<(u64, f32)>) -> Self {
        terms.sort_unstable_by_key(|t| t.0);
        terms.dedup_by_key(|t| t.0);
        let weight = terms.iter().map(|t| t.1).sum();
        Sentence { terms, weight }
    }
}

/// What verification needs of one document.
#[derive(Clone, Debug, Default)]
pub struct Features {
    /// Sorted, distinct shingle hashes.
    pub shingles: Vec<u64>,
    pub sentences: Vec<Sentence>,
    pub simhash: u64,
}

#[derive(Clone, Debug)]
pub struct VerifyOptions {
    /// Weighted Dice similarity at which two sentences count as aligned.
    pub sentence_threshold: f64,
    /// Score at which a pair is a rewrite.
    pub threshold: f64,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            sentence_threshold: 0.35,
            threshold: 0.40,
        }
    }
}

/// The evidence for one pair, in the order of `pairs.csv`'s columns.
#[derive(Clone, Debug, PartialEq)]
pub struct Evidence {
    pub score: f64,
    pub jaccard: f64,
    pub containment: f64,
    pub coverage_a: f64,
    pub coverage_b: f64,
    pub aligned_a: u32,
    pub sentences_a: u32,
    pub aligned_b: u32,
    pub sentences_b: u32,
    pub simhash_distance: u32,
}

/// Shingle Jaccard and containment (overlap over the smaller set).
pub fn overlap(a: &[u64], b: &[u64]) -> (f64, f64) {
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

fn sorted_intersection_count(a: &[u64], b: &[u64]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// IDF-weighted Dice similarity of two sentences, in [0, 1].
pub fn sentence_similarity(a: &Sentence, b: &Sentence) -> f64 {
    let total = a.weight + b.weight;
    if total <= 0.0 {
        return 0.0;
    }
    let (mut i, mut j, mut shared) = (0, 0, 0f32);
    while i < a.terms.len() && j < b.terms.len() {
        match a.terms[i].0.cmp(&b.terms[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += a.terms[i].1;
                i += 1;
                j += 1;
            }
        }
    }
    (2.0 * shared / total).min(1.0) as f64
}

/// For each sentence of `a`, its best match in `b`: (index in b, similarity).
pub fn best_matches(a: &[Sentence], b: &[Sentence]) -> Vec<Option<(usize, f64)>> {
    a.iter()
        .map(|sa| {
            b.iter()
                .enumerate()
                .map(|(j, sb)| (j, sentence_similarity(sa, sb)))
                .filter(|&(_, s)| s > 0.0)
                // Ties go to the earliest sentence, for stable output.
                .fold(None, |best: Option<(usize, f64)>, (j, s)| match best {
                    Some((_, bs)) if bs >= s => best,
                    _ => Some((j, s)),
                })
        })
        .collect()
}

/// Share of `a`'s term weight in sentences aligned to `b`, and their count.
fn coverage(a: &[Sentence], matches: &[Option<(usize, f64)>], threshold: f64) -> (f64, u32) {
    let total: f64 = a.iter().map(|s| s.weight as f64).sum();
    let mut covered = 0.0;
    let mut count = 0;
    for (s, m) in a.iter().zip(matches) {
        if matches!(m, Some((_, sim)) if *sim >= threshold) {
            covered += s.weight as f64;
            count += 1;
        }
    }
    let share = if total > 0.0 { covered / total } else { 0.0 };
    (share, count)
}

/// All the evidence for a pair and its score in [0, 1] (symmetric).
pub fn evidence(a: &Features, b: &Features, options: &VerifyOptions) -> Evidence {
    let (jaccard, containment) = overlap(&a.shingles, &b.shingles);
    let (coverage_a, aligned_a) = coverage(
        &a.sentences,
        &best_matches(&a.sentences, &b.sentences),
        options.sentence_threshold,
    );
    let (coverage_b, aligned_b) = coverage(
        &b.sentences,
        &best_matches(&b.sentences, &a.sentences),
        options.sentence_threshold,
    );
    // The mean of the two coverages: a full rewrite covers both documents;
    // a summary of a long story covers itself fully and the story in part.
    let score = (0.5 * (coverage_a + coverage_b)).clamp(0.0, 1.0);
    Evidence {
        score,
        jaccard,
        containment,
        coverage_a,
        coverage_b,
        aligned_a,
        sentences_a: a.sentences.len() as u32,
        aligned_b,
        sentences_b: b.sentences.len() as u32,
        simhash_distance: hamming(a.simhash, b.simhash),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentence(terms: &[u64]) -> Sentence {
        Sentence::new(terms.iter().map(|&t| (t, 1.0)).collect())
    }

    fn features(sentences: &[&[u64]]) -> Features {
        Features {
            shingles: Vec::new(),
            sentences: sentences.iter().map(|s| sentence(s)).collect(),
            simhash: 0,
        }
    }

    #[test]
    fn overlap_of_sorted_sets() {
        assert_eq!(overlap(&[1, 2, 3, 4], &[3, 4, 5, 6]), (2.0 / 6.0, 0.5));
        assert_eq!(overlap(&[1, 2], &[1, 2, 3, 4]), (0.5, 1.0));
        assert_eq!(overlap(&[], &[]), (0.0, 0.0));
    }

    #[test]
    fn reordered_sentences_still_align() {
        let a = features(&[&[1, 2, 3], &[4, 5, 6], &[7, 8, 9]]);
        let b = features(&[&[7, 8, 9], &[1, 2, 3], &[4, 5, 6]]);
        let e = evidence(&a, &b, &VerifyOptions::default());
        assert_eq!((e.coverage_a, e.coverage_b, e.score), (1.0, 1.0, 1.0));
        assert_eq!((e.aligned_a, e.aligned_b), (3, 3));
    }

    #[test]
    fn unrelated_sentences_do_not_align() {
        let a = features(&[&[1, 2, 3], &[4, 5, 6]]);
        let b = features(&[&[11, 12, 13], &[14, 15, 6]]);
        let e = evidence(&a, &b, &VerifyOptions::default());
        assert_eq!(e.score, 0.0);
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
    fn a_summary_scores_between_a_rewrite_and_a_stranger() {
        let story = features(&[&[1, 2, 3], &[4, 5, 6], &[7, 8, 9], &[10, 11, 12]]);
        let summary = features(&[&[1, 2, 3], &[7, 8, 9]]);
        let e = evidence(&summary, &story, &VerifyOptions::default());
        assert_eq!(e.coverage_a, 1.0);
        assert_eq!(e.coverage_b, 0.5);
        assert!(e.score > 0.5 && e.score < 1.0);
    }
}
