//! The first stage: documents read, segmented and written to the store.

use rayon::prelude::*;
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use super::{BATCH_DOCS, Run, Ticker, temp_error};
use crate::corpus::segmented;
use crate::error::{Error, Result};
use crate::ids::{IdCheck, Ids};
use crate::input::Document;
use crate::spill::Sorter;
use crate::store::{Store, StoreWriter};
use crate::text::{self, Tokens};

/// Text bytes read per batch at most.
const BATCH_BYTES: usize = 64 << 20;

/// The reading side of the first pass: checks ids and gathers documents into
/// batches, which it hands to the writer ([`write_batches`]) one at a time.
struct Reading {
    ids: Ids,
    check: IdCheck,
    lengths: Vec<u32>,
    batch: Vec<Document>,
    batch_bytes: usize,
    writer: SyncSender<Vec<Document>>,
}

impl Reading {
    fn add(&mut self, doc: Document) -> Result<()> {
        self.check.check(&self.ids, &doc)?;
        self.ids.push(&doc.id);
        self.lengths
            .push(u32::try_from(doc.text.len()).unwrap_or(u32::MAX));
        self.batch_bytes += doc.text.len();
        self.batch.push(doc);
        if self.batch.len() >= BATCH_DOCS || self.batch_bytes >= BATCH_BYTES {
            self.hand_over()?;
        }
        Ok(())
    }

    /// Waits until the writer has taken the batch before (so two batches
    /// at most are held) and hands it this one. An error here means the
    /// writer has stopped on one of its own, which is the one reported.
    fn hand_over(&mut self) -> Result<()> {
        self.batch_bytes = 0;
        let batch = std::mem::take(&mut self.batch);
        if batch.is_empty() {
            return Ok(());
        }
        self.writer
            .send(batch)
            .map_err(|_| Error::Usage("the store writer stopped".into()))
    }
}

/// The writing side of the first pass: segments each batch and appends it to
/// the store, counting the documents each sentence appears in on the way.
fn write_batches(
    batches: Receiver<Vec<Document>>,
    mut store: StoreWriter,
    mut sentences: Sorter<u64>,
    dir: &Path,
) -> Result<(StoreWriter, Sorter<u64>)> {
    for batch in batches {
        let (tokens, hashes): (Vec<Tokens>, Vec<Vec<u64>>) = batch
            .par_iter()
            .map(|doc| {
                let doc = segmented(text::tokenize(&doc.text));
                let mut hashes = doc.sentence_hashes;
                hashes.sort_unstable();
                hashes.dedup();
                (doc.tokens, hashes)
            })
            .unzip();
        drop(batch);
        store.append(&tokens).map_err(|e| temp_error(dir, e))?;
        for hashes in hashes {
            sentences.extend(hashes).map_err(|e| temp_error(dir, e))?;
        }
    }
    Ok((store, sentences))
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
/// Reading (parsing, the id check) runs on this thread while another
/// segments and stores the batch before: where the input comes down a pipe
/// from a producer that needs the cores too, the two took turns, and the
/// cores sat half idle while this pass read.
pub(crate) fn read_and_segment(
    read: impl FnOnce(&mut dyn FnMut(Document) -> Result<()>) -> Result<()>,
    run: &Run,
) -> Result<(Stored, Sorter<u64>)> {
    let dir = &run.dir;
    let store = StoreWriter::new(dir).map_err(|e| run.fail(e))?;
    let sentences = run.sorter();
    let (writer, batches) = sync_channel(0);
    run.progress.stage("reading", None);
    std::thread::scope(|scope| {
        let written = scope.spawn(move || write_batches(batches, store, sentences, dir));
        let mut reading = Reading {
            ids: Ids::default(),
            check: IdCheck::default(),
            lengths: Vec::new(),
            batch: Vec::new(),
            batch_bytes: 0,
            writer,
        };
        let mut ticks = Ticker::new(run.progress);
        let read = read(&mut |doc| {
            ticks.tick();
            reading.add(doc)
        })
        .and_then(|()| reading.hand_over());
        drop(ticks);
        let Reading {
            ids,
            lengths,
            writer,
            ..
        } = reading;
        // The writer ends when it has stored what it was handed.
        drop(writer);
        let (store, sentences) = match written.join() {
            Ok(written) => written?,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        read?;
        let stored = Stored {
            store: store.finish().map_err(|e| run.fail(e))?,
            ids,
            lengths,
        };
        Ok((stored, sentences))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Origin;
    use crate::settings::ScanOptions;
    use crate::stages::Silent;

    fn document(i: usize) -> Document {
        Document {
            id: format!("d{i}"),
            text: format!(
                "Story number {i} tells of harbour {} and mayor {}.",
                i % 7,
                i * 31
            ),
            origin: Origin {
                path: "input.jsonl".into(),
                line: i as u64 + 1,
            },
            raw: None,
        }
    }

    fn plan(dir: &Path) -> crate::settings::Plan {
        ScanOptions {
            tmp_dir: Some(dir.to_path_buf()),
            ..ScanOptions::default()
        }
        .plan()
        .unwrap()
    }

    /// Several batches go through the writer while the next is read: every
    /// document is stored, in input order.
    #[test]
    fn batches_are_stored_in_input_order() {
        let dir = tempfile::tempdir().unwrap();
        let plan = plan(dir.path());
        let run = Run::new(&plan, &Silent);
        let n = 2 * BATCH_DOCS + 17;
        let (stored, _) =
            read_and_segment(|sink| (0..n).map(document).try_for_each(sink), &run).unwrap();
        assert_eq!(stored.store.len(), n);
        assert_eq!(stored.lengths.len(), n);
        for d in [0, BATCH_DOCS - 1, BATCH_DOCS, n - 1] {
            let tokens = stored.store.read(d as u32).unwrap();
            assert_eq!(
                tokens.tokens,
                text::tokenize(&document(d).text).tokens,
                "{d}"
            );
        }
    }

    /// A reading error after batches were handed over is the one reported,
    /// and a duplicate id is caught though its first copy was stored.
    #[test]
    fn reading_errors_are_reported_as_they_were() {
        let dir = tempfile::tempdir().unwrap();
        let plan = plan(dir.path());
        let run = Run::new(&plan, &Silent);
        let failed = read_and_segment(
            |sink| {
                (0..BATCH_DOCS + 5).map(document).try_for_each(&mut *sink)?;
                Err(Error::record(
                    Origin {
                        path: "input.jsonl".into(),
                        line: 9999,
                    },
                    "not JSON",
                ))
            },
            &run,
        );
        let message = failed.err().unwrap().to_string();
        assert_eq!(message, "input.jsonl:9999: not JSON");
        let again = read_and_segment(
            |sink| {
                (0..BATCH_DOCS + 5)
                    .chain([3])
                    .map(document)
                    .try_for_each(sink)
            },
            &run,
        );
        assert!(matches!(again, Err(Error::DuplicateId { .. })));
    }
}
