//! The scan pipeline: documents in, verified pairs and clusters out.
//!
//! Per-document work (segmenting, shingling, signing) and per-pair work
//! (verifying) run in parallel with rayon; every parallel step collects in
//! input order, so the result is the same for any number of threads.

use rustc_hash::FxHashMap as HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::cluster;
use crate::error::{Error, Result};
use crate::index::{self, BlockTables};
use crate::input::Document;
use crate::spill::{Sorted, Sorter};
use crate::steps::{self, Source};
use crate::store::{Store, StoreWriter};

pub use crate::corpus::{ANCHOR_TERMS, Signed, sign_all};
use crate::corpus::{Corpus, content_terms, count_in_documents, frequent, merge_counts, segmented};
use crate::ids::IdCheck;
pub use crate::ids::Ids;
use crate::records::Edge;
pub use crate::records::PairRecord;
use crate::text::{self, Tokens};
use crate::verify::Features;

pub use crate::ids::index_of;
pub use crate::settings::{Plan, ScanOptions};
pub use crate::types::{Scan, ScanStats, ScoredPair, candidates_per_document};

/// Documents read per batch: enough to keep every core busy, few enough that
/// a batch of long texts stays small.
const BATCH_DOCS: usize = 4096;
const BATCH_BYTES: usize = 64 << 20;
/// Candidate pairs verified per batch; the features of their documents are
/// built for the batch and dropped after it.
const VERIFY_BATCH: usize = 1 << 16;

/// The first pass: segments documents as they arrive and writes them to the
/// store, counting the documents each sentence appears in on the way.
struct FirstPass {
    store: StoreWriter,
    sentences: Sorter<u64>,
    ids: Ids,
    check: IdCheck,
    lengths: Vec<u32>,
    batch: Vec<Document>,
    batch_bytes: usize,
}

impl FirstPass {
    fn add(&mut self, doc: Document, dir: &Path) -> Result<()> {
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

    fn flush(&mut self, dir: &Path) -> Result<()> {
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

fn temp_error(dir: &Path, e: io::Error) -> Error {
    Error::file(dir, format!("temporary files: {e}"))
}

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
struct Ticker<'a> {
    progress: &'a dyn Progress,
    pending: u64,
}

impl<'a> Ticker<'a> {
    const EVERY: u64 = 4096;

    fn new(progress: &'a dyn Progress) -> Self {
        Ticker {
            progress,
            pending: 0,
        }
    }

    fn tick(&mut self) {
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
    let (stored, sentences) = read_and_segment(read, &run)?;
    run.lap("read+segment");
    let corpus = statistics(&stored, sentences, &mut run)?;
    run.lap("statistics");
    let signed = sign(&stored.store, &corpus, &mut run)?;
    run.lap("sign");
    let candidates = candidates(signed.keys, &mut run)?;
    run.lap("index");
    let ranks = stored.ids.ranks();
    let known = Known {
        stored: &stored,
        ranks: &ranks,
        corpus: &corpus,
        bank: &signed.bank,
        simhashes: &candidates.simhashes,
    };
    let verified = verify(candidates.pairs, &known, &mut run)?;
    run.lap("verify");
    let clusters = cluster(verified.edges, &known, &run)?;
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
        features_kept: signed.bank.len(),
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

/// What every stage of one run shares: the options, where temporary files
/// go, the progress display, and the run's counts and stage times.
struct Run<'a> {
    options: &'a Plan,
    progress: &'a dyn Progress,
    dir: PathBuf,
    /// Sorted runs the external sorts wrote to disk.
    runs: usize,
    stages: Vec<(&'static str, Duration)>,
    clock: Instant,
}

impl<'a> Run<'a> {
    fn new(options: &'a Plan, progress: &'a dyn Progress) -> Self {
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
    fn lap(&mut self, name: &'static str) {
        self.stages.push((name, self.clock.elapsed()));
        self.clock = Instant::now();
    }

    fn fail(&self, e: io::Error) -> Error {
        temp_error(&self.dir, e)
    }

    fn sorter<T: crate::spill::Record>(&self) -> Sorter<T> {
        Sorter::new(&self.dir, self.options.buffer_bytes)
    }
}

/// The documents after the first pass: segmented in the store, with their
/// ids and lengths.
struct Stored {
    store: Store,
    ids: Ids,
    lengths: Vec<u32>,
}

/// Read, segment, store: the first pass over the input. Also returns every
/// document's sentence fingerprints (each once a document), to be sorted.
fn read_and_segment(
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

/// Corpus statistics: boilerplate sentences (in enough documents), then
/// the documents each term occurs in.
fn statistics(stored: &Stored, sentences: Sorter<u64>, run: &mut Run) -> Result<Corpus> {
    let n = stored.ids.len();
    let min_docs = run.options.boilerplate_threshold(n as u64) as usize;
    run.runs += sentences.runs();
    let fail = |e| temp_error(&run.dir, e);
    let boilerplate = frequent(sentences.finish().map_err(fail)?, min_docs).map_err(fail)?;
    let mut df = HashMap::default();
    run.progress.stage("statistics", Some(n as u64));
    for batch in batches(n) {
        run.progress.advance(batch.len() as u64);
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
    Ok(Corpus {
        boilerplate,
        df,
        documents: n as u64,
    })
}

/// What signing leaves: the index keys of every document, and the full
/// features of the first documents while they fit in `feature_memory`
/// (verification builds the others again from the store).
struct Signatures {
    keys: Keys,
    bank: Vec<Features>,
}

/// Index keys: band keys and passage anchors, each with its document, in
/// sorted runs; and each document's SimHash.
struct Keys {
    bands: Sorter<(u64, u32)>,
    anchors: Sorter<(u64, u32)>,
    simhashes: Vec<u64>,
}

/// Signs every document: MinHash band keys, anchors, SimHash.
fn sign(store: &Store, corpus: &Corpus, run: &mut Run) -> Result<Signatures> {
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

/// Candidate pairs sorted on disk (repeats included), and how many pairs
/// each index found before each document kept its most tied partners.
struct Candidates {
    pairs: Sorted<u64>,
    /// Each document's SimHash (verification reports their distance).
    simhashes: Vec<u64>,
    lsh: usize,
    anchors: usize,
    simhash: usize,
    found: usize,
}

/// Pairs sharing enough LSH bands, enough passage anchors, or SimHashes
/// within a few bits; of those, each document's most tied partners.
fn candidates(keys: Keys, run: &mut Run) -> Result<Candidates> {
    let options = run.options;
    let mut tied: Sorter<(u64, u32)> = run.sorter();
    run.runs += keys.bands.runs() + keys.anchors.runs();
    run.progress
        .stage("indexing", Some(keys.bands.len() + keys.anchors.len()));
    let fail = |e| temp_error(&run.dir, e);
    let (lsh, lsh_runs) = shared_keys(
        keys.bands.finish().map_err(fail)?,
        Source::Bands,
        &mut tied,
        run,
    )
    .map_err(fail)?;
    let (anchors, anchor_runs) = shared_keys(
        keys.anchors.finish().map_err(fail)?,
        Source::Anchors,
        &mut tied,
        run,
    )
    .map_err(fail)?;
    let tables =
        BlockTables::new(options.simhash_distance, options.simhash_blocks).map_err(Error::Usage)?;
    let simhashes = keys.simhashes;
    let near = tables.candidates(&simhashes);
    let simhash = near.len();
    let simhash_ties = Source::SimHash.ties(1);
    tied.extend(near.into_iter().map(|p| (index::pack(p), simhash_ties)))
        .map_err(fail)?;
    run.runs += lsh_runs + anchor_runs + tied.runs();
    let (pairs, found, nominated_runs) =
        top_partners(tied.finish().map_err(fail)?, &simhashes, run).map_err(fail)?;
    run.runs += nominated_runs;
    Ok(Candidates {
        pairs,
        simhashes,
        lsh,
        anchors,
        simhash,
        found,
    })
}

/// Each document's most tied partners ([`steps::top_partners`]) from the
/// pairs found with their sources' ties; also returns how many distinct
/// pairs were found, and the sorted runs spilled.
fn top_partners(
    tied: Sorted<(u64, u32)>,
    simhashes: &[u64],
    run: &Run,
) -> io::Result<(Sorted<u64>, usize, usize)> {
    let mut nominated: Sorter<(u64, u32)> = run.sorter();
    let ties = |(a, b): (u32, u32), sum| {
        steps::pair_ties(sum, simhashes[a as usize], simhashes[b as usize])
    };
    index::nominations(tied, ties, &mut |n| nominated.push(n))?;
    let found = nominated.len() as usize / 2;
    let mut candidates: Sorter<u64> = run.sorter();
    let spilled = nominated.runs();
    index::top_partners(nominated.finish()?, run.options.max_partners, &mut |p| {
        candidates.push(index::pack(p))
    })?;
    let spilled = spilled + candidates.runs();
    Ok((candidates.finish()?, found, spilled))
}

/// The pairs of documents that share enough keys of `source` (the rules
/// the Spark job follows too, [`Source`]), with their ties, into `tied`;
/// returns how many, and the sorted runs spilled counting them.
fn shared_keys(
    entries: Sorted<(u64, u32)>,
    source: Source,
    tied: &mut Sorter<(u64, u32)>,
    run: &Run,
) -> io::Result<(usize, usize)> {
    let min_shared = source.min_shared(run.options);
    let (max_bucket, large) = source.bucket_rule(run.options);
    let mut occurrences: Sorter<u64> = run.sorter();
    let mut ticks = Ticker::new(run.progress);
    let counted = entries.inspect(move |_| ticks.tick());
    index::bucket_pairs(counted, min_shared, max_bucket, large, &mut |p| {
        occurrences.push(p)
    })?;
    let mut found = 0;
    let spilled = occurrences.runs();
    index::shared_often(occurrences.finish()?, min_shared, &mut |p, count| {
        found += 1;
        tied.push((index::pack(p), source.ties(count)))
    })?;
    Ok((found, spilled))
}

/// What verification leaves: the verified pairs sorted for the report, the
/// clustering edges, and the counts.
struct Verified {
    pairs: Sorted<PairRecord>,
    edges: Sorted<Edge>,
    /// Distinct candidate pairs, and those verified.
    distinct: usize,
    count: usize,
    /// The candidates themselves, with [`ScanOptions::keep_candidates`].
    kept: Vec<(u32, u32)>,
}

/// What verification and clustering read about every document: the store
/// and ranks, the corpus statistics, the features signing kept and every
/// document's SimHash.
struct Known<'a> {
    stored: &'a Stored,
    ranks: &'a [u32],
    corpus: &'a Corpus,
    bank: &'a [Features],
    simhashes: &'a [u64],
}

impl Known<'_> {
    /// The features of a document signing did not keep, built again.
    fn rebuilt(&self, doc: u32, shingle_size: usize) -> io::Result<Features> {
        let tokens = self.stored.store.read(doc)?;
        let simhash = self.simhashes[doc as usize];
        Ok(self.corpus.rebuilt(tokens, shingle_size, simhash))
    }
}

/// Verifies the distinct candidates in batches, building the features each
/// batch needs that signing did not keep.
fn verify(candidates: Sorted<u64>, known: &Known, run: &mut Run) -> Result<Verified> {
    let options = run.options;
    let mut pairs: Sorter<PairRecord> = run.sorter();
    let mut edges: Sorter<Edge> = run.sorter();
    let mut kept = Vec::new();
    let mut distinct = 0usize;
    let mut batch = Vec::with_capacity(VERIFY_BATCH.min(candidates.len() as usize));
    let mut last = None;
    let mut verify_batch = |batch: &mut Vec<(u32, u32)>| -> io::Result<()> {
        for record in verify_pairs(batch, known, options)? {
            edges.push(Edge {
                weakness: u64::MAX - record.pair.evidence.score.to_bits(),
                key: record.key,
                a: record.pair.a,
                b: record.pair.b,
            })?;
            pairs.push(record)?;
        }
        batch.clear();
        Ok(())
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
            kept.push(pair);
        }
        batch.push(pair);
        if batch.len() >= VERIFY_BATCH {
            verify_batch(&mut batch).map_err(fail)?;
        }
    }
    drop(ticks);
    verify_batch(&mut batch).map_err(fail)?;
    let count = pairs.len() as usize;
    run.runs += pairs.runs() + edges.runs();
    Ok(Verified {
        pairs: pairs.finish().map_err(fail)?,
        edges: edges.finish().map_err(fail)?,
        distinct,
        count,
        kept,
    })
}

/// One batch of candidate pairs verified in parallel, in batch order; the
/// documents not kept in memory are rebuilt from the store, each once.
fn verify_pairs(
    batch: &[(u32, u32)],
    known: &Known,
    options: &ScanOptions,
) -> io::Result<Vec<PairRecord>> {
    let (bank, ranks) = (known.bank, known.ranks);
    let in_bank = |d: u32| (d as usize) < bank.len();
    let mut rebuilt: Vec<u32> = batch
        .iter()
        .flat_map(|p| [p.0, p.1])
        .filter(|&d| !in_bank(d))
        .collect();
    rebuilt.par_sort_unstable();
    rebuilt.dedup();
    let built: Vec<Features> = rebuilt
        .par_iter()
        .map(|&d| known.rebuilt(d, options.shingle_size))
        .collect::<io::Result<_>>()?;
    let of = |d: u32| match bank.get(d as usize) {
        Some(f) => f,
        None => &built[rebuilt.binary_search(&d).unwrap_or_default()],
    };
    Ok(batch
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
        .collect())
}

/// Clusters along the edges, strongest first, behind the chain guard,
/// which checks pairs of earlier members: their features come from the
/// store through a small cache.
fn cluster(edges: Sorted<Edge>, known: &Known, run: &Run) -> Result<Vec<Vec<u32>>> {
    let options = run.options;
    let (stored, ranks) = (known.stored, known.ranks);
    let cache = FeatureCache::new(known, options.shingle_size);
    let guard = cluster::ChainGuard {
        sample: options.chain_sample,
        min_support: options.chain_support,
        supports: |x: u32, y: u32| {
            let (Some(fx), Some(fy)) = (cache.get(x), cache.get(y)) else {
                return false;
            };
            steps::supports(&fx, &fy, options)
        },
    };
    let mut edge_error = None;
    run.progress.stage("clustering", Some(edges.len()));
    let mut ticks = Ticker::new(run.progress);
    let edges = edges.map_while(|e| match e {
        Ok(e) => {
            ticks.tick();
            Some((e.a, e.b))
        }
        Err(e) => {
            edge_error = Some(e);
            None
        }
    });
    let mut sets = cluster::guarded_union(stored.ids.len(), edges, &guard);
    drop(ticks);
    if let Some(e) = edge_error.take().or_else(|| cache.error()) {
        return Err(run.fail(e));
    }
    let clusters = cluster::groups(
        &mut sets,
        |x, y| ranks[x as usize].cmp(&ranks[y as usize]),
        options.keep_singletons,
    );
    Ok(clusters)
}

/// Document index ranges of one batch each.
fn batches(n: usize) -> impl Iterator<Item = std::ops::Range<usize>> {
    (0..n)
        .step_by(BATCH_DOCS)
        .map(move |s| s..(s + BATCH_DOCS).min(n))
}

/// Features held in the bank or in the cache.
enum Held<'a> {
    Bank(&'a Features),
    Cached(std::rc::Rc<Features>),
}

impl std::ops::Deref for Held<'_> {
    type Target = Features;
    fn deref(&self) -> &Features {
        match self {
            Held::Bank(f) => f,
            Held::Cached(f) => f,
        }
    }
}

/// Features of recently used documents for the chain guard; cleared when
/// full, which keeps it bounded and costs little (the guard's checks
/// cluster around the groups being merged).
struct FeatureCache<'a> {
    known: &'a Known<'a>,
    shingle_size: usize,
    cached: std::cell::RefCell<HashMap<u32, std::rc::Rc<Features>>>,
    error: std::cell::RefCell<Option<io::Error>>,
}

const FEATURE_CACHE_DOCS: usize = 4096;

impl<'a> FeatureCache<'a> {
    fn new(known: &'a Known<'a>, shingle_size: usize) -> Self {
        FeatureCache {
            known,
            shingle_size,
            cached: Default::default(),
            error: Default::default(),
        }
    }

    /// `None` after a read error, which [`Self::error`] then returns.
    fn get(&self, doc: u32) -> Option<Held<'a>> {
        if let Some(f) = self.known.bank.get(doc as usize) {
            return Some(Held::Bank(f));
        }
        if let Some(f) = self.cached.borrow().get(&doc) {
            return Some(Held::Cached(f.clone()));
        }
        match self.known.rebuilt(doc, self.shingle_size) {
            Ok(f) => {
                let f = std::rc::Rc::new(f);
                let mut cached = self.cached.borrow_mut();
                if cached.len() >= FEATURE_CACHE_DOCS {
                    cached.clear();
                }
                cached.insert(doc, f.clone());
                Some(Held::Cached(f))
            }
            Err(e) => {
                self.error.borrow_mut().get_or_insert(e);
                None
            }
        }
    }

    fn error(&self) -> Option<io::Error> {
        self.error.borrow_mut().take()
    }
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
