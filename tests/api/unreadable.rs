//! A stored row the release cannot read is an error counted in `/metrics`, never silently left out
//! of the record a checklist is drawn from.

use diesel::connection::SimpleConnection;
use rpl_workup::storage::{self, Backend};
use serde_json::json;

use crate::helpers::*;

/// Rewrites stored rows behind the service's back, as a newer release or a broken import would.
fn corrupt(app: &TestApp, sql: &str) {
    let pool = storage::build_pool(Backend::from_url(&app.db.url).unwrap(), 1);
    let mut conn = pool.get().expect("database");
    conn.batch_execute(sql).expect("update");
}

/// The read failed as a server error and the unreadable row is counted under `label`.
async fn assert_refused_and_counted(app: &TestApp, res: &Resp, label: &str) {
    assert_problem(res, 500, "internal_error");
    let metrics = app
        .send("GET", "/metrics", None, None, None, &[])
        .await
        .text();
    let counter = format!("rpl_unreadable_rows_total{{table=\"{label}\"}}");
    assert!(metrics.contains(&counter), "{metrics}");
}

#[actix_web::test]
async fn a_pregnancy_row_that_does_not_parse_fails_the_checklist_and_is_counted() {
    let app = spawn_app().await;
    let p = app
        .create_patient(&json!({"mrn": "U-1", "pregnancies": [
            {"outcome": "miscarriage", "ended_on": "2025-03-01", "gestational_age_weeks": 8}]}))
        .await;
    corrupt(
        &app,
        "UPDATE pregnancies SET outcome = 'written_by_a_newer_release'",
    );
    let path = format!("/v1/patients/{p}/checklist?profile=rcog-2023");
    let res = app.get(&path, &app.clinician()).await;
    assert_refused_and_counted(&app, &res, "pregnancies").await;
}

#[actix_web::test]
async fn an_audit_row_whose_patient_id_does_not_parse_fails_the_audit_read_and_is_counted() {
    let app = spawn_app().await;
    let p = app.create_patient(&json!({"mrn": "U-2"})).await;
    corrupt(
        &app,
        &format!("UPDATE audit_log SET patient_id = 'not-a-uuid' WHERE patient_id = '{p}'"),
    );
    let res = app.get("/v1/audit", &app.admin()).await;
    assert_refused_and_counted(&app, &res, "PatientId").await;
}

#[actix_web::test]
async fn an_audit_row_whose_id_does_not_parse_fails_the_audit_read_and_is_counted() {
    let app = spawn_app().await;
    app.create_patient(&json!({"mrn": "U-3"})).await;
    corrupt(&app, "UPDATE audit_log SET id = 'not-a-uuid-' || id");
    let res = app.get("/v1/audit", &app.admin()).await;
    assert_refused_and_counted(&app, &res, "AuditEntryId").await;
}
