//! `GET /v1/audit/{id}/fhir` (admin only): one audit row as a FHIR R4 `AuditEvent`, for a
//! clinic's audit repository (IHE BALP-style: DICOM event type, RESTful interaction subtype).

use actix_web::{get, web, HttpResponse};
use serde_json::{json, Value};

use super::error::ApiError;
use super::state::AppState;
use crate::auth::{Caller, Role};
use crate::domain::ids::AuditEntryId;
use crate::ingest::Canon;
use crate::storage::audit::{self, AuditRow};

const DCM: &str = "http://dicom.nema.org/resources/ontology/DCM";
const RESTFUL: &str = "http://hl7.org/fhir/restful-interaction";

/// FHIR `AuditEvent.action` and the RESTful interaction of one of our actions.
fn action_codes(action: &str) -> (&'static str, &'static str) {
    match action {
        "read" => ("R", "read"),
        "create" | "ingest" => ("C", "create"),
        "update" => ("U", "update"),
        "delete" => ("D", "delete"),
        _ => ("E", "operation"),
    }
}

/// The row as a FHIR R4 `AuditEvent` (no empty fields).
pub fn audit_event(row: &AuditRow, canon: &Canon) -> Value {
    let (action, interaction) = action_codes(&row.action);
    let roles: Vec<Value> = row
        .roles
        .split(',')
        .filter(|r| !r.is_empty())
        .map(|r| json!({"coding": [{"system": canon.code_system("role"), "code": r}]}))
        .collect();
    let mut agent = json!({
        "who": {"identifier": {"system": format!("urn:rpl-workup:clinic:{}:actor", row.clinic_id), "value": row.actor}},
        "requestor": true,
    });
    if !roles.is_empty() {
        agent["role"] = Value::Array(roles);
    }
    let mut entities = Vec::new();
    if let Some(patient) = &row.patient_id {
        entities.push(json!({
            "what": {"reference": format!("Patient/{patient}")},
            "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "1", "display": "Person"},
            "role": {"system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "1", "display": "Patient"},
        }));
    }
    let mut resource = json!({
        "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "2", "display": "System Object"},
        "role": {"system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "4", "display": "Domain Resource"},
        "name": row.resource_type,
        "detail": [{"type": "request_id", "valueString": row.request_id}],
    });
    if let Some(id) = &row.resource_id {
        resource["what"] = json!({"identifier": {"system": canon.code_system("resource-type"), "value": format!("{}/{id}", row.resource_type)}});
    }
    entities.push(resource);
    json!({
        "resourceType": "AuditEvent",
        "id": row.id,
        "type": {"system": DCM, "code": "110110", "display": "Patient Record"},
        "subtype": [{"system": RESTFUL, "code": interaction}],
        "action": action,
        "recorded": row.at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "outcome": if row.outcome == "success" { "0" } else { "8" },
        "agent": [agent],
        "source": {
            "site": row.clinic_id,
            "observer": {"display": "rpl-workup"},
            "type": [{"system": "http://terminology.hl7.org/CodeSystem/security-source-type", "code": "4", "display": "Application Server"}],
        },
        "entity": entities,
        "extension": [{"url": canon.extension("request-id"), "valueString": row.request_id}],
    })
}

/// One audit row as a FHIR R4 `AuditEvent` (`application/fhir+json`).
#[utoipa::path(
    tag = "audit",
    params(("id" = uuid::Uuid, Path, description = "Audit row id")),
    responses(
        (status = 200, description = "A FHIR R4 AuditEvent", content_type = "application/fhir+json", body = Object),
        (status = 403, description = "Admins only", body = crate::api::error::Problem),
        (status = 404, description = "No such row in your clinic", body = crate::api::error::Problem),
    ),
    security(("bearer" = []))
)]
#[get("/v1/audit/{id}/fhir")]
pub async fn get_audit_event(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    if !caller.has(Role::Admin) {
        return Err(ApiError::Forbidden);
    }
    let id = AuditEntryId::from(path.into_inner());
    let row = state
        .db(move |conn| Ok(audit::find(conn, &caller.clinic, id)?))
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type("application/fhir+json")
        .json(audit_event(&row, &state.canon)))
}
