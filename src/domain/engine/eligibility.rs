//! Counting losses under a profile and deciding whether the definition of recurrent pregnancy
//! loss is met (clinical-rules.md §1). Pure: no actix, no diesel.

use std::fmt::Write;

use chrono::NaiveDate;

use super::text::{push_all, Spaced, WriteTo, Ymd};
use crate::domain::checklist::{Eligibility, FiredTrigger, RplType};
use crate::domain::pregnancy::{Outcome, Pregnancy};
use crate::domain::profile::{LossDefinition, Profile};

/// First trimester: below 13+0 weeks.
const SECOND_TRIMESTER_FROM: u32 = 13 * 7;
/// Second trimester: 13+0 to 23+6 weeks.
const SECOND_TRIMESTER_UNTIL: u32 = 24 * 7;

/// The losses counted under a profile.
#[derive(Debug, Default)]
pub(crate) struct Losses {
    pub counted: Vec<(crate::domain::ids::PregnancyId, Option<NaiveDate>)>,
    /// The most recent counted loss (§6.4), and how many counted losses it completes.
    pub latest: Option<crate::domain::ids::PregnancyId>,
    pub first: u32,
    pub second: u32,
    /// Counted losses from 24+0 up to the limit (cn-2022 counts to 27+6).
    pub later: u32,
    /// Counted losses without a recorded gestational age.
    pub unknown_ga: u32,
    /// What the count left out or assumed, each as " Note: ….", ready for the explanation.
    pub notes: String,
}

enum Class {
    Counts,
    /// Reached the limit: a live birth, or a loss at or beyond it.
    Breaks,
    Neutral,
}

/// Adds " Note: ARGS." to `notes`.
fn note(notes: &mut String, args: std::fmt::Arguments) {
    notes.push_str(" Note: ");
    let _ = notes.write_fmt(args);
    notes.push('.');
}

fn classify(p: &Pregnancy, d: &LossDefinition, partner: Option<&str>, notes: &mut String) -> Class {
    match p.outcome {
        Outcome::LiveBirth => Class::Breaks,
        Outcome::Ectopic | Outcome::Molar | Outcome::Termination | Outcome::Ongoing => {
            Class::Neutral
        }
        Outcome::Biochemical if !d.count_biochemical => {
            note(
                notes,
                format_args!("a biochemical loss{} is not counted", on(p.ended_on)),
            );
            Class::Neutral
        }
        // §6.6: counted wherever biochemical losses are counted.
        Outcome::PulResolved | Outcome::PulTreated if !d.count_biochemical => {
            note(
                notes,
                format_args!(
                    "a pregnancy of unknown location{} is not counted",
                    on(p.ended_on)
                ),
            );
            Class::Neutral
        }
        // §6.5: a loss with another partner breaks a same-partner run. When the current partner
        // is not recorded, a named partner cannot be compared and the loss counts (the reading
        // that never withholds the workup).
        Outcome::Miscarriage
        | Outcome::Biochemical
        | Outcome::Stillbirth
        | Outcome::PulResolved
        | Outcome::PulTreated
            if d.same_partner && other_partner(p, partner) =>
        {
            note(notes, format_args!(
                "the {}{} was with another partner: only losses with the current partner count, so it breaks the run",
                Spaced(p.outcome.as_str()),
                on(p.ended_on)
            ));
            Class::Breaks
        }
        Outcome::Miscarriage
        | Outcome::Biochemical
        | Outcome::Stillbirth
        | Outcome::PulResolved
        | Outcome::PulTreated => {
            match p.age_of_loss() {
                Some(ga) if ga.total_days() >= d.limit_days => {
                    note(
                        notes,
                        format_args!(
                            "the {} at {ga}{} is at or beyond {} and does not count",
                            Spaced(p.outcome.as_str()),
                            on(p.ended_on),
                            weeks(d.limit_days)
                        ),
                    );
                    Class::Breaks
                }
                Some(_) => Class::Counts,
                None => {
                    // Conservative: a loss without a gestational age still counts, so a missing
                    // field never withholds the workup; the clinician is asked to record it.
                    note(notes, format_args!(
                        "the {}{} has no gestational age recorded: counted, trimester unknown; please record it",
                        Spaced(p.outcome.as_str()),
                        on(p.ended_on)
                    ));
                    Class::Counts
                }
            }
        }
    }
}

fn other_partner(p: &Pregnancy, current: Option<&str>) -> bool {
    matches!((p.partner_mrn.as_deref(), current), (Some(named), Some(now)) if named != now)
}

/// " on DATE", nothing without a date.
fn on(date: Option<NaiveDate>) -> impl std::fmt::Display {
    struct On(Option<NaiveDate>);
    impl std::fmt::Display for On {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            match self.0 {
                Some(d) => write!(f, " on {}", Ymd(d)),
                None => Ok(()),
            }
        }
    }
    On(date)
}

/// Days as "weeks+days".
fn weeks(days: u32) -> impl std::fmt::Display {
    struct Weeks(u32);
    impl std::fmt::Display for Weeks {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{}+{}", self.0 / 7, self.0 % 7)
        }
    }
    Weeks(days)
}

/// Counts the losses of `pregnancies` under `d`, walking them in the order they ended (ongoing
/// and undated pregnancies last).
pub(crate) fn count(
    pregnancies: &[Pregnancy],
    d: &LossDefinition,
    partner: Option<&str>,
) -> Losses {
    let mut ordered: Vec<&Pregnancy> = pregnancies.iter().collect();
    ordered.sort_by_key(|p| (p.ended_on.is_none(), p.ended_on));
    let mut notes = String::new();
    // The losses that count are moved to the front of `ordered` (to `kept`); a run is a range of
    // them, and `best` the longest.
    let (mut kept, mut run_start, mut best, mut runs) = (0, 0, 0..0, 0);
    for i in 0..ordered.len() {
        let p = ordered[i];
        match classify(p, d, partner, &mut notes) {
            Class::Counts => {
                ordered[kept] = p;
                kept += 1;
            }
            Class::Breaks if d.consecutive => {
                let run = run_start..kept;
                runs += usize::from(!run.is_empty());
                // On a tie the later run wins: it is the more recent history.
                if run.len() >= best.len() && !run.is_empty() {
                    best = run;
                }
                run_start = kept;
            }
            Class::Breaks | Class::Neutral => {}
        }
    }
    let run = run_start..kept;
    runs += usize::from(!run.is_empty());
    if run.len() >= best.len() {
        best = run;
    }
    if d.consecutive && runs > 1 {
        note(
            &mut notes,
            format_args!("only consecutive losses count: the longest of {runs} runs is counted"),
        );
    }
    let mut losses = Losses {
        notes,
        ..Losses::default()
    };
    losses.counted.reserve_exact(best.len());
    for &p in &ordered[best] {
        match p.age_of_loss().map(|g| g.total_days()) {
            None => losses.unknown_ga += 1,
            Some(days) if days < SECOND_TRIMESTER_FROM => losses.first += 1,
            Some(days) if days < SECOND_TRIMESTER_UNTIL => losses.second += 1,
            Some(_) => losses.later += 1,
        }
        losses.counted.push((p.id, p.ended_on));
        losses.latest = Some(p.id);
    }
    losses
}

/// Secondary RPL: a live birth before the latest counted loss (any live birth when no loss is
/// counted or its date is unknown).
fn rpl_type(pregnancies: &[Pregnancy], losses: &Losses) -> RplType {
    let latest_loss = losses.counted.iter().filter_map(|(_, d)| *d).max();
    let prior_birth = pregnancies.iter().any(|p| {
        p.outcome == Outcome::LiveBirth
            && match (p.ended_on, latest_loss) {
                (Some(born), Some(lost)) => born < lost,
                _ => true,
            }
    });
    if prior_birth {
        RplType::Secondary
    } else {
        RplType::Primary
    }
}

/// The eligibility block: whether `profile`'s definition is met, and why.
pub(crate) fn assess(
    pregnancies: &[Pregnancy],
    losses: &Losses,
    profile: &Profile,
    early_workup_requested: Option<(&str, NaiveDate)>,
    triggers: Vec<FiredTrigger>,
) -> Eligibility {
    let d = &profile.loss_definition;
    let n = losses.counted.len() as u32;
    let by_second = d.min_second_trimester.is_some_and(|m| losses.second >= m);
    let meets = n >= d.min_losses || by_second;
    let rpl_type = rpl_type(pregnancies, losses);
    // Room for the usual explanation at once, rather than growing as it is written.
    let mut x = String::with_capacity(512);
    n.write_to(&mut x);
    push_all(
        &mut x,
        &[
            if n == 1 { " loss" } else { " losses" },
            " counted under ",
            &profile.id,
            " (losses before ",
        ],
    );
    (d.limit_days / 7).write_to(&mut x);
    x.push('+');
    (d.limit_days % 7).write_to(&mut x);
    push_all(
        &mut x,
        &[
            " weeks, biochemical losses ",
            if d.count_biochemical {
                "included"
            } else {
                "not counted"
            },
            ", ",
            if d.consecutive {
                "consecutive only"
            } else {
                "not necessarily consecutive"
            },
            "): ",
        ],
    );
    losses.first.write_to(&mut x);
    x.push_str(" first-trimester, ");
    losses.second.write_to(&mut x);
    x.push_str(" second-trimester");
    if losses.later > 0 {
        x.push_str(", ");
        losses.later.write_to(&mut x);
        x.push_str(" at 24+0 or later");
    }
    if losses.unknown_ga > 0 {
        x.push_str(", ");
        losses.unknown_ga.write_to(&mut x);
        x.push_str(" of unknown gestational age");
    }
    x.push_str(". The definition (at least ");
    d.min_losses.write_to(&mut x);
    x.push_str(" losses");
    if let Some(m) = d.min_second_trimester {
        x.push_str(", or at least ");
        m.write_to(&mut x);
        x.push_str(" second-trimester");
    }
    x.push_str(if meets {
        ") is met. "
    } else {
        ") is not met. "
    });
    x.push_str(match rpl_type {
        RplType::Primary => "Primary RPL (no prior live birth).",
        RplType::Secondary => "Secondary RPL (a live birth before the losses).",
    });
    x.push_str(&losses.notes);
    let early_workup = !meets && early_workup_requested.is_some();
    if let (false, Some((by, on))) = (meets, early_workup_requested) {
        let _ = write!(
            x,
            " A clinician ({by}) requested an early workup on {}: the items are evaluated as if the definition were met.",
            Ymd(on)
        );
    }
    Eligibility {
        meets_definition: meets,
        early_workup,
        losses_counted: n,
        first_trimester: losses.first,
        second_trimester: losses.second,
        rpl_type,
        counted_pregnancy_ids: losses.counted.iter().map(|(id, _)| *id).collect(),
        triggers,
        explanation: x,
    }
}
