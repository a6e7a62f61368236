//! The HTTP API (`cohort serve`, `cohort run --http`): read-only JSON answers from the serving database, for backend
//! services, behind scoped bearer tokens.
//!
//! - [`routes`]: the routes and handlers; [`queries`]: what they read; [`store`]: read-only,
//!   pooled connections to SQLite or PostgreSQL; [`sql`]: one query text for both; [`members`]: raw member ids to the pseudonyms stored;
//!   [`answers`]: answers kept until the next commit;
//! - [`tokens`]: tokens and the tokens file (salted hashes only); [`auth`]: who is calling and
//!   what it may read;
//! - [`limits`]: per-token rate limits and the request body cap; [`metrics`]: Prometheus counts
//!   and latency; [`openapi`]: the OpenAPI document; [`error`]: the JSON error answers;
//! - [`pipeline`]: readiness and counters of the pipeline a server runs inside.
//!
//! `docs/http.md` is the user's guide.

pub mod answers;
pub mod auth;
pub mod error;
pub mod limits;
pub mod members;
pub mod metrics;
pub mod openapi;
pub mod params;
pub mod pipeline;
pub mod queries;
pub mod routes;
pub mod sql;
pub mod store;
pub mod tokens;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

pub use auth::Access;
pub use limits::Limits;

use answers::Answers;
use limits::RateLimiter;
use members::Members;
use metrics::Metrics;
use store::ServingDb;

/// What `cohort serve` serves and how.
#[derive(Debug)]
pub struct ServeConfig {
    /// The serving tables served (a data directory's `serving.db`, or PostgreSQL).
    pub database: ServingDb,
    /// Who may call.
    pub access: Access,
    /// Rate and size limits.
    pub limits: Limits,
    /// How raw member ids in paths become the stored ids.
    pub members: Members,
    /// The pipeline the server runs inside (`cohort run --http`); `None` for `cohort serve`.
    pub pipeline: Option<pipeline::Pipeline>,
    /// Most bytes of answers kept until the next commit (0: none; [`answers`]).
    pub answer_cache_bytes: usize,
}

/// The state every request shares.
#[derive(Debug)]
pub struct App {
    db: ServingDb,
    /// One permit per pooled connection: reads beyond [`store::POOL_SIZE`] wait for a permit.
    reads: tokio::sync::Semaphore,
    answers: Answers,
    access: Access,
    limits: Limits,
    limiter: RateLimiter,
    members: Members,
    metrics: Metrics,
    pipeline: Option<pipeline::Pipeline>,
    /// The OpenAPI document, rendered once.
    openapi: String,
}

impl App {
    /// The state of a server with `config`.
    pub fn new(config: ServeConfig) -> App {
        App {
            answers: Answers::new(config.database.sqlite_path(), config.answer_cache_bytes),
            db: config.database,
            reads: tokio::sync::Semaphore::new(store::POOL_SIZE),
            limiter: RateLimiter::new(&config.limits),
            access: config.access,
            limits: config.limits,
            members: config.members,
            metrics: Metrics::default(),
            pipeline: config.pipeline,
            openapi: openapi::document().to_string(),
        }
    }
}

/// Serves `config` on `listener` until `shutdown` completes, then finishes the requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: ServeConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = routes::router(Arc::new(App::new(config)));
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
