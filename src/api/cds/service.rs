//! `POST /cds-services/rpl-workup`: the `patient-view` hook.

use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::cards::{self, Card};
use super::token;
use crate::api::audit_trail::Access;
use crate::api::error::ApiError;
use crate::api::extract::RequestId;
use crate::api::state::AppState;
use crate::api::unit_of_work::audited;
use crate::auth::Caller;
use crate::storage::patients::{self, PatientRow};
use crate::storage::{self, cds::IssuedRow, clinics, AnyConnection};
use crate::workup;

/// The hook's context.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HookContext {
    /// The EHR user (e.g. `Practitioner/123`), recorded in the audit.
    pub user_id: Option<String>,
    /// The EHR's id of the patient in view (required).
    pub patient_id: Option<String>,
    pub encounter_id: Option<String>,
    /// `order-select`: the ids (`ServiceRequest/1`) of the orders just selected.
    #[serde(default)]
    pub selections: Vec<String>,
    /// `order-select`: a FHIR `Bundle` of the draft orders (`ServiceRequest`s).
    #[schema(value_type = Option<Object>)]
    pub draft_orders: Option<Value>,
}

/// A CDS Hooks request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HookRequest {
    /// `patient-view`.
    pub hook: String,
    pub hook_instance: String,
    /// Ignored: this service never calls back into the EHR.
    pub fhir_server: Option<String>,
    pub context: HookContext,
    /// `patient`: the FHIR `Patient` in view (used when no patient carries the EHR id).
    #[schema(value_type = Option<Object>)]
    pub prefetch: Option<serde_json::Map<String, Value>>,
}

/// The cards.
#[derive(Debug, Serialize, ToSchema)]
pub struct CardsResponse {
    pub cards: Vec<Card>,
}

/// The identifier values of a prefetched FHIR `Patient` (only those of `system`, when set).
fn prefetched_identifiers(patient: &Value, system: Option<&str>) -> Option<Vec<String>> {
    if patient.get("resourceType")?.as_str()? != "Patient" {
        return None;
    }
    let values = patient
        .get("identifier")
        .and_then(Value::as_array)
        .map(|ids| {
            ids.iter()
                .filter(|id| {
                    system.is_none_or(|s| id.get("system").and_then(Value::as_str) == Some(s))
                })
                .filter_map(|id| id.get("value")?.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    Some(values)
}

/// The patient in view: by EHR id, else by an MRN among the prefetched identifiers. `Ok(None)`:
/// no such patient here. 412 when the hook lacks what is needed to tell.
pub(super) fn find_patient(
    conn: &mut AnyConnection,
    clinic: &crate::domain::ids::ClinicId,
    hook: &HookRequest,
) -> Result<Option<PatientRow>, ApiError> {
    let ehr_id = hook
        .context
        .patient_id
        .as_deref()
        .filter(|p| !p.trim().is_empty())
        .ok_or_else(|| ApiError::PreconditionFailed("context.patientId is required".to_owned()))?;
    if let Some(p) = patients::find_by_ehr_id(conn, clinic, ehr_id)? {
        return Ok(Some(p));
    }
    let system = clinics::ensure(conn, clinic)?.mrn_system;
    let identifiers = hook
        .prefetch
        .as_ref()
        .and_then(|p| p.get("patient"))
        .and_then(|p| prefetched_identifiers(p, system.as_deref()))
        .ok_or_else(|| {
            ApiError::PreconditionFailed(
                "no patient carries this EHR id: prefetch.patient (the FHIR Patient) is needed to \
                 match her MRN"
                    .to_owned(),
            )
        })?;
    for mrn in identifiers {
        if let Some(p) = patients::find_by_mrn(conn, clinic, &crate::domain::text::nfc(mrn.trim()))?
        {
            return Ok(Some(p));
        }
    }
    Ok(None)
}

/// What every hook call starts with: the EHR's token verified, the body read, the hook checked
/// against the service's own, the EHR user appended to the actor (for the audit), and the public
/// URL that card links start from.
pub(super) async fn accept_hook(
    req: &HttpRequest,
    state: &AppState,
    payload: web::Payload,
    expected: &str,
) -> Result<(Caller, HookRequest, Option<String>), ApiError> {
    let mut caller: Caller = token::verify(req, state).await?;
    let hook = super::json_body::<HookRequest>(req, payload).await?;
    if hook.hook != expected {
        return Err(ApiError::BadRequest(format!(
            "this service answers the {expected} hook, not '{}'",
            hook.hook
        )));
    }
    if let Some(user) = hook.context.user_id.as_deref().filter(|u| !u.is_empty()) {
        caller.sub = format!("{}/{}", caller.sub, user);
    }
    let public_url = req
        .app_data::<web::Data<token::PublicUrl>>()
        .and_then(|p| p.url.clone());
    Ok((caller, hook, public_url))
}

/// The `patient-view` hook: a summary card of the workup and a card per abnormal or overdue item.
#[utoipa::path(
    tag = "cds-hooks",
    request_body = HookRequest,
    responses(
        (status = 200, description = "Cards (none when the patient is not known here)", body = CardsResponse),
        (status = 400, description = "Not a patient-view request", body = crate::api::error::Problem),
        (status = 401, description = "No valid EHR token", body = crate::api::error::Problem),
        (status = 412, description = "context.patientId missing, or no match and no prefetched Patient", body = crate::api::error::Problem),
    ),
    security(("bearer" = []))
)]
#[post("/cds-services/rpl-workup")]
pub async fn cds_patient_view(
    req: HttpRequest,
    state: web::Data<AppState>,
    request_id: RequestId,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let (caller, hook, public_url) = accept_hook(&req, &state, payload, "patient-view").await?;
    let cards = audited(&state, caller, request_id, move |conn, caller| {
        let clinic = &caller.clinic;
        let Some(patient) = find_patient(conn, clinic, &hook)? else {
            return Ok((Vec::new(), Vec::new()));
        };
        let profile = workup::resolve_profile(conn, clinic, None, patient.profile.as_deref())?
            .map_err(|u| ApiError::internal(format!("unknown profile {}", u.0)))?;
        let today = workup::record::clinic_today(conn, clinic)?;
        let checklist = workup::checklist(conn, &patient, None, today)?
            .map_err(|u| ApiError::internal(format!("unknown profile {}", u.0)))?;
        let patient_ref = format!(
            "Patient/{}",
            hook.context.patient_id.as_deref().unwrap_or_default()
        );
        let (mut cards, issued) = cards::cards(&checklist, &profile, &patient_ref);
        if let Some(url) = &public_url {
            cards::link_patient_page(&mut cards, url, patient.id);
        }
        let at = storage::now();
        let rows: Vec<IssuedRow> = issued
            .into_iter()
            .map(|i| IssuedRow {
                id: i.id,
                kind: if i.is_card { "card" } else { "suggestion" }.to_owned(),
                card_id: i.card_id,
                clinic_id: clinic.clone(),
                patient_id: patient.id,
                item: i.item.map(|i| i.as_str().to_owned()),
                hook_instance: hook.hook_instance.clone(),
                issued_at: at,
            })
            .collect();
        storage::cds::record_issued(conn, &rows)?;
        let access = Access::new("read", "cds_cards", patient.id, patient.id);
        Ok((cards, vec![access]))
    })
    .await?;
    Ok(HttpResponse::Ok().json(CardsResponse { cards }))
}
