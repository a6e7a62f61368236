//! `cohort compact`: its arguments and the summary it prints; the work is
//! `cohort_jobs::compact`.

use std::path::PathBuf;

use anyhow::Result;
use cohort_jobs::compact::{self, CompactPlan, CompactReport};
use cohort_jobs::config;

#[derive(clap::Args)]
pub(crate) struct CompactArgs {
    /// The data directory whose lake to compact (default: the config's output.data_dir).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// TOML config file whose [lake.retention_days] says how long each table is kept.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Rewrite every lake file that holds rows of a member in the `erasures` register without
    /// them. With neither this nor --retention, both are done.
    #[arg(long)]
    apply_erasures: bool,
    /// Drop date partitions older than [lake.retention_days] says.
    #[arg(long)]
    retention: bool,
}

/// `cohort compact`.
pub(crate) fn compact(args: &CompactArgs) -> Result<()> {
    let config = config::load(args.config.as_deref(), std::env::vars())?;
    let data_dir = args
        .data_dir
        .clone()
        .unwrap_or_else(|| config.output.data_dir.clone());
    let both = !args.apply_erasures && !args.retention;
    let plan = CompactPlan {
        apply_erasures: both || args.apply_erasures,
        retention_days: (both || args.retention).then(|| config.lake.retention_days.clone()),
        now_ms: now_ms(),
    };
    let report = compact::compact(&data_dir, &plan)?;
    print!("{}", render(&data_dir, &plan, &report));
    Ok(())
}

fn now_ms() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

/// The summary: what was applied, then per table what changed.
fn render(data_dir: &std::path::Path, plan: &CompactPlan, report: &CompactReport) -> String {
    let mut out = format!("cohort compact: {}\n", data_dir.display());
    if plan.apply_erasures {
        out += &format!(
            "  erasures: {} members in the register\n",
            report.erased_members
        );
    }
    if let Some(days) = &plan.retention_days {
        let tables: Vec<String> = days.iter().map(|(t, d)| format!("{t} {d} days")).collect();
        out += &format!(
            "  retention: {}\n",
            if tables.is_empty() {
                "none configured (every table kept forever)".to_string()
            } else {
                tables.join(", ")
            }
        );
    }
    if report.tables.is_empty() {
        out += "  nothing to do: no file changed\n";
        return out;
    }
    out += &format!(
        "  {:<20} {:>15} {:>13} {:>12} {:>12} {:>18}\n",
        "table",
        "files rewritten",
        "files removed",
        "rows removed",
        "ids replaced",
        "partitions dropped"
    );
    for (table, t) in &report.tables {
        out += &format!(
            "  {:<20} {:>15} {:>13} {:>12} {:>12} {:>18}\n",
            table,
            t.files_rewritten,
            t.files_removed,
            t.rows_removed,
            t.values_scrubbed,
            t.partitions_dropped
        );
    }
    out
}
