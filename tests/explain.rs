//! `storydup explain`: the verdict and the evidence a reader can check.

mod common;

use assert_cmd::Command;
use predicates::prelude::*;

fn storydup() -> Command {
    Command::cargo_bin("storydup").unwrap()
}

#[test]
fn explain_two_files_calls_the_seed_paraphrase_a_rewrite_and_shows_aligned_passages() {
    storydup()
        .args([
            "explain",
            "data/seeds/000_6d5f35eb97f0d708.txt",
            "data/seeds/001_a6a27bf682eca62c.txt",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("verdict: REWRITE"))
        .stdout(predicate::str::contains(
            "passages of A with their closest passage of B:",
        ))
        // A passage of each, on one line, and an aligned one marked.
        .stdout(predicate::str::contains("arrived on Thursday morning"))
        .stdout(predicate::str::contains(
            "Ceasefire in Moscow Amid Russian Military Gains",
        ))
        .stdout(predicate::str::is_match(r"(?m)^= A\d+ ").unwrap())
        .stdout(predicate::str::contains("shared rare terms: "));
}

#[test]
fn explain_two_ids_of_one_input_calls_same_topic_stories_different() {
    storydup()
        .args([
            "explain",
            "000_6d5f35eb97f0d708.txt",
            "002_8bdbdf7a48a84030.txt",
            "--in",
            "data/seeds",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("verdict: different stories"))
        .stdout(predicate::str::contains("new rare terms of B:"));
}

#[test]
fn explain_agrees_with_the_scan_score_when_given_the_whole_input() {
    let out = tempfile::tempdir().unwrap();
    storydup()
        .args(["scan", "data/seeds", "--out"])
        .arg(out.path())
        .assert()
        .success();
    let pairs = std::fs::read_to_string(out.path().join("pairs.csv")).unwrap();
    let score = pairs
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .nth(2)
        .unwrap()
        .to_string();
    storydup()
        .args([
            "explain",
            "001_a6a27bf682eca62c.txt",
            "000_6d5f35eb97f0d708.txt",
            "--in",
            "data/seeds",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("score {score}")));
}

#[test]
fn explain_an_unknown_id_is_a_usage_error() {
    storydup()
        .args([
            "explain",
            "nope",
            "000_6d5f35eb97f0d708.txt",
            "--in",
            "data/seeds",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no document with id \"nope\""));
}

/// `explain A B --in INPUT --csv` prints exactly pairs.csv's row for the
/// pair, every column, for every reported pair of a set (and the first
/// pairs of another).
#[test]
fn explain_with_the_input_gives_exactly_the_pairs_csv_row() {
    for (set, most) in [("clough_stevenson", usize::MAX), ("bbc_news_dev", 12)] {
        let docs = common::devset(set).join("docs.jsonl");
        let out = tempfile::tempdir().unwrap();
        storydup()
            .args(["scan", "--no-html", "--quiet", "--out"])
            .arg(out.path())
            .arg(&docs)
            .assert()
            .success();
        let pairs = std::fs::read_to_string(out.path().join("pairs.csv")).unwrap();
        let mut lines = pairs.lines();
        let header = lines.next().unwrap();
        let rows: Vec<&str> = lines.take(most).collect();
        assert!(rows.len() >= 10, "{set}: only {} pairs", rows.len());
        for row in rows {
            let mut fields = row.split(',');
            let (a, b) = (fields.next().unwrap(), fields.next().unwrap());
            // Asked in the other order: pairs.csv's order comes back.
            let printed = storydup()
                .args(["explain", b, a, "--csv", "--in"])
                .arg(&docs)
                .output()
                .unwrap();
            assert!(printed.status.success(), "{set} {a} {b}");
            assert_eq!(
                String::from_utf8(printed.stdout).unwrap(),
                format!("{header}\n{row}\n"),
                "{set}: explain differs from pairs.csv"
            );
        }
    }
}

#[test]
fn explain_of_two_files_says_its_numbers_come_from_those_two_alone() {
    storydup()
        .args([
            "explain",
            "data/seeds/000_6d5f35eb97f0d708.txt",
            "data/seeds/002_8bdbdf7a48a84030.txt",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "computed on these two documents alone",
        ))
        .stdout(predicate::str::contains("--in INPUT"));
    storydup()
        .args([
            "explain",
            "000_6d5f35eb97f0d708.txt",
            "002_8bdbdf7a48a84030.txt",
            "--in",
            "data/seeds",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "computed as a scan of data/seeds computes it",
        ));
}

/// A JSONL or CSV file (compressed or not) or a folder holds many
/// documents: explain refuses it as one document and points to --in,
/// before reading anything.
#[test]
fn explain_refuses_a_dump_or_a_folder_as_one_document_and_points_to_in() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["dump.jsonl", "dump.csv.gz", "dump.ndjson.zst"] {
        // Not even readable: the name alone decides.
        let path = dir.path().join(name);
        storydup()
            .args(["explain", "data/seeds/000_6d5f35eb97f0d708.txt"])
            .arg(&path)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("holds many documents"))
            .stderr(predicate::str::contains("--in"));
    }
    storydup()
        .args([
            "explain",
            "data/seeds",
            "data/seeds/000_6d5f35eb97f0d708.txt",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--in data/seeds"));
}
