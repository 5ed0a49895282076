//! Audited reads are group-committed, and still fail closed: a read whose audit row cannot be
//! written answers an error and none of the patient's data.

use diesel::connection::SimpleConnection;
use rpl_workup::storage::{self, Backend};
use serde_json::json;

use crate::helpers::*;

/// Makes every insert into the audit log fail, as a full disk or a revoked grant would.
fn refuse_audit_rows(app: &TestApp) -> storage::PooledConnection {
    let pool = storage::build_pool(Backend::from_url(&app.db.url).unwrap(), 1);
    let mut conn = pool.get().expect("database");
    let sql = if app.db.is_postgres() {
        "CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS \
           $$ BEGIN RAISE EXCEPTION 'audit storage unavailable'; END $$; \
         CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log \
           FOR EACH ROW EXECUTE FUNCTION refuse_audit();"
    } else {
        "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log \
           BEGIN SELECT RAISE(ABORT, 'audit storage unavailable'); END;"
    };
    conn.batch_execute(sql).expect("trigger");
    conn
}

#[actix_web::test]
async fn a_read_whose_audit_row_cannot_be_written_fails_and_shows_nothing() {
    let app = spawn_app().await;
    let p = app
        .create_patient(&json!({"mrn": "FAIL-CLOSED-1", "pregnancies": [
            {"outcome": "miscarriage", "ended_on": "2024-03-01", "gestational_age_weeks": 8},
            {"outcome": "miscarriage", "ended_on": "2025-03-01", "gestational_age_weeks": 9}]}))
        .await;
    let mut conn = refuse_audit_rows(&app);

    for path in [
        format!("/v1/patients/{p}"),
        format!("/v1/patients/{p}/checklist"),
        format!("/v1/patients/{p}/pregnancies"),
        format!("/v1/patients/{p}/results"),
        "/v1/patients".to_owned(),
        "/v1/worklist".to_owned(),
    ] {
        let res = app.get(&path, &app.clinician()).await;
        assert_problem(&res, 503, "service_unavailable");
        let body = res.text();
        assert!(!body.contains("FAIL-CLOSED-1"), "{path}: {body}");
        assert!(!body.contains("miscarriage"), "{path}: {body}");
    }

    // Once the audit trail takes rows again, so do reads; nothing was half-written meanwhile.
    conn.batch_execute("DROP TRIGGER refuse_audit ON audit_log")
        .or_else(|_| conn.batch_execute("DROP TRIGGER refuse_audit"))
        .expect("drop trigger");
    let res = app
        .get(&format!("/v1/patients/{p}"), &app.clinician())
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let audit = app
        .get(
            &format!("/v1/audit?patient_id={p}&action=read"),
            &app.admin(),
        )
        .await;
    assert_eq!(audit.status, 200, "{}", audit.text());
    assert_eq!(audit.json()["items"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn concurrent_reads_are_each_audited_once() {
    let app = spawn_app().await;
    let p = app.create_patient(&json!({"mrn": "GROUP-1"})).await;
    let token = app.clinician();
    let reads = (0..40).map(|i| {
        let path = if i % 2 == 0 {
            format!("/v1/patients/{p}")
        } else {
            format!("/v1/patients/{p}/checklist")
        };
        let (app, token) = (&app, &token);
        async move {
            let rid = format!("group-read-{i}");
            app.send(
                "GET",
                &path,
                Some(token),
                None,
                None,
                &[("x-request-id", &rid)],
            )
            .await
        }
    });
    for res in futures_util::future::join_all(reads).await {
        assert_eq!(res.status, 200, "{}", res.text());
    }
    let mut request_ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/v1/audit?patient_id={p}&action=read&limit=500");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = app.get(&path, &app.admin()).await.json();
        for row in page["items"].as_array().unwrap() {
            request_ids.push(row["request_id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    request_ids.sort();
    let mut expected: Vec<String> = (0..40).map(|i| format!("group-read-{i}")).collect();
    expected.sort();
    assert_eq!(request_ids, expected);
}
