//! Properties over arbitrary histories, results and reviews: the engine never panics, its
//! summary adds up, and an abnormal result never leaves its item `complete`.

use proptest::prelude::*;

use super::*;
use crate::domain::catalogue::CATALOGUE;
use crate::domain::checklist::ItemStatus;
use crate::domain::pregnancy::Complication;
use crate::domain::profile::builtin_profiles;

fn pregnancy() -> impl Strategy<Value = Pregnancy> {
    let ga = proptest::option::of((0u8..=45, 0u8..=6));
    let v2 = (
        proptest::collection::vec(0..Complication::ALL.len(), 0..3),
        proptest::option::of(0u64..600),
        proptest::option::of(0u8..=30),
        proptest::option::of(prop_oneof![Just("P-1"), Just("P-2")]),
    );
    (
        0..Outcome::ALL.len(),
        proptest::option::of(0u64..4000),
        ga,
        v2,
    )
        .prop_map(
            |(o, day, ga, (complications, edd, demise, partner))| Pregnancy {
                id: PregnancyId::new(),
                outcome: Outcome::ALL[o],
                ended_on: day.map(|n| d("2015-01-01") + chrono::Days::new(n)),
                gestational_age: ga.and_then(|(w, d)| GestationalAge::new(w, d).ok()),
                conception: None,
                complications: complications
                    .into_iter()
                    .map(|i| Complication::ALL[i])
                    .collect(),
                edd: edd.map(|n| d("2025-06-01") + chrono::Days::new(n)),
                gestational_age_at_demise: demise.and_then(|w| GestationalAge::new(w, 0).ok()),
                partner_mrn: partner.map(str::to_owned),
            },
        )
}

fn ongoing(edd: &str) -> Pregnancy {
    let mut p = history("o").remove(0);
    p.edd = Some(d(edd));
    p
}

const UNITS: &[&str] = &[
    "", "mIU/L", "nmol/L", "ng/mL", "GPL", "%", "mmol/mol", "kg/m2", "furlongs",
];
const FINDINGS: &[&str] = &[
    "normal",
    "positive",
    "negative",
    "current",
    "failed",
    "septate",
    "offered",
    "heterozygous",
    "unbalanced_rearrangement",
    "?",
];

fn version() -> impl Strategy<Value = ResultVersion> {
    let status = 0..ResultStatus::ALL.len();
    let flag = proptest::option::of(0..Interpretation::ALL.len());
    let value = (
        proptest::option::of(-5.0f64..500.0),
        0..UNITS.len(),
        proptest::option::of(0..FINDINGS.len()),
    );
    let modality = proptest::option::of(0..Modality::ALL.len());
    (
        status,
        flag,
        value,
        modality,
        proptest::option::of(0u64..800),
        any::<bool>(),
    )
        .prop_map(|(s, flag, (q, u, f), m, day, anticoag)| ResultVersion {
            version: 0,
            status: ResultStatus::ALL[s],
            value: ResultValue {
                quantity: q,
                unit: (!UNITS[u].is_empty()).then(|| UNITS[u].to_owned()),
                finding: f.map(|i| FINDINGS[i].to_owned()),
                text: None,
            },
            interpretation: flag.map(|i| Interpretation::ALL[i]),
            reference_range: None,
            modality: m.map(|i| Modality::ALL[i]),
            collected_on: day.map(|n| d("2025-06-01") + chrono::Days::new(n)),
            reported_at: None,
            on_anticoagulation: anticoag,
            cycle_day: day.map(|n| (n % 30) as u8),
            days_before_menses: None,
            partner_mrn: None,
        })
}

fn result() -> impl Strategy<Value = LabResult> {
    let subject = prop_oneof![
        Just(Subject::Patient),
        Just(Subject::Partner),
        Just(Subject::PregnancyTissue)
    ];
    (
        0..CATALOGUE.len(),
        subject,
        proptest::collection::vec(version(), 1..4),
    )
        .prop_map(|(t, subject, mut versions)| {
            for (i, v) in versions.iter_mut().enumerate() {
                v.version = i as u32 + 1;
            }
            LabResult {
                id: ResultId::new(),
                test: CATALOGUE[t].code,
                subject,
                pregnancy_id: None,
                versions,
            }
        })
}

fn reviews() -> impl Strategy<Value = Vec<Review>> {
    let item = proptest::option::of(0..ItemId::ALL.len());
    let one = (item, 0..ReviewAction::ALL.len(), 0u64..800).prop_map(|(i, a, day)| {
        let on = (d("2025-06-01") + chrono::Days::new(day)).to_string();
        review(i.map(|i| ItemId::ALL[i]), ReviewAction::ALL[a], &on)
    });
    proptest::collection::vec(one, 0..4)
}

pub(super) fn patient() -> impl Strategy<Value = Patient> {
    (
        proptest::collection::vec(pregnancy(), 0..9),
        proptest::collection::vec(result(), 0..25),
        reviews(),
    )
        .prop_map(|(pregnancies, results, reviews)| Patient {
            pregnancies,
            results,
            reviews,
            partner_mrn: None,
        })
}

/// A result whose effective version counts and carries an abnormal lab flag, for a test whose
/// flag decides (findings decide karyotype, imaging, smoking and support).
fn flagged_abnormal(r: &LabResult) -> bool {
    use TestCode::*;
    let Some(v) = r.effective() else { return false };
    v.status.is_final_like()
        && matches!(
            v.interpretation,
            Some(
                Interpretation::Abnormal
                    | Interpretation::Positive
                    | Interpretation::High
                    | Interpretation::Low
            )
        )
        && !matches!(
            r.test,
            Karyotype | UterineImaging | SmokingStatus | SupportOffered
        )
        && !(r.test == LupusAnticoagulant && v.on_anticoagulation)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn the_engine_never_panics_and_its_summary_adds_up(p in patient(), profile in 0usize..4, day in 0u64..900) {
        let today = (d("2025-06-01") + chrono::Days::new(day)).to_string();
        let c = p.evaluate(&builtin_profiles()[profile], &today);
        let s = &c.summary;
        let total = s.outstanding + s.pending + s.repeat_due + s.abnormal + s.needs_review + s.complete
            + s.optional + s.not_recommended + s.not_indicated + s.declined + s.not_applicable + s.deferred;
        prop_assert_eq!(total as usize, c.items.len());
        prop_assert!(serde_json::to_string(&c).is_ok());
        if let Some(next) = c.next_change_on() {
            prop_assert!(next > c.evaluated_on);
        }
    }

    #[test]
    fn no_checklist_defers_an_item_without_a_pregnancy_in_progress(p in patient(), profile in 0usize..4) {
        let c = p.evaluate(&builtin_profiles()[profile], "2026-11-23");
        let ongoing = p.pregnancies.iter().any(|p| p.outcome == Outcome::Ongoing);
        if !ongoing {
            prop_assert!(c.items.iter().all(|i| i.status != ItemStatus::Deferred));
        }
    }

    #[test]
    fn a_pregnancy_in_progress_never_makes_an_item_complete(p in patient(), profile in 0usize..4) {
        let profile = &builtin_profiles()[profile];
        let before = p.evaluate(profile, "2026-11-23");
        let mut pregnant = p.clone();
        pregnant.pregnancies.push(ongoing("2027-03-01"));
        let after = pregnant.evaluate(profile, "2026-11-23");
        for (b, a) in before.items.iter().zip(&after.items) {
            if a.status == ItemStatus::Complete {
                prop_assert_eq!(b.status, ItemStatus::Complete, "{:?}", a.id);
            }
        }
    }

    #[test]
    fn an_abnormal_result_never_leaves_its_item_complete(p in patient(), profile in 0usize..4) {
        let profile = &builtin_profiles()[profile];
        let c = p.evaluate(profile, "2027-06-01");
        for spec in &profile.items {
            // A positive antiphospholipid test may settle as transient on a negative repeat.
            if spec.id == ItemId::Antiphospholipid {
                continue;
            }
            let abnormal = p.results.iter().any(|r| {
                spec.components.iter().any(|c| c.test == r.test && c.subject == r.subject) && flagged_abnormal(r)
            });
            if abnormal {
                prop_assert_ne!(c.item(spec.id).unwrap().status, ItemStatus::Complete);
            }
        }
    }

    #[test]
    fn a_positive_antiphospholipid_test_with_no_later_negative_is_never_complete(p in patient(), profile in 0usize..4) {
        let profile = &builtin_profiles()[profile];
        let c = p.evaluate(profile, "2027-06-01");
        let spec = profile.item(ItemId::Antiphospholipid).unwrap();
        let latest_positive = spec.components.iter().any(|comp| {
            let mut dated: Vec<_> = p.results.iter()
                .filter(|r| r.test == comp.test && r.subject == comp.subject)
                .filter(|r| r.effective().is_some_and(|v| v.status.is_final_like() && v.collected_on.is_some()))
                .collect();
            dated.sort_by_key(|r| r.effective().unwrap().collected_on);
            dated.last().is_some_and(|r| flagged_abnormal(r))
        });
        if latest_positive {
            prop_assert_ne!(c.item(ItemId::Antiphospholipid).unwrap().status, ItemStatus::Complete);
        }
    }
}
