//! The scan pipeline: documents in, verified pairs and clusters out, through
//! the stages of [`crate::stages`] in order.

use std::io;

use crate::error::Result;
use crate::input::Document;
use crate::spill::Sorted;
use crate::stages::verify::{Kept, Known};
use crate::stages::{Run, candidates, cluster, segment, sign, statistics, temp_error, verify};

pub use crate::corpus::{ANCHOR_TERMS, Signed, sign_all};
pub use crate::ids::Ids;
pub use crate::ids::index_of;
pub use crate::records::PairRecord;
pub use crate::settings::{Plan, ScanOptions};
pub use crate::stages::{Progress, Silent};
pub use crate::types::{Scan, ScanStats, ScoredPair, candidates_per_document};

/// The outcome of a scan with its verified pairs still on disk, sorted for
/// the report: what the command line streams into `pairs.csv`.
pub struct Streamed {
    pub ids: Ids,
    /// Text length of each document in bytes (for `--keep longest`).
    pub lengths: Vec<u32>,
    pub pairs: Sorted<PairRecord>,
    pub clusters: Vec<Vec<u32>>,
    /// Candidate pairs, kept only when [`ScanOptions::keep_candidates`] is set.
    pub candidates: Vec<(u32, u32)>,
    pub stats: ScanStats,
    /// The corpus statistics the features were built with.
    pub corpus: crate::corpus::Corpus,
}

/// Runs the whole pipeline on documents already read.
pub fn scan(documents: Vec<Document>, options: &ScanOptions) -> Result<Scan> {
    let streamed = scan_stream(
        |sink| {
            for doc in documents {
                sink(doc)?;
            }
            Ok(())
        },
        &options.plan()?,
        &Silent,
    )?;
    let pairs = streamed
        .pairs
        .map(|r| r.map(|r| r.pair))
        .collect::<io::Result<Vec<_>>>()
        .map_err(|e| temp_error(&options.temp_dir(), e))?;
    Ok(Scan {
        ids: streamed.ids.to_vec(),
        candidates: streamed.candidates,
        pairs,
        clusters: streamed.clusters,
        stats: streamed.stats,
    })
}

/// Runs the pipeline on documents handed over one at a time by `read`,
/// holding in memory only per-document numbers (ids, offsets, ranks) and
/// bounded buffers: segmented documents, band keys, anchors, candidate and
/// verified pairs go to temporary files under [`ScanOptions::tmp_dir`].
/// Each stage below takes what the one before it made.
pub fn scan_stream(
    read: impl FnOnce(&mut dyn FnMut(Document) -> Result<()>) -> Result<()>,
    plan: &Plan,
    progress: &dyn Progress,
) -> Result<Streamed> {
    let mut run = Run::new(plan, progress);
    let (stored, sentences) = segment::read_and_segment(read, &run)?;
    run.lap("read+segment");
    let corpus = statistics::count(&stored, sentences, &mut run)?;
    run.lap("statistics");
    let signed = sign::sign(&stored.store, &corpus, &mut run)?;
    run.lap("sign");
    let candidates = candidates::find(signed.keys, &mut run)?;
    run.lap("index");
    let ranks = stored.ids.ranks();
    let known = Known {
        stored: &stored,
        ranks: &ranks,
        corpus: &corpus,
        simhashes: &candidates.simhashes,
    };
    let features_kept = signed.bank.len();
    let mut kept = Kept::new(signed.bank, plan.feature_memory);
    let verified = verify::verify(candidates.pairs, &known, &mut kept, &mut run)?;
    run.lap("verify");
    let clusters = cluster::cluster(verified.edges, &known, &kept, &run)?;
    run.lap("cluster");

    let stats = ScanStats {
        documents: stored.ids.len(),
        banding: Some(plan.banding()),
        lsh_candidates: candidates.lsh,
        simhash_candidates: candidates.simhash,
        anchor_candidates: candidates.anchors,
        pairs_found: candidates.found,
        max_partners: run.options.max_partners,
        candidates: verified.distinct,
        verified: verified.count,
        boilerplate: corpus.boilerplate.len(),
        temp_bytes: stored.store.bytes(),
        spilled_runs: run.runs,
        features_kept,
        features_built: kept.built,
        skipped: None,
        stages: run.stages,
    };
    Ok(Streamed {
        ids: stored.ids,
        lengths: stored.lengths,
        pairs: verified.pairs,
        clusters,
        candidates: verified.kept,
        stats,
        corpus,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::SplitMix64;

    /// A made-up story: sentences of random pseudo-words.
    fn story(rng: &mut SplitMix64, sentences: usize) -> String {
        (0..sentences)
            .map(|_| {
                let words: Vec<String> = (0..12).map(|_| format!("w{}", rng.below(5000))).collect();
                // Capitalised, or UAX #29 would not end the sentence.
                format!("W{}.", words.join(" "))
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn boilerplate_lines_are_not_evidence() {
        let mut rng = SplitMix64::new(9);
        let footer = "\nAdvertisement\nShare this article on Facebook and Twitter\nWe use cookies to improve your experience on our site.\n";
        let texts: Vec<String> = (0..30)
            .map(|_| format!("{}{footer}", story(&mut rng, 6)))
            .collect();
        let options = ScanOptions::default();
        let (signed, boilerplate) = sign_all(texts.clone(), &options, options.banding());
        assert_eq!(boilerplate, 3);
        // Six sentences of twelve words; the footer's words are gone.
        assert!(signed.iter().all(|s| s.features.words == 72));

        // Below the document count the same lines are ordinary sentences.
        let (signed, boilerplate) = sign_all(texts[..10].to_vec(), &options, options.banding());
        assert_eq!(boilerplate, 0);
        assert!(signed.iter().all(|s| s.features.words == 72 + 18));
    }

    #[test]
    fn unrelated_stories_sharing_boilerplate_stay_apart() {
        let mut rng = SplitMix64::new(10);
        let footer = "\nBy Staff Reporter\nAdvertisement\nLeave A Comment\nShare this article on Facebook and Twitter\n";
        let documents: Vec<Document> = (0..40)
            .map(|i| Document {
                id: format!("d{i:02}"),
                text: format!("{}{footer}", story(&mut rng, 3)),
                origin: crate::error::Origin {
                    path: "test".into(),
                    line: i + 1,
                },
                raw: None,
            })
            .collect();
        let result = scan(documents, &ScanOptions::default()).unwrap();
        assert!(result.clusters.is_empty(), "{:?}", result.clusters);
    }
}
