//! The user's seed articles: 001 is a full paraphrase of 000 (word 3-gram
//! Jaccard about 0.11); 002, 003 and 004 are different stories about the
//! same people and must stay out of every cluster.

use std::collections::BTreeMap;

use assert_cmd::Command;

const REWRITE: [&str; 2] = ["000_6d5f35eb97f0d708.txt", "001_a6a27bf682eca62c.txt"];

fn clusters(out: &std::path::Path) -> BTreeMap<String, Vec<String>> {
    let mut reader = csv::Reader::from_path(out.join("clusters.csv")).unwrap();
    let mut clusters: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for record in reader.records() {
        let record = record.unwrap();
        clusters
            .entry(record[0].to_string())
            .or_default()
            .push(record[1].to_string());
    }
    clusters
}

/// Scans the seeds at default options into a fresh folder.
fn scan_seeds() -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    Command::cargo_bin("storydup")
        .unwrap()
        .args(["scan", "data/seeds", "--out"])
        .arg(out.path())
        .assert()
        .success();
    out
}

#[test]
fn default_scan_clusters_the_paraphrase_and_nothing_else() {
    let out = scan_seeds();
    let clusters = clusters(out.path());
    let groups: Vec<&Vec<String>> = clusters.values().collect();
    assert_eq!(
        groups,
        vec![&REWRITE.map(String::from).to_vec()],
        "clusters: {clusters:?}"
    );

    let mut pairs = csv::Reader::from_path(out.path().join("pairs.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = pairs.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!((&rows[0][0], &rows[0][1]), (REWRITE[0], REWRITE[1]));
    let jaccard: f64 = rows[0][3].parse().unwrap();
    assert!(
        jaccard < 0.2,
        "the seed pair is a paraphrase, not a copy: {jaccard}"
    );
}

#[test]
fn seed_reports_are_identical_on_every_run() {
    let run = || {
        let out = scan_seeds();
        (
            std::fs::read(out.path().join("pairs.csv")).unwrap(),
            std::fs::read(out.path().join("clusters.csv")).unwrap(),
        )
    };
    assert_eq!(run(), run());
}
