//! Concurrent writers of every kind over the same patients, on SQLite and on PostgreSQL
//! (`TEST_DATABASE_URL`): every request succeeds (no deadlock answers 500), every result is stored
//! once, and concurrent corrections of one result are numbered without gaps.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::future::join_all;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::lab_support::*;

const PATIENTS: usize = 20;
const WRITERS: usize = 8;
const ROUNDS: usize = 2;

/// A Bundle of one Observation per patient, in the order given.
fn bundle(kind: &str, mrns: &[String], prefix: &str) -> Vec<u8> {
    let entries: Vec<Value> = mrns
        .iter()
        .map(|mrn| {
            json!({"resource": acl_igg_observation(mrn, &format!("{prefix}-{mrn}")),
                   "request": {"method": "POST", "url": "Observation"}})
        })
        .collect();
    serde_json::to_vec(&json!({"resourceType": "Bundle", "type": kind, "entry": entries})).unwrap()
}

/// Patient `k`'s MRN.
fn mrn(k: usize) -> String {
    format!("W-{k:02}")
}

/// One writer of `kind` (its number `w`): `ROUNDS` requests, each over patients in its own order.
async fn writer(app: &TestApp, ids: &[String], kind: &str, w: usize) -> Vec<(String, u16, String)> {
    let mut answers = Vec::new();
    for r in 0..ROUNDS {
        let k = (w * 7 + r * 3) % PATIENTS;
        let (p, m) = (&ids[k], mrn(k));
        let tag = format!("{kind}-{w}-{r}");
        let res = match kind {
            "json" => {
                let body = json!({"mrn": m, "results": [
                    lab_result(&format!("{tag}-a"), "3181-5", "final", json!({"quantity": 52.0, "unit": "[GPL'U]/mL"})),
                    lab_result(&format!("{tag}-b"), "3016-3", "final", json!({"quantity": 2.0, "unit": "m[IU]/L"}))]});
                post_lab(app, &body, &[]).await
            }
            "observation" => {
                let body = serde_json::to_vec(&acl_igg_observation(&m, &tag)).unwrap();
                post_fhir(app, "/fhir/r4/Observation", body, &[]).await
            }
            "batch" | "transaction" => {
                // Each writer walks the patients from another start, half of them backwards.
                let mut mrns: Vec<String> =
                    (0..PATIENTS).map(|i| mrn((i + w * 5) % PATIENTS)).collect();
                if kind == "transaction" || w % 2 == 1 {
                    mrns.reverse();
                }
                post_fhir(app, "/fhir/r4", bundle(kind, &mrns, &tag), &[]).await
            }
            "hl7" => {
                let body = fixture_with(
                    "hl7v2/oru-tsh-tpo.hl7",
                    &[
                        ("MRN-0042", &m),
                        ("MSG00001", &tag),
                        ("F-20250304-17", &tag),
                    ],
                );
                post_hl7(app, body, &[]).await
            }
            "result" => {
                let body = json!({"test": "tsh", "value": {"quantity": 2.0, "unit": "m[IU]/L"}});
                app.post(
                    &format!("/v1/patients/{p}/results"),
                    &app.clinician(),
                    &body,
                )
                .await
            }
            "pregnancy" => {
                // A loss a week apart from every other one written, so none is a duplicate.
                let day = chrono::NaiveDate::from_ymd_opt(2015, 1, 1).unwrap()
                    + chrono::Days::new(7 * (w * ROUNDS + r) as u64);
                let body = json!({"outcome": "miscarriage", "ended_on": day.to_string(),
                                  "gestational_age_weeks": 8});
                app.post(
                    &format!("/v1/patients/{p}/pregnancies"),
                    &app.clinician(),
                    &body,
                )
                .await
            }
            "review" => {
                let body = json!({"action": "ordered"});
                let path = format!("/v1/patients/{p}/checklist/thyroid/reviews");
                app.post(&path, &app.clinician(), &body).await
            }
            "patch" => {
                let body = json!({"ehr_patient_id": format!("EHR-{k}-{tag}")});
                app.patch(&format!("/v1/patients/{p}"), &app.clinician(), &body)
                    .await
            }
            other => unreachable!("{other}"),
        };
        answers.push((tag, res.status, res.text()));
    }
    answers
}

#[actix_web::test]
async fn eight_concurrent_writers_of_every_kind_over_twenty_patients_all_succeed_and_store_each_result_once(
) {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for k in 0..PATIENTS {
        ids.push(
            app.create_patient(&json!({"mrn": mrn(k), "birth_date": "1990-01-01"}))
                .await,
        );
    }
    let kinds = [
        "json",
        "observation",
        "batch",
        "transaction",
        "hl7",
        "result",
        "pregnancy",
        "review",
        "patch",
    ];
    let writers = kinds
        .iter()
        .flat_map(|kind| (0..WRITERS).map(move |w| (*kind, w)))
        .map(|(kind, w)| writer(&app, &ids, kind, w));
    let answers: Vec<_> = join_all(writers).await.into_iter().flatten().collect();
    let failed: Vec<_> = answers
        .iter()
        .filter(|(tag, status, body)| {
            !(200..300).contains(status) || (tag.starts_with("hl7") && msa(body).0 != "AA")
        })
        .collect();
    assert!(failed.is_empty(), "{} failed: {failed:#?}", failed.len());

    // Every lab accession once, and every clinician result.
    let mut by_accession: BTreeMap<String, usize> = BTreeMap::new();
    let mut clinician = 0;
    let mut pregnancies = 0;
    for p in &ids {
        let res = app
            .get(
                &format!("/v1/patients/{p}/results?limit=500"),
                &app.clinician(),
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        for r in res.json()["items"].as_array().unwrap() {
            match r["accession"].as_str() {
                Some(a) => *by_accession.entry(a.to_owned()).or_default() += 1,
                None => clinician += 1,
            }
        }
        let res = app
            .get(
                &format!("/v1/patients/{p}/pregnancies?limit=500"),
                &app.clinician(),
            )
            .await;
        pregnancies += res.json()["items"].as_array().unwrap().len();
    }
    let twice: BTreeSet<_> = by_accession.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "stored twice: {twice:?}");
    let requests = WRITERS * ROUNDS;
    let expected = requests * 2 // json
        + requests // observation
        + 2 * requests * PATIENTS // batch, transaction
        + requests * 2; // hl7: TSH and TPO
    assert_eq!(by_accession.len(), expected);
    assert_eq!(clinician, requests);
    assert_eq!(pregnancies, requests);
}

#[actix_web::test]
async fn twenty_concurrent_corrections_of_one_result_are_all_answered_and_numbered_without_gaps() {
    let app = spawn_app().await;
    let p = app.create_patient(&json!({"mrn": "C-1"})).await;
    let body = json!({"test": "tsh", "value": {"quantity": 2.0, "unit": "m[IU]/L"}});
    let res = app
        .post(
            &format!("/v1/patients/{p}/results"),
            &app.clinician(),
            &body,
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let rid = res.json()["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/patients/{p}/results/{rid}/versions");
    let corrections = (0..20).map(|i| {
        let body = json!({"value": {"quantity": 3.0 + f64::from(i), "unit": "m[IU]/L"}});
        let path = path.clone();
        let app = &app;
        async move { app.post(&path, &app.clinician(), &body).await }
    });
    let answers = join_all(corrections).await;
    for a in &answers {
        assert!(
            a.status == 201 || a.status == 409,
            "{}: {}",
            a.status,
            a.text()
        );
    }
    let accepted = answers.iter().filter(|a| a.status == 201).count();
    let full = result_of(&app, &p, &rid).await;
    let numbers: Vec<i64> = full["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, (1..=(accepted as i64 + 1)).collect::<Vec<_>>());
}
