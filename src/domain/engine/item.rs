//! Evaluating one item (clinical-rules.md §3–§4): read its components, apply the item kind's rule
//! (antiphospholipid persistence, the thyroid's free-T4 reflex, any abnormal result otherwise),
//! list what is missing, and pick the status by the §4 precedence. Pure: no actix, no diesel.

use chrono::{DateTime, NaiveDate, Utc};

use super::conditions::{resolve, Resolved};
use super::interpret::Verdict;
use super::readings::{read, ComponentState};
use super::reason::Reason;
use super::{apl, Context};
use crate::domain::catalogue::TestCode;
use crate::domain::checklist::{ChecklistItem, ItemStatus};
use crate::domain::item::ItemId;
use crate::domain::profile::{ItemSpec, Requirement, Thresholds};
use crate::domain::review::{Review, ReviewAction};

/// What the results of an item show, before reviews and the stance.
#[derive(Debug, Default)]
struct Findings {
    abnormal: bool,
    needs_review: bool,
    due_on: Option<NaiveDate>,
    /// Free T4 became required (abnormal TSH).
    reflex: bool,
    /// Antiphospholipid persistence, in words.
    apl_notes: Vec<String>,
}

fn findings(item: ItemId, states: &[ComponentState], t: &Thresholds) -> Findings {
    let mut f = Findings::default();
    for st in states {
        f.needs_review |= st
            .readings
            .iter()
            .any(|r| r.verdict == Verdict::Uninterpretable);
        if item == ItemId::Antiphospholipid {
            // A single positive is not abnormal yet: it needs its confirming repeat.
            let p = apl::assess(st, t.apl_repeat_interval_days);
            f.abnormal |= p.persistent;
            f.needs_review |= p.undated_positive;
            f.due_on = match (f.due_on, p.due_on) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            f.apl_notes.extend(p.notes);
        } else {
            f.abnormal |= st.readings.iter().any(|r| r.verdict == Verdict::Abnormal);
        }
    }
    f.reflex = item == ItemId::Thyroid
        && states.iter().any(|s| {
            s.spec.test == TestCode::Tsh
                && s.readings.iter().any(|r| r.verdict == Verdict::Abnormal)
        });
    f
}

/// Required components without a counting result: (name, pending: preliminary result or order).
fn missing(states: &[ComponentState], reflex: bool, ordered: bool) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut group: Vec<&ComponentState> = Vec::new();
    for st in states {
        match st.spec.requirement {
            Requirement::Required => {}
            Requirement::Reflex if reflex => {}
            Requirement::AnyOf => {
                group.push(st);
                continue;
            }
            Requirement::Reflex | Requirement::Optional => continue,
        }
        if !st.has_result() {
            out.push((st.spec.name(), ordered || !st.preliminary.is_empty()));
        }
    }
    if !group.is_empty() && !group.iter().any(|s| s.has_result()) {
        let names: Vec<_> = group.iter().map(|s| s.spec.name()).collect();
        let pending = ordered || group.iter().any(|s| !s.preliminary.is_empty());
        out.push((names.join("|"), pending));
    }
    out
}

/// The checklist entry for `spec`.
pub(crate) fn evaluate(ctx: &Context, spec: &ItemSpec) -> ChecklistItem {
    let (stance, recommendation, why) = resolve(spec, ctx);
    let t = &ctx.profile.thresholds;
    let results = ctx.input.results;
    let states: Vec<_> = spec
        .components
        .iter()
        .map(|c| read(c, results, t, &spec.accepted_modalities))
        .collect();
    let reviews: Vec<&Review> = ctx
        .input
        .reviews
        .iter()
        .filter(|r| r.item == Some(spec.id))
        .collect();
    let latest = |action: &dyn Fn(ReviewAction) -> bool| {
        reviews
            .iter()
            .filter(|r| action(r.action))
            .max_by_key(|r| r.at)
            .copied()
    };
    let decision = latest(&|a| matches!(a, ReviewAction::Declined | ReviewAction::NotApplicable));
    let order = latest(&|a| a == ReviewAction::Ordered);
    let ack = latest(&|a| a == ReviewAction::Acknowledge);
    let f = findings(spec.id, &states, t);
    let missing = missing(&states, f.reflex, order.is_some());
    let active = stance == Resolved::Recommended && ctx.indicated();
    let any_preliminary = states.iter().any(|s| !s.preliminary.is_empty());
    let status = match decision {
        Some(r) if r.action == ReviewAction::Declined => ItemStatus::Declined,
        Some(_) => ItemStatus::NotApplicable,
        None if f.abnormal => ItemStatus::Abnormal,
        None if f.needs_review => ItemStatus::NeedsReview,
        None if f.due_on.is_some() => ItemStatus::RepeatDue,
        None if active => match missing.iter().find(|(_, pending)| !pending) {
            Some(_) => ItemStatus::Outstanding,
            None if !missing.is_empty() => ItemStatus::Pending,
            None => ItemStatus::Complete,
        },
        None if missing.is_empty() && states.iter().any(|s| s.has_result()) => ItemStatus::Complete,
        None if any_preliminary || (order.is_some() && !missing.is_empty()) => ItemStatus::Pending,
        None => match stance {
            Resolved::Optional => ItemStatus::Optional,
            Resolved::NotRecommended => ItemStatus::NotRecommended,
            Resolved::Recommended | Resolved::NotIndicated => ItemStatus::NotIndicated,
        },
    };
    let due_on = f.due_on.filter(|_| decision.is_none());
    let abnormal_at = states
        .iter()
        .flat_map(|s| &s.readings)
        .filter(|r| r.verdict == Verdict::Abnormal)
        .filter_map(|r| reported_at(r.version))
        .max();
    let mut result_ids: Vec<_> = states
        .iter()
        .flat_map(|s| {
            s.readings
                .iter()
                .map(|r| r.result.id)
                .chain(s.preliminary.iter().copied())
        })
        .collect();
    result_ids.sort();
    result_ids.dedup();
    let mut reason = Reason::new();
    reason.lead(ctx, stance, active, &recommendation.source, &why);
    reason.readings(&states);
    for note in &f.apl_notes {
        reason.part(format_args!("{note}"));
    }
    if f.reflex {
        reason.part(format_args!("an abnormal TSH makes free T4 required"));
    }
    reason.missing(&missing, active);
    for r in [decision, order, ack].into_iter().flatten() {
        reason.review(r);
    }
    ChecklistItem {
        id: spec.id,
        title: spec.id.title().to_owned(),
        status,
        due_on,
        overdue: due_on.is_some_and(|d| ctx.today > d),
        missing: missing.into_iter().map(|(n, _)| n).collect(),
        reason: reason.finish(),
        recommendation: recommendation.clone(),
        result_ids,
        reviewed: ack.is_some_and(|a| abnormal_at.is_none_or(|at| a.at >= at)),
        reviews: reviews.into_iter().cloned().collect(),
    }
}

/// When a result version was reported (or collected, at the start of that day).
fn reported_at(v: &crate::domain::result::ResultVersion) -> Option<DateTime<Utc>> {
    v.reported_at.or(v
        .collected_on
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc()))
}
