//! Resolving a profile's stance for one patient: conditional stances (clinical-rules.md §2, COND)
//! are decided on the counted losses, the pregnancy-tissue genetics and the clinician's reviews.
//! Pure: no actix, no diesel.

use super::Context;
use crate::domain::catalogue::TestCode;
use crate::domain::item::ItemId;
use crate::domain::profile::{Condition, ItemSpec, Recommendation, Stance};
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

/// The stance and recommendation that apply, and why (one phrase per condition decided).
pub(crate) fn resolve<'s>(
    spec: &'s ItemSpec,
    ctx: &Context,
) -> (Resolved, &'s Recommendation, Vec<String>) {
    let mut stance = &spec.stance;
    let mut rec = &spec.recommendation;
    let mut why = Vec::new();
    loop {
        let resolved = match stance {
            Stance::Recommended => Resolved::Recommended,
            Stance::Optional => Resolved::Optional,
            Stance::NotRecommended => Resolved::NotRecommended,
            // Omitted items never reach the engine; treat a stray one as not indicated.
            Stance::NotIndicated | Stance::Omitted => Resolved::NotIndicated,
            Stance::Conditional(c) => {
                let (holds, text) = holds(&c.condition, ctx);
                why.push(text);
                let branch = if holds { &c.then } else { &c.otherwise };
                if let Some(r) = &branch.recommendation {
                    rec = r;
                }
                stance = &branch.stance;
                continue;
            }
        };
        return (resolved, rec, why);
    }
}

fn holds(c: &Condition, ctx: &Context) -> (bool, String) {
    match c {
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
            let all: Vec<_> = list.iter().map(|c| holds(c, ctx)).collect();
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
