//! The record "as of" a day: what the service held by the end of that day (UTC). Pure functions
//! over a [`History`] — every state a pregnancy was written in, every result version with the time
//! it was recorded, every review with the time it was withdrawn — so the rule "as of D equals the
//! record truncated at D" is tested here without a database.

use chrono::{NaiveDate, NaiveDateTime};

use super::record::PatientRecord;
use crate::domain::ids::{PatientId, PregnancyId};
use crate::domain::pregnancy::Pregnancy;
use crate::domain::result::LabResult;
use crate::domain::review::Review;

#[cfg(test)]
mod tests;

/// Everything ever recorded for one patient, with when.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    pub patient_id: PatientId,
    /// Each pregnancy's writes, oldest first, grouped by pregnancy in record order.
    pub pregnancies: Vec<PregnancyEvent>,
    pub results: Vec<ResultHistory>,
    pub reviews: Vec<ReviewHistory>,
}

/// One write of a pregnancy: its state afterwards, `None` when the write deleted it.
#[derive(Debug, Clone, PartialEq)]
pub struct PregnancyEvent {
    pub id: PregnancyId,
    pub at: NaiveDateTime,
    pub state: Option<Pregnancy>,
}

/// A result with every version; `recorded_at[i]` is when `result.versions[i]` was received.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultHistory {
    pub result: LabResult,
    pub recorded_at: Vec<NaiveDateTime>,
    pub deleted_at: Option<NaiveDateTime>,
}

/// A review and when it was withdrawn, if it was.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewHistory {
    pub review: Review,
    pub withdrawn_at: Option<NaiveDateTime>,
}

/// The first instant after `day`: what was recorded before it was recorded "by the end of" `day`.
pub fn end_of(day: NaiveDate) -> NaiveDateTime {
    day.succ_opt()
        .unwrap_or(NaiveDate::MAX)
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
}

/// The record as it stood at the end of `day`: each pregnancy in its last state written by then
/// (deleted only if deleted by then), the result versions received by then (a result deleted
/// by then drops out), the reviews made by then and not withdrawn by then.
pub fn record_at(history: &History, day: NaiveDate) -> PatientRecord {
    let cutoff = end_of(day);
    let mut pregnancies = Vec::new();
    for (i, event) in history.pregnancies.iter().enumerate() {
        let next = history.pregnancies.get(i + 1);
        let last_by_cutoff =
            event.at < cutoff && next.is_none_or(|n| n.id != event.id || n.at >= cutoff);
        if let (true, Some(state)) = (last_by_cutoff, &event.state) {
            pregnancies.push(state.clone());
        }
    }
    let results = history
        .results
        .iter()
        .filter(|r| r.deleted_at.is_none_or(|d| d >= cutoff))
        .filter_map(|r| {
            let versions: Vec<_> = r
                .result
                .versions
                .iter()
                .zip(&r.recorded_at)
                .filter(|(_, at)| **at < cutoff)
                .map(|(v, _)| v.clone())
                .collect();
            (!versions.is_empty()).then(|| LabResult {
                versions,
                ..r.result.clone()
            })
        })
        .collect();
    let reviews = history
        .reviews
        .iter()
        .filter(|r| r.review.at.naive_utc() < cutoff)
        .filter(|r| r.withdrawn_at.is_none_or(|w| w >= cutoff))
        .map(|r| r.review.clone())
        .collect();
    PatientRecord {
        patient_id: history.patient_id,
        pregnancies,
        results,
        reviews,
    }
}

/// The history with everything recorded after `day` left out, as if the record had stopped then.
pub fn truncate(history: &History, day: NaiveDate) -> History {
    let cutoff = end_of(day);
    let before = |at: Option<NaiveDateTime>| at.filter(|a| *a < cutoff);
    History {
        patient_id: history.patient_id,
        pregnancies: history
            .pregnancies
            .iter()
            .filter(|e| e.at < cutoff)
            .cloned()
            .collect(),
        results: history
            .results
            .iter()
            .filter_map(|r| {
                let kept: Vec<_> = r
                    .result
                    .versions
                    .iter()
                    .zip(&r.recorded_at)
                    .filter(|(_, at)| **at < cutoff)
                    .collect();
                (!kept.is_empty()).then(|| ResultHistory {
                    result: LabResult {
                        versions: kept.iter().map(|(v, _)| (*v).clone()).collect(),
                        ..r.result.clone()
                    },
                    recorded_at: kept.iter().map(|(_, at)| **at).collect(),
                    deleted_at: before(r.deleted_at),
                })
            })
            .collect(),
        reviews: history
            .reviews
            .iter()
            .filter(|r| r.review.at.naive_utc() < cutoff)
            .map(|r| ReviewHistory {
                review: r.review.clone(),
                withdrawn_at: before(r.withdrawn_at),
            })
            .collect(),
    }
}

/// The record now: each pregnancy's latest state unless deleted, every result not deleted with all
/// its versions, every review not withdrawn (what `record::load` reads from live tables).
pub fn current(history: &History) -> PatientRecord {
    let mut pregnancies = Vec::new();
    for (i, event) in history.pregnancies.iter().enumerate() {
        let is_last = history
            .pregnancies
            .get(i + 1)
            .is_none_or(|n| n.id != event.id);
        if let (true, Some(state)) = (is_last, &event.state) {
            pregnancies.push(state.clone());
        }
    }
    PatientRecord {
        patient_id: history.patient_id,
        pregnancies,
        results: history
            .results
            .iter()
            .filter(|r| r.deleted_at.is_none() && !r.result.versions.is_empty())
            .map(|r| r.result.clone())
            .collect(),
        reviews: history
            .reviews
            .iter()
            .filter(|r| r.withdrawn_at.is_none())
            .map(|r| r.review.clone())
            .collect(),
    }
}

/// A profile choice (a patient's override, or the clinic default) at the end of `day`, from its
/// changes `(recorded_at, previous, chosen)` oldest first and its value now: the last change by
/// then, else the value the first later change replaced, else the value now.
pub fn choice_at(
    changes: &[(NaiveDateTime, Option<String>, Option<String>)],
    now: Option<String>,
    day: NaiveDate,
) -> Option<String> {
    let cutoff = end_of(day);
    match changes.iter().rev().find(|(at, _, _)| *at < cutoff) {
        Some((_, _, chosen)) => chosen.clone(),
        None => match changes.first() {
            Some((_, previous, _)) => previous.clone(),
            None => now,
        },
    }
}
