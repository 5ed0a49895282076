//! Clinic settings, local code maps, the test catalogue and metrics.

use rpl_workup::auth::Role;
use serde_json::json;

use crate::helpers::*;

#[actix_web::test]
async fn only_an_admin_changes_the_clinic_default_profile_and_it_must_exist() {
    let app = spawn_app().await;
    let read = app.get("/v1/clinic", &app.clinician()).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.json()["default_profile"], "eshre-2022");
    let patch = json!({"default_profile": "rcog-2023", "mrn_system": "urn:oid:1.2.3"});
    assert_problem(
        &app.patch("/v1/clinic", &app.clinician(), &patch).await,
        403,
        "forbidden",
    );
    assert_problem(&app.get("/v1/clinic", &app.lab()).await, 403, "forbidden");
    let changed = app.patch("/v1/clinic", &app.admin(), &patch).await;
    assert_eq!(changed.status, 200, "{}", changed.text());
    assert_eq!(changed.json()["default_profile"], "rcog-2023");
    let unknown = app
        .patch(
            "/v1/clinic",
            &app.admin(),
            &json!({"default_profile": "nice-2011"}),
        )
        .await;
    assert_eq!(
        assert_problem(&unknown, 422, "validation_failed")["errors"][0]["field"],
        "default_profile"
    );
    let other = app
        .get("/v1/clinic", &app.token(Role::Clinician, CLINIC_B))
        .await
        .json();
    assert_eq!(
        other["default_profile"], "eshre-2022",
        "settings are per clinic"
    );
}

#[actix_web::test]
async fn a_code_map_is_idempotent_and_a_conflicting_one_is_refused() {
    let app = spawn_app().await;
    let body = json!({"system": "http://lab.example.org/codes", "code": "ACLG", "test": "anticardiolipin_igg"});
    assert_eq!(
        app.post("/v1/code-maps", &app.admin(), &body).await.status,
        201
    );
    assert_eq!(
        app.post("/v1/code-maps", &app.admin(), &body).await.status,
        200
    );
    let conflicting =
        json!({"system": "http://lab.example.org/codes", "code": "ACLG", "test": "tsh"});
    assert_problem(
        &app.post("/v1/code-maps", &app.admin(), &conflicting).await,
        409,
        "conflict",
    );
    assert_problem(
        &app.post("/v1/code-maps", &app.clinician(), &body).await,
        403,
        "forbidden",
    );
    let unknown_test = json!({"system": "s", "code": "c", "test": "vitamin_q"});
    assert_problem(
        &app.post("/v1/code-maps", &app.admin(), &unknown_test).await,
        422,
        "validation_failed",
    );
    let list = app.get("/v1/code-maps", &app.admin()).await.json();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let other = app
        .get("/v1/code-maps", &app.token(Role::Admin, CLINIC_B))
        .await
        .json();
    assert_eq!(other["items"].as_array().unwrap().len(), 0);
}

#[actix_web::test]
async fn the_catalogue_lists_loinc_codes_and_units() {
    let app = spawn_app().await;
    assert_problem(&app.get("/v1/tests", &app.lab()).await, 403, "forbidden");
    let res = app.get("/v1/tests", &app.clinician()).await;
    assert_eq!(res.status, 200);
    let items = res.json()["items"].as_array().unwrap().clone();
    let acl = items
        .iter()
        .find(|t| t["code"] == "anticardiolipin_igg")
        .unwrap();
    assert_eq!(acl["loinc"][0], "3181-5");
    assert_eq!(acl["units"][0], "[GPL'U]/mL");
}

#[actix_web::test]
async fn metrics_count_requests_by_route_template_without_ids() {
    let app = spawn_app().await;
    let id = app.create_patient(&json!({"mrn": "MET-1"})).await;
    app.get(&format!("/v1/patients/{id}"), &app.clinician())
        .await;
    let text = app
        .send("GET", "/metrics", None, None, None, &[])
        .await
        .text();
    assert!(text.contains("rpl_http_requests_total"), "{text}");
    assert!(text.contains("route=\"/v1/patients/{id}\""));
    assert!(!text.contains(&id), "no ids in labels");
    assert!(text.contains("rpl_db_pool_connections"));
}
