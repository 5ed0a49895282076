//! Handlers of `/v1/patients/{id}/pregnancies`.

use actix_web::{delete, get, patch, post, web, HttpResponse};

use super::{
    check_against_history, check_pregnancy, new_row, Candidate, PregnancyInput, PregnancyView,
    UpdatePregnancy,
};
use crate::api::audit_trail::Access;
use crate::api::error::ApiError;
use crate::api::etag::{json_with_etag, IfMatch};
use crate::api::extract::{RequestId, ValidJson};
use crate::api::idempotent::{idempotent, IdempotencyKey, Recorded};
use crate::api::pagination::{Page, PageParams};
use crate::api::patients::{owned_patient, require_clinical};
use crate::api::state::AppState;
use crate::api::unit_of_work::{reading, writing};
use crate::auth::Caller;
use crate::storage::pregnancies::{self, PregnancyChanges, PregnancyRow};
use crate::storage::{self, AnyConnection};

type PatientPregnancyPath = web::Path<(uuid::Uuid, uuid::Uuid)>;

/// Record a pregnancy of the patient's obstetric history.
#[utoipa::path(
    tag = "pregnancies",
    params(
        ("id" = uuid::Uuid, Path, description = "Patient id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to a retry with the same body (1–255 visible ASCII characters); another body under the same key is a 422"),
    ),
    request_body = PregnancyInput,
    responses(
        (status = 201, description = "Recorded", body = PregnancyView, headers(("ETag" = String, description = "Entity tag of this representation; send it back in If-Match to change it safely"))),
        (status = 404, description = "No such patient in your clinic", body = crate::api::error::Problem),
        (status = 409, description = "The same pregnancy is recorded already (`duplicate_pregnancy`, `existing_pregnancy_id`)", body = crate::api::error::Problem),
        (status = 422, description = "Invalid field(s) or an implausible history", body = crate::api::error::Problem),
    ),
    security(("bearer" = []))
)]
#[post("/v1/patients/{id}/pregnancies")]
pub async fn create_pregnancy(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    key: IdempotencyKey,
    path: web::Path<uuid::Uuid>,
    body: ValidJson<PregnancyInput>,
) -> Result<HttpResponse, ApiError> {
    require_clinical(&caller)?;
    let patient_id = path.into_inner();
    let input = body.into_inner();
    let request = (patient_id, format!("{input:?}"));
    let write = move |conn: &mut AnyConnection, caller: &Caller| {
        let patient = owned_patient(conn, caller, &patient_id)?;
        let mut errors = Vec::new();
        let today = crate::workup::record::clinic_today(conn, &caller.clinic)?;
        check_pregnancy(
            &input,
            patient.birth_date,
            today,
            &|f| f.to_owned(),
            &mut errors,
        );
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        let stored = pregnancies::list_for_patient(conn, patient.id)?;
        let candidate = Candidate {
            prefix: String::new(),
            input: &input,
        };
        let allowed = check_against_history(&[candidate], &stored)?;
        let new = new_row(patient.id, &input, storage::now());
        pregnancies::insert(conn, std::slice::from_ref(&new))?;
        let mut accesses = vec![Access::new("create", "pregnancy", patient.id, new.id)];
        if !allowed.is_empty() {
            accesses.push(Access::new(
                "allow_duplicate",
                "pregnancy",
                patient.id,
                new.id,
            ));
        }
        let row = pregnancies::find(conn, patient.id, new.id)?.ok_or(ApiError::NotFound)?;
        Ok((row, accesses))
    };
    let respond = |row: &PregnancyRow| {
        Recorded::created(
            format!("/v1/patients/{}/pregnancies/{}", row.patient_id, row.id),
            &PregnancyView::from(row.clone()),
        )
    };
    idempotent(
        &state,
        caller,
        request_id,
        key.for_request(&request),
        [patient_id],
        write,
        respond,
    )
    .await
}

/// The patient's obstetric history, a page at a time in recording order. The read of a page is
/// audited as one row.
#[utoipa::path(
    tag = "pregnancies",
    params(("id" = uuid::Uuid, Path, description = "Patient id"), PageParams),
    responses(
        (status = 200, description = "A page of recorded pregnancies", body = Page<PregnancyView>),
        (status = 404, description = "No such patient in your clinic", body = crate::api::error::Problem),
        (status = 422, description = "A bad `limit` or `cursor`", body = crate::api::error::Problem),
    ),
    security(("bearer" = []))
)]
#[get("/v1/patients/{id}/pregnancies")]
pub async fn list_pregnancies(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    path: web::Path<uuid::Uuid>,
    query: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    require_clinical(&caller)?;
    let patient_id = path.into_inner();
    let limit = query.limit()?;
    let after = query.position_id()?;
    let page = reading(&state, caller, request_id, move |conn, caller| {
        let patient = owned_patient(conn, caller, &patient_id)?;
        let rows = pregnancies::page_for_patient(conn, patient.id, after, i64::from(limit) + 1)?;
        let page = Page::from_rows(rows, limit, |p| p.id.to_string(), PregnancyView::from);
        let access = Access::new("read", "obstetric_history", patient.id, patient.id);
        Ok((page, vec![access]))
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Loads one pregnancy of the caller's clinic's patient, or 404; with `lock`, the patient's row
/// is locked first (for a change checked against her history).
fn owned_pregnancy(
    conn: &mut AnyConnection,
    caller: &Caller,
    (patient_id, pregnancy_id): (uuid::Uuid, uuid::Uuid),
) -> Result<(crate::storage::patients::PatientRow, PregnancyRow), ApiError> {
    // Writes lock the patient up front (unit_of_work::writing); reading her row is enough here.
    let patient = owned_patient(conn, caller, &patient_id)?;
    let pregnancy =
        pregnancies::find(conn, patient.id, pregnancy_id.into())?.ok_or(ApiError::NotFound)?;
    Ok((patient, pregnancy))
}

/// Read one pregnancy.
#[utoipa::path(
    tag = "pregnancies",
    params(
        ("id" = uuid::Uuid, Path, description = "Patient id"),
        ("pid" = uuid::Uuid, Path, description = "Pregnancy id"),
    ),
    responses(
        (status = 200, description = "The pregnancy", body = PregnancyView, headers(("ETag" = String, description = "Entity tag of this representation; send it back in If-Match to change it safely"))),
        (status = 404, description = "No such pregnancy", body = crate::api::error::Problem),
    ),
    security(("bearer" = []))
)]
#[get("/v1/patients/{id}/pregnancies/{pid}")]
pub async fn get_pregnancy(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    path: PatientPregnancyPath,
) -> Result<HttpResponse, ApiError> {
    require_clinical(&caller)?;
    let ids = path.into_inner();
    let row = reading(&state, caller, request_id, move |conn, caller| {
        let (patient, row) = owned_pregnancy(conn, caller, ids)?;
        let access = Access::new("read", "pregnancy", patient.id, row.id);
        Ok((row, vec![access]))
    })
    .await?;
    Ok(json_with_etag(
        HttpResponse::Ok(),
        &PregnancyView::from(row),
    ))
}

/// Correct a pregnancy (absent fields stay, `null` clears); the result is checked as a whole.
#[utoipa::path(
    tag = "pregnancies",
    params(
        ("id" = uuid::Uuid, Path, description = "Patient id"),
        ("pid" = uuid::Uuid, Path, description = "Pregnancy id"),
        ("If-Match" = Option<String>, Header, description = "The ETag you read; a stale one is refused with 412 (absent: unconditional)"),
    ),
    request_body = UpdatePregnancy,
    responses(
        (status = 200, description = "The updated pregnancy", body = PregnancyView, headers(("ETag" = String, description = "Entity tag of this representation; send it back in If-Match to change it safely"))),
        (status = 412, description = "If-Match is stale: the resource changed since you read it", body = crate::api::error::Problem),
        (status = 404, description = "No such pregnancy", body = crate::api::error::Problem),
        (status = 409, description = "The change makes it the same as another recorded pregnancy (`duplicate_pregnancy`)", body = crate::api::error::Problem),
        (status = 422, description = "Invalid field(s) or an implausible history", body = crate::api::error::Problem),
    ),
    security(("bearer" = []))
)]
#[patch("/v1/patients/{id}/pregnancies/{pid}")]
pub async fn update_pregnancy(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    path: PatientPregnancyPath,
    if_match: IfMatch,
    body: ValidJson<UpdatePregnancy>,
) -> Result<HttpResponse, ApiError> {
    require_clinical(&caller)?;
    let ids = path.into_inner();
    let patch = body.into_inner();
    let row = writing(&state, caller, request_id, [ids.0], move |conn, caller| {
        let (patient, row) = owned_pregnancy(conn, caller, ids)?;
        if_match.check(&PregnancyView::from(row.clone()))?;
        let merged = patch.apply_to(&row);
        let mut errors = Vec::new();
        let today = crate::workup::record::clinic_today(conn, &caller.clinic)?;
        check_pregnancy(
            &merged,
            patient.birth_date,
            today,
            &|f| f.to_owned(),
            &mut errors,
        );
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        let mut others = pregnancies::list_for_patient(conn, patient.id)?;
        others.retain(|p| p.id != row.id);
        let candidate = Candidate {
            prefix: String::new(),
            input: &merged,
        };
        let allowed = check_against_history(&[candidate], &others)?;
        let new = new_row(patient.id, &merged, storage::now());
        let changes = PregnancyChanges {
            outcome: Some(new.outcome),
            ended_on: Some(new.ended_on),
            gestational_age_weeks: Some(new.gestational_age_weeks),
            gestational_age_days: Some(new.gestational_age_days),
            conception: Some(new.conception),
            notes: Some(new.notes),
            updated_at: Some(new.updated_at),
            complications: Some(new.complications),
            edd: Some(new.edd),
            gestational_age_at_demise_weeks: Some(new.gestational_age_at_demise_weeks),
            gestational_age_at_demise_days: Some(new.gestational_age_at_demise_days),
            partner_mrn: Some(new.partner_mrn),
        };
        pregnancies::update(conn, row.id, &changes)?;
        let mut accesses = vec![Access::new("update", "pregnancy", patient.id, row.id)];
        if !allowed.is_empty() {
            accesses.push(Access::new(
                "allow_duplicate",
                "pregnancy",
                patient.id,
                row.id,
            ));
        }
        let row = pregnancies::find(conn, patient.id, row.id)?.ok_or(ApiError::NotFound)?;
        Ok((row, accesses))
    })
    .await?;
    Ok(json_with_etag(
        HttpResponse::Ok(),
        &PregnancyView::from(row),
    ))
}

/// Remove a pregnancy from the history (kept for the audit, never hard-deleted).
#[utoipa::path(
    tag = "pregnancies",
    params(
        ("id" = uuid::Uuid, Path, description = "Patient id"),
        ("pid" = uuid::Uuid, Path, description = "Pregnancy id"),
        ("If-Match" = Option<String>, Header, description = "The ETag you read; a stale one is refused with 412 (absent: unconditional)"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 412, description = "If-Match is stale: the resource changed since you read it", body = crate::api::error::Problem),
        (status = 404, description = "No such pregnancy", body = crate::api::error::Problem),
    ),
    security(("bearer" = []))
)]
#[delete("/v1/patients/{id}/pregnancies/{pid}")]
pub async fn delete_pregnancy(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    path: PatientPregnancyPath,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    require_clinical(&caller)?;
    let ids = path.into_inner();
    writing(&state, caller, request_id, [ids.0], move |conn, caller| {
        let (patient, row) = owned_pregnancy(conn, caller, ids)?;
        if_match.check(&PregnancyView::from(row.clone()))?;
        pregnancies::soft_delete(conn, row.id, storage::now())?;
        Ok((
            (),
            vec![Access::new("delete", "pregnancy", patient.id, row.id)],
        ))
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
