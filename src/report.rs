//! Report stage: `pairs.csv`, `clusters.csv` and the summary.
//!
//! Each report is written to a temporary file in the output folder and
//! renamed into place only when complete, so a report under its final name is
//! always whole.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::ids::Ids;
use crate::types::{ScanStats, ScoredPair, candidates_per_document};
use crate::verify::{Evidence, Value};

pub const PAIRS_FILE: &str = "pairs.csv";
pub const CLUSTERS_FILE: &str = "clusters.csv";
pub const SKIPPED_FILE: &str = "skipped.csv";
pub const HTML_FILE: &str = "report.html";

/// Every file a scan may write into its report folder.
pub const REPORT_FILES: [&str; 6] = [
    PAIRS_FILE,
    CLUSTERS_FILE,
    "pairs.jsonl",
    "clusters.jsonl",
    SKIPPED_FILE,
    HTML_FILE,
];

/// The evidence columns of `pairs.csv`, after `doc_a,doc_b`: the evidence
/// ([`Evidence::columns`]), then the verdict.
pub fn evidence_header() -> Vec<&'static str> {
    let mut names = Evidence::names().to_vec();
    names.push("verdict");
    names
}

/// One pair's evidence as CSV fields, in [`evidence_header`]'s order.
pub fn evidence_fields(e: &Evidence, verdict: bool) -> Vec<String> {
    let mut fields: Vec<String> = e
        .columns()
        .iter()
        .map(|(_, value)| match value {
            Value::Share(x) => fixed(*x),
            Value::Count(n) => n.to_string(),
        })
        .collect();
    fields.push(if verdict { "rewrite" } else { "different" }.to_string());
    fields
}

/// How reports are written: CSV (the contract, and the default) or JSON lines
/// with the same columns as keys and numbers as numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ReportFormat {
    #[default]
    Csv,
    Jsonl,
}

impl ReportFormat {
    pub fn from_name(name: &str) -> Option<ReportFormat> {
        match name.to_ascii_lowercase().as_str() {
            "csv" => Some(ReportFormat::Csv),
            "jsonl" => Some(ReportFormat::Jsonl),
            _ => None,
        }
    }

    /// `pairs.csv` becomes `pairs.jsonl`.
    pub fn file_name(self, csv_name: &str) -> String {
        match self {
            ReportFormat::Csv => csv_name.to_string(),
            ReportFormat::Jsonl => csv_name.replace(".csv", ".jsonl"),
        }
    }
}

impl std::str::FromStr for ReportFormat {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        ReportFormat::from_name(s)
            .ok_or_else(|| format!("unknown report format {s:?} (expected csv or jsonl)"))
    }
}

/// Rows of one report in either format.
enum Table<'w> {
    Csv(Box<csv::Writer<&'w mut dyn Write>>),
    Jsonl {
        out: &'w mut dyn Write,
        header: Vec<String>,
        text_columns: Vec<bool>,
    },
}

impl<'w> Table<'w> {
    /// `text` names the columns that stay strings in JSON (ids, verdicts).
    fn new(
        format: ReportFormat,
        out: &'w mut dyn Write,
        header: &[&str],
        text: &[&str],
    ) -> std::io::Result<Self> {
        Ok(match format {
            ReportFormat::Csv => {
                let mut csv = csv::Writer::from_writer(out);
                csv.write_record(header)?;
                Table::Csv(Box::new(csv))
            }
            ReportFormat::Jsonl => Table::Jsonl {
                out,
                header: header.iter().map(|h| h.to_string()).collect(),
                text_columns: header.iter().map(|h| text.contains(h)).collect(),
            },
        })
    }

    fn row(&mut self, fields: &[&str]) -> std::io::Result<()> {
        match self {
            Table::Csv(csv) => csv.write_record(fields).map_err(std::io::Error::other),
            Table::Jsonl {
                out,
                header,
                text_columns,
            } => {
                // Keys in column order; numbers exactly as the CSV prints them.
                let mut line = String::from("{");
                for (i, ((key, field), text)) in header
                    .iter()
                    .zip(fields)
                    .zip(text_columns.iter())
                    .enumerate()
                {
                    if i > 0 {
                        line.push(',');
                    }
                    line.push_str(&serde_json::Value::from(key.as_str()).to_string());
                    line.push(':');
                    let number = !*text && field.parse::<f64>().is_ok_and(f64::is_finite);
                    if number {
                        line.push_str(field);
                    } else {
                        line.push_str(&serde_json::Value::from(*field).to_string());
                    }
                }
                line.push_str("}\n");
                out.write_all(line.as_bytes())
            }
        }
    }

    fn finish(self) -> std::io::Result<()> {
        match self {
            Table::Csv(mut csv) => csv.flush(),
            Table::Jsonl { out, .. } => out.flush(),
        }
    }
}

/// Writes both reports into `out_dir` (created if missing); returns their
/// paths. `pairs` come in report order (by the ids of a, then b), streamed.
/// Staged: nothing is in place before [`commit`].
pub fn write_reports(
    ids: &Ids,
    pairs: impl Iterator<Item = std::io::Result<ScoredPair>>,
    clusters: &[Vec<u32>],
    out_dir: &Path,
    format: ReportFormat,
) -> Result<Vec<Staged>> {
    std::fs::create_dir_all(out_dir)
        .map_err(|e| Error::file(out_dir, format!("cannot create the output folder: {e}")))?;
    remove_stale(out_dir);
    let pairs = stage(out_dir, &format.file_name(PAIRS_FILE), |w| {
        write_pairs(ids, pairs, w, format)
    })?;
    let clusters = stage(out_dir, &format.file_name(CLUSTERS_FILE), |w| {
        write_clusters(ids, clusters, w, format)
    })?;
    Ok(vec![pairs, clusters])
}

/// Writes `pairs.csv` alone into `out_dir` (created if missing), staged for
/// [`commit`]: the pairs of documents checked against an index.
pub fn write_pairs_report(
    ids: &Ids,
    pairs: impl Iterator<Item = std::io::Result<ScoredPair>>,
    out_dir: &Path,
    format: ReportFormat,
) -> Result<Staged> {
    std::fs::create_dir_all(out_dir)
        .map_err(|e| Error::file(out_dir, format!("cannot create the output folder: {e}")))?;
    remove_stale(out_dir);
    stage(out_dir, &format.file_name(PAIRS_FILE), |w| {
        write_pairs(ids, pairs, w, format)
    })
}

/// Writes `skipped.csv` (`file,line,reason`, in reading order) into `out_dir`.
pub fn write_skipped(skipped: &[crate::input::Skipped], out_dir: &Path) -> Result<Staged> {
    std::fs::create_dir_all(out_dir)
        .map_err(|e| Error::file(out_dir, format!("cannot create the output folder: {e}")))?;
    stage(out_dir, SKIPPED_FILE, |w| {
        let mut csv = csv::Writer::from_writer(w);
        csv.write_record(["file", "line", "reason"])?;
        for s in skipped {
            csv.write_record([&s.origin.path, &s.origin.line.to_string(), &s.reason])?;
        }
        csv.flush()
    })
}

/// Creates the report folder and takes its lock (an advisory `flock` on the
/// folder itself, held until the returned file is dropped), so that two runs
/// never write into one folder: the second fails at once instead of
/// deleting the first's reports in progress or mixing its reports with them.
/// The lock goes with the process however it ends, so a killed run leaves
/// none behind.
pub fn lock_folder(out_dir: &Path) -> Result<std::fs::File> {
    std::fs::create_dir_all(out_dir)
        .map_err(|e| Error::file(out_dir, format!("cannot create the output folder: {e}")))?;
    let folder = std::fs::File::open(out_dir).map_err(|e| Error::file(out_dir, e))?;
    match folder.try_lock() {
        Ok(()) => Ok(folder),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::file(
            out_dir,
            "another storydup run is writing its reports here; wait for it to end or choose another --out",
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::file(
            out_dir,
            format!("cannot lock the output folder: {e}"),
        )),
    }
}

/// Temporary report files being written, so an interrupted run can remove
/// them ([`remove_unfinished`]) before it exits.
static UNFINISHED: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

/// Removes the temporary files of reports being written, and holds the lock
/// so that none is renamed into place afterwards; for a signal handler that
/// exits next. Returns how many it removed.
pub fn remove_unfinished() -> (usize, std::sync::MutexGuard<'static, Vec<PathBuf>>) {
    let guard = UNFINISHED.lock().unwrap_or_else(|e| e.into_inner());
    let removed = guard
        .iter()
        .filter(|p| std::fs::remove_file(p).is_ok())
        .count();
    (removed, guard)
}

/// Removes temporary reports that a killed run (SIGKILL, power loss) left in
/// `dir`: `.pairs.csv.XXXXXX.tmp` and the like. Only a run holding the
/// folder's lock ([`lock_folder`]) calls it, so no other live run is writing
/// there.
fn remove_stale(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = ["pairs.", "clusters.", "skipped.", "report."]
            .iter()
            .any(|stem| name.starts_with(&format!(".{stem}")));
        if ours && name.ends_with(".tmp") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// A report written in full under a temporary name beside its final one,
/// waiting for [`commit`]; dropped, it is removed.
pub struct Staged {
    temp: tempfile::TempPath,
    target: PathBuf,
}

impl Staged {
    /// Where [`commit`] puts it.
    pub fn target(&self) -> &Path {
        &self.target
    }
}

/// Puts a run's staged reports in place together, then removes the reports
/// of an earlier run in `out_dir` that this run did not write (a `skipped.csv`
/// or `report.html` it no longer makes, `pairs.csv` after `pairs.jsonl`), so
/// the folder holds one run's set. Under the lock the signal handler takes
/// ([`remove_unfinished`]): an interrupt comes before every rename, and the
/// earlier set stays whole, or after the last.
pub fn commit(staged: Vec<Staged>, out_dir: &Path) -> Result<Vec<PathBuf>> {
    let mut unfinished = UNFINISHED.lock().unwrap_or_else(|e| e.into_inner());
    let mut placed = Vec::new();
    for Staged { temp, target } in staged {
        let temp_path = temp.to_path_buf();
        temp.persist(&target)
            .map_err(|e| Error::file(&target, format!("cannot write: {}", e.error)))?;
        unfinished.retain(|p| p != &temp_path);
        placed.push(target);
    }
    for name in REPORT_FILES {
        let path = out_dir.join(name);
        if !placed.contains(&path) && path.is_file() {
            std::fs::remove_file(&path).map_err(|e| {
                Error::file(&path, format!("cannot remove an earlier run's report: {e}"))
            })?;
        }
    }
    Ok(placed)
}

/// Writes `name` in `dir` under a temporary name, for [`commit`].
pub(crate) fn stage(
    dir: &Path,
    name: &str,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<Staged> {
    let target = dir.join(name);
    let fail = |e: std::io::Error| Error::file(&target, format!("cannot write: {e}"));
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    // Reports are ordinary files others may read; tempfile's default is 0600.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    // Created and listed under one lock: a signal between the two would
    // otherwise leave a temporary file the handler does not know of.
    let (mut temp, temp_path) = {
        let mut unfinished = UNFINISHED.lock().unwrap_or_else(|e| e.into_inner());
        let temp = builder.tempfile_in(dir).map_err(fail)?;
        let temp_path = temp.path().to_path_buf();
        unfinished.push(temp_path.clone());
        (temp, temp_path)
    };
    let written = (|| {
        let mut buffered = std::io::BufWriter::new(temp.as_file_mut());
        fill(&mut buffered)?;
        buffered.flush()?;
        drop(buffered);
        temp.as_file().sync_all()
    })();
    if let Err(e) = written {
        UNFINISHED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|p| p != &temp_path);
        return Err(fail(e));
    }
    // Stays in UNFINISHED until put in place, so an interrupt removes it.
    Ok(Staged {
        temp: temp.into_temp_path(),
        target,
    })
}

fn fixed(x: f64) -> String {
    format!("{x:.4}")
}

/// `pairs.csv`'s rows, in the order given.
pub fn write_pairs(
    ids: &Ids,
    pairs: impl Iterator<Item = std::io::Result<ScoredPair>>,
    out: &mut dyn Write,
    format: ReportFormat,
) -> std::io::Result<()> {
    let header: Vec<&str> = ["doc_a", "doc_b"]
        .iter()
        .chain(&evidence_header())
        .copied()
        .collect();
    let mut table = Table::new(format, out, &header, &["doc_a", "doc_b", "verdict"])?;
    for pair in pairs {
        let pair = pair?;
        let evidence = evidence_fields(&pair.evidence, true);
        let mut row = vec![ids.get(pair.a), ids.get(pair.b)];
        row.extend(evidence.iter().map(String::as_str));
        table.row(&row)?;
    }
    table.finish()
}

fn write_clusters(
    ids: &Ids,
    clusters: &[Vec<u32>],
    out: &mut dyn Write,
    format: ReportFormat,
) -> std::io::Result<()> {
    let header = ["cluster_id", "doc_id", "size"];
    let mut table = Table::new(format, out, &header, &["doc_id"])?;
    for (i, members) in clusters.iter().enumerate() {
        let id = (i + 1).to_string();
        let size = members.len().to_string();
        for &doc in members {
            table.row(&[id.as_str(), ids.get(doc), size.as_str()])?;
        }
    }
    table.finish()
}

/// " (by size: 2: 10, 3-5: 4, ...)" for clusters of two or more; empty if none.
fn clusters_by_size(clusters: &[Vec<u32>]) -> String {
    const BINS: [(usize, usize, &str); 5] = [
        (2, 2, "2"),
        (3, 5, "3-5"),
        (6, 10, "6-10"),
        (11, 100, "11-100"),
        (101, usize::MAX, ">100"),
    ];
    let counts: Vec<String> = BINS
        .iter()
        .filter_map(|&(lo, hi, name)| {
            let n = clusters
                .iter()
                .filter(|c| (lo..=hi).contains(&c.len()))
                .count();
            (n > 0).then(|| format!("{name}: {n}"))
        })
        .collect();
    if counts.is_empty() {
        String::new()
    } else {
        format!(" (by size {})", counts.join(", "))
    }
}

/// The process's peak resident memory so far (Linux: VmHWM), if known.
pub fn peak_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// `n` and the noun, singular or plural to match: "1 pair", "2 pairs".
pub fn count(n: impl Into<u64>, singular: &str, plural: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { singular } else { plural })
}

/// What the run found, a line each (documents, candidates, verified pairs,
/// boilerplate, clusters, temporary files): the summary without its times
/// and memory, which vary run to run (report.html shows these).
pub fn findings(s: &ScanStats, clusters: &[Vec<u32>]) -> String {
    let mut out = String::new();
    let by_size = clusters_by_size(clusters);
    let in_clusters: usize = clusters.iter().filter(|c| c.len() > 1).map(Vec::len).sum();
    let clusters = clusters.iter().filter(|c| c.len() > 1).count();
    match s.skipped {
        Some(skipped) => out.push_str(&format!(
            "storydup: {} read, {} skipped\n",
            count(s.documents as u64, "document", "documents"),
            count(skipped as u64, "record", "records")
        )),
        None => out.push_str(&format!(
            "storydup: {}\n",
            count(s.documents as u64, "document", "documents")
        )),
    }
    if let Some(b) = s.banding {
        out.push_str(&format!(
            "  candidates: {} ({:.2} per document; each document's {} most tied partners of {} found): {} from MinHash LSH ({} bands x {} rows), {} from SimHash tables, {} from passage anchors\n",
            count(s.candidates as u64, "pair", "pairs"),
            candidates_per_document(s),
            s.max_partners,
            count(s.pairs_found as u64, "pair", "pairs"),
            s.lsh_candidates,
            b.bands,
            b.rows,
            s.simhash_candidates,
            s.anchor_candidates
        ));
    }
    out.push_str(&format!("  verified pairs: {}\n", s.verified));
    if s.boilerplate > 0 {
        out.push_str(&format!(
            "  boilerplate: {} ignored as evidence\n",
            count(
                s.boilerplate as u64,
                "distinct sentence or line",
                "distinct sentences or lines"
            )
        ));
    }
    out.push_str(&format!(
        "  clusters: {clusters} holding {}{by_size}\n",
        count(in_clusters as u64, "document", "documents")
    ));
    if s.temp_bytes > 0 {
        out.push_str(&format!(
            "  temporary files: {:.1} MB of segmented documents, {}; features of {} kept in memory{}\n",
            s.temp_bytes as f64 / 1e6,
            count(s.spilled_runs as u64, "sorted run", "sorted runs"),
            count(s.features_kept as u64, "document", "documents"),
            match s.features_built {
                0 => String::new(),
                n => format!(", {n} built again from the store"),
            }
        ));
    }
    out
}

/// The closing summary for standard error: the findings, the stage times,
/// peak memory and the reports written.
pub fn summary(s: &ScanStats, clusters: &[Vec<u32>], reports: &[PathBuf]) -> String {
    let mut out = findings(s, clusters);
    let times: Vec<String> = s
        .stages
        .iter()
        .map(|(name, t)| format!("{name} {:.3}s", t.as_secs_f64()))
        .collect();
    out.push_str(&format!("  time: {}\n", times.join(", ")));
    if let Some(peak) = peak_memory_bytes() {
        out.push_str(&format!(
            "  peak memory: {:.0} MB resident\n",
            peak as f64 / 1e6
        ));
    }
    for path in reports {
        out.push_str(&format!("  wrote {}\n", path.display()));
    }
    out
}
