//! Options several subcommands share: threads, temporary files and memory,
//! and the tuning of evidence, candidates and clusters.

use std::path::PathBuf;

use clap::Args;

use storydup::Error;
use storydup::scan::ScanOptions;
use storydup::sketch::Banding;
use storydup::verify::VerifyOptions;

/// How many worker threads a command runs on.
#[derive(Args)]
pub(crate) struct Threads {
    /// Worker threads, 0 to 1024 (0: one per core). Reports are identical for any count.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u16).range(0..=1024))]
    pub(crate) threads: u16,
}

impl Threads {
    pub(crate) fn start(&self) -> storydup::Result<()> {
        if self.threads > 0 {
            rayon::ThreadPoolBuilder::new()
                .num_threads(self.threads.into())
                .build_global()
                .map_err(|e| {
                    Error::file("-", format!("cannot start {} threads: {e}", self.threads))
                })?;
        }
        Ok(())
    }
}

/// Where temporary files go and how much memory sorting may hold.
#[derive(Args)]
pub(crate) struct Resources {
    /// Folder for temporary files (default: the system's, $TMPDIR). They are
    /// unnamed, so nothing is left behind on exit, error or crash.
    #[arg(long, value_name = "DIR")]
    pub(crate) tmp_dir: Option<PathBuf>,

    /// Megabytes each on-disk sort holds before it writes a sorted run
    /// (several sorts can be open at once).
    #[arg(long, value_name = "MB", default_value_t = ScanOptions::default().buffer_bytes >> 20)]
    pub(crate) buffer_mb: usize,

    /// Megabytes of verification features kept in memory between signing
    /// and verifying; documents beyond it are rebuilt from the temporary store.
    #[arg(long, value_name = "MB", default_value_t = ScanOptions::default().feature_memory >> 20)]
    pub(crate) feature_mb: usize,
}

impl Resources {
    pub(crate) fn apply(&self, options: &mut ScanOptions) -> storydup::Result<()> {
        options.tmp_dir = self.tmp_dir.clone();
        if !(1..=1 << 20).contains(&self.buffer_mb) {
            return Err(Error::Usage(format!(
                "--buffer-mb must be in 1 to 1048576 (got {})",
                self.buffer_mb
            )));
        }
        if self.feature_mb > 1 << 20 {
            return Err(Error::Usage(format!(
                "--feature-mb must be in 0 to 1048576 (got {})",
                self.feature_mb
            )));
        }
        options.buffer_bytes = self.buffer_mb << 20;
        options.feature_memory = self.feature_mb << 20;
        Ok(())
    }
}

/// Options that change a pair's evidence and verdict (scan, eval, explain).
#[derive(Args)]
#[command(next_help_heading = "Evidence")]
pub(crate) struct EvidenceTuning {
    /// Score in [0, 1] at which a candidate pair counts as a rewrite.
    #[arg(long, default_value_t = VerifyOptions::default().threshold)]
    pub(crate) threshold: f64,

    /// Weighted overlap at which a passage counts as aligned with the other document.
    #[arg(long, default_value_t = VerifyOptions::default().passage_threshold)]
    pub(crate) passage_threshold: f64,

    /// Words per shingle for the overlap evidence.
    #[arg(long, default_value_t = ScanOptions::default().shingle_size)]
    pub(crate) shingle_size: usize,

    /// A sentence found in at least this many documents is boilerplate, not evidence...
    #[arg(long, default_value_t = ScanOptions::default().boilerplate_min_docs)]
    pub(crate) boilerplate_min_docs: usize,

    /// ...and in at least this share of all documents.
    #[arg(long, default_value_t = ScanOptions::default().boilerplate_share)]
    pub(crate) boilerplate_share: f64,
}

/// Options that change what counts as a rewrite: the evidence, which pairs
/// are compared, and how clusters grow (scan and eval).
#[derive(Args)]
pub(crate) struct Tuning {
    #[command(flatten)]
    pub(crate) evidence: EvidenceTuning,

    #[command(flatten)]
    pub(crate) candidates: CandidateTuning,

    #[command(flatten)]
    pub(crate) clusters: ClusterTuning,
}

/// Which pairs are compared at all.
#[derive(Args)]
#[command(next_help_heading = "Candidates")]
pub(crate) struct CandidateTuning {
    /// MinHash signature length.
    #[arg(long, default_value_t = ScanOptions::default().num_perm)]
    pub(crate) num_perm: usize,

    /// Term Jaccard similarity the MinHash LSH aims to catch (sets bands and rows).
    #[arg(long, default_value_t = ScanOptions::default().lsh_threshold)]
    pub(crate) lsh_threshold: f64,

    /// LSH bands two documents must share to become candidates.
    #[arg(long, default_value_t = ScanOptions::default().min_shared_bands)]
    pub(crate) min_shared_bands: usize,

    /// LSH bands (with --rows), overriding --lsh-threshold.
    #[arg(long, requires = "rows")]
    pub(crate) bands: Option<usize>,

    /// LSH rows per band (with --bands).
    #[arg(long, requires = "bands")]
    pub(crate) rows: Option<usize>,

    /// SimHash Hamming distance at which a pair becomes a candidate.
    #[arg(long, default_value_t = ScanOptions::default().simhash_distance)]
    pub(crate) simhash_distance: u32,

    /// Passage anchors (pairs of a window's three rarest terms) two documents must share to become candidates.
    #[arg(long, default_value_t = ScanOptions::default().min_shared_anchors)]
    pub(crate) min_shared_anchors: usize,

    /// Anchors found in more documents than this are too common to nominate pairs.
    #[arg(long, default_value_t = ScanOptions::default().max_anchor_docs)]
    pub(crate) max_anchor_docs: usize,

    /// Candidates each document nominates: those sharing SimHash blocks, then the most anchors, then the most LSH bands (this bounds the candidates to this many a document).
    #[arg(long, default_value_t = ScanOptions::default().max_partners)]
    pub(crate) max_partners: usize,

    /// Blocks the 64 SimHash bits are cut into for the block tables.
    #[arg(long, default_value_t = ScanOptions::default().simhash_blocks)]
    pub(crate) simhash_blocks: u32,
}

/// How clusters grow from verified pairs.
#[derive(Args)]
#[command(next_help_heading = "Clusters")]
pub(crate) struct ClusterTuning {
    /// Members of each group checked against the other's before two groups merge.
    #[arg(long, default_value_t = ScanOptions::default().chain_sample)]
    pub(crate) chain_sample: usize,

    /// Share of checked member pairs that must support a merge of two groups.
    #[arg(long, default_value_t = ScanOptions::default().chain_support)]
    pub(crate) chain_support: f64,

    /// A member pair supports a merge when its score reaches this fraction of --threshold.
    #[arg(long, default_value_t = ScanOptions::default().chain_score_ratio)]
    pub(crate) chain_score_ratio: f64,
}

impl EvidenceTuning {
    /// Default options with these set (checked where they are used).
    pub(crate) fn options(&self) -> ScanOptions {
        ScanOptions {
            shingle_size: self.shingle_size,
            verify: VerifyOptions {
                threshold: self.threshold,
                passage_threshold: self.passage_threshold,
                ..VerifyOptions::default()
            },
            boilerplate_min_docs: self.boilerplate_min_docs,
            boilerplate_share: self.boilerplate_share,
            ..ScanOptions::default()
        }
    }
}

impl Tuning {
    pub(crate) fn options(&self, keep_singletons: bool) -> ScanOptions {
        let (c, k) = (&self.candidates, &self.clusters);
        ScanOptions {
            num_perm: c.num_perm,
            lsh_threshold: c.lsh_threshold,
            banding: c
                .bands
                .zip(c.rows)
                .map(|(bands, rows)| Banding { bands, rows }),
            min_shared_bands: c.min_shared_bands,
            simhash_distance: c.simhash_distance,
            simhash_blocks: c.simhash_blocks,
            min_shared_anchors: c.min_shared_anchors,
            max_anchor_docs: c.max_anchor_docs,
            max_partners: c.max_partners,
            keep_singletons,
            chain_sample: k.chain_sample,
            chain_support: k.chain_support,
            chain_score_ratio: k.chain_score_ratio,
            ..self.evidence.options()
        }
    }
}
