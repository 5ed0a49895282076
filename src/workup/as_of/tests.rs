//! "As of D" equals "the record truncated at D", for any history and any day: the live view of a
//! truncated history and the dated view of the whole one are computed independently.

use chrono::{Days, NaiveDate, NaiveDateTime};
use proptest::prelude::*;

use super::*;
use crate::domain::catalogue::CATALOGUE;
use crate::domain::engine::{evaluate, WorkupInput};
use crate::domain::ids::{ResultId, ReviewId};
use crate::domain::item::ItemId;
use crate::domain::pregnancy::{GestationalAge, Outcome};
use crate::domain::profile::builtin_profiles;
use crate::domain::result::{Interpretation, ResultStatus, ResultValue, ResultVersion, Subject};
use crate::domain::review::ReviewAction;

fn start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 1, 1).expect("a date")
}

/// A moment within the first 400 days, at any hour.
fn moment() -> impl Strategy<Value = NaiveDateTime> {
    (0u64..400, 0u32..86_400).prop_map(|(day, s)| {
        (start() + Days::new(day))
            .and_hms_opt(0, 0, 0)
            .expect("midnight")
            + chrono::Duration::seconds(i64::from(s))
    })
}

fn pregnancy_events() -> impl Strategy<Value = Vec<PregnancyEvent>> {
    let state = (0..Outcome::ALL.len(), 0u64..400, 4u8..30)
        .prop_map(|(o, day, weeks)| (Outcome::ALL[o], start() + Days::new(day), weeks));
    let one = proptest::collection::vec((moment(), proptest::option::of(state)), 1..4);
    proptest::collection::vec(one, 0..6).prop_map(|pregnancies| {
        let mut events = Vec::new();
        for writes in pregnancies {
            let id = PregnancyId::new();
            let mut writes = writes;
            writes.sort_by_key(|(at, _)| *at);
            for (at, state) in writes {
                let state = state.map(|(outcome, ended_on, weeks)| Pregnancy {
                    id,
                    outcome,
                    ended_on: (outcome != Outcome::Ongoing).then_some(ended_on),
                    gestational_age: GestationalAge::new(weeks, 0).ok(),
                    conception: None,
                    complications: Vec::new(),
                    edd: (outcome == Outcome::Ongoing).then_some(ended_on),
                    gestational_age_at_demise: None,
                    partner_mrn: None,
                });
                events.push(PregnancyEvent { id, at, state });
            }
        }
        events
    })
}

fn results() -> impl Strategy<Value = Vec<ResultHistory>> {
    let version = (0..Interpretation::ALL.len(), 0.0f64..100.0, moment());
    let one = (
        0..CATALOGUE.len(),
        proptest::collection::vec(version, 1..4),
        proptest::option::of(moment()),
    );
    proptest::collection::vec(one, 0..10).prop_map(|results| {
        results
            .into_iter()
            .map(|(t, mut versions, deleted_at)| {
                versions.sort_by_key(|(_, _, at)| *at);
                ResultHistory {
                    result: LabResult {
                        id: ResultId::new(),
                        test: CATALOGUE[t].code,
                        subject: Subject::Patient,
                        pregnancy_id: None,
                        versions: versions
                            .iter()
                            .enumerate()
                            .map(|(i, (flag, q, at))| ResultVersion {
                                version: i as u32 + 1,
                                status: ResultStatus::Final,
                                value: ResultValue {
                                    quantity: Some(*q),
                                    ..ResultValue::default()
                                },
                                interpretation: Some(Interpretation::ALL[*flag]),
                                reference_range: None,
                                modality: None,
                                collected_on: Some(at.date()),
                                reported_at: None,
                                on_anticoagulation: false,
                                cycle_day: None,
                                days_before_menses: None,
                                partner_mrn: None,
                            })
                            .collect(),
                    },
                    recorded_at: versions.iter().map(|(_, _, at)| *at).collect(),
                    deleted_at,
                }
            })
            .collect()
    })
}

fn reviews() -> impl Strategy<Value = Vec<ReviewHistory>> {
    let item = proptest::option::of(0..ItemId::ALL.len());
    let one = (
        item,
        0..ReviewAction::ALL.len(),
        moment(),
        proptest::option::of(moment()),
    );
    proptest::collection::vec(one, 0..5).prop_map(|reviews| {
        reviews
            .into_iter()
            .map(|(item, action, at, withdrawn)| ReviewHistory {
                review: Review {
                    id: ReviewId::new(),
                    item: item.map(|i| ItemId::ALL[i]),
                    action: ReviewAction::ALL[action],
                    note: None,
                    by: "dr".into(),
                    at: at.and_utc(),
                },
                withdrawn_at: withdrawn.filter(|w| *w >= at),
            })
            .collect()
    })
}

fn history() -> impl Strategy<Value = History> {
    (pregnancy_events(), results(), reviews()).prop_map(|(pregnancies, results, reviews)| History {
        patient_id: PatientId::new(),
        pregnancies,
        results,
        reviews,
    })
}

fn checklist(record: &PatientRecord, profile: usize, day: NaiveDate) -> String {
    let input = WorkupInput {
        patient_id: record.patient_id,
        pregnancies: &record.pregnancies,
        results: &record.results,
        reviews: &record.reviews,
        partner_mrn: None,
    };
    let profile = &builtin_profiles()[profile % builtin_profiles().len()];
    serde_json::to_string(&evaluate(&input, profile, day)).expect("serialises")
}

proptest! {
    #[test]
    fn the_record_as_of_a_day_is_the_record_truncated_at_that_day(
        h in history(), day in 0u64..420, profile in 0usize..8,
    ) {
        let day = start() + Days::new(day);
        let as_of = record_at(&h, day);
        let truncated = current(&truncate(&h, day));
        prop_assert_eq!(&as_of.pregnancies, &truncated.pregnancies);
        prop_assert_eq!(&as_of.results, &truncated.results);
        prop_assert_eq!(&as_of.reviews, &truncated.reviews);
        prop_assert_eq!(checklist(&as_of, profile, day), checklist(&truncated, profile, day));
    }

    #[test]
    fn as_of_a_day_after_every_write_is_the_record_now(h in history()) {
        let later = start() + Days::new(1000);
        prop_assert_eq!(record_at(&h, later).pregnancies, current(&h).pregnancies);
        prop_assert_eq!(record_at(&h, later).results, current(&h).results);
    }
}

fn at(day: &str) -> NaiveDateTime {
    NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .expect("a date")
        .and_hms_opt(12, 0, 0)
        .expect("noon")
}

#[test]
fn a_profile_choice_as_of_a_day_is_the_last_change_by_then_else_what_the_first_change_replaced() {
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date");
    let some = |s: &str| Some(s.to_owned());
    let changes = vec![
        (at("2026-03-01"), some("eshre-2022"), some("rcog-2023")),
        (at("2026-05-01"), some("rcog-2023"), None),
    ];
    let table = [
        ("2026-02-28", some("eshre-2022")),
        ("2026-03-01", some("rcog-2023")),
        ("2026-04-30", some("rcog-2023")),
        ("2026-05-01", None),
    ];
    for (day, expected) in table {
        assert_eq!(choice_at(&changes, some("now"), d(day)), expected, "{day}");
    }
    assert_eq!(choice_at(&[], some("now"), d("2026-01-01")), some("now"));
}
