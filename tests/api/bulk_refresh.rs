//! A lab message spread over many patients defers their worklist re-evaluation to the background
//! worker; nothing a clinician reads is stale meanwhile: checklists are evaluated on the fly, the
//! worklist refreshes them before a page, and the worker catches up on its own.

use serde_json::{json, Value};

use crate::helpers::*;
use crate::lab_support::*;

const PATIENTS: usize = 12;

fn apl_status(items: &Value, key: &str) -> Option<String> {
    items
        .as_array()?
        .iter()
        .find(|i| i[key] == "antiphospholipid")
        .map(|i| i["status"].as_str().unwrap().to_owned())
}

#[actix_web::test]
async fn a_bundle_over_many_patients_leaves_no_clinician_view_stale() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for k in 0..PATIENTS {
        ids.push(
            app.create_patient(&json!({"mrn": format!("BULK-{k:02}"), "pregnancies": [
                {"outcome": "miscarriage", "ended_on": "2024-03-01", "gestational_age_weeks": 8},
                {"outcome": "miscarriage", "ended_on": "2025-03-01", "gestational_age_weeks": 9}]}))
                .await,
        );
    }
    let before = app.checklist(&ids[0]).await;
    let entries: Vec<Value> = (0..PATIENTS)
        .map(|k| {
            json!({"resource": acl_igg_observation(&format!("BULK-{k:02}"), &format!("ACC-{k}")),
                   "request": {"method": "POST", "url": "Observation"}})
        })
        .collect();
    let bundle = json!({"resourceType": "Bundle", "type": "batch", "entry": entries});
    let res = post_fhir(&app, "/fhir/r4", serde_json::to_vec(&bundle).unwrap(), &[]).await;
    assert_eq!(res.status, 200, "{}", res.text());

    // Every patient's checklist already reads the new result.
    for p in &ids {
        let checklist = app.checklist(p).await;
        assert_ne!(
            apl_status(&checklist["items"], "id"),
            apl_status(&before["items"], "id"),
            "{checklist}"
        );
    }
    // The background worker catches up by itself.
    let mut drained = false;
    for _ in 0..100 {
        let metrics = app
            .send("GET", "/metrics", None, None, None, &[])
            .await
            .text();
        // The registry is the process's: other tests may count too, so at least ours.
        let count = metrics
            .lines()
            .find_map(|l| l.strip_prefix("rpl_worklist_refreshes_total{reason=\"deferred\"} "))
            .and_then(|n| n.trim().parse::<usize>().ok())
            .unwrap_or(0);
        if count >= PATIENTS {
            drained = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(drained, "the worker re-evaluated the deferred summaries");
    // And every worklist row agrees with her checklist.
    let page = app
        .get("/v1/worklist?limit=500", &app.clinician())
        .await
        .json();
    for p in &ids {
        let row = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["patient_id"] == p.as_str())
            .unwrap_or_else(|| panic!("{p} on the worklist: {page}"));
        let checklist = app.checklist(p).await;
        assert_eq!(
            apl_status(&row["items"], "id"),
            apl_status(&checklist["items"], "id"),
            "{row}"
        );
    }
}
