//! `/v1/patients/{id}/results`: investigation results. A result is never overwritten: a
//! correction is a new version and every earlier version stays readable.

mod handlers;
mod views;

pub use handlers::*;
pub use views::*;

use crate::api::error::{ApiError, FieldError};
use crate::domain::catalogue::TestCode;
use crate::domain::new_result::{NewResultVersion, ReportedCode};
use crate::domain::result::{ResultStatus, SampleFacts, Subject};
use crate::domain::value_check::{check_result_dates, check_value};

/// Checks a report's meaning for `test` and builds the version it records. `today` is the
/// clinic's (the last collection date not in the future); `loinc` the code the clinician gave.
pub fn new_version(
    test: TestCode,
    subject: Subject,
    loinc: Option<&str>,
    report: &ResultReport,
    today: chrono::NaiveDate,
) -> Result<NewResultVersion, ApiError> {
    let mut errors = Vec::new();
    for p in check_value(test, &report.value, report.modality) {
        let field = if p.field == "modality" {
            "modality".to_owned()
        } else {
            format!("value.{}", p.field)
        };
        errors.push(FieldError::new(field, p.message));
    }
    check_timing(report, &mut errors);
    if report.collected_on.is_some_and(|d| d > today) {
        errors.push(FieldError::new("collected_on", "must not be in the future"));
    }
    for p in check_result_dates(report.collected_on, report.reported_at, chrono::Utc::now()) {
        errors.push(FieldError::new(p.field, p.message));
    }
    if let Some(range) = &report.reference_range {
        if let (Some(low), Some(high)) = (range.low, range.high) {
            if low > high {
                errors.push(FieldError::new(
                    "reference_range",
                    "low must not exceed high",
                ));
            }
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    Ok(NewResultVersion {
        test,
        subject,
        codes: loinc.map(ReportedCode::loinc).into_iter().collect(),
        status: report.status.unwrap_or(ResultStatus::Final),
        value: report.value.clone(),
        interpretation: report.interpretation,
        reference_range: report.reference_range.clone(),
        modality: report.modality,
        collected_on: report.collected_on,
        reported_at: report.reported_at,
        on_anticoagulation: report.on_anticoagulation.unwrap_or(false),
        note: report.note.clone(),
        facts: SampleFacts {
            cycle_day: report.cycle_day,
            days_before_menses: report.days_before_menses,
            partner_mrn: report.partner_mrn.clone(),
        },
    })
}

/// Which subjects a test may be recorded for (the rule is the domain's).
pub fn check_subject(test: TestCode, subject: Subject) -> Result<(), ApiError> {
    crate::domain::value_check::check_subject(test, subject)
        .map_err(|p| ApiError::field(p.field, p.message))
}

/// The v2 report fields (clinical-rules.md §6.5, §6.7): cycle timing in range, a partner MRN of
/// the right shape on a partner sample only.
fn check_timing(report: &ResultReport, errors: &mut Vec<FieldError>) {
    if report.cycle_day.is_some_and(|d| !(1..=60).contains(&d)) {
        errors.push(FieldError::new("cycle_day", "must be between 1 and 60"));
    }
    if report.days_before_menses.is_some_and(|d| d > 60) {
        errors.push(FieldError::new(
            "days_before_menses",
            "must be between 0 and 60",
        ));
    }
    if let Some(mrn) = &report.partner_mrn {
        if let Err(m) = crate::domain::patient::Mrn::parse(mrn) {
            errors.push(FieldError::new("partner_mrn", m));
        }
    }
}
