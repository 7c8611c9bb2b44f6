//! Signing: every document's MinHash band keys, passage anchors and
//! SimHash, and the features of the first documents while they fit.

use rayon::prelude::*;
use std::io;

use super::{BATCH_DOCS, Run, batches, temp_error};
use crate::corpus::{Corpus, Signed};
use crate::error::Result;
use crate::spill::Sorter;
use crate::store::Store;
use crate::verify::Features;

/// What signing leaves: the index keys of every document, and the full
/// features of the first documents while they fit in `feature_memory`
/// (verification builds the others again from the store).
pub(crate) struct Signatures {
    pub(crate) keys: Keys,
    pub(crate) bank: Vec<Features>,
}

/// Index keys: band keys and passage anchors, each with its document, in
/// sorted runs; and each document's SimHash.
pub(crate) struct Keys {
    pub(crate) bands: Sorter<(u64, u32)>,
    pub(crate) anchors: Sorter<(u64, u32)>,
    pub(crate) simhashes: Vec<u64>,
}

/// Signs every document: MinHash band keys, anchors, SimHash.
pub(crate) fn sign(store: &Store, corpus: &Corpus, run: &mut Run) -> Result<Signatures> {
    let options = run.options;
    let n = store.len();
    let banding = options.banding();
    let mut keys = Keys {
        bands: run.sorter(),
        anchors: run.sorter(),
        simhashes: Vec::with_capacity(n),
    };
    let mut bank: Vec<Features> = Vec::new();
    let mut bank_bytes = 0usize;
    let fail = |e| temp_error(&run.dir, e);
    run.progress.stage("signing", Some(n as u64));
    for batch in batches(n) {
        run.progress.advance(batch.len() as u64);
        store.prefetch_span(batch.end..batch.end + BATCH_DOCS);
        let start = batch.start;
        let keep = bank.len() == start && bank_bytes < options.feature_memory;
        let shingle_size = if keep { options.shingle_size } else { 0 };
        let signed: Vec<Signed> = batch
            .into_par_iter()
            .map(|d| Ok(corpus.sign(store.read(d as u32)?, options, banding, shingle_size)))
            .collect::<io::Result<_>>()
            .map_err(fail)?;
        for (i, s) in signed.into_iter().enumerate() {
            let doc = (start + i) as u32;
            keys.bands
                .extend(s.band_keys.iter().map(|&k| (k, doc)))
                .map_err(fail)?;
            keys.anchors
                .extend(s.anchors.iter().map(|&k| (k, doc)))
                .map_err(fail)?;
            keys.simhashes.push(s.features.simhash);
            if keep {
                bank_bytes += s.features.heap_bytes();
                bank.push(s.features);
            }
        }
    }
    Ok(Signatures { keys, bank })
}
