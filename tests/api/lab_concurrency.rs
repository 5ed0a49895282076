//! Concurrent retries, on SQLite and on PostgreSQL (`TEST_DATABASE_URL`), through one instance or
//! two on the same database: exactly one result, and every caller gets success.

use std::sync::Arc;

use futures_util::future::join_all;
use serde_json::json;

use crate::helpers::*;
use crate::lab_support::*;

const PARALLEL: usize = 50;

#[actix_web::test]
async fn fifty_parallel_identical_observations_store_one_result_and_all_succeed() {
    let app = spawn_app().await;
    let patient = patient_0042(&app).await;
    let body = fixture("fhir/observation-acl-igg-positive.json");
    let calls = (0..PARALLEL).map(|_| post_fhir(&app, "/fhir/r4/Observation", body.clone(), &[]));
    let responses = join_all(calls).await;
    let created = responses.iter().filter(|r| r.status == 201).count();
    assert!(
        responses.iter().all(|r| r.status == 201 || r.status == 200),
        "{:?}",
        responses
            .iter()
            .map(|r| (r.status, r.text()))
            .collect::<Vec<_>>()
    );
    assert_eq!(created, 1, "exactly one caller created it");
    let results = results_of(&app, &patient).await;
    assert_eq!(results.len(), 1);
    let full = result_of(&app, &patient, results[0]["id"].as_str().unwrap()).await;
    assert_eq!(full["versions"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn fifty_parallel_identical_hl7_messages_store_one_result_and_all_get_the_same_aa() {
    let app = spawn_app().await;
    let patient = patient_0042(&app).await;
    let body = fixture("hl7v2/oru-acl-preliminary.hl7");
    let responses = join_all((0..PARALLEL).map(|_| post_hl7(&app, body.clone(), &[]))).await;
    for r in &responses {
        assert_eq!(r.status, 200);
        assert_eq!(msa(&r.text()), ("AA".to_owned(), "MSG00003".to_owned()));
        assert_eq!(r.body, responses[0].body, "the one stored ACK");
    }
    assert_eq!(results_of(&app, &patient).await.len(), 1);
    assert_eq!(
        messages(&app).len(),
        1,
        "one message: the others were replays"
    );
}

#[actix_web::test]
async fn fifty_parallel_posts_with_one_idempotency_key_get_one_response() {
    let app = spawn_app().await;
    let patient = patient_0042(&app).await;
    let body = json!({"mrn": "MRN-0042", "results": [
        lab_result("C-1", "3181-5", "final", json!({"quantity": 52.0, "unit": "[GPL'U]/mL"}))]});
    let key = [("Idempotency-Key", "parallel-key")];
    let responses = join_all((0..PARALLEL).map(|_| post_lab(&app, &body, &key))).await;
    for r in &responses {
        assert_eq!(r.status, 201, "{}", r.text());
        assert_eq!(r.body, responses[0].body);
    }
    assert_eq!(results_of(&app, &patient).await.len(), 1);
}

#[actix_web::test]
async fn parallel_posts_spread_over_two_instances_on_one_database_store_one_result() {
    let app = spawn_app().await;
    let other = spawn_on(Arc::clone(&app.db), |_| {}).await;
    let patient = patient_0042(&app).await;
    let obs = fixture("fhir/observation-acl-igg-positive.json");
    let hl7 = fixture("hl7v2/oru-tsh-tpo.hl7");
    let calls = (0..PARALLEL).map(|i| {
        let target = if i % 2 == 0 { &app } else { &other };
        let (obs, hl7) = (obs.clone(), hl7.clone());
        async move {
            if i % 4 < 2 {
                let r = post_fhir(target, "/fhir/r4/Observation", obs, &[]).await;
                assert!(r.status == 201 || r.status == 200, "{}", r.text());
            } else {
                let r = post_hl7(target, hl7, &[]).await;
                assert_eq!(msa(&r.text()).0, "AA", "{}", r.text());
            }
        }
    });
    join_all(calls).await;
    let results = results_of(&app, &patient).await;
    assert_eq!(results.len(), 3, "one aCL, one TSH, one TPO");
    for r in &results {
        let full = result_of(&app, &patient, r["id"].as_str().unwrap()).await;
        assert_eq!(full["versions"].as_array().unwrap().len(), 1);
    }
}

#[actix_web::test]
async fn an_ingested_positive_anticardiolipin_reaches_the_clinicians_view() {
    let app = spawn_app().await;
    let patient = app
        .create_patient(&json!({"mrn": "MRN-0042", "pregnancies": [
            {"outcome": "miscarriage", "ended_on": "2025-06-10", "gestational_age_weeks": 8},
            {"outcome": "miscarriage", "ended_on": "2025-11-02", "gestational_age_weeks": 9}]}))
        .await;
    let today = chrono::Utc::now().date_naive();
    let collected = (today - chrono::Duration::days(10)).to_string();
    let mut body: serde_json::Value =
        serde_json::from_slice(&fixture("fhir/observation-acl-igg-positive.json")).unwrap();
    body["effectiveDateTime"] = json!(collected);
    body["issued"] = json!(format!("{collected}T12:00:00Z"));
    let res = post_fhir(
        &app,
        "/fhir/r4/Observation",
        serde_json::to_vec(&body).unwrap(),
        &[],
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let results = results_of(&app, &patient).await;
    assert_eq!(results[0]["test"], "anticardiolipin_igg");
    assert_eq!(results[0]["interpretation"], "positive");
    assert_eq!(results[0]["collected_on"], collected.as_str());

    // The positive sample asks for a repeat 12 weeks later.
    let checklist = app
        .get(
            &format!("/v1/patients/{patient}/checklist"),
            &app.clinician(),
        )
        .await;
    assert_eq!(checklist.status, 200, "{}", checklist.text());
    let body = checklist.json();
    let item = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "antiphospholipid")
        .unwrap()
        .clone();
    assert_eq!(item["status"], "repeat_due", "{item}");
    assert_eq!(item["result_ids"].as_array().unwrap().len(), 1);
}
