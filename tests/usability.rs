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

/// One of a thing is singular: "1 pair", "1 duplicate", "1 bad record".
#[test]
fn summary_counts_agree_with_their_nouns() {
    let out = tempfile::tempdir().unwrap();
    let input = out.path().join("in.jsonl");
    let seed = |name: &str| std::fs::read_to_string(format!("{SEEDS}/{name}")).unwrap();
    let line = |id: &str, text: &str| serde_json::json!({"id": id, "text": text}).to_string();
    std::fs::write(
        &input,
        [
            line("a", &seed("000_6d5f35eb97f0d708.txt")),
            line("b", &seed("001_a6a27bf682eca62c.txt")),
            line("c", &seed("002_8bdbdf7a48a84030.txt")),
            "not json".to_string(),
        ]
        .join("\n"),
    )
    .unwrap();
    storydup()
        .args(["scan", "--skip-bad", "--no-html", "--out"])
        .arg(out.path().join("out"))
        .arg(&input)
        .arg("--dedup-out")
        .arg(out.path().join("dedup.jsonl"))
        .assert()
        .success()
        .stderr(
            predicate::str::contains("3 documents read, 1 record skipped")
                .and(predicate::str::contains("candidates: 1 pair ("))
                .and(predicate::str::contains("dropped 1 duplicate ("))
                .and(predicate::str::contains("skipped 1 bad record (")),
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

/// `storydup man` prints storydup's page, `man scan` the page its
/// SUBCOMMANDS section points to, and `man --dir` writes them all.
#[test]
fn every_manual_page_the_main_page_names_can_be_had() {
    let main = storydup().arg("man").output().unwrap();
    assert!(main.status.success());
    let main = String::from_utf8(main.stdout).unwrap();
    assert!(main.contains("storydup\\-scan(1)"), "{main}");
    storydup()
        .args(["man", "scan"])
        .assert()
        .success()
        .stdout(predicate::str::contains(".TH storydup-scan 1"))
        .stdout(predicate::str::contains("\\-\\-dedup\\-out"));
    let dir = tempfile::tempdir().unwrap();
    storydup()
        .args(["man", "--dir"])
        .arg(dir.path().join("man1"))
        .assert()
        .success();
    for page in [
        "storydup.1",
        "storydup-scan.1",
        "storydup-eval.1",
        "storydup-explain.1",
        "storydup-completions.1",
        "storydup-man.1",
    ] {
        assert!(dir.path().join("man1").join(page).exists(), "no {page}");
    }
}

/// Each subcommand takes the options that can change what it does:
/// explain judges one pair, so candidate and clustering options are not
/// its; man and completions run no pipeline, so no --threads.
#[test]
fn subcommands_offer_only_options_that_matter_to_them() {
    let help = storydup().args(["explain", "--help"]).output().unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    for option in ["--threshold", "--passage-threshold", "--in", "--threads"] {
        assert!(help.contains(option), "explain --help lacks {option}");
    }
    for option in [
        "--num-perm",
        "--bands",
        "--simhash-distance",
        "--chain-sample",
    ] {
        assert!(!help.contains(option), "explain --help lists {option}");
    }
    for args in [
        &["man", "--threads", "2"][..],
        &["completions", "bash", "--threads", "2"],
    ] {
        storydup().args(args).assert().code(2);
    }
    storydup()
        .args(["scan", "--threads", "2", "--quiet", "--no-html", "--out"])
        .arg(tempfile::tempdir().unwrap().path().join("out"))
        .arg(SEEDS)
        .assert()
        .success();
}
