//! Application services between storage and the domain: load what the engine needs for a patient,
//! choose the profile, evaluate, and keep the per-patient worklist summary current. No HTTP here.

pub mod as_of;
pub mod audit_log;
pub mod checklists;
pub mod jobs;
pub mod profiles;
pub mod record;
pub mod summary;
pub mod unit_of_work;

use crate::domain::ids::{ClinicId, PatientId};
use chrono::NaiveDate;
use diesel::QueryResult;

use crate::domain::checklist::Checklist;
use crate::domain::engine::{self, WorkupInput};
use crate::storage::patients::PatientRow;
use crate::storage::worklist::StoredChecklist;
use crate::storage::AnyConnection;

pub use profiles::{profile_exists, resolve_profile, UnknownProfile};

/// The patient's checklist under `requested` (else her override, else the clinic default).
pub fn checklist(
    conn: &mut AnyConnection,
    patient: &PatientRow,
    requested: Option<&str>,
    today: NaiveDate,
) -> QueryResult<Result<Checklist, UnknownProfile>> {
    let profile = match resolve_profile(
        conn,
        &patient.clinic_id,
        requested,
        patient.profile.as_deref(),
    )? {
        Ok(profile) => profile,
        Err(unknown) => return Ok(Err(unknown)),
    };
    let record = record::load(conn, patient.id)?;
    let input = WorkupInput {
        patient_id: record.patient_id,
        pregnancies: &record.pregnancies,
        results: &record.results,
        reviews: &record.reviews,
        partner_mrn: patient.partner_mrn.as_deref(),
    };
    Ok(Ok(engine::evaluate(&input, &profile, today)))
}

/// The patient's checklist as JSON: the one stored with her worklist summary when it is still
/// current (see [`current`]), else evaluated now.
pub fn checklist_json(
    conn: &mut AnyConnection,
    patient: &PatientRow,
    requested: Option<&str>,
    clinic: &record::ClinicDay,
) -> QueryResult<Result<String, UnknownProfile>> {
    let stored = crate::storage::worklist::stored_checklist(conn, patient.id)?;
    if let Some(json) = current(stored, patient, requested, clinic) {
        return Ok(Ok(json));
    }
    Ok(checklist(conn, patient, requested, clinic.today)?
        .map(|c| serde_json::to_string(&c).expect("a checklist always serialises")))
}

/// What one statement tells of a patient's checklist now.
pub enum StoredNow {
    NoSuchPatient,
    /// The stored checklist is not current: evaluate (in a transaction).
    Stale,
    Current(PatientId, String),
}

/// The patient's stored checklist if it is current, read in one statement: the fast path of
/// every checklist read between two writes.
pub fn stored_checklist_now(
    conn: &mut AnyConnection,
    clinic_id: &ClinicId,
    patient_id: PatientId,
    requested: Option<&str>,
) -> QueryResult<StoredNow> {
    use crate::storage::worklist::{checklist_view, ChecklistView};
    let Some(ChecklistView {
        patient,
        clinic,
        stored,
    }) = checklist_view(conn, clinic_id, patient_id)?
    else {
        return Ok(StoredNow::NoSuchPatient);
    };
    let clinic = record::ClinicDay::of(clinic);
    Ok(match current(stored, &patient, requested, &clinic) {
        Some(json) => StoredNow::Current(patient.id, json),
        None => StoredNow::Stale,
    })
}

/// The stored checklist when it is still current: made under the profile that applies now (the
/// requested one, else her override, else the clinic default), evaluated today, and no due date
/// passed since — every write re-evaluates it in its own transaction. One made under a former
/// clinic default (a re-evaluation still under way) is never served.
fn current(
    stored: Option<StoredChecklist>,
    patient: &PatientRow,
    requested: Option<&str>,
    clinic: &record::ClinicDay,
) -> Option<String> {
    let stored = stored?;
    let applies = requested
        .or(patient.profile.as_deref())
        .unwrap_or(&clinic.default_profile)
        == stored.profile;
    let today = clinic.today;
    let current = stored.evaluated_on == today && stored.refresh_on.is_none_or(|d| d > today);
    (applies && current).then_some(stored.checklist).flatten()
}

/// Re-evaluates the patient's checklist and stores the worklist summary (same transaction as the
/// write that changed it). A deleted patient drops out of the worklist.
pub fn refresh_summary(
    conn: &mut AnyConnection,
    clinic_id: &ClinicId,
    patient_id: PatientId,
) -> QueryResult<()> {
    let today = record::clinic_today(conn, clinic_id)?;
    summary::refresh(conn, clinic_id, patient_id, today, summary::Reason::Write)
}
