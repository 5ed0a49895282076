//! Indications outside the definition of RPL (clinical-rules.md §6.1): a pregnancy that meets an
//! obstetric criterion of antiphospholipid syndrome makes its items recommended even when the
//! count of losses does not. The criteria are profile data (`triggers`). Pure: no actix, no diesel.

use std::fmt::{self, Write};

use super::text::On;
use crate::domain::checklist::FiredTrigger;
use crate::domain::item::ItemId;
use crate::domain::pregnancy::Pregnancy;
use crate::domain::profile::TriggerSpec;

/// A trigger of the profile that fired, with the pregnancies that fired it.
#[derive(Debug)]
pub(crate) struct Fired<'a> {
    pub spec: &'a TriggerSpec,
    pub pregnancies: Vec<&'a Pregnancy>,
}

impl Fired<'_> {
    pub(crate) fn covers(&self, item: ItemId) -> bool {
        self.spec.items.contains(&item)
    }

    /// "stillbirth at 26+0 on 2026-07-28 meets an obstetric criterion of antiphospholipid
    /// syndrome" (one phrase per pregnancy, joined by "; ").
    pub(crate) fn describe(&self, out: &mut String) {
        for (i, p) in self.pregnancies.iter().enumerate() {
            if i > 0 {
                out.push_str("; ");
            }
            let _ = write!(out, "{} {}", Describe(p, self.spec), self.spec.meets);
        }
    }
}

struct Describe<'a>(&'a Pregnancy, &'a TriggerSpec);

impl fmt::Display for Describe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (p, t) = (self.0, self.1);
        for (i, word) in p.outcome.as_str().split('_').enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(word)?;
        }
        if let Some(ga) = p.age_of_loss() {
            write!(f, " at {ga}")?;
            if p.gestational_age_at_demise.is_some() {
                f.write_str(" (at demise)")?;
            }
        }
        if p.ended_on.is_some() {
            write!(f, "{}", On(p.ended_on))?;
        }
        let named: Vec<_> = p
            .complications
            .iter()
            .filter(|c| t.complications.contains(c))
            .map(|c| c.as_str().replace('_', " "))
            .collect();
        if !named.is_empty() {
            write!(f, " with {}", named.join(" and "))?;
        }
        Ok(())
    }
}

/// Whether `p` meets `t`: its outcome, its gestational age (at demise when recorded) inside the
/// window, and one of the complications when the trigger names some. An unknown gestational age
/// never fires a windowed trigger (miscarriages and stillbirths must carry one).
fn meets(p: &Pregnancy, t: &TriggerSpec) -> bool {
    if !t.outcomes.contains(&p.outcome) {
        return false;
    }
    let days = p.age_of_loss().map(|g| g.total_days());
    let from = t
        .ga_from_days
        .is_none_or(|from| days.is_some_and(|d| d >= from));
    let before = t
        .ga_before_days
        .is_none_or(|before| days.is_some_and(|d| d < before));
    let complication =
        t.complications.is_empty() || p.complications.iter().any(|c| t.complications.contains(c));
    from && before && complication
}

/// The triggers of `specs` that `pregnancies` fire, in the profile's order.
pub(crate) fn fire<'a>(pregnancies: &'a [Pregnancy], specs: &'a [TriggerSpec]) -> Vec<Fired<'a>> {
    specs
        .iter()
        .filter_map(|spec| {
            let mut hits: Vec<&Pregnancy> = pregnancies.iter().filter(|p| meets(p, spec)).collect();
            hits.sort_by_key(|p| p.ended_on);
            (!hits.is_empty()).then_some(Fired {
                spec,
                pregnancies: hits,
            })
        })
        .collect()
}

/// The eligibility block's `triggers`.
pub(crate) fn listed(fired: &[Fired]) -> Vec<FiredTrigger> {
    fired
        .iter()
        .map(|f| FiredTrigger {
            id: f.spec.id,
            pregnancy_ids: f.pregnancies.iter().map(|p| p.id).collect(),
        })
        .collect()
}
