//! `PATCH /v1/patients/{id}`, `DELETE /v1/patients/{id}`

use actix_web::{delete, patch, web, HttpResponse};

use super::{owned_patient, require_clinical, PatientView, UpdatePatient};
use crate::api::audit_trail::Access;
use crate::api::error::ApiError;
use crate::api::etag::{json_with_etag, IfMatch};
use crate::api::extract::{RequestId, ValidJson};
use crate::api::state::AppState;
use crate::api::unit_of_work::writing;
use crate::auth::Caller;
use crate::domain::patient::Mrn;
use crate::domain::plausibility::check_birth_date;
use crate::storage::{self, patients, pregnancies};

/// Change a patient (JSON merge patch: absent fields stay, `null` clears).
#[utoipa::path(
    tag = "patients",
    params(("id" = uuid::Uuid, Path, description = "Patient id"), ("If-Match" = Option<String>, Header, description = "The ETag you read; a stale one is refused with 412 (absent: unconditional)")),
    request_body = UpdatePatient,
    responses(
        (status = 200, description = "The updated patient", body = PatientView, headers(("ETag" = String, description = "Entity tag of this representation; send it back in If-Match to change it safely"))),
        (status = 412, description = "If-Match is stale: the resource changed since you read it", body = crate::api::error::Problem),
        (status = 404, description = "No such patient in your clinic", body = crate::api::error::Problem),
        (status = 409, description = "The MRN or EHR id is already used", body = crate::api::error::Problem),
        (status = 422, description = "Invalid field(s), or a birth date that does not fit the recorded history", body = crate::api::error::Problem),
    ),
    security(("bearer" = []))
)]
#[patch("/v1/patients/{id}")]
pub async fn update_patient(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    path: web::Path<uuid::Uuid>,
    if_match: IfMatch,
    body: ValidJson<UpdatePatient>,
) -> Result<HttpResponse, ApiError> {
    require_clinical(&caller)?;
    let id = path.into_inner();
    let input = body.into_inner();
    let mut changes = patients::PatientChanges {
        updated_at: Some(storage::now()),
        ..Default::default()
    };
    if let Some(mrn) = &input.mrn {
        let mrn = Mrn::parse(mrn).map_err(|e| ApiError::field("mrn", e))?;
        changes.mrn = Some(mrn.into_inner());
    }
    if let Some(ehr) = &input.ehr_patient_id {
        if ehr
            .as_ref()
            .is_some_and(|s| s.trim().is_empty() || s.len() > 128)
        {
            return Err(ApiError::field(
                "ehr_patient_id",
                "length must be between 1 and 128",
            ));
        }
        changes.ehr_patient_id = Some(ehr.as_ref().map(|s| s.trim().to_owned()));
    }
    if let Some(birth_date) = input.birth_date {
        let clinic = caller.clinic.clone();
        let today = state
            .db(move |conn| Ok(crate::workup::record::clinic_today(conn, &clinic)?))
            .await?;
        if birth_date.is_some_and(|d| d > today) {
            return Err(ApiError::field("birth_date", "must not be in the future"));
        }
        changes.birth_date = Some(birth_date);
    }
    if let Some(partner) = &input.partner {
        let partner = partner.clone().unwrap_or_default();
        if partner
            .mrn
            .as_ref()
            .is_some_and(|m| m.is_empty() || m.len() > 64)
        {
            return Err(ApiError::field(
                "partner.mrn",
                "length must be between 1 and 64",
            ));
        }
        changes.partner_mrn = Some(partner.mrn);
        changes.partner_birth_date = Some(partner.birth_date);
    }
    let profile = input.profile.clone();
    changes.profile = profile.clone();
    let row = writing(&state, caller, request_id, [id], move |conn, caller| {
        let row = owned_patient(conn, caller, &id)?;
        if_match.check(&PatientView::from(row.clone()))?;
        if let Some(Some(birth_date)) = changes.birth_date {
            let history = pregnancies::list_for_patient(conn, row.id)?;
            if let Some(p) = check_birth_date(birth_date, history.iter().filter_map(|p| p.ended_on))
            {
                return Err(ApiError::field(p.field, p.message));
            }
        }
        if let Some(Some(profile)) = &profile {
            super::ensure_profile_known(conn, caller, profile)?;
        }
        patients::update(conn, row.id, &changes).map_err(|e| {
            let which = match storage::unique_violation(&e) {
                Some(storage::UniqueRule::PatientEhrId) => "EHR id",
                Some(storage::UniqueRule::PatientMrn) => "MRN",
                _ => return e.into(),
            };
            ApiError::Conflict(format!(
                "a patient with this {which} already exists in your clinic"
            ))
        })?;
        let access = Access::new("update", "patient", row.id, row.id);
        let row = patients::find(conn, &caller.clinic, row.id)?.ok_or(ApiError::NotFound)?;
        Ok((row, vec![access]))
    })
    .await?;
    Ok(json_with_etag(HttpResponse::Ok(), &PatientView::from(row)))
}

/// Remove a patient from the API. Her data is kept for the audit, never hard-deleted.
#[utoipa::path(
    tag = "patients",
    params(("id" = uuid::Uuid, Path, description = "Patient id"), ("If-Match" = Option<String>, Header, description = "The ETag you read; a stale one is refused with 412 (absent: unconditional)")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such patient in your clinic", body = crate::api::error::Problem),
        (status = 412, description = "If-Match is stale: the resource changed since you read it", body = crate::api::error::Problem),
    ),
    security(("bearer" = []))
)]
#[delete("/v1/patients/{id}")]
pub async fn delete_patient(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    path: web::Path<uuid::Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    require_clinical(&caller)?;
    let id = path.into_inner();
    writing(&state, caller, request_id, [id], move |conn, caller| {
        let row = owned_patient(conn, caller, &id)?;
        if_match.check(&PatientView::from(row.clone()))?;
        patients::soft_delete(conn, row.id, storage::now())?;
        Ok(((), vec![Access::new("delete", "patient", row.id, row.id)]))
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
