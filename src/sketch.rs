//! Sketch stage: per-document signatures that make candidate search cheap.
//!
//! - word shingles (n consecutive words) hashed to u64: the exact evidence;
//! - a MinHash signature of the document's *terms* (content words, see
//!   `text`), by one-permutation hashing with optimal densification
//!   (Shrivastava, "Optimal densification for fast and accurate minwise
//!   hashing", ICML 2017): one hash per feature instead of one per feature and
//!   permutation;
//! - LSH band keys, with bands and rows chosen from a target similarity the way
//!   datasketch does it (minimise the false-positive and false-negative areas);
//! - a 64-bit SimHash (Charikar 2002) whose features are terms weighted by
//!   TF-IDF, so rare names and numbers move it more than common words.

use crate::hash::{hash_words, mix64};
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Sorted, distinct hashes of the n-word shingles of `words`. A document
/// shorter than n words is one shingle, so it can still match itself.
pub fn shingles(words: &[u64], n: usize) -> Vec<u64> {
    let mut out: Vec<u64> = shingle_sequence(words, n).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The hashes of the n-word shingles of `words` in text order (one for a
/// text shorter than n words, none for no words).
pub fn shingle_sequence(words: &[u64], n: usize) -> impl Iterator<Item = u64> + '_ {
    let n = n.max(1).min(words.len().max(1));
    words.windows(n).map(hash_words)
}

const MINHASH_SEED: u64 = 0x6d69_6e68_6173_6801;
const EMPTY_BIN: u64 = u64::MAX;

/// A MinHash signature: `num_perm` values; two signatures agree in a bin
/// with probability equal to the Jaccard similarity of the two feature sets.
pub fn minhash(features: impl IntoIterator<Item = u64>, num_perm: usize) -> Vec<u64> {
    let k = num_perm.max(1);
    let mut bins = vec![EMPTY_BIN; k];
    for feature in features {
        let h = mix64(feature ^ MINHASH_SEED);
        // The high bits pick the bin (fast range reduction); the whole hash is
        // the value, so within a bin the minimum is a uniform random choice.
        let bin = ((h as u128 * k as u128) >> 64) as usize;
        if h < bins[bin] {
            bins[bin] = h;
        }
    }
    densify(&bins)
}

/// Fills each empty bin from a non-empty one picked by a hash of the bin
/// index and attempt number; every document makes the same picks, which is
/// what keeps the collision probability equal to the Jaccard similarity.
fn densify(bins: &[u64]) -> Vec<u64> {
    let k = bins.len();
    if bins.iter().all(|&v| v == EMPTY_BIN) || bins.iter().all(|&v| v != EMPTY_BIN) {
        return bins.to_vec();
    }
    let mut out = bins.to_vec();
    for (i, slot) in out.iter_mut().enumerate() {
        if *slot != EMPTY_BIN {
            continue;
        }
        let mut attempt = 0u64;
        loop {
            let pick = mix64(((i as u64) << 32) ^ attempt ^ MINHASH_SEED);
            let j = ((pick as u128 * k as u128) >> 64) as usize;
            if bins[j] != EMPTY_BIN {
                *slot = bins[j];
                break;
            }
            attempt += 1;
        }
    }
    out
}

/// The fraction of bins two signatures share: an unbiased Jaccard estimate.
pub fn estimate_jaccard(a: &[u64], b: &[u64]) -> f64 {
    let same = a.iter().zip(b).filter(|(x, y)| x == y).count();
    same as f64 / a.len().max(1) as f64
}

pub use crate::settings::Banding;

impl Banding {
    /// One key per band; a band index is folded into its key so the bands
    /// share one hash space without colliding with each other.
    pub fn keys(&self, signature: &[u64]) -> Vec<u64> {
        (0..self.bands)
            .map(|band| {
                let rows = &signature[band * self.rows..(band + 1) * self.rows];
                let bytes: Vec<u8> = rows.iter().flat_map(|v| v.to_le_bytes()).collect();
                xxh3_64_with_seed(&bytes, band as u64)
            })
            .collect()
    }
}

const SIMHASH_SEED: u64 = 0x7369_6d68_6173_6801;

/// A 64-bit SimHash of weighted features: each bit is the sign of the sum of
/// the weights of the features whose hash has that bit set, minus the rest.
pub fn weighted_simhash(features: impl IntoIterator<Item = (u64, f64)>) -> u64 {
    let mut totals = [0f64; 64];
    for (feature, weight) in features {
        let h = mix64(feature ^ SIMHASH_SEED);
        // +weight for a set bit, -weight for a clear one, eight bits at a
        // time from a table of signs, so the additions vectorise.
        for (byte, chunk) in totals.chunks_exact_mut(8).enumerate() {
            let signs = &BYTE_SIGNS[(h >> (8 * byte)) as u8 as usize];
            for (total, sign) in chunk.iter_mut().zip(signs) {
                *total += sign * weight;
            }
        }
    }
    totals
        .iter()
        .enumerate()
        .filter(|(_, t)| **t > 0.0)
        .fold(0u64, |acc, (bit, _)| acc | 1 << bit)
}

/// For each byte value, +1.0 or -1.0 for each of its eight bits, low first.
static BYTE_SIGNS: [[f64; 8]; 256] = {
    let mut table = [[0f64; 8]; 256];
    let mut byte = 0;
    while byte < 256 {
        let mut bit = 0;
        while bit < 8 {
            table[byte][bit] = if byte >> bit & 1 == 1 { 1.0 } else { -1.0 };
            bit += 1;
        }
        byte += 1;
    }
    table
};

pub fn hamming(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// Inverse document frequency, smoothed so that a term in every document
/// still weighs a little and an unseen term weighs the most.
pub fn idf(documents: u64, document_frequency: u64) -> f64 {
    ((1.0 + documents as f64) / (1.0 + document_frequency as f64)).ln() + 1.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::SplitMix64;
    use std::collections::HashSet;

    fn random_pair(
        rng: &mut SplitMix64,
        shared: usize,
        only_a: usize,
        only_b: usize,
    ) -> (Vec<u64>, Vec<u64>) {
        let common: Vec<u64> = (0..shared).map(|_| rng.next_u64()).collect();
        let mut a = common.clone();
        let mut b = common;
        a.extend((0..only_a).map(|_| rng.next_u64()));
        b.extend((0..only_b).map(|_| rng.next_u64()));
        (a, b)
    }

    fn exact_jaccard(a: &[u64], b: &[u64]) -> f64 {
        let a: HashSet<_> = a.iter().collect();
        let b: HashSet<_> = b.iter().collect();
        a.intersection(&b).count() as f64 / a.union(&b).count() as f64
    }

    #[test]
    fn minhash_estimates_within_three_standard_errors() {
        let mut rng = SplitMix64::new(7);
        let k = 128;
        // Sizes from sparser-than-k (densification at work) to dense.
        for &(shared, only_a, only_b) in &[
            (10, 10, 10),
            (30, 60, 20),
            (100, 400, 300),
            (500, 100, 100),
            (50, 900, 50),
            (1000, 0, 0),
            (0, 300, 300),
        ] {
            let (a, b) = random_pair(&mut rng, shared, only_a, only_b);
            let exact = exact_jaccard(&a, &b);
            let estimate = estimate_jaccard(&minhash(a, k), &minhash(b, k));
            let se = (exact * (1.0 - exact) / k as f64).sqrt();
            assert!(
                (estimate - exact).abs() <= 3.0 * se + 1e-9,
                "sizes {shared}/{only_a}/{only_b}: exact {exact:.3}, estimate {estimate:.3}, se {se:.3}"
            );
        }
    }

    #[test]
    fn minhash_is_unbiased_on_average() {
        // Over many independent pairs the mean error shrinks like se/sqrt(n).
        let mut rng = SplitMix64::new(11);
        let (trials, k) = (200, 64);
        let mut total_error = 0.0;
        for _ in 0..trials {
            let (a, b) = random_pair(&mut rng, 40, 60, 60);
            total_error += estimate_jaccard(&minhash(a.clone(), k), &minhash(b.clone(), k))
                - exact_jaccard(&a, &b);
        }
        let exact = 40.0 / 160.0;
        let se_of_mean = (exact * (1.0 - exact) / k as f64).sqrt() / (trials as f64).sqrt();
        assert!((total_error / trials as f64).abs() <= 3.0 * se_of_mean);
    }

    #[test]
    fn empty_and_identical_sets() {
        assert_eq!(minhash(Vec::new(), 16), vec![EMPTY_BIN; 16]);
        let set: Vec<u64> = (0..5).collect();
        assert_eq!(
            estimate_jaccard(&minhash(set.clone(), 64), &minhash(set, 64)),
            1.0
        );
    }

    #[test]
    fn optimal_banding_matches_datasketch_choices() {
        // Reference values from datasketch's MinHashLSH._optimal_param with
        // the default weights (0.5, 0.5).
        // (datasketch 2.0.0: 0.2 -> (28, 2), 0.3 -> (37, 3), 0.5 -> (25, 5), 0.9 -> (5, 25).)
        assert_eq!(
            Banding::optimal(0.2, 128, 0.5, 0.5),
            Banding { bands: 28, rows: 2 }
        );
        assert_eq!(
            Banding::optimal(0.3, 128, 0.5, 0.5),
            Banding { bands: 37, rows: 3 }
        );
        assert_eq!(
            Banding::optimal(0.5, 128, 0.5, 0.5),
            Banding { bands: 25, rows: 5 }
        );
        assert_eq!(
            Banding::optimal(0.9, 128, 0.5, 0.5),
            Banding { bands: 5, rows: 25 }
        );
        let b = Banding::optimal(0.3, 128, 0.5, 0.5);
        assert!(b.bands * b.rows <= 128);
        // The curve passes near the threshold: steep around it.
        assert!(b.collision_probability(0.15) < 0.2);
        assert!(b.collision_probability(0.45) > 0.8);
    }

    #[test]
    fn band_keys_agree_exactly_when_bands_agree() {
        let banding = Banding { bands: 4, rows: 2 };
        let a = vec![1, 2, 3, 4, 5, 6, 7, 8];
        let mut b = a.clone();
        b[0] = 99;
        let (ka, kb) = (banding.keys(&a), banding.keys(&b));
        assert_ne!(ka[0], kb[0]);
        assert_eq!(ka[1..], kb[1..]);
        // The same rows in another band give another key.
        let c = vec![1, 2, 1, 2, 1, 2, 1, 2];
        let kc = banding.keys(&c);
        assert_ne!(kc[0], kc[1]);
    }

    #[test]
    fn shingles_are_sorted_distinct_and_cover_short_texts() {
        assert!(shingles(&[], 3).is_empty());
        assert_eq!(shingles(&[1, 2], 3).len(), 1);
        let s = shingles(&[1, 2, 3, 1, 2, 3, 1], 3);
        assert_eq!(s.len(), 3);
        assert!(s.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn simhash_distance_grows_with_edits() {
        let mut rng = SplitMix64::new(3);
        let base: Vec<(u64, f64)> = (0..300).map(|_| (rng.next_u64(), 1.0)).collect();
        let original = weighted_simhash(base.clone());
        let mut previous = 0;
        for &replaced in &[15, 75, 150, 300] {
            let mut edited = base.clone();
            for f in edited.iter_mut().take(replaced) {
                f.0 = rng.next_u64();
            }
            let distance = hamming(original, weighted_simhash(edited));
            assert!(
                distance >= previous,
                "{replaced} edits: {distance} < {previous}"
            );
            previous = distance;
        }
        assert!(
            previous >= 20,
            "unrelated documents should differ in ~32 bits"
        );
    }

    #[test]
    fn simhash_weights_let_rare_features_dominate() {
        let mut rng = SplitMix64::new(5);
        let common: Vec<(u64, f64)> = (0..50).map(|_| (rng.next_u64(), 0.1)).collect();
        let rare_a: Vec<(u64, f64)> = (0..10).map(|_| (rng.next_u64(), 5.0)).collect();
        let rare_b: Vec<(u64, f64)> = (0..10).map(|_| (rng.next_u64(), 5.0)).collect();
        let a = weighted_simhash(common.iter().chain(&rare_a).copied());
        let a2 = weighted_simhash(
            common
                .iter()
                .map(|&(f, _)| (f, 0.1))
                .chain(rare_a.iter().copied())
                .take(55),
        );
        let b = weighted_simhash(common.iter().chain(&rare_b).copied());
        assert!(hamming(a, a2) < hamming(a, b));
    }

    #[test]
    fn simhash_crate_agrees_on_near_and_far_texts() {
        // Cross-check against the `simhash` crate (unweighted, SipHash of
        // whitespace tokens): both must call a light edit near and an
        // unrelated text far.
        let original = "the envoy arrived in moscow on thursday to discuss a thirty day ceasefire \
                        proposal that ukraine accepted earlier this week in talks held in jeddah";
        let edited = original.replace("thursday", "friday");
        let unrelated = "the football club confirmed that its striker will miss the cup final after \
                         an ankle injury picked up during training on the practice ground";
        let ours = |t: &str| {
            weighted_simhash(
                t.split_whitespace()
                    .map(|w| (crate::hash::hash_bytes(w.as_bytes()), 1.0)),
            )
        };
        let near_ours = hamming(ours(original), ours(&edited));
        let far_ours = hamming(ours(original), ours(unrelated));
        let near_crate =
            simhash::hamming_distance(simhash::simhash(original), simhash::simhash(&edited));
        let far_crate =
            simhash::hamming_distance(simhash::simhash(original), simhash::simhash(unrelated));
        assert!(near_ours < far_ours && near_crate < far_crate);
        assert!(
            near_ours <= 8 && near_crate <= 8,
            "{near_ours} {near_crate}"
        );
        assert!(far_ours >= 16 && far_crate >= 16, "{far_ours} {far_crate}");
    }
}
