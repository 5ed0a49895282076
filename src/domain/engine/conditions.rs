//! Resolving a profile's stance for one patient: conditional stances (clinical-rules.md §2, COND)
//! are decided on the counted losses, the pregnancy-tissue genetics and the clinician's reviews.
//! Pure: no actix, no diesel.

use std::fmt::Write;

use super::text::{On, Spaced, Ymd};
use super::{tissue, Context};
use crate::domain::catalogue::TestCode;
use crate::domain::item::ItemId;
use crate::domain::profile::{Condition, FindingCondition, ItemSpec, Recommendation, Stance};
use crate::domain::result::{ResultVersion, Subject};
use crate::domain::review::{Review, ReviewAction};

/// The stance that applies to the patient, after conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resolved {
    Recommended,
    Optional,
    NotRecommended,
    NotIndicated,
}

/// What applies to one item for the patient (and, written into the caller's buffer, why: one
/// phrase per condition decided, or the trigger that fired, joined by "; ").
pub(crate) struct Resolution<'s> {
    pub stance: Resolved,
    pub recommendation: &'s Recommendation,
    /// Unrecorded facts that could change the stance (§6.2).
    pub asks: Vec<TestCode>,
    /// Recommended by an indication outside the definition (§6.1).
    pub triggered: bool,
}

/// Starts the next phrase of `why`.
fn next_phrase(why: &mut String) {
    if !why.is_empty() {
        why.push_str("; ");
    }
}

/// The stance and recommendation that apply, why (one phrase per condition decided, written into
/// `why`, a buffer the evaluation reuses), and the unrecorded facts that could change the stance
/// (`asks`, §6.2).
pub(crate) fn resolve<'s>(
    spec: &'s ItemSpec,
    ctx: &'s Context,
    why: &mut String,
) -> Resolution<'s> {
    let mut stance = &spec.stance;
    let mut rec = &spec.recommendation;
    why.clear();
    let mut asks = Vec::new();
    // §6.1: an indication outside the definition makes the item recommended, with the criteria's
    // own recommendation, when the definition does not already.
    if !ctx.indicated() {
        if let Some(f) = ctx.fired.iter().find(|f| f.covers(spec.id)) {
            f.describe(why);
            let _ = write!(
                why,
                "; the definition of recurrent pregnancy loss under {} is not met, but this indication stands on its own",
                ctx.profile.id
            );
            return Resolution {
                stance: Resolved::Recommended,
                recommendation: &f.spec.recommendation,
                asks,
                triggered: true,
            };
        }
    }
    loop {
        let resolved = match stance {
            Stance::Recommended => Resolved::Recommended,
            Stance::Optional => Resolved::Optional,
            Stance::NotRecommended => Resolved::NotRecommended,
            // Omitted items never reach the engine; treat a stray one as not indicated.
            Stance::NotIndicated | Stance::Omitted => Resolved::NotIndicated,
            Stance::Conditional(c) => {
                let mut unrecorded = Vec::new();
                next_phrase(why);
                let holds = holds(&c.condition, ctx, &mut unrecorded, why);
                if !holds {
                    asks.extend(unrecorded);
                }
                let branch = if holds { &c.then } else { &c.otherwise };
                if let Some(r) = &branch.recommendation {
                    rec = r;
                }
                stance = &branch.stance;
                continue;
            }
        };
        return Resolution {
            stance: resolved,
            recommendation: rec,
            asks,
            triggered: false,
        };
    }
}

/// Whether `c` holds; writes the phrase that says why into `why`.
fn holds(c: &Condition, ctx: &Context, asks: &mut Vec<TestCode>, why: &mut String) -> bool {
    match c {
        Condition::Finding(f) => finding(f, ctx, asks, why),
        Condition::LatestLossSecondTrimester => match ctx.latest_loss {
            Some(p) => {
                let days = p.age_of_loss().map(|g| g.total_days());
                let second = days.is_some_and(|d| (13 * 7..24 * 7).contains(&d));
                let _ = write!(why, "the most recent loss ({}", Spaced(p.outcome.as_str()));
                if let Some(g) = p.age_of_loss() {
                    let _ = write!(why, " at {g}");
                }
                let verdict = if second { "is" } else { "is not" };
                let _ = write!(why, "{}) {verdict} a second-trimester loss", On(p.ended_on));
                second
            }
            None => {
                why.push_str("no loss counted");
                false
            }
        },
        Condition::LatestLossTissueFailedOrUnavailable => latest_tissue_failed(ctx, why),
        Condition::TissueUnbalanced => match tissue(ctx, &["unbalanced_rearrangement"]) {
            Some(found) => {
                let _ = write!(
                    why,
                    "pregnancy tissue showed an unbalanced structural rearrangement{found}"
                );
                true
            }
            None => {
                why.push_str(
                    "no pregnancy-tissue result shows an unbalanced structural rearrangement",
                );
                false
            }
        },
        Condition::TissueFailedOrUnavailable => {
            if let Some(found) = tissue(ctx, &["failed"]) {
                let _ = write!(why, "pregnancy-tissue testing failed{found}");
                return true;
            }
            match tissue_unavailable(ctx) {
                // A declined tissue test leaves the loss as unexplained as unavailable tissue.
                Some(r) => {
                    let _ = write!(
                        why,
                        "no pregnancy tissue is available for testing ({})",
                        Recorded(r)
                    );
                    true
                }
                None => {
                    why.push_str("pregnancy-tissue testing has not failed and tissue is not recorded as unavailable");
                    false
                }
            }
        }
        Condition::LossesAtLeast(n) => {
            let have = ctx.eligibility.losses_counted;
            let _ = write!(why, "{have} losses counted (indicated from {n})");
            have >= *n
        }
        Condition::SecondTrimesterLossesAtLeast(n) => {
            let have = ctx.eligibility.second_trimester;
            let _ = write!(why, "{have} second-trimester losses (indicated from {n})");
            have >= *n
        }
        Condition::Any(list) => {
            // Each condition writes its phrase; only those that agree with the outcome are kept.
            let start = why.len();
            let phrases: Vec<_> = list
                .iter()
                .map(|c| {
                    let from = why.len();
                    (holds(c, ctx, asks, why), from..why.len())
                })
                .collect();
            let any = phrases.iter().any(|(h, _)| *h);
            let written = why.split_off(start);
            let kept = phrases.into_iter().filter(|(h, _)| *h == any);
            for (i, (_, range)) in kept.enumerate() {
                if i > 0 {
                    why.push_str(", ");
                }
                why.push_str(&written[range.start - start..range.end - start]);
            }
            any
        }
    }
}

/// §6.2: a recorded history observation with one of the findings; unrecorded, it is asked for.
fn finding(
    f: &FindingCondition,
    ctx: &Context,
    asks: &mut Vec<TestCode>,
    why: &mut String,
) -> bool {
    let title = f.test.entry().title;
    let latest = ctx
        .results
        .of(f.test, Subject::Patient)
        .map(|e| e.version)
        .filter(|v| v.status.is_final_like() && v.value.finding.is_some())
        .max_by_key(|v| (v.collected_on, v.reported_at));
    match latest {
        None => {
            asks.push(f.test);
            let _ = write!(why, "{title} not recorded");
            false
        }
        Some(v) => {
            let value = v.value.finding.as_deref().unwrap_or_default();
            let _ = write!(why, "{title}: {}", Spaced(value));
            if let Some(d) = v.collected_on {
                let _ = write!(why, " (recorded {})", Ymd(d));
            }
            f.any_of.iter().any(|x| x == value)
        }
    }
}

/// A `not_applicable` or `declined` review of the pregnancy-tissue genetics: no tissue to test.
fn tissue_unavailable<'a>(ctx: &Context<'a>) -> Option<&'a Review> {
    ctx.input.reviews.iter().find(|r| {
        r.item == Some(ItemId::PregnancyTissueGenetics)
            && matches!(
                r.action,
                ReviewAction::NotApplicable | ReviewAction::Declined
            )
    })
}

/// A clinician's review as the reasons cite it: "not applicable by dr-a on 2026-05-01".
struct Recorded<'a>(&'a Review);

impl std::fmt::Display for Recorded<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = self.0;
        write!(
            f,
            "{} by {} on {}",
            Spaced(r.action.as_str()),
            r.by,
            Ymd(r.at.date_naive())
        )
    }
}

/// §6.4: the most recent counted loss's tissue testing failed, or it had no tissue.
fn latest_tissue_failed(ctx: &Context, why: &mut String) -> bool {
    let Some(latest) = ctx.latest_loss else {
        why.push_str("no loss counted");
        return false;
    };
    let t = &ctx.profile.thresholds;
    let of_latest = ctx
        .results
        .of(TestCode::Karyotype, Subject::PregnancyTissue)
        .map(|e| (e.result, e.version))
        .filter(|(_, v)| v.status.is_final_like())
        .filter(|(r, v)| {
            tissue::link(r, v.collected_on, ctx.input.pregnancies, t.tissue_link_days).pregnancy()
                == Some(latest.id)
        })
        .map(|(_, v)| v.value.finding.as_deref());
    let (mut any, mut failed, mut other) = (false, false, false);
    for finding in of_latest {
        any = true;
        failed |= finding == Some("failed");
        other |= finding != Some("failed");
    }
    let loss = format_args!(
        "the most recent loss ({}{})",
        Spaced(latest.outcome.as_str()),
        On(latest.ended_on)
    );
    if failed && !other {
        let _ = write!(why, "{loss}: pregnancy-tissue testing failed");
        return true;
    }
    if !any {
        if let Some(r) = tissue_unavailable(ctx) {
            let _ = write!(
                why,
                "no tissue of {loss} is available for testing ({})",
                Recorded(r)
            );
            return true;
        }
    }
    let _ = write!(
        why,
        "tissue of {loss} has not failed testing and is not recorded as unavailable"
    );
    false
}

/// " on DATE (ISCN)" for the first final pregnancy-tissue karyotype in one of `categories`.
fn tissue<'a>(ctx: &Context<'a>, categories: &[&str]) -> Option<TissueFound<'a>> {
    ctx.results
        .of(TestCode::Karyotype, Subject::PregnancyTissue)
        .map(|e| e.version)
        .filter(|v| v.status.is_final_like())
        .find(|v| {
            v.value
                .finding
                .as_deref()
                .is_some_and(|f| categories.contains(&f))
        })
        .map(TissueFound)
}

/// " on DATE (ISCN)" for a pregnancy-tissue karyotype, each part when recorded.
struct TissueFound<'a>(&'a ResultVersion);

impl std::fmt::Display for TissueFound<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = self.0;
        if let Some(d) = v.collected_on.or(v.reported_at.map(|t| t.date_naive())) {
            write!(f, " on {}", Ymd(d))?;
        }
        if let Some(iscn) = &v.value.text {
            write!(f, " ({iscn})")?;
        }
        Ok(())
    }
}
