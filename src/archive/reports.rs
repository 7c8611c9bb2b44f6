//! An index's reports: its pairs, and the clusters the scan's chain guard
//! makes of them, in `scan`'s formats.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use rusqlite::Connection;
use rustc_hash::FxHashMap as HashMap;

use super::matching::bad_tokens;
use super::{State, db_error, evidence_from};
use crate::error::{Error, Result};
use crate::ids::Ids;
use crate::report::{self, ReportFormat};
use crate::scan::Plan;
use crate::types::ScoredPair;
use crate::verify::{Evidence, Features};

/// A verified pair by ids, `a`'s sorting first.
#[derive(Clone, Debug)]
pub struct IndexedPair {
    pub a: String,
    pub b: String,
    pub evidence: Evidence,
}

pub(crate) fn id_of(conn: &Connection, dir: &Path, doc: u32) -> Result<String> {
    conn.prepare_cached("SELECT id FROM docs WHERE doc = ?1")
        .and_then(|mut s| s.query_row([doc as i64], |r| r.get(0)))
        .map_err(db_error(dir))
}

fn bad_evidence(dir: &Path) -> Error {
    Error::file(
        dir.join(super::DATABASE),
        "a stored pair's evidence is damaged",
    )
}

/// The pairs holding a document numbered `first` or later, by ids.
pub(crate) fn pairs_from(conn: &Connection, dir: &Path, first: u32) -> Result<Vec<IndexedPair>> {
    let fail = db_error(dir);
    let mut stmt = conn
        .prepare(
            "SELECT x.id, y.id, p.evidence FROM pairs p JOIN docs x ON x.doc = p.a JOIN docs y ON y.doc = p.b
             WHERE p.a >= ?1 OR p.b >= ?1",
        )
        .map_err(&fail)?;
    let mut rows = stmt.query([first as i64]).map_err(&fail)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(&fail)? {
        let bytes: Vec<u8> = row.get(2).map_err(&fail)?;
        out.push(IndexedPair {
            a: row.get(0).map_err(&fail)?,
            b: row.get(1).map_err(&fail)?,
            evidence: evidence_from(&bytes).ok_or_else(|| bad_evidence(dir))?,
        });
    }
    out.sort_by(|x, y| (&x.a, &x.b).cmp(&(&y.a, &y.b)));
    Ok(out)
}

/// Writes `pairs.csv` and `clusters.csv` of the index (or of the documents
/// numbered from `new_from` on) into `out`, put in place together.
pub(crate) fn write(
    conn: &Connection,
    dir: &Path,
    plan: &Plan,
    out: &Path,
    new_from: Option<u32>,
    format: ReportFormat,
) -> Result<Vec<PathBuf>> {
    let fail = db_error(dir);
    let mut ids = Ids::default();
    {
        let mut stmt = conn
            .prepare("SELECT id FROM docs ORDER BY doc")
            .map_err(&fail)?;
        let mut rows = stmt.query([]).map_err(&fail)?;
        while let Some(row) = rows.next().map_err(&fail)? {
            ids.push(&row.get::<_, String>(0).map_err(&fail)?);
        }
    }
    let ranks = ids.ranks();
    let mut pairs: Vec<ScoredPair> = Vec::new();
    {
        let mut stmt = conn
            .prepare("SELECT a, b, evidence FROM pairs")
            .map_err(&fail)?;
        let mut rows = stmt.query([]).map_err(&fail)?;
        while let Some(row) = rows.next().map_err(&fail)? {
            let bytes: Vec<u8> = row.get(2).map_err(&fail)?;
            pairs.push(ScoredPair {
                a: row.get::<_, i64>(0).map_err(&fail)? as u32,
                b: row.get::<_, i64>(1).map_err(&fail)? as u32,
                evidence: evidence_from(&bytes).ok_or_else(|| bad_evidence(dir))?,
            });
        }
    }
    let rank_key = |p: &ScoredPair| (ranks[p.a as usize] as u64) << 32 | ranks[p.b as usize] as u64;
    pairs.sort_unstable_by_key(rank_key);

    // Strongest first, ties in report order: the scan's clustering order.
    let mut edges: Vec<(u64, u64, u32, u32)> = pairs
        .iter()
        .map(|p| (u64::MAX - p.evidence.score.to_bits(), rank_key(p), p.a, p.b))
        .collect();
    edges.sort_unstable();
    let state = State::load(conn, dir)?;
    let corpus = state.corpus(&super::Batch::default());
    let cache: RefCell<HashMap<u32, Rc<Features>>> = RefCell::default();
    let error: RefCell<Option<Error>> = RefCell::default();
    let features = |d: u32| -> Option<Rc<Features>> {
        if let Some(f) = cache.borrow().get(&d) {
            return Some(f.clone());
        }
        let built = (|| -> Result<Features> {
            let blob: Vec<u8> = conn
                .prepare_cached("SELECT tokens FROM contents WHERE doc = ?1")
                .and_then(|mut s| s.query_row([d as i64], |r| r.get(0)))
                .map_err(db_error(dir))?;
            let tokens = super::decode_tokens(&blob).ok_or_else(|| bad_tokens(dir))?;
            Ok(corpus.features(tokens, plan.shingle_size))
        })();
        match built {
            Ok(f) => {
                let f = Rc::new(f);
                let mut cache = cache.borrow_mut();
                if cache.len() >= 4096 {
                    cache.clear();
                }
                cache.insert(d, f.clone());
                Some(f)
            }
            Err(e) => {
                error.borrow_mut().get_or_insert(e);
                None
            }
        }
    };
    let guard = crate::cluster::ChainGuard {
        sample: plan.chain_sample,
        min_support: plan.chain_support,
        supports: |x: u32, y: u32| {
            let (Some(fx), Some(fy)) = (features(x), features(y)) else {
                return false;
            };
            crate::steps::supports(&fx, &fy, plan)
        },
    };
    let mut sets =
        crate::cluster::guarded_union(ids.len(), edges.iter().map(|e| (e.2, e.3)), &guard);
    if let Some(e) = error.borrow_mut().take() {
        return Err(e);
    }
    let mut clusters = crate::cluster::groups(
        &mut sets,
        |x, y| ranks[x as usize].cmp(&ranks[y as usize]),
        false,
    );
    if let Some(first) = new_from {
        pairs.retain(|p| p.a >= first || p.b >= first);
        clusters.retain(|c| c.iter().any(|&d| d >= first));
    }
    let staged = report::write_reports(&ids, pairs.into_iter().map(Ok), &clusters, out, format)?;
    report::commit(staged, out)
}
