//! The obstetric history as a whole: the same pregnancy is not recorded twice (409
//! `duplicate_pregnancy` unless overridden, audited), and implausible histories are refused (422
//! naming the field and the rule).

use serde_json::{json, Value};

use crate::helpers::*;

fn miscarriage(ended_on: &str) -> Value {
    json!({"outcome": "miscarriage", "ended_on": ended_on, "gestational_age_weeks": 8})
}

async fn history_len(app: &TestApp, patient: &str) -> usize {
    let res = app
        .get(
            &format!("/v1/patients/{patient}/pregnancies"),
            &app.clinician(),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()["items"].as_array().unwrap().len()
}

#[actix_web::test]
async fn the_same_loss_entered_twice_is_refused_naming_the_one_recorded() {
    let app = spawn_app().await;
    let patient = app
        .create_patient(&json!({"mrn": "DUP-1", "birth_date": "1990-01-01"}))
        .await;
    let path = format!("/v1/patients/{patient}/pregnancies");
    let first = app
        .post(&path, &app.clinician(), &miscarriage("2025-03-01"))
        .await;
    assert_eq!(first.status, 201, "{}", first.text());
    let first_id = first.json()["id"].as_str().unwrap().to_owned();

    let again = app
        .post(&path, &app.clinician(), &miscarriage("2025-03-03"))
        .await;
    let problem = assert_problem(&again, 409, "duplicate_pregnancy");
    assert_eq!(problem["existing_pregnancy_id"], first_id.as_str());
    assert_eq!(problem["errors"][0]["field"], "ended_on");
    assert!(problem["detail"].as_str().unwrap().contains(&first_id));
    assert_eq!(history_len(&app, &patient).await, 1);

    let later = app
        .post(&path, &app.clinician(), &miscarriage("2025-03-05"))
        .await;
    assert_eq!(later.status, 201, "four days apart is another loss");
    let other_outcome = app
        .post(
            &path,
            &app.clinician(),
            &json!({"outcome": "biochemical", "ended_on": "2025-03-01"}),
        )
        .await;
    assert_eq!(other_outcome.status, 201, "{}", other_outcome.text());
}

#[actix_web::test]
async fn allow_duplicate_records_it_anyway_and_the_override_is_audited() {
    let app = spawn_app().await;
    let patient = app
        .create_patient(&json!({"mrn": "DUP-2", "pregnancies": [miscarriage("2025-03-01")]}))
        .await;
    let path = format!("/v1/patients/{patient}/pregnancies");
    let mut body = miscarriage("2025-03-01");
    body["allow_duplicate"] = json!(true);
    let res = app.post(&path, &app.clinician(), &body).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let id = res.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(history_len(&app, &patient).await, 2);

    let audit = app
        .get(&format!("/v1/audit?patient_id={patient}"), &app.admin())
        .await;
    assert_eq!(audit.status, 200, "{}", audit.text());
    let overrides: Vec<Value> = audit.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "allow_duplicate")
        .cloned()
        .collect();
    assert_eq!(overrides.len(), 1, "{overrides:?}");
    assert_eq!(overrides[0]["resource_id"], id.as_str());
}

#[actix_web::test]
async fn a_history_listing_the_same_loss_twice_is_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let res = app
        .post(
            "/v1/patients",
            &app.clinician(),
            &json!({"mrn": "DUP-3", "pregnancies": [
                miscarriage("2025-01-01"), miscarriage("2025-03-01"), miscarriage("2025-03-02")
            ]}),
        )
        .await;
    let problem = assert_problem(&res, 409, "duplicate_pregnancy");
    assert_eq!(problem["errors"][0]["field"], "pregnancies[2].ended_on");
    assert!(problem["detail"]
        .as_str()
        .unwrap()
        .contains("pregnancies[1]"));
    let found = app
        .get("/v1/patients?mrn=DUP-3", &app.clinician())
        .await
        .json();
    assert_eq!(found["items"].as_array().unwrap().len(), 0);

    let mut twin_entry = miscarriage("2025-03-02");
    twin_entry["allow_duplicate"] = json!(true);
    let res = app
        .post(
            "/v1/patients",
            &app.clinician(),
            &json!({"mrn": "DUP-3", "pregnancies": [miscarriage("2025-03-01"), twin_entry]}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
}

#[actix_web::test]
async fn a_correction_that_makes_a_pregnancy_the_same_as_another_is_refused() {
    let app = spawn_app().await;
    let patient = app
        .create_patient(&json!({"mrn": "DUP-4", "pregnancies": [
            miscarriage("2025-03-01"), miscarriage("2025-06-01")
        ]}))
        .await;
    let history = app
        .get(
            &format!("/v1/patients/{patient}/pregnancies"),
            &app.clinician(),
        )
        .await
        .json();
    let first = history["items"][0]["id"].as_str().unwrap().to_owned();
    let second = history["items"][1]["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/patients/{patient}/pregnancies/{second}");
    let res = app
        .patch(&path, &app.clinician(), &json!({"ended_on": "2025-02-27"}))
        .await;
    let problem = assert_problem(&res, 409, "duplicate_pregnancy");
    assert_eq!(problem["existing_pregnancy_id"], first.as_str());

    let own = app
        .patch(&path, &app.clinician(), &json!({"ended_on": "2025-06-02"}))
        .await;
    assert_eq!(
        own.status, 200,
        "moving a pregnancy near itself is no clash"
    );
    let forced = app
        .patch(
            &path,
            &app.clinician(),
            &json!({"ended_on": "2025-02-27", "allow_duplicate": true}),
        )
        .await;
    assert_eq!(forced.status, 200, "{}", forced.text());
}

#[actix_web::test]
async fn two_identical_concurrent_posts_record_the_loss_once() {
    let app = spawn_app().await;
    for round in 0..3 {
        let patient = app
            .create_patient(&json!({"mrn": format!("DUP-C{round}")}))
            .await;
        let path = format!("/v1/patients/{patient}/pregnancies");
        let token = app.clinician();
        let body = miscarriage("2025-03-01");
        let posts = (0..4).map(|_| app.post(&path, &token, &body));
        let statuses: Vec<u16> = futures_util::future::join_all(posts)
            .await
            .iter()
            .map(|r| r.status)
            .collect();
        assert_eq!(
            statuses.iter().filter(|s| **s == 201).count(),
            1,
            "{statuses:?}"
        );
        assert!(
            statuses.iter().all(|s| *s == 201 || *s == 409),
            "{statuses:?}"
        );
        assert_eq!(history_len(&app, &patient).await, 1);
    }
}

#[actix_web::test]
async fn implausible_gestational_ages_are_refused_naming_field_and_rule() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({"outcome": "live_birth", "ended_on": "2025-01-01", "gestational_age_weeks": 8}),
            "20+0",
        ),
        (
            json!({"outcome": "miscarriage", "ended_on": "2025-01-01", "gestational_age_weeks": 40}),
            "28+0",
        ),
        (
            json!({"outcome": "ectopic", "ended_on": "2025-01-01", "gestational_age_weeks": 30}),
            "20+0",
        ),
        (
            json!({"outcome": "molar", "ended_on": "2025-01-01", "gestational_age_weeks": 21}),
            "20+0",
        ),
        (
            json!({"outcome": "stillbirth", "ended_on": "2025-01-01", "gestational_age_weeks": 12}),
            "20+0",
        ),
        (
            json!({"outcome": "biochemical", "ended_on": "2025-01-01", "gestational_age_weeks": 12}),
            "10+0",
        ),
    ];
    for (i, (pregnancy, rule)) in cases.into_iter().enumerate() {
        let res = app
            .post(
                "/v1/patients",
                &app.clinician(),
                &json!({"mrn": format!("IMP-{i}"), "pregnancies": [miscarriage("2024-01-01"), pregnancy]}),
            )
            .await;
        let problem = assert_problem(&res, 422, "validation_failed");
        assert_eq!(
            problem["errors"][0]["field"], "pregnancies[1].gestational_age_weeks",
            "{problem}"
        );
        let message = problem["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(rule), "{message}");
    }
    let ok = app
        .post(
            "/v1/patients",
            &app.clinician(),
            &json!({"mrn": "IMP-OK", "pregnancies": [
                {"outcome": "live_birth", "ended_on": "2024-01-01", "gestational_age_weeks": 39},
                {"outcome": "stillbirth", "ended_on": "2025-01-01", "gestational_age_weeks": 24},
            ]}),
        )
        .await;
    assert_eq!(ok.status, 201, "{}", ok.text());
}

#[actix_web::test]
async fn a_patient_has_at_most_one_ongoing_pregnancy() {
    let app = spawn_app().await;
    // An ongoing pregnancy carries its due date (clinical-rules.md §6.3).
    let edd = (chrono::Utc::now().date_naive() + chrono::Duration::days(120)).to_string();
    let res = app
        .post(
            "/v1/patients",
            &app.clinician(),
            &json!({"mrn": "ONG-1", "pregnancies": [{"outcome": "ongoing", "edd": edd}, {"outcome": "ongoing", "edd": edd}]}),
        )
        .await;
    let problem = assert_problem(&res, 422, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "pregnancies[1].outcome");

    let patient = app
        .create_patient(
            &json!({"mrn": "ONG-2", "pregnancies": [{"outcome": "ongoing", "edd": edd}]}),
        )
        .await;
    let path = format!("/v1/patients/{patient}/pregnancies");
    let res = app
        .post(
            &path,
            &app.clinician(),
            &json!({"outcome": "ongoing", "edd": edd}),
        )
        .await;
    let problem = assert_problem(&res, 422, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "outcome");
    assert_eq!(history_len(&app, &patient).await, 1);
}

#[actix_web::test]
async fn a_birth_date_after_a_recorded_loss_is_refused_from_either_side() {
    let app = spawn_app().await;
    let patient = app
        .create_patient(&json!({"mrn": "BD-1", "birth_date": "1990-01-01",
            "pregnancies": [miscarriage("2020-05-01")]}))
        .await;
    let res = app
        .patch(
            &format!("/v1/patients/{patient}"),
            &app.clinician(),
            &json!({"birth_date": "2021-01-01"}),
        )
        .await;
    let problem = assert_problem(&res, 422, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "birth_date");
    let res = app
        .patch(
            &format!("/v1/patients/{patient}"),
            &app.clinician(),
            &json!({"birth_date": "2015-01-01"}),
        )
        .await;
    assert_problem(&res, 422, "validation_failed");
    let read = app
        .get(&format!("/v1/patients/{patient}"), &app.clinician())
        .await;
    assert_eq!(read.json()["birth_date"], "1990-01-01");

    let res = app
        .post(
            &format!("/v1/patients/{patient}/pregnancies"),
            &app.clinician(),
            &miscarriage("1995-01-01"),
        )
        .await;
    let problem = assert_problem(&res, 422, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "ended_on");
    assert!(problem["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("under 10"));
}

#[actix_web::test]
async fn a_result_reported_in_the_future_or_before_collection_is_refused_by_every_door() {
    let app = spawn_app().await;
    let patient = app
        .create_patient(&json!({"mrn": "MRN-0042", "birth_date": "1990-01-01"}))
        .await;
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let path = format!("/v1/patients/{patient}/results");
    let tsh = |collected: &str, reported: &str| {
        json!({"test": "tsh", "value": {"quantity": 2.0, "unit": "m[IU]/L"},
               "collected_on": collected, "reported_at": reported})
    };
    for body in [
        tsh("2025-03-04", &tomorrow),
        tsh("2025-03-04", "2025-03-01T10:00:00Z"),
    ] {
        let res = app.post(&path, &app.clinician(), &body).await;
        let problem = assert_problem(&res, 422, "validation_failed");
        assert_eq!(problem["errors"][0]["field"], "reported_at", "{problem}");
    }
    let ok = app
        .post(
            &path,
            &app.clinician(),
            &tsh("2025-03-04", "2025-03-05T10:00:00Z"),
        )
        .await;
    assert_eq!(ok.status, 201, "{}", ok.text());

    let lab = json!({"mrn": "MRN-0042", "results": [{
        "accession": "ACC-R1", "loinc": "3016-3", "status": "final",
        "value": {"quantity": 2.0, "unit": "m[IU]/L"},
        "collected_on": "2025-03-04", "reported_at": "2025-03-01T10:00:00Z"}]});
    let res = app
        .send(
            "POST",
            "/v1/lab/results",
            Some(&app.lab()),
            Some("application/json"),
            Some(serde_json::to_vec(&lab).unwrap()),
            &[],
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.text());
    assert!(res.text().contains("report time"), "{}", res.text());
    let results = app.get(&path, &app.clinician()).await.json();
    assert_eq!(results["items"].as_array().unwrap().len(), 1);
}
