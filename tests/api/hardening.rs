//! Hostile and sloppy input (issue 8): control characters anywhere, Unicode look-alikes in MRNs,
//! JSON that is not one object, tokens bent out of shape, request ids that could forge logs, and
//! bodies judged before the caller's role.

use jsonwebtoken::{EncodingKey, Header};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::lab_support::*;

fn field_errors(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[actix_web::test]
async fn a_nul_or_control_character_in_any_json_text_is_a_422_naming_the_field() {
    let app = spawn_app().await;
    let res = app
        .post(
            "/v1/patients",
            &app.clinician(),
            &json!({"mrn": "NUL\u{0}1"}),
        )
        .await;
    let body = assert_problem(&res, 422, "validation_failed");
    assert_eq!(field_errors(&body), ["mrn"]);

    let res = app
        .post(
            "/v1/patients",
            &app.clinician(),
            &json!({"mrn": "CTL-1", "pregnancies": [
                {"outcome": "miscarriage", "ended_on": "2025-03-01", "gestational_age_weeks": 8},
                {"outcome": "miscarriage\u{1b}", "ended_on": "2025-06-01", "gestational_age_weeks": 8}
            ]}),
        )
        .await;
    let body = assert_problem(&res, 422, "validation_failed");
    assert_eq!(field_errors(&body), ["pregnancies[1].outcome"]);
    let list = app.get("/v1/patients?mrn=CTL-1", &app.clinician()).await;
    assert_eq!(list.json()["items"], json!([]), "nothing was written");

    // Tab, CR and LF are text; they pass this check.
    let id = app.create_patient(&json!({"mrn": "TAB-1"})).await;
    assert!(!id.is_empty());

    patient_0042(&app).await;
    let mut result = lab_result(
        "A-\u{0}",
        "3181-5",
        "final",
        json!({"quantity": 1.0, "unit": "[GPL'U]/mL"}),
    );
    result["note"] = json!("ok");
    let res = post_lab(&app, &json!({"mrn": "MRN-0042", "results": [result]}), &[]).await;
    assert_eq!(res.status, 422, "{}", res.text());
    assert!(
        res.text().contains("results[0].accession"),
        "{}",
        res.text()
    );
}

#[actix_web::test]
async fn a_control_character_in_a_query_value_a_cursor_or_a_path_is_refused_not_a_500() {
    let app = spawn_app().await;
    let token = app.clinician();
    let res = app.get("/v1/patients?mrn=%00", &token).await;
    let body = assert_problem(&res, 422, "validation_failed");
    assert_eq!(field_errors(&body), ["mrn"]);
    // "AA" is the cursor of a NUL byte.
    let res = app.get("/v1/patients?cursor=AA", &token).await;
    let body = assert_problem(&res, 422, "validation_failed");
    assert_eq!(field_errors(&body), ["cursor"]);
    let res = app.get("/v1/worklist?profile=%01x", &token).await;
    assert_problem(&res, 422, "validation_failed");
    let res = app.get("/v1/profiles/eshre%002022", &token).await;
    assert_problem(&res, 404, "not_found");
    // An empty value is a value: a date or number it is not.
    let res = app.get("/v1/worklist?due_before=", &token).await;
    assert_problem(&res, 422, "validation_failed");
}

#[actix_web::test]
async fn a_nul_in_a_fhir_observation_is_a_422_operation_outcome_naming_the_element() {
    let app = spawn_app().await;
    patient_0042(&app).await;
    let body = fixture_with(
        "fhir/observation-acl-igg-positive.json",
        &[("Jane Doe", "Jane\\u0000Doe")],
    );
    let res = post_fhir(&app, "/fhir/r4/Observation", body, &[]).await;
    assert_eq!(res.status, 422, "{}", res.text());
    let outcome = res.json();
    assert_eq!(outcome["resourceType"], "OperationOutcome");
    assert!(
        outcome.to_string().contains("Observation.subject.display"),
        "{outcome}"
    );
}

#[actix_web::test]
async fn an_hl7_message_with_a_nul_in_an_nte_is_an_ae_every_time_and_nothing_is_stored() {
    let app = spawn_app().await;
    let patient = patient_0042(&app).await;
    let message = fixture_with(
        "hl7v2/oru-tsh-tpo.hl7",
        &[("Above the laboratory", "Above\u{0}the laboratory")],
    );
    for _ in 0..2 {
        let res = post_hl7(&app, message.clone(), &[]).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let ack = res.text();
        assert_eq!(msa(&ack), ("AE".to_owned(), "MSG00001".to_owned()));
        assert!(ack.contains("NTE^1^3"), "{ack}");
    }
    assert!(results_of(&app, &patient).await.is_empty());
}

#[actix_web::test]
async fn mrns_are_nfc_normalised_and_invisible_characters_are_refused() {
    let app = spawn_app().await;
    let token = app.clinician();
    let id = app.create_patient(&json!({"mrn": "Jose\u{301}-17"})).await;
    let found = app.get("/v1/patients?mrn=Jos%C3%A9-17", &token).await;
    assert_eq!(found.json()["items"][0]["id"], id.as_str());
    assert_eq!(found.json()["items"][0]["mrn"], "Jos\u{e9}-17");
    let twin = app
        .post("/v1/patients", &token, &json!({"mrn": "Jos\u{e9}-17"}))
        .await;
    assert_problem(&twin, 409, "conflict");
    for mrn in ["A\u{200B}17", "A\u{202E}71", "\u{FEFF}A17"] {
        let res = app.post("/v1/patients", &token, &json!({"mrn": mrn})).await;
        let body = assert_problem(&res, 422, "validation_failed");
        assert_eq!(field_errors(&body), ["mrn"], "{mrn:?}");
    }
}

#[actix_web::test]
async fn json_must_be_one_object_and_errors_never_show_rust_type_names() {
    let app = spawn_app().await;
    let token = app.clinician();
    let send = |body: &'static str| {
        let app = &app;
        let token = token.clone();
        async move {
            app.send(
                "POST",
                "/v1/patients",
                Some(&token),
                Some("application/json"),
                Some(body.as_bytes().to_vec()),
                &[],
            )
            .await
        }
    };
    for body in [
        r#"{"mrn": "J-1"} {"mrn": "J-2"}"#,
        r#"{"mrn": "J-1"}garbage"#,
        r#"[{"mrn": "J-1"}]"#,
        r#""J-1""#,
    ] {
        let res = send(body).await;
        let problem = assert_problem(&res, 400, "malformed_body");
        let text = problem.to_string();
        assert!(!text.contains("struct"), "{text}");
        assert!(!text.contains("CreatePatient"), "{text}");
    }
    let list = app.get("/v1/patients", &token).await;
    assert_eq!(list.json()["items"], json!([]), "nothing was written");

    let res = send(r#"{"mrn": "J-3", "pregnancies": [{"outcome": "miscarriage", "gestational_age_weeks": -1}]}"#).await;
    let problem = assert_problem(&res, 422, "validation_failed");
    let res2 = send(r#"{"mrn": "J-3", "partner": [1]}"#).await;
    let problem2 = assert_problem(&res2, 422, "validation_failed");
    for text in [problem.to_string(), problem2.to_string()] {
        for rust in [
            "u8", "u16", "u32", "i32", "i64", "struct ", "Option<", "sequence",
        ] {
            assert!(!text.contains(rust), "{rust} in {text}");
        }
    }
}

fn signed(claims: &Value) -> String {
    jsonwebtoken::encode(
        &Header::default(),
        claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

fn claims_with(extra: Value) -> Value {
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({"sub": "u-1", "org": CLINIC_A, "roles": ["clinician"],
                            "aud": "rpl-workup", "exp": now + 600, "iat": now});
    for (k, v) in extra.as_object().unwrap() {
        claims[k] = v.clone();
    }
    claims
}

#[actix_web::test]
async fn tokens_honour_nbf_take_aud_as_an_array_and_never_trim_org() {
    let app = spawn_app().await;
    let now = chrono::Utc::now().timestamp();
    let status = |claims: Value| {
        let app = &app;
        async move { app.get("/v1/patients", &signed(&claims)).await.status }
    };
    assert_eq!(status(claims_with(json!({}))).await, 200);
    assert_eq!(status(claims_with(json!({"nbf": now + 600}))).await, 401);
    assert_eq!(status(claims_with(json!({"nbf": now - 5}))).await, 200);
    let both = json!({"aud": ["another-service", "rpl-workup"]});
    assert_eq!(status(claims_with(both)).await, 200);
    let neither = json!({"aud": ["another-service"]});
    assert_eq!(status(claims_with(neither)).await, 401);
    for org in [
        " clinic-a",
        "clinic-a ",
        "clinic-a\u{200B}",
        "clinic-a\u{0}",
    ] {
        assert_eq!(
            status(claims_with(json!({"org": org}))).await,
            401,
            "{org:?}"
        );
    }
}

#[actix_web::test]
async fn a_callers_request_id_is_kept_only_when_it_is_a_short_safe_token() {
    let app = spawn_app().await;
    let id_of = |value: String| {
        let app = &app;
        async move {
            app.send(
                "GET",
                "/health/live",
                None,
                None,
                None,
                &[("x-request-id", &value)],
            )
            .await
            .header("x-request-id")
            .unwrap()
        }
    };
    assert_eq!(id_of("abc.DEF_1-2".to_owned()).await, "abc.DEF_1-2");
    for bad in [
        "x".repeat(65),
        "a b".to_owned(),
        "<script>".to_owned(),
        "id\"forged\":1".to_owned(),
    ] {
        let got = id_of(bad.clone()).await;
        assert_ne!(got, bad);
        assert!(uuid::Uuid::parse_str(&got).is_ok(), "{got}");
    }
}

#[actix_web::test]
async fn a_caller_without_the_role_gets_403_before_the_body_is_judged() {
    let app = spawn_app().await;
    let lab = app.lab();
    for (path, content_type, body) in [
        ("/v1/patients", "application/json", "[1]"),
        ("/v1/patients", "application/json", "{\"mrn\": 5}"),
        ("/v1/patients", "text/plain", "hello"),
        ("/v1/clinic", "application/json", "{\"time_zone\": 5}"),
    ] {
        let method = if path == "/v1/clinic" {
            "PATCH"
        } else {
            "POST"
        };
        let res = app
            .send(
                method,
                path,
                Some(&lab),
                Some(content_type),
                Some(body.as_bytes().to_vec()),
                &[],
            )
            .await;
        assert_problem(&res, 403, "forbidden");
    }
    let clinician = app.clinician();
    let res = app
        .send(
            "PATCH",
            "/v1/clinic",
            Some(&clinician),
            Some("application/json"),
            Some(b"[]".to_vec()),
            &[],
        )
        .await;
    assert_problem(&res, 403, "forbidden");
}

fn today_in(zone: &str) -> chrono::NaiveDate {
    let zone: chrono_tz::Tz = zone.parse().unwrap();
    chrono::Utc::now().with_timezone(&zone).date_naive()
}

#[actix_web::test]
async fn the_clinic_time_zone_decides_today_for_the_checklist_and_for_future_dates() {
    let app = spawn_app().await;
    let admin = app.admin();
    let res = app
        .patch(
            "/v1/clinic",
            &admin,
            &json!({"time_zone": "Mars/Olympus_Mons"}),
        )
        .await;
    let body = assert_problem(&res, 422, "validation_failed");
    assert_eq!(field_errors(&body), ["time_zone"]);
    let settings = app.get("/v1/clinic", &admin).await.json();
    assert_eq!(settings["time_zone"], "UTC");

    let patient = app.create_patient(&json!({"mrn": "TZ-1"})).await;
    for zone in ["Pacific/Kiritimati", "Pacific/Pago_Pago"] {
        let res = app
            .patch("/v1/clinic", &admin, &json!({"time_zone": zone}))
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["time_zone"], zone);
        let checklist = app
            .get(&format!("/v1/patients/{patient}/checklist"), &admin)
            .await
            .json();
        assert_eq!(checklist["evaluated_on"], today_in(zone).to_string());

        // UTC's today is in the future in Pago Pago (UTC−11) for 11 hours of every day.
        let utc_today = chrono::Utc::now().date_naive();
        let res = app
            .post(
                "/v1/patients",
                &admin,
                &json!({"mrn": format!("TZ-{zone}"), "birth_date": utc_today}),
            )
            .await;
        let expected = if utc_today > today_in(zone) { 422 } else { 201 };
        assert_eq!(res.status, expected, "{zone}: {}", res.text());
        let res = app
            .patch(
                &format!("/v1/patients/{patient}"),
                &admin,
                &json!({"birth_date": utc_today}),
            )
            .await;
        let expected = if utc_today > today_in(zone) { 422 } else { 200 };
        assert_eq!(res.status, expected, "{zone}: {}", res.text());
    }
}

#[actix_web::test]
async fn collection_and_end_dates_are_judged_against_the_clinics_today() {
    let app = spawn_app().await;
    let admin = app.admin();
    // Kiritimati (UTC+14) is a day ahead of UTC for most of every day: its today must be accepted
    // even when it is tomorrow in UTC, and its tomorrow refused.
    let zone = "Pacific/Kiritimati";
    let res = app
        .patch("/v1/clinic", &admin, &json!({"time_zone": zone}))
        .await;
    assert!(res.status < 300, "{}", res.text());
    let today = today_in(zone);
    let tomorrow = today.succ_opt().unwrap();
    let patient = app.create_patient(&json!({"mrn": "TZ-DATES"})).await;
    let result = |day: chrono::NaiveDate| json!({"test": "tsh", "value": {"quantity": 2.1, "unit": "m[IU]/L"}, "collected_on": day});
    let path = format!("/v1/patients/{patient}/results");
    let res = app.post(&path, &app.clinician(), &result(today)).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let res = app.post(&path, &app.clinician(), &result(tomorrow)).await;
    let body = assert_problem(&res, 422, "validation_failed");
    assert_eq!(field_errors(&body), ["collected_on"]);

    let path = format!("/v1/patients/{patient}/pregnancies");
    let loss = |day: chrono::NaiveDate| json!({"outcome": "miscarriage", "ended_on": day, "gestational_age_weeks": 8});
    let res = app.post(&path, &app.clinician(), &loss(tomorrow)).await;
    let body = assert_problem(&res, 422, "validation_failed");
    assert_eq!(field_errors(&body), ["ended_on"]);
    let res = app.post(&path, &app.clinician(), &loss(today)).await;
    assert_eq!(res.status, 201, "{}", res.text());
}
