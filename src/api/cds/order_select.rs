//! `POST /cds-services/rpl-workup-order-select`: the `order-select` hook. When a selected draft
//! order is for a test the patient's guideline profile recommends against (NK cells, HLA typing,
//! MTHFR, routine inherited thrombophilia, luteal progesterone under ESHRE …), one `warning` card
//! quoting the recommendation, with override reasons. Anything else — a recommended test, an
//! outstanding one, an unknown code — gets no card: no noise at order time.

use actix_web::{post, web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::cards::{clip, Card, Coding, Source};
use super::service::{accept_hook, find_patient, CardsResponse, HookRequest};
use crate::api::audit_trail::Access;
use crate::api::error::ApiError;
use crate::api::extract::RequestId;
use crate::api::state::AppState;
use crate::api::unit_of_work::audited;
use crate::domain::catalogue::TestCode;
use crate::domain::checklist::{ChecklistItem, ItemStatus};
use crate::domain::ids::CardId;
use crate::domain::profile::Profile;
use crate::ingest::Canon;
use crate::ingest::LOINC_SYSTEM;
use crate::storage::{self, cds::IssuedRow};
use crate::workup::{self, record::clinic_today};

/// The service id in `/cds-services/{id}`.
pub const ORDER_SELECT_ID: &str = "rpl-workup-order-select";
/// Our code system for the reasons to order a test the guideline recommends against.
pub const ORDER_OVERRIDE_SYSTEM: &str = "https://rpl-workup.dev/cds/order-override-reason";
/// The override reasons offered on order-select warnings.
pub const ORDER_OVERRIDE_REASONS: [(&str, &str); 3] = [
    ("research", "Research protocol"),
    ("additional_risk_factors", "Additional risk factors"),
    ("specialist_request", "Requested by a specialist"),
];
const ITEM_SYSTEM: &str = "https://rpl-workup.dev/cds/item";

/// The tests a FHIR `ServiceRequest` orders: LOINC codes, or our test codes.
fn ordered_tests(request: &Value, canon: &Canon) -> Vec<TestCode> {
    let codings = request
        .pointer("/code/coding")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut tests: Vec<TestCode> = codings
        .iter()
        .filter_map(|c| {
            let system = c.get("system")?.as_str()?;
            let code = c.get("code")?.as_str()?.trim();
            if system == LOINC_SYSTEM {
                TestCode::from_loinc(code)
            } else if canon.is_ours(system) {
                TestCode::parse(code)
            } else {
                None
            }
        })
        .collect();
    tests.dedup();
    tests
}

/// The selected draft `ServiceRequest`s (all of them when `selections` is empty).
fn selected_requests(selections: &[String], draft_orders: Option<&Value>) -> Vec<Value> {
    let entries = draft_orders
        .and_then(|d| d.get("entry"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    entries
        .into_iter()
        .filter_map(|e| e.get("resource").cloned())
        .filter(|r| r.get("resourceType").and_then(Value::as_str) == Some("ServiceRequest"))
        .filter(|r| {
            let id = r.get("id").and_then(Value::as_str).unwrap_or_default();
            selections.is_empty()
                || selections
                    .iter()
                    .any(|s| *s == format!("ServiceRequest/{id}") || *s == id)
        })
        .collect()
}

/// The items the profile recommends against that `test` belongs to.
fn advised_against<'a>(
    items: &'a [ChecklistItem],
    profile: &Profile,
    test: TestCode,
) -> Vec<&'a ChecklistItem> {
    items
        .iter()
        .filter(|i| i.status == ItemStatus::NotRecommended)
        .filter(|i| {
            profile
                .item(i.id)
                .is_some_and(|spec| spec.components.iter().any(|c| c.test == test))
        })
        .collect()
}

fn warning(item: &ChecklistItem, test: TestCode, id: CardId) -> Card {
    let r = &item.recommendation;
    let strength = serde_json::to_value(r.strength)
        .ok()
        .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
        .unwrap_or_default();
    Card {
        uuid: id.to_string(),
        summary: clip(&format!(
            "{} is not recommended ({})",
            test.entry().title,
            r.source
        )),
        detail: format!(
            "> {}\n\n— {}, {} recommendation.\n\n**Why here:** {}",
            r.text, r.source, strength, item.reason
        ),
        indicator: "warning".to_owned(),
        source: Source {
            label: r.source.to_string(),
            topic: Some(Coding {
                system: ITEM_SYSTEM.to_owned(),
                code: item.id.as_str().to_owned(),
                display: item.title.to_string(),
            }),
        },
        suggestions: Vec::new(),
        selection_behavior: None,
        override_reasons: ORDER_OVERRIDE_REASONS
            .iter()
            .map(|(code, display)| Coding {
                system: ORDER_OVERRIDE_SYSTEM.to_owned(),
                code: (*code).to_owned(),
                display: (*display).to_owned(),
            })
            .collect(),
        links: Vec::new(),
    }
}

/// The `order-select` hook: a warning card per selected order the profile recommends against.
#[utoipa::path(
    tag = "cds-hooks",
    request_body = HookRequest,
    responses(
        (status = 200, description = "Warning cards (none for recommended or unknown tests, or an unknown patient)", body = CardsResponse),
        (status = 400, description = "Not an order-select request", body = crate::api::error::Problem),
        (status = 401, description = "No valid EHR token", body = crate::api::error::Problem),
        (status = 412, description = "context.patientId missing, or no match and no prefetched Patient", body = crate::api::error::Problem),
    ),
    security(("bearer" = []))
)]
#[post("/cds-services/rpl-workup-order-select")]
pub async fn cds_order_select(
    req: HttpRequest,
    state: web::Data<AppState>,
    request_id: RequestId,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let (caller, hook, public_url) = accept_hook(&req, &state, payload, "order-select").await?;
    let canon = state.canon.clone();
    let cards = audited(&state, caller, request_id, move |conn, caller| {
        let clinic = &caller.clinic;
        let Some(patient) = find_patient(conn, clinic, &hook)? else {
            return Ok((Vec::new(), Vec::new()));
        };
        let profile = workup::resolve_profile(conn, clinic, None, patient.profile.as_deref())?
            .map_err(|u| ApiError::internal(format!("unknown profile {}", u.0)))?;
        let today = clinic_today(conn, clinic)?;
        let checklist = workup::checklist(conn, &patient, None, today)?
            .map_err(|u| ApiError::internal(format!("unknown profile {}", u.0)))?;
        let mut cards: Vec<Card> = Vec::new();
        let mut seen = Vec::new();
        let mut ids = Vec::new();
        for request in
            selected_requests(&hook.context.selections, hook.context.draft_orders.as_ref())
        {
            for test in ordered_tests(&request, &canon) {
                for item in advised_against(&checklist.items, &profile, test) {
                    if !seen.contains(&item.id) {
                        let id = CardId::new();
                        seen.push(item.id);
                        ids.push(id);
                        cards.push(warning(item, test, id));
                    }
                }
            }
        }
        if let Some(url) = &public_url {
            super::cards::link_patient_page(&mut cards, url, patient.id);
        }
        let at = storage::now();
        let rows: Vec<IssuedRow> = seen
            .iter()
            .zip(&ids)
            .map(|(item, id)| IssuedRow {
                id: *id,
                kind: "order_warning".to_owned(),
                card_id: *id,
                clinic_id: clinic.clone(),
                patient_id: patient.id,
                item: Some(item.as_str().to_owned()),
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

/// The discovery entry of this service.
pub fn discovery_entry() -> super::CdsService {
    super::CdsService {
        hook: "order-select".to_owned(),
        id: ORDER_SELECT_ID.to_owned(),
        title: "Recurrent pregnancy loss: tests the guideline advises against".to_owned(),
        description: "Warns when a selected order is for a test the patient's guideline profile \
            recommends against, quoting the recommendation; silent otherwise."
            .to_owned(),
        prefetch: json!({"patient": "Patient/{{context.patientId}}"}),
        usage_requirements: "As for the patient-view service; send context.draftOrders as a \
            Bundle of ServiceRequests coded in LOINC (or our test code system)."
            .to_owned(),
    }
}
