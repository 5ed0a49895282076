//! FHIR feed tests, on the fixtures in `tests/fixtures/fhir/` (one clinical story each).

use chrono::NaiveDate;
use serde_json::{json, Value};

use super::*;
use crate::domain::catalogue::TestCode;
use crate::domain::result::{Interpretation, Modality, ResultStatus, Subject};
use crate::ingest::incoming::no_local_codes;
use crate::ingest::problem::ProblemKind;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/fhir/",
            $name
        ))
    };
}

fn parse(body: &[u8]) -> Result<ParsedObservation, OperationOutcome> {
    parse_observation(body, &canon(), &no_local_codes)
}

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

/// The ACL fixture with `edit` applied, parsed.
fn edited(edit: impl FnOnce(&mut Value)) -> Result<ParsedObservation, OperationOutcome> {
    let mut v = json_of(fixture!("observation-acl-igg-positive.json"));
    edit(&mut v);
    parse(&serde_json::to_vec(&v).unwrap())
}

fn first_issue(outcome: &OperationOutcome) -> (&str, &str) {
    let issue = &outcome.issue[0];
    (
        issue.code.as_str(),
        issue.expression.first().map_or("", String::as_str),
    )
}

#[test]
fn a_positive_anticardiolipin_igg_maps_every_element() {
    let parsed = parse(fixture!("observation-acl-igg-positive.json")).unwrap();
    let r = parsed.result;
    assert_eq!(r.mrn, "MRN-0042");
    assert_eq!(
        r.mrn_system.as_deref(),
        Some("urn:oid:2.16.840.1.113883.19.5")
    );
    assert_eq!(
        r.accession,
        "urn:oid:2.16.840.1.113883.19.4.6|ACC-2025-0187"
    );
    assert_eq!(r.test, Some(TestCode::AnticardiolipinIgg));
    assert_eq!(r.loinc(), Some("3181-5"));
    assert_eq!(r.subject, Subject::Patient);
    assert_eq!(r.value.quantity, Some(52.0));
    assert_eq!(
        r.value.unit.as_deref(),
        Some("[GPL'U]/mL"),
        "the UCUM code wins over unit"
    );
    assert_eq!(r.interpretation, Some(Interpretation::Positive));
    assert_eq!(r.reference_range.unwrap().high, Some(20.0));
    assert_eq!(r.status, ResultStatus::Final);
    assert_eq!(r.collected_on, NaiveDate::from_ymd_opt(2025, 3, 4));
    assert_eq!(
        r.reported_at.unwrap().to_rfc3339(),
        "2025-03-05T08:30:00+00:00"
    );
    assert!(!r.on_anticoagulation);
    assert!(r.note.unwrap().contains("12 weeks"));
    assert!(parsed.warnings.is_empty());
}

#[test]
fn statuses_map_from_the_fixtures_and_the_same_accession_is_kept() {
    let cases: [(&[u8], ResultStatus); 4] = [
        (
            fixture!("observation-acl-igg-positive.json"),
            ResultStatus::Final,
        ),
        (
            fixture!("observation-acl-igg-corrected.json"),
            ResultStatus::Corrected,
        ),
        (
            fixture!("observation-acl-igg-entered-in-error.json"),
            ResultStatus::EnteredInError,
        ),
        (
            fixture!("observation-tsh-preliminary.json"),
            ResultStatus::Preliminary,
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(parse(body).unwrap().result.status, expected);
    }
    let original = parse(fixture!("observation-acl-igg-positive.json"))
        .unwrap()
        .result;
    let corrected = parse(fixture!("observation-acl-igg-corrected.json"))
        .unwrap()
        .result;
    assert_eq!(original.accession, corrected.accession);
    assert_ne!(
        original.version().unwrap().fingerprint(),
        corrected.version().unwrap().fingerprint()
    );
}

#[test]
fn every_fhir_status_maps_and_unknown_is_refused() {
    let cases = [
        ("registered", Some(ResultStatus::Preliminary)),
        ("preliminary", Some(ResultStatus::Preliminary)),
        ("final", Some(ResultStatus::Final)),
        ("amended", Some(ResultStatus::Amended)),
        ("corrected", Some(ResultStatus::Corrected)),
        ("cancelled", Some(ResultStatus::Cancelled)),
        ("entered-in-error", Some(ResultStatus::EnteredInError)),
        ("unknown", None),
        ("done", None),
    ];
    for (status, expected) in cases {
        let got = edited(|v| v["status"] = json!(status));
        match expected {
            Some(s) => assert_eq!(got.unwrap().result.status, s, "{status}"),
            None => {
                let outcome = got.unwrap_err();
                assert_eq!(
                    first_issue(&outcome),
                    ("code-invalid", "Observation.status")
                );
            }
        }
    }
}

#[test]
fn a_cancelled_lupus_anticoagulant_needs_no_value_and_carries_the_anticoagulation_flag() {
    let r = parse(fixture!("observation-la-cancelled.json"))
        .unwrap()
        .result;
    assert_eq!(r.test, Some(TestCode::LupusAnticoagulant));
    assert_eq!(r.status, ResultStatus::Cancelled);
    assert!(r.on_anticoagulation);
    assert_eq!(r.value, Default::default());
    assert_eq!(r.reported_at, None);
}

#[test]
fn a_tissue_karyotype_keeps_its_category_and_iscn_text() {
    let r = parse(fixture!("observation-karyotype-tissue.json"))
        .unwrap()
        .result;
    assert_eq!(r.test, Some(TestCode::Karyotype));
    assert_eq!(r.subject, Subject::PregnancyTissue);
    assert_eq!(r.value.finding.as_deref(), Some("aneuploidy"));
    assert_eq!(r.value.text.as_deref(), Some("47,XX,+16"));
    assert_eq!(r.collected_on, NaiveDate::from_ymd_opt(2025, 2, 11));
    assert_eq!(
        r.reported_at.unwrap().to_rfc3339(),
        "2025-03-01T11:00:00+00:00"
    );
}

#[test]
fn an_unknown_loinc_is_stored_unmapped_with_a_warning() {
    let parsed = parse(fixture!("observation-unknown-loinc.json")).unwrap();
    assert_eq!(parsed.result.test, None);
    assert_eq!(parsed.result.code_label(), "http://loinc.org|2132-9");
    assert_eq!(parsed.warnings.len(), 1);
    assert_eq!(parsed.warnings[0].kind, ProblemKind::Unmapped);
    assert_eq!(parsed.warnings[0].location, "Observation.code");
    let local = |system: &str, code: &str| {
        (system == "http://loinc.org" && code == "2132-9").then_some(TestCode::VitaminD25oh)
    };
    let mapped =
        parse_observation(fixture!("observation-unknown-loinc.json"), &canon(), &local).unwrap();
    assert_eq!(
        mapped.result.test,
        Some(TestCode::VitaminD25oh),
        "the clinic's map applies"
    );
}

#[test]
fn malformed_json_is_a_structure_outcome() {
    let outcome = parse(fixture!("observation-malformed.json")).unwrap_err();
    assert_eq!(outcome.issue[0].code, "structure");
    assert!(outcome.has_errors());
}

/// (case, edit, issue code, FHIR path)
type PathRow<'a> = (&'a str, fn(&mut Value), &'a str, &'a str);

#[test]
fn element_problems_are_reported_with_their_fhir_path() {
    let cases: Vec<PathRow> = vec![
        (
            "value of the wrong type",
            |v| v["valueQuantity"]["value"] = json!("high"),
            "value",
            "Observation.valueQuantity.value",
        ),
        (
            "no MRN",
            |v| v["subject"] = json!({"reference": "Patient/17"}),
            "required",
            "Observation.subject.identifier",
        ),
        (
            "no accession",
            |v| v["identifier"] = json!([]),
            "required",
            "Observation.identifier",
        ),
        (
            "no status",
            |v| drop(v.as_object_mut().unwrap().remove("status")),
            "required",
            "Observation.status",
        ),
        (
            "no code",
            |v| v["code"] = json!({"text": "aCL"}),
            "required",
            "Observation.code.coding",
        ),
        (
            "partial date",
            |v| v["effectiveDateTime"] = json!("2025-03"),
            "value",
            "Observation.effectiveDateTime",
        ),
        (
            "issued without zone",
            |v| v["issued"] = json!("2025-03-05T08:30:00"),
            "value",
            "Observation.issued",
        ),
        (
            "two values",
            |v| v["valueString"] = json!("52"),
            "structure",
            "Observation.value[x]",
        ),
        (
            "not an Observation",
            |v| v["resourceType"] = json!("Patient"),
            "not-supported",
            "Observation",
        ),
        (
            "finding not for the test",
            |v| {
                v.as_object_mut().unwrap().remove("valueQuantity");
                v["valueCodeableConcept"] =
                    json!({"coding": [{"system": codes_base("finding"), "code": "septate"}]});
            },
            "code-invalid",
            "Observation.valueCodeableConcept",
        ),
        (
            "bad subject code",
            |v| {
                v["extension"] =
                    json!([{"url": canon().extension(EXT_SUBJECT), "valueCode": "mother"}])
            },
            "code-invalid",
            "Observation.extension[0].valueCode",
        ),
    ];
    for (case, edit, code, path) in cases {
        let outcome = edited(edit).expect_err(case);
        assert_eq!(first_issue(&outcome), (code, path), "{case}");
    }
}

/// The configured base of these tests (the fixtures use the deprecated alias, still accepted).
fn canon() -> crate::ingest::Canon {
    crate::ingest::Canon::new("https://rpl.clinic.test/fhir/r4")
}

fn codes_base(system: &str) -> String {
    canon().code_system(system)
}

/// (case, value[x], quantity, finding, text)
type ValueRow<'a> = (
    &'a str,
    Value,
    Option<f64>,
    Option<&'a str>,
    Option<&'a str>,
);

#[test]
fn values_map_by_their_type() {
    let cases: Vec<ValueRow> = vec![
        (
            "plain string number",
            json!({"valueString": "41.5"}),
            Some(41.5),
            None,
            None,
        ),
        (
            "bounded string stays text",
            json!({"valueString": "<0.5"}),
            None,
            None,
            Some("<0.5"),
        ),
        (
            "comparator quantity stays text",
            json!({"valueQuantity": {"value": 0.5, "comparator": "<", "unit": "GPL"}}),
            None,
            None,
            Some("<0.5"),
        ),
        (
            "SNOMED positive",
            json!({"valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "10828004"}]}}),
            None,
            Some("positive"),
            None,
        ),
        (
            "LOINC negative",
            json!({"valueCodeableConcept": {"coding": [{"system": "http://loinc.org", "code": "LA6577-6", "display": "Negative"}]}}),
            None,
            Some("negative"),
            None,
        ),
        (
            "unknown code keeps its words",
            json!({"valueCodeableConcept": {"coding": [{"system": "L", "code": "WP", "display": "Weakly positive"}]}}),
            None,
            None,
            Some("Weakly positive"),
        ),
    ];
    for (case, value, quantity, finding, text) in cases {
        let r = edited(|v| {
            v.as_object_mut().unwrap().remove("valueQuantity");
            for (k, x) in value.as_object().unwrap() {
                v[k] = x.clone();
            }
        })
        .unwrap_or_else(|e| panic!("{case}: {e:?}"))
        .result;
        assert_eq!(r.value.quantity, quantity, "{case}");
        assert_eq!(r.value.finding.as_deref(), finding, "{case}");
        assert_eq!(r.value.text.as_deref(), text, "{case}");
    }
}

#[test]
fn whose_sample_anticoagulation_and_modality_come_from_explicit_elements_only() {
    let r = edited(|v| v["focus"] = json!([{"reference": "RelatedPerson/p1"}]))
        .unwrap()
        .result;
    assert_eq!(r.subject, Subject::Partner);
    let r = edited(|v| v["note"] = json!([{"text": "on anticoagulation"}]))
        .unwrap()
        .result;
    assert!(!r.on_anticoagulation, "a note is never read as a flag");
    let r = edited(|v| {
        v["extension"] =
            json!([{"url": canon().extension(EXT_ANTICOAGULATION), "valueBoolean": true}]);
    })
    .unwrap()
    .result;
    assert!(r.on_anticoagulation);
    let imaging = edited(|v| {
        v.as_object_mut().unwrap().remove("valueQuantity");
        v.as_object_mut().unwrap().remove("interpretation");
        v["code"] = json!({"coding": [{"system": codes_base("test"), "code": "uterine_imaging"}]});
        v["method"] = json!({"coding": [{"system": codes_base("modality"), "code": "3d_tvus"}]});
        v["valueCodeableConcept"] =
            json!({"coding": [{"system": codes_base("finding"), "code": "septate"}]});
    })
    .unwrap()
    .result;
    assert_eq!(imaging.test, Some(TestCode::UterineImaging));
    assert_eq!(imaging.modality, Some(Modality::Tvus3d));
    assert_eq!(imaging.value.finding.as_deref(), Some("septate"));
}

#[test]
fn interpretation_codes_map_and_unknown_ones_warn() {
    let cases = [
        ("H", Some(Interpretation::High)),
        ("LL", Some(Interpretation::Low)),
        ("NEG", Some(Interpretation::Negative)),
        ("DET", Some(Interpretation::Positive)),
        ("IND", Some(Interpretation::Indeterminate)),
        ("W", None),
    ];
    for (code, expected) in cases {
        let parsed = edited(|v| {
            v["interpretation"] = json!([{"coding": [{"system": V3_INTERPRETATION, "code": code}]}])
        })
        .unwrap();
        assert_eq!(parsed.result.interpretation, expected, "{code}");
        assert_eq!(parsed.warnings.is_empty(), expected.is_some(), "{code}");
    }
}

#[test]
fn a_transaction_of_three_parses_every_entry() {
    let bundle = parse_bundle(
        fixture!("bundle-transaction-thyroid.json"),
        &canon(),
        &no_local_codes,
    )
    .unwrap();
    assert_eq!(bundle.kind, BundleKind::Transaction);
    let tests: Vec<_> = bundle
        .entries
        .iter()
        .map(|e| e.outcome.as_ref().unwrap().result.test.unwrap())
        .collect();
    assert_eq!(
        tests,
        [TestCode::Tsh, TestCode::TpoAntibodies, TestCode::FreeT4]
    );
    assert!(bundle.transaction_outcome().is_none());
}

#[test]
fn a_batch_with_one_bad_entry_answers_each_entry() {
    let bundle = parse_bundle(
        fixture!("bundle-batch-one-bad.json"),
        &canon(),
        &no_local_codes,
    )
    .unwrap();
    assert_eq!(bundle.kind, BundleKind::Batch);
    let ok: Vec<bool> = bundle.entries.iter().map(|e| e.outcome.is_ok()).collect();
    assert_eq!(ok, [true, false, true]);
    let errors = bundle.errors();
    assert_eq!(
        errors[0].location,
        "Bundle.entry[1].resource.valueQuantity.value"
    );
    assert!(
        bundle.transaction_outcome().is_none(),
        "a batch is not all-or-nothing"
    );

    let responses = bundle
        .entries
        .iter()
        .map(|e| match &e.outcome {
            Ok(p) => EntryResponse::created(format!("Observation/{}", e.index), &p.warnings),
            Err(problems) => EntryResponse::rejected(problems),
        })
        .collect();
    let reply = serde_json::to_value(response_bundle(bundle.kind, responses)).unwrap();
    assert_eq!(reply["type"], "batch-response");
    assert_eq!(reply["entry"][0]["response"]["status"], "201 Created");
    assert_eq!(
        reply["entry"][1]["response"]["status"],
        "422 Unprocessable Entity"
    );
    assert_eq!(
        reply["entry"][1]["response"]["outcome"]["issue"][0]["expression"][0],
        "Bundle.entry[1].resource.valueQuantity.value"
    );
}

#[test]
fn a_transaction_with_a_bad_entry_is_refused_whole() {
    let mut v = json_of(fixture!("bundle-batch-one-bad.json"));
    v["type"] = json!("transaction");
    let bundle = parse_bundle(&serde_json::to_vec(&v).unwrap(), &canon(), &no_local_codes).unwrap();
    let outcome = bundle.transaction_outcome().expect("refused");
    assert_eq!(outcome.issue.len(), 1);
    assert_eq!(
        first_issue(&outcome).1,
        "Bundle.entry[1].resource.valueQuantity.value"
    );
}

#[test]
fn bundle_level_and_entry_level_refusals_name_what_is_wrong() {
    let entry = |resource: Value, method: &str| json!({"resource": resource, "request": {"method": method, "url": "Observation"}});
    let obs = json_of(fixture!("observation-tsh-preliminary.json"));
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"resourceType": "Bundle", "type": "collection", "entry": []}),
            "Bundle.type",
        ),
        (json!({"resourceType": "Observation"}), "Observation"),
        (
            json!({"resourceType": "Bundle", "type": "batch", "entry": {}}),
            "Bundle.entry",
        ),
    ];
    for (body, path) in cases {
        let outcome = parse_bundle(
            &serde_json::to_vec(&body).unwrap(),
            &canon(),
            &no_local_codes,
        )
        .unwrap_err();
        assert_eq!(first_issue(&outcome).1, path);
    }
    let body = json!({"resourceType": "Bundle", "type": "batch", "entry": [
        entry(json!({"resourceType": "Patient", "id": "p"}), "POST"),
        entry(obs.clone(), "PUT"),
        {"request": {"method": "POST", "url": "Observation"}},
        entry(obs, "POST"),
    ]});
    let bundle = parse_bundle(
        &serde_json::to_vec(&body).unwrap(),
        &canon(),
        &no_local_codes,
    )
    .unwrap();
    let locations: Vec<String> = bundle.errors().into_iter().map(|p| p.location).collect();
    assert_eq!(
        locations,
        [
            "Bundle.entry[0].resource",
            "Bundle.entry[1].request.method",
            "Bundle.entry[2].resource"
        ]
    );
    assert!(bundle.entries[3].outcome.is_ok());
}

#[test]
fn unknown_elements_are_ignored() {
    let r = edited(|v| {
        v["text"] = json!({"status": "generated", "div": "<div/>"});
        v["_status"] = json!({"extension": []});
        v["component"] = json!([{"code": {"text": "x"}}]);
    });
    assert!(r.is_ok());
}

#[test]
fn a_batch_of_a_hundred_observations_parses_entry_by_entry() {
    let obs = json_of(fixture!("observation-tsh-preliminary.json"));
    let entries: Vec<Value> = (0..100)
        .map(|i| {
            let mut o = obs.clone();
            o["identifier"][0]["value"] = json!(format!("ACC-{i:04}"));
            json!({"resource": o, "request": {"method": "POST", "url": "Observation"}})
        })
        .collect();
    let body = json!({"resourceType": "Bundle", "type": "batch", "entry": entries});
    let bundle = parse_bundle(
        &serde_json::to_vec(&body).unwrap(),
        &canon(),
        &no_local_codes,
    )
    .unwrap();
    assert_eq!(bundle.entries.len(), 100);
    assert!(bundle.entries.iter().all(|e| e.outcome.is_ok()));
    assert_eq!(bundle.entries[99].index, 99);
}

/// The progesterone fixture (cycle day 21 as a component) with `edit` applied, parsed.
fn progesterone(edit: impl FnOnce(&mut Value)) -> Result<ParsedObservation, OperationOutcome> {
    let mut v = json_of(fixture!("observation-progesterone-cycle-day-21.json"));
    edit(&mut v);
    parse(&serde_json::to_vec(&v).unwrap())
}

#[test]
fn sample_facts_are_read_from_components_and_the_partner_extension() {
    let r = progesterone(|_| {}).unwrap().result;
    assert_eq!(r.test, Some(TestCode::Progesterone));
    assert_eq!(r.facts.cycle_day, Some(21));
    assert_eq!(r.facts.days_before_menses, None);

    let r = progesterone(|o| {
        o["component"][0]["code"]["coding"][0]["code"] = json!("days_before_menses");
        o["component"][0] = json!({"code": o["component"][0]["code"].clone(),
                                   "valueQuantity": {"value": 7, "unit": "d"}});
        o["component"]
            .as_array_mut()
            .unwrap()
            .push(json!({"code": {"text": "a component of the lab's own"}, "valueString": "x"}));
        o["extension"] = json!([{"url": "https://rpl-workup.example.org/fhir/StructureDefinition/partner-mrn",
                                 "valueString": " P-1 "}]);
    })
    .unwrap()
    .result;
    assert_eq!(r.facts.days_before_menses, Some(7));
    assert_eq!(r.facts.cycle_day, None);
    assert_eq!(r.facts.partner_mrn.as_deref(), Some("P-1"));
}

#[test]
fn bad_sample_facts_are_errors_at_their_element() {
    let cases: Vec<(&str, Value, &str)> = vec![
        ("cycle day 0", json!({"valueInteger": 0}), "valueInteger"),
        ("cycle day 99", json!({"valueInteger": 99}), "valueInteger"),
        (
            "cycle day as text",
            json!({"valueString": "late"}),
            "valueString",
        ),
        (
            "fractional quantity",
            json!({"valueQuantity": {"value": 21.5, "unit": "d"}}),
            "valueQuantity.value",
        ),
        (
            "quantity in weeks",
            json!({"valueQuantity": {"value": 3, "unit": "wk"}}),
            "valueQuantity.code",
        ),
        ("no value", json!({}), "value[x]"),
    ];
    for (case, value, element) in cases {
        let outcome = progesterone(|o| {
            let code = o["component"][0]["code"].clone();
            let mut component = value.clone();
            component["code"] = code;
            o["component"][0] = component;
        })
        .unwrap_err();
        assert_eq!(
            first_issue(&outcome).1,
            format!("Observation.component[0].{element}"),
            "{case}"
        );
    }
    let outcome = progesterone(|o| o["component"][0]["valueInteger"] = json!("21")).unwrap_err();
    assert_eq!(
        first_issue(&outcome).1,
        "Observation.component[0].valueInteger"
    );
}
