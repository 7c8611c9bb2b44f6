//! The fixed hashes every stage agrees on. They never change between runs,
//! machines or versions of dependencies, so signatures are reproducible.
//!
//! - words: XXH3-64 (seed 0) of the normalised word's UTF-8 bytes, high 32 bits;
//! - terms: XXH3-64 with seed [`TERM_SEED`], high 32 bits;
//! - shingles and sentences: their word hashes folded by [`hash_words`];
//! - derived values (MinHash bins, SimHash bits, band keys): the SplitMix64
//!   finaliser [`mix64`] and XXH3-64 over fixed byte layouts.

use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

pub const TERM_SEED: u64 = 0x7465_726d; // "term"

pub fn hash_bytes(bytes: &[u8]) -> u64 {
    xxh3_64(bytes)
}

pub fn hash_term(term: &str) -> u64 {
    xxh3_64_with_seed(term.as_bytes(), TERM_SEED)
}

/// A word's 32-bit id (the high half of its hash). Words and terms are kept at
/// 32 bits so a segmented document takes half the room on disk; within one
/// pair of documents a chance collision has odds of about 1 in 10^4 of
/// touching a single shingle or term, far below anything a score can feel.
pub fn word_id(word: &str) -> u32 {
    (hash_bytes(word.as_bytes()) >> 32) as u32
}

/// A term's 32-bit id (see [`word_id`]).
/// Never 0, which the on-disk form uses for "no term".
pub fn term_id(term: &str) -> u32 {
    ((hash_term(term) >> 32) as u32).max(1)
}

/// Hash of a run of word hashes (a shingle, or a sentence): each word hash
/// folded in with a rotation and [`mix64`], so order matters.
pub fn hash_words(words: &[u64]) -> u64 {
    hash_word_iter(words.iter().copied())
}

/// [`hash_words`] of words given one by one (no slice to collect them in).
pub fn hash_word_iter(words: impl ExactSizeIterator<Item = u64>) -> u64 {
    let mut h = SHINGLE_SEED ^ words.len() as u64;
    for w in words {
        h = mix64(h.rotate_left(23) ^ w);
    }
    h
}

const SHINGLE_SEED: u64 = 0x7368_696e_676c_6501; // "shingle"

/// SplitMix64's finaliser: a bijection on u64 that spreads every input bit.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A small seeded generator (SplitMix64) for reproducible sampling in tests,
/// benchmarks and the corpus generator; not for anything secret.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix64(self.0)
    }

    /// Uniform in `0..n` (n > 0), by Lemire's multiply-shift.
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}
