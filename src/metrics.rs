//! Prometheus metrics. Labels are route templates and status codes, never ids or patient data.

use std::sync::LazyLock;
use std::time::Duration;

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry};

pub static REGISTRY: LazyLock<Registry> = LazyLock::new(Registry::new);

/// A metric, registered once with [`REGISTRY`] (a metric definition is fixed text: an error here
/// is a bug).
pub fn registered<M>(metric: prometheus::Result<M>) -> M
where
    M: prometheus::core::Collector + Clone + 'static,
{
    let metric = metric.expect("valid metric");
    REGISTRY
        .register(Box::new(metric.clone()))
        .expect("registered once");
    metric
}

static REQUESTS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    registered(IntCounterVec::new(
        Opts::new(
            "rpl_http_requests_total",
            "HTTP requests by route and status",
        ),
        &["method", "route", "status"],
    ))
});

static LATENCY: LazyLock<HistogramVec> = LazyLock::new(|| {
    registered(HistogramVec::new(
        HistogramOpts::new("rpl_http_request_duration_seconds", "HTTP request latency").buckets(
            vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ],
        ),
        &["method", "route"],
    ))
});

pub fn observe_request(method: &str, route: &str, status: u16, elapsed: Duration) {
    REQUESTS
        .with_label_values(&[method, route, &status.to_string()])
        .inc();
    LATENCY
        .with_label_values(&[method, route])
        .observe(elapsed.as_secs_f64());
}

/// The registry in Prometheus text format.
pub fn render() -> String {
    use prometheus::Encoder;
    // Touch the lazily registered families so they show even before the first request.
    LazyLock::force(&REQUESTS);
    LazyLock::force(&LATENCY);
    LazyLock::force(&INGESTED);
    LazyLock::force(&TRANSACTION_RETRIES);
    LazyLock::force(&UNREADABLE_ROWS);
    LazyLock::force(&AUDIT_BATCHES);
    let mut out = Vec::new();
    let _ = prometheus::TextEncoder::new().encode(&REGISTRY.gather(), &mut out);
    String::from_utf8(out).unwrap_or_default()
}

static POOL: LazyLock<prometheus::IntGaugeVec> = LazyLock::new(|| {
    registered(prometheus::IntGaugeVec::new(
        Opts::new(
            "rpl_db_pool_connections",
            "Database pool connections by state",
        ),
        &["state"],
    ))
});

pub fn observe_pool(connections: u32, idle: u32) {
    POOL.with_label_values(&["open"])
        .set(i64::from(connections));
    POOL.with_label_values(&["idle"]).set(i64::from(idle));
    POOL.with_label_values(&["in_use"])
        .set(i64::from(connections.saturating_sub(idle)));
}

static INGESTED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    registered(IntCounterVec::new(
        Opts::new(
            "rpl_ingested_results_total",
            "Lab results received, by feed (json, fhir, hl7v2) and outcome (created, versioned, \
             unchanged, unmapped, rejected)",
        ),
        &["feed", "outcome"],
    ))
});

static WORKLIST_REFRESHES: LazyLock<IntCounterVec> = LazyLock::new(|| {
    registered(IntCounterVec::new(
        Opts::new(
            "rpl_worklist_refreshes_total",
            "Worklist summaries re-evaluated, by reason (write, clinic, time, seed, deferred)",
        ),
        &["reason"],
    ))
});

/// Counts `n` lab results of `feed` with `outcome` (after their transaction committed).
pub fn count_ingested(feed: &str, outcome: &str, n: u64) {
    if n > 0 {
        INGESTED.with_label_values(&[feed, outcome]).inc_by(n);
    }
}

/// One worklist summary re-evaluated.
pub fn observe_worklist_refresh(reason: &str) {
    WORKLIST_REFRESHES.with_label_values(&[reason]).inc();
}

static TRANSACTION_RETRIES: LazyLock<prometheus::IntCounter> = LazyLock::new(|| {
    registered(prometheus::IntCounter::new(
        "rpl_transaction_retries_total",
        "Write transactions run again after a deadlock, serialization failure or busy database",
    ))
});

/// One transaction run again after contention.
pub fn count_transaction_retry() {
    TRANSACTION_RETRIES.inc();
}

static UNREADABLE_ROWS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    registered(IntCounterVec::new(
        Opts::new(
            "rpl_unreadable_rows_total",
            "Stored rows that did not parse (each failed its request instead of being skipped)",
        ),
        &["table"],
    ))
});

/// One stored row of `table` that did not parse.
pub fn count_unreadable_row(table: &str) {
    UNREADABLE_ROWS.with_label_values(&[table]).inc();
}

static AUDIT_BATCHES: LazyLock<IntCounterVec> = LazyLock::new(|| {
    registered(IntCounterVec::new(
        Opts::new(
            "rpl_audit_batches_total",
            "Group commits of read audit rows, by outcome",
        ),
        &["outcome"],
    ))
});

static AUDIT_BATCH_REQUESTS: LazyLock<prometheus::Histogram> = LazyLock::new(|| {
    registered(prometheus::Histogram::with_opts(
        HistogramOpts::new(
            "rpl_audit_batch_requests",
            "Reads whose audit rows one group commit wrote",
        )
        .buckets(vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0]),
    ))
});

/// One group commit of read audit rows, for `requests` reads.
pub fn observe_audit_batch(requests: usize, written: bool) {
    AUDIT_BATCHES
        .with_label_values(&[if written { "written" } else { "failed" }])
        .inc();
    AUDIT_BATCH_REQUESTS.observe(requests as f64);
}
