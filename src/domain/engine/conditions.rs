//! Resolving a profile's stance for one patient: conditional stances (clinical-rules.md §2, COND)
//! are decided on the counted losses, the pregnancy-tissue genetics and the clinician's reviews.
//! Pure: no actix, no diesel.

use super::readings::On;
use super::{tissue, Context};
use crate::domain::catalogue::TestCode;
use crate::domain::item::ItemId;
use crate::domain::profile::{Condition, FindingCondition, ItemSpec, Recommendation, Stance};
use crate::domain::result::Subject;
use crate::domain::review::ReviewAction;

/// The stance that applies to the patient, after conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resolved {
    Recommended,
    Optional,
    NotRecommended,
    NotIndicated,
}

/// What applies to one item for the patient.
pub(crate) struct Resolution<'s> {
    pub stance: Resolved,
    pub recommendation: &'s Recommendation,
    /// One phrase per condition decided (or the trigger that fired).
    pub why: Vec<String>,
    /// Unrecorded facts that could change the stance (§6.2).
    pub asks: Vec<TestCode>,
    /// Recommended by an indication outside the definition (§6.1).
    pub triggered: bool,
}

/// The stance and recommendation that apply, why (one phrase per condition decided), and the
/// unrecorded facts that could change the stance (`asks`, §6.2).
pub(crate) fn resolve<'s>(spec: &'s ItemSpec, ctx: &'s Context) -> Resolution<'s> {
    let mut stance = &spec.stance;
    let mut rec = &spec.recommendation;
    let mut why = Vec::new();
    let mut asks = Vec::new();
    // §6.1: an indication outside the definition makes the item recommended, with the criteria's
    // own recommendation, when the definition does not already.
    if !ctx.indicated() {
        if let Some(f) = ctx.fired.iter().find(|f| f.covers(spec.id)) {
            let mut text = String::new();
            f.describe(&mut text);
            why.push(text);
            why.push(format!(
                "the definition of recurrent pregnancy loss under {} is not met, but this indication stands on its own",
                ctx.profile.id
            ));
            return Resolution {
                stance: Resolved::Recommended,
                recommendation: &f.spec.recommendation,
                why,
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
                let (holds, text) = holds(&c.condition, ctx, &mut unrecorded);
                if !holds {
                    asks.extend(unrecorded);
                }
                why.push(text);
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
            why,
            asks,
            triggered: false,
        };
    }
}

fn holds(c: &Condition, ctx: &Context, asks: &mut Vec<TestCode>) -> (bool, String) {
    match c {
        Condition::Finding(f) => finding(f, ctx, asks),
        Condition::LatestLossSecondTrimester => match ctx.latest_loss {
            Some(p) => {
                let days = p.age_of_loss().map(|g| g.total_days());
                let second = days.is_some_and(|d| (13 * 7..24 * 7).contains(&d));
                let ga = p
                    .age_of_loss()
                    .map(|g| format!(" at {g}"))
                    .unwrap_or_default();
                let verdict = if second { "is" } else { "is not" };
                (
                    second,
                    format!(
                        "the most recent loss ({}{ga}{}) {verdict} a second-trimester loss",
                        p.outcome.as_str().replace('_', " "),
                        On(p.ended_on)
                    ),
                )
            }
            None => (false, "no loss counted".to_owned()),
        },
        Condition::LatestLossTissueFailedOrUnavailable => latest_tissue_failed(ctx),
        Condition::TissueUnbalanced => tissue(ctx, &["unbalanced_rearrangement"]).map_or_else(
            || {
                let no = "no pregnancy-tissue result shows an unbalanced structural rearrangement";
                (false, no.to_owned())
            },
            |found| {
                let text = format!(
                    "pregnancy tissue showed an unbalanced structural rearrangement{found}"
                );
                (true, text)
            },
        ),
        Condition::TissueFailedOrUnavailable => {
            if let Some(found) = tissue(ctx, &["failed"]) {
                return (true, format!("pregnancy-tissue testing failed{found}"));
            }
            let review = ctx.input.reviews.iter().find(|r| {
                r.item == Some(ItemId::PregnancyTissueGenetics)
                    && matches!(
                        r.action,
                        ReviewAction::NotApplicable | ReviewAction::Declined
                    )
            });
            match review {
                // A declined tissue test leaves the loss as unexplained as unavailable tissue.
                Some(r) => (
                    true,
                    format!(
                        "no pregnancy tissue is available for testing ({} by {} on {})",
                        r.action.as_str().replace('_', " "),
                        r.by,
                        r.at.date_naive()
                    ),
                ),
                None => (
                    false,
                    "pregnancy-tissue testing has not failed and tissue is not recorded as unavailable".to_owned(),
                ),
            }
        }
        Condition::LossesAtLeast(n) => {
            let have = ctx.eligibility.losses_counted;
            (
                have >= *n,
                format!("{have} losses counted (indicated from {n})"),
            )
        }
        Condition::SecondTrimesterLossesAtLeast(n) => {
            let have = ctx.eligibility.second_trimester;
            (
                have >= *n,
                format!("{have} second-trimester losses (indicated from {n})"),
            )
        }
        Condition::Any(list) => {
            let all: Vec<_> = list.iter().map(|c| holds(c, ctx, asks)).collect();
            let any = all.iter().any(|(h, _)| *h);
            let texts: Vec<_> = all
                .into_iter()
                .filter(|(h, _)| *h == any)
                .map(|(_, t)| t)
                .collect();
            (any, texts.join(", "))
        }
    }
}

/// §6.2: a recorded history observation with one of the findings; unrecorded, it is asked for.
fn finding(f: &FindingCondition, ctx: &Context, asks: &mut Vec<TestCode>) -> (bool, String) {
    let title = f.test.entry().title;
    let latest = ctx
        .input
        .results
        .iter()
        .filter(|r| r.test == f.test && r.subject == Subject::Patient)
        .filter_map(|r| r.effective())
        .filter(|v| v.status.is_final_like() && v.value.finding.is_some())
        .max_by_key(|v| (v.collected_on, v.reported_at));
    match latest {
        None => {
            asks.push(f.test);
            (false, format!("{title} not recorded"))
        }
        Some(v) => {
            let value = v.value.finding.as_deref().unwrap_or_default();
            let holds = f.any_of.iter().any(|x| x == value);
            (
                holds,
                format!(
                    "{title}: {}{}",
                    value.replace('_', " "),
                    v.collected_on
                        .map(|d| format!(" (recorded {d})"))
                        .unwrap_or_default()
                ),
            )
        }
    }
}

/// §6.4: the most recent counted loss's tissue testing failed, or it had no tissue.
fn latest_tissue_failed(ctx: &Context) -> (bool, String) {
    let Some(latest) = ctx.latest_loss else {
        return (false, "no loss counted".to_owned());
    };
    let t = &ctx.profile.thresholds;
    let of_latest = ctx
        .input
        .results
        .iter()
        .filter(|r| r.test == TestCode::Karyotype && r.subject == Subject::PregnancyTissue)
        .filter_map(|r| r.effective().map(|v| (r, v)))
        .filter(|(_, v)| v.status.is_final_like())
        .filter(|(r, v)| {
            tissue::link(r, v.collected_on, ctx.input.pregnancies, t.tissue_link_days).pregnancy()
                == Some(latest.id)
        })
        .map(|(_, v)| v.value.finding.as_deref())
        .collect::<Vec<_>>();
    let loss = format!(
        "the most recent loss ({}{})",
        latest.outcome.as_str().replace('_', " "),
        On(latest.ended_on)
    );
    if of_latest.contains(&Some("failed")) && !of_latest.iter().any(|f| *f != Some("failed")) {
        return (true, format!("{loss}: pregnancy-tissue testing failed"));
    }
    if of_latest.is_empty() {
        let review = ctx.input.reviews.iter().find(|r| {
            r.item == Some(ItemId::PregnancyTissueGenetics)
                && matches!(
                    r.action,
                    ReviewAction::NotApplicable | ReviewAction::Declined
                )
        });
        if let Some(r) = review {
            return (
                true,
                format!(
                    "no tissue of {loss} is available for testing ({} by {} on {})",
                    r.action.as_str().replace('_', " "),
                    r.by,
                    r.at.date_naive()
                ),
            );
        }
    }
    (
        false,
        format!("tissue of {loss} has not failed testing and is not recorded as unavailable"),
    )
}

/// " on DATE (ISCN)" for the first final pregnancy-tissue karyotype in one of `categories`.
fn tissue(ctx: &Context, categories: &[&str]) -> Option<String> {
    ctx.input
        .results
        .iter()
        .filter(|r| r.test == TestCode::Karyotype && r.subject == Subject::PregnancyTissue)
        .filter_map(|r| r.effective())
        .filter(|v| v.status.is_final_like())
        .find(|v| {
            v.value
                .finding
                .as_deref()
                .is_some_and(|f| categories.contains(&f))
        })
        .map(|v| {
            let date = v.collected_on.or(v.reported_at.map(|t| t.date_naive()));
            let mut s = date.map(|d| format!(" on {d}")).unwrap_or_default();
            if let Some(iscn) = &v.value.text {
                s.push_str(&format!(" ({iscn})"));
            }
            s
        })
}
