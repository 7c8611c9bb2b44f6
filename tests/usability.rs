//! What a user sees: the summary, --quiet, --dedup-out, --report-format,
//! shell completions and the manual page.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

const BBC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/devsets/bbc_news_dev/docs.jsonl"
);
const SEEDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/seeds");

fn storydup() -> Command {
    Command::cargo_bin("storydup").unwrap()
}

fn bbc() -> &'static str {
    assert!(
        Path::new(BBC).exists(),
        "{BBC} is missing: put ../shared beside the repository"
    );
    BBC
}

/// clusters.csv as cluster id -> member ids.
fn clusters(out: &Path) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut reader = csv::Reader::from_path(out.join("clusters.csv")).unwrap();
    for row in reader.records() {
        let row = row.unwrap();
        map.entry(row[0].to_string())
            .or_default()
            .push(row[1].to_string());
    }
    map
}

#[test]
fn summary_gives_documents_pairs_clusters_by_size_stage_times_and_peak_memory() {
    let out = tempfile::tempdir().unwrap();
    storydup()
        .args(["scan", bbc(), "--out"])
        .arg(out.path())
        .assert()
        .success()
        .stderr(
            predicate::str::contains("storydup: 928 documents")
                .and(predicate::str::contains("candidates:"))
                .and(predicate::str::contains("verified pairs:"))
                .and(predicate::str::contains("(by size 2: "))
                .and(predicate::str::contains("time: read+segment"))
                .and(predicate::str::contains("peak memory:"))
                // Standard error is not a terminal here: no progress bars.
                .and(predicate::str::contains("ETA").not()),
        );
}

#[test]
fn quiet_prints_nothing_but_still_writes_the_reports() {
    let out = tempfile::tempdir().unwrap();
    storydup()
        .args(["scan", SEEDS, "--quiet", "--out"])
        .arg(out.path())
        .assert()
        .success()
        .stderr(predicate::str::is_empty());
    assert!(out.path().join("pairs.csv").exists());
    assert!(out.path().join("report.html").exists());
}

#[test]
fn dedup_out_keeps_one_record_per_cluster_verbatim_and_counts_the_rest() {
    let out = tempfile::tempdir().unwrap();
    let dedup = out.path().join("dedup.jsonl");
    storydup()
        .args(["scan", bbc(), "--out"])
        .arg(out.path())
        .arg("--dedup-out")
        .arg(&dedup)
        .assert()
        .success()
        .stderr(predicate::str::contains("deduplicated: kept"));
    let input: Vec<String> = fs::read_to_string(BBC)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    let kept: Vec<String> = fs::read_to_string(&dedup)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    let groups = clusters(out.path());
    let in_clusters: usize = groups.values().map(Vec::len).sum();
    assert_eq!(kept.len(), input.len() - (in_clusters - groups.len()));
    // Records are copied unchanged and in input order.
    let mut next = 0;
    for line in &kept {
        next += input[next..]
            .iter()
            .position(|l| l == line)
            .expect("not an input line")
            + 1;
    }
    // Exactly one member of each cluster is left, the earliest in the input.
    let kept_ids: Vec<String> = kept
        .iter()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let position = |id: &str| {
        input
            .iter()
            .position(|l| l.contains(&format!("\"{id}\"")))
            .unwrap()
    };
    for members in groups.values() {
        let left: Vec<&String> = members.iter().filter(|m| kept_ids.contains(m)).collect();
        assert_eq!(left.len(), 1, "{members:?}");
        let earliest = members.iter().min_by_key(|m| position(m)).unwrap();
        assert_eq!(left[0], earliest);
    }
}

#[test]
fn dedup_out_keep_longest_keeps_the_longest_member() {
    let dir = tempfile::tempdir().unwrap();
    let original = fs::read_to_string(Path::new(SEEDS).join("000_6d5f35eb97f0d708.txt")).unwrap();
    let rewrite = fs::read_to_string(Path::new(SEEDS).join("001_a6a27bf682eca62c.txt")).unwrap();
    assert!(original.len() > rewrite.len());
    let mut writer = csv::Writer::from_path(dir.path().join("docs.csv")).unwrap();
    writer.write_record(["id", "text", "source"]).unwrap();
    writer
        .write_record(["r", rewrite.as_str(), "wire"])
        .unwrap();
    writer
        .write_record(["o", original.as_str(), "bbc"])
        .unwrap();
    writer.flush().unwrap();
    for (keep, expected) in [("earliest", "r"), ("longest", "o")] {
        storydup()
            .current_dir(dir.path())
            .args([
                "scan",
                "docs.csv",
                "--out",
                "out",
                "--dedup-out",
                "clean.csv",
                "--keep",
                keep,
            ])
            .assert()
            .success();
        let mut reader = csv::Reader::from_path(dir.path().join("clean.csv")).unwrap();
        assert_eq!(reader.headers().unwrap(), vec!["id", "text", "source"]);
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 1, "{keep}");
        assert_eq!(&rows[0][0], expected, "{keep}");
    }
}

#[test]
fn dedup_out_cannot_read_standard_input_twice() {
    storydup()
        .args(["scan", "-", "--dedup-out", "x.jsonl"])
        .write_stdin("")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("standard input"));
}

#[test]
fn report_format_jsonl_writes_the_same_rows_as_csv() {
    let csv_out = tempfile::tempdir().unwrap();
    let jsonl_out = tempfile::tempdir().unwrap();
    storydup()
        .args(["scan", bbc(), "-q", "--out"])
        .arg(csv_out.path())
        .assert()
        .success();
    storydup()
        .args(["scan", bbc(), "-q", "--report-format", "jsonl", "--out"])
        .arg(jsonl_out.path())
        .assert()
        .success();
    let mut reader = csv::Reader::from_path(csv_out.path().join("pairs.csv")).unwrap();
    let header = reader.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let lines = fs::read_to_string(jsonl_out.path().join("pairs.jsonl")).unwrap();
    let objects: Vec<serde_json::Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), objects.len());
    assert!(rows.len() > 50);
    for (row, object) in rows.iter().zip(&objects) {
        assert_eq!(object["doc_a"].as_str().unwrap(), &row[0]);
        assert_eq!(object["doc_b"].as_str().unwrap(), &row[1]);
        let score: f64 = row[header.iter().position(|h| h == "score").unwrap()]
            .parse()
            .unwrap();
        assert!((object["score"].as_f64().unwrap() - score).abs() < 1e-9);
        assert!(object["aligned_a"].is_u64());
    }
    assert!(jsonl_out.path().join("clusters.jsonl").exists());
    assert!(!jsonl_out.path().join("pairs.csv").exists());
}

#[test]
fn completions_and_man_page_are_generated_from_the_cli() {
    storydup()
        .args(["completions", "bash"])
        .assert()
        .success()
        .stdout(predicate::str::contains("storydup").and(predicate::str::contains("--dedup-out")));
    storydup()
        .args(["man"])
        .assert()
        .success()
        .stdout(predicate::str::contains(".TH storydup").and(predicate::str::contains("scan")));
}

#[test]
fn every_command_help_has_an_example() {
    for command in ["scan", "eval", "explain", "completions", "man"] {
        storydup()
            .args([command, "--help"])
            .assert()
            .success()
            .stdout(predicate::str::contains("Example"));
    }
}
