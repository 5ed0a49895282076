//! Interpreting one result version (clinical-rules.md §3): the lab's flag first, else the
//! finding, else the profile's thresholds after unit conversion. What cannot be interpreted is
//! `Uninterpretable` (the item needs review), never silently normal. Pure: no actix, no diesel.

use std::borrow::Cow;

use super::text::{push_all, Number, WriteTo};
use super::units::{canonical_unit, to_canonical, Measure};
use crate::domain::catalogue::TestCode;
use crate::domain::profile::Thresholds;
use crate::domain::result::{Interpretation, Modality, ResultVersion};

/// What one counting result says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Normal,
    Abnormal,
    Uninterpretable,
    /// Counts as no result: a failed karyotype, a lupus anticoagulant drawn on anticoagulation,
    /// a normal study of a modality the profile does not accept.
    NoResult,
}

/// The words that justify a verdict: fixed text, or a verdict word and the rule applied (kept as
/// numbers and written straight into the reason).
#[derive(Debug)]
pub(crate) enum Why {
    Text(Cow<'static, str>),
    Judged(&'static str, Rule),
}

/// A threshold rule that was applied, with its numbers.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Rule {
    /// Anticardiolipin: above the profile's limit or the lab's 99th percentile.
    Positive {
        limit: f64,
        lab: Option<f64>,
    },
    Limit {
        limit: f64,
        unit: &'static str,
        source: &'static str,
    },
    Reference {
        lo: f64,
        hi: f64,
        unit: &'static str,
    },
    MidLuteal {
        limit: f64,
        unit: &'static str,
    },
    Upper {
        limit: f64,
        inclusive: bool,
        unit: &'static str,
    },
    Bmi {
        low: Option<f64>,
        high: f64,
        inclusive: bool,
    },
    LabRange,
}

impl WriteTo for Why {
    fn write_to(&self, out: &mut String) {
        match self {
            Why::Text(t) => out.push_str(t),
            Why::Judged(word, rule) => {
                out.push_str(word);
                out.push_str(" (");
                rule.write_to(out);
                out.push(')');
            }
        }
    }
}

impl WriteTo for Rule {
    fn write_to(&self, out: &mut String) {
        let sign = |inclusive: bool| if inclusive { "≥ " } else { "> " };
        match *self {
            Rule::Positive { limit, lab } => {
                out.push_str("positive above ");
                Number(limit).write_to(out);
                if let Some(h) = lab {
                    out.push_str(" or the lab's ");
                    Number(h).write_to(out);
                }
            }
            Rule::Limit {
                limit,
                unit,
                source,
            } => {
                out.push_str("limit ");
                Number(limit).write_to(out);
                push_all(out, &[" ", unit, ", ", source]);
            }
            Rule::Reference { lo, hi, unit } => {
                out.push_str("reference ");
                Number(lo).write_to(out);
                out.push('–');
                Number(hi).write_to(out);
                push_all(out, &[" ", unit]);
            }
            Rule::MidLuteal { limit, unit } => {
                out.push_str("mid-luteal limit ");
                Number(limit).write_to(out);
                push_all(out, &[" ", unit]);
            }
            Rule::Upper {
                limit,
                inclusive,
                unit,
            } => {
                push_all(out, &["limit ", sign(inclusive)]);
                Number(limit).write_to(out);
                if !unit.is_empty() {
                    push_all(out, &[" ", unit]);
                }
            }
            Rule::Bmi {
                low,
                high,
                inclusive,
            } => {
                out.push_str("counsel ");
                if let Some(lo) = low {
                    out.push_str("below ");
                    Number(lo).write_to(out);
                    out.push_str(" or ");
                }
                out.push_str(sign(inclusive));
                Number(high).write_to(out);
            }
            Rule::LabRange => out.push_str("the lab's reference range"),
        }
    }
}

/// A verdict and the words that justify it.
pub(crate) type Judgement = (Verdict, Why);

fn j(v: Verdict, why: impl Into<Cow<'static, str>>) -> Judgement {
    (v, Why::Text(why.into()))
}

/// Interprets `v`, a final-like version of a `test` result.
pub(crate) fn interpret(
    test: TestCode,
    v: &ResultVersion,
    t: &Thresholds,
    modalities: &[Modality],
) -> Judgement {
    use TestCode::*;
    let finding = v.value.finding.as_deref();
    match test {
        Karyotype => return karyotype(finding),
        UterineImaging => {
            // §6.7: a normal variant (arcuate) completes the assessment, never abnormal.
            let variant = finding.filter(|f| t.imaging_normal_variants.iter().any(|n| n == f));
            return match variant {
                Some(_) => imaging(Some("normal"), v.modality, modalities)
                    .map_normal("normal variant, not an anomaly"),
                None => imaging(finding, v.modality, modalities),
            };
        }
        Progesterone if !mid_luteal(v, t) => {
            return j(
                Verdict::Uninterpretable,
                "timing in the cycle unknown: mid-luteal needs cycle day 18–24 or 5–9 days before menses",
            )
        }
        SmokingStatus => return smoking(finding),
        SupportOffered => return support(finding),
        LupusAnticoagulant if v.on_anticoagulation => {
            return j(
                Verdict::NoResult,
                "drawn during anticoagulation: does not count",
            )
        }
        _ => {}
    }
    if let Some(flag) = v.interpretation {
        return flagged(flag);
    }
    if let Some(f) = finding {
        return qualitative(f);
    }
    let Some(m) = Measure::read(v.value.quantity, v.value.text.as_deref()) else {
        return j(
            Verdict::Uninterpretable,
            "no value, flag or finding to interpret",
        );
    };
    quantity(test, m, v, t)
}

/// §6.7: drawn on cycle day 18–24, or 5–9 days before the next menses (profile data).
fn mid_luteal(v: &ResultVersion, t: &Thresholds) -> bool {
    let within = |x: Option<u8>, [from, to]: [u8; 2]| x.is_some_and(|x| (from..=to).contains(&x));
    within(v.cycle_day, t.progesterone_cycle_days)
        || within(v.days_before_menses, t.progesterone_days_before_menses)
}

trait MapNormal {
    fn map_normal(self, why: &'static str) -> Judgement;
}

impl MapNormal for Judgement {
    /// Replaces the words of a normal verdict.
    fn map_normal(self, why: &'static str) -> Judgement {
        match self {
            (Verdict::Normal, _) => j(Verdict::Normal, why),
            other => other,
        }
    }
}

fn flagged(flag: Interpretation) -> Judgement {
    use Interpretation::*;
    match flag {
        Normal => j(Verdict::Normal, "normal (lab flag)"),
        Negative => j(Verdict::Normal, "negative (lab flag)"),
        Abnormal => j(Verdict::Abnormal, "abnormal (lab flag)"),
        Positive => j(Verdict::Abnormal, "positive (lab flag)"),
        High => j(Verdict::Abnormal, "high (lab flag)"),
        Low => j(Verdict::Abnormal, "low (lab flag)"),
        Indeterminate => j(Verdict::Uninterpretable, "indeterminate (lab flag)"),
    }
}

fn qualitative(f: &str) -> Judgement {
    match f {
        "negative" | "not_detected" | "normal" => j(Verdict::Normal, "normal"),
        "positive" | "detected" | "abnormal" | "heterozygous" | "homozygous" => {
            j(Verdict::Abnormal, "abnormal")
        }
        _ => j(
            Verdict::Uninterpretable,
            format!("finding '{f}' cannot be interpreted"),
        ),
    }
}

fn karyotype(f: Option<&str>) -> Judgement {
    match f {
        Some("normal") => j(Verdict::Normal, "normal"),
        Some("normal_variant") => j(
            Verdict::Normal,
            "normal variant (polymorphism), not abnormal",
        ),
        Some("failed") => j(Verdict::NoResult, "failed: no result"),
        Some("balanced_rearrangement") => {
            j(Verdict::Abnormal, "abnormal: refer for genetic counselling")
        }
        Some("unbalanced_rearrangement" | "aneuploidy" | "other_abnormal") => {
            j(Verdict::Abnormal, "abnormal")
        }
        _ => j(Verdict::Uninterpretable, "no karyotype category"),
    }
}

fn imaging(f: Option<&str>, modality: Option<Modality>, accepted: &[Modality]) -> Judgement {
    match (f, modality) {
        (None, _) => j(Verdict::Uninterpretable, "no finding"),
        // An anomaly is abnormal whatever the modality that found it.
        (Some(f), Some(m)) if f != "normal" && !accepted.contains(&m) => j(
            Verdict::Abnormal,
            format!(
                "abnormal; {} alone does not complete the assessment",
                m.as_str()
            ),
        ),
        (Some(f), _) if f != "normal" => j(Verdict::Abnormal, "abnormal"),
        (Some(_), None) => j(
            Verdict::Uninterpretable,
            "normal, but the modality is not recorded",
        ),
        (Some(_), Some(m)) if !accepted.contains(&m) => j(
            Verdict::NoResult,
            format!("normal by {}, which alone does not complete it", m.as_str()),
        ),
        (Some(_), Some(_)) => j(Verdict::Normal, "normal"),
    }
}

fn smoking(f: Option<&str>) -> Judgement {
    match f {
        Some("current") => j(Verdict::Abnormal, "current smoker: counsel"),
        Some("former" | "never") => j(Verdict::Normal, "normal"),
        _ => j(Verdict::Uninterpretable, "smoking status not recognised"),
    }
}

fn support(f: Option<&str>) -> Judgement {
    match f {
        Some("offered" | "accepted" | "declined") => j(Verdict::Normal, "support recorded"),
        _ => j(Verdict::Uninterpretable, "support finding not recognised"),
    }
}

/// The lab's reference limits, converted to the test's canonical unit when it has one.
fn lab_limits(test: TestCode, v: &ResultVersion) -> (Option<f64>, Option<f64>) {
    let Some(range) = &v.reference_range else {
        return (None, None);
    };
    let unit = range.unit.as_deref().or(v.value.unit.as_deref());
    let conv = |x: Option<f64>| {
        let x = x?;
        if canonical_unit(test).is_none() {
            // Only comparable when the range is in the value's own unit.
            let same = range.unit.is_none() || range.unit == v.value.unit;
            return same.then_some(x);
        }
        match to_canonical(test, Measure::Exact(x), unit) {
            Ok(Measure::Exact(c)) => Some(c),
            _ => None,
        }
    };
    (conv(range.low), conv(range.high))
}

fn quantity(test: TestCode, raw: Measure, v: &ResultVersion, t: &Thresholds) -> Judgement {
    use TestCode::*;
    let (lab_low, lab_high) = lab_limits(test, v);
    let m = if canonical_unit(test).is_some() {
        match to_canonical(test, raw, v.value.unit.as_deref()) {
            Ok(m) => m,
            Err(why) => return j(Verdict::Uninterpretable, why),
        }
    } else {
        raw
    };
    let unit = canonical_unit(test).unwrap_or("");
    // (abnormal?, the limits applied, in words)
    let (decision, rule) = match test {
        AnticardiolipinIgg | AnticardiolipinIgm => {
            let a = t.anticardiolipin_upper;
            match lab_high {
                Some(h) => (
                    any_or_all([m.above(a, false), m.above(h, false)]),
                    Rule::Positive {
                        limit: a,
                        lab: Some(h),
                    },
                ),
                None => (
                    m.above(a, false),
                    Rule::Positive {
                        limit: a,
                        lab: None,
                    },
                ),
            }
        }
        Tsh => {
            let (limit, source) = match (t.tsh_upper_miu_per_l, lab_high) {
                (Some(p), _) => (p, "the profile's limit"),
                (None, Some(h)) => (h, "the lab's upper limit"),
                (None, None) => (t.tsh_default_upper_miu_per_l, "the default limit"),
            };
            // Below the lab's lower limit is abnormal too (hyperthyroidism), when the lab gives one.
            let decision = match lab_low {
                Some(low) => any_or_all([m.above(limit, false), m.below(low)]),
                None => m.above(limit, false),
            };
            (
                decision,
                Rule::Limit {
                    limit,
                    unit,
                    source,
                },
            )
        }
        FreeT4 => {
            let (lo, hi) = (
                lab_low.unwrap_or(t.free_t4_low_ng_per_dl),
                lab_high.unwrap_or(t.free_t4_high_ng_per_dl),
            );
            (outside(m, lo, hi), Rule::Reference { lo, hi, unit })
        }
        TpoAntibodies => upper(m, lab_high.unwrap_or(t.tpo_upper_iu_per_ml), false, unit),
        Progesterone => {
            let lo = t.progesterone_low_ng_per_ml;
            (m.below(lo), Rule::MidLuteal { limit: lo, unit })
        }
        Prolactin => upper(
            m,
            lab_high.unwrap_or(t.prolactin_upper_ng_per_ml),
            false,
            unit,
        ),
        Hba1c => upper(m, t.hba1c_at_percent, true, unit),
        FastingGlucose => upper(m, t.fasting_glucose_at_mg_per_dl, true, unit),
        SpermDnaFragmentation => upper(m, t.sperm_dna_fragmentation_upper_percent, false, unit),
        AlcoholUnitsPerWeek => upper(m, t.alcohol_upper_units_per_week, false, unit),
        CaffeineMgPerDay => upper(m, t.caffeine_upper_mg_per_day, false, unit),
        Phq9Score => upper(m, t.phq9_at, true, "points: refer"),
        Gad7Score => upper(m, t.gad7_at, true, "points: refer"),
        Bmi => {
            let high = m.above(t.bmi_high, t.bmi_high_inclusive);
            let decision = match t.bmi_low {
                Some(lo) => any_or_all([m.below(lo), high]),
                None => high,
            };
            (
                decision,
                Rule::Bmi {
                    low: t.bmi_low,
                    high: t.bmi_high,
                    inclusive: t.bmi_high_inclusive,
                },
            )
        }
        _ => match (lab_low, lab_high) {
            (None, None) => return j(Verdict::Uninterpretable, "no flag and no reference range"),
            (lo, hi) => (
                outside(
                    m,
                    lo.unwrap_or(f64::NEG_INFINITY),
                    hi.unwrap_or(f64::INFINITY),
                ),
                Rule::LabRange,
            ),
        },
    };
    let (verdict, word) = match decision {
        Some(true) => (Verdict::Abnormal, "abnormal"),
        Some(false) => (Verdict::Normal, "normal"),
        None => (Verdict::Uninterpretable, "cannot be compared"),
    };
    (verdict, Why::Judged(word, rule))
}

fn upper(m: Measure, limit: f64, inclusive: bool, unit: &'static str) -> (Option<bool>, Rule) {
    (
        m.above(limit, inclusive),
        Rule::Upper {
            limit,
            inclusive,
            unit,
        },
    )
}

fn outside(m: Measure, lo: f64, hi: f64) -> Option<bool> {
    any_or_all([m.below(lo), m.above(hi, false)])
}

/// Abnormal if any check says so; normal only when every check can tell.
fn any_or_all<const N: usize>(checks: [Option<bool>; N]) -> Option<bool> {
    if checks.contains(&Some(true)) {
        Some(true)
    } else if checks.iter().all(|c| *c == Some(false)) {
        Some(false)
    } else {
        None
    }
}
