//! Antiphospholipid persistence (revised Sapporo / Sydney criteria, clinical-rules.md §3): a
//! positive test needs a repeat at least 12 weeks (the profile's interval, 84 days) after the
//! positive sample. Positive again → persistent (abnormal: laboratory criterion for APS met);
//! negative → transient positivity (complete); no repeat yet → repeat due. Pure.

use chrono::{Days, NaiveDate};

use super::interpret::Verdict;
use super::readings::ComponentState;
use super::text::{push_all, WriteTo, Ymd};

/// What one antiphospholipid component's readings show over time.
#[derive(Debug, Default)]
pub(crate) struct Persistence {
    /// Two positives at least the interval apart.
    pub persistent: bool,
    /// A positive without a sample date: persistence cannot be judged.
    pub undated_positive: bool,
    /// The earliest date a confirming repeat is due, for positives not yet repeated.
    pub due_on: Option<NaiveDate>,
}

/// One finding about persistence, kept as data and written into the reason when it is written.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Note {
    /// The test's title.
    name: &'static str,
    /// The repeat interval in whole weeks.
    weeks: u32,
    kind: NoteKind,
}

#[derive(Debug, Clone, Copy)]
enum NoteKind {
    Undated,
    Persistent {
        first: NaiveDate,
        again: NaiveDate,
    },
    Transient {
        first: NaiveDate,
        negative: NaiveDate,
    },
    RepeatDue {
        due: NaiveDate,
    },
}

impl WriteTo for Note {
    fn write_to(&self, out: &mut String) {
        let name = self.name;
        let weeks = |out: &mut String| self.weeks.write_to(out);
        // "<test> positive on <first><link><second>, at least <n><tail>"
        let two_samples = |out: &mut String, (first, link, second), tail: &str| {
            push_all(out, &[name, " positive on "]);
            Ymd(first).write_to(out);
            out.push_str(link);
            Ymd(second).write_to(out);
            out.push_str(", at least ");
            weeks(out);
            out.push_str(tail);
        };
        match self.kind {
            NoteKind::Undated => push_all(
                out,
                &[
                    "a positive ",
                    name,
                    " has no sample date, so its persistence cannot be judged",
                ],
            ),
            NoteKind::Persistent { first, again } => two_samples(
                out,
                (first, " and again on ", again),
                " weeks apart: persistent (laboratory criterion for antiphospholipid syndrome met)",
            ),
            NoteKind::Transient { first, negative } => two_samples(
                out,
                (first, " but negative on ", negative),
                " weeks later: transient positivity",
            ),
            NoteKind::RepeatDue { due } => {
                push_all(out, &["persistence of ", name, " needs a repeat ≥ "]);
                weeks(out);
                out.push_str(" weeks after the positive sample (due ");
                Ymd(due).write_to(out);
                out.push(')');
            }
        }
    }
}

/// Assesses persistence for one component (its readings are sorted by sample date), adding what
/// it finds to `notes`.
pub(crate) fn assess(
    state: &ComponentState,
    interval_days: u32,
    notes: &mut Vec<Note>,
) -> Persistence {
    let note = |kind| Note {
        name: state.spec.test.entry().title,
        weeks: interval_days / 7,
        kind,
    };
    let mut p = Persistence::default();
    // The dated readings that can be judged: (sample date, positive).
    let dated = || {
        state
            .readings
            .iter()
            .filter(|r| matches!(r.verdict, Verdict::Normal | Verdict::Abnormal))
            .filter_map(|r| Some((r.date?, r.verdict == Verdict::Abnormal)))
    };
    p.undated_positive = state
        .readings
        .iter()
        .any(|r| r.verdict == Verdict::Abnormal && r.date.is_none());
    if p.undated_positive {
        notes.push(note(NoteKind::Undated));
    }
    let repeat_from = |d: NaiveDate| d.checked_add_days(Days::new(interval_days.into()));
    for (i, (first, positive)) in dated().enumerate() {
        if !positive {
            continue;
        }
        let Some(from) = repeat_from(first) else {
            continue;
        };
        let mut later = dated().skip(i + 1).filter(|(d, _)| *d >= from);
        let next = later.clone().next();
        if let Some((again, _)) = later.find(|(_, pos)| *pos) {
            p.persistent = true;
            notes.push(note(NoteKind::Persistent { first, again }));
            return p;
        }
        match next {
            Some((negative, _)) => notes.push(note(NoteKind::Transient { first, negative })),
            None => {
                p.due_on = Some(p.due_on.map_or(from, |d| d.min(from)));
            }
        }
    }
    if let Some(due) = p.due_on {
        notes.push(note(NoteKind::RepeatDue { due }));
    }
    p
}
