//! Extreme documents: each is read, segmented and reported (as a singleton
//! with `--singletons`) without a panic, and none is dropped.

use std::fs;

use assert_cmd::Command;
use serde_json::json;
use storydup::hash::SplitMix64;

/// A text of `bytes` bytes of pseudo-random words in sentences.
fn huge_text(bytes: usize) -> String {
    let mut rng = SplitMix64::new(5);
    let mut text = String::with_capacity(bytes + 64);
    let mut words = 0;
    while text.len() < bytes {
        if words % 12 == 0 {
            text.push_str("Wort");
        }
        text.push_str(&format!("w{} ", rng.below(50_000)));
        words += 1;
        if words % 12 == 0 {
            text.push_str(". ");
        }
    }
    text
}

fn extreme_documents() -> Vec<(&'static str, String)> {
    vec![
        ("empty", String::new()),
        ("only-spaces", " \n\t  \r\n ".into()),
        ("single-word", "Ceasefire".into()),
        ("fifty-megabytes", huge_text(50 << 20)),
        ("one-megabyte-line-without-spaces", "x".repeat(1 << 20)),
        ("only-punctuation", "!!! ... ??? --- ;;; ((( ))) \"\" ''".repeat(100)),
        ("only-emoji", "🙂🚀🔥🇺🇦👍🏽 ".repeat(500)),
        (
            "mixed-scripts",
            "Путин встретился с Witkoff в Москве. 特朗普说谈判很好。 Ο Ζελένσκι απάντησε. بوتين قال نعم.".into(),
        ),
        (
            "zero-width-and-right-to-left",
            "Wit\u{200b}koff\u{200d} met \u{202e}nitup\u{202c} and \u{200f}שלום\u{200e} today.\u{feff}".into(),
        ),
        ("nul-bytes", "Talks\u{0}resumed\u{0} in\u{0}\u{0} Moscow. \u{0}".into()),
        ("lone-combining-marks", "\u{301}\u{302}\u{303} e\u{301}\u{301}\u{301}".repeat(50)),
    ]
}

#[test]
fn extreme_documents_are_all_reported_without_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let docs = extreme_documents();
    let jsonl: String = docs
        .iter()
        .map(|(id, text)| json!({"id": id, "text": text}).to_string() + "\n")
        .collect();
    fs::write(dir.path().join("docs.jsonl"), jsonl).unwrap();
    Command::cargo_bin("storydup")
        .unwrap()
        .current_dir(dir.path())
        .args(["scan", "docs.jsonl", "--singletons", "--out", "out"])
        .assert()
        .success();
    let clusters = fs::read_to_string(dir.path().join("out/clusters.csv")).unwrap();
    let mut listed: Vec<&str> = clusters
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    listed.sort();
    let mut expected: Vec<&str> = docs.iter().map(|d| d.0).collect();
    expected.sort();
    assert_eq!(listed, expected);
}

#[test]
fn extreme_documents_as_plain_text_files_are_read_too() {
    let dir = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let docs = extreme_documents();
    for (id, text) in &docs {
        if *id != "fifty-megabytes" {
            fs::write(dir.path().join(format!("{id}.txt")), text).unwrap();
        }
    }
    Command::cargo_bin("storydup")
        .unwrap()
        .current_dir(dir.path())
        .args(["scan", ".", "--singletons", "--out"])
        .arg(out.path())
        .assert()
        .success();
    let clusters = fs::read_to_string(out.path().join("clusters.csv")).unwrap();
    assert_eq!(clusters.lines().count(), docs.len());
}
