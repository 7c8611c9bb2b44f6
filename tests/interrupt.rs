//! Interruptions: a scan killed at any moment leaves no partial report under
//! a final name and no temporary files; SIGTERM and SIGINT stop it at once
//! with a message; files a SIGKILL leaves behind are cleaned by the next run.

use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A corpus that takes a few seconds to scan: the BBC set six times over
/// (each copy with its own ids and a line of its own).
fn slow_corpus(dir: &Path) -> std::path::PathBuf {
    let bbc = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/devsets/bbc_news_dev/docs.jsonl"
    );
    let source = fs::read_to_string(bbc)
        .unwrap_or_else(|e| panic!("{bbc}: {e}: put ../shared beside the repository"));
    let mut out = String::new();
    for copy in 0..6 {
        for line in source.lines() {
            let mut record: serde_json::Value = serde_json::from_str(line).unwrap();
            let id = format!("c{copy}/{}", record["id"].as_str().unwrap());
            let text = format!("Edition {copy}.\n{}", record["text"].as_str().unwrap());
            record["id"] = id.into();
            record["text"] = text.into();
            out.push_str(&record.to_string());
            out.push('\n');
        }
    }
    let path = dir.join("docs.jsonl");
    fs::write(&path, out).unwrap();
    path
}

fn start(input: &Path, out: &Path, tmp: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_storydup"))
        .arg("scan")
        .arg(input)
        .arg("--out")
        .arg(out)
        .arg("--tmp-dir")
        .arg(tmp)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Every report under its final name is whole: a header, then rows of the
/// header's width, the file ending with a newline.
fn assert_reports_whole(out: &Path) {
    for name in ["pairs.csv", "clusters.csv"] {
        let path = out.join(name);
        let Ok(text) = fs::read_to_string(&path) else {
            continue;
        };
        assert!(text.ends_with('\n'), "{name} is cut short");
        let mut reader = csv::Reader::from_path(&path).unwrap();
        let width = reader.headers().unwrap().len();
        for row in reader.records() {
            assert_eq!(row.unwrap().len(), width, "{name} has a partial row");
        }
    }
}

fn leftovers(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".tmp"))
                .collect()
        })
        .unwrap_or_default()
}

/// Kills a scan of the slow corpus after each delay with `signal_name`.
fn kill_at_several_moments(signal_name: &str, expected_status: Option<i32>) {
    let work = tempfile::tempdir().unwrap();
    let input = slow_corpus(work.path());
    let tmp = tempfile::tempdir().unwrap();
    // How long a whole run takes here, to spread the kills over it.
    let started = Instant::now();
    let mut child = start(&input, &work.path().join("full"), tmp.path());
    assert!(child.wait().unwrap().success());
    let full = started.elapsed();
    assert!(
        full > Duration::from_millis(300),
        "corpus too small: {full:?}"
    );
    for fraction in [0.15, 0.45, 0.75, 0.95] {
        let out = work.path().join(format!("out-{fraction}"));
        let mut child = start(&input, &out, tmp.path());
        std::thread::sleep(full.mul_f64(fraction));
        signal(&child, signal_name);
        let status = child.wait().unwrap();
        let mut stderr = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
        if !status.success() {
            assert_eq!(status.code(), expected_status, "{stderr}");
            if expected_status.is_some() {
                assert!(stderr.contains("interrupted by"), "{stderr}");
            }
        }
        assert_reports_whole(&out);
        if expected_status.is_some() {
            assert_eq!(leftovers(&out), Vec::<String>::new());
        }
        // Spill files have no names: nothing is left in --tmp-dir.
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0);
    }
}

/// A whole scan of the seed articles into `out`.
fn scan_seeds(out: &Path) {
    let seeds = concat!(env!("CARGO_MANIFEST_DIR"), "/data/seeds");
    let status = Command::new(env!("CARGO_BIN_EXE_storydup"))
        .args(["scan", seeds, "--out"])
        .arg(out)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn sigterm_at_any_moment_leaves_no_partial_report_and_no_temporary_files() {
    kill_at_several_moments("TERM", Some(128 + 15));
}

#[test]
fn ctrl_c_sigint_stops_promptly_with_a_message() {
    let work = tempfile::tempdir().unwrap();
    let input = slow_corpus(work.path());
    let tmp = tempfile::tempdir().unwrap();
    let mut child = start(&input, &work.path().join("out"), tmp.path());
    std::thread::sleep(Duration::from_millis(200));
    let sent = Instant::now();
    signal(&child, "INT");
    let status = child.wait().unwrap();
    assert!(
        sent.elapsed() < Duration::from_secs(2),
        "took {:?}",
        sent.elapsed()
    );
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(128 + 2), "{stderr}");
    assert!(stderr.contains("interrupted by SIGINT"), "{stderr}");
    assert!(!work.path().join("out/pairs.csv").exists());
}

#[test]
fn sigkill_at_any_moment_leaves_no_partial_report_and_the_next_run_cleans_up() {
    // SIGKILL cannot be caught: the process gets no status code.
    kill_at_several_moments("KILL", None);
    // A temporary report left by a killed run is removed by the next run
    // into the same folder.
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    fs::create_dir_all(&out).unwrap();
    fs::write(out.join(".pairs.csv.AbC123.tmp"), "doc_a,doc_b\nhalf").unwrap();
    scan_seeds(&out);
    assert_eq!(leftovers(&out), Vec::<String>::new());
    assert!(out.join("pairs.csv").exists());
}

#[test]
fn an_interrupt_leaves_the_earlier_runs_reports_whole_never_a_mix() {
    let work = tempfile::tempdir().unwrap();
    let input = slow_corpus(work.path());
    let tmp = tempfile::tempdir().unwrap();
    let names = ["pairs.csv", "clusters.csv", "report.html"];
    let read_set = |out: &Path| -> Vec<Option<Vec<u8>>> {
        names.iter().map(|n| fs::read(out.join(n)).ok()).collect()
    };
    let started = Instant::now();
    let mut child = start(&input, &work.path().join("full"), tmp.path());
    assert!(child.wait().unwrap().success());
    let full = started.elapsed();
    let new_set = read_set(&work.path().join("full"));
    for fraction in [0.5, 0.8, 0.9, 0.97, 1.0] {
        let out = work.path().join(format!("out-{fraction}"));
        scan_seeds(&out);
        let old_set = read_set(&out);
        let mut child = start(&input, &out, tmp.path());
        std::thread::sleep(full.mul_f64(fraction));
        signal(&child, "TERM");
        child.wait().unwrap();
        let now = read_set(&out);
        assert!(
            now == old_set || now == new_set,
            "at {fraction} of a run: a mix of two runs' reports"
        );
        assert_eq!(leftovers(&out), Vec::<String>::new());
    }
}
