//! Bad input: with `--skip-bad`, every record that cannot be used is listed in
//! `skipped.csv` (file, line, reason) and counted, never dropped silently;
//! without it the first one stops the run (see `cli_inputs.rs` for each error).

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::json;

const SEEDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/seeds");

fn seed(prefix: &str) -> String {
    let entry = fs::read_dir(SEEDS)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .unwrap();
    fs::read_to_string(entry).unwrap()
}

fn line(id: &str, text: &str) -> String {
    json!({"id": id, "text": text}).to_string() + "\n"
}

fn rows(path: &Path) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(path)
        .unwrap()
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

/// A JSONL file whose good records are the seed pair and one other story,
/// with one bad record of each kind between them (lines 2 to 7).
fn dirty_jsonl() -> Vec<u8> {
    let mut bytes = line("orig", &seed("000")).into_bytes();
    bytes.extend(b"{\"id\": \"cut\", \"text\": \"no closing brace\"\n"); // 2
    bytes.extend(b"{\"id\": \"no-text\"}\n"); // 3
    bytes.extend(b"{\"id\": 42, \"text\": \"a number id\"}\n"); // 4
    bytes.extend(b"{\"id\": \"bad-utf8\", \"text\": \"caf\xe9\"}\n"); // 5
    bytes.extend(b"[\"not\", \"an object\"]\n"); // 6
    bytes.extend(line("orig", "a second document under the id orig").as_bytes()); // 7
    bytes.extend(line("rewr", &seed("001")).as_bytes()); // 8
    bytes.extend(line("other", &seed("002")).as_bytes()); // 9
    bytes
}

#[test]
fn skip_bad_lists_every_skipped_record_with_file_line_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("docs.jsonl"), dirty_jsonl()).unwrap();
    fs::write(
        dir.path().join("more.csv"),
        "id,text\nwide,\"one\",\"two\"\nfine,\"A short text that is fine.\"\n",
    )
    .unwrap();
    Command::cargo_bin("storydup")
        .unwrap()
        .current_dir(dir.path())
        .args([
            "scan",
            "docs.jsonl",
            "more.csv",
            "--skip-bad",
            "--out",
            "out",
        ])
        .assert()
        .success()
        .stderr(predicate::str::contains("skipped 7 bad records"));
    let skipped = rows(&dir.path().join("out/skipped.csv"));
    let places: Vec<(&str, &str)> = skipped
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str()))
        .collect();
    assert_eq!(
        places,
        [
            ("docs.jsonl", "2"),
            ("docs.jsonl", "3"),
            ("docs.jsonl", "4"),
            ("docs.jsonl", "5"),
            ("docs.jsonl", "6"),
            ("docs.jsonl", "7"),
            ("more.csv", "2"),
        ]
    );
    let reasons: Vec<&str> = skipped.iter().map(|r| r[2].as_str()).collect();
    for (reason, expected) in reasons.iter().zip([
        "malformed JSON",
        "missing field \"text\"",
        "not a string",
        "invalid UTF-8",
        "not a JSON object",
        "duplicate id \"orig\" (first at docs.jsonl:1)",
        "expected 2 fields, found 3",
    ]) {
        assert!(reason.contains(expected), "{reason:?} lacks {expected:?}");
    }
    // The good records were all read: the rewrite pair is found.
    let clusters = rows(&dir.path().join("out/clusters.csv"));
    let ids: Vec<&str> = clusters.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(ids, ["orig", "rewr"]);
}

#[test]
fn skip_bad_with_nothing_bad_writes_an_empty_skipped_csv() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = line("orig", &seed("000")) + &line("rewr", &seed("001"));
    fs::write(dir.path().join("docs.jsonl"), jsonl).unwrap();
    Command::cargo_bin("storydup")
        .unwrap()
        .current_dir(dir.path())
        .args(["scan", "docs.jsonl", "--skip-bad", "--out", "out"])
        .assert()
        .success()
        .stderr(predicate::str::contains("skipped 0 bad records"));
    assert_eq!(
        fs::read_to_string(dir.path().join("out/skipped.csv")).unwrap(),
        "file,line,reason\n"
    );
}

#[test]
fn without_skip_bad_the_first_bad_record_stops_the_run() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("docs.jsonl"), dirty_jsonl()).unwrap();
    Command::cargo_bin("storydup")
        .unwrap()
        .current_dir(dir.path())
        .args(["scan", "docs.jsonl", "--out", "out"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("docs.jsonl:2: malformed JSON"));
    assert!(!dir.path().join("out").exists());
}

#[test]
fn skip_bad_does_not_skip_a_broken_compressed_stream() {
    let dir = tempfile::tempdir().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &dirty_jsonl()).unwrap();
    let bytes = gz.finish().unwrap();
    fs::write(dir.path().join("docs.jsonl.gz"), &bytes[..bytes.len() / 2]).unwrap();
    Command::cargo_bin("storydup")
        .unwrap()
        .current_dir(dir.path())
        .args(["scan", "docs.jsonl.gz", "--skip-bad", "--out", "out"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("docs.jsonl.gz"));
    assert!(!dir.path().join("out").exists());
}

#[test]
fn skip_bad_when_every_record_is_bad_is_an_error_saying_so() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("docs.jsonl"), "{oops\n{\"id\": 1}\n").unwrap();
    Command::cargo_bin("storydup")
        .unwrap()
        .current_dir(dir.path())
        .args(["scan", "docs.jsonl", "--skip-bad", "--out", "out"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("all 2 records were skipped"));
    assert!(!dir.path().join("out").exists());
}

#[test]
fn an_unreadable_file_is_an_error_naming_it() {
    // Reading /proc/self/mem at offset 0 fails with EIO even for root, for
    // whom permission bits do not stop a read.
    let dir = tempfile::tempdir().unwrap();
    Command::cargo_bin("storydup")
        .unwrap()
        .current_dir(dir.path())
        .args([
            "scan",
            "/proc/self/mem",
            "--format",
            "jsonl",
            "--out",
            "out",
        ])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("/proc/self/mem").and(predicate::str::contains("cannot read")),
        );
    assert!(!dir.path().join("out").exists());
}

#[test]
fn an_output_folder_that_cannot_be_written_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("docs.jsonl"), line("orig", &seed("000"))).unwrap();
    // A regular file where a folder must go: no one can create it.
    fs::write(dir.path().join("taken"), "a file").unwrap();
    Command::cargo_bin("storydup")
        .unwrap()
        .current_dir(dir.path())
        .args(["scan", "docs.jsonl", "--out", "taken/out"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("taken/out")
                .and(predicate::str::contains("exists and is not a folder")),
        );
    assert_eq!(
        fs::read_to_string(dir.path().join("taken")).unwrap(),
        "a file"
    );
}
