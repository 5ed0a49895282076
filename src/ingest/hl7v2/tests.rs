//! HL7 v2 feed tests, on the fixtures in `tests/fixtures/hl7v2/` (one clinical story each).

use chrono::{NaiveDate, TimeZone, Utc};

use super::*;
use crate::domain::catalogue::TestCode;
use crate::domain::result::{Interpretation, ResultStatus, Subject};
use crate::ingest::incoming::no_local_codes;
use crate::ingest::problem::{ProblemKind, Severity};

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/hl7v2/",
            $name
        ))
    };
}

fn parse(bytes: &[u8]) -> Result<OruMessage, Box<Rejection>> {
    parse_oru(bytes, &no_local_codes)
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 5, 8, 31, 0).unwrap()
}

const MSH: &str =
    "MSH|^~\\&|LABSYS|CITYLAB|RPLWORKUP|CLINIC-A|20250305093000+0100||ORU^R01|M1|P|2.5.1\r\
                   PID|1||MRN-0042^^^CLINICA^MR\r\
                   OBR|1||F-1^CITYLAB|3016-3^TSH^LN|||20250304083000\r";

/// A one-OBX message around `obx`.
fn with_obx(obx: &str) -> Result<OruMessage, Box<Rejection>> {
    parse(format!("{MSH}{obx}").as_bytes())
}

#[test]
fn tsh_and_tpo_map_every_field() {
    let m = parse(fixture!("oru-tsh-tpo.hl7")).unwrap();
    assert_eq!(
        m.header.key(),
        MessageKey {
            sending_application: "LABSYS".into(),
            sending_facility: "CITYLAB^2.16.840.1.113883.19.4.6^ISO".into(),
            control_id: "MSG00001".into(),
        }
    );
    assert_eq!(m.header.version, "2.5.1");
    assert_eq!(m.results.len(), 2);
    let tsh = &m.results[0];
    assert_eq!(tsh.mrn, "MRN-0042");
    assert_eq!(tsh.mrn_system.as_deref(), Some("CLINICA"));
    assert_eq!(tsh.accession, "F-20250304-17^CITYLAB|3016-3|1");
    assert_eq!(tsh.test, Some(TestCode::Tsh));
    assert_eq!(tsh.loinc(), Some("3016-3"));
    assert_eq!(tsh.value.quantity, Some(2.1));
    assert_eq!(tsh.value.unit.as_deref(), Some("m[IU]/L"));
    let range = tsh.reference_range.as_ref().unwrap();
    assert_eq!((range.low, range.high), (Some(0.4), Some(4.0)));
    assert_eq!(tsh.interpretation, Some(Interpretation::Normal));
    assert_eq!(tsh.status, ResultStatus::Final);
    assert_eq!(tsh.collected_on, NaiveDate::from_ymd_opt(2025, 3, 4));
    assert_eq!(
        tsh.reported_at.unwrap().to_rfc3339(),
        "2025-03-05T08:20:00+00:00",
        "OBR-22"
    );
    let tpo = &m.results[1];
    assert_eq!(tpo.test, Some(TestCode::TpoAntibodies));
    assert_eq!(tpo.interpretation, Some(Interpretation::High));
    assert_eq!(tpo.reference_range.as_ref().unwrap().high, Some(35.0));
    assert_eq!(
        tpo.reported_at.unwrap().to_rfc3339(),
        "2025-03-05T08:15:00+00:00",
        "OBX-19"
    );
    assert!(tpo.note.as_deref().unwrap().contains("cut-off"));
    assert!(m.warnings.is_empty());
}

#[test]
fn obx_11_statuses_map_from_the_fixtures() {
    let cases: [(&[u8], ResultStatus); 3] = [
        (fixture!("oru-tsh-corrected.hl7"), ResultStatus::Corrected),
        (
            fixture!("oru-acl-preliminary.hl7"),
            ResultStatus::Preliminary,
        ),
        (fixture!("oru-la-cancelled.hl7"), ResultStatus::Cancelled),
    ];
    for (bytes, expected) in cases {
        let m = parse(bytes).unwrap();
        assert_eq!(m.results.len(), 1);
        assert_eq!(m.results[0].status, expected);
    }
    let corrected = parse(fixture!("oru-tsh-corrected.hl7"))
        .unwrap()
        .results
        .remove(0);
    let original = parse(fixture!("oru-tsh-tpo.hl7"))
        .unwrap()
        .results
        .remove(0);
    assert_eq!(
        corrected.accession, original.accession,
        "same key, new version"
    );
    assert_eq!(corrected.value.quantity, Some(4.6));
}

#[test]
fn every_obx_11_code_maps_and_others_are_refused() {
    let cases = [
        ("F", Some(ResultStatus::Final)),
        ("C", Some(ResultStatus::Corrected)),
        ("P", Some(ResultStatus::Preliminary)),
        ("R", Some(ResultStatus::Preliminary)),
        ("S", Some(ResultStatus::Preliminary)),
        ("X", Some(ResultStatus::Cancelled)),
        ("W", Some(ResultStatus::EnteredInError)),
        ("D", Some(ResultStatus::EnteredInError)),
        ("Q", None),
        ("", None),
    ];
    for (code, expected) in cases {
        let got = with_obx(&format!("OBX|1|NM|3016-3^TSH^LN|1|2.0|m[IU]/L|||||{code}"));
        match expected {
            Some(s) => assert_eq!(got.unwrap().results[0].status, s, "{code}"),
            None => {
                let r = got.unwrap_err();
                assert_eq!(r.code, AckCode::Error);
                assert_eq!(r.problems[0].location, "OBX^1^11", "{code}");
            }
        }
    }
}

#[test]
fn a_cancelled_lupus_anticoagulant_carries_the_anticoagulation_answer_and_its_note() {
    let m = parse(fixture!("oru-la-cancelled.hl7")).unwrap();
    let la = &m.results[0];
    assert_eq!(la.test, Some(TestCode::LupusAnticoagulant));
    assert!(
        la.on_anticoagulation,
        "from the RPL-ANTICOAG answer in the same OBR group"
    );
    assert_eq!(la.value, Default::default());
    assert!(la.note.as_deref().unwrap().contains("enoxaparin"));
}

#[test]
fn a_partner_karyotype_keeps_category_iscn_and_subject() {
    let m = parse(fixture!("oru-partner-karyotype.hl7")).unwrap();
    assert_eq!(m.results.len(), 1, "the RPL-SUBJECT answer is not a result");
    let k = &m.results[0];
    assert_eq!(k.test, Some(TestCode::Karyotype));
    assert_eq!(k.subject, Subject::Partner);
    assert_eq!(k.value.finding.as_deref(), Some("balanced_rearrangement"));
    assert_eq!(k.value.text.as_deref(), Some("46,XY,t(11;22)(q23;q11.2)"));
    assert_eq!(k.accession, "CG-2025-0311^CITYLAB|29770-5|1");
}

#[test]
fn an_unknown_code_is_accepted_unmapped_and_warned_in_the_ack() {
    let m = parse(fixture!("oru-unknown-code.hl7")).unwrap();
    assert_eq!(m.results[0].test, None);
    assert_eq!(m.results[0].code_label(), "L|B12");
    assert_eq!(m.warnings[0].location, "OBX^1^3");
    let ack = m.ack("ACK-1", now());
    assert!(ack.contains("\rMSA|AA|MSG00005"), "{ack}");
    assert!(
        ack.contains("\rERR||OBX^1^3|103^Table value not found^HL70357|W|"),
        "{ack}"
    );
    let clinic_map = |system: &str, code: &str| {
        (system == "L" && code == "B12").then_some(TestCode::VitaminD25oh)
    };
    let mapped = parse_oru(fixture!("oru-unknown-code.hl7"), &clinic_map).unwrap();
    assert_eq!(mapped.results[0].test, Some(TestCode::VitaminD25oh));
}

#[test]
fn an_unknown_mrn_is_answered_ae_by_the_caller_at_the_pid() {
    let m = parse(fixture!("oru-unknown-mrn.hl7")).unwrap();
    let patient = &m.patients[0];
    assert_eq!(
        (patient.mrn.as_str(), patient.location.as_str()),
        ("MRN-9999", "PID^1^3")
    );
    let problem = FeedProblem::error(
        ProblemKind::UnknownPatient,
        &patient.location,
        "no patient with this MRN",
    );
    let ack = build_ack(Some(&m.header), AckCode::Error, &[problem], "ACK-2", now());
    assert!(ack.contains("\rMSA|AE|MSG00006"), "{ack}");
    assert!(
        ack.contains(
            "\rERR||PID^1^3|204^Unknown key identifier^HL70357|E||||no patient with this MRN"
        ),
        "{ack}"
    );
}

#[test]
fn a_non_oru_message_is_rejected_with_the_reason() {
    let r = parse(fixture!("adt-a01.hl7")).unwrap_err();
    assert_eq!(r.code, AckCode::Reject);
    assert_eq!(r.problems[0].location, "MSH^1^9");
    let ack = r.ack("ACK-3", now());
    let lines: Vec<&str> = ack.split('\r').collect();
    assert_eq!(
        lines[0],
        "MSH|^~\\&|RPLWORKUP|CLINIC-A|EHR|CLINIC-A|20250305083100+0000||ACK^R01^ACK|ACK-3|P|2.5.1"
    );
    assert_eq!(lines[1], "MSA|AR|ADT0001");
    assert!(
        lines[2].starts_with(
            "ERR||MSH^1^9|200^Unsupported message type^HL70357|E||||only ORU\\S\\R01 is accepted"
        ),
        "{ack}"
    );
}

#[test]
fn garbage_is_rejected_with_an_empty_control_id() {
    let inputs: [&[u8]; 5] = [
        fixture!("garbage.hl7"),
        b"",
        b"MSH",
        b"\xff\xfe\x00",
        b"PID|1||X",
    ];
    for input in inputs {
        let r = parse(input).unwrap_err();
        assert_eq!(r.code, AckCode::Reject);
        assert_eq!(r.header, None);
        let ack = r.ack("ACK-4", now());
        assert!(
            ack.contains("\rMSA|AR|\r") || ack.ends_with("\rMSA|AR|"),
            "{ack}"
        );
        assert!(ack.contains("\rERR||"), "{ack}");
    }
}

#[test]
fn header_problems_are_rejections_that_echo_the_control_id() {
    let cases = [
        (
            "MSH|^~\\&|L|F|R|C|20250305||ORU^R02|M9|P|2.5.1",
            "MSH^1^9",
            ProblemKind::NotSupported,
        ),
        (
            "MSH|^~\\&|L|F|R|C|20250305||ORU^R01||P|2.5.1",
            "MSH^1^10",
            ProblemKind::Required,
        ),
        (
            "MSH|^~\\&|L|F|R|C|20250305||ORU^R01|M9|P|3.0",
            "MSH^1^12",
            ProblemKind::UnsupportedVersion,
        ),
        (
            "MSH|^~\\&|L|F|R|C|yesterday||ORU^R01|M9|P|2.5.1",
            "MSH^1^7",
            ProblemKind::Invalid,
        ),
    ];
    for (msh, location, kind) in cases {
        let r = parse(format!("{msh}\rPID|1||X").as_bytes()).unwrap_err();
        assert_eq!(r.code, AckCode::Reject, "{msh}");
        assert_eq!(
            (r.problems[0].location.as_str(), r.problems[0].kind),
            (location, kind),
            "{msh}"
        );
        assert_eq!(r.header.unwrap().control_id, msh.split('|').nth(9).unwrap());
    }
}

/// (OBX-2..5, quantity, finding, text)
type ValueRow<'a> = (&'a str, Option<f64>, Option<&'a str>, Option<&'a str>);

#[test]
fn obx_values_map_by_their_value_type() {
    let cases: Vec<ValueRow> = vec![
        ("NM|3016-3^TSH^LN|1|2.35", Some(2.35), None, None),
        ("SN|3016-3^TSH^LN|1|^2.35", Some(2.35), None, None),
        ("SN|3016-3^TSH^LN|1|<^0.01", None, None, Some("<0.01")),
        ("ST|3016-3^TSH^LN|1|<0.01", None, None, Some("<0.01")),
        ("ST|3016-3^TSH^LN|1|1.9", Some(1.9), None, None),
        (
            "CWE|3181-5^aCL IgG^LN|1|10828004^Positive^SCT",
            None,
            Some("positive"),
            None,
        ),
        (
            "CE|3181-5^aCL IgG^LN|1|LA6577-6^Negative^LN",
            None,
            Some("negative"),
            None,
        ),
        (
            "CWE|3181-5^aCL IgG^LN|1|WPOS^Weakly positive^L",
            None,
            None,
            Some("Weakly positive"),
        ),
        (
            "TX|21668-9^FVL^LN|1|No variant~detected",
            None,
            None,
            Some("No variant\ndetected"),
        ),
    ];
    for (obx, quantity, finding, text) in cases {
        let m = with_obx(&format!("OBX|1|{obx}||||||F")).unwrap_or_else(|e| panic!("{obx}: {e:?}"));
        let v = &m.results[0].value;
        assert_eq!(
            (v.quantity, v.finding.as_deref(), v.text.as_deref()),
            (quantity, finding, text),
            "{obx}"
        );
    }
}

#[test]
fn obx_content_errors_are_ae_located_at_the_field() {
    let cases = [
        (
            "OBX|1|NM|3016-3^TSH^LN|1|<0.01||||||F",
            "OBX^1^5",
            ProblemKind::Invalid,
        ),
        (
            "OBX|1|ED|3016-3^TSH^LN|1|^AP^^Base64^AAAA||||||F",
            "OBX^1^5",
            ProblemKind::Invalid,
        ),
        ("OBX|1|NM||1|2.0||||||F", "OBX^1^3", ProblemKind::Required),
        (
            "OBX|1|NM|3016-3^TSH^LN|1|2.0||||||F|||2025",
            "OBX^1^14",
            ProblemKind::Invalid,
        ),
        (
            "OBX|1|CWE|3016-3^TSH^LN|1|10828004^Positive^SCT||||||F",
            "OBX^1^5",
            ProblemKind::Invalid,
        ),
        (
            "OBX|1|CWE|RPL-SUBJECT^^99RPL|1|mother||||||F",
            "OBX^1^5",
            ProblemKind::CodeInvalid,
        ),
    ];
    for (obx, location, kind) in cases {
        let r = with_obx(obx).unwrap_err();
        assert_eq!(r.code, AckCode::Error, "{obx}");
        assert_eq!(
            (r.problems[0].location.as_str(), r.problems[0].kind),
            (location, kind),
            "{obx}"
        );
        assert!(r.ack("A", now()).contains("\rMSA|AE|M1"));
    }
}

#[test]
fn reference_ranges_and_flags_are_read_leniently() {
    let cases = [
        ("3.5-5.0", Some((Some(3.5), Some(5.0)))),
        ("3.5 - 5.0", Some((Some(3.5), Some(5.0)))),
        ("-1.0-2.0", Some((Some(-1.0), Some(2.0)))),
        ("<40", Some((None, Some(40.0)))),
        ("<=40", Some((None, Some(40.0)))),
        (">5", Some((Some(5.0), None))),
        ("", None),
        ("negative", None),
    ];
    for (range, expected) in cases {
        let m = with_obx(&format!(
            "OBX|1|NM|3016-3^TSH^LN|1|2.0|m[IU]/L|{range}|HH|||F"
        ))
        .unwrap();
        let r = &m.results[0];
        assert_eq!(
            r.reference_range.as_ref().map(|rr| (rr.low, rr.high)),
            expected,
            "{range}"
        );
        assert_eq!(r.interpretation, Some(Interpretation::High));
        assert_eq!(
            m.warnings.len(),
            usize::from(range == "negative"),
            "{range}"
        );
    }
    let m = with_obx("OBX|1|NM|3016-3^TSH^LN|1|2.0|||ZZ|||F").unwrap();
    assert_eq!(m.results[0].interpretation, None);
    assert_eq!(m.warnings[0].severity, Severity::Warning);
}

#[test]
fn structure_errors_name_the_segment() {
    let r = parse(
        b"MSH|^~\\&|L|F|R|C|20250305||ORU^R01|M1|P|2.5.1\rOBX|1|NM|3016-3^TSH^LN|1|2.0||||||F",
    )
    .unwrap_err();
    assert_eq!(
        (r.code, r.problems[0].location.as_str()),
        (AckCode::Error, "OBX^1")
    );
    let r = parse(format!("{MSH}OBX|1|NM|3016-3^TSH^LN|1|2||||||F\r!!bad segment").as_bytes())
        .unwrap_err();
    assert_eq!(r.code, AckCode::Reject);
    assert!(
        r.problems[0].message.contains("segment 5"),
        "{:?}",
        r.problems
    );
    let r = parse(MSH.as_bytes()).unwrap_err();
    assert_eq!(r.problems[0].message, "the message has no results");
}

#[test]
fn escapes_are_decoded_and_the_ack_escapes_what_it_echoes() {
    let m = with_obx("OBX|1|ST|3016-3^TSH^LN|1|see note \\T\\ call||||||F").unwrap();
    assert_eq!(m.results[0].value.text.as_deref(), Some("see note & call"));
    let header = MessageHeader {
        sending_application: Designator(vec!["LAB|X".into()]),
        control_id: "C^1".into(),
        ..Default::default()
    };
    let ack = build_ack(Some(&header), AckCode::Accept, &[], "A", now());
    assert!(ack.contains("|LAB\\F\\X|"), "{ack}");
    assert!(ack.ends_with("MSA|AA|C\\S\\1"), "{ack}");
}

#[test]
fn an_acked_message_reparses_with_hl7_parser() {
    let m = parse(fixture!("oru-tsh-tpo.hl7")).unwrap();
    let ack = m.ack("ACK-9", now());
    let parsed = hl7_parser::Message::parse(&ack).unwrap();
    assert_eq!(parsed.query("MSA.2").unwrap().raw_value(), "MSG00001");
    assert_eq!(parsed.query("MSH.9").unwrap().raw_value(), "ACK^R01^ACK");
    assert_eq!(parsed.query("MSH.5").unwrap().raw_value(), "LABSYS");
    assert_eq!(
        parsed.query("MSH.6").unwrap().raw_value(),
        "CITYLAB^2.16.840.1.113883.19.4.6^ISO"
    );
}

proptest::proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
        let _ = parse(&bytes).map_err(|r| r.ack("A", now()));
    }

    #[test]
    fn mangled_messages_never_panic(cut in 0usize..400, junk in "[|^~\\\\&\r\nA-Z0-9]{0,20}") {
        let text = String::from_utf8_lossy(fixture!("oru-tsh-tpo.hl7")).to_string();
        let cut = cut.min(text.len());
        let mangled = format!("{}{junk}{}", &text[..cut], &text[cut..]);
        let _ = parse(mangled.as_bytes()).map(|m| m.ack("A", now())).map_err(|r| r.ack("A", now()));
    }
}

#[test]
fn sample_facts_are_ask_at_order_entry_obxs_of_the_group() {
    let m = parse(fixture!("oru-progesterone-cycle-day.hl7")).unwrap();
    assert_eq!(m.results.len(), 1, "the cycle-day OBX is not a result");
    let r = &m.results[0];
    assert_eq!(r.test, Some(TestCode::Progesterone));
    assert_eq!(r.facts.cycle_day, Some(21));

    let m = with_obx(
        "OBX|1|NM|RPL-DAYS-BEFORE-MENSES^^99RPL||7||||||F\r\
         OBX|2|ST|RPL-PARTNER-MRN^^99RPL||P-0042||||||F\r\
         OBX|3|NM|3016-3^TSH^LN|1|2.1|m[IU]/L|||||F\r",
    )
    .unwrap();
    let facts = &m.results[0].facts;
    assert_eq!(facts.days_before_menses, Some(7));
    assert_eq!(facts.partner_mrn.as_deref(), Some("P-0042"));
    assert_eq!(facts.cycle_day, None);
}

#[test]
fn a_bad_sample_fact_is_ae_at_its_obx_5() {
    for bad in ["0", "99", "21.5", "day 21", ""] {
        let rejection = with_obx(&format!(
            "OBX|1|NM|RPL-CYCLE-DAY^^99RPL||{bad}||||||F\r\
             OBX|2|NM|3016-3^TSH^LN|1|2.1|m[IU]/L|||||F\r"
        ))
        .unwrap_err();
        assert_eq!(rejection.code, AckCode::Error, "{bad}");
        assert_eq!(rejection.problems[0].location, "OBX^1^5", "{bad}");
        assert_eq!(rejection.problems[0].kind, ProblemKind::Invalid, "{bad}");
    }
}
