//! One FHIR `Observation` → one [`IncomingResult`]. Every problem carries the FHIR path of the
//! element (`Observation.status`, `Bundle.entry[3].resource.valueQuantity.value`), and all of them
//! are collected, not just the first.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::facts::map_facts;
use super::model::Observation;
use super::outcome::OperationOutcome;
use super::value::{
    date_of, is_partner, map_interpretation, map_range, map_value, modality, status,
};
use super::{EXT_ANTICOAGULATION, EXT_SUBJECT};
use crate::domain::result::Subject;
use crate::ingest::canon::Canon;
use crate::ingest::incoming::{resolve_test_with, CodeResolver, IncomingResult, LabCode};
use crate::ingest::limits::{note_too_long, note_too_long_message};
use crate::ingest::problem::{check_result_value, has_errors, FeedProblem, ProblemKind};

/// A mapped Observation and the warnings to report back with it (unmapped code, unknown flag).
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedObservation {
    pub result: IncomingResult,
    pub warnings: Vec<FeedProblem>,
}

/// `POST /fhir/r4/Observation`: JSON bytes → a result, or the outcome to answer 400/422 with.
pub fn parse_observation(
    body: &[u8],
    canon: &Canon,
    resolver: CodeResolver<'_>,
) -> Result<ParsedObservation, OperationOutcome> {
    let mut value: Value = serde_json::from_slice(body).map_err(|e| {
        OperationOutcome::from_problems(&[FeedProblem::error(
            ProblemKind::Structure,
            "",
            format!("not JSON: {e}"),
        )])
    })?;
    refuse_control_characters(&mut value, "Observation")
        .map_err(|p| OperationOutcome::from_problems(&p))?;
    observation_from_value(value, "Observation", canon, resolver)
        .map_err(|p| OperationOutcome::from_problems(&p))
}

/// NFC-normalises the resource's text; refuses (one error per field) control characters.
pub fn refuse_control_characters(value: &mut Value, base: &str) -> Result<(), Vec<FeedProblem>> {
    let problems: Vec<FeedProblem> = crate::ingest::text::clean_json_text(value, base)
        .into_iter()
        .map(|p| FeedProblem::error(ProblemKind::Invalid, p.path, p.message))
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// A JSON value that should be an Observation, at FHIR path `base` (`Observation`,
/// `Bundle.entry[2].resource`). On failure, every problem found (errors and warnings).
pub fn observation_from_value(
    value: Value,
    base: &str,
    canon: &Canon,
    resolver: CodeResolver<'_>,
) -> Result<ParsedObservation, Vec<FeedProblem>> {
    match value.get("resourceType").and_then(Value::as_str) {
        Some("Observation") => {}
        Some(other) => {
            return Err(vec![FeedProblem::error(
                ProblemKind::NotSupported,
                base,
                format!("only Observation resources are accepted, not {other}"),
            )])
        }
        None => {
            return Err(vec![FeedProblem::error(
                ProblemKind::Required,
                format!("{base}.resourceType"),
                "resourceType is required (Observation)",
            )])
        }
    }
    let obs: Observation = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        vec![FeedProblem::error(
            ProblemKind::Invalid,
            format!("{base}.{path}"),
            message,
        )]
    })?;
    map_observation(&obs, base, canon, resolver)
}

/// A typed Observation → a result, at FHIR path `base`.
pub fn map_observation(
    obs: &Observation,
    base: &str,
    canon: &Canon,
    resolver: CodeResolver<'_>,
) -> Result<ParsedObservation, Vec<FeedProblem>> {
    let mut problems = Vec::new();
    let mut error = |kind, at: String, message: &str| {
        problems.push(FeedProblem::error(kind, at, message));
    };

    let status = match obs.status.as_deref() {
        None => {
            error(ProblemKind::Required, format!("{base}.status"), "status is required");
            None
        }
        Some(code) => status(code).or_else(|| {
            error(
                ProblemKind::CodeInvalid,
                format!("{base}.status"),
                "status must be registered, preliminary, final, amended, corrected, cancelled or entered-in-error",
            );
            None
        }),
    };

    let accession = obs
        .identifier
        .first()
        .and_then(|id| Some((id.system.as_deref().unwrap_or(""), id.value.as_deref()?)))
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(system, v)| format!("{system}|{}", v.trim()));
    if accession.is_none() {
        error(
            ProblemKind::Required,
            format!("{base}.identifier"),
            "the first identifier (system and value) is the lab's accession and is required",
        );
    }

    let patient = obs.subject.as_ref().and_then(|s| s.identifier.as_ref());
    let mrn = patient
        .and_then(|id| id.value.as_deref())
        .map(str::trim)
        .filter(|v| !v.is_empty());
    if mrn.is_none() {
        error(
            ProblemKind::Required,
            format!("{base}.subject.identifier"),
            "subject.identifier.value (the patient's MRN) is required; literal references are not resolved",
        );
    }

    let codes: Vec<LabCode> = obs
        .code
        .iter()
        .flat_map(|cc| cc.coding.iter())
        .filter_map(|c| {
            let code = c.code.as_deref()?.trim();
            let system = c.system.as_deref().unwrap_or("");
            (!code.is_empty()).then(|| LabCode::new(system, code, c.display.as_deref()))
        })
        .collect();
    if codes.is_empty() {
        error(
            ProblemKind::Required,
            format!("{base}.code.coding"),
            "at least one coding (LOINC preferred) is required",
        );
    }

    let mut subject = Subject::Patient;
    let mut on_anticoagulation = false;
    for (i, ext) in obs.extension.iter().enumerate() {
        let at = format!("{base}.extension[{i}]");
        if canon.is_extension(&ext.url, EXT_SUBJECT) {
            match ext.value_code.as_deref().and_then(Subject::parse) {
                Some(s) => subject = s,
                None => error(
                    ProblemKind::CodeInvalid,
                    format!("{at}.valueCode"),
                    "must be patient, partner or pregnancy_tissue",
                ),
            }
        } else if canon.is_extension(&ext.url, EXT_ANTICOAGULATION) {
            match ext.value_boolean {
                Some(b) => on_anticoagulation = b,
                None => error(
                    ProblemKind::Required,
                    format!("{at}.valueBoolean"),
                    "is required",
                ),
            }
        }
    }
    let has_subject_ext = obs
        .extension
        .iter()
        .any(|e| canon.is_extension(&e.url, EXT_SUBJECT));
    if !has_subject_ext && obs.focus.iter().any(is_partner) {
        subject = Subject::Partner;
    }

    let effective = obs
        .effective_date_time
        .as_deref()
        .map(|s| (s, "effectiveDateTime"))
        .or_else(|| {
            let start = obs.effective_period.as_ref()?.start.as_deref()?;
            Some((start, "effectivePeriod.start"))
        });
    let collected_on = effective.and_then(|(s, element)| {
        date_of(s).or_else(|| {
            error(
                ProblemKind::Invalid,
                format!("{base}.{element}"),
                "must be a FHIR dateTime with at least a full date (YYYY-MM-DD)",
            );
            None
        })
    });
    let reported_at = obs.issued.as_deref().and_then(|s| {
        let parsed = DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc));
        parsed.ok().or_else(|| {
            error(
                ProblemKind::Invalid,
                format!("{base}.issued"),
                "must be a FHIR instant (e.g. 2025-03-05T09:30:00Z)",
            );
            None
        })
    });

    let facts = map_facts(obs, base, canon, &mut problems);
    let mapped = map_value(obs, base, canon, &mut problems);
    let interpretation = map_interpretation(obs, base, &mut problems);
    let test = resolve_test_with(&codes, &|s| canon.is_ours(s), resolver);
    if test.is_none() && !codes.is_empty() {
        problems.push(FeedProblem::warning(
            ProblemKind::Unmapped,
            format!("{base}.code"),
            "no catalogue test for this code: stored unmapped",
        ));
    }
    let notes: Vec<&str> = obs.note.iter().filter_map(|n| n.text.as_deref()).collect();
    if note_too_long(&notes.join("\n")) {
        problems.push(FeedProblem::error(
            ProblemKind::Invalid,
            format!("{base}.note"),
            note_too_long_message(),
        ));
    }

    let (Some(status), Some(accession), Some(mrn), false) =
        (status, accession, mrn, has_errors(&problems))
    else {
        return Err(problems);
    };
    let result = IncomingResult {
        mrn: mrn.to_owned(),
        mrn_system: patient.and_then(|id| id.system.clone()),
        accession,
        codes,
        test,
        subject,
        value: mapped.value,
        interpretation,
        reference_range: map_range(&obs.reference_range),
        status,
        collected_on,
        reported_at,
        modality: modality(obs, canon),
        on_anticoagulation,
        note: (!notes.is_empty()).then(|| notes.join("\n")),
        facts,
    };
    let value_problems = check_result_value(&result, |field| match (field, mapped.element) {
        ("modality", _) => format!("{base}.method"),
        ("quantity", "valueQuantity") => format!("{base}.valueQuantity.value"),
        (_, element) => format!("{base}.{element}"),
    });
    problems.extend(value_problems);
    if has_errors(&problems) {
        return Err(problems);
    }
    Ok(ParsedObservation {
        result,
        warnings: problems,
    })
}
