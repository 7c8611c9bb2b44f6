//! `storydup index`: a persistent index gives the verdicts of a scan, adds
//! batches safely (one writer, readers beside it, nothing changed by a
//! killed or refused add), and checks documents without adding them.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Instant;

fn storydup(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_storydup"))
        .args(args)
        .output()
        .unwrap()
}

fn ok(args: &[&str]) -> Output {
    let out = storydup(args);
    assert!(
        out.status.success(),
        "storydup {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn text(p: &Path) -> String {
    fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The seed articles as JSONL, split: all but `held_out` in one file, those
/// in another.
fn seeds_split(dir: &Path, held_out: &[usize]) -> (PathBuf, PathBuf) {
    let mut paths: Vec<PathBuf> = fs::read_dir("data/seeds")
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    let (mut first, mut second) = (String::new(), String::new());
    for (i, path) in paths.iter().enumerate() {
        let id = path.file_name().unwrap().to_str().unwrap();
        let line = serde_json::json!({"id": id, "text": text(path)}).to_string() + "\n";
        if held_out.contains(&i) {
            second.push_str(&line);
        } else {
            first.push_str(&line);
        }
    }
    let (a, b) = (dir.join("a.jsonl"), dir.join("b.jsonl"));
    fs::write(&a, first).unwrap();
    fs::write(&b, second).unwrap();
    (a, b)
}

/// A development set split in two files in `dir`: every fifth document in
/// the second, the rest in the first.
fn split_80_20(set: &Path, dir: &Path) -> (PathBuf, PathBuf) {
    let (mut first, mut second) = (String::new(), String::new());
    for (i, line) in text(&set.join("docs.jsonl")).lines().enumerate() {
        let part = if i % 5 == 4 { &mut second } else { &mut first };
        part.push_str(line);
        part.push('\n');
    }
    let (a, b) = (dir.join("a.jsonl"), dir.join("b.jsonl"));
    fs::write(&a, first).unwrap();
    fs::write(&b, second).unwrap();
    (a, b)
}

/// Pairs of documents that share a cluster in a clusters.csv.
fn co_clustered(path: &Path) -> BTreeSet<(String, String)> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let mut clusters: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for row in reader.records() {
        let row = row.unwrap();
        clusters
            .entry(row[0].to_string())
            .or_default()
            .push(row[1].to_string());
    }
    let mut pairs = BTreeSet::new();
    for members in clusters.values() {
        for (i, a) in members.iter().enumerate() {
            for b in &members[i + 1..] {
                pairs.insert((a.min(b).clone(), a.max(b).clone()));
            }
        }
    }
    pairs
}

#[test]
fn an_index_built_in_one_go_reports_what_a_scan_reports() {
    let dir = tempfile::tempdir().unwrap();
    let (index, out, scan) = (
        dir.path().join("index"),
        dir.path().join("o"),
        dir.path().join("s"),
    );
    ok(&["index", s(&index), "data/seeds", "--out", s(&out), "-q"]);
    ok(&["scan", "data/seeds", "--out", s(&scan), "-q", "--no-html"]);
    for report in ["pairs.csv", "clusters.csv"] {
        assert_eq!(
            text(&out.join(report)),
            text(&scan.join(report)),
            "{report}"
        );
    }
    assert!(
        text(&out.join("clusters.csv")).lines().count() == 3,
        "one pair"
    );
}

#[test]
fn a_rewrite_added_later_joins_its_original_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = seeds_split(dir.path(), &[1, 3]);
    let index = dir.path().join("index");
    let today = dir.path().join("today");
    ok(&["index", s(&index), s(&a), "-q"]);
    let added = ok(&[
        "index",
        s(&index),
        s(&b),
        "--out",
        s(&today),
        "--new-only",
        "--refresh-after",
        "100",
        "--rescan-up-to",
        "0",
    ]);
    let summary = String::from_utf8_lossy(&added.stderr);
    assert!(summary.contains("added 2 documents"), "{summary}");
    assert!(
        summary.contains("candidates verified"),
        "incremental: {summary}"
    );
    let pairs = text(&today.join("pairs.csv"));
    assert_eq!(pairs.lines().count(), 2, "{pairs}");
    assert!(
        pairs
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("000_6d5f35eb97f0d708.txt,001_a6a27bf682eca62c.txt,")
    );
    let expected: BTreeSet<_> = [(
        "000_6d5f35eb97f0d708.txt".to_string(),
        "001_a6a27bf682eca62c.txt".to_string(),
    )]
    .into();
    assert_eq!(co_clustered(&today.join("clusters.csv")), expected);
    // The whole index's reports hold the same, and nothing more.
    let all = dir.path().join("all");
    ok(&["index", s(&index), "--out", s(&all), "-q"]);
    assert_eq!(co_clustered(&all.join("clusters.csv")), expected);
}

#[test]
fn two_adds_agree_with_one_scan_on_a_labelled_set() {
    let set = common::devset("clough_stevenson");
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = split_80_20(&set, dir.path());
    let (index, out, scan) = (
        dir.path().join("index"),
        dir.path().join("o"),
        dir.path().join("s"),
    );
    ok(&["scan", s(&a), s(&b), "--out", s(&scan), "-q", "--no-html"]);
    ok(&["index", s(&index), s(&a), "-q"]);
    ok(&[
        "index",
        s(&index),
        s(&b),
        "--out",
        s(&out),
        "-q",
        "--refresh-after",
        "100",
        "--rescan-up-to",
        "0",
    ]);
    let (reference, got) = (
        co_clustered(&scan.join("clusters.csv")),
        co_clustered(&out.join("clusters.csv")),
    );
    let both = reference.intersection(&got).count() as f64;
    let f1 = 2.0 * both / (reference.len() + got.len()) as f64;
    assert!(
        f1 >= 0.99,
        "pairwise F1 {f1}: scan {reference:?}, index {got:?}"
    );
    assert!(reference.len() > 100, "the set has its rewrites");
}

#[test]
fn an_id_already_indexed_is_refused_naming_both_places_and_nothing_is_added() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = seeds_split(dir.path(), &[4]);
    let index = dir.path().join("index");
    ok(&["index", s(&index), s(&a), "-q"]);
    let again = dir.path().join("again.jsonl");
    // A new document, then one whose id is indexed.
    let mut lines = text(&b);
    lines.push_str(text(&a).lines().next().unwrap());
    lines.push('\n');
    fs::write(&again, lines).unwrap();
    let refused = storydup(&["index", s(&index), s(&again)]);
    assert_eq!(refused.status.code(), Some(2));
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains("000_6d5f35eb97f0d708.txt")
            && message.contains(&format!("{}:2", again.display()))
            && message.contains(&format!("{}:1", a.display()))
            && message.contains("nothing was added"),
        "{message}"
    );
    let out = dir.path().join("o");
    ok(&["index", s(&index), "--out", s(&out), "-q"]);
    assert!(!text(&out.join("pairs.csv")).contains("004_"));
    // The new document alone goes in.
    ok(&["index", s(&index), s(&b), "-q"]);
}

#[test]
fn rewrite_options_are_fixed_when_the_index_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = seeds_split(dir.path(), &[3, 4]);
    let index = dir.path().join("index");
    ok(&["index", s(&index), s(&a), "--threshold", "0.5", "-q"]);
    let refused = storydup(&["index", s(&index), s(&b), "--threshold", "0.6"]);
    assert_eq!(refused.status.code(), Some(2));
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains("--threshold 0.6 (the index has 0.5)"),
        "{message}"
    );
    // Resources may differ; the same value, or none, is the index's.
    ok(&[
        "index",
        s(&index),
        s(&b),
        "--threshold",
        "0.5",
        "--buffer-mb",
        "8",
        "-q",
    ]);
    let not_an_index = dir.path().join("other");
    fs::create_dir(&not_an_index).unwrap();
    fs::write(not_an_index.join("notes.txt"), "mine").unwrap();
    let refused = storydup(&["index", s(&not_an_index), s(&a)]);
    assert_eq!(refused.status.code(), Some(2));
    assert_eq!(text(&not_an_index.join("notes.txt")), "mine");
}

#[test]
fn a_query_finds_pairs_and_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = seeds_split(dir.path(), &[1]);
    let index = dir.path().join("index");
    ok(&["index", s(&index), s(&a), "-q"]);
    let query = ok(&["index", s(&index), s(&b), "--query", "-q"]);
    let pairs = String::from_utf8_lossy(&query.stdout).to_string();
    assert!(pairs.starts_with("doc_a,doc_b,"), "{pairs}");
    assert_eq!(pairs.lines().count(), 2, "{pairs}");
    assert!(pairs.contains("000_6d5f35eb97f0d708.txt,001_a6a27bf682eca62c.txt,"));
    let out = dir.path().join("o");
    ok(&["index", s(&index), "--out", s(&out), "-q"]);
    assert_eq!(
        text(&out.join("pairs.csv")).lines().count(),
        1,
        "nothing added"
    );
    // Into a folder, as pairs.csv.
    let folder = dir.path().join("q");
    ok(&[
        "index",
        s(&index),
        s(&b),
        "--query",
        "--out",
        s(&folder),
        "-q",
    ]);
    assert_eq!(text(&folder.join("pairs.csv")), pairs);
}

/// An add of `input` that stops just before its commit and says so.
fn paused_add(index: &Path, input: &Path, options: &[&str]) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_storydup"))
        .args(["index", s(index), s(input), "-q"])
        .args(options)
        .env(storydup::archive::PAUSE_BEFORE_COMMIT, "60")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert!(line.contains("pausing"), "{line}");
    child
}

/// Reports of the whole index, read beside any writer.
fn reports(index: &Path, out: &Path) -> (String, String) {
    ok(&["index", s(index), "--out", s(out), "-q"]);
    (
        text(&out.join("pairs.csv")),
        text(&out.join("clusters.csv")),
    )
}

#[test]
fn one_writer_at_a_time_and_readers_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = seeds_split(dir.path(), &[1, 2]);
    let index = dir.path().join("index");
    ok(&["index", s(&index), s(&a), "-q"]);
    let before = reports(&index, &dir.path().join("before"));
    let mut writer = paused_add(&index, &b, &[]);
    let second = storydup(&["index", s(&index), s(&b)]);
    assert_eq!(second.status.code(), Some(1));
    let message = String::from_utf8_lossy(&second.stderr);
    assert!(message.contains("another storydup is adding"), "{message}");
    // Readers see the index as before the unfinished add.
    assert_eq!(reports(&index, &dir.path().join("during")), before);
    let query = ok(&["index", s(&index), s(&b), "--query", "-q"]);
    assert!(String::from_utf8_lossy(&query.stdout).contains("001_a6a27bf682eca62c.txt"));
    writer.kill().unwrap();
    writer.wait().unwrap();
}

#[test]
fn an_add_killed_at_any_moment_leaves_the_index_as_before() {
    // An add that matches its batch, and one that rescans the index.
    killed_adds(&["--rescan-up-to", "0"]);
    killed_adds(&[]);
}

/// Adds killed at several moments, each with `options`.
fn killed_adds(options: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let set = common::devset("bbc_news_dev");
    let (a, b) = split_80_20(&set, dir.path());
    let index = dir.path().join("index");
    ok(&["index", s(&index), s(&a), "-q"]);
    let before = reports(&index, &dir.path().join("before"));
    // The add finished once, elsewhere: what a good add leaves.
    let reference = dir.path().join("reference");
    ok(&["index", s(&reference), s(&a), "-q"]);
    ok(&[&["index", s(&reference), s(&b), "-q"], options].concat());
    let after = reports(&reference, &dir.path().join("after"));
    assert_ne!(before, after);

    // Killed at its last moment, with every file of the add written.
    let mut writer = paused_add(&index, &b, options);
    writer.kill().unwrap();
    writer.wait().unwrap();
    assert_eq!(reports(&index, &dir.path().join("r0")), before);

    // Killed at moments spread over the add: each leaves the index as it
    // was before, or (killed after its commit) as after.
    let started = Instant::now();
    ok(&["index", s(&dir.path().join("timing")), s(&a), "-q"]);
    let took = started.elapsed();
    let mut seen_before = 0;
    let mut finished = false;
    for k in 1..=8u32 {
        let at = took * k / 8;
        let mut child = Command::new(env!("CARGO_BIN_EXE_storydup"))
            .args(["index", s(&index), s(&b), "-q"])
            .args(options)
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(at);
        child.kill().unwrap();
        child.wait().unwrap();
        let now = reports(&index, &dir.path().join(format!("r{k}")));
        if now == before {
            seen_before += 1;
            continue;
        }
        assert_eq!(now, after, "killed after {at:?}: neither before nor after");
        finished = true;
        break;
    }
    assert!(seen_before > 0, "no kill landed inside an add");
    // The next add works, and gives what an add that was never killed gives,
    // down to the files beside the database (a killed add's are removed).
    if !finished {
        ok(&[&["index", s(&index), s(&b), "-q"], options].concat());
    }
    assert_eq!(reports(&index, &dir.path().join("end")), after);
    // A kill just after the commit can leave files the add merged away;
    // the next writer removes them.
    let one = dir.path().join("one.jsonl");
    fs::write(
        &one,
        "{\"id\": \"extra\", \"text\": \"One more short story.\"}\n",
    )
    .unwrap();
    ok(&["index", s(&index), s(&one), "-q"]);
    ok(&["index", s(&reference), s(&one), "-q"]);
    let files = |dir: &Path| -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .filter(|n| n.ends_with(".bin"))
            .collect();
        names.sort();
        names
    };
    assert_eq!(files(&index), files(&reference));
}

#[test]
fn a_rescan_on_demand_gives_the_reports_of_a_scan() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = seeds_split(dir.path(), &[0, 3]);
    let index = dir.path().join("index");
    ok(&["index", s(&index), s(&a), "-q"]);
    ok(&[
        "index",
        s(&index),
        s(&b),
        "-q",
        "--refresh-after",
        "100",
        "--rescan-up-to",
        "0",
    ]);
    let rescan = ok(&["index", s(&index), "--refresh"]);
    let summary = String::from_utf8_lossy(&rescan.stderr);
    assert!(summary.contains("whole index rescanned"), "{summary}");
    let scan = dir.path().join("s");
    ok(&["scan", s(&a), s(&b), "--out", s(&scan), "-q", "--no-html"]);
    let got = reports(&index, &dir.path().join("o"));
    assert_eq!(got.0, text(&scan.join("pairs.csv")));
    assert_eq!(got.1, text(&scan.join("clusters.csv")));
    // Nothing to rescan where there is no index, and nothing is created.
    let none = dir.path().join("none");
    assert_eq!(
        storydup(&["index", s(&none), "--refresh"]).status.code(),
        Some(2)
    );
    assert!(!none.exists());
}
