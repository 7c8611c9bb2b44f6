//! `storydup eval`: precision, recall and F1 on labelled sets.

use std::path::PathBuf;

use clap::Args;

use storydup::input::{InputOptions, read_all};
use storydup::{Error, report};

use crate::options::{Resources, Threads, Tuning};

#[derive(Args)]
pub(crate) struct EvalArgs {
    /// Folders with docs.jsonl and pairs.csv (pairs_detail.csv for per-kind rates).
    #[arg(required = true)]
    pub(crate) dirs: Vec<PathBuf>,

    /// Also scan copies of each set mangled this way, made in memory: any of
    /// clean, lower, nopunct, joined (comma-separated), or all.
    #[arg(long, value_name = "COPIES", default_value = "clean")]
    pub(crate) perturb: String,

    /// Print the tables README.md quotes (Markdown) after the scores.
    #[arg(long)]
    pub(crate) markdown: bool,

    /// Also write every labelled pair with its evidence to this CSV file (one set, one copy).
    #[arg(long, value_name = "FILE")]
    pub(crate) pairs_out: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) tuning: Tuning,

    #[command(flatten)]
    pub(crate) resources: Resources,

    #[command(flatten)]
    pub(crate) threads: Threads,
}

pub(crate) fn parse_copies(value: &str) -> Result<Vec<storydup::perturb::Perturbation>, String> {
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

pub(crate) fn run(args: EvalArgs) -> storydup::Result<()> {
    args.threads.start()?;
    let mut options = args.tuning.options(false);
    args.resources.apply(&mut options)?;
    options.validate()?;
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

pub(crate) fn result_dir_docs(
    dir: &std::path::Path,
) -> storydup::Result<Vec<storydup::input::Document>> {
    let docs = dir.join("docs.jsonl").display().to_string();
    Ok(read_all(&[docs], &InputOptions::default())?.0)
}
