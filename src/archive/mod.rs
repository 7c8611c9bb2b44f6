//! A persistent index that keeps an archive deduplicated as it grows: each
//! batch of documents is matched against everything indexed before it, and
//! the verified pairs are kept, so a day's articles cost a day's work.
//!
//! Layout of an index folder:
//! - `index.db`, an SQLite database (write-ahead log, synced on commit):
//!   the documents (id, origin, zstd-compressed text and segmented words),
//!   the verified pairs with their evidence, the boilerplate sentences, the
//!   options fixed at creation and the names of the files below;
//! - `keys-N.bin`: the documents' band keys, anchors and SimHash block keys,
//!   sorted, one file per add, merged two by two as they grow (`files.rs`);
//! - `terms-N.bin`: how many documents of one add (or of the index at its
//!   last rescan) hold each term; a term's count is the sum over the files;
//! - `writer.lock`: held (`flock`) by the one process adding.
//!
//! Term counts are exact: an add signs and verifies its documents with the
//! counts of the whole index and itself. What earlier counts made stays as
//! it was until a rescan: the keys of indexed documents, their pairs and the
//! boilerplate set. An add rescans the whole index, exactly as `scan` would,
//! when [`Rescan`] says (the index has grown by a fifth since the last
//! rescan, or holds at most [`RESCAN_UP_TO`] documents), and replaces the
//! keys, the counts and the pairs with the scan's.
//!
//! Every change of an add happens in one transaction: key files are written
//! and synced before it commits and named only by it, so an add killed at
//! any moment leaves the index as it was.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};

use crate::error::{Error, Origin, Result};
use crate::input::Document;
use crate::scan::{Plan, Progress, ScanOptions};
use crate::verify::{COLUMNS, Evidence};

mod files;
mod matching;
mod reports;

use files::KeyFile;

pub use reports::IndexedPair;

/// The database's file name in an index folder.
pub const DATABASE: &str = "index.db";
const LOCK_FILE: &str = "writer.lock";
const FORMAT: &str = "storydup-index-2";

/// By default an add rescans the whole index (new keys for every document)
/// once the index has grown by more than this share since the last rescan.
pub const REFRESH_AFTER: f64 = 0.2;

/// An index of at most this many documents is rescanned on every add: a
/// rescan of it takes a few seconds, and its reports are then exactly the
/// scan's (small sets drift most; README, *Keeping an archive*).
pub const RESCAN_UP_TO: u64 = 10_000;

/// When an add rescans the whole index instead of matching its batch.
#[derive(Clone, Copy, Debug)]
pub struct Rescan {
    /// Rescan with this add, whatever else says.
    pub now: bool,
    /// Rescan once the index has grown by more than this share since its
    /// last rescan.
    pub after_growth: f64,
    /// Rescan while the index (with the batch) holds at most this many
    /// documents.
    pub up_to: u64,
}

impl Default for Rescan {
    fn default() -> Self {
        Rescan {
            now: false,
            after_growth: REFRESH_AFTER,
            up_to: RESCAN_UP_TO,
        }
    }
}

/// Environment variable for the crash tests: an add that finds it sleeps
/// this many seconds just before it commits.
pub const PAUSE_BEFORE_COMMIT: &str = "STORYDUP_PAUSE_BEFORE_COMMIT";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs(
    doc INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, path TEXT NOT NULL,
    line INTEGER NOT NULL, length INTEGER NOT NULL, simhash INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS contents(
    doc INTEGER PRIMARY KEY, text BLOB NOT NULL, tokens BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS pairs(
    a INTEGER NOT NULL, b INTEGER NOT NULL, evidence BLOB NOT NULL,
    PRIMARY KEY(a, b)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS boilerplate(fingerprint INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS key_files(
    name TEXT PRIMARY KEY, kind TEXT NOT NULL, position INTEGER NOT NULL,
    records INTEGER NOT NULL);
";

/// The options that change what counts as a rewrite, by their command-line
/// names: recorded when an index is created and used by every later add.
pub fn rewrite_options(options: &ScanOptions) -> serde_json::Map<String, serde_json::Value> {
    let banding = options.banding;
    serde_json::json!({
        "threshold": options.verify.threshold,
        "passage_threshold": options.verify.passage_threshold,
        "shingle_size": options.shingle_size,
        "boilerplate_min_docs": options.boilerplate_min_docs,
        "boilerplate_share": options.boilerplate_share,
        "num_perm": options.num_perm,
        "lsh_threshold": options.lsh_threshold,
        "min_shared_bands": options.min_shared_bands,
        "bands": banding.map(|b| b.bands),
        "rows": banding.map(|b| b.rows),
        "simhash_distance": options.simhash_distance,
        "simhash_blocks": options.simhash_blocks,
        "min_shared_anchors": options.min_shared_anchors,
        "max_anchor_docs": options.max_anchor_docs,
        "max_partners": options.max_partners,
        "chain_sample": options.chain_sample,
        "chain_support": options.chain_support,
        "chain_score_ratio": options.chain_score_ratio,
    })
    .as_object()
    .cloned()
    .unwrap_or_default()
}

/// `base` (temporary files, memory) with the recorded rewrite options.
fn with_recorded(
    base: &ScanOptions,
    recorded: &serde_json::Map<String, serde_json::Value>,
) -> Option<ScanOptions> {
    let f = |k: &str| recorded.get(k)?.as_f64();
    let u = |k: &str| recorded.get(k)?.as_u64();
    let mut o = base.clone();
    o.verify.threshold = f("threshold")?;
    o.verify.passage_threshold = f("passage_threshold")?;
    o.shingle_size = u("shingle_size")? as usize;
    o.boilerplate_min_docs = u("boilerplate_min_docs")? as usize;
    o.boilerplate_share = f("boilerplate_share")?;
    o.num_perm = u("num_perm")? as usize;
    o.lsh_threshold = f("lsh_threshold")?;
    o.min_shared_bands = u("min_shared_bands")? as usize;
    o.banding = match (u("bands"), u("rows")) {
        (Some(bands), Some(rows)) => Some(crate::sketch::Banding {
            bands: bands as usize,
            rows: rows as usize,
        }),
        _ => None,
    };
    o.simhash_distance = u("simhash_distance")? as u32;
    o.simhash_blocks = u("simhash_blocks")? as u32;
    o.min_shared_anchors = u("min_shared_anchors")? as usize;
    o.max_anchor_docs = u("max_anchor_docs")? as usize;
    o.max_partners = u("max_partners")? as usize;
    o.chain_sample = u("chain_sample")? as usize;
    o.chain_support = f("chain_support")?;
    o.chain_score_ratio = f("chain_score_ratio")?;
    Some(o)
}

/// An open index: for adding (one process at a time) or for reading.
pub struct Archive {
    dir: PathBuf,
    conn: Connection,
    plan: Plan,
    /// The writer's lock, held while this is open; `None` for a reader.
    _writer: Option<File>,
}

/// What an add did.
#[derive(Debug)]
pub struct Added {
    pub documents: usize,
    /// Doc numbers of the added documents start here.
    pub first: u32,
    /// The verified pairs that hold an added document.
    pub pairs: Vec<IndexedPair>,
    /// Whether the add counted the statistics again and rescanned the index.
    pub refreshed: bool,
    /// Candidate pairs verified (after a refresh: 0, the scan's own).
    pub candidates: usize,
    /// Time of each stage of the add.
    pub stages: Vec<(&'static str, std::time::Duration)>,
}

pub(crate) fn db_error(dir: &Path) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |e| Error::file(dir.join(DATABASE), format!("index database: {e}"))
}

fn file_error(path: &Path, e: std::io::Error) -> Error {
    Error::file(path, format!("index file: {e}"))
}

impl Archive {
    /// Opens the index in `dir` for adding, creating it if `dir` is absent or
    /// empty; a second writer gets a clear error, not a wait. `options` are
    /// used for a new index; an existing one keeps those it was created
    /// with ([`Archive::recorded`]), with `options`' resources (temporary
    /// files, memory).
    pub fn open_writer(dir: &Path, options: &ScanOptions) -> Result<Archive> {
        let database = dir.join(DATABASE);
        if !database.exists() {
            if dir.exists() {
                let mut entries = std::fs::read_dir(dir)
                    .map_err(|e| Error::file(dir, format!("cannot read the folder: {e}")))?;
                if entries.next().is_some() {
                    return Err(Error::Usage(format!(
                        "{}: neither empty nor a storydup index (no {DATABASE}); give an empty or new folder",
                        dir.display()
                    )));
                }
            }
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::file(dir, format!("cannot create the index folder: {e}")))?;
        }
        let lock = lock_writer(dir)?;
        let conn = Connection::open(&database).map_err(db_error(dir))?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-65536; PRAGMA mmap_size=17179869184;",
        )
        .map_err(db_error(dir))?;
        let mut archive = Archive {
            dir: dir.to_path_buf(),
            conn,
            plan: options.plan()?,
            _writer: Some(lock),
        };
        if let Some(recorded) = archive.recorded()? {
            archive.plan = with_recorded(options, &recorded)
                .ok_or_else(|| {
                    Error::file(&database, "the recorded options cannot be read".to_string())
                })?
                .plan()?;
        }
        archive.remove_unnamed_files()?;
        Ok(archive)
    }

    /// Opens the index in `dir` for reading, beside a writer if one is at
    /// work: what it reads is the index as of its last finished add.
    pub fn open_reader(dir: &Path, options: &ScanOptions) -> Result<Archive> {
        let database = dir.join(DATABASE);
        let not_index = || {
            Error::Usage(format!(
                "{}: not a storydup index (no {DATABASE}); create one with `storydup index {} INPUT...`",
                dir.display(),
                dir.display()
            ))
        };
        if !database.exists() {
            return Err(not_index());
        }
        let conn = Connection::open_with_flags(
            &database,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(db_error(dir))?;
        conn.execute_batch("PRAGMA cache_size=-65536; PRAGMA mmap_size=17179869184;")
            .map_err(db_error(dir))?;
        let mut archive = Archive {
            dir: dir.to_path_buf(),
            conn,
            plan: options.plan()?,
            _writer: None,
        };
        let recorded = archive.recorded()?.ok_or_else(not_index)?;
        archive.plan = with_recorded(options, &recorded)
            .ok_or_else(|| Error::file(&database, "the recorded options cannot be read"))?
            .plan()?;
        Ok(archive)
    }

    /// The rewrite options the index was created with, or `None` for an
    /// index not yet created (an empty folder).
    pub fn recorded(&self) -> Result<Option<serde_json::Map<String, serde_json::Value>>> {
        let fail = db_error(&self.dir);
        match meta(&self.conn, "format").map_err(&fail)? {
            None => return Ok(None),
            Some(format) if format != FORMAT => {
                return Err(Error::file(
                    self.dir.join(DATABASE),
                    format!(
                        "an index of another version of storydup ({format}; this one reads {FORMAT}): build a new one from the documents"
                    ),
                ));
            }
            Some(_) => {}
        }
        let Some(text) = meta(&self.conn, "options").map_err(&fail)? else {
            return Ok(None);
        };
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| Error::file(self.dir.join(DATABASE), format!("recorded options: {e}")))?;
        Ok(value.as_object().cloned())
    }

    pub fn options(&self) -> &Plan {
        &self.plan
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Documents in the index.
    pub fn len(&self) -> Result<u32> {
        count_docs(&self.conn).map_err(db_error(&self.dir))
    }

    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// Bytes the index folder takes on disk.
    pub fn disk_bytes(&self) -> u64 {
        std::fs::read_dir(&self.dir)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok()?.metadata().ok())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0)
    }

    /// Adds the documents `read` hands over: their ids must be new. They
    /// are matched against the index and each other, a chunk at a time, or
    /// the whole index is scanned again when `rescan` says; then they are
    /// streamed into the database, not held. All of it or none of it is
    /// committed.
    pub fn add(
        &mut self,
        read: impl FnOnce(&mut dyn FnMut(Document) -> Result<()>) -> Result<()>,
        rescan: Rescan,
        progress: &dyn Progress,
    ) -> Result<Added> {
        let added = self.add_in_transaction(read, rescan, progress);
        // Key files of a failed add are named by no transaction.
        self.remove_unnamed_files()?;
        added
    }

    /// [`Archive::add`] of documents in memory.
    pub fn add_documents(
        &mut self,
        documents: Vec<Document>,
        rescan: Rescan,
        progress: &dyn Progress,
    ) -> Result<Added> {
        self.add(
            |sink| documents.into_iter().try_for_each(sink),
            rescan,
            progress,
        )
    }

    fn add_in_transaction(
        &mut self,
        read: impl FnOnce(&mut dyn FnMut(Document) -> Result<()>) -> Result<()>,
        rescan: Rescan,
        progress: &dyn Progress,
    ) -> Result<Added> {
        if self._writer.is_none() {
            return Err(Error::Usage("this index was opened for reading".into()));
        }
        let dir = self.dir.clone();
        let plan = self.plan.clone();
        let fail = db_error(&dir);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&fail)?;
        tx.execute_batch(SCHEMA).map_err(&fail)?;
        if meta(&tx, "format").map_err(&fail)?.is_none() {
            set_meta(&tx, "format", FORMAT).map_err(&fail)?;
            let options = serde_json::Value::Object(rewrite_options(&plan)).to_string();
            set_meta(&tx, "options", &options).map_err(&fail)?;
            set_meta(&tx, "next_file", "0").map_err(&fail)?;
            set_meta(&tx, "statistics_documents", "0").map_err(&fail)?;
            set_meta(&tx, "rescanned_documents", "0").map_err(&fail)?;
        }
        let first = count_docs(&tx).map_err(&fail)?;
        let rescanned = meta_number(&tx, "rescanned_documents").map_err(&fail)?;
        // Whether an index of `total` documents must be rescanned, whatever
        // more the batch brings.
        let outgrown = |total: u64| {
            rescanned == 0
                || rescan.now
                || total as f64 > rescanned as f64 * (1.0 + rescan.after_growth)
                || total >= u32::MAX as u64
        };
        let mut added = Adding {
            tx: &tx,
            dir: &dir,
            plan: &plan,
            next: first,
            candidates: 0,
            stages: Vec::new(),
            written: Vec::new(),
        };
        // Documents read and not yet matched or stored: a chunk at most.
        let mut pending: Vec<Document> = Vec::new();
        let mut rescanning = outgrown(first as u64);
        read(&mut |doc| {
            pending.push(doc);
            let total = added.next as u64 + pending.len() as u64;
            rescanning = rescanning || outgrown(total);
            if rescanning && pending.len() >= crate::stages::BATCH_DOCS {
                added.store(std::mem::take(&mut pending), None)?;
            } else if !rescanning && pending.len() >= CHUNK_DOCS {
                added.match_chunk(std::mem::take(&mut pending))?;
            }
            Ok(())
        })?;
        let total = added.next as u64 + pending.len() as u64;
        let refreshed = rescanning || total <= rescan.up_to;
        if total == 0 {
            // Nothing indexed and nothing to index.
        } else if refreshed {
            added.store(pending, None)?;
            let clock = std::time::Instant::now();
            added
                .written
                .extend(matching::rebuild(&tx, &dir, &plan, progress)?);
            added.stages.push(("rescan", clock.elapsed()));
        } else if !pending.is_empty() {
            added.match_chunk(pending)?;
        }
        let Adding {
            candidates,
            mut stages,
            written,
            ..
        } = added;
        if let Some(seconds) = std::env::var(PAUSE_BEFORE_COMMIT)
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
        {
            eprintln!("storydup: pausing {seconds} s before the commit ({PAUSE_BEFORE_COMMIT})");
            std::thread::sleep(std::time::Duration::from_secs_f64(seconds));
        }
        let clock = std::time::Instant::now();
        sync_dir(&dir)?;
        tx.commit().map_err(&fail)?;
        stages.push(("commit", clock.elapsed()));
        drop(written);
        let pairs = reports::pairs_from(&self.conn, &dir, first)?;
        // One entry a stage, over every chunk.
        let mut summed: Vec<(&'static str, std::time::Duration)> = Vec::new();
        for (name, took) in stages {
            match summed.iter_mut().find(|s| s.0 == name) {
                Some(s) => s.1 += took,
                None => summed.push((name, took)),
            }
        }
        let stages = summed;
        Ok(Added {
            documents: (total - first as u64) as usize,
            first,
            pairs,
            refreshed,
            candidates,
            stages,
        })
    }

    /// The pairs `documents` would make with the index and with each other,
    /// without adding them. Their ids must not be in the index.
    pub fn query(&self, documents: &[Document]) -> Result<Vec<IndexedPair>> {
        let dir = &self.dir;
        let fail = db_error(dir);
        // One read transaction: every lookup sees the same index.
        let tx = self.conn.unchecked_transaction().map_err(&fail)?;
        if meta(&tx, "format").map_err(&fail)?.is_none() {
            return Err(Error::Usage(format!(
                "{}: the index is empty",
                dir.display()
            )));
        }
        check_new_ids(&tx, dir, documents, true)?;
        let first = count_docs(&tx).map_err(&fail)?;
        let state = State::load(&tx, dir)?;
        let view = state.view(&tx, dir, &self.plan)?;
        let matched = matching::match_batch(&view, documents, first)?;
        let query_ids: Vec<&str> = documents.iter().map(|d| d.id.as_str()).collect();
        let mut out = Vec::new();
        for &(a, b, evidence) in &matched.pairs {
            let id = |d: u32| -> Result<String> {
                if d >= first {
                    Ok(query_ids[(d - first) as usize].to_string())
                } else {
                    reports::id_of(&tx, dir, d)
                }
            };
            out.push(IndexedPair {
                a: id(a)?,
                b: id(b)?,
                evidence,
            });
        }
        out.sort_by(|x, y| (&x.a, &x.b).cmp(&(&y.a, &y.b)));
        Ok(out)
    }

    /// Writes `pairs.csv` and `clusters.csv` of the whole index into `out`,
    /// or with `new_from`, only the pairs holding a document numbered from
    /// it on and the clusters holding one; returns the reports' paths.
    pub fn write_reports(
        &self,
        out: &Path,
        new_from: Option<u32>,
        format: crate::report::ReportFormat,
    ) -> Result<Vec<PathBuf>> {
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(db_error(&self.dir))?;
        reports::write(&tx, &self.dir, &self.plan, out, new_from, format)
    }

    /// Removes key files no committed add names: left by a killed add, or
    /// merged away. Only the writer does this.
    fn remove_unnamed_files(&self) -> Result<()> {
        if self._writer.is_none() {
            return Ok(());
        }
        let named = named_files(&self.conn).map_err(db_error(&self.dir))?;
        let entries = std::fs::read_dir(&self.dir)
            .map_err(|e| Error::file(&self.dir, format!("cannot read the folder: {e}")))?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            let ours =
                (name.starts_with("keys-") || name.starts_with("terms-")) && name.ends_with(".bin");
            if ours && !named.contains(&name) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        Ok(())
    }
}

/// Documents an add matches at once: what it holds in memory (their tokens
/// and features) whatever the size of the batch. A later chunk sees an
/// earlier one as indexed.
const CHUNK_DOCS: usize = if cfg!(test) { 1 } else { 20_000 };

/// An add in progress, inside its transaction.
struct Adding<'a> {
    tx: &'a Connection,
    dir: &'a Path,
    plan: &'a Plan,
    /// The number the next document stored gets.
    next: u32,
    candidates: usize,
    stages: Vec<(&'static str, std::time::Duration)>,
    written: Vec<PathBuf>,
}

impl Adding<'_> {
    /// Stores `documents` (ids checked) with what matching made of them,
    /// or nothing yet for a rescan to fill in.
    fn store(
        &mut self,
        documents: Vec<Document>,
        signed: Option<(&[u64], &[Vec<u8>])>,
    ) -> Result<()> {
        check_new_ids(self.tx, self.dir, &documents, false)?;
        insert_docs(self.tx, self.dir, self.next, &documents, signed)?;
        self.next += documents.len() as u32;
        Ok(())
    }

    /// Matches `documents` against the index (with the chunks stored before
    /// them) and stores them, their pairs, keys and term counts.
    fn match_chunk(&mut self, documents: Vec<Document>) -> Result<()> {
        let (tx, dir) = (self.tx, self.dir);
        check_new_ids(tx, dir, &documents, false)?;
        let state = State::load(tx, dir)?;
        let view = state.view(tx, dir, self.plan)?;
        let matched = matching::match_batch(&view, &documents, self.next)?;
        self.candidates += matched.candidates;
        self.stages.extend(matched.stages.iter().copied());
        let clock = std::time::Instant::now();
        let count = documents.len() as u64;
        self.store(documents, Some((&matched.simhashes, &matched.tokens)))?;
        insert_pairs(tx, dir, &matched.pairs)?;
        self.written
            .push(add_file(tx, dir, Kind::Keys, matched.keys)?);
        self.written
            .push(add_file(tx, dir, Kind::Terms, matched.terms)?);
        let fail = db_error(dir);
        let counted = meta_number(tx, "statistics_documents").map_err(&fail)?;
        set_meta(tx, "statistics_documents", &(counted + count).to_string()).map_err(&fail)?;
        self.written.extend(compact(tx, dir, Kind::Keys)?);
        self.written.extend(compact(tx, dir, Kind::Terms)?);
        self.stages.push(("write", clock.elapsed()));
        Ok(())
    }
}

/// The lock that makes one writer at a time: an advisory `flock` the
/// kernel releases however the process ends, so a killed add leaves none.
fn lock_writer(dir: &Path) -> Result<File> {
    let path = dir.join(LOCK_FILE);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::file(&path, format!("cannot open the writer's lock: {e}")))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::file(
            dir,
            "another storydup is adding to this index (one writer at a time); try again when it has finished, or use --query, which reads beside it",
        )),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(Error::file(&path, format!("cannot lock the index: {e}")))
        }
    }
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::file(dir, format!("cannot sync the index folder: {e}")))
}

fn meta(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    let exists: bool = conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE name = 'meta'",
        [],
        |r| r.get::<_, i64>(0).map(|n| n > 0),
    )?;
    if !exists {
        return Ok(None);
    }
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()
}

fn meta_number(conn: &Connection, key: &str) -> rusqlite::Result<u64> {
    Ok(meta(conn, key)?.and_then(|v| v.parse().ok()).unwrap_or(0))
}

fn set_meta(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO meta(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2",
        params![key, value],
    )
    .map(|_| ())
}

fn count_docs(conn: &Connection) -> rusqlite::Result<u32> {
    if meta(conn, "format")?.is_none() {
        return Ok(0);
    }
    // Documents are numbered 0, 1, ... with no gaps: the last number is a
    // lookup in the table's tree, where count(*) reads the whole table.
    conn.query_row("SELECT coalesce(max(doc), -1) + 1 FROM docs", [], |r| {
        r.get::<_, i64>(0)
    })
    .map(|n| n as u32)
}

fn named_files(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    if meta(conn, "format")?.is_none() {
        return Ok(Vec::new());
    }
    let names: Vec<String> = conn
        .prepare("SELECT name FROM key_files")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(names)
}

/// A new name for a key file, counted in the transaction.
fn next_file(conn: &Connection, dir: &Path, prefix: &str) -> Result<(String, PathBuf)> {
    let fail = db_error(dir);
    let n: u64 = meta(conn, "next_file")
        .map_err(&fail)?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    set_meta(conn, "next_file", &(n + 1).to_string()).map_err(&fail)?;
    let name = format!("{prefix}-{n}.bin");
    let path = dir.join(&name);
    // Left by an add that was killed before it committed.
    let _ = std::fs::remove_file(&path);
    Ok((name, path))
}

/// Rejects an id already in the index or twice in `documents`, naming both
/// places; nothing is added.
fn check_new_ids(conn: &Connection, dir: &Path, documents: &[Document], query: bool) -> Result<()> {
    let mut seen: HashMap<&str, &Origin> = HashMap::with_capacity(documents.len());
    for d in documents {
        if let Some(first) = seen.insert(&d.id, &d.origin) {
            return Err(Error::DuplicateId {
                id: d.id.clone(),
                first: first.clone(),
                second: d.origin.clone(),
            });
        }
    }
    if meta(conn, "format").map_err(db_error(dir))?.is_none() {
        return Ok(());
    }
    let mut find = conn
        .prepare_cached("SELECT path, line FROM docs WHERE id = ?1")
        .map_err(db_error(dir))?;
    for d in documents {
        let found = find
            .query_row([&d.id], |r| {
                Ok(Origin {
                    path: r.get(0)?,
                    line: r.get::<_, i64>(1)? as u64,
                })
            })
            .optional()
            .map_err(db_error(dir))?;
        if let Some(indexed) = found {
            let what = if query {
                "; its pairs are in the index's reports (--out), or query it under another id"
            } else {
                "; nothing was added"
            };
            return Err(Error::Usage(format!(
                "document id {:?} at {} is already in the index {} (added from {}){what}",
                d.id,
                d.origin,
                dir.display(),
                indexed
            )));
        }
    }
    Ok(())
}

/// Inserts `documents` numbered from `first`, with their SimHashes and
/// encoded tokens when matching made them (a refresh fills them in).
fn insert_docs(
    conn: &Connection,
    dir: &Path,
    first: u32,
    documents: &[Document],
    signed: Option<(&[u64], &[Vec<u8>])>,
) -> Result<()> {
    use rayon::prelude::*;
    let compressed: Vec<Vec<u8>> = documents
        .par_iter()
        .map(|d| zstd::bulk::compress(d.text.as_bytes(), 1))
        .collect::<std::io::Result<_>>()
        .map_err(|e| Error::file(dir, format!("cannot compress a text: {e}")))?;
    let fail = db_error(dir);
    let mut insert = conn
        .prepare_cached(
            "INSERT INTO docs(doc, id, path, line, length, simhash) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .map_err(&fail)?;
    let mut content = conn
        .prepare_cached("INSERT INTO contents(doc, text, tokens) VALUES(?1, ?2, ?3)")
        .map_err(&fail)?;
    for (i, (d, text)) in documents.iter().zip(&compressed).enumerate() {
        let doc = first as i64 + i as i64;
        let simhash = signed.map_or(0, |s| s.0[i]);
        let tokens: &[u8] = signed.map_or(&[], |s| &s.1[i]);
        insert
            .execute(params![
                doc,
                d.id,
                d.origin.path,
                d.origin.line as i64,
                d.text.len() as i64,
                simhash as i64
            ])
            .map_err(&fail)?;
        content.execute(params![doc, text, tokens]).map_err(&fail)?;
    }
    Ok(())
}

/// A document's tokens as stored: building features from them skips the
/// Unicode segmentation, most of the cost of building them from the text.
/// Counts, then each token's word and term (0 for none: term ids are
/// never 0, [`crate::hash::term_id`]), then each sentence's range;
/// little-endian, compressed with zstd.
pub(crate) fn encode_tokens(tokens: &crate::text::Tokens) -> Vec<u8> {
    let mut raw = Vec::with_capacity(8 + tokens.tokens.len() * 8 + tokens.sentences.len() * 8);
    raw.extend_from_slice(&(tokens.tokens.len() as u32).to_le_bytes());
    raw.extend_from_slice(&(tokens.sentences.len() as u32).to_le_bytes());
    for t in &tokens.tokens {
        raw.extend_from_slice(&t.word.to_le_bytes());
        raw.extend_from_slice(&t.term.unwrap_or(0).to_le_bytes());
    }
    for s in &tokens.sentences {
        raw.extend_from_slice(&s.start.to_le_bytes());
        raw.extend_from_slice(&s.end.to_le_bytes());
    }
    zstd::bulk::compress(&raw, 1).unwrap_or_default()
}

pub(crate) fn decode_tokens(blob: &[u8]) -> Option<crate::text::Tokens> {
    let size = zstd::zstd_safe::get_frame_content_size(blob).ok()??;
    let raw = zstd::bulk::decompress(blob, usize::try_from(size).ok()?).ok()?;
    let u32_at = |i: usize| Some(u32::from_le_bytes(raw.get(i..i + 4)?.try_into().ok()?));
    let (n, m) = (u32_at(0)? as usize, u32_at(4)? as usize);
    if raw.len() != 8 + 8 * n + 8 * m {
        return None;
    }
    let tokens = (0..n)
        .map(|i| {
            let term = u32_at(12 + 8 * i)?;
            Some(crate::text::Token {
                word: u32_at(8 + 8 * i)?,
                term: (term != 0).then_some(term),
            })
        })
        .collect::<Option<_>>()?;
    let at = 8 + 8 * n;
    let sentences = (0..m)
        .map(|i| Some(u32_at(at + 8 * i)?..u32_at(at + 8 * i + 4)?))
        .collect::<Option<_>>()?;
    Some(crate::text::Tokens { tokens, sentences })
}

fn evidence_bytes(e: &Evidence) -> Vec<u8> {
    e.columns()
        .iter()
        .flat_map(|(_, v)| v.as_f64().to_le_bytes())
        .collect()
}

fn evidence_from(bytes: &[u8]) -> Option<Evidence> {
    if bytes.len() != 8 * COLUMNS {
        return None;
    }
    let mut values = [0f64; COLUMNS];
    for (i, v) in values.iter_mut().enumerate() {
        *v = f64::from_le_bytes(bytes[8 * i..8 * i + 8].try_into().ok()?);
    }
    Some(Evidence::from_columns(values))
}

fn insert_pairs(conn: &Connection, dir: &Path, pairs: &[(u32, u32, Evidence)]) -> Result<()> {
    let mut insert = conn
        .prepare_cached("INSERT OR REPLACE INTO pairs(a, b, evidence) VALUES(?1, ?2, ?3)")
        .map_err(db_error(dir))?;
    for (a, b, e) in pairs {
        insert
            .execute(params![*a as i64, *b as i64, evidence_bytes(e)])
            .map_err(db_error(dir))?;
    }
    Ok(())
}

/// What a file beside the database holds.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// (tagged key, document): the documents holding each key.
    Keys,
    /// (term, documents): how many documents of one add hold each term;
    /// a term's count in the index is its counts' sum.
    Terms,
}

impl Kind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Keys => "keys",
            Kind::Terms => "terms",
        }
    }
}

/// A new file of `records`, named in the database after the others of its
/// kind.
pub(crate) fn add_file(
    conn: &Connection,
    dir: &Path,
    kind: Kind,
    mut records: Vec<(u64, u32)>,
) -> Result<PathBuf> {
    records.sort_unstable();
    records.dedup();
    let (name, path) = next_file(conn, dir, kind.name())?;
    let written =
        KeyFile::write(&path, records.into_iter().map(Ok)).map_err(|e| file_error(&path, e))?;
    name_file(conn, dir, kind, &name, written)?;
    Ok(path)
}

pub(crate) fn name_file(
    conn: &Connection,
    dir: &Path,
    kind: Kind,
    name: &str,
    records: u64,
) -> Result<()> {
    let fail = db_error(dir);
    let position: i64 = conn
        .query_row(
            "SELECT coalesce(max(position), -1) + 1 FROM key_files",
            [],
            |r| r.get(0),
        )
        .map_err(&fail)?;
    conn.execute(
        "INSERT INTO key_files(name, kind, position, records) VALUES(?1, ?2, ?3, ?4)",
        params![name, kind.name(), position, records as i64],
    )
    .map_err(&fail)?;
    Ok(())
}

/// Merges the newest files of `kind` while the one before is at most twice
/// the newest: sizes then fall by half or more from the oldest, so a lookup
/// reads a number of files that grows with the log of the index's size.
fn compact(conn: &Connection, dir: &Path, kind: Kind) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    loop {
        let files = file_list(conn, dir, kind)?;
        let n = files.len();
        if n < 2 || files[n - 2].2 > 2 * files[n - 1].2 {
            return Ok(written);
        }
        let (older, newer) = (&files[n - 2], &files[n - 1]);
        let open = |name: &str| {
            let path = dir.join(name);
            KeyFile::open(&path).map_err(|e| file_error(&path, e))
        };
        let (a, b) = (open(&older.0)?, open(&newer.0)?);
        let (name, path) = next_file(conn, dir, kind.name())?;
        let both = [&a, &b];
        let merged = files::merged(&both);
        let records = match kind {
            Kind::Keys => KeyFile::write(&path, merged.map(Ok)),
            Kind::Terms => KeyFile::write(&path, files::summed(merged).map(Ok)),
        }
        .map_err(|e| file_error(&path, e))?;
        written.push(path);
        let fail = db_error(dir);
        conn.execute(
            "DELETE FROM key_files WHERE name IN (?1, ?2)",
            params![older.0, newer.0],
        )
        .map_err(&fail)?;
        conn.execute(
            "INSERT INTO key_files(name, kind, position, records) VALUES(?1, ?2, ?3, ?4)",
            params![name, kind.name(), older.1, records as i64],
        )
        .map_err(&fail)?;
    }
}

/// Files of `kind` oldest first: (name, position, records).
fn file_list(conn: &Connection, dir: &Path, kind: Kind) -> Result<Vec<(String, i64, u64)>> {
    let fail = db_error(dir);
    let mut stmt = conn
        .prepare("SELECT name, position, records FROM key_files WHERE kind = ?1 ORDER BY position")
        .map_err(&fail)?;
    stmt.query_map([kind.name()], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as u64))
    })
    .map_err(&fail)?
    .collect::<rusqlite::Result<_>>()
    .map_err(&fail)
}

/// What matching reads of the index, loaded once per add or query.
pub(crate) struct State {
    files: Vec<KeyFile>,
    terms: Vec<KeyFile>,
    boilerplate: rustc_hash::FxHashSet<u64>,
    documents: u64,
}

impl State {
    fn load(conn: &Connection, dir: &Path) -> Result<State> {
        let fail = db_error(dir);
        if meta(conn, "format").map_err(&fail)?.is_none() {
            return Ok(State {
                files: Vec::new(),
                terms: Vec::new(),
                boilerplate: Default::default(),
                documents: 0,
            });
        }
        let open = |name: &str| {
            let path = dir.join(name);
            KeyFile::open(&path).map_err(|e| file_error(&path, e))
        };
        let files = file_list(conn, dir, Kind::Keys)?
            .iter()
            .map(|(name, _, _)| open(name))
            .collect::<Result<_>>()?;
        let terms = file_list(conn, dir, Kind::Terms)?
            .iter()
            .map(|(name, _, _)| open(name))
            .collect::<Result<_>>()?;
        let boilerplate = conn
            .prepare("SELECT fingerprint FROM boilerplate")
            .map_err(&fail)?
            .query_map([], |r| r.get::<_, i64>(0).map(|h| h as u64))
            .map_err(&fail)?
            .collect::<rusqlite::Result<_>>()
            .map_err(&fail)?;
        let documents = meta(conn, "statistics_documents")
            .map_err(&fail)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        Ok(State {
            files,
            terms,
            boilerplate,
            documents,
        })
    }

    fn view<'a>(
        &'a self,
        conn: &'a Connection,
        dir: &'a Path,
        plan: &'a Plan,
    ) -> Result<matching::View<'a>> {
        Ok(matching::View {
            conn,
            dir,
            plan,
            state: self,
        })
    }

    /// Statistics for `documents`, with `batch`'s counts on top of the
    /// index's: just their terms' counts, so a query reads a few pages of
    /// the term files, or for a large batch the whole files, which is
    /// quicker than finding its many terms.
    pub(crate) fn corpus_for(
        &self,
        documents: &[crate::text::Tokens],
        batch: &Batch,
    ) -> crate::corpus::Corpus {
        let words: usize = documents.iter().map(|d| d.tokens.len()).sum();
        let indexed: usize = self.terms.iter().map(KeyFile::len).sum();
        if words > indexed / 4 {
            return self.corpus(batch);
        }
        let mut terms: Vec<u32> = documents
            .iter()
            .flat_map(|d| d.tokens.iter().filter_map(|t| t.term))
            .collect();
        terms.sort_unstable();
        terms.dedup();
        let df = terms
            .iter()
            .filter_map(|&t| {
                let n = self
                    .terms
                    .iter()
                    .filter_map(|f| f.get(t as u64))
                    .sum::<u32>()
                    + batch.df.get(&t).copied().unwrap_or(0);
                (n > 0).then_some((t, n))
            })
            .collect();
        crate::corpus::Corpus::new(
            self.boilerplate.clone(),
            df,
            self.documents + batch.documents,
        )
    }

    /// Statistics for any document of the index, with `batch`'s counts.
    pub(crate) fn corpus(&self, batch: &Batch) -> crate::corpus::Corpus {
        let mut df: rustc_hash::FxHashMap<u32, u32> = batch.df.clone();
        for file in &self.terms {
            for (t, n) in file.iter() {
                *df.entry(t as u32).or_default() += n;
            }
        }
        let mut corpus = crate::corpus::Corpus::new(
            self.boilerplate.clone(),
            df,
            self.documents + batch.documents,
        );
        corpus.whole = true;
        corpus
    }
}

/// The counts of a batch being added, on top of the index's.
#[derive(Default)]
pub(crate) struct Batch {
    pub(crate) df: rustc_hash::FxHashMap<u32, u32>,
    pub(crate) documents: u64,
}

impl Batch {
    pub(crate) fn of(
        documents: &[crate::text::Tokens],
        boilerplate: &rustc_hash::FxHashSet<u64>,
    ) -> Batch {
        use rayon::prelude::*;
        let terms: Vec<Vec<u64>> = documents
            .par_iter()
            .map(|t| {
                crate::corpus::content_terms(&crate::corpus::segmented(t.clone()), boilerplate)
            })
            .collect();
        let mut df = rustc_hash::FxHashMap::default();
        for t in terms.into_iter().flatten() {
            *df.entry(t as u32).or_default() += 1;
        }
        Batch {
            df,
            documents: documents.len() as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_survive_the_trip_through_their_stored_form() {
        let text = "Mayor Anna Kowalski opened the bridge on Tuesday. \"It is ours,\" she said.\n\nTraffic was light.";
        let tokens = crate::text::tokenize(text);
        let back = decode_tokens(&encode_tokens(&tokens)).unwrap();
        assert_eq!(back.tokens, tokens.tokens);
        assert_eq!(back.sentences, tokens.sentences);
        assert!(
            tokens.tokens.iter().any(|t| t.term.is_none()),
            "stop words kept"
        );
        let empty = crate::text::Tokens::default();
        assert!(
            decode_tokens(&encode_tokens(&empty))
                .unwrap()
                .tokens
                .is_empty()
        );
        let mut cut = encode_tokens(&tokens);
        cut.truncate(cut.len() / 2);
        assert!(decode_tokens(&cut).is_none());
    }

    /// The seed articles as documents, by file name.
    fn seeds(which: &[usize]) -> Vec<Document> {
        let mut paths: Vec<_> = std::fs::read_dir("data/seeds")
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        paths.sort();
        which
            .iter()
            .map(|&i| Document {
                id: paths[i].file_name().unwrap().to_string_lossy().into(),
                text: std::fs::read_to_string(&paths[i]).unwrap(),
                origin: Origin {
                    path: paths[i].display().to_string(),
                    line: 0,
                },
                raw: None,
            })
            .collect()
    }

    #[test]
    fn a_batch_matched_a_chunk_at_a_time_finds_its_rewrite() {
        // Under test a chunk is one document: 001 is matched alone against
        // the index, then 003 against the index and 001.
        let dir = tempfile::tempdir().unwrap();
        let options = ScanOptions::default();
        let mut archive = Archive::open_writer(dir.path(), &options).unwrap();
        let silent = &crate::scan::Silent;
        let built = archive
            .add_documents(seeds(&[0, 2, 4]), Rescan::default(), silent)
            .unwrap();
        assert!(built.refreshed && built.pairs.is_empty());
        let incremental = Rescan {
            now: false,
            after_growth: 100.0,
            up_to: 0,
        };
        let added = archive
            .add_documents(seeds(&[1, 3]), incremental, silent)
            .unwrap();
        assert!(!added.refreshed);
        assert_eq!(added.stages.iter().filter(|s| s.0 == "sign").count(), 1);
        assert_eq!(added.candidates, 1, "001 with 000; 003 finds none");
        let pairs: Vec<(&str, &str)> = added
            .pairs
            .iter()
            .map(|p| (p.a.as_str(), p.b.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [("000_6d5f35eb97f0d708.txt", "001_a6a27bf682eca62c.txt")]
        );
        assert_eq!(archive.len().unwrap(), 5);
        // An id of the batch's first chunk, again in a later one.
        let again = seeds(&[4]).into_iter().map(|mut d| {
            d.id = "new".into();
            d
        });
        let twice: Vec<Document> = again.clone().chain(again).collect();
        let refused = archive.add_documents(twice, incremental, silent);
        assert!(refused.is_err(), "{refused:?}");
        assert_eq!(archive.len().unwrap(), 5, "nothing added");
    }

    #[test]
    fn recorded_options_give_back_the_options() {
        let options = ScanOptions {
            shingle_size: 4,
            banding: Some(crate::sketch::Banding { bands: 20, rows: 3 }),
            chain_support: 0.7,
            ..ScanOptions::default()
        };
        let back = with_recorded(&ScanOptions::default(), &rewrite_options(&options)).unwrap();
        assert_eq!(rewrite_options(&back), rewrite_options(&options));
        assert_ne!(
            rewrite_options(&back),
            rewrite_options(&ScanOptions::default())
        );
    }
}
