//! The workup as FHIR R4 for EHR write-back (clinicians and admins; a lab token reads nothing):
//! `GET /fhir/r4/PlanDefinition[/{id}]` (the clinic's profiles, built-in and its own),
//! `POST /fhir/r4/PlanDefinition/{id}/$apply?subject=Patient/{mrn}` and
//! `GET /fhir/r4/Patient/{mrn}/$rpl-workup` (the checklist as a `CarePlan`). Canonical URLs come
//! from the configured base ([`Canon`](crate::ingest::Canon) in [`AppState`]): `RPL_FHIR_BASE`,
//! default `RPL_PUBLIC_URL` + `/fhir/r4`, else `http://<listen address>/fhir/r4`.

pub mod resources;

use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::IntoParams;

use crate::api::audit_trail::Access;
use crate::api::error::ApiError;
use crate::api::extract::RequestId;
use crate::api::lab::fhir_error;
use crate::api::patients::require_clinical;
use crate::api::state::AppState;
use crate::api::unit_of_work::audited;
use crate::auth::Caller;
use crate::storage::{clinics, patients};
use crate::workup::{self, record::today};

const FHIR_JSON: &str = "application/fhir+json";

fn fhir(body: &Value) -> HttpResponse {
    HttpResponse::Ok().content_type(FHIR_JSON).json(body)
}

/// The answer, or the error as a FHIR `OperationOutcome` (never problem+json on `/fhir/r4`).
fn answer(result: Result<HttpResponse, ApiError>) -> HttpResponse {
    result.unwrap_or_else(|e| fhir_error(&e))
}

/// The clinic's profiles as `PlanDefinition`s (a `searchset` Bundle).
#[utoipa::path(
    tag = "profiles",
    responses(
        (status = 200, description = "A searchset Bundle of PlanDefinitions", body = Object, content_type = "application/fhir+json"),
        (status = 401, description = "No or bad token (OperationOutcome)", content_type = "application/fhir+json"), (status = 403, description = "Not a clinician or admin token (OperationOutcome)", content_type = "application/fhir+json"),
    ),
    security(("bearer" = []))
)]
#[get("/fhir/r4/PlanDefinition")]
pub async fn list_plan_definitions(
    state: web::Data<AppState>,
    caller: Result<Caller, ApiError>,
) -> HttpResponse {
    answer(list(&state, caller).await)
}

async fn list(
    state: &AppState,
    caller: Result<Caller, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let caller = caller?;
    require_clinical(&caller)?;
    let clinic = caller.clinic.clone();
    let profiles = state
        .db(move |conn| Ok(workup::profiles::list_profiles(conn, &clinic)?))
        .await?;
    let entries: Vec<Value> = profiles
        .iter()
        .map(|p| {
            let resource = resources::plan_definition(p, &state.canon);
            json!({"fullUrl": resource["url"], "resource": resource, "search": {"mode": "match"}})
        })
        .collect();
    Ok(fhir(&json!({"resourceType": "Bundle", "type": "searchset",
                    "total": entries.len(), "entry": entries})))
}

/// One profile as a `PlanDefinition` (404 for another clinic's profile).
#[utoipa::path(
    tag = "profiles",
    params(("id" = String, Path, description = "The profile id, e.g. eshre-2022")),
    responses(
        (status = 200, description = "The PlanDefinition", body = Object, content_type = "application/fhir+json"),
        (status = 401, description = "No or bad token (OperationOutcome)", content_type = "application/fhir+json"), (status = 403, description = "Not a clinician or admin token (OperationOutcome)", content_type = "application/fhir+json"),
        (status = 404, description = "No such profile in this clinic (OperationOutcome `not-found`)", content_type = "application/fhir+json"),
    ),
    security(("bearer" = []))
)]
#[get("/fhir/r4/PlanDefinition/{id}")]
pub async fn read_plan_definition(
    state: web::Data<AppState>,
    caller: Result<Caller, ApiError>,
    id: web::Path<String>,
) -> HttpResponse {
    answer(read(&state, caller, id.into_inner()).await)
}

async fn read(
    state: &AppState,
    caller: Result<Caller, ApiError>,
    id: String,
) -> Result<HttpResponse, ApiError> {
    let caller = caller?;
    require_clinical(&caller)?;
    let clinic = caller.clinic.clone();
    let profile = state
        .db(move |conn| {
            Ok(workup::profiles::list_profiles(conn, &clinic)?
                .into_iter()
                .find(|p| resources::fhir_id(&p.id) == id))
        })
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(fhir(&resources::plan_definition(&profile, &state.canon)))
}

/// `$apply` parameters.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ApplyQuery {
    /// `Patient/{mrn}`: the patient, by MRN, in the caller's clinic.
    pub subject: String,
}

fn care_plan_of(
    state: &AppState,
    caller: Caller,
    request_id: RequestId,
    mrn: String,
    profile: Option<String>,
) -> impl std::future::Future<Output = Result<Value, ApiError>> + '_ {
    let canon = state.canon.clone();
    audited(state, caller, request_id, move |conn, caller| {
        let clinic = &caller.clinic;
        let patient = patients::find_by_mrn(conn, clinic, &mrn)?.ok_or(ApiError::NotFound)?;
        let Ok(profile_spec) =
            workup::resolve_profile(conn, clinic, profile.as_deref(), patient.profile.as_deref())?
        else {
            return Err(ApiError::NotFound);
        };
        let checklist = workup::checklist(conn, &patient, Some(&profile_spec.id), today())?
            .map_err(|_| ApiError::NotFound)?;
        let system = clinics::ensure(conn, clinic)?.mrn_system;
        let mut identifier = json!({"value": patient.mrn});
        if let Some(system) = system {
            identifier["system"] = json!(system);
        }
        let subject = json!({"identifier": identifier});
        let plan = resources::care_plan(&checklist, &profile_spec, &subject, &canon);
        let access = Access::new("read", "care_plan", patient.id, patient.id);
        Ok((plan, vec![access]))
    })
}

/// The patient's checklist under this profile as a `CarePlan` (FHIR `$apply`).
#[utoipa::path(
    tag = "checklist",
    params(("id" = String, Path, description = "The profile id"), ApplyQuery),
    responses(
        (status = 200, description = "A CarePlan with a contained RequestGroup", body = Object, content_type = "application/fhir+json"),
        (status = 401, description = "No or bad token (OperationOutcome)", content_type = "application/fhir+json"), (status = 403, description = "Not a clinician or admin token (OperationOutcome)", content_type = "application/fhir+json"),
        (status = 404, description = "No such profile or patient in this clinic (OperationOutcome `not-found`)", content_type = "application/fhir+json"),
        (status = 422, description = "`subject` missing or not `Patient/{mrn}` (OperationOutcome `invalid`, expression `subject`)", content_type = "application/fhir+json"),
    ),
    security(("bearer" = []))
)]
#[post("/fhir/r4/PlanDefinition/{id}/$apply")]
pub async fn apply_plan_definition(
    state: web::Data<AppState>,
    caller: Result<Caller, ApiError>,
    request_id: RequestId,
    id: web::Path<String>,
    query: Result<web::Query<ApplyQuery>, actix_web::Error>,
) -> HttpResponse {
    answer(
        async {
            let caller = caller?;
            require_clinical(&caller)?;
            let subject = query.ok().map(|q| q.into_inner().subject);
            let mrn = subject
                .as_deref()
                .and_then(|s| s.strip_prefix("Patient/"))
                .filter(|m| !m.trim().is_empty())
                .ok_or_else(|| ApiError::field("subject", "must be Patient/{mrn}"))?
                .to_owned();
            let id = id.into_inner();
            let plan = care_plan_of(&state, caller, request_id, mrn, Some(id)).await?;
            Ok(fhir(&plan))
        }
        .await,
    )
}

/// The patient's checklist under her profile as a `CarePlan`.
#[utoipa::path(
    tag = "checklist",
    params(("mrn" = String, Path, description = "The patient's MRN")),
    responses(
        (status = 200, description = "A CarePlan with a contained RequestGroup", body = Object, content_type = "application/fhir+json"),
        (status = 401, description = "No or bad token (OperationOutcome)", content_type = "application/fhir+json"), (status = 403, description = "Not a clinician or admin token (OperationOutcome)", content_type = "application/fhir+json"),
        (status = 404, description = "No such patient in this clinic (OperationOutcome `not-found`)", content_type = "application/fhir+json"),
    ),
    security(("bearer" = []))
)]
#[get("/fhir/r4/Patient/{mrn}/$rpl-workup")]
pub async fn patient_workup(
    state: web::Data<AppState>,
    caller: Result<Caller, ApiError>,
    request_id: RequestId,
    mrn: web::Path<String>,
) -> HttpResponse {
    answer(
        async {
            let caller = caller?;
            require_clinical(&caller)?;
            let plan = care_plan_of(&state, caller, request_id, mrn.into_inner(), None).await?;
            Ok(fhir(&plan))
        }
        .await,
    )
}
