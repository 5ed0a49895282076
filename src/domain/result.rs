//! Investigation results and their versions. A result is never overwritten: a correction is a new
//! version, and which version counts is a domain rule (below). Pure: no actix, no diesel.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::catalogue::TestCode;
use super::ids::{PregnancyId, ResultId};

/// Whose sample the result is from.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    Patient,
    Partner,
    PregnancyTissue,
}

impl Subject {
    pub fn as_str(self) -> &'static str {
        match self {
            Subject::Patient => "patient",
            Subject::Partner => "partner",
            Subject::PregnancyTissue => "pregnancy_tissue",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Subject::Patient, Subject::Partner, Subject::PregnancyTissue]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// The status of one version of a result (FHIR Observation.status, narrowed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResultStatus {
    /// Ordered / registered / preliminary: the item is pending.
    Preliminary,
    Final,
    Amended,
    Corrected,
    /// The test was cancelled: the result does not count and the item stays outstanding.
    Cancelled,
    /// Retracted: the result is ignored.
    EnteredInError,
}

impl ResultStatus {
    pub const ALL: [ResultStatus; 6] = [
        ResultStatus::Preliminary,
        ResultStatus::Final,
        ResultStatus::Amended,
        ResultStatus::Corrected,
        ResultStatus::Cancelled,
        ResultStatus::EnteredInError,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ResultStatus::Preliminary => "preliminary",
            ResultStatus::Final => "final",
            ResultStatus::Amended => "amended",
            ResultStatus::Corrected => "corrected",
            ResultStatus::Cancelled => "cancelled",
            ResultStatus::EnteredInError => "entered_in_error",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
    /// final, amended or corrected: the result counts.
    pub fn is_final_like(self) -> bool {
        matches!(
            self,
            ResultStatus::Final | ResultStatus::Amended | ResultStatus::Corrected
        )
    }
}

/// The lab's own flag on a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Interpretation {
    Normal,
    Abnormal,
    Positive,
    Negative,
    High,
    Low,
    Indeterminate,
}

impl Interpretation {
    pub const ALL: [Interpretation; 7] = [
        Interpretation::Normal,
        Interpretation::Abnormal,
        Interpretation::Positive,
        Interpretation::Negative,
        Interpretation::High,
        Interpretation::Low,
        Interpretation::Indeterminate,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Interpretation::Normal => "normal",
            Interpretation::Abnormal => "abnormal",
            Interpretation::Positive => "positive",
            Interpretation::Negative => "negative",
            Interpretation::High => "high",
            Interpretation::Low => "low",
            Interpretation::Indeterminate => "indeterminate",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// Imaging modality of a uterine study.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum Modality {
    #[serde(rename = "3d_tvus")]
    Tvus3d,
    #[serde(rename = "2d_tvus")]
    Tvus2d,
    #[serde(rename = "shg")]
    Shg,
    #[serde(rename = "hsg")]
    Hsg,
    #[serde(rename = "hysteroscopy")]
    Hysteroscopy,
    #[serde(rename = "mri")]
    Mri,
}

impl Modality {
    pub const ALL: [Modality; 6] = [
        Modality::Tvus3d,
        Modality::Tvus2d,
        Modality::Shg,
        Modality::Hsg,
        Modality::Hysteroscopy,
        Modality::Mri,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Modality::Tvus3d => "3d_tvus",
            Modality::Tvus2d => "2d_tvus",
            Modality::Shg => "shg",
            Modality::Hsg => "hsg",
            Modality::Hysteroscopy => "hysteroscopy",
            Modality::Mri => "mri",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// A result's value: a quantity with its unit, a coded finding, and/or free text (ISCN for a
/// karyotype, or a value the lab sent as text such as `<0.5`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ResultValue {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// The lab's reference range for a quantity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReferenceRange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

/// Facts about a sample that change how it is read (clinical-rules.md §6.5, §6.7): its timing in
/// the menstrual cycle and, for a partner sample, whose it is. Lab data: the feeds carry them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SampleFacts {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cycle_day: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_before_menses: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner_mrn: Option<String>,
}

impl SampleFacts {
    /// Nothing recorded.
    pub fn is_empty(&self) -> bool {
        *self == SampleFacts::default()
    }
}

/// One version of a result: everything a lab or clinician reported at one time.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultVersion {
    /// 1, 2, 3 … in the order received.
    pub version: u32,
    pub status: ResultStatus,
    pub value: ResultValue,
    pub interpretation: Option<Interpretation>,
    pub reference_range: Option<ReferenceRange>,
    pub modality: Option<Modality>,
    pub collected_on: Option<NaiveDate>,
    pub reported_at: Option<DateTime<Utc>>,
    /// Lupus anticoagulant drawn while the patient was anticoagulated (does not count).
    pub on_anticoagulation: bool,
    /// Day of the menstrual cycle the sample was drawn on (day 1 = first day of menses; §6.7).
    pub cycle_day: Option<u8>,
    /// Days between the sample and the next menses (§6.7).
    pub days_before_menses: Option<u8>,
    /// Whose partner sample this is (`None`: the patient's current partner; §6.5).
    pub partner_mrn: Option<String>,
}

/// A result with every version received, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct LabResult {
    pub id: ResultId,
    pub test: TestCode,
    pub subject: Subject,
    pub pregnancy_id: Option<PregnancyId>,
    pub versions: Vec<ResultVersion>,
}

impl LabResult {
    /// The version that speaks for this result now: the latest one, except that a preliminary
    /// arriving after a final/amended/corrected version never downgrades it (out-of-order feeds).
    /// Returns `None` when there is no version.
    pub fn effective(&self) -> Option<&ResultVersion> {
        let index = effective_index(self.versions.iter().map(|v| (v.version, v.status)))?;
        self.versions.get(index)
    }
}

/// Which of a result's versions (given as `(version, status)`, in any order) speaks for it now:
/// the latest, except that a preliminary arriving after a final/amended/corrected version never
/// downgrades it (out-of-order feeds). Returns its position, or `None` when there is none.
pub fn effective_index(
    versions: impl Iterator<Item = (u32, ResultStatus)> + Clone,
) -> Option<usize> {
    let (latest, (_, latest_status)) = versions.clone().enumerate().max_by_key(|(_, (n, _))| *n)?;
    if latest_status == ResultStatus::Preliminary {
        let final_like = versions
            .enumerate()
            .filter(|(_, (_, s))| s.is_final_like())
            .max_by_key(|(_, (n, _))| *n);
        if let Some((i, _)) = final_like {
            return Some(i);
        }
    }
    Some(latest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(n: u32, status: ResultStatus) -> ResultVersion {
        ResultVersion {
            version: n,
            status,
            value: ResultValue::default(),
            interpretation: None,
            reference_range: None,
            modality: None,
            collected_on: None,
            reported_at: None,
            on_anticoagulation: false,
            cycle_day: None,
            days_before_menses: None,
            partner_mrn: None,
        }
    }

    fn result(versions: Vec<ResultVersion>) -> LabResult {
        LabResult {
            id: ResultId::new(),
            test: TestCode::Tsh,
            subject: Subject::Patient,
            pregnancy_id: None,
            versions,
        }
    }

    #[test]
    fn a_preliminary_after_a_final_does_not_downgrade_it() {
        let r = result(vec![
            version(1, ResultStatus::Final),
            version(2, ResultStatus::Preliminary),
        ]);
        assert_eq!(r.effective().unwrap().version, 1);
    }

    #[test]
    fn a_correction_replaces_the_final() {
        let r = result(vec![
            version(1, ResultStatus::Final),
            version(2, ResultStatus::Corrected),
        ]);
        assert_eq!(r.effective().unwrap().version, 2);
    }

    #[test]
    fn entered_in_error_is_the_effective_version_so_the_result_is_retracted() {
        let r = result(vec![
            version(1, ResultStatus::Final),
            version(2, ResultStatus::EnteredInError),
        ]);
        assert_eq!(r.effective().unwrap().status, ResultStatus::EnteredInError);
    }
}
