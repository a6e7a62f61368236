//! Who is calling: the bearer token of a request, checked against the tokens file (401 when
//! missing or unknown), its rate limit taken (429), and its grants checked per route (403).
//!
//! The order is fixed so answers leak nothing: an unauthenticated caller learns only that a token is
//! needed, whatever community or member it asked about; a token for community A asking about B
//! gets 403 before anything about B is read.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;

use super::App;
use super::error::ApiError;
use super::tokens::{Scope, TokenEntry, TokenSet};

/// How the server admits callers.
#[derive(Debug)]
pub enum Access {
    /// Only holders of a token in this set.
    Tokens(TokenSet),
    /// Everyone, with every grant (`--allow-anonymous`); rate-limited per client address.
    Anonymous,
}

/// The caller of a request, admitted and within its rate limit.
#[derive(Debug)]
pub enum Caller {
    /// A holder of this token.
    Token(Arc<TokenEntry>),
    /// Anyone (the server runs with `--allow-anonymous`).
    Anonymous,
}

impl Caller {
    /// 403 unless the caller may read `scope` of `community`.
    pub fn authorize(&self, community: &str, scope: Scope) -> Result<(), ApiError> {
        let Caller::Token(entry) = self else {
            return Ok(());
        };
        if !entry.communities.allows(community) {
            return Err(ApiError::forbidden(format!(
                "this token may not read community {community:?}"
            )));
        }
        if !entry.scopes.contains(&scope) {
            return Err(ApiError::forbidden(format!(
                "this token lacks the {} scope",
                scope.name()
            )));
        }
        Ok(())
    }
}

impl FromRequestParts<Arc<App>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Caller, ApiError> {
        let (caller, bucket) = match &app.access {
            Access::Anonymous => {
                let client = parts
                    .extensions
                    .get::<ConnectInfo<SocketAddr>>()
                    .map(|ConnectInfo(addr)| addr.ip().to_string())
                    .unwrap_or_default();
                (Caller::Anonymous, format!("client {client}"))
            }
            Access::Tokens(tokens) => {
                let entry = tokens
                    .verify(bearer(parts)?)
                    .ok_or_else(|| ApiError::unauthorized("the bearer token is not valid"))?;
                let bucket = format!("token {}", entry.id);
                (Caller::Token(entry), bucket)
            }
        };
        app.limiter
            .check(&bucket, Instant::now())
            .map_err(ApiError::rate_limited)?;
        Ok(caller)
    }
}

/// The token of an `Authorization: Bearer <token>` header (the scheme in any case, RFC 9110).
fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    let missing =
        || ApiError::unauthorized("this route needs an `Authorization: Bearer <token>` header");
    let value = parts
        .headers
        .get(header::AUTHORIZATION)
        .ok_or_else(missing)?
        .to_str()
        .map_err(|_| missing())?;
    let (scheme, token) = value.trim().split_once(' ').ok_or_else(missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(missing());
    }
    Ok(token.trim())
}
