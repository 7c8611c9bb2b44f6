//! Micro-benchmarks for each pipeline stage on the seed articles:
//! `cargo bench --bench stages`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use storydup::cluster;
use storydup::index::{self, BlockTables};
use storydup::input::{InputOptions, read_all};
use storydup::scan::{ScanOptions, scan, sign_all};
use storydup::sketch::{self, Banding};
use storydup::text;
use storydup::verify::{self, VerifyOptions};

fn seed_texts() -> Vec<String> {
    let (docs, _) = read_all(&["data/seeds".to_string()], &InputOptions::default()).unwrap();
    docs.into_iter().map(|d| d.text).collect()
}

fn stages(c: &mut Criterion) {
    let texts = seed_texts();
    let bytes: usize = texts.iter().map(String::len).sum();
    let mut group = c.benchmark_group("per-document");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("segment (NFKC, case fold, UAX #29)", |b| {
        b.iter(|| {
            texts
                .iter()
                .map(|t| text::tokenize(black_box(t)).tokens.len())
                .sum::<usize>()
        })
    });
    let tokens: Vec<Vec<u64>> = texts
        .iter()
        .map(|t| {
            text::tokenize(t)
                .tokens
                .iter()
                .map(|t| t.word as u64)
                .collect()
        })
        .collect();
    group.bench_function("shingle (word 3-grams)", |b| {
        b.iter(|| {
            tokens
                .iter()
                .map(|w| sketch::shingles(black_box(w), 3).len())
                .sum::<usize>()
        })
    });
    group.bench_function("minhash 128 (one permutation, densified)", |b| {
        b.iter(|| {
            tokens
                .iter()
                .map(|w| sketch::minhash(black_box(w).iter().copied(), 128)[0])
                .sum::<u64>()
        })
    });
    group.bench_function("weighted simhash", |b| {
        b.iter(|| {
            tokens
                .iter()
                .map(|w| sketch::weighted_simhash(black_box(w).iter().map(|&h| (h, 1.0))))
                .fold(0, |a, h| a ^ h)
        })
    });
    group.bench_function("simhash crate (unweighted, SipHash)", |b| {
        b.iter(|| {
            texts
                .iter()
                .map(|t| simhash::simhash(black_box(t)))
                .fold(0, |a, h| a ^ h)
        })
    });
    group.finish();

    let signatures: Vec<Vec<u64>> = tokens
        .iter()
        .map(|w| sketch::minhash(w.iter().copied(), 128))
        .collect();
    let banding = Banding::optimal(0.3, 128, 0.5, 0.5);
    c.bench_function("lsh band keys + candidates (5 docs)", |b| {
        b.iter(|| {
            let keys: Vec<Vec<u64>> = signatures.iter().map(|s| banding.keys(s)).collect();
            index::lsh_candidates(&keys, 1).len()
        })
    });
    let tables = BlockTables::new(3, 6).unwrap();
    let hashes: Vec<u64> = (0..10_000u64).map(storydup::hash::mix64).collect();
    c.bench_function("simhash block tables (10k hashes)", |b| {
        b.iter(|| tables.candidates(black_box(&hashes)).len())
    });
    let options = ScanOptions::default();
    let (signed, _) = sign_all(texts.clone(), &options, options.banding());
    let (a, b2) = (&signed[0].features, &signed[1].features);
    c.bench_function("verify one pair (seed 000 vs 001)", |b| {
        b.iter(|| verify::evidence(black_box(a), black_box(b2), &VerifyOptions::default()).score)
    });
    let edges: Vec<(u32, u32)> = (0..100_000u32)
        .map(|i| (i, (i * 7 + 3) % 100_000))
        .collect();
    c.bench_function("cluster 100k edges", |b| {
        b.iter(|| cluster::clusters(100_000, edges.iter().copied(), |x, y| x.cmp(&y), false).len())
    });
    c.bench_function("scan the seeds end to end", |b| {
        b.iter(|| {
            let (docs, _) =
                read_all(&["data/seeds".to_string()], &InputOptions::default()).unwrap();
            scan(docs, &ScanOptions::default()).unwrap().pairs.len()
        })
    });
}

criterion_group!(benches, stages);
criterion_main!(benches);
