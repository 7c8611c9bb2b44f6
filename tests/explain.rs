//! `storydup explain`: the verdict and the evidence a reader can check.

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
