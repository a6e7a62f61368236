//! The routes and their handlers. Data routes check the caller ([`Caller`]) first, then the
//! parameters, then read the database on a blocking thread (SQLite calls block).

use std::sync::Arc;

use super::sql::{ReadError, Reader};
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router, middleware};
use serde::Serialize;

use super::App;
use super::answers::Answer;
use super::auth::Caller;
use super::error::ApiError;
use super::params::{Params, path_id};
use super::queries::{self, Alert, AlertFilter, Forecast, Recommendation, SimilarItem};
use super::store::DbError;
use super::tokens::Scope;
use super::{limits, metrics};

/// A member's recommendations.
pub const RECOMMENDATIONS: &str = "/v1/communities/{c}/members/{m}/recommendations";
/// An item's similar items.
pub const SIMILAR: &str = "/v1/communities/{c}/items/{i}/similar";
/// A community's forecasts.
pub const FORECASTS: &str = "/v1/communities/{c}/forecasts";
/// A community's alerts.
pub const ALERTS: &str = "/v1/communities/{c}/alerts";
/// Liveness.
pub const HEALTHZ: &str = "/healthz";
/// Readiness.
pub const READYZ: &str = "/readyz";
/// Prometheus metrics.
pub const METRICS: &str = "/metrics";
/// The OpenAPI document.
pub const OPENAPI: &str = "/openapi.json";

/// Every route template (the metrics' `route` label takes only these values).
pub const ROUTES: [&str; 8] = [
    RECOMMENDATIONS,
    SIMILAR,
    FORECASTS,
    ALERTS,
    HEALTHZ,
    READYZ,
    METRICS,
    OPENAPI,
];

/// The API's router over `app`.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route(RECOMMENDATIONS, get(recommendations))
        .route(SIMILAR, get(similar))
        .route(FORECASTS, get(forecasts))
        .route(ALERTS, get(alerts))
        .route(HEALTHZ, get(healthz))
        .route(READYZ, get(readyz))
        .route(METRICS, get(prometheus))
        .route(OPENAPI, get(openapi))
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            Arc::clone(&app),
            limits::body_limit,
        ))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&app),
            metrics::record,
        ))
        .with_state(app)
}

/// `GET /v1/communities/{c}/members/{m}/recommendations?k=`.
#[derive(Debug, Serialize)]
struct Recommendations {
    community_id: String,
    member_id: String,
    recommendations: Vec<Recommendation>,
}

async fn recommendations(
    caller: Caller,
    State(app): State<Arc<App>>,
    path: Result<Path<(String, String)>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let (community, member) = two_ids(path, "m")?;
    caller.authorize(&community, Scope::Recs)?;
    let k = Params::new(query.as_deref(), &["k"])?.k()?;
    let stored = stored_member(&app, &member).await?;
    let key = format!("recommendations\0{community}\0{stored}\0{k}");
    let c = community.clone();
    let answer = kept_or_read(&app, key, move |conn| {
        let rows = queries::recommendations(conn, &c, &stored, k)?;
        Ok((!rows.is_empty()).then_some(Recommendations {
            community_id: c,
            member_id: stored,
            recommendations: rows,
        }))
    })
    .await?;
    answer.map(json).ok_or_else(|| {
        ApiError::not_found(format!(
            "no recommendations for member {member:?} in community {community:?}"
        ))
    })
}

/// The id the serving tables hold for the raw member id `raw` (its pseudonym when ingest
/// pseudonymised member ids). The first request after a run committed reads how.
async fn stored_member(app: &Arc<App>, raw: &str) -> Result<String, ApiError> {
    if !app.members.known()
        && let Some(written) = read(app, queries::member_key_id).await?
    {
        app.members.learn(written).map_err(|e| {
            tracing::error!("{e}");
            ApiError::unavailable(
                "the serving database's member ids were pseudonymised under another key than \
                 this server's (see the server's log)"
                    .to_string(),
            )
        })?;
    }
    Ok(app.members.stored(raw))
}

/// `GET /v1/communities/{c}/items/{i}/similar?k=`.
#[derive(Debug, Serialize)]
struct SimilarItems {
    community_id: String,
    item_id: String,
    similar: Vec<SimilarItem>,
}

async fn similar(
    caller: Caller,
    State(app): State<Arc<App>>,
    path: Result<Path<(String, String)>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let (community, item) = two_ids(path, "i")?;
    caller.authorize(&community, Scope::Recs)?;
    let k = Params::new(query.as_deref(), &["k"])?.k()?;
    let key = format!("similar\0{community}\0{item}\0{k}");
    let (c, i) = (community.clone(), item.clone());
    let answer = kept_or_read(&app, key, move |conn| {
        let rows = queries::similar_items(conn, &c, &i, k)?;
        Ok((!rows.is_empty()).then_some(SimilarItems {
            community_id: c,
            item_id: i,
            similar: rows,
        }))
    })
    .await?;
    answer.map(json).ok_or_else(|| {
        ApiError::not_found(format!(
            "no similar items for item {item:?} in community {community:?}"
        ))
    })
}

/// `GET /v1/communities/{c}/forecasts?metric=&channel=`.
#[derive(Debug, Serialize)]
struct Forecasts {
    community_id: String,
    forecasts: Vec<Forecast>,
}

async fn forecasts(
    caller: Caller,
    State(app): State<Arc<App>>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let community = one_id(path)?;
    caller.authorize(&community, Scope::Forecasts)?;
    let params = Params::new(query.as_deref(), &["metric", "channel"])?;
    let metric = params.text("metric")?.map(str::to_string);
    let channel = params.text("channel")?.map(str::to_string);
    let key = format!("forecasts\0{community}\0{metric:?}\0{channel:?}");
    let c = community.clone();
    let answer = kept_or_read(&app, key, move |conn| {
        let rows = queries::forecasts(conn, &c, metric.as_deref(), channel.as_deref())?;
        Ok(Some(Forecasts {
            community_id: c,
            forecasts: rows,
        }))
    })
    .await?;
    always(answer)
}

/// `GET /v1/communities/{c}/alerts?status=&since=&limit=`.
#[derive(Debug, Serialize)]
struct Alerts {
    community_id: String,
    alerts: Vec<Alert>,
}

async fn alerts(
    caller: Caller,
    State(app): State<Arc<App>>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let community = one_id(path)?;
    caller.authorize(&community, Scope::Alerts)?;
    let params = Params::new(query.as_deref(), &["status", "since", "limit"])?;
    let filter = AlertFilter {
        status: params.status()?,
        since: params.since()?,
        limit: params.limit()?,
    };
    let key = format!("alerts\0{community}\0{filter:?}");
    let c = community.clone();
    let answer = kept_or_read(&app, key, move |conn| {
        let rows = queries::alerts(conn, &c, &filter)?;
        Ok(Some(Alerts {
            community_id: c,
            alerts: rows,
        }))
    })
    .await?;
    always(answer)
}

/// `GET /healthz`: the process answers (no database access, no token).
async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

/// What `/readyz` answers.
#[derive(Debug, Serialize)]
struct Readiness {
    status: &'static str,
    checkpoint_epoch: Option<i64>,
    committed_at: Option<String>,
    reason: Option<String>,
}

/// `GET /readyz`: 200 once the serving database and all its tables can be read (and, inside a
/// run, once the pipeline has caught up), else 503 with the reason (no token).
async fn readyz(State(app): State<Arc<App>>) -> Response {
    if app.pipeline.as_ref().is_some_and(|p| !p.caught_up()) {
        let reason = "the pipeline is catching up: it has not yet read and committed what its \
                      sources held";
        return not_ready(reason.to_string());
    }
    match read(&app, queries::readiness).await {
        Ok(checkpoint) => {
            let (epoch, committed_at) = checkpoint.unzip();
            Json(Readiness {
                status: "ready",
                checkpoint_epoch: epoch,
                committed_at,
                reason: None,
            })
            .into_response()
        }
        Err(e) => not_ready(e.message().to_string()),
    }
}

/// `/readyz`'s 503.
fn not_ready(reason: String) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(Readiness {
            status: "not_ready",
            checkpoint_epoch: None,
            committed_at: None,
            reason: Some(reason),
        }),
    )
        .into_response()
}

/// `GET /metrics`: Prometheus text (no token: counts per route template carry no member data).
async fn prometheus(State(app): State<Arc<App>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        {
            let mut text = app.metrics.render();
            app.answers.render(&mut text);
            if let Some(pipeline) = &app.pipeline {
                pipeline.render(&mut text);
            }
            text
        },
    )
        .into_response()
}

/// `GET /openapi.json` (no token: it describes the API, not data).
async fn openapi(State(app): State<Arc<App>>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        app.openapi.clone(),
    )
        .into_response()
}

async fn unknown_route() -> ApiError {
    ApiError::not_found("no such route; /openapi.json lists the routes".to_string())
}

async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}

/// Runs `f` on a pooled read-only connection on tokio's blocking threads, once one of the pool's
/// permits is free (more reads at once would each open a connection of their own).
async fn read<T: Send + 'static>(
    app: &Arc<App>,
    f: impl FnOnce(&mut dyn Reader) -> Result<T, ReadError> + Send + 'static,
) -> Result<T, ApiError> {
    let _permit = app
        .reads
        .acquire()
        .await
        .map_err(|e| ApiError::from(DbError::Task(e.to_string())))?;
    let app = Arc::clone(app);
    tokio::task::spawn_blocking(move || app.db.read(f))
        .await
        .map_err(|e| ApiError::from(DbError::Task(e.to_string())))?
        .map_err(ApiError::from)
}

/// The JSON answer to the question `key`: kept since the last commit ([`super::answers`]), or
/// read now by `f` (`None`: the tables hold nothing for it) and kept for the next asker. The
/// generation is read *before* the tables, so a kept answer is never older than its generation.
async fn kept_or_read<T: Serialize + Send + 'static>(
    app: &Arc<App>,
    key: String,
    f: impl FnOnce(&mut dyn Reader) -> Result<Option<T>, ReadError> + Send + 'static,
) -> Result<Answer, ApiError> {
    let generation = app.answers.generation();
    if let Some(kept) = generation.and_then(|g| app.answers.get(g, &key)) {
        return Ok(kept);
    }
    let answer = match read(app, f).await? {
        Some(body) => Some(Bytes::from(serde_json::to_vec(&body).map_err(|e| {
            ApiError::internal(format!("encoding the answer failed: {e}"))
        })?)),
        None => None,
    };
    if let Some(generation) = generation {
        app.answers.keep(generation, key, answer.clone());
    }
    Ok(answer)
}

/// A JSON body as a 200 answer.
fn json(body: Bytes) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// The answer of a route that answers even when the tables hold nothing (an empty list).
fn always(answer: Answer) -> Result<Response, ApiError> {
    answer
        .map(json)
        .ok_or_else(|| ApiError::internal("a list route read no answer".to_string()))
}

/// The community id of a one-parameter path.
fn one_id(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    let Path(community) = path.map_err(|e| ApiError::bad_request(e.body_text()))?;
    path_id("c", &community)?;
    Ok(community)
}

/// The community id and the second id (named `second`) of a two-parameter path.
fn two_ids(
    path: Result<Path<(String, String)>, PathRejection>,
    second: &'static str,
) -> Result<(String, String), ApiError> {
    let Path((community, other)) = path.map_err(|e| ApiError::bad_request(e.body_text()))?;
    path_id("c", &community)?;
    path_id(second, &other)?;
    Ok((community, other))
}
