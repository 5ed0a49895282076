//! The numeric limits a profile interprets results with (clinical-rules.md §3). Values marked
//! [verify] in the rules are data here. Pure: no actix, no diesel.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Thresholds, each in the canonical unit named by its field. "Above" limits are exclusive unless
/// the field says `_at` (abnormal at or above).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// TSH above this is abnormal; `null`: the lab's upper limit, else
    /// `tsh_default_upper_miu_per_l` (2.5 is a common stricter choice).
    pub tsh_upper_miu_per_l: Option<f64>,
    /// TSH limit when neither the profile nor the lab gives one (4.0).
    pub tsh_default_upper_miu_per_l: f64,
    /// Free T4 reference interval when the lab gives none [verify].
    pub free_t4_low_ng_per_dl: f64,
    pub free_t4_high_ng_per_dl: f64,
    /// TPO antibodies above this are positive when the lab gives no flag or range [verify].
    pub tpo_upper_iu_per_ml: f64,
    /// Anticardiolipin IgG/IgM above this (GPL/MPL) is positive (Sydney criteria: > 40).
    pub anticardiolipin_upper: f64,
    /// Days between a positive antiphospholipid test and its confirming repeat (12 weeks).
    pub apl_repeat_interval_days: u32,
    /// Mid-luteal progesterone below this is abnormal (10 ng/mL = 31.8 nmol/L).
    pub progesterone_low_ng_per_ml: f64,
    /// Prolactin above this is abnormal when the lab gives no range [verify].
    pub prolactin_upper_ng_per_ml: f64,
    /// HbA1c at or above this is abnormal [verify].
    pub hba1c_at_percent: f64,
    /// Fasting glucose at or above this is abnormal [verify].
    pub fasting_glucose_at_mg_per_dl: f64,
    /// Sperm DNA fragmentation index above this is abnormal [verify].
    pub sperm_dna_fragmentation_upper_percent: f64,
    /// Alcohol above this many units a week: counsel.
    pub alcohol_upper_units_per_week: f64,
    /// BMI below this: counsel (`null`: no lower limit).
    pub bmi_low: Option<f64>,
    /// BMI above this (or at it, when `bmi_high_inclusive`): counsel.
    pub bmi_high: f64,
    pub bmi_high_inclusive: bool,
    /// Caffeine above this many mg a day: counsel [verify].
    pub caffeine_upper_mg_per_day: f64,
    /// PHQ-9 at or above this: refer.
    pub phq9_at: f64,
    /// GAD-7 at or above this: refer.
    pub gad7_at: f64,
    /// A progesterone counts as mid-luteal drawn on these cycle days (inclusive, §6.7)…
    #[serde(default = "cycle_days")]
    pub progesterone_cycle_days: [u8; 2],
    /// …or this many days before the next menses (inclusive).
    #[serde(default = "days_before_menses")]
    pub progesterone_days_before_menses: [u8; 2],
    /// Uterine findings that are normal variants: complete the item, never abnormal (§6.7).
    #[serde(default = "imaging_normal_variants")]
    pub imaging_normal_variants: Vec<String>,
    /// A feed's tissue result links to the one loss that ended this many days or fewer before
    /// the sample (§6.4).
    #[serde(default = "fourteen")]
    pub tissue_link_days: u32,
    /// A pregnancy stays "in progress" until this many days after its due date (§6.3).
    #[serde(default = "fourteen")]
    pub edd_grace_days: u32,
}

fn cycle_days() -> [u8; 2] {
    [18, 24]
}
fn days_before_menses() -> [u8; 2] {
    [5, 9]
}
fn imaging_normal_variants() -> Vec<String> {
    vec!["arcuate".to_owned()]
}
fn fourteen() -> u32 {
    14
}

impl Thresholds {
    /// Problems with the values (each a field name and a message): every number finite and
    /// positive, the free T4 interval ordered.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let numbers = [
            ("tsh_upper_miu_per_l", self.tsh_upper_miu_per_l),
            (
                "tsh_default_upper_miu_per_l",
                Some(self.tsh_default_upper_miu_per_l),
            ),
            ("free_t4_low_ng_per_dl", Some(self.free_t4_low_ng_per_dl)),
            ("free_t4_high_ng_per_dl", Some(self.free_t4_high_ng_per_dl)),
            ("tpo_upper_iu_per_ml", Some(self.tpo_upper_iu_per_ml)),
            ("anticardiolipin_upper", Some(self.anticardiolipin_upper)),
            (
                "progesterone_low_ng_per_ml",
                Some(self.progesterone_low_ng_per_ml),
            ),
            (
                "prolactin_upper_ng_per_ml",
                Some(self.prolactin_upper_ng_per_ml),
            ),
            ("hba1c_at_percent", Some(self.hba1c_at_percent)),
            (
                "fasting_glucose_at_mg_per_dl",
                Some(self.fasting_glucose_at_mg_per_dl),
            ),
            (
                "sperm_dna_fragmentation_upper_percent",
                Some(self.sperm_dna_fragmentation_upper_percent),
            ),
            (
                "alcohol_upper_units_per_week",
                Some(self.alcohol_upper_units_per_week),
            ),
            ("bmi_low", self.bmi_low),
            ("bmi_high", Some(self.bmi_high)),
            (
                "caffeine_upper_mg_per_day",
                Some(self.caffeine_upper_mg_per_day),
            ),
            ("phq9_at", Some(self.phq9_at)),
            ("gad7_at", Some(self.gad7_at)),
        ];
        for (field, value) in numbers {
            if let Some(v) = value {
                if !(v.is_finite() && v > 0.0) {
                    out.push((field, "must be a positive number".to_owned()));
                }
            }
        }
        if self.free_t4_low_ng_per_dl >= self.free_t4_high_ng_per_dl {
            out.push((
                "free_t4_high_ng_per_dl",
                "must be above free_t4_low_ng_per_dl".to_owned(),
            ));
        }
        for (field, [from, to]) in [
            ("progesterone_cycle_days", self.progesterone_cycle_days),
            (
                "progesterone_days_before_menses",
                self.progesterone_days_before_menses,
            ),
        ] {
            if from > to {
                out.push((field, "must be [from, to] with from ≤ to".to_owned()));
            }
        }
        if self.apl_repeat_interval_days < 84 {
            // Sydney criteria: persistence needs two positives at least 12 weeks apart; a shorter
            // interval would call transient positivity persistent.
            out.push((
                "apl_repeat_interval_days",
                "must be at least 84 (12 weeks)".to_owned(),
            ));
        }
        out
    }
}
