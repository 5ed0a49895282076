//! Results: value shapes per test, versions on correction, retraction, tissue and partner subjects.

use serde_json::json;

use crate::helpers::*;

#[actix_web::test]
async fn a_correction_is_a_new_version_and_the_first_stays_readable() {
    let app = spawn_app().await;
    let id = app.create_patient(&json!({"mrn": "R1"})).await;
    let res = app
        .post(
            &format!("/v1/patients/{id}/results"),
            &app.clinician(),
            &json!({"test": "anticardiolipin_igg", "loinc": "3181-5",
                    "value": {"quantity": 52.0, "unit": "[GPL'U]/mL"},
                    "interpretation": "positive", "collected_on": "2026-10-13"}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let result = res.json();
    assert_eq!(result["version"], 1);
    assert_eq!(result["status"], "final");
    let rid = result["id"].as_str().unwrap();

    let corrected = app
        .post(
            &format!("/v1/patients/{id}/results/{rid}/versions"),
            &app.clinician(),
            &json!({"value": {"quantity": 12.0, "unit": "[GPL'U]/mL"}, "interpretation": "negative",
                    "collected_on": "2026-10-13"}),
        )
        .await;
    assert_eq!(corrected.status, 201, "{}", corrected.text());
    let body = corrected.json();
    assert_eq!(body["version"], 2);
    assert_eq!(body["status"], "corrected");
    assert_eq!(body["versions"].as_array().unwrap().len(), 2);
    assert_eq!(body["versions"][0]["value"]["quantity"], 52.0);

    let list = app
        .get(&format!("/v1/patients/{id}/results"), &app.clinician())
        .await
        .json();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["value"]["quantity"], 12.0);
}

#[actix_web::test]
async fn a_value_of_the_wrong_shape_is_refused_with_its_path() {
    let app = spawn_app().await;
    let id = app.create_patient(&json!({"mrn": "R2"})).await;
    let path = format!("/v1/patients/{id}/results");
    let cases = [
        (
            json!({"test": "karyotype", "value": {"finding": "translocation"}}),
            "value.finding",
        ),
        (
            json!({"test": "uterine_imaging", "value": {"finding": "septate"}}),
            "modality",
        ),
        (
            json!({"test": "tsh", "value": {"quantity": "high"}}),
            "value.quantity",
        ),
        (
            json!({"test": "thyroxine", "value": {"quantity": 1.0}}),
            "test",
        ),
        (
            json!({"test": "tsh", "value": {"quantity": 1.0}, "loinc": "3181-5"}),
            "loinc",
        ),
        (
            json!({"test": "tsh", "value": {"quantity": 1.0}, "subject": "pregnancy_tissue"}),
            "subject",
        ),
        (
            json!({"test": "tsh", "value": {"quantity": 1.0}, "collected_on": "2999-01-01"}),
            "collected_on",
        ),
        (
            json!({"test": "tsh", "value": {"quantity": 1.0}, "note": "x".repeat(2001)}),
            "note",
        ),
    ];
    for (body, field) in cases {
        let res = app.post(&path, &app.clinician(), &body).await;
        let problem = assert_problem(&res, 422, "validation_failed");
        assert_eq!(problem["errors"][0]["field"], field, "{body} → {problem}");
    }
    let list = app.get(&path, &app.clinician()).await.json();
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
}

#[actix_web::test]
async fn a_tissue_karyotype_names_its_pregnancy_and_a_foreign_pregnancy_is_refused() {
    let app = spawn_app().await;
    let id = app
        .create_patient(&json!({"mrn": "R3", "pregnancies": [
            {"outcome": "miscarriage", "ended_on": "2026-01-10", "gestational_age_weeks": 9}]}))
        .await;
    let other = app.create_patient(&json!({"mrn": "R3-other"})).await;
    let pregnancies = app
        .get(&format!("/v1/patients/{id}/pregnancies"), &app.clinician())
        .await
        .json();
    let pid = pregnancies["items"][0]["id"].as_str().unwrap();
    let body = json!({"test": "karyotype", "subject": "pregnancy_tissue", "pregnancy_id": pid,
                      "value": {"finding": "aneuploidy", "text": "47,XX,+16"}});
    let ok = app
        .post(
            &format!("/v1/patients/{id}/results"),
            &app.clinician(),
            &body,
        )
        .await;
    assert_eq!(ok.status, 201, "{}", ok.text());
    assert_eq!(ok.json()["pregnancy_id"], pid);
    let foreign = app
        .post(
            &format!("/v1/patients/{other}/results"),
            &app.clinician(),
            &body,
        )
        .await;
    let problem = assert_problem(&foreign, 422, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "pregnancy_id");
}
