//! Which results speak for a component, and what they say (clinical-rules.md §3, "Results that
//! count"): the effective version of each result of the component's test and subject; final,
//! amended and corrected count, preliminary makes it pending, cancelled and entered-in-error do
//! not count. Pure: no actix, no diesel.

use std::borrow::Cow;
use std::fmt;

use chrono::NaiveDate;

use super::interpret::{interpret, Verdict};
use crate::domain::ids::ResultId;
use crate::domain::profile::{ComponentSpec, Thresholds};
use crate::domain::result::{LabResult, Modality, ResultStatus, ResultVersion};

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
    /// The words that justify the verdict ("abnormal (positive above 40)").
    pub why: Cow<'static, str>,
}

/// Everything the results say about one component.
#[derive(Debug)]
pub(crate) struct ComponentState<'a> {
    pub spec: &'a ComponentSpec,
    /// Counting results, oldest sample first.
    pub readings: Vec<Reading<'a>>,
    /// Results whose effective version is preliminary.
    pub preliminary: Vec<ResultId>,
    /// Results that do not count: why (cancelled, entered in error) and their sample date.
    pub ignored: Vec<(&'static str, Option<NaiveDate>)>,
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
            ResultStatus::Cancelled => state.ignored.push(("cancelled, does not count", date)),
            ResultStatus::EnteredInError => state.ignored.push(("entered in error, ignored", date)),
            ResultStatus::Final | ResultStatus::Amended | ResultStatus::Corrected => {
                let (verdict, why) = interpret(spec.test, version, t, modalities);
                let accepted = version.modality.is_none_or(|m| modalities.contains(&m));
                state.readings.push(Reading {
                    result,
                    version,
                    date,
                    verdict,
                    completes: verdict != Verdict::NoResult && accepted,
                    why,
                });
            }
        }
    }
    state.readings.sort_by_key(|r| r.date);
    state
}

/// " on DATE", or " (no date)".
pub(crate) struct On(pub Option<NaiveDate>);

impl fmt::Display for On {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(d) => write!(f, " on {d}"),
            None => f.write_str(" (no date)"),
        }
    }
}

/// "Anticardiolipin IgG 52 [GPL'U]/mL on 2026-10-13: abnormal (positive above 40)".
impl fmt::Display for Reading<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.result.test.entry().title)?;
        let v = &self.version.value;
        if let Some(m) = self.version.modality {
            write!(f, " by {}", m.as_str())?;
        }
        if let Some(q) = v.quantity {
            write!(f, " {q}")?;
            if let Some(u) = &v.unit {
                write!(f, " {u}")?;
            }
        } else if let Some(finding) = &v.finding {
            for word in finding.split('_') {
                write!(f, " {word}")?;
            }
            if let Some(t) = &v.text {
                write!(f, " ({t})")?;
            }
        } else if let Some(t) = &v.text {
            write!(f, " '{t}'")?;
        }
        write!(f, "{}: {}", On(self.date), self.why)
    }
}
