//! FHIR R4: `POST /fhir/r4/Observation` and `POST /fhir/r4` (transaction / batch Bundles). Every
//! error is an OperationOutcome, never problem+json.

use serde_json::{json, Value};

use crate::helpers::*;
use crate::lab_support::*;

fn assert_outcome(res: &Resp, status: u16) -> Value {
    assert_eq!(res.status, status, "{}", res.text());
    assert_eq!(res.header("content-type").as_deref(), Some(FHIR));
    let body = res.json();
    assert_eq!(body["resourceType"], "OperationOutcome", "{body}");
    body
}

#[actix_web::test]
async fn an_observation_is_created_a_retry_is_200_and_a_correction_is_version_two() {
    let app = spawn_app().await;
    let patient = patient_0042(&app).await;
    let obs = "/fhir/r4/Observation";
    let first = post_fhir(
        &app,
        obs,
        fixture("fhir/observation-acl-igg-positive.json"),
        &[],
    )
    .await;
    assert_eq!(first.status, 201, "{}", first.text());
    let location = first.header("location").unwrap();
    assert!(location.starts_with("Observation/") && location.ends_with("/_history/1"));
    assert_eq!(first.header("etag").as_deref(), Some("W/\"1\""));

    let retry = post_fhir(
        &app,
        obs,
        fixture("fhir/observation-acl-igg-positive.json"),
        &[],
    )
    .await;
    assert_eq!(retry.status, 200, "{}", retry.text());
    assert_eq!(retry.header("location").unwrap(), location);

    let fixed = post_fhir(
        &app,
        obs,
        fixture("fhir/observation-acl-igg-corrected.json"),
        &[],
    )
    .await;
    assert_eq!(fixed.status, 201);
    assert!(fixed.header("location").unwrap().ends_with("/_history/2"));

    let results = results_of(&app, &patient).await;
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["status"], "corrected");
    assert_eq!(results[0]["value"]["quantity"], 48.0);
    assert_eq!(
        results[0]["accession"],
        "urn:oid:2.16.840.1.113883.19.4.6|ACC-2025-0187"
    );

    let retracted = post_fhir(
        &app,
        obs,
        fixture("fhir/observation-acl-igg-entered-in-error.json"),
        &[],
    )
    .await;
    assert_eq!(retracted.status, 201);
    assert_eq!(
        results_of(&app, &patient).await[0]["status"],
        "entered_in_error"
    );
}

#[actix_web::test]
async fn a_cancelled_and_a_preliminary_observation_are_stored_with_their_status() {
    let app = spawn_app().await;
    let patient = patient_0042(&app).await;
    for f in [
        "observation-la-cancelled.json",
        "observation-tsh-preliminary.json",
    ] {
        let res = post_fhir(
            &app,
            "/fhir/r4/Observation",
            fixture(&format!("fhir/{f}")),
            &[],
        )
        .await;
        assert_eq!(res.status, 201, "{f}: {}", res.text());
    }
    let results = results_of(&app, &patient).await;
    let status_of = |t: &str| results.iter().find(|r| r["test"] == t).unwrap()["status"].clone();
    assert_eq!(status_of("lupus_anticoagulant"), "cancelled");
    assert_eq!(status_of("tsh"), "preliminary");
}

#[actix_web::test]
async fn an_unknown_mrn_is_an_outcome_naming_the_subject_and_nothing_is_stored() {
    let app = spawn_app().await;
    let patient = patient_0042(&app).await;
    let body = fixture_with(
        "fhir/observation-acl-igg-positive.json",
        &[("MRN-0042", "MRN-9999")],
    );
    let res = post_fhir(&app, "/fhir/r4/Observation", body, &[]).await;
    let outcome = assert_outcome(&res, 422);
    assert_eq!(outcome["issue"][0]["code"], "not-found");
    assert_eq!(
        outcome["issue"][0]["expression"][0],
        "Observation.subject.identifier"
    );
    assert!(results_of(&app, &patient).await.is_empty());
    assert_eq!(messages(&app)[0].outcome, "rejected");
}

#[actix_web::test]
async fn the_clinics_mrn_system_is_checked_only_when_configured() {
    let app = spawn_app().await;
    patient_0042(&app).await;
    let res = app
        .patch(
            "/v1/clinic",
            &app.admin(),
            &json!({"mrn_system": "urn:oid:9.9.9"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let res = post_fhir(
        &app,
        "/fhir/r4/Observation",
        fixture("fhir/observation-acl-igg-positive.json"),
        &[],
    )
    .await;
    assert_eq!(assert_outcome(&res, 422)["issue"][0]["code"], "not-found");
    let body = fixture_with(
        "fhir/observation-acl-igg-positive.json",
        &[("urn:oid:2.16.840.1.113883.19.5", "urn:oid:9.9.9")],
    );
    let res = post_fhir(&app, "/fhir/r4/Observation", body, &[]).await;
    assert_eq!(res.status, 201, "{}", res.text());
}

#[actix_web::test]
async fn an_unknown_loinc_is_accepted_unmapped_with_a_warning_and_kept_in_the_log() {
    let app = spawn_app().await;
    let patient = patient_0042(&app).await;
    let res = post_fhir(
        &app,
        "/fhir/r4/Observation",
        fixture("fhir/observation-unknown-loinc.json"),
        &[],
    )
    .await;
    let outcome = assert_outcome(&res, 200);
    assert_eq!(outcome["issue"][0]["severity"], "warning");
    assert_eq!(outcome["issue"][0]["code"], "code-invalid");
    assert!(results_of(&app, &patient).await.is_empty());
    let log = messages(&app);
    let detail: Value = serde_json::from_str(log[0].detail.as_deref().unwrap()).unwrap();
    assert_eq!(detail["counts"]["unmapped"], 1);
    assert_eq!(
        detail["results"][0]["unmapped"]["codes"][0]["code"],
        "2132-9"
    );
}

#[actix_web::test]
async fn malformed_wrongly_typed_unauthenticated_and_oversize_requests_get_outcomes() {
    let app = spawn_app().await;
    let obs = "/fhir/r4/Observation";
    let res = post_fhir(&app, obs, fixture("fhir/observation-malformed.json"), &[]).await;
    assert_outcome(&res, 400);
    let res = post_fhir(&app, obs, br#"{"resourceType": "Patient"}"#.to_vec(), &[]).await;
    assert_outcome(&res, 400);
    let res = post_fhir(
        &app,
        obs,
        br#"{"resourceType": "Observation", "status": 7}"#.to_vec(),
        &[],
    )
    .await;
    let outcome = assert_outcome(&res, 422);
    assert_eq!(outcome["issue"][0]["expression"][0], "Observation.status");

    let body = fixture("fhir/observation-acl-igg-positive.json");
    let res = app
        .send(
            "POST",
            obs,
            Some(&app.lab()),
            Some("text/xml"),
            Some(body.clone()),
            &[],
        )
        .await;
    assert_outcome(&res, 415);
    let res = app
        .send("POST", obs, None, Some(FHIR), Some(body.clone()), &[])
        .await;
    assert_outcome(&res, 401);
    assert!(res.header("www-authenticate").is_some());
    let res = app
        .send(
            "POST",
            obs,
            Some(&app.clinician()),
            Some(FHIR),
            Some(body),
            &[],
        )
        .await;
    assert_eq!(assert_outcome(&res, 403)["issue"][0]["code"], "forbidden");

    let huge = vec![b' '; 1024 * 1024 + 1];
    let res = post_fhir(&app, obs, huge, &[]).await;
    assert_eq!(assert_outcome(&res, 413)["issue"][0]["code"], "too-costly");
    // Bundles take up to the bulk limit, then 413 too.
    let res = app
        .send(
            "POST",
            "/fhir/r4",
            Some(&app.lab()),
            Some("application/json"),
            Some(vec![b' '; 10 * 1024 * 1024 + 1]),
            &[],
        )
        .await;
    assert_outcome(&res, 413);
}

#[actix_web::test]
async fn a_transaction_bundle_stores_every_entry_and_a_retry_changes_nothing() {
    let app = spawn_app().await;
    let patient = patient_0042(&app).await;
    let bundle = fixture("fhir/bundle-transaction-thyroid.json");
    let res = post_fhir(&app, "/fhir/r4", bundle.clone(), &[]).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let body = res.json();
    assert_eq!(body["type"], "transaction-response");
    let entries = body["entry"].as_array().unwrap();
    assert_eq!(entries.len(), 3);
    assert!(entries
        .iter()
        .all(|e| e["response"]["status"] == "201 Created"));
    assert_eq!(results_of(&app, &patient).await.len(), 3);

    let again = post_fhir(&app, "/fhir/r4", bundle, &[]).await.json();
    assert!(again["entry"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["response"]["status"] == "200 OK"));
    assert_eq!(results_of(&app, &patient).await.len(), 3);
}

#[actix_web::test]
async fn a_transaction_with_one_bad_entry_stores_nothing_and_names_the_entry() {
    let app = spawn_app().await;
    let patient = patient_0042(&app).await;
    let mut bundle: Value =
        serde_json::from_slice(&fixture("fhir/bundle-batch-one-bad.json")).unwrap();
    bundle["type"] = json!("transaction");
    let res = post_fhir(&app, "/fhir/r4", serde_json::to_vec(&bundle).unwrap(), &[]).await;
    let outcome = assert_outcome(&res, 422);
    let path = outcome["issue"][0]["expression"][0].as_str().unwrap();
    assert!(path.starts_with("Bundle.entry[1]"), "{path}");
    assert!(results_of(&app, &patient).await.is_empty());

    // An unknown MRN in one entry refuses the whole transaction too.
    let mixed = fixture_with(
        "fhir/bundle-transaction-thyroid.json",
        &[("\"value\": \"MRN-0042\"", "\"value\": \"MRN-0042\"")],
    );
    let mut mixed: Value = serde_json::from_slice(&mixed).unwrap();
    mixed["entry"][2]["resource"]["subject"]["identifier"]["value"] = json!("MRN-9999");
    let res = post_fhir(&app, "/fhir/r4", serde_json::to_vec(&mixed).unwrap(), &[]).await;
    let outcome = assert_outcome(&res, 422);
    assert_eq!(outcome["issue"][0]["code"], "not-found");
    assert_eq!(
        outcome["issue"][0]["expression"][0],
        "Bundle.entry[2].resource.subject.identifier"
    );
    assert!(results_of(&app, &patient).await.is_empty());
}

#[actix_web::test]
async fn a_batch_answers_each_entry_and_stores_the_good_ones() {
    let app = spawn_app().await;
    let patient = patient_0042(&app).await;
    let res = post_fhir(
        &app,
        "/fhir/r4",
        fixture("fhir/bundle-batch-one-bad.json"),
        &[],
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let body = res.json();
    assert_eq!(body["type"], "batch-response");
    let statuses: Vec<&str> = body["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["response"]["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["201 Created", "422 Unprocessable Entity", "201 Created"]
    );
    let bad = &body["entry"][1]["response"]["outcome"];
    assert_eq!(bad["resourceType"], "OperationOutcome");
    assert_eq!(results_of(&app, &patient).await.len(), 2);
    assert_eq!(messages(&app)[0].outcome, "partial");
}

#[actix_web::test]
async fn an_idempotency_key_on_the_fhir_feed_replays_status_body_and_location() {
    let app = spawn_app().await;
    patient_0042(&app).await;
    let key = [("Idempotency-Key", "fhir-key-1")];
    let body = fixture("fhir/observation-acl-igg-positive.json");
    let first = post_fhir(&app, "/fhir/r4/Observation", body.clone(), &key).await;
    let second = post_fhir(&app, "/fhir/r4/Observation", body, &key).await;
    assert_eq!(first.status, 201);
    assert_eq!(second.status, 201);
    assert_eq!(first.body, second.body);
    assert_eq!(first.header("location"), second.header("location"));
    let other = post_fhir(
        &app,
        "/fhir/r4/Observation",
        fixture("fhir/observation-acl-igg-corrected.json"),
        &key,
    )
    .await;
    assert_eq!(assert_outcome(&other, 422)["issue"][0]["code"], "conflict");
}

/// The fixture still uses the deprecated `https://rpl-workup.example.org/fhir` extension and code
/// system URLs: accepted on input so that existing lab integrations keep working.
#[actix_web::test]
async fn a_tissue_karyotype_is_stored_for_the_pregnancy_tissue() {
    let app = spawn_app().await;
    let patient = patient_0042(&app).await;
    let res = post_fhir(
        &app,
        "/fhir/r4/Observation",
        fixture("fhir/observation-karyotype-tissue.json"),
        &[],
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let results = results_of(&app, &patient).await;
    assert_eq!(results[0]["test"], "karyotype");
    assert_eq!(results[0]["subject"], "pregnancy_tissue");
    assert_eq!(results[0]["value"]["finding"], "aneuploidy");
}

#[actix_web::test]
async fn our_extensions_and_code_systems_are_read_under_the_configured_fhir_base() {
    let base = "https://rpl.clinic-a.test/fhir/r4";
    let app = spawn_app_with(|args| args.fhir_base = Some(base.to_owned())).await;
    let patient = patient_0042(&app).await;
    let body = fixture_with(
        "fhir/observation-karyotype-tissue.json",
        &[("https://rpl-workup.example.org/fhir", base)],
    );
    assert!(String::from_utf8_lossy(&body).contains(base));
    let res = post_fhir(&app, "/fhir/r4/Observation", body, &[]).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let results = results_of(&app, &patient).await;
    assert_eq!(results[0]["subject"], "pregnancy_tissue");
    assert_eq!(results[0]["value"]["finding"], "aneuploidy");
}
