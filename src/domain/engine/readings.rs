//! Which results speak for a component, and what they say (clinical-rules.md §3, "Results that
//! count"): the effective version of each result of the component's test and subject; final,
//! amended and corrected count, preliminary makes it pending, cancelled and entered-in-error do
//! not count. Pure: no actix, no diesel.

use chrono::NaiveDate;

use super::interpret::{interpret, Verdict, Why};
use super::results::Effective;
use super::text::{Number, On, WriteTo};
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

impl<'a> ComponentState<'a> {
    /// Has a counting result (a failed karyotype or an unaccepted study is none).
    pub(crate) fn has_result(&self) -> bool {
        self.readings.iter().any(|r| r.completes)
    }

    /// The buffer of the readings, emptied, for the next component.
    pub(crate) fn into_buffer(self) -> Vec<Reading<'a>> {
        let mut readings = self.readings;
        readings.clear();
        readings
    }
}

/// Reads the results of `spec`, a component of `item`, for the patient of `ctx`, into `readings`
/// (an empty buffer).
pub(crate) fn read<'a>(
    spec: &'a ComponentSpec,
    item: &ItemSpec,
    ctx: &Context<'a>,
    readings: Vec<Reading<'a>>,
) -> ComponentState<'a> {
    let t = &ctx.profile.thresholds;
    let modalities = &item.accepted_modalities;
    let mut state = ComponentState {
        spec,
        readings,
        preliminary: Vec::new(),
        ignored: Vec::new(),
    };
    for &Effective { result, version } in ctx.results.of(spec.test, spec.subject) {
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

impl Reading<'_> {
    /// "Anticardiolipin IgG 52 [GPL'U]/mL on 2026-10-13: abnormal (positive above 40)".
    pub(crate) fn write_to(&self, out: &mut String) {
        out.push_str(self.result.test.entry().title);
        let v = &self.version.value;
        if let Some(m) = self.version.modality {
            out.push_str(" by ");
            out.push_str(m.as_str());
        }
        if let Some(q) = v.quantity {
            out.push(' ');
            Number(q).write_to(out);
            if let Some(u) = &v.unit {
                out.push(' ');
                out.push_str(u);
            }
        } else if let Some(finding) = &v.finding {
            for word in finding.split('_') {
                out.push(' ');
                out.push_str(word);
            }
            if let Some(t) = &v.text {
                out.push_str(" (");
                out.push_str(t);
                out.push(')');
            }
        } else if let Some(t) = &v.text {
            out.push_str(" '");
            out.push_str(t);
            out.push('\'');
        }
        On(self.date).write_to(out);
        out.push_str(": ");
        self.why.write_to(out);
    }
}
