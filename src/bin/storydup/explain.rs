//! `storydup explain`: why two documents are or are not one story.

use clap::Args;

use storydup::Error;
use storydup::input::{Format, InputOptions, read_all};

use crate::options::{EvidenceTuning, Threads};

#[derive(Args)]
pub(crate) struct ExplainArgs {
    /// A file, or with --in an id.
    pub(crate) a: String,
    /// A file, or with --in an id.
    pub(crate) b: String,

    /// Look A and B up as ids in these inputs; term rarity then comes from
    /// the whole input, exactly as in a scan of it.
    #[arg(long = "in", value_name = "INPUT")]
    pub(crate) inputs: Vec<String>,

    /// JSONL key or CSV column holding the document id (with --in).
    #[arg(long, default_value = "id")]
    pub(crate) id_field: String,

    /// JSONL key or CSV column holding the document text (with --in).
    #[arg(long, default_value = "text")]
    pub(crate) text_field: String,

    /// Print the pair as pairs.csv would have it (header and one row, ids in
    /// pairs.csv order; verdict `different` below --threshold) instead of
    /// the explanation.
    #[arg(long)]
    pub(crate) csv: bool,

    #[command(flatten)]
    pub(crate) tuning: EvidenceTuning,

    #[command(flatten)]
    pub(crate) threads: Threads,
}

pub(crate) fn run(args: ExplainArgs) -> storydup::Result<()> {
    args.threads.start()?;
    let options = args.tuning.options();
    options.validate()?;
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
