//! `OperationOutcome`: how FHIR problems (and warnings such as unmapped codes) are answered.

use serde::{Deserialize, Serialize};

use crate::ingest::problem::{FeedProblem, ProblemKind, Severity};

/// One `OperationOutcome.issue`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeIssue {
    /// `fatal` | `error` | `warning` | `information`
    pub severity: String,
    /// A code from the FHIR IssueType value set (`structure`, `required`, `value`, …).
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnostics: Option<String>,
    /// FHIRPath of the element concerned (`Bundle.entry[3].resource.valueQuantity.value`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expression: Vec<String>,
}

/// A FHIR `OperationOutcome`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationOutcome {
    pub resource_type: String,
    pub issue: Vec<OutcomeIssue>,
}

/// The FHIR IssueType code for a kind of problem.
pub fn issue_code(kind: ProblemKind) -> &'static str {
    match kind {
        ProblemKind::Structure => "structure",
        ProblemKind::Required => "required",
        ProblemKind::Invalid => "value",
        ProblemKind::CodeInvalid | ProblemKind::Unmapped => "code-invalid",
        ProblemKind::NotSupported | ProblemKind::UnsupportedVersion => "not-supported",
        ProblemKind::UnknownPatient => "not-found",
        ProblemKind::DuplicateKey => "duplicate",
    }
}

impl From<&FeedProblem> for OutcomeIssue {
    fn from(p: &FeedProblem) -> Self {
        OutcomeIssue {
            severity: match p.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            }
            .to_owned(),
            code: issue_code(p.kind).to_owned(),
            diagnostics: Some(p.message.clone()),
            expression: if p.location.is_empty() {
                Vec::new()
            } else {
                vec![p.location.clone()]
            },
        }
    }
}

impl OperationOutcome {
    /// An outcome listing `problems`; with none, one `information` issue saying all is well
    /// (FHIR requires at least one issue).
    pub fn from_problems(problems: &[FeedProblem]) -> Self {
        let mut issue: Vec<OutcomeIssue> = problems.iter().map(OutcomeIssue::from).collect();
        if issue.is_empty() {
            issue.push(OutcomeIssue {
                severity: "information".to_owned(),
                code: "informational".to_owned(),
                diagnostics: Some("all OK".to_owned()),
                expression: Vec::new(),
            });
        }
        OperationOutcome {
            resource_type: "OperationOutcome".to_owned(),
            issue,
        }
    }

    /// Whether any issue is an error (or fatal).
    pub fn has_errors(&self) -> bool {
        self.issue
            .iter()
            .any(|i| i.severity == "error" || i.severity == "fatal")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outcome_carries_severity_code_diagnostics_and_expression() {
        let outcome = OperationOutcome::from_problems(&[
            FeedProblem::error(
                ProblemKind::Invalid,
                "Bundle.entry[3].resource.valueQuantity.value",
                "invalid type: string \"high\", expected f64",
            ),
            FeedProblem::warning(
                ProblemKind::Unmapped,
                "Observation.code",
                "not in catalogue",
            ),
        ]);
        let json = serde_json::to_value(&outcome).unwrap();
        assert_eq!(json["resourceType"], "OperationOutcome");
        assert_eq!(json["issue"][0]["severity"], "error");
        assert_eq!(json["issue"][0]["code"], "value");
        assert_eq!(
            json["issue"][0]["expression"][0],
            "Bundle.entry[3].resource.valueQuantity.value"
        );
        assert_eq!(json["issue"][1]["severity"], "warning");
        assert_eq!(json["issue"][1]["code"], "code-invalid");
        assert!(outcome.has_errors());
    }

    #[test]
    fn an_outcome_without_problems_still_has_one_issue() {
        let outcome = OperationOutcome::from_problems(&[]);
        assert_eq!(outcome.issue.len(), 1);
        assert_eq!(outcome.issue[0].severity, "information");
        assert!(!outcome.has_errors());
    }
}
