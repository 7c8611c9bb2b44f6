//! Settings: every knob of the pipeline with its default and range, and
//! the fitted score model. The bottom layer: it imports no stage.

use std::path::PathBuf;

use crate::error::{Error, Result};

/// Every knob of the pipeline, with the defaults the CLI documents.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    /// Words per shingle for the exact overlap evidence.
    pub shingle_size: usize,
    /// MinHash signature length.
    pub num_perm: usize,
    /// Term Jaccard that LSH aims to catch; sets bands and rows.
    pub lsh_threshold: f64,
    /// Explicit bands and rows (both or neither), overriding the threshold.
    pub banding: Option<Banding>,
    /// LSH bands two documents must share to become candidates.
    pub min_shared_bands: usize,
    /// SimHash block tables: pairs within this Hamming distance are candidates.
    pub simhash_distance: u32,
    pub simhash_blocks: u32,
    /// Passage anchors two documents must share to become candidates.
    pub min_shared_anchors: usize,
    /// Anchors held by more documents than this are too common to use.
    pub max_anchor_docs: usize,
    /// Partners each document nominates for verification, the most tied
    /// first: this bounds the candidates at this many a document whatever
    /// the corpus size or how many documents share a topic.
    pub max_partners: usize,
    pub verify: VerifyOptions,
    pub keep_singletons: bool,
    /// A sentence in at least this many documents is boilerplate...
    pub boilerplate_min_docs: usize,
    /// ...and in at least this share of all documents.
    pub boilerplate_share: f64,
    /// Chain guard: members of each group checked before two groups merge.
    pub chain_sample: usize,
    /// Chain guard: share of checked pairs that must support a merge.
    pub chain_support: f64,
    /// Chain guard: a pair supports a merge at this fraction of the threshold.
    pub chain_score_ratio: f64,
    /// Folder for temporary files (the system's by default). They have no
    /// names, so they vanish on exit, on error and on a crash.
    pub tmp_dir: Option<PathBuf>,
    /// Bytes each on-disk sort holds in memory before it writes a sorted run.
    pub buffer_bytes: usize,
    /// Keep the candidate pairs in [`Scan::candidates`] (for `eval`).
    pub keep_candidates: bool,
    /// Bytes of verification features kept in memory from signing to
    /// verifying; beyond it they are built again from the store when needed.
    pub feature_memory: usize,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            shingle_size: 3,
            num_perm: 128,
            lsh_threshold: 0.2,
            banding: None,
            min_shared_bands: 2,
            simhash_distance: 3,
            simhash_blocks: 6,
            min_shared_anchors: 1,
            max_anchor_docs: 10,
            max_partners: 20,
            verify: VerifyOptions::default(),
            keep_singletons: false,
            boilerplate_min_docs: 20,
            boilerplate_share: 0.002,
            chain_sample: 8,
            chain_support: 0.5,
            chain_score_ratio: 0.5,
            tmp_dir: None,
            buffer_bytes: 128 << 20,
            keep_candidates: false,
            feature_memory: 768 << 20,
        }
    }
}

impl ScanOptions {
    pub fn banding(&self) -> Banding {
        self.banding
            .unwrap_or_else(|| Banding::optimal(self.lsh_threshold, self.num_perm, 0.5, 0.5))
    }

    /// Documents a sentence must appear in to be boilerplate, in a corpus
    /// of `documents`.
    pub fn boilerplate_threshold(&self, documents: u64) -> u64 {
        (self.boilerplate_min_docs as u64)
            .max((self.boilerplate_share * documents as f64).ceil() as u64)
            .max(1)
    }

    pub fn temp_dir(&self) -> PathBuf {
        self.tmp_dir.clone().unwrap_or_else(std::env::temp_dir)
    }

    /// These options checked and resolved once: the only way to a [`Plan`].
    pub fn plan(&self) -> Result<Plan> {
        self.validate()?;
        let banding = self.banding();
        // More shared bands than there are would let only the pairs of
        // oversized buckets through, which is never what was meant.
        if self.min_shared_bands > banding.bands {
            let source = match self.banding {
                Some(_) => "--bands".to_string(),
                None => format!(
                    "--lsh-threshold {} gives {} x {}",
                    self.lsh_threshold, banding.bands, banding.rows
                ),
            };
            return Err(Error::Usage(format!(
                "--min-shared-bands {} is more than the {} LSH bands ({source})",
                self.min_shared_bands, banding.bands
            )));
        }
        Ok(Plan {
            banding,
            options: self.clone(),
        })
    }

    pub fn validate(&self) -> Result<()> {
        let usage = |m: String| Err(Error::Usage(m));
        if !(1..=64).contains(&self.shingle_size) {
            return usage("--shingle-size must be in 1 to 64".into());
        }
        if !(1..=4096).contains(&self.num_perm) {
            return usage("--num-perm must be in 1 to 4096".into());
        }
        for (name, value, range) in [
            ("--min-shared-bands", self.min_shared_bands, 1..=4096),
            ("--min-shared-anchors", self.min_shared_anchors, 1..=1 << 20),
            ("--max-anchor-docs", self.max_anchor_docs, 2..=1 << 20),
            ("--max-partners", self.max_partners, 1..=1 << 20),
            (
                "--boilerplate-min-docs",
                self.boilerplate_min_docs,
                2..=usize::MAX,
            ),
            ("--chain-sample", self.chain_sample, 1..=1024),
        ] {
            if !range.contains(&value) {
                return usage(format!(
                    "{name} must be in {} to {} (got {value})",
                    range.start(),
                    range.end()
                ));
            }
        }
        // `contains` is false for NaN, so these refuse it too.
        for (name, value) in [
            ("--boilerplate-share", self.boilerplate_share),
            ("--chain-support", self.chain_support),
            ("--chain-score-ratio", self.chain_score_ratio),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return usage(format!("{name} must be in [0, 1] (got {value})"));
            }
        }
        if !(0.0..=1.0).contains(&self.lsh_threshold) {
            return usage("--lsh-threshold must be in [0, 1]".into());
        }
        if !(0.0..=1.0).contains(&self.verify.threshold) {
            return usage("--threshold must be in [0, 1]".into());
        }
        if !(0.0..=1.0).contains(&self.verify.passage_threshold) {
            return usage("--passage-threshold must be in [0, 1]".into());
        }
        // A banding derived from the threshold always fits; only given ones
        // need checking (and deriving one costs a search, so it is not done here).
        if let Some(b) = self.banding
            && (b.bands == 0 || b.rows == 0 || b.bands * b.rows > self.num_perm)
        {
            return usage(format!(
                "--bands x --rows must be at least 1 and at most --num-perm ({} x {} > {})",
                b.bands, b.rows, self.num_perm
            ));
        }
        simhash_tables(self.simhash_distance, self.simhash_blocks).map_err(Error::Usage)?;
        let dir = self.temp_dir();
        if !dir.is_dir() {
            return Err(Error::file(
                &dir,
                "the folder for temporary files does not exist",
            ));
        }
        Ok(())
    }
}

/// Options checked once and resolved (the LSH banding searched for once):
/// what the pipeline's stages read. Only [`ScanOptions::plan`] makes one, so
/// a plan always holds valid options.
#[derive(Clone, Debug)]
pub struct Plan {
    options: ScanOptions,
    banding: Banding,
}

impl Plan {
    pub fn banding(&self) -> Banding {
        self.banding
    }
}

impl std::ops::Deref for Plan {
    type Target = ScanOptions;
    fn deref(&self) -> &ScanOptions {
        &self.options
    }
}

#[derive(Clone, Debug)]
pub struct VerifyOptions {
    /// Weighted Dice similarity at which a passage counts as aligned.
    pub passage_threshold: f64,
    /// Score at which a pair is a rewrite.
    pub threshold: f64,
    /// How the evidence is weighed into a score.
    pub model: Model,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            passage_threshold: 0.4,
            threshold: Model::THRESHOLD,
            model: Model::FITTED,
        }
    }
}

/// The number of inputs of the score.
pub const INPUTS: usize = 11;

/// A logistic model: the score of X against Y is
/// `1 / (1 + exp(-(bias + weights . inputs(X, Y))))`, and a pair's score is
/// the higher of its two directions (a summary is covered by its source,
/// not the other way round).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Model {
    pub weights: [f64; INPUTS],
    pub bias: f64,
}

impl Model {
    /// Fitted by `benches/fit/run.sh` (see README.md, Verification).
    pub const FITTED: Model = Model {
        weights: [
            2.536, 1.881, 4.303, -1.190, -0.276, 0.000, -0.305, -0.227, -0.600, -1.780, -12.000,
        ],
        bias: 4.129,
    };
    /// The threshold fitted with [`Model::FITTED`].
    pub const THRESHOLD: f64 = 0.84;
}

/// LSH banding: `bands` bands of `rows` signature values each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Banding {
    pub bands: usize,
    pub rows: usize,
}

impl Banding {
    /// Probability that two documents of Jaccard `s` share at least one band.
    pub fn collision_probability(&self, s: f64) -> f64 {
        1.0 - (1.0 - s.powi(self.rows as i32)).powi(self.bands as i32)
    }

    /// The bands and rows (bands x rows <= num_perm) that minimise the
    /// weighted area of false positives below `threshold` plus false
    /// negatives above it, as datasketch's `MinHashLSH` chooses them.
    pub fn optimal(threshold: f64, num_perm: usize, fp_weight: f64, fn_weight: f64) -> Banding {
        let mut best = Banding { bands: 1, rows: 1 };
        let mut best_error = f64::INFINITY;
        for bands in 1..=num_perm {
            for rows in 1..=num_perm / bands {
                let banding = Banding { bands, rows };
                let fp = integrate(|s| banding.collision_probability(s), 0.0, threshold);
                let fneg = integrate(|s| 1.0 - banding.collision_probability(s), threshold, 1.0);
                let error = fp * fp_weight + fneg * fn_weight;
                if error < best_error {
                    best_error = error;
                    best = banding;
                }
            }
        }
        best
    }
}

/// Composite Simpson's rule; the integrands here are smooth polynomials.
fn integrate(f: impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    const STEPS: usize = 256;
    if b <= a {
        return 0.0;
    }
    let h = (b - a) / STEPS as f64;
    let mut sum = f(a) + f(b);
    for i in 1..STEPS {
        let weight = if i % 2 == 1 { 4.0 } else { 2.0 };
        sum += weight * f(a + i as f64 * h);
    }
    sum * h / 3.0
}

/// More SimHash tables than this take longer to build and search than a scan.
const MAX_SIMHASH_TABLES: u128 = 1024;

/// How many SimHash block tables find every pair within `max_distance`
/// bits with the 64 bits cut into `blocks` blocks: one per choice of the
/// blocks that must match, C(blocks, max_distance); an error when the
/// combination is impossible or needs too many.
pub fn simhash_tables(max_distance: u32, blocks: u32) -> std::result::Result<u128, String> {
    if blocks == 0 || blocks > 64 || max_distance >= blocks {
        return Err(format!(
            "SimHash tables need 0 <= distance < blocks <= 64 (got distance {max_distance}, blocks {blocks})"
        ));
    }
    let tables = (0..max_distance as u128).fold(1u128, |c, i| c * (blocks as u128 - i) / (i + 1));
    if tables > MAX_SIMHASH_TABLES {
        return Err(format!(
            "--simhash-distance {max_distance} with --simhash-blocks {blocks} needs {tables} tables; at most {MAX_SIMHASH_TABLES}"
        ));
    }
    Ok(tables)
}
