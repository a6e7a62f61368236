//! The serving subcommands (`cohort serve`, `cohort token create`): their arguments and the thin
//! handlers that call `cohort_jobs::http`, kept apart from the pipeline commands in `main.rs`.

use std::path::PathBuf;

use anyhow::Result;
use clap::Subcommand;
use cohort_jobs::config;
use cohort_jobs::http::members::Members;
use cohort_jobs::http::store::ServingDb;
use cohort_jobs::http::tokens;
use cohort_jobs::privacy::keys;

use crate::api_cli::{self, ApiArgs};

#[derive(clap::Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on, host:port (port 0 picks a free one). The address bound is printed
    /// as the first line of standard output.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    http: String,
    /// The data directory whose serving database (DIR/serving.db) to serve, read-only.
    #[arg(long, value_name = "DIR", default_value = "./cohort-data")]
    data_dir: PathBuf,
    /// TOML config file whose [privacy] key_file holds the key member ids were pseudonymised
    /// with. The environment variable COHORT_PRIVACY_KEY takes precedence; with neither, the key
    /// a run generated in DIR is used.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(flatten)]
    api: ApiArgs,
}

#[derive(Subcommand)]
pub(crate) enum TokenCommand {
    /// Create an API token. Prints the token once (first line, as its last word) and the line to
    /// add to the tokens file (last line), which holds only a salted hash of it.
    Create(TokenCreateArgs),
}

#[derive(clap::Args)]
pub(crate) struct TokenCreateArgs {
    /// Communities the token may read: a comma-separated list, or `*` for all.
    #[arg(long, value_name = "LIST")]
    communities: String,
    /// Scopes it may read: a comma-separated list of recs, forecasts, alerts.
    #[arg(long, value_name = "LIST")]
    scopes: String,
}

/// `cohort serve`.
pub(crate) fn serve(args: ServeArgs) -> Result<()> {
    let database = args.data_dir.join("serving.db");
    // The same key as the run's, so a raw member id in a path finds its pseudonym; a key that
    // does not fit the database refuses to start rather than answer 404 for every member.
    let members = || {
        let privacy = config::load(args.config.as_deref(), std::env::vars())?.privacy;
        let members = Members::new(&args.data_dir, keys::for_serving(&privacy, &args.data_dir)?);
        members.check_at_start(&ServingDb::new(&database))?;
        Ok(members)
    };
    let config = args
        .api
        .config("cohort serve", &args.data_dir, members, None)?;
    let described = api_cli::describe(&config);
    let shutdown = shutdown_signal()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let listener = api_cli::bind(&args.http)?;
    eprintln!(
        "cohort serve: {} read-only, {described}",
        database.display()
    );
    if !database.is_file() {
        eprintln!(
            "warning: {} does not exist yet; data routes answer 503 until a run writes it",
            database.display()
        );
    }
    runtime.block_on(api_cli::serve(listener, config, shutdown))
}

/// Completes on the first SIGINT or SIGTERM (requests in flight then finish); a second one exits
/// at once.
fn shutdown_signal() -> Result<impl Future<Output = ()> + Send + 'static> {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let mut signals = signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
    ])?;
    std::thread::spawn(move || {
        let mut forever = signals.forever();
        if forever.next().is_some() {
            let _ = tx.send(());
        }
        if forever.next().is_some() {
            std::process::exit(130);
        }
    });
    Ok(async move {
        let _ = rx.await;
    })
}

/// `cohort token create`.
pub(crate) fn token_create(args: &TokenCreateArgs) -> Result<()> {
    let new = tokens::create(&args.communities, &args.scopes)?;
    println!(
        "new API token (shown only now; the tokens file keeps only a salted hash): {}",
        new.token
    );
    println!("add this line to the tokens file (cohort serve --tokens FILE):");
    println!("{}", new.entry.line());
    Ok(())
}
