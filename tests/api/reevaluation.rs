//! A new clinic default profile: PATCH answers 202 at once with a job, the patients are
//! re-evaluated in the background in chunks (progress on `GET /v1/clinic`), checklists read
//! meanwhile use the new default, and a job left half-done is finished by the next instance.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::*;
use crate::worklist::rpl_patient;

const RCOG: &str = "rcog-2023";

async fn patients(app: &TestApp, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(rpl_patient(app, &format!("RE-{i}"), None).await);
    }
    ids
}

/// Polls `GET /v1/clinic` until the latest re-evaluation is done; returns it.
pub async fn reevaluation_done(app: &TestApp) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let res = app.get("/v1/clinic", &app.admin()).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let job = res.json()["reevaluation"].clone();
        if job["state"] == "done" {
            return job;
        }
        assert!(Instant::now() < deadline, "re-evaluation not done: {job}");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn change_default(app: &TestApp, profile: &str) -> Resp {
    app.patch(
        "/v1/clinic",
        &app.admin(),
        &json!({"default_profile": profile}),
    )
    .await
}

#[actix_web::test]
async fn a_new_default_answers_202_with_a_job_whose_progress_reaches_done() {
    let app = spawn_app_with(|a| a.reevaluation_chunk = 2).await;
    let ids = patients(&app, 5).await;
    let res = change_default(&app, RCOG).await;
    assert_eq!(res.status, 202, "{}", res.text());
    let body = res.json();
    assert_eq!(body["default_profile"], RCOG);
    assert!(res.header("etag").is_some());
    let job = &body["reevaluation"];
    assert_eq!(job["profile"], RCOG);
    assert_eq!(job["total"], 5);
    assert!(job["id"].is_string());

    let done = reevaluation_done(&app).await;
    assert_eq!(
        (done["done"].as_i64(), done["total"].as_i64()),
        (Some(5), Some(5))
    );
    assert!(done["finished_at"].is_string());
    let page = app
        .get("/v1/worklist?limit=50", &app.clinician())
        .await
        .json();
    for row in page["items"].as_array().unwrap() {
        assert_eq!(row["profile"], RCOG, "{row}");
    }
    let _ = ids;
}

#[actix_web::test]
async fn a_checklist_read_right_after_the_change_uses_the_new_default() {
    // A long pause between chunks of one: most patients wait their turn.
    let app = spawn_app_with(|a| {
        a.reevaluation_chunk = 1;
        a.reevaluation_pause_ms = 60_000;
    })
    .await;
    let ids = patients(&app, 3).await;
    let before = app
        .get(
            &format!("/v1/patients/{}/checklist", ids[2]),
            &app.clinician(),
        )
        .await
        .json();
    assert_eq!(before["profile"]["id"], "eshre-2022");
    assert_eq!(change_default(&app, RCOG).await.status, 202);
    for id in &ids {
        let checklist = app
            .get(&format!("/v1/patients/{id}/checklist"), &app.clinician())
            .await
            .json();
        assert_eq!(checklist["profile"]["id"], RCOG, "{id}");
    }
    let job = app.get("/v1/clinic", &app.admin()).await.json()["reevaluation"].clone();
    assert_eq!(job["state"], "running", "{job}");
}

#[actix_web::test]
async fn a_job_left_half_done_is_finished_by_the_next_instance_on_the_same_database() {
    // The first instance does one chunk of one patient, then stalls (as if stopped).
    let first = spawn_app_with(|a| {
        a.reevaluation_chunk = 1;
        a.reevaluation_pause_ms = 600_000;
    })
    .await;
    patients(&first, 4).await;
    assert_eq!(change_default(&first, RCOG).await.status, 202);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let job = first.get("/v1/clinic", &first.admin()).await.json()["reevaluation"].clone();
        if job["done"] == 1 {
            assert_eq!(job["state"], "running");
            break;
        }
        assert!(Instant::now() < deadline, "first chunk not done: {job}");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }

    let second = spawn_on(first.db.clone(), |_| {}).await;
    let done = reevaluation_done(&second).await;
    assert_eq!(
        (done["done"].as_i64(), done["total"].as_i64()),
        (Some(4), Some(4))
    );
    let page = second
        .get("/v1/worklist?limit=50", &second.clinician())
        .await
        .json();
    let rows = page["items"].as_array().unwrap();
    assert!(rows.iter().all(|r| r["profile"] == RCOG), "{page}");
}

#[actix_web::test]
async fn a_change_that_re_evaluates_nobody_answers_200_and_a_newer_default_supersedes_a_running_job(
) {
    let app = spawn_app_with(|a| {
        a.reevaluation_chunk = 1;
        a.reevaluation_pause_ms = 60_000;
    })
    .await;
    let res = change_default(&app, RCOG).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert!(res.json()["reevaluation"].is_null());

    patients(&app, 3).await;
    let first = change_default(&app, "eshre-2022").await.json()["reevaluation"].clone();
    let second = change_default(&app, RCOG).await;
    assert_eq!(second.status, 202);
    assert_ne!(second.json()["reevaluation"]["id"], first["id"]);
    let read = app.get("/v1/clinic", &app.admin()).await.json();
    assert_eq!(read["reevaluation"]["profile"], RCOG);
}
