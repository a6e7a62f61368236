//! The `cohort` command line: parse, then call into `cohort_jobs`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};

mod analysis;
mod api_cli;
use analysis::{
    EvalCommand, PlotCommand, TrainCommand, eval_forecast, eval_moderation, eval_pii, eval_recs,
    plot_forecast, train_moderation,
};
mod compact_cli;
mod import_cli;
mod member_cli;
mod serve_cli;
use cohort_jobs::config::{self, Config};
use cohort_jobs::jsonl_out::JsonlOut;
use cohort_jobs::{ingest_job, produce, query, summary};
use cohort_pipeline::SourceSpec;
use cohort_pipeline::generate::{Generator, GeneratorConfig};
use cohort_pipeline::source::KafkaConfig;
use compact_cli::CompactArgs;
use import_cli::ImportCommand;
use member_cli::PseudonymArgs;
use serve_cli::{ServeArgs, TokenCommand};

/// cohort: incremental streaming analytics and recommendations for paid-knowledge communities.
#[derive(Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the pipeline. With no arguments: a bounded demo on about a million generated events, all
    /// outputs under ./cohort-data. Re-running on the same data directory resumes; nothing is written twice.
    Run(Box<RunArgs>),
    /// Write generated community traffic as JSON Lines (gzip when FILE ends in .gz).
    Generate(GenerateArgs),
    /// Convert another system's export into cohort events (JSON Lines, like `generate`).
    #[command(subcommand)]
    Import(ImportCommand),
    /// Run SQL over the Parquet lake (every lake table registered, with `date` and `hour` partition columns).
    Query(QueryArgs),
    /// Load a JSON Lines file (plain or .gz, e.g. from `cohort generate`) into the Kafka event topics,
    /// one topic per kind, keyed by community_id.
    Produce(ProduceArgs),
    /// Measure a job's quality on public data.
    #[command(subcommand)]
    Eval(EvalCommand),
    /// Fit a model on public or exported labelled data and write it to a file.
    #[command(subcommand)]
    Train(TrainCommand),
    /// Draw a chart from the lake.
    #[command(subcommand)]
    Plot(PlotCommand),
    /// Serve an existing serving database read-only over HTTP (JSON API with scoped bearer tokens,
    /// /healthz, /readyz, /metrics, /openapi.json), without running the pipeline. See docs/http.md.
    Serve(ServeArgs),
    /// Manage the HTTP API's tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Print the id a data directory stores for raw member ids (their pseudonyms when ingest
    /// pseudonymised them), for SQL over the lake or the serving database. See docs/privacy.md.
    Pseudonym(PseudonymArgs),
    /// Rewrite the lake for privacy: apply the erasure register (--apply-erasures) and drop date
    /// partitions past [lake.retention_days] (--retention); both without either flag. Takes the
    /// data directory's lock: not while a `cohort run` writes it. See docs/privacy.md.
    Compact(CompactArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum SourceKind {
    /// The built-in traffic generator.
    Generate,
    /// JSON Lines files (plain or .gz; a file or a directory).
    File,
    /// Kafka event topics (`[source] type = "kafka"` in the config, or --brokers/--topic-prefix).
    Kafka,
}

/// Where Kafka is, for `run --source kafka` and `produce`.
#[derive(clap::Args)]
struct KafkaArgs {
    /// Kafka bootstrap servers, host:port[,host:port].
    #[arg(long, value_name = "HOSTS")]
    brokers: Option<String>,
    /// Topic prefix: topics are PREFIX + views, likes, payments, chat, items, members, checkins, erasures.
    #[arg(long, value_name = "PREFIX")]
    topic_prefix: Option<String>,
}

impl KafkaArgs {
    fn apply(&self, kafka: &mut KafkaConfig) {
        if let Some(b) = &self.brokers {
            kafka.brokers = b.clone();
        }
        if let Some(p) = &self.topic_prefix {
            kafka.topic_prefix = p.clone();
        }
    }

    fn given(&self) -> bool {
        self.brokers.is_some() || self.topic_prefix.is_some()
    }
}

#[derive(clap::Args)]
struct RunArgs {
    /// TOML config file merged over the embedded defaults (see deploy/config/cohort.example.toml).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Where events come from.
    #[arg(long, value_enum)]
    source: Option<SourceKind>,
    /// Input file or directory for --source file.
    #[arg(long, value_name = "PATH")]
    input: Option<PathBuf>,
    /// Number of events for --source generate.
    #[arg(long, value_name = "N")]
    events: Option<u64>,
    /// Seed for --source generate.
    #[arg(long, value_name = "S")]
    seed: Option<u64>,
    /// Output root: Parquet lake in DIR/lake, serving database DIR/serving.db.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Also copy the serving tables to PostgreSQL at URL (sets `serving.backend = "postgres"` and
    /// `serving.postgres_url`). See docs/serving.md.
    #[arg(long, value_name = "URL")]
    postgres: Option<String>,
    /// Timely worker threads (of this process, in a cluster).
    #[arg(long, value_name = "N")]
    workers: Option<usize>,
    /// Cluster mode: the number of processes of the timely cluster (`[cluster] processes`). Start
    /// every process with the same flags and its own --process. See docs/cluster.md.
    #[arg(long, value_name = "N")]
    processes: Option<usize>,
    /// Cluster mode: this process's index, 0 to N-1 (`[cluster] process`); process 0 commits.
    #[arg(long, value_name = "I")]
    process: Option<usize>,
    /// Cluster mode: the hostfile, one host:port per line, line i = process i (`[cluster] hosts`).
    #[arg(long, value_name = "FILE")]
    hosts: Option<PathBuf>,
    /// Allowed lateness in milliseconds.
    #[arg(long, value_name = "MS")]
    lateness_ms: Option<i64>,
    /// Commit interval in milliseconds.
    #[arg(long, value_name = "MS")]
    checkpoint_interval_ms: Option<u64>,
    #[command(flatten)]
    kafka: KafkaArgs,
    /// With --source kafka: read the end offsets of every partition at start, process up to them,
    /// commit, print the summary and exit.
    #[arg(long)]
    exit_when_caught_up: bool,
    /// Also serve the HTTP API (as `cohort serve` does) on ADDR, host:port, while the run lasts;
    /// /readyz is ready once the run has caught up with its sources. The address bound is printed
    /// as the first line of standard output. See docs/http.md.
    #[arg(long, value_name = "ADDR")]
    http: Option<String>,
    #[command(flatten)]
    api: api_cli::ApiArgs,
}

#[derive(clap::Args)]
struct ProduceArgs {
    /// The JSON Lines file (plain or .gz).
    input: PathBuf,
    /// TOML config file whose [source] (type = "kafka") names brokers, topics and librdkafka options.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(flatten)]
    kafka: KafkaArgs,
}

#[derive(clap::Args)]
struct GenerateArgs {
    /// Number of events.
    #[arg(long, default_value_t = 1_000_000)]
    events: u64,
    /// Seed: the same seed gives byte-identical output.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Days of traffic.
    #[arg(long)]
    days: Option<u32>,
    /// Output file (`-` for standard output).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// An aligned text table.
    Table,
    /// CSV with a header line.
    Csv,
    /// One JSON object per row.
    Json,
}

#[derive(clap::Args)]
struct QueryArgs {
    /// The SQL statement, e.g. "SELECT count(*) FROM events_view".
    sql: String,
    /// The data directory whose lake to query.
    #[arg(long, value_name = "DIR", default_value = "./cohort-data")]
    data_dir: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Run(args) => run(*args),
        Command::Generate(args) => generate(args),
        Command::Import(ImportCommand::StackExchange(args)) => {
            import_cli::import_stackexchange(args)
        }
        Command::Query(args) => run_query(args),
        Command::Produce(args) => run_produce(args),
        Command::Eval(EvalCommand::Recs(args)) => eval_recs(args),
        Command::Eval(EvalCommand::Forecast(args)) => eval_forecast(args),
        Command::Eval(EvalCommand::Moderation(args)) => eval_moderation(&args),
        Command::Eval(EvalCommand::Pii(args)) => eval_pii(&args),
        Command::Train(TrainCommand::Moderation(args)) => train_moderation(&args),
        Command::Plot(PlotCommand::Forecast(args)) => plot_forecast(&args),
        Command::Serve(args) => serve_cli::serve(args),
        Command::Token(TokenCommand::Create(args)) => serve_cli::token_create(&args),
        Command::Pseudonym(args) => member_cli::pseudonym(&args),
        Command::Compact(args) => compact_cli::compact(&args),
    }
}

/// The Kafka settings of the config (defaults when its source is not Kafka), with flags applied.
fn kafka_config(config: &Config, args: &KafkaArgs) -> KafkaConfig {
    let mut kafka = match &config.source {
        SourceSpec::Kafka(k) => k.clone(),
        _ => KafkaConfig::default(),
    };
    args.apply(&mut kafka);
    kafka
}

fn resolve(args: &RunArgs) -> Result<Config> {
    let mut config = config::load(args.config.as_deref(), std::env::vars())?;
    match args.source {
        Some(SourceKind::File) => {
            let Some(path) = args.input.clone() else {
                bail!("--source file needs --input PATH");
            };
            config.source = SourceSpec::File { path };
        }
        Some(SourceKind::Generate) if !matches!(config.source, SourceSpec::Generate(_)) => {
            config.source = SourceSpec::Generate(GeneratorConfig::default());
        }
        Some(SourceKind::Kafka) => {
            config.source = SourceSpec::Kafka(kafka_config(&config, &args.kafka));
        }
        _ => {
            if let (Some(path), None) = (&args.input, args.source) {
                config.source = SourceSpec::File { path: path.clone() };
            }
        }
    }
    if let SourceSpec::Generate(g) = &mut config.source {
        if let Some(n) = args.events {
            g.events = n;
        }
        if let Some(s) = args.seed {
            g.seed = s;
        }
    } else if args.events.is_some() || args.seed.is_some() {
        bail!("--events and --seed apply to --source generate only");
    }
    match &mut config.source {
        SourceSpec::Kafka(kafka) => {
            args.kafka.apply(kafka);
            kafka.exit_when_caught_up |= args.exit_when_caught_up;
        }
        _ if args.kafka.given() || args.exit_when_caught_up => {
            bail!(
                "--brokers, --topic-prefix and --exit-when-caught-up apply to --source kafka only"
            );
        }
        _ => {}
    }
    if let Some(d) = &args.data_dir {
        config.output.data_dir = d.clone();
    }
    if let Some(url) = &args.postgres {
        config.serving.backend = config::ServingBackend::Postgres;
        config.serving.postgres_url = Some(url.clone());
    }
    if let Some(w) = args.workers {
        config.runtime.workers = w.max(1);
    }
    if let Some(l) = args.lateness_ms {
        config.runtime.allowed_lateness_ms = l;
    }
    if let Some(i) = args.checkpoint_interval_ms {
        config.runtime.checkpoint_interval_ms = i;
    }
    if let Some(n) = args.processes {
        config.cluster.processes = n;
    }
    if let Some(i) = args.process {
        config.cluster.process = i;
    }
    if let Some(h) = &args.hosts {
        config.cluster.hosts = Some(h.clone());
    }
    // Checked here as well as in the run, so a bad flag fails before anything starts.
    config.cluster.plan()?;
    Ok(config)
}

fn run(args: RunArgs) -> Result<()> {
    let config = resolve(&args)?;
    let total = match &config.source {
        SourceSpec::Generate(g) => Some(g.events),
        SourceSpec::File { .. } | SourceSpec::Kafka(_) => None,
    };
    // SIGINT/SIGTERM end the run cleanly: splits stop where they are, the last commit runs, and the
    // next run resumes there. A second signal kills as usual.
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register_conditional_shutdown(signal, 1, Arc::clone(&stop))?;
        signal_hook::flag::register(signal, Arc::clone(&stop))?;
    }
    let cluster = &config.cluster;
    let place = match cluster.processes {
        1 => String::new(),
        n => format!(" in process {} of a {n}-process cluster", cluster.process),
    };
    eprintln!(
        "cohort run: {} → {} ({} workers{place})",
        config.source.describe(),
        config.output.data_dir.display(),
        config.runtime.workers
    );
    let bar = if std::io::stderr().is_terminal() {
        let bar = match total {
            Some(n) => indicatif::ProgressBar::new(n),
            None => indicatif::ProgressBar::new_spinner(),
        };
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} records ({per_sec}) {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(bar)
    } else {
        None
    };
    let metrics = Arc::new(cohort_pipeline::Metrics::default());
    let (server, mut catch_up) =
        match api_cli::start_in_run(args.http.as_deref(), &args.api, &config, &metrics)? {
            Some((server, watch)) => (Some(server), Some(watch)),
            None => (None, None),
        };
    let mut last_log = std::time::Instant::now();
    let result = ingest_job::run_with(&config, &stop, Arc::clone(&metrics), |m| {
        if let Some(watch) = catch_up.as_mut() {
            watch.observe();
        }
        let (files, _, commits) = m.commit_totals();
        if let Some(bar) = &bar {
            bar.set_position(m.records_read());
            bar.set_message(format!("{commits} commits, {files} files"));
        } else if last_log.elapsed().as_secs() >= 5 {
            last_log = std::time::Instant::now();
            eprintln!(
                "progress: {} records read, {} commits, {} files",
                m.records_read(),
                commits,
                files
            );
        }
    });
    if let Some(server) = server {
        server.stop()?;
    }
    let report = result?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if report.recovered_files > 0 {
        eprintln!(
            "recovered: published {} files committed before an interruption",
            report.recovered_files
        );
    }
    print!("{}", summary::render(&report, &config.output.data_dir));
    if cluster.processes > 1 {
        println!(
            "\n(process {} of {}: the counts of this run are this process's workers'; process 0 commits for the whole cluster)",
            cluster.process, cluster.processes
        );
    }
    Ok(())
}

fn generate(args: GenerateArgs) -> Result<()> {
    let mut config = GeneratorConfig {
        events: args.events,
        seed: args.seed,
        ..GeneratorConfig::default()
    };
    if let Some(days) = args.days {
        config.days = days;
    }
    let generator = Generator::new(config);
    let started = std::time::Instant::now();
    let mut out = JsonlOut::create(&args.out)?;
    generator
        .write_all(&mut out)
        .map_err(|source| out.error(source))?;
    out.finish()?;
    if args.out.as_os_str() != "-" {
        eprintln!(
            "wrote {} events to {} in {:.2} s",
            args.events,
            args.out.display(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

fn run_query(args: QueryArgs) -> Result<()> {
    if !args.data_dir.join("lake").exists() {
        bail!(
            "{} has no lake yet; run `cohort run --data-dir {}` first",
            args.data_dir.display(),
            args.data_dir.display()
        );
    }
    let runtime = tokio::runtime::Runtime::new()?;
    let batches = runtime.block_on(query::query(&args.data_dir, &args.sql))?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.format {
        Format::Table => {
            let text = datafusion::arrow::util::pretty::pretty_format_batches(&batches)?;
            std::io::Write::write_all(&mut out, format!("{text}\n").as_bytes())?;
        }
        Format::Csv => {
            let mut w = datafusion::arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(&mut out);
            for b in &batches {
                w.write(b)?;
            }
        }
        Format::Json => {
            let mut w = datafusion::arrow::json::LineDelimitedWriter::new(&mut out);
            for b in &batches {
                w.write(b)?;
            }
            w.finish()?;
        }
    }
    Ok(())
}

fn run_produce(args: ProduceArgs) -> Result<()> {
    let config = config::load(args.config.as_deref(), std::env::vars())?;
    let kafka = kafka_config(&config, &args.kafka);
    let size = std::fs::metadata(&args.input)
        .with_context(|| format!("reading {}", args.input.display()))?
        .len();
    eprintln!(
        "cohort produce: {} → {} ({}*)",
        args.input.display(),
        kafka.brokers,
        kafka.topic_prefix
    );
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(size);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let report = produce::produce(&kafka, &args.input, |bytes, records| {
        if let Some(bar) = &bar {
            bar.set_position(bytes);
            bar.set_message(format!("{records} records"));
        }
    })?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let seconds = report.elapsed.as_secs_f64().max(1e-9);
    println!(
        "produced {} records in {:.2} s ({:.0} records/s)",
        report.records,
        seconds,
        report.records as f64 / seconds
    );
    for (topic, n) in &report.per_topic {
        println!("  {topic:<24} {n}");
    }
    if report.unroutable > 0 {
        println!(
            "  {} lines had no readable kind; they went to {} unkeyed, to be dead-lettered by the pipeline",
            report.unroutable,
            kafka.topic("views")
        );
    }
    Ok(())
}
