//! Evaluating one item (clinical-rules.md §3–§4): read its components, apply the item kind's rule
//! (antiphospholipid persistence, the thyroid's free-T4 reflex, any abnormal result otherwise),
//! list what is missing, and pick the status by the §4 precedence. Pure: no actix, no diesel.

use std::borrow::Cow;

use chrono::{DateTime, NaiveDate, Utc};

use super::conditions::{resolve, Resolution, Resolved};
use super::interpret::Verdict;
use super::readings::{read, ComponentState, Reading};
use super::reason::Reason;
use super::text::{WriteTo, Ymd};
use super::{apl, Context};
use crate::domain::catalogue::TestCode;
use crate::domain::checklist::{ChecklistItem, ItemStatus};
use crate::domain::item::ItemId;
use crate::domain::profile::{InPregnancy, ItemSpec, Requirement, Thresholds};
use crate::domain::result::Modality;
use crate::domain::review::ReviewAction;

/// What the results of an item show, before reviews and the stance.
#[derive(Debug, Default)]
struct Findings {
    abnormal: bool,
    needs_review: bool,
    due_on: Option<NaiveDate>,
    /// Free T4 became required (abnormal TSH).
    reflex: bool,
}

/// What the results of `item`'s components show; antiphospholipid persistence is noted in
/// `apl_notes` (an emptied buffer).
fn findings(
    item: ItemId,
    states: &[ComponentState],
    t: &Thresholds,
    apl_notes: &mut Vec<apl::Note>,
) -> Findings {
    let mut f = Findings::default();
    for st in states {
        f.needs_review |= st
            .readings
            .iter()
            .any(|r| r.verdict == Verdict::Uninterpretable);
        if item == ItemId::Antiphospholipid {
            // A single positive is not abnormal yet: it needs its confirming repeat.
            let p = apl::assess(st, t.apl_repeat_interval_days, apl_notes);
            f.abnormal |= p.persistent;
            f.needs_review |= p.undated_positive;
            f.due_on = match (f.due_on, p.due_on) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
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

/// Why a required component has no counting result yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gap {
    /// Not done, not ordered: outstanding.
    Absent,
    /// Ordered or preliminary.
    Pending,
    /// Not done in pregnancy: after the current one (§6.3).
    Deferred,
}

/// Required components without a counting result: their names (as the checklist lists them) and
/// why each is missing, side by side.
#[derive(Debug, Default)]
pub(crate) struct Missing {
    pub names: Vec<Cow<'static, str>>,
    pub gaps: Vec<Gap>,
}

impl Missing {
    fn push(&mut self, name: Cow<'static, str>, gap: Gap) {
        self.names.push(name);
        self.gaps.push(gap);
    }

    fn has(&self, gap: Gap) -> bool {
        self.gaps.contains(&gap)
    }

    /// The names missing for `gap`, in order.
    pub(crate) fn of(&self, gap: Gap) -> impl Iterator<Item = &str> {
        self.names
            .iter()
            .zip(&self.gaps)
            .filter(move |(_, g)| **g == gap)
            .map(|(n, _)| n.as_ref())
    }
}

/// Required components without a counting result, into `gaps` (an emptied buffer).
fn missing(
    states: &[ComponentState],
    reflex: bool,
    ordered: bool,
    pregnant: bool,
    gaps: Vec<Gap>,
) -> Missing {
    let gap = |pending: bool, st: &ComponentState| {
        if pending {
            Gap::Pending
        } else if pregnant && st.spec.in_pregnancy != InPregnancy::Any {
            Gap::Deferred
        } else {
            Gap::Absent
        }
    };
    let mut out = Missing {
        names: Vec::new(),
        gaps,
    };
    let mut group = None::<&ComponentState>;
    let (mut group_done, mut group_pending) = (false, ordered);
    for st in states {
        match st.spec.requirement {
            Requirement::Required => {}
            Requirement::Reflex if reflex => {}
            Requirement::AnyOf => {
                group.get_or_insert(st);
                group_done |= st.has_result();
                group_pending |= !st.preliminary.is_empty();
                continue;
            }
            Requirement::Reflex | Requirement::Optional => continue,
        }
        if !st.has_result() {
            out.push(
                st.spec.name(),
                gap(ordered || !st.preliminary.is_empty(), st),
            );
        }
    }
    if let Some(first) = group.filter(|_| !group_done) {
        let alternatives = || {
            states
                .iter()
                .filter(|s| s.spec.requirement == Requirement::AnyOf)
        };
        let length = alternatives().map(|s| s.spec.name().len() + 1).sum();
        let mut names = String::with_capacity(length);
        for st in alternatives() {
            if !names.is_empty() {
                names.push('|');
            }
            names.push_str(&st.spec.name());
        }
        out.push(Cow::Owned(names), gap(group_pending, first));
    }
    out
}

/// Buffers an evaluation reuses from one item to the next, so it allocates them once rather than
/// for every item and component (allocation was a fifth of an evaluation's time).
pub(crate) struct Buffers<'a> {
    states: Vec<ComponentState<'a>>,
    readings: Vec<Vec<Reading<'a>>>,
    reason: String,
    why: String,
    gaps: Vec<Gap>,
    apl_notes: Vec<apl::Note>,
}

impl Default for Buffers<'_> {
    /// Sized for a typical item, so they seldom grow.
    fn default() -> Self {
        Buffers {
            states: Vec::with_capacity(8),
            readings: Vec::with_capacity(8),
            reason: String::with_capacity(1024),
            why: String::with_capacity(256),
            gaps: Vec::with_capacity(8),
            apl_notes: Vec::new(),
        }
    }
}

/// The checklist entry for `spec`.
pub(crate) fn evaluate<'a>(
    ctx: &Context<'a>,
    spec: &'a ItemSpec,
    buffers: &mut Buffers<'a>,
) -> ChecklistItem {
    let mut states = std::mem::take(&mut buffers.states);
    for c in &spec.components {
        let readings = buffers.readings.pop().unwrap_or_default();
        states.push(read(c, spec, ctx, readings));
    }
    let item = entry(ctx, spec, &states, buffers);
    let emptied = states.drain(..).map(ComponentState::into_buffer);
    buffers.readings.extend(emptied);
    buffers.states = states;
    item
}

/// The checklist entry for `spec`, whose components read `states`.
fn entry(
    ctx: &Context,
    spec: &ItemSpec,
    states: &[ComponentState],
    buffers: &mut Buffers,
) -> ChecklistItem {
    let Resolution {
        stance,
        recommendation,
        asks,
        triggered,
    } = resolve(spec, ctx, &mut buffers.why);
    let t = &ctx.profile.thresholds;
    let reviews = || {
        let all = ctx.input.reviews.iter();
        all.filter(|r| r.item == Some(spec.id))
    };
    let latest = |action: &dyn Fn(ReviewAction) -> bool| {
        reviews().filter(|r| action(r.action)).max_by_key(|r| r.at)
    };
    let decision = latest(&|a| matches!(a, ReviewAction::Declined | ReviewAction::NotApplicable));
    let order = latest(&|a| a == ReviewAction::Ordered);
    let ack = latest(&|a| a == ReviewAction::Acknowledge);
    buffers.apl_notes.clear();
    let f = findings(spec.id, states, t, &mut buffers.apl_notes);
    let mut gaps = std::mem::take(&mut buffers.gaps);
    gaps.clear();
    let missing = missing(
        states,
        f.reflex,
        order.is_some(),
        ctx.ongoing.is_some(),
        gaps,
    );
    let active = stance == Resolved::Recommended && (ctx.indicated() || triggered);
    let any_preliminary = states.iter().any(|s| !s.preliminary.is_empty());
    let status = match decision {
        Some(r) if r.action == ReviewAction::Declined => ItemStatus::Declined,
        Some(_) => ItemStatus::NotApplicable,
        None if f.abnormal => ItemStatus::Abnormal,
        None if f.needs_review => ItemStatus::NeedsReview,
        None if f.due_on.is_some() => ItemStatus::RepeatDue,
        // §6.3 lists deferred above outstanding; the safer reading keeps an item outstanding
        // while a part of it can be done now (factor V Leiden while protein S waits).
        None if active => {
            if missing.has(Gap::Absent) {
                ItemStatus::Outstanding
            } else if missing.has(Gap::Deferred) {
                ItemStatus::Deferred
            } else if !missing.gaps.is_empty() {
                ItemStatus::Pending
            } else {
                ItemStatus::Complete
            }
        }
        None if missing.gaps.is_empty() && states.iter().any(|s| s.has_result()) => {
            ItemStatus::Complete
        }
        None if any_preliminary || (order.is_some() && !missing.gaps.is_empty()) => {
            ItemStatus::Pending
        }
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
    let looked_at = states
        .iter()
        .map(|s| s.readings.len() + s.preliminary.len());
    let mut result_ids = Vec::with_capacity(looked_at.sum());
    for s in states {
        result_ids.extend(s.readings.iter().map(|r| r.result.id));
        result_ids.extend(&s.preliminary);
    }
    result_ids.sort_unstable();
    result_ids.dedup();
    let mut reason = Reason::new(&mut buffers.reason);
    reason.lead(ctx, stance, active, &recommendation.source, &buffers.why);
    reason.readings(states);
    if let Some(p) = ctx.ongoing.filter(|_| active && spec.do_in_pregnancy) {
        reason.part(format_args!(
            "a pregnancy is in progress{}: still due now, the result changes care in this pregnancy",
            Due(p.edd)
        ));
    }
    preferred(&mut reason, spec, states);
    for note in &buffers.apl_notes {
        note.write_to(reason.phrase());
    }
    if f.reflex {
        reason.part(format_args!("an abnormal TSH makes free T4 required"));
    }
    reason.missing(&missing, active, ctx.ongoing.and_then(|p| p.edd));
    for r in [decision, order, ack].into_iter().flatten() {
        reason.review(r);
    }
    buffers.gaps = missing.gaps;
    ChecklistItem {
        id: spec.id,
        title: Cow::Borrowed(spec.id.title()),
        status,
        due_on,
        overdue: due_on.is_some_and(|d| ctx.today > d),
        missing: missing.names,
        reason: reason.finish(),
        recommendation: recommendation.clone(),
        result_ids,
        reviewed: ack.is_some_and(|a| abnormal_at.is_none_or(|at| a.at >= at)),
        reviews: reviews().cloned().collect(),
        asks,
    }
}

/// " (due DATE)" for a due date, nothing without one.
pub(crate) struct Due(pub Option<NaiveDate>);

impl WriteTo for Due {
    fn write_to(&self, out: &mut String) {
        if let Some(d) = self.0 {
            out.push_str(" (due ");
            Ymd(d).write_to(out);
            out.push(')');
        }
    }
}

impl std::fmt::Display for Due {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(d) => write!(f, " (due {})", Ymd(d)),
            None => Ok(()),
        }
    }
}

/// §6.7: a study by an accepted modality the guideline does not prefer says which it prefers.
fn preferred(reason: &mut Reason<'_>, spec: &ItemSpec, states: &[ComponentState]) {
    if spec.preferred_modalities.is_empty() {
        return;
    }
    let other = states.iter().flat_map(|s| &s.readings).any(|r| {
        r.completes
            && r.version
                .modality
                .is_some_and(|m| !spec.preferred_modalities.contains(&m))
    });
    if other {
        let names: Vec<_> = spec
            .preferred_modalities
            .iter()
            .map(|m| match m {
                Modality::Tvus3d => "3D ultrasound",
                other => other.as_str(),
            })
            .collect();
        reason.part(format_args!("{} preferred", names.join(" or ")));
    }
}

/// When a result version was reported (or collected, at the start of that day).
fn reported_at(v: &crate::domain::result::ResultVersion) -> Option<DateTime<Utc>> {
    v.reported_at.or(v
        .collected_on
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc()))
}
