//! Error answers: every failure is JSON `{"error": code, "message": text}` (plus `parameter` when one
//! query or path parameter is at fault), so clients handle one shape and never parse prose.

use std::time::Duration;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::store::DbError;

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
    retry_after: Option<Duration>,
}

/// The JSON of an error answer (the OpenAPI document's `Error` schema).
#[derive(Debug, Serialize)]
struct ErrorBody {
    /// Machine-readable code: `unauthorized`, `forbidden`, `not_found`, `bad_request`, …
    error: &'static str,
    /// What went wrong, for people.
    message: String,
    /// The query or path parameter at fault, if one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    parameter: Option<&'static str>,
}

impl ApiError {
    fn new(status: StatusCode, error: &'static str, message: String) -> ApiError {
        ApiError {
            status,
            body: ErrorBody {
                error,
                message,
                parameter: None,
            },
            retry_after: None,
        }
    }

    /// 401: no token, or not a valid one.
    pub fn unauthorized(message: &str) -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            message.to_string(),
        )
    }

    /// 403: a valid token without the right to this community or scope.
    pub fn forbidden(message: String) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 404: no such route, member or item.
    pub fn not_found(message: String) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 400 naming the parameter at fault.
    pub fn bad_parameter(parameter: &'static str, message: String) -> ApiError {
        let mut e = ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message);
        e.body.parameter = Some(parameter);
        e
    }

    /// 400 about the request as a whole.
    pub fn bad_request(message: String) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 405: the route exists, the method does not.
    pub fn method_not_allowed() -> ApiError {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "the API is read-only: only GET (and HEAD) are served".to_string(),
        )
    }

    /// 413: the request body is over the limit.
    pub fn too_large(message: String) -> ApiError {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message)
    }

    /// 429: the token's bucket is empty for `wait`.
    pub fn rate_limited(wait: Duration) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("rate limit exceeded; retry in {:.3} s", wait.as_secs_f64()),
        );
        e.retry_after = Some(wait);
        e
    }

    /// 503: the data cannot be served as it is (not written yet, or under another key).
    pub fn unavailable(message: String) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }

    /// 500: something that should not happen did.
    pub fn internal(message: String) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    /// The status it answers with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Its message.
    pub fn message(&self) -> &str {
        &self.body.message
    }
}

impl From<DbError> for ApiError {
    /// A missing database or table is 503 (the pipeline has not written it yet, or wrote an older
    /// schema); anything else SQLite says is 500. The details go to the log, not to the client.
    fn from(e: DbError) -> ApiError {
        match &e {
            DbError::Missing(_) | DbError::MissingTable { .. } | DbError::Unavailable { .. } => {
                tracing::warn!("serving database unavailable: {e}");
                ApiError::unavailable(e.public_message())
            }
            DbError::Sql { .. } | DbError::Task(_) | DbError::Url(_) => {
                tracing::error!("serving database: {e}");
                ApiError::internal(e.public_message())
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body)).into_response();
        let headers = response.headers_mut();
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(wait) = self.retry_after {
            // Whole seconds, rounded up (Retry-After has no fractions).
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        response
    }
}
