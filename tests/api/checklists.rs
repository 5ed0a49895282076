//! Checklists side by side (`/checklists`, with disagreements) and "as of" a past day. The past is
//! made by back-dating rows in the test's own database: the service only ever writes "now".

use chrono::{Duration, Utc};
use serde_json::{json, Value};

use crate::helpers::*;

fn days_ago(n: i64) -> String {
    (Utc::now().date_naive() - Duration::days(n)).to_string()
}

/// Runs SQL on the test's database (SQLite file or PostgreSQL database).
pub(crate) fn sql(app: &TestApp, statement: &str) {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    if let Some(path) = app.db.url.strip_prefix("sqlite://") {
        let mut c = diesel::SqliteConnection::establish(path).expect("sqlite");
        c.batch_execute(statement).expect("sql");
    } else {
        let mut c = diesel::PgConnection::establish(&app.db.url).expect("postgres");
        c.batch_execute(statement).expect("sql");
    }
}

/// Moves everything recorded so far for the patient `days` back in time.
pub(crate) fn backdate(app: &TestApp, patient: &str, days: i64) {
    let at = (Utc::now() - Duration::days(days)).format("%Y-%m-%d %H:%M:%S");
    sql(
        app,
        &format!(
            "UPDATE patients SET created_at = '{at}' WHERE id = '{patient}';
             UPDATE pregnancy_revisions SET recorded_at = '{at}' WHERE patient_id = '{patient}';
             UPDATE pregnancies SET created_at = '{at}', updated_at = '{at}' WHERE patient_id = '{patient}';
             UPDATE reviews SET created_at = '{at}' WHERE patient_id = '{patient}';"
        ),
    );
}

async fn two_losses(app: &TestApp) -> (String, Vec<String>) {
    let id = app
        .create_patient(
            &json!({"mrn": uuid::Uuid::new_v4().to_string(), "pregnancies": [
                {"outcome": "miscarriage", "ended_on": days_ago(400), "gestational_age_weeks": 8},
                {"outcome": "miscarriage", "ended_on": days_ago(200), "gestational_age_weeks": 10}
            ]}),
        )
        .await;
    let list = app
        .get(&format!("/v1/patients/{id}/pregnancies"), &app.clinician())
        .await
        .json();
    let items = list
        .get("items")
        .unwrap_or(&list)
        .as_array()
        .unwrap()
        .clone();
    let pregnancies = items
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();
    (id, pregnancies)
}

fn losses(checklist: &Value) -> &Value {
    &checklist["eligibility"]["losses_counted"]
}

#[actix_web::test]
async fn side_by_side_answers_one_checklist_per_profile_and_lists_where_they_disagree() {
    let app = spawn_app().await;
    let (id, _) = two_losses(&app).await;
    let res = app
        .get(
            &format!("/v1/patients/{id}/checklists?profiles=eshre-2022,rcog-2023"),
            &app.clinician(),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let body = res.json();
    let ids: Vec<&str> = body["checklists"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["profile"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["eshre-2022", "rcog-2023"]);
    // Two losses meet ESHRE's definition, not RCOG's three: the items disagree.
    let disagreements = body["disagreements"].as_array().unwrap();
    assert!(!disagreements.is_empty(), "{body}");
    for d in disagreements {
        let verdicts = d["profiles"].as_array().unwrap();
        assert_eq!(verdicts.len(), 2);
        assert_ne!(verdicts[0]["status"], verdicts[1]["status"], "{d}");
        assert!(verdicts[0]["reason"].is_string());
    }

    let all = app
        .get(&format!("/v1/patients/{id}/checklists"), &app.clinician())
        .await
        .json();
    assert!(all["checklists"].as_array().unwrap().len() >= 4, "{all}");

    let audit = app
        .get(&format!("/v1/audit?patient_id={id}"), &app.admin())
        .await
        .json();
    let reads = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "read" && e["resource_type"] == "checklist")
        .count();
    assert_eq!(reads, 2, "one audit row per side-by-side read: {audit}");
}

#[actix_web::test]
async fn side_by_side_refuses_an_unknown_profile_and_another_clinics_patient() {
    let app = spawn_app().await;
    let (id, _) = two_losses(&app).await;
    let bad = app
        .get(
            &format!("/v1/patients/{id}/checklists?profiles=eshre-2022,astrology"),
            &app.clinician(),
        )
        .await;
    let problem = assert_problem(&bad, 422, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "profiles");
    let other = app.token(rpl_workup::auth::Role::Clinician, CLINIC_B);
    let hidden = app
        .get(&format!("/v1/patients/{id}/checklists"), &other)
        .await;
    assert_eq!(hidden.status, 404);
}

#[actix_web::test]
async fn as_of_a_past_day_answers_from_the_record_as_it_was_then() {
    let app = spawn_app().await;
    let (id, pregnancies) = two_losses(&app).await;
    backdate(&app, &id, 10);
    // Today: one loss becomes a termination, the other is deleted, the profile changes.
    let patched = app
        .patch(
            &format!("/v1/patients/{id}/pregnancies/{}", pregnancies[0]),
            &app.clinician(),
            &json!({"outcome": "termination"}),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    let deleted = app
        .delete(
            &format!("/v1/patients/{id}/pregnancies/{}", pregnancies[1]),
            &app.clinician(),
        )
        .await;
    assert!(deleted.status < 300, "{}", deleted.text());
    let changed = app
        .patch(
            &format!("/v1/patients/{id}"),
            &app.clinician(),
            &json!({"profile": "rcog-2023"}),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text());

    let now = app
        .get(&format!("/v1/patients/{id}/checklist"), &app.clinician())
        .await
        .json();
    assert_eq!(losses(&now), 0, "{now}");
    assert_eq!(now["profile"]["id"], "rcog-2023");

    let day = days_ago(5);
    let then = app
        .get(
            &format!("/v1/patients/{id}/checklist?as_of={day}"),
            &app.clinician(),
        )
        .await;
    assert_eq!(then.status, 200, "{}", then.text());
    let then = then.json();
    assert_eq!(then["evaluated_on"], day.as_str());
    assert_eq!(
        losses(&then),
        2,
        "old values, deleted still counted: {then}"
    );
    assert_eq!(then["profile"]["id"], "eshre-2022");
    assert_eq!(then["eligibility"]["meets_definition"], true);

    let side = app
        .get(
            &format!("/v1/patients/{id}/checklists?profiles=eshre-2022&as_of={day}"),
            &app.clinician(),
        )
        .await
        .json();
    assert_eq!(losses(&side["checklists"][0]), 2, "{side}");

    let today = app
        .get(
            &format!("/v1/patients/{id}/checklist?as_of={}", days_ago(0)),
            &app.clinician(),
        )
        .await
        .json();
    assert_eq!(today, now, "as of today is the checklist now");
}

#[actix_web::test]
async fn as_of_ignores_reviews_made_later_and_refuses_the_future_and_the_time_before_the_patient() {
    let app = spawn_app().await;
    let (id, _) = two_losses(&app).await;
    backdate(&app, &id, 10);
    let review = app
        .post(
            &format!("/v1/patients/{id}/checklist/thyroid/reviews"),
            &app.clinician(),
            &json!({"action": "declined"}),
        )
        .await;
    assert_eq!(review.status, 201, "{}", review.text());
    let status = |c: &Value| {
        c["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == "thyroid")
            .unwrap()["status"]
            .clone()
    };
    let path = |day: String| format!("/v1/patients/{id}/checklist?as_of={day}");
    let now = app.get(&path(days_ago(0)), &app.clinician()).await.json();
    assert_eq!(status(&now), "declined");
    let then = app.get(&path(days_ago(3)), &app.clinician()).await.json();
    assert_eq!(status(&then), "outstanding", "{then}");

    for day in [days_ago(-1), days_ago(11)] {
        for endpoint in ["checklist", "checklists"] {
            let res = app
                .get(
                    &format!("/v1/patients/{id}/{endpoint}?as_of={day}"),
                    &app.clinician(),
                )
                .await;
            let problem = assert_problem(&res, 422, "validation_failed");
            assert_eq!(problem["errors"][0]["field"], "as_of", "{problem}");
        }
    }
}
