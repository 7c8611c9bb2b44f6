//! Index stage: candidate pairs from LSH band keys, passage anchors and SimHash
//! block tables.
//!
//! All three work the same way: emit `(key, document)` entries, sort them,
//! and pair up documents that share a key. Sorting instead of a hash map keeps
//! the work and memory predictable and the output order deterministic.

use std::io;

use rayon::slice::ParallelSliceMut;

use crate::sketch::hamming;

/// A candidate pair of document indices, `a < b`.
pub type Pair = (u32, u32);

/// Documents in one bucket are all paired up to this size; a larger bucket
/// (thousands of copies of one page) is joined as a star to its first member
/// instead, which keeps the work linear and still puts them in one cluster.
pub const MAX_BUCKET_FOR_ALL_PAIRS: usize = 64;

/// What to do with a bucket of more documents than pairing them all allows.
#[derive(Clone, Copy, Debug)]
pub enum LargeBucket {
    /// Join every member to the first: they stay one cluster, in linear work.
    Star,
    /// Ignore it: a key that common says nothing.
    Skip,
}

/// Pairs of documents sharing at least `min_shared` keys. `entries` holds
/// (key, document) with each key listed once per document.
fn pairs_sharing(
    entries: &mut [(u64, u32)],
    min_shared: usize,
    max_bucket: usize,
    large: LargeBucket,
) -> Vec<Pair> {
    entries.par_sort_unstable();
    let mut occurrences = Vec::new();
    bucket_pairs(
        entries.iter().map(|&e| Ok(e)),
        min_shared,
        max_bucket,
        large,
        &mut |pair| {
            occurrences.push(pair);
            Ok(())
        },
    )
    .expect("in-memory entries cannot fail");
    occurrences.par_sort_unstable();
    let mut pairs = Vec::new();
    shared_often(
        occurrences.into_iter().map(Ok),
        min_shared,
        &mut |pair, _| {
            pairs.push(pair);
            Ok(())
        },
    )
    .expect("in-memory pairs cannot fail");
    pairs
}

/// A pair as one sortable number: `a` in the high half, so the order of
/// packed pairs is the order of `(a, b)`.
pub fn pack(pair: Pair) -> u64 {
    (pair.0 as u64) << 32 | pair.1 as u64
}

pub fn unpack(packed: u64) -> Pair {
    ((packed >> 32) as u32, packed as u32)
}

/// Hands `emit` a packed pair once for every key its two documents share,
/// from `entries` sorted by key (each key listed once per document). Buckets
/// over `max_bucket` are joined as a star or skipped, as `large` says.
pub fn bucket_pairs(
    entries: impl Iterator<Item = io::Result<(u64, u32)>>,
    min_shared: usize,
    max_bucket: usize,
    large: LargeBucket,
    emit: &mut dyn FnMut(u64) -> io::Result<()>,
) -> io::Result<()> {
    let min_shared = min_shared.max(1);
    let mut bucket: Vec<u32> = Vec::new();
    let mut key = None;
    let mut flush = |bucket: &mut Vec<u32>| -> io::Result<()> {
        if bucket.len() <= max_bucket {
            for (i, &a) in bucket.iter().enumerate() {
                for &b in &bucket[i + 1..] {
                    if a != b {
                        emit(pack((a.min(b), a.max(b))))?;
                    }
                }
            }
        } else if let LargeBucket::Star = large {
            let first = bucket[0];
            // A star edge stands for the whole bucket: it counts as enough.
            for &b in bucket[1..].iter().filter(|&&b| b != first) {
                for _ in 0..min_shared {
                    emit(pack((first.min(b), first.max(b))))?;
                }
            }
        }
        bucket.clear();
        Ok(())
    };
    for entry in entries {
        let (k, doc) = entry?;
        if key != Some(k) {
            flush(&mut bucket)?;
            key = Some(k);
        }
        bucket.push(doc);
    }
    flush(&mut bucket)
}

/// From packed pair occurrences in sorted order, hands `emit` each pair that
/// occurs at least `min_shared` times, once, with how many times it occurs.
pub fn shared_often(
    occurrences: impl Iterator<Item = io::Result<u64>>,
    min_shared: usize,
    emit: &mut dyn FnMut(Pair, usize) -> io::Result<()>,
) -> io::Result<()> {
    let min_shared = min_shared.max(1);
    let mut current = None;
    let mut count = 0;
    for occurrence in occurrences {
        let packed = occurrence?;
        if current == Some(packed) {
            count += 1;
        } else {
            if let Some(p) = current.filter(|_| count >= min_shared) {
                emit(unpack(p), count)?;
            }
            current = Some(packed);
            count = 1;
        }
    }
    if let Some(p) = current.filter(|_| count >= min_shared) {
        emit(unpack(p), count)?;
    }
    Ok(())
}

fn entries(keys: &[Vec<u64>]) -> Vec<(u64, u32)> {
    keys.iter()
        .enumerate()
        .flat_map(|(doc, ks)| ks.iter().map(move |&k| (k, doc as u32)))
        .collect()
}

/// Candidate pairs from band keys: `keys[d]` holds document d's band keys;
/// two documents are candidates when they share `min_shared_bands` bands.
/// Asking for two bands instead of one keeps pairs of high similarity (which
/// share many bands) and drops most chance collisions on a topic's common
/// vocabulary.
pub fn lsh_candidates(keys: &[Vec<u64>], min_shared_bands: usize) -> Vec<Pair> {
    pairs_sharing(
        &mut entries(keys),
        min_shared_bands,
        MAX_BUCKET_FOR_ALL_PAIRS,
        LargeBucket::Star,
    )
}

/// Hands `emit` every pair of `tied` twice, as a nomination of each of its
/// documents for the other: `(document << 32 | !ties, partner)`, so
/// nominations sort by document, then the most tied partner first, then
/// the partner. `tied` holds (packed pair, ties), sorted, one entry for
/// each source that found the pair; `ties` turns their sum into the pair's.
pub fn nominations(
    tied: impl Iterator<Item = io::Result<(u64, u32)>>,
    ties: impl Fn(Pair, u32) -> u32,
    emit: &mut dyn FnMut((u64, u32)) -> io::Result<()>,
) -> io::Result<()> {
    let mut current: Option<(u64, u32)> = None;
    let mut flush = |(packed, sum): (u64, u32)| {
        let (a, b) = unpack(packed);
        let ties = ties((a, b), sum);
        emit(nomination(a, b, ties))?;
        emit(nomination(b, a, ties))
    };
    for entry in tied {
        let (packed, ties) = entry?;
        match current.as_mut() {
            Some(c) if c.0 == packed => c.1 = c.1.saturating_add(ties),
            _ => {
                if let Some(c) = current.replace((packed, ties)) {
                    flush(c)?;
                }
            }
        }
    }
    current.map_or(Ok(()), flush)
}

/// `document`'s nomination of `partner`, as a record that sorts by
/// document, then the most tied partner first, then the partner.
pub fn nomination(document: u32, partner: u32, ties: u32) -> (u64, u32) {
    ((document as u64) << 32 | u64::from(!ties), partner)
}

/// From nominations in sorted order ([`nominations`]), hands `emit` the
/// pair of each document with each of its first `max_partners` partners
/// (a pair twice when both documents nominate each other).
pub fn top_partners(
    nominations: impl Iterator<Item = io::Result<(u64, u32)>>,
    max_partners: usize,
    emit: &mut dyn FnMut(Pair) -> io::Result<()>,
) -> io::Result<()> {
    let (mut document, mut taken) = (None, 0);
    for nomination in nominations {
        let (key, partner) = nomination?;
        let doc = (key >> 32) as u32;
        if document != Some(doc) {
            document = Some(doc);
            taken = 0;
        }
        if taken < max_partners {
            taken += 1;
            emit((doc.min(partner), doc.max(partner)))?;
        }
    }
    Ok(())
}

/// Candidate pairs from passage anchors: `anchors[d]` holds document d's
/// distinct anchor keys. Documents sharing at least `min_shared` anchors are
/// paired; an anchor held by more than `max_bucket` documents is too common to
/// say anything (a stock phrase of a whole topic) and is skipped.
pub fn anchor_candidates(anchors: &[Vec<u64>], min_shared: usize, max_bucket: usize) -> Vec<Pair> {
    pairs_sharing(
        &mut entries(anchors),
        min_shared,
        max_bucket,
        LargeBucket::Skip,
    )
}

/// SimHash block tables (Manku, Jain and Das Sarma, "Detecting near-duplicates
/// for web crawling", WWW 2007): the 64 bits are cut into `blocks` blocks;
/// two hashes within Hamming distance `max_distance` agree exactly on at least
/// `blocks - max_distance` blocks (pigeonhole), so one table per choice of
/// those blocks finds every such pair.
#[derive(Clone, Debug)]
pub struct BlockTables {
    pub max_distance: u32,
    masks: Vec<u64>,
}

impl BlockTables {
    pub fn new(max_distance: u32, blocks: u32) -> Result<Self, String> {
        crate::settings::simhash_tables(max_distance, blocks)?;
        let block_masks: Vec<u64> = (0..blocks)
            .map(|i| {
                let start = 64 * i / blocks;
                let end = 64 * (i + 1) / blocks;
                let width = end - start;
                let ones = if width == 64 {
                    u64::MAX
                } else {
                    (1u64 << width) - 1
                };
                ones << start
            })
            .collect();
        let keep = (blocks - max_distance) as usize;
        let masks = combinations(blocks as usize, keep)
            .into_iter()
            .map(|combo| combo.iter().fold(0u64, |m, &i| m | block_masks[i]))
            .collect();
        Ok(BlockTables {
            max_distance,
            masks,
        })
    }

    pub fn tables(&self) -> usize {
        self.masks.len()
    }

    /// One hash's key in each table: hashes within `max_distance` bits share
    /// at least one.
    pub fn keys(&self, hash: u64) -> Vec<u64> {
        (0..self.masks.len()).map(|t| self.key(t, hash)).collect()
    }

    fn key(&self, table: usize, hash: u64) -> u64 {
        crate::hash::mix64((hash & self.masks[table]) ^ table as u64)
    }

    /// Pairs within `max_distance` bits (checked exactly after the lookup).
    pub fn candidates(&self, hashes: &[u64]) -> Vec<Pair> {
        let mut pairs = Vec::new();
        for table in 0..self.masks.len() {
            let mut entries: Vec<(u64, u32)> = hashes
                .iter()
                .enumerate()
                .map(|(doc, &h)| (self.key(table, h), doc as u32))
                .collect();
            pairs.extend(pairs_sharing(
                &mut entries,
                1,
                MAX_BUCKET_FOR_ALL_PAIRS,
                LargeBucket::Star,
            ));
        }
        pairs
            .retain(|&(a, b)| hamming(hashes[a as usize], hashes[b as usize]) <= self.max_distance);
        pairs.par_sort_unstable();
        pairs.dedup();
        pairs
    }
}

fn combinations(n: usize, k: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut current = Vec::with_capacity(k);
    fn walk(start: usize, n: usize, k: usize, current: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if current.len() == k {
            out.push(current.clone());
            return;
        }
        for i in start..n {
            current.push(i);
            walk(i + 1, n, k, current, out);
            current.pop();
        }
    }
    walk(0, n, k, &mut current, &mut out);
    out
}

/// Merges sorted, distinct pair lists into one sorted, distinct list.
pub fn merge(lists: Vec<Vec<Pair>>) -> Vec<Pair> {
    let mut all: Vec<Pair> = lists.into_iter().flatten().collect();
    all.par_sort_unstable();
    all.dedup();
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::SplitMix64;

    #[test]
    fn lsh_pairs_documents_sharing_any_key() {
        let keys = vec![vec![1, 2], vec![3, 2], vec![4, 5], vec![4, 1]];
        assert_eq!(lsh_candidates(&keys, 1), vec![(0, 1), (0, 3), (2, 3)]);
        assert!(lsh_candidates(&keys, 2).is_empty());
        let keys = vec![vec![1, 2, 3], vec![1, 2, 4], vec![1, 5, 6]];
        assert_eq!(lsh_candidates(&keys, 2), vec![(0, 1)]);
    }

    #[test]
    fn anchors_pair_documents_sharing_enough_of_them() {
        let anchors = vec![vec![1, 2, 3], vec![2, 3, 9], vec![3, 4], vec![7], vec![7]];
        assert_eq!(anchor_candidates(&anchors, 2, 10), vec![(0, 1)]);
        assert_eq!(
            anchor_candidates(&anchors, 1, 10),
            vec![(0, 1), (0, 2), (1, 2), (3, 4)]
        );
        // Anchor 3 is in three documents: too common with a bucket limit of 2.
        assert_eq!(anchor_candidates(&anchors, 1, 2), vec![(0, 1), (3, 4)]);
    }

    #[test]
    fn huge_buckets_become_stars() {
        let n = MAX_BUCKET_FOR_ALL_PAIRS as u32 * 3;
        let keys: Vec<Vec<u64>> = (0..n).map(|_| vec![7]).collect();
        let pairs = lsh_candidates(&keys, 2);
        assert_eq!(pairs.len(), n as usize - 1);
        assert!(pairs.iter().all(|&(a, _)| a == 0));
    }

    #[test]
    fn block_tables_find_exactly_the_pairs_within_distance() {
        let mut rng = SplitMix64::new(1);
        let mut hashes: Vec<u64> = (0..200).map(|_| rng.next_u64()).collect();
        // Plant neighbours at distances 0..=6 of document 0.
        for d in 0..=6u32 {
            let mut h = hashes[0];
            for bit in 0..d {
                h ^= 1 << (bit * 9);
            }
            hashes.push(h);
        }
        let tables = BlockTables::new(3, 6).unwrap();
        assert_eq!(tables.tables(), 20);
        let found = tables.candidates(&hashes);
        let mut brute = Vec::new();
        for a in 0..hashes.len() {
            for b in a + 1..hashes.len() {
                if hamming(hashes[a], hashes[b]) <= 3 {
                    brute.push((a as u32, b as u32));
                }
            }
        }
        assert_eq!(found, brute);
        assert!(found.contains(&(0, 203)) && !found.contains(&(0, 204)));
    }

    #[test]
    fn block_tables_reject_impossible_settings() {
        assert!(BlockTables::new(6, 6).is_err());
        assert!(BlockTables::new(1, 0).is_err());
    }
}
