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
    /// Pregnancy of unknown location that resolved spontaneously (counted where biochemical losses
    /// are, clinical-rules.md §6.6).
    PulResolved,
    /// Pregnancy of unknown location that was treated (e.g. methotrexate).
    PulTreated,
}

impl Outcome {
    pub const ALL: [Outcome; 10] = [
        Outcome::Miscarriage,
        Outcome::Biochemical,
        Outcome::Ectopic,
        Outcome::Molar,
        Outcome::Stillbirth,
        Outcome::LiveBirth,
        Outcome::Termination,
        Outcome::Ongoing,
        Outcome::PulResolved,
        Outcome::PulTreated,
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
            Outcome::PulResolved => "pul_resolved",
            Outcome::PulTreated => "pul_treated",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

/// A complication of a pregnancy that matters to the workup (clinical-rules.md §6.1: severe
/// pre-eclampsia, eclampsia or placental insufficiency before 34+0 weeks is an obstetric criterion
/// of antiphospholipid syndrome).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Complication {
    SeverePreeclampsia,
    Eclampsia,
    PlacentalInsufficiency,
    /// Haemolysis, elevated liver enzymes, low platelets.
    Hellp,
    FetalGrowthRestriction,
    PlacentalAbruption,
    GestationalDiabetes,
    PretermLabour,
    CervicalInsufficiency,
    Other,
}

impl Complication {
    pub const ALL: [Complication; 10] = [
        Complication::SeverePreeclampsia,
        Complication::Eclampsia,
        Complication::PlacentalInsufficiency,
        Complication::Hellp,
        Complication::FetalGrowthRestriction,
        Complication::PlacentalAbruption,
        Complication::GestationalDiabetes,
        Complication::PretermLabour,
        Complication::CervicalInsufficiency,
        Complication::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Complication::SeverePreeclampsia => "severe_preeclampsia",
            Complication::Eclampsia => "eclampsia",
            Complication::PlacentalInsufficiency => "placental_insufficiency",
            Complication::Hellp => "hellp",
            Complication::FetalGrowthRestriction => "fetal_growth_restriction",
            Complication::PlacentalAbruption => "placental_abruption",
            Complication::GestationalDiabetes => "gestational_diabetes",
            Complication::PretermLabour => "preterm_labour",
            Complication::CervicalInsufficiency => "cervical_insufficiency",
            Complication::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Reads a stored comma-separated list (unknown codes from a newer release are skipped).
    pub fn parse_list(s: &str) -> Vec<Self> {
        s.split(',').filter_map(|c| Self::parse(c.trim())).collect()
    }

    /// The stored form of a list: codes joined by commas, `None` when empty.
    pub fn join(list: &[Self]) -> Option<String> {
        let codes: Vec<_> = list.iter().map(|c| c.as_str()).collect();
        (!codes.is_empty()).then(|| codes.join(","))
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
    /// Complications recorded for this pregnancy (§6.1).
    pub complications: Vec<Complication>,
    /// Estimated due date: required for an ongoing pregnancy, absent otherwise (§6.3).
    pub edd: Option<NaiveDate>,
    /// When the fetus died, if earlier than the diagnosis (§6.6): used instead of
    /// `gestational_age` for trimester, limits and triggers.
    pub gestational_age_at_demise: Option<GestationalAge>,
    /// The partner of this pregnancy; `None`: the patient's current partner (§6.5).
    pub partner_mrn: Option<String>,
}

impl Pregnancy {
    /// The gestational age that counts for classifying the loss: at demise when recorded, else
    /// at diagnosis (§6.6).
    pub fn age_of_loss(&self) -> Option<GestationalAge> {
        self.gestational_age_at_demise.or(self.gestational_age)
    }

    /// Gestational age on `today` of an ongoing pregnancy: 280 − (edd − today) days (§6.3).
    pub fn age_on(&self, today: NaiveDate) -> Option<i64> {
        self.edd.map(|edd| 280 - (edd - today).num_days())
    }

    /// The days this pregnancy lasted, `(start, end)`, as far as they are known: the end is
    /// `ended_on` (today while ongoing), the start is the end minus the gestational age.
    pub fn span(&self, today: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
        if self.outcome == Outcome::Ongoing {
            let days = self.age_on(today)?.max(0);
            return Some((today - chrono::Days::new(days as u64), today));
        }
        let end = self.ended_on?;
        let days = self.gestational_age.map_or(0, |g| g.total_days());
        Some((end - chrono::Days::new(days.into()), end))
    }
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

/// The v2 facts of a reported pregnancy (clinical-rules.md §6.3, §6.5, §6.6).
#[derive(Debug, Clone, Copy)]
pub struct ReportedDetails<'a> {
    pub outcome: Outcome,
    pub edd: Option<NaiveDate>,
    pub gestational_age_weeks: Option<i32>,
    pub gestational_age_days: Option<i32>,
    pub demise_weeks: Option<i32>,
    pub demise_days: Option<i32>,
    pub partner_mrn: Option<&'a str>,
}

/// What makes the v2 facts usable: an ongoing pregnancy has an `edd` (no more than 40 weeks
/// ahead) and no other does; a gestational age at demise belongs to a miscarriage or stillbirth,
/// is in range and not after the gestational age at diagnosis; a partner MRN has an MRN's shape.
pub fn check_details(p: &ReportedDetails, today: NaiveDate) -> Vec<HistoryProblem> {
    let mut problems = Vec::new();
    let mut push = |field, message: String| problems.push(HistoryProblem { field, message });
    match (p.outcome, p.edd) {
        (Outcome::Ongoing, None) => push(
            "edd",
            "is required for an ongoing pregnancy: its gestational age is read from it".into(),
        ),
        (Outcome::Ongoing, Some(edd)) if (edd - today).num_days() > 280 => {
            push("edd", "must be at most 40 weeks from today".into())
        }
        (Outcome::Ongoing, Some(_)) | (_, None) => {}
        (outcome, Some(_)) => push(
            "edd",
            format!(
                "applies only to an ongoing pregnancy, not a {}; leave edd out",
                outcome.as_str()
            ),
        ),
    }
    if p.demise_days.is_some() && p.demise_weeks.is_none() {
        push(
            "gestational_age_at_demise_weeks",
            "is required when gestational_age_at_demise_days is given".into(),
        );
    }
    if let Some(weeks) = p.demise_weeks {
        let field = "gestational_age_at_demise_weeks";
        let days = p.demise_days.unwrap_or(0);
        if !matches!(p.outcome, Outcome::Miscarriage | Outcome::Stillbirth) {
            push(
                field,
                format!(
                    "applies only to a miscarriage or stillbirth, not a {}",
                    p.outcome.as_str()
                ),
            );
        } else if !(0..=45).contains(&weeks) || !(0..=6).contains(&days) {
            push(
                field,
                "gestational age must be 0–45 weeks and 0–6 days".into(),
            );
        } else if let Some(at_diagnosis) = p.gestational_age_weeks {
            let diagnosis = at_diagnosis * 7 + p.gestational_age_days.unwrap_or(0);
            if weeks * 7 + days > diagnosis {
                push(
                    field,
                    "must not be after the gestational age at diagnosis".into(),
                );
            }
        }
    }
    if let Some(mrn) = p.partner_mrn {
        if let Err(message) = super::patient::Mrn::parse(mrn) {
            push("partner_mrn", message.into());
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
    fn the_v2_facts_name_the_field_that_breaks_them() {
        let today = date("2026-11-23");
        let base = ReportedDetails {
            outcome: Outcome::Ongoing,
            edd: Some(date("2027-04-01")),
            gestational_age_weeks: None,
            gestational_age_days: None,
            demise_weeks: None,
            demise_days: None,
            partner_mrn: None,
        };
        let stillbirth = ReportedDetails {
            outcome: Outcome::Stillbirth,
            edd: None,
            gestational_age_weeks: Some(26),
            ..base
        };
        let cases = [
            (base, None),
            (ReportedDetails { edd: None, ..base }, Some("edd")),
            (
                ReportedDetails {
                    edd: Some(date("2027-12-01")),
                    ..base
                },
                Some("edd"),
            ),
            (
                ReportedDetails {
                    edd: Some(date("2026-12-01")),
                    ..stillbirth
                },
                Some("edd"),
            ),
            (
                ReportedDetails {
                    demise_weeks: Some(24),
                    ..stillbirth
                },
                None,
            ),
            (
                ReportedDetails {
                    demise_weeks: Some(26),
                    demise_days: Some(1),
                    ..stillbirth
                },
                Some("gestational_age_at_demise_weeks"),
            ),
            (
                ReportedDetails {
                    demise_days: Some(2),
                    ..stillbirth
                },
                Some("gestational_age_at_demise_weeks"),
            ),
            (
                ReportedDetails {
                    outcome: Outcome::LiveBirth,
                    demise_weeks: Some(20),
                    ..stillbirth
                },
                Some("gestational_age_at_demise_weeks"),
            ),
            (
                ReportedDetails {
                    partner_mrn: Some(" "),
                    ..stillbirth
                },
                Some("partner_mrn"),
            ),
            (
                ReportedDetails {
                    partner_mrn: Some("P-17"),
                    ..stillbirth
                },
                None,
            ),
        ];
        for (p, field) in cases {
            let problems = check_details(&p, today);
            assert_eq!(
                problems.first().map(|x| x.field),
                field,
                "{p:?}: {problems:?}"
            );
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
