//! Where `storydup scan` writes is checked before any input is read: a
//! mistaken `--out` or `--dedup-out` is a usage error (exit 2) that leaves
//! every file as it was, and the report folder is never read as input.
//!
//! "Before any input is read" is shown by giving an input that cannot be
//! read at all: the error must still be about the destination.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use tempfile::TempDir;

const SEEDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/seeds");

fn storydup() -> Command {
    Command::cargo_bin("storydup").unwrap()
}

/// Three copies of one record and a fourth record, as JSONL.
fn duplicates(dir: &Path) -> std::path::PathBuf {
    let text = fs::read_to_string(Path::new(SEEDS).join("000_6d5f35eb97f0d708.txt")).unwrap();
    let other = fs::read_to_string(Path::new(SEEDS).join("002_8bdbdf7a48a84030.txt")).unwrap();
    let mut jsonl = String::new();
    for (id, t) in [("a", &text), ("b", &text), ("c", &text), ("d", &other)] {
        jsonl += &serde_json::json!({"id": id, "text": t}).to_string();
        jsonl.push('\n');
    }
    let path = dir.join("in.jsonl");
    fs::write(&path, jsonl).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    path
}

/// Every file under `dir` with its bytes and mode.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>, u32)> {
    let mut files: Vec<_> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let meta = e.metadata().unwrap();
            (
                e.path().display().to_string(),
                fs::read(e.path()).unwrap(),
                meta.permissions().mode(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn dedup_out_naming_the_input_is_refused_and_the_input_is_untouched() {
    let dir = TempDir::new().unwrap();
    let input = duplicates(dir.path());
    let before = snapshot(dir.path());
    storydup()
        .current_dir(dir.path())
        .args(["scan", "in.jsonl", "--dedup-out", "in.jsonl", "--no-html"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is the input in.jsonl"));
    assert_eq!(snapshot(dir.path()), before, "{}", input.display());
    assert!(!dir.path().join("storydup-out").exists());
    // The same file under another name (a hard link) is the same input.
    fs::hard_link(&input, dir.path().join("alias.jsonl")).unwrap();
    storydup()
        .current_dir(dir.path())
        .args(["scan", "in.jsonl", "--dedup-out", "alias.jsonl"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("would be replaced"));
}

#[test]
fn dedup_out_naming_a_report_is_refused() {
    let dir = TempDir::new().unwrap();
    duplicates(dir.path());
    for report in ["out/pairs.csv", "out/./clusters.csv", "out/report.html.csv"] {
        let assert = storydup()
            .current_dir(dir.path())
            .args(["scan", "in.jsonl", "--out", "out", "--dedup-out", report])
            .assert();
        if report.ends_with("report.html.csv") {
            // Not a report name: allowed.
            assert.success();
        } else {
            assert
                .code(2)
                .stderr(predicate::str::contains("is the report"));
        }
    }
}

#[test]
fn dedup_out_inside_an_input_folder_is_refused_unless_inside_the_report_folder() {
    let dir = TempDir::new().unwrap();
    let docs = dir.path().join("docs");
    fs::create_dir(&docs).unwrap();
    for name in ["000_6d5f35eb97f0d708.txt", "001_a6a27bf682eca62c.txt"] {
        fs::copy(Path::new(SEEDS).join(name), docs.join(name)).unwrap();
    }
    storydup()
        .current_dir(dir.path())
        .args(["scan", "docs", "--dedup-out", "docs/kept.jsonl"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("inside the input folder"));
    storydup()
        .current_dir(dir.path())
        .args([
            "scan",
            "docs",
            "--out",
            "docs/out",
            "--dedup-out",
            "docs/out/kept.jsonl",
        ])
        .assert()
        .success();
    let kept = fs::read_to_string(docs.join("out/kept.jsonl")).unwrap();
    assert_eq!(kept.lines().count(), 1);
}

#[test]
fn usage_errors_about_outputs_come_before_reading_any_input() {
    let dir = TempDir::new().unwrap();
    let unreadable = dir.path().join("broken.jsonl");
    fs::write(&unreadable, "{not json\n").unwrap();
    let file = dir.path().join("a-file");
    fs::write(&file, "x").unwrap();
    let cases: [(&[&str], &str); 4] = [
        (&["--out", "a-file"], "exists and is not a folder"),
        (&["--out", "a-file/sub"], "exists and is not a folder"),
        (&["--dedup-out", "clean.txt"], "must end in .jsonl"),
        (
            &["--dedup-out", "a-file/kept.jsonl"],
            "exists and is not a folder",
        ),
    ];
    for (options, message) in cases {
        let before = snapshot(dir.path());
        storydup()
            .current_dir(dir.path())
            .args(["scan", "broken.jsonl"])
            .args(options)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(message))
            .stderr(predicate::str::contains("broken.jsonl").not());
        assert_eq!(snapshot(dir.path()), before, "{options:?}");
    }
}

#[test]
fn a_report_folder_that_cannot_be_written_is_refused_before_reading() {
    // sysfs refuses new files even to root, who could write in any folder
    // whose permissions merely forbid it.
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("broken.jsonl"), "{not json\n").unwrap();
    storydup()
        .current_dir(dir.path())
        .args(["scan", "broken.jsonl", "--out", "/sys/storydup-out"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("cannot write in this folder"))
        .stderr(predicate::str::contains("broken.jsonl").not());
    assert!(!Path::new("/sys/storydup-out").exists());
}

#[test]
fn scanning_the_current_folder_twice_never_reads_the_reports() {
    let dir = TempDir::new().unwrap();
    for entry in fs::read_dir(SEEDS).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    let run = || {
        storydup()
            .current_dir(dir.path())
            .args(["scan", "."])
            .assert()
            .success()
            .stderr(predicate::str::contains("storydup: 5 documents"));
        fs::read(dir.path().join("storydup-out/pairs.csv")).unwrap()
    };
    let first = run();
    let second = run();
    assert_eq!(first, second);
    assert!(dir.path().join("storydup-out/report.html").exists());
}

#[test]
fn numeric_options_out_of_range_or_nan_are_usage_errors() {
    let cases: [&[&str]; 11] = [
        &["--boilerplate-share", "NaN"],
        &["--chain-support", "NaN"],
        &["--chain-score-ratio", "inf"],
        &["--threshold", "NaN"],
        &["--threads", "100000"],
        &["--num-perm", "100000000"],
        &["--chain-sample", "0"],
        &["--max-anchor-docs", "1"],
        &["--buffer-mb", "0"],
        // C(64, 32) tables: would never finish building.
        &["--simhash-blocks", "64", "--simhash-distance", "32"],
        &["--shingle-size", "1000"],
    ];
    let dir = TempDir::new().unwrap();
    for options in cases {
        storydup()
            .args(["scan", SEEDS, "--no-html", "--out"])
            .arg(dir.path().join("out"))
            .args(options)
            .timeout(std::time::Duration::from_secs(60))
            .assert()
            .code(2);
        assert!(!dir.path().join("out").exists(), "{options:?}");
    }
}

#[test]
fn a_second_run_into_a_locked_report_folder_fails_at_once_and_leaves_it_alone() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("out");
    storydup()
        .args(["scan", SEEDS, "--out"])
        .arg(&out)
        .assert()
        .success();
    let before = snapshot(&out);
    // Another run holds the folder (this test process stands in for it).
    let holder = fs::File::open(&out).unwrap();
    holder.lock().unwrap();
    storydup()
        .args(["scan", SEEDS, "--out"])
        .arg(&out)
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("another storydup run"));
    assert_eq!(snapshot(&out), before);
    drop(holder);
    storydup()
        .args(["scan", SEEDS, "--out"])
        .arg(&out)
        .assert()
        .success();
}

/// The report files in `out`, sorted.
fn reports(out: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn the_report_folder_holds_one_runs_set_of_reports() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("out");
    let scan = |options: &[&str]| {
        storydup()
            .args(["scan", SEEDS, "--out"])
            .arg(&out)
            .args(options)
            .assert()
            .success();
        reports(&out)
    };
    assert_eq!(
        scan(&["--skip-bad"]),
        ["clusters.csv", "pairs.csv", "report.html", "skipped.csv"]
    );
    // A run that writes fewer reports leaves none of the earlier run's.
    assert_eq!(scan(&["--no-html"]), ["clusters.csv", "pairs.csv"]);
    assert_eq!(
        scan(&["--no-html", "--report-format", "jsonl"]),
        ["clusters.jsonl", "pairs.jsonl"]
    );
    // Other files in the folder are not reports and stay.
    fs::write(out.join("notes.txt"), "mine").unwrap();
    assert_eq!(
        scan(&[]),
        ["clusters.csv", "notes.txt", "pairs.csv", "report.html"]
    );
}

/// --min-shared-bands above the number of LSH bands would pass only the
/// pairs of oversized buckets: refused before reading, naming the bands.
#[test]
fn more_shared_bands_than_bands_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    storydup()
        .current_dir(dir.path())
        .args(["scan", "missing.jsonl", "--min-shared-bands", "29"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("more than the 28 LSH bands"));
    storydup()
        .current_dir(dir.path())
        .args([
            "scan",
            "missing.jsonl",
            "--bands",
            "4",
            "--rows",
            "2",
            "--min-shared-bands",
            "5",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("more than the 4 LSH bands"));
}
