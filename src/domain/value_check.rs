//! Whether a result's value has the shape its test needs (clinical-rules.md §5). Shared by the
//! clinician API and every lab feed, so all of them accept and refuse the same values.
//! Pure: no actix, no diesel.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::catalogue::{TestCode, ValueKind};
use super::result::{Modality, ResultValue, Subject};

/// A problem with a value, relative to the value object (`"finding"`, `"quantity"`, …) or to the
/// result (`"modality"`); the caller prefixes its own path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueProblem {
    pub field: &'static str,
    pub message: String,
}

fn problem(field: &'static str, message: impl Into<String>) -> ValueProblem {
    ValueProblem {
        field,
        message: message.into(),
    }
}

/// Checks the value of a result of `test`. Units are not checked here: a quantity in a unit the
/// engine cannot convert is kept and shown as `needs_review`, never silently dropped.
pub fn check_value(
    test: TestCode,
    value: &ResultValue,
    modality: Option<Modality>,
) -> Vec<ValueProblem> {
    let entry = test.entry();
    let mut problems = Vec::new();
    if let Some(q) = value.quantity {
        if !q.is_finite() {
            problems.push(problem("quantity", "must be a finite number"));
        }
    }
    let finding_ok = |f: &str| entry.findings.is_empty() || entry.findings.contains(&f);
    if let Some(f) = value.finding.as_deref() {
        if !finding_ok(f) {
            problems.push(problem(
                "finding",
                format!(
                    "'{f}' is not a finding for {}; expected one of: {}",
                    test.as_str(),
                    entry.findings.join(", ")
                ),
            ));
        }
    }
    let has_any = value.quantity.is_some() || value.finding.is_some() || value.text.is_some();
    match entry.value_kind {
        ValueKind::Quantity => {
            if value.finding.is_some() && value.quantity.is_none() {
                problems.push(problem(
                    "finding",
                    format!("{} takes a quantity", test.as_str()),
                ));
            } else if !has_any {
                problems.push(problem(
                    "quantity",
                    "is required (or text when the lab sent one)",
                ));
            }
        }
        ValueKind::Finding => {
            if value.finding.is_none() && value.text.is_none() {
                problems.push(problem(
                    "finding",
                    format!(
                        "is required for {}; one of: {}",
                        test.as_str(),
                        entry.findings.join(", ")
                    ),
                ));
            }
        }
        ValueKind::QuantityOrFinding => {
            if !has_any {
                problems.push(problem("quantity", "a quantity or a finding is required"));
            }
        }
        ValueKind::Karyotype => {
            if value.finding.is_none() {
                problems.push(problem(
                    "finding",
                    format!("is required: one of {}", entry.findings.join(", ")),
                ));
            }
        }
    }
    if test == TestCode::UterineImaging && modality.is_none() {
        problems.push(problem(
            "modality",
            "is required for uterine imaging: 3d_tvus, 2d_tvus, shg, hsg, hysteroscopy or mri",
        ));
    }
    if test != TestCode::UterineImaging && modality.is_some() {
        problems.push(problem("modality", "applies only to uterine_imaging"));
    }
    problems
}

/// Whose sample a test can be of: a karyotype of anyone (patient, partner, pregnancy tissue);
/// sperm DNA fragmentation only of the partner; nothing else of pregnancy tissue. (Partner results
/// of other tests are kept but count for no item: clinical-rules.md §3.)
pub fn check_subject(test: TestCode, subject: Subject) -> Result<(), ValueProblem> {
    match (test, subject) {
        (TestCode::Karyotype, _) | (TestCode::SpermDnaFragmentation, Subject::Partner) => Ok(()),
        (TestCode::SpermDnaFragmentation, _) => Err(problem(
            "subject",
            "sperm DNA fragmentation is a result of the partner",
        )),
        (_, Subject::PregnancyTissue) => Err(problem(
            "subject",
            "only a karyotype is recorded for pregnancy tissue",
        )),
        _ => Ok(()),
    }
}

/// How far ahead of our clock a sender's `reported_at` may be (clocks drift) before it is
/// refused as in the future.
pub const REPORTED_AT_CLOCK_SKEW_SECONDS: i64 = 300;

/// A result is reported neither in the future nor before its sample was collected.
/// `collected_on` is a local date and `reported_at` an instant, so a report is only refused as
/// earlier when its UTC date is more than a day before the collection date (no time zone is
/// further than that from UTC). Fields: `reported_at`.
pub fn check_result_dates(
    collected_on: Option<NaiveDate>,
    reported_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Vec<ValueProblem> {
    let mut problems = Vec::new();
    let Some(reported) = reported_at else {
        return problems;
    };
    if reported > now + Duration::seconds(REPORTED_AT_CLOCK_SKEW_SECONDS) {
        problems.push(problem("reported_at", "must not be in the future"));
    }
    if collected_on.is_some_and(|c| reported.date_naive() < c - Duration::days(1)) {
        problems.push(problem(
            "reported_at",
            "must not be before the sample was collected (collected_on)",
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_result_is_reported_after_collection_and_not_in_the_future() {
        let now: DateTime<Utc> = "2026-11-23T12:00:00Z".parse().unwrap();
        let day = |s: &str| Some(s.parse::<NaiveDate>().unwrap());
        let at = |s: &str| Some(s.parse::<DateTime<Utc>>().unwrap());
        // (collected_on, reported_at, refused)
        let cases = [
            (day("2026-11-20"), at("2026-11-21T08:00:00Z"), false),
            (day("2026-11-20"), at("2026-11-19T22:00:00Z"), false), // east of UTC
            (day("2026-11-20"), at("2026-11-18T23:59:00Z"), true),
            (day("2026-11-20"), at("2026-11-23T12:04:00Z"), false), // clock skew
            (None, at("2026-11-23T12:06:00Z"), true),
            (None, at("2027-01-01T00:00:00Z"), true),
            (day("2026-11-20"), None, false),
        ];
        for (collected, reported, refused) in cases {
            let problems = check_result_dates(collected, reported, now);
            assert_eq!(!problems.is_empty(), refused, "{collected:?} {reported:?}");
            assert!(problems.iter().all(|p| p.field == "reported_at"));
        }
    }

    fn finding(f: &str) -> ResultValue {
        ResultValue {
            finding: Some(f.to_owned()),
            ..Default::default()
        }
    }

    #[test]
    fn only_a_karyotype_comes_from_tissue_and_sperm_only_from_the_partner() {
        assert!(check_subject(TestCode::Karyotype, Subject::PregnancyTissue).is_ok());
        assert!(check_subject(TestCode::SpermDnaFragmentation, Subject::Partner).is_ok());
        assert!(check_subject(TestCode::SpermDnaFragmentation, Subject::Patient).is_err());
        assert!(check_subject(TestCode::Tsh, Subject::PregnancyTissue).is_err());
    }

    #[test]
    fn a_karyotype_needs_a_known_category() {
        assert!(check_value(
            TestCode::Karyotype,
            &finding("balanced_rearrangement"),
            None
        )
        .is_empty());
        let p = check_value(TestCode::Karyotype, &finding("translocation"), None);
        assert_eq!(p[0].field, "finding");
        assert_eq!(
            check_value(TestCode::Karyotype, &ResultValue::default(), None)[0].field,
            "finding"
        );
    }

    #[test]
    fn uterine_imaging_needs_a_modality_and_a_known_finding() {
        let p = check_value(TestCode::UterineImaging, &finding("septate"), None);
        assert_eq!(p[0].field, "modality");
        assert!(check_value(
            TestCode::UterineImaging,
            &finding("septate"),
            Some(Modality::Tvus3d)
        )
        .is_empty());
        assert!(!check_value(
            TestCode::UterineImaging,
            &finding("huge"),
            Some(Modality::Mri)
        )
        .is_empty());
    }

    #[test]
    fn a_quantity_test_refuses_a_bare_finding_and_accepts_text() {
        assert!(!check_value(TestCode::Tsh, &finding("positive"), None).is_empty());
        let text = ResultValue {
            text: Some("<0.01".to_owned()),
            ..Default::default()
        };
        assert!(check_value(TestCode::Tsh, &text, None).is_empty());
        let nan = ResultValue {
            quantity: Some(f64::NAN),
            ..Default::default()
        };
        assert!(!check_value(TestCode::Tsh, &nan, None).is_empty());
    }
}
