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
