//! `GET/PATCH /v1/clinic`: the clinic's settings (read: clinicians and admins; change: admins).

use actix_web::{get, patch, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::error::ApiError;
use super::etag::{json_with_etag, IfMatch};
use super::extract::{RequestId, ValidJson};
use super::patients::{present, require_clinical};
use super::state::AppState;
use crate::auth::{Caller, Role};
use crate::storage::{self, clinics};

/// The clinic's settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClinicSettings {
    /// The clinic id (the tokens' `org` claim).
    pub id: String,
    /// Profile used for patients without their own override.
    pub default_profile: String,
    /// FHIR identifier system of MRNs, checked on ingest when set.
    pub mrn_system: Option<String>,
    /// IANA time zone of the clinic (default `UTC`): "today" of the checklist and "not in the
    /// future" are judged in it.
    #[schema(example = "Europe/Berlin")]
    pub time_zone: String,
}

impl From<clinics::ClinicRow> for ClinicSettings {
    fn from(row: clinics::ClinicRow) -> Self {
        ClinicSettings {
            id: row.id,
            default_profile: row.default_profile,
            mrn_system: row.mrn_system,
            time_zone: row.time_zone,
        }
    }
}

/// A change of settings (absent fields stay; `null` clears `mrn_system`).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateClinic {
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64, example = "rcog-2023")]
    pub default_profile: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 256)]
    pub mrn_system: Option<Option<String>>,
    /// IANA time zone name, e.g. `Europe/Berlin` (422 if it names none).
    #[schema(min_length = 1, max_length = 64, example = "Europe/Berlin")]
    pub time_zone: Option<String>,
}

/// Read the clinic's settings.
#[utoipa::path(
    tag = "profiles",
    responses((status = 200, description = "The settings", body = ClinicSettings, headers(("ETag" = String, description = "Entity tag of this representation; send it back in If-Match to change it safely")))),
    security(("bearer" = []))
)]
#[get("/v1/clinic")]
pub async fn get_clinic(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    require_clinical(&caller)?;
    let row = state
        .db(move |conn| Ok(clinics::ensure(conn, caller.clinic.as_str())?))
        .await?;
    Ok(json_with_etag(
        HttpResponse::Ok(),
        &ClinicSettings::from(row),
    ))
}

/// Change the clinic's settings (admins). A new default profile re-evaluates the worklist.
#[utoipa::path(
    tag = "profiles",
    params(("If-Match" = Option<String>, Header, description = "The ETag you read; a stale one is refused with 412 (absent: unconditional)")),
    request_body = UpdateClinic,
    responses(
        (status = 200, description = "The settings", body = ClinicSettings, headers(("ETag" = String, description = "Entity tag of this representation; send it back in If-Match to change it safely"))),
        (status = 412, description = "If-Match is stale: the settings changed since you read them", body = crate::api::error::Problem),
        (status = 403, description = "Admins only", body = crate::api::error::Problem),
        (status = 422, description = "Unknown profile or time zone", body = crate::api::error::Problem),
    ),
    security(("bearer" = []))
)]
#[patch("/v1/clinic")]
pub async fn update_clinic(
    state: web::Data<AppState>,
    caller: Caller,
    _request_id: RequestId,
    if_match: IfMatch,
    body: ValidJson<UpdateClinic>,
) -> Result<HttpResponse, ApiError> {
    if !caller.has(Role::Admin) {
        return Err(ApiError::Forbidden);
    }
    let input = body.into_inner();
    if let Some(Some(system)) = &input.mrn_system {
        if system.trim().is_empty() || system.len() > 256 {
            return Err(ApiError::field(
                "mrn_system",
                "length must be between 1 and 256",
            ));
        }
    }
    if let Some(zone) = &input.time_zone {
        if zone.parse::<chrono_tz::Tz>().is_err() {
            return Err(ApiError::field(
                "time_zone",
                "is not an IANA time zone name (e.g. Europe/Berlin, UTC)",
            ));
        }
    }
    let row = state
        .db(move |conn| {
            storage::write_transaction(conn, |conn| {
                let current = clinics::ensure(conn, caller.clinic.as_str())?;
                if_match.check(&ClinicSettings::from(current))?;
                if let Some(profile) = &input.default_profile {
                    if !crate::workup::profile_exists(conn, caller.clinic.as_str(), profile)? {
                        return Err(ApiError::field(
                            "default_profile",
                            format!("unknown profile '{profile}'; see GET /v1/profiles"),
                        ));
                    }
                }
                let changes = clinics::ClinicChanges {
                    default_profile: input.default_profile.clone(),
                    mrn_system: input.mrn_system.clone(),
                    time_zone: input.time_zone.clone(),
                    updated_at: Some(storage::now()),
                };
                clinics::update(conn, caller.clinic.as_str(), &changes)?;
                if input.default_profile.is_some() {
                    crate::workup::refresh_clinic(conn, caller.clinic.as_str())?;
                }
                Ok(clinics::get(conn, caller.clinic.as_str())?)
            })
        })
        .await?;
    Ok(json_with_etag(
        HttpResponse::Ok(),
        &ClinicSettings::from(row),
    ))
}
