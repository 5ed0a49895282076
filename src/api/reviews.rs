//! Clinician review actions on checklist items, and the patient-level early-workup request.
//! Each is recorded with who, when and a note, and can be withdrawn (never deleted).

use actix_web::{delete, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::audit_trail::Access;
use super::error::ApiError;
use super::extract::{RequestId, ValidJson};
use super::idempotent::{idempotent, IdempotencyKey, Recorded};
use super::patients::{owned_patient, require_clinical};
use super::state::AppState;
use super::unit_of_work::writing;
use crate::auth::Caller;
use crate::domain::item::ItemId;
use crate::domain::review::ReviewAction;
use crate::storage::{self, reviews};

/// A review of one checklist item.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReview {
    /// `acknowledge` (abnormal seen), `ordered` (missing tests ordered), `declined` (by the
    /// patient) or `not_applicable` (e.g. no pregnancy tissue available).
    #[schema(value_type = ItemReviewAction)]
    pub action: ReviewAction,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// The actions an item review takes (the OpenAPI schema of `NewReview.action`;
/// `request_early_workup` is patient level, `POST /v1/patients/{id}/early-workup`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum ItemReviewAction {
    Acknowledge,
    Ordered,
    Declined,
    NotApplicable,
}

/// A request to evaluate the workup before the profile's loss threshold is met.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EarlyWorkup {
    /// Why (e.g. a pathological cause is suspected).
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// A recorded review.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewView {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub patient_id: String,
    /// The item; absent for the patient-level early-workup request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    pub action: String,
    pub note: Option<String>,
    /// Who recorded it (`sub` of the token).
    pub by: String,
    pub at: DateTime<Utc>,
}

impl From<reviews::ReviewRow> for ReviewView {
    fn from(r: reviews::ReviewRow) -> Self {
        ReviewView {
            id: r.id.to_string(),
            patient_id: r.patient_id.to_string(),
            item: r.item,
            action: r.action,
            note: r.note,
            by: r.created_by,
            at: r.created_at.and_utc(),
        }
    }
}

fn parse_item(item: &str) -> Result<ItemId, ApiError> {
    ItemId::parse(item).ok_or(ApiError::NotFound)
}

#[allow(clippy::too_many_arguments)] // the request's parts, each used once
async fn record_review(
    state: &AppState,
    caller: Caller,
    request_id: RequestId,
    key: IdempotencyKey,
    patient_id: uuid::Uuid,
    item: Option<ItemId>,
    action: ReviewAction,
    note: Option<String>,
) -> Result<HttpResponse, ApiError> {
    let request = (patient_id, item, action, note.clone());
    let write = move |conn: &mut crate::storage::AnyConnection, caller: &Caller| {
        let patient = owned_patient(conn, caller, &patient_id)?;
        let row = reviews::ReviewRow {
            id: crate::domain::ids::ReviewId::new(),
            patient_id: patient.id,
            item: item.map(|i| i.as_str().to_owned()),
            action: action.as_str().to_owned(),
            note: note.clone(),
            created_by: caller.sub.clone(),
            created_at: storage::now(),
            withdrawn_by: None,
            withdrawn_at: None,
        };
        reviews::insert(conn, &row)?;
        let access = Access::new("create", "review", patient.id, row.id);
        Ok((row, vec![access]))
    };
    let respond = |row: &reviews::ReviewRow| Recorded::created_here(&ReviewView::from(row.clone()));
    idempotent(
        state,
        caller,
        request_id,
        key.for_request(&request),
        [patient_id],
        write,
        respond,
    )
    .await
}

async fn withdraw_review(
    state: &AppState,
    caller: Caller,
    request_id: RequestId,
    patient_id: uuid::Uuid,
    item: Option<ItemId>,
    review_id: uuid::Uuid,
) -> Result<HttpResponse, ApiError> {
    writing(
        state,
        caller,
        request_id,
        [patient_id],
        move |conn, caller| {
            let patient = owned_patient(conn, caller, &patient_id)?;
            let row = reviews::find_active(conn, patient.id, review_id.into())?
                .filter(|r| r.item.as_deref() == item.map(ItemId::as_str))
                .ok_or(ApiError::NotFound)?;
            reviews::withdraw(conn, row.id, &caller.sub, storage::now())?;
            Ok((
                (),
                vec![Access::new("delete", "review", patient.id, row.id)],
            ))
        },
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Record a review of a checklist item.
#[utoipa::path(
    tag = "checklist",
    params(
        ("id" = uuid::Uuid, Path, description = "Patient id"),
        ("item" = ItemId, Path, description = "Checklist item id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to a retry with the same body (1–255 visible ASCII characters); another body under the same key is a 422"),
    ),
    request_body = NewReview,
    responses(
        (status = 201, description = "Recorded", body = ReviewView),
        (status = 404, description = "No such patient or item", body = crate::api::error::Problem),
        (status = 422, description = "Invalid action, or a reused Idempotency-Key", body = crate::api::error::Problem),
    ),
    security(("bearer" = []))
)]
#[post("/v1/patients/{id}/checklist/{item}/reviews")]
pub async fn create_review(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    key: IdempotencyKey,
    path: web::Path<(uuid::Uuid, String)>,
    body: ValidJson<NewReview>,
) -> Result<HttpResponse, ApiError> {
    require_clinical(&caller)?;
    let (patient_id, item) = path.into_inner();
    let item = parse_item(&item)?;
    let input = body.into_inner();
    if input.action == ReviewAction::RequestEarlyWorkup {
        return Err(ApiError::field(
            "action",
            "an early workup is requested for the patient: POST /v1/patients/{id}/early-workup",
        ));
    }
    record_review(
        &state,
        caller,
        request_id,
        key,
        patient_id,
        Some(item),
        input.action,
        input.note,
    )
    .await
}

/// Withdraw a review (it stays in the record as withdrawn).
#[utoipa::path(
    tag = "checklist",
    params(
        ("id" = uuid::Uuid, Path, description = "Patient id"),
        ("item" = ItemId, Path, description = "Checklist item id"),
        ("review_id" = uuid::Uuid, Path, description = "Review id"),
    ),
    responses(
        (status = 204, description = "Withdrawn"),
        (status = 404, description = "No such active review", body = crate::api::error::Problem),
    ),
    security(("bearer" = []))
)]
#[delete("/v1/patients/{id}/checklist/{item}/reviews/{review_id}")]
pub async fn delete_review(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    path: web::Path<(uuid::Uuid, String, uuid::Uuid)>,
) -> Result<HttpResponse, ApiError> {
    require_clinical(&caller)?;
    let (patient_id, item, review_id) = path.into_inner();
    let item = parse_item(&item)?;
    withdraw_review(
        &state,
        caller,
        request_id,
        patient_id,
        Some(item),
        review_id,
    )
    .await
}

/// Request an early workup: evaluate the items before the loss threshold is met (RCOG allows it
/// after two losses when a pathological cause is suspected).
#[utoipa::path(
    tag = "checklist",
    params(
        ("id" = uuid::Uuid, Path, description = "Patient id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to a retry with the same body (1–255 visible ASCII characters); another body under the same key is a 422"),
    ),
    request_body(content = EarlyWorkup, description = "Optional note"),
    responses(
        (status = 201, description = "Recorded", body = ReviewView),
        (status = 404, description = "No such patient in your clinic", body = crate::api::error::Problem),
    ),
    security(("bearer" = []))
)]
#[post("/v1/patients/{id}/early-workup")]
pub async fn request_early_workup(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    key: IdempotencyKey,
    path: web::Path<uuid::Uuid>,
    body: ValidJson<EarlyWorkup>,
) -> Result<HttpResponse, ApiError> {
    require_clinical(&caller)?;
    let note = body.into_inner().note;
    let action = ReviewAction::RequestEarlyWorkup;
    record_review(
        &state,
        caller,
        request_id,
        key,
        path.into_inner(),
        None,
        action,
        note,
    )
    .await
}

/// Withdraw an early-workup request.
#[utoipa::path(
    tag = "checklist",
    params(
        ("id" = uuid::Uuid, Path, description = "Patient id"),
        ("review_id" = uuid::Uuid, Path, description = "The early-workup request's id"),
    ),
    responses(
        (status = 204, description = "Withdrawn"),
        (status = 404, description = "No such active request", body = crate::api::error::Problem),
    ),
    security(("bearer" = []))
)]
#[delete("/v1/patients/{id}/early-workup/{review_id}")]
pub async fn withdraw_early_workup(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    path: web::Path<(uuid::Uuid, uuid::Uuid)>,
) -> Result<HttpResponse, ApiError> {
    require_clinical(&caller)?;
    let (patient_id, review_id) = path.into_inner();
    withdraw_review(&state, caller, request_id, patient_id, None, review_id).await
}
