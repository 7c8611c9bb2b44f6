//! Pairwise precision, recall and F1 on the labelled development sets in
//! `../shared/devsets` (override with STORYDUP_DEVSETS), at default options.

use std::path::PathBuf;

use storydup::eval::{read_pairs, score_pairs};
use storydup::input::{InputOptions, read_all};
use storydup::scan::{ScanOptions, scan};

fn devset(name: &str) -> PathBuf {
    let root = std::env::var_os("STORYDUP_DEVSETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/devsets"));
    let dir = root.join(name);
    assert!(
        dir.join("docs.jsonl").exists(),
        "development set {} is missing: put ../shared beside the repository or set STORYDUP_DEVSETS",
        dir.display()
    );
    dir
}

fn evaluate(name: &str) -> storydup::eval::PairScores {
    let dir = devset(name);
    let docs = dir.join("docs.jsonl").display().to_string();
    let (documents, _) = read_all(&[docs], &InputOptions::default()).unwrap();
    let result = scan(documents, &ScanOptions::default()).unwrap();
    let scores = score_pairs(&result, &read_pairs(&dir).unwrap());
    println!("{name} at default options:\n{scores}");
    scores
}

#[test]
fn clough_stevenson_f1_at_defaults() {
    let scores = evaluate("clough_stevenson");
    assert!(scores.f1() >= 0.90, "F1 {:.4} < 0.90", scores.f1());
}

#[test]
fn clough_stevenson_keeps_independent_answers_apart() {
    let scores = evaluate("clough_stevenson");
    let rate = scores.rate("same_topic_independent").unwrap();
    assert!(
        rate <= 0.02,
        "{rate:.4} of same_topic_independent pairs merged"
    );
}

#[test]
fn bbc_news_dev_f1_and_follow_ups_kept_apart() {
    let scores = evaluate("bbc_news_dev");
    assert!(scores.f1() >= 0.93, "F1 {:.4} < 0.93", scores.f1());
    let different = scores.rate("different").unwrap();
    assert!(
        different <= 0.10,
        "{different:.4} of different pairs merged"
    );
}

#[test]
fn sentence_fast_path_equals_uax29_on_every_devset_document() {
    use unicode_segmentation::UnicodeSegmentation;
    for name in ["clough_stevenson", "bbc_news_dev"] {
        let docs = devset(name).join("docs.jsonl").display().to_string();
        let (documents, _) = read_all(&[docs], &InputOptions::default()).unwrap();
        for doc in &documents {
            let text = storydup::text::nfkc(&doc.text);
            let expected: Vec<&str> = text.split_sentence_bounds().collect();
            assert_eq!(
                storydup::text::sentence_bounds(&text),
                expected,
                "{}",
                doc.id
            );
        }
    }
}
