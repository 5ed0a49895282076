//! What every integrator meets first: problem+json errors, limits, methods, media types, request ids.

use serde_json::json;

use crate::helpers::*;

#[actix_web::test]
async fn every_response_carries_a_request_id_and_echoes_the_callers() {
    let app = spawn_app().await;
    let mine = app
        .send(
            "GET",
            "/health/live",
            None,
            None,
            None,
            &[("x-request-id", "abc-123")],
        )
        .await;
    assert_eq!(mine.header("x-request-id").as_deref(), Some("abc-123"));
    let generated = app.send("GET", "/v1/patients", None, None, None, &[]).await;
    assert!(generated
        .header("x-request-id")
        .is_some_and(|id| !id.is_empty()));
}

#[actix_web::test]
async fn malformed_json_is_a_400_and_a_wrong_media_type_a_415() {
    let app = spawn_app().await;
    let token = app.clinician();
    let res = app
        .send(
            "POST",
            "/v1/patients",
            Some(&token),
            Some("application/json"),
            Some(b"{\"mrn\": ".to_vec()),
            &[],
        )
        .await;
    assert_problem(&res, 400, "malformed_body");
    let res = app
        .send(
            "POST",
            "/v1/patients",
            Some(&token),
            Some("text/plain"),
            Some(b"{}".to_vec()),
            &[],
        )
        .await;
    assert_problem(&res, 415, "unsupported_media_type");
}

#[actix_web::test]
async fn a_body_over_the_limit_is_a_413_and_nothing_is_stored() {
    let app = spawn_app().await;
    let notes = "x".repeat(1024 * 1024);
    let res = app
        .post(
            "/v1/patients",
            &app.clinician(),
            &json!({"mrn": "BIG", "pregnancies": [{"outcome": "ongoing", "notes": notes}]}),
        )
        .await;
    assert_problem(&res, 413, "payload_too_large");
    let list = app
        .get("/v1/patients?mrn=BIG", &app.clinician())
        .await
        .json();
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
}

#[actix_web::test]
async fn an_unsupported_method_is_a_405_with_allow_and_an_unknown_path_a_404() {
    let app = spawn_app().await;
    let res = app
        .send(
            "PUT",
            "/v1/patients",
            Some(&app.clinician()),
            None,
            None,
            &[],
        )
        .await;
    assert_problem(&res, 405, "method_not_allowed");
    assert!(res.header("allow").unwrap().contains("POST"));
    let res = app
        .send(
            "GET",
            "/v1/nothing-here",
            Some(&app.clinician()),
            None,
            None,
            &[],
        )
        .await;
    assert_problem(&res, 404, "not_found");
}

#[actix_web::test]
async fn a_malformed_id_in_the_path_is_a_404() {
    let app = spawn_app().await;
    let res = app.get("/v1/patients/not-a-uuid", &app.clinician()).await;
    assert_problem(&res, 404, "not_found");
}

#[actix_web::test]
async fn health_probes_answer_and_docs_are_served_from_the_binary() {
    let app = spawn_app().await;
    assert_eq!(
        app.send("GET", "/health/live", None, None, None, &[])
            .await
            .status,
        200
    );
    assert_eq!(
        app.send("GET", "/health/ready", None, None, None, &[])
            .await
            .status,
        200
    );
    let doc = app
        .send("GET", "/openapi.json", None, None, None, &[])
        .await;
    assert_eq!(doc.status, 200);
    assert!(doc.json()["paths"]["/v1/patients"].is_object());
    let docs = app.send("GET", "/docs/", None, None, None, &[]).await;
    assert_eq!(docs.status, 200);
    assert!(docs.text().contains("swagger"), "Swagger UI page");
}

#[actix_web::test]
async fn the_committed_openapi_document_matches_the_code() {
    let generated = rpl_workup::startup::openapi_document()
        .to_pretty_json()
        .expect("serializable");
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
            .expect("openapi/openapi.json is committed");
    assert!(
        committed.trim_end() == generated.trim_end(),
        "openapi/openapi.json is stale: run `cargo run -- openapi > openapi/openapi.json`"
    );
}
