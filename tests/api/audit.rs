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
