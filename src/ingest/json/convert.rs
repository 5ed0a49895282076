//! [`LabResultsRequest`] → [`IncomingResult`]s, checking what the derives cannot: which test the
//! codes name, duplicate accessions, reference ranges and the shared value check.

use std::collections::HashMap;

use super::{LabResultInput, LabResultsRequest};
use crate::domain::catalogue::TestCode;
use crate::domain::patient::Mrn;
use crate::domain::result::{SampleFacts, Subject};
use crate::ingest::codes::RPL_HL7_SYSTEM;
use crate::ingest::incoming::{IncomingResult, LabCode, LOINC_SYSTEM};
use crate::ingest::problem::{check_result_value, has_errors, FeedProblem, ProblemKind};

/// The results of a valid request, and warnings to report back (unmapped LOINC codes).
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedLabResults {
    pub results: Vec<IncomingResult>,
    pub warnings: Vec<FeedProblem>,
}

/// `1234-5`: digits, a dash, one check digit.
fn looks_like_loinc(s: &str) -> bool {
    s.split_once('-').is_some_and(|(num, check)| {
        (1..=7).contains(&num.len())
            && num.bytes().all(|b| b.is_ascii_digit())
            && check.len() == 1
            && check.bytes().all(|b| b.is_ascii_digit())
    })
}

/// The test and the codes a result names, or problems at `at`.
fn test_of(
    input: &LabResultInput,
    at: &str,
    problems: &mut Vec<FeedProblem>,
) -> (Option<TestCode>, Vec<LabCode>) {
    let mut codes = Vec::new();
    let loinc = input.loinc.as_deref().map(str::trim);
    if let Some(l) = loinc {
        if !looks_like_loinc(l) {
            problems.push(FeedProblem::error(
                ProblemKind::Invalid,
                format!("{at}.loinc"),
                "is not a LOINC code (e.g. 3016-3)",
            ));
            return (None, codes);
        }
        codes.push(LabCode::new(LOINC_SYSTEM, l, None));
    }
    if let Some(t) = input.test {
        codes.push(LabCode::new(RPL_HL7_SYSTEM, t.as_str(), None));
    }
    let by_loinc = loinc.and_then(TestCode::from_loinc);
    match (input.test, loinc, by_loinc) {
        (None, None, _) => problems.push(FeedProblem::error(
            ProblemKind::Required,
            format!("{at}.test"),
            "give test (a catalogue code) or loinc",
        )),
        (Some(t), Some(l), Some(m)) if m != t => problems.push(FeedProblem::error(
            ProblemKind::Invalid,
            format!("{at}.loinc"),
            format!("{l} is {}, not {}", m.as_str(), t.as_str()),
        )),
        (None, Some(l), None) => problems.push(FeedProblem::warning(
            ProblemKind::Unmapped,
            format!("{at}.loinc"),
            format!("LOINC {l} is not in the catalogue: stored unmapped"),
        )),
        _ => {}
    }
    (input.test.or(by_loinc), codes)
}

impl LabResultsRequest {
    /// The results this request carries, or every problem found (paths like
    /// `results[2].value.finding`). Run after the validator derives have passed.
    pub fn into_incoming(self) -> Result<ParsedLabResults, Vec<FeedProblem>> {
        let mut problems = Vec::new();
        let mrn = match Mrn::parse(&self.mrn) {
            Ok(m) => m.into_inner(),
            Err(e) => {
                problems.push(FeedProblem::error(ProblemKind::Invalid, "mrn", e));
                String::new()
            }
        };
        let mut seen: HashMap<(String, Option<TestCode>), usize> = HashMap::new();
        let mut results = Vec::new();
        for (i, input) in self.results.into_iter().enumerate() {
            let at = format!("results[{i}]");
            let (test, codes) = test_of(&input, &at, &mut problems);
            let accession = input.accession.trim().to_owned();
            if let Some(first) = seen.insert((accession.clone(), test), i) {
                problems.push(FeedProblem::error(
                    ProblemKind::Invalid,
                    format!("{at}.accession"),
                    format!("repeats results[{first}] (same accession and test)"),
                ));
            }
            if let Some(r) = &input.reference_range {
                if r.low.zip(r.high).is_some_and(|(low, high)| low > high) {
                    problems.push(FeedProblem::error(
                        ProblemKind::Invalid,
                        format!("{at}.reference_range"),
                        "low must not be above high",
                    ));
                }
            }
            let result = IncomingResult {
                mrn: mrn.clone(),
                mrn_system: None,
                accession,
                codes,
                test,
                subject: input.subject.unwrap_or(Subject::Patient),
                value: input.value,
                interpretation: input.interpretation,
                reference_range: input.reference_range,
                status: input.status,
                collected_on: input.collected_on,
                reported_at: input.reported_at,
                modality: input.modality,
                on_anticoagulation: input.on_anticoagulation,
                note: input.note.filter(|n| !n.trim().is_empty()),
                facts: SampleFacts {
                    cycle_day: input.cycle_day,
                    days_before_menses: input.days_before_menses,
                    partner_mrn: input.partner_mrn,
                },
            };
            problems.extend(check_result_value(&result, |field| match field {
                "modality" => format!("{at}.modality"),
                f => format!("{at}.value.{f}"),
            }));
            results.push(result);
        }
        if has_errors(&problems) {
            return Err(problems);
        }
        Ok(ParsedLabResults {
            results,
            warnings: problems,
        })
    }
}
