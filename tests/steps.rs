//! An engine that does its own shuffles (as the Spark job does) and follows
//! `storydup::steps` must find the pairs and clusters `scan` finds. This one
//! groups in memory with plain maps, as a stand-in for Spark's group-bys.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use storydup::input::{InputOptions, read_all};
use storydup::scan::{ScanOptions, scan};
use storydup::steps::{self, CorpusStats, ScoredEdge, Source};

/// Pairs of input positions sharing at least `min_shared` keys of a source.
fn candidates(keys: &[Vec<u64>], source: Source, options: &ScanOptions) -> BTreeSet<(u32, u32)> {
    let mut buckets: HashMap<u64, Vec<u32>> = HashMap::new();
    for (doc, ks) in keys.iter().enumerate() {
        for &k in ks {
            buckets.entry(k).or_default().push(doc as u32);
        }
    }
    let mut counts: HashMap<(u32, u32), usize> = HashMap::new();
    for docs in buckets.values() {
        for pair in source.bucket_pairs(docs, options) {
            *counts.entry(pair).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .filter(|&(_, n)| n >= source.min_shared(options))
        .map(|(p, _)| p)
        .collect()
}

/// Documents joined by any of `edges`, grouped by the smallest member.
fn components(n: usize, edges: &[(u32, u32)]) -> Vec<Vec<u32>> {
    let mut parent: Vec<u32> = (0..n as u32).collect();
    fn root(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            x = parent[x as usize];
        }
        x
    }
    for &(a, b) in edges {
        let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
        parent[ra.max(rb) as usize] = ra.min(rb);
    }
    let mut groups: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for d in 0..n as u32 {
        groups.entry(root(&mut parent, d)).or_default().push(d);
    }
    groups.into_values().filter(|g| g.len() > 1).collect()
}

#[test]
fn the_steps_give_the_pairs_and_clusters_of_scan() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/devsets/bbc_news_dev/docs.jsonl"
    );
    let (documents, _) = read_all(&[path.to_string()], &InputOptions::default()).unwrap();
    let ids: Vec<String> = documents.iter().map(|d| d.id.clone()).collect();
    let texts: Vec<String> = documents.iter().map(|d| d.text.clone()).collect();
    let options = ScanOptions::default();
    let expected = scan(documents, &options).unwrap();
    assert!(
        expected.clusters.len() >= 10,
        "the set should have clusters"
    );

    // Corpus statistics, counted as an engine would.
    let n = texts.len() as u64;
    let mut fingerprint_docs: HashMap<u64, u64> = HashMap::new();
    for t in &texts {
        for h in steps::sentence_fingerprints(t) {
            *fingerprint_docs.entry(h).or_default() += 1;
        }
    }
    let min_docs = steps::boilerplate_min_docs(&options, n);
    let boilerplate: Vec<u64> = fingerprint_docs
        .into_iter()
        .filter(|&(_, c)| c >= min_docs)
        .map(|(h, _)| h)
        .collect();
    let boilerplate_set = boilerplate.iter().copied().collect();
    let mut df: HashMap<u64, u32> = HashMap::new();
    for t in &texts {
        for term in steps::content_terms(t, &boilerplate_set) {
            *df.entry(term).or_default() += 1;
        }
    }
    let stats = CorpusStats::from_bytes(&CorpusStats::new(boilerplate, df, n).to_bytes()).unwrap();

    // Keys and candidates.
    let banding = options.banding();
    let keys: Vec<steps::Keys> = texts
        .iter()
        .map(|t| steps::sign(t, &stats, &options, banding))
        .collect();
    let bands: Vec<Vec<u64>> = keys.iter().map(|k| k.band_keys.clone()).collect();
    let anchors: Vec<Vec<u64>> = keys.iter().map(|k| k.anchors.clone()).collect();
    let simhash_tables =
        steps::BlockTables::new(options.simhash_distance, options.simhash_blocks).unwrap();
    let tables: Vec<Vec<u64>> = keys
        .iter()
        .map(|k| simhash_tables.keys(k.simhash))
        .collect();
    let mut all = candidates(&bands, Source::Bands, &options);
    all.extend(candidates(&anchors, Source::Anchors, &options));
    all.extend(
        candidates(&tables, Source::SimHash, &options)
            .into_iter()
            .filter(|&(a, b)| {
                (keys[a as usize].simhash ^ keys[b as usize].simhash).count_ones()
                    <= options.simhash_distance
            }),
    );
    assert_eq!(all.len(), expected.stats.candidates, "candidates");

    // Verification, the smaller id first.
    let features: Vec<_> = texts
        .iter()
        .map(|t| steps::features(t, &stats, &options))
        .collect();
    let mut pairs = Vec::new();
    for &(x, y) in &all {
        let (a, b) = if ids[x as usize] <= ids[y as usize] {
            (x, y)
        } else {
            (y, x)
        };
        if let Some(e) = steps::verify(&features[a as usize], &features[b as usize], &options) {
            pairs.push((a, b, e));
        }
    }
    pairs.sort_by(|x, y| {
        (&ids[x.0 as usize], &ids[x.1 as usize]).cmp(&(&ids[y.0 as usize], &ids[y.1 as usize]))
    });
    let want: Vec<_> = expected
        .pairs
        .iter()
        .map(|p| (p.a, p.b, p.evidence))
        .collect();
    assert_eq!(pairs, want, "verified pairs");

    // Components, then the guard inside each, members in id order.
    let edges: Vec<(u32, u32)> = pairs.iter().map(|p| (p.0, p.1)).collect();
    let mut clusters = Vec::new();
    for mut component in components(texts.len(), &edges) {
        component.sort_by(|&x, &y| ids[x as usize].cmp(&ids[y as usize]));
        let local: HashMap<u32, u32> = component
            .iter()
            .enumerate()
            .map(|(i, &d)| (d, i as u32))
            .collect();
        let member_features: Vec<_> = component
            .iter()
            .map(|&d| features[d as usize].clone())
            .collect();
        let local_edges: Vec<ScoredEdge> = pairs
            .iter()
            .filter(|p| local.contains_key(&p.0))
            .map(|p| ScoredEdge {
                a: local[&p.0],
                b: local[&p.1],
                score: p.2.score,
            })
            .collect();
        for group in steps::guarded_clusters(&member_features, &local_edges, &options) {
            clusters.push(
                group
                    .iter()
                    .map(|&i| component[i as usize])
                    .collect::<Vec<u32>>(),
            );
        }
    }
    clusters.sort_by(|x, y| ids[x[0] as usize].cmp(&ids[y[0] as usize]));
    assert_eq!(clusters, expected.clusters, "clusters");
}
