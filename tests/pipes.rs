//! Inputs that can be read only once (a named pipe, `<(...)`) are read
//! once: report.html is skipped with a note instead of hanging on a second
//! read, and `--dedup-out`, which must read again, is refused before any
//! reading.

use std::fs;
use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;
use predicates::prelude::*;

const SEEDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/seeds");

fn fifo(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("docs.jsonl");
    let status = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success());
    path
}

fn seeds_jsonl() -> String {
    let mut out = String::new();
    for entry in fs::read_dir(SEEDS).unwrap() {
        let entry = entry.unwrap();
        let text = fs::read_to_string(entry.path()).unwrap();
        let id = entry.file_name().to_string_lossy().into_owned();
        out += &serde_json::json!({"id": id, "text": text}).to_string();
        out.push('\n');
    }
    out
}

#[test]
fn a_named_pipe_is_read_once_and_report_html_is_skipped_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let pipe = fifo(dir.path());
    let writer = {
        let pipe = pipe.clone();
        std::thread::spawn(move || fs::write(pipe, seeds_jsonl()).unwrap())
    };
    let out = dir.path().join("out");
    Command::cargo_bin("storydup")
        .unwrap()
        .args(["scan"])
        .arg(&pipe)
        .arg("--out")
        .arg(&out)
        .timeout(Duration::from_secs(60))
        .assert()
        .success()
        .stderr(predicate::str::contains("report.html: not written"));
    writer.join().unwrap();
    let pairs = fs::read_to_string(out.join("pairs.csv")).unwrap();
    assert_eq!(pairs.lines().count(), 2, "{pairs}");
    assert!(!out.join("report.html").exists());
}

#[test]
fn dedup_out_with_a_named_pipe_is_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let pipe = fifo(dir.path());
    // Nobody writes into the pipe: opening it would block for ever.
    Command::cargo_bin("storydup")
        .unwrap()
        .arg("scan")
        .arg(&pipe)
        .arg("--dedup-out")
        .arg(dir.path().join("kept.jsonl"))
        .timeout(Duration::from_secs(30))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("can be read only once"));
}
