//! The fixed-size records the external sorts carry after verification:
//! verified pairs in report order, and clustering edges strongest first.

use crate::scan::ScoredPair;
use crate::spill::Record;
use crate::verify::Evidence;

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

const F64_FIELDS: usize = 11;
const U32_FIELDS: usize = 9;

impl Record for PairRecord {
    const SIZE: usize = 16 + 8 * F64_FIELDS + 4 * U32_FIELDS;

    fn write_to(&self, out: &mut [u8]) {
        let e = &self.pair.evidence;
        let floats = [
            e.score,
            e.jaccard,
            e.containment,
            e.coverage_a,
            e.coverage_b,
            e.terms_in_other_a,
            e.terms_in_other_b,
            e.facts_in_other_a,
            e.facts_in_other_b,
            e.lead_a,
            e.lead_b,
        ];
        let ints = [
            self.pair.a,
            self.pair.b,
            e.aligned_a,
            e.sentences_a,
            e.aligned_b,
            e.sentences_b,
            e.simhash_distance,
            e.facts_a,
            e.facts_b,
            e.novel_facts_a,
            e.novel_facts_b,
        ];
        let mut at = 0;
        let mut put = |bytes: &[u8]| {
            out[at..at + bytes.len()].copy_from_slice(bytes);
            at += bytes.len();
        };
        put(&self.key.to_le_bytes());
        floats.iter().for_each(|x| put(&x.to_le_bytes()));
        ints.iter().for_each(|x| put(&x.to_le_bytes()));
    }

    fn read_from(bytes: &[u8]) -> Self {
        let mut at = 0;
        let mut take = |n: usize| {
            let slice = &bytes[at..at + n];
            at += n;
            slice
        };
        let key = u64::from_le_bytes(take(8).try_into().unwrap_or_default());
        let mut floats = [0f64; F64_FIELDS];
        for x in &mut floats {
            *x = f64::from_le_bytes(take(8).try_into().unwrap_or_default());
        }
        let mut ints = [0u32; U32_FIELDS + 2];
        for x in &mut ints {
            *x = u32::from_le_bytes(take(4).try_into().unwrap_or_default());
        }
        let [
            score,
            jaccard,
            containment,
            coverage_a,
            coverage_b,
            terms_in_other_a,
            terms_in_other_b,
            facts_in_other_a,
            facts_in_other_b,
            lead_a,
            lead_b,
        ] = floats;
        let [
            a,
            b,
            aligned_a,
            sentences_a,
            aligned_b,
            sentences_b,
            simhash_distance,
            facts_a,
            facts_b,
            novel_facts_a,
            novel_facts_b,
        ] = ints;
        PairRecord {
            key,
            pair: ScoredPair {
                a,
                b,
                evidence: Evidence {
                    score,
                    jaccard,
                    containment,
                    coverage_a,
                    coverage_b,
                    aligned_a,
                    sentences_a,
                    aligned_b,
                    sentences_b,
                    simhash_distance,
                    terms_in_other_a,
                    terms_in_other_b,
                    facts_in_other_a,
                    facts_in_other_b,
                    facts_a,
                    facts_b,
                    novel_facts_a,
                    novel_facts_b,
                    lead_a,
                    lead_b,
                },
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
