//! Rules v2 over HTTP (clinical-rules.md §6): the new facts are recorded, validated with field
//! paths and read back, and the headline situations give the statuses §6 names.

use chrono::{Duration, Utc};
use serde_json::{json, Value};

use crate::helpers::*;

fn days_ago(n: i64) -> String {
    (Utc::now().date_naive() - Duration::days(n)).to_string()
}

fn days_ahead(n: i64) -> String {
    (Utc::now().date_naive() + Duration::days(n)).to_string()
}

fn item<'a>(checklist: &'a Value, id: &str) -> &'a Value {
    checklist["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("no item {id} in {checklist}"))
}

async fn checklist(app: &TestApp, id: &str, profile: &str) -> Value {
    let res = app
        .get(
            &format!("/v1/patients/{id}/checklist?profile={profile}"),
            &app.clinician(),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()
}

#[actix_web::test]
async fn a_miscarriage_and_a_stillbirth_at_26_weeks_make_antiphospholipid_testing_outstanding() {
    let app = spawn_app().await;
    let stillborn = days_ago(120);
    let id = app
        .create_patient(&json!({"mrn": "SB-1", "pregnancies": [
            {"outcome": "miscarriage", "ended_on": days_ago(400), "gestational_age_weeks": 8},
            {"outcome": "stillbirth", "ended_on": stillborn, "gestational_age_weeks": 26}
        ]}))
        .await;
    for profile in ["eshre-2022", "rcog-2023", "asrm-2012"] {
        let c = checklist(&app, &id, profile).await;
        assert_eq!(c["eligibility"]["meets_definition"], false, "{profile}");
        assert_eq!(
            c["eligibility"]["triggers"][0]["id"], "fetal_death_10_weeks",
            "{profile}"
        );
        let apl = item(&c, "antiphospholipid");
        assert_eq!(apl["status"], "outstanding", "{profile}: {apl}");
        let reason = apl["reason"].as_str().unwrap();
        assert!(
            reason.contains(&format!(
                "stillbirth at 26+0 on {stillborn} meets an obstetric criterion of antiphospholipid syndrome"
            )),
            "{profile}: {reason}"
        );
        assert_eq!(item(&c, "thyroid")["status"], "not_indicated", "{profile}");
    }
}

#[actix_web::test]
async fn the_new_pregnancy_facts_are_recorded_and_read_back() {
    let app = spawn_app().await;
    let edd = days_ahead(100);
    let id = app
        .create_patient(
            &json!({"mrn": "V2-1", "partner": {"mrn": "P-NOW"}, "pregnancies": [
                {"outcome": "live_birth", "ended_on": days_ago(500), "gestational_age_weeks": 32,
                 "complications": ["severe_preeclampsia"], "partner_mrn": "P-OLD"},
                {"outcome": "stillbirth", "ended_on": days_ago(300), "gestational_age_weeks": 25,
                 "gestational_age_at_demise_weeks": 23, "gestational_age_at_demise_days": 4},
                {"outcome": "pul_resolved", "ended_on": days_ago(100)},
                {"outcome": "ongoing", "edd": edd}
            ]}),
        )
        .await;
    let res = app
        .get(&format!("/v1/patients/{id}/pregnancies"), &app.clinician())
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let body = res.json();
    let list = body
        .as_array()
        .cloned()
        .unwrap_or_else(|| body["items"].as_array().cloned().unwrap_or_default());
    let by = |outcome: &str| {
        list.iter()
            .find(|p| p["outcome"] == outcome)
            .unwrap_or_else(|| panic!("no {outcome} in {body}"))
            .clone()
    };
    assert_eq!(
        by("live_birth")["complications"],
        json!(["severe_preeclampsia"])
    );
    assert_eq!(by("live_birth")["partner_mrn"], "P-OLD");
    assert_eq!(by("stillbirth")["gestational_age_at_demise_weeks"], 23);
    assert_eq!(by("stillbirth")["gestational_age_at_demise_days"], 4);
    assert_eq!(by("ongoing")["edd"], edd.as_str());

    let c = checklist(&app, &id, "eshre-2022").await;
    // The stillbirth counts by its demise at 23+4 and the PUL like a biochemical loss: RPL.
    assert_eq!(c["eligibility"]["meets_definition"], true, "{c}");
    assert_eq!(item(&c, "uterine_anatomy")["status"], "deferred");
    assert!(c["summary"]["deferred"].as_u64().unwrap() >= 1);
    let triggers: Vec<_> = c["eligibility"]["triggers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(triggers.contains(&"early_preeclampsia_or_placental_insufficiency".to_owned()));
}

#[actix_web::test]
async fn the_new_pregnancy_facts_are_validated_with_field_paths() {
    let app = spawn_app().await;
    let id = app.create_patient(&json!({"mrn": "V2-2"})).await;
    let path = format!("/v1/patients/{id}/pregnancies");
    let cases = [
        (json!({"outcome": "ongoing"}), "edd"),
        (
            json!({"outcome": "miscarriage", "ended_on": days_ago(10), "gestational_age_weeks": 8, "edd": days_ahead(10)}),
            "edd",
        ),
        (
            json!({"outcome": "stillbirth", "ended_on": days_ago(10), "gestational_age_weeks": 25,
                   "gestational_age_at_demise_weeks": 26}),
            "gestational_age_at_demise_weeks",
        ),
        (
            json!({"outcome": "miscarriage", "ended_on": days_ago(10), "gestational_age_weeks": 8,
                   "partner_mrn": "  "}),
            "partner_mrn",
        ),
    ];
    for (body, field) in cases {
        let res = app.post(&path, &app.clinician(), &body).await;
        let problem = assert_problem(&res, 422, "validation_failed");
        let fields: Vec<_> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect();
        assert!(fields.contains(&field.to_owned()), "{body} → {problem}");
    }
    let nested = app
        .post(
            "/v1/patients",
            &app.clinician(),
            &json!({"mrn": "V2-3", "pregnancies": [{"outcome": "ongoing"}]}),
        )
        .await;
    let problem = assert_problem(&nested, 422, "validation_failed");
    assert_eq!(
        problem["errors"][0]["field"], "pregnancies[0].edd",
        "{problem}"
    );
    let unknown = app
        .post(
            &path,
            &app.clinician(),
            &json!({"outcome": "live_birth", "ended_on": days_ago(10), "complications": ["flu"]}),
        )
        .await;
    assert_eq!(unknown.status, 422, "{}", unknown.text());
}

#[actix_web::test]
async fn result_timing_and_partner_fields_are_recorded_and_change_the_reading() {
    let app = spawn_app().await;
    let id = app
        .create_patient(
            &json!({"mrn": "V2-4", "partner": {"mrn": "P-NOW"}, "pregnancies": [
                {"outcome": "miscarriage", "ended_on": days_ago(400), "gestational_age_weeks": 8},
                {"outcome": "miscarriage", "ended_on": days_ago(200), "gestational_age_weeks": 8}
            ]}),
        )
        .await;
    let results = format!("/v1/patients/{id}/results");
    let untimed = app
        .post(
            &results,
            &app.clinician(),
            &json!({"test": "progesterone", "value": {"quantity": 15.0, "unit": "ng/mL"},
                    "collected_on": days_ago(30)}),
        )
        .await;
    assert_eq!(untimed.status, 201, "{}", untimed.text());
    let c = checklist(&app, &id, "cn-2022").await;
    let luteal = item(&c, "luteal_progesterone");
    assert_eq!(luteal["status"], "needs_review", "{luteal}");
    assert!(luteal["reason"]
        .as_str()
        .unwrap()
        .contains("timing in the cycle unknown"));

    let timed = app
        .post(
            &format!(
                "{results}/{}/versions",
                untimed.json()["id"].as_str().unwrap()
            ),
            &app.clinician(),
            &json!({"value": {"quantity": 15.0, "unit": "ng/mL"}, "collected_on": days_ago(30),
                    "status": "corrected", "cycle_day": 21}),
        )
        .await;
    assert_eq!(timed.status, 201, "{}", timed.text());
    let c = checklist(&app, &id, "cn-2022").await;
    assert_eq!(item(&c, "luteal_progesterone")["status"], "complete");

    let old_partner = app
        .post(
            &results,
            &app.clinician(),
            &json!({"test": "sperm_dna_fragmentation", "subject": "partner",
                    "value": {"quantity": 10.0, "unit": "%"}, "collected_on": days_ago(30),
                    "partner_mrn": "P-OLD"}),
        )
        .await;
    assert_eq!(old_partner.status, 201, "{}", old_partner.text());
    let read = app
        .get(
            &format!("{results}/{}", old_partner.json()["id"].as_str().unwrap()),
            &app.clinician(),
        )
        .await
        .json();
    assert_eq!(read["partner_mrn"], "P-OLD", "{read}");
    let c = checklist(&app, &id, "cn-2022").await;
    let sperm = item(&c, "sperm_dna_fragmentation");
    assert_eq!(sperm["status"], "optional", "{sperm}");
    assert!(sperm["reason"]
        .as_str()
        .unwrap()
        .contains("previous partner"));

    let bad = app
        .post(
            &results,
            &app.clinician(),
            &json!({"test": "progesterone", "value": {"quantity": 15.0, "unit": "ng/mL"},
                    "cycle_day": 0}),
        )
        .await;
    let problem = assert_problem(&bad, 422, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "cycle_day", "{problem}");
}

#[actix_web::test]
async fn deferred_items_are_counted_filterable_and_not_open_work() {
    let app = spawn_app().await;
    let id = app
        .create_patient(&json!({"mrn": "V2-5", "pregnancies": [
            {"outcome": "miscarriage", "ended_on": days_ago(400), "gestational_age_weeks": 8},
            {"outcome": "miscarriage", "ended_on": days_ago(300), "gestational_age_weeks": 8},
            {"outcome": "ongoing", "edd": days_ahead(150)}
        ]}))
        .await;
    let c = checklist(&app, &id, "eshre-2022").await;
    assert_eq!(item(&c, "uterine_anatomy")["status"], "deferred");
    assert_eq!(item(&c, "antiphospholipid")["status"], "outstanding");
    let page = app
        .get("/v1/worklist?status=deferred", &app.clinician())
        .await;
    assert_eq!(page.status, 200, "{}", page.text());
    let rows = page.json()["items"].as_array().unwrap().clone();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0]["counts"]["outstanding"].as_u64().unwrap() > 0);
    let by_item = app
        .get("/v1/worklist?item=uterine_anatomy", &app.clinician())
        .await
        .json();
    assert_eq!(
        by_item["items"].as_array().unwrap().len(),
        0,
        "a deferred item is not open work: {by_item}"
    );
}
