//! How long one checklist evaluation takes for a realistic patient: 6 pregnancies, 25 results
//! (some with several versions), 3 reviews, under each built-in profile. Goal: < 5 µs.
//! Run: `cargo bench --bench engine -- --quick`.

use chrono::{NaiveDate, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use rpl_workup::domain::catalogue::TestCode;
use rpl_workup::domain::engine::{evaluate, WorkupInput};
use rpl_workup::domain::ids::{PatientId, PregnancyId, ResultId, ReviewId};
use rpl_workup::domain::item::ItemId;
use rpl_workup::domain::pregnancy::{GestationalAge, Outcome, Pregnancy};
use rpl_workup::domain::profile::builtin_profiles;
use rpl_workup::domain::result::{
    LabResult, Modality, ResultStatus, ResultValue, ResultVersion, Subject,
};
use rpl_workup::domain::review::{Review, ReviewAction};

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn pregnancy(outcome: Outcome, ended: &str, weeks: u8) -> Pregnancy {
    Pregnancy {
        id: PregnancyId::new(),
        outcome,
        ended_on: Some(date(ended)),
        gestational_age: GestationalAge::new(weeks, 2).ok(),
        conception: None,
        complications: Vec::new(),
        edd: None,
        gestational_age_at_demise: None,
        partner_mrn: None,
    }
}

fn result(
    test: TestCode,
    subject: Subject,
    q: Option<(f64, &str)>,
    finding: Option<&str>,
    on: &str,
) -> LabResult {
    let version = ResultVersion {
        version: 1,
        status: ResultStatus::Final,
        value: ResultValue {
            quantity: q.map(|(v, _)| v),
            unit: q.map(|(_, u)| u.to_owned()),
            finding: finding.map(str::to_owned),
            text: None,
        },
        interpretation: None,
        reference_range: None,
        modality: (test == TestCode::UterineImaging).then_some(Modality::Tvus3d),
        collected_on: Some(date(on)),
        reported_at: None,
        on_anticoagulation: false,
        cycle_day: (test == TestCode::Progesterone).then_some(21),
        days_before_menses: None,
        partner_mrn: None,
    };
    LabResult {
        id: ResultId::new(),
        test,
        subject,
        pregnancy_id: None,
        versions: vec![version],
    }
}

fn patient() -> (Vec<Pregnancy>, Vec<LabResult>, Vec<Review>) {
    use Subject::*;
    use TestCode::*;
    let pregnancies = vec![
        pregnancy(Outcome::LiveBirth, "2019-03-01", 39),
        pregnancy(Outcome::Miscarriage, "2021-05-10", 8),
        pregnancy(Outcome::Biochemical, "2022-01-20", 5),
        pregnancy(Outcome::Ectopic, "2022-09-02", 7),
        pregnancy(Outcome::Miscarriage, "2024-02-14", 15),
        pregnancy(Outcome::Miscarriage, "2025-11-30", 9),
    ];
    let q = |v: f64, u: &'static str| Some((v, u));
    let mut results = vec![
        result(
            LupusAnticoagulant,
            Patient,
            None,
            Some("negative"),
            "2026-06-01",
        ),
        result(
            AnticardiolipinIgg,
            Patient,
            q(52.0, "[GPL'U]/mL"),
            None,
            "2026-06-01",
        ),
        result(
            AnticardiolipinIgg,
            Patient,
            q(61.0, "[GPL'U]/mL"),
            None,
            "2026-09-01",
        ),
        result(
            AnticardiolipinIgm,
            Patient,
            q(4.0, "[MPL'U]/mL"),
            None,
            "2026-06-01",
        ),
        result(AntiB2gpiIgg, Patient, None, Some("negative"), "2026-06-01"),
        result(AntiB2gpiIgm, Patient, None, Some("negative"), "2026-06-01"),
        result(Tsh, Patient, q(4.6, "mIU/L"), None, "2026-06-01"),
        result(FreeT4, Patient, q(14.0, "pmol/L"), None, "2026-06-10"),
        result(
            TpoAntibodies,
            Patient,
            q(12.0, "[IU]/mL"),
            None,
            "2026-06-01",
        ),
        result(UterineImaging, Patient, None, Some("normal"), "2026-07-01"),
        result(
            Karyotype,
            PregnancyTissue,
            None,
            Some("failed"),
            "2025-12-05",
        ),
        result(Karyotype, Patient, None, Some("normal"), "2026-06-01"),
        result(
            Karyotype,
            Partner,
            None,
            Some("balanced_rearrangement"),
            "2026-06-01",
        ),
        result(Progesterone, Patient, q(28.0, "nmol/L"), None, "2026-06-21"),
        result(Prolactin, Patient, q(12.0, "ng/mL"), None, "2026-06-01"),
        result(Hba1c, Patient, q(38.0, "mmol/mol"), None, "2026-06-01"),
        result(
            FactorVLeiden,
            Patient,
            None,
            Some("not_detected"),
            "2026-06-01",
        ),
        result(
            ProthrombinG20210a,
            Patient,
            None,
            Some("not_detected"),
            "2026-06-01",
        ),
        result(SmokingStatus, Patient, None, Some("never"), "2026-06-01"),
        result(
            AlcoholUnitsPerWeek,
            Patient,
            q(4.0, "{units}/wk"),
            None,
            "2026-06-01",
        ),
        result(Bmi, Patient, q(27.5, "kg/m2"), None, "2026-06-01"),
        result(
            CaffeineMgPerDay,
            Patient,
            q(150.0, "mg/d"),
            None,
            "2026-06-01",
        ),
        result(Phq9Score, Patient, q(11.0, "{score}"), None, "2026-06-01"),
        result(
            SupportOffered,
            Patient,
            None,
            Some("accepted"),
            "2026-06-01",
        ),
        result(
            SpermDnaFragmentation,
            Partner,
            q(18.0, "%"),
            None,
            "2026-06-01",
        ),
    ];
    let mut corrected = results[6].versions[0].clone();
    corrected.version = 2;
    corrected.status = ResultStatus::Corrected;
    results[6].versions.push(corrected);
    let review = |item, action, day: u32| Review {
        id: ReviewId::new(),
        item,
        action,
        note: Some("seen in clinic".into()),
        by: "dr-a".into(),
        at: Utc.with_ymd_and_hms(2026, 10, day, 9, 0, 0).unwrap(),
    };
    let reviews = vec![
        review(Some(ItemId::Thyroid), ReviewAction::Acknowledge, 2),
        review(
            Some(ItemId::ParentalKaryotype),
            ReviewAction::Acknowledge,
            3,
        ),
        review(Some(ItemId::InfectionScreening), ReviewAction::Declined, 4),
    ];
    (pregnancies, results, reviews)
}

fn bench(c: &mut Criterion) {
    let (pregnancies, results, reviews) = patient();
    let input = WorkupInput {
        patient_id: PatientId::new(),
        pregnancies: &pregnancies,
        results: &results,
        reviews: &reviews,
        partner_mrn: None,
    };
    let today = date("2026-11-23");
    for profile in builtin_profiles() {
        c.bench_function(&format!("evaluate/{}", profile.id), |b| {
            b.iter(|| evaluate(std::hint::black_box(&input), profile, today))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
