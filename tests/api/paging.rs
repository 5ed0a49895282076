//! A patient's sub-collections are paged like every collection (`limit` 1–500, default 50,
//! `next_cursor`), a page read is one audit row, and every feed has the REST API's caps.

use serde_json::{json, Value};

use crate::helpers::*;
use crate::lab_support::*;

/// Every page of `path` with `limit`, followed through `next_cursor`.
async fn all_pages(app: &TestApp, path: &str, limit: u32) -> Vec<Vec<Value>> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{path}?limit={limit}");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let res = app.get(&url, &app.clinician()).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let body = res.json();
        pages.push(body["items"].as_array().unwrap().clone());
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return pages,
        }
    }
}

async fn audit_rows(app: &TestApp, patient: &str, resource_type: &str) -> usize {
    let res = app
        .get(
            &format!("/v1/audit?patient_id={patient}&action=read&limit=500"),
            &app.admin(),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["resource_type"] == resource_type)
        .count()
}

#[actix_web::test]
async fn the_obstetric_history_is_paged_and_each_page_read_is_one_audit_row() {
    let app = spawn_app().await;
    let history: Vec<Value> = (0..7)
        .map(|i| {
            json!({"outcome": "miscarriage", "ended_on": format!("2020-0{}-01", i + 1),
                        "gestational_age_weeks": 8})
        })
        .collect();
    let patient = app
        .create_patient(&json!({"mrn": "PAGE-1", "pregnancies": history}))
        .await;
    let path = format!("/v1/patients/{patient}/pregnancies");
    let pages = all_pages(&app, &path, 3).await;
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [3, 3, 1]);
    let ends: Vec<&str> = pages
        .iter()
        .flatten()
        .map(|p| p["ended_on"].as_str().unwrap())
        .collect();
    assert_eq!(ends.len(), 7);
    assert_eq!(ends[0], "2020-01-01");
    assert_eq!(ends[6], "2020-07-01");
    assert_eq!(audit_rows(&app, &patient, "obstetric_history").await, 3);
    assert_eq!(audit_rows(&app, &patient, "pregnancy").await, 0);

    let default = app.get(&path, &app.clinician()).await.json();
    assert_eq!(default["items"].as_array().unwrap().len(), 7);
    assert!(default["next_cursor"].is_null());
    for bad in ["limit=0", "limit=501", "cursor=%%%"] {
        let res = app.get(&format!("{path}?{bad}"), &app.clinician()).await;
        assert!(
            res.status == 400 || res.status == 422,
            "{bad}: {}",
            res.status
        );
    }
}

#[actix_web::test]
async fn results_are_paged_fifty_at_a_time_by_default_and_read_as_one_audit_row() {
    let app = spawn_app().await;
    let patient = patient_0042(&app).await;
    let results: Vec<Value> = (0..120)
        .map(|i| {
            lab_result(
                &format!("ACC-{i:03}"),
                "3016-3",
                "final",
                json!({"quantity": 2.0, "unit": "m[IU]/L"}),
            )
        })
        .collect();
    let res = post_lab(&app, &json!({"mrn": "MRN-0042", "results": results}), &[]).await;
    assert!(res.status < 300, "{}", res.text());

    let path = format!("/v1/patients/{patient}/results");
    let first = app.get(&path, &app.clinician()).await.json();
    assert_eq!(first["items"].as_array().unwrap().len(), 50);
    assert!(first["next_cursor"].is_string());
    let pages = all_pages(&app, &path, 500).await;
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].len(), 120);
    let mut ids: Vec<&str> = pages[0].iter().map(|r| r["id"].as_str().unwrap()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 120);
    let pages = all_pages(&app, &path, 50).await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [50, 50, 20]);
    assert_eq!(audit_rows(&app, &patient, "result").await, 0);
    assert_eq!(audit_rows(&app, &patient, "results").await, 1 + 1 + 3);

    let tsh_only = app
        .get(&format!("{path}?test=tsh&limit=10"), &app.clinician())
        .await
        .json();
    assert_eq!(tsh_only["items"].as_array().unwrap().len(), 10);
    let none = app
        .get(&format!("{path}?test=karyotype"), &app.clinician())
        .await
        .json();
    assert_eq!(none["items"].as_array().unwrap().len(), 0);
}

fn oru_with(obx_count: usize, note: &str) -> Vec<u8> {
    let mut msg = String::from(
        "MSH|^~\\&|LABSYS|CITYLAB|RPLWORKUP|CLINIC-A|20250305093000+0100||ORU^R01^ORU_R01|CAP-1|P|2.5.1\r\
         PID|1||MRN-0042^^^CLINICA&2.16.840.1.113883.19.5&ISO^MR||Doe^Jane||19900101|F\r\
         OBR|1|ORD-1^CLINICA|F-CAP^CITYLAB|24348-5^Thyroid panel^LN|||20250304083000+0100|||||||||||||||20250305092000+0100|||F\r",
    );
    for i in 1..=obx_count {
        msg.push_str(&format!(
            "OBX|{i}|NM|3016-3^TSH^LN|{i}|2.1|m[IU]/L^^UCUM|0.4-4.0|N|||F|||20250304083000+0100\r"
        ));
    }
    if !note.is_empty() {
        msg.push_str(&format!("NTE|1||{note}\r"));
    }
    msg.into_bytes()
}

#[actix_web::test]
async fn an_hl7_message_over_the_caps_is_refused_with_ae_and_nothing_is_stored() {
    let app = spawn_app().await;
    let patient = patient_0042(&app).await;
    let res = post_hl7(&app, oru_with(201, ""), &[]).await;
    let ack = res.text();
    assert_eq!(msa(&ack).0, "AE", "{ack}");
    assert!(ack.contains("at most 200"), "{ack}");
    let res = post_hl7(&app, oru_with(1, &"x".repeat(2001)), &[]).await;
    let ack = res.text();
    assert_eq!(msa(&ack).0, "AE", "{ack}");
    assert!(ack.contains("2000 characters"), "{ack}");
    assert!(results_of(&app, &patient).await.is_empty());

    let res = post_hl7(&app, oru_with(1, &"x".repeat(2000)), &[]).await;
    assert_eq!(msa(&res.text()).0, "AA", "{}", res.text());
}

#[actix_web::test]
async fn a_fhir_bundle_over_the_caps_is_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let patient = patient_0042(&app).await;
    let observation = |i: usize, note: &str| {
        json!({"fullUrl": format!("urn:uuid:00000000-0000-0000-0000-{i:012}"),
               "request": {"method": "POST", "url": "Observation"},
               "resource": {"resourceType": "Observation", "status": "final",
                 "identifier": [{"system": "urn:lab", "value": format!("CAP-{i}")}],
                 "code": {"coding": [{"system": "http://loinc.org", "code": "3016-3"}]},
                 "subject": {"identifier": {"value": "MRN-0042"}},
                 "effectiveDateTime": "2025-03-04",
                 "valueQuantity": {"value": 2.1, "unit": "m[IU]/L", "system": "http://unitsofmeasure.org", "code": "m[IU]/L"},
                 "note": [{"text": note}]}})
    };
    let bundle = |entries: Vec<Value>| {
        serde_json::to_vec(&json!({"resourceType": "Bundle", "type": "batch", "entry": entries}))
            .unwrap()
    };
    let res = post_fhir(
        &app,
        "/fhir/r4",
        bundle((0..201).map(|i| observation(i, "n")).collect()),
        &[],
    )
    .await;
    assert!(
        res.status >= 400 && res.status < 500,
        "{}: {}",
        res.status,
        res.text()
    );
    assert!(res.text().contains("at most 200"), "{}", res.text());

    let res = post_fhir(
        &app,
        "/fhir/r4",
        bundle(vec![observation(1, &"x".repeat(2001))]),
        &[],
    )
    .await;
    assert!(res.text().contains("2000 characters"), "{}", res.text());
    assert!(results_of(&app, &patient).await.is_empty());

    let res = post_fhir(&app, "/fhir/r4", bundle(vec![observation(2, "fine")]), &[]).await;
    assert!(res.status < 300, "{}", res.text());
    assert_eq!(results_of(&app, &patient).await.len(), 1);
}

#[actix_web::test]
async fn a_cursor_that_names_no_record_is_refused_on_every_paged_list() {
    let app = spawn_app().await;
    let patient = patient_0042(&app).await;
    // Well-formed base64, but not a position this service hands out.
    let forged = base64_url("not-an-id");
    for path in [
        "/v1/patients".to_owned(),
        "/v1/worklist".to_owned(),
        format!("/v1/patients/{patient}/pregnancies"),
        format!("/v1/patients/{patient}/results"),
    ] {
        let res = app
            .get(&format!("{path}?cursor={forged}"), &app.clinician())
            .await;
        let problem = assert_problem(&res, 422, "validation_failed");
        assert!(problem.to_string().contains("cursor"), "{path}: {problem}");
    }
}

fn base64_url(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}
