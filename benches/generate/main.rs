//! A seeded synthetic news corpus with planted rewrites, follow-ups and
//! boilerplate, in the devsets format (`docs.jsonl`, `pairs.csv`,
//! `pairs_detail.csv`, `clusters.csv`), in two shapes: news, and stress
//! (many small topics sharing rare names). See README.md beside this file.
//!
//! ```sh
//! cargo run --release --example generate -- --docs 100000 --seed 1 --out /tmp/gen100k
//! cargo run --release --example generate -- --shape stress --out /tmp/stress100k
//! cargo run --release --example generate -- --docs 10000000 --stdout | storydup scan -
//! ```

mod grammar;
mod lexicon;
mod rewrite;
mod stats;
mod story;

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Instant;

use clap::{Parser, ValueEnum};
use storydup::hash::{SplitMix64 as Rng, mix64};

use grammar::{Boilerplate, Grammar, Renderer};
use lexicon::{Lexicon, chance};
use rewrite::Level;
use stats::KindStats;
use story::{Gen, Shape, Story, Topic};

/// Documents held back and released in random order, so that a rewrite lands
/// far from its source (about this many lines away) in constant memory.
const SHUFFLE_DOCS: usize = 8192;
/// Recent stories kept for follow-ups and negative pairs.
const RECENT_STORIES: usize = 256;
/// Topics in the news at any one time (a sliding window over all topics).
const ACTIVE_TOPICS: u32 = 40;
/// Share of documents with site boilerplate lines.
const BOILERPLATE_RATE: f64 = 0.2;
/// Shares of the rewrite levels, and of 1, 2 or 3 rewrites of a story.
const LIGHT: f64 = 0.35;
const HEAVY: f64 = 0.40;
const REWRITES: [f64; 3] = [0.5, 0.3, 0.2];

#[derive(Parser)]
#[command(
    name = "generate",
    about = "Write a seeded synthetic news corpus with planted rewrites (devsets format)"
)]
struct Cli {
    /// Documents in all, rewrites included.
    #[arg(long, default_value_t = 100_000)]
    docs: u64,

    /// Seed: the same seed and options give byte-identical output.
    #[arg(long, default_value_t = 1)]
    seed: u64,

    /// Folder for docs.jsonl, pairs.csv, pairs_detail.csv and clusters.csv.
    #[arg(
        long,
        value_name = "DIR",
        required_unless_present = "stdout",
        conflicts_with = "stdout"
    )]
    out: Option<PathBuf>,

    /// Write only the documents, as JSONL on standard output (constant memory).
    #[arg(long)]
    stdout: bool,

    /// Share of stories that get 1 to 3 planted rewrites.
    #[arg(long, default_value_t = 0.3)]
    rewrite_rate: f64,

    /// Share of stories that are follow-ups recycling an earlier story's background.
    #[arg(long, default_value_t = 0.1)]
    followup_rate: f64,

    /// Corpus shape: news (500 topics at 100,000 documents) or stress (2,000
    /// small topics sharing many rare names, longer stories, Zipfian words).
    #[arg(long, value_enum, default_value_t = ShapeName::News)]
    shape: ShapeName,
}

#[derive(Clone, Copy, ValueEnum)]
enum ShapeName {
    News,
    Stress,
}

impl ShapeName {
    fn shape(self) -> &'static Shape {
        match self {
            ShapeName::News => &Shape::NEWS,
            ShapeName::Stress => &Shape::STRESS,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Kind {
    Light,
    Heavy,
    Summary,
    RewriteRewrite,
    Followup,
    SameTopic,
    Random,
}

const KINDS: [Kind; 7] = [
    Kind::Light,
    Kind::Heavy,
    Kind::Summary,
    Kind::RewriteRewrite,
    Kind::Followup,
    Kind::SameTopic,
    Kind::Random,
];

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Light => "light",
            Kind::Heavy => "heavy",
            Kind::Summary => "summary",
            Kind::RewriteRewrite => "rewrite_rewrite",
            Kind::Followup => "followup",
            Kind::SameTopic => "same_topic",
            Kind::Random => "random",
        }
    }
    fn label(self) -> u8 {
        (self < Kind::Followup) as u8
    }
    fn of(level: Level) -> Kind {
        match level {
            Level::Light => Kind::Light,
            Level::Heavy => Kind::Heavy,
            Level::Summary => Kind::Summary,
        }
    }
}

struct Doc {
    seq: u32,
    cluster: u32,
    /// Shared with the recent-story ring.
    text: Rc<[u8]>,
}

/// Writes documents in a shuffled order with ids by output position, through
/// a buffer of `SHUFFLE_DOCS` documents.
struct Shuffler<W: Write> {
    slots: Vec<Doc>,
    rng: Rng,
    out: W,
    width: usize,
    next: u32,
    bytes: u64,
    /// Output position of each generated document, and cluster of each output
    /// position (only when writing a folder).
    gen_to_out: Option<Vec<u32>>,
    out_cluster: Option<Vec<u32>>,
}

impl<W: Write> Shuffler<W> {
    fn push(&mut self, doc: Doc) -> io::Result<()> {
        if self.slots.len() < SHUFFLE_DOCS {
            self.slots.push(doc);
            return Ok(());
        }
        let j = self.rng.below(SHUFFLE_DOCS as u64) as usize;
        let old = std::mem::replace(&mut self.slots[j], doc);
        self.emit(old)
    }

    fn emit(&mut self, doc: Doc) -> io::Result<()> {
        let n = self.next;
        self.next += 1;
        debug_assert!(doc.text.is_ascii());
        write!(
            self.out,
            "{{\"id\":\"g{:0w$}\",\"text\":\"",
            n + 1,
            w = self.width
        )?;
        write_escaped(&mut self.out, &doc.text)?;
        self.out.write_all(b"\"}\n")?;
        self.bytes += doc.text.len() as u64;
        if let Some(map) = &mut self.gen_to_out {
            map[doc.seq as usize] = n;
        }
        if let Some(c) = &mut self.out_cluster {
            c.push(doc.cluster);
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        while !self.slots.is_empty() {
            let j = self.rng.below(self.slots.len() as u64) as usize;
            let doc = self.slots.swap_remove(j);
            self.emit(doc)?;
        }
        self.out.flush()
    }
}

/// Writes `text` with JSON string escapes (without the enclosing quotes).
/// Plain runs are skipped a word (8 bytes) at a time: only quotes,
/// backslashes and control characters need escaping, and prose has few.
fn write_escaped<W: Write>(out: &mut W, text: &[u8]) -> io::Result<()> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut run = 0;
    let mut i = 0;
    while i < text.len() {
        if i + 8 <= text.len() {
            let x = u64::from_le_bytes(text[i..i + 8].try_into().unwrap());
            let (q, bs) = (x ^ (LO * b'"' as u64), x ^ (LO * b'\\' as u64));
            // A byte below 0x20, or equal to '"' or '\\', sets its high bit.
            let hit = (x.wrapping_sub(LO * 0x20) & !x)
                | (q.wrapping_sub(LO) & !q)
                | (bs.wrapping_sub(LO) & !bs);
            if hit & HI == 0 {
                i += 8;
                continue;
            }
        }
        for j in i..(i + 8).min(text.len()) {
            let b = text[j];
            if b < 0x20 || b == b'"' || b == b'\\' {
                out.write_all(&text[run..j])?;
                match b {
                    b'"' => out.write_all(b"\\\"")?,
                    b'\\' => out.write_all(b"\\\\")?,
                    b'\n' => out.write_all(b"\\n")?,
                    b'\r' => out.write_all(b"\\r")?,
                    b'\t' => out.write_all(b"\\t")?,
                    _ => write!(out, "\\u{b:04x}")?,
                }
                run = j + 1;
            }
        }
        i = (i + 8).min(text.len());
    }
    out.write_all(&text[run..])
}

/// The topics in the news: a window of `ACTIVE_TOPICS` consecutive topics
/// that slides from the first to the last as the corpus is written; topics
/// are made when they enter it and dropped when they leave.
struct Topics {
    seed: u64,
    total: u32,
    active: u32,
    lo: u32,
    live: VecDeque<Topic>,
}

impl Topics {
    fn pick(&mut self, rng: &mut Rng, gn: &Gen, progress: f64) -> u32 {
        let centre = (progress * self.total as f64) as i64 - (self.active / 2) as i64;
        let start = centre.clamp(0, (self.total - self.active) as i64) as u32;
        while self.lo < start {
            self.live.pop_front();
            self.lo += 1;
        }
        while self.lo + (self.live.len() as u32) < start + self.active {
            let id = self.lo + self.live.len() as u32;
            self.live.push_back(gn.topic(self.seed, id));
        }
        start + rng.below(self.active as u64) as u32
    }

    fn get(&self, id: u32) -> &Topic {
        &self.live[(id - self.lo) as usize]
    }
}

/// A recent story: its cluster (original and rewrites), for follow-ups and
/// negative pairs.
struct Recent {
    cluster: u32,
    parent: Option<u32>,
    topic: u32,
    story: Story,
    docs: Vec<(u32, Rc<[u8]>)>,
    /// Per document: the original or a light rewrite (close to the story as
    /// first told).
    close: Vec<bool>,
}

impl Recent {
    /// Follow-up, source or sibling follow-up: pairs that share background.
    fn related(&self, cluster: u32, parent: Option<u32>) -> bool {
        Some(self.cluster) == parent
            || self.parent == Some(cluster)
            || (parent.is_some() && self.parent == parent)
    }
}

struct Pairs {
    stats: Vec<KindStats>,
    stride: u64,
    keep: Option<Vec<(u32, u32, Kind)>>,
    a: Vec<u32>,
    b: Vec<u32>,
}

impl Pairs {
    fn add(&mut self, kind: Kind, (ga, ta): (u32, &[u8]), (gb, tb): (u32, &[u8])) {
        let st = &mut self.stats[kind as usize];
        if st.wants(self.stride) {
            stats::shingles(ta, &mut self.a);
            stats::shingles(tb, &mut self.b);
            let (j, c) = stats::overlap(&self.a, &self.b);
            st.jaccard.push(j as f32);
            st.containment.push(c as f32);
        }
        st.pairs += 1;
        if let Some(keep) = &mut self.keep {
            keep.push((ga, gb, kind));
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.docs == 0 || cli.docs > u32::MAX as u64 / 2 {
        eprintln!("generate: --docs must be between 1 and {}", u32::MAX / 2);
        return ExitCode::from(2);
    }
    for (name, v) in [
        ("--rewrite-rate", cli.rewrite_rate),
        ("--followup-rate", cli.followup_rate),
    ] {
        if !(0.0..=1.0).contains(&v) {
            eprintln!("generate: {name} must be in [0, 1], got {v}");
            return ExitCode::from(2);
        }
    }
    let result = match &cli.out {
        Some(dir) => std::fs::create_dir_all(dir)
            .and_then(|_| File::create(dir.join("docs.jsonl")))
            .and_then(|f| run(&cli, BufWriter::with_capacity(1 << 20, f), Some(dir))),
        None => run(
            &cli,
            BufWriter::with_capacity(1 << 20, io::stdout().lock()),
            None,
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("generate: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run<W: Write>(cli: &Cli, out: W, dir: Option<&Path>) -> io::Result<()> {
    let started = Instant::now();
    let n_docs = cli.docs as usize;
    let lex = Lexicon::new(cli.seed);
    let g = Grammar::new();
    let shape = cli.shape.shape();
    let gn = Gen {
        lex: &lex,
        g: &g,
        shape,
    };
    let mut rng = Rng::new(mix64(cli.seed));
    let mut pair_rng = Rng::new(mix64(cli.seed ^ 0x7061_6972));
    let n_topics = (n_docs / shape.docs_per_topic).max(5) as u32;
    let mut topics = Topics {
        seed: cli.seed,
        total: n_topics,
        active: ACTIVE_TOPICS.min(n_topics),
        lo: 0,
        live: VecDeque::new(),
    };
    let mean_rewrites: f64 = REWRITES
        .iter()
        .enumerate()
        .map(|(i, p)| (i + 1) as f64 * p)
        .sum();
    let stories_expected = n_docs as f64 / (1.0 + cli.rewrite_rate * mean_rewrites);
    let mut shuffler = Shuffler {
        slots: Vec::with_capacity(SHUFFLE_DOCS.min(n_docs)),
        rng: Rng::new(mix64(cli.seed ^ 0x7368_7566)),
        out,
        width: n_docs.to_string().len().max(7),
        next: 0,
        bytes: 0,
        gen_to_out: dir.map(|_| vec![0; n_docs]),
        out_cluster: dir.map(|_| Vec::with_capacity(n_docs)),
    };
    let mut pairs = Pairs {
        stats: KINDS.iter().map(|_| KindStats::default()).collect(),
        stride: (n_docs as u64 / 2_000).max(1),
        keep: dir.map(|_| Vec::new()),
        a: Vec::new(),
        b: Vec::new(),
    };
    let mut recent: VecDeque<Recent> = VecDeque::with_capacity(RECENT_STORIES + 1);
    let (mut owed_same, mut owed_random) = (0usize, 0usize);
    let mut n_stories = 0u32;
    let mut n_followups = 0u32;
    let mut n_rewritten = 0u32;
    let mut level_docs = [0u32; 3];
    let mut next_gen = 0usize;
    // Texts are rendered into one buffer, which stays in cache, then copied
    // out once.
    let mut scratch: Vec<u8> = Vec::with_capacity(16 << 10);

    while next_gen < n_docs {
        let t = topics.pick(&mut rng, &gn, n_stories as f64 / stories_expected);
        let topic = topics.get(t);

        // A follow-up of one of the last few stories of this topic, or a fresh story.
        let mut source = None;
        if chance(&mut rng, cli.followup_rate) {
            let candidates: Vec<usize> = (0..recent.len())
                .rev()
                .filter(|&i| recent[i].topic == t)
                .take(4)
                .collect();
            if !candidates.is_empty() {
                source = Some(candidates[rng.below(candidates.len() as u64) as usize]);
            }
        }
        let story = match source {
            Some(i) => {
                n_followups += 1;
                gn.followup(&mut rng, topic, &recent[i].story)
            }
            None => gn.story(&mut rng, topic),
        };
        let mut n_rw = 0;
        if chance(&mut rng, cli.rewrite_rate) {
            let r = rng.unit();
            n_rw = if r < REWRITES[0] {
                1
            } else if r < REWRITES[0] + REWRITES[1] {
                2
            } else {
                3
            };
        }
        n_rw = n_rw.min(n_docs - next_gen - 1);
        let mut versions: Vec<(Option<Level>, Story)> = Vec::with_capacity(n_rw + 1);
        for _ in 0..n_rw {
            let r = rng.unit();
            let level = if r < LIGHT {
                Level::Light
            } else if r < LIGHT + HEAVY {
                Level::Heavy
            } else {
                Level::Summary
            };
            level_docs[level as usize] += 1;
            versions.push((
                Some(level),
                rewrite::rewrite(&mut rng, &gn, topic, &story, level),
            ));
        }
        if n_rw > 0 {
            n_rewritten += 1;
        }
        versions.insert(0, (None, story));

        // Render every version; each document draws its own boilerplate.
        let cluster = n_stories;
        let base = next_gen as u32;
        let mut docs: Vec<(u32, Rc<[u8]>)> = Vec::with_capacity(versions.len());
        for (k, (_, s)) in versions.iter().enumerate() {
            let bp = Boilerplate::draw(&mut rng, BOILERPLATE_RATE);
            scratch.clear();
            Renderer::new(&lex, &g, &s.cast).story(s, &bp, &mut scratch);
            docs.push((base + k as u32, Rc::from(&scratch[..])));
        }
        // Positive pairs: each rewrite with the original, and rewrites with each other.
        let mut positives = 0;
        for a in 0..docs.len() {
            for b in a + 1..docs.len() {
                let kind = if a == 0 {
                    Kind::of(versions[b].0.unwrap())
                } else {
                    Kind::RewriteRewrite
                };
                pairs.add(kind, (docs[a].0, &docs[a].1), (docs[b].0, &docs[b].1));
                positives += 1;
            }
        }
        // Negative pairs: the follow-up against its source's cluster, then about
        // as many same-topic and random pairs as there were positives.
        let parent = source.map(|i| recent[i].cluster);
        // Follow-up pairs: each close version (original or light rewrite) of
        // the follow-up against each close version of its source.
        let close: Vec<bool> = versions
            .iter()
            .map(|v| matches!(v.0, None | Some(Level::Light)))
            .collect();
        if let Some(i) = source {
            for (d, _) in docs.iter().zip(&close).filter(|x| *x.1) {
                for (e, _) in recent[i].docs.iter().zip(&recent[i].close).filter(|x| *x.1) {
                    pairs.add(Kind::Followup, (d.0, &d.1), (e.0, &e.1));
                }
            }
        }
        owed_same += positives;
        owed_random += positives;
        if !recent.is_empty() {
            for _ in 0..owed_same.min(2) {
                let start = pair_rng.below(recent.len() as u64) as usize;
                let found = (0..recent.len())
                    .map(|k| (start + k) % recent.len())
                    .find(|&k| recent[k].topic == t && !recent[k].related(cluster, parent));
                if let Some(k) = found {
                    let d = &docs[pair_rng.below(docs.len() as u64) as usize];
                    let e = &recent[k].docs[pair_rng.below(recent[k].docs.len() as u64) as usize];
                    pairs.add(Kind::SameTopic, (d.0, &d.1), (e.0, &e.1));
                    owed_same -= 1;
                }
            }
            for _ in 0..owed_random.min(2) {
                let k = pair_rng.below(recent.len() as u64) as usize;
                if recent[k].topic != t {
                    let d = &docs[pair_rng.below(docs.len() as u64) as usize];
                    let e = &recent[k].docs[pair_rng.below(recent[k].docs.len() as u64) as usize];
                    pairs.add(Kind::Random, (d.0, &d.1), (e.0, &e.1));
                    owed_random -= 1;
                }
            }
        }
        for (seq, text) in &docs {
            shuffler.push(Doc {
                seq: *seq,
                cluster,
                text: text.clone(),
            })?;
        }
        next_gen += docs.len();
        let story = versions.swap_remove(0).1;
        if recent.len() == RECENT_STORIES {
            recent.pop_front();
        }
        recent.push_back(Recent {
            cluster,
            parent,
            topic: t,
            story,
            docs,
            close,
        });
        n_stories += 1;
    }
    shuffler.finish()?;
    let elapsed = started.elapsed().as_secs_f64();

    let mut written = None;
    if let Some(dir) = dir {
        written = Some(write_labels(
            dir,
            &shuffler,
            pairs.keep.take().unwrap_or_default(),
            n_stories,
        )?);
    }

    // The summary on standard error.
    let mut e = io::stderr().lock();
    writeln!(
        e,
        "generate: {} documents ({} stories: {} follow-ups, {} with rewrites; {} light, {} heavy, {} summary rewrites) in {} topics, seed {}, shape {}",
        n_docs,
        n_stories,
        n_followups,
        n_rewritten,
        level_docs[0],
        level_docs[1],
        level_docs[2],
        n_topics,
        cli.seed,
        shape.name
    )?;
    writeln!(
        e,
        "  {:.1} MB of text ({:.0} bytes a document), {:.2} s, {:.0} documents/s",
        shuffler.bytes as f64 / 1e6,
        shuffler.bytes as f64 / n_docs as f64,
        elapsed,
        n_docs as f64 / elapsed
    )?;
    writeln!(
        e,
        "  {:<16} {:>5} {:>9} {:>8} {:>16} {:>18}",
        "kind", "label", "pairs", "sampled", "median jaccard", "median containment"
    )?;
    for kind in KINDS {
        let st = &mut pairs.stats[kind as usize];
        let sampled = st.jaccard.len();
        writeln!(
            e,
            "  {:<16} {:>5} {:>9} {:>8} {:>16.3} {:>18.3}",
            kind.name(),
            kind.label(),
            st.pairs,
            sampled,
            stats::median(&mut st.jaccard),
            stats::median(&mut st.containment)
        )?;
    }
    if let (Some(dir), Some((n_pairs, dupes))) = (dir, written) {
        writeln!(
            e,
            "  wrote {} pairs ({} repeated negative pairs dropped) and {}/{{docs.jsonl,pairs.csv,pairs_detail.csv,clusters.csv}}",
            n_pairs,
            dupes,
            dir.display()
        )?;
    }
    Ok(())
}

/// Writes clusters.csv and the two pair files; returns (pairs, duplicates dropped).
fn write_labels<W: Write>(
    dir: &Path,
    shuffler: &Shuffler<W>,
    mut keep: Vec<(u32, u32, Kind)>,
    n_stories: u32,
) -> io::Result<(usize, usize)> {
    let width = shuffler.width;
    let map = shuffler.gen_to_out.as_ref().expect("folder mode");
    let out_cluster = shuffler.out_cluster.as_ref().expect("folder mode");

    // Clusters numbered in the order of their first document.
    let mut number = vec![u32::MAX; n_stories as usize];
    let mut next = 0;
    let mut w = BufWriter::new(File::create(dir.join("clusters.csv"))?);
    writeln!(w, "id,cluster")?;
    for (i, &c) in out_cluster.iter().enumerate() {
        if number[c as usize] == u32::MAX {
            number[c as usize] = next;
            next += 1;
        }
        writeln!(w, "g{:0width$},c{:0width$}", i + 1, number[c as usize] + 1)?;
    }
    w.flush()?;

    for p in &mut keep {
        let (a, b) = (map[p.0 as usize], map[p.1 as usize]);
        (p.0, p.1) = (a.min(b), a.max(b));
    }
    keep.sort_unstable();
    let before = keep.len();
    keep.dedup_by_key(|p| (p.0, p.1));
    let mut plain = BufWriter::new(File::create(dir.join("pairs.csv"))?);
    let mut detail = BufWriter::new(File::create(dir.join("pairs_detail.csv"))?);
    writeln!(plain, "id_a,id_b,label")?;
    writeln!(detail, "id_a,id_b,label,kind")?;
    for &(a, b, kind) in &keep {
        writeln!(
            plain,
            "g{:0width$},g{:0width$},{}",
            a + 1,
            b + 1,
            kind.label()
        )?;
        writeln!(
            detail,
            "g{:0width$},g{:0width$},{},{}",
            a + 1,
            b + 1,
            kind.label(),
            kind.name()
        )?;
    }
    plain.flush()?;
    detail.flush()?;
    Ok((keep.len(), before - keep.len()))
}
