//! A result or a version about to be recorded — from a clinician, a lab feed or the seeder — and
//! its one content fingerprint, so a retry of a stored report is recognised (same accession, same
//! fingerprint: nothing written) and a changed one becomes a new version. Pure: no actix, no
//! diesel, no clock.
//!
//! What is hashed: the clinical content (test, code systems and codes, subject, value,
//! interpretation, reference range, status, collection date, modality, anticoagulation, note,
//! sample facts). What is not: the identity storage keys on (patient, accession), who recorded it
//! and `reported_at` (labs restamp a retransmission, and HL7 falls back to MSH-7, which changes on
//! every resend). The bytes hashed are compact JSON with keys sorted (serde_json's default map; a
//! test pins one digest, so enabling `preserve_order` would be caught). This is the lab feeds'
//! form since their first release (`"v": 1`), so every hash stored by a feed still matches its
//! retries; changing it changes every fingerprint, so bump the version and never reuse one.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::catalogue::TestCode;
use super::ids::{PatientId, PregnancyId, ResultId};
use super::result::{
    Interpretation, Modality, ReferenceRange, ResultStatus, ResultValue, SampleFacts, Subject,
};

/// The LOINC code system, as FHIR names it (every feed normalises to it).
pub const LOINC_SYSTEM: &str = "http://loinc.org";

/// A code the reporter used for the test, in its system (`http://loinc.org` for LOINC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedCode {
    pub system: String,
    pub code: String,
}

impl ReportedCode {
    /// A LOINC code.
    pub fn loinc(code: impl Into<String>) -> Self {
        Self {
            system: LOINC_SYSTEM.to_owned(),
            code: code.into(),
        }
    }
}

/// What one version of a result says: everything a lab or clinician reported at one time.
#[derive(Debug, Clone, PartialEq)]
pub struct NewResultVersion {
    pub test: TestCode,
    pub subject: Subject,
    /// Every code the reporter used for the test, in the order sent (a clinician: the LOINC, if
    /// given). The first LOINC code is stored beside the version.
    pub codes: Vec<ReportedCode>,
    pub status: ResultStatus,
    pub value: ResultValue,
    pub interpretation: Option<Interpretation>,
    pub reference_range: Option<ReferenceRange>,
    pub modality: Option<Modality>,
    pub collected_on: Option<NaiveDate>,
    pub reported_at: Option<DateTime<Utc>>,
    pub on_anticoagulation: bool,
    pub note: Option<String>,
    /// Cycle timing and partner of the sample (clinical-rules.md §6.5, §6.7).
    pub facts: SampleFacts,
}

/// A new result: its identity, and where a lab keeps it (`source`, `accession`).
#[derive(Debug, Clone, PartialEq)]
pub struct NewResult {
    pub id: ResultId,
    pub patient_id: PatientId,
    /// The pregnancy a tissue sample came from.
    pub pregnancy_id: Option<PregnancyId>,
    /// The lab client's token `sub`, `clinician` (or the clinician's own text), `seed`.
    pub source: String,
    /// The lab's key: a known (source, accession, test) is the same result again.
    pub accession: Option<String>,
}

/// Where a version is recorded.
#[derive(Debug, Clone, PartialEq)]
pub enum Destination {
    /// A new result (version 1) — or, with an accession the lab already sent for the same test,
    /// that result: unchanged when it holds a version with the same fingerprint, else versioned.
    New(NewResult),
    /// The next version of a stored result (a clinician's correction): always appended.
    Append(ResultId),
}

/// What recording a version did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// A new result: its version 1.
    Created(ResultId),
    /// A new version of a stored result.
    Versioned(ResultId, i32),
    /// The same report was already stored as this version: nothing written.
    Unchanged(ResultId, i32),
}

impl Recorded {
    pub fn result_id(self) -> ResultId {
        match self {
            Recorded::Created(id) | Recorded::Versioned(id, _) | Recorded::Unchanged(id, _) => id,
        }
    }

    /// The version the report is stored as.
    pub fn version(self) -> i32 {
        match self {
            Recorded::Created(_) => 1,
            Recorded::Versioned(_, n) | Recorded::Unchanged(_, n) => n,
        }
    }

    /// Whether something was written.
    pub fn wrote(self) -> bool {
        !matches!(self, Recorded::Unchanged(..))
    }
}

/// SHA-256 of the canonical form, as 64 lowercase hex digits (what storage keeps in
/// `content_hash`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint(String);

impl Fingerprint {
    pub fn as_str(&self) -> &str {
        &self.0
    }
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

impl NewResultVersion {
    /// The first LOINC code reported, if any.
    pub fn loinc(&self) -> Option<&str> {
        self.codes
            .iter()
            .find(|c| c.system == LOINC_SYSTEM)
            .map(|c| c.code.as_str())
    }

    /// The content fingerprint (see the module docs for what it covers).
    pub fn fingerprint(&self) -> Fingerprint {
        let codes: Vec<Value> = self
            .codes
            .iter()
            .map(|c| json!([c.system, c.code]))
            .collect();
        let range = self
            .reference_range
            .as_ref()
            .map(|rr| json!({"low": number(rr.low), "high": number(rr.high), "unit": rr.unit}));
        // Built in a fixed order with every field present (`null` when absent), so that adding a
        // field is a deliberate version bump.
        let mut canonical = json!({
            "v": 1,
            "test": self.test.as_str(),
            "codes": codes,
            "subject": self.subject.as_str(),
            "value": {
                "quantity": number(self.value.quantity),
                "unit": self.value.unit,
                "finding": self.value.finding,
                "text": self.value.text,
            },
            "interpretation": self.interpretation.map(|i| i.as_str()),
            "reference_range": range,
            "status": self.status.as_str(),
            "collected_on": self.collected_on.map(|d| d.to_string()),
            "modality": self.modality.map(|m| m.as_str()),
            "on_anticoagulation": self.on_anticoagulation,
            "note": self.note,
        });
        // The sample facts joined later, only when present, so every earlier fingerprint holds.
        if !self.facts.is_empty() {
            canonical["facts"] = json!(self.facts);
        }
        let bytes = serde_json::to_vec(&canonical).expect("a JSON value always serializes");
        Fingerprint(hex::encode(Sha256::digest(&bytes)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tsh() -> NewResultVersion {
        NewResultVersion {
            test: TestCode::Tsh,
            subject: Subject::Patient,
            codes: vec![ReportedCode::loinc("3016-3")],
            status: ResultStatus::Final,
            value: ResultValue {
                quantity: Some(2.1),
                unit: Some("m[IU]/L".into()),
                ..Default::default()
            },
            interpretation: None,
            reference_range: None,
            modality: None,
            collected_on: NaiveDate::from_ymd_opt(2025, 3, 4),
            reported_at: DateTime::from_timestamp(1_741_165_200, 0),
            on_anticoagulation: false,
            note: None,
            facts: SampleFacts::default(),
        }
    }

    type Change = fn(&mut NewResultVersion);

    #[test]
    fn a_retry_has_the_same_fingerprint_and_a_correction_a_different_one() {
        let fp = tsh().fingerprint();
        assert_eq!(fp.as_str().len(), 64);
        let mut retry = tsh();
        retry.reported_at = None;
        assert_eq!(retry.fingerprint(), fp, "a restamped report is a retry");

        let changes: Vec<(&str, Change)> = vec![
            ("value", |r| r.value.quantity = Some(2.2)),
            ("status", |r| r.status = ResultStatus::Corrected),
            ("unit", |r| r.value.unit = Some("mIU/L".into())),
            ("subject", |r| r.subject = Subject::Partner),
            ("anticoagulation", |r| r.on_anticoagulation = true),
            ("collected", |r| r.collected_on = None),
            ("note", |r| r.note = Some("haemolysed".into())),
            ("codes", |r| r.codes.push(ReportedCode::loinc("11580-8"))),
            ("facts", |r| r.facts.cycle_day = Some(21)),
            ("range", |r| {
                r.reference_range = Some(ReferenceRange::default())
            }),
        ];
        for (what, change) in changes {
            let mut changed = tsh();
            change(&mut changed);
            assert_ne!(changed.fingerprint(), fp, "{what}");
        }
    }

    #[test]
    fn the_fingerprint_is_fixed_across_releases() {
        // The digest the lab feeds have stored since their first release: if this fails, the
        // canonical form changed and every lab retry would become a new version. Bump "v" instead.
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

    #[test]
    fn the_first_loinc_code_is_the_stored_one() {
        let mut v = tsh();
        v.codes.insert(
            0,
            ReportedCode {
                system: "L".into(),
                code: "TSH".into(),
            },
        );
        assert_eq!(v.loinc(), Some("3016-3"));
        v.codes.clear();
        assert_eq!(v.loinc(), None);
    }
}
