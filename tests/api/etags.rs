//! Lost updates: a single-resource GET carries an `ETag`; PATCH and DELETE with a stale
//! `If-Match` are refused with 412 and change nothing; without `If-Match` they still work.

use serde_json::json;

use crate::helpers::*;

async fn conditional(
    app: &TestApp,
    method: &str,
    path: &str,
    etag: &str,
    body: Option<serde_json::Value>,
) -> Resp {
    let token = app.clinician();
    app.send(
        method,
        path,
        Some(&token),
        body.as_ref().map(|_| "application/json"),
        body.map(|b| serde_json::to_vec(&b).unwrap()),
        &[("If-Match", etag)],
    )
    .await
}

#[actix_web::test]
async fn a_stale_if_match_on_a_patient_is_412_and_a_fresh_one_succeeds() {
    let app = spawn_app().await;
    let id = app.create_patient(&json!({"mrn": "ET-1"})).await;
    let path = format!("/v1/patients/{id}");
    let read = app.get(&path, &app.clinician()).await;
    let etag = read.header("etag").expect("an ETag");
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    let again = app.get(&path, &app.clinician()).await;
    assert_eq!(again.header("etag").as_deref(), Some(etag.as_str()));

    // Someone else changes her in between.
    let other = app
        .patch(
            &path,
            &app.clinician(),
            &json!({"birth_date": "1990-01-01"}),
        )
        .await;
    assert_eq!(other.status, 200);
    let fresh = other.header("etag").expect("the new ETag");
    assert_ne!(fresh, etag);

    let stale = conditional(&app, "PATCH", &path, &etag, Some(json!({"mrn": "ET-2"}))).await;
    assert_problem(&stale, 412, "precondition_failed");
    assert_eq!(app.get(&path, &app.clinician()).await.json()["mrn"], "ET-1");
    let stale_delete = conditional(&app, "DELETE", &path, &etag, None).await;
    assert_problem(&stale_delete, 412, "precondition_failed");

    let ok = conditional(&app, "PATCH", &path, &fresh, Some(json!({"mrn": "ET-2"}))).await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    let current = ok.header("etag").unwrap();
    let gone = conditional(&app, "DELETE", &path, &current, None).await;
    assert_eq!(gone.status, 204, "{}", gone.text());
}

#[actix_web::test]
async fn a_stale_if_match_on_a_pregnancy_is_412_and_changes_nothing() {
    let app = spawn_app().await;
    let patient = app
        .create_patient(&json!({"mrn": "ET-3", "pregnancies": [
            {"outcome": "miscarriage", "ended_on": "2025-03-01", "gestational_age_weeks": 8}]}))
        .await;
    let list = app
        .get(
            &format!("/v1/patients/{patient}/pregnancies"),
            &app.clinician(),
        )
        .await
        .json();
    let pid = list["items"][0]["id"].as_str().unwrap();
    let path = format!("/v1/patients/{patient}/pregnancies/{pid}");
    let etag = app
        .get(&path, &app.clinician())
        .await
        .header("etag")
        .unwrap();
    let first = conditional(
        &app,
        "PATCH",
        &path,
        &etag,
        Some(json!({"gestational_age_weeks": 9})),
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.text());
    let lost = conditional(
        &app,
        "PATCH",
        &path,
        &etag,
        Some(json!({"gestational_age_weeks": 10})),
    )
    .await;
    assert_problem(&lost, 412, "precondition_failed");
    assert_eq!(
        app.get(&path, &app.clinician()).await.json()["gestational_age_weeks"],
        9
    );
    let unconditional = app
        .patch(&path, &app.clinician(), &json!({"notes": "checked"}))
        .await;
    assert_eq!(unconditional.status, 200);
    let stale_delete = conditional(&app, "DELETE", &path, &etag, None).await;
    assert_problem(&stale_delete, 412, "precondition_failed");
    let any = conditional(&app, "DELETE", &path, "*", None).await;
    assert_eq!(any.status, 204);
}

#[actix_web::test]
async fn results_clinic_and_profiles_carry_an_etag() {
    let app = spawn_app().await;
    let patient = app.create_patient(&json!({"mrn": "ET-4"})).await;
    let created = app
        .post(
            &format!("/v1/patients/{patient}/results"),
            &app.clinician(),
            &json!({"test": "tsh", "value": {"quantity": 2.0, "unit": "m[IU]/L"},
                    "collected_on": "2025-03-01"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let rid = created.json()["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/patients/{patient}/results/{rid}");
    let etag = app
        .get(&path, &app.clinician())
        .await
        .header("etag")
        .unwrap();
    let stale = conditional(&app, "DELETE", &path, "\"stale\"", None).await;
    assert_problem(&stale, 412, "precondition_failed");
    let ok = conditional(&app, "DELETE", &path, &etag, None).await;
    assert_eq!(ok.status, 204, "{}", ok.text());

    for path in ["/v1/clinic", "/v1/profiles/eshre-2022"] {
        let res = app.get(path, &app.clinician()).await;
        assert_eq!(res.status, 200, "{path}");
        assert!(res.header("etag").is_some(), "{path}");
    }
}

#[actix_web::test]
async fn a_stale_if_match_on_the_clinic_settings_is_412() {
    let app = spawn_app().await;
    let admin = app.admin();
    let etag = app.get("/v1/clinic", &admin).await.header("etag").unwrap();
    let patch = |tag: String, system: &'static str| {
        let body = serde_json::to_vec(&json!({"mrn_system": system})).unwrap();
        let admin = admin.clone();
        let app = &app;
        async move {
            app.send(
                "PATCH",
                "/v1/clinic",
                Some(&admin),
                Some("application/json"),
                Some(body),
                &[("If-Match", tag.as_str())],
            )
            .await
        }
    };
    let first = patch(etag.clone(), "urn:first").await;
    assert_eq!(first.status, 200, "{}", first.text());
    let lost = patch(etag, "urn:second").await;
    assert_problem(&lost, 412, "precondition_failed");
    let read = app.get("/v1/clinic", &admin).await;
    assert_eq!(read.json()["mrn_system"], "urn:first");
    assert_eq!(read.header("etag"), first.header("etag"));
}
