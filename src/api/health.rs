//! Liveness and readiness probes (no auth: they reveal nothing about patients).

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::ApiError;
use super::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`, or `unavailable` with the reason.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The process is up.
#[utoipa::path(tag = "operations", responses((status = 200, body = Health)))]
#[get("/health/live")]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok",
        reason: None,
    })
}

/// The database is reachable and migrated (503 otherwise).
#[utoipa::path(
    tag = "operations",
    responses((status = 200, body = Health), (status = 503, body = Health))
)]
#[get("/health/ready")]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let probe = state
        .db(|conn| crate::storage::ping(conn).map_err(ApiError::from))
        .await;
    match probe {
        Ok(()) => HttpResponse::Ok().json(Health {
            status: "ok",
            reason: None,
        }),
        Err(e) => HttpResponse::ServiceUnavailable().json(Health {
            status: "unavailable",
            reason: Some(match e {
                ApiError::Unavailable(_) => "database unreachable or not migrated".to_owned(),
                _ => "database check failed".to_owned(),
            }),
        }),
    }
}

/// Prometheus metrics: requests by route and status, latency histograms, ingest counts, pool use.
/// Labels carry route templates, never ids or patient data.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain"))
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let pool = state.pool.state();
    crate::metrics::observe_pool(pool.connections, pool.idle_connections);
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(crate::metrics::render())
}
