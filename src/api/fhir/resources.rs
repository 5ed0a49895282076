//! The workup as FHIR R4 resources (pure): a profile as a `PlanDefinition`, a patient's checklist
//! as a `CarePlan` with a contained `RequestGroup`, proposed `ServiceRequest`s (outstanding and
//! repeat-due items) and `DetectedIssue`s (abnormal items). Canonical URLs from the configured base.

use serde_json::{json, Value};

use crate::api::cds::cards::to_order;
use crate::domain::catalogue::TestCode;
use crate::domain::checklist::{Checklist, ItemStatus};
use crate::domain::profile::{Profile, Stance};
use crate::ingest::{Canon, LOINC_SYSTEM};

/// Our code system for checklist items, under the configured base.
fn item_system(canon: &Canon) -> String {
    canon.code_system("item")
}

/// A FHIR id (`[A-Za-z0-9\-\.]{1,64}`) for a profile id.
pub fn fhir_id(id: &str) -> String {
    let mut out: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    if out.is_empty() {
        out.push('-');
    }
    out
}

fn test_coding(test: TestCode, canon: &Canon) -> Value {
    let entry = test.entry();
    match entry.loinc.first() {
        Some(loinc) => json!({"system": LOINC_SYSTEM, "code": loinc, "display": entry.title}),
        None => {
            json!({"system": canon.test_system(), "code": test.as_str(), "display": entry.title})
        }
    }
}

fn stance_text(stance: &Stance) -> String {
    match stance {
        Stance::Recommended => {
            "Recommended for every patient meeting the profile's definition of RPL".into()
        }
        Stance::Optional => "May be considered".into(),
        Stance::NotRecommended => "Recommended against".into(),
        Stance::NotIndicated => "Not indicated".into(),
        Stance::Omitted => "Not part of this profile".into(),
        Stance::Conditional(c) => format!(
            "When {}: {}; otherwise: {}",
            serde_json::to_value(&c.condition)
                .map(|v| v.to_string().replace('"', ""))
                .unwrap_or_default(),
            stance_text(&c.then.stance).to_lowercase(),
            stance_text(&c.otherwise.stance).to_lowercase()
        ),
    }
}

/// The applicability of an item's action: FHIRPath `true` (recommended, optional) or `false`
/// (recommended against, not indicated); a conditional stance is described in prose only.
fn condition(stance: &Stance) -> Value {
    let mut expression = json!({"language": "text/fhirpath", "description": stance_text(stance)});
    match stance {
        Stance::Recommended | Stance::Optional => expression["expression"] = json!("true"),
        Stance::NotRecommended | Stance::NotIndicated => expression["expression"] = json!("false"),
        Stance::Omitted | Stance::Conditional(_) => {}
    }
    expression
}

/// A profile as a `PlanDefinition`: one action per item with its condition, its components'
/// codes (LOINC, else ours) as `input`, and the recommendation as `documentation`.
pub fn plan_definition(profile: &Profile, canon: &Canon) -> Value {
    let base = canon.base();
    let id = fhir_id(&profile.id);
    let actions: Vec<Value> = profile
        .items
        .iter()
        .filter(|i| i.stance != Stance::Omitted)
        .map(|item| {
            let r = &item.recommendation;
            let strength = serde_json::to_value(r.strength)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            let mut codes: Vec<Value> = Vec::new();
            for c in &item.components {
                let coding = test_coding(c.test, canon);
                if !codes.contains(&coding) {
                    codes.push(coding);
                }
            }
            let mut action = json!({
                "id": fhir_id(item.id.as_str()),
                "title": item.id.title(),
                "description": r.text,
                "code": [{"coding": [{"system": item_system(canon), "code": item.id.as_str(),
                                      "display": item.id.title()}]}],
                "documentation": [{"type": "documentation", "label": strength,
                                   "display": r.source, "citation": r.text}],
                "condition": [{"kind": "applicability", "expression": condition(&item.stance)}],
            });
            if !codes.is_empty() {
                action["input"] = json!([{"type": "Observation",
                    "codeFilter": [{"path": "code", "code": codes}]}]);
            }
            action
        })
        .collect();
    json!({
        "resourceType": "PlanDefinition",
        "id": id,
        "url": format!("{base}/PlanDefinition/{id}"),
        "version": profile.version,
        "name": id.replace(['-', '.'], "_"),
        "title": profile.title,
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/plan-definition-type",
                             "code": "clinical-protocol"}]},
        "status": "active",
        "description": profile.citation,
        "action": actions,
    })
}

/// A patient's checklist as a `CarePlan` (`intent: proposal`) with a contained `RequestGroup`:
/// outstanding and repeat-due items as proposed `ServiceRequest`s, abnormal ones as
/// `DetectedIssue`s. `subject` is the patient's reference (by MRN identifier).
pub fn care_plan(
    checklist: &Checklist,
    profile: &Profile,
    subject: &Value,
    canon: &Canon,
) -> Value {
    let base = canon.base();
    let mut contained: Vec<Value> = Vec::new();
    let mut actions: Vec<Value> = Vec::new();
    for item in &checklist.items {
        let code = json!({"coding": [{"system": item_system(canon), "code": item.id.as_str(),
                                      "display": item.title}]});
        match item.status {
            ItemStatus::Outstanding | ItemStatus::RepeatDue => {
                for (test, partner) in to_order(item, profile) {
                    let id = format!("sr-{}", contained.len() + 1);
                    let mut request = json!({
                        "resourceType": "ServiceRequest", "id": id, "status": "draft",
                        "intent": "proposal", "subject": subject,
                        "code": {"coding": [test_coding(test, canon)], "text": test.entry().title},
                        "reasonCode": [code],
                    });
                    if partner {
                        request["note"] = json!([{"text": "Sample from the patient's partner"}]);
                    }
                    if let Some(due) = item.due_on {
                        request["occurrenceDateTime"] = json!(due.to_string());
                    }
                    contained.push(request);
                    actions.push(
                        json!({"title": format!("{}: {}", item.title, test.entry().title),
                        "description": item.recommendation.text,
                        "resource": {"reference": format!("#{id}")}}),
                    );
                }
            }
            ItemStatus::Abnormal => {
                let id = format!("di-{}", contained.len() + 1);
                contained.push(json!({
                    "resourceType": "DetectedIssue", "id": id, "status": "preliminary",
                    "code": code, "patient": subject, "detail": item.reason,
                }));
                actions.push(json!({"title": format!("{}: abnormal", item.title),
                    "description": item.recommendation.text,
                    "resource": {"reference": format!("#{id}")}}));
            }
            _ => {}
        }
    }
    let mut group = json!({"resourceType": "RequestGroup", "id": "workup", "status": "active",
                           "intent": "proposal", "subject": subject});
    if !actions.is_empty() {
        group["action"] = Value::Array(actions);
    }
    contained.insert(0, group);
    let canonical = format!("{base}/PlanDefinition/{}", fhir_id(&profile.id));
    json!({
        "resourceType": "CarePlan",
        "contained": contained,
        "instantiatesCanonical": [canonical],
        "status": "active",
        "intent": "proposal",
        "title": format!("Recurrent pregnancy loss workup ({})", profile.title),
        "description": checklist.eligibility.explanation,
        "subject": subject,
        "activity": [{"reference": {"reference": "#workup"}}],
    })
}
