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
mod results;
mod text;
mod tissue;
mod triggers;
mod units;

#[cfg(test)]
mod tests;

use chrono::NaiveDate;

use crate::domain::checklist::{Checklist, Eligibility, ItemStatus, Summary};
use crate::domain::ids::PatientId;
use crate::domain::pregnancy::{Outcome, Pregnancy};
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
    /// The MRN of the patient's current partner, when recorded (clinical-rules.md §6.5).
    pub partner_mrn: Option<&'a str>,
}

/// What every item's evaluation shares.
pub(crate) struct Context<'a> {
    pub input: &'a WorkupInput<'a>,
    pub profile: &'a Profile,
    /// The results by test and subject.
    pub results: &'a results::ResultsByTest<'a>,
    pub today: NaiveDate,
    pub eligibility: &'a Eligibility,
    /// Indications outside the definition that fired (§6.1).
    pub fired: &'a [triggers::Fired<'a>],
    /// The pregnancy in progress, if any (§6.3).
    pub ongoing: Option<&'a Pregnancy>,
    /// The most recent counted loss (§6.4).
    pub latest_loss: Option<&'a Pregnancy>,
}

impl Context<'_> {
    /// The recommended items are due: the definition is met, or an early workup was requested.
    pub(crate) fn indicated(&self) -> bool {
        self.eligibility.meets_definition || self.eligibility.early_workup
    }
}

/// Evaluates the workup of `input` under `profile` on `today`.
pub fn evaluate(input: &WorkupInput, profile: &Profile, today: NaiveDate) -> Checklist {
    let losses = eligibility::count(
        input.pregnancies,
        &profile.loss_definition,
        input.partner_mrn,
    );
    let fired = triggers::fire(input.pregnancies, &profile.triggers);
    let early = input
        .reviews
        .iter()
        .filter(|r| r.item.is_none() && r.action == ReviewAction::RequestEarlyWorkup)
        .min_by_key(|r| r.at)
        .map(|r| (&*r.by, r.at.date_naive()));
    let mut eligibility = eligibility::assess(
        input.pregnancies,
        &losses,
        profile,
        early,
        triggers::listed(&fired),
    );
    for f in &fired {
        eligibility
            .explanation
            .push_str(" Outside the definition: ");
        f.describe(&mut eligibility.explanation);
        eligibility.explanation.push('.');
    }
    let grace = chrono::Days::new(profile.thresholds.edd_grace_days.into());
    // An ongoing pregnancy without a due date (recorded before EDDs were required) is taken as
    // in progress: the safer reading, it never books a procedure for a pregnant woman.
    let ongoing = input
        .pregnancies
        .iter()
        .find(|p| p.outcome == Outcome::Ongoing && p.edd.is_none_or(|edd| today <= edd + grace));
    let latest_loss = losses
        .latest
        .and_then(|id| input.pregnancies.iter().find(|p| p.id == id));
    let results = results::ResultsByTest::new(input.results);
    let ctx = Context {
        input,
        profile,
        results: &results,
        today,
        eligibility: &eligibility,
        fired: &fired,
        ongoing,
        latest_loss,
    };
    let mut buffers = item::Buffers::default();
    let mut items = Vec::with_capacity(profile.items.len());
    for spec in profile.items.iter().filter(|s| s.stance != Stance::Omitted) {
        items.push(item::evaluate(&ctx, spec, &mut buffers));
    }
    let deferred_until = ongoing
        .and_then(|p| p.edd)
        .map(|edd| edd + grace)
        .filter(|_| items.iter().any(|i| i.status == ItemStatus::Deferred));
    Checklist {
        deferred_until,
        patient_id: input.patient_id,
        profile: profile.reference(),
        evaluated_on: today,
        summary: Summary::of(&items),
        eligibility,
        items,
    }
}
