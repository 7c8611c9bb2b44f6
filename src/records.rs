//! The fixed-size records the external sorts carry after verification:
//! verified pairs in report order, and clustering edges strongest first.

use crate::spill::Record;
use crate::types::ScoredPair;
use crate::verify::{COLUMNS, Evidence};

/// A verified pair on its way to the report: `key` orders pairs by the ids
/// of `a` then `b` (their ranks).
#[derive(Clone, Copy, Debug)]
pub struct PairRecord {
    pub(crate) key: u64,
    pub pair: ScoredPair,
}

impl PartialEq for PairRecord {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl Eq for PairRecord {}
impl PartialOrd for PairRecord {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for PairRecord {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key.cmp(&other.key)
    }
}

impl Record for PairRecord {
    /// The key, the two documents, then every evidence column as an f64
    /// (counts are exact in one).
    const SIZE: usize = 16 + 8 * COLUMNS;

    fn write_to(&self, out: &mut [u8]) {
        let mut at = 0;
        let mut put = |bytes: &[u8]| {
            out[at..at + bytes.len()].copy_from_slice(bytes);
            at += bytes.len();
        };
        put(&self.key.to_le_bytes());
        put(&self.pair.a.to_le_bytes());
        put(&self.pair.b.to_le_bytes());
        for (_, value) in self.pair.evidence.columns() {
            put(&value.as_f64().to_le_bytes());
        }
    }

    fn read_from(bytes: &[u8]) -> Self {
        let at = |i: usize, n: usize| &bytes[i..i + n];
        let key = u64::from_le_bytes(at(0, 8).try_into().unwrap_or_default());
        let a = u32::from_le_bytes(at(8, 4).try_into().unwrap_or_default());
        let b = u32::from_le_bytes(at(12, 4).try_into().unwrap_or_default());
        let mut values = [0f64; COLUMNS];
        for (i, v) in values.iter_mut().enumerate() {
            *v = f64::from_le_bytes(at(16 + 8 * i, 8).try_into().unwrap_or_default());
        }
        PairRecord {
            key,
            pair: ScoredPair {
                a,
                b,
                evidence: Evidence::from_columns(values),
            },
        }
    }
}

/// A verified pair as a clustering edge: strongest first, ties in report order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Edge {
    /// `u64::MAX` minus the score's bits: scores are non-negative, so their
    /// bit patterns sort like the scores.
    pub(crate) weakness: u64,
    pub(crate) key: u64,
    pub(crate) a: u32,
    pub(crate) b: u32,
}

impl Record for Edge {
    const SIZE: usize = 24;

    fn write_to(&self, out: &mut [u8]) {
        out[..8].copy_from_slice(&self.weakness.to_le_bytes());
        out[8..16].copy_from_slice(&self.key.to_le_bytes());
        out[16..20].copy_from_slice(&self.a.to_le_bytes());
        out[20..].copy_from_slice(&self.b.to_le_bytes());
    }

    fn read_from(bytes: &[u8]) -> Self {
        let u64_at = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().unwrap_or_default());
        let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap_or_default());
        Edge {
            weakness: u64_at(0),
            key: u64_at(8),
            a: u32_at(16),
            b: u32_at(20),
        }
    }
}
