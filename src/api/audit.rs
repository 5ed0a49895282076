//! `GET /v1/audit` (admin only): who read or changed which patient's data, and when.

use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::ApiError;
use super::pagination::{Page, PageParams};
use super::state::AppState;
use crate::auth::{Caller, Role};
use crate::domain::ids::{AuditEntryId, PatientId};
use crate::storage::audit::{self, AuditFilter, AuditRow};

/// Filters of the audit log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only this patient's accesses.
    pub patient_id: Option<uuid::Uuid>,
    /// Only this actor (`sub` of the token).
    pub actor: Option<String>,
    /// Only this action (`read`, `create`, `update`, `delete`, `ingest`, …).
    pub action: Option<String>,
    /// From this instant (inclusive).
    pub since: Option<DateTime<Utc>>,
    /// Until this instant (exclusive).
    pub until: Option<DateTime<Utc>>,
    /// Page size (1–500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// One audit row. Rows are immutable.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    #[schema(format = Uuid)]
    pub id: String,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub roles: Vec<String>,
    pub patient_id: Option<String>,
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
    pub request_id: String,
    pub outcome: String,
}

impl From<AuditRow> for AuditEntry {
    fn from(r: AuditRow) -> Self {
        AuditEntry {
            id: r.id.to_string(),
            at: r.at.and_utc(),
            actor: r.actor,
            roles: r
                .roles
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            patient_id: r.patient_id.map(|p| p.to_string()),
            action: r.action,
            resource_type: r.resource_type,
            resource_id: r.resource_id,
            request_id: r.request_id,
            outcome: r.outcome,
        }
    }
}

/// Read the clinic's audit log, oldest first.
#[utoipa::path(
    tag = "audit",
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of audit rows", body = Page<AuditEntry>),
        (status = 403, description = "Admins only", body = crate::api::error::Problem),
    ),
    security(("bearer" = []))
)]
#[get("/v1/audit")]
pub async fn list_audit(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    if !caller.has(Role::Admin) {
        return Err(ApiError::Forbidden);
    }
    let q = query.into_inner();
    let page = PageParams {
        limit: q.limit,
        cursor: q.cursor.clone(),
    };
    let limit = page.limit()?;
    let after = page.position()?.map(|p| parse_position(&p)).transpose()?;
    let filter = AuditFilter {
        patient_id: q.patient_id.map(PatientId::from),
        actor: q.actor,
        action: q.action,
        since: q.since.map(|t| t.naive_utc()),
        until: q.until.map(|t| t.naive_utc()),
        after,
    };
    let rows = state
        .db(move |conn| {
            Ok(audit::list(
                conn,
                &caller.clinic,
                &filter,
                i64::from(limit) + 1,
            )?)
        })
        .await?;
    let page = Page::from_rows(rows, limit, position_of, AuditEntry::from);
    Ok(HttpResponse::Ok().json(page))
}

fn position_of(row: &AuditRow) -> String {
    format!("{}|{}", row.at.and_utc().timestamp_micros(), row.id)
}

fn parse_position(p: &str) -> Result<(chrono::NaiveDateTime, AuditEntryId), ApiError> {
    let bad = || ApiError::field("cursor", "is not a cursor this service issued");
    let (micros, id) = p.split_once('|').ok_or_else(bad)?;
    let micros: i64 = micros.parse().map_err(|_| bad())?;
    let at = DateTime::from_timestamp_micros(micros)
        .ok_or_else(bad)?
        .naive_utc();
    Ok((at, id.parse().map_err(|_| bad())?))
}
