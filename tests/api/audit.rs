//! The audit trail: every read and write of patient data, readable by admins only.

use rpl_workup::auth::Role;
use serde_json::json;

use crate::helpers::*;

#[actix_web::test]
async fn every_read_and_write_of_a_patient_shows_in_the_audit_for_admins_only() {
    let app = spawn_app().await;
    let id = app.create_patient(&json!({"mrn": "AUD-1"})).await;
    app.get(&format!("/v1/patients/{id}"), &app.clinician())
        .await;
    app.patch(
        &format!("/v1/patients/{id}"),
        &app.clinician(),
        &json!({"birth_date": "1990-01-01"}),
    )
    .await;

    let res = app
        .get(&format!("/v1/audit?patient_id={id}"), &app.admin())
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let actions: Vec<_> = res.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap().to_owned(),
                r["actor"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("create", "clinician-user"),
            ("read", "clinician-user"),
            ("update", "clinician-user")
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    assert_problem(
        &app.get("/v1/audit", &app.clinician()).await,
        403,
        "forbidden",
    );
    assert_problem(&app.get("/v1/audit", &app.lab()).await, 403, "forbidden");
    let other = app
        .get("/v1/audit", &app.token(Role::Admin, CLINIC_B))
        .await
        .json();
    assert_eq!(
        other["items"].as_array().unwrap().len(),
        0,
        "another clinic's admin sees nothing"
    );
}

#[actix_web::test]
async fn the_audit_pages_with_a_cursor_and_filters_by_actor() {
    let app = spawn_app().await;
    let id = app.create_patient(&json!({"mrn": "AUD-2"})).await;
    for _ in 0..4 {
        app.get(&format!("/v1/patients/{id}"), &app.clinician())
            .await;
    }
    app.get(&format!("/v1/patients/{id}"), &app.admin()).await;
    let first = app
        .get("/v1/audit?limit=3&actor=clinician-user", &app.admin())
        .await
        .json();
    assert_eq!(first["items"].as_array().unwrap().len(), 3);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = app
        .get(
            &format!("/v1/audit?limit=3&actor=clinician-user&cursor={cursor}"),
            &app.admin(),
        )
        .await
        .json();
    assert_eq!(second["items"].as_array().unwrap().len(), 2);
    assert!(second["next_cursor"].is_null());
}

#[actix_web::test]
async fn an_audit_row_exports_as_a_fhir_audit_event_for_admins_of_its_clinic_only() {
    let app = spawn_app().await;
    let id = app.create_patient(&json!({"mrn": "AUD-3"})).await;
    app.get(&format!("/v1/patients/{id}"), &app.clinician())
        .await;
    let rows = app
        .get(
            &format!("/v1/audit?patient_id={id}&action=read"),
            &app.admin(),
        )
        .await
        .json();
    let row = &rows["items"][0];
    let row_id = row["id"].as_str().unwrap();
    let path = format!("/v1/audit/{row_id}/fhir");

    let res = app.get(&path, &app.admin()).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(
        res.header("content-type").as_deref(),
        Some("application/fhir+json")
    );
    let event = res.json();
    assert_eq!(event["resourceType"], "AuditEvent");
    assert_eq!(event["id"], row_id);
    assert_eq!(event["action"], "R");
    assert_eq!(event["type"]["code"], "110110");
    assert_eq!(event["subtype"][0]["code"], "read");
    assert_eq!(event["outcome"], "0");
    assert_eq!(
        event["recorded"].as_str().unwrap().len(),
        27,
        "RFC 3339 UTC with micros"
    );
    assert_eq!(
        event["agent"][0]["who"]["identifier"]["value"],
        "clinician-user"
    );
    assert_eq!(event["agent"][0]["requestor"], true);
    // No base configured: canonical URLs fall back to the listen address, never a fixed host.
    let base = format!("{}/fhir/r4", app.base);
    assert_eq!(
        event["agent"][0]["role"][0]["coding"][0]["system"],
        format!("{base}/CodeSystem/role")
    );
    assert_eq!(
        event["extension"][0]["url"],
        format!("{base}/StructureDefinition/request-id")
    );
    assert_eq!(
        event["entity"][0]["what"]["reference"],
        format!("Patient/{id}")
    );
    assert_eq!(event["source"]["site"], CLINIC_A);

    assert_problem(&app.get(&path, &app.clinician()).await, 403, "forbidden");
    assert_problem(&app.get(&path, &app.lab()).await, 403, "forbidden");
    assert_problem(
        &app.get(&path, &app.token(Role::Admin, CLINIC_B)).await,
        404,
        "not_found",
    );
    assert_problem(
        &app.get(
            &format!("/v1/audit/{}/fhir", uuid::Uuid::now_v7()),
            &app.admin(),
        )
        .await,
        404,
        "not_found",
    );
}

#[actix_web::test]
async fn an_audit_cursor_that_names_no_row_is_refused() {
    use base64::Engine;
    let app = spawn_app().await;
    // Well-formed base64 and a time, but no row id this service hands out.
    let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("1700000000000000|x");
    let res = app
        .get(&format!("/v1/audit?cursor={forged}"), &app.admin())
        .await;
    let problem = assert_problem(&res, 422, "validation_failed");
    assert!(problem.to_string().contains("cursor"), "{problem}");
}
