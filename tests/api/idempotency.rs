//! `Idempotency-Key` on the clinician POSTs: scoped by (clinic, caller `sub`); the same key and
//! body replay the first response, another body is a 422 `idempotency_key_reused`.

use futures_util::future::join_all;
use rpl_workup::auth::Role;
use serde_json::{json, Value};

use crate::helpers::*;

async fn post_keyed(app: &TestApp, path: &str, token: &str, key: &str, body: &Value) -> Resp {
    let bytes = serde_json::to_vec(body).unwrap();
    app.send(
        "POST",
        path,
        Some(token),
        Some("application/json"),
        Some(bytes),
        &[("Idempotency-Key", key)],
    )
    .await
}

#[actix_web::test]
async fn a_retried_clinician_post_with_the_same_key_replays_the_first_response_on_every_route() {
    let app = spawn_app().await;
    let token = app.clinician();
    let body = json!({"mrn": "I-1", "birth_date": "1990-01-01"});
    let first = post_keyed(&app, "/v1/patients", &token, "k-patient", &body).await;
    assert_eq!(first.status, 201, "{}", first.text());
    let again = post_keyed(&app, "/v1/patients", &token, "k-patient", &body).await;
    assert_eq!(again.status, 201, "{}", again.text());
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("Location"), first.header("Location"));
    assert_eq!(again.header("Idempotent-Replayed").as_deref(), Some("true"));
    let p = first.json()["id"].as_str().unwrap().to_owned();

    let routes = [
        (
            format!("/v1/patients/{p}/pregnancies"),
            json!({"outcome": "miscarriage", "ended_on": "2024-03-01", "gestational_age_weeks": 8}),
        ),
        (
            format!("/v1/patients/{p}/results"),
            json!({"test": "tsh", "value": {"quantity": 2.0, "unit": "m[IU]/L"}}),
        ),
        (
            format!("/v1/patients/{p}/checklist/thyroid/reviews"),
            json!({"action": "ordered"}),
        ),
        (format!("/v1/patients/{p}/early-workup"), json!({})),
    ];
    for (n, (path, body)) in routes.iter().enumerate() {
        let key = format!("k-{n}");
        let first = post_keyed(&app, path, &token, &key, body).await;
        assert_eq!(first.status, 201, "{path}: {}", first.text());
        let again = post_keyed(&app, path, &token, &key, body).await;
        assert_eq!(again.status, 201, "{path}: {}", again.text());
        assert_eq!(again.body, first.body, "{path}");
        assert_eq!(again.header("Idempotent-Replayed").as_deref(), Some("true"));
    }
    let pregnancies = app
        .get(&format!("/v1/patients/{p}/pregnancies"), &token)
        .await
        .json();
    assert_eq!(pregnancies["items"].as_array().unwrap().len(), 1);
    let results = app
        .get(&format!("/v1/patients/{p}/results"), &token)
        .await
        .json();
    assert_eq!(results["items"].as_array().unwrap().len(), 1);

    let rid = results["items"][0]["id"].as_str().unwrap();
    let path = format!("/v1/patients/{p}/results/{rid}/versions");
    let correction = json!({"value": {"quantity": 3.0, "unit": "m[IU]/L"}});
    let first = post_keyed(&app, &path, &token, "k-version", &correction).await;
    let again = post_keyed(&app, &path, &token, "k-version", &correction).await;
    assert_eq!(first.status, 201, "{}", first.text());
    assert_eq!(again.body, first.body);
    let full = app
        .get(&format!("/v1/patients/{p}/results/{rid}"), &token)
        .await
        .json();
    assert_eq!(full["versions"].as_array().unwrap().len(), 2);
}

#[actix_web::test]
async fn the_same_key_with_another_body_is_refused_and_stores_nothing() {
    let app = spawn_app().await;
    let token = app.clinician();
    let p = app.create_patient(&json!({"mrn": "I-2"})).await;
    let path = format!("/v1/patients/{p}/results");
    let tsh = json!({"test": "tsh", "value": {"quantity": 2.0, "unit": "m[IU]/L"}});
    let other = json!({"test": "tsh", "value": {"quantity": 9.0, "unit": "m[IU]/L"}});
    assert_eq!(post_keyed(&app, &path, &token, "k", &tsh).await.status, 201);
    let res = post_keyed(&app, &path, &token, "k", &other).await;
    assert_problem(&res, 422, "idempotency_key_reused");
    // The same key and body for another patient is another request too.
    let q = app.create_patient(&json!({"mrn": "I-3"})).await;
    let res = post_keyed(
        &app,
        &format!("/v1/patients/{q}/results"),
        &token,
        "k",
        &tsh,
    )
    .await;
    assert_problem(&res, 422, "idempotency_key_reused");
    let results = app.get(&path, &token).await.json();
    assert_eq!(results["items"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn two_clinicians_using_the_same_key_each_get_their_own_result() {
    let app = spawn_app().await;
    let p = app.create_patient(&json!({"mrn": "I-4"})).await;
    let path = format!("/v1/patients/{p}/results");
    let body = json!({"test": "tsh", "value": {"quantity": 2.0, "unit": "m[IU]/L"}});
    for sub in ["dr-one", "dr-two"] {
        let token = app.token_as(sub, Role::Clinician, CLINIC_A);
        let res = post_keyed(&app, &path, &token, "same-key", &body).await;
        assert_eq!(res.status, 201, "{}", res.text());
        assert!(res.header("Idempotent-Replayed").is_none());
    }
    let results = app.get(&path, &app.clinician()).await.json();
    assert_eq!(results["items"].as_array().unwrap().len(), 2);
}

#[actix_web::test]
async fn ten_concurrent_retries_under_one_key_store_one_result_and_get_one_response() {
    let app = spawn_app().await;
    let token = app.clinician();
    let p = app.create_patient(&json!({"mrn": "I-5"})).await;
    let path = format!("/v1/patients/{p}/results");
    let body = json!({"test": "tsh", "value": {"quantity": 2.0, "unit": "m[IU]/L"}});
    let answers = join_all((0..10).map(|_| post_keyed(&app, &path, &token, "k-par", &body))).await;
    for a in &answers {
        assert_eq!(a.status, 201, "{}", a.text());
        assert_eq!(a.body, answers[0].body);
    }
    let results = app.get(&path, &token).await.json();
    assert_eq!(results["items"].as_array().unwrap().len(), 1);
}
