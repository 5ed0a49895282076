//! From each feed to the clinician's checklist: what a lab sends changes what the OB-GYN sees.

use serde_json::{json, Value};

use crate::helpers::*;
use crate::lab_support::*;

async fn patient_with_two_losses(app: &TestApp) -> String {
    app.create_patient(
        &json!({"mrn": "MRN-0042", "birth_date": "1990-01-01", "pregnancies": [
        {"outcome": "miscarriage", "ended_on": "2024-03-01", "gestational_age_weeks": 7},
        {"outcome": "miscarriage", "ended_on": "2024-09-01", "gestational_age_weeks": 9}]}),
    )
    .await
}

async fn item(app: &TestApp, patient: &str, id: &str) -> Value {
    let checklist = app
        .get(
            &format!("/v1/patients/{patient}/checklist"),
            &app.clinician(),
        )
        .await
        .json();
    checklist["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap()
        .clone()
}

#[actix_web::test]
async fn a_high_tsh_over_hl7_makes_thyroid_abnormal_and_asks_for_free_t4() {
    let app = spawn_app().await;
    let patient = patient_with_two_losses(&app).await;
    let message = fixture_with(
        "hl7v2/oru-tsh-tpo.hl7",
        &[(
            "|2.1|m[IU]/L^^UCUM|0.4-4.0|N|",
            "|6.8|m[IU]/L^^UCUM|0.4-4.0|H|",
        )],
    );
    let ack = post_hl7(&app, message, &[]).await;
    assert_eq!(msa(&ack.text()).0, "AA", "{}", ack.text());
    let thyroid = item(&app, &patient, "thyroid").await;
    assert_eq!(thyroid["status"], "abnormal", "{thyroid}");
    assert_eq!(thyroid["missing"], json!(["free_t4"]));
    assert_eq!(thyroid["result_ids"].as_array().unwrap().len(), 2);
}

#[actix_web::test]
async fn a_fhir_retraction_puts_antiphospholipid_back_to_outstanding() {
    let app = spawn_app().await;
    let patient = patient_with_two_losses(&app).await;
    let posted = post_fhir(
        &app,
        "/fhir/r4/Observation",
        fixture("fhir/observation-acl-igg-positive.json"),
        &[],
    )
    .await;
    assert_eq!(posted.status, 201, "{}", posted.text());
    assert_eq!(
        item(&app, &patient, "antiphospholipid").await["status"],
        "repeat_due"
    );

    let retracted = post_fhir(
        &app,
        "/fhir/r4/Observation",
        fixture("fhir/observation-acl-igg-entered-in-error.json"),
        &[],
    )
    .await;
    assert!(retracted.status < 300, "{}", retracted.text());
    let apl = item(&app, &patient, "antiphospholipid").await;
    assert_eq!(apl["status"], "outstanding", "{apl}");
    let results = results_of(&app, &patient).await;
    assert_eq!(results.len(), 1, "the result stays, retracted");
    assert_eq!(results[0]["status"], "entered_in_error");
}

#[actix_web::test]
async fn a_json_lab_post_completes_lifestyle_only_with_every_component() {
    let app = spawn_app().await;
    let patient = patient_with_two_losses(&app).await;
    let body = json!({"mrn": "MRN-0042", "results": [
        {"accession": "L-1", "test": "smoking_status", "value": {"finding": "never"}, "status": "final", "collected_on": "2026-01-05"},
        {"accession": "L-2", "test": "bmi", "value": {"quantity": 23.4, "unit": "kg/m2"}, "status": "final", "collected_on": "2026-01-05"}
    ]});
    let res = post_lab(&app, &body, &[]).await;
    assert!(res.status < 300, "{}", res.text());
    let lifestyle = item(&app, &patient, "lifestyle_review").await;
    assert_eq!(lifestyle["status"], "outstanding", "{lifestyle}");
    assert_eq!(lifestyle["missing"], json!(["alcohol_units_per_week"]));
}
