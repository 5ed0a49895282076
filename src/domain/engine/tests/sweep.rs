//! Every status each built-in profile can produce for each of its items: the same situations
//! (no result, all normal, one abnormal, uninterpretable, preliminary, ordered, declined, not
//! applicable, definition not met) swept over every item of every profile.

use super::*;
use crate::domain::checklist::ItemStatus;
use crate::domain::profile::{builtin_profiles, ComponentSpec, Requirement};

/// The status of each item with no result for an eligible patient (three first-trimester
/// losses, no tissue result), in `ItemId::ALL` order; `-` where the profile omits the item.
/// O outstanding, P optional, N not recommended, I not indicated.
const BASE: &[(&str, &str)] = &[
    ("eshre-2022", "OOOPPNNNNPNNOO"),
    ("rcog-2023", "OOOOINN--NNNOO"),
    ("asrm-2012", "OOOPONNOP-NNOO"),
    ("cn-2022", "OOOOOOOOOPPPOO"),
];

fn base_status(c: char) -> ItemStatus {
    match c {
        'O' => ItemStatus::Outstanding,
        'P' => ItemStatus::Optional,
        'N' => ItemStatus::NotRecommended,
        'I' => ItemStatus::NotIndicated,
        _ => unreachable!(),
    }
}

fn normal(c: &ComponentSpec) -> R {
    use TestCode::*;
    let x = r(c.test).of(c.subject);
    match c.test {
        Tsh => x.q(2.0, "mIU/L"),
        FreeT4 => x.q(1.2, "ng/dL"),
        AnticardiolipinIgg => x.q(5.0, "GPL"),
        AnticardiolipinIgm => x.q(5.0, "MPL"),
        Progesterone => x.q(15.0, "ng/mL"),
        Prolactin => x.q(10.0, "ng/mL"),
        Hba1c => x.q(5.2, "%"),
        FastingGlucose => x.q(90.0, "mg/dL"),
        ProteinSFree | ProteinC | Antithrombin => x.q(90.0, "%").flag(Interpretation::Normal),
        FactorVLeiden | ProthrombinG20210a | Mthfr => x.f("not_detected"),
        Karyotype | UterineImaging => x.f("normal"),
        SmokingStatus => x.f("never"),
        AlcoholUnitsPerWeek => x.q(2.0, "{units}/wk"),
        Bmi => x.q(22.0, "kg/m2"),
        CaffeineMgPerDay => x.q(100.0, "mg/d"),
        SupportOffered => x.f("offered"),
        Phq9Score | Gad7Score => x.q(3.0, "{score}"),
        SpermDnaFragmentation => x.q(15.0, "%"),
        _ => x.f("negative"),
    }
}

fn abnormal(c: &ComponentSpec) -> R {
    use TestCode::*;
    let x = r(c.test).of(c.subject);
    match c.test {
        Tsh => x.q(6.0, "mIU/L"),
        AnticardiolipinIgg => x.q(52.0, "GPL"),
        Progesterone => x.q(5.0, "ng/mL"),
        Prolactin => x.q(40.0, "ng/mL"),
        Hba1c => x.q(7.0, "%"),
        FactorVLeiden => x.f("heterozygous"),
        Karyotype => x.f("balanced_rearrangement"),
        UterineImaging => x.f("septate"),
        SmokingStatus => x.f("current"),
        Bmi => x.q(35.0, "kg/m2"),
        SupportOffered | Phq9Score => r(Phq9Score).q(12.0, ""),
        SpermDnaFragmentation => x.q(40.0, "%"),
        _ => x.f("positive"),
    }
}

/// The components that complete the item (required and all any-of alternatives).
fn completing(spec: &crate::domain::profile::ItemSpec) -> Vec<&ComponentSpec> {
    let c = spec.components.iter();
    c.filter(|c| matches!(c.requirement, Requirement::Required | Requirement::AnyOf))
        .collect()
}

#[test]
fn every_item_of_every_profile_takes_each_status_its_situation_calls_for() {
    let eligible = Patient::eligible();
    for (profile_id, base) in BASE {
        let profile = builtin_profiles()
            .iter()
            .find(|p| p.id == *profile_id)
            .unwrap();
        for (item, code) in ItemId::ALL.into_iter().zip(base.chars()) {
            let Some(spec) = profile.item(item) else {
                assert_eq!(code, '-', "{profile_id} omits {item:?}");
                continue;
            };
            let comps = completing(spec);
            let with = |results: Vec<R>| results.into_iter().fold(eligible.clone(), Patient::with);
            let all_normal: Vec<R> = comps.iter().map(|c| normal(c)).collect();
            let mut one_abnormal = all_normal.clone();
            one_abnormal[0] = abnormal(comps[0]);
            let mut uninterpretable = all_normal.clone();
            uninterpretable[0] = r(comps[0].test).of(comps[0].subject).text("see report");
            let preliminary = all_normal
                .iter()
                .map(|x| x.clone().status(ResultStatus::Preliminary))
                .collect();
            let abnormal_status = match item {
                ItemId::Antiphospholipid => ItemStatus::RepeatDue,
                _ => ItemStatus::Abnormal,
            };
            let base = base_status(code);
            let not_met = if base == ItemStatus::Outstanding {
                ItemStatus::NotIndicated
            } else {
                base
            };
            #[rustfmt::skip]
            let rows = [
                ("no result", eligible.clone(), base),
                ("all normal", with(all_normal), ItemStatus::Complete),
                ("one abnormal", with(one_abnormal), abnormal_status),
                ("uninterpretable", with(uninterpretable), ItemStatus::NeedsReview),
                ("preliminary", with(preliminary), ItemStatus::Pending),
                ("ordered", eligible .clone() .reviewed(Some(item), ReviewAction::Ordered, "2026-11-01"), ItemStatus::Pending),
                ("declined", eligible .clone() .reviewed(Some(item), ReviewAction::Declined, "2026-11-01"), ItemStatus::Declined),
                ("not applicable", eligible.clone().reviewed(Some(item), ReviewAction::NotApplicable, "2026-11-01"), ItemStatus::NotApplicable),
                ("definition not met", Patient::with_history("m8"), not_met),
            ];
            for (situation, patient, want) in rows {
                let got = patient.item(profile_id, item);
                assert_eq!(
                    got.status, want,
                    "{profile_id} {item:?} {situation}: {}",
                    got.reason
                );
                assert!(!got.recommendation.text.is_empty());
                assert!(got.reason.ends_with('.'), "{}", got.reason);
            }
        }
    }
}

#[test]
fn an_outstanding_item_names_every_missing_component() {
    #[rustfmt::skip]
    let rows: &[(&str, ItemId, &[&str])] = &[
        ("eshre-2022", ItemId::Antiphospholipid, &["lupus_anticoagulant", "anticardiolipin_igg", "anticardiolipin_igm"]),
        ("asrm-2012", ItemId::Antiphospholipid, &["lupus_anticoagulant", "anticardiolipin_igg", "anticardiolipin_igm", "anti_b2gpi_igg", "anti_b2gpi_igm"]),
        ("eshre-2022", ItemId::Thyroid, &["tsh", "tpo_antibodies"]),
        ("eshre-2022", ItemId::UterineAnatomy, &["uterine_imaging"]),
        ("asrm-2012", ItemId::ParentalKaryotype, &["karyotype:patient", "karyotype:partner"]),
        ("cn-2022", ItemId::PregnancyTissueGenetics, &["karyotype:pregnancy_tissue"]),
        ("cn-2022", ItemId::GlucoseMetabolism, &["hba1c|fasting_glucose"]),
        ("eshre-2022", ItemId::LifestyleReview, &["smoking_status", "alcohol_units_per_week", "bmi"]),
        ("eshre-2022", ItemId::SupportiveCare, &["support_offered|phq9_score|gad7_score"]),
    ];
    for (profile, item, missing) in rows {
        let got = Patient::eligible().item(profile, *item);
        assert_eq!(got.status, ItemStatus::Outstanding);
        assert_eq!(&got.missing, missing, "{profile} {item:?}");
    }
}
