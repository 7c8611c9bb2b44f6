//! A record larger than `--max-doc-mb` (after decompression) is an error
//! naming its file and line, or a counted skip with `--skip-bad`, whatever
//! the format: a small compressed file cannot make storydup hold gigabytes.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

const SEEDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/seeds");

fn seed(name: &str) -> String {
    fs::read_to_string(Path::new(SEEDS).join(name)).unwrap()
}

fn zstd(bytes: &[u8]) -> Vec<u8> {
    zstd::encode_all(bytes, 3).unwrap()
}

/// A JSONL file: the seed pair around a 3 MB record of zeros (line 2).
fn jsonl_with_a_bomb() -> Vec<u8> {
    let line =
        |id: &str, text: &str| serde_json::json!({"id": id, "text": text}).to_string() + "\n";
    let mut out = line("orig", &seed("000_6d5f35eb97f0d708.txt"));
    out += &line("bomb", &"0".repeat(3 << 20));
    out += &line("rewr", &seed("001_a6a27bf682eca62c.txt"));
    out.into_bytes()
}

fn scan(dir: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    Command::cargo_bin("storydup")
        .unwrap()
        .current_dir(dir)
        .arg("scan")
        .args(args)
        .args(["--max-doc-mb", "1", "--no-html"])
        .assert()
}

#[test]
fn an_oversized_jsonl_record_is_an_error_naming_its_line() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("docs.jsonl.zst"),
        zstd(&jsonl_with_a_bomb()),
    )
    .unwrap();
    scan(dir.path(), &["docs.jsonl.zst", "--out", "out"])
        .code(1)
        .stderr(predicate::str::contains(
            "docs.jsonl.zst:2: record larger than 1 MB (--max-doc-mb)",
        ));
    assert!(!dir.path().join("out").exists());
}

#[test]
fn with_skip_bad_an_oversized_record_is_skipped_and_the_rest_is_read() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("docs.jsonl.zst"),
        zstd(&jsonl_with_a_bomb()),
    )
    .unwrap();
    scan(
        dir.path(),
        &["docs.jsonl.zst", "--skip-bad", "--out", "out"],
    )
    .success();
    let skipped = fs::read_to_string(dir.path().join("out/skipped.csv")).unwrap();
    assert!(
        skipped.contains("docs.jsonl.zst,2,record larger than 1 MB"),
        "{skipped}"
    );
    let pairs = fs::read_to_string(dir.path().join("out/pairs.csv")).unwrap();
    assert!(pairs.contains("orig,rewr,"), "{pairs}");
}

#[test]
fn an_oversized_text_file_or_csv_row_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("zeros.txt.zst"), zstd(&vec![0u8; 3 << 20])).unwrap();
    scan(dir.path(), &["zeros.txt.zst"])
        .code(1)
        .stderr(predicate::str::contains(
            "zeros.txt.zst:1: record larger than 1 MB",
        ));
    let mut csv = String::from("id,text\na,short text\n");
    csv += &format!("b,{}\n", "x".repeat(3 << 20));
    fs::write(dir.path().join("rows.csv"), csv).unwrap();
    scan(dir.path(), &["rows.csv"])
        .code(1)
        .stderr(predicate::str::contains(
            "rows.csv:3: record larger than 1 MB",
        ));
}
