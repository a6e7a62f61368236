//! Prometheus metrics of the API: requests by route and status, and a latency histogram per route.
//!
//! Routes are labelled by their template (`/v1/communities/{c}/alerts`), never by the path asked
//! for: paths carry member ids (personal data) and would make one series per member.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use cohort_pipeline::prometheus::{self, Histogram};

use super::App;
use super::routes::ROUTES;

/// The label of requests that matched no route.
const UNMATCHED: &str = "unmatched";

/// Counts of one route.
#[derive(Debug, Default)]
struct RouteStats {
    by_status: BTreeMap<u16, u64>,
    latency: Histogram,
}

/// The API's counters, shared by every request.
#[derive(Debug, Default)]
pub struct Metrics {
    routes: Mutex<BTreeMap<&'static str, RouteStats>>,
}

impl Metrics {
    /// Records one answered request.
    pub fn observe(&self, route: &'static str, status: u16, secs: f64) {
        let mut routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        let stats = routes.entry(route).or_default();
        *stats.by_status.entry(status).or_default() += 1;
        stats.latency.observe(secs);
    }

    /// The Prometheus text exposition (format 0.0.4).
    pub fn render(&self) -> String {
        let routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::new();
        prometheus::family(
            &mut out,
            "cohort_http_requests_total",
            "counter",
            "HTTP requests answered, by route template and status.",
        );
        for (route, stats) in routes.iter() {
            for (status, n) in &stats.by_status {
                let labels = format!("route=\"{route}\",status=\"{status}\"");
                prometheus::sample(&mut out, "cohort_http_requests_total", &labels, n);
            }
        }
        prometheus::family(
            &mut out,
            "cohort_http_request_duration_seconds",
            "histogram",
            "Time from receiving a request to its answer, by route template.",
        );
        for (route, stats) in routes.iter() {
            let labels = format!("route=\"{route}\"");
            stats
                .latency
                .render("cohort_http_request_duration_seconds", &labels, &mut out);
        }
        out
    }
}

/// Middleware: times every request and counts it under its route template.
pub async fn record(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .and_then(|m| ROUTES.iter().copied().find(|r| *r == m.as_str()))
        .unwrap_or(UNMATCHED);
    let response = next.run(request).await;
    app.metrics.observe(
        route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_counts_by_status_and_accumulates_buckets() {
        let m = Metrics::default();
        m.observe("/healthz", 200, 0.0002);
        m.observe("/healthz", 200, 0.003);
        m.observe("/healthz", 404, 9.0);
        let text = m.render();
        for line in [
            "cohort_http_requests_total{route=\"/healthz\",status=\"200\"} 2",
            "cohort_http_requests_total{route=\"/healthz\",status=\"404\"} 1",
            "cohort_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.0005\"} 1",
            "cohort_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.005\"} 2",
            "cohort_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"2.5\"} 2",
            "cohort_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"+Inf\"} 3",
            "cohort_http_request_duration_seconds_count{route=\"/healthz\"} 3",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
        }
    }
}
