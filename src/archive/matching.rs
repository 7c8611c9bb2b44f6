//! Matching a batch of documents against an index, and rescanning a whole
//! index when its statistics are refreshed.
//!
//! A batch follows the scan's rules ([`crate::steps`]) from the side of its
//! own documents: each key it holds is looked up in the key files, a bucket
//! of more than the source's limit is joined as a star to its first member
//! or skipped, pairs sharing enough keys are tied as the scan ties them, and
//! each new document nominates its most tied partners. What the batch cannot
//! do is change the nominations indexed documents made before it arrived:
//! an indexed document whose quota of partners was full gains a new one
//! only if the new document nominates it (measured in README, *Index*).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use rusqlite::{Connection, OptionalExtension, params};
use rustc_hash::FxHashMap as HashMap;

use super::files::KeyFile;
use super::{Kind, State, add_file, db_error, file_error, name_file, next_file, set_meta};
use crate::corpus::Signed;
use crate::error::{Error, Origin, Result};
use crate::index::{BlockTables, LargeBucket};
use crate::input::Document;
use crate::scan::{Plan, Progress, scan_stream};
use crate::sketch::hamming;
use crate::spill::Sorter;
use crate::steps::{self, Source};
use crate::text::{self, Tokens};
use crate::verify::{Evidence, Features};

/// What matching reads: the database, the loaded key files and statistics.
pub(crate) struct View<'a> {
    pub(crate) conn: &'a Connection,
    pub(crate) dir: &'a Path,
    pub(crate) plan: &'a Plan,
    pub(crate) state: &'a State,
}

/// A batch matched: its documents' SimHashes and keys (to store), and the
/// verified pairs holding one of them (document numbers, `a`'s id first).
pub(crate) struct Matched {
    pub(crate) simhashes: Vec<u64>,
    /// Each document's encoded tokens ([`super::encode_tokens`]).
    pub(crate) tokens: Vec<Vec<u8>>,
    /// The batch's term counts (term, documents holding it).
    pub(crate) terms: Vec<(u64, u32)>,
    pub(crate) keys: Vec<(u64, u32)>,
    pub(crate) pairs: Vec<(u32, u32, Evidence)>,
    pub(crate) candidates: usize,
    pub(crate) stages: Vec<(&'static str, Duration)>,
}

/// Stage times, as the scan's summary shows them.
pub(crate) struct Laps {
    pub(crate) stages: Vec<(&'static str, Duration)>,
    clock: Instant,
}

impl Laps {
    pub(crate) fn new() -> Self {
        Laps {
            stages: Vec::new(),
            clock: Instant::now(),
        }
    }

    pub(crate) fn lap(&mut self, name: &'static str) {
        self.stages.push((name, self.clock.elapsed()));
        self.clock = Instant::now();
    }
}

/// Every source's keys in one key space.
pub(crate) fn tagged(source: Source, key: u64) -> u64 {
    let salt = match source {
        Source::Bands => 0x9e37_79b9_7f4a_7c15,
        Source::Anchors => 0xc2b2_ae3d_27d4_eb4f,
        Source::SimHash => 0x1656_67b1_9e37_79f9,
    };
    crate::hash::mix64(key ^ salt)
}

/// A signed document's keys by source, each list distinct.
fn keys_of(signed: &Signed, tables: &BlockTables) -> [(Source, Vec<u64>); 3] {
    let distinct = |mut keys: Vec<u64>| {
        keys.sort_unstable();
        keys.dedup();
        keys
    };
    [
        (Source::Bands, distinct(signed.band_keys.clone())),
        (Source::Anchors, distinct(signed.anchors.clone())),
        (
            Source::SimHash,
            distinct(tables.keys(signed.features.simhash)),
        ),
    ]
}

pub(crate) fn bad_tokens(dir: &Path) -> Error {
    Error::file(
        dir.join(super::DATABASE),
        "a stored document's tokens are damaged",
    )
}

pub(crate) fn decompress(blob: &[u8], length: usize, dir: &Path) -> Result<String> {
    let bytes = zstd::bulk::decompress(blob, length.max(1))
        .map_err(|e| Error::file(dir.join(super::DATABASE), format!("a stored text: {e}")))?;
    String::from_utf8(bytes)
        .map_err(|_| Error::file(dir.join(super::DATABASE), "a stored text is not UTF-8"))
}

impl State {
    /// The indexed documents holding `key`, smallest first, at most `limit`.
    fn bucket(&self, key: u64, limit: usize) -> Vec<u32> {
        let mut docs: Vec<u32> = self
            .files
            .iter()
            .flat_map(|f| f.values(key, limit))
            .collect();
        docs.sort_unstable();
        docs.dedup();
        docs.truncate(limit);
        docs
    }
}

impl View<'_> {
    fn simhash(&self, doc: u32) -> Result<u64> {
        self.conn
            .prepare_cached("SELECT simhash FROM docs WHERE doc = ?1")
            .and_then(|mut s| s.query_row([doc as i64], |r| r.get::<_, i64>(0)))
            .map(|h| h as u64)
            .map_err(db_error(self.dir))
    }

    /// An indexed document's id and encoded tokens.
    pub(crate) fn load(&self, doc: u32) -> Result<(String, Vec<u8>)> {
        let row = self
            .conn
            .prepare_cached(
                "SELECT d.id, c.tokens FROM docs d JOIN contents c ON c.doc = d.doc WHERE d.doc = ?1",
            )
            .and_then(|mut s| {
                s.query_row([doc as i64], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
            })
            .map_err(db_error(self.dir))?;
        row.ok_or_else(|| {
            Error::file(
                self.dir.join(super::DATABASE),
                format!("document {doc} is missing"),
            )
        })
    }
}

/// A pair (earlier document, later one) sharing a key of a source, counted
/// this many times.
type Occurrence = ((u32, u32), Source, usize);

/// How often a pair shares each source's keys.
#[derive(Default, Clone, Copy)]
struct Shared {
    bands: usize,
    anchors: usize,
    simhash: bool,
}

/// Matches `documents`, numbered from `first` on, against the index and
/// each other: the scan's candidate rules and verification.
pub(crate) fn match_batch(view: &View, documents: &[Document], first: u32) -> Result<Matched> {
    let mut laps = Laps::new();
    let plan = view.plan;
    let options: &crate::scan::ScanOptions = plan;
    let tokens: Vec<Tokens> = documents
        .par_iter()
        .map(|d| text::tokenize(&d.text))
        .collect();
    let counts = super::Batch::of(&tokens, &view.state.boilerplate);
    let mut corpus = view.state.corpus_for(&tokens, &counts);
    let encoded: Vec<Vec<u8>> = tokens.par_iter().map(super::encode_tokens).collect();
    let banding = plan.banding();
    let signed: Vec<Signed> = tokens
        .into_par_iter()
        .map(|t| corpus.sign(t, options, banding, options.shingle_size))
        .collect();
    let tables =
        BlockTables::new(options.simhash_distance, options.simhash_blocks).map_err(Error::Usage)?;
    let doc_keys: Vec<[(Source, Vec<u64>); 3]> =
        signed.par_iter().map(|s| keys_of(s, &tables)).collect();
    laps.lap("sign");

    // The batch's own buckets, members in order.
    let mut batch: HashMap<u64, Vec<u32>> = HashMap::default();
    let mut keys = Vec::new();
    for (j, sources) in doc_keys.iter().enumerate() {
        let d = first + j as u32;
        for (source, list) in sources {
            for &k in list {
                let t = tagged(*source, k);
                batch.entry(t).or_default().push(d);
                keys.push((t, d));
            }
        }
    }

    // Pairs with an earlier document (indexed, or earlier in the batch),
    // each counted once, from the later document's side.
    let state = view.state;
    let occurrences: Vec<Vec<Occurrence>> = doc_keys
        .par_iter()
        .enumerate()
        .map(|(j, sources)| {
            let d = first + j as u32;
            let mut out = Vec::new();
            for (source, list) in sources {
                let (max_bucket, large) = source.bucket_rule(options);
                let min_shared = source.min_shared(options);
                for &k in list {
                    let t = tagged(*source, k);
                    let mut bucket = state.bucket(t, max_bucket + 1);
                    bucket.extend(batch.get(&t).into_iter().flatten());
                    if bucket.len() <= max_bucket {
                        out.extend(
                            bucket
                                .iter()
                                .filter(|&&p| p < d)
                                .map(|&p| ((p, d), *source, 1)),
                        );
                    } else if let LargeBucket::Star = large
                        && bucket[0] < d
                    {
                        // A star edge stands for the whole bucket.
                        out.push(((bucket[0], d), *source, min_shared));
                    }
                }
            }
            out
        })
        .collect();
    let mut found: HashMap<(u32, u32), Shared> = HashMap::default();
    for (pair, source, n) in occurrences.into_iter().flatten() {
        let shared = found.entry(pair).or_default();
        match source {
            Source::Bands => shared.bands += n,
            Source::Anchors => shared.anchors += n,
            Source::SimHash => shared.simhash = true,
        }
    }

    // SimHashes of the indexed partners, for the distance and the ties.
    // Only pairs that share enough of some source's keys are worth a
    // SimHash lookup.
    let min_bands = Source::Bands.min_shared(options);
    let min_anchors = Source::Anchors.min_shared(options);
    found.retain(|_, s| s.bands >= min_bands || s.anchors >= min_anchors || s.simhash);
    let mut indexed: Vec<u32> = found.keys().map(|p| p.0).filter(|&p| p < first).collect();
    indexed.sort_unstable();
    indexed.dedup();
    let indexed_hashes: Vec<u64> = indexed
        .iter()
        .map(|&d| view.simhash(d))
        .collect::<Result<_>>()?;
    let simhash_of = |d: u32| {
        if d >= first {
            signed[(d - first) as usize].features.simhash
        } else {
            indexed_hashes[indexed.binary_search(&d).unwrap_or_default()]
        }
    };
    let mut partners: HashMap<u32, Vec<(u32, u32)>> = HashMap::default();
    let mut found: Vec<((u32, u32), Shared)> = found.into_iter().collect();
    found.sort_unstable_by_key(|(pair, _)| *pair);
    for ((p, d), shared) in found {
        let (hp, hd) = (simhash_of(p), simhash_of(d));
        let mut sum = 0;
        if shared.bands >= min_bands {
            sum |= Source::Bands.ties(shared.bands);
        }
        if shared.anchors >= min_anchors {
            sum |= Source::Anchors.ties(shared.anchors);
        }
        if shared.simhash && hamming(hp, hd) <= options.simhash_distance {
            sum |= Source::SimHash.ties(1);
        }
        if sum == 0 {
            continue;
        }
        let ties = steps::pair_ties(sum, hp, hd);
        partners.entry(d).or_default().push((p, ties));
        if p >= first {
            partners.entry(p).or_default().push((d, ties));
        }
    }
    let mut candidates: Vec<(u32, u32)> = partners
        .par_iter()
        .flat_map_iter(|(&d, list)| {
            steps::top_partners(d, list, options)
                .into_iter()
                .map(move |p| (p.min(d), p.max(d)))
        })
        .collect();
    candidates.par_sort_unstable();
    candidates.dedup();
    laps.lap("candidates");

    // Features of the indexed documents among the candidates.
    let mut stored: Vec<u32> = candidates
        .iter()
        .flat_map(|&(a, b)| [a, b])
        .filter(|&d| d < first)
        .collect();
    stored.sort_unstable();
    stored.dedup();
    let loaded: Vec<(String, Vec<u8>)> = stored
        .iter()
        .map(|&d| view.load(d))
        .collect::<Result<_>>()?;
    let stored_tokens: Vec<Tokens> = loaded
        .par_iter()
        .map(|(_, blob)| super::decode_tokens(blob).ok_or_else(|| bad_tokens(view.dir)))
        .collect::<Result<_>>()?;
    // The batch's statistics serve again when they hold every term.
    if !corpus.is_whole() {
        corpus = view.state.corpus_for(&stored_tokens, &counts);
    }
    // The SimHash is known: only the rest is built.
    let stored_features: Vec<Features> = stored_tokens
        .into_par_iter()
        .zip(&stored)
        .map(|(t, &d)| corpus.rebuilt(t, options.shingle_size, simhash_of(d)))
        .collect();
    laps.lap("features");
    let of = |d: u32| -> (&str, &Features) {
        if d >= first {
            let j = (d - first) as usize;
            (&documents[j].id, &signed[j].features)
        } else {
            let i = stored.binary_search(&d).unwrap_or_default();
            (&loaded[i].0, &stored_features[i])
        }
    };
    let pairs: Vec<(u32, u32, Evidence)> = candidates
        .par_iter()
        .filter_map(|&(x, y)| {
            let ((ix, fx), (iy, fy)) = (of(x), of(y));
            let (a, b, fa, fb) = if ix <= iy {
                (x, y, fx, fy)
            } else {
                (y, x, fy, fx)
            };
            steps::verify(fa, fb, options).map(|e| (a, b, e))
        })
        .collect();
    laps.lap("verify");
    Ok(Matched {
        simhashes: signed.iter().map(|s| s.features.simhash).collect(),
        tokens: encoded,
        terms: counts.df.iter().map(|(&t, &n)| (t as u64, n)).collect(),
        keys,
        pairs,
        candidates: candidates.len(),
        stages: laps.stages,
    })
}

/// Scans every document of the index as `scan` would, and replaces the
/// statistics, the key files and the pairs with what it found; returns the
/// files it wrote.
pub(crate) fn rebuild(
    conn: &Connection,
    dir: &Path,
    plan: &Plan,
    progress: &dyn Progress,
) -> Result<Vec<PathBuf>> {
    let fail = db_error(dir);
    let streamed = scan_stream(
        |sink| {
            let mut stmt = conn
                .prepare(
                    "SELECT d.id, d.path, d.line, d.length, c.text FROM docs d JOIN contents c ON c.doc = d.doc ORDER BY d.doc",
                )
                .map_err(&fail)?;
            let mut rows = stmt.query([]).map_err(&fail)?;
            while let Some(row) = rows.next().map_err(&fail)? {
                let length = row.get::<_, i64>(3).map_err(&fail)? as usize;
                let blob: Vec<u8> = row.get(4).map_err(&fail)?;
                sink(Document {
                    id: row.get(0).map_err(&fail)?,
                    text: decompress(&blob, length, dir)?,
                    origin: Origin {
                        path: row.get(1).map_err(&fail)?,
                        line: row.get::<_, i64>(2).map_err(&fail)? as u64,
                    },
                    raw: None,
                })?;
            }
            Ok(())
        },
        plan,
        progress,
    )?;
    let corpus = &streamed.corpus;
    let mut written = Vec::new();

    conn.execute("DELETE FROM key_files", []).map_err(&fail)?;
    let df: Vec<(u64, u32)> = corpus.df.iter().map(|(t, n)| (t as u64, n)).collect();
    written.push(add_file(conn, dir, Kind::Terms, df)?);
    for key in ["statistics_documents", "rescanned_documents"] {
        set_meta(conn, key, &corpus.documents.to_string()).map_err(&fail)?;
    }
    conn.execute("DELETE FROM boilerplate", []).map_err(&fail)?;
    {
        let mut insert = conn
            .prepare("INSERT INTO boilerplate(fingerprint) VALUES(?1)")
            .map_err(&fail)?;
        for &h in &corpus.boilerplate {
            insert.execute([h as i64]).map_err(&fail)?;
        }
    }

    conn.execute("DELETE FROM pairs", []).map_err(&fail)?;
    {
        let mut insert = conn
            .prepare("INSERT INTO pairs(a, b, evidence) VALUES(?1, ?2, ?3)")
            .map_err(&fail)?;
        for record in streamed.pairs {
            let p = record
                .map_err(|e| crate::stages::temp_error(&plan.temp_dir(), e))?
                .pair;
            insert
                .execute(params![
                    p.a as i64,
                    p.b as i64,
                    super::evidence_bytes(&p.evidence)
                ])
                .map_err(&fail)?;
        }
    }

    // Every document's keys again, with the statistics just counted.
    let n = streamed.ids.len();
    let tables =
        BlockTables::new(plan.simhash_distance, plan.simhash_blocks).map_err(Error::Usage)?;
    let temp = |e| crate::stages::temp_error(&plan.temp_dir(), e);
    let mut sorter: Sorter<(u64, u32)> = Sorter::new(&plan.temp_dir(), plan.buffer_bytes);
    progress.stage("keys", Some(n as u64));
    for range in crate::stages::batches(n) {
        let mut texts = Vec::with_capacity(range.len());
        {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT d.length, c.text FROM docs d JOIN contents c ON c.doc = d.doc WHERE d.doc >= ?1 AND d.doc < ?2 ORDER BY d.doc",
                )
                .map_err(&fail)?;
            let mut rows = stmt
                .query(params![range.start as i64, range.end as i64])
                .map_err(&fail)?;
            while let Some(row) = rows.next().map_err(&fail)? {
                let length = row.get::<_, i64>(0).map_err(&fail)? as usize;
                let blob: Vec<u8> = row.get(1).map_err(&fail)?;
                texts.push(decompress(&blob, length, dir)?);
            }
        }
        let signed: Vec<(u64, Vec<u64>, Vec<u8>)> = texts
            .par_iter()
            .map(|t| {
                let tokens = text::tokenize(t);
                let encoded = super::encode_tokens(&tokens);
                let s = corpus.sign(tokens, plan, plan.banding(), 0);
                let keys = keys_of(&s, &tables)
                    .into_iter()
                    .flat_map(|(source, list)| list.into_iter().map(move |k| tagged(source, k)))
                    .collect();
                (s.features.simhash, keys, encoded)
            })
            .collect();
        let mut update = conn
            .prepare_cached("UPDATE docs SET simhash = ?1 WHERE doc = ?2")
            .map_err(&fail)?;
        let mut update_tokens = conn
            .prepare_cached("UPDATE contents SET tokens = ?1 WHERE doc = ?2")
            .map_err(&fail)?;
        for (i, (simhash, keys, encoded)) in signed.into_iter().enumerate() {
            let d = (range.start + i) as u32;
            update
                .execute(params![simhash as i64, d as i64])
                .map_err(&fail)?;
            update_tokens
                .execute(params![encoded, d as i64])
                .map_err(&fail)?;
            sorter
                .extend(keys.into_iter().map(|k| (k, d)))
                .map_err(temp)?;
        }
        progress.advance(range.len() as u64);
    }
    let (name, path) = next_file(conn, dir, Kind::Keys.name())?;
    let sorted = sorter.finish().map_err(temp)?;
    let records = KeyFile::write(&path, sorted).map_err(|e| file_error(&path, e))?;
    written.push(path);
    name_file(conn, dir, Kind::Keys, &name, records)?;
    Ok(written)
}
