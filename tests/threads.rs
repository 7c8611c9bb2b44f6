//! Same input and options give byte-identical reports whatever the thread count.

use assert_cmd::Command;

fn reports(threads: &str, input: &str) -> (Vec<u8>, Vec<u8>) {
    let out = tempfile::tempdir().unwrap();
    Command::cargo_bin("storydup")
        .unwrap()
        .args(["scan", input, "--threads", threads, "--out"])
        .arg(out.path())
        .assert()
        .success();
    (
        std::fs::read(out.path().join("pairs.csv")).unwrap(),
        std::fs::read(out.path().join("clusters.csv")).unwrap(),
    )
}

#[test]
fn reports_are_byte_identical_for_one_and_many_threads() {
    let input = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/devsets/bbc_news_dev/docs.jsonl"
    );
    assert!(
        std::path::Path::new(input).exists(),
        "{input} is missing: put ../shared beside the repository"
    );
    let one = reports("1", input);
    assert!(one.0.len() > 1000, "the set should yield many pairs");
    for threads in ["2", "7"] {
        assert_eq!(
            one,
            reports(threads, input),
            "{threads} threads differ from 1"
        );
    }
}
