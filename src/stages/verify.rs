//! Verification: each distinct candidate pair's exact evidence.

use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;
use std::io;

use super::segment::Stored;
use super::{Run, Ticker, temp_error};
use crate::corpus::Corpus;
use crate::error::Result;
use crate::index;
use crate::records::{Edge, PairRecord};
use crate::settings::ScanOptions;
use crate::spill::{Sorted, Sorter};
use crate::steps;
use crate::types::ScoredPair;
use crate::verify::Features;

/// Candidate pairs verified per batch; the features of their documents are
/// built for the batch and dropped after it.
const VERIFY_BATCH: usize = 1 << 16;

/// What verification leaves: the verified pairs sorted for the report, the
/// clustering edges, and the counts.
pub(crate) struct Verified {
    pub(crate) pairs: Sorted<PairRecord>,
    pub(crate) edges: Sorted<Edge>,
    /// Distinct candidate pairs, and those verified.
    pub(crate) distinct: usize,
    pub(crate) count: usize,
    /// The candidates themselves, with [`ScanOptions::keep_candidates`].
    pub(crate) kept: Vec<(u32, u32)>,
}

/// What verification and clustering read about every document: the store
/// and ranks, the corpus statistics and every document's SimHash.
pub(crate) struct Known<'a> {
    pub(crate) stored: &'a Stored,
    pub(crate) ranks: &'a [u32],
    pub(crate) corpus: &'a Corpus,
    pub(crate) simhashes: &'a [u64],
}

/// Features kept in memory from one batch of pairs to the next, up to a
/// budget of bytes: at first those signing kept (the first documents),
/// then those each batch built. Pairs come in order of their first
/// document, and a dump's rewrites mostly lie near their source (news is
/// written in order of time), so the documents a batch needs are mostly
/// those the batches before it built: each is built about once, where
/// building per batch built most documents once per pair they are in. Over
/// the budget, the documents before the current pair go first (no later
/// pair needs them), then the furthest ones. The budget counts the table
/// too: each document's features are boxed, so a table with room to spare
/// costs 16 bytes a slot rather than a whole `Features`.
pub(crate) struct Kept {
    features: HashMap<u32, Box<Features>>,
    /// The kept features' bytes, less the table's.
    bytes: usize,
    budget: usize,
    /// Documents' features built again from the store, all told.
    pub(crate) built: usize,
}

impl Kept {
    /// `bank`: the features of documents 0, 1, ... that signing kept.
    pub(crate) fn new(bank: Vec<Features>, budget: usize) -> Kept {
        let bytes = bank.iter().map(Features::heap_bytes).sum();
        Kept {
            features: (0u32..).zip(bank.into_iter().map(Box::new)).collect(),
            bytes,
            budget,
            built: 0,
        }
    }

    pub(crate) fn get(&self, doc: u32) -> Option<&Features> {
        self.features.get(&doc).map(|f| &**f)
    }

    /// Bytes held: the features and the table's slots.
    fn held(&self) -> usize {
        self.bytes + self.features.capacity() * std::mem::size_of::<(u32, Box<Features>)>()
    }

    /// Keeps what a batch built; `next`: the first document of the pairs
    /// still to come.
    fn keep(&mut self, built: impl Iterator<Item = (u32, Features)>, next: u32) {
        for (doc, f) in built {
            self.built += 1;
            self.bytes += f.heap_bytes();
            self.features.insert(doc, Box::new(f));
        }
        if self.held() <= self.budget {
            return;
        }
        let mut docs: Vec<u32> = self.features.keys().copied().collect();
        docs.sort_unstable();
        let (before, after) = docs.split_at(docs.partition_point(|&d| d < next));
        for &doc in before.iter().chain(after.iter().rev()) {
            if self.held() <= self.budget {
                break;
            }
            if let Some(f) = self.features.remove(&doc) {
                self.bytes -= f.heap_bytes();
            }
        }
    }
}

impl Known<'_> {
    /// The features of a document signing did not keep, built again.
    pub(crate) fn rebuilt(&self, doc: u32, shingle_size: usize) -> io::Result<Features> {
        let tokens = self.stored.store.read(doc)?;
        let simhash = self.simhashes[doc as usize];
        Ok(self.corpus.rebuilt(tokens, shingle_size, simhash))
    }
}

/// Verifies the distinct candidates in batches, building the features each
/// batch needs that are not kept ([`Kept`]).
pub(crate) fn verify(
    candidates: Sorted<u64>,
    known: &Known,
    kept: &mut Kept,
    run: &mut Run,
) -> Result<Verified> {
    let options = run.options;
    let mut pairs: Sorter<PairRecord> = run.sorter();
    let mut edges: Sorter<Edge> = run.sorter();
    let mut listed = Vec::new();
    let mut distinct = 0usize;
    let mut batch = Vec::with_capacity(VERIFY_BATCH.min(candidates.len() as usize));
    // A full batch waits here while the next one is read, so that the disk
    // reads the next one's documents while this one is verified (the first
    // batch is verified empty: its turn only asks for the documents).
    let mut ready: Vec<(u32, u32)> = Vec::new();
    let mut last = None;
    // Pairs come sorted: those after a batch start at its last pair's first
    // document or after it (`next`; none after the last batch).
    let mut verify_batch = |batch: &mut Vec<(u32, u32)>, ahead: &[(u32, u32)]| {
        let next = match ahead.first() {
            Some(first) => batch.last().unwrap_or(first).0,
            None => u32::MAX,
        };
        let wanted = not_kept(ahead, kept);
        let (records, built) = std::thread::scope(|s| {
            s.spawn(|| known.stored.store.prefetch(&wanted));
            verify_pairs(batch, known, kept, options)
        })?;
        kept.keep(built, next);
        for record in records {
            edges.push(Edge {
                weakness: u64::MAX - record.pair.evidence.score.to_bits(),
                key: record.key,
                a: record.pair.a,
                b: record.pair.b,
            })?;
            pairs.push(record)?;
        }
        batch.clear();
        io::Result::Ok(())
    };
    let fail = |e| temp_error(&run.dir, e);
    run.progress.stage("verifying", Some(candidates.len()));
    let mut ticks = Ticker::new(run.progress);
    for candidate in candidates {
        ticks.tick();
        let candidate = candidate.map_err(fail)?;
        if last == Some(candidate) {
            continue;
        }
        last = Some(candidate);
        distinct += 1;
        let pair = index::unpack(candidate);
        if options.keep_candidates {
            listed.push(pair);
        }
        batch.push(pair);
        if batch.len() >= VERIFY_BATCH {
            verify_batch(&mut ready, &batch).map_err(fail)?;
            std::mem::swap(&mut ready, &mut batch);
        }
    }
    drop(ticks);
    verify_batch(&mut ready, &batch).map_err(fail)?;
    verify_batch(&mut batch, &[]).map_err(fail)?;
    let count = pairs.len() as usize;
    run.runs += pairs.runs() + edges.runs();
    Ok(Verified {
        pairs: pairs.finish().map_err(fail)?,
        edges: edges.finish().map_err(fail)?,
        distinct,
        count,
        kept: listed,
    })
}

/// The documents of `pairs` whose features are not kept, sorted.
fn not_kept(pairs: &[(u32, u32)], kept: &Kept) -> Vec<u32> {
    let mut docs: Vec<u32> = pairs
        .iter()
        .flat_map(|p| [p.0, p.1])
        .filter(|&d| kept.get(d).is_none())
        .collect();
    docs.par_sort_unstable();
    docs.dedup();
    docs
}

/// One batch of candidate pairs verified in parallel, in batch order; the
/// documents not kept in memory are rebuilt from the store, each once, and
/// returned with their features.
pub(crate) fn verify_pairs(
    batch: &[(u32, u32)],
    known: &Known,
    kept: &Kept,
    options: &ScanOptions,
) -> io::Result<(
    Vec<PairRecord>,
    impl Iterator<Item = (u32, Features)> + use<>,
)> {
    let ranks = known.ranks;
    let rebuilt = not_kept(batch, kept);
    let built: Vec<Features> = rebuilt
        .par_iter()
        .map(|&d| known.rebuilt(d, options.shingle_size))
        .collect::<io::Result<_>>()?;
    let of = |d: u32| match kept.get(d) {
        Some(f) => f,
        None => &built[rebuilt.binary_search(&d).unwrap_or_default()],
    };
    let records = batch
        .par_iter()
        .filter_map(|&(x, y)| {
            let (a, b) = if ranks[x as usize] <= ranks[y as usize] {
                (x, y)
            } else {
                (y, x)
            };
            let evidence = steps::verify(of(a), of(b), options)?;
            Some(PairRecord {
                key: (ranks[a as usize] as u64) << 32 | ranks[b as usize] as u64,
                pair: ScoredPair { a, b, evidence },
            })
        })
        .collect();
    Ok((records, rebuilt.into_iter().zip(built)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_features_drop_passed_documents_first_then_the_furthest() {
        // Features large enough that the table's slots (16 bytes each) are
        // within the budget's slack.
        let sample = || Features {
            shingles: vec![0; 1000],
            ..Features::default()
        };
        let one = sample().heap_bytes();
        let slack = 256;
        let built = |docs: &[u32]| {
            docs.iter()
                .map(|&d| (d, sample()))
                .collect::<Vec<_>>()
                .into_iter()
        };
        let mut kept = Kept::new(vec![sample(); 3], 4 * one + slack);
        // Five over a budget of four: document 0 is behind the pairs to come.
        kept.keep(built(&[5, 9]), 1);
        let held = |kept: &Kept| {
            (0..10)
                .filter(|&d| kept.get(d).is_some())
                .collect::<Vec<_>>()
        };
        assert_eq!(held(&kept), vec![1, 2, 5, 9]);
        // None behind: the furthest goes.
        kept.keep(built(&[7]), 1);
        assert_eq!(held(&kept), vec![1, 2, 5, 7]);
        // Within the budget nothing goes, even behind the pairs to come.
        let mut roomy = Kept::new(vec![sample(); 3], 10 * one);
        roomy.keep(built(&[4]), 3);
        assert_eq!(held(&roomy), vec![0, 1, 2, 4]);
    }
}
