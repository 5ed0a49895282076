//! `POST /v1/lab/results` request tests: shape (serde + validator) and meaning (into_incoming).

use serde_json::{json, Value};
use validator::Validate;

use super::*;
use crate::ingest::problem::{FeedProblem, ProblemKind};

fn request(results: Value) -> LabResultsRequest {
    serde_json::from_value(json!({"mrn": "MRN-0042", "results": results})).unwrap()
}

fn acl(extra: Value) -> Value {
    let mut r = json!({
        "accession": "ACC-2025-0187",
        "loinc": "3181-5",
        "value": {"quantity": 52, "unit": "[GPL'U]/mL"},
        "interpretation": "positive",
        "reference_range": {"high": 20},
        "status": "final",
        "collected_on": "2025-03-04",
        "reported_at": "2025-03-05T08:30:00Z"
    });
    for (k, v) in extra.as_object().unwrap() {
        r[k] = v.clone();
    }
    r
}

fn problems(results: Value) -> Vec<FeedProblem> {
    request(results).into_incoming().unwrap_err()
}

#[test]
fn a_lab_result_by_loinc_converts_to_an_incoming_result() {
    let parsed = request(json!([acl(json!({}))])).into_incoming().unwrap();
    let r = &parsed.results[0];
    assert_eq!(r.mrn, "MRN-0042");
    assert_eq!(r.accession, "ACC-2025-0187");
    assert_eq!(r.test, Some(TestCode::AnticardiolipinIgg));
    assert_eq!(r.loinc(), Some("3181-5"));
    assert_eq!(r.subject, Subject::Patient);
    assert_eq!(r.value.quantity, Some(52.0));
    assert_eq!(r.interpretation, Some(Interpretation::Positive));
    assert_eq!(r.status, ResultStatus::Final);
    assert_eq!(r.collected_on, NaiveDate::from_ymd_opt(2025, 3, 4));
    assert!(parsed.warnings.is_empty());
}

#[test]
fn test_and_loinc_resolve_or_are_refused_with_their_path() {
    let ok = request(json!([
        acl(json!({"loinc": null, "test": "anticardiolipin_igg"})),
        acl(json!({"accession": "A2", "test": "anticardiolipin_igg"})),
        acl(json!({"accession": "A3", "loinc": "2132-9", "value": {"quantity": 312}})),
    ]))
    .into_incoming()
    .unwrap();
    assert_eq!(ok.results[0].test, Some(TestCode::AnticardiolipinIgg));
    assert_eq!(ok.results[1].test, Some(TestCode::AnticardiolipinIgg));
    assert_eq!(ok.results[2].test, None, "unknown LOINC is stored unmapped");
    assert_eq!(ok.warnings[0].location, "results[2].loinc");
    assert_eq!(ok.warnings[0].kind, ProblemKind::Unmapped);

    let cases = [
        (acl(json!({"loinc": null})), "results[0].test"),
        (acl(json!({"test": "tsh"})), "results[0].loinc"),
        (acl(json!({"loinc": "ACL-G"})), "results[0].loinc"),
    ];
    for (result, path) in cases {
        assert_eq!(problems(json!([result]))[0].location, path);
    }
}

#[test]
fn value_problems_carry_the_json_path() {
    let cases = [
        (acl(json!({"value": {}})), "results[0].value.quantity"),
        (
            acl(json!({"value": {"finding": "septate"}})),
            "results[0].value.finding",
        ),
        (acl(json!({"modality": "mri"})), "results[0].modality"),
        (
            json!({"accession": "U1", "test": "uterine_imaging", "value": {"finding": "septate"}, "status": "final"}),
            "results[0].modality",
        ),
        (
            json!({"accession": "K1", "test": "karyotype", "subject": "partner", "value": {"text": "46,XY"}, "status": "final"}),
            "results[0].value.finding",
        ),
        (
            acl(json!({"reference_range": {"low": 30, "high": 20}})),
            "results[0].reference_range",
        ),
    ];
    for (result, path) in cases {
        let found = problems(json!([acl(json!({"accession": "OK"})), result]));
        assert_eq!(found[0].location, path.replace("[0]", "[1]"));
    }
}

#[test]
fn a_cancelled_or_retracted_result_needs_no_value_but_a_final_one_does() {
    let cases = [
        ("cancelled", true),
        ("entered_in_error", true),
        ("preliminary", true),
        ("final", false),
    ];
    for (status, ok) in cases {
        let req = request(json!([acl(json!({"status": status, "value": {}}))]));
        assert_eq!(req.into_incoming().is_ok(), ok, "{status}");
    }
}

#[test]
fn the_same_accession_and_test_twice_in_one_request_is_refused() {
    let found = problems(json!([acl(json!({})), acl(json!({}))]));
    assert_eq!(found[0].location, "results[1].accession");
    let different_tests = request(json!([
        acl(json!({})),
        acl(json!({"loinc": "3182-3", "value": {"quantity": 3}}))
    ]));
    assert!(different_tests.into_incoming().is_ok());
}

#[test]
fn the_shape_is_checked_by_serde_and_validator() {
    let too_long = "x".repeat(201);
    let req = request(json!([acl(json!({"accession": too_long}))]));
    let errors = req.validate().unwrap_err();
    let text = format!("{errors:?}");
    assert!(text.contains("accession"), "{text}");
    let empty: Result<LabResultsRequest, _> =
        serde_json::from_value(json!({"mrn": "M", "results": []}));
    assert!(empty.unwrap().validate().is_err());
    let unknown_field: Result<LabResultsRequest, _> =
        serde_json::from_value(json!({"mrn": "M", "results": [acl(json!({"colour": "red"}))]}));
    assert!(unknown_field.is_err());
    let unknown_test: Result<LabResultsRequest, _> = serde_json::from_value(
        json!({"mrn": "M", "results": [acl(json!({"test": "vitamin_b12"}))]}),
    );
    assert!(unknown_test.is_err());
}

#[test]
fn subject_anticoagulation_and_modality_are_taken_as_given() {
    let parsed = request(json!([
        {"accession": "LA1", "test": "lupus_anticoagulant", "value": {"finding": "positive"}, "status": "final", "on_anticoagulation": true},
        {"accession": "U1", "test": "uterine_imaging", "value": {"finding": "normal"}, "modality": "3d_tvus", "status": "final"},
        {"accession": "S1", "test": "sperm_dna_fragmentation", "subject": "partner", "value": {"quantity": 18, "unit": "%"}, "status": "final"},
    ]))
    .into_incoming()
    .unwrap();
    assert!(parsed.results[0].on_anticoagulation);
    assert_eq!(parsed.results[1].modality, Some(Modality::Tvus3d));
    assert_eq!(parsed.results[2].subject, Subject::Partner);
}

#[test]
fn every_catalogue_code_is_accepted_in_its_api_spelling() {
    for entry in crate::domain::catalogue::CATALOGUE {
        let result = json!({"accession": "A", "test": entry.code.as_str(), "status": "cancelled"});
        let parsed = request(json!([result])).into_incoming().unwrap();
        assert_eq!(
            parsed.results[0].test,
            Some(entry.code),
            "{}",
            entry.code.as_str()
        );
    }
}
