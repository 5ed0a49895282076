//! Handlers of `/v1/patients/{id}/pregnancies`.

use actix_web::{delete, get, patch, post, web, HttpResponse};

use super::{check_pregnancy, new_row, PregnancyInput, PregnancyView, UpdatePregnancy};
use crate::api::audit_trail::Access;
use crate::api::error::ApiError;
use crate::api::extract::{RequestId, ValidJson};
use crate::api::idempotent::{idempotent, IdempotencyKey, Recorded};
use crate::api::pagination::Page;
use crate::api::patients::{owned_patient, require_clinical};
use crate::api::state::AppState;
use crate::api::unit_of_work::{audited, writing};
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
        (status = 201, description = "Recorded", body = PregnancyView),
        (status = 404, description = "No such patient in your clinic", body = crate::api::error::Problem),
        (status = 422, description = "Invalid field(s)", body = crate::api::error::Problem),
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
        check_pregnancy(&input, patient.birth_date, &|f| f.to_owned(), &mut errors);
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        let new = new_row(&patient.id, &input, storage::now());
        pregnancies::insert(conn, std::slice::from_ref(&new))?;
        let access = Access::new("create", "pregnancy", &patient.id, &new.id);
        let row = pregnancies::find(conn, &patient.id, &new.id)?.ok_or(ApiError::NotFound)?;
        Ok((row, vec![access]))
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

/// The patient's obstetric history.
#[utoipa::path(
    tag = "pregnancies",
    params(("id" = uuid::Uuid, Path, description = "Patient id")),
    responses(
        (status = 200, description = "Every recorded pregnancy", body = Page<PregnancyView>),
        (status = 404, description = "No such patient in your clinic", body = crate::api::error::Problem),
    ),
    security(("bearer" = []))
)]
#[get("/v1/patients/{id}/pregnancies")]
pub async fn list_pregnancies(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    path: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    require_clinical(&caller)?;
    let patient_id = path.into_inner();
    let rows = audited(&state, caller, request_id, move |conn, caller| {
        let patient = owned_patient(conn, caller, &patient_id)?;
        let rows = pregnancies::list_for_patient(conn, &patient.id)?;
        let accesses = std::iter::once(Access::new(
            "read",
            "obstetric_history",
            &patient.id,
            &patient.id,
        ))
        .chain(
            rows.iter()
                .map(|p| Access::new("read", "pregnancy", &patient.id, &p.id)),
        )
        .collect();
        Ok((rows, accesses))
    })
    .await?;
    Ok(HttpResponse::Ok().json(Page {
        items: rows.into_iter().map(PregnancyView::from).collect(),
        next_cursor: None,
    }))
}

/// Loads one pregnancy of the caller's clinic's patient, or 404.
fn owned_pregnancy(
    conn: &mut AnyConnection,
    caller: &Caller,
    (patient_id, pregnancy_id): (uuid::Uuid, uuid::Uuid),
) -> Result<(crate::storage::patients::PatientRow, PregnancyRow), ApiError> {
    let patient = owned_patient(conn, caller, &patient_id)?;
    let pregnancy = pregnancies::find(conn, &patient.id, &pregnancy_id.to_string())?
        .ok_or(ApiError::NotFound)?;
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
        (status = 200, description = "The pregnancy", body = PregnancyView),
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
    let row = audited(&state, caller, request_id, move |conn, caller| {
        let (patient, row) = owned_pregnancy(conn, caller, ids)?;
        let access = Access::new("read", "pregnancy", &patient.id, &row.id);
        Ok((row, vec![access]))
    })
    .await?;
    Ok(HttpResponse::Ok().json(PregnancyView::from(row)))
}

/// Correct a pregnancy (absent fields stay, `null` clears); the result is checked as a whole.
#[utoipa::path(
    tag = "pregnancies",
    params(
        ("id" = uuid::Uuid, Path, description = "Patient id"),
        ("pid" = uuid::Uuid, Path, description = "Pregnancy id"),
    ),
    request_body = UpdatePregnancy,
    responses(
        (status = 200, description = "The updated pregnancy", body = PregnancyView),
        (status = 404, description = "No such pregnancy", body = crate::api::error::Problem),
        (status = 422, description = "Invalid field(s)", body = crate::api::error::Problem),
    ),
    security(("bearer" = []))
)]
#[patch("/v1/patients/{id}/pregnancies/{pid}")]
pub async fn update_pregnancy(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    path: PatientPregnancyPath,
    body: ValidJson<UpdatePregnancy>,
) -> Result<HttpResponse, ApiError> {
    require_clinical(&caller)?;
    let ids = path.into_inner();
    let patch = body.into_inner();
    let row = writing(&state, caller, request_id, [ids.0], move |conn, caller| {
        let (patient, row) = owned_pregnancy(conn, caller, ids)?;
        let merged = patch.apply_to(&row);
        let mut errors = Vec::new();
        check_pregnancy(&merged, patient.birth_date, &|f| f.to_owned(), &mut errors);
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        let new = new_row(&patient.id, &merged, storage::now());
        let changes = PregnancyChanges {
            outcome: Some(new.outcome),
            ended_on: Some(new.ended_on),
            gestational_age_weeks: Some(new.gestational_age_weeks),
            gestational_age_days: Some(new.gestational_age_days),
            conception: Some(new.conception),
            notes: Some(new.notes),
            updated_at: Some(new.updated_at),
        };
        pregnancies::update(conn, &row.id, &changes)?;
        let access = Access::new("update", "pregnancy", &patient.id, &row.id);
        let row = pregnancies::find(conn, &patient.id, &row.id)?.ok_or(ApiError::NotFound)?;
        Ok((row, vec![access]))
    })
    .await?;
    Ok(HttpResponse::Ok().json(PregnancyView::from(row)))
}

/// Remove a pregnancy from the history (kept for the audit, never hard-deleted).
#[utoipa::path(
    tag = "pregnancies",
    params(
        ("id" = uuid::Uuid, Path, description = "Patient id"),
        ("pid" = uuid::Uuid, Path, description = "Pregnancy id"),
    ),
    responses(
        (status = 204, description = "Removed"),
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
) -> Result<HttpResponse, ApiError> {
    require_clinical(&caller)?;
    let ids = path.into_inner();
    writing(&state, caller, request_id, [ids.0], move |conn, caller| {
        let (patient, row) = owned_pregnancy(conn, caller, ids)?;
        pregnancies::soft_delete(conn, &row.id, storage::now())?;
        Ok((
            (),
            vec![Access::new("delete", "pregnancy", &patient.id, &row.id)],
        ))
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
