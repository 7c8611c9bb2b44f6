//! The HTML report as a reader sees it: rendered by headless Chromium, not
//! just string-matched, so broken markup or an error page would show up.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use storydup::html::{Cluster, Member, Report, render};

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

fn member(id: &str, score: Option<f64>, sentences: &[(&str, Option<f64>)]) -> Member {
    Member {
        id: id.to_string(),
        passages: sentences.iter().map(|(s, v)| (s.to_string(), *v)).collect(),
        score,
    }
}

fn clusters() -> Vec<Cluster> {
    let envoy = member(
        "000_envoy.txt",
        None,
        &[
            (
                "Steve Witkoff arrived in Moscow on Thursday morning for talks with the Kremlin.",
                None,
            ),
            (
                "The special envoy is expected to meet senior officials before the weekend.",
                None,
            ),
            (
                "Markets in Europe rose slightly on hopes of a ceasefire.",
                None,
            ),
        ],
    );
    let envoy_rewrite = member(
        "001_envoy_rewrite.txt",
        Some(0.84),
        &[
            (
                "A US delegation led by special envoy Steve Witkoff landed in Moscow on Thursday.",
                Some(0.81),
            ),
            (
                "He is due to hold meetings with senior Russian officials before Saturday.",
                Some(0.66),
            ),
            (
                "Local weather was cold & grey, with light snow in the <city> centre.",
                None,
            ),
        ],
    );
    let envoy_brief = member(
        "002_envoy_brief.txt",
        Some(0.71),
        &[
            (
                "Witkoff reached Moscow on Thursday morning for talks at the Kremlin.",
                Some(0.92),
            ),
            (
                "European markets edged higher on ceasefire hopes.",
                Some(0.58),
            ),
        ],
    );
    let harbour = member(
        "010_harbour.txt",
        None,
        &[
            (
                "The city council approved a new harbour bridge on Monday.",
                None,
            ),
            (
                "Construction is set to begin next spring and last three years.",
                None,
            ),
        ],
    );
    let harbour_copy = member(
        "011_harbour_copy.txt",
        Some(0.93),
        &[
            (
                "On Monday the city council approved a new bridge over the harbour.",
                Some(0.88),
            ),
            (
                "Work should start next spring and take three years.",
                Some(0.79),
            ),
        ],
    );
    vec![
        Cluster {
            id: 3,
            size: 3,
            members: vec![envoy, envoy_rewrite, envoy_brief],
        },
        Cluster {
            id: 12,
            size: 2,
            members: vec![harbour, harbour_copy],
        },
    ]
}

#[test]
fn report_renders_in_headless_chromium_on_phone_and_laptop() {
    let clusters = clusters();
    let summary = [
        "documents: 1,204".to_string(),
        "verified pairs: 6".to_string(),
        "clusters: 4".to_string(),
    ];
    let html = render(&Report {
        title: "storydup report: rewritten stories",
        summary: &summary,
        clusters: &clusters,
        total_clusters: 4,
        scores: &[0.52, 0.58, 0.71, 0.84, 0.93, 1.0],
    });
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, html).unwrap();
    let profile = dir.path().join("profile");

    let dom = chromium(&profile, &page, &["--dump-dom".to_string()]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(
        !dom.contains("ERR_FILE_NOT_FOUND") && !dom.contains("neterror"),
        "error page: {dom}"
    );
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
        "011_harbour_copy.txt",
    ] {
        assert!(dom.contains(id), "id {id} missing");
    }
    assert!(dom.contains("<mark title=\"aligned, similarity 0.81\""));
    assert!(dom.contains("landed in Moscow on Thursday.</mark>"));
    assert!(dom.contains("cold &amp; grey, with light snow in the &lt;city&gt; centre."));
    assert!(dom.contains("2 of 3 passages aligned with the representative"));
    assert!(dom.contains("<svg") && dom.contains("Scores of 6 verified pairs"));
    assert!(dom.contains("Showing 2 of 4 clusters, largest first"));

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

/// The report a real scan writes: the seed pair, the rewrite's passages
/// marked against the original, and nothing fetched from the network.
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
    let page = out.join("report.html");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(!html.contains("http://") && !html.contains("https://"));
    let profile = tempfile::tempdir().unwrap();
    let output = chromium(profile.path(), &page, &["--dump-dom".to_string()]);
    assert!(output.status.success(), "chromium failed");
    let dom = String::from_utf8_lossy(&output.stdout);
    assert!(dom.contains("Cluster 1 · 2 documents"), "{dom}");
    assert!(dom.contains("000_6d5f35eb97f0d708.txt") && dom.contains("001_a6a27bf682eca62c.txt"));
    // The rewrite comes second, with a score and marked passages.
    let rewrite = dom.find("001_a6a27bf682eca62c.txt").unwrap();
    assert!(
        dom[rewrite..].contains("score 0.9"),
        "no score for the rewrite"
    );
    assert!(
        dom[rewrite..].matches("<mark").count() >= 5,
        "too few aligned passages"
    );
    assert!(dom.contains("<svg"), "no histogram");
    // The other seeds are no cluster, so they are not shown.
    assert!(!dom.contains("002_8bdbdf7a48a84030.txt"));
}
