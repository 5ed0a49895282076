//! `GET /v1/patients/{id}/checklist`: the workup checklist under the patient's profile (or
//! `?profile=`), and `GET /v1/patients/{id}/checklists`: under several profiles side by side with
//! their disagreements; both now or `?as_of=` a past day. Decision support: every item says why
//! and cites its guideline.

use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::audit_trail::Access;
use super::error::ApiError;
use super::extract::RequestId;
use super::patients::{owned_patient, require_clinical};
use super::state::AppState;
use super::unit_of_work::{reading, reading_in, Snapshot};
use crate::auth::Caller;
use crate::domain::checklist::Checklist;
use crate::storage::patients::PatientRow;
use crate::storage::AnyConnection;
use crate::workup::checklists::{self, SideBySide};
use crate::workup::profiles::list_profiles;
use crate::workup::{self, record::clinic_day, record::clinic_today, StoredNow};

/// `?profile=` evaluates under another profile than the patient's.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChecklistQuery {
    /// A built-in profile id (`eshre-2022`, `rcog-2023`, `asrm-2012`, `cn-2022`) or one of your
    /// clinic's. Default: the patient's override, else the clinic default.
    pub profile: Option<String>,
    /// The day to answer for (`YYYY-MM-DD`): the checklist as the service would have answered on
    /// that day, from what the record held by the end of it (UTC) — pregnancies as they were
    /// written by then (later changes ignored; deleted later still counted), result versions
    /// received by then (later versions ignored), reviews made by then and not withdrawn by then,
    /// and the profile the patient followed then (her override, else the clinic default) —
    /// evaluated with that day as today. Default: today. A day before the patient was recorded, or
    /// in the future: 422.
    #[param(value_type = Option<String>, format = Date)]
    pub as_of: Option<chrono::NaiveDate>,
}

/// The patient's workup checklist.
#[utoipa::path(
    tag = "checklist",
    params(("id" = uuid::Uuid, Path, description = "Patient id"), ChecklistQuery),
    responses(
        (status = 200, description = "The checklist", body = Checklist),
        (status = 404, description = "No such patient in your clinic", body = crate::api::error::Problem),
        (status = 422, description = "Unknown profile, or `as_of` in the future or before the patient was recorded", body = crate::api::error::Problem),
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
    let ChecklistQuery { profile, as_of } = query.into_inner();
    if as_of.is_none() {
        let requested = profile.clone();
        if let Some(stored) =
            stored_if_current(&state, &caller, &request_id, patient_id, requested).await?
        {
            return Ok(json_body(stored));
        }
    }
    let checklist = reading(&state, caller, request_id, move |conn, caller| {
        let patient = owned_patient(conn, caller, &patient_id)?;
        let clinic = clinic_day(conn, &caller.clinic)?;
        let checklist = match as_of {
            None => workup::checklist_json(conn, &patient, profile.as_deref(), &clinic)?,
            Some(day) => {
                check_as_of(&patient, day, clinic.today)?;
                checklists::checklist_json_at(conn, &patient, profile.as_deref(), day)?
            }
        }
        .map_err(|unknown| unknown_profile("profile", &unknown.0))?;
        let access = Access::new("read", "checklist", patient.id, patient.id);
        Ok((checklist, vec![access]))
    })
    .await?;
    Ok(json_body(checklist))
}

/// Between two writes the stored checklist is current, and one statement serves it (the read
/// audited as any other); `None` when it must be evaluated.
async fn stored_if_current(
    state: &AppState,
    caller: &Caller,
    request_id: &RequestId,
    patient_id: uuid::Uuid,
    requested: Option<String>,
) -> Result<Option<String>, ApiError> {
    let read = move |conn: &mut AnyConnection, caller: &Caller| {
        let now = workup::stored_checklist_now(
            conn,
            &caller.clinic,
            patient_id.into(),
            requested.as_deref(),
        )?;
        match now {
            StoredNow::NoSuchPatient => Err(ApiError::NotFound),
            StoredNow::Stale => Ok((None, Vec::new())),
            StoredNow::Current(id, json) => {
                Ok((Some(json), vec![Access::new("read", "checklist", id, id)]))
            }
        }
    };
    reading_in(
        Snapshot::Statement,
        state,
        caller.clone(),
        request_id.clone(),
        read,
    )
    .await
}

fn json_body(checklist: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(checklist)
}

fn unknown_profile(field: &str, id: &str) -> ApiError {
    ApiError::field(
        field,
        format!("unknown profile '{id}'; see GET /v1/profiles"),
    )
}

/// A day the record can be asked about: not in the future, not before the patient was recorded.
fn check_as_of(
    patient: &PatientRow,
    day: chrono::NaiveDate,
    today: chrono::NaiveDate,
) -> Result<(), ApiError> {
    if day > today {
        return Err(ApiError::field("as_of", format!("{day} is in the future")));
    }
    let recorded = patient.created_at.date();
    if day < recorded {
        return Err(ApiError::field(
            "as_of",
            format!("{day} is before the patient was recorded ({recorded})"),
        ));
    }
    Ok(())
}

/// `?profiles=` and `?as_of=` of the side-by-side checklists.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChecklistsQuery {
    /// Comma-separated profile ids (built-in or your clinic's), in the order to show them.
    /// Default: every built-in profile, then your clinic's.
    pub profiles: Option<String>,
    /// The day to answer for (`YYYY-MM-DD`): the checklist as the service would have answered on
    /// that day, from what the record held by the end of it (UTC) — pregnancies as they were
    /// written by then (later changes ignored; deleted later still counted), result versions
    /// received by then (later versions ignored), reviews made by then and not withdrawn by then,
    /// and the profile the patient followed then (her override, else the clinic default) —
    /// evaluated with that day as today. Default: today. A day before the patient was recorded, or
    /// in the future: 422.
    #[param(value_type = Option<String>, format = Date)]
    pub as_of: Option<chrono::NaiveDate>,
}

/// The patient's checklist under several profiles side by side, with `disagreements`: the items
/// whose status is not the same under every profile, with each profile's status and reason.
/// Audited as one read.
#[utoipa::path(
    tag = "checklist",
    params(("id" = uuid::Uuid, Path, description = "Patient id"), ChecklistsQuery),
    responses(
        (status = 200, description = "One checklist per profile and their disagreements", body = SideBySide),
        (status = 404, description = "No such patient in your clinic", body = crate::api::error::Problem),
        (status = 422, description = "Unknown profile, or `as_of` in the future or before the patient was recorded", body = crate::api::error::Problem),
    ),
    security(("bearer" = []))
)]
#[get("/v1/patients/{id}/checklists")]
pub async fn get_checklists(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    path: web::Path<uuid::Uuid>,
    query: web::Query<ChecklistsQuery>,
) -> Result<HttpResponse, ApiError> {
    require_clinical(&caller)?;
    let patient_id = path.into_inner();
    let ChecklistsQuery { profiles, as_of } = query.into_inner();
    let side_by_side = reading(&state, caller, request_id, move |conn, caller| {
        let patient = owned_patient(conn, caller, &patient_id)?;
        let today = clinic_today(conn, &caller.clinic)?;
        if let Some(day) = as_of {
            check_as_of(&patient, day, today)?;
        }
        let chosen = chosen_profiles(conn, &patient.clinic_id, profiles.as_deref())?;
        let record = checklists::record_for(conn, patient.id, as_of)?;
        let result = checklists::side_by_side(
            &record,
            patient.partner_mrn.as_deref(),
            &chosen,
            as_of.unwrap_or(today),
        );
        let access = Access::new("read", "checklist", patient.id, patient.id);
        Ok((result, vec![access]))
    })
    .await?;
    Ok(HttpResponse::Ok().json(side_by_side))
}

fn chosen_profiles(
    conn: &mut AnyConnection,
    clinic_id: &crate::domain::ids::ClinicId,
    requested: Option<&str>,
) -> Result<Vec<std::borrow::Cow<'static, crate::domain::profile::Profile>>, ApiError> {
    let Some(requested) = requested else {
        return Ok(list_profiles(conn, clinic_id)?);
    };
    let ids: Vec<String> = requested
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if ids.is_empty() {
        return Err(ApiError::field("profiles", "name at least one profile"));
    }
    checklists::profiles_named(conn, clinic_id, &ids)?
        .map_err(|unknown| unknown_profile("profiles", &unknown.0))
}
