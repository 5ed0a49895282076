//! The checklist over HTTP: eligibility, statuses with reasons and sources, reviews, profiles.

use chrono::{Duration, Utc};
use serde_json::{json, Value};

use crate::helpers::*;

fn days_ago(n: i64) -> String {
    (Utc::now().date_naive() - Duration::days(n)).to_string()
}

fn item<'a>(checklist: &'a Value, id: &str) -> &'a Value {
    checklist["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("no item {id} in {checklist}"))
}

async fn two_losses(app: &TestApp) -> String {
    app.create_patient(
        &json!({"mrn": uuid::Uuid::new_v4().to_string(), "pregnancies": [
            {"outcome": "miscarriage", "ended_on": days_ago(400), "gestational_age_weeks": 8},
            // 9 weeks: a loss at 10+0 or later is an APS criterion that needs no RPL (§6.1).
            {"outcome": "miscarriage", "ended_on": days_ago(200), "gestational_age_weeks": 9}
        ]}),
    )
    .await
}

#[actix_web::test]
async fn two_early_losses_meet_eshre_and_every_recommended_item_is_outstanding_with_a_source() {
    let app = spawn_app().await;
    let id = two_losses(&app).await;
    let res = app
        .get(&format!("/v1/patients/{id}/checklist"), &app.clinician())
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let checklist = res.json();
    assert_eq!(checklist["profile"]["id"], "eshre-2022");
    assert_eq!(checklist["eligibility"]["meets_definition"], true);
    assert_eq!(checklist["eligibility"]["losses_counted"], 2);
    assert_eq!(checklist["eligibility"]["rpl_type"], "primary");
    let apl = item(&checklist, "antiphospholipid");
    assert_eq!(apl["status"], "outstanding");
    assert!(apl["missing"]
        .as_array()
        .unwrap()
        .contains(&json!("lupus_anticoagulant")));
    assert!(!apl["recommendation"]["source"].as_str().unwrap().is_empty());
    assert_eq!(
        item(&checklist, "luteal_progesterone")["status"],
        "not_recommended"
    );
    for i in checklist["items"].as_array().unwrap() {
        assert!(
            !i["reason"].as_str().unwrap().is_empty(),
            "every item says why: {i}"
        );
    }
}

#[actix_web::test]
async fn the_same_history_is_not_yet_rpl_under_rcog_and_items_are_not_indicated() {
    let app = spawn_app().await;
    let id = two_losses(&app).await;
    let checklist = app
        .get(
            &format!("/v1/patients/{id}/checklist?profile=rcog-2023"),
            &app.clinician(),
        )
        .await
        .json();
    assert_eq!(checklist["profile"]["id"], "rcog-2023");
    assert_eq!(checklist["eligibility"]["meets_definition"], false);
    assert_eq!(
        item(&checklist, "antiphospholipid")["status"],
        "not_indicated"
    );

    let early = app
        .post(
            &format!("/v1/patients/{id}/early-workup"),
            &app.clinician(),
            &json!({"note": "suspected APS"}),
        )
        .await;
    assert_eq!(early.status, 201, "{}", early.text());
    let checklist = app
        .get(
            &format!("/v1/patients/{id}/checklist?profile=rcog-2023"),
            &app.clinician(),
        )
        .await
        .json();
    assert_eq!(checklist["eligibility"]["early_workup"], true);
    assert_eq!(
        item(&checklist, "antiphospholipid")["status"],
        "outstanding"
    );

    let withdrawn = app
        .delete(
            &format!(
                "/v1/patients/{id}/early-workup/{}",
                early.json()["id"].as_str().unwrap()
            ),
            &app.clinician(),
        )
        .await;
    assert_eq!(withdrawn.status, 204);
    let checklist = app
        .get(
            &format!("/v1/patients/{id}/checklist?profile=rcog-2023"),
            &app.clinician(),
        )
        .await
        .json();
    assert_eq!(
        item(&checklist, "antiphospholipid")["status"],
        "not_indicated"
    );
}

#[actix_web::test]
async fn a_positive_anticardiolipin_is_repeat_due_84_days_after_the_sample() {
    let app = spawn_app().await;
    let id = two_losses(&app).await;
    let collected = Utc::now().date_naive() - Duration::days(20);
    app.post(
        &format!("/v1/patients/{id}/results"),
        &app.clinician(),
        &json!({"test": "anticardiolipin_igg", "value": {"quantity": 52.0, "unit": "[GPL'U]/mL"},
                "interpretation": "positive", "collected_on": collected.to_string()}),
    )
    .await;
    let checklist = app
        .get(&format!("/v1/patients/{id}/checklist"), &app.clinician())
        .await
        .json();
    let apl = item(&checklist, "antiphospholipid");
    assert_eq!(apl["status"], "repeat_due", "{apl}");
    assert_eq!(apl["due_on"], (collected + Duration::days(84)).to_string());
    assert_eq!(apl["result_ids"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn acknowledging_an_abnormal_item_keeps_it_abnormal_and_lists_the_review() {
    let app = spawn_app().await;
    let id = two_losses(&app).await;
    app.post(
        &format!("/v1/patients/{id}/results"),
        &app.clinician(),
        &json!({"test": "uterine_imaging", "modality": "3d_tvus", "value": {"finding": "septate"}, "collected_on": days_ago(10)}),
    )
    .await;
    let review = app
        .post(
            &format!("/v1/patients/{id}/checklist/uterine_anatomy/reviews"),
            &app.clinician(),
            &json!({"action": "acknowledge", "note": "refer for hysteroscopic resection"}),
        )
        .await;
    assert_eq!(review.status, 201, "{}", review.text());
    let checklist = app
        .get(&format!("/v1/patients/{id}/checklist"), &app.clinician())
        .await
        .json();
    let uterus = item(&checklist, "uterine_anatomy");
    assert_eq!(uterus["status"], "abnormal");
    assert_eq!(uterus["reviews"][0]["action"], "acknowledge");

    let bad = app
        .post(
            &format!("/v1/patients/{id}/checklist/astrology/reviews"),
            &app.clinician(),
            &json!({"action": "declined"}),
        )
        .await;
    assert_problem(&bad, 404, "not_found");
    let bad = app
        .post(
            &format!("/v1/patients/{id}/checklist/thyroid/reviews"),
            &app.clinician(),
            &json!({"action": "shrug"}),
        )
        .await;
    assert_problem(&bad, 422, "validation_failed");
}

#[actix_web::test]
async fn profiles_are_served_with_citations_and_a_clinic_profile_is_validated() {
    let app = spawn_app().await;
    let list = app.get("/v1/profiles", &app.clinician()).await.json();
    let ids: Vec<_> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["eshre-2022", "rcog-2023", "asrm-2012", "cn-2022"]);
    let rcog = app
        .get("/v1/profiles/rcog-2023", &app.clinician())
        .await
        .json();
    assert!(rcog["citation"]
        .as_str()
        .unwrap()
        .contains("Green-top Guideline No. 17"));
    assert_problem(
        &app.get("/v1/profiles/nice-2011", &app.clinician()).await,
        404,
        "not_found",
    );
    assert_problem(&app.get("/v1/profiles", &app.lab()).await, 403, "forbidden");

    let bad = app
        .post("/v1/profiles", &app.admin(), &json!({"id": "clinic-a-2026", "title": "Ours", "based_on": "eshre-2022", "items": {"astrology": {"stance": "recommended"}}}))
        .await;
    let problem = assert_problem(&bad, 422, "validation_failed");
    assert!(
        problem["errors"][0]["field"]
            .as_str()
            .unwrap()
            .contains("astrology"),
        "{problem}"
    );
    let not_admin = app
        .post(
            "/v1/profiles",
            &app.clinician(),
            &json!({"id": "x", "title": "x", "based_on": "eshre-2022"}),
        )
        .await;
    assert_problem(&not_admin, 403, "forbidden");
}

#[actix_web::test]
async fn a_clinic_profile_recommending_progesterone_drives_its_patients_checklist() {
    let app = spawn_app().await;
    let created = app
        .post(
            "/v1/profiles",
            &app.admin(),
            &json!({"id": "clinic-a-luteal", "title": "ESHRE with luteal progesterone", "based_on": "eshre-2022",
                    "items": {"luteal_progesterone": {"stance": "recommended",
                        "recommendation": {"strength": "gpp", "text": "Local protocol: mid-luteal progesterone.", "source": "Clinic A protocol 2026"}}}}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let again = app
        .post(
            "/v1/profiles",
            &app.admin(),
            &json!({"id": "clinic-a-luteal", "title": "again", "based_on": "eshre-2022"}),
        )
        .await;
    assert_problem(&again, 409, "conflict");

    let id = two_losses(&app).await;
    let patched = app
        .patch(
            &format!("/v1/patients/{id}"),
            &app.clinician(),
            &json!({"profile": "clinic-a-luteal"}),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    let checklist = app
        .get(&format!("/v1/patients/{id}/checklist"), &app.clinician())
        .await
        .json();
    assert_eq!(checklist["profile"]["id"], "clinic-a-luteal");
    let luteal = item(&checklist, "luteal_progesterone");
    assert_eq!(luteal["status"], "outstanding");
    assert_eq!(luteal["recommendation"]["source"], "Clinic A protocol 2026");

    let other_clinic = app
        .get(
            "/v1/profiles/clinic-a-luteal",
            &app.token(rpl_workup::auth::Role::Clinician, CLINIC_B),
        )
        .await;
    assert_problem(&other_clinic, 404, "not_found");
}

/// Marks the stored checklist of `patient` with `marker` and `evaluated_on` (straight through
/// storage: no API writes it).
fn tamper_stored_checklist(app: &TestApp, patient: &str, evaluated_on: chrono::NaiveDate) {
    use diesel::prelude::*;
    use rpl_workup::storage::{self, schema::worklist_summaries, Backend};
    let pool = storage::build_pool(Backend::from_url(&app.db.url).unwrap(), 1);
    let mut conn = pool.get().unwrap();
    let stored: String = worklist_summaries::table
        .find(patient)
        .select(worklist_summaries::checklist.assume_not_null())
        .first(&mut *conn)
        .unwrap();
    let marked = stored.replacen("\"reason\":\"", "\"reason\":\"STORED ", 1);
    diesel::update(worklist_summaries::table.find(patient))
        .set((
            worklist_summaries::checklist.eq(Some(marked)),
            worklist_summaries::evaluated_on.eq(evaluated_on),
        ))
        .execute(&mut *conn)
        .unwrap();
}

#[actix_web::test]
async fn the_checklist_stored_by_the_last_write_is_served_only_while_it_is_current() {
    let app = spawn_app().await;
    let id = two_losses(&app).await;
    let path = format!("/v1/patients/{id}/checklist");
    let today = Utc::now().date_naive();

    tamper_stored_checklist(&app, &id, today);
    assert!(
        app.get(&path, &app.clinician())
            .await
            .text()
            .contains("STORED"),
        "served from the summary"
    );
    let other_profile = app
        .get(&format!("{path}?profile=cn-2022"), &app.clinician())
        .await
        .text();
    assert!(
        !other_profile.contains("STORED"),
        "another profile is evaluated afresh"
    );

    tamper_stored_checklist(&app, &id, today - Duration::days(1));
    let fresh = app.get(&path, &app.clinician()).await.json();
    assert!(
        !fresh.to_string().contains("STORED"),
        "yesterday's evaluation is not served today"
    );
    assert_eq!(fresh["evaluated_on"], today.to_string());

    tamper_stored_checklist(&app, &id, today);
    app.post(&format!("/v1/patients/{id}/results"), &app.clinician(), &json!({"test": "tsh", "value": {"quantity": 1.2, "unit": "m[IU]/L"}, "collected_on": days_ago(1)}))
        .await;
    let after_write = app.get(&path, &app.clinician()).await.text();
    assert!(
        !after_write.contains("STORED"),
        "a write re-evaluates in its own transaction"
    );
}

/// Both ways a checklist is served (the stored one, or evaluated now or as of a day) refuse the
/// same bad requests the same way, and audit nothing they did not show.
#[actix_web::test]
async fn a_checklist_refuses_an_unknown_profile_another_clinics_patient_and_a_malformed_id() {
    let app = spawn_app().await;
    let id = two_losses(&app).await;
    let stored = app
        .get(&format!("/v1/patients/{id}/checklist"), &app.clinician())
        .await;
    assert_eq!(stored.status, 200, "{}", stored.text());
    let today = Utc::now().date_naive();
    for query in [
        "?profile=astrology",
        &format!("?profile=astrology&as_of={today}"),
    ] {
        let bad = app
            .get(
                &format!("/v1/patients/{id}/checklist{query}"),
                &app.clinician(),
            )
            .await;
        let problem = assert_problem(&bad, 422, "validation_failed");
        assert_eq!(problem["errors"][0]["field"], "profile", "{query}");
    }
    let other = app.token(rpl_workup::auth::Role::Clinician, CLINIC_B);
    for query in ["", "?profile=rcog-2023", &format!("?as_of={today}")] {
        let hidden = app
            .get(&format!("/v1/patients/{id}/checklist{query}"), &other)
            .await;
        assert_eq!(hidden.status, 404, "{query}: {}", hidden.text());
        assert_eq!(
            hidden.text(),
            app.get(
                &format!("/v1/patients/{}/checklist{query}", uuid::Uuid::now_v7()),
                &other
            )
            .await
            .text(),
            "another clinic's patient reads like no patient"
        );
    }
    let malformed = app
        .get("/v1/patients/not-a-uuid/checklist", &app.clinician())
        .await;
    assert!(
        (400..500).contains(&malformed.status),
        "{}: {}",
        malformed.status,
        malformed.text()
    );
    // Only the one checklist shown was audited as read.
    assert_eq!(app.audited_reads(&id, "checklist").await, 1);
}
