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
use crate::sketch::Banding;
use crate::spill::{Sorted, Sorter};
use crate::steps;
use crate::store::{Store, StoreWriter};

pub use crate::document::{ANCHOR_TERMS, Signed, sign_all};
use crate::document::{
    Corpus, content_terms, count_in_documents, frequent, merge_counts, segmented,
};
use crate::ids::IdCheck;
pub use crate::ids::Ids;
use crate::records::Edge;
pub use crate::records::PairRecord;
use crate::text;
use crate::verify::{Evidence, Features, VerifyOptions};

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
        BlockTables::new(self.simhash_distance, self.simhash_blocks).map_err(Error::Usage)?;
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

/// A verified pair, `a`'s id sorting before `b`'s.
#[derive(Clone, Copy, Debug)]
pub struct ScoredPair {
    pub a: u32,
    pub b: u32,
    pub evidence: Evidence,
}

#[derive(Clone, Debug, Default)]
pub struct ScanStats {
    pub documents: usize,
    pub banding: Option<Banding>,
    pub lsh_candidates: usize,
    pub simhash_candidates: usize,
    pub anchor_candidates: usize,
    pub candidates: usize,
    pub verified: usize,
    /// Distinct sentences recognised as boilerplate.
    pub boilerplate: usize,
    /// Size of the segmented documents in the temporary store.
    pub temp_bytes: u64,
    /// Sorted runs written to disk by the external sorts (0: all in memory).
    pub spilled_runs: usize,
    /// Documents whose verification features stayed in memory after signing.
    pub features_kept: usize,
    /// Records the reader skipped (with `--skip-bad`); set by the caller.
    pub skipped: Option<usize>,
    pub stages: Vec<(&'static str, Duration)>,
}

/// The outcome of a scan.
#[derive(Clone, Debug)]
pub struct Scan {
    pub ids: Vec<String>,
    /// Candidate pairs (document indices, smaller first), sorted; empty
    /// unless [`ScanOptions::keep_candidates`] is set.
    pub candidates: Vec<(u32, u32)>,
    /// Verified pairs, sorted by (id of a, id of b).
    pub pairs: Vec<ScoredPair>,
    /// Clusters as document indices, members sorted by id, clusters by their
    /// first member; the cluster id is the position + 1.
    pub clusters: Vec<Vec<u32>>,
    pub stats: ScanStats,
}

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
        let done: Vec<io::Result<(Vec<u8>, Vec<u64>)>> = self
            .batch
            .par_iter()
            .map(|doc| {
                let doc = segmented(text::tokenize(&doc.text));
                let mut hashes = doc.sentence_hashes.clone();
                hashes.sort_unstable();
                hashes.dedup();
                Ok((StoreWriter::compress(&doc.tokens)?, hashes))
            })
            .collect();
        self.batch.clear();
        self.batch_bytes = 0;
        for result in done {
            let (stored, hashes) = result.map_err(|e| temp_error(dir, e))?;
            self.store.append(&stored).map_err(|e| temp_error(dir, e))?;
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
    pub corpus: crate::document::Corpus,
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
        options,
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
pub fn scan_stream(
    read: impl FnOnce(&mut dyn FnMut(Document) -> Result<()>) -> Result<()>,
    options: &ScanOptions,
    progress: &dyn Progress,
) -> Result<Streamed> {
    options.validate()?;
    let dir = options.temp_dir();
    let fail = |e: io::Error| temp_error(&dir, e);
    let buffer = options.buffer_bytes;
    let mut stages = Vec::new();
    let mut clock = Instant::now();
    let mut lap = |name: &'static str, stages: &mut Vec<(&'static str, Duration)>| {
        stages.push((name, clock.elapsed()));
        clock = Instant::now();
    };

    // Pass 1: read, segment, store; count sentences.
    let mut first = FirstPass {
        store: StoreWriter::new(&dir).map_err(fail)?,
        sentences: Sorter::new(&dir, buffer),
        ids: Ids::default(),
        check: IdCheck::default(),
        lengths: Vec::new(),
        batch: Vec::new(),
        batch_bytes: 0,
    };
    progress.stage("reading", None);
    let mut ticks = Ticker::new(progress);
    read(&mut |doc| {
        ticks.tick();
        first.add(doc, &dir)
    })?;
    drop(ticks);
    first.flush(&dir)?;
    let FirstPass {
        store,
        sentences,
        ids,
        check,
        lengths,
        ..
    } = first;
    drop(check);
    let store = store.finish().map_err(fail)?;
    let n = ids.len();
    lap("read+segment", &mut stages);

    // Corpus statistics: boilerplate sentences, then term frequencies.
    let min_docs = options.boilerplate_threshold(n as u64) as usize;
    let mut runs = sentences.runs();
    let boilerplate = frequent(sentences.finish().map_err(fail)?, min_docs).map_err(fail)?;
    let mut df = HashMap::default();
    progress.stage("statistics", Some(n as u64));
    for batch in batches(n) {
        progress.advance(batch.len() as u64);
        let terms: Vec<Vec<u64>> = batch
            .into_par_iter()
            .map(|d| {
                Ok(content_terms(
                    &segmented(store.read(d as u32)?),
                    &boilerplate,
                ))
            })
            .collect::<io::Result<_>>()
            .map_err(fail)?;
        df = merge_counts(df, count_in_documents(terms.into_par_iter()));
    }
    let corpus = Corpus {
        boilerplate,
        df,
        documents: n as u64,
    };
    lap("statistics", &mut stages);

    // Pass 2: sign; band keys and anchors go to sorted runs.
    let banding = options.banding();
    let mut bands: Sorter<(u64, u32)> = Sorter::new(&dir, buffer);
    let mut anchors: Sorter<(u64, u32)> = Sorter::new(&dir, buffer);
    // The first documents' full features stay in memory while they fit in
    // `feature_memory`; verification builds the others again from the store.
    let mut bank: Vec<Features> = Vec::new();
    let mut bank_bytes = 0usize;
    let mut simhashes = Vec::with_capacity(n);
    progress.stage("signing", Some(n as u64));
    for batch in batches(n) {
        progress.advance(batch.len() as u64);
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
            bands
                .extend(s.band_keys.iter().map(|&k| (k, doc)))
                .map_err(fail)?;
            anchors
                .extend(s.anchors.iter().map(|&k| (k, doc)))
                .map_err(fail)?;
            simhashes.push(s.features.simhash);
            if keep {
                bank_bytes += s.features.heap_bytes();
                bank.push(s.features);
            }
        }
    }
    lap("sign", &mut stages);

    // Candidates from the three indexes, merged on disk.
    let mut candidates: Sorter<u64> = Sorter::new(&dir, buffer);
    let shared_pairs = |entries: Sorted<(u64, u32)>,
                        min_shared: usize,
                        max_bucket: usize,
                        large: index::LargeBucket,
                        candidates: &mut Sorter<u64>|
     -> io::Result<(usize, usize)> {
        let mut occurrences: Sorter<u64> = Sorter::new(&dir, buffer);
        let mut ticks = Ticker::new(progress);
        let counted = entries.inspect(move |_| ticks.tick());
        index::bucket_pairs(counted, min_shared, max_bucket, large, &mut |p| {
            occurrences.push(p)
        })?;
        let mut found = 0;
        let spilled = occurrences.runs();
        index::shared_often(occurrences.finish()?, min_shared, &mut |p| {
            found += 1;
            candidates.push(index::pack(p))
        })?;
        Ok((found, spilled))
    };
    runs += bands.runs() + anchors.runs();
    progress.stage("indexing", Some(bands.len() + anchors.len()));
    let (lsh_count, lsh_runs) = shared_pairs(
        bands.finish().map_err(fail)?,
        options.min_shared_bands,
        index::MAX_BUCKET_FOR_ALL_PAIRS,
        index::LargeBucket::Star,
        &mut candidates,
    )
    .map_err(fail)?;
    let (anchor_count, anchor_runs) = shared_pairs(
        anchors.finish().map_err(fail)?,
        options.min_shared_anchors,
        options.max_anchor_docs,
        index::LargeBucket::Skip,
        &mut candidates,
    )
    .map_err(fail)?;
    let tables =
        BlockTables::new(options.simhash_distance, options.simhash_blocks).map_err(Error::Usage)?;
    let near = tables.candidates(&simhashes);
    drop(simhashes);
    let near_count = near.len();
    candidates
        .extend(near.into_iter().map(index::pack))
        .map_err(fail)?;
    runs += lsh_runs + anchor_runs + candidates.runs();
    let candidates = candidates.finish().map_err(fail)?;
    lap("index", &mut stages);

    // Verify in batches of candidates, building the features each needs.
    let ranks = ids.ranks();
    let mut pairs: Sorter<PairRecord> = Sorter::new(&dir, buffer);
    let mut edges: Sorter<Edge> = Sorter::new(&dir, buffer);
    let mut kept = Vec::new();
    let mut distinct = 0usize;
    let mut batch = Vec::with_capacity(VERIFY_BATCH.min(candidates.len() as usize));
    let mut last = None;
    let mut verify_batch = |batch: &mut Vec<(u32, u32)>| -> io::Result<()> {
        // Documents not kept in memory are rebuilt from the store, each
        // once per batch.
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
            .map(|&d| Ok(corpus.features(store.read(d)?, options.shingle_size)))
            .collect::<io::Result<_>>()?;
        let of = |d: u32| match bank.get(d as usize) {
            Some(f) => f,
            None => &built[rebuilt.binary_search(&d).unwrap_or_default()],
        };
        let verified: Vec<PairRecord> = batch
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
        for record in verified {
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
    progress.stage("verifying", Some(candidates.len()));
    let mut ticks = Ticker::new(progress);
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
    let verified = pairs.len() as usize;
    runs += pairs.runs() + edges.runs();
    let pairs = pairs.finish().map_err(fail)?;
    lap("verify", &mut stages);

    // Cluster along the edges, strongest first, behind the chain guard,
    // which checks pairs of earlier members: their features come from the
    // store through a small cache.
    let cache = FeatureCache::new(&store, &corpus, &bank, options.shingle_size);
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
    let edges = edges.finish().map_err(fail)?;
    progress.stage("clustering", Some(edges.len()));
    let mut ticks = Ticker::new(progress);
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
    let mut sets = cluster::guarded_union(n, edges, &guard);
    drop(ticks);
    if let Some(e) = edge_error.take().or_else(|| cache.error()) {
        return Err(fail(e));
    }
    let clusters = cluster::groups(
        &mut sets,
        |x, y| ranks[x as usize].cmp(&ranks[y as usize]),
        options.keep_singletons,
    );
    lap("cluster", &mut stages);

    let stats = ScanStats {
        documents: n,
        banding: Some(banding),
        lsh_candidates: lsh_count,
        simhash_candidates: near_count,
        anchor_candidates: anchor_count,
        candidates: distinct,
        verified,
        boilerplate: corpus.boilerplate.len(),
        temp_bytes: store.bytes(),
        spilled_runs: runs,
        features_kept: bank.len(),
        skipped: None,
        stages,
    };
    Ok(Streamed {
        ids,
        lengths,
        pairs,
        clusters,
        candidates: kept,
        stats,
        corpus,
    })
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
    store: &'a Store,
    bank: &'a [Features],
    corpus: &'a Corpus,
    shingle_size: usize,
    cached: std::cell::RefCell<HashMap<u32, std::rc::Rc<Features>>>,
    error: std::cell::RefCell<Option<io::Error>>,
}

const FEATURE_CACHE_DOCS: usize = 4096;

impl<'a> FeatureCache<'a> {
    fn new(
        store: &'a Store,
        corpus: &'a Corpus,
        bank: &'a [Features],
        shingle_size: usize,
    ) -> Self {
        FeatureCache {
            store,
            bank,
            corpus,
            shingle_size,
            cached: Default::default(),
            error: Default::default(),
        }
    }

    /// `None` after a read error, which [`Self::error`] then returns.
    fn get(&self, doc: u32) -> Option<Held<'a>> {
        if let Some(f) = self.bank.get(doc as usize) {
            return Some(Held::Bank(f));
        }
        if let Some(f) = self.cached.borrow().get(&doc) {
            return Some(Held::Cached(f.clone()));
        }
        match self.store.read(doc) {
            Ok(tokens) => {
                let f = std::rc::Rc::new(self.corpus.features(tokens, self.shingle_size));
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

/// Position of each id, for looking documents up by id.
pub fn index_of(ids: &[String]) -> rustc_hash::FxHashMap<&str, u32> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i as u32))
        .collect()
}

/// Candidate pairs per document, for the summary.
pub fn candidates_per_document(stats: &ScanStats) -> f64 {
    stats.candidates as f64 / stats.documents.max(1) as f64
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
