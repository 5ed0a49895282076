//! Pregnancy tissue belongs to a loss (clinical-rules.md §6.4): a result names its pregnancy, or
//! a feed result (no pregnancy id) is linked to the one loss that ended 0–14 days (the profile's
//! `tissue_link_days`) before the specimen was collected. Pure: no actix, no diesel.

use chrono::NaiveDate;

use crate::domain::ids::PregnancyId;
use crate::domain::pregnancy::{Outcome, Pregnancy};
use crate::domain::result::LabResult;

/// Which loss a tissue result belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Link {
    /// The result names its pregnancy.
    Named(PregnancyId),
    /// Linked by date: the one loss that ended within the window before the sample.
    ByDate(PregnancyId),
    /// No loss, or more than one, in the window: a clinician must link it.
    Unlinked,
}

impl Link {
    pub(crate) fn pregnancy(self) -> Option<PregnancyId> {
        match self {
            Link::Named(id) | Link::ByDate(id) => Some(id),
            Link::Unlinked => None,
        }
    }
}

/// Pregnancies tissue can come from: every loss, ectopic and molar included (tissue of a live
/// birth, a termination or an ongoing pregnancy is not a loss's).
fn is_loss(p: &Pregnancy) -> bool {
    !matches!(
        p.outcome,
        Outcome::LiveBirth | Outcome::Termination | Outcome::Ongoing
    )
}

/// Links `result` (sampled on `collected`) to its loss among `pregnancies`.
pub(crate) fn link(
    result: &LabResult,
    collected: Option<NaiveDate>,
    pregnancies: &[Pregnancy],
    window_days: u32,
) -> Link {
    if let Some(id) = result.pregnancy_id {
        return Link::Named(id);
    }
    let Some(collected) = collected else {
        return Link::Unlinked;
    };
    let mut candidates = pregnancies.iter().filter(|p| {
        is_loss(p)
            && p.ended_on.is_some_and(|end| {
                let days = (collected - end).num_days();
                (0..=i64::from(window_days)).contains(&days)
            })
    });
    match (candidates.next(), candidates.next()) {
        (Some(one), None) => Link::ByDate(one.id),
        _ => Link::Unlinked,
    }
}
