//! `GET /v1/worklist`: the clinic's patients with open work, for dashboards. Served from the
//! per-patient summaries kept current by every write (`workup::refresh_summary`); summaries a due
//! date has passed for are re-evaluated first, a bounded number per request.

use actix_web::{get, web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::audit_trail::Access;
use super::error::ApiError;
use super::extract::RequestId;
use super::pagination::{Page, PageParams};
use super::patients::require_clinical;
use super::state::AppState;
use super::unit_of_work::{reading, writing};
use crate::auth::Caller;
use crate::domain::checklist::ItemStatus;
use crate::domain::ids::PatientId;
use crate::domain::item::ItemId;
use crate::storage::worklist::{self, ItemRow, SummaryRow, WorklistFilter};
use crate::workup::{self, record::today};

/// At most this many summaries are re-evaluated for time before a page is served; the rest wait
/// for the next page (their overdue flags and the overdue filter are computed from dates anyway).
const REFRESH_BUDGET: i64 = 200;

/// Filters of the worklist. Item-level filters (`status`, `item`, `overdue=true`, `due_before`)
/// must all hold for one and the same open item of the patient.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WorklistQuery {
    /// Patients whose *effective* profile is this one (their own override, else the clinic
    /// default). Counts and items are always those of the effective profile.
    pub profile: Option<String>,
    /// An open item with this status: `outstanding`, `pending`, `repeat_due`, `abnormal`,
    /// `needs_review`, or `deferred` (waiting for the end of a pregnancy; listed, not counted as
    /// open work); several comma-separated mean any of them.
    pub status: Option<String>,
    /// This item is open (e.g. `antiphospholipid`).
    pub item: Option<ItemId>,
    /// `true`: an item's `due_on` has passed; `false`: no item is overdue.
    pub overdue: Option<bool>,
    /// An item is due before this date.
    pub due_before: Option<NaiveDate>,
    /// Page size (1–500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// How many items have each open status.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpenCounts {
    pub outstanding: u32,
    pub pending: u32,
    pub repeat_due: u32,
    pub abnormal: u32,
    pub needs_review: u32,
}

/// One open item of a worklist row.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpenItem {
    pub id: ItemId,
    pub status: ItemStatus,
    /// When a repeat is due; absent when none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_on: Option<NaiveDate>,
    /// `due_on` has passed.
    pub overdue: bool,
}

/// A patient with open work.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorklistRow {
    #[schema(format = Uuid)]
    pub patient_id: String,
    pub mrn: String,
    /// The effective profile the counts are evaluated under.
    pub profile: String,
    pub counts: OpenCounts,
    /// Items whose `due_on` has passed.
    pub overdue: u32,
    /// The earliest `due_on` of her open items.
    pub next_due_on: Option<NaiveDate>,
    /// Losses counted under the effective profile (from her stored checklist; `null` if unknown).
    pub losses_counted: Option<u32>,
    /// The date her checklist was last evaluated for (a write, or a due date passing, re-evaluates it).
    pub evaluated_on: NaiveDate,
    /// Her open items (outstanding, pending, repeat_due, abnormal, needs_review), and those
    /// deferred until the end of a pregnancy.
    pub items: Vec<OpenItem>,
}

fn parse_statuses(raw: Option<&str>) -> Result<Vec<ItemStatus>, ApiError> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    raw.split(',')
        .map(str::trim)
        .map(|s| match ItemStatus::parse(s) {
            Some(status) if status.is_open() || status == ItemStatus::Deferred => Ok(status),
            _ => Err(ApiError::field(
                "status",
                format!(
                    "'{s}' is not an open status (outstanding, pending, repeat_due, abnormal, \
                     needs_review) or deferred"
                ),
            )),
        })
        .collect()
}

fn row_view(
    summary: SummaryRow,
    mrn: String,
    items: Vec<ItemRow>,
    today: NaiveDate,
) -> WorklistRow {
    let count = |n: i32| u32::try_from(n).unwrap_or(0);
    let items: Vec<OpenItem> = items
        .into_iter()
        .filter_map(|i| {
            Some(OpenItem {
                id: ItemId::parse(&i.item)?,
                status: ItemStatus::parse(&i.status)?,
                due_on: i.due_on,
                overdue: i.due_on.is_some_and(|d| d < today),
            })
        })
        .collect();
    WorklistRow {
        patient_id: summary.patient_id.to_string(),
        mrn,
        profile: summary.profile,
        counts: OpenCounts {
            outstanding: count(summary.outstanding),
            pending: count(summary.pending),
            repeat_due: count(summary.repeat_due),
            abnormal: count(summary.abnormal),
            needs_review: count(summary.needs_review),
        },
        overdue: items.iter().filter(|i| i.overdue).count() as u32,
        next_due_on: summary.next_due_on,
        losses_counted: summary
            .checklist
            .as_deref()
            .and_then(|c| serde_json::from_str::<serde_json::Value>(c).ok())
            .and_then(|c| c["eligibility"]["losses_counted"].as_u64())
            .and_then(|n| u32::try_from(n).ok()),
        evaluated_on: summary.evaluated_on,
        items,
    }
}

/// Summaries a due date has passed for since they were evaluated are re-evaluated first, in their
/// own short write (a bounded number per page); most pages find none and take no write lock.
async fn refresh_due_summaries(
    state: &AppState,
    caller: &Caller,
    request_id: &RequestId,
) -> Result<(), ApiError> {
    let clinic = caller.clinic.clone();
    let due = state
        .db(move |conn| {
            let today = workup::record::clinic_today(conn, &clinic)?;
            Ok(worklist::any_stale(conn, &clinic, today)?)
        })
        .await?;
    if !due {
        return Ok(());
    }
    writing(
        state,
        caller.clone(),
        request_id.clone(),
        Vec::<crate::domain::ids::PatientId>::new(),
        |conn, caller| {
            let clinic = &caller.clinic;
            let today = workup::record::clinic_today(conn, clinic)?;
            workup::summary::refresh_stale(conn, clinic, today, REFRESH_BUDGET)?;
            Ok(((), Vec::new()))
        },
    )
    .await
}

/// The clinic's patients with open work, filtered, in a stable order (cursor pages stay stable
/// when patients are added). Every patient listed is audited as read.
#[utoipa::path(
    tag = "checklist",
    params(WorklistQuery),
    responses(
        (status = 200, description = "A page of patients with open work", body = Page<WorklistRow>),
        (status = 403, description = "Clinicians and admins only", body = crate::api::error::Problem),
        (status = 422, description = "Unknown profile or status", body = crate::api::error::Problem),
    ),
    security(("bearer" = []))
)]
#[get("/v1/worklist")]
pub async fn get_worklist(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    query: web::Query<WorklistQuery>,
) -> Result<HttpResponse, ApiError> {
    require_clinical(&caller)?;
    let q = query.into_inner();
    let page = PageParams {
        limit: q.limit,
        cursor: q.cursor.clone(),
    };
    let limit = page.limit()?;
    let after = page.position_id()?;
    let today = today();
    let filter = WorklistFilter {
        profile: q.profile.clone(),
        statuses: parse_statuses(q.status.as_deref())?,
        item: q.item,
        overdue: q.overdue,
        due_before: q.due_before,
        today,
    };
    refresh_due_summaries(&state, &caller, &request_id).await?;
    let page = reading(&state, caller, request_id, move |conn, caller| {
        let clinic = &caller.clinic;
        let today = workup::record::clinic_today(conn, clinic)?;
        let filter = WorklistFilter {
            today,
            ..filter.clone()
        };
        if let Some(profile) = &filter.profile {
            if !workup::profile_exists(conn, clinic, profile)? {
                return Err(ApiError::field(
                    "profile",
                    format!("unknown profile '{profile}'; see GET /v1/profiles"),
                ));
            }
        }
        let mut rows = worklist::page(conn, clinic, &filter, after, i64::from(limit) + 1)?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let ids: Vec<PatientId> = rows.iter().map(|r| r.patient_id).collect();
        let mut mrns: std::collections::HashMap<PatientId, String> =
            worklist::mrns_of(conn, clinic, &ids)?.into_iter().collect();
        let mut items: std::collections::HashMap<PatientId, Vec<ItemRow>> = Default::default();
        for item in worklist::items_of(conn, &ids)? {
            items.entry(item.patient_id).or_default().push(item);
        }
        let next_cursor = more
            .then(|| {
                ids.last()
                    .map(|id| super::pagination::encode_cursor(&id.to_string()))
            })
            .flatten();
        let accesses = ids
            .iter()
            .map(|id| Access::new("read", "worklist", *id, id))
            .collect();
        let views = rows
            .into_iter()
            .map(|r| {
                let mrn = mrns.remove(&r.patient_id).unwrap_or_default();
                let its = items.remove(&r.patient_id).unwrap_or_default();
                row_view(r, mrn, its, today)
            })
            .collect();
        Ok((
            Page {
                items: views,
                next_cursor,
            },
            accesses,
        ))
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}
