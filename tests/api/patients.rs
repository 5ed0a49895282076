//! The patient record: creation with history, reads, merge-patch updates, soft deletion, MRN rules.

use serde_json::json;

use crate::helpers::*;

#[actix_web::test]
async fn a_clinician_creates_a_patient_with_her_history_and_reads_it_back() {
    let app = spawn_app().await;
    let res = app
        .post(
            "/v1/patients",
            &app.clinician(),
            &json!({
                "mrn": "MRN-1", "birth_date": "1990-04-02", "ehr_patient_id": "ehr-1",
                "partner": {"mrn": "MRN-P1"},
                "pregnancies": [
                    {"outcome": "miscarriage", "ended_on": "2025-03-01", "gestational_age_weeks": 8},
                    {"outcome": "biochemical", "ended_on": "2025-09-01", "gestational_age_weeks": 5, "gestational_age_days": 2}
                ]
            }),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let patient = res.json();
    let id = patient["id"].as_str().unwrap();
    assert_eq!(
        res.header("location").unwrap(),
        format!("/v1/patients/{id}")
    );
    assert_eq!(patient["partner"]["mrn"], "MRN-P1");

    let read = app
        .get(&format!("/v1/patients/{id}"), &app.clinician())
        .await;
    assert_eq!(read.status, 200);
    assert_eq!(read.json()["mrn"], "MRN-1");

    let history = app
        .get(&format!("/v1/patients/{id}/pregnancies"), &app.clinician())
        .await;
    assert_eq!(history.status, 200);
    let items = history.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    assert_eq!(items[1]["gestational_age_days"], 2);
}

#[actix_web::test]
async fn a_duplicate_mrn_in_the_same_clinic_is_a_conflict_but_another_clinic_may_use_it() {
    let app = spawn_app().await;
    app.create_patient(&json!({"mrn": "DUP"})).await;
    let again = app
        .post("/v1/patients", &app.clinician(), &json!({"mrn": "DUP"}))
        .await;
    assert_problem(&again, 409, "conflict");
    let other = app
        .post(
            "/v1/patients",
            &app.token(rpl_workup::auth::Role::Clinician, CLINIC_B),
            &json!({"mrn": "DUP"}),
        )
        .await;
    assert_eq!(other.status, 201);
}

#[actix_web::test]
async fn an_invalid_pregnancy_names_the_field_and_stores_nothing() {
    let app = spawn_app().await;
    let res = app
        .post(
            "/v1/patients",
            &app.clinician(),
            &json!({"mrn": "MRN-X", "pregnancies": [
                {"outcome": "miscarriage", "ended_on": "2025-03-01", "gestational_age_weeks": 8},
                {"outcome": "miscarriage", "ended_on": "2025-03-01", "gestational_age_weeks": 8, "gestational_age_days": 9},
                {"outcome": "live_birth"}
            ]}),
        )
        .await;
    let problem = assert_problem(&res, 422, "validation_failed");
    let fields: Vec<_> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        fields.contains(&"pregnancies[1].gestational_age_days".to_owned()),
        "{fields:?}"
    );
    let list = app.get("/v1/patients?mrn=MRN-X", &app.clinician()).await;
    assert_eq!(list.json()["items"].as_array().unwrap().len(), 0);
}

#[actix_web::test]
async fn cross_field_rules_of_the_history_are_enforced() {
    let app = spawn_app().await;
    let id = app
        .create_patient(&json!({"mrn": "M", "birth_date": "1990-01-01"}))
        .await;
    let path = format!("/v1/patients/{id}/pregnancies");
    let cases = [
        (json!({"outcome": "live_birth"}), "ended_on"),
        (
            json!({"outcome": "ongoing", "ended_on": "2025-01-01"}),
            "ended_on",
        ),
        (
            json!({"outcome": "miscarriage", "ended_on": "2025-01-01"}),
            "gestational_age_weeks",
        ),
        (
            json!({"outcome": "miscarriage", "ended_on": "1980-01-01", "gestational_age_weeks": 6}),
            "ended_on",
        ),
        (
            json!({"outcome": "miscarriage", "ended_on": "2999-01-01", "gestational_age_weeks": 6}),
            "ended_on",
        ),
        (
            json!({"outcome": "miscarriage", "ended_on": "2025-01-01", "gestational_age_weeks": 46}),
            "gestational_age_weeks",
        ),
        (
            json!({"outcome": "lost", "ended_on": "2025-01-01"}),
            "outcome",
        ),
        (
            json!({"outcome": "miscarriage", "ended_on": "2025-01-01", "gestational_age_weeks": 6, "colour": "red"}),
            "colour",
        ),
    ];
    for (body, field) in cases {
        let res = app.post(&path, &app.clinician(), &body).await;
        let problem = assert_problem(&res, 422, "validation_failed");
        assert_eq!(problem["errors"][0]["field"], field, "{body} → {problem}");
    }
    let history = app.get(&path, &app.clinician()).await.json();
    assert_eq!(history["items"].as_array().unwrap().len(), 0);
}

#[actix_web::test]
async fn patch_changes_only_what_is_sent_and_null_clears() {
    let app = spawn_app().await;
    let id = app
        .create_patient(&json!({"mrn": "P", "birth_date": "1991-01-01", "ehr_patient_id": "e-9"}))
        .await;
    let res = app
        .patch(
            &format!("/v1/patients/{id}"),
            &app.clinician(),
            &json!({"ehr_patient_id": null, "profile": "rcog-2023"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let body = res.json();
    assert_eq!(body["ehr_patient_id"], serde_json::Value::Null);
    assert_eq!(body["birth_date"], "1991-01-01");
    assert_eq!(body["profile"], "rcog-2023");
    let bad = app
        .patch(
            &format!("/v1/patients/{id}"),
            &app.clinician(),
            &json!({"profile": "who-1999"}),
        )
        .await;
    assert_problem(&bad, 422, "validation_failed");
}

#[actix_web::test]
async fn a_deleted_patient_is_gone_from_the_api_and_her_mrn_can_be_reused() {
    let app = spawn_app().await;
    let id = app.create_patient(&json!({"mrn": "GONE"})).await;
    let del = app
        .delete(&format!("/v1/patients/{id}"), &app.clinician())
        .await;
    assert_eq!(del.status, 204);
    assert_problem(
        &app.get(&format!("/v1/patients/{id}"), &app.clinician())
            .await,
        404,
        "not_found",
    );
    app.create_patient(&json!({"mrn": "GONE"})).await;
}

#[actix_web::test]
async fn patients_page_with_a_stable_cursor() {
    let app = spawn_app().await;
    for i in 0..5 {
        app.create_patient(&json!({"mrn": format!("PG-{i}")})).await;
    }
    let first = app
        .get("/v1/patients?limit=2", &app.clinician())
        .await
        .json();
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    app.create_patient(&json!({"mrn": "PG-late"})).await;
    let second = app
        .get(
            &format!("/v1/patients?limit=2&cursor={cursor}"),
            &app.clinician(),
        )
        .await
        .json();
    assert_eq!(second["items"][0]["mrn"], "PG-2");
    let bad = app.get("/v1/patients?limit=0", &app.clinician()).await;
    assert_problem(&bad, 422, "validation_failed");
}
