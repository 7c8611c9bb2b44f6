//! The examples in README.md are what storydup prints now: every line of
//! them that does not vary run to run (times, memory) or end in "..." (a
//! line README.md cuts short). `bash benches/readme_examples.sh` prints
//! them all; the accuracy tables are checked in tests/devsets.rs.

mod common;

use std::process::Command;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

/// The code block of README.md that starts with `first`, without its fences.
fn block(readme: &str, first: &str) -> Vec<String> {
    let at = readme
        .find(&format!("```\n{first}\n"))
        .unwrap_or_else(|| panic!("README.md has no block starting {first:?}"));
    readme[at + 4..]
        .lines()
        .take_while(|l| *l != "```")
        .map(str::to_string)
        .collect()
}

fn storydup(args: &[&str], dir: &std::path::Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_storydup"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}");
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

/// Lines of `shown` that `printed` lacks, skipping those that vary or are cut.
fn missing(shown: &[String], printed: &str) -> Vec<String> {
    shown
        .iter()
        .filter(|l| !l.starts_with('$') && !l.trim().is_empty() && !l.ends_with("..."))
        .filter(|l| {
            let l = l.trim_start();
            !(l.starts_with("time:") || l.starts_with("peak memory:") || l.starts_with("total "))
        })
        .filter(|l| !printed.lines().any(|p| p == l.as_str()))
        .cloned()
        .collect()
}

#[test]
fn the_worked_example_is_what_a_scan_of_the_seeds_prints_and_writes() {
    let readme = readme();
    let work = tempfile::tempdir().unwrap();
    let seeds = concat!(env!("CARGO_MANIFEST_DIR"), "/data/seeds");
    let summary = storydup(&["scan", seeds, "--out", "storydup-out"], work.path());
    let shown = block(&readme, "$ cargo run --release -- scan data/seeds");
    assert_eq!(missing(&shown, &summary), Vec::<String>::new());

    // pairs.csv, shown transposed: a name, then the value of each row.
    let pairs = std::fs::read_to_string(work.path().join("storydup-out/pairs.csv")).unwrap();
    let rows: Vec<Vec<&str>> = pairs.lines().map(|l| l.split(',').collect()).collect();
    let transposed: Vec<String> = (0..rows[0].len())
        .map(|i| {
            let values: Vec<&str> = rows[1..].iter().map(|r| r[i]).collect();
            format!("{:<18} {}", rows[0][i], values.join("  "))
        })
        .collect();
    assert_eq!(
        block(&readme, "doc_a              000_6d5f35eb97f0d708.txt"),
        transposed
    );

    let clusters = std::fs::read_to_string(work.path().join("storydup-out/clusters.csv")).unwrap();
    assert_eq!(
        block(&readme, "cluster_id,doc_id,size"),
        clusters.lines().map(str::to_string).collect::<Vec<_>>()
    );
}

#[test]
fn the_explain_example_is_what_explain_prints() {
    let devsets = common::devsets_root().display().to_string();
    let docs = common::devset("bbc_news_dev")
        .join("docs.jsonl")
        .display()
        .to_string();
    let printed = storydup(
        &["explain", "politics/081", "politics/141", "--in", &docs],
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")),
    )
    .replace(&devsets, "../shared/devsets");
    let shown = block(
        &readme(),
        "$ storydup explain politics/081 politics/141 --in ../shared/devsets/bbc_news_dev/docs.jsonl",
    );
    assert!(shown.len() > 10);
    assert_eq!(missing(&shown, &printed), Vec::<String>::new());
}

#[test]
fn the_daily_workflow_is_what_index_prints_and_writes() {
    let readme = readme();
    let work = tempfile::tempdir().unwrap();
    let seeds = concat!(env!("CARGO_MANIFEST_DIR"), "/data/seeds");
    let shown = block(
        &readme,
        "$ storydup index archive data/seeds/000_6d5f35eb97f0d708.txt data/seeds/002_8bdbdf7a48a84030.txt data/seeds/004_2bd0569d459188d0.txt",
    );
    let mut printed = String::new();
    for line in shown.iter().filter(|l| l.starts_with("$ storydup ")) {
        let command = line.trim_start_matches("$ storydup ");
        let (command, cut) = match command.split_once(" | cut -d, -f1-4") {
            Some((command, _)) => (command, true),
            None => (command, false),
        };
        let args: Vec<String> = command
            .split(' ')
            .map(|a| a.replace("data/seeds", seeds))
            .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = Command::new(env!("CARGO_BIN_EXE_storydup"))
            .args(&args)
            .current_dir(work.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        for l in String::from_utf8_lossy(&out.stdout).lines() {
            let l = if cut {
                l.split(',').take(4).collect::<Vec<_>>().join(",")
            } else {
                l.to_string()
            };
            printed.push_str(&l);
            printed.push('\n');
        }
        printed.push_str(&String::from_utf8_lossy(&out.stderr).replace(seeds, "data/seeds"));
    }
    printed.push_str(&std::fs::read_to_string(work.path().join("today/clusters.csv")).unwrap());
    // The index's size on disk varies with SQLite's page layout.
    let steady: Vec<String> = shown
        .iter()
        .filter(|l| !l.trim_start().starts_with("index:"))
        .cloned()
        .collect();
    assert_eq!(missing(&steady, &printed), Vec::<String>::new());
}
