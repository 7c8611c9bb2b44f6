//! Plain types the stages hand each other and the caller: a verified
//! pair, the run's counts, a scan's outcome.

use std::time::Duration;

use crate::sketch::Banding;
use crate::verify::Evidence;

/// A verified pair, `a`'s id sorting before `b`'s.
#[derive(Clone, Copy, Debug)]
pub struct ScoredPair {
    pub a: u32,
    pub b: u32,
    pub evidence: Evidence,
}

#[derive(Clone, Debug, Default)]
pub struct ScanStats {
    pub documents: usize,
    pub banding: Option<Banding>,
    pub lsh_candidates: usize,
    pub simhash_candidates: usize,
    pub anchor_candidates: usize,
    /// Distinct pairs the indexes found, of which each document's
    /// `max_partners` most tied are the candidates.
    pub pairs_found: usize,
    pub max_partners: usize,
    pub candidates: usize,
    pub verified: usize,
    /// Distinct sentences recognised as boilerplate.
    pub boilerplate: usize,
    /// Size of the segmented documents in the temporary store.
    pub temp_bytes: u64,
    /// Sorted runs written to disk by the external sorts (0: all in memory).
    pub spilled_runs: usize,
    /// Documents whose verification features stayed in memory after signing.
    pub features_kept: usize,
    /// Features built again from the store for verification, counting a
    /// document once for each time it was built.
    pub features_built: usize,
    /// Records the reader skipped (with `--skip-bad`); set by the caller.
    pub skipped: Option<usize>,
    pub stages: Vec<(&'static str, Duration)>,
}

/// The outcome of a scan.
#[derive(Clone, Debug)]
pub struct Scan {
    pub ids: Vec<String>,
    /// Candidate pairs (document indices, smaller first), sorted; empty
    /// unless [`ScanOptions::keep_candidates`] is set.
    pub candidates: Vec<(u32, u32)>,
    /// Verified pairs, sorted by (id of a, id of b).
    pub pairs: Vec<ScoredPair>,
    /// Clusters as document indices, members sorted by id, clusters by their
    /// first member; the cluster id is the position + 1.
    pub clusters: Vec<Vec<u32>>,
    pub stats: ScanStats,
}

/// Candidate pairs per document, for the summary.
pub fn candidates_per_document(stats: &ScanStats) -> f64 {
    stats.candidates as f64 / stats.documents.max(1) as f64
}
