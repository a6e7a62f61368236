//! The analysis subcommands (`cohort eval`, `cohort train`, `cohort plot`): their arguments and
//! the thin handlers that call the library, kept apart from the pipeline commands in `main.rs`.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use cohort_jobs::config;
use cohort_jobs::forecast::m4;
use cohort_jobs::moderation;
use cohort_jobs::recs::eval::{self, Protocol};

#[derive(Subcommand)]
pub(crate) enum PlotCommand {
    /// The last two weeks of one hourly series (from the lake's event tables) with the model's
    /// 48-hour forecast and its 80% and 95% bands, as SVG.
    Forecast(PlotForecastArgs),
}

#[derive(clap::Args)]
pub(crate) struct PlotForecastArgs {
    /// The community.
    #[arg(long, value_name = "C")]
    community: String,
    /// active_members, messages, views, likes, purchases, revenue:<CURRENCY>, joins, leaves, checkins.
    #[arg(long, value_name = "M")]
    metric: String,
    /// A chat channel (messages and active_members only); the whole community when absent.
    #[arg(long, value_name = "CH", default_value = "")]
    channel: String,
    /// Where to write the SVG (stdout when absent).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// The data directory whose lake to read.
    #[arg(long, value_name = "DIR", default_value = "./cohort-data")]
    data_dir: PathBuf,
}

#[derive(Subcommand)]
pub(crate) enum EvalCommand {
    /// Recommendations on a ratings file (MovieLens u.data, MovieLens CSV, or CSV with user,item,time
    /// columns), cohort next to the popularity baseline.
    Recs(EvalRecsArgs),
    /// Hourly forecasts on an M4-format file (e.g. M4's Hourly-train.csv), cohort next to the
    /// seasonal-naive and Naive2 benchmarks: sMAPE, MASE, OWA, time per series.
    Forecast(EvalForecastArgs),
    /// The moderation classifier on a labelled file (UCI SMS spam, COLD, or label,text CSV):
    /// stratified k-fold cross-validation, or train on one file and score another.
    Moderation(moderation::cli::EvalArgs),
    /// The PII detectors: recall on generated, checksum-valid PII in sentences (--generated N), or
    /// the share of real messages that should hold none but raise a `pii` alert (--data FILE).
    Pii(moderation::cli::EvalPiiArgs),
}

#[derive(Subcommand)]
pub(crate) enum TrainCommand {
    /// The moderation classifier (spam / abuse), from a labelled file to a versioned model file.
    Moderation(moderation::cli::TrainArgs),
}

#[derive(clap::Args)]
pub(crate) struct EvalRecsArgs {
    /// The ratings file.
    #[arg(long, value_name = "FILE")]
    ratings: PathBuf,
    /// split: per-user random 80/20, Recall@20, NDCG@10, HR@10, coverage. prequential: time-ordered
    /// replay, recommend-then-update over the second half, HR@10.
    #[arg(long, value_enum, default_value = "split")]
    protocol: Protocol,
    /// Split: seeds to average over.
    #[arg(long, default_value_t = 3)]
    seeds: u32,
    /// Prequential: the second half is applied in steps of this many seconds of event time (0: one
    /// event per step, the exact protocol).
    #[arg(long, value_name = "N", default_value_t = eval::prequential::DEFAULT_STEP_SECONDS)]
    step_seconds: u64,
    /// TOML config file whose [recs] section sets the model (merged over the embedded defaults).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub(crate) struct EvalForecastArgs {
    /// The M4-format CSV: series id, then its values, padded with NA or empty fields.
    #[arg(long, value_name = "FILE")]
    m4: PathBuf,
    /// Hold out this many values at the end of each series and score the forecasts on them.
    #[arg(long, value_name = "N", default_value_t = m4::eval::HOURLY_HORIZON, conflicts_with = "test")]
    holdout: usize,
    /// Use the whole file as history and score against this M4 test file (same series ids).
    #[arg(long, value_name = "TEST_FILE")]
    test: Option<PathBuf>,
    /// Worker threads (0: one per core).
    #[arg(long, value_name = "N", default_value_t = 0)]
    threads: usize,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

pub(crate) fn eval_recs(args: EvalRecsArgs) -> Result<()> {
    let config = config::load(args.config.as_deref(), std::env::vars())?.recs;
    let options = eval::EvalOptions {
        protocol: args.protocol,
        seeds: args.seeds,
        step_seconds: args.step_seconds,
        config,
    };
    let report = eval::evaluate(&args.ratings, &options)?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", eval::table::render(&report));
    }
    Ok(())
}

pub(crate) fn eval_moderation(args: &moderation::cli::EvalArgs) -> Result<()> {
    let report = moderation::cli::evaluate(args)?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", moderation::eval::table::render(&report));
    }
    Ok(())
}

pub(crate) fn eval_pii(args: &moderation::cli::EvalPiiArgs) -> Result<()> {
    let outcome = moderation::cli::evaluate_pii(args)?;
    if args.json {
        println!("{}", serde_json::to_string(&outcome)?);
    } else {
        print!("{}", moderation::cli::render_pii(&outcome));
    }
    Ok(())
}

pub(crate) fn plot_forecast(args: &PlotForecastArgs) -> Result<()> {
    use cohort_jobs::forecast::{plot, plot_data, series};
    let metric: series::Metric = args.metric.parse()?;
    if !args.data_dir.join("lake").exists() {
        bail!(
            "{} has no lake yet; run `cohort run --data-dir {}` first",
            args.data_dir.display(),
            args.data_dir.display()
        );
    }
    let key = series::SeriesKey::new(&args.community, &args.channel, metric);
    let runtime = tokio::runtime::Runtime::new()?;
    let chart = runtime.block_on(plot_data::forecast_chart(&args.data_dir, &key))?;
    let svg = plot::render_svg(&chart);
    match &args.out {
        Some(path) => {
            std::fs::write(path, svg).with_context(|| format!("writing {}", path.display()))?
        }
        None => print!("{svg}"),
    }
    Ok(())
}

pub(crate) fn train_moderation(args: &moderation::cli::TrainArgs) -> Result<()> {
    let model = moderation::cli::train(args)?;
    println!("{}", moderation::cli::describe(&model, &args.out));
    Ok(())
}

pub(crate) fn eval_forecast(args: EvalForecastArgs) -> Result<()> {
    let options = m4::eval::EvalOptions {
        holdout: args.holdout,
        test: args.test,
        threads: args.threads,
        ..m4::eval::EvalOptions::default()
    };
    let report = m4::eval::evaluate(&args.m4, &options)?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", m4::table::render(&report));
    }
    Ok(())
}
