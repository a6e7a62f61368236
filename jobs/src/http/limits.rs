//! Limits that keep one client from taking the server: a token bucket per token (per client
//! address without tokens), and a cap on request bodies (no route reads one; a client sending a
//! large one is refused before anything reads it).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::App;
use super::error::ApiError;

/// Buckets kept before full (idle) ones are dropped: bounds memory when many client addresses
/// come and go.
const MAX_BUCKETS: usize = 10_000;

/// The configured limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Requests per second a token may make on average; 0 disables rate limiting.
    pub rate_per_sec: f64,
    /// Requests a token may make at once after being idle (the bucket's size).
    pub burst: u32,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: u64,
}

impl Default for Limits {
    /// 100 requests/s per token with bursts of 200; bodies up to 16 KiB (no route reads one).
    fn default() -> Self {
        Limits {
            rate_per_sec: 100.0,
            burst: 200,
            max_body_bytes: 16 * 1024,
        }
    }
}

/// A token bucket: `tokens` requests may be made now; it refills at the configured rate.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Token buckets by key (a token id, or a client address without tokens).
#[derive(Debug)]
pub struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    /// Buckets of `limits.burst` refilled at `limits.rate_per_sec`.
    pub fn new(limits: &Limits) -> RateLimiter {
        RateLimiter {
            rate: limits.rate_per_sec,
            burst: f64::from(limits.burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `key`'s bucket at `now`; when it is empty, how long until it holds
    /// one again.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), Duration> {
        if self.rate <= 0.0 {
            return Ok(());
        }
        // A poisoned lock only means another request panicked mid-update; the counts stay usable.
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(key) {
            let (rate, burst) = (self.rate, self.burst);
            buckets.retain(|_, b| refilled(b, now, rate, burst) < burst);
        }
        let bucket = buckets.entry(key.to_string()).or_insert(Bucket {
            tokens: self.burst,
            last: now,
        });
        bucket.tokens = refilled(bucket, now, self.rate, self.burst);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / self.rate))
        }
    }
}

/// What `bucket` holds at `now`.
fn refilled(bucket: &Bucket, now: Instant, rate: f64, burst: f64) -> f64 {
    let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
    (bucket.tokens + elapsed * rate).min(burst)
}

/// Refuses a request whose declared body is larger than the limit, or whose body has no declared
/// length (chunked): 413 before anything reads it.
pub async fn body_limit(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let chunked = headers.contains_key(header::TRANSFER_ENCODING);
    let max = app.limits.max_body_bytes;
    match declared {
        Some(n) if n > max => ApiError::too_large(format!(
            "the request body has {n} bytes; at most {max} are accepted"
        ))
        .into_response(),
        None if chunked => {
            ApiError::too_large("request bodies must declare their length".to_string())
                .into_response()
        }
        _ => next.run(request).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_refills_at_the_rate() {
        let limiter = RateLimiter::new(&Limits {
            rate_per_sec: 10.0,
            burst: 3,
            max_body_bytes: 0,
        });
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check("a", t0).is_ok());
        }
        let wait = limiter.check("a", t0).unwrap_err();
        assert!((wait.as_secs_f64() - 0.1).abs() < 1e-9, "{wait:?}");
        // another key has its own bucket
        assert!(limiter.check("b", t0).is_ok());
        // 100 ms later one request more, not two
        let t1 = t0 + Duration::from_millis(100);
        assert!(limiter.check("a", t1).is_ok());
        assert!(limiter.check("a", t1).is_err());
        // a long pause refills to the burst, not beyond
        let t2 = t1 + Duration::from_secs(60);
        for _ in 0..3 {
            assert!(limiter.check("a", t2).is_ok());
        }
        assert!(limiter.check("a", t2).is_err());
    }

    #[test]
    fn a_zero_rate_disables_limiting() {
        let limiter = RateLimiter::new(&Limits {
            rate_per_sec: 0.0,
            burst: 1,
            max_body_bytes: 0,
        });
        let now = Instant::now();
        assert!((0..1000).all(|_| limiter.check("a", now).is_ok()));
    }
}
