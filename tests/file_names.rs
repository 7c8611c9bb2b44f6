//! Ids from file names keep every byte of the name: names that are not
//! UTF-8 never collapse into one id (`\xHH` for such a byte, `\\` for a
//! backslash).

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use assert_cmd::Command;

const SEEDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/seeds");

#[test]
fn names_that_are_not_utf8_keep_distinct_ids() {
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    fs::create_dir(&docs).unwrap();
    let seeds = [
        "000_6d5f35eb97f0d708.txt",
        "002_8bdbdf7a48a84030.txt",
        "003_226903b830692f9f.txt",
    ];
    let names: [&[u8]; 3] = [b"a\xff.txt", b"a\xfe.txt", b"a\\xff.txt"];
    for (name, seed) in names.iter().zip(seeds) {
        fs::copy(
            Path::new(SEEDS).join(seed),
            docs.join(OsStr::from_bytes(name)),
        )
        .unwrap();
    }
    let out = dir.path().join("out");
    Command::cargo_bin("storydup")
        .unwrap()
        .args(["scan", "--singletons", "--no-html", "--out"])
        .arg(&out)
        .arg(&docs)
        .assert()
        .success();
    let clusters = fs::read_to_string(out.join("clusters.csv")).unwrap();
    let mut ids: Vec<&str> = clusters
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    ids.sort();
    assert_eq!(ids, [r"a\\xff.txt", r"a\xfe.txt", r"a\xff.txt"]);
}
