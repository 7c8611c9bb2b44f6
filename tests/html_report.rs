//! The HTML report as a reader sees it: rendered by headless Chromium, not
//! just string-matched, so broken markup, an error page, a layout that
//! scrolls sideways on a phone or text run together would show up.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use storydup::html::{Cluster, Comparison, Counts, Document, Link, Pair, Report, render};

const BROWSERS: [&str; 3] = ["chromium", "chromium-browser", "google-chrome"];

fn browser() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .flat_map(|dir| BROWSERS.map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "no headless browser found (looked for {BROWSERS:?} on PATH); \
                 install Debian's `chromium` package: sudo apt-get install chromium"
            )
        })
}

/// Runs the browser headless on `page` with a 60 s limit; its own profile
/// directory keeps parallel runs from clashing over a shared one.
fn chromium(profile: &Path, page: &Path, extra: &[String]) -> Output {
    let output = Command::new("timeout")
        .arg("60")
        .arg(browser())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run timeout + chromium");
    // Chromium prints harmless warnings on stderr; only the exit status counts.
    assert!(
        output.status.success(),
        "chromium failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The DOM of `html` after Chromium has loaded it (and run its script).
fn dom(html: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, html).unwrap();
    let output = chromium(
        &dir.path().join("profile"),
        &page,
        &["--dump-dom".to_string()],
    );
    let dom = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        !dom.contains("ERR_FILE_NOT_FOUND") && !dom.contains("neterror"),
        "error page: {dom}"
    );
    dom
}

/// Measures `html` laid out in a `width` x `height` viewport: it is shown in
/// an iframe of that size (headless Chromium's own window is at least 500
/// px wide), and a script appended to it reports, as `key=value` lines:
/// how far the page scrolls sideways (`overflow`), where the two text boxes
/// of the first comparison are (`rep_*`, `member_*`), the gap between the
/// last line of `lines[i].0` and the first of `lines[i].1` (`gap_i`), and
/// whether clicking the member's first aligned passage lights it and its
/// counterpart (`lit`, `lit_to`).
fn layout(html: &str, width: u32, height: u32, lines: &[(&str, &str)]) -> HashMap<String, String> {
    let lines: Vec<String> = lines
        .iter()
        .map(|(a, b)| format!("[{a:?}, {b:?}]"))
        .collect();
    let probe = format!(
        "<script>(function () {{
  var out = [];
  function put(k, v) {{ out.push(k + '=' + v); }}
  var root = document.documentElement;
  put('width', root.clientWidth);
  put('overflow', root.scrollWidth - root.clientWidth);
  var boxes = document.querySelectorAll('details[open] .text');
  [['rep', boxes[0]], ['member', boxes[1]]].forEach(function (b) {{
    if (!b[1]) return;
    var r = b[1].getBoundingClientRect();
    ['top', 'bottom', 'left', 'right'].forEach(function (s) {{ put(b[0] + '_' + s, Math.round(r[s])); }});
  }});
  function rects(s) {{
    var walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT), n;
    while ((n = walk.nextNode())) {{
      var i = n.data.indexOf(s);
      if (i >= 0) {{
        var range = document.createRange();
        range.setStart(n, i);
        range.setEnd(n, i + s.length);
        return range.getClientRects();
      }}
    }}
    return null;
  }}
  [{lines}].forEach(function (pair, i) {{
    var a = rects(pair[0]), b = rects(pair[1]);
    if (a && b) put('gap_' + i, Math.round(b[0].top - a[a.length - 1].bottom));
  }});
  var member = document.querySelector('details[open] .side:nth-child(2) .aligned');
  if (member) {{
    member.click();
    var other = document.getElementById(member.getAttribute('data-to'));
    put('lit', member.classList.contains('lit') && !!other && other.classList.contains('lit'));
    put('lit_to', member.getAttribute('data-to'));
  }}
  parent.document.getElementById('probe').textContent = out.join('\\n');
}})();</script>",
        lines = lines.join(", ")
    );
    let page = html.replace("</body>", &format!("{probe}</body>"));
    let srcdoc = page.replace('&', "&amp;").replace('"', "&quot;");
    let frame = format!(
        "<!DOCTYPE html><html><body style=\"margin:0\"><pre id=\"probe\"></pre>\
         <iframe style=\"border:0;display:block;width:{width}px;height:{height}px\" \
         srcdoc=\"{srcdoc}\"></iframe></body></html>"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("frame.html");
    std::fs::write(&path, frame).unwrap();
    let output = chromium(
        &dir.path().join("profile"),
        &path,
        &[
            "--window-size=1600,1200".to_string(),
            "--virtual-time-budget=5000".to_string(),
            "--dump-dom".to_string(),
        ],
    );
    let dom = String::from_utf8_lossy(&output.stdout);
    let start = dom.find("<pre id=\"probe\">").expect("probe") + "<pre id=\"probe\">".len();
    let measured = &dom[start..start + dom[start..].find("</pre>").unwrap()];
    let values: HashMap<String, String> = measured
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(
        values.get("width").map(String::as_str),
        Some(width.to_string().as_str()),
        "probe did not run: {measured:?}"
    );
    values
}

fn number(values: &HashMap<String, String>, key: &str) -> i64 {
    values
        .get(key)
        .unwrap_or_else(|| panic!("no {key} in {values:?}"))
        .parse()
        .unwrap()
}

/// Every `attribute="..."` value in `html`.
fn values<'a>(html: &'a str, attribute: &str) -> Vec<&'a str> {
    let key = format!(" {attribute}=\"");
    html.match_indices(&key)
        .map(|(at, _)| {
            let from = at + key.len();
            &html[from..from + html[from..].find('"').unwrap()]
        })
        .collect()
}

/// Every aligned passage links to an anchor on the other side of its own
/// comparison, by its number and by `data-to`.
fn assert_links_resolve(dom: &str) {
    let ids = values(dom, "id");
    let targets = values(dom, "data-to");
    assert!(!targets.is_empty(), "no aligned passages");
    for to in &targets {
        assert!(ids.contains(to), "no anchor {to}");
    }
    for href in values(dom, "href") {
        let to = href.strip_prefix('#').expect("only links within the page");
        assert!(ids.contains(&to), "no anchor {to}");
    }
    // The member's passages (-m) point at the representative's (-r) of the
    // same comparison, and back.
    for tag in dom.match_indices("<span class=\"p aligned\" id=\"") {
        let rest = &dom[tag.0 + tag.1.len()..];
        let id = &rest[..rest.find('"').unwrap()];
        let to = values(rest, "data-to")[0];
        let (side, other) = if id.contains("-m") {
            ("-m", "-r")
        } else {
            ("-r", "-m")
        };
        let prefix = &id[..id.rfind(side).expect("passage id")];
        assert!(
            to.starts_with(&format!("{prefix}{other}")),
            "{id} links to {to}"
        );
    }
}

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

fn pair(score: f64, member: (u32, u32), representative: (u32, u32)) -> Option<Pair> {
    let counts = |(aligned, passages)| Counts { aligned, passages };
    Some(Pair {
        score,
        member: counts(member),
        representative: counts(representative),
    })
}

fn clusters() -> Vec<Cluster> {
    let envoy = document(
        "000_envoy.txt",
        &[
            "US envoy arrives in Moscow for ceasefire talks\n\nBy Jo Smith\n\n",
            "Steve Witkoff arrived in Moscow on Thursday morning for talks with the Kremlin. ",
            "The special envoy is expected to meet senior officials before the weekend.\n\n",
            "Markets in Europe rose slightly on hopes of a ceasefire.",
        ],
    );
    let envoy_rewrite = Comparison {
        member: document(
            "001_envoy_rewrite.txt",
            &[
                "A US delegation led by special envoy Steve Witkoff landed in Moscow on Thursday. ",
                "He is due to hold meetings with senior Russian officials before Saturday.\n\n",
                "Local weather was cold & grey, with light snow in the <city> centre.",
            ],
        ),
        links: vec![link(1, 0.81), link(2, 0.66), None],
        pair: pair(0.8412, (2, 3), (2, 4)),
    };
    let envoy_brief = Comparison {
        member: document(
            "002_envoy_brief.txt",
            &[
                "Witkoff reached Moscow on Thursday morning for talks at the Kremlin. ",
                "European markets edged higher on ceasefire hopes.",
            ],
        ),
        links: vec![link(1, 0.92), link(3, 0.58)],
        pair: None,
    };
    let harbour = document(
        "010_harbour \"<b>\" & co.txt",
        &[
            "The city council approved a new harbour bridge on Monday. ",
            "Construction is set to begin next spring and last three years.",
        ],
    );
    let harbour_copy = Comparison {
        member: document(
            "011_harbour_copy_from_the_regional_desk_with_a_very_long_file_name_and_no_spaces.txt",
            &[
                "On Monday the city council approved a new bridge over the harbour. ",
                "Work should start next spring and take three years: \
                 Harbourbridgeconstructionschedulewithoutanyspacesthatmustwrapratherthanscrollsideways.",
            ],
        ),
        links: vec![link(0, 0.88), link(1, 0.79)],
        pair: pair(0.93, (2, 2), (2, 2)),
    };
    vec![
        Cluster {
            id: 3,
            size: 3,
            representative: envoy,
            members: vec![envoy_rewrite, envoy_brief],
        },
        Cluster {
            id: 12,
            size: 2,
            representative: harbour,
            members: vec![harbour_copy],
        },
    ]
}

fn sample_page() -> String {
    let clusters = clusters();
    let summary = [
        "documents: 1,204".to_string(),
        "verified pairs: 6".to_string(),
        "clusters: 4".to_string(),
    ];
    render(&Report {
        title: "storydup report: rewritten stories",
        summary: &summary,
        clusters: &clusters,
        total_clusters: 4,
        scores: &[0.52, 0.58, 0.71, 0.84, 0.93, 1.0],
        threshold: 0.84,
        passage_threshold: 0.4,
    })
}

#[test]
fn report_renders_in_headless_chromium_on_phone_and_laptop() {
    let html = sample_page();
    assert!(!html.contains("http://") && !html.contains("https://"));
    let dom = dom(&html);
    assert!(
        dom.contains("<h1>storydup report: rewritten stories</h1>"),
        "{dom}"
    );
    let first = dom
        .find("<h2>Cluster 3 · 3 documents</h2>")
        .expect("cluster 3 heading");
    let second = dom
        .find("<h2>Cluster 12 · 2 documents</h2>")
        .expect("cluster 12 heading");
    assert!(first < second, "larger cluster first");
    for id in [
        "000_envoy.txt",
        "001_envoy_rewrite.txt",
        "002_envoy_brief.txt",
        "010_harbour &quot;&lt;b&gt;&quot; &amp; co.txt",
        "011_harbour_copy_from_the_regional_desk_with_a_very_long_file_name_and_no_spaces.txt",
    ] {
        assert!(dom.contains(id), "id {id} missing");
    }
    assert!(!dom.contains("<b>\""), "unescaped id");
    assert!(
        dom.contains("title=\"aligned with passage 2 of the representative, similarity 0.81\"")
    );
    assert!(dom.contains("landed in Moscow on Thursday. </span>"));
    assert!(dom.contains("cold &amp; grey, with light snow in the &lt;city&gt; centre."));
    assert!(dom.contains("<span class=\"score\">score 0.8412</span> · 2 of 3 passages aligned"));
    assert!(dom.contains("<svg") && dom.contains("Scores of 6 verified pairs"));
    assert!(dom.contains("Showing 2 of 4 clusters, largest first"));

    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, &html).unwrap();
    let profile = dir.path().join("profile");
    for (name, size) in [("phone", "390,844"), ("laptop", "1280,800")] {
        let shot = dir.path().join(format!("{name}.png"));
        chromium(
            &profile,
            &page,
            &[
                format!("--window-size={size}"),
                format!("--screenshot={}", shot.display()),
            ],
        );
        let bytes = std::fs::metadata(&shot)
            .unwrap_or_else(|e| panic!("no {name} screenshot: {e}"))
            .len();
        // A blank page compresses to a tiny PNG; a page with text is tens of KB.
        assert!(bytes > 8 * 1024, "{name} screenshot only {bytes} bytes");
    }
    // For looking at the page by eye: copy it and the screenshots out of the temp dir.
    if let Some(keep) = std::env::var_os("STORYDUP_KEEP_HTML_REPORT") {
        for file in ["report.html", "phone.png", "laptop.png"] {
            std::fs::copy(dir.path().join(file), Path::new(&keep).join(file)).unwrap();
        }
    }
}

#[test]
fn each_member_passage_links_to_its_counterpart_and_unshared_ones_are_marked() {
    let dom = dom(&sample_page());
    assert_links_resolve(&dom);
    // The rewrite's two aligned passages, numbered as their counterparts.
    assert!(dom.contains(
        "<span class=\"p aligned\" id=\"c3-1-m0\" data-to=\"c3-1-r1\" title=\"aligned with \
         passage 2 of the representative, similarity 0.81\"><a class=\"n\" href=\"#c3-1-r1\">2</a>"
    ));
    assert!(dom.contains("id=\"c3-1-m1\" data-to=\"c3-1-r2\""));
    assert!(dom.contains("id=\"c3-1-r1\" data-to=\"c3-1-m0\""));
    // Its new sentence, and the representative's headline and markets
    // sentence it lacks, are unshared; the brief has the markets.
    assert!(dom.contains(
        "<span class=\"p unshared\" id=\"c3-1-m2\"><span class=\"tag\">unshared</span>Local weather"
    ));
    assert!(dom.contains(
        "<span class=\"p unshared\" id=\"c3-1-r0\"><span class=\"tag\">unshared</span>US envoy"
    ));
    assert!(dom.contains("<span class=\"p unshared\" id=\"c3-1-r3\">"));
    assert!(dom.contains("id=\"c3-2-r3\" data-to=\"c3-2-m1\""));
    // The brief joined through the rewrite: no score of its own.
    let brief = dom.find("<details class=\"pair\" id=\"c3-2\"").unwrap();
    let summary = &dom[brief..brief + dom[brief..].find("</summary>").unwrap()];
    assert!(
        summary.contains("joined the cluster through other members; no direct pair"),
        "{summary}"
    );
    assert!(!summary.contains("score 0"), "{summary}");
    // The cluster list links every cluster shown.
    let nav = &dom[dom.find("<nav").unwrap()..dom.find("</nav>").unwrap()];
    assert_eq!(values(nav, "href"), ["#cluster-3", "#cluster-12"]);
    assert!(dom.contains("<section class=\"cluster\" id=\"cluster-12\">"));
}

#[test]
fn side_by_side_on_a_laptop_stacked_on_a_phone_and_never_wider_than_the_screen() {
    let html = sample_page();
    let headline = [(
        "US envoy arrives in Moscow for ceasefire talks",
        "By Jo Smith",
    )];
    for (width, height) in [(1280, 800), (390, 844)] {
        let at = layout(&html, width, height, &headline);
        assert_eq!(
            number(&at, "overflow"),
            0,
            "scrolls sideways at {width}: {at:?}"
        );
        let (rep_top, member_top) = (number(&at, "rep_top"), number(&at, "member_top"));
        if width > 800 {
            assert_eq!(rep_top, member_top, "not side by side: {at:?}");
            assert!(number(&at, "member_left") >= number(&at, "rep_right"));
            assert!(
                member_top + 150 < height as i64,
                "below the first screen: {at:?}"
            );
        } else {
            assert!(
                member_top >= number(&at, "rep_bottom"),
                "not stacked: {at:?}"
            );
            assert!(
                rep_top + 150 < height as i64,
                "below the first screen: {at:?}"
            );
        }
        assert!(number(&at, "rep_right") <= width as i64);
        // The headline is its own line, a blank line above the byline.
        assert!(
            number(&at, "gap_0") > 10,
            "headline run into the byline: {at:?}"
        );
        assert_eq!(at.get("lit").map(String::as_str), Some("true"), "{at:?}");
        assert_eq!(at.get("lit_to").map(String::as_str), Some("c3-1-r1"));
    }
}

/// A real scan of the seeds: the pair, with pairs.csv's score, its passages
/// linked across, its line breaks kept, nothing fetched from the network.
#[test]
fn scan_writes_a_report_html_that_shows_the_seed_pair_with_aligned_passages() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    let seeds = concat!(env!("CARGO_MANIFEST_DIR"), "/data/seeds");
    let status = Command::new(env!("CARGO_BIN_EXE_storydup"))
        .args(["scan", seeds, "--quiet", "--out"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(!html.contains("http://") && !html.contains("https://"));
    let dom = dom(&html);
    assert!(dom.contains("Cluster 1 · 2 documents"), "{dom}");
    assert!(dom.contains("000_6d5f35eb97f0d708.txt") && dom.contains("001_a6a27bf682eca62c.txt"));
    // The score is pairs.csv's, as it writes it.
    let pairs = std::fs::read_to_string(out.join("pairs.csv")).unwrap();
    let header: Vec<&str> = pairs.lines().next().unwrap().split(',').collect();
    let row: Vec<&str> = pairs
        .lines()
        .find(|l| l.starts_with("000_6d5f35eb97f0d708.txt,001_a6a27bf682eca62c.txt,"))
        .expect("the seed pair in pairs.csv")
        .split(',')
        .collect();
    let column = |name: &str| row[header.iter().position(|h| *h == name).unwrap()];
    assert_eq!(column("score").len(), 6, "four decimals");
    assert!(
        dom.contains(&format!(
            "<span class=\"score\">score {}</span> · {} of {} passages aligned with the \
             representative; the representative {} of {}",
            column("score"),
            column("aligned_b"),
            column("passages_b"),
            column("aligned_a"),
            column("passages_a"),
        )),
        "score or counts differ from pairs.csv ({row:?})"
    );
    // The marks come from the scan's own features: as many member passages
    // marked aligned as pairs.csv counts.
    assert_eq!(
        dom.matches("<span class=\"p aligned\" id=\"c1-1-m")
            .count()
            .to_string(),
        column("aligned_b"),
        "aligned passages marked differ from pairs.csv"
    );
    assert!(dom.contains("<span class=\"p unshared\""));
    assert_links_resolve(&dom);
    assert!(dom.contains("<svg"), "no histogram");
    // The other seeds are no cluster, so they are not shown.
    assert!(!dom.contains("002_8bdbdf7a48a84030.txt"));
    // The byline's two lines stay two lines, on a phone as on a laptop.
    let byline = [("Bernd Debusmann Jr", "BBC News, White House")];
    for (width, height) in [(1280, 800), (390, 844)] {
        let at = layout(&html, width, height, &byline);
        assert_eq!(
            number(&at, "overflow"),
            0,
            "scrolls sideways at {width}: {at:?}"
        );
        // Run together, the second would start on the first's line: a gap
        // of minus a line.
        assert!(number(&at, "gap_0") > -3, "byline run together: {at:?}");
        assert_eq!(at.get("lit").map(String::as_str), Some("true"), "{at:?}");
    }
}
