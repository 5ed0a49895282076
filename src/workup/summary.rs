//! Worklist summaries: a patient's checklist reduced to what the worklist filters and shows,
//! stored beside the record so a page never evaluates patients (only those a due date has passed
//! for since their last evaluation, a bounded number per page).

use crate::domain::ids::{ClinicId, PatientId};
use chrono::NaiveDate;
use diesel::QueryResult;

use crate::domain::checklist::{Checklist, ItemStatus};
use crate::storage::worklist::{self, ItemRow, SummaryRow};
use crate::storage::{patients, AnyConnection};

/// Why a summary was re-evaluated (a metric label).
#[derive(Debug, Clone, Copy)]
pub enum Reason {
    /// A write changed the patient's record.
    Write,
    /// The clinic default profile changed.
    Clinic,
    /// A due date passed since the last evaluation.
    Time,
    /// The seeding command.
    Seed,
    /// A bulk write deferred it to the background worker.
    Deferred,
}

impl Reason {
    fn as_str(self) -> &'static str {
        match self {
            Reason::Write => "write",
            Reason::Clinic => "clinic",
            Reason::Time => "time",
            Reason::Seed => "seed",
            Reason::Deferred => "deferred",
        }
    }
}

/// Re-evaluates the patient on `today` and rewrites her summary; drops it when she is deleted
/// (or belongs to another clinic, or her profile no longer exists).
pub fn refresh(
    conn: &mut AnyConnection,
    clinic_id: &ClinicId,
    patient_id: PatientId,
    today: NaiveDate,
    reason: Reason,
) -> QueryResult<()> {
    crate::metrics::observe_worklist_refresh(reason.as_str());
    // Concurrent writes to one patient (lab retries, a bundle) would otherwise each evaluate
    // without the other's rows and collide rewriting the summary.
    patients::lock(conn, patient_id)?;
    let Some(patient) = patients::find(conn, clinic_id, patient_id)? else {
        return worklist::remove(conn, patient_id);
    };
    let Ok(checklist) = super::checklist(conn, &patient, None, today)? else {
        return worklist::remove(conn, patient_id);
    };
    let (summary, items) = summarise(clinic_id, patient_id, &checklist);
    worklist::replace(conn, &summary, &items)
}

/// Refreshes up to `limit` of the clinic's summaries whose `refresh_on` has come; returns how many.
pub fn refresh_stale(
    conn: &mut AnyConnection,
    clinic_id: &ClinicId,
    today: NaiveDate,
    limit: i64,
) -> QueryResult<usize> {
    let stale = worklist::stale(conn, clinic_id, today, limit)?;
    for patient_id in &stale {
        refresh(conn, clinic_id, *patient_id, today, Reason::Time)?;
    }
    Ok(stale.len())
}

/// Re-evaluates one summary whose refresh a bulk write deferred (the background worker).
pub fn refresh_deferred(
    conn: &mut AnyConnection,
    clinic_id: &ClinicId,
    patient_id: PatientId,
) -> QueryResult<()> {
    let today = super::record::clinic_today(conn, clinic_id)?;
    refresh(conn, clinic_id, patient_id, today, Reason::Deferred)
}

/// The summary row and item rows (open and deferred) of one evaluated checklist. A deferred item
/// is listed so the worklist can filter on it, but it is not open work (clinical-rules.md §6.3).
pub fn summarise(
    clinic_id: &ClinicId,
    patient_id: PatientId,
    c: &Checklist,
) -> (SummaryRow, Vec<ItemRow>) {
    let count = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
    let open: Vec<_> = c.items.iter().filter(|i| i.status.is_open()).collect();
    let items = c
        .items
        .iter()
        .filter(|i| i.status.is_open() || i.status == ItemStatus::Deferred)
        .map(|i| ItemRow {
            patient_id,
            item: i.id.as_str().to_owned(),
            clinic_id: clinic_id.to_owned(),
            status: i.status.as_str().to_owned(),
            due_on: i.due_on,
        })
        .collect();
    let summary = SummaryRow {
        patient_id,
        clinic_id: clinic_id.to_owned(),
        profile: c.profile.id.to_string(),
        outstanding: count(c.summary.outstanding),
        pending: count(c.summary.pending),
        repeat_due: count(c.summary.repeat_due),
        abnormal: count(c.summary.abnormal),
        needs_review: count(c.summary.needs_review),
        complete: count(c.summary.complete),
        overdue: count(c.summary.overdue),
        next_due_on: open.iter().filter_map(|i| i.due_on).min(),
        refresh_on: c.next_change_on(),
        open_work: !open.is_empty(),
        evaluated_on: c.evaluated_on,
        updated_at: crate::storage::now(),
        checklist: serde_json::to_string(c).ok(),
    };
    (summary, items)
}
