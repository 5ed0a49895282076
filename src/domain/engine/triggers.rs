//! Indications outside the definition of RPL (clinical-rules.md §6.1): a pregnancy that meets an
//! obstetric criterion of antiphospholipid syndrome makes its items recommended even when the
//! count of losses does not. The criteria are profile data (`triggers`). Pure: no actix, no diesel.

use std::fmt::Write;

use super::text::{On, WriteTo};
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
            describe(p, self.spec, out);
            out.push(' ');
            out.push_str(&self.spec.meets);
        }
    }
}

/// "stillbirth at 26+0 (at demise) on 2026-07-28 with severe pre-eclampsia".
fn describe(p: &Pregnancy, t: &TriggerSpec, out: &mut String) {
    push_spaced(out, p.outcome.as_str());
    if let Some(ga) = p.age_of_loss() {
        let _ = write!(out, " at {ga}");
        if p.gestational_age_at_demise.is_some() {
            out.push_str(" (at demise)");
        }
    }
    if p.ended_on.is_some() {
        On(p.ended_on).write_to(out);
    }
    let mut named = p
        .complications
        .iter()
        .filter(|c| t.complications.contains(c));
    if let Some(first) = named.next() {
        out.push_str(" with ");
        push_spaced(out, first.as_str());
        for c in named {
            out.push_str(" and ");
            push_spaced(out, c.as_str());
        }
    }
}

/// A code in words: `live_birth` as "live birth".
fn push_spaced(out: &mut String, code: &str) {
    for (i, word) in code.split('_').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(word);
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
