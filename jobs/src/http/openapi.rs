//! The OpenAPI 3.1 document served at `/openapi.json`. Written by hand next to the routes, and kept
//! honest by `jobs/tests/http_api.rs`, which validates every live answer of every route against it
//! (and checks that it lists exactly the routes the server answers).

use serde_json::{Value, json};

use super::params::{DEFAULT_K, DEFAULT_LIMIT, MAX_K};
use super::routes;

/// A path parameter.
fn path_param(name: &str, description: &str) -> Value {
    json!({
        "name": name, "in": "path", "required": true, "description": description,
        "schema": {"type": "string", "minLength": 1, "maxLength": 256}
    })
}

/// An optional query parameter.
fn query_param(name: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema})
}

/// `k`: list length.
fn k_param() -> Value {
    query_param(
        "k",
        "How many entries to answer with, best first.",
        json!({"type": "integer", "minimum": 1, "maximum": MAX_K, "default": DEFAULT_K}),
    )
}

/// A reference to a component schema.
fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// A JSON answer of schema `name`.
fn json_response(description: &str, name: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": schema_ref(name)}}
    })
}

/// A read route of the data API: bearer token with `scope`, the usual error answers.
fn data_operation(summary: &str, scope: &str, parameters: Vec<Value>, schema: &str) -> Value {
    let error = |description: &str| json_response(description, "Error");
    json!({
        "get": {
            "summary": summary,
            "description": format!("Needs a token for the community with the `{scope}` scope."),
            "security": [{"bearer": []}],
            "parameters": parameters,
            "responses": {
                "200": json_response("The rows, from the serving database.", schema),
                "400": error("A query or path parameter is malformed (`parameter` names it)."),
                "401": error("No bearer token, or not a valid one."),
                "403": error("The token may not read this community or lacks the scope."),
                "404": error("No such member or item in this community."),
                "413": error("The request has a body over the limit."),
                "429": error("The token's rate limit is exceeded; see Retry-After."),
                "500": error("Reading the serving database failed."),
                "503": error("The serving database or one of its tables does not exist yet."),
            }
        }
    })
}

/// A row object whose every property is required.
fn row(properties: Value) -> Value {
    let required: Vec<&String> = properties
        .as_object()
        .map(|p| p.keys().collect())
        .unwrap_or_default();
    json!({"type": "object", "additionalProperties": false, "required": required, "properties": properties})
}

/// The component schemas.
fn schemas() -> Value {
    let text = json!({"type": "string"});
    let time = json!({"type": "string", "format": "date-time"});
    let int = json!({"type": "integer"});
    let num = json!({"type": "number"});
    let opt = |t: &str| json!({"type": [t, "null"]});
    let list = |key: &str, owner: &str, item: &str| {
        row(json!({
            "community_id": text,
            owner: text,
            key: {"type": "array", "items": schema_ref(item)},
        }))
    };
    json!({
        "Error": {
            "type": "object", "additionalProperties": false, "required": ["error", "message"],
            "properties": {
                "error": {"type": "string", "description": "Machine-readable code.",
                    "enum": ["unauthorized", "forbidden", "not_found", "bad_request",
                             "method_not_allowed", "payload_too_large", "rate_limited",
                             "internal", "unavailable"]},
                "message": text,
                "parameter": {"type": "string", "description": "The parameter at fault."}
            }
        },
        "Recommendations": list("recommendations", "member_id", "Recommendation"),
        "Recommendation": row(json!({
            "rank": int, "item_id": text, "score": num, "reason": text, "epoch": int,
            "updated_at": time
        })),
        "SimilarItems": list("similar", "item_id", "SimilarItem"),
        "SimilarItem": row(json!({
            "rank": int, "other_item_id": text, "score": num, "epoch": int, "updated_at": time
        })),
        "Forecasts": row(json!({
            "community_id": text,
            "forecasts": {"type": "array", "items": schema_ref("Forecast")}
        })),
        "Forecast": row(json!({
            "channel_id": text, "metric": text, "hour": time, "horizon": int, "yhat": num,
            "lo80": num, "hi80": num, "lo95": num, "hi95": num, "model": text,
            "fitted_at": time, "epoch": int, "updated_at": time
        })),
        "Alerts": row(json!({
            "community_id": text,
            "alerts": {"type": "array", "items": schema_ref("Alert")}
        })),
        "Alert": row(json!({
            "alert_id": text, "kind": text, "rule": text, "channel_id": text,
            "member_id": opt("string"), "metric": opt("string"), "severity": text,
            "score": num, "status": {"type": "string", "enum": ["open", "closed"]},
            "first_seen": time, "last_seen": time, "count": int, "observed": opt("number"),
            "expected": opt("number"), "lo95": opt("number"), "hi95": opt("number"),
            "evidence": opt("string"), "closed_at": opt("string"), "verdict": opt("string"),
            "epoch": int, "updated_at": time
        })),
        "Health": row(json!({"status": {"type": "string", "enum": ["ok"]}})),
        "Readiness": row(json!({
            "status": {"type": "string", "enum": ["ready", "not_ready"]},
            "checkpoint_epoch": opt("integer"),
            "committed_at": opt("string"),
            "reason": opt("string"),
        })),
    })
}

/// The whole document.
pub fn document() -> Value {
    let c = || path_param("c", "Community id.");
    let public = |summary: &str, responses: Value| json!({"get": {"summary": summary, "security": [], "responses": responses}});
    let mut paths = serde_json::Map::new();
    let mut add = |route: &str, item: Value| {
        paths.insert(route.to_string(), item);
    };
    add(
        routes::RECOMMENDATIONS,
        data_operation(
            "A member's recommended items, by rank. The answer's `member_id` is the id as stored: \
             the member's pseudonym when ingest pseudonymises member ids.",
            "recs",
            vec![
                c(),
                path_param(
                    "m",
                    "The member's id as the events carry it (raw, not the pseudonym).",
                ),
                k_param(),
            ],
            "Recommendations",
        ),
    );
    add(
        routes::SIMILAR,
        data_operation(
            "Items similar to an item, by rank.",
            "recs",
            vec![c(), path_param("i", "Item id."), k_param()],
            "SimilarItems",
        ),
    );
    add(
        routes::FORECASTS,
        data_operation(
            "The community's current hourly forecasts (48 hours per series).",
            "forecasts",
            vec![
                c(),
                query_param(
                    "metric",
                    "Only this metric (e.g. `messages`, `revenue:CNY`).",
                    json!({"type": "string"}),
                ),
                query_param(
                    "channel",
                    "Only this channel; empty for the community-wide series.",
                    json!({"type": "string"}),
                ),
            ],
            "Forecasts",
        ),
    );
    add(
        routes::ALERTS,
        data_operation(
            "The community's alerts, newest last sighting first.",
            "alerts",
            vec![
                c(),
                query_param(
                    "status",
                    "Only open or only closed alerts.",
                    json!({"type": "string", "enum": ["open", "closed"]}),
                ),
                query_param(
                    "since",
                    "Only alerts last seen at or after this time.",
                    json!({"type": "string", "format": "date-time"}),
                ),
                query_param(
                    "limit",
                    "At most this many.",
                    json!({"type": "integer", "minimum": 1, "maximum": MAX_K, "default": DEFAULT_LIMIT}),
                ),
            ],
            "Alerts",
        ),
    );
    add(
        routes::HEALTHZ,
        public(
            "Liveness: the process answers.",
            json!({"200": json_response("Alive.", "Health")}),
        ),
    );
    add(
        routes::READYZ,
        public(
            "Readiness: the serving database and all its tables can be read.",
            json!({
                "200": json_response("Ready, with the newest checkpoint.", "Readiness"),
                "503": json_response("Not ready, with the reason.", "Readiness"),
            }),
        ),
    );
    add(
        routes::METRICS,
        public(
            "Prometheus metrics: requests by route and status, latency histograms.",
            json!({"200": {"description": "Prometheus text format 0.0.4.",
                           "content": {"text/plain": {"schema": {"type": "string"}}}}}),
        ),
    );
    add(
        routes::OPENAPI,
        public(
            "This document.",
            json!({"200": {"description": "OpenAPI 3.1.",
                           "content": {"application/json": {"schema": {
                               "type": "object", "required": ["openapi", "info", "paths"]}}}}}),
        ),
    );
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "cohort serving API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Read-only answers from cohort's serving database. Data routes need \
                `Authorization: Bearer <token>` (tokens from `cohort token create`), scoped to \
                communities and to the scopes recs, forecasts and alerts, unless the server runs \
                with --allow-anonymous. Every error is JSON of schema Error. See docs/http.md."
        },
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}
        }
    })
}
