//! The guideline engine: `history + results + reviews + profile + today → Checklist`
//! (clinical-rules.md §1–§4). One pure function serves the REST endpoint, the worklist and CDS
//! Hooks. It imports neither actix nor diesel, does no I/O and never reads the clock: `today` is
//! an argument.

mod apl;
mod conditions;
mod eligibility;
mod interpret;
mod item;
mod readings;
mod reason;
mod units;

#[cfg(test)]
mod tests;

use chrono::NaiveDate;

use crate::domain::checklist::{Checklist, Eligibility, Summary};
use crate::domain::ids::PatientId;
use crate::domain::pregnancy::Pregnancy;
use crate::domain::profile::{Profile, Stance};
use crate::domain::result::LabResult;
use crate::domain::review::{Review, ReviewAction};

/// Everything the engine needs about one patient.
#[derive(Debug, Clone, Copy)]
pub struct WorkupInput<'a> {
    pub patient_id: PatientId,
    /// The obstetric history, in any order.
    pub pregnancies: &'a [Pregnancy],
    /// Every result with all its versions.
    pub results: &'a [LabResult],
    /// The active (not withdrawn) reviews; an item-less `request_early_workup` asks for the
    /// workup before the definition is met.
    pub reviews: &'a [Review],
}

/// What every item's evaluation shares.
pub(crate) struct Context<'a> {
    pub input: &'a WorkupInput<'a>,
    pub profile: &'a Profile,
    pub today: NaiveDate,
    pub eligibility: &'a Eligibility,
}

impl Context<'_> {
    /// The recommended items are due: the definition is met, or an early workup was requested.
    pub(crate) fn indicated(&self) -> bool {
        self.eligibility.meets_definition || self.eligibility.early_workup
    }
}

/// Evaluates the workup of `input` under `profile` on `today`.
pub fn evaluate(input: &WorkupInput, profile: &Profile, today: NaiveDate) -> Checklist {
    let losses = eligibility::count(input.pregnancies, &profile.loss_definition);
    let early = input
        .reviews
        .iter()
        .filter(|r| r.item.is_none() && r.action == ReviewAction::RequestEarlyWorkup)
        .min_by_key(|r| r.at)
        .map(|r| (r.by.as_str(), r.at.date_naive()));
    let eligibility = eligibility::assess(input.pregnancies, &losses, profile, early);
    let ctx = Context {
        input,
        profile,
        today,
        eligibility: &eligibility,
    };
    let items: Vec<_> = profile
        .items
        .iter()
        .filter(|s| s.stance != Stance::Omitted)
        .map(|spec| item::evaluate(&ctx, spec))
        .collect();
    Checklist {
        patient_id: input.patient_id,
        profile: profile.reference(),
        evaluated_on: today,
        summary: Summary::of(&items),
        eligibility,
        items,
    }
}
