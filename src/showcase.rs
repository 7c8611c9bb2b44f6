//! What `report.html` shows: the largest clusters, each member's passages
//! marked where they align with the cluster's representative, and the
//! distribution of pair scores. The texts are read again from the inputs
//! (only those of the documents shown).

use std::collections::HashMap;
use std::path::Path;

use crate::error::Result;
use crate::explain::passage_pieces;
use crate::html::{Cluster, Member, Report, render};
use crate::input::{InputOptions, read_again};
use crate::scan::{Ids, ScanOptions, sign_all};
use crate::verify;

/// Clusters shown, largest first, and members shown of each.
pub const MAX_CLUSTERS: usize = 100;
pub const MAX_MEMBERS: usize = 20;

/// Scores of verified pairs for the histogram; past `CAP` it keeps every
/// other one (and then every fourth...), the same ones every run.
#[derive(Default)]
pub struct ScoreSample {
    pub scores: Vec<f64>,
    stride: u64,
    seen: u64,
}

impl ScoreSample {
    const CAP: usize = 1 << 20;

    pub fn add(&mut self, score: f64) {
        let stride = self.stride.max(1);
        if self.seen.is_multiple_of(stride) {
            self.scores.push(score);
            if self.scores.len() >= Self::CAP {
                let halved: Vec<f64> = self.scores.iter().step_by(2).copied().collect();
                self.scores = halved;
                self.stride = stride * 2;
            }
        }
        self.seen += 1;
    }
}

/// The clusters report.html shows (largest first, at most
/// [`MAX_CLUSTERS`]) and the members shown of each: the representative (its
/// earliest document in input order, as `--dedup-out` keeps by default)
/// first, then the others in id order, at most [`MAX_MEMBERS`].
pub struct Shown {
    order: Vec<usize>,
    members: Vec<Vec<u32>>,
    total_clusters: usize,
}

impl Shown {
    /// `clusters` are as in clusters.csv (members in id order).
    pub fn choose(clusters: &[Vec<u32>]) -> Shown {
        let mut order: Vec<usize> = (0..clusters.len())
            .filter(|&c| clusters[c].len() > 1)
            .collect();
        let total_clusters = order.len();
        order.sort_by_key(|&c| std::cmp::Reverse(clusters[c].len()));
        order.truncate(MAX_CLUSTERS);
        let members = order
            .iter()
            .map(|&c| {
                let members = &clusters[c];
                let representative = members.iter().copied().min().unwrap_or_default();
                std::iter::once(representative)
                    .chain(members.iter().copied().filter(|&d| d != representative))
                    .take(MAX_MEMBERS)
                    .collect()
            })
            .collect();
        Shown {
            order,
            members,
            total_clusters,
        }
    }

    /// The (representative, member) pairs shown, each as (lower, higher).
    pub fn pairs(&self) -> std::collections::HashSet<(u32, u32)> {
        self.members
            .iter()
            .flat_map(|m| m[1..].iter().map(|&d| (m[0].min(d), m[0].max(d))))
            .collect()
    }
}

/// Writes `report.html` into `out_dir`. `known` holds the evidence of the
/// shown pairs that were verified, as pairs.csv has it, keyed (lower,
/// higher) with side a the lower; the others are scored here.
#[allow(clippy::too_many_arguments)]
pub fn write(
    inputs: &[String],
    input_options: &InputOptions,
    options: &ScanOptions,
    ids: &Ids,
    clusters: &[Vec<u32>],
    shown: &Shown,
    known: &HashMap<(u32, u32), verify::Evidence>,
    scores: &[f64],
    summary: &[String],
    out_dir: &Path,
) -> Result<crate::report::Staged> {
    let Shown {
        order,
        members: shown,
        total_clusters,
    } = shown;
    let total_clusters = *total_clusters;
    let mut wanted: Vec<u32> = shown.iter().flatten().copied().collect();
    wanted.sort_unstable();
    wanted.dedup();

    let mut texts = vec![String::new(); wanted.len()];
    read_again(inputs, input_options, ids.len(), &mut |position, doc| {
        if let Ok(i) = wanted.binary_search(&position) {
            texts[i] = doc.text;
        }
        Ok(())
    })?;
    let (signed, _) = sign_all(texts.clone(), options, options.banding());
    let at = |doc: u32| wanted.binary_search(&doc).unwrap_or_default();

    let html_clusters: Vec<Cluster> = order
        .iter()
        .zip(shown)
        .map(|(&c, members)| {
            let rep_doc = members[0];
            let rep = at(rep_doc);
            let members = members
                .iter()
                .map(|&doc| {
                    let i = at(doc);
                    let fm = &signed[i].features;
                    let display = passage_pieces(&texts[i], fm);
                    let mut marks: Vec<Option<f64>> = vec![None; display.len()];
                    let mut score = None;
                    if i != rep {
                        let fr = &signed[rep].features;
                        for (mark, best) in marks.iter_mut().zip(verify::alignment(fm, fr)) {
                            if let Some((_, similarity)) = best
                                && similarity >= options.verify.passage_threshold
                            {
                                *mark = Some(similarity);
                            }
                        }
                        score = Some(match known.get(&(doc.min(rep_doc), doc.max(rep_doc))) {
                            Some(evidence) => evidence.score,
                            None => verify::evidence(fm, fr, &options.verify).score,
                        });
                    }
                    Member {
                        id: ids.get(doc).to_string(),
                        passages: display.into_iter().zip(marks).collect(),
                        score,
                    }
                })
                .collect();
            Cluster {
                id: c + 1,
                size: clusters[c].len(),
                members,
            }
        })
        .collect();
    let page = render(&Report {
        title: "storydup report",
        summary,
        clusters: &html_clusters,
        total_clusters,
        scores,
    });
    crate::report::stage(out_dir, HTML_FILE, |w| w.write_all(page.as_bytes()))
}

pub use crate::report::HTML_FILE;
