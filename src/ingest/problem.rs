//! A problem with what a lab sent, located in the feed's own terms. Every feed reports through
//! this one type; FHIR renders it as an `OperationOutcome` issue, HL7 as an `ERR` segment, JSON as a
//! field error.

use serde::Serialize;

use super::incoming::IncomingResult;
use crate::domain::catalogue::TestCode;
use crate::domain::result::{Modality, ResultStatus, ResultValue};
use crate::domain::value_check::check_value;

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The input (or, for a FHIR batch, the entry) is refused.
    Error,
    /// Accepted, but reported back (e.g. an unmapped code, an unknown interpretation flag).
    Warning,
}

/// What kind of problem, so each feed can pick its own code for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// Not JSON / not HL7 / the wrong shape. FHIR `structure`, HL7 100.
    Structure,
    /// A required element is missing. FHIR `required`, HL7 101.
    Required,
    /// A value of the wrong type or format. FHIR `value`, HL7 102.
    Invalid,
    /// A code outside the table it must come from. FHIR `code-invalid`, HL7 103.
    CodeInvalid,
    /// A resource, message type, bundle type or method we do not take. FHIR `not-supported`, HL7 200.
    NotSupported,
    /// The HL7 version is not one we take. FHIR `not-supported`, HL7 203.
    UnsupportedVersion,
    /// The lab's test code maps to no catalogue test: stored unmapped. FHIR `code-invalid`, HL7 103.
    Unmapped,
    /// No patient with this MRN (the HTTP layer's finding). FHIR `not-found`, HL7 204.
    UnknownPatient,
    /// A message key (HL7 MSH-3|MSH-4|MSH-10) the lab used before for another message. FHIR
    /// `duplicate`, HL7 205.
    DuplicateKey,
}

/// One problem, at one place in the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedProblem {
    pub severity: Severity,
    pub kind: ProblemKind,
    /// Where, in the feed's terms: `Bundle.entry[3].resource.status`, `OBX^3^5`,
    /// `results[2].value.quantity`.
    pub location: String,
    pub message: String,
}

impl FeedProblem {
    /// An error (the input is refused).
    pub fn error(
        kind: ProblemKind,
        location: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            severity: Severity::Error,
            kind,
            location: location.into(),
            message: message.into(),
        }
    }

    /// A warning (accepted, reported back).
    pub fn warning(
        kind: ProblemKind,
        location: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(kind, location, message)
        }
    }

    /// Whether this refuses the input.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Whether any problem in the list is an error.
pub fn has_errors(problems: &[FeedProblem]) -> bool {
    problems.iter().any(FeedProblem::is_error)
}

/// Runs the shared value check (`domain::value_check`) and locates each problem with `locate`,
/// which turns the checker's field (`quantity`, `finding`, `text`, `modality`) into the feed's path.
pub fn check_value_at(
    test: TestCode,
    value: &ResultValue,
    modality: Option<Modality>,
    locate: impl Fn(&str) -> String,
) -> Vec<FeedProblem> {
    check_value(test, value, modality)
        .into_iter()
        .map(|p| {
            let kind = match p.field {
                // A finding outside the test's list is a code problem; a finding for a test
                // that takes none is a value of the wrong type.
                "finding" if value.finding.is_some() && !test.entry().findings.is_empty() => {
                    ProblemKind::CodeInvalid
                }
                "modality" if modality.is_none() => ProblemKind::Required,
                "modality" => ProblemKind::NotSupported,
                _ if value.quantity.is_none() && value.finding.is_none() => ProblemKind::Required,
                _ => ProblemKind::Invalid,
            };
            FeedProblem::error(kind, locate(p.field), p.message)
        })
        .collect()
}

/// The shared value check for a mapped result. Nothing to check for an unmapped result, a cancelled
/// or entered-in-error one (no value is expected), or a preliminary one without a value yet.
pub fn check_result_value(r: &IncomingResult, locate: impl Fn(&str) -> String) -> Vec<FeedProblem> {
    let Some(test) = r.test else {
        return Vec::new();
    };
    let no_value = r.value == ResultValue::default();
    match r.status {
        ResultStatus::Cancelled | ResultStatus::EnteredInError => Vec::new(),
        ResultStatus::Preliminary if no_value => Vec::new(),
        _ => check_value_at(test, &r.value, r.modality, locate),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_problems_are_located_in_the_feeds_own_terms() {
        let positive = ResultValue {
            finding: Some("positive".into()),
            ..Default::default()
        };
        let problems = check_value_at(TestCode::Tsh, &positive, None, |f| format!("OBX^2^5 ({f})"));
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].location, "OBX^2^5 (finding)");
        assert!(problems[0].is_error());

        let septate = ResultValue {
            finding: Some("septate".into()),
            ..Default::default()
        };
        let problems = check_value_at(TestCode::UterineImaging, &septate, None, |f| {
            format!("results[0].{f}")
        });
        assert_eq!(problems[0].location, "results[0].modality");
        assert_eq!(problems[0].kind, ProblemKind::Required);
    }

    #[test]
    fn warnings_do_not_count_as_errors() {
        let w = FeedProblem::warning(ProblemKind::Unmapped, "x", "unmapped");
        assert!(!has_errors(std::slice::from_ref(&w)));
        assert!(has_errors(&[
            w,
            FeedProblem::error(ProblemKind::Invalid, "y", "bad")
        ]));
    }
}
