//! Helpers shared by the lab feed tests: fixtures, posting in each feed's format, and a look at
//! the message log (which no API exposes) straight through storage.
#![allow(dead_code)]

use rpl_workup::domain::ids::ClinicId;
use rpl_workup::storage::{self, lab::LabMessageRow, Backend};
use serde_json::{json, Value};

use crate::helpers::*;

pub const HL7: &str = "x-application/hl7-v2+er7";
pub const FHIR: &str = "application/fhir+json";

/// A fixture file's bytes (`tests/fixtures/{path}`).
pub fn fixture(path: &str) -> Vec<u8> {
    let full = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// A fixture as text with `from` replaced by `to` (a fresh MRN, accession or control id).
pub fn fixture_with(path: &str, swaps: &[(&str, &str)]) -> Vec<u8> {
    let mut text = String::from_utf8(fixture(path)).expect("utf-8 fixture");
    for (from, to) in swaps {
        text = text.replace(from, to);
    }
    text.into_bytes()
}

/// Creates the patient every fixture names (MRN-0042) and returns her id.
pub async fn patient_0042(app: &TestApp) -> String {
    app.create_patient(&json!({"mrn": "MRN-0042", "birth_date": "1990-01-01"}))
        .await
}

pub async fn post_fhir(app: &TestApp, path: &str, body: Vec<u8>, headers: &[(&str, &str)]) -> Resp {
    app.send(
        "POST",
        path,
        Some(&app.lab()),
        Some(FHIR),
        Some(body),
        headers,
    )
    .await
}

pub async fn post_hl7(app: &TestApp, body: Vec<u8>, headers: &[(&str, &str)]) -> Resp {
    app.send(
        "POST",
        "/hl7/v2",
        Some(&app.lab()),
        Some(HL7),
        Some(body),
        headers,
    )
    .await
}

pub async fn post_lab(app: &TestApp, body: &Value, headers: &[(&str, &str)]) -> Resp {
    let bytes = serde_json::to_vec(body).unwrap();
    app.send(
        "POST",
        "/v1/lab/results",
        Some(&app.lab()),
        Some("application/json"),
        Some(bytes),
        headers,
    )
    .await
}

/// The patient's results as a clinician sees them.
pub async fn results_of(app: &TestApp, patient: &str) -> Vec<Value> {
    let res = app
        .get(&format!("/v1/patients/{patient}/results"), &app.clinician())
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()["items"].as_array().unwrap().clone()
}

/// One result with every version.
pub async fn result_of(app: &TestApp, patient: &str, id: &str) -> Value {
    let res = app
        .get(
            &format!("/v1/patients/{patient}/results/{id}"),
            &app.clinician(),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()
}

/// The clinic's message log, newest first.
pub fn messages(app: &TestApp) -> Vec<LabMessageRow> {
    let pool = storage::build_pool(Backend::from_url(&app.db.url).unwrap(), 1);
    let mut conn = pool.get().expect("database");
    let clinic = ClinicId::parse(CLINIC_A).expect("clinic id");
    storage::lab::list(&mut conn, &clinic, 1000).expect("message log")
}

/// The HL7 segments of an ACK.
pub fn segments(ack: &str) -> Vec<Vec<String>> {
    ack.split(['\r', '\n'])
        .filter(|s| !s.is_empty())
        .map(|s| s.split('|').map(str::to_owned).collect())
        .collect()
}

/// MSA-1 and MSA-2 of an ACK.
pub fn msa(ack: &str) -> (String, String) {
    let msa = segments(ack)
        .into_iter()
        .find(|s| s[0] == "MSA")
        .unwrap_or_else(|| panic!("no MSA in {ack:?}"));
    (msa[1].clone(), msa.get(2).cloned().unwrap_or_default())
}

/// One JSON lab result body.
pub fn lab_result(accession: &str, loinc: &str, status: &str, value: Value) -> Value {
    json!({"accession": accession, "loinc": loinc, "status": status, "value": value,
           "collected_on": "2026-01-05"})
}

/// A positive anticardiolipin IgG FHIR Observation of patient `mrn` with accession `accession`.
pub fn acl_igg_observation(mrn: &str, accession: &str) -> Value {
    let mut obs: Value =
        serde_json::from_slice(&fixture("fhir/observation-acl-igg-positive.json")).unwrap();
    obs["identifier"][0]["value"] = json!(accession);
    obs["subject"]["identifier"]["value"] = json!(mrn);
    obs
}
