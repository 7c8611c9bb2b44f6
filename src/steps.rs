//! The pipeline's decisions one document, one bucket or one pair at a time,
//! for an engine that does the shuffles itself (Spark, through the Python
//! module in `python/`). `scan` makes the same decisions with the same code;
//! here the corpus-wide counts come from the engine instead of a local pass.
//!
//! The order of work an engine follows, to give `scan`'s results:
//! 1. [`sentence_fingerprints`] of every document; a fingerprint found in at
//!    least [`boilerplate_min_docs`] documents is boilerplate.
//! 2. [`content_terms`] of every document; the number of documents holding
//!    each term is its document frequency. Both go into [`CorpusStats`].
//! 3. [`sign`] every document. Documents sharing a key become candidates:
//!    group each [`Source`]'s keys, pair each group's documents (their
//!    positions in the input) with [`Source::bucket_pairs`], and keep the
//!    pairs that occur at least [`Source::min_shared`] times; for SimHash
//!    keys (one per [`BlockTables`] table, [`BlockTables::keys`]) also
//!    within [`ScanOptions::simhash_distance`]. Each pair found weighs the
//!    [`Source::ties`] of the sources that found it, summed, then
//!    [`pair_ties`]; each document nominates its [`top_partners`], and the
//!    nominated pairs are the candidates.
//! 4. [`verify`] each candidate, `a` being the one whose id sorts first.
//! 5. Connected components of the verified pairs; within each,
//!    [`guarded_clusters`] applies the chain guard as `scan` does.

use rustc_hash::FxHashSet as HashSet;

pub use crate::index::BlockTables;

use crate::cluster::{self, ChainGuard};
use crate::corpus::{self, Corpus};
use crate::index::{self, LargeBucket};
use crate::settings::ScanOptions;
use crate::sketch::{Banding, hamming};
use crate::text;
use crate::verify::{self, Evidence, Features};

/// A document's distinct sentence fingerprints, sorted.
pub fn sentence_fingerprints(text: &str) -> Vec<u64> {
    let mut hashes = corpus::segmented(text::tokenize(text)).sentence_hashes;
    hashes.sort_unstable();
    hashes.dedup();
    hashes
}

/// Documents a sentence must appear in to be boilerplate, in a corpus of
/// `documents`.
pub fn boilerplate_min_docs(options: &ScanOptions, documents: u64) -> u64 {
    options.boilerplate_threshold(documents)
}

/// A document's distinct content terms (boilerplate left out), sorted.
pub fn content_terms(text: &str, boilerplate: &HashSet<u64>) -> Vec<u64> {
    corpus::content_terms(&corpus::segmented(text::tokenize(text)), boilerplate)
}

/// What signing and verifying need to know of the whole corpus.
pub struct CorpusStats {
    corpus: Corpus,
}

const STATS_MAGIC: &[u8; 8] = b"sdstats1";

impl CorpusStats {
    /// From the boilerplate fingerprints, each term's document frequency and
    /// the number of documents.
    pub fn new(
        boilerplate: impl IntoIterator<Item = u64>,
        document_frequencies: impl IntoIterator<Item = (u64, u32)>,
        documents: u64,
    ) -> Self {
        CorpusStats {
            corpus: Corpus::new(
                boilerplate.into_iter().collect(),
                document_frequencies
                    .into_iter()
                    .map(|(term, n)| (term as u32, n))
                    .collect(),
                documents,
            ),
        }
    }

    /// Computed from texts in memory, as `scan` would.
    pub fn of_texts(texts: &[&str], options: &ScanOptions) -> Self {
        let segmented: Vec<corpus::Segmented> = texts
            .iter()
            .map(|t| corpus::segmented(text::tokenize(t)))
            .collect();
        CorpusStats {
            corpus: Corpus::of_segmented(&segmented, options),
        }
    }

    pub fn boilerplate(&self) -> &HashSet<u64> {
        &self.corpus.boilerplate
    }

    pub fn documents(&self) -> u64 {
        self.corpus.documents
    }

    /// A compact, sorted encoding, to ship to other machines.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut boilerplate: Vec<u64> = self.corpus.boilerplate.iter().copied().collect();
        boilerplate.sort_unstable();
        let mut df: Vec<(u64, u32)> = self.corpus.df.iter().map(|(t, n)| (t.into(), n)).collect();
        df.sort_unstable();
        let mut out = Vec::with_capacity(32 + boilerplate.len() * 8 + df.len() * 12);
        out.extend_from_slice(STATS_MAGIC);
        for n in [
            self.corpus.documents,
            boilerplate.len() as u64,
            df.len() as u64,
        ] {
            out.extend_from_slice(&n.to_le_bytes());
        }
        for h in boilerplate {
            out.extend_from_slice(&h.to_le_bytes());
        }
        for (term, n) in df {
            out.extend_from_slice(&term.to_le_bytes());
            out.extend_from_slice(&n.to_le_bytes());
        }
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let bad = || "not corpus statistics written by this version of storydup".to_string();
        if bytes.len() < 32 || &bytes[..8] != STATS_MAGIC {
            return Err(bad());
        }
        let u64_at = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().unwrap());
        let (documents, boilerplate, terms) = (u64_at(8), u64_at(16), u64_at(24));
        let expected = (boilerplate as u128) * 8 + (terms as u128) * 12 + 32;
        if expected != bytes.len() as u128 {
            return Err(bad());
        }
        let boilerplate_end = 32 + boilerplate as usize * 8;
        let fingerprints = (32..boilerplate_end).step_by(8).map(u64_at);
        let df = (boilerplate_end..bytes.len()).step_by(12).map(|i| {
            let n = u32::from_le_bytes(bytes[i + 8..i + 12].try_into().unwrap());
            (u64_at(i), n)
        });
        Ok(CorpusStats::new(fingerprints, df, documents))
    }
}

/// What the index needs of one document.
#[derive(Clone, Debug, PartialEq)]
pub struct Keys {
    pub band_keys: Vec<u64>,
    pub anchors: Vec<u64>,
    pub simhash: u64,
}

/// A document's MinHash band keys, passage anchors and SimHash;
/// `banding` is [`ScanOptions::banding`], found once (it is a search).
pub fn sign(text: &str, stats: &CorpusStats, options: &ScanOptions, banding: Banding) -> Keys {
    let signed = stats.corpus.sign(text::tokenize(text), options, banding, 0);
    Keys {
        band_keys: signed.band_keys,
        anchors: signed.anchors,
        simhash: signed.features.simhash,
    }
}

/// The three kinds of keys that make candidates, each with its own rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Bands,
    Anchors,
    SimHash,
}

impl Source {
    pub fn from_name(name: &str) -> Option<Source> {
        match name {
            "bands" => Some(Source::Bands),
            "anchors" => Some(Source::Anchors),
            "simhash" => Some(Source::SimHash),
            _ => None,
        }
    }

    /// Keys two documents must share to be a candidate.
    pub fn min_shared(self, options: &ScanOptions) -> usize {
        match self {
            Source::Bands => options.min_shared_bands.max(1),
            Source::Anchors => options.min_shared_anchors.max(1),
            Source::SimHash => 1,
        }
    }

    /// The most documents one key's bucket pairs all of, and what a larger
    /// bucket does.
    pub fn bucket_rule(self, options: &ScanOptions) -> (usize, LargeBucket) {
        match self {
            Source::Bands | Source::SimHash => (index::MAX_BUCKET_FOR_ALL_PAIRS, LargeBucket::Star),
            Source::Anchors => (options.max_anchor_docs, LargeBucket::Skip),
        }
    }

    /// How much sharing `count` keys of this source ties a pair, in bits
    /// of their own so a pair's ties from each source add up without
    /// carrying: SimHash above anchors above bands, and below them all the
    /// closeness of the two SimHashes ([`pair_ties`]). Each document
    /// nominates its most tied partners ([`top_partners`]).
    pub fn ties(self, count: usize) -> u32 {
        match self {
            Source::SimHash => 1 << 31,
            Source::Anchors => (count.min(0x7ff) as u32) << 20,
            Source::Bands => (count.min(0x1fff) as u32) << 7,
        }
    }

    /// The pairs one key's documents (input positions) make, each as often
    /// as it counts towards [`Source::min_shared`].
    pub fn bucket_pairs(self, documents: &[u32], options: &ScanOptions) -> Vec<(u32, u32)> {
        let mut sorted = documents.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let (max_bucket, large) = self.bucket_rule(options);
        let mut out = Vec::new();
        let entries = sorted.iter().map(|&d| Ok::<_, std::io::Error>((0u64, d)));
        index::bucket_pairs(
            entries,
            self.min_shared(options),
            max_bucket,
            large,
            &mut |p| {
                out.push(index::unpack(p));
                Ok(())
            },
        )
        .expect("pairs in memory cannot fail");
        out
    }
}

/// A pair's ties: those of the sources that found it, summed, with the
/// closeness of its documents' SimHashes (64 minus their distance) to
/// order pairs the keys leave level, such as short texts sharing one anchor.
pub fn pair_ties(source_ties: u32, simhash_a: u64, simhash_b: u64) -> u32 {
    source_ties | (64 - hamming(simhash_a, simhash_b))
}

/// The partners a document nominates for verification, from every pair it
/// is in with that pair's [`Source::ties`] summed over sources: the
/// `max_partners` most tied, ties broken by input position. A pair is a
/// candidate when either of its documents nominates the other.
pub fn top_partners(document: u32, partners: &[(u32, u32)], options: &ScanOptions) -> Vec<u32> {
    let mut nominations: Vec<(u64, u32)> = partners
        .iter()
        .map(|&(partner, ties)| index::nomination(document, partner, ties))
        .collect();
    nominations.sort_unstable();
    let mut out = Vec::new();
    index::top_partners(
        nominations.into_iter().map(Ok),
        options.max_partners,
        &mut |(a, b)| {
            out.push(if a == document { b } else { a });
            Ok(())
        },
    )
    .expect("nominations in memory cannot fail");
    out
}

/// A document's verification features.
pub fn features(text: &str, stats: &CorpusStats, options: &ScanOptions) -> Features {
    stats
        .corpus
        .features(text::tokenize(text), options.shingle_size)
}

/// The evidence for a candidate pair if it is a rewrite; `a` is the
/// document whose id sorts first.
pub fn verify(a: &Features, b: &Features, options: &ScanOptions) -> Option<Evidence> {
    verify::verified(a, b, &options.verify, options.verify.threshold)
}

/// Whether two members of groups about to merge vouch for the merge (the
/// chain guard's test): a pair scoring a share of the threshold.
pub fn supports(a: &Features, b: &Features, options: &ScanOptions) -> bool {
    let min_score = options.verify.threshold * options.chain_score_ratio;
    verify::verified(a, b, &options.verify, min_score).is_some()
}

/// A verified pair within one connected component, by member index.
#[derive(Clone, Copy, Debug)]
pub struct ScoredEdge {
    pub a: u32,
    pub b: u32,
    pub score: f64,
}

/// The clusters of one connected component of verified pairs, as `scan`
/// forms them: `members` sorted by id (with their features), `edges` between
/// them. Edges join strongest first (ties by the ids), behind the chain
/// guard. Returns groups of two or more member indices, each sorted, the
/// groups ordered by their first member.
pub fn guarded_clusters(
    members: &[Features],
    edges: &[ScoredEdge],
    options: &ScanOptions,
) -> Vec<Vec<u32>> {
    let mut ordered: Vec<(u64, u32, u32)> = edges
        .iter()
        .map(|e| {
            let (a, b) = (e.a.min(e.b), e.a.max(e.b));
            (u64::MAX - e.score.to_bits(), a, b)
        })
        .collect();
    ordered.sort_unstable();
    let guard = ChainGuard {
        sample: options.chain_sample,
        min_support: options.chain_support,
        supports: |x: u32, y: u32| supports(&members[x as usize], &members[y as usize], options),
    };
    let mut sets = cluster::guarded_union(
        members.len(),
        ordered.iter().map(|&(_, a, b)| (a, b)),
        &guard,
    );
    cluster::groups(&mut sets, |x, y| x.cmp(&y), false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seeds() -> Vec<String> {
        let mut paths: Vec<_> = std::fs::read_dir("data/seeds")
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        paths.sort();
        paths
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect()
    }

    fn seeds_with_stats() -> (Vec<String>, ScanOptions, CorpusStats) {
        let texts = seeds();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let options = ScanOptions::default();
        let stats = CorpusStats::of_texts(&refs, &options);
        (texts, options, stats)
    }

    #[test]
    fn corpus_stats_survive_the_trip_through_bytes() {
        let (texts, options, stats) = seeds_with_stats();
        let back = CorpusStats::from_bytes(&stats.to_bytes()).unwrap();
        assert_eq!(back.to_bytes(), stats.to_bytes());
        assert_eq!(
            sign(&texts[1], &back, &options, options.banding()),
            sign(&texts[1], &stats, &options, options.banding())
        );
        assert!(CorpusStats::from_bytes(b"sdstats1 too short").is_err());
        let mut cut = stats.to_bytes();
        cut.pop();
        assert!(CorpusStats::from_bytes(&cut).is_err());
    }

    #[test]
    fn the_steps_find_the_seed_rewrite_and_nothing_else() {
        let (texts, options, stats) = seeds_with_stats();
        let features: Vec<Features> = texts
            .iter()
            .map(|t| features(t, &stats, &options))
            .collect();
        let mut rewrites = Vec::new();
        for a in 0..texts.len() {
            for b in a + 1..texts.len() {
                if let Some(e) = verify(&features[a], &features[b], &options) {
                    rewrites.push((a, b, e.score));
                }
            }
        }
        assert_eq!(rewrites.len(), 1, "{rewrites:?}");
        assert_eq!((rewrites[0].0, rewrites[0].1), (0, 1));
        let edges = [ScoredEdge {
            a: 0,
            b: 1,
            score: rewrites[0].2,
        }];
        assert_eq!(
            guarded_clusters(&features, &edges, &options),
            vec![vec![0, 1]]
        );
    }

    #[test]
    fn a_document_nominates_its_most_tied_partners() {
        let options = ScanOptions {
            max_partners: 3,
            ..ScanOptions::default()
        };
        let anchors = |n| Source::Anchors.ties(n);
        let bands = |n| Source::Bands.ties(n);
        let partners = [
            (9, bands(28)),
            (4, anchors(1)),
            (7, anchors(2)),
            (2, anchors(1) + bands(2)),
            (5, Source::SimHash.ties(1)),
            (3, anchors(1)),
        ];
        // SimHash first, then anchors, then bands; level ties by position.
        assert_eq!(top_partners(6, &partners, &options), vec![5, 7, 2]);
        let options = ScanOptions {
            max_partners: 5,
            ..options
        };
        assert_eq!(top_partners(6, &partners, &options), vec![5, 7, 2, 3, 4]);
        // Closer SimHashes order pairs the keys leave level.
        let near = pair_ties(anchors(1), 0, 1);
        let far = pair_ties(anchors(1), 0, 0xff);
        assert!(near > far && far > pair_ties(bands(28), 0, 0));
        assert_eq!(
            top_partners(0, &[(1, far), (2, near)], &options),
            vec![2, 1]
        );
    }

    #[test]
    fn large_buckets_follow_their_source_rule() {
        let options = ScanOptions::default();
        let many: Vec<u32> = (0..100).rev().collect();
        // Bands: a star to the first document, counted as enough.
        let star = Source::Bands.bucket_pairs(&many, &options);
        assert_eq!(star.len(), 99 * options.min_shared_bands);
        assert!(star.iter().all(|&(a, b)| a == 0 && b > 0));
        // Anchors: too common to say anything.
        assert!(Source::Anchors.bucket_pairs(&many, &options).is_empty());
        // A small bucket: every pair once.
        assert_eq!(
            Source::Anchors.bucket_pairs(&[5, 3, 9], &options),
            vec![(3, 5), (3, 9), (5, 9)]
        );
    }
}
