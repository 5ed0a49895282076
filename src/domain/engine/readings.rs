//! Which results speak for a component, and what they say (clinical-rules.md §3, "Results that
//! count"): the effective version of each result of the component's test and subject; final,
//! amended and corrected count, preliminary makes it pending, cancelled and entered-in-error do
//! not count. Pure: no actix, no diesel.

use chrono::NaiveDate;

use super::interpret::{interpret, Verdict};
use crate::domain::ids::ResultId;
use crate::domain::profile::{ComponentSpec, Thresholds};
use crate::domain::result::{LabResult, Modality, ResultStatus, ResultValue, ResultVersion};

/// One counting result of a component, interpreted.
#[derive(Debug)]
pub(crate) struct Reading<'a> {
    pub result: &'a LabResult,
    pub version: &'a ResultVersion,
    /// The sample date: collected, else reported.
    pub date: Option<NaiveDate>,
    pub verdict: Verdict,
    /// Completes its component: a result, by a modality the profile accepts for imaging.
    pub completes: bool,
    /// "Anticardiolipin IgG 52 [GPL'U]/mL on 2026-10-13: abnormal (positive above 40)".
    pub text: String,
}

/// Everything the results say about one component.
#[derive(Debug)]
pub(crate) struct ComponentState<'a> {
    pub spec: &'a ComponentSpec,
    /// Counting results, oldest sample first.
    pub readings: Vec<Reading<'a>>,
    /// Results whose effective version is preliminary.
    pub preliminary: Vec<ResultId>,
    /// Results that do not count and why (cancelled, entered in error).
    pub ignored: Vec<String>,
}

impl ComponentState<'_> {
    /// Has a counting result (a failed karyotype or an unaccepted study is none).
    pub(crate) fn has_result(&self) -> bool {
        self.readings.iter().any(|r| r.completes)
    }
}

/// Reads the results of `spec` among `results`.
pub(crate) fn read<'a>(
    spec: &'a ComponentSpec,
    results: &'a [LabResult],
    t: &Thresholds,
    modalities: &[Modality],
) -> ComponentState<'a> {
    let mut state = ComponentState {
        spec,
        readings: Vec::new(),
        preliminary: Vec::new(),
        ignored: Vec::new(),
    };
    let title = spec.test.entry().title;
    for result in results
        .iter()
        .filter(|r| r.test == spec.test && r.subject == spec.subject)
    {
        let Some(version) = result.effective() else {
            continue;
        };
        let date = version
            .collected_on
            .or(version.reported_at.map(|t| t.date_naive()));
        match version.status {
            ResultStatus::Preliminary => state.preliminary.push(result.id),
            ResultStatus::Cancelled => state
                .ignored
                .push(format!("{title}{}: cancelled, does not count", on(date))),
            ResultStatus::EnteredInError => state
                .ignored
                .push(format!("{title}{}: entered in error, ignored", on(date))),
            ResultStatus::Final | ResultStatus::Amended | ResultStatus::Corrected => {
                let (verdict, why) = interpret(spec.test, version, t, modalities);
                let text = format!(
                    "{title}{}{}: {why}",
                    value_text(&version.value, version.modality),
                    on(date)
                );
                let accepted = version.modality.is_none_or(|m| modalities.contains(&m));
                state.readings.push(Reading {
                    result,
                    version,
                    date,
                    verdict,
                    completes: verdict != Verdict::NoResult && accepted,
                    text,
                });
            }
        }
    }
    state.readings.sort_by_key(|r| r.date);
    state
}

fn on(date: Option<NaiveDate>) -> String {
    match date {
        Some(d) => format!(" on {d}"),
        None => " (no date)".to_owned(),
    }
}

fn value_text(v: &ResultValue, modality: Option<Modality>) -> String {
    let mut s = String::new();
    if let Some(m) = modality {
        s.push_str(" by ");
        s.push_str(m.as_str());
    }
    if let Some(q) = v.quantity {
        s.push_str(&format!(" {q}"));
        if let Some(u) = &v.unit {
            s.push_str(&format!(" {u}"));
        }
    } else if let Some(f) = &v.finding {
        s.push_str(&format!(" {}", f.replace('_', " ")));
        if let Some(t) = &v.text {
            s.push_str(&format!(" ({t})"));
        }
    } else if let Some(t) = &v.text {
        s.push_str(&format!(" '{t}'"));
    }
    s
}
