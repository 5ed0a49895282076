//! Every endpoint × role × own or other clinic. A role that may not act gets 403; a resource of
//! another clinic is 404, exactly as if it did not exist; no or a bad token is 401.

use rpl_workup::auth::Role;
use serde_json::{json, Value};

use crate::helpers::*;

/// A patient of clinic A with one pregnancy and one result, fresh for each call.
struct Fixture {
    patient: String,
    pregnancy: String,
    result: String,
    review: String,
    early: String,
}

async fn fixture(app: &TestApp) -> Fixture {
    let patient = app
        .create_patient(
            &json!({"mrn": uuid::Uuid::new_v4().to_string(), "pregnancies": [
            {"outcome": "miscarriage", "ended_on": "2026-01-10", "gestational_age_weeks": 9}]}),
        )
        .await;
    let base = format!("/v1/patients/{patient}");
    let token = app.clinician();
    let pregnancies = app.get(&format!("{base}/pregnancies"), &token).await.json();
    let created = |res: Resp| res.json()["id"].as_str().unwrap().to_owned();
    Fixture {
        pregnancy: pregnancies["items"][0]["id"].as_str().unwrap().to_owned(),
        result: created(
            app.post(
                &format!("{base}/results"),
                &token,
                &json!({"test": "tsh", "value": {"quantity": 2.0, "unit": "m[IU]/L"}}),
            )
            .await,
        ),
        review: created(
            app.post(
                &format!("{base}/checklist/thyroid/reviews"),
                &token,
                &json!({"action": "ordered"}),
            )
            .await,
        ),
        early: created(
            app.post(&format!("{base}/early-workup"), &token, &json!({}))
                .await,
        ),
        patient,
    }
}

/// (method, path template, body): `{p}` patient, `{g}` pregnancy, `{r}` result, `{v}` review,
/// `{e}` early-workup request.
pub fn patient_endpoints() -> Vec<(&'static str, &'static str, Option<Value>)> {
    vec![
        ("GET", "/v1/patients/{p}", None),
        (
            "PATCH",
            "/v1/patients/{p}",
            Some(json!({"birth_date": "1990-01-01"})),
        ),
        ("DELETE", "/v1/patients/{p}", None),
        ("GET", "/v1/patients/{p}/pregnancies", None),
        (
            "POST",
            "/v1/patients/{p}/pregnancies",
            Some(
                json!({"outcome": "live_birth", "ended_on": "2020-01-01", "gestational_age_weeks": 39}),
            ),
        ),
        ("GET", "/v1/patients/{p}/pregnancies/{g}", None),
        (
            "PATCH",
            "/v1/patients/{p}/pregnancies/{g}",
            Some(json!({"notes": "checked"})),
        ),
        ("DELETE", "/v1/patients/{p}/pregnancies/{g}", None),
        ("GET", "/v1/patients/{p}/results", None),
        (
            "POST",
            "/v1/patients/{p}/results",
            Some(json!({"test": "tsh", "value": {"quantity": 1.0, "unit": "m[IU]/L"}})),
        ),
        ("GET", "/v1/patients/{p}/results/{r}", None),
        (
            "POST",
            "/v1/patients/{p}/results/{r}/versions",
            Some(json!({"value": {"quantity": 1.5, "unit": "m[IU]/L"}})),
        ),
        ("DELETE", "/v1/patients/{p}/results/{r}", None),
        ("GET", "/v1/patients/{p}/checklist", None),
        ("GET", "/v1/patients/{p}/checklist?profile=cn-2022", None),
        (
            "POST",
            "/v1/patients/{p}/checklist/antiphospholipid/reviews",
            Some(json!({"action": "declined"})),
        ),
        (
            "DELETE",
            "/v1/patients/{p}/checklist/thyroid/reviews/{v}",
            None,
        ),
        (
            "POST",
            "/v1/patients/{p}/early-workup",
            Some(json!({"note": "suspected cause"})),
        ),
        ("DELETE", "/v1/patients/{p}/early-workup/{e}", None),
    ]
}

async fn call(
    app: &TestApp,
    method: &str,
    template: &str,
    body: &Option<Value>,
    token: Option<&str>,
) -> Resp {
    let f = fixture(app).await;
    let path = template
        .replace("{p}", &f.patient)
        .replace("{g}", &f.pregnancy)
        .replace("{r}", &f.result)
        .replace("{v}", &f.review)
        .replace("{e}", &f.early);
    let bytes = body.as_ref().map(|b| serde_json::to_vec(b).unwrap());
    let ct = body.as_ref().map(|_| "application/json");
    app.send(method, &path, token, ct, bytes, &[]).await
}

#[actix_web::test]
async fn clinicians_and_admins_of_the_clinic_may_use_every_patient_endpoint() {
    let app = spawn_app().await;
    for role in [Role::Clinician, Role::Admin] {
        for (method, path, body) in patient_endpoints() {
            let res = call(&app, method, path, &body, Some(&app.token(role, CLINIC_A))).await;
            assert!(
                (200..300).contains(&res.status),
                "{role:?} {method} {path}: {} {}",
                res.status,
                res.text()
            );
        }
    }
}

#[actix_web::test]
async fn another_clinic_sees_not_found_on_every_verb_of_every_patient_endpoint() {
    let app = spawn_app().await;
    for role in [Role::Clinician, Role::Admin] {
        for (method, path, body) in patient_endpoints() {
            let res = call(&app, method, path, &body, Some(&app.token(role, CLINIC_B))).await;
            assert_problem(&res, 404, "not_found");
        }
    }
}

#[actix_web::test]
async fn a_lab_token_reads_and_writes_no_patient_data_in_any_clinic() {
    let app = spawn_app().await;
    for clinic in [CLINIC_A, CLINIC_B] {
        for (method, path, body) in patient_endpoints() {
            let res = call(
                &app,
                method,
                path,
                &body,
                Some(&app.token(Role::Lab, clinic)),
            )
            .await;
            assert_problem(&res, 403, "forbidden");
        }
    }
    let list = app.get("/v1/patients", &app.lab()).await;
    assert_problem(&list, 403, "forbidden");
}

#[actix_web::test]
async fn no_token_or_a_bad_one_is_401_with_a_bearer_challenge() {
    let app = spawn_app().await;
    let expired = {
        let claims = json!({"sub": "u", "exp": 1_000_000_000, "aud": "rpl-workup", "org": CLINIC_A, "roles": ["clinician"]});
        jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap()
    };
    let wrong_key = {
        let claims = json!({"sub": "u", "exp": 4_000_000_000i64, "aud": "rpl-workup", "org": CLINIC_A, "roles": ["clinician"]});
        jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(b"another-secret-of-sufficient-length-000000"),
        )
        .unwrap()
    };
    let wrong_audience = {
        let claims = json!({"sub": "u", "exp": 4_000_000_000i64, "aud": "someone-else", "org": CLINIC_A, "roles": ["clinician"]});
        jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap()
    };
    let no_org = {
        let claims = json!({"sub": "u", "exp": 4_000_000_000i64, "aud": "rpl-workup", "roles": ["clinician"]});
        jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap()
    };
    // alg "none": header {"alg":"none","typ":"JWT"}, valid-looking claims, empty signature.
    let unsigned = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ1IiwiZXhwIjo0MDAwMDAwMDAwLCJhdWQiOiJycGwtd29ya3VwIiwib3JnIjoiY2xpbmljLWEiLCJyb2xlcyI6WyJjbGluaWNpYW4iXX0.";
    for token in [
        None,
        Some("garbage"),
        Some(expired.as_str()),
        Some(wrong_key.as_str()),
        Some(wrong_audience.as_str()),
        Some(no_org.as_str()),
        Some(unsigned),
    ] {
        let res = app
            .send("GET", "/v1/patients", token, None, None, &[])
            .await;
        assert_problem(&res, 401, "unauthorized");
        assert!(res
            .header("www-authenticate")
            .unwrap()
            .starts_with("Bearer"));
    }
}

#[actix_web::test]
async fn a_token_with_no_known_role_may_do_nothing() {
    let app = spawn_app().await;
    let claims = json!({"sub": "u", "exp": 4_000_000_000i64, "aud": "rpl-workup", "org": CLINIC_A, "roles": ["superuser"]});
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    let res = app.get("/v1/patients", &token).await;
    assert_problem(&res, 403, "forbidden");
}

/// The lab feeds: (path, content type, body).
fn lab_endpoints() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    vec![
        (
            "/v1/lab/results",
            "application/json",
            br#"{"mrn": "MRN-1", "results": []}"#.to_vec(),
        ),
        (
            "/fhir/r4/Observation",
            "application/fhir+json",
            br#"{"resourceType": "Observation"}"#.to_vec(),
        ),
        (
            "/fhir/r4",
            "application/fhir+json",
            br#"{"resourceType": "Bundle", "type": "batch"}"#.to_vec(),
        ),
        (
            "/hl7/v2",
            "x-application/hl7-v2+er7",
            b"MSH|^~\\&|".to_vec(),
        ),
    ]
}

#[actix_web::test]
async fn only_a_lab_token_may_post_to_the_lab_feeds_and_each_refuses_in_its_own_format() {
    let app = spawn_app().await;
    for role in [Role::Clinician, Role::Admin] {
        for (path, ct, body) in lab_endpoints() {
            let res = app
                .send(
                    "POST",
                    path,
                    Some(&app.token(role, CLINIC_A)),
                    Some(ct),
                    Some(body),
                    &[],
                )
                .await;
            assert_eq!(res.status, 403, "{role:?} {path}: {}", res.text());
            match path {
                "/v1/lab/results" => {
                    assert_problem(&res, 403, "forbidden");
                }
                "/hl7/v2" => assert!(res.text().contains("MSA|AR"), "{}", res.text()),
                _ => assert_eq!(res.json()["resourceType"], "OperationOutcome"),
            }
        }
    }
    for (path, ct, body) in lab_endpoints() {
        let res = app
            .send("POST", path, None, Some(ct), Some(body.clone()), &[])
            .await;
        assert_eq!(res.status, 401, "{path}");
        assert!(res
            .header("www-authenticate")
            .unwrap()
            .starts_with("Bearer"));
        let res = app
            .send("POST", path, Some(&app.lab()), Some(ct), Some(body), &[])
            .await;
        assert!(
            res.status != 401 && res.status != 403,
            "{path}: {}",
            res.status
        );
    }
}

/// Clinic-level reads beyond the patient endpoints: (path, roles allowed).
fn clinic_endpoints() -> Vec<(&'static str, &'static [Role])> {
    vec![
        ("/v1/worklist", &[Role::Clinician, Role::Admin]),
        (
            "/v1/worklist?status=outstanding&overdue=false",
            &[Role::Clinician, Role::Admin],
        ),
        ("/v1/audit", &[Role::Admin]),
    ]
}

#[actix_web::test]
async fn the_worklist_is_for_clinicians_and_admins_and_the_audit_for_admins() {
    let app = spawn_app().await;
    fixture(&app).await;
    for (path, allowed) in clinic_endpoints() {
        for role in Role::ALL {
            let res = app.get(path, &app.token(role, CLINIC_A)).await;
            if allowed.contains(&role) {
                assert_eq!(res.status, 200, "{role:?} {path}: {}", res.text());
            } else {
                assert_problem(&res, 403, "forbidden");
            }
        }
        let res = app.send("GET", path, None, None, None, &[]).await;
        assert_problem(&res, 401, "unauthorized");
    }
    // Another clinic's clinician sees an empty worklist, never clinic A's patients.
    let other = app
        .get("/v1/worklist", &app.token(Role::Clinician, CLINIC_B))
        .await
        .json();
    assert_eq!(other["items"].as_array().unwrap().len(), 0);
}

#[actix_web::test]
async fn cds_hooks_endpoints_refuse_the_services_own_user_tokens() {
    let app = spawn_app().await;
    let body = json!({"hook": "patient-view", "hookInstance": "x", "context": {"patientId": "p"}});
    for role in Role::ALL {
        for path in [
            "/cds-services/rpl-workup",
            "/cds-services/rpl-workup/feedback",
        ] {
            let res = app.post(path, &app.token(role, CLINIC_A), &body).await;
            assert_problem(&res, 401, "unauthorized");
        }
    }
    let discovery = app
        .send("GET", "/cds-services", None, None, None, &[])
        .await;
    assert_eq!(discovery.status, 200);
}
