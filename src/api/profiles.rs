//! `/v1/profiles`: the guideline profiles with every recommendation and citation, and clinic
//! profiles derived from a built-in one (admins), visible only to that clinic.

use actix_web::{get, post, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{ApiError, FieldError};
use super::extract::JsonBody;
use super::patients::require_clinical;
use super::state::AppState;
use crate::auth::{Caller, Role};
use crate::domain::profile::{self, Profile, ProfileChanges};
use crate::storage::{self, clinic_profiles, clinics};
use crate::workup::profiles::{find_profile, list_profiles};

/// The profiles your clinic can use.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileList {
    pub items: Vec<Profile>,
    pub next_cursor: Option<String>,
}

/// Every profile: the four built-ins, then your clinic's own.
#[utoipa::path(
    tag = "profiles",
    responses((status = 200, description = "The profiles", body = ProfileList)),
    security(("bearer" = []))
)]
#[get("/v1/profiles")]
pub async fn list_profile_catalogue(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    require_clinical(&caller)?;
    let items = state
        .db(move |conn| Ok(list_profiles(conn, &caller.clinic)?))
        .await?;
    Ok(HttpResponse::Ok().json(ProfileList {
        items: items.into_iter().map(|p| p.into_owned()).collect(),
        next_cursor: None,
    }))
}

/// One profile with every recommendation, its strength and its source.
#[utoipa::path(
    tag = "profiles",
    params(("id" = String, Path, description = "Profile id, e.g. eshre-2022")),
    responses(
        (status = 200, description = "The profile", body = Profile, headers(("ETag" = String, description = "Entity tag of this representation; send it back in If-Match to change it safely"))),
        (status = 404, description = "No such profile for your clinic", body = crate::api::error::Problem),
    ),
    security(("bearer" = []))
)]
#[get("/v1/profiles/{id}")]
pub async fn get_profile(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    require_clinical(&caller)?;
    let id = path.into_inner();
    let found = state
        .db(move |conn| Ok(find_profile(conn, &caller.clinic, &id)?))
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(super::etag::json_with_etag(
        HttpResponse::Ok(),
        found.as_ref(),
    ))
}

/// Add a clinic profile derived from a built-in one (admins). Unknown items, components, stances
/// or thresholds are refused, naming the field.
#[utoipa::path(
    tag = "profiles",
    request_body = ProfileChanges,
    responses(
        (status = 201, description = "The derived profile", body = Profile),
        (status = 403, description = "Admins only", body = crate::api::error::Problem),
        (status = 409, description = "Your clinic already has a profile with this id", body = crate::api::error::Problem),
        (status = 422, description = "Invalid changes", body = crate::api::error::Problem),
    ),
    security(("bearer" = []))
)]
#[post("/v1/profiles")]
pub async fn create_profile(
    state: web::Data<AppState>,
    caller: Caller,
    body: JsonBody<ProfileChanges>,
) -> Result<HttpResponse, ApiError> {
    if !caller.has(Role::Admin) {
        return Err(ApiError::Forbidden);
    }
    let changes = body.into_inner();
    let base = profile::builtin(&changes.based_on).ok_or_else(|| {
        ApiError::field(
            "based_on",
            format!("'{}' is not a built-in profile", changes.based_on),
        )
    })?;
    let derived = Profile::derive(base, changes).map_err(|errors| {
        ApiError::Validation(
            errors
                .into_iter()
                .map(|e| FieldError::new(e.field, e.message))
                .collect(),
        )
    })?;
    let row = clinic_profiles::ClinicProfileRow {
        clinic_id: caller.clinic.clone(),
        id: derived.id.clone(),
        based_on: base.id.clone(),
        definition: serde_json::to_string(&derived).map_err(ApiError::internal)?,
        created_by: caller.sub.clone(),
        created_at: storage::now(),
    };
    let clinic = caller.clinic.clone();
    state
        .db(move |conn| {
            storage::write_transaction(conn, |conn| {
                clinics::ensure(conn, &clinic)?;
                clinic_profiles::insert(conn, &row).map_err(|e| {
                    if storage::is_unique_violation(&e) {
                        ApiError::Conflict(format!(
                            "your clinic already has a profile '{}'",
                            row.id
                        ))
                    } else {
                        e.into()
                    }
                })
            })
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/profiles/{}", derived.id)))
        .json(derived))
}
