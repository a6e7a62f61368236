//! The serving subcommands (`cohort serve`, `cohort token create`): their arguments and the thin
//! handlers that call `cohort_jobs::http`, kept apart from the pipeline commands in `main.rs`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use cohort_jobs::config;
use cohort_jobs::http::members::Members;
use cohort_jobs::http::store::ServingDb;
use cohort_jobs::http::tokens::{self, TokenSet};
use cohort_jobs::http::{self, Access, Limits, ServeConfig};
use cohort_jobs::privacy::keys;

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
    /// The tokens file (lines from `cohort token create`); every data route needs one of its
    /// tokens.
    #[arg(long, value_name = "FILE", conflicts_with = "allow_anonymous")]
    tokens: Option<PathBuf>,
    /// Serve every community to anyone who can connect, without tokens (only for a loopback
    /// address or a trusted network; rate-limited per client address).
    #[arg(long)]
    allow_anonymous: bool,
    /// Requests per second each token may make on average (0: no limit).
    #[arg(long, value_name = "N", default_value_t = Limits::default().rate_per_sec)]
    rate_limit: f64,
    /// Requests a token may make at once after being idle.
    #[arg(long, value_name = "N", default_value_t = Limits::default().burst)]
    rate_burst: u32,
    /// Largest request body accepted, in bytes (no route reads one).
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_body_bytes)]
    max_body_bytes: u64,
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
    let access = match (&args.tokens, args.allow_anonymous) {
        (Some(path), _) => Access::Tokens(TokenSet::load(path)?),
        (None, true) => Access::Anonymous,
        (None, false) => bail!(
            "cohort serve needs --tokens FILE (lines from `cohort token create`), or \
             --allow-anonymous to serve every community to anyone who can connect"
        ),
    };
    if !args.rate_limit.is_finite() || args.rate_limit < 0.0 {
        bail!("--rate-limit must be 0 or more requests per second");
    }
    let described = match &access {
        Access::Tokens(set) => format!("{} tokens", set.len()),
        Access::Anonymous => "anonymous access".to_string(),
    };
    let database = args.data_dir.join("serving.db");
    // The same key as the run's, so a raw member id in a path finds its pseudonym; a key that
    // does not fit the database refuses to start rather than answer 404 for every member.
    let privacy = config::load(args.config.as_deref(), std::env::vars())?.privacy;
    let members = Members::new(&args.data_dir, keys::for_serving(&privacy, &args.data_dir)?);
    members.check_at_start(&ServingDb::new(&database))?;
    let config = ServeConfig {
        data_dir: args.data_dir,
        access,
        members,
        limits: Limits {
            rate_per_sec: args.rate_limit,
            burst: args.rate_burst,
            max_body_bytes: args.max_body_bytes,
        },
    };
    let shutdown = shutdown_signal()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.http)
            .await
            .with_context(|| format!("listening on {}", args.http))?;
        let addr = listener.local_addr()?;
        let mut stdout = std::io::stdout();
        writeln!(stdout, "listening on http://{addr}")?;
        stdout.flush()?;
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
        http::serve(listener, config, shutdown).await?;
        Ok::<(), anyhow::Error>(())
    })
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
