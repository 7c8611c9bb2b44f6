//! The bounded-memory path: with sort buffers of a few kilobytes and no
//! features kept in memory, every sort spills runs to disk and every feature
//! is rebuilt from the store, and the result must not change.

use assert_cmd::Command;
use storydup::input::{InputOptions, read_all};
use storydup::scan::{Scan, ScanOptions, scan};

fn bbc() -> String {
    let input = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/devsets/bbc_news_dev/docs.jsonl"
    );
    assert!(
        std::path::Path::new(input).exists(),
        "{input} is missing: put ../shared beside the repository"
    );
    input.to_string()
}

fn scan_with(options: &ScanOptions) -> Scan {
    let (documents, _) = read_all(&[bbc()], &InputOptions::default()).unwrap();
    scan(documents, options).unwrap()
}

#[test]
fn spilling_every_sort_to_disk_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let in_memory = scan_with(&ScanOptions {
        keep_candidates: true,
        ..ScanOptions::default()
    });
    let on_disk = scan_with(&ScanOptions {
        keep_candidates: true,
        tmp_dir: Some(tmp.path().to_path_buf()),
        buffer_bytes: 4096,
        feature_memory: 0,
        ..ScanOptions::default()
    });
    assert!(in_memory.pairs.len() > 50, "the set should yield pairs");
    assert_eq!(in_memory.stats.spilled_runs, 0);
    assert_eq!(in_memory.stats.features_kept, in_memory.ids.len());
    assert!(
        on_disk.stats.spilled_runs > 20,
        "{}",
        on_disk.stats.spilled_runs
    );
    assert_eq!(on_disk.stats.features_kept, 0);
    assert_eq!(in_memory.candidates, on_disk.candidates);
    assert_eq!(in_memory.clusters, on_disk.clusters);
    assert_eq!(in_memory.pairs.len(), on_disk.pairs.len());
    for (x, y) in in_memory.pairs.iter().zip(&on_disk.pairs) {
        assert_eq!((x.a, x.b, &x.evidence), (y.a, y.b, &y.evidence));
    }
    // Temporary files have no names: nothing is left once the scan is over.
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn reports_are_identical_with_tiny_buffers_and_a_tmp_dir() {
    let run = |extra: &[&str]| {
        let out = tempfile::tempdir().unwrap();
        let done = Command::cargo_bin("storydup")
            .unwrap()
            .args(["scan", &bbc(), "--out"])
            .arg(out.path())
            .args(extra)
            .assert()
            .success();
        let summary = String::from_utf8_lossy(&done.get_output().stderr).into_owned();
        (
            (
                std::fs::read(out.path().join("pairs.csv")).unwrap(),
                std::fs::read(out.path().join("clusters.csv")).unwrap(),
            ),
            summary,
        )
    };
    let tmp = tempfile::tempdir().unwrap();
    let tmp_arg = tmp.path().display().to_string();
    let (default, default_summary) = run(&[]);
    assert!(default.0.len() > 1000);
    let (tiny, tiny_summary) = run(&[
        "--tmp-dir",
        &tmp_arg,
        "--buffer-mb",
        "1",
        "--feature-mb",
        "0",
    ]);
    assert_eq!(default, tiny);
    // The summary says when verification had to build features again.
    assert!(
        !default_summary.contains("built again"),
        "{default_summary}"
    );
    assert!(
        tiny_summary.contains("built again from the store"),
        "{tiny_summary}"
    );
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn a_missing_tmp_dir_is_an_error_naming_it() {
    let out = tempfile::tempdir().unwrap();
    Command::cargo_bin("storydup")
        .unwrap()
        .args(["scan", &bbc(), "--tmp-dir", "/no/such/folder", "--out"])
        .arg(out.path())
        .assert()
        .failure()
        .stderr(predicates::str::contains("/no/such/folder"));
    assert!(!out.path().join("pairs.csv").exists());
}

#[test]
fn an_input_error_midway_leaves_no_temporary_files() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut jsonl = String::new();
    for i in 0..5000 {
        jsonl.push_str(&format!(
            "{{\"id\": \"d{i}\", \"text\": \"Story {i} about Putin and Witkoff. It has {i} words.\"}}\n"
        ));
    }
    jsonl.push_str("{\"id\": \"broken\", \"text\": \n");
    std::fs::write(dir.path().join("docs.jsonl"), jsonl).unwrap();
    Command::cargo_bin("storydup")
        .unwrap()
        .current_dir(dir.path())
        .args(["scan", "docs.jsonl", "--out", "out", "--tmp-dir"])
        .arg(tmp.path())
        .assert()
        .code(1)
        .stderr(predicates::str::contains("docs.jsonl:5001"));
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    assert!(!dir.path().join("out").exists());
}

/// Many documents on one topic share rare names (so passage anchors and
/// LSH bands), yet each document nominates at most `max_partners`
/// candidates: at most that many a document, however large the topic.
#[test]
fn candidates_stay_within_each_documents_nominations_on_a_flooded_topic() {
    use storydup::input::Document;
    let names = [
        "Okonkwo",
        "Ravensbourne",
        "Tiverton",
        "Maplethorpe",
        "Quillan",
    ];
    let documents: Vec<Document> = (0..120)
        .map(|d| {
            let mut text = String::new();
            for s in 0..8 {
                let name = names[(d + s) % names.len()];
                let other = names[(d * 7 + s * 3) % names.len()];
                text.push_str(&format!(
                    "{name} met {other} at the hearing number {} on day {}. ",
                    (d * 31 + s * 17) % 97,
                    (d * 13 + s) % 29
                ));
            }
            Document {
                id: format!("d{d:03}"),
                text,
                origin: storydup::error::Origin {
                    path: "flood".into(),
                    line: d as u64 + 1,
                },
                raw: None,
            }
        })
        .collect();
    let options = ScanOptions {
        max_partners: 4,
        keep_candidates: true,
        ..ScanOptions::default()
    };
    let capped = scan(documents.clone(), &options).unwrap();
    let open = scan(
        documents,
        &ScanOptions {
            max_partners: 1 << 20,
            ..options.clone()
        },
    )
    .unwrap();
    assert!(
        open.candidates.len() > 4 * 120,
        "the topic should flood the indexes: {}",
        open.candidates.len()
    );
    assert!(
        capped.candidates.len() <= 4 * 120,
        "{}",
        capped.candidates.len()
    );
    assert_eq!(capped.stats.pairs_found, open.candidates.len());
    // Every document keeps its partners up to the cap.
    let mut per_doc = vec![0usize; 120];
    for &(a, b) in &capped.candidates {
        per_doc[a as usize] += 1;
        per_doc[b as usize] += 1;
    }
    assert!(per_doc.iter().all(|&n| n >= 4), "{per_doc:?}");
}
