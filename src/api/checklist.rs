//! `GET /v1/patients/{id}/checklist`: the workup checklist under the patient's profile (or
//! `?profile=`). Decision support: every item says why and cites its guideline.

use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::audit_trail::Access;
use super::error::ApiError;
use super::extract::RequestId;
use super::patients::{owned_patient, require_clinical};
use super::state::AppState;
use super::unit_of_work::audited;
use crate::auth::Caller;
use crate::domain::checklist::Checklist;
use crate::workup;

/// `?profile=` evaluates under another profile than the patient's.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChecklistQuery {
    /// A built-in profile id (`eshre-2022`, `rcog-2023`, `asrm-2012`, `cn-2022`) or one of your
    /// clinic's. Default: the patient's override, else the clinic default.
    pub profile: Option<String>,
}

/// The patient's workup checklist.
#[utoipa::path(
    tag = "checklist",
    params(("id" = uuid::Uuid, Path, description = "Patient id"), ChecklistQuery),
    responses(
        (status = 200, description = "The checklist", body = Checklist),
        (status = 404, description = "No such patient in your clinic", body = crate::api::error::Problem),
        (status = 422, description = "Unknown profile", body = crate::api::error::Problem),
    ),
    security(("bearer" = []))
)]
#[get("/v1/patients/{id}/checklist")]
pub async fn get_checklist(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    path: web::Path<uuid::Uuid>,
    query: web::Query<ChecklistQuery>,
) -> Result<HttpResponse, ApiError> {
    require_clinical(&caller)?;
    let patient_id = path.into_inner();
    let requested = query.into_inner().profile;
    let checklist = audited(&state, caller, request_id, move |conn, caller| {
        let patient = owned_patient(conn, caller, &patient_id)?;
        let today = workup::record::clinic_today(conn, caller.clinic.as_str())?;
        let checklist = workup::checklist_json(conn, &patient, requested.as_deref(), today)?
            .map_err(|unknown| {
                ApiError::field(
                    "profile",
                    format!("unknown profile '{}'; see GET /v1/profiles", unknown.0),
                )
            })?;
        let access = Access::new("read", "checklist", &patient.id, &patient.id);
        Ok((checklist, vec![access]))
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(checklist))
}
