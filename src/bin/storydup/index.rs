//! `storydup index`: a persistent index that new batches are added to and
//! checked against, with the reports of the whole index or of a batch.

use std::path::PathBuf;
use std::time::Instant;

use clap::{ArgMatches, Args, parser::ValueSource};

use storydup::archive::{self, Archive, IndexedPair};
use storydup::ids::Ids;
use storydup::input::{Format, InputOptions, read_all, read_documents};
use storydup::types::ScoredPair;
use storydup::{Error, report};

use crate::options::{Resources, Threads, Tuning};
use crate::scan::Bars;

#[derive(Args)]
pub(crate) struct IndexArgs {
    /// The index folder: created from the inputs if absent or empty, added
    /// to if it holds an index.
    pub(crate) dir: PathBuf,

    /// Files, folders (read recursively) or `-` for JSONL on standard input:
    /// the documents to add, or with --query to check.
    pub(crate) inputs: Vec<String>,

    /// After the add, write pairs.csv and clusters.csv of the whole index
    /// into this folder (with --new-only: of the added documents); with
    /// --query, write pairs.csv there instead of to standard output.
    #[arg(long, value_name = "OUT")]
    pub(crate) out: Option<PathBuf>,

    /// With --out: only the pairs that hold an added document and the
    /// clusters that hold one.
    #[arg(long, requires = "out", conflicts_with = "query")]
    pub(crate) new_only: bool,

    /// Check the inputs against the index without adding them: their pairs
    /// with indexed documents and with each other, as pairs.csv.
    #[arg(long)]
    pub(crate) query: bool,

    /// Rescan the whole index with this add (or alone, with no inputs):
    /// every document's keys made again with the current term counts and
    /// boilerplate, every pair verified again, as `scan` would.
    #[arg(long, conflicts_with = "query")]
    pub(crate) refresh: bool,

    /// Rescan the whole index by itself once it has grown by more than this
    /// share since the last rescan (0.2: a fifth).
    #[arg(long, value_name = "SHARE", default_value_t = archive::REFRESH_AFTER)]
    pub(crate) refresh_after: f64,

    /// Rescan the whole index on every add while it holds at most this many
    /// documents (0: never for its size).
    #[arg(long, value_name = "DOCS", default_value_t = archive::RESCAN_UP_TO)]
    pub(crate) rescan_up_to: u64,

    /// Input format, overriding detection from file names.
    #[arg(long, value_name = "jsonl|csv|text")]
    pub(crate) format: Option<Format>,

    /// JSONL key or CSV column holding the document id.
    #[arg(long, default_value = "id")]
    pub(crate) id_field: String,

    /// JSONL key or CSV column holding the document text.
    #[arg(long, default_value = "text")]
    pub(crate) text_field: String,

    /// Report format: csv (the contract) or jsonl.
    #[arg(long, value_name = "csv|jsonl", default_value = "csv")]
    pub(crate) report_format: report::ReportFormat,

    /// The largest record, in MB after decompression, 1 to 4096.
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

/// Rewrite options given on the command line must match those the index
/// was created with: they decide what its stored pairs mean.
fn check_recorded(
    archive: &Archive,
    matches: Option<&ArgMatches>,
    options: &storydup::scan::ScanOptions,
) -> storydup::Result<()> {
    let (Some(recorded), Some(matches)) = (archive.recorded()?, matches) else {
        return Ok(());
    };
    let mut conflicts = Vec::new();
    for (name, given) in archive::rewrite_options(options) {
        let explicit = matches.ids().any(|id| {
            id.as_str() == name && matches.value_source(&name) == Some(ValueSource::CommandLine)
        });
        let kept = recorded.get(&name).cloned().unwrap_or_default();
        if explicit && given != kept {
            conflicts.push(format!(
                "--{} {given} (the index has {kept})",
                name.replace('_', "-")
            ));
        }
    }
    if conflicts.is_empty() {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "{}: options that decide what counts as a rewrite are fixed when an index is created: {}; leave them out to use the index's",
        archive.dir().display(),
        conflicts.join(", ")
    )))
}

pub(crate) fn run(args: IndexArgs, matches: Option<&ArgMatches>) -> storydup::Result<()> {
    args.threads.start()?;
    let started = Instant::now();
    let mut options = args.tuning.options(false);
    args.resources.apply(&mut options)?;
    options.plan()?;
    if args.refresh_after.is_nan() || args.refresh_after < 0.0 {
        return Err(Error::Usage(format!(
            "--refresh-after must be 0 or more (got {})",
            args.refresh_after
        )));
    }
    let input_options = InputOptions {
        format: args.format,
        id_field: args.id_field.clone(),
        text_field: args.text_field.clone(),
        skip_bad: false,
        keep_raw: false,
        skip_folder: std::fs::canonicalize(&args.dir).ok(),
        max_record_bytes: args.max_doc_mb << 20,
    };
    if args.query {
        if args.inputs.is_empty() {
            return Err(Error::Usage("--query needs the documents to check".into()));
        }
        let archive = Archive::open_reader(&args.dir, &options)?;
        check_recorded(&archive, matches, &options)?;
        let (documents, _) = read_all(&args.inputs, &input_options)?;
        let pairs = archive.query(&documents)?;
        write_query(&pairs, &args)?;
        if !args.quiet {
            eprintln!(
                "storydup: {} checked against {} indexed: {}",
                report::count(documents.len() as u64, "document", "documents"),
                archive.len()?,
                report::count(pairs.len() as u64, "pair", "pairs"),
            );
            eprintln!("  total {:.3}s", started.elapsed().as_secs_f64());
        }
        return Ok(());
    }
    if args.inputs.is_empty() && args.new_only {
        return Err(Error::Usage(
            "--new-only reports the documents an add brings: give the inputs to add".into(),
        ));
    }
    if args.inputs.is_empty() && !args.refresh {
        let archive = Archive::open_reader(&args.dir, &options)?;
        check_recorded(&archive, matches, &options)?;
        let written = match &args.out {
            Some(out) => {
                let _lock = report::lock_folder(out)?;
                archive.write_reports(out, None, args.report_format)?
            }
            None => Vec::new(),
        };
        if !args.quiet {
            summary(&archive, None, &written, started);
        }
        return Ok(());
    }
    if args.inputs.is_empty() && !args.dir.join(archive::DATABASE).exists() {
        return Err(Error::Usage(format!(
            "{}: not a storydup index; give documents to create it from",
            args.dir.display()
        )));
    }
    let mut archive = Archive::open_writer(&args.dir, &options)?;
    check_recorded(&archive, matches, &options)?;
    // Held from before the add, so the reports can always be written.
    let out_lock = args.out.as_deref().map(report::lock_folder).transpose()?;
    if args.inputs.is_empty() && archive.recorded()?.is_none() {
        return Err(Error::Usage(format!(
            "{}: not a storydup index yet; give documents to create it from",
            args.dir.display()
        )));
    }
    let bars = Bars::new(args.quiet);
    let rescan = archive::Rescan {
        now: args.refresh,
        after_growth: args.refresh_after,
        up_to: args.rescan_up_to,
    };
    // Streamed: a large batch is never held in memory whole.
    let added = archive.add(
        |sink| {
            let mut read = 0u64;
            read_documents(&args.inputs, &input_options, &mut |doc| {
                read += 1;
                sink(doc)
            })?;
            if read == 0 && !args.inputs.is_empty() {
                return Err(Error::file(
                    args.inputs.join(" "),
                    "no documents found (folders are searched for .txt, .md, .jsonl, .ndjson and .csv files)",
                ));
            }
            Ok(())
        },
        rescan,
        &bars,
    )?;
    bars.finish();
    let written = match &args.out {
        Some(out) => archive.write_reports(
            out,
            args.new_only.then_some(added.first),
            args.report_format,
        )?,
        None => Vec::new(),
    };
    drop(out_lock);
    if !args.quiet {
        summary(&archive, Some(&added), &written, started);
    }
    Ok(())
}

fn summary(
    archive: &Archive,
    added: Option<&archive::Added>,
    written: &[PathBuf],
    started: Instant,
) {
    let documents = archive.len().unwrap_or(0) as u64;
    let disk = archive.disk_bytes();
    if let Some(added) = added {
        let how = if added.refreshed {
            "statistics counted again, whole index rescanned".to_string()
        } else {
            format!("{} candidates verified", added.candidates)
        };
        eprintln!(
            "storydup: added {} to {}: {} with an added document ({how})",
            report::count(added.documents as u64, "document", "documents"),
            archive.dir().display(),
            report::count(added.pairs.len() as u64, "pair", "pairs"),
        );
        let stages: Vec<String> = added
            .stages
            .iter()
            .map(|(name, took)| format!("{name} {:.3}s", took.as_secs_f64()))
            .collect();
        eprintln!("  time: {}", stages.join(", "));
    }
    eprintln!(
        "  index: {}, {:.1} MB on disk ({:.2} KB a document)",
        report::count(documents, "document", "documents"),
        disk as f64 / 1e6,
        disk as f64 / 1e3 / documents.max(1) as f64
    );
    for path in written {
        eprintln!("  wrote {}", path.display());
    }
    eprintln!("  total {:.3}s", started.elapsed().as_secs_f64());
}

/// The query's pairs as `pairs.csv`: into --out, or to standard output.
fn write_query(pairs: &[IndexedPair], args: &IndexArgs) -> storydup::Result<()> {
    let mut ids = Ids::default();
    let mut scored = Vec::with_capacity(pairs.len());
    for p in pairs {
        let a = ids.len() as u32;
        ids.push(&p.a);
        ids.push(&p.b);
        scored.push(ScoredPair {
            a,
            b: a + 1,
            evidence: p.evidence,
        });
    }
    match &args.out {
        Some(out) => {
            let _lock = report::lock_folder(out)?;
            let staged = report::write_pairs_report(
                &ids,
                scored.into_iter().map(Ok),
                out,
                args.report_format,
            )?;
            report::commit(vec![staged], out)?;
        }
        None => {
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            report::write_pairs(
                &ids,
                scored.into_iter().map(Ok),
                &mut lock,
                args.report_format,
            )
            .map_err(|e| Error::file("-", format!("cannot write: {e}")))?;
        }
    }
    Ok(())
}
