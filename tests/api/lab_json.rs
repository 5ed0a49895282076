//! `POST /v1/lab/results`: results by MRN in our JSON, idempotent by accession and by
//! `Idempotency-Key`, every version kept, nothing stored for an unknown MRN.

use serde_json::json;

use crate::helpers::*;
use crate::lab_support::*;

fn acl(accession: &str, status: &str, value: f64) -> serde_json::Value {
    lab_result(
        accession,
        "3181-5",
        status,
        json!({"quantity": value, "unit": "[GPL'U]/mL"}),
    )
}

#[actix_web::test]
async fn a_lab_posts_a_positive_anticardiolipin_by_mrn_and_the_clinician_sees_it() {
    let app = spawn_app().await;
    let patient = patient_0042(&app).await;
    let res = post_lab(
        &app,
        &json!({"mrn": "MRN-0042", "results": [acl("A-1", "final", 52.0)]}),
        &[],
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let body = res.json();
    assert_eq!(body["results"][0]["outcome"], "created");
    assert_eq!(body["results"][0]["test"], "anticardiolipin_igg");
    assert_eq!(body["counts"]["created"], 1);
    let results = results_of(&app, &patient).await;
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["test"], "anticardiolipin_igg");
    assert_eq!(results[0]["accession"], "A-1");
    assert_eq!(results[0]["source"], "lab-user");
    assert_eq!(results[0]["value"]["quantity"], 52.0);
    assert_eq!(results[0]["id"], body["results"][0]["result_id"]);

    let log = messages(&app);
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].feed, "json");
    assert_eq!(log[0].outcome, "accepted");
    assert!(log[0].body.contains("A-1"), "the raw message is kept");
}

#[actix_web::test]
async fn the_same_accession_again_changes_nothing_and_a_correction_is_a_new_version() {
    let app = spawn_app().await;
    let patient = patient_0042(&app).await;
    let first = json!({"mrn": "MRN-0042", "results": [acl("A-2", "final", 52.0)]});
    assert_eq!(post_lab(&app, &first, &[]).await.status, 201);
    let again = post_lab(&app, &first, &[]).await;
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(again.json()["results"][0]["outcome"], "unchanged");

    let corrected = json!({"mrn": "MRN-0042", "results": [acl("A-2", "corrected", 48.0)]});
    let res = post_lab(&app, &corrected, &[]).await;
    assert_eq!(res.status, 201);
    assert_eq!(res.json()["results"][0]["outcome"], "versioned");
    assert_eq!(res.json()["results"][0]["version"], 2);
    // A late retry of the first version is still a retry, not a third version.
    let late = post_lab(&app, &first, &[]).await;
    assert_eq!(late.json()["results"][0]["outcome"], "unchanged");
    assert_eq!(late.json()["results"][0]["version"], 1);

    let results = results_of(&app, &patient).await;
    assert_eq!(results.len(), 1, "one result per accession");
    let id = results[0]["id"].as_str().unwrap();
    let full = result_of(&app, &patient, id).await;
    assert_eq!(full["versions"].as_array().unwrap().len(), 2);
    assert_eq!(full["status"], "corrected");
    assert_eq!(full["value"]["quantity"], 48.0);
}

#[actix_web::test]
async fn a_preliminary_after_the_final_never_downgrades_it() {
    let app = spawn_app().await;
    let patient = patient_0042(&app).await;
    let fin = json!({"mrn": "MRN-0042", "results": [acl("A-3", "final", 52.0)]});
    let pre = json!({"mrn": "MRN-0042", "results": [acl("A-3", "preliminary", 50.0)]});
    assert_eq!(post_lab(&app, &fin, &[]).await.status, 201);
    assert_eq!(post_lab(&app, &pre, &[]).await.status, 201);
    let results = results_of(&app, &patient).await;
    assert_eq!(results[0]["status"], "final");
    assert_eq!(results[0]["value"]["quantity"], 52.0);
}

#[actix_web::test]
async fn entered_in_error_retracts_and_cancelled_is_kept_without_a_value() {
    let app = spawn_app().await;
    let patient = patient_0042(&app).await;
    let fin = json!({"mrn": "MRN-0042", "results": [acl("A-4", "final", 52.0)]});
    assert_eq!(post_lab(&app, &fin, &[]).await.status, 201);
    let retract = json!({"mrn": "MRN-0042", "results": [
        lab_result("A-4", "3181-5", "entered_in_error", json!({}))]});
    let res = post_lab(&app, &retract, &[]).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let cancel = json!({"mrn": "MRN-0042", "results": [
        lab_result("A-5", "75515-7", "cancelled", json!({}))]});
    assert_eq!(post_lab(&app, &cancel, &[]).await.status, 201);
    let results = results_of(&app, &patient).await;
    let by_acc = |a: &str| {
        results
            .iter()
            .find(|r| r["accession"] == a)
            .unwrap()
            .clone()
    };
    assert_eq!(by_acc("A-4")["status"], "entered_in_error");
    assert_eq!(by_acc("A-5")["status"], "cancelled");
    assert_eq!(by_acc("A-5")["test"], "lupus_anticoagulant");
}

#[actix_web::test]
async fn an_unknown_mrn_is_422_and_nothing_is_stored_but_the_message() {
    let app = spawn_app().await;
    let patient = patient_0042(&app).await;
    let res = post_lab(
        &app,
        &json!({"mrn": "MRN-9999", "results": [acl("A-6", "final", 52.0)]}),
        &[],
    )
    .await;
    let problem = assert_problem(&res, 422, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "mrn");
    assert!(results_of(&app, &patient).await.is_empty());
    let log = messages(&app);
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].outcome, "rejected");
    assert_eq!(log[0].message_key, None);
}

#[actix_web::test]
async fn an_unknown_loinc_is_kept_unmapped_reported_and_counted() {
    let app = spawn_app().await;
    let patient = patient_0042(&app).await;
    let res = post_lab(
        &app,
        &json!({"mrn": "MRN-0042", "results": [
            lab_result("A-7", "2132-9", "final", json!({"quantity": 312.0, "unit": "pg/mL"})),
            acl("A-8", "final", 10.0)]}),
        &[],
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let body = res.json();
    assert_eq!(body["results"][0]["outcome"], "unmapped");
    assert_eq!(body["results"][0]["code"], "http://loinc.org|2132-9");
    assert_eq!(body["counts"]["unmapped"], 1);
    assert_eq!(body["warnings"][0]["field"], "results[0]");
    assert_eq!(results_of(&app, &patient).await.len(), 1);
    let detail: serde_json::Value =
        serde_json::from_str(messages(&app)[0].detail.as_deref().unwrap()).unwrap();
    assert_eq!(detail["results"][0]["unmapped"]["value"]["quantity"], 312.0);

    let metrics = app
        .send("GET", "/metrics", None, None, None, &[])
        .await
        .text();
    assert!(
        metrics.contains("rpl_ingested_results_total{feed=\"json\",outcome=\"unmapped\"}"),
        "{metrics}"
    );
}

#[actix_web::test]
async fn a_clinic_code_map_resolves_a_local_loinc_for_the_json_feed() {
    let app = spawn_app().await;
    let patient = patient_0042(&app).await;
    let map = app
        .post(
            "/v1/code-maps",
            &app.admin(),
            &json!({"system": "http://loinc.org", "code": "99999-9", "test": "tsh"}),
        )
        .await;
    assert!(map.status == 201 || map.status == 200, "{}", map.text());
    let res = post_lab(
        &app,
        &json!({"mrn": "MRN-0042", "results": [
            lab_result("A-9", "99999-9", "final", json!({"quantity": 2.0, "unit": "m[IU]/L"}))]}),
        &[],
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.text());
    assert_eq!(res.json()["results"][0]["test"], "tsh");
    assert_eq!(results_of(&app, &patient).await[0]["test"], "tsh");
}

#[actix_web::test]
async fn an_idempotency_key_replays_the_first_response_byte_for_byte() {
    let app = spawn_app().await;
    patient_0042(&app).await;
    let body = json!({"mrn": "MRN-0042", "results": [acl("A-10", "final", 52.0)]});
    let key = [("Idempotency-Key", "key-0001")];
    let first = post_lab(&app, &body, &key).await;
    assert_eq!(first.status, 201);
    let second = post_lab(&app, &body, &key).await;
    assert_eq!(second.status, 201, "the same status");
    assert_eq!(second.body, first.body, "the same bytes");
    assert_eq!(
        second.header("idempotent-replayed").as_deref(),
        Some("true")
    );

    let other = json!({"mrn": "MRN-0042", "results": [acl("A-11", "final", 52.0)]});
    let reused = post_lab(&app, &other, &key).await;
    assert_problem(&reused, 422, "idempotency_key_reused");
    assert_eq!(messages(&app).len(), 2, "the first and the refused reuse");
}

#[actix_web::test]
async fn a_rejected_message_gives_its_key_back_so_a_fixed_retry_is_processed() {
    let app = spawn_app().await;
    patient_0042(&app).await;
    let key = [("Idempotency-Key", "key-0002")];
    let mut future = acl("A-12", "final", 5.0);
    future["collected_on"] = json!("2099-01-01");
    let bad = json!({"mrn": "MRN-0042", "results": [future]});
    let res = post_lab(&app, &bad, &key).await;
    let problem = assert_problem(&res, 422, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "results[0].collected_on");
    let good = json!({"mrn": "MRN-0042", "results": [acl("A-12", "final", 5.0)]});
    assert_eq!(post_lab(&app, &good, &key).await.status, 201);
}

#[actix_web::test]
async fn malformed_oversize_and_wrongly_typed_bodies_are_refused_as_problems() {
    let app = spawn_app().await;
    let lab = app.lab();
    let send = |ct: &'static str, body: Vec<u8>| {
        let lab = lab.clone();
        let app = &app;
        async move {
            app.send(
                "POST",
                "/v1/lab/results",
                Some(&lab),
                Some(ct),
                Some(body),
                &[],
            )
            .await
        }
    };
    assert_problem(
        &send("application/json", b"{not json".to_vec()).await,
        400,
        "malformed_body",
    );
    assert_problem(
        &send("text/plain", b"{}".to_vec()).await,
        415,
        "unsupported_media_type",
    );
    let huge = format!("{{\"mrn\": \"{}\"}}", "x".repeat(1024 * 1024 + 10));
    assert_problem(
        &send("application/json", huge.into_bytes()).await,
        413,
        "payload_too_large",
    );
    let res = send(
        "application/json",
        serde_json::to_vec(&json!({"mrn": "MRN-0042", "results": [{"accession": "x"}]})).unwrap(),
    )
    .await;
    assert_problem(&res, 422, "validation_failed");
    let bad_key = app
        .send(
            "POST",
            "/v1/lab/results",
            Some(&lab),
            Some("application/json"),
            Some(b"{}".to_vec()),
            &[("Idempotency-Key", "")],
        )
        .await;
    assert_problem(&bad_key, 400, "bad_request");
}
