//! `storydup man`: the manual pages, generated from the options.

use std::path::PathBuf;

use clap::Args;

use storydup::Error;

use crate::Cli;

#[derive(Args)]
pub(crate) struct ManArgs {
    /// The subcommand whose page to print (default: storydup's own).
    #[arg(value_parser = ["scan", "eval", "explain", "completions", "man"])]
    pub(crate) subcommand: Option<String>,

    /// Write every page (storydup.1, storydup-scan.1, ...) into this folder instead.
    #[arg(long, value_name = "DIR", conflicts_with = "subcommand")]
    pub(crate) dir: Option<PathBuf>,
}

/// `storydup man`: one page to standard output, or all into a folder.
pub(crate) fn run(args: ManArgs) -> storydup::Result<()> {
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
