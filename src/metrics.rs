//! Prometheus metrics. Labels are route templates and status codes, never ids or patient data.

use std::sync::LazyLock;
use std::time::Duration;

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry};

pub static REGISTRY: LazyLock<Registry> = LazyLock::new(Registry::new);

static REQUESTS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    let c = IntCounterVec::new(
        Opts::new(
            "rpl_http_requests_total",
            "HTTP requests by route and status",
        ),
        &["method", "route", "status"],
    )
    .expect("valid metric");
    REGISTRY
        .register(Box::new(c.clone()))
        .expect("registered once");
    c
});

static LATENCY: LazyLock<HistogramVec> = LazyLock::new(|| {
    let h = HistogramVec::new(
        HistogramOpts::new("rpl_http_request_duration_seconds", "HTTP request latency").buckets(
            vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ],
        ),
        &["method", "route"],
    )
    .expect("valid metric");
    REGISTRY
        .register(Box::new(h.clone()))
        .expect("registered once");
    h
});

pub fn observe_request(method: &str, route: &str, status: u16, elapsed: Duration) {
    REQUESTS
        .with_label_values(&[method, route, &status.to_string()])
        .inc();
    LATENCY
        .with_label_values(&[method, route])
        .observe(elapsed.as_secs_f64());
}
