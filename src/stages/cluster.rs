//! Clustering: verified pairs joined strongest first behind the chain
//! guard.

use rustc_hash::FxHashMap as HashMap;
use std::io;

use super::verify::{Kept, Known};
use super::{Run, Ticker};
use crate::error::Result;
use crate::records::Edge;
use crate::spill::Sorted;
use crate::steps;
use crate::verify::Features;

/// Clusters along the edges, strongest first, behind the chain guard,
/// which checks pairs of earlier members: their features come from the
/// store through a small cache.
pub(crate) fn cluster(
    edges: Sorted<Edge>,
    known: &Known,
    kept: &Kept,
    run: &Run,
) -> Result<Vec<Vec<u32>>> {
    let options = run.options;
    let (stored, ranks) = (known.stored, known.ranks);
    let cache = FeatureCache::new(known, kept, options.shingle_size);
    let guard = crate::cluster::ChainGuard {
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
    let mut sets = crate::cluster::guarded_union(stored.ids.len(), edges, &guard);
    drop(ticks);
    if let Some(e) = edge_error.take().or_else(|| cache.error()) {
        return Err(run.fail(e));
    }
    let clusters = crate::cluster::groups(
        &mut sets,
        |x, y| ranks[x as usize].cmp(&ranks[y as usize]),
        options.keep_singletons,
    );
    Ok(clusters)
}

/// Features kept by verification or in the cache.
pub(crate) enum Held<'a> {
    Kept(&'a Features),
    Cached(std::rc::Rc<Features>),
}

impl std::ops::Deref for Held<'_> {
    type Target = Features;
    fn deref(&self) -> &Features {
        match self {
            Held::Kept(f) => f,
            Held::Cached(f) => f,
        }
    }
}

/// Features of recently used documents for the chain guard; cleared when
/// full, which keeps it bounded and costs little (the guard's checks
/// cluster around the groups being merged).
pub(crate) struct FeatureCache<'a> {
    pub(crate) known: &'a Known<'a>,
    pub(crate) kept: &'a Kept,
    pub(crate) shingle_size: usize,
    pub(crate) cached: std::cell::RefCell<HashMap<u32, std::rc::Rc<Features>>>,
    pub(crate) error: std::cell::RefCell<Option<io::Error>>,
}

pub(crate) const FEATURE_CACHE_DOCS: usize = 4096;

impl<'a> FeatureCache<'a> {
    pub(crate) fn new(known: &'a Known<'a>, kept: &'a Kept, shingle_size: usize) -> Self {
        FeatureCache {
            known,
            kept,
            shingle_size,
            cached: Default::default(),
            error: Default::default(),
        }
    }

    /// `None` after a read error, which [`Self::error`] then returns.
    pub(crate) fn get(&self, doc: u32) -> Option<Held<'a>> {
        if let Some(f) = self.kept.get(doc) {
            return Some(Held::Kept(f));
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

    pub(crate) fn error(&self) -> Option<io::Error> {
        self.error.borrow_mut().take()
    }
}
