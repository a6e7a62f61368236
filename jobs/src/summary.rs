//! What `cohort run` prints at the end: counts per kind and reason, what was written, and the speed.

use std::fmt::Write as _;

use cohort_schemas::{Kind, Reason};

use crate::ingest_job::RunReport;

/// The end-of-run summary as text.
pub fn render(report: &RunReport, data_dir: &std::path::Path) -> String {
    let m = &report.metrics;
    let mut out = String::new();
    let events: u64 = Kind::ALL.iter().map(|k| m.events(*k)).sum();
    let dead: u64 = Reason::ALL.iter().map(|r| m.dead_letters(*r)).sum();
    let secs = report.elapsed.as_secs_f64().max(1e-9);
    let _ = writeln!(out, "\ncohort run finished in {:.2} s", secs);
    let _ = writeln!(
        out,
        "  records read: {}   events: {}   dead letters: {}   {:.0} events/s",
        m.records_read(),
        events,
        dead,
        m.records_read() as f64 / secs
    );
    if m.replayed_skipped() > 0 {
        let _ = writeln!(
            out,
            "  replayed after a restart and skipped (already committed): {}",
            m.replayed_skipped()
        );
    }
    let _ = writeln!(out, "\n  events per kind (this run):");
    for kind in Kind::ALL {
        let _ = writeln!(out, "    {:<16} {:>10}", kind.table(), m.events(kind));
    }
    let _ = writeln!(out, "\n  dead letters by reason (this run):");
    let mut any = false;
    for reason in Reason::ALL {
        let n = m.dead_letters(reason);
        if n > 0 {
            any = true;
            let _ = writeln!(out, "    {:<16} {:>10}", reason.code(), n);
        }
    }
    if !any {
        let _ = writeln!(out, "    (none)");
    }
    let (files, rows, commits) = m.commit_totals();
    let _ = writeln!(
        out,
        "\n  committed: {files} Parquet files, {rows} rows, in {commits} checkpoints"
    );
    if let Some(c) = &report.checkpoint {
        let total: u64 = Kind::ALL
            .iter()
            .map(|k| c.totals.get(k.table()).copied().unwrap_or(0))
            .sum();
        let _ = writeln!(
            out,
            "  lake totals over all runs on this data directory: {total} events"
        );
    }
    let dir = data_dir.display();
    // Name the binary as it was invoked (`target/release/cohort` under `cargo run`) so the lines run as printed.
    let exe = std::env::args()
        .next()
        .unwrap_or_else(|| "cohort".to_string());
    let _ = writeln!(
        out,
        "  lake: {dir}/lake   serving database: {dir}/serving.db"
    );
    let _ = writeln!(out, "\nTry next:");
    let _ = writeln!(
        out,
        "  {exe} query --data-dir {dir} \"SELECT community_id, count(*) AS views FROM events_view GROUP BY 1 ORDER BY 2 DESC\""
    );
    let _ = writeln!(
        out,
        "  {exe} query --data-dir {dir} \"SELECT reason, count(*) FROM dead_letters GROUP BY 1\""
    );
    let _ = writeln!(
        out,
        "  sqlite3 {dir}/serving.db \"SELECT job, epoch, committed_at FROM checkpoints ORDER BY id DESC LIMIT 3\""
    );
    out
}
