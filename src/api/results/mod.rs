//! `/v1/patients/{id}/results`: investigation results. A result is never overwritten: a
//! correction is a new version and every earlier version stays readable.

mod handlers;
mod views;

pub use handlers::*;
pub use views::*;

use crate::api::error::{ApiError, FieldError};
use crate::domain::catalogue::TestCode;
use crate::domain::result::{ResultStatus, Subject};
use crate::domain::value_check::{check_result_dates, check_value};
use crate::storage::results::ResultVersionRow;

/// Who records a report, and the clinic's today (the last collection date not in the future).
pub struct Recording<'a> {
    pub by: &'a str,
    pub today: chrono::NaiveDate,
}

/// Checks a report's meaning for `test` and builds its version row; problems go to `errors`.
pub fn version_row(
    result_id: &str,
    version: i32,
    test: TestCode,
    loinc: Option<String>,
    report: &ResultReport,
    Recording { by, today }: Recording<'_>,
    errors: &mut Vec<FieldError>,
) -> ResultVersionRow {
    for p in check_value(test, &report.value, report.modality) {
        let field = if p.field == "modality" {
            "modality".to_owned()
        } else {
            format!("value.{}", p.field)
        };
        errors.push(FieldError::new(field, p.message));
    }
    check_timing(report, errors);
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
    let range = report.reference_range.clone().unwrap_or_default();
    let mut row = ResultVersionRow {
        result_id: result_id.to_owned(),
        version,
        status: report
            .status
            .unwrap_or(ResultStatus::Final)
            .as_str()
            .to_owned(),
        loinc,
        value_quantity: report.value.quantity,
        value_unit: report.value.unit.clone(),
        value_finding: report.value.finding.clone(),
        value_text: report.value.text.clone(),
        interpretation: report.interpretation.map(|i| i.as_str().to_owned()),
        reference_low: range.low,
        reference_high: range.high,
        reference_unit: range.unit,
        modality: report.modality.map(|m| m.as_str().to_owned()),
        collected_on: report.collected_on,
        reported_at: report.reported_at.map(|t| t.naive_utc()),
        on_anticoagulation: report.on_anticoagulation.unwrap_or(false),
        note: report.note.clone(),
        content_hash: String::new(),
        recorded_by: by.to_owned(),
        recorded_at: crate::storage::now(),
        cycle_day: report.cycle_day.map(i32::from),
        days_before_menses: report.days_before_menses.map(i32::from),
        partner_mrn: report.partner_mrn.clone(),
    };
    row.content_hash = row.fingerprint();
    row
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
