//! Which results speak for a component, and what they say (clinical-rules.md §3, "Results that
//! count"): the effective version of each result of the component's test and subject; final,
//! amended and corrected count, preliminary makes it pending, cancelled and entered-in-error do
//! not count. Pure: no actix, no diesel.

use std::fmt;

use chrono::{Datelike, NaiveDate};

use super::interpret::{interpret, Verdict, Why};
use super::tissue::{self, Link};
use super::Context;
use crate::domain::ids::ResultId;
use crate::domain::profile::{ComponentSpec, InPregnancy, ItemSpec};
use crate::domain::result::{LabResult, ResultStatus, ResultVersion, Subject};

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
    pub why: Why,
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

/// Reads the results of `spec`, a component of `item`, for the patient of `ctx`.
pub(crate) fn read<'a>(
    spec: &'a ComponentSpec,
    item: &ItemSpec,
    ctx: &Context<'a>,
) -> ComponentState<'a> {
    let t = &ctx.profile.thresholds;
    let modalities = &item.accepted_modalities;
    let mut state = ComponentState {
        spec,
        readings: Vec::new(),
        preliminary: Vec::new(),
        ignored: Vec::new(),
    };
    for result in ctx
        .input
        .results
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
                if spec.subject == Subject::Partner && previous_partner(version, ctx) {
                    state.ignored.push((
                        "from a previous partner: listed, not counted for the current one",
                        date,
                    ));
                    continue;
                }
                let (mut verdict, mut why) = interpret(spec.test, version, t, modalities);
                if spec.subject == Subject::PregnancyTissue {
                    let link = tissue::link(
                        result,
                        version.collected_on,
                        ctx.input.pregnancies,
                        t.tissue_link_days,
                    );
                    match (link, ctx.latest_loss) {
                        (Link::Unlinked, _) => {
                            verdict = Verdict::Uninterpretable;
                            why = Why::Text(
                                "tissue result not linked to a loss: link it to its pregnancy"
                                    .into(),
                            );
                        }
                        (link, Some(latest))
                            if item.tissue_of_latest_loss
                                && link.pregnancy() != Some(latest.id) =>
                        {
                            state.ignored.push((
                                "tissue of another loss: does not complete the most recent one",
                                date,
                            ));
                            continue;
                        }
                        _ => {}
                    }
                }
                if spec.in_pregnancy == InPregnancy::DeferAndInvalid
                    && verdict != Verdict::NoResult
                    && date.is_some_and(|d| during_pregnancy(d, ctx))
                {
                    verdict = Verdict::Uninterpretable;
                    why = Why::Text("collected during pregnancy: cannot be interpreted".into());
                }
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

/// A partner result naming a partner other than the current one (§6.5). Unknown either way:
/// it counts.
fn previous_partner(v: &ResultVersion, ctx: &Context) -> bool {
    matches!((v.partner_mrn.as_deref(), ctx.input.partner_mrn), (Some(of), Some(now)) if of != now)
}

/// `day` falls inside one of the patient's pregnancies (start to end, today while ongoing).
fn during_pregnancy(day: NaiveDate, ctx: &Context) -> bool {
    ctx.input
        .pregnancies
        .iter()
        .filter_map(|p| p.span(ctx.today))
        .any(|(start, end)| start <= day && day <= end)
}

/// A date as `YYYY-MM-DD`, written without chrono's general formatter (it is the engine's most
/// frequent piece of text).
pub(crate) struct Ymd(pub NaiveDate);

impl fmt::Display for Ymd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = (self.0.year(), self.0.month(), self.0.day());
        if !(0..=9999).contains(&y) {
            return write!(f, "{}", self.0);
        }
        let y = y as u32;
        let digit = |n: u32| b'0' + (n % 10) as u8;
        let buf = [
            digit(y / 1000),
            digit(y / 100),
            digit(y / 10),
            digit(y),
            b'-',
            digit(m / 10),
            digit(m),
            b'-',
            digit(d / 10),
            digit(d),
        ];
        f.write_str(std::str::from_utf8(&buf).map_err(|_| fmt::Error)?)
    }
}

/// " on DATE", or " (no date)".
pub(crate) struct On(pub Option<NaiveDate>);

impl fmt::Display for On {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(d) => {
                f.write_str(" on ")?;
                Ymd(d).fmt(f)
            }
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
            f.write_str(" by ")?;
            f.write_str(m.as_str())?;
        }
        if let Some(q) = v.quantity {
            write!(f, " {q}")?;
            if let Some(u) = &v.unit {
                f.write_str(" ")?;
                f.write_str(u)?;
            }
        } else if let Some(finding) = &v.finding {
            for word in finding.split('_') {
                f.write_str(" ")?;
                f.write_str(word)?;
            }
            if let Some(t) = &v.text {
                f.write_str(" (")?;
                f.write_str(t)?;
                f.write_str(")")?;
            }
        } else if let Some(t) = &v.text {
            f.write_str(" '")?;
            f.write_str(t)?;
            f.write_str("'")?;
        }
        On(self.date).fmt(f)?;
        f.write_str(": ")?;
        self.why.fmt(f)
    }
}
