//! The scan's stages. Each is a function from what the stage before it
//! made to what the next one takes, and [`crate::scan::scan_stream`] calls
//! them in order:
//!
//! [`segment`] (read, segment, store) -> [`statistics`] (boilerplate, term
//! rarity) -> [`sign`] (band keys, anchors, SimHash) -> [`candidates`]
//! (pairs sharing keys, each document's most tied partners) -> [`verify`]
//! (exact evidence) -> [`cluster`] (guarded union).
//!
//! The per-document and per-pair rules live in the modules below these
//! (`text`, `corpus`, `sketch`, `index`, `verify`, `cluster`), which the
//! Spark job calls one item at a time; the stages add the streaming, the
//! batching for rayon and the temporary files. Every parallel step collects
//! in input order, so the result is the same for any number of threads.

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::settings::Plan;
use crate::spill::Sorter;

pub(crate) mod candidates;
pub(crate) mod cluster;
pub(crate) mod segment;
pub(crate) mod sign;
pub(crate) mod statistics;
pub(crate) mod verify;

/// Documents read per batch: enough to keep every core busy, few enough that
/// a batch of long texts stays small.
pub(crate) const BATCH_DOCS: usize = 4096;

pub(crate) fn temp_error(dir: &Path, e: io::Error) -> Error {
    Error::file(dir, format!("temporary files: {e}"))
}

/// How far a long stage has got, for a progress display; the command line
/// draws it on a terminal, the library's own callers ignore it.
pub trait Progress: Sync {
    /// A stage starts; `total` is the count of its work items when known.
    fn stage(&self, _name: &'static str, _total: Option<u64>) {}
    /// `n` more items of the current stage are done.
    fn advance(&self, _n: u64) {}
}

/// Counts items and hands them to a [`Progress`] a few thousand at a time,
/// so the hot loops do not pay for the display on every item.
pub(crate) struct Ticker<'a> {
    pub(crate) progress: &'a dyn Progress,
    pub(crate) pending: u64,
}

impl<'a> Ticker<'a> {
    const EVERY: u64 = 4096;

    pub(crate) fn new(progress: &'a dyn Progress) -> Self {
        Ticker {
            progress,
            pending: 0,
        }
    }

    pub(crate) fn tick(&mut self) {
        self.pending += 1;
        if self.pending == Self::EVERY {
            self.progress.advance(self.pending);
            self.pending = 0;
        }
    }
}

impl Drop for Ticker<'_> {
    fn drop(&mut self) {
        if self.pending > 0 {
            self.progress.advance(self.pending);
        }
    }
}

/// Shows nothing.
pub struct Silent;

impl Progress for Silent {}

/// What every stage of one run shares: the options, where temporary files
/// go, the progress display, and the run's counts and stage times.
pub(crate) struct Run<'a> {
    pub(crate) options: &'a Plan,
    pub(crate) progress: &'a dyn Progress,
    pub(crate) dir: PathBuf,
    /// Sorted runs the external sorts wrote to disk.
    pub(crate) runs: usize,
    pub(crate) stages: Vec<(&'static str, Duration)>,
    pub(crate) clock: Instant,
}

impl<'a> Run<'a> {
    pub(crate) fn new(options: &'a Plan, progress: &'a dyn Progress) -> Self {
        Run {
            options,
            progress,
            dir: options.temp_dir(),
            runs: 0,
            stages: Vec::new(),
            clock: Instant::now(),
        }
    }

    /// Ends the stage `name`: its time goes into the summary.
    pub(crate) fn lap(&mut self, name: &'static str) {
        self.stages.push((name, self.clock.elapsed()));
        self.clock = Instant::now();
    }

    pub(crate) fn fail(&self, e: io::Error) -> Error {
        temp_error(&self.dir, e)
    }

    pub(crate) fn sorter<T: crate::spill::Record>(&self) -> Sorter<T> {
        Sorter::new(&self.dir, self.options.buffer_bytes)
    }
}

/// Document index ranges of one batch each.
pub(crate) fn batches(n: usize) -> impl Iterator<Item = std::ops::Range<usize>> {
    (0..n)
        .step_by(BATCH_DOCS)
        .map(move |s| s..(s + BATCH_DOCS).min(n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Document;
    use crate::settings::ScanOptions;

    /// The seed articles: 000 and 001 are one story, 002 to 004 others on
    /// its topic with the same people.
    fn documents() -> Vec<Document> {
        let mut paths: Vec<_> = std::fs::read_dir("data/seeds")
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        paths.sort();
        paths
            .iter()
            .enumerate()
            .map(|(i, path)| Document {
                id: format!("d{i}"),
                text: std::fs::read_to_string(path).unwrap(),
                origin: crate::error::Origin {
                    path: path.display().to_string(),
                    line: 0,
                },
                raw: None,
            })
            .collect()
    }

    /// Each stage runs on its own, on what the stage before it made; what
    /// it hands on is checked before the next one starts.
    #[test]
    fn each_stage_runs_alone_on_the_one_before() {
        let dir = tempfile::tempdir().unwrap();
        let options = ScanOptions {
            tmp_dir: Some(dir.path().to_path_buf()),
            ..ScanOptions::default()
        };
        let plan = options.plan().unwrap();
        let mut run = Run::new(&plan, &Silent);
        let docs = documents();
        let texts: Vec<String> = docs.iter().map(|d| d.text.clone()).collect();

        let (stored, sentences) =
            segment::read_and_segment(|sink| docs.into_iter().try_for_each(sink), &run).unwrap();
        assert_eq!(stored.store.len(), 5);
        assert_eq!(stored.ids.len(), 5);
        let lengths: Vec<u32> = texts.iter().map(|t| t.len() as u32).collect();
        assert_eq!(stored.lengths, lengths);
        for (d, text) in texts.iter().enumerate() {
            let tokens = stored.store.read(d as u32).unwrap();
            assert_eq!(tokens.tokens, crate::text::tokenize(text).tokens);
        }

        let corpus = statistics::count(&stored, sentences, &mut run).unwrap();
        assert_eq!(corpus.documents, 5);
        // A name in every article counts five documents.
        let putin = crate::text::tokenize("Putin").tokens[0].term.unwrap();
        assert_eq!(corpus.df.get(putin), 5);

        let signed = sign::sign(&stored.store, &corpus, &mut run).unwrap();
        assert_eq!(signed.keys.simhashes.len(), 5);
        assert_eq!(signed.bank.len(), 5, "five articles' features fit");

        let candidates = candidates::find(signed.keys, &mut run).unwrap();
        let pairs: Vec<(u32, u32)> = candidates
            .pairs
            .map(|p| crate::index::unpack(p.unwrap()))
            .collect();
        assert!(pairs.contains(&(0, 1)), "{pairs:?}");

        // Verification takes any sorted candidates: here the rewrite, a
        // same-topic pair, and the rewrite again (repeats count once).
        let ranks = stored.ids.ranks();
        let known = verify::Known {
            stored: &stored,
            ranks: &ranks,
            corpus: &corpus,
            simhashes: &candidates.simhashes,
        };
        let mut kept = verify::Kept::new(signed.bank, run.options.feature_memory);
        let mut sorter: Sorter<u64> = run.sorter();
        for p in [(0, 1), (2, 3), (0, 1)] {
            sorter.push(crate::index::pack(p)).unwrap();
        }
        let verified =
            verify::verify(sorter.finish().unwrap(), &known, &mut kept, &mut run).unwrap();
        assert_eq!((verified.distinct, verified.count), (2, 1));

        let clusters = cluster::cluster(verified.edges, &known, &kept, &run).unwrap();
        assert_eq!(clusters, vec![vec![0, 1]]);
    }
}
