//! Antiphospholipid persistence (revised Sapporo / Sydney criteria, clinical-rules.md §3): a
//! positive test needs a repeat at least 12 weeks (the profile's interval, 84 days) after the
//! positive sample. Positive again → persistent (abnormal: laboratory criterion for APS met);
//! negative → transient positivity (complete); no repeat yet → repeat due. Pure.

use chrono::{Days, NaiveDate};

use super::interpret::Verdict;
use super::readings::ComponentState;
use super::text::Ymd;

/// What one antiphospholipid component's readings show over time.
#[derive(Debug, Default)]
pub(crate) struct Persistence {
    /// Two positives at least the interval apart.
    pub persistent: bool,
    /// A positive without a sample date: persistence cannot be judged.
    pub undated_positive: bool,
    /// The earliest date a confirming repeat is due, for positives not yet repeated.
    pub due_on: Option<NaiveDate>,
    pub notes: Vec<String>,
}

/// Assesses persistence for one component (its readings are sorted by sample date).
pub(crate) fn assess(state: &ComponentState, interval_days: u32) -> Persistence {
    let name = state.spec.test.entry().title;
    let weeks = interval_days / 7;
    let mut p = Persistence::default();
    let dated: Vec<(NaiveDate, bool)> = state
        .readings
        .iter()
        .filter(|r| matches!(r.verdict, Verdict::Normal | Verdict::Abnormal))
        .filter_map(|r| Some((r.date?, r.verdict == Verdict::Abnormal)))
        .collect();
    p.undated_positive = state
        .readings
        .iter()
        .any(|r| r.verdict == Verdict::Abnormal && r.date.is_none());
    if p.undated_positive {
        p.notes.push(format!(
            "a positive {name} has no sample date, so its persistence cannot be judged"
        ));
    }
    let repeat_from = |d: NaiveDate| d.checked_add_days(Days::new(interval_days.into()));
    for (i, &(first, positive)) in dated.iter().enumerate() {
        if !positive {
            continue;
        }
        let Some(from) = repeat_from(first) else {
            continue;
        };
        let later: Vec<_> = dated[i + 1..].iter().filter(|(d, _)| *d >= from).collect();
        if let Some((again, _)) = later.iter().find(|(_, pos)| *pos) {
            p.persistent = true;
            p.notes.push(format!(
                "{name} positive on {} and again on {}, at least {weeks} weeks apart: persistent (laboratory criterion for antiphospholipid syndrome met)",
                Ymd(first),
                Ymd(*again)
            ));
            return p;
        }
        match later.first() {
            Some((negative, _)) => p.notes.push(format!(
                "{name} positive on {} but negative on {}, at least {weeks} weeks later: transient positivity",
                Ymd(first),
                Ymd(*negative)
            )),
            None => {
                p.due_on = Some(p.due_on.map_or(from, |d| d.min(from)));
            }
        }
    }
    if let Some(due) = p.due_on {
        p.notes.push(format!(
            "persistence of {name} needs a repeat ≥ {weeks} weeks after the positive sample (due {})",
            Ymd(due)
        ));
    }
    p
}
