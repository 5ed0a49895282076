//! `GET/PATCH /v1/clinic`: the clinic's settings (read: clinicians and admins; change: admins),
//! and the progress of the re-evaluation a new default profile starts in the background.

use actix_web::{get, patch, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::error::ApiError;
use super::etag::IfMatch;
use super::extract::{RequestId, ValidJson};
use super::patients::{present, require_clinical};
use super::state::AppState;
use crate::auth::{Caller, Role};
use crate::storage::jobs::JobRow;
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
            id: row.id.into(),
            default_profile: row.default_profile,
            mrn_system: row.mrn_system,
            time_zone: row.time_zone,
        }
    }
}

/// The clinic's settings and its latest re-evaluation. The ETag covers the settings alone, so
/// the progress of a re-evaluation never makes an `If-Match` stale.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClinicView {
    #[serde(flatten)]
    pub settings: ClinicSettings,
    /// The latest clinic-wide re-evaluation (absent when the default never changed while
    /// patients followed it).
    pub reevaluation: Option<Reevaluation>,
}

/// A clinic-wide re-evaluation after a change of the default profile, worked through in the
/// background. Until a patient's turn comes her checklist is evaluated on the fly under the new
/// default; her worklist row (and the worklist `profile` filter) still shows the former one.
#[derive(Debug, Serialize, ToSchema)]
pub struct Reevaluation {
    /// The job id.
    pub id: String,
    pub state: ReevaluationState,
    /// The default profile the patients are re-evaluated under.
    pub profile: String,
    /// Patients re-evaluated so far.
    pub done: i32,
    /// Patients to re-evaluate (those without a profile of their own).
    pub total: i32,
    pub started_at: chrono::NaiveDateTime,
    pub finished_at: Option<chrono::NaiveDateTime>,
}

/// Where a re-evaluation stands.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReevaluationState {
    /// Patients are still being re-evaluated.
    Running,
    /// Every patient on the clinic default has been re-evaluated.
    Done,
    /// A later change of the default took over before it finished.
    Superseded,
}

impl TryFrom<JobRow> for Reevaluation {
    type Error = ApiError;

    fn try_from(row: JobRow) -> Result<Self, ApiError> {
        let state = match row.state.as_str() {
            storage::jobs::RUNNING => ReevaluationState::Running,
            storage::jobs::DONE => ReevaluationState::Done,
            storage::jobs::SUPERSEDED => ReevaluationState::Superseded,
            _ => {
                tracing::error!(job = %row.id, "re-evaluation job with an unknown state");
                return Err(ApiError::Internal(format!(
                    "re-evaluation job {} has an unknown state",
                    row.id
                )));
            }
        };
        Ok(Reevaluation {
            id: row.id.to_string(),
            state,
            profile: row.profile,
            done: row.done,
            total: row.total,
            started_at: row.created_at,
            finished_at: row.finished_at,
        })
    }
}

fn respond(
    status: actix_web::http::StatusCode,
    row: clinics::ClinicRow,
    job: Option<JobRow>,
) -> Result<HttpResponse, ApiError> {
    let settings = ClinicSettings::from(row);
    let etag = super::etag::etag_of(&settings);
    let reevaluation = job.map(Reevaluation::try_from).transpose()?;
    Ok(HttpResponse::build(status)
        .insert_header((actix_web::http::header::ETAG, etag))
        .json(ClinicView {
            settings,
            reevaluation,
        }))
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

/// Read the clinic's settings and the progress of its latest re-evaluation.
#[utoipa::path(
    tag = "profiles",
    responses((status = 200, description = "The settings", body = ClinicView, headers(("ETag" = String, description = "Entity tag of this representation; send it back in If-Match to change it safely")))),
    security(("bearer" = []))
)]
#[get("/v1/clinic")]
pub async fn get_clinic(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    require_clinical(&caller)?;
    let (row, job) = state
        .db(move |conn| {
            let row = clinics::ensure(conn, &caller.clinic)?;
            Ok((row, storage::jobs::latest(conn, &caller.clinic)?))
        })
        .await?;
    respond(actix_web::http::StatusCode::OK, row, job)
}

/// Change the clinic's settings (admins). A new default profile answers 202 at once with a
/// re-evaluation job (when patients follow the default): their worklist rows are re-evaluated in
/// the background, `GET /v1/clinic` shows the progress, and checklists read meanwhile are
/// evaluated under the new default. Otherwise 200.
#[utoipa::path(
    tag = "profiles",
    params(("If-Match" = Option<String>, Header, description = "The ETag you read; a stale one is refused with 412 (absent: unconditional)")),
    request_body = UpdateClinic,
    responses(
        (status = 200, description = "The settings (nothing to re-evaluate)", body = ClinicView, headers(("ETag" = String, description = "Entity tag of this representation; send it back in If-Match to change it safely"))),
        (status = 202, description = "The settings, and the re-evaluation started in the background", body = ClinicView, headers(("ETag" = String, description = "Entity tag of this representation; send it back in If-Match to change it safely"))),
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
    let wakeup = state.reevaluation.clone();
    let (row, job, started) = state
        .db(move |conn| {
            storage::write_transaction(conn, |conn| {
                let current = clinics::ensure(conn, &caller.clinic)?;
                if_match.check(&ClinicSettings::from(current.clone()))?;
                if let Some(profile) = &input.default_profile {
                    if !crate::workup::profile_exists(conn, &caller.clinic, profile)? {
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
                clinics::update(conn, &caller.clinic, &changes)?;
                let started = match &input.default_profile {
                    Some(profile) if *profile != current.default_profile => {
                        crate::workup::jobs::start(conn, &caller.clinic, profile)?
                    }
                    _ => None,
                };
                let row = clinics::get(conn, &caller.clinic)?;
                match started {
                    Some(job) => Ok((row, Some(job), true)),
                    None => Ok((row, storage::jobs::latest(conn, &caller.clinic)?, false)),
                }
            })
        })
        .await?;
    if started {
        wakeup.notify();
        return respond(actix_web::http::StatusCode::ACCEPTED, row, job);
    }
    respond(actix_web::http::StatusCode::OK, row, job)
}
