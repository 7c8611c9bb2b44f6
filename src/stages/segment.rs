//! The first stage: documents read, segmented and written to the store.

use rayon::prelude::*;
use std::path::Path;

use super::{BATCH_DOCS, Run, Ticker, temp_error};
use crate::corpus::segmented;
use crate::error::Result;
use crate::ids::{IdCheck, Ids};
use crate::input::Document;
use crate::spill::Sorter;
use crate::store::{Store, StoreWriter};
use crate::text::{self, Tokens};

/// Text bytes read per batch at most.
const BATCH_BYTES: usize = 64 << 20;

/// The first pass: segments documents as they arrive and writes them to the
/// store, counting the documents each sentence appears in on the way.
pub(crate) struct FirstPass {
    pub(crate) store: StoreWriter,
    pub(crate) sentences: Sorter<u64>,
    pub(crate) ids: Ids,
    pub(crate) check: IdCheck,
    pub(crate) lengths: Vec<u32>,
    pub(crate) batch: Vec<Document>,
    pub(crate) batch_bytes: usize,
}

impl FirstPass {
    pub(crate) fn add(&mut self, doc: Document, dir: &Path) -> Result<()> {
        self.check.check(&self.ids, &doc)?;
        self.ids.push(&doc.id);
        self.lengths
            .push(u32::try_from(doc.text.len()).unwrap_or(u32::MAX));
        self.batch_bytes += doc.text.len();
        self.batch.push(doc);
        if self.batch.len() >= BATCH_DOCS || self.batch_bytes >= BATCH_BYTES {
            self.flush(dir)?;
        }
        Ok(())
    }

    pub(crate) fn flush(&mut self, dir: &Path) -> Result<()> {
        let (tokens, hashes): (Vec<Tokens>, Vec<Vec<u64>>) = self
            .batch
            .par_iter()
            .map(|doc| {
                let doc = segmented(text::tokenize(&doc.text));
                let mut hashes = doc.sentence_hashes;
                hashes.sort_unstable();
                hashes.dedup();
                (doc.tokens, hashes)
            })
            .unzip();
        self.batch.clear();
        self.batch_bytes = 0;
        self.store.append(&tokens).map_err(|e| temp_error(dir, e))?;
        for hashes in hashes {
            self.sentences
                .extend(hashes)
                .map_err(|e| temp_error(dir, e))?;
        }
        Ok(())
    }
}

/// The documents after the first pass: segmented in the store, with their
/// ids and lengths.
pub(crate) struct Stored {
    pub(crate) store: Store,
    pub(crate) ids: Ids,
    pub(crate) lengths: Vec<u32>,
}

/// Read, segment, store: the first pass over the input. Also returns every
/// document's sentence fingerprints (each once a document), to be sorted.
pub(crate) fn read_and_segment(
    read: impl FnOnce(&mut dyn FnMut(Document) -> Result<()>) -> Result<()>,
    run: &Run,
) -> Result<(Stored, Sorter<u64>)> {
    let dir = &run.dir;
    let mut first = FirstPass {
        store: StoreWriter::new(dir).map_err(|e| run.fail(e))?,
        sentences: run.sorter(),
        ids: Ids::default(),
        check: IdCheck::default(),
        lengths: Vec::new(),
        batch: Vec::new(),
        batch_bytes: 0,
    };
    run.progress.stage("reading", None);
    let mut ticks = Ticker::new(run.progress);
    read(&mut |doc| {
        ticks.tick();
        first.add(doc, dir)
    })?;
    drop(ticks);
    first.flush(dir)?;
    let stored = Stored {
        store: first.store.finish().map_err(|e| run.fail(e))?,
        ids: first.ids,
        lengths: first.lengths,
    };
    Ok((stored, first.sentences))
}
