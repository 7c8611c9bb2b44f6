//! A self-contained HTML report of the clusters, for reading in a browser.
//!
//! Pure rendering: the caller picks the clusters and collects the texts; this
//! module only turns them into one page. The page has no scripts and no
//! external resources (CSS is inline, the histogram is inline SVG), so the
//! file can be mailed or opened offline and shows the same everywhere.

use std::fmt::Write;

/// One document of a cluster as the report shows it.
#[derive(Clone, Debug)]
pub struct Member {
    pub id: String,
    /// The document's text cut into its passages (display text, together the
    /// whole text), each with the similarity (0..=1) of its best-aligned window
    /// of the cluster's representative when it is aligned, `None` when it is
    /// not. For the representative itself every passage is `None` (nothing to
    /// compare it with).
    pub passages: Vec<(String, Option<f64>)>,
    /// Score of the pair (representative, this member), `None` for the representative.
    pub score: Option<f64>,
}

#[derive(Clone, Debug)]
pub struct Cluster {
    /// Cluster id as in clusters.csv.
    pub id: usize,
    /// All members, even if fewer are shown.
    pub size: usize,
    /// Representative first.
    pub members: Vec<Member>,
}

#[derive(Clone, Copy, Debug)]
pub struct Report<'a> {
    pub title: &'a str,
    /// Lines of the run summary (documents, pairs, clusters, ...), shown at the top.
    pub summary: &'a [String],
    /// Clusters to show, already largest first (the caller picks and orders them).
    pub clusters: &'a [Cluster],
    /// Clusters in all (the report may show fewer; say "showing N of M").
    pub total_clusters: usize,
    /// Score of every verified pair, for the histogram.
    pub scores: &'a [f64],
}

/// Histogram bins over [0, 1].
const BINS: usize = 20;
/// Members open by default after the representative; the rest start collapsed
/// so a large cluster does not bury the next one.
const OPEN_MEMBERS: usize = 3;

// System fonts only (no downloads); one narrow column that wraps long words,
// so the same page reads on a phone and a laptop.
const STYLE: &str = "
:root { color-scheme: light; }
body { margin: 0; background: #f6f6f4; color: #1d1d1f;
  font: 16px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif; }
main { max-width: 48rem; margin: 0 auto; padding: 1rem; overflow-wrap: anywhere; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: 0.5rem 0 1rem; }
h2 { font-size: 1.25rem; margin: 0 0 0.75rem; }
.summary { padding-left: 1.25rem; }
figure { margin: 1rem 0; }
figure svg { width: 100%; max-width: 32rem; height: auto; display: block; }
figcaption, .note, .count { color: #4a4a4f; font-size: 0.9rem; }
.legend { background: #fff; border-left: 4px solid #e0a800; padding: 0.5rem 0.75rem; }
.cluster { background: #fff; border: 1px solid #d8d8d4; border-radius: 8px;
  padding: 1rem; margin: 1.5rem 0; }
.member { border-top: 1px solid #e4e4e0; padding: 0.5rem 0; }
summary { cursor: pointer; font-weight: 600; }
.role { font-weight: 400; color: #4a4a4f; }
.text { margin: 0.5rem 0 0; }
mark { color: inherit; border-radius: 3px; padding: 0 1px; }
";

/// The whole page as one string.
pub fn render(report: &Report) -> String {
    let title = escape(report.title);
    let mut page = String::with_capacity(16 * 1024);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n<h1>{title}</h1>\n"
    );
    if !report.summary.is_empty() {
        page.push_str("<ul class=\"summary\">\n");
        for line in report.summary {
            let _ = writeln!(page, "<li>{}</li>", escape(line));
        }
        page.push_str("</ul>\n");
    }
    histogram(&mut page, report.scores);
    page.push_str(
        "<p class=\"legend\">Highlighted passages (about thirty words each) are those aligned with \
         a passage of the cluster's representative (the first document); a stronger tint means a \
         closer match. A pair is reported when its score reaches the threshold.</p>\n",
    );
    let _ = writeln!(
        page,
        "<p>Showing {} of {} clusters, largest first.</p>",
        report.clusters.len(),
        report.total_clusters
    );
    for cluster in report.clusters {
        render_cluster(&mut page, cluster);
    }
    page.push_str("</main>\n</body>\n</html>\n");
    page
}

fn render_cluster(page: &mut String, cluster: &Cluster) {
    let _ = writeln!(
        page,
        "<section class=\"cluster\" id=\"cluster-{id}\">\n<h2>Cluster {id} · {}</h2>",
        plural(cluster.size, "document"),
        id = cluster.id
    );
    if cluster.members.len() < cluster.size {
        let _ = writeln!(
            page,
            "<p class=\"note\">Showing {} of {} documents.</p>",
            cluster.members.len(),
            cluster.size
        );
    }
    for (position, member) in cluster.members.iter().enumerate() {
        let open = if position <= OPEN_MEMBERS {
            " open"
        } else {
            ""
        };
        let role = match member.score {
            Some(score) if position > 0 => format!("score {score:.2}"),
            _ => "representative".to_string(),
        };
        let _ = write!(
            page,
            "<article class=\"member\">\n<details{open}>\n<summary>{} \
             <span class=\"role\">· {role}</span></summary>\n",
            escape(&member.id)
        );
        let total = member.passages.len();
        let aligned = member.passages.iter().filter(|s| s.1.is_some()).count();
        if position == 0 {
            let _ = writeln!(
                page,
                "<p class=\"count\">{}; the other documents are compared with this one.</p>",
                plural(total, "passage")
            );
        } else {
            let _ = writeln!(
                page,
                "<p class=\"count\">{aligned} of {total} passages aligned with the representative.</p>"
            );
        }
        page.push_str("<p class=\"text\">");
        for (passage, similarity) in &member.passages {
            match similarity {
                Some(similarity) => {
                    // Tint from pale (weak match) to saturated (near copy).
                    let alpha = 0.2 + 0.5 * similarity.clamp(0.0, 1.0);
                    let _ = write!(
                        page,
                        "<mark title=\"aligned, similarity {similarity:.2}\" \
                         style=\"background: rgba(255, 196, 0, {alpha:.2})\">{}</mark>",
                        escape(passage)
                    );
                }
                None => page.push_str(&escape(passage)),
            }
        }
        page.push_str("</p>\n</details>\n</article>\n");
    }
    page.push_str("</section>\n");
}

/// Counts per bin of width 1/BINS; 1.0 goes in the last bin, values outside
/// [0, 1] are clamped and non-finite ones ignored.
fn bin_counts(scores: &[f64]) -> [usize; BINS] {
    let mut counts = [0; BINS];
    for &score in scores.iter().filter(|s| s.is_finite()) {
        let bin = (score.clamp(0.0, 1.0) * BINS as f64) as usize;
        counts[bin.min(BINS - 1)] += 1;
    }
    counts
}

fn histogram(page: &mut String, scores: &[f64]) {
    let counts = bin_counts(scores);
    let total: usize = counts.iter().sum();
    if total == 0 {
        page.push_str("<p class=\"note\">No verified pairs.</p>\n");
        return;
    }
    // Plot area: x in [LEFT, LEFT + WIDTH], bars grow up from BASE.
    const LEFT: f64 = 20.0;
    const WIDTH: f64 = 360.0;
    const BASE: f64 = 110.0;
    const HEIGHT: f64 = 100.0;
    let bar = WIDTH / BINS as f64;
    let tallest = *counts.iter().max().unwrap_or(&1) as f64;
    let _ = writeln!(
        page,
        "<figure>\n<svg viewBox=\"0 0 400 135\" role=\"img\" \
         aria-label=\"Histogram of pair scores\">"
    );
    for (bin, &count) in counts.iter().enumerate() {
        let lo = bin as f64 / BINS as f64;
        let hi = (bin + 1) as f64 / BINS as f64;
        let height = HEIGHT * count as f64 / tallest;
        let x = LEFT + bin as f64 * bar;
        // The transparent full-height rect makes every bin hoverable, even empty ones.
        let _ = writeln!(
            page,
            "<g><title>{lo:.2}–{hi:.2}: {count} {}</title>\
             <rect x=\"{x:.1}\" y=\"{top:.1}\" width=\"{bar:.1}\" height=\"{HEIGHT}\" fill=\"transparent\"/>\
             <rect x=\"{x1:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{height:.1}\" fill=\"#3a6ea5\"/></g>",
            if count == 1 { "pair" } else { "pairs" },
            top = BASE - HEIGHT,
            x1 = x + 1.0,
            y = BASE - height,
            w = bar - 2.0,
        );
    }
    let _ = writeln!(
        page,
        "<line x1=\"{LEFT}\" y1=\"{BASE}\" x2=\"{right}\" y2=\"{BASE}\" stroke=\"#1d1d1f\"/>\n\
         <g font-size=\"11\" fill=\"#1d1d1f\" text-anchor=\"middle\">\
         <text x=\"{LEFT}\" y=\"126\">0</text><text x=\"{mid}\" y=\"126\">0.5</text>\
         <text x=\"{right}\" y=\"126\">1</text></g>\n\
         <text x=\"{LEFT}\" y=\"8\" font-size=\"10\" fill=\"#4a4a4f\">max {tallest} per bin</text>\n\
         </svg>\n<figcaption>Scores of {total} verified {}</figcaption>\n</figure>",
        if total == 1 { "pair" } else { "pairs" },
        right = LEFT + WIDTH,
        mid = LEFT + WIDTH / 2.0,
    );
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// Escapes text for element content and quoted attribute values alike.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: &str, score: Option<f64>, passages: &[(&str, Option<f64>)]) -> Member {
        Member {
            id: id.to_string(),
            passages: passages.iter().map(|(s, v)| (s.to_string(), *v)).collect(),
            score,
        }
    }

    fn page(clusters: &[Cluster], scores: &[f64]) -> String {
        let summary = ["documents: 3".to_string()];
        render(&Report {
            title: "Rewrites & <copies>",
            summary: &summary,
            clusters,
            total_clusters: 5,
            scores,
        })
    }

    fn sample() -> Vec<Cluster> {
        vec![Cluster {
            id: 7,
            size: 2,
            members: vec![
                member("<script>alert(1)</script>", None, &[("Rain fell.", None)]),
                member(
                    "b'\"&.txt",
                    Some(0.8412),
                    &[("Rain <fell>.", Some(0.73)), ("Sun.", None)],
                ),
            ],
        }]
    }

    #[test]
    fn document_text_and_ids_are_escaped() {
        let html = page(&sample(), &[0.8]);
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("b&#39;&quot;&amp;.txt"));
        assert!(html.contains("Rain &lt;fell&gt;."));
        assert!(html.contains("<h1>Rewrites &amp; &lt;copies&gt;</h1>"));
    }

    #[test]
    fn page_has_no_external_urls() {
        let html = page(&sample(), &[0.2, 0.9]);
        assert!(!html.contains("http://") && !html.contains("https://"));
        assert!(!html.contains("src=") && !html.contains("<script"));
    }

    #[test]
    fn members_show_scores_marks_and_alignment_counts() {
        let html = page(&sample(), &[0.8]);
        assert!(html.contains("<section class=\"cluster\" id=\"cluster-7\">"));
        assert!(html.contains("<h2>Cluster 7 · 2 documents</h2>"));
        assert!(html.contains("· representative</span>"));
        assert!(html.contains("· score 0.84</span>"));
        assert!(html.contains("<mark title=\"aligned, similarity 0.73\""));
        assert!(html.contains("1 of 2 passages aligned with the representative"));
        assert!(html.contains("Showing 1 of 5 clusters, largest first"));
    }

    #[test]
    fn only_the_representative_and_three_members_start_open() {
        let members = (0..6)
            .map(|i| member(&format!("d{i}"), (i > 0).then_some(0.9), &[("x.", None)]))
            .collect();
        let clusters = [Cluster {
            id: 1,
            size: 9,
            members,
        }];
        let html = page(&clusters, &[]);
        assert_eq!(html.matches("<details open>").count(), 4);
        assert_eq!(html.matches("<details>").count(), 2);
        assert!(html.contains("Showing 6 of 9 documents."));
    }

    #[test]
    fn histogram_bins_scores_and_puts_one_in_the_last_bin() {
        assert_eq!(bin_counts(&[0.0, 0.56, 0.57, 1.0]), {
            let mut expected = [0; BINS];
            (expected[0], expected[11], expected[19]) = (1, 2, 1);
            expected
        });
        let html = page(&[], &[0.0, 0.56, 0.57, 1.0]);
        assert!(html.contains("<title>0.00–0.05: 1 pair</title>"));
        assert!(html.contains("<title>0.55–0.60: 2 pairs</title>"));
        assert!(html.contains("<title>0.95–1.00: 1 pair</title>"));
        assert!(html.contains("<title>0.50–0.55: 0 pairs</title>"));
        assert_eq!(html.matches("<g><title>").count(), BINS);
        assert!(html.contains("Scores of 4 verified pairs"));
    }

    #[test]
    fn empty_report_says_no_verified_pairs() {
        let html = render(&Report {
            title: "Empty",
            summary: &[],
            clusters: &[],
            total_clusters: 0,
            scores: &[],
        });
        assert!(html.contains("No verified pairs."));
        assert!(!html.contains("<svg"));
        assert!(html.contains("Showing 0 of 0 clusters"));
    }
}
