//! Whether an obstetric history is plausible, beyond the shape of each record
//! (`pregnancy::check_reported`): gestational ages that fit the outcome, a mother old enough, at
//! most one ongoing pregnancy, and the same loss not entered twice. Kept apart from the record
//! rules so that each can change on its own. Pure: no actix, no diesel, no clock.

use chrono::{Months, NaiveDate};

use super::pregnancy::{HistoryProblem, Outcome};

/// Two pregnancies with the same outcome whose end dates are at most this many days apart are
/// taken to be the same pregnancy entered twice (a retried request, a second clinician).
pub const DUPLICATE_WINDOW_DAYS: i64 = 3;

/// A pregnancy that ends before the patient is this old is implausible (a wrong birth date or a
/// wrong end date, far more likely than a true pregnancy).
pub const MIN_AGE_AT_PREGNANCY_END_YEARS: u32 = 10;

/// The gestational ages an outcome is plausible at, in days since 0+0: `from ≤ age < before`.
struct GestationLimit {
    outcome: Outcome,
    from: Option<u32>,
    before: Option<u32>,
    rule: &'static str,
}

const fn weeks(w: u32) -> Option<u32> {
    Some(w * 7)
}

/// The limits, one row per outcome that has any. Miscarriage (< 28+0) and stillbirth (≥ 20+0)
/// overlap on purpose: countries draw the line between them at 20, 22, 24 or 28 weeks.
/// A biochemical loss is one seen only on hCG, before an ultrasound could show a sac (usually
/// before 6 weeks); 10+0 leaves room for dating by the last period in long or irregular cycles.
const GESTATION_LIMITS: [GestationLimit; 6] = [
    GestationLimit {
        outcome: Outcome::LiveBirth,
        from: weeks(20),
        before: None,
        rule: "a live birth is at 20+0 weeks or later",
    },
    GestationLimit {
        outcome: Outcome::Stillbirth,
        from: weeks(20),
        before: None,
        rule: "a stillbirth is at 20+0 weeks or later; an earlier loss is a miscarriage",
    },
    GestationLimit {
        outcome: Outcome::Miscarriage,
        from: None,
        before: weeks(28),
        rule: "a miscarriage is before 28+0 weeks; a later loss is a stillbirth",
    },
    GestationLimit {
        outcome: Outcome::Ectopic,
        from: None,
        before: weeks(20),
        rule: "an ectopic pregnancy ends before 20+0 weeks",
    },
    GestationLimit {
        outcome: Outcome::Molar,
        from: None,
        before: weeks(20),
        rule: "a molar pregnancy ends before 20+0 weeks",
    },
    GestationLimit {
        outcome: Outcome::Biochemical,
        from: None,
        before: weeks(10),
        rule: "a biochemical loss is early: before 10+0 weeks",
    },
];

fn problem(field: &'static str, message: impl Into<String>) -> HistoryProblem {
    HistoryProblem {
        field,
        message: message.into(),
    }
}

/// Whether the gestational age fits the outcome. Ages out of range are `check_reported`'s to
/// refuse; they are not judged here.
pub fn check_gestation(
    outcome: Outcome,
    weeks: Option<i32>,
    days: Option<i32>,
) -> Option<HistoryProblem> {
    let weeks = u32::try_from(weeks?).ok().filter(|w| *w <= 45)?;
    let days = u32::try_from(days.unwrap_or(0)).ok().filter(|d| *d <= 6)?;
    let age = weeks * 7 + days;
    let limit = GESTATION_LIMITS.iter().find(|l| l.outcome == outcome)?;
    let too_early = limit.from.is_some_and(|from| age < from);
    let too_late = limit.before.is_some_and(|before| age >= before);
    (too_early || too_late).then(|| {
        problem(
            "gestational_age_weeks",
            format!("{weeks}+{days} is implausible: {}", limit.rule),
        )
    })
}

/// The day the patient turns old enough for a pregnancy to end plausibly.
fn plausible_from(birth_date: NaiveDate) -> NaiveDate {
    birth_date
        .checked_add_months(Months::new(12 * MIN_AGE_AT_PREGNANCY_END_YEARS))
        .unwrap_or(NaiveDate::MAX)
}

/// A pregnancy must not end before the patient is ten. (Ending before her birth is
/// `check_reported`'s rule.)
pub fn check_age_at_end(
    ended_on: Option<NaiveDate>,
    birth_date: Option<NaiveDate>,
) -> Option<HistoryProblem> {
    let (end, born) = (ended_on?, birth_date?);
    (end > born && end < plausible_from(born)).then(|| {
        problem(
            "ended_on",
            format!(
                "is implausible: the patient would have been under {MIN_AGE_AT_PREGNANCY_END_YEARS} years old"
            ),
        )
    })
}

/// A (new or changed) birth date must come at least ten years before every recorded end.
pub fn check_birth_date(
    birth_date: NaiveDate,
    recorded_ends: impl IntoIterator<Item = NaiveDate>,
) -> Option<HistoryProblem> {
    let earliest = recorded_ends.into_iter().min()?;
    if earliest <= birth_date {
        Some(problem(
            "birth_date",
            format!("must be before every recorded pregnancy end (one ended on {earliest})"),
        ))
    } else if earliest < plausible_from(birth_date) {
        Some(problem(
            "birth_date",
            format!(
                "is implausible: a recorded pregnancy ended on {earliest}, before the patient was {MIN_AGE_AT_PREGNANCY_END_YEARS}"
            ),
        ))
    } else {
        None
    }
}

/// At most one pregnancy of a patient is ongoing; `others_ongoing` counts the rest of her history.
pub fn check_ongoing(outcome: Outcome, others_ongoing: usize) -> Option<HistoryProblem> {
    (outcome == Outcome::Ongoing && others_ongoing > 0).then(|| {
        problem(
            "outcome",
            "the patient already has an ongoing pregnancy; record how that one ended first",
        )
    })
}

/// Whether two records are the same pregnancy: same outcome, ends at most
/// [`DUPLICATE_WINDOW_DAYS`] apart. Ongoing pregnancies have no end; `check_ongoing` covers them.
pub fn same_pregnancy(a: (Outcome, Option<NaiveDate>), b: (Outcome, Option<NaiveDate>)) -> bool {
    match (a, b) {
        ((oa, Some(ea)), (ob, Some(eb))) => {
            oa == ob && (ea - eb).num_days().abs() <= DUPLICATE_WINDOW_DAYS
        }
        _ => false,
    }
}

/// The first of `history` that is the same pregnancy as `new`, by its key.
pub fn find_duplicate<K>(
    new: (Outcome, Option<NaiveDate>),
    history: impl IntoIterator<Item = (K, Outcome, Option<NaiveDate>)>,
) -> Option<K> {
    history
        .into_iter()
        .find(|(_, outcome, end)| same_pregnancy(new, (*outcome, *end)))
        .map(|(key, _, _)| key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn each_outcome_is_plausible_only_in_its_gestational_window() {
        use Outcome::*;
        // (outcome, weeks, days, plausible)
        let cases = [
            (LiveBirth, 8, 0, false),
            (LiveBirth, 19, 6, false),
            (LiveBirth, 20, 0, true),
            (LiveBirth, 40, 0, true),
            (Stillbirth, 19, 6, false),
            (Stillbirth, 20, 0, true),
            (Miscarriage, 8, 0, true),
            (Miscarriage, 27, 6, true),
            (Miscarriage, 28, 0, false),
            (Miscarriage, 40, 0, false),
            (Ectopic, 19, 6, true),
            (Ectopic, 20, 0, false),
            (Ectopic, 30, 0, false),
            (Molar, 12, 0, true),
            (Molar, 20, 0, false),
            (Biochemical, 5, 2, true),
            (Biochemical, 9, 6, true),
            (Biochemical, 10, 0, false),
            (Termination, 22, 0, true),
            (Termination, 3, 0, true),
        ];
        for (outcome, w, d, plausible) in cases {
            let found = check_gestation(outcome, Some(w), Some(d));
            assert_eq!(found.is_none(), plausible, "{outcome:?} {w}+{d}: {found:?}");
            if let Some(p) = found {
                assert_eq!(p.field, "gestational_age_weeks");
            }
        }
        assert_eq!(check_gestation(Outcome::LiveBirth, None, None), None);
        assert_eq!(check_gestation(Outcome::LiveBirth, Some(99), None), None);
    }

    #[test]
    fn a_pregnancy_before_the_patient_is_ten_is_implausible_from_either_side() {
        let born = Some(date("2000-06-15"));
        let cases = [
            ("2005-01-01", true),
            ("2010-06-14", true),
            ("2010-06-15", false),
            ("2025-01-01", false),
            ("1999-01-01", false), // before birth: check_reported's rule
        ];
        for (end, implausible) in cases {
            assert_eq!(
                check_age_at_end(Some(date(end)), born).is_some(),
                implausible,
                "{end}"
            );
        }
        assert_eq!(check_age_at_end(Some(date("2005-01-01")), None), None);

        let ends = [date("2020-03-01"), date("2024-03-01")];
        let cases = [
            ("1990-01-01", None),
            ("2010-03-01", None),
            ("2010-03-02", Some("birth_date")),
            ("2021-01-01", Some("birth_date")),
        ];
        for (birth, field) in cases {
            let found = check_birth_date(date(birth), ends);
            assert_eq!(found.map(|p| p.field), field, "{birth}");
        }
        assert_eq!(check_birth_date(date("2021-01-01"), []), None);
    }

    #[test]
    fn one_ongoing_pregnancy_at_a_time() {
        assert!(check_ongoing(Outcome::Ongoing, 0).is_none());
        assert_eq!(
            check_ongoing(Outcome::Ongoing, 1).map(|p| p.field),
            Some("outcome")
        );
        assert!(check_ongoing(Outcome::Miscarriage, 1).is_none());
    }

    #[test]
    fn the_same_outcome_ending_within_three_days_is_the_same_pregnancy() {
        use Outcome::*;
        let d = |s| Some(date(s));
        let cases = [
            (
                (Miscarriage, d("2025-03-01")),
                (Miscarriage, d("2025-03-01")),
                true,
            ),
            (
                (Miscarriage, d("2025-03-01")),
                (Miscarriage, d("2025-03-04")),
                true,
            ),
            (
                (Miscarriage, d("2025-03-04")),
                (Miscarriage, d("2025-03-01")),
                true,
            ),
            (
                (Miscarriage, d("2025-03-01")),
                (Miscarriage, d("2025-03-05")),
                false,
            ),
            (
                (Miscarriage, d("2025-03-01")),
                (Biochemical, d("2025-03-01")),
                false,
            ),
            ((Ongoing, None), (Ongoing, None), false),
        ];
        for (a, b, same) in cases {
            assert_eq!(same_pregnancy(a, b), same, "{a:?} {b:?}");
        }
        let history = [
            ("a", Biochemical, d("2025-03-01")),
            ("b", Miscarriage, d("2025-02-27")),
        ];
        assert_eq!(
            find_duplicate((Miscarriage, d("2025-03-01")), history),
            Some("b")
        );
        assert_eq!(find_duplicate((LiveBirth, d("2025-03-01")), history), None);
    }
}
