//! Corpus statistics: boilerplate sentences and term rarity.

use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;
use std::io;

use super::segment::Stored;
use super::{BATCH_DOCS, Run, batches, temp_error};
use crate::corpus::{Corpus, content_terms, count_in_documents, frequent, merge_counts, segmented};
use crate::error::Result;
use crate::spill::Sorter;

/// Corpus statistics: boilerplate sentences (in enough documents), then
/// the documents each term occurs in.
pub(crate) fn count(stored: &Stored, sentences: Sorter<u64>, run: &mut Run) -> Result<Corpus> {
    let n = stored.ids.len();
    let min_docs = run.options.boilerplate_threshold(n as u64) as usize;
    run.runs += sentences.runs();
    let fail = |e| temp_error(&run.dir, e);
    let boilerplate = frequent(sentences.finish().map_err(fail)?, min_docs).map_err(fail)?;
    let mut df = HashMap::default();
    run.progress.stage("statistics", Some(n as u64));
    for batch in batches(n) {
        run.progress.advance(batch.len() as u64);
        stored
            .store
            .prefetch_span(batch.end..batch.end + BATCH_DOCS);
        let terms: Vec<Vec<u64>> = batch
            .into_par_iter()
            .map(|d| {
                Ok(content_terms(
                    &segmented(stored.store.read(d as u32)?),
                    &boilerplate,
                ))
            })
            .collect::<io::Result<_>>()
            .map_err(fail)?;
        df = merge_counts(df, count_in_documents(terms.into_par_iter()));
    }
    Ok(Corpus::new(boilerplate, df, n as u64))
}
