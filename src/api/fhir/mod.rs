//! The workup as FHIR R4 for EHR write-back (clinicians and admins; a lab token reads nothing):
//! `GET /fhir/r4/PlanDefinition[/{id}]` (the clinic's profiles, built-in and its own),
//! `POST /fhir/r4/PlanDefinition/{id}/$apply?subject=Patient/{mrn}` and
//! `GET /fhir/r4/Patient/{mrn}/$rpl-workup` (the checklist as a `CarePlan`). Canonical URLs come
//! from `RPL_FHIR_BASE` (default `RPL_PUBLIC_URL` + `/fhir/r4`, else the request's own base).

pub mod resources;

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::IntoParams;

use crate::api::audit_trail::Access;
use crate::api::error::ApiError;
use crate::api::extract::RequestId;
use crate::api::patients::require_clinical;
use crate::api::state::AppState;
use crate::api::unit_of_work::audited;
use crate::auth::Caller;
use crate::storage::{clinics, patients};
use crate::workup::{self, record::today};

/// The configured FHIR base (`RPL_FHIR_BASE`, else `RPL_PUBLIC_URL` + `/fhir/r4`).
#[derive(Debug, Clone, Default)]
pub struct FhirBase(pub Option<String>);

const FHIR_JSON: &str = "application/fhir+json";

fn base(req: &HttpRequest) -> String {
    if let Some(b) = req
        .app_data::<web::Data<FhirBase>>()
        .and_then(|b| b.0.clone())
    {
        return b.trim_end_matches('/').to_owned();
    }
    let info = req.connection_info();
    format!("{}://{}/fhir/r4", info.scheme(), info.host())
}

fn fhir(body: &Value) -> HttpResponse {
    HttpResponse::Ok().content_type(FHIR_JSON).json(body)
}

/// The clinic's profiles as `PlanDefinition`s (a `searchset` Bundle).
#[utoipa::path(
    tag = "profiles",
    responses((status = 200, description = "A searchset Bundle of PlanDefinitions", body = Object, content_type = "application/fhir+json")),
    security(("bearer" = []))
)]
#[get("/fhir/r4/PlanDefinition")]
pub async fn list_plan_definitions(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    require_clinical(&caller)?;
    let base = base(&req);
    let clinic = caller.clinic.as_str().to_owned();
    let profiles = state
        .db(move |conn| Ok(workup::profiles::list_profiles(conn, &clinic)?))
        .await?;
    let entries: Vec<Value> = profiles
        .iter()
        .map(|p| {
            let resource = resources::plan_definition(p, &base);
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
    responses((status = 200, description = "The PlanDefinition", body = Object, content_type = "application/fhir+json")),
    security(("bearer" = []))
)]
#[get("/fhir/r4/PlanDefinition/{id}")]
pub async fn read_plan_definition(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    require_clinical(&caller)?;
    let base = base(&req);
    let clinic = caller.clinic.as_str().to_owned();
    let id = id.into_inner();
    let profile = state
        .db(move |conn| {
            Ok(workup::profiles::list_profiles(conn, &clinic)?
                .into_iter()
                .find(|p| resources::fhir_id(&p.id) == id))
        })
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(fhir(&resources::plan_definition(&profile, &base)))
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
    base: String,
) -> impl std::future::Future<Output = Result<Value, ApiError>> + '_ {
    audited(state, caller, request_id, move |conn, caller| {
        let clinic = caller.clinic.as_str();
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
        let plan = resources::care_plan(&checklist, &profile_spec, &subject, &base);
        let access = Access::new("read", "care_plan", &patient.id, &patient.id);
        Ok((plan, vec![access]))
    })
}

/// The patient's checklist under this profile as a `CarePlan` (FHIR `$apply`).
#[utoipa::path(
    tag = "checklist",
    params(("id" = String, Path, description = "The profile id"), ApplyQuery),
    responses((status = 200, description = "A CarePlan with a contained RequestGroup", body = Object, content_type = "application/fhir+json")),
    security(("bearer" = []))
)]
#[post("/fhir/r4/PlanDefinition/{id}/$apply")]
pub async fn apply_plan_definition(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    id: web::Path<String>,
    query: web::Query<ApplyQuery>,
) -> Result<HttpResponse, ApiError> {
    require_clinical(&caller)?;
    let mrn = query
        .subject
        .strip_prefix("Patient/")
        .filter(|m| !m.trim().is_empty())
        .ok_or_else(|| ApiError::field("subject", "must be Patient/{mrn}"))?
        .to_owned();
    let id = id.into_inner();
    let base = base(&req);
    let plan = care_plan_of(&state, caller, request_id, mrn, Some(id), base).await?;
    Ok(fhir(&plan))
}

/// The patient's checklist under her profile as a `CarePlan`.
#[utoipa::path(
    tag = "checklist",
    params(("mrn" = String, Path, description = "The patient's MRN")),
    responses((status = 200, description = "A CarePlan with a contained RequestGroup", body = Object, content_type = "application/fhir+json")),
    security(("bearer" = []))
)]
#[get("/fhir/r4/Patient/{mrn}/$rpl-workup")]
pub async fn patient_workup(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    mrn: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    require_clinical(&caller)?;
    let base = base(&req);
    let plan = care_plan_of(&state, caller, request_id, mrn.into_inner(), None, base).await?;
    Ok(fhir(&plan))
}
