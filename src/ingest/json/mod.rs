//! `POST /v1/lab/results`: a lab posts results by patient MRN in our own JSON. The request types
//! carry serde + validator + utoipa derives (shape); [`LabResultsRequest::into_incoming`] checks
//! meaning (codes, values) with paths like `results[2].value.quantity`.

mod convert;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::domain::catalogue::TestCode;
use crate::domain::result::{
    Interpretation, Modality, ReferenceRange, ResultStatus, ResultValue, Subject,
};

pub use convert::ParsedLabResults;

/// Results for one patient, identified by the clinic's MRN.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LabResultsRequest {
    /// The patient's medical record number in this clinic.
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64, example = "MRN-0042")]
    pub mrn: String,
    /// One to 200 results.
    #[validate(nested, length(min = 1, max = 200))]
    #[schema(min_items = 1, max_items = 200)]
    pub results: Vec<LabResultInput>,
}

/// One result. Give `test` (a catalogue code), `loinc`, or both (they must agree). An unknown
/// LOINC code is accepted and stored unmapped, and reported back.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LabResultInput {
    /// The lab's id for this result. The same accession again is the same result (a retry, or with
    /// a changed body and status `corrected`/`amended`, a new version).
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "ACC-2025-000187")]
    pub accession: String,
    /// The catalogue test.
    #[serde(default)]
    pub test: Option<TestCode>,
    /// The LOINC code, e.g. `3181-5`.
    #[validate(length(min = 3, max = 10))]
    #[schema(min_length = 3, max_length = 10, example = "3181-5")]
    #[serde(default)]
    pub loinc: Option<String>,
    /// Whose sample; `patient` when absent.
    #[serde(default)]
    pub subject: Option<Subject>,
    /// The value; empty only for `cancelled`, `entered_in_error` or a preliminary without a value.
    #[serde(default)]
    pub value: ResultValue,
    /// The lab's flag.
    #[serde(default)]
    pub interpretation: Option<Interpretation>,
    #[serde(default)]
    pub reference_range: Option<ReferenceRange>,
    pub status: ResultStatus,
    /// The date the sample was collected.
    #[serde(default)]
    pub collected_on: Option<NaiveDate>,
    /// When the lab reported it.
    #[serde(default)]
    pub reported_at: Option<DateTime<Utc>>,
    /// Required for `uterine_imaging`, refused for anything else.
    #[serde(default)]
    pub modality: Option<Modality>,
    /// The sample was drawn during anticoagulant therapy (a lupus anticoagulant then does not count).
    #[serde(default)]
    pub on_anticoagulation: bool,
    /// The lab's comment.
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    #[serde(default)]
    pub note: Option<String>,
    /// Day of the menstrual cycle the sample was drawn on (a progesterone is mid-luteal on days
    /// 18–24; clinical-rules.md §6.7).
    #[validate(range(min = 1, max = 60))]
    #[schema(minimum = 1, maximum = 60)]
    #[serde(default)]
    pub cycle_day: Option<u8>,
    /// Days from the sample to the next menses (mid-luteal: 5–9).
    #[validate(range(max = 60))]
    #[schema(maximum = 60)]
    #[serde(default)]
    pub days_before_menses: Option<u8>,
    /// The partner's MRN on a partner sample (default: the patient's current partner, §6.5).
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    #[serde(default)]
    pub partner_mrn: Option<String>,
}

#[cfg(test)]
mod tests;
