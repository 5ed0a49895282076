//! The worklist: the clinic's patients with open work, filtered, paged, isolated per clinic,
//! kept current by writes and by the passage of time.

use chrono::{Duration, Utc};
use serde_json::{json, Value};

use crate::helpers::*;

pub fn days_ago(n: i64) -> String {
    (Utc::now().date_naive() - Duration::days(n)).to_string()
}

/// A patient with two early losses (RPL under ESHRE, not under RCOG) and an optional profile.
pub async fn rpl_patient(app: &TestApp, mrn: &str, profile: Option<&str>) -> String {
    let mut body = json!({"mrn": mrn, "pregnancies": [
        {"outcome": "miscarriage", "ended_on": days_ago(400), "gestational_age_weeks": 8},
        // 9 weeks: a loss at 10+0 or later is an APS criterion that needs no RPL (§6.1).
        {"outcome": "miscarriage", "ended_on": days_ago(200), "gestational_age_weeks": 9}
    ]});
    if let Some(p) = profile {
        body["profile"] = json!(p);
    }
    app.create_patient(&body).await
}

/// A positive anticardiolipin IgG collected `days` ago: repeat due 84 days after it.
pub async fn positive_acl(app: &TestApp, patient: &str, days: i64) {
    let res = app
        .post(
            &format!("/v1/patients/{patient}/results"),
            &app.clinician(),
            &json!({"test": "anticardiolipin_igg", "value": {"quantity": 52.0, "unit": "[GPL'U]/mL"},
                    "interpretation": "positive", "collected_on": days_ago(days)}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
}

async fn worklist(app: &TestApp, query: &str) -> Value {
    let res = app
        .get(&format!("/v1/worklist{query}"), &app.clinician())
        .await;
    assert_eq!(res.status, 200, "{query}: {}", res.text());
    res.json()
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["patient_id"].as_str().unwrap().to_owned())
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[actix_web::test]
async fn the_worklist_lists_patients_with_open_work_with_counts_and_open_items() {
    let app = spawn_app().await;
    let rpl = rpl_patient(&app, "WL-1", None).await;
    positive_acl(&app, &rpl, 10).await;
    // One loss: not RPL, nothing indicated, no open work.
    app.create_patient(&json!({"mrn": "WL-2", "pregnancies": [
        {"outcome": "miscarriage", "ended_on": days_ago(100), "gestational_age_weeks": 7}]}))
        .await;

    let page = worklist(&app, "").await;
    assert_eq!(ids(&page), vec![rpl.clone()]);
    assert!(page["next_cursor"].is_null());
    let row = &page["items"][0];
    assert_eq!(row["mrn"], "WL-1");
    assert_eq!(row["profile"], "eshre-2022");
    assert_eq!(row["counts"]["repeat_due"], 1);
    assert!(row["counts"]["outstanding"].as_u64().unwrap() >= 2, "{row}");
    assert_eq!(row["overdue"], 0);
    let due = (Utc::now().date_naive() + Duration::days(74)).to_string();
    assert_eq!(row["next_due_on"], due);
    let apl = row["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "antiphospholipid")
        .unwrap();
    assert_eq!(apl["status"], "repeat_due");
    assert_eq!(apl["due_on"], due);
    assert_eq!(apl["overdue"], false);
    for item in row["items"].as_array().unwrap() {
        let status = item["status"].as_str().unwrap();
        assert!(
            [
                "outstanding",
                "pending",
                "repeat_due",
                "abnormal",
                "needs_review"
            ]
            .contains(&status),
            "only open items: {item}"
        );
    }
}

#[actix_web::test]
async fn worklist_filters_by_status_item_overdue_due_date_and_effective_profile() {
    let app = spawn_app().await;
    let overdue = rpl_patient(&app, "F-1", None).await;
    positive_acl(&app, &overdue, 100).await;
    let due_later = rpl_patient(&app, "F-2", None).await;
    positive_acl(&app, &due_later, 10).await;
    let plain = rpl_patient(&app, "F-3", None).await;
    let septate = rpl_patient(&app, "F-4", None).await;
    app.post(
        &format!("/v1/patients/{septate}/results"),
        &app.clinician(),
        &json!({"test": "uterine_imaging", "modality": "3d_tvus", "value": {"finding": "septate"}, "collected_on": days_ago(5)}),
    )
    .await;
    // Three first-trimester losses: RPL under RCOG too; her own override.
    let rcog = app
        .create_patient(
            &json!({"mrn": "F-5", "profile": "rcog-2023", "pregnancies": [
            {"outcome": "miscarriage", "ended_on": days_ago(600), "gestational_age_weeks": 8},
            {"outcome": "miscarriage", "ended_on": days_ago(400), "gestational_age_weeks": 8},
            {"outcome": "miscarriage", "ended_on": days_ago(200), "gestational_age_weeks": 9}]}),
        )
        .await;

    let all = worklist(&app, "").await;
    assert_eq!(
        sorted(ids(&all)),
        sorted(vec![
            overdue.clone(),
            due_later.clone(),
            plain.clone(),
            septate.clone(),
            rcog.clone()
        ])
    );
    assert_eq!(
        ids(&worklist(&app, "?status=repeat_due").await),
        sorted(vec![overdue.clone(), due_later.clone()])
    );
    assert_eq!(
        ids(&worklist(&app, "?overdue=true").await),
        vec![overdue.clone()]
    );
    let row = &worklist(&app, "?overdue=true").await["items"][0];
    assert_eq!(row["overdue"], 1);
    assert!(!ids(&worklist(&app, "?overdue=false").await).contains(&overdue));
    assert_eq!(
        ids(&worklist(&app, &format!("?due_before={}", days_ago(-30))).await),
        vec![overdue.clone()]
    );
    assert_eq!(
        ids(&worklist(&app, "?status=abnormal").await),
        vec![septate.clone()]
    );
    assert_eq!(
        ids(&worklist(&app, "?item=uterine_anatomy&status=abnormal").await),
        vec![septate.clone()]
    );
    assert_eq!(
        ids(&worklist(&app, "?status=abnormal,repeat_due").await),
        sorted(vec![overdue.clone(), due_later.clone(), septate.clone()])
    );
    assert_eq!(
        ids(&worklist(
            &app,
            "?item=antiphospholipid&status=repeat_due&overdue=true"
        )
        .await),
        vec![overdue.clone()]
    );
    let rcog_page = worklist(&app, "?profile=rcog-2023").await;
    assert_eq!(ids(&rcog_page), vec![rcog.clone()]);
    assert_eq!(rcog_page["items"][0]["profile"], "rcog-2023");
    assert_eq!(ids(&worklist(&app, "?profile=eshre-2022").await).len(), 4);

    for bad in [
        "?status=complete",
        "?status=sleepy",
        "?profile=nice-2011",
        "?item=astrology",
        "?due_before=tomorrow",
        "?limit=0",
    ] {
        let res = app
            .get(&format!("/v1/worklist{bad}"), &app.clinician())
            .await;
        assert_problem(&res, 422, "validation_failed");
    }
}

#[actix_web::test]
async fn worklist_pages_stay_stable_when_patients_are_added_between_pages() {
    let app = spawn_app().await;
    let mut originals = Vec::new();
    for n in 0..5 {
        originals.push(rpl_patient(&app, &format!("P-{n}"), None).await);
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut added = 0;
    loop {
        let query = match &cursor {
            Some(c) => format!("?limit=2&cursor={c}"),
            None => "?limit=2".to_owned(),
        };
        let page = worklist(&app, &query).await;
        seen.extend(ids(&page));
        // A new patient arrives while the dashboard pages.
        rpl_patient(&app, &format!("NEW-{added}"), None).await;
        added += 1;
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
        assert!(added < 20, "paging terminates");
    }
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!(unique, seen, "no patient twice");
    assert_eq!(sorted(seen.clone()), seen, "in id order");
    for id in &originals {
        assert!(
            seen.contains(id),
            "every patient present at the start is listed"
        );
    }
}

#[actix_web::test]
async fn another_clinics_patients_never_appear_and_a_lab_token_is_refused() {
    let app = spawn_app().await;
    rpl_patient(&app, "ISO-1", None).await;
    let other = app
        .get(
            "/v1/worklist",
            &app.token(rpl_workup::auth::Role::Clinician, CLINIC_B),
        )
        .await;
    assert_eq!(other.status, 200);
    assert_eq!(other.json()["items"].as_array().unwrap().len(), 0);
    assert_problem(&app.get("/v1/worklist", &app.lab()).await, 403, "forbidden");
    assert_eq!(app.get("/v1/worklist", &app.admin()).await.status, 200);
}

#[actix_web::test]
async fn writes_keep_the_worklist_current_deleted_patients_and_profile_changes_included() {
    let app = spawn_app().await;
    let a = rpl_patient(&app, "W-1", None).await;
    let b = rpl_patient(&app, "W-2", None).await;
    assert_eq!(ids(&worklist(&app, "?status=abnormal").await).len(), 0);
    app.post(
        &format!("/v1/patients/{a}/results"),
        &app.clinician(),
        &json!({"test": "tsh", "value": {"quantity": 9.0, "unit": "m[IU]/L"}, "interpretation": "high", "collected_on": days_ago(3)}),
    )
    .await;
    assert_eq!(
        ids(&worklist(&app, "?status=abnormal").await),
        vec![a.clone()]
    );

    assert_eq!(
        app.delete(&format!("/v1/patients/{b}"), &app.clinician())
            .await
            .status,
        204
    );
    assert_eq!(ids(&worklist(&app, "").await), vec![a.clone()]);

    // Two losses are not RPL under RCOG: once it is the clinic default, nothing is outstanding
    // (the abnormal TSH on record still is).
    let c = rpl_patient(&app, "W-3", None).await;
    let res = app
        .patch(
            "/v1/clinic",
            &app.admin(),
            &json!({"default_profile": "rcog-2023"}),
        )
        .await;
    assert_eq!(res.status, 202, "{}", res.text());
    crate::reevaluation::reevaluation_done(&app).await;
    let page = worklist(&app, "").await;
    assert_eq!(ids(&page), vec![a.clone()]);
    assert_eq!(page["items"][0]["profile"], "rcog-2023");
    assert_eq!(page["items"][0]["counts"]["outstanding"], 0);
    app.patch(
        &format!("/v1/patients/{c}"),
        &app.clinician(),
        &json!({"profile": "eshre-2022"}),
    )
    .await;
    assert_eq!(ids(&worklist(&app, "").await), [a.clone(), c.clone()]);
    assert_eq!(
        ids(&worklist(&app, "?profile=eshre-2022").await),
        vec![c.clone()]
    );
}

/// Sets `sql` on the test database directly (what a summary written long ago looks like).
fn tamper(app: &TestApp, sql: &str) {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    if app.db.is_postgres() {
        let mut c = diesel::PgConnection::establish(&app.db.url).unwrap();
        c.batch_execute(sql).unwrap();
    } else {
        let path = app.db.url.trim_start_matches("sqlite://");
        let mut c = diesel::SqliteConnection::establish(path).unwrap();
        c.batch_execute(sql).unwrap();
    }
}

#[actix_web::test]
async fn a_summary_whose_refresh_date_has_passed_is_re_evaluated_before_the_page_is_served() {
    let app = spawn_app().await;
    let id = rpl_patient(&app, "T-1", None).await;
    // The repeat was due 16 days ago: overdue today.
    positive_acl(&app, &id, 100).await;
    // Make the stored summary what it was when evaluated before the due date: no overdue item,
    // to be re-evaluated on a date that has now passed.
    tamper(
        &app,
        &format!(
            "UPDATE worklist_summaries SET overdue = 0, repeat_due = 0, refresh_on = '{}' \
             WHERE patient_id = '{id}'; \
             DELETE FROM worklist_items WHERE patient_id = '{id}' AND item = 'antiphospholipid';",
            days_ago(15)
        ),
    );
    let page = worklist(&app, "?status=repeat_due").await;
    assert_eq!(ids(&page), vec![id.clone()], "re-evaluated for today");
    let row = &page["items"][0];
    assert_eq!(row["counts"]["repeat_due"], 1);
    assert_eq!(row["overdue"], 1);
    assert_eq!(row["evaluated_on"], days_ago(0));
}

#[actix_web::test]
async fn every_patient_listed_on_the_worklist_is_audited_as_read() {
    let app = spawn_app().await;
    let a = rpl_patient(&app, "AU-1", None).await;
    let b = rpl_patient(&app, "AU-2", None).await;
    worklist(&app, "").await;
    let audit = app
        .get("/v1/audit?action=read&actor=clinician-user", &app.admin())
        .await
        .json();
    let read: Vec<_> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["resource_type"] == "worklist")
        .map(|r| r["patient_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(sorted(read), sorted(vec![a, b]));
}

#[actix_web::test]
async fn seeding_writes_patients_whose_summaries_fill_the_worklist() {
    let app = spawn_app().await;
    let backend = rpl_workup::storage::Backend::from_url(&app.db.url).unwrap();
    let pool = rpl_workup::storage::build_pool(backend, 1);
    let mut conn = pool.get().unwrap();
    let plan = rpl_workup::seed::SeedPlan {
        clinic: rpl_workup::domain::ids::ClinicId::parse("bench-clinic").unwrap(),
        patients: 40,
        batch: 15,
        rng_seed: 7,
    };
    let mut batches = Vec::new();
    rpl_workup::seed::run(&mut conn, &plan, |done| batches.push(done)).unwrap();
    assert_eq!(batches, [15, 30, 40]);
    let token = app.token(rpl_workup::auth::Role::Clinician, "bench-clinic");
    let page = app.get("/v1/worklist?limit=500", &token).await.json();
    let n = page["items"].as_array().unwrap().len();
    assert!(
        n > 10 && n <= 40,
        "most seeded patients have open work: {n}"
    );
    assert_eq!(
        app.get("/v1/worklist", &app.clinician()).await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        0,
        "another clinic's seed is not clinic A's"
    );
}
