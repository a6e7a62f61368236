//! The HTTP API's command-line side, shared by `cohort serve` and `cohort run --http`: who may
//! call (a tokens file, or anonymous access when asked for), the limits, and binding the
//! listener — so both commands refuse and accept exactly the same things.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use cohort_jobs::config::Config;
use cohort_jobs::http::members::Members;
use cohort_jobs::http::pipeline::{CatchUp, Pipeline};
use cohort_jobs::http::store::ServingDb;
use cohort_jobs::http::tokens::TokenSet;
use cohort_jobs::http::{self, Access, Limits, ServeConfig};
use cohort_jobs::privacy::keys;

/// Who may call the API and how much.
#[derive(clap::Args)]
pub(crate) struct ApiArgs {
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
    /// Mebibytes of answers kept until the pipeline's next commit, so repeated questions skip
    /// the database (0: read every request). Only for a SQLite serving database.
    #[arg(long, value_name = "MIB", default_value_t = DEFAULT_ANSWER_CACHE_MIB)]
    answer_cache_mib: usize,
}

/// The answer cache's default size: tens of thousands of members' lists.
const DEFAULT_ANSWER_CACHE_MIB: usize = 64;

impl ApiArgs {
    /// Whether any of these flags was given (they mean nothing to a run without `--http`).
    pub(crate) fn given(&self) -> bool {
        let defaults = Limits::default();
        self.tokens.is_some()
            || self.allow_anonymous
            || self.rate_limit != defaults.rate_per_sec
            || self.rate_burst != defaults.burst
            || self.max_body_bytes != defaults.max_body_bytes
            || self.answer_cache_mib != DEFAULT_ANSWER_CACHE_MIB
    }

    /// The server's configuration for `database`, or why it must not start (`command` names the
    /// command in the message). `members` is called once access and limits are known to be
    /// fine, so a refused start loads (or makes) no key.
    pub(crate) fn config(
        &self,
        command: &str,
        database: ServingDb,
        members: impl FnOnce(&ServingDb) -> Result<Members>,
        pipeline: Option<Pipeline>,
    ) -> Result<ServeConfig> {
        let access = match (&self.tokens, self.allow_anonymous) {
            (Some(path), _) => Access::Tokens(TokenSet::load(path)?),
            (None, true) => Access::Anonymous,
            (None, false) => bail!(
                "{command} needs --tokens FILE (lines from `cohort token create`), or \
                 --allow-anonymous to serve every community to anyone who can connect"
            ),
        };
        if !self.rate_limit.is_finite() || self.rate_limit < 0.0 {
            bail!("--rate-limit must be 0 or more requests per second");
        }
        Ok(ServeConfig {
            members: members(&database)?,
            database,
            access,
            limits: Limits {
                rate_per_sec: self.rate_limit,
                burst: self.rate_burst,
                max_body_bytes: self.max_body_bytes,
            },
            pipeline,
            answer_cache_bytes: self.answer_cache_mib.saturating_mul(1 << 20),
        })
    }
}

/// How a server's access is described in the log line at start.
pub(crate) fn describe(config: &ServeConfig) -> String {
    match &config.access {
        Access::Tokens(set) => format!("{} tokens", set.len()),
        Access::Anonymous => "anonymous access".to_string(),
    }
}

/// Binds `addr` and prints `listening on http://ADDR` as the first line of standard output
/// (with port 0 the system picks one, and this line says which).
pub(crate) fn bind(addr: &str) -> Result<std::net::TcpListener> {
    let listener =
        std::net::TcpListener::bind(addr).with_context(|| format!("listening on {addr}"))?;
    listener.set_nonblocking(true)?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "listening on http://{}", listener.local_addr()?)?;
    stdout.flush()?;
    Ok(listener)
}

/// Serves `config` on `listener` until `shutdown` completes (on the calling thread's runtime).
pub(crate) async fn serve(
    listener: std::net::TcpListener,
    config: ServeConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let listener = tokio::net::TcpListener::from_std(listener)?;
    http::serve(listener, config, shutdown).await?;
    Ok(())
}

/// With `--http`: the API started beside the run (on the run's data directory and member key),
/// and the watcher that tells it when the run has caught up.
pub(crate) fn start_in_run(
    http: Option<&str>,
    api: &ApiArgs,
    config: &Config,
    metrics: &Arc<cohort_pipeline::Metrics>,
) -> Result<Option<(ApiThread, CatchUp)>> {
    let Some(addr) = http else {
        if api.given() {
            bail!(
                "--tokens, --allow-anonymous, the rate and size limits and the answer cache apply \
                 to --http only"
            );
        }
        return Ok(None);
    };
    let data_dir = &config.output.data_dir;
    // The run's own key (generated now if the run would generate it), so a raw member id in a
    // path finds the pseudonym the run stores.
    let members = |database: &ServingDb| {
        let configured = keys::configured(&config.privacy)?;
        let key = keys::for_members(&config.privacy, configured, data_dir)?;
        let members = Members::new(data_dir, key);
        members.check_at_start(database)?;
        Ok(members)
    };
    let pipeline = Pipeline::new(Arc::clone(metrics));
    // The run's own SQLite database: PostgreSQL, when configured, is a copy of it.
    let serve = api.config(
        "cohort run --http",
        ServingDb::new(&data_dir.join("serving.db")),
        members,
        Some(pipeline.clone()),
    )?;
    let described = describe(&serve);
    let listener = bind(addr)?;
    eprintln!("cohort run: serving the HTTP API on {addr}, {described}");
    let server = ApiThread::spawn(listener, serve)?;
    Ok(Some((
        server,
        CatchUp::new(pipeline, config.runtime.workers),
    )))
}

/// A server on a thread of its own, beside a running pipeline (`cohort run --http`).
pub(crate) struct ApiThread {
    stop: tokio::sync::oneshot::Sender<()>,
    thread: std::thread::JoinHandle<Result<()>>,
}

impl ApiThread {
    /// Starts serving `config` on `listener`.
    pub(crate) fn spawn(listener: std::net::TcpListener, config: ServeConfig) -> Result<ApiThread> {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("cohort-http")
            .enable_all()
            .build()?;
        let thread = std::thread::Builder::new()
            .name("cohort-http".into())
            .spawn(move || {
                runtime.block_on(serve(listener, config, async move {
                    let _ = stopped.await;
                }))
            })?;
        Ok(ApiThread { stop, thread })
    }

    /// Stops accepting connections, lets requests in flight finish, and waits for the thread.
    pub(crate) fn stop(self) -> Result<()> {
        let _ = self.stop.send(());
        match self.thread.join() {
            Ok(result) => result,
            Err(_) => bail!("the HTTP server thread panicked"),
        }
    }
}
