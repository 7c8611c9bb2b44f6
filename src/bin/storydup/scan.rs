//! `storydup scan`: the main job, from inputs to the reports.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use storydup::input::{Format, InputOptions, InputStats, read_documents};
use storydup::scan::{Streamed, scan_stream};
use storydup::{Error, report};

use crate::options::{Resources, Threads, Tuning};

#[derive(Args)]
pub(crate) struct ScanArgs {
    /// Files, folders (read recursively) or `-` for JSONL on standard input.
    #[arg(required = true)]
    pub(crate) inputs: Vec<String>,

    /// Input format, overriding detection from file names.
    #[arg(long, value_name = "jsonl|csv|text")]
    pub(crate) format: Option<Format>,

    /// JSONL key or CSV column holding the document id.
    #[arg(long, default_value = "id")]
    pub(crate) id_field: String,

    /// JSONL key or CSV column holding the document text.
    #[arg(long, default_value = "text")]
    pub(crate) text_field: String,

    /// Folder for the reports (created if missing).
    #[arg(long, default_value = "storydup-out")]
    pub(crate) out: PathBuf,

    /// Also list documents that belong to no cluster, each as its own cluster.
    #[arg(long)]
    pub(crate) singletons: bool,

    /// Skip records that cannot be used (malformed JSON, missing fields,
    /// invalid UTF-8, rows of the wrong width, duplicate ids) instead of
    /// stopping; each is listed with file, line and reason in skipped.csv.
    #[arg(long)]
    pub(crate) skip_bad: bool,

    /// Report format: csv (pairs.csv, clusters.csv: the contract) or jsonl
    /// (pairs.jsonl, clusters.jsonl, same fields). `--format` names the input's.
    #[arg(long, value_name = "csv|jsonl", default_value = "csv")]
    pub(crate) report_format: report::ReportFormat,

    /// Also write the input records minus duplicates to FILE (.jsonl or .csv:
    /// the name sets the format), one representative kept per cluster.
    #[arg(long, value_name = "FILE")]
    pub(crate) dedup_out: Option<PathBuf>,

    /// Which member of a cluster --dedup-out keeps: earliest (in input order)
    /// or longest.
    #[arg(
        long,
        value_name = "earliest|longest",
        default_value = "earliest",
        requires = "dedup_out"
    )]
    pub(crate) keep: storydup::dedup::Keep,

    /// Do not write report.html (written by default beside the reports).
    #[arg(long)]
    pub(crate) no_html: bool,

    /// The largest record (a JSONL line, a CSV row, a text file), in MB after
    /// decompression, 1 to 4096: a larger one is an error naming its file
    /// and line, or a skip with --skip-bad.
    #[arg(long, value_name = "MB", default_value_t = storydup::input::MAX_RECORD_MB,
          value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub(crate) max_doc_mb: u64,

    /// No progress display and no summary; errors are still reported.
    #[arg(long, short)]
    pub(crate) quiet: bool,

    #[command(flatten)]
    pub(crate) tuning: Tuning,

    #[command(flatten)]
    pub(crate) resources: Resources,

    #[command(flatten)]
    pub(crate) threads: Threads,
}

/// Progress bars on standard error, one per stage, when it is a terminal.
pub(crate) struct Bars {
    pub(crate) current: std::sync::Mutex<Option<indicatif::ProgressBar>>,
    pub(crate) hidden: bool,
}

impl Bars {
    pub(crate) fn new(quiet: bool) -> Self {
        use std::io::IsTerminal;
        Bars {
            current: std::sync::Mutex::new(None),
            hidden: quiet || !std::io::stderr().is_terminal(),
        }
    }

    pub(crate) fn finish(&self) {
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
pub(crate) fn human_number(x: f64) -> String {
    match x {
        x if x >= 1e9 => format!("{:.1}G", x / 1e9),
        x if x >= 1e6 => format!("{:.1}M", x / 1e6),
        x if x >= 1e4 => format!("{:.0}k", x / 1e3),
        x if x >= 1e3 => format!("{:.1}k", x / 1e3),
        x => format!("{x:.0}"),
    }
}

pub(crate) fn run(args: ScanArgs) -> storydup::Result<()> {
    let out = args.out.clone();
    let created = !out.exists();
    let result = scan_and_report(args);
    if result.is_err() && created {
        // Only succeeds if empty: nothing of value is removed.
        let _ = std::fs::remove_dir(&out);
    }
    result
}

pub(crate) fn scan_and_report(args: ScanArgs) -> storydup::Result<()> {
    args.threads.start()?;
    let started = Instant::now();
    let mut options = args.tuning.options(args.singletons);
    args.resources.apply(&mut options)?;
    let plan = options.plan()?;
    // Standard input, a named pipe or `<(...)` is gone once read.
    let read_once = args
        .inputs
        .iter()
        .find(|i| *i == "-" || storydup::input::is_stream(std::path::Path::new(i)))
        .cloned();
    if let (Some(_), Some(input)) = (&args.dedup_out, &read_once) {
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
        id_field: args.id_field.clone(),
        text_field: args.text_field.clone(),
        skip_bad: args.skip_bad,
        keep_raw: false,
        skip_folder: Some(report_folder),
        max_record_bytes: args.max_doc_mb << 20,
    };
    let (result, input_stats) = scan_inputs(&args, &input_options, &plan)?;
    let report_started = Instant::now();
    let outputs = Outputs {
        args: &args,
        input_options: &input_options,
        options: &plan,
        html: !args.no_html && read_once.is_none(),
    };
    let Written {
        mut stats,
        clusters,
        reports: written,
        mut notes,
    } = outputs.write(result, &input_stats)?;
    stats.stages.push(("report", report_started.elapsed()));
    if args.quiet {
        return Ok(());
    }
    if let (false, Some(input)) = (args.no_html, &read_once) {
        notes.push(format!(
            "  report.html: not written ({input} is standard input or a pipe, which cannot be read again for the texts)"
        ));
    }
    if args.skip_bad {
        notes.push(format!(
            "  skipped {} (listed in {})",
            report::count(
                input_stats.skipped.len() as u64,
                "bad record",
                "bad records"
            ),
            report::SKIPPED_FILE
        ));
    }
    if let Some(first) = input_stats.ignored_files.first() {
        notes.push(format!(
            "  ignored {} of unknown type, e.g. {first}",
            report::count(input_stats.ignored_files.len() as u64, "file", "files"),
        ));
    }
    eprint!("{}", report::summary(&stats, &clusters, &written));
    for note in notes {
        eprintln!("{note}");
    }
    eprintln!("  total {:.3}s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Reads the inputs through the pipeline; no usable document is an error.
fn scan_inputs(
    args: &ScanArgs,
    input_options: &InputOptions,
    plan: &storydup::scan::Plan,
) -> storydup::Result<(Streamed, InputStats)> {
    let mut input_stats = InputStats::default();
    let bars = Bars::new(args.quiet);
    let result = scan_stream(
        |sink| {
            input_stats = read_documents(&args.inputs, input_options, sink)?;
            Ok(())
        },
        plan,
        &bars,
    )?;
    bars.finish();
    if result.ids.is_empty() {
        let why = match input_stats.skipped.first() {
            Some(s) => format!(
                "no usable documents: all {} records were skipped (the first at {}: {})",
                input_stats.skipped.len(),
                s.origin,
                s.reason
            ),
            None => "no documents found (folders are searched for .txt, .md, .jsonl, .ndjson and .csv files)".into(),
        };
        return Err(Error::file(args.inputs.join(" "), why));
    }
    Ok((result, input_stats))
}

/// What [`Outputs::write`] leaves: the run's counts and clusters, the
/// reports written, and lines for the summary.
struct Written {
    stats: storydup::scan::ScanStats,
    clusters: Vec<Vec<u32>>,
    reports: Vec<PathBuf>,
    notes: Vec<String>,
}

/// What a scan writes, all staged under temporary names and put in place
/// together at the end (report::commit).
struct Outputs<'a> {
    args: &'a ScanArgs,
    input_options: &'a InputOptions,
    options: &'a storydup::scan::ScanOptions,
    /// Whether report.html is written.
    html: bool,
}

impl Outputs<'_> {
    /// Writes the reports, skipped.csv, --dedup-out and report.html; returns
    /// the stats, the clusters, the reports written and lines for the summary.
    fn write(&self, result: Streamed, input_stats: &InputStats) -> storydup::Result<Written> {
        let args = self.args;
        let Streamed {
            ids,
            lengths,
            pairs,
            clusters,
            mut stats,
            corpus,
            ..
        } = result;
        stats.skipped = args.skip_bad.then_some(input_stats.skipped.len());
        let mut scores = storydup::showcase::ScoreSample::default();
        let shown = storydup::showcase::Shown::choose(if self.html { &clusters } else { &[] });
        let shown_pairs = shown.pairs();
        let mut known_evidence = HashMap::new();
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
            staged.push(report::write_skipped(&input_stats.skipped, &args.out)?);
        }
        let mut notes = Vec::new();
        let mut dedup_target = None;
        if let Some(path) = &args.dedup_out {
            let dropped = storydup::dedup::dropped(ids.len(), &clusters, args.keep, &lengths);
            let (dedup, file) =
                storydup::dedup::write(&args.inputs, self.input_options, &dropped, path)?;
            dedup_target = Some(file.target().to_path_buf());
            staged.push(file);
            notes.push(format!(
                "  deduplicated: kept {} of {}, dropped {} ({})",
                dedup.kept,
                report::count(dedup.kept + dedup.dropped, "document", "documents"),
                report::count(dedup.dropped, "duplicate", "duplicates"),
                path.display()
            ));
        }
        if self.html {
            let lines: Vec<String> = report::findings(&stats, &clusters)
                .lines()
                .map(|l| l.trim().to_string())
                .collect();
            staged.push(storydup::showcase::write(
                &args.inputs,
                self.input_options,
                self.options,
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
        let written: Vec<PathBuf> = report::commit(staged, &args.out)?
            .into_iter()
            .filter(|p| Some(p) != dedup_target.as_ref())
            .collect();
        Ok(Written {
            stats,
            clusters,
            reports: written,
            notes,
        })
    }
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
