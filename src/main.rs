//! The `storydup` command line: parses options and calls the library.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Parser, Subcommand};

use storydup::input::{Format, InputOptions, InputStats, read_all, read_documents};
use storydup::scan::{ScanOptions, Streamed, scan_stream};
use storydup::sketch::Banding;
use storydup::verify::VerifyOptions;
use storydup::{Error, report};

#[derive(Parser)]
#[command(
    name = "storydup",
    version,
    about = "Find near-duplicate and rewritten news stories in large text dumps"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Find rewritten stories and write pairs.csv, clusters.csv and report.html.
    #[command(
        after_help = "Examples:\n  storydup scan data/seeds --out storydup-out\n  storydup scan dump.jsonl.zst --skip-bad --dedup-out clean.jsonl --tmp-dir /data/tmp"
    )]
    Scan(ScanArgs),
    /// Scan a labelled set (devsets format) and print precision, recall and F1.
    #[command(
        after_help = "Examples:\n  storydup eval ../shared/devsets/clough_stevenson\n  storydup eval ../shared/devsets/* --perturb all"
    )]
    Eval(EvalArgs),
    /// Show why two documents are or are not the same story: scores, aligned
    /// passages, shared and new rare terms and the verdict.
    #[command(
        after_help = "Examples:\n  storydup explain data/seeds/000_6d5f35eb97f0d708.txt data/seeds/001_a6a27bf682eca62c.txt\n  storydup explain politics/081 politics/141 --in ../shared/devsets/bbc_news_dev/docs.jsonl"
    )]
    Explain(ExplainArgs),
    /// Print a shell completion script for bash, zsh, fish, elvish or powershell.
    #[command(
        after_help = "Example:\n  storydup completions bash > ~/.local/share/bash-completion/completions/storydup"
    )]
    Completions { shell: clap_complete::Shell },
    /// Print a manual page (roff) generated from these options: storydup's,
    /// or a subcommand's; or write them all into a folder.
    #[command(
        after_help = "Examples:\n  storydup man scan > storydup-scan.1 && man ./storydup-scan.1\n  storydup man --dir ~/.local/share/man/man1"
    )]
    Man(ManArgs),
}

#[derive(Args)]
struct ManArgs {
    /// The subcommand whose page to print (default: storydup's own).
    #[arg(value_parser = ["scan", "eval", "explain", "completions", "man"])]
    subcommand: Option<String>,

    /// Write every page (storydup.1, storydup-scan.1, ...) into this folder instead.
    #[arg(long, value_name = "DIR", conflicts_with = "subcommand")]
    dir: Option<PathBuf>,
}

#[derive(Args)]
struct ExplainArgs {
    /// A file, or with --in an id.
    a: String,
    /// A file, or with --in an id.
    b: String,

    /// Look A and B up as ids in these inputs; term rarity then comes from
    /// the whole input, exactly as in a scan of it.
    #[arg(long = "in", value_name = "INPUT")]
    inputs: Vec<String>,

    /// JSONL key or CSV column holding the document id (with --in).
    #[arg(long, default_value = "id")]
    id_field: String,

    /// JSONL key or CSV column holding the document text (with --in).
    #[arg(long, default_value = "text")]
    text_field: String,

    /// Print the pair as pairs.csv would have it (header and one row, ids in
    /// pairs.csv order; verdict `different` below --threshold) instead of
    /// the explanation.
    #[arg(long)]
    csv: bool,

    #[command(flatten)]
    tuning: EvidenceTuning,

    #[command(flatten)]
    threads: Threads,
}

#[derive(Args)]
struct EvalArgs {
    /// Folders with docs.jsonl and pairs.csv (pairs_detail.csv for per-kind rates).
    #[arg(required = true)]
    dirs: Vec<PathBuf>,

    /// Also scan copies of each set mangled this way, made in memory: any of
    /// clean, lower, nopunct, joined (comma-separated), or all.
    #[arg(long, value_name = "COPIES", default_value = "clean")]
    perturb: String,

    /// Print the tables README.md quotes (Markdown) after the scores.
    #[arg(long)]
    markdown: bool,

    /// Also write every labelled pair with its evidence to this CSV file (one set, one copy).
    #[arg(long, value_name = "FILE")]
    pairs_out: Option<PathBuf>,

    #[command(flatten)]
    tuning: Tuning,

    #[command(flatten)]
    resources: Resources,

    #[command(flatten)]
    threads: Threads,
}

#[derive(Args)]
struct ScanArgs {
    /// Files, folders (read recursively) or `-` for JSONL on standard input.
    #[arg(required = true)]
    inputs: Vec<String>,

    /// Input format, overriding detection from file names.
    #[arg(long, value_name = "jsonl|csv|text")]
    format: Option<Format>,

    /// JSONL key or CSV column holding the document id.
    #[arg(long, default_value = "id")]
    id_field: String,

    /// JSONL key or CSV column holding the document text.
    #[arg(long, default_value = "text")]
    text_field: String,

    /// Folder for the reports (created if missing).
    #[arg(long, default_value = "storydup-out")]
    out: PathBuf,

    /// Also list documents that belong to no cluster, each as its own cluster.
    #[arg(long)]
    singletons: bool,

    /// Skip records that cannot be used (malformed JSON, missing fields,
    /// invalid UTF-8, rows of the wrong width, duplicate ids) instead of
    /// stopping; each is listed with file, line and reason in skipped.csv.
    #[arg(long)]
    skip_bad: bool,

    /// Report format: csv (pairs.csv, clusters.csv: the contract) or jsonl
    /// (pairs.jsonl, clusters.jsonl, same fields). `--format` names the input's.
    #[arg(long, value_name = "csv|jsonl", default_value = "csv")]
    report_format: report::ReportFormat,

    /// Also write the input records minus duplicates to FILE (.jsonl or .csv:
    /// the name sets the format), one representative kept per cluster.
    #[arg(long, value_name = "FILE")]
    dedup_out: Option<PathBuf>,

    /// Which member of a cluster --dedup-out keeps: earliest (in input order)
    /// or longest.
    #[arg(
        long,
        value_name = "earliest|longest",
        default_value = "earliest",
        requires = "dedup_out"
    )]
    keep: storydup::dedup::Keep,

    /// Do not write report.html (written by default beside the reports).
    #[arg(long)]
    no_html: bool,

    /// The largest record (a JSONL line, a CSV row, a text file), in MB after
    /// decompression, 1 to 4096: a larger one is an error naming its file
    /// and line, or a skip with --skip-bad.
    #[arg(long, value_name = "MB", default_value_t = storydup::input::MAX_RECORD_MB,
          value_parser = clap::value_parser!(u64).range(1..=4096))]
    max_doc_mb: u64,

    /// No progress display and no summary; errors are still reported.
    #[arg(long, short)]
    quiet: bool,

    #[command(flatten)]
    tuning: Tuning,

    #[command(flatten)]
    resources: Resources,

    #[command(flatten)]
    threads: Threads,
}

/// How many worker threads a command runs on.
#[derive(Args)]
struct Threads {
    /// Worker threads, 0 to 1024 (0: one per core). Reports are identical for any count.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u16).range(0..=1024))]
    threads: u16,
}

impl Threads {
    fn start(&self) -> storydup::Result<()> {
        if self.threads > 0 {
            rayon::ThreadPoolBuilder::new()
                .num_threads(self.threads.into())
                .build_global()
                .map_err(|e| {
                    Error::file("-", format!("cannot start {} threads: {e}", self.threads))
                })?;
        }
        Ok(())
    }
}

/// Where temporary files go and how much memory sorting may hold.
#[derive(Args)]
struct Resources {
    /// Folder for temporary files (default: the system's, $TMPDIR). They are
    /// unnamed, so nothing is left behind on exit, error or crash.
    #[arg(long, value_name = "DIR")]
    tmp_dir: Option<PathBuf>,

    /// Megabytes each on-disk sort holds before it writes a sorted run
    /// (several sorts can be open at once).
    #[arg(long, value_name = "MB", default_value_t = ScanOptions::default().buffer_bytes >> 20)]
    buffer_mb: usize,

    /// Megabytes of verification features kept in memory between signing
    /// and verifying; documents beyond it are rebuilt from the temporary store.
    #[arg(long, value_name = "MB", default_value_t = ScanOptions::default().feature_memory >> 20)]
    feature_mb: usize,
}

impl Resources {
    fn apply(&self, options: &mut ScanOptions) -> storydup::Result<()> {
        options.tmp_dir = self.tmp_dir.clone();
        if !(1..=1 << 20).contains(&self.buffer_mb) {
            return Err(Error::Usage(format!(
                "--buffer-mb must be in 1 to 1048576 (got {})",
                self.buffer_mb
            )));
        }
        if self.feature_mb > 1 << 20 {
            return Err(Error::Usage(format!(
                "--feature-mb must be in 0 to 1048576 (got {})",
                self.feature_mb
            )));
        }
        options.buffer_bytes = self.buffer_mb << 20;
        options.feature_memory = self.feature_mb << 20;
        options.validate()
    }
}

/// Options that change a pair's evidence and verdict (scan, eval, explain).
#[derive(Args)]
#[command(next_help_heading = "Evidence")]
struct EvidenceTuning {
    /// Score in [0, 1] at which a candidate pair counts as a rewrite.
    #[arg(long, default_value_t = VerifyOptions::default().threshold)]
    threshold: f64,

    /// Weighted overlap at which a passage counts as aligned with the other document.
    #[arg(long, default_value_t = VerifyOptions::default().passage_threshold)]
    passage_threshold: f64,

    /// Words per shingle for the overlap evidence.
    #[arg(long, default_value_t = ScanOptions::default().shingle_size)]
    shingle_size: usize,

    /// A sentence found in at least this many documents is boilerplate, not evidence...
    #[arg(long, default_value_t = ScanOptions::default().boilerplate_min_docs)]
    boilerplate_min_docs: usize,

    /// ...and in at least this share of all documents.
    #[arg(long, default_value_t = ScanOptions::default().boilerplate_share)]
    boilerplate_share: f64,
}

/// Options that change what counts as a rewrite: the evidence, which pairs
/// are compared, and how clusters grow (scan and eval).
#[derive(Args)]
struct Tuning {
    #[command(flatten)]
    evidence: EvidenceTuning,

    #[command(flatten)]
    candidates: CandidateTuning,

    #[command(flatten)]
    clusters: ClusterTuning,
}

/// Which pairs are compared at all.
#[derive(Args)]
#[command(next_help_heading = "Candidates")]
struct CandidateTuning {
    /// MinHash signature length.
    #[arg(long, default_value_t = ScanOptions::default().num_perm)]
    num_perm: usize,

    /// Term Jaccard similarity the MinHash LSH aims to catch (sets bands and rows).
    #[arg(long, default_value_t = ScanOptions::default().lsh_threshold)]
    lsh_threshold: f64,

    /// LSH bands two documents must share to become candidates.
    #[arg(long, default_value_t = ScanOptions::default().min_shared_bands)]
    min_shared_bands: usize,

    /// LSH bands (with --rows), overriding --lsh-threshold.
    #[arg(long, requires = "rows")]
    bands: Option<usize>,

    /// LSH rows per band (with --bands).
    #[arg(long, requires = "bands")]
    rows: Option<usize>,

    /// SimHash Hamming distance at which a pair becomes a candidate.
    #[arg(long, default_value_t = ScanOptions::default().simhash_distance)]
    simhash_distance: u32,

    /// Passage anchors (pairs of a window's three rarest terms) two documents must share to become candidates.
    #[arg(long, default_value_t = ScanOptions::default().min_shared_anchors)]
    min_shared_anchors: usize,

    /// Anchors found in more documents than this are too common to nominate pairs.
    #[arg(long, default_value_t = ScanOptions::default().max_anchor_docs)]
    max_anchor_docs: usize,

    /// Blocks the 64 SimHash bits are cut into for the block tables.
    #[arg(long, default_value_t = ScanOptions::default().simhash_blocks)]
    simhash_blocks: u32,
}

/// How clusters grow from verified pairs.
#[derive(Args)]
#[command(next_help_heading = "Clusters")]
struct ClusterTuning {
    /// Members of each group checked against the other's before two groups merge.
    #[arg(long, default_value_t = ScanOptions::default().chain_sample)]
    chain_sample: usize,

    /// Share of checked member pairs that must support a merge of two groups.
    #[arg(long, default_value_t = ScanOptions::default().chain_support)]
    chain_support: f64,

    /// A member pair supports a merge when its score reaches this fraction of --threshold.
    #[arg(long, default_value_t = ScanOptions::default().chain_score_ratio)]
    chain_score_ratio: f64,
}

/// On SIGINT (Ctrl-C), SIGTERM or SIGHUP: remove the reports being written,
/// say so, and exit at once with 128 + the signal number, as shells expect.
/// Temporary spill files have no names, so they go with the process.
fn exit_on_signals() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            let name = match signal {
                SIGINT => "SIGINT",
                SIGTERM => "SIGTERM",
                _ => "SIGHUP",
            };
            let (removed, _held) = report::remove_unfinished();
            let what = if removed > 0 {
                format!(
                    "; removed {}",
                    report::count(removed as u64, "unfinished report", "unfinished reports")
                )
            } else {
                String::new()
            };
            eprintln!("storydup: interrupted by {name}, stopping{what}");
            std::process::exit(128 + signal);
        }
    });
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    exit_on_signals();
    let result = match cli.command {
        Command::Scan(args) => run_scan(args),
        Command::Eval(args) => run_eval(args),
        Command::Explain(args) => run_explain(args),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "storydup", &mut std::io::stdout());
            Ok(())
        }
        Command::Man(args) => write_manual(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("storydup: error: {error}");
            match error {
                Error::Usage(_) => ExitCode::from(2),
                _ => ExitCode::from(1),
            }
        }
    }
}

impl EvidenceTuning {
    /// Default options with these set, checked.
    fn options(&self) -> storydup::Result<ScanOptions> {
        let options = ScanOptions {
            shingle_size: self.shingle_size,
            verify: VerifyOptions {
                threshold: self.threshold,
                passage_threshold: self.passage_threshold,
                ..VerifyOptions::default()
            },
            boilerplate_min_docs: self.boilerplate_min_docs,
            boilerplate_share: self.boilerplate_share,
            ..ScanOptions::default()
        };
        options.validate()?;
        Ok(options)
    }
}

impl Tuning {
    fn options(&self, keep_singletons: bool) -> storydup::Result<ScanOptions> {
        let (c, k) = (&self.candidates, &self.clusters);
        let options = ScanOptions {
            num_perm: c.num_perm,
            lsh_threshold: c.lsh_threshold,
            banding: c
                .bands
                .zip(c.rows)
                .map(|(bands, rows)| Banding { bands, rows }),
            min_shared_bands: c.min_shared_bands,
            simhash_distance: c.simhash_distance,
            simhash_blocks: c.simhash_blocks,
            min_shared_anchors: c.min_shared_anchors,
            max_anchor_docs: c.max_anchor_docs,
            keep_singletons,
            chain_sample: k.chain_sample,
            chain_support: k.chain_support,
            chain_score_ratio: k.chain_score_ratio,
            ..self.evidence.options()?
        };
        options.validate()?;
        Ok(options)
    }
}

fn run_explain(args: ExplainArgs) -> storydup::Result<()> {
    args.threads.start()?;
    let options = args.tuning.options()?;
    if args.inputs.is_empty() {
        for path in [&args.a, &args.b] {
            let many = std::path::Path::new(path).is_dir()
                || matches!(
                    storydup::input::Format::from_name(path),
                    Some(Format::Jsonl | Format::Csv)
                );
            if many {
                return Err(Error::Usage(format!(
                    "{path} holds many documents, and explain compares two: give two ids and the input, \
                     storydup explain ID_A ID_B --in {path}"
                )));
            }
        }
    }
    let (ids, texts, a, b) = if args.inputs.is_empty() {
        let read = |path: &str| -> storydup::Result<String> {
            let mut text = String::new();
            std::io::Read::read_to_string(
                &mut storydup::input::open(std::path::Path::new(path))?,
                &mut text,
            )
            .map_err(|e| Error::file(path, format!("cannot read as UTF-8 text: {e}")))?;
            Ok(text)
        };
        let texts = vec![read(&args.a)?, read(&args.b)?];
        (vec![args.a.clone(), args.b.clone()], texts, 0, 1)
    } else {
        let input_options = InputOptions {
            format: None,
            id_field: args.id_field.clone(),
            text_field: args.text_field.clone(),
            ..InputOptions::default()
        };
        let (documents, _) = read_all(&args.inputs, &input_options)?;
        let (ids, texts): (Vec<String>, Vec<String>) =
            documents.into_iter().map(|d| (d.id, d.text)).unzip();
        let index = storydup::scan::index_of(&ids);
        let find = |id: &str| {
            index.get(id).map(|&i| i as usize).ok_or_else(|| {
                Error::Usage(format!(
                    "no document with id {id:?} in {}",
                    args.inputs.join(" ")
                ))
            })
        };
        let (a, b) = (find(&args.a)?, find(&args.b)?);
        (ids, texts, a, b)
    };
    let mut explanation = storydup::explain::explain((&ids[a], &ids[b]), texts, a, b, &options);
    if args.csv {
        print!("{}", explanation.pairs_csv_row());
        return Ok(());
    }
    explanation.scope = if args.inputs.is_empty() {
        "computed on these two documents alone: term rarity and boilerplate come from them, \
         so a scan of a larger input can score the pair differently; \
         `storydup explain ID_A ID_B --in INPUT` gives the scan's numbers"
            .to_string()
    } else {
        format!(
            "computed as a scan of {} computes it: the numbers of its pairs.csv",
            args.inputs.join(" ")
        )
    };
    print!("{explanation}");
    Ok(())
}

/// `storydup man`: one page to standard output, or all into a folder.
fn write_manual(args: ManArgs) -> storydup::Result<()> {
    let mut command = <Cli as clap::CommandFactory>::command().disable_help_subcommand(true);
    // Built, the subcommands carry their full names (storydup-scan).
    command.build();
    if let Some(dir) = &args.dir {
        std::fs::create_dir_all(dir)
            .and_then(|_| clap_mangen::generate_to(command, dir))
            .map_err(|e| {
                Error::file(
                    dir.display().to_string(),
                    format!("cannot write the manual pages: {e}"),
                )
            })?;
        eprintln!("wrote the manual pages to {}", dir.display());
        return Ok(());
    }
    let page = match &args.subcommand {
        None => command,
        Some(name) => command
            .find_subcommand(name)
            .cloned()
            .ok_or_else(|| Error::Usage(format!("no subcommand {name:?}")))?,
    };
    match clap_mangen::Man::new(page).render(&mut std::io::stdout()) {
        // `storydup man | head` is not an error.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::file(
            "-",
            format!("cannot write the manual page: {e}"),
        )),
        _ => Ok(()),
    }
}

fn parse_copies(value: &str) -> Result<Vec<storydup::perturb::Perturbation>, String> {
    use storydup::perturb::Perturbation;
    if value == "all" {
        return Ok(Perturbation::ALL.to_vec());
    }
    value
        .split(',')
        .map(|name| {
            Perturbation::from_name(name.trim()).ok_or_else(|| {
                format!("unknown copy {name:?}: expected clean, lower, nopunct, joined or all")
            })
        })
        .collect()
}

fn run_eval(args: EvalArgs) -> storydup::Result<()> {
    args.threads.start()?;
    let mut options = args.tuning.options(false)?;
    args.resources.apply(&mut options)?;
    let copies = parse_copies(&args.perturb).map_err(Error::Usage)?;
    let single = args.dirs.len() == 1 && copies.len() == 1;
    if args.pairs_out.is_some() && !single {
        return Err(Error::Usage(
            "--pairs-out takes one set and one copy".to_string(),
        ));
    }
    // Every set is checked before any is scanned.
    for dir in &args.dirs {
        let has_pairs = dir.join("pairs.csv").is_file() || dir.join("pairs_detail.csv").is_file();
        if !dir.join("docs.jsonl").is_file() || !has_pairs {
            return Err(Error::file(
                dir,
                "not a labelled set: expected a folder with docs.jsonl and pairs.csv",
            ));
        }
    }
    let mut results = Vec::new();
    for dir in &args.dirs {
        for &copy in &copies {
            let result = storydup::eval::evaluate(dir, copy, &options)?;
            if single {
                eprint!(
                    "{}",
                    report::summary(&result.scan.stats, &result.scan.clusters, &[])
                );
                print!("{}", result.scores);
                if let Some(partition) = &result.partition {
                    print!("{partition}");
                }
            }
            results.push(result);
        }
    }
    if let (Some(path), Some(result)) = (&args.pairs_out, results.first()) {
        let docs = result_dir_docs(&args.dirs[0])?;
        let texts: Vec<String> = docs.into_iter().map(|d| copies[0].apply(&d.text)).collect();
        let (signed, _) = storydup::scan::sign_all(texts, &options, options.banding());
        storydup::eval::write_labelled_evidence(
            &result.scan,
            &signed,
            &result.pairs,
            &options.verify,
            path,
        )?;
    }
    if !single {
        print!("{}", storydup::eval::table(&results));
    }
    if args.markdown {
        print!("\n{}", storydup::eval::markdown(&results));
    }
    Ok(())
}

fn result_dir_docs(dir: &std::path::Path) -> storydup::Result<Vec<storydup::input::Document>> {
    let docs = dir.join("docs.jsonl").display().to_string();
    Ok(read_all(&[docs], &InputOptions::default())?.0)
}

/// Progress bars on standard error, one per stage, when it is a terminal.
struct Bars {
    current: std::sync::Mutex<Option<indicatif::ProgressBar>>,
    hidden: bool,
}

impl Bars {
    fn new(quiet: bool) -> Self {
        use std::io::IsTerminal;
        Bars {
            current: std::sync::Mutex::new(None),
            hidden: quiet || !std::io::stderr().is_terminal(),
        }
    }

    fn finish(&self) {
        if let Some(bar) = self
            .current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            bar.finish_and_clear();
        }
    }
}

impl storydup::scan::Progress for Bars {
    fn stage(&self, name: &'static str, total: Option<u64>) {
        use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
        self.finish();
        if self.hidden {
            return;
        }
        let (bar, template) = match total {
            Some(total) => (
                ProgressBar::new(total),
                "{prefix:>11} [{bar:30}] {human_pos}/{human_len} {rate} ETA {eta}",
            ),
            None => (
                ProgressBar::no_length(),
                "{prefix:>11} {spinner} {human_pos} documents {rate} {elapsed}",
            ),
        };
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            // Whole items a second: the built-in {per_sec} prints decimals.
            .with_key(
                "rate",
                |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{}/s", human_number(state.per_sec()));
                },
            )
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(name);
        bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(4));
        *self.current.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar);
    }

    fn advance(&self, n: u64) {
        if let Some(bar) = &*self.current.lock().unwrap_or_else(|e| e.into_inner()) {
            bar.inc(n);
        }
    }
}

/// A failed run leaves no report folder it created (it creates the folder
/// early, to lock it).
/// A count for people: 950, 18.1k, 3.4M.
fn human_number(x: f64) -> String {
    match x {
        x if x >= 1e9 => format!("{:.1}G", x / 1e9),
        x if x >= 1e6 => format!("{:.1}M", x / 1e6),
        x if x >= 1e4 => format!("{:.0}k", x / 1e3),
        x if x >= 1e3 => format!("{:.1}k", x / 1e3),
        x => format!("{x:.0}"),
    }
}

fn run_scan(args: ScanArgs) -> storydup::Result<()> {
    let out = args.out.clone();
    let created = !out.exists();
    let result = scan_and_report(args);
    if result.is_err() && created {
        // Only succeeds if empty: nothing of value is removed.
        let _ = std::fs::remove_dir(&out);
    }
    result
}

fn scan_and_report(args: ScanArgs) -> storydup::Result<()> {
    args.threads.start()?;
    let quiet = args.quiet;
    let started = Instant::now();
    let mut options = args.tuning.options(args.singletons)?;
    args.resources.apply(&mut options)?;
    // Standard input, a named pipe or `<(...)` is gone once read.
    let read_once = args
        .inputs
        .iter()
        .find(|i| *i == "-" || storydup::input::is_stream(std::path::Path::new(i)));
    if let (Some(_), Some(input)) = (&args.dedup_out, read_once) {
        return Err(Error::Usage(format!(
            "--dedup-out reads the inputs a second time, so it cannot take {input} (standard input or a pipe, which can be read only once); save it to a file first"
        )));
    }
    let report_folder =
        storydup::destination::check(&args.inputs, &args.out, args.dedup_out.as_deref())?;
    // Held to the end of the run.
    let _lock = report::lock_folder(&args.out)?;
    let input_options = InputOptions {
        format: args.format,
        id_field: args.id_field,
        text_field: args.text_field,
        skip_bad: args.skip_bad,
        keep_raw: false,
        skip_folder: Some(report_folder),
        max_record_bytes: args.max_doc_mb << 20,
    };
    let mut input_stats = InputStats::default();
    let bars = Bars::new(quiet);
    let result = scan_stream(
        |sink| {
            input_stats = read_documents(&args.inputs, &input_options, sink)?;
            Ok(())
        },
        &options,
        &bars,
    )?;
    bars.finish();
    let skipped = &input_stats.skipped;
    if result.ids.is_empty() {
        let why = match skipped.first() {
            Some(s) => format!(
                "no usable documents: all {} records were skipped (the first at {}: {})",
                skipped.len(),
                s.origin,
                s.reason
            ),
            None => "no documents found (folders are searched for .txt, .md, .jsonl, .ndjson and .csv files)".into(),
        };
        return Err(Error::file(args.inputs.join(" "), why));
    }
    let report_started = Instant::now();
    let Streamed {
        ids,
        lengths,
        pairs,
        clusters,
        mut stats,
        corpus,
        ..
    } = result;
    stats.skipped = args.skip_bad.then_some(skipped.len());
    let mut scores = storydup::showcase::ScoreSample::default();
    let html = !args.no_html && read_once.is_none();
    let shown = storydup::showcase::Shown::choose(if html { &clusters } else { &[] });
    let shown_pairs = shown.pairs();
    let mut known_evidence = HashMap::new();
    // Every output is staged under a temporary name and put in place at the
    // end, all together (report::commit).
    let mut staged = report::write_reports(
        &ids,
        pairs.map(|r| r.map(|r| r.pair)).inspect(|p| {
            if let Ok(p) = p {
                scores.add(p.evidence.score);
                let key = (p.a.min(p.b), p.a.max(p.b));
                if shown_pairs.contains(&key) {
                    known_evidence.insert(key, p.evidence);
                }
            }
        }),
        &clusters,
        &args.out,
        args.report_format,
    )?;
    if args.skip_bad {
        staged.push(report::write_skipped(skipped, &args.out)?);
    }
    let mut dedup_line = None;
    let mut dedup_target = None;
    if let Some(path) = &args.dedup_out {
        let dropped = storydup::dedup::dropped(ids.len(), &clusters, args.keep, &lengths);
        let (dedup, file) = storydup::dedup::write(&args.inputs, &input_options, &dropped, path)?;
        dedup_target = Some(file.target().to_path_buf());
        staged.push(file);
        dedup_line = Some(format!(
            "  deduplicated: kept {} of {}, dropped {} ({})",
            dedup.kept,
            report::count(dedup.kept + dedup.dropped, "document", "documents"),
            report::count(dedup.dropped, "duplicate", "duplicates"),
            path.display()
        ));
    }
    let mut html_note = None;
    if args.no_html {
    } else if let Some(input) = read_once {
        html_note = Some(format!(
            "  report.html: not written ({input} is standard input or a pipe, which cannot be read again for the texts)"
        ));
    } else {
        let lines: Vec<String> = report::summary(&stats, &clusters, &[])
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.starts_with("time:") && !l.starts_with("peak memory"))
            .collect();
        staged.push(storydup::showcase::write(
            &args.inputs,
            &input_options,
            &options,
            &corpus,
            &ids,
            &clusters,
            &shown,
            &known_evidence,
            &scores.scores,
            &lines,
            &args.out,
        )?);
    }
    let written: Vec<_> = report::commit(staged, &args.out)?
        .into_iter()
        .filter(|p| Some(p) != dedup_target.as_ref())
        .collect();
    stats.stages.push(("report", report_started.elapsed()));
    if quiet {
        return Ok(());
    }
    eprint!("{}", report::summary(&stats, &clusters, &written));
    if let Some(line) = dedup_line {
        eprintln!("{line}");
    }
    if let Some(note) = html_note {
        eprintln!("{note}");
    }
    if args.skip_bad {
        eprintln!(
            "  skipped {} (listed in {})",
            report::count(skipped.len() as u64, "bad record", "bad records"),
            report::SKIPPED_FILE
        );
    }
    let ignored = &input_stats.ignored_files;
    if !ignored.is_empty() {
        eprintln!(
            "  ignored {} of unknown type, e.g. {}",
            report::count(ignored.len() as u64, "file", "files"),
            ignored[0]
        );
    }
    eprintln!("  total {:.3}s", started.elapsed().as_secs_f64());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::human_number;

    #[test]
    fn rates_read_in_human_units() {
        assert_eq!(human_number(18_074_565.0), "18.1M");
        assert_eq!(human_number(3_317.4), "3.3k");
        assert_eq!(human_number(45_120.0), "45k");
        assert_eq!(human_number(950.2), "950");
        assert_eq!(human_number(2.4e9), "2.4G");
    }
}
