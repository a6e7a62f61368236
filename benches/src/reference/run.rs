//! One reference run: cohort's configuration, the timely workers, the job's dataflow, the CSV.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cohort_pipeline::ingest::IngestSettings;
use cohort_pipeline::{Metrics, SourceSpec};

use super::Job;
use super::error::ReferenceError;
use super::input::{self, Coll, Counted, Touch};
use super::jobs;
use super::output::{self, CsvKey};

/// What a finished run did.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Report {
    /// Records read from the input (every line is an event in a comparable run).
    pub events: u64,
    /// Valid events of kinds other than view and like, which the jobs skip.
    pub other_kinds: u64,
    /// Result rows written.
    pub rows: usize,
    /// Wall time of the timely workers, from their start until the last one finished.
    pub dataflow: Duration,
    /// Wall time of sorting and writing the CSV.
    pub write: Duration,
    /// Wall time of the whole run.
    pub total: Duration,
}

/// Runs `job` over `input` with `workers` timely workers and writes the result to `out`. The
/// configuration is cohort's (embedded defaults, then `COHORT__*` variables such as
/// `COHORT__RUNTIME__BATCH`), as for `cohort run`.
pub(crate) fn run(
    job: Job,
    input: &Path,
    out: &Path,
    workers: usize,
) -> Result<Report, ReferenceError> {
    let started = Instant::now();
    let config = cohort_jobs::config::load(None, std::env::vars())?;
    let workers = workers.max(1);
    let spec = SourceSpec::File {
        path: input.to_path_buf(),
    };
    // A bad path fails here, before timely starts (as in the ingest job).
    spec.splits_for(0, workers)?;
    let run = Run {
        spec,
        workers,
        settings: input::settings(&config),
        metrics: Arc::new(Metrics::default()),
    };
    let (rows, dataflow, write) = match job {
        Job::Count => run.write(out, |t| (t.community_id, t.item_id, t.kind), jobs::count)?,
        Job::Cooc => run.write(out, |t| (t.community_id, t.user_id, t.item_id), jobs::cooc)?,
    };
    let counted = Counted::of(&run.metrics);
    Ok(Report {
        events: counted.read,
        other_kinds: counted.other_kinds,
        rows,
        dataflow,
        write,
        total: started.elapsed(),
    })
}

/// What every worker of one run shares.
struct Run {
    spec: SourceSpec,
    workers: usize,
    settings: IngestSettings,
    metrics: Arc<Metrics>,
}

impl Run {
    /// Runs the dataflow and writes its result to `out`; returns the rows written, and the wall time
    /// of the dataflow and of the writing.
    fn write<D, K, S, J>(
        &self,
        out: &Path,
        select: S,
        job: J,
    ) -> Result<(usize, Duration, Duration), ReferenceError>
    where
        D: differential_dataflow::ExchangeData,
        K: CsvKey,
        S: Fn(Touch) -> D + Clone + Send + Sync + 'static,
        J: for<'s> Fn(Coll<'s, D>) -> Coll<'s, (K, isize)> + Send + Sync + 'static,
    {
        let started = Instant::now();
        let rows = self.execute(select, job)?;
        let dataflow = started.elapsed();
        let started = Instant::now();
        let n = output::write(out, rows)?;
        Ok((n, dataflow, started.elapsed()))
    }

    /// Runs the dataflow `job` over the touches `select` keeps, on every worker, until the input
    /// ends; returns all workers' final rows, or why there are none.
    fn execute<D, K, S, J>(&self, select: S, job: J) -> Result<Vec<(K, isize)>, ReferenceError>
    where
        D: differential_dataflow::ExchangeData,
        K: CsvKey,
        S: Fn(Touch) -> D + Clone + Send + Sync + 'static,
        J: for<'s> Fn(Coll<'s, D>) -> Coll<'s, (K, isize)> + Send + Sync + 'static,
    {
        let spec = self.spec.clone();
        let settings = self.settings.clone();
        let metrics = Arc::clone(&self.metrics);
        let guards = timely::execute(timely::Config::process(self.workers), move |worker| {
            let net = worker.dataflow::<u64, _, _>(|scope| {
                let touches = input::touches(
                    scope,
                    &spec,
                    settings.clone(),
                    Arc::clone(&metrics),
                    select.clone(),
                )?;
                Ok::<_, ReferenceError>(output::follow(job(touches)))
            })?;
            while worker.has_dataflows() {
                worker.step_or_park(None);
            }
            output::final_rows(&net)
        })
        .map_err(ReferenceError::Worker)?;
        let mut rows = Vec::new();
        for result in guards.join() {
            rows.extend(result.map_err(ReferenceError::Worker)??);
        }
        let counted = Counted::of(&self.metrics);
        if counted.rejected > 0 {
            return Err(ReferenceError::Rejected {
                rejected: counted.rejected,
                read: counted.read,
            });
        }
        Ok(rows)
    }
}
