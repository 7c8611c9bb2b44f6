//! Scoring a scan against a labelled set in the devsets format:
//! `docs.jsonl`, `pairs.csv` (`id_a,id_b,label`), optionally
//! `pairs_detail.csv` (the same with a `kind` column).
//!
//! A labelled pair is predicted positive when the scan put both documents in
//! one cluster (the same rule the project is judged by).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::error::{Error, Origin, Result};
use crate::scan::Scan;

#[derive(Clone, Debug)]
pub struct LabelledPair {
    pub a: String,
    pub b: String,
    pub positive: bool,
    pub kind: String,
}

/// Reads `pairs_detail.csv` when present (it has kinds), else `pairs.csv`.
pub fn read_pairs(dir: &Path) -> Result<Vec<LabelledPair>> {
    let detail = dir.join("pairs_detail.csv");
    let path = if detail.exists() {
        detail
    } else {
        dir.join("pairs.csv")
    };
    let mut reader = csv::Reader::from_path(&path).map_err(|e| Error::file(&path, e))?;
    let headers = reader.headers().map_err(|e| Error::file(&path, e))?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (Some(ia), Some(ib), Some(il)) = (col("id_a"), col("id_b"), col("label")) else {
        return Err(Error::file(&path, "expected columns id_a, id_b and label"));
    };
    let ik = col("kind");
    let mut pairs = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| Error::file(&path, e))?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let positive = match &record[il] {
            "1" => true,
            "0" => false,
            other => {
                return Err(Error::record(
                    Origin {
                        path: path.display().to_string(),
                        line,
                    },
                    format!("label must be 0 or 1, found {other:?}"),
                ));
            }
        };
        pairs.push(LabelledPair {
            a: record[ia].to_string(),
            b: record[ib].to_string(),
            positive,
            kind: ik
                .map(|i| record[i].to_string())
                .unwrap_or_else(|| if positive { "positive" } else { "negative" }.into()),
        });
    }
    Ok(pairs)
}

/// Pairwise scores of a scan against labelled pairs.
#[derive(Clone, Debug, Default)]
pub struct PairScores {
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
    /// Positive pairs, and those the candidate stage nominated.
    pub positives: usize,
    pub positive_candidates: usize,
    /// Per kind: (pairs put in one cluster, pairs of that kind).
    pub by_kind: BTreeMap<String, (usize, usize)>,
}

impl PairScores {
    pub fn precision(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_positives,
        )
    }
    pub fn recall(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_negatives,
        )
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
    /// Share of pairs of `kind` put in one cluster.
    pub fn rate(&self, kind: &str) -> Option<f64> {
        self.by_kind.get(kind).map(|&(hit, all)| ratio(hit, all))
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Cluster of each document id (documents in no cluster are absent).
pub fn cluster_of(scan: &Scan) -> HashMap<&str, usize> {
    let mut out = HashMap::new();
    for (c, members) in scan.clusters.iter().enumerate() {
        if members.len() > 1 {
            for &doc in members {
                out.insert(scan.ids[doc as usize].as_str(), c);
            }
        }
    }
    out
}

pub fn score_pairs(scan: &Scan, pairs: &[LabelledPair]) -> PairScores {
    let clusters = cluster_of(scan);
    let mut scores = PairScores::default();
    let index = crate::scan::index_of(&scan.ids);
    for pair in pairs {
        let together = matches!(
            (clusters.get(pair.a.as_str()), clusters.get(pair.b.as_str())),
            (Some(x), Some(y)) if x == y
        );
        let entry = scores.by_kind.entry(pair.kind.clone()).or_default();
        entry.1 += 1;
        if together {
            entry.0 += 1;
        }
        if pair.positive {
            scores.positives += 1;
            if let (Some(&a), Some(&b)) = (index.get(pair.a.as_str()), index.get(pair.b.as_str()))
                && scan.candidates.binary_search(&(a.min(b), a.max(b))).is_ok()
            {
                scores.positive_candidates += 1;
            }
        }
        match (together, pair.positive) {
            (true, true) => scores.true_positives += 1,
            (true, false) => scores.false_positives += 1,
            (false, true) => scores.false_negatives += 1,
            (false, false) => {}
        }
    }
    scores
}

impl std::fmt::Display for PairScores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "precision {:.4}  recall {:.4}  F1 {:.4}  (tp {}, fp {}, fn {})",
            self.precision(),
            self.recall(),
            self.f1(),
            self.true_positives,
            self.false_positives,
            self.false_negatives
        )?;
        writeln!(
            f,
            "  candidate recall {:.4} ({} of {} positive pairs nominated)",
            ratio(self.positive_candidates, self.positives),
            self.positive_candidates,
            self.positives
        )?;
        for (kind, (hit, all)) in &self.by_kind {
            writeln!(
                f,
                "  {kind:<24} {hit:>6} of {all:>6} in one cluster ({:.4})",
                ratio(*hit, *all)
            )?;
        }
        Ok(())
    }
}

/// Writes every labelled pair with its evidence (computed whether or not the
/// pair was a candidate), its label and kind, and whether the scan put it in
/// one cluster: the table to tune the verifier on.
pub fn write_labelled_evidence(
    scan: &Scan,
    signed: &[crate::scan::Signed],
    pairs: &[LabelledPair],
    options: &crate::verify::VerifyOptions,
    out: &Path,
) -> Result<()> {
    let index = crate::scan::index_of(&scan.ids);
    let clusters = cluster_of(scan);
    let fail = |e: csv::Error| Error::file(out, e);
    let mut csv = csv::Writer::from_path(out).map_err(fail)?;
    let mut header = vec!["id_a", "id_b", "label", "kind", "together"];
    header.extend(crate::report::evidence_header());
    csv.write_record(&header).map_err(fail)?;
    for pair in pairs {
        let (Some(&a), Some(&b)) = (index.get(pair.a.as_str()), index.get(pair.b.as_str())) else {
            return Err(Error::file(
                out,
                format!("pair {} {} names an unknown id", pair.a, pair.b),
            ));
        };
        let evidence = crate::verify::evidence(
            &signed[a as usize].features,
            &signed[b as usize].features,
            options,
        );
        let together = matches!((clusters.get(pair.a.as_str()), clusters.get(pair.b.as_str())), (Some(x), Some(y)) if x == y);
        let mut row = vec![
            pair.a.clone(),
            pair.b.clone(),
            (pair.positive as u8).to_string(),
            pair.kind.clone(),
            (together as u8).to_string(),
        ];
        let verdict = evidence.score >= options.threshold;
        row.extend(crate::report::evidence_fields(&evidence, verdict));
        csv.write_record(&row).map_err(fail)?;
    }
    csv.flush().map_err(|e| Error::file(out, e))
}

/// One labelled set, in one copy, scanned and scored.
#[derive(Clone, Debug)]
pub struct SetResult {
    /// The folder's name.
    pub name: String,
    pub copy: crate::perturb::Perturbation,
    pub documents: usize,
    pub candidates_per_document: f64,
    pub scores: PairScores,
    /// The negative kind put in one cluster most often, with that share.
    pub hardest_negative: Option<(String, f64)>,
    pub partition: Option<PartitionScores>,
    /// The scan, for `--pairs-out` and per-kind detail.
    pub scan: Scan,
    pub pairs: Vec<LabelledPair>,
}

/// Scans the labelled set in `dir`, its texts mangled by `copy`, and scores
/// the clusters against its labels.
pub fn evaluate(
    dir: &Path,
    copy: crate::perturb::Perturbation,
    options: &crate::scan::ScanOptions,
) -> Result<SetResult> {
    let docs = dir.join("docs.jsonl").display().to_string();
    let (mut documents, _) =
        crate::input::read_all(&[docs], &crate::input::InputOptions::default())?;
    for d in &mut documents {
        d.text = copy.apply(&d.text);
    }
    let pairs = read_pairs(dir)?;
    let mut options = options.clone();
    options.keep_candidates = true;
    let scan = crate::scan::scan(documents, &options)?;
    let scores = score_pairs(&scan, &pairs);
    let negative: std::collections::BTreeSet<&str> = pairs
        .iter()
        .filter(|p| !p.positive)
        .map(|p| p.kind.as_str())
        .collect();
    let hardest_negative = negative
        .iter()
        .map(|k| (k.to_string(), scores.rate(k).unwrap_or(0.0)))
        .fold(None, |best: Option<(String, f64)>, (k, r)| match best {
            Some((_, b)) if b >= r => best,
            _ => Some((k, r)),
        });
    let partition = read_gold_clusters(dir)?.map(|gold| score_partition(&scan, &gold));
    Ok(SetResult {
        name: dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| dir.display().to_string()),
        copy,
        documents: scan.ids.len(),
        candidates_per_document: crate::scan::candidates_per_document(&scan.stats),
        scores,
        hardest_negative,
        partition,
        scan,
        pairs,
    })
}

/// One line a set: what `storydup eval` prints for several sets or copies.
pub fn table(results: &[SetResult]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<28} {:<8} {:>6} {:>6} {:>9} {:>7} {:>7}  hardest negative kind: merged",
        "set", "copy", "docs", "cand", "precision", "recall", "F1"
    );
    for r in results {
        let hardest = r
            .hardest_negative
            .as_ref()
            .map_or("(no negative pairs)".to_string(), |(k, rate)| {
                format!("{k}: {rate:.4}")
            });
        let _ = writeln!(
            out,
            "{:<28} {:<8} {:>6} {:>6.2} {:>9.4} {:>7.4} {:>7.4}  {hardest}",
            r.name,
            r.copy.name(),
            r.documents,
            r.candidates_per_document,
            r.scores.precision(),
            r.scores.recall(),
            r.scores.f1()
        );
    }
    let mean = results.iter().map(|r| r.scores.f1()).sum::<f64>() / results.len().max(1) as f64;
    let worst = results
        .iter()
        .min_by(|x, y| x.scores.f1().total_cmp(&y.scores.f1()));
    if let Some(w) = worst {
        let _ = writeln!(
            out,
            "mean F1 {mean:.4}; lowest {:.4} ({}, {})",
            w.scores.f1(),
            w.name,
            w.copy.name()
        );
    }
    out
}

/// `n` with thousands separators: 14,868.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The tables README.md quotes, in Markdown: a row a set (its clean copy,
/// or the first copy scanned), then F1 of each set by copy where more than
/// one copy was scanned.
pub fn markdown(results: &[SetResult]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| set | precision | recall | F1 | hardest negatives merged | candidates / doc |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    let mut names: Vec<&str> = Vec::new();
    for r in results {
        if !names.contains(&r.name.as_str()) {
            names.push(&r.name);
        }
    }
    let first = |name: &str| results.iter().find(|r| r.name == name);
    for r in names.iter().filter_map(|&n| first(n)) {
        let hardest = match &r.hardest_negative {
            Some((kind, _)) => {
                let (hit, all) = r.scores.by_kind[kind];
                format!(
                    "{kind}: {} of {} ({:.2}%)",
                    thousands(hit),
                    thousands(all),
                    100.0 * ratio(hit, all)
                )
            }
            None => "(no negative pairs)".to_string(),
        };
        let _ = writeln!(
            out,
            "| {} ({} docs{}) | {:.4} | {:.4} | {:.4} | {hardest} | {:.2} |",
            r.name,
            thousands(r.documents),
            match r.copy {
                crate::perturb::Perturbation::Clean => String::new(),
                copy => format!(", {}", copy.name()),
            },
            r.scores.precision(),
            r.scores.recall(),
            r.scores.f1(),
            r.candidates_per_document
        );
    }
    let copies: Vec<crate::perturb::Perturbation> = crate::perturb::Perturbation::ALL
        .into_iter()
        .filter(|c| results.iter().any(|r| r.copy == *c))
        .collect();
    if copies.len() > 1 {
        let header: Vec<&str> = copies.iter().map(|c| c.name()).collect();
        let _ = writeln!(out, "\n| set | {} |", header.join(" | "));
        let _ = writeln!(out, "|---|{}", "---|".repeat(copies.len()));
        for name in &names {
            let f1: Vec<String> = copies
                .iter()
                .map(|c| {
                    results
                        .iter()
                        .find(|r| r.name == *name && r.copy == *c)
                        .map_or("".to_string(), |r| format!("{:.4}", r.scores.f1()))
                })
                .collect();
            let _ = writeln!(out, "| {name} | {} |", f1.join(" | "));
        }
    }
    out
}

/// Reads `clusters.csv` (`id,cluster`), the gold partition, if the set has one.
pub fn read_gold_clusters(dir: &Path) -> Result<Option<HashMap<String, String>>> {
    let path = dir.join("clusters.csv");
    if !path.exists() {
        return Ok(None);
    }
    let mut reader = csv::Reader::from_path(&path).map_err(|e| Error::file(&path, e))?;
    let mut gold = HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| Error::file(&path, e))?;
        if record.len() < 2 {
            return Err(Error::file(&path, "expected columns id,cluster"));
        }
        gold.insert(record[0].to_string(), record[1].to_string());
    }
    Ok(Some(gold))
}

/// Agreement of the scan's partition with a gold partition over all pairs of
/// the gold documents (a document in no predicted cluster is its own).
#[derive(Clone, Debug, PartialEq)]
pub struct PartitionScores {
    pub documents: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub adjusted_rand_index: f64,
}

pub fn score_partition(scan: &Scan, gold: &HashMap<String, String>) -> PartitionScores {
    let predicted = cluster_of(scan);
    let mut ids: Vec<&String> = gold.keys().collect();
    ids.sort();
    let labels: Vec<(String, &str)> = ids
        .iter()
        .map(|id| {
            let p = predicted
                .get(id.as_str())
                .map(|c| format!("c{c}"))
                .unwrap_or_else(|| format!("d{id}"));
            (p, gold[*id].as_str())
        })
        .collect();
    partition_agreement(&labels)
}

/// Pair counting over a contingency table of (predicted, gold) labels.
pub fn partition_agreement<P: std::hash::Hash + Eq, G: std::hash::Hash + Eq>(
    labels: &[(P, G)],
) -> PartitionScores {
    let pairs = |n: usize| (n * n.saturating_sub(1) / 2) as f64;
    let mut cells: HashMap<(&P, &G), usize> = HashMap::new();
    let mut rows: HashMap<&P, usize> = HashMap::new();
    let mut cols: HashMap<&G, usize> = HashMap::new();
    for (p, g) in labels {
        *cells.entry((p, g)).or_default() += 1;
        *rows.entry(p).or_default() += 1;
        *cols.entry(g).or_default() += 1;
    }
    let together: f64 = cells.values().map(|&n| pairs(n)).sum();
    let predicted: f64 = rows.values().map(|&n| pairs(n)).sum();
    let gold: f64 = cols.values().map(|&n| pairs(n)).sum();
    let all = pairs(labels.len());
    let expected = if all > 0.0 {
        predicted * gold / all
    } else {
        0.0
    };
    let max = 0.5 * (predicted + gold);
    let adjusted_rand_index = if max - expected == 0.0 {
        1.0
    } else {
        (together - expected) / (max - expected)
    };
    let precision = if predicted > 0.0 {
        together / predicted
    } else {
        1.0
    };
    let recall = if gold > 0.0 { together / gold } else { 1.0 };
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    PartitionScores {
        documents: labels.len(),
        precision,
        recall,
        f1,
        adjusted_rand_index,
    }
}

impl std::fmt::Display for PartitionScores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "gold partition ({} documents, all pairs): precision {:.4}  recall {:.4}  F1 {:.4}  adjusted Rand index {:.4}",
            self.documents, self.precision, self.recall, self.f1, self.adjusted_rand_index
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_partitions_agree_fully() {
        let labels = [(1, "a"), (1, "a"), (2, "b"), (2, "b"), (3, "c")];
        let s = partition_agreement(&labels);
        assert_eq!(
            (s.precision, s.recall, s.adjusted_rand_index),
            (1.0, 1.0, 1.0)
        );
    }

    #[test]
    fn adjusted_rand_index_matches_a_worked_example() {
        // sklearn.metrics.adjusted_rand_score([0,0,1,1], [0,0,1,2]) = 0.5714...
        let labels = [(0, 0), (0, 0), (1, 1), (1, 2)];
        let s = partition_agreement(&labels);
        assert!((s.adjusted_rand_index - 4.0 / 7.0).abs() < 1e-12);
        assert_eq!((s.precision, s.recall), (0.5, 1.0));
    }

    #[test]
    fn one_merged_cluster_loses_precision_not_recall() {
        let labels = [(0, "x"), (0, "x"), (0, "y"), (0, "y")];
        let s = partition_agreement(&labels);
        assert_eq!(s.recall, 1.0);
        assert!((s.precision - 2.0 / 6.0).abs() < 1e-12);
        assert!(s.adjusted_rand_index <= 0.0);
    }
}
