//! The feed-neutral result: what one FHIR Observation, one HL7 OBX or one JSON result said, before
//! storage finds the patient by MRN. Also the code resolution every feed shares.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::codes::is_rpl_system;
use crate::domain::catalogue::TestCode;
use crate::domain::new_result::{NewResultVersion, ReportedCode};
use crate::domain::result::{
    Interpretation, Modality, ReferenceRange, ResultStatus, ResultValue, SampleFacts, Subject,
};

/// The LOINC code system, as FHIR names it. HL7 v2's `LN` is normalised to this.
pub use crate::domain::new_result::LOINC_SYSTEM;

/// A code the lab used for the test (or for a coded answer), in the lab's own system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabCode {
    /// `http://loinc.org` for LOINC (from any feed); otherwise as the feed said it (a FHIR system
    /// URI, an HL7 coding system such as `L` or `99LAB`), empty when the feed gave none.
    pub system: String,
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

impl LabCode {
    /// A code; `display` is dropped when blank.
    pub fn new(system: impl Into<String>, code: impl Into<String>, display: Option<&str>) -> Self {
        Self {
            system: system.into(),
            code: code.into(),
            display: display
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(str::to_owned),
        }
    }

    /// Whether this is a LOINC code.
    pub fn is_loinc(&self) -> bool {
        self.system == LOINC_SYSTEM
    }
}

/// Maps a clinic's local code (`system`, `code`) to a catalogue test. Per-clinic code maps live in
/// the database; the HTTP layer loads them and passes a closure.
pub type CodeResolver<'a> = &'a dyn Fn(&str, &str) -> Option<TestCode>;

/// A resolver that knows no local codes (only LOINC maps).
pub fn no_local_codes(_system: &str, _code: &str) -> Option<TestCode> {
    None
}

/// The test the codes name: the first LOINC code in the catalogue wins; then a code in our own
/// test system (`99RPL` / the RPL FHIR code system: `uterine_imaging` has no LOINC); then the first
/// code (any system, including a LOINC code the catalogue lacks) the clinic's resolver knows; else
/// `None` (unmapped: stored and reported, never dropped).
pub fn resolve_test(codes: &[LabCode], resolver: CodeResolver<'_>) -> Option<TestCode> {
    resolve_test_with(codes, &is_rpl_system, resolver)
}

/// [`resolve_test`], with `ours` deciding which systems are our own test codes (the FHIR feed:
/// the configured base or the deprecated alias).
pub fn resolve_test_with(
    codes: &[LabCode],
    ours: &dyn Fn(&str) -> bool,
    resolver: CodeResolver<'_>,
) -> Option<TestCode> {
    codes
        .iter()
        .filter(|c| c.is_loinc())
        .find_map(|c| TestCode::from_loinc(&c.code))
        .or_else(|| {
            codes
                .iter()
                .filter(|c| ours(&c.system))
                .find_map(|c| TestCode::parse(&c.code))
        })
        .or_else(|| codes.iter().find_map(|c| resolver(&c.system, &c.code)))
}

/// One result as a lab sent it, from any feed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncomingResult {
    /// The patient's medical record number in this clinic (never logged).
    pub mrn: String,
    /// The identifier system the feed gave with the MRN (FHIR `identifier.system`, HL7 PID-3.4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mrn_system: Option<String>,
    /// The lab's key for this result; the same accession again is the same result.
    pub accession: String,
    /// Every code the lab used for the test, in the order sent.
    pub codes: Vec<LabCode>,
    /// The catalogue test the codes map to; `None` = unmapped.
    pub test: Option<TestCode>,
    pub subject: Subject,
    pub value: ResultValue,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interpretation: Option<Interpretation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_range: Option<ReferenceRange>,
    pub status: ResultStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collected_on: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reported_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modality: Option<Modality>,
    /// The sample was drawn during anticoagulant therapy, as the feed stated explicitly.
    pub on_anticoagulation: bool,
    /// The lab's comment (FHIR `note`, HL7 NTE after the OBX, JSON `note`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Cycle timing and partner of the sample (clinical-rules.md §6; the JSON feed carries them).
    #[serde(skip_serializing_if = "SampleFacts::is_empty")]
    pub facts: SampleFacts,
}

impl IncomingResult {
    /// The first LOINC code sent, if any (storage keeps it beside the result).
    pub fn loinc(&self) -> Option<&str> {
        self.codes
            .iter()
            .find(|c| c.is_loinc())
            .map(|c| c.code.as_str())
    }

    /// What the result says, as a version to record: `None` when unmapped (no catalogue test).
    /// The fingerprint of a stored lab result is this version's.
    pub fn version(&self) -> Option<NewResultVersion> {
        Some(NewResultVersion {
            test: self.test?,
            subject: self.subject,
            codes: self
                .codes
                .iter()
                .map(|c| ReportedCode {
                    system: c.system.clone(),
                    code: c.code.clone(),
                })
                .collect(),
            status: self.status,
            value: self.value.clone(),
            interpretation: self.interpretation,
            reference_range: self.reference_range.clone(),
            modality: self.modality,
            collected_on: self.collected_on,
            reported_at: self.reported_at,
            on_anticoagulation: self.on_anticoagulation,
            note: self.note.clone(),
            facts: self.facts.clone(),
        })
    }

    /// The first code sent, for reporting an unmapped result back (`system|code`).
    pub fn code_label(&self) -> String {
        self.codes
            .first()
            .map(|c| format!("{}|{}", c.system, c.code))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loinc(code: &str) -> LabCode {
        LabCode::new(LOINC_SYSTEM, code, None)
    }

    #[test]
    fn resolution_prefers_a_catalogue_loinc_then_asks_the_clinic_resolver() {
        let local = |system: &str, code: &str| {
            (system == "L" && code == "ACLG").then_some(TestCode::AnticardiolipinIgg)
        };
        let cases: Vec<(&str, Vec<LabCode>, Option<TestCode>)> = vec![
            (
                "catalogue LOINC",
                vec![loinc("3016-3")],
                Some(TestCode::Tsh),
            ),
            (
                "local code first, LOINC still wins",
                vec![LabCode::new("L", "ACLG", None), loinc("3016-3")],
                Some(TestCode::Tsh),
            ),
            (
                "unknown LOINC falls back to the local code",
                vec![loinc("99999-9"), LabCode::new("L", "ACLG", None)],
                Some(TestCode::AnticardiolipinIgg),
            ),
            (
                "unknown LOINC alone is unmapped",
                vec![loinc("99999-9")],
                None,
            ),
            (
                "our own test code",
                vec![LabCode::new("99RPL", "uterine_imaging", None)],
                Some(TestCode::UterineImaging),
            ),
            ("no codes", vec![], None),
        ];
        for (case, codes, expected) in cases {
            assert_eq!(resolve_test(&codes, &local), expected, "{case}");
        }
        assert_eq!(
            resolve_test(&[loinc("3016-3")], &no_local_codes),
            Some(TestCode::Tsh)
        );
    }

    #[test]
    fn a_result_keeps_the_fingerprint_its_feed_stored_before_the_one_write_path() {
        use crate::domain::result::{ResultStatus, ResultValue, Subject};
        use chrono::TimeZone;
        // Display texts, the accession, the MRN and the report time are not content: a lab retry
        // of a result stored by an earlier release (this digest) must still be `unchanged`.
        let r = IncomingResult {
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
            collected_on: chrono::NaiveDate::from_ymd_opt(2025, 3, 4),
            reported_at: Some(chrono::Utc.with_ymd_and_hms(2025, 3, 5, 9, 0, 0).unwrap()),
            modality: None,
            on_anticoagulation: false,
            note: None,
            facts: Default::default(),
        };
        let version = r.version().expect("a mapped result");
        assert_eq!(
            version.fingerprint().as_str(),
            "eea5f4bd2bc9812e9b25e1ce42bb9b7aaea4eaf1a64e3a9f6c3ffa826eeecd51"
        );
        assert_eq!(version.loinc(), Some("3016-3"));
        let unmapped = IncomingResult { test: None, ..r };
        assert!(unmapped.version().is_none());
    }

    #[test]
    fn a_blank_display_is_dropped() {
        assert_eq!(LabCode::new("L", "X", Some("  ")).display, None);
        assert_eq!(
            LabCode::new("L", "X", Some(" TSH ")).display.as_deref(),
            Some("TSH")
        );
    }
}
