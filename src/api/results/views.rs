//! Request and response bodies of `/v1/patients/{id}/results`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::domain::catalogue::TestCode;
use crate::domain::result::{
    Interpretation, Modality, ReferenceRange, ResultStatus, ResultValue, Subject,
};
use crate::storage::results::{ResultRow, ResultVersionRow};

// The report fields are spelled out in both request types rather than `#[serde(flatten)]`ed:
// flatten makes serde lose the path of a bad field, and every error must name it.

/// A result as a clinician records it (labs use the lab feeds).
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateResult {
    /// Test code from the catalogue (`GET /v1/tests`).
    pub test: TestCode,
    /// Whose sample (default `patient`; `partner` for sperm DNA fragmentation).
    pub subject: Option<Subject>,
    /// The pregnancy the tissue came from (tissue results).
    #[schema(format = Uuid)]
    pub pregnancy_id: Option<uuid::Uuid>,
    /// LOINC code, if known; must belong to `test`.
    #[validate(length(min = 3, max = 16))]
    #[schema(min_length = 3, max_length = 16, example = "3181-5")]
    pub loinc: Option<String>,
    /// Where the result came from (free text, default `clinician`).
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub source: Option<String>,
    /// `{"quantity": 52.0, "unit": "[GPL'U]/mL"}`, `{"finding": "septate"}`, or for a karyotype
    /// `{"finding": "balanced_rearrangement", "text": "46,XX,t(11;22)(q23;q11.2)"}`.
    #[validate(custom(function = "check_value_lengths"))]
    pub value: ResultValue,
    /// The lab's flag; without one the profile's thresholds are applied.
    pub interpretation: Option<Interpretation>,
    pub reference_range: Option<ReferenceRange>,
    /// Imaging modality (uterine imaging only).
    pub modality: Option<Modality>,
    /// Date the sample was taken (or the study done).
    pub collected_on: Option<NaiveDate>,
    pub reported_at: Option<DateTime<Utc>>,
    /// Default `final` (`corrected` for a new version).
    pub status: Option<ResultStatus>,
    /// Lupus anticoagulant drawn during anticoagulant therapy (then it does not count).
    pub on_anticoagulation: Option<bool>,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
    /// Day of the menstrual cycle the sample was drawn on (day 1 = first day of menses): a
    /// progesterone counts as mid-luteal on days 18–24 (clinical-rules.md §6.7).
    #[schema(minimum = 1, maximum = 60)]
    pub cycle_day: Option<u8>,
    /// Days from the sample to the next menses (mid-luteal: 5–9).
    #[schema(minimum = 0, maximum = 60)]
    pub days_before_menses: Option<u8>,
    /// The partner's MRN on a partner sample (default: the current partner, §6.5).
    #[schema(max_length = 64)]
    pub partner_mrn: Option<String>,
}

/// A correction (or amendment, retraction, cancellation) of a result: a new version.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectResult {
    /// `{"quantity": 52.0, "unit": "[GPL'U]/mL"}`, `{"finding": "septate"}`, or for a karyotype
    /// `{"finding": "balanced_rearrangement", "text": "46,XX,t(11;22)(q23;q11.2)"}`.
    #[validate(custom(function = "check_value_lengths"))]
    pub value: ResultValue,
    /// The lab's flag; without one the profile's thresholds are applied.
    pub interpretation: Option<Interpretation>,
    pub reference_range: Option<ReferenceRange>,
    /// Imaging modality (uterine imaging only).
    pub modality: Option<Modality>,
    /// Date the sample was taken (or the study done).
    pub collected_on: Option<NaiveDate>,
    pub reported_at: Option<DateTime<Utc>>,
    /// Default `final` (`corrected` for a new version).
    pub status: Option<ResultStatus>,
    /// Lupus anticoagulant drawn during anticoagulant therapy (then it does not count).
    pub on_anticoagulation: Option<bool>,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
    /// Day of the menstrual cycle the sample was drawn on (day 1 = first day of menses): a
    /// progesterone counts as mid-luteal on days 18–24 (clinical-rules.md §6.7).
    #[schema(minimum = 1, maximum = 60)]
    pub cycle_day: Option<u8>,
    /// Days from the sample to the next menses (mid-luteal: 5–9).
    #[schema(minimum = 0, maximum = 60)]
    pub days_before_menses: Option<u8>,
    /// The partner's MRN on a partner sample (default: the current partner, §6.5).
    #[schema(max_length = 64)]
    pub partner_mrn: Option<String>,
}

/// What one version of a result says.
#[derive(Debug, Clone)]
pub struct ResultReport {
    pub value: ResultValue,
    pub interpretation: Option<Interpretation>,
    pub reference_range: Option<ReferenceRange>,
    pub modality: Option<Modality>,
    pub collected_on: Option<NaiveDate>,
    pub reported_at: Option<DateTime<Utc>>,
    pub status: Option<ResultStatus>,
    pub on_anticoagulation: Option<bool>,
    pub note: Option<String>,
    pub cycle_day: Option<u8>,
    pub days_before_menses: Option<u8>,
    pub partner_mrn: Option<String>,
}

macro_rules! report_of {
    ($t:ty) => {
        impl $t {
            pub fn report(&self) -> ResultReport {
                ResultReport {
                    value: self.value.clone(),
                    interpretation: self.interpretation,
                    reference_range: self.reference_range.clone(),
                    modality: self.modality,
                    collected_on: self.collected_on,
                    reported_at: self.reported_at,
                    status: self.status,
                    on_anticoagulation: self.on_anticoagulation,
                    note: self.note.clone(),
                    cycle_day: self.cycle_day,
                    days_before_menses: self.days_before_menses,
                    partner_mrn: self.partner_mrn.clone(),
                }
            }
        }
    };
}
report_of!(CreateResult);
report_of!(CorrectResult);

fn check_value_lengths(value: &ResultValue) -> Result<(), validator::ValidationError> {
    let too_long =
        |s: &Option<String>, max: usize| s.as_ref().is_some_and(|s| s.chars().count() > max);
    if too_long(&value.unit, 32) || too_long(&value.finding, 64) || too_long(&value.text, 2000) {
        let mut e = validator::ValidationError::new("length");
        e.message = Some("unit ≤ 32, finding ≤ 64, text ≤ 2000 characters".into());
        return Err(e);
    }
    Ok(())
}

/// One version of a result.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResultVersionView {
    pub version: i32,
    pub status: String,
    pub loinc: Option<String>,
    pub value: ResultValue,
    pub interpretation: Option<String>,
    pub reference_range: Option<ReferenceRange>,
    pub modality: Option<String>,
    pub collected_on: Option<NaiveDate>,
    pub reported_at: Option<DateTime<Utc>>,
    pub on_anticoagulation: bool,
    pub note: Option<String>,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
    /// Cycle timing of the sample (clinical-rules.md §6.7).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cycle_day: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_before_menses: Option<i32>,
    /// The partner's MRN on a partner sample (§6.5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner_mrn: Option<String>,
}

impl From<ResultVersionRow> for ResultVersionView {
    fn from(v: ResultVersionRow) -> Self {
        let reference_range =
            (v.reference_low.is_some() || v.reference_high.is_some()).then_some(ReferenceRange {
                low: v.reference_low,
                high: v.reference_high,
                unit: v.reference_unit,
            });
        ResultVersionView {
            version: v.version,
            status: v.status,
            loinc: v.loinc,
            value: ResultValue {
                quantity: v.value_quantity,
                unit: v.value_unit,
                finding: v.value_finding,
                text: v.value_text,
            },
            interpretation: v.interpretation,
            reference_range,
            modality: v.modality,
            collected_on: v.collected_on,
            reported_at: v.reported_at.map(|t| t.and_utc()),
            on_anticoagulation: v.on_anticoagulation,
            note: v.note,
            recorded_at: v.recorded_at.and_utc(),
            recorded_by: v.recorded_by,
            cycle_day: v.cycle_day,
            days_before_menses: v.days_before_menses,
            partner_mrn: v.partner_mrn,
        }
    }
}

/// A result: its identity and its latest version (and, when read alone, every version).
#[derive(Debug, Serialize, ToSchema)]
pub struct ResultView {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub patient_id: String,
    pub test: String,
    pub subject: String,
    pub pregnancy_id: Option<String>,
    pub source: String,
    /// The lab's accession (lab feeds).
    pub accession: Option<String>,
    /// The version that speaks for the result now: the latest, except that a preliminary received
    /// after a final never downgrades it.
    #[serde(flatten)]
    pub latest: ResultVersionView,
    /// Every version, oldest first (single-result reads only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub versions: Option<Vec<ResultVersionView>>,
}

impl ResultView {
    pub fn new(row: ResultRow, mut versions: Vec<ResultVersionRow>, with_history: bool) -> Self {
        versions.sort_by_key(|v| v.version);
        let current = current_version(&versions).map(|v| ResultVersionView::from(v.clone()));
        let history =
            with_history.then(|| versions.into_iter().map(ResultVersionView::from).collect());
        ResultView {
            id: row.id.to_string(),
            patient_id: row.patient_id.to_string(),
            test: row.test,
            subject: row.subject,
            pregnancy_id: row.pregnancy_id.map(|p| p.to_string()),
            source: row.source,
            accession: row.accession,
            latest: current.expect("a result always has a version"),
            versions: history,
        }
    }
}

/// The version that counts, by the domain's rule.
fn current_version(versions: &[ResultVersionRow]) -> Option<&ResultVersionRow> {
    let statuses = versions.iter().map(|v| {
        let status = ResultStatus::parse(&v.status).unwrap_or(ResultStatus::Final);
        (u32::try_from(v.version).unwrap_or(0), status)
    });
    versions.get(crate::domain::result::effective_index(statuses)?)
}
