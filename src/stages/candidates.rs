//! Candidate pairs: documents sharing enough band keys or anchors, or
//! SimHashes within a few bits; of those, each document's most tied
//! partners.

use std::io;

use super::sign::Keys;
use super::{Run, Ticker, temp_error};
use crate::error::{Error, Result};
use crate::index::{self, BlockTables};
use crate::spill::{Sorted, Sorter};
use crate::steps::{self, Source};

/// Candidate pairs sorted on disk (repeats included), and how many pairs
/// each index found before each document kept its most tied partners.
pub(crate) struct Candidates {
    pub(crate) pairs: Sorted<u64>,
    /// Each document's SimHash (verification reports their distance).
    pub(crate) simhashes: Vec<u64>,
    pub(crate) lsh: usize,
    pub(crate) anchors: usize,
    pub(crate) simhash: usize,
    pub(crate) found: usize,
}

/// Pairs sharing enough LSH bands, enough passage anchors, or SimHashes
/// within a few bits; of those, each document's most tied partners.
pub(crate) fn find(keys: Keys, run: &mut Run) -> Result<Candidates> {
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
pub(crate) fn top_partners(
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
pub(crate) fn shared_keys(
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
