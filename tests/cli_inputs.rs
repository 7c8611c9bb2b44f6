//! `storydup scan` end to end on every input shape the CLI contract names
//! (JSONL, CSV, plain-text folders, `.gz`/`.zst`, standard input, `--format`),
//! the two reports it writes, and the errors it must report with a place.
//!
//! Inputs are built in a temporary folder from the seed articles: 000 and 001
//! are a rewrite pair, 002, 003 and 004 are other stories and stay unclustered.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::json;
use tempfile::TempDir;

const SEEDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/seeds");
const ORIGINAL: &str = "000_6d5f35eb97f0d708.txt";
const REWRITE: &str = "001_a6a27bf682eca62c.txt";
const OTHERS: [&str; 3] = [
    "002_8bdbdf7a48a84030.txt",
    "003_226903b830692f9f.txt",
    "004_2bd0569d459188d0.txt",
];

fn seed(name: &str) -> String {
    fs::read_to_string(Path::new(SEEDS).join(name)).unwrap()
}

/// `(id, text)` for the five seeds under short ids: `orig` and `rewr` are
/// the rewrite pair, `other2`..`other4` the unrelated stories.
fn seed_docs() -> Vec<(String, String)> {
    let mut docs = vec![
        ("orig".to_string(), seed(ORIGINAL)),
        ("rewr".to_string(), seed(REWRITE)),
    ];
    for (i, name) in OTHERS.iter().enumerate() {
        docs.push((format!("other{}", i + 2), seed(name)));
    }
    docs
}

/// A JSONL line per document, with the given key names and an extra field.
fn jsonl(docs: &[(String, String)], id_key: &str, text_key: &str) -> String {
    docs.iter()
        .map(|(id, text)| {
            let mut object = serde_json::Map::new();
            object.insert("source".into(), json!("bbc"));
            object.insert(text_key.into(), json!(text));
            object.insert(id_key.into(), json!(id));
            serde_json::Value::Object(object).to_string() + "\n"
        })
        .collect()
}

/// One CSV field, always quoted, with inner quotes doubled.
fn quoted(field: &str) -> String {
    format!("\"{}\"", field.replace('"', "\"\""))
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn zstd(bytes: &[u8]) -> Vec<u8> {
    zstd::encode_all(bytes, 3).unwrap()
}

/// Writes `contents` at `relative` under `root`, creating folders.
fn put(root: &Path, relative: &str, contents: impl AsRef<[u8]>) {
    let path = root.join(relative);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, contents).unwrap();
}

/// `storydup scan` run inside `dir`, so inputs and `--out` can be relative.
fn scan(dir: &TempDir) -> Command {
    let mut cmd = Command::cargo_bin("storydup").unwrap();
    cmd.current_dir(dir.path()).arg("scan");
    cmd
}

fn rows(path: &Path) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

/// clusters.csv as cluster id -> document ids, in file order.
fn clusters(out: &Path) -> BTreeMap<u64, Vec<String>> {
    let mut clusters: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for row in rows(&out.join("clusters.csv")).into_iter().skip(1) {
        clusters
            .entry(row[0].parse().unwrap())
            .or_default()
            .push(row[1].clone());
    }
    clusters
}

/// pairs.csv as `(doc_a, doc_b)`, in file order.
fn pairs(out: &Path) -> Vec<(String, String)> {
    rows(&out.join("pairs.csv"))
        .into_iter()
        .skip(1)
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect()
}

/// The reports hold exactly one cluster and one pair: `a` with `b`.
fn assert_only_pair(out: &Path, a: &str, b: &str) {
    let mut expected = vec![a.to_string(), b.to_string()];
    expected.sort();
    let clusters = clusters(out);
    let groups: Vec<&Vec<String>> = clusters.values().collect();
    assert_eq!(groups, vec![&expected], "clusters.csv: {clusters:?}");
    assert_eq!(
        pairs(out),
        vec![(expected[0].clone(), expected[1].clone())],
        "pairs.csv"
    );
}

/// The run failed with `code`, said every one of `needles` on standard
/// error, and left no report in `dir/out`.
fn assert_fails(cmd: &mut Command, dir: &TempDir, code: i32, needles: &[&str]) {
    let assert = cmd.assert().failure().code(code);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "stderr lacks {needle:?}:\n{stderr}"
        );
    }
    assert!(
        stderr.starts_with("storydup: error: ") || code == 2,
        "stderr: {stderr}"
    );
    for report in ["pairs.csv", "clusters.csv"] {
        assert!(
            !dir.path().join("out").join(report).exists(),
            "{report} written despite the error"
        );
    }
}

// ----------------------------------------------------------------- JSONL

#[test]
fn jsonl_file_clusters_the_rewrite_pair() {
    let dir = TempDir::new().unwrap();
    put(dir.path(), "docs.jsonl", jsonl(&seed_docs(), "id", "text"));
    scan(&dir)
        .args(["docs.jsonl", "--out", "out"])
        .assert()
        .success()
        .stderr(predicate::str::contains("5 documents"));
    assert_only_pair(&dir.path().join("out"), "orig", "rewr");
}

#[test]
fn ndjson_file_is_read_with_custom_id_and_text_fields() {
    let dir = TempDir::new().unwrap();
    put(
        dir.path(),
        "docs.ndjson",
        jsonl(&seed_docs(), "url", "body"),
    );
    scan(&dir)
        .args(["docs.ndjson", "--id-field", "url", "--text-field", "body"])
        .args(["--out", "out"])
        .assert()
        .success();
    assert_only_pair(&dir.path().join("out"), "orig", "rewr");
}

#[test]
fn jsonl_without_the_default_fields_needs_the_field_options() {
    let dir = TempDir::new().unwrap();
    put(dir.path(), "docs.jsonl", jsonl(&seed_docs(), "url", "body"));
    assert_fails(
        scan(&dir).args(["docs.jsonl", "--out", "out"]),
        &dir,
        1,
        &["docs.jsonl:1", "missing field \"id\""],
    );
}

#[test]
fn jsonl_blank_lines_crlf_endings_and_a_missing_final_newline_are_accepted() {
    let dir = TempDir::new().unwrap();
    let body = jsonl(&seed_docs(), "id", "text").replace('\n', "\r\n\r\n");
    let body = body.trim_end().to_string();
    put(dir.path(), "docs.jsonl", body);
    scan(&dir)
        .args(["docs.jsonl", "--out", "out"])
        .assert()
        .success();
    assert_only_pair(&dir.path().join("out"), "orig", "rewr");
}

#[test]
fn jsonl_with_a_utf8_byte_order_mark_is_accepted() {
    let dir = TempDir::new().unwrap();
    let body = format!("\u{feff}{}", jsonl(&seed_docs(), "id", "text"));
    put(dir.path(), "docs.jsonl", body);
    scan(&dir)
        .args(["docs.jsonl", "--out", "out"])
        .assert()
        .success();
    assert_only_pair(&dir.path().join("out"), "orig", "rewr");
}

#[test]
fn jsonl_and_ndjson_extensions_are_matched_case_insensitively() {
    let dir = TempDir::new().unwrap();
    let docs = seed_docs();
    put(dir.path(), "A.JSONL", jsonl(&docs[..2], "id", "text"));
    put(dir.path(), "B.NDJson", jsonl(&docs[2..], "id", "text"));
    scan(&dir)
        .args(["A.JSONL", "B.NDJson", "--out", "out"])
        .assert()
        .success()
        .stderr(predicate::str::contains("5 documents"));
    assert_only_pair(&dir.path().join("out"), "orig", "rewr");
}

// ------------------------------------------------------------------- CSV

#[test]
fn csv_with_quoted_multiline_text_and_custom_columns_clusters_the_pair() {
    let dir = TempDir::new().unwrap();
    let docs = seed_docs();
    // The seed texts themselves hold commas, double quotes and newlines.
    for needle in [",", "\"", "\n"] {
        assert!(docs[0].1.contains(needle) && docs[1].1.contains(needle));
    }
    let mut csv = String::from("article,section,slug\n");
    for (id, text) in &docs {
        csv += &format!("{},\"world, europe\",{}\n", quoted(text), quoted(id));
    }
    put(dir.path(), "docs.csv", csv);
    scan(&dir)
        .args(["docs.csv", "--id-field", "slug", "--text-field", "article"])
        .args(["--out", "out"])
        .assert()
        .success()
        .stderr(predicate::str::contains("5 documents"));
    assert_only_pair(&dir.path().join("out"), "orig", "rewr");
}

#[test]
fn csv_without_the_id_column_is_an_error_naming_the_column() {
    let dir = TempDir::new().unwrap();
    put(dir.path(), "docs.csv", "slug,text\na,hello there\n");
    assert_fails(
        scan(&dir).args(["docs.csv", "--out", "out"]),
        &dir,
        1,
        &["docs.csv:1", "\"id\""],
    );
}

// ------------------------------------------------------------ compression

#[test]
fn jsonl_gz_is_read_transparently() {
    let dir = TempDir::new().unwrap();
    let body = jsonl(&seed_docs(), "id", "text");
    put(dir.path(), "docs.jsonl.gz", gzip(body.as_bytes()));
    scan(&dir)
        .args(["docs.jsonl.gz", "--out", "out"])
        .assert()
        .success()
        .stderr(predicate::str::contains("5 documents"));
    assert_only_pair(&dir.path().join("out"), "orig", "rewr");
}

#[test]
fn concatenated_gzip_members_are_all_read() {
    let dir = TempDir::new().unwrap();
    let docs = seed_docs();
    let mut bytes = gzip(jsonl(&docs[..1], "id", "text").as_bytes());
    bytes.extend(gzip(jsonl(&docs[1..], "id", "text").as_bytes()));
    put(dir.path(), "docs.jsonl.gz", bytes);
    scan(&dir)
        .args(["docs.jsonl.gz", "--out", "out"])
        .assert()
        .success()
        .stderr(predicate::str::contains("5 documents"));
    assert_only_pair(&dir.path().join("out"), "orig", "rewr");
}

#[test]
fn jsonl_zst_is_read_transparently() {
    let dir = TempDir::new().unwrap();
    let body = jsonl(&seed_docs(), "id", "text");
    put(dir.path(), "docs.jsonl.zst", zstd(body.as_bytes()));
    scan(&dir)
        .args(["docs.jsonl.zst", "--out", "out"])
        .assert()
        .success()
        .stderr(predicate::str::contains("5 documents"));
    assert_only_pair(&dir.path().join("out"), "orig", "rewr");
}

#[test]
fn csv_gz_is_read_transparently() {
    let dir = TempDir::new().unwrap();
    let mut csv = String::from("id,text\n");
    for (id, text) in seed_docs() {
        csv += &format!("{},{}\n", quoted(&id), quoted(&text));
    }
    put(dir.path(), "docs.csv.gz", gzip(csv.as_bytes()));
    scan(&dir)
        .args(["docs.csv.gz", "--out", "out"])
        .assert()
        .success();
    assert_only_pair(&dir.path().join("out"), "orig", "rewr");
}

#[test]
fn compressed_text_files_in_a_folder_keep_their_full_names_as_ids() {
    let dir = TempDir::new().unwrap();
    let corpus = dir.path().join("corpus");
    put(&corpus, "sub/a.txt.gz", gzip(seed(ORIGINAL).as_bytes()));
    put(&corpus, "b.md.zst", zstd(seed(REWRITE).as_bytes()));
    for name in OTHERS {
        put(&corpus, name, seed(name));
    }
    scan(&dir)
        .args(["corpus", "--out", "out"])
        .assert()
        .success()
        .stderr(predicate::str::contains("5 documents"));
    assert_only_pair(&dir.path().join("out"), "sub/a.txt.gz", "b.md.zst");
}

// ---------------------------------------------------------------- folders

#[test]
fn folder_is_read_recursively_with_slash_separated_relative_ids() {
    let dir = TempDir::new().unwrap();
    let corpus = dir.path().join("corpus");
    put(&corpus, &format!("sub/{ORIGINAL}"), seed(ORIGINAL));
    put(&corpus, &format!("sub/deeper/{REWRITE}"), seed(REWRITE));
    put(&corpus, &format!("{}.md", &OTHERS[0][..3]), seed(OTHERS[0]));
    put(&corpus, OTHERS[1], seed(OTHERS[1]));
    put(&corpus, &format!("x/{}", OTHERS[2]), seed(OTHERS[2]));
    scan(&dir)
        .args(["corpus/", "--out", "out", "--singletons"])
        .assert()
        .success();
    let out = dir.path().join("out");
    let mut ids: Vec<String> = clusters(&out).into_values().flatten().collect();
    ids.sort();
    let mut expected = vec![
        format!("sub/{ORIGINAL}"),
        format!("sub/deeper/{REWRITE}"),
        "002.md".to_string(),
        OTHERS[1].to_string(),
        format!("x/{}", OTHERS[2]),
    ];
    expected.sort();
    assert_eq!(ids, expected);
    assert_eq!(
        pairs(&out),
        vec![(format!("sub/{ORIGINAL}"), format!("sub/deeper/{REWRITE}"))]
    );
}

#[test]
fn folder_mixes_jsonl_csv_and_text_files() {
    let dir = TempDir::new().unwrap();
    let corpus = dir.path().join("corpus");
    let docs = seed_docs();
    put(&corpus, "feed/a.jsonl", jsonl(&docs[..1], "id", "text"));
    put(
        &corpus,
        "feed/b.csv",
        format!("id,text\nrewr,{}\n", quoted(&docs[1].1)),
    );
    for name in OTHERS {
        put(&corpus, name, seed(name));
    }
    scan(&dir)
        .args(["corpus", "--out", "out"])
        .assert()
        .success()
        .stderr(predicate::str::contains("5 documents"));
    assert_only_pair(&dir.path().join("out"), "orig", "rewr");
}

#[test]
fn folder_ignores_unknown_extensions_and_says_so_on_stderr() {
    let dir = TempDir::new().unwrap();
    let corpus = dir.path().join("corpus");
    put(&corpus, ORIGINAL, seed(ORIGINAL));
    put(&corpus, REWRITE, seed(REWRITE));
    // Not documents: would fail to parse, or join the pair, if they were read.
    put(&corpus, "notes/copy.html", seed(ORIGINAL));
    put(&corpus, "image.png", [0x89u8, b'P', b'N', b'G', 0xff, 0xfe]);
    scan(&dir)
        .args(["corpus", "--out", "out", "--singletons"])
        .assert()
        .success()
        .stderr(predicate::str::contains("2 documents"))
        .stderr(predicate::str::contains("ignored 2 files"))
        .stderr(predicate::str::contains("copy.html").or(predicate::str::contains("image.png")));
    assert_only_pair(&dir.path().join("out"), ORIGINAL, REWRITE);
}

#[test]
fn folder_of_only_unknown_files_is_an_error() {
    let dir = TempDir::new().unwrap();
    put(dir.path(), "corpus/page.html", seed(ORIGINAL));
    assert_fails(
        scan(&dir).args(["corpus", "--out", "out"]),
        &dir,
        1,
        &["corpus", "no documents found"],
    );
}

#[test]
fn empty_folder_is_an_error_that_says_no_documents_were_found() {
    let dir = TempDir::new().unwrap();
    fs::create_dir(dir.path().join("empty")).unwrap();
    assert_fails(
        scan(&dir).args(["empty", "--out", "out"]),
        &dir,
        1,
        &["empty", "no documents found"],
    );
}

#[test]
fn empty_jsonl_file_is_an_error_that_says_no_documents_were_found() {
    let dir = TempDir::new().unwrap();
    put(dir.path(), "docs.jsonl", "\n\n");
    assert_fails(
        scan(&dir).args(["docs.jsonl", "--out", "out"]),
        &dir,
        1,
        &["docs.jsonl", "no documents found"],
    );
}

// ---------------------------------------------------------- standard input

#[test]
fn dash_reads_jsonl_from_standard_input() {
    let dir = TempDir::new().unwrap();
    scan(&dir)
        .args(["-", "--out", "out"])
        .write_stdin(jsonl(&seed_docs(), "id", "text"))
        .assert()
        .success()
        .stderr(predicate::str::contains("5 documents"));
    assert_only_pair(&dir.path().join("out"), "orig", "rewr");
}

#[test]
fn dash_with_format_csv_reads_csv_from_standard_input() {
    let dir = TempDir::new().unwrap();
    let mut csv = String::from("key,story\n");
    for (id, text) in seed_docs() {
        csv += &format!("{},{}\n", quoted(&id), quoted(&text));
    }
    scan(&dir)
        .args(["--format", "csv", "-", "--id-field", "key"])
        .args(["--text-field", "story", "--out", "out"])
        .write_stdin(csv)
        .assert()
        .success()
        .stderr(predicate::str::contains("5 documents"));
    assert_only_pair(&dir.path().join("out"), "orig", "rewr");
}

#[test]
fn standard_input_and_files_combine_and_errors_name_the_dash() {
    let dir = TempDir::new().unwrap();
    let docs = seed_docs();
    put(dir.path(), "rest.jsonl", jsonl(&docs[1..], "id", "text"));
    scan(&dir)
        .args(["-", "rest.jsonl", "--out", "out"])
        .write_stdin(jsonl(&docs[..1], "id", "text"))
        .assert()
        .success()
        .stderr(predicate::str::contains("5 documents"));
    assert_only_pair(&dir.path().join("out"), "orig", "rewr");

    let dir = TempDir::new().unwrap();
    assert_fails(
        scan(&dir)
            .args(["-", "--out", "out"])
            .write_stdin("{\"id\": \"a\", \"text\": \"fine\"}\n{oops\n"),
        &dir,
        1,
        &["-:2", "malformed JSON"],
    );
}

// ---------------------------------------------------------------- --format

#[test]
fn format_option_reads_a_file_with_an_unusual_extension() {
    let dir = TempDir::new().unwrap();
    put(dir.path(), "export.dump", jsonl(&seed_docs(), "id", "text"));
    scan(&dir)
        .args(["--format", "jsonl", "export.dump", "--out", "out"])
        .assert()
        .success();
    assert_only_pair(&dir.path().join("out"), "orig", "rewr");

    let dir = TempDir::new().unwrap();
    let mut csv = String::from("id,text\n");
    for (id, text) in seed_docs() {
        csv += &format!("{},{}\n", quoted(&id), quoted(&text));
    }
    put(dir.path(), "export.tsvish", csv);
    scan(&dir)
        .args(["--format", "csv", "export.tsvish", "--out", "out"])
        .assert()
        .success();
    assert_only_pair(&dir.path().join("out"), "orig", "rewr");
}

#[test]
fn format_option_overrides_a_misleading_extension() {
    let dir = TempDir::new().unwrap();
    // JSONL saved as .txt: without --format it is one plain-text document.
    put(dir.path(), "docs.txt", jsonl(&seed_docs(), "id", "text"));
    scan(&dir)
        .args(["docs.txt", "--out", "plain", "--singletons"])
        .assert()
        .success()
        .stderr(predicate::str::contains("storydup: 1 document\n"));
    scan(&dir)
        .args(["--format", "jsonl", "docs.txt", "--out", "out"])
        .assert()
        .success()
        .stderr(predicate::str::contains("5 documents"));
    assert_only_pair(&dir.path().join("out"), "orig", "rewr");
}

#[test]
fn file_of_unknown_type_without_format_is_a_usage_error() {
    let dir = TempDir::new().unwrap();
    put(dir.path(), "export.dump", jsonl(&seed_docs(), "id", "text"));
    assert_fails(
        scan(&dir).args(["export.dump", "--out", "out"]),
        &dir,
        2,
        &["export.dump", "--format"],
    );
}

// ---------------------------------------------------------------- reports

/// Two more clusters besides the seed pair: a light edit of 002 and two
/// copies of 003, under ids that sort differently from input order.
fn several_clusters() -> Vec<(String, String)> {
    let docs = seed_docs();
    let edited = docs[2].1.replacen("the", "a", 3);
    assert_ne!(edited, docs[2].1);
    vec![
        ("zz-rewr".into(), docs[1].1.clone()),
        ("m-other3".into(), docs[3].1.clone()),
        ("b-other2".into(), docs[2].1.clone()),
        ("c-orig".into(), docs[0].1.clone()),
        ("k-other4".into(), docs[4].1.clone()),
        ("y-other3-copy".into(), docs[3].1.clone()),
        ("a-other2-edit".into(), edited),
        ("d-other3-copy".into(), format!("{}\n", docs[3].1)),
    ]
}

#[test]
fn pairs_csv_has_the_contract_header_and_sorted_rows_with_doc_a_first() {
    let dir = TempDir::new().unwrap();
    put(
        dir.path(),
        "docs.jsonl",
        jsonl(&several_clusters(), "id", "text"),
    );
    scan(&dir)
        .args(["docs.jsonl", "--out", "out"])
        .assert()
        .success();
    let rows = rows(&dir.path().join("out/pairs.csv"));
    assert_eq!(rows[0][..3], ["doc_a", "doc_b", "score"]);
    let body = &rows[1..];
    for row in body {
        assert_eq!(row.len(), rows[0].len(), "{row:?}");
        assert!(row[0] < row[1], "doc_a must sort before doc_b: {row:?}");
        let score: f64 = row[2].parse().unwrap();
        assert!((0.0..=1.0).contains(&score), "{row:?}");
    }
    let keys: Vec<(&str, &str)> = body.iter().map(|r| (&*r[0], &*r[1])).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "pairs.csv rows must be sorted");
    for expected in [
        ("c-orig", "zz-rewr"),
        ("a-other2-edit", "b-other2"),
        ("d-other3-copy", "m-other3"),
        ("d-other3-copy", "y-other3-copy"),
        ("m-other3", "y-other3-copy"),
    ] {
        assert!(keys.contains(&expected), "{expected:?} not in {keys:?}");
    }
    assert_eq!(keys.len(), 5, "{keys:?}");
}

#[test]
fn clusters_csv_is_sorted_by_cluster_id_then_doc_id() {
    let dir = TempDir::new().unwrap();
    put(
        dir.path(),
        "docs.jsonl",
        jsonl(&several_clusters(), "id", "text"),
    );
    scan(&dir)
        .args(["docs.jsonl", "--out", "out"])
        .assert()
        .success();
    let rows = rows(&dir.path().join("out/clusters.csv"));
    assert_eq!(rows[0][..2], ["cluster_id", "doc_id"]);
    let keys: Vec<(u64, String)> = rows[1..]
        .iter()
        .map(|r| (r[0].parse().unwrap(), r[1].clone()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    let groups: Vec<Vec<String>> = clusters(&dir.path().join("out")).into_values().collect();
    let mut expected = vec![
        vec!["a-other2-edit", "b-other2"],
        vec!["c-orig", "zz-rewr"],
        vec!["d-other3-copy", "m-other3", "y-other3-copy"],
    ];
    expected.sort();
    let mut got = groups.clone();
    got.sort();
    assert_eq!(got, expected, "clusters: {groups:?}");
    assert!(
        !keys.iter().any(|(_, id)| id == "k-other4"),
        "singletons are listed only with --singletons"
    );
}

#[test]
fn cluster_ids_do_not_depend_on_input_order() {
    let run = |docs: &[(String, String)]| {
        let dir = TempDir::new().unwrap();
        put(dir.path(), "docs.jsonl", jsonl(docs, "id", "text"));
        scan(&dir)
            .args(["docs.jsonl", "--out", "out", "--singletons"])
            .assert()
            .success();
        fs::read_to_string(dir.path().join("out/clusters.csv")).unwrap()
    };
    let docs = several_clusters();
    let mut reversed = docs.clone();
    reversed.reverse();
    let first = run(&docs);
    assert_eq!(first, run(&docs));
    assert_eq!(first, run(&reversed));
}

#[test]
fn singletons_flag_lists_every_document_exactly_once() {
    let dir = TempDir::new().unwrap();
    let docs = several_clusters();
    put(dir.path(), "docs.jsonl", jsonl(&docs, "id", "text"));
    scan(&dir)
        .args(["docs.jsonl", "--out", "out", "--singletons"])
        .assert()
        .success();
    let clusters = clusters(&dir.path().join("out"));
    let mut listed: Vec<String> = clusters.values().flatten().cloned().collect();
    listed.sort();
    let mut all: Vec<String> = docs.into_iter().map(|(id, _)| id).collect();
    all.sort();
    assert_eq!(listed, all);
    assert!(
        clusters.values().any(|g| g == &["k-other4"]),
        "{clusters:?}"
    );
    // Cluster ids are 1..=n with no gaps.
    let ids: Vec<u64> = clusters.keys().copied().collect();
    assert_eq!(ids, (1..=clusters.len() as u64).collect::<Vec<_>>());
}

#[test]
fn out_option_creates_missing_folders_and_leaves_no_temporary_files() {
    let dir = TempDir::new().unwrap();
    put(dir.path(), "docs.jsonl", jsonl(&seed_docs(), "id", "text"));
    scan(&dir)
        .args(["docs.jsonl", "--out", "reports/2024/run"])
        .assert()
        .success()
        .stderr(predicate::str::contains("pairs.csv"))
        .stderr(predicate::str::contains("clusters.csv"));
    let out = dir.path().join("reports/2024/run");
    let mut names: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["clusters.csv", "pairs.csv", "report.html"]);
    assert_only_pair(&out, "orig", "rewr");
}

#[test]
fn rerun_into_the_same_out_folder_replaces_the_reports() {
    let dir = TempDir::new().unwrap();
    let docs = seed_docs();
    put(dir.path(), "pair.jsonl", jsonl(&docs, "id", "text"));
    put(dir.path(), "none.jsonl", jsonl(&docs[1..], "id", "text"));
    scan(&dir)
        .args(["pair.jsonl", "--out", "out"])
        .assert()
        .success();
    assert_only_pair(&dir.path().join("out"), "orig", "rewr");
    scan(&dir)
        .args(["none.jsonl", "--out", "out"])
        .assert()
        .success();
    let out = dir.path().join("out");
    assert!(clusters(&out).is_empty());
    assert!(pairs(&out).is_empty());
    assert_eq!(rows(&out.join("pairs.csv")).len(), 1, "header only");
    assert_eq!(
        fs::read_dir(&out).unwrap().count(),
        3,
        "pairs, clusters, report.html"
    );
}

// ----------------------------------------------------------------- errors

#[test]
fn malformed_json_line_is_an_error_naming_file_and_line() {
    let dir = TempDir::new().unwrap();
    let docs = seed_docs();
    let body = format!(
        "{}\n{{\"id\": \"x\", \"text\": \"unterminated}}\n",
        jsonl(&docs[..2], "id", "text")
    );
    put(dir.path(), "docs.jsonl", body);
    assert_fails(
        scan(&dir).args(["docs.jsonl", "--out", "out"]),
        &dir,
        1,
        &["docs.jsonl:4", "malformed JSON"],
    );
}

#[test]
fn json_line_that_is_not_an_object_is_an_error() {
    let dir = TempDir::new().unwrap();
    put(dir.path(), "docs.jsonl", "[\"id\", \"text\"]\n");
    assert_fails(
        scan(&dir).args(["docs.jsonl", "--out", "out"]),
        &dir,
        1,
        &["docs.jsonl:1", "not a JSON object"],
    );
}

#[test]
fn missing_text_field_is_an_error_naming_field_and_line() {
    let dir = TempDir::new().unwrap();
    put(
        dir.path(),
        "docs.jsonl",
        "{\"id\": \"a\", \"text\": \"one\"}\n{\"id\": \"b\", \"body\": \"two\"}\n",
    );
    assert_fails(
        scan(&dir).args(["docs.jsonl", "--out", "out"]),
        &dir,
        1,
        &["docs.jsonl:2", "missing field \"text\""],
    );
}

#[test]
fn non_string_id_is_an_error_naming_its_type() {
    let dir = TempDir::new().unwrap();
    put(
        dir.path(),
        "docs.jsonl",
        "{\"id\": 17, \"text\": \"one\"}\n",
    );
    assert_fails(
        scan(&dir).args(["docs.jsonl", "--out", "out"]),
        &dir,
        1,
        &["docs.jsonl:1", "\"id\" is not a string", "number"],
    );
}

#[test]
fn duplicate_id_across_two_files_names_both_places() {
    let dir = TempDir::new().unwrap();
    put(
        dir.path(),
        "a.jsonl",
        "{\"id\": \"x\", \"text\": \"one\"}\n{\"id\": \"dup\", \"text\": \"two\"}\n",
    );
    put(dir.path(), "b.csv", "id,text\ny,three\nz,four\ndup,five\n");
    assert_fails(
        scan(&dir).args(["a.jsonl", "b.csv", "--out", "out"]),
        &dir,
        1,
        &["duplicate", "\"dup\"", "a.jsonl:2", "b.csv:4"],
    );
}

#[test]
fn duplicate_id_between_a_text_file_and_a_record_names_both_places() {
    let dir = TempDir::new().unwrap();
    put(dir.path(), "corpus/story.txt", "one two three");
    put(
        dir.path(),
        "more.jsonl",
        "{\"id\": \"story.txt\", \"text\": \"four\"}\n",
    );
    let file = Path::new("corpus").join("story.txt");
    assert_fails(
        scan(&dir).args(["corpus", "more.jsonl", "--out", "out"]),
        &dir,
        1,
        &["duplicate", &file.display().to_string(), "more.jsonl:1"],
    );
}

#[test]
fn csv_row_with_the_wrong_number_of_fields_names_its_line() {
    let dir = TempDir::new().unwrap();
    // The first record spans lines 2-3; the bad one starts on line 4.
    put(
        dir.path(),
        "docs.csv",
        "id,text\na,\"two\nlines, \"\"quoted\"\"\"\nb,three,extra\n",
    );
    assert_fails(
        scan(&dir).args(["docs.csv", "--out", "out"]),
        &dir,
        1,
        &["docs.csv:4", "expected 2 fields, found 3"],
    );
}

#[test]
fn invalid_utf8_in_a_jsonl_line_names_the_line() {
    let dir = TempDir::new().unwrap();
    let mut body = b"{\"id\": \"a\", \"text\": \"fine\"}\n".to_vec();
    body.extend(b"{\"id\": \"b\", \"text\": \"caf\xe9\"}\n");
    put(dir.path(), "docs.jsonl", body);
    assert_fails(
        scan(&dir).args(["docs.jsonl", "--out", "out"]),
        &dir,
        1,
        &["docs.jsonl:2", "invalid UTF-8"],
    );
}

#[test]
fn invalid_utf8_in_a_csv_row_or_text_file_is_an_error_naming_it() {
    let dir = TempDir::new().unwrap();
    put(dir.path(), "docs.csv", b"id,text\na,fine\nb,caf\xe9\n");
    assert_fails(
        scan(&dir).args(["docs.csv", "--out", "out"]),
        &dir,
        1,
        &["docs.csv:3", "invalid UTF-8"],
    );

    let dir = TempDir::new().unwrap();
    put(dir.path(), "corpus/latin1.txt", b"line one\ncaf\xe9\n");
    assert_fails(
        scan(&dir).args(["corpus", "--out", "out"]),
        &dir,
        1,
        &["latin1.txt:2", "invalid UTF-8"],
    );
}

#[test]
fn missing_input_path_is_an_error_naming_it() {
    let dir = TempDir::new().unwrap();
    put(dir.path(), "docs.jsonl", jsonl(&seed_docs(), "id", "text"));
    assert_fails(
        scan(&dir).args(["docs.jsonl", "no/such/file.jsonl", "--out", "out"]),
        &dir,
        1,
        &["no/such/file.jsonl", "no such file"],
    );
}

#[test]
fn truncated_gz_file_is_an_error_naming_it() {
    let dir = TempDir::new().unwrap();
    let whole = gzip(jsonl(&seed_docs(), "id", "text").as_bytes());
    // Cut inside the deflate data, and just before the end of the trailer.
    for (name, len) in [("half", whole.len() / 2), ("tail", whole.len() - 3)] {
        let file = format!("{name}.jsonl.gz");
        put(dir.path(), &file, &whole[..len]);
        assert_fails(
            scan(&dir).args([file.as_str(), "--out", "out"]),
            &dir,
            1,
            &[&format!("{file}:"), "cannot read"],
        );
    }
}

#[test]
fn truncated_compressed_text_file_in_a_folder_is_an_error_naming_it() {
    let dir = TempDir::new().unwrap();
    let whole = gzip(seed(ORIGINAL).as_bytes());
    put(dir.path(), "corpus/a.txt.gz", &whole[..whole.len() / 2]);
    let whole = zstd(seed(REWRITE).as_bytes());
    put(dir.path(), "corpus/b.txt.zst", &whole[..whole.len() / 2]);
    assert_fails(
        scan(&dir).args(["corpus", "--out", "out"]),
        &dir,
        1,
        &["a.txt.gz", "cannot read"],
    );
}

#[test]
fn truncated_zst_file_is_an_error_naming_it() {
    let dir = TempDir::new().unwrap();
    let whole = zstd(jsonl(&seed_docs(), "id", "text").as_bytes());
    put(dir.path(), "docs.jsonl.zst", &whole[..whole.len() / 2]);
    assert_fails(
        scan(&dir).args(["docs.jsonl.zst", "--out", "out"]),
        &dir,
        1,
        &["docs.jsonl.zst:", "cannot read"],
    );
}

#[test]
fn error_in_a_later_input_leaves_an_existing_out_folder_untouched() {
    let dir = TempDir::new().unwrap();
    put(dir.path(), "good.jsonl", jsonl(&seed_docs(), "id", "text"));
    put(dir.path(), "bad.jsonl", "{\"id\": \"q\"}\n");
    fs::create_dir(dir.path().join("out")).unwrap();
    put(dir.path(), "out/keep.txt", "mine");
    assert_fails(
        scan(&dir).args(["good.jsonl", "bad.jsonl", "--out", "out"]),
        &dir,
        1,
        &["bad.jsonl:1", "missing field \"text\""],
    );
    let names: Vec<_> = fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["keep.txt"]);
}

// ------------------------------------------------------------ usage errors

#[test]
fn unknown_flag_is_a_usage_error() {
    let dir = TempDir::new().unwrap();
    put(dir.path(), "docs.jsonl", jsonl(&seed_docs(), "id", "text"));
    assert_fails(
        scan(&dir).args(["docs.jsonl", "--out", "out", "--frobnicate"]),
        &dir,
        2,
        &["--frobnicate"],
    );
}

#[test]
fn bands_without_rows_is_a_usage_error() {
    let dir = TempDir::new().unwrap();
    put(dir.path(), "docs.jsonl", jsonl(&seed_docs(), "id", "text"));
    assert_fails(
        scan(&dir).args(["docs.jsonl", "--out", "out", "--bands", "8"]),
        &dir,
        2,
        &["--rows"],
    );
}

#[test]
fn threshold_above_one_is_a_usage_error() {
    let dir = TempDir::new().unwrap();
    put(dir.path(), "docs.jsonl", jsonl(&seed_docs(), "id", "text"));
    assert_fails(
        scan(&dir).args(["docs.jsonl", "--out", "out", "--threshold", "2"]),
        &dir,
        2,
        &["--threshold"],
    );
}

#[test]
fn unknown_format_name_is_a_usage_error() {
    let dir = TempDir::new().unwrap();
    put(dir.path(), "docs.jsonl", jsonl(&seed_docs(), "id", "text"));
    assert_fails(
        scan(&dir).args(["--format", "xml", "docs.jsonl", "--out", "out"]),
        &dir,
        2,
        &["xml", "jsonl, csv or text"],
    );
}

#[test]
fn scan_without_inputs_is_a_usage_error() {
    let dir = TempDir::new().unwrap();
    assert_fails(scan(&dir).args(["--out", "out"]), &dir, 2, &["<INPUTS>"]);
}

#[test]
fn one_jsonl_field_may_serve_as_both_id_and_text() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("docs.jsonl");
    std::fs::write(
        &input,
        "{\"t\": \"alpha beta gamma\"}\n{\"t\": \"delta epsilon\"}\n",
    )
    .unwrap();
    Command::cargo_bin("storydup")
        .unwrap()
        .args([
            "scan",
            "--id-field",
            "t",
            "--text-field",
            "t",
            "--singletons",
            "--out",
        ])
        .arg(dir.path().join("out"))
        .arg(&input)
        .assert()
        .success();
    let clusters = std::fs::read_to_string(dir.path().join("out/clusters.csv")).unwrap();
    assert!(
        clusters.contains("alpha beta gamma") && clusters.contains("delta epsilon"),
        "{clusters}"
    );
}

#[cfg(unix)]
#[test]
fn reports_are_readable_by_other_users() {
    use std::os::unix::fs::PermissionsExt;
    let out = tempfile::tempdir().unwrap();
    Command::cargo_bin("storydup")
        .unwrap()
        .args(["scan", "data/seeds", "--out"])
        .arg(out.path())
        .assert()
        .success();
    for name in ["pairs.csv", "clusters.csv"] {
        let mode = std::fs::metadata(out.path().join(name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o044, 0o044, "{name} mode {mode:o}");
    }
}
