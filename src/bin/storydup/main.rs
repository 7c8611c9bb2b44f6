//! The `storydup` command line: parses options and calls the library, one
//! file per subcommand (scan, eval, explain, index, man) and one for the options
//! they share.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use storydup::{Error, report};

mod eval;
mod explain;
mod index;
mod man;
mod options;
mod scan;

use eval::EvalArgs;
use explain::ExplainArgs;
use index::IndexArgs;
use man::ManArgs;
use scan::ScanArgs;

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
    /// Keep a persistent index: add batches (matched against everything
    /// indexed before), check documents against it, write its reports.
    #[command(
        after_help = "Examples:\n  storydup index archive/ dump.jsonl.zst                       build the index\n  storydup index archive/ today.jsonl --out today --new-only   add a batch, report its pairs\n  storydup index archive/ draft.txt --query                    check without adding\n  storydup index archive/ --out all                            reports of the whole index"
    )]
    Index(IndexArgs),
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
    let matches = <Cli as clap::CommandFactory>::command().get_matches();
    let cli = match <Cli as clap::FromArgMatches>::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    exit_on_signals();
    let result = match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Index(args) => index::run(args, matches.subcommand_matches("index")),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "storydup", &mut std::io::stdout());
            Ok(())
        }
        Command::Man(args) => man::run(args),
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
