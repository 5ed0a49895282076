//! Sample facts over the FHIR and HL7 v2 feeds (clinical-rules.md §6.5, §6.7): the cycle day of a
//! progesterone reaches the checklist, bad values are refused and nothing is stored.

use serde_json::{json, Value};

use crate::helpers::*;
use crate::lab_support::*;

const FHIR_PROGESTERONE: &str = "fhir/observation-progesterone-cycle-day-21.json";
const HL7_PROGESTERONE: &str = "hl7v2/oru-progesterone-cycle-day.hl7";
const HL7_CYCLE_DAY_OBX: &str =
    "OBX|1|NM|RPL-CYCLE-DAY^Cycle day at collection^99RPL|1|21|d^^UCUM|||||F|||20250421083000+0100|||||\r";

async fn patient_with_two_losses(app: &TestApp) -> String {
    app.create_patient(
        &json!({"mrn": "MRN-0042", "birth_date": "1990-01-01", "pregnancies": [
        {"outcome": "miscarriage", "ended_on": "2024-03-01", "gestational_age_weeks": 7},
        {"outcome": "miscarriage", "ended_on": "2024-09-01", "gestational_age_weeks": 9}]}),
    )
    .await
}

async fn luteal_progesterone_cn_2022(app: &TestApp, patient: &str) -> Value {
    let res = app
        .get(
            &format!("/v1/patients/{patient}/checklist?profile=cn-2022"),
            &app.clinician(),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "luteal_progesterone")
        .unwrap()
        .clone()
}

fn fhir_observation(edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut obs: Value = serde_json::from_slice(&fixture(FHIR_PROGESTERONE)).unwrap();
    edit(&mut obs);
    serde_json::to_vec(&obs).unwrap()
}

fn err_segments(ack: &str) -> Vec<Vec<String>> {
    segments(ack)
        .into_iter()
        .filter(|s| s[0] == "ERR")
        .collect()
}

#[actix_web::test]
async fn a_low_progesterone_on_cycle_day_21_over_fhir_is_abnormal_and_untimed_needs_review() {
    let app = spawn_app().await;
    let patient = patient_with_two_losses(&app).await;
    let untimed = fhir_observation(|o| {
        o.as_object_mut().unwrap().remove("component");
    });
    let res = post_fhir(&app, "/fhir/r4/Observation", untimed, &[]).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let item = luteal_progesterone_cn_2022(&app, &patient).await;
    assert_eq!(item["status"], "needs_review", "{item}");
    assert!(item["reason"]
        .as_str()
        .unwrap()
        .contains("timing in the cycle unknown"));

    let timed = fhir_observation(|o| o["status"] = json!("corrected"));
    let res = post_fhir(&app, "/fhir/r4/Observation", timed, &[]).await;
    assert!(res.status == 200 || res.status == 201, "{}", res.text());
    let item = luteal_progesterone_cn_2022(&app, &patient).await;
    assert_eq!(item["status"], "abnormal", "{item}");
    let results = results_of(&app, &patient).await;
    assert_eq!(results.len(), 1, "one result, two versions");
    assert_eq!(results[0]["cycle_day"], 21, "{}", results[0]);
}

#[actix_web::test]
async fn days_before_menses_as_a_quantity_and_a_partner_mrn_extension_are_stored_over_fhir() {
    let app = spawn_app().await;
    let patient = patient_with_two_losses(&app).await;
    let body = fhir_observation(|o| {
        o["component"][0]["code"]["coding"][0]["code"] = json!("days_before_menses");
        o["component"][0]
            .as_object_mut()
            .unwrap()
            .remove("valueInteger");
        o["component"][0]["valueQuantity"] =
            json!({"value": 7, "unit": "d", "system": "http://unitsofmeasure.org", "code": "d"});
    });
    let res = post_fhir(&app, "/fhir/r4/Observation", body, &[]).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let item = luteal_progesterone_cn_2022(&app, &patient).await;
    assert_eq!(item["status"], "abnormal", "{item}");

    let partner = fhir_observation(|o| {
        o["identifier"][0]["value"] = json!("ACC-2025-0403");
        o["code"]["coding"][0] = json!({"system": "https://rpl-workup.example.org/fhir/CodeSystem/test",
                                        "code": "sperm_dna_fragmentation"});
        o["valueQuantity"] = json!({"value": 12, "unit": "%"});
        o["extension"] = json!([
            {"url": "https://rpl-workup.example.org/fhir/StructureDefinition/result-subject",
             "valueCode": "partner"},
            {"url": "https://rpl-workup.example.org/fhir/StructureDefinition/partner-mrn",
             "valueString": "P-0042"}]);
        o.as_object_mut().unwrap().remove("component");
    });
    let res = post_fhir(&app, "/fhir/r4/Observation", partner, &[]).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let results = results_of(&app, &patient).await;
    let sperm = results
        .iter()
        .find(|r| r["test"] == "sperm_dna_fragmentation")
        .unwrap();
    assert_eq!(sperm["partner_mrn"], "P-0042", "{sperm}");
    assert_eq!(sperm["subject"], "partner");
    let prog = results
        .iter()
        .find(|r| r["test"] == "progesterone")
        .unwrap();
    assert_eq!(prog["days_before_menses"], 7, "{prog}");
}

#[actix_web::test]
async fn a_bad_cycle_day_over_fhir_is_an_outcome_naming_the_element_and_nothing_is_stored() {
    let app = spawn_app().await;
    let patient = patient_with_two_losses(&app).await;
    let cases = [
        (json!(0), "Observation.component[0].valueInteger"),
        (json!(99), "Observation.component[0].valueInteger"),
        (json!("21"), "Observation.component[0].valueInteger"),
    ];
    for (value, expression) in cases {
        let body = fhir_observation(|o| o["component"][0]["valueInteger"] = value.clone());
        let res = post_fhir(&app, "/fhir/r4/Observation", body, &[]).await;
        assert_eq!(res.status, 422, "{value}: {}", res.text());
        let outcome = res.json();
        assert_eq!(outcome["resourceType"], "OperationOutcome");
        assert_eq!(
            outcome["issue"][0]["expression"][0], expression,
            "{value}: {outcome}"
        );
    }
    let blank_partner = fhir_observation(|o| {
        o["extension"] = json!([{"url":
            "https://rpl-workup.example.org/fhir/StructureDefinition/partner-mrn",
            "valueString": " "}]);
    });
    let res = post_fhir(&app, "/fhir/r4/Observation", blank_partner, &[]).await;
    assert_eq!(res.status, 422, "{}", res.text());
    assert_eq!(
        res.json()["issue"][0]["expression"][0],
        "Observation.extension[0].valueString"
    );
    assert!(results_of(&app, &patient).await.is_empty());
}

#[actix_web::test]
async fn a_low_progesterone_on_cycle_day_21_over_hl7_is_abnormal_and_untimed_needs_review() {
    let app = spawn_app().await;
    let patient = patient_with_two_losses(&app).await;
    let untimed = fixture_with(HL7_PROGESTERONE, &[(HL7_CYCLE_DAY_OBX, "")]);
    let ack = post_hl7(&app, untimed, &[]).await.text();
    assert_eq!(msa(&ack).0, "AA", "{ack}");
    let item = luteal_progesterone_cn_2022(&app, &patient).await;
    assert_eq!(item["status"], "needs_review", "{item}");

    let timed = fixture_with(
        HL7_PROGESTERONE,
        &[
            ("|MSG00402|", "|MSG00403|"),
            (
                "UCUM|||||F|||20250421083000+0100|||||\r",
                "UCUM|||||C|||20250421083000+0100|||||\r",
            ),
        ],
    );
    let ack = post_hl7(&app, timed, &[]).await.text();
    assert_eq!(msa(&ack).0, "AA", "{ack}");
    let item = luteal_progesterone_cn_2022(&app, &patient).await;
    assert_eq!(item["status"], "abnormal", "{item}");
    let results = results_of(&app, &patient).await;
    assert_eq!(results.len(), 1, "the cycle-day OBX is not a result");
    assert_eq!(results[0]["cycle_day"], 21, "{}", results[0]);
}

#[actix_web::test]
async fn a_bad_cycle_day_over_hl7_is_ae_at_its_obx_5_and_nothing_is_stored() {
    let app = spawn_app().await;
    let patient = patient_with_two_losses(&app).await;
    for bad in ["0", "99", "day 21"] {
        let message = fixture_with(
            HL7_PROGESTERONE,
            &[("|1|21|d^^UCUM|", &format!("|1|{bad}|d^^UCUM|"))],
        );
        let ack = post_hl7(&app, message, &[]).await.text();
        assert_eq!(msa(&ack).0, "AE", "{bad}: {ack}");
        let err = &err_segments(&ack)[0];
        assert_eq!(err[2], "OBX^1^5", "{bad}: {err:?}");
    }
    let partner = fixture_with(
        HL7_PROGESTERONE,
        &[(
            "RPL-CYCLE-DAY^Cycle day at collection^99RPL|1|21|",
            "RPL-PARTNER-MRN^Partner MRN^99RPL|1||",
        )],
    );
    let ack = post_hl7(&app, partner, &[]).await.text();
    assert_eq!(msa(&ack).0, "AE", "blank partner MRN: {ack}");
    assert!(results_of(&app, &patient).await.is_empty());
}
