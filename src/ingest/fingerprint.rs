//! A fixed content fingerprint of an [`IncomingResult`], so storage can tell a retry (same
//! accession, same fingerprint: answer with the stored result) from a new version (same accession,
//! different fingerprint).
//!
//! What is hashed: the clinical content (test, code systems and codes, subject, value,
//! interpretation, reference range, status, collection date, modality, anticoagulation, note).
//! What is not: the identity storage already keys on (MRN, accession), `reported_at` (labs restamp
//! a retransmission, and HL7 falls back to MSH-7, which changes on every resend) and code display
//! texts (wording, not content). The bytes hashed are compact JSON with keys sorted (serde_json's
//! default map; a test pins one digest, so enabling `preserve_order` would be caught). The serialization is versioned (`"v": 1`): changing it changes every
//! fingerprint, so bump the version and never reuse one.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::incoming::IncomingResult;

/// SHA-256 of the canonical serialization, as 64 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// The hex digits (what storage keeps in `content_hash`).
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The hex digits, owned.
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

// -0.0 and 0.0 are the same value; they must hash the same.
fn number(q: Option<f64>) -> Value {
    q.map(|v| json!(v + 0.0)).unwrap_or(Value::Null)
}

/// The canonical form: a JSON object built in a fixed order with every field present (`null` when
/// absent), so that adding a field is a deliberate version bump.
fn canonical(r: &IncomingResult) -> Value {
    let codes: Vec<Value> = r.codes.iter().map(|c| json!([c.system, c.code])).collect();
    let range = r
        .reference_range
        .as_ref()
        .map(|rr| json!({"low": number(rr.low), "high": number(rr.high), "unit": rr.unit}));
    json!({
        "v": 1,
        "test": r.test.map(|t| t.as_str()),
        "codes": codes,
        "subject": r.subject.as_str(),
        "value": {
            "quantity": number(r.value.quantity),
            "unit": r.value.unit,
            "finding": r.value.finding,
            "text": r.value.text,
        },
        "interpretation": r.interpretation.map(|i| i.as_str()),
        "reference_range": range,
        "status": r.status.as_str(),
        "collected_on": r.collected_on.map(|d| d.to_string()),
        "modality": r.modality.map(|m| m.as_str()),
        "on_anticoagulation": r.on_anticoagulation,
        "note": r.note,
    })
}

impl IncomingResult {
    /// The content fingerprint (see the module docs for what it covers).
    pub fn fingerprint(&self) -> Fingerprint {
        let mut canonical = canonical(self);
        // Rules v2 sample facts join only when present, so every earlier fingerprint still holds.
        if !self.facts.is_empty() {
            canonical["facts"] = json!(self.facts);
        }
        let bytes = serde_json::to_vec(&canonical).expect("a JSON value always serializes");
        Fingerprint(hex::encode(Sha256::digest(&bytes)))
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone, Utc};

    use super::*;
    use crate::domain::catalogue::TestCode;
    use crate::domain::result::{ResultStatus, ResultValue, Subject};
    use crate::ingest::incoming::{LabCode, LOINC_SYSTEM};

    fn tsh() -> IncomingResult {
        IncomingResult {
            mrn: "MRN-1".into(),
            mrn_system: None,
            accession: "F1|3016-3|1".into(),
            codes: vec![LabCode::new(LOINC_SYSTEM, "3016-3", Some("TSH"))],
            test: Some(TestCode::Tsh),
            subject: Subject::Patient,
            value: ResultValue {
                quantity: Some(2.1),
                unit: Some("m[IU]/L".into()),
                ..Default::default()
            },
            interpretation: None,
            reference_range: None,
            status: ResultStatus::Final,
            collected_on: NaiveDate::from_ymd_opt(2025, 3, 4),
            reported_at: Some(Utc.with_ymd_and_hms(2025, 3, 5, 9, 0, 0).unwrap()),
            modality: None,
            on_anticoagulation: false,
            note: None,
            facts: Default::default(),
        }
    }

    type Change = fn(&mut IncomingResult);

    #[test]
    fn a_retry_has_the_same_fingerprint_and_a_correction_a_different_one() {
        let original = tsh();
        let fp = original.fingerprint();
        assert_eq!(fp.as_str().len(), 64);

        let mut retry = tsh();
        retry.reported_at = None;
        retry.codes[0].display = Some("Thyrotropin".into());
        retry.accession = "other".into();
        assert_eq!(
            retry.fingerprint(),
            fp,
            "transport details do not change content"
        );

        let changes: Vec<(&str, Change)> = vec![
            ("value", |r| r.value.quantity = Some(2.2)),
            ("status", |r| r.status = ResultStatus::Corrected),
            ("unit", |r| r.value.unit = Some("mIU/L".into())),
            ("subject", |r| r.subject = Subject::Partner),
            ("anticoagulation", |r| r.on_anticoagulation = true),
            ("collected", |r| r.collected_on = None),
            ("note", |r| r.note = Some("haemolysed".into())),
        ];
        for (what, change) in changes {
            let mut changed = tsh();
            change(&mut changed);
            assert_ne!(changed.fingerprint(), fp, "{what}");
        }
    }

    #[test]
    fn the_fingerprint_is_fixed_across_releases() {
        // If this fails, the canonical form changed: bump "v" instead of silently re-keying storage.
        let mut zero = tsh();
        zero.value.quantity = Some(-0.0);
        let mut plus = tsh();
        plus.value.quantity = Some(0.0);
        assert_eq!(zero.fingerprint(), plus.fingerprint());
        assert_eq!(
            tsh().fingerprint().as_str(),
            "eea5f4bd2bc9812e9b25e1ce42bb9b7aaea4eaf1a64e3a9f6c3ffa826eeecd51"
        );
    }
}
