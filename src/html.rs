//! A self-contained HTML report of the clusters, for reading in a browser.
//!
//! Pure rendering: the caller picks the clusters, cuts the texts into
//! passages and aligns them; this module only turns that into one page. Each
//! member of a cluster is set beside the cluster's representative (side by
//! side on a wide screen, one above the other on a phone): an aligned passage
//! carries the number of its counterpart on the other side and links to it,
//! an unshared one is marked as such. CSS and the small script that
//! highlights and scrolls to a counterpart are inline, the histogram is
//! inline SVG, and nothing is fetched, so the file can be mailed or opened
//! offline and shows the same everywhere (without the script the numbers are
//! still plain links).

use std::fmt::Write;

/// A document as the report shows it.
#[derive(Clone, Debug)]
pub struct Document {
    pub id: String,
    /// The text cut at the start of each passage, one piece per passage
    /// (the first also holds what comes before its first word): together
    /// the whole text, line breaks and all.
    pub passages: Vec<String>,
}

/// Where a passage of a member aligns in the representative.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Link {
    /// The representative's passage where the best window starts: the
    /// counterpart the passage links to.
    pub passage: usize,
    /// The representative's last passage the window reaches into (the same
    /// or the next).
    pub through: usize,
    /// Similarity of the passage and the window, in [0, 1].
    pub similarity: f64,
}

/// Aligned passages of one document of a pair, out of all of its passages.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Counts {
    pub aligned: u32,
    pub passages: u32,
}

/// The pair (representative, member) as pairs.csv has it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pair {
    pub score: f64,
    pub member: Counts,
    pub representative: Counts,
}

/// A member of a cluster against the cluster's representative.
#[derive(Clone, Debug)]
pub struct Comparison {
    pub member: Document,
    /// Per passage of the member: its counterpart in the representative when
    /// aligned (similarity at least the passage threshold), `None` when it is
    /// unshared.
    pub links: Vec<Option<Link>>,
    /// `None` when the pair was not verified: the member joined the cluster
    /// through other members.
    pub pair: Option<Pair>,
}

#[derive(Clone, Debug)]
pub struct Cluster {
    /// Cluster id as in clusters.csv.
    pub id: usize,
    /// All members, even if fewer are shown.
    pub size: usize,
    pub representative: Document,
    /// The other members shown.
    pub members: Vec<Comparison>,
}

#[derive(Clone, Copy, Debug)]
pub struct Report<'a> {
    pub title: &'a str,
    /// Lines of the run summary (documents, pairs, clusters, ...).
    pub summary: &'a [String],
    /// Clusters to show, already largest first (the caller picks and orders them).
    pub clusters: &'a [Cluster],
    /// Clusters in all (the report may show fewer; say "showing N of M").
    pub total_clusters: usize,
    /// Score of every verified pair, for the histogram.
    pub scores: &'a [f64],
    /// Score at which a pair is a rewrite.
    pub threshold: f64,
    /// Similarity at which a passage counts as aligned.
    pub passage_threshold: f64,
}

/// Histogram bins over [0, 1].
const BINS: usize = 20;
/// Comparisons open by default in each cluster; the rest start collapsed so
/// a large cluster does not bury the next one.
const OPEN_MEMBERS: usize = 3;

// System fonts only (no downloads). Two columns from 52rem up, one below;
// each text scrolls in its own box so a long document does not push its
// counterpart off the screen, and keeps its line breaks (pre-wrap).
const STYLE: &str = "
:root { color-scheme: light; --aligned: #dce8fb; --link: #2f62b3; --lit: #9fc2ff;
  --unshared: #ffe0a6; --unshared-line: #b45309; }
* { box-sizing: border-box; }
body { margin: 0; background: #f4f4f1; color: #1d1d1f;
  font: 16px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif; }
main { max-width: 88rem; margin: 0 auto; padding: 0.5rem 1rem 2rem; overflow-wrap: anywhere; }
h1 { font-size: 1.35rem; line-height: 1.25; margin: 0.25rem 0; }
h2 { font-size: 1.15rem; margin: 0; }
p { max-width: 60rem; }
.lede { margin: 0.25rem 0 0.5rem; color: #3a3a3f; font-size: 0.92rem; }
.toc ol { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 0.3rem;
  max-height: 4.4rem; overflow-y: auto; }
.toc a { display: block; max-width: 20rem; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; padding: 0 0.6rem; border: 1px solid #c6c6c0; border-radius: 999px;
  background: #fff; color: #1f4f8f; text-decoration: none; font-size: 0.85rem; }
.toc a:hover { border-color: var(--link); }
.cluster { background: #fff; border: 1px solid #d8d8d4; border-radius: 8px;
  padding: 0.6rem 0.9rem 0.8rem; margin: 0.75rem 0; }
.note, .count, figcaption { color: #4a4a4f; font-size: 0.9rem; margin: 0.25rem 0; }
.pair { border-top: 1px solid #e4e4e0; margin-top: 0.5rem; padding-top: 0.4rem; }
.pair > summary { cursor: pointer; }
.who { font-weight: 600; }
.score { font-weight: 700; font-variant-numeric: tabular-nums; }
.nopair { color: #8a3b00; }
.sides { display: grid; grid-template-columns: 1fr 1fr; gap: 0.75rem; margin-top: 0.4rem; }
.side { min-width: 0; }
.head { font-size: 0.85rem; color: #4a4a4f; margin: 0 0 0.2rem; }
.head b { color: #1d1d1f; }
.text { position: relative; white-space: pre-wrap; max-height: min(68vh, 44rem); overflow-y: auto;
  margin: 0; padding: 0.5rem 0.7rem; border: 1px solid #dcdcd7; border-radius: 6px;
  background: #fdfdfc; font-size: 0.95rem; line-height: 1.6; }
.p { border-radius: 3px; -webkit-box-decoration-break: clone; box-decoration-break: clone; }
.aligned { background: var(--aligned); cursor: pointer; }
.unshared { background: var(--unshared); border-bottom: 2px dashed var(--unshared-line); }
.aligned:hover, .aligned.hot, .aligned.lit, .aligned:target { background: var(--lit); outline: 2px solid var(--link); }
.n, .tag { display: inline-block; margin-right: 0.3em; padding: 0 0.35em; border-radius: 999px;
  font-size: 0.72em; font-weight: 700; line-height: 1.45; vertical-align: 0.12em; color: #fff;
  text-decoration: none; white-space: nowrap; }
.n { min-width: 1.6em; text-align: center; background: var(--link); }
.tag { background: var(--unshared-line); letter-spacing: 0.02em; }
.key { white-space: nowrap; padding: 0 0.25em; }
.run ul { padding-left: 1.25rem; }
figure { margin: 0.5rem 0; }
figure svg { width: 100%; max-width: 32rem; height: auto; display: block; }
@media (max-width: 52rem) {
  main { padding: 0.4rem 0.6rem 1.5rem; }
  .sides { grid-template-columns: 1fr; gap: 0.5rem; }
  h1 { font-size: 1.2rem; }
  .text { max-height: 32vh; font-size: 0.92rem; }
  .lede { font-size: 0.85rem; }
}
";

// Clicking an aligned passage (or its number) lights it and its counterpart
// and scrolls the counterpart into view inside its own box; hovering lights
// the counterpart. Without the script the numbers are links to the anchors.
const SCRIPT: &str = "
(function () {
  var lit = [];
  function partner(el) {
    var id = el.getAttribute('data-to');
    return id ? document.getElementById(id) : null;
  }
  function aligned(target) {
    return target && target.closest ? target.closest('.aligned') : null;
  }
  function reveal(el) {
    var box = el.closest('.text');
    if (!box) return;
    box.scrollTo({ top: Math.max(0, el.offsetTop - box.clientHeight / 3), behavior: 'smooth' });
    var r = box.getBoundingClientRect();
    if (r.top < 0 || r.bottom > window.innerHeight) {
      box.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    }
  }
  document.addEventListener('click', function (event) {
    var el = aligned(event.target);
    var other = el && partner(el);
    if (!other) return;
    event.preventDefault();
    lit.forEach(function (x) { x.classList.remove('lit'); });
    lit = [el, other];
    lit.forEach(function (x) { x.classList.add('lit'); });
    reveal(other);
  });
  function hover(on) {
    return function (event) {
      var el = aligned(event.target);
      var other = el && partner(el);
      if (other) other.classList.toggle('hot', on);
    };
  }
  document.addEventListener('mouseover', hover(true));
  document.addEventListener('mouseout', hover(false));
})();
";

/// The whole page as one string.
pub fn render(report: &Report) -> String {
    let title = escape(report.title);
    let texts: usize = report
        .clusters
        .iter()
        .map(|c| {
            let rep = text_len(&c.representative);
            c.members
                .iter()
                .map(|m| rep + text_len(&m.member))
                .sum::<usize>()
        })
        .sum();
    let mut page = String::with_capacity(32 * 1024 + 2 * texts);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n\
         <header>\n<h1>{title}</h1>\n"
    );
    let _ = writeln!(
        page,
        "<p class=\"lede\">Showing {} of {} clusters, largest first; each member beside \
         its cluster's representative. <span class=\"p aligned key\"><span class=\"n\">7</span>\
         aligned</span> with the passage numbered 7 on the other side (click to find it); \
         <span class=\"p unshared key\"><span class=\"tag\">unshared</span>no counterpart</span>. \
         Scores and counts: pairs.csv. <a href=\"#run\">Run summary</a></p>",
        report.clusters.len(),
        report.total_clusters,
    );
    if !report.clusters.is_empty() {
        page.push_str("<nav class=\"toc\" aria-label=\"Clusters\"><ol>\n");
        for cluster in report.clusters {
            let _ = writeln!(
                page,
                "<li><a href=\"#cluster-{id}\" title=\"{rep}\">Cluster {id} · {} · {rep}</a></li>",
                plural(cluster.size, "doc"),
                id = cluster.id,
                rep = escape(&cluster.representative.id)
            );
        }
        page.push_str("</ol></nav>\n");
    }
    page.push_str("</header>\n");
    for cluster in report.clusters {
        render_cluster(&mut page, cluster);
    }
    let _ = writeln!(
        page,
        "<section class=\"run\" id=\"run\">\n<h2>Run summary</h2>\n<p class=\"note\">A pair is \
         a rewrite when its score reaches {:.2}; a passage (about thirty words) is aligned when \
         its similarity with a window of the other text reaches {:.2}. The representative is a \
         cluster's earliest document in input order. The marks come from aligning the texts \
         again for this page; the scores and counts are those of pairs.csv.</p>",
        report.threshold, report.passage_threshold
    );
    if !report.summary.is_empty() {
        page.push_str("<ul>\n");
        for line in report.summary {
            let _ = writeln!(page, "<li>{}</li>", escape(line));
        }
        page.push_str("</ul>\n");
    }
    histogram(&mut page, report.scores);
    let _ = write!(
        page,
        "</section>\n</main>\n<script>{SCRIPT}</script>\n</body>\n</html>\n"
    );
    page
}

fn text_len(document: &Document) -> usize {
    document.passages.iter().map(String::len).sum()
}

fn render_cluster(page: &mut String, cluster: &Cluster) {
    let _ = writeln!(
        page,
        "<section class=\"cluster\" id=\"cluster-{id}\">\n<h2>Cluster {id} · {}</h2>",
        plural(cluster.size, "document"),
        id = cluster.id
    );
    if cluster.members.len() + 1 < cluster.size {
        let _ = writeln!(
            page,
            "<p class=\"note\">Showing {} of {} documents.</p>",
            cluster.members.len() + 1,
            cluster.size
        );
    }
    for (position, comparison) in cluster.members.iter().enumerate() {
        let prefix = format!("c{}-{}", cluster.id, position + 1);
        render_comparison(
            page,
            &prefix,
            &cluster.representative,
            comparison,
            position < OPEN_MEMBERS,
        );
    }
    page.push_str("</section>\n");
}

/// One member beside the representative. Ids are `{prefix}-r{j}` for the
/// representative's passages and `{prefix}-m{k}` for the member's.
fn render_comparison(
    page: &mut String,
    prefix: &str,
    representative: &Document,
    comparison: &Comparison,
    open: bool,
) {
    let member = &comparison.member;
    let rep_count = representative.passages.len();
    // Each passage of the representative that an aligned passage of the
    // member reaches links back to the first such passage.
    let mut back: Vec<Option<usize>> = vec![None; rep_count];
    for (k, link) in comparison.links.iter().enumerate() {
        if let Some(link) = link {
            let last = link
                .through
                .max(link.passage)
                .min(rep_count.saturating_sub(1));
            for slot in back.iter_mut().take(last + 1).skip(link.passage) {
                slot.get_or_insert(k);
            }
        }
    }
    let marked = comparison
        .links
        .iter()
        .take(member.passages.len())
        .flatten()
        .count();
    let verdict = match &comparison.pair {
        Some(pair) => format!(
            "<span class=\"score\">score {:.4}</span> · {} of {} passages aligned with the \
             representative; the representative {} of {}",
            pair.score,
            pair.member.aligned,
            pair.member.passages,
            pair.representative.aligned,
            pair.representative.passages
        ),
        None => "<span class=\"nopair\">no score: joined the cluster through other members; \
                 no direct pair with the representative</span>"
            .to_string(),
    };
    let _ = write!(
        page,
        "<details class=\"pair\" id=\"{prefix}\"{}>\n<summary><span class=\"who\">{}</span> · \
         {verdict}</summary>\n<div class=\"sides\">\n",
        if open { " open" } else { "" },
        escape(&member.id)
    );
    let _ = write!(
        page,
        "<div class=\"side\">\n<p class=\"head\">Representative <b>{}</b></p>\n<div class=\"text\">",
        escape(&representative.id)
    );
    let mut run = false;
    for (j, text) in representative.passages.iter().enumerate() {
        let id = format!("{prefix}-r{j}");
        match back[j] {
            Some(k) => {
                run = false;
                let to = format!("{prefix}-m{k}");
                let title = format!("passage {} of the representative", j + 1);
                aligned(page, &id, &to, j + 1, &title, text);
            }
            None => {
                unshared(page, &id, !run, text);
                run = true;
            }
        }
    }
    let label = match comparison.pair {
        Some(_) => String::new(),
        None => format!(
            " · {marked} of {} passages aligned with the representative on this page",
            member.passages.len()
        ),
    };
    let _ = write!(
        page,
        "</div>\n</div>\n<div class=\"side\">\n<p class=\"head\">Member <b>{}</b>{label}</p>\n\
         <div class=\"text\">",
        escape(&member.id)
    );
    let mut run = false;
    for (k, text) in member.passages.iter().enumerate() {
        let id = format!("{prefix}-m{k}");
        match comparison.links.get(k).copied().flatten() {
            Some(link) if link.passage < rep_count => {
                run = false;
                let to = format!("{prefix}-r{}", link.passage);
                let title = format!(
                    "aligned with passage {} of the representative, similarity {:.2}",
                    link.passage + 1,
                    link.similarity
                );
                aligned(page, &id, &to, link.passage + 1, &title, text);
            }
            _ => {
                unshared(page, &id, !run, text);
                run = true;
            }
        }
    }
    page.push_str("</div>\n</div>\n</div>\n</details>\n");
}

/// An aligned passage: its counterpart's number, a link to it, and the text.
/// No whitespace between the tags: the text box keeps every space.
fn aligned(page: &mut String, id: &str, to: &str, number: usize, title: &str, text: &str) {
    let _ = write!(
        page,
        "<span class=\"p aligned\" id=\"{id}\" data-to=\"{to}\" title=\"{title}\">\
         <a class=\"n\" href=\"#{to}\">{number}</a>"
    );
    push_escaped(page, text);
    page.push_str("</span>");
}

/// An unshared passage; the first of a run says so.
fn unshared(page: &mut String, id: &str, first: bool, text: &str) {
    let _ = write!(
        page,
        "<span class=\"p unshared\" id=\"{id}\">{}",
        if first {
            "<span class=\"tag\">unshared</span>"
        } else {
            ""
        }
    );
    push_escaped(page, text);
    page.push_str("</span>");
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
    push_escaped(&mut out, text);
    out
}

/// [`escape`] onto the end of `out`, copying the runs between special
/// characters whole.
fn push_escaped(out: &mut String, text: &str) {
    let mut from = 0;
    for (at, c) in text.match_indices(['&', '<', '>', '"', '\'']) {
        out.push_str(&text[from..at]);
        out.push_str(match c {
            "&" => "&amp;",
            "<" => "&lt;",
            ">" => "&gt;",
            "\"" => "&quot;",
            _ => "&#39;",
        });
        from = at + c.len();
    }
    out.push_str(&text[from..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document(id: &str, passages: &[&str]) -> Document {
        Document {
            id: id.to_string(),
            passages: passages.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn link(passage: usize, similarity: f64) -> Option<Link> {
        Some(Link {
            passage,
            through: passage,
            similarity,
        })
    }

    fn pair(score: f64) -> Option<Pair> {
        Some(Pair {
            score,
            member: Counts {
                aligned: 3,
                passages: 4,
            },
            representative: Counts {
                aligned: 2,
                passages: 5,
            },
        })
    }

    fn page(clusters: &[Cluster], scores: &[f64]) -> String {
        let summary = ["documents: 3".to_string()];
        render(&Report {
            title: "Rewrites & <copies>",
            summary: &summary,
            clusters,
            total_clusters: 5,
            scores,
            threshold: 0.84,
            passage_threshold: 0.4,
        })
    }

    fn sample() -> Vec<Cluster> {
        vec![Cluster {
            id: 7,
            size: 3,
            representative: document(
                "<script>alert(1)</script>",
                &["Headline\n\nRain fell. ", "Wind rose. ", "Sun set."],
            ),
            members: vec![
                Comparison {
                    member: document(
                        "b'\"&.txt",
                        &[
                            "Rain <fell>. ",
                            "Snow & hail. ",
                            "More snow. ",
                            "Wind rose.",
                        ],
                    ),
                    links: vec![link(0, 0.73), None, None, link(1, 0.91)],
                    pair: pair(0.8412),
                },
                Comparison {
                    member: document("c.txt", &["Sun set.", "Moon."]),
                    links: vec![link(2, 0.5), None],
                    pair: None,
                },
            ],
        }]
    }

    /// The values of `attribute="..."` in `html`, in order.
    fn values<'a>(html: &'a str, attribute: &str) -> Vec<&'a str> {
        let key = format!(" {attribute}=\"");
        html.match_indices(&key)
            .map(|(at, _)| {
                let from = at + key.len();
                &html[from..from + html[from..].find('"').unwrap()]
            })
            .collect()
    }

    #[test]
    fn document_text_and_ids_are_escaped() {
        let html = page(&sample(), &[0.8]);
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("b&#39;&quot;&amp;.txt"));
        assert!(html.contains("Rain &lt;fell&gt;. "));
        assert!(html.contains("Snow &amp; hail. "));
        assert!(html.contains("<h1>Rewrites &amp; &lt;copies&gt;</h1>"));
        assert_eq!(escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
        assert_eq!(escape("plain é"), "plain é");
    }

    #[test]
    fn page_has_no_external_urls_and_one_inline_script() {
        let html = page(&sample(), &[0.2, 0.9]);
        assert!(!html.contains("http://") && !html.contains("https://"));
        assert!(!html.contains("src=") && !html.contains("<link"));
        assert_eq!(html.matches("<script>").count(), 1);
    }

    #[test]
    fn members_show_the_score_and_counts_of_pairs_csv() {
        let html = page(&sample(), &[0.8]);
        assert!(html.contains("<section class=\"cluster\" id=\"cluster-7\">"));
        assert!(html.contains("<h2>Cluster 7 · 3 documents</h2>"));
        assert!(html.contains(
            "<span class=\"score\">score 0.8412</span> · 3 of 4 passages aligned with the \
             representative; the representative 2 of 5"
        ));
        assert!(html.contains("Showing 1 of 5 clusters, largest first"));
    }

    #[test]
    fn a_member_without_a_pair_gets_no_score_and_its_marks_say_so() {
        let html = page(&sample(), &[0.8]);
        let second = html.find("id=\"c7-2\"").unwrap();
        let summary = &html[second..second + html[second..].find("</summary>").unwrap()];
        assert!(
            summary.contains("joined the cluster through other members"),
            "{summary}"
        );
        assert!(!summary.contains("score 0") && !summary.contains("class=\"score\""));
        assert!(
            html[second..].contains("1 of 2 passages aligned with the representative on this page")
        );
        assert_eq!(html.matches("class=\"score\"").count(), 1);
    }

    #[test]
    fn every_link_points_to_a_passage_on_the_other_side() {
        let html = page(&sample(), &[]);
        let ids = values(&html, "id");
        for to in values(&html, "data-to") {
            assert!(ids.contains(&to), "no anchor {to}");
        }
        for href in values(&html, "href") {
            let to = href.strip_prefix('#').expect("only anchors");
            assert!(ids.contains(&to), "no anchor {to}");
        }
        // Member 1's passages 0 and 3 and the representative's 0 and 1,
        // member 2's passage 0 and the representative's 2, both ways.
        for (from, to, number) in [
            ("c7-1-m0", "c7-1-r0", 1),
            ("c7-1-m3", "c7-1-r1", 2),
            ("c7-1-r0", "c7-1-m0", 1),
            ("c7-1-r1", "c7-1-m3", 2),
            ("c7-2-m0", "c7-2-r2", 3),
            ("c7-2-r2", "c7-2-m0", 3),
        ] {
            let tag = format!("<span class=\"p aligned\" id=\"{from}\" data-to=\"{to}\"");
            let at = html.find(&tag).unwrap_or_else(|| panic!("no {tag}"));
            let number = format!("<a class=\"n\" href=\"#{to}\">{number}</a>");
            assert!(html[at..].starts_with(&tag) && html[at..at + 300].contains(&number));
        }
        assert!(
            html.contains(
                "title=\"aligned with passage 2 of the representative, similarity 0.91\""
            )
        );
    }

    #[test]
    fn a_window_reaching_into_the_next_passage_marks_both() {
        let mut clusters = sample();
        clusters[0].members[0].links[0] = Some(Link {
            passage: 0,
            through: 1,
            similarity: 0.6,
        });
        clusters[0].members[0].links[3] = None;
        let html = page(&clusters, &[]);
        assert!(html.contains("id=\"c7-1-r0\" data-to=\"c7-1-m0\""));
        assert!(html.contains("id=\"c7-1-r1\" data-to=\"c7-1-m0\""));
        assert!(html.contains("<span class=\"p unshared\" id=\"c7-1-r2\">"));
    }

    #[test]
    fn unshared_passages_are_marked_and_each_run_is_tagged_once() {
        let html = page(&sample(), &[]);
        let tag = "<span class=\"tag\">unshared</span>";
        assert!(html.contains(&format!(
            "<span class=\"p unshared\" id=\"c7-1-m1\">{tag}Snow &amp; hail. </span>\
             <span class=\"p unshared\" id=\"c7-1-m2\">More snow. </span>"
        )));
        // The representative's sun is unshared with member 1, shared with 2.
        assert!(html.contains(&format!(
            "<span class=\"p unshared\" id=\"c7-1-r2\">{tag}Sun set.</span>"
        )));
        assert!(html.contains(&format!(
            "<span class=\"p unshared\" id=\"c7-2-m1\">{tag}Moon.</span>"
        )));
        assert!(!html.contains("id=\"c7-2-r2\">"));
    }

    #[test]
    fn line_breaks_are_kept_in_a_box_that_shows_them() {
        let html = page(&sample(), &[]);
        assert!(html.contains("Headline\n\nRain fell. "));
        assert!(STYLE.contains("white-space: pre-wrap"));
        // No markup whitespace inside a text box: it would show.
        let start = html.find("<div class=\"text\">").unwrap();
        let end = start + html[start..].find("</div>").unwrap();
        assert!(!html[start..end].contains(">\n<") && !html[start..end].contains("> <"));
    }

    #[test]
    fn the_cluster_list_links_every_cluster_shown() {
        let mut clusters = sample();
        let mut other = clusters[0].clone();
        other.id = 12;
        other.representative.id = "x&y".to_string();
        clusters.push(other);
        let html = page(&clusters, &[]);
        let nav = &html[html.find("<nav").unwrap()..html.find("</nav>").unwrap()];
        assert!(nav.contains("<a href=\"#cluster-7\""));
        assert!(nav.contains(
            "<a href=\"#cluster-12\" title=\"x&amp;y\">Cluster 12 · 3 docs · x&amp;y</a>"
        ));
        assert!(html.contains("id=\"cluster-12\""));
        assert!(html.find("<nav").unwrap() < html.find("id=\"cluster-7\"").unwrap());
    }

    #[test]
    fn only_the_first_three_comparisons_start_open() {
        let comparison = sample()[0].members[0].clone();
        let clusters = [Cluster {
            id: 1,
            size: 9,
            representative: document("r", &["x."]),
            members: vec![comparison; 5],
        }];
        let html = page(&clusters, &[]);
        assert_eq!(html.matches("<details class=\"pair\" id=\"c1-").count(), 5);
        assert_eq!(html.matches("\" open>").count(), 3);
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
            threshold: 0.84,
            passage_threshold: 0.4,
        });
        assert!(html.contains("No verified pairs."));
        assert!(!html.contains("<svg") && !html.contains("<nav"));
        assert!(html.contains("Showing 0 of 0 clusters"));
    }
}
