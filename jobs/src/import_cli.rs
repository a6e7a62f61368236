//! `cohort import`: its arguments and the summary it prints; the work is `cohort_jobs::import`.

use std::path::PathBuf;

use anyhow::Result;
use cohort_jobs::import::stackexchange::{self, Options, report};

/// The systems `cohort import` reads exports of.
#[derive(clap::Subcommand)]
pub(crate) enum ImportCommand {
    /// One site of a Stack Exchange data dump (Posts.xml, Comments.xml, Users.xml and, when present,
    /// Votes.xml) as cohort events: questions and answers → items, answering → views, comments →
    /// chat naming their post, users → member joins, votes with a known voter → likes. Writes JSON
    /// Lines in time order (gzip when FILE ends in .gz) and prints what was converted and what was
    /// not, per file and reason.
    #[command(name = "stackexchange")]
    StackExchange(StackExchangeArgs),
}

#[derive(clap::Args)]
pub(crate) struct StackExchangeArgs {
    /// The dump directory of one site (e.g. an unpacked history.meta.stackexchange.com.7z).
    dir: PathBuf,
    /// The JSON Lines file to write (`-` for standard output; the summary then goes to standard error).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// The community id of every event (default: the directory's name).
    #[arg(long, value_name = "ID")]
    community: Option<String>,
}

/// `cohort import stackexchange`.
pub(crate) fn import_stackexchange(args: StackExchangeArgs) -> Result<()> {
    let options = Options {
        dir: args.dir,
        out: args.out,
        community: args.community,
    };
    let started = std::time::Instant::now();
    let report = stackexchange::import(&options)?;
    let text = format!(
        "{}\n  done in {:.2} s\n",
        report::render(&report, &options.dir, &options.out),
        started.elapsed().as_secs_f64()
    );
    if options.out.as_os_str() == "-" {
        eprint!("{text}");
    } else {
        print!("{text}");
    }
    Ok(())
}
