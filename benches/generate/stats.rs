//! The sanity check printed at the end: word 3-gram overlap of a sample of
//! the labelled pairs of each kind. Words are runs of ASCII letters and
//! digits, lowercased (a naive tokeniser, on purpose).

use storydup::hash::mix64;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// Sorted, distinct hashes (high 32 bits) of the word 3-grams of `text`.
pub fn shingles(text: &[u8], out: &mut Vec<u32>) {
    out.clear();
    let mut w = [0u64; 3];
    let mut n = 0usize;
    let mut h = FNV_OFFSET;
    let mut in_word = false;
    for &b in text.iter().chain(std::iter::once(&b' ')) {
        if b.is_ascii_alphanumeric() {
            h = (h ^ b.to_ascii_lowercase() as u64).wrapping_mul(FNV_PRIME);
            in_word = true;
        } else if in_word {
            w = [w[1], w[2], h];
            n += 1;
            if n >= 3 {
                out.push((mix64(w[0] ^ w[1].rotate_left(21) ^ w[2].rotate_left(42)) >> 32) as u32);
            }
            h = FNV_OFFSET;
            in_word = false;
        }
    }
    out.sort_unstable();
    out.dedup();
}

/// (Jaccard, containment): shared shingles over all, and over the smaller
/// set; storydup's own measure of exact overlap.
pub use storydup::verify::overlap;

pub fn median(v: &mut [f32]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m] as f64
    } else {
        (v[m - 1] as f64 + v[m] as f64) / 2.0
    }
}

/// Pair counts and sampled overlaps of one kind.
#[derive(Default)]
pub struct KindStats {
    pub pairs: u64,
    pub jaccard: Vec<f32>,
    pub containment: Vec<f32>,
}

impl KindStats {
    /// Whether the next pair of this kind goes into the sample: the first 200,
    /// then one in `stride`, at most 2,000 in all.
    pub fn wants(&self, stride: u64) -> bool {
        self.pairs < 200 || (self.pairs.is_multiple_of(stride) && self.jaccard.len() < 2000)
    }
}
