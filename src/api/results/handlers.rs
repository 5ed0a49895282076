//! Handlers of `/v1/patients/{id}/results`.

use actix_web::{delete, get, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{check_subject, new_version, CorrectResult, CreateResult, ResultView};
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
use crate::domain::catalogue::TestCode;
use crate::domain::ids::{PatientId, ResultId};
use crate::domain::new_result::{Destination, NewResult};
use crate::domain::result::{ResultStatus, Subject};
use crate::storage::{self, pregnancies, results, AnyConnection};

type ResultPath = web::Path<(uuid::Uuid, uuid::Uuid)>;

/// Record a result.
#[utoipa::path(
    tag = "results",
    params(
        ("id" = uuid::Uuid, Path, description = "Patient id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to a retry with the same body (1–255 visible ASCII characters); another body under the same key is a 422"),
    ),
    request_body = CreateResult,
    responses(
        (status = 201, description = "Recorded", body = ResultView),
        (status = 404, description = "No such patient in your clinic", body = crate::api::error::Problem),
        (status = 422, description = "Invalid field(s), or a reused Idempotency-Key", body = crate::api::error::Problem),
    ),
    security(("bearer" = []))
)]
#[post("/v1/patients/{id}/results")]
pub async fn create_result(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    key: IdempotencyKey,
    path: web::Path<uuid::Uuid>,
    body: ValidJson<CreateResult>,
) -> Result<HttpResponse, ApiError> {
    require_clinical(&caller)?;
    let patient_id = path.into_inner();
    let input = body.into_inner();
    let subject = input.subject.unwrap_or(match input.test {
        TestCode::SpermDnaFragmentation => Subject::Partner,
        _ => Subject::Patient,
    });
    check_subject(input.test, subject)?;
    if let Some(loinc) = &input.loinc {
        if TestCode::from_loinc(loinc).is_some_and(|t| t != input.test) {
            return Err(ApiError::field(
                "loinc",
                format!("LOINC {loinc} is not a code of {}", input.test.as_str()),
            ));
        }
    }
    if input.status == Some(ResultStatus::EnteredInError) {
        return Err(ApiError::field(
            "status",
            "a new result cannot be entered in error; retract an existing one with a new version",
        ));
    }
    let clinic = caller.clinic.clone();
    let today = state
        .db(move |conn| Ok(crate::workup::record::clinic_today(conn, &clinic)?))
        .await?;
    let first = new_version(
        input.test,
        subject,
        input.loinc.as_deref(),
        &input.report(),
        today,
    )?;
    let result_id = ResultId::new();
    let request = (patient_id, input.clone());
    let respond = |(row, versions): &results::ResultWithVersions| {
        Recorded::created(
            format!("/v1/patients/{}/results/{}", row.patient_id, row.id),
            &ResultView::new(row.clone(), versions.clone(), true),
        )
    };
    let write = move |conn: &mut AnyConnection, caller: &Caller| {
        let patient = owned_patient(conn, caller, &patient_id)?;
        let pregnancy_id = match input.pregnancy_id {
            Some(pid) => Some(
                pregnancies::find(conn, patient.id, pid.into())?
                    .ok_or_else(|| {
                        ApiError::field("pregnancy_id", "no such pregnancy of this patient")
                    })?
                    .id,
            ),
            None => None,
        };
        let new = NewResult {
            id: result_id,
            patient_id: PatientId(patient_id),
            pregnancy_id,
            source: input
                .source
                .clone()
                .unwrap_or_else(|| "clinician".to_owned()),
            accession: None,
        };
        let items = [(Destination::New(new), first.clone())];
        results::record(conn, &caller.clinic, &caller.sub, &items)?;
        let access = Access::new("create", "result", patient.id, result_id);
        let found = results::find(conn, patient.id, result_id)?.ok_or(ApiError::NotFound)?;
        Ok((found, vec![access]))
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

/// `?test=` narrows the list to one test; `?limit=&cursor=` page it.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResultQuery {
    pub test: Option<TestCode>,
    /// Page size (1–500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The patient's results (latest version of each), a page at a time in recording order. The read
/// of a page is audited as one row.
#[utoipa::path(
    tag = "results",
    params(("id" = uuid::Uuid, Path, description = "Patient id"), ResultQuery),
    responses(
        (status = 200, description = "A page of live results", body = Page<ResultView>),
        (status = 404, description = "No such patient in your clinic", body = crate::api::error::Problem),
        (status = 422, description = "A bad `limit` or `cursor`", body = crate::api::error::Problem),
    ),
    security(("bearer" = []))
)]
#[get("/v1/patients/{id}/results")]
pub async fn list_results(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    path: web::Path<uuid::Uuid>,
    query: web::Query<ResultQuery>,
) -> Result<HttpResponse, ApiError> {
    require_clinical(&caller)?;
    let patient_id = path.into_inner();
    let query = query.into_inner();
    let params = PageParams {
        limit: query.limit,
        cursor: query.cursor,
    };
    let limit = params.limit()?;
    let after = params.position_id()?;
    let only = query.test.map(|t| t.as_str());
    let page = reading(&state, caller, request_id, move |conn, caller| {
        let patient = owned_patient(conn, caller, &patient_id)?;
        let rows = results::page_for_patient(conn, patient.id, only, after, i64::from(limit) + 1)?;
        let page = Page::from_rows(
            rows,
            limit,
            |(r, _)| r.id.to_string(),
            |(r, v)| ResultView::new(r, v, false),
        );
        let access = Access::new("read", "results", patient.id, patient.id);
        Ok((page, vec![access]))
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

fn owned_result(
    conn: &mut AnyConnection,
    caller: &Caller,
    (patient_id, result_id): (uuid::Uuid, uuid::Uuid),
) -> Result<results::ResultWithVersions, ApiError> {
    let patient = owned_patient(conn, caller, &patient_id)?;
    results::find(conn, patient.id, result_id.into())?.ok_or(ApiError::NotFound)
}

/// Read one result with every version.
#[utoipa::path(
    tag = "results",
    params(
        ("id" = uuid::Uuid, Path, description = "Patient id"),
        ("rid" = uuid::Uuid, Path, description = "Result id"),
    ),
    responses(
        (status = 200, description = "The result and all its versions", body = ResultView, headers(("ETag" = String, description = "Entity tag of this representation; send it back in If-Match to change it safely"))),
        (status = 404, description = "No such result", body = crate::api::error::Problem),
    ),
    security(("bearer" = []))
)]
#[get("/v1/patients/{id}/results/{rid}")]
pub async fn get_result(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    path: ResultPath,
) -> Result<HttpResponse, ApiError> {
    require_clinical(&caller)?;
    let ids = path.into_inner();
    let (row, versions) = reading(&state, caller, request_id, move |conn, caller| {
        let found = owned_result(conn, caller, ids)?;
        let access = Access::new("read", "result", found.0.patient_id, found.0.id);
        Ok((found, vec![access]))
    })
    .await?;
    Ok(json_with_etag(
        HttpResponse::Ok(),
        &ResultView::new(row, versions, true),
    ))
}

/// Correct, amend, cancel or retract (`entered_in_error`) a result: a new version; the earlier
/// ones stay readable.
#[utoipa::path(
    tag = "results",
    params(
        ("id" = uuid::Uuid, Path, description = "Patient id"),
        ("rid" = uuid::Uuid, Path, description = "Result id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to a retry with the same body (1–255 visible ASCII characters); another body under the same key is a 422"),
    ),
    request_body = CorrectResult,
    responses(
        (status = 201, description = "The new version was recorded", body = ResultView),
        (status = 404, description = "No such result", body = crate::api::error::Problem),
        (status = 422, description = "Invalid field(s)", body = crate::api::error::Problem),
    ),
    security(("bearer" = []))
)]
#[post("/v1/patients/{id}/results/{rid}/versions")]
pub async fn correct_result(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    key: IdempotencyKey,
    path: ResultPath,
    body: ValidJson<CorrectResult>,
) -> Result<HttpResponse, ApiError> {
    require_clinical(&caller)?;
    let ids = path.into_inner();
    let mut report = body.into_inner().report();
    report.status.get_or_insert(ResultStatus::Corrected);
    let request = (ids, report.clone());
    let respond = |(row, versions): &results::ResultWithVersions| {
        Recorded::created_here(&ResultView::new(row.clone(), versions.clone(), true))
    };
    let write = move |conn: &mut AnyConnection, caller: &Caller| {
        let (row, versions) = owned_result(conn, caller, ids)?;
        let unreadable = || ApiError::internal("unreadable stored result");
        let id = row.id;
        let test = TestCode::parse(&row.test).ok_or_else(unreadable)?;
        let subject = Subject::parse(&row.subject).ok_or_else(unreadable)?;
        let loinc = versions.last().and_then(|v| v.loinc.as_deref());
        let today = crate::workup::record::clinic_today(conn, &caller.clinic)?;
        let next = new_version(test, subject, loinc, &report, today)?;
        let items = [(Destination::Append(id), next)];
        results::record(conn, &caller.clinic, &caller.sub, &items)?;
        let access = Access::new("update", "result", row.patient_id, id);
        let found = results::find(conn, row.patient_id, id)?.ok_or(ApiError::NotFound)?;
        Ok((found, vec![access]))
    };
    idempotent(
        &state,
        caller,
        request_id,
        key.for_request(&request),
        [ids.0],
        write,
        respond,
    )
    .await
}

/// Hide a result recorded on the wrong patient (kept for the audit). To retract a result that
/// belongs to the patient, record a version with status `entered_in_error` instead.
#[utoipa::path(
    tag = "results",
    params(
        ("id" = uuid::Uuid, Path, description = "Patient id"),
        ("rid" = uuid::Uuid, Path, description = "Result id"),
        ("If-Match" = Option<String>, Header, description = "The ETag you read; a stale one is refused with 412 (absent: unconditional)"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 412, description = "If-Match is stale: the resource changed since you read it", body = crate::api::error::Problem),
        (status = 404, description = "No such result", body = crate::api::error::Problem),
    ),
    security(("bearer" = []))
)]
#[delete("/v1/patients/{id}/results/{rid}")]
pub async fn delete_result(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    path: ResultPath,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    require_clinical(&caller)?;
    let ids = path.into_inner();
    writing(&state, caller, request_id, [ids.0], move |conn, caller| {
        let (row, versions) = owned_result(conn, caller, ids)?;
        if_match.check(&ResultView::new(row.clone(), versions, true))?;
        results::soft_delete(conn, row.id, storage::now())?;
        Ok((
            (),
            vec![Access::new("delete", "result", row.patient_id, row.id)],
        ))
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
