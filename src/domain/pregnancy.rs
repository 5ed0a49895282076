//! The obstetric history: pregnancies, how they ended and at what gestational age.
//! Pure: no actix, no diesel.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ids::PregnancyId;

/// How a pregnancy ended (or that it is ongoing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Clinical miscarriage (ultrasound or histology confirmed).
    Miscarriage,
    /// Biochemical pregnancy loss (positive hCG only).
    Biochemical,
    Ectopic,
    Molar,
    Stillbirth,
    LiveBirth,
    Termination,
    Ongoing,
}

impl Outcome {
    pub const ALL: [Outcome; 8] = [
        Outcome::Miscarriage,
        Outcome::Biochemical,
        Outcome::Ectopic,
        Outcome::Molar,
        Outcome::Stillbirth,
        Outcome::LiveBirth,
        Outcome::Termination,
        Outcome::Ongoing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Miscarriage => "miscarriage",
            Outcome::Biochemical => "biochemical",
            Outcome::Ectopic => "ectopic",
            Outcome::Molar => "molar",
            Outcome::Stillbirth => "stillbirth",
            Outcome::LiveBirth => "live_birth",
            Outcome::Termination => "termination",
            Outcome::Ongoing => "ongoing",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

/// How the pregnancy was conceived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Conception {
    Spontaneous,
    Iui,
    Ivf,
    Icsi,
    Other,
}

impl Conception {
    pub const ALL: [Conception; 5] = [
        Conception::Spontaneous,
        Conception::Iui,
        Conception::Ivf,
        Conception::Icsi,
        Conception::Other,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Conception::Spontaneous => "spontaneous",
            Conception::Iui => "iui",
            Conception::Ivf => "ivf",
            Conception::Icsi => "icsi",
            Conception::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Gestational age as completed weeks + days (0–45 weeks, 0–6 days).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GestationalAge {
    weeks: u8,
    days: u8,
}

impl GestationalAge {
    pub const MAX_WEEKS: u8 = 45;

    pub fn new(weeks: u8, days: u8) -> Result<Self, &'static str> {
        if weeks > Self::MAX_WEEKS {
            return Err("gestational age weeks must be between 0 and 45");
        }
        if days > 6 {
            return Err("gestational age days must be between 0 and 6");
        }
        Ok(Self { weeks, days })
    }
    pub fn weeks(self) -> u8 {
        self.weeks
    }
    pub fn days(self) -> u8 {
        self.days
    }
    /// Whole days since 0+0, the unit every limit is compared in.
    pub fn total_days(self) -> u32 {
        self.weeks as u32 * 7 + self.days as u32
    }
}

impl std::fmt::Display for GestationalAge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}+{}", self.weeks, self.days)
    }
}

/// One pregnancy of the obstetric history, as the engine sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Pregnancy {
    pub id: PregnancyId,
    pub outcome: Outcome,
    /// When it ended; `None` only for an ongoing pregnancy.
    pub ended_on: Option<NaiveDate>,
    /// `None` when not recorded (allowed only for outcomes where counting does not depend on it).
    pub gestational_age: Option<GestationalAge>,
    pub conception: Option<Conception>,
}

/// One recorded pregnancy, as an EHR or clinician reports it, before it is trusted.
#[derive(Debug, Clone, Copy)]
pub struct ReportedPregnancy {
    pub outcome: Outcome,
    pub ended_on: Option<NaiveDate>,
    pub gestational_age_weeks: Option<i32>,
    pub gestational_age_days: Option<i32>,
}

/// A problem with one field of a reported pregnancy (`ended_on`, `gestational_age_weeks`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryProblem {
    pub field: &'static str,
    pub message: String,
}

/// What makes a pregnancy record usable for counting losses (clinical-rules.md §1): an ended
/// pregnancy has an end date, not in the future and after the mother's birth; an ongoing one has
/// none; a miscarriage or stillbirth has a gestational age (losses are counted by it), in range.
pub fn check_reported(
    p: &ReportedPregnancy,
    birth_date: Option<NaiveDate>,
    today: NaiveDate,
) -> Vec<HistoryProblem> {
    let mut problems = Vec::new();
    let mut push = |field, message: String| problems.push(HistoryProblem { field, message });
    match (p.outcome, p.ended_on) {
        (Outcome::Ongoing, Some(_)) => push(
            "ended_on",
            "an ongoing pregnancy has not ended; leave ended_on out".into(),
        ),
        (Outcome::Ongoing, None) => {}
        (outcome, None) => push(
            "ended_on",
            format!(
                "is required for a pregnancy that ended ({})",
                outcome.as_str()
            ),
        ),
        (_, Some(date)) => {
            if date > today {
                push("ended_on", "must not be in the future".into());
            }
            if birth_date.is_some_and(|b| date <= b) {
                push("ended_on", "must be after the patient's birth date".into());
            }
        }
    }
    if matches!(p.outcome, Outcome::Miscarriage | Outcome::Stillbirth)
        && p.gestational_age_weeks.is_none()
    {
        push(
            "gestational_age_weeks",
            format!(
                "is required for a {}: losses are counted by gestational age",
                p.outcome.as_str()
            ),
        );
    }
    if p.gestational_age_days.is_some() && p.gestational_age_weeks.is_none() {
        push(
            "gestational_age_weeks",
            "is required when gestational_age_days is given".into(),
        );
    }
    if let Some(weeks) = p.gestational_age_weeks {
        let days = p.gestational_age_days.unwrap_or(0);
        let age = u8::try_from(weeks)
            .ok()
            .zip(u8::try_from(days).ok())
            .map(|(w, d)| GestationalAge::new(w, d));
        match age {
            Some(Ok(_)) => {}
            Some(Err(message)) => push("gestational_age_weeks", message.into()),
            None => push(
                "gestational_age_weeks",
                "gestational age must be 0–45 weeks and 0–6 days".into(),
            ),
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn reported(outcome: Outcome, ended: Option<&str>, weeks: Option<i32>) -> ReportedPregnancy {
        ReportedPregnancy {
            outcome,
            ended_on: ended.map(date),
            gestational_age_weeks: weeks,
            gestational_age_days: None,
        }
    }

    #[test]
    fn the_history_rules_name_the_field_that_breaks_them() {
        let today = date("2026-11-23");
        let born = Some(date("1990-01-01"));
        let cases = [
            (
                reported(Outcome::LiveBirth, None, Some(39)),
                Some("ended_on"),
            ),
            (
                reported(Outcome::Ongoing, Some("2026-01-01"), Some(10)),
                Some("ended_on"),
            ),
            (
                reported(Outcome::Miscarriage, Some("2026-01-01"), None),
                Some("gestational_age_weeks"),
            ),
            (
                reported(Outcome::Miscarriage, Some("2027-01-01"), Some(8)),
                Some("ended_on"),
            ),
            (
                reported(Outcome::Miscarriage, Some("1989-01-01"), Some(8)),
                Some("ended_on"),
            ),
            (
                reported(Outcome::Stillbirth, Some("2026-01-01"), Some(46)),
                Some("gestational_age_weeks"),
            ),
            (
                reported(Outcome::Biochemical, Some("2026-01-01"), None),
                None,
            ),
            (reported(Outcome::Ongoing, None, None), None),
        ];
        for (p, field) in cases {
            let problems = check_reported(&p, born, today);
            assert_eq!(
                problems.first().map(|x| x.field),
                field,
                "{p:?}: {problems:?}"
            );
        }
    }
}
