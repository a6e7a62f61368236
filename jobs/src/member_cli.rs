//! `cohort pseudonym`: the stored id of a raw member id, for the places that take stored ids —
//! `cohort query` SQL over the lake, `sqlite3` over the serving database, a moderator looking up a
//! member's alerts. It uses what `cohort serve` uses (the same key, checked against the data
//! directory's last checkpoint), so its answer is exactly what the lake and the API hold.

use std::path::PathBuf;

use anyhow::{Result, bail};
use cohort_jobs::config;
use cohort_jobs::http::members::Members;
use cohort_jobs::http::store::ServingDb;
use cohort_jobs::privacy::keys;

#[derive(clap::Args)]
pub(crate) struct PseudonymArgs {
    /// Raw member ids, as the events carry them.
    #[arg(required = true)]
    members: Vec<String>,
    /// The data directory whose member ids to match.
    #[arg(long, value_name = "DIR", default_value = "./cohort-data")]
    data_dir: PathBuf,
    /// TOML config file whose [privacy] key_file holds the key. The environment variable
    /// COHORT_PRIVACY_KEY takes precedence; with neither, the key a run generated in DIR is used.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

/// Prints one line per member: the raw id, a tab, the id the data directory stores for it.
pub(crate) fn pseudonym(args: &PseudonymArgs) -> Result<()> {
    let privacy = config::load(args.config.as_deref(), std::env::vars())?.privacy;
    let members = Members::new(&args.data_dir, keys::for_serving(&privacy, &args.data_dir)?);
    members.check_at_start(&ServingDb::new(&args.data_dir.join("serving.db")))?;
    if !members.known() {
        bail!(
            "{} has no committed run yet, so it does not say how its member ids are stored",
            args.data_dir.display()
        );
    }
    for raw in &args.members {
        println!("{raw}\t{}", members.stored(raw));
    }
    Ok(())
}
