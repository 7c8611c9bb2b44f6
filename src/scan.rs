//! The scan pipeline: documents in, verified pairs and clusters out.
//!
//! Per-document work (segmenting, shingling, signing) and per-pair work
//! (verifying) run in parallel with rayon; every parallel step collects in
//! input order, so the result is the same for any number of threads.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::cluster;
use crate::error::{Error, Result};
use crate::index::{self, BlockTables};
use crate::input::Document;
use crate::sketch::{self, Banding};
use crate::text;
use crate::verify::{self, Evidence, Features, Sentence, VerifyOptions};

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
    /// Sentence anchors two documents must share to become candidates.
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
            max_anchor_docs: 50,
            verify: VerifyOptions::default(),
            keep_singletons: false,
            boilerplate_min_docs: 20,
            boilerplate_share: 0.002,
            chain_sample: 8,
            chain_support: 0.5,
            chain_score_ratio: 0.5,
        }
    }
}

impl ScanOptions {
    pub fn banding(&self) -> Banding {
        self.banding
            .unwrap_or_else(|| Banding::optimal(self.lsh_threshold, self.num_perm, 0.5, 0.5))
    }

    pub fn validate(&self) -> Result<()> {
        let usage = |m: String| Err(Error::Usage(m));
        if self.shingle_size == 0 {
            return usage("--shingle-size must be at least 1".into());
        }
        if self.num_perm == 0 {
            return usage("--num-perm must be at least 1".into());
        }
        if !(0.0..=1.0).contains(&self.lsh_threshold) {
            return usage("--lsh-threshold must be in [0, 1]".into());
        }
        if !(0.0..=1.0).contains(&self.verify.threshold) {
            return usage("--threshold must be in [0, 1]".into());
        }
        if !(0.0..=1.0).contains(&self.verify.sentence_threshold) {
            return usage("--sentence-threshold must be in [0, 1]".into());
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
        Ok(())
    }
}

/// A verified pair, `a`'s id sorting before `b`'s.
#[derive(Clone, Debug)]
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
    pub stages: Vec<(&'static str, Duration)>,
}

/// The outcome of a scan.
#[derive(Clone, Debug)]
pub struct Scan {
    pub ids: Vec<String>,
    /// Candidate pairs (document indices, smaller first), sorted.
    pub candidates: Vec<(u32, u32)>,
    /// Verified pairs, sorted by (id of a, id of b).
    pub pairs: Vec<ScoredPair>,
    /// Clusters as document indices, members sorted by id, clusters by their
    /// first member; the cluster id is the position + 1.
    pub clusters: Vec<Vec<u32>>,
    pub stats: ScanStats,
}

/// A segmented document with a fingerprint of each sentence.
struct Segmented {
    tokens: text::Tokens,
    sentence_hashes: Vec<u64>,
}

fn segment(text: &str) -> Segmented {
    let tokens = text::tokenize(text);
    let sentence_hashes = tokens
        .sentences
        .iter()
        .map(|r| {
            let words: Vec<u64> = tokens.tokens[r.start as usize..r.end as usize]
                .iter()
                .map(|t| t.word)
                .collect();
            crate::hash::hash_words(&words)
        })
        .collect();
    Segmented {
        tokens,
        sentence_hashes,
    }
}

/// The evidence-bearing content of a document: everything but boilerplate.
struct Tokenized {
    shingles: Vec<u64>,
    /// Distinct terms per sentence, with the sentence's position.
    sentence_terms: Vec<(u32, Vec<u64>)>,
    /// Term counts over the whole document, sorted by term.
    term_counts: Vec<(u64, u32)>,
    /// Distinct terms of salient words (names, numbers), sorted.
    facts: Vec<u64>,
}

fn content(doc: Segmented, boilerplate: &HashSet<u64>, shingle_size: usize) -> Tokenized {
    let tokens = &doc.tokens.tokens;
    let kept: Vec<(u32, &std::ops::Range<u32>)> = doc
        .tokens
        .sentences
        .iter()
        .zip(&doc.sentence_hashes)
        .enumerate()
        .filter(|(_, (_, h))| !boilerplate.contains(h))
        .map(|(i, (r, _))| (i as u32, r))
        .collect();
    let kept_tokens = || {
        kept.iter()
            .flat_map(|(_, r)| &tokens[r.start as usize..r.end as usize])
    };
    let words: Vec<u64> = kept_tokens().map(|t| t.word).collect();
    let shingles = sketch::shingles(&words, shingle_size);
    let sentence_terms: Vec<(u32, Vec<u64>)> = kept
        .iter()
        .map(|(position, range)| {
            let mut terms: Vec<u64> = tokens[range.start as usize..range.end as usize]
                .iter()
                .filter_map(|t| t.term)
                .collect();
            terms.sort_unstable();
            terms.dedup();
            (*position, terms)
        })
        .filter(|(_, terms)| !terms.is_empty())
        .collect();
    let mut all_terms: Vec<u64> = kept_tokens().filter_map(|t| t.term).collect();
    all_terms.sort_unstable();
    let term_counts = all_terms
        .chunk_by(|x, y| x == y)
        .map(|run| (run[0], run.len() as u32))
        .collect();
    let mut facts: Vec<u64> = kept_tokens()
        .filter(|t| t.salient)
        .filter_map(|t| t.term)
        .collect();
    facts.sort_unstable();
    facts.dedup();
    Tokenized {
        shingles,
        sentence_terms,
        term_counts,
        facts,
    }
}

/// Sentences (and lines) found in at least `min_docs` documents: bylines,
/// "Advertisement", share buttons, cookie notices. They say nothing about
/// which story a document tells, so they are no evidence either way.
fn boilerplate_sentences(docs: &[Segmented], min_docs: usize) -> HashSet<u64> {
    let counts = count_in_documents(docs.par_iter().map(|d| {
        let mut hashes = d.sentence_hashes.clone();
        hashes.sort_unstable();
        hashes.dedup();
        hashes
    }));
    counts
        .into_iter()
        .filter(|&(_, n)| n as usize >= min_docs)
        .map(|(h, _)| h)
        .collect()
}

/// In how many documents each key occurs (each document lists its keys once).
fn count_in_documents(keys: impl ParallelIterator<Item = Vec<u64>>) -> HashMap<u64, u32> {
    keys.fold(HashMap::default, |mut df: HashMap<u64, u32>, keys| {
        for key in keys {
            *df.entry(key).or_default() += 1;
        }
        df
    })
    .reduce(HashMap::default, |a, b| {
        if a.len() < b.len() {
            merge_counts(b, a)
        } else {
            merge_counts(a, b)
        }
    })
}

/// Document frequency of every term.
fn document_frequencies(docs: &[Tokenized]) -> HashMap<u64, u32> {
    count_in_documents(
        docs.par_iter()
            .map(|d| d.term_counts.iter().map(|t| t.0).collect()),
    )
}

fn merge_counts(mut into: HashMap<u64, u32>, from: HashMap<u64, u32>) -> HashMap<u64, u32> {
    for (term, n) in from {
        *into.entry(term).or_default() += n;
    }
    into
}

/// Each pair of a sentence's this many rarest terms is an anchor.
pub const ANCHOR_TERMS: usize = 2;

/// Signed document: what the index and the verifier need.
pub struct Signed {
    pub features: Features,
    pub band_keys: Vec<u64>,
    /// Sentence anchors: for each sentence, its two rarest terms as one key.
    /// A paraphrased sentence keeps its rare words (names, figures, uncommon
    /// nouns), so rewrites share anchors even when few shingles survive.
    pub anchors: Vec<u64>,
}

fn sentence_anchors(sentences: &[Sentence], rarest: usize) -> Vec<u64> {
    let mut anchors = Vec::new();
    for sentence in sentences.iter().filter(|s| s.terms.len() >= 2) {
        let mut terms: Vec<&(u64, f32)> = sentence.terms.iter().collect();
        terms.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
        let top = &terms[..terms.len().min(rarest)];
        for (i, x) in top.iter().enumerate() {
            for y in &top[i + 1..] {
                let (lo, hi) = (x.0.min(y.0), x.0.max(y.0));
                anchors.push(crate::hash::mix64(lo ^ hi.rotate_left(29)));
            }
        }
    }
    anchors.sort_unstable();
    anchors.dedup();
    anchors
}

/// Runs the whole pipeline on documents already read.
pub fn scan(documents: Vec<Document>, options: &ScanOptions) -> Result<Scan> {
    options.validate()?;
    let mut stages = Vec::new();
    let mut clock = Instant::now();
    let mut lap = |name: &'static str, stages: &mut Vec<(&'static str, Duration)>| {
        stages.push((name, clock.elapsed()));
        clock = Instant::now();
    };

    let (ids, texts): (Vec<String>, Vec<String>) =
        documents.into_iter().map(|d| (d.id, d.text)).unzip();
    let n = ids.len();
    let banding = options.banding();
    let (signed, boilerplate) =
        sign_all(texts, options, banding, &mut |name| lap(name, &mut stages));

    let keys: Vec<Vec<u64>> = signed.iter().map(|s| s.band_keys.clone()).collect();
    let lsh = index::lsh_candidates(&keys, options.min_shared_bands);
    drop(keys);
    let simhashes: Vec<u64> = signed.iter().map(|s| s.features.simhash).collect();
    let tables =
        BlockTables::new(options.simhash_distance, options.simhash_blocks).map_err(Error::Usage)?;
    let near = tables.candidates(&simhashes);
    let anchors: Vec<Vec<u64>> = signed.iter().map(|s| s.anchors.clone()).collect();
    let anchored = index::anchor_candidates(
        &anchors,
        options.min_shared_anchors,
        options.max_anchor_docs,
    );
    drop(anchors);
    let (lsh_count, near_count, anchor_count) = (lsh.len(), near.len(), anchored.len());
    let candidates = index::merge(vec![lsh, near, anchored]);
    lap("index", &mut stages);

    let verified: Vec<ScoredPair> = candidates
        .par_iter()
        .filter_map(|&(x, y)| {
            let (a, b) = if ids[x as usize] <= ids[y as usize] {
                (x, y)
            } else {
                (y, x)
            };
            let (fa, fb) = (&signed[a as usize].features, &signed[b as usize].features);
            if !verify::could_reach(fa, fb, &options.verify, options.verify.threshold) {
                return None;
            }
            let evidence = verify::evidence(fa, fb, &options.verify);
            (evidence.score >= options.verify.threshold).then_some(ScoredPair { a, b, evidence })
        })
        .collect();
    let mut pairs = verified;
    pairs.sort_by(|p, q| {
        (&ids[p.a as usize], &ids[p.b as usize]).cmp(&(&ids[q.a as usize], &ids[q.b as usize]))
    });
    lap("verify", &mut stages);

    // Strongest evidence first, ties by position: the same order every run.
    let mut by_strength: Vec<usize> = (0..pairs.len()).collect();
    by_strength.sort_by(|&i, &j| {
        pairs[j]
            .evidence
            .score
            .total_cmp(&pairs[i].evidence.score)
            .then(i.cmp(&j))
    });
    let edges: Vec<(u32, u32)> = by_strength
        .iter()
        .map(|&i| (pairs[i].a, pairs[i].b))
        .collect();
    let guard = cluster::ChainGuard {
        sample: options.chain_sample,
        min_support: options.chain_support,
        supports: |x: u32, y: u32| {
            let (fx, fy) = (&signed[x as usize].features, &signed[y as usize].features);
            let min_score = options.verify.threshold * options.chain_score_ratio;
            verify::could_reach(fx, fy, &options.verify, min_score)
                && verify::evidence(fx, fy, &options.verify).score >= min_score
        },
    };
    let edges = cluster::guarded_edges(n, &edges, &guard);
    let clusters = cluster::clusters(
        n,
        edges,
        |x, y| ids[x as usize].cmp(&ids[y as usize]),
        options.keep_singletons,
    );
    lap("cluster", &mut stages);

    let stats = ScanStats {
        documents: n,
        banding: Some(banding),
        lsh_candidates: lsh_count,
        simhash_candidates: near_count,
        anchor_candidates: anchor_count,
        candidates: candidates.len(),
        verified: pairs.len(),
        boilerplate,
        stages,
    };
    Ok(Scan {
        candidates,
        ids,
        pairs,
        clusters,
        stats,
    })
}

/// Segments and signs every document (in parallel), computing the corpus
/// statistics (term document frequencies) in between; `lap` is called after
/// each of the two passes.
pub fn sign_all(
    texts: Vec<String>,
    options: &ScanOptions,
    banding: Banding,
    lap: &mut dyn FnMut(&'static str),
) -> (Vec<Signed>, usize) {
    let n = texts.len() as u64;
    let segmented: Vec<Segmented> = texts.into_par_iter().map(|text| segment(&text)).collect();
    lap("segment");
    let min_docs = options
        .boilerplate_min_docs
        .max((options.boilerplate_share * n as f64).ceil() as usize);
    let boilerplate = boilerplate_sentences(&segmented, min_docs);
    let tokenized: Vec<Tokenized> = segmented
        .into_par_iter()
        .map(|doc| content(doc, &boilerplate, options.shingle_size))
        .collect();
    let df = document_frequencies(&tokenized);
    let signed = tokenized
        .into_par_iter()
        .map(|doc| sign(doc, &df, n, options.num_perm, banding))
        .collect();
    lap("sign");
    (signed, boilerplate.len())
}

fn sign(
    doc: Tokenized,
    df: &HashMap<u64, u32>,
    n: u64,
    num_perm: usize,
    banding: Banding,
) -> Signed {
    // Each distinct term's IDF once; sentences and facts look it up here.
    let terms: Vec<(u64, f32)> = doc
        .term_counts
        .iter()
        .map(|&(t, _)| {
            (
                t,
                sketch::idf(n, df.get(&t).copied().unwrap_or(0) as u64) as f32,
            )
        })
        .collect();
    let weight = |term: &u64| match terms.binary_search_by_key(term, |t| t.0) {
        Ok(i) => terms[i].1,
        Err(_) => sketch::idf(n, df.get(term).copied().unwrap_or(0) as u64) as f32,
    };
    let sentences: Vec<Sentence> = doc
        .sentence_terms
        .iter()
        .map(|(position, terms)| {
            Sentence::new(terms.iter().map(|t| (*t, weight(t))).collect()).at(*position)
        })
        .collect();
    let simhash = sketch::weighted_simhash(
        doc.term_counts
            .iter()
            .map(|(t, count)| (*t, *count as f64 * weight(t) as f64)),
    );
    let signature = sketch::minhash(doc.term_counts.iter().map(|(t, _)| *t), num_perm);
    Signed {
        band_keys: banding.keys(&signature),
        anchors: sentence_anchors(&sentences, ANCHOR_TERMS),
        features: Features {
            shingles: doc.shingles,
            sentences,
            facts: doc.facts.iter().map(|t| (*t, weight(t))).collect(),
            terms,
            simhash,
        },
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
        let (signed, boilerplate) =
            sign_all(texts.clone(), &options, options.banding(), &mut |_| {});
        assert_eq!(boilerplate, 3);
        assert!(signed.iter().all(|s| s.features.sentences.len() == 6));

        // Below the document count the same lines are ordinary sentences.
        let (signed, boilerplate) = sign_all(
            texts[..10].to_vec(),
            &options,
            options.banding(),
            &mut |_| {},
        );
        assert_eq!(boilerplate, 0);
        assert!(signed.iter().all(|s| s.features.sentences.len() == 9));
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
            })
            .collect();
        let result = scan(documents, &ScanOptions::default()).unwrap();
        assert!(result.clusters.is_empty(), "{:?}", result.clusters);
    }
}
