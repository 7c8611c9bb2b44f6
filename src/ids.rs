//! Document ids: kept in one buffer, ranked for report order, and checked
//! for duplicates as they stream in.

use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;

use crate::error::{Error, Result};
use crate::input::Document;

/// Document ids in input order, in one buffer: at tens of millions of
/// documents a `String` each would cost more than the ids themselves.
#[derive(Clone, Debug, Default)]
pub struct Ids {
    text: String,
    ends: Vec<usize>,
}

impl Ids {
    pub fn push(&mut self, id: &str) {
        self.text.push_str(id);
        self.ends.push(self.text.len());
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn get(&self, doc: u32) -> &str {
        let i = doc as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }

    pub fn to_vec(&self) -> Vec<String> {
        (0..self.len() as u32)
            .map(|d| self.get(d).to_string())
            .collect()
    }

    /// Each document's position in id order: reports are sorted by id, and
    /// comparing two ranks is cheaper than comparing two strings.
    pub fn ranks(&self) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.len() as u32).collect();
        order.par_sort_unstable_by(|&x, &y| self.get(x).cmp(self.get(y)));
        let mut ranks = vec![0u32; order.len()];
        for (rank, &doc) in order.iter().enumerate() {
            ranks[doc as usize] = rank as u32;
        }
        ranks
    }
}

/// Rejects a second document with an id already seen, naming both places.
#[derive(Default)]
pub(crate) struct IdCheck {
    /// First document of each id hash.
    first: HashMap<u64, u32>,
    /// Ids whose hash another id already took (rare): checked by value.
    collided: std::collections::HashMap<String, u32>,
    /// Where each document came from: an index into `paths`, and its line.
    origins: Vec<(u32, u64)>,
    paths: Vec<String>,
}

impl IdCheck {
    pub(crate) fn check(&mut self, ids: &Ids, doc: &Document) -> Result<()> {
        let next = ids.len() as u32;
        if self.paths.last() != Some(&doc.origin.path) {
            self.paths.push(doc.origin.path.clone());
        }
        let origin = ((self.paths.len() - 1) as u32, doc.origin.line);
        let hash = crate::hash::hash_bytes(doc.id.as_bytes());
        let first = match self.first.entry(hash) {
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(next);
                self.origins.push(origin);
                return Ok(());
            }
            std::collections::hash_map::Entry::Occupied(slot) => *slot.get(),
        };
        let first = if ids.get(first) == doc.id {
            first
        } else {
            match self.collided.entry(doc.id.clone()) {
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(next);
                    self.origins.push(origin);
                    return Ok(());
                }
                std::collections::hash_map::Entry::Occupied(slot) => *slot.get(),
            }
        };
        let (path, line) = self.origins[first as usize];
        Err(Error::DuplicateId {
            id: doc.id.clone(),
            first: crate::error::Origin {
                path: self.paths[path as usize].clone(),
                line,
            },
            second: doc.origin.clone(),
        })
    }
}

/// Position of each id, for looking documents up by id.
pub fn index_of(ids: &[String]) -> rustc_hash::FxHashMap<&str, u32> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i as u32))
        .collect()
}
