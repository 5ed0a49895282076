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
/// current (made under the profile that applies now, evaluated today, and no due date passed
/// since — every write re-evaluates it in its own transaction), else evaluated now. A stored one
/// made under a former clinic default (a re-evaluation still under way) is never served.
pub fn checklist_json(
    conn: &mut AnyConnection,
    patient: &PatientRow,
    requested: Option<&str>,
    clinic: &record::ClinicDay,
) -> QueryResult<Result<String, UnknownProfile>> {
    if let Some(stored) = crate::storage::worklist::stored_checklist(conn, patient.id)? {
        let applies = requested
            .or(patient.profile.as_deref())
            .unwrap_or(&clinic.default_profile)
            == stored.profile;
        let today = clinic.today;
        let current = stored.evaluated_on == today && stored.refresh_on.is_none_or(|d| d > today);
        if let (true, true, Some(json)) = (applies, current, stored.checklist) {
            return Ok(Ok(json));
        }
    }
    Ok(checklist(conn, patient, requested, clinic.today)?
        .map(|c| serde_json::to_string(&c).expect("a checklist always serialises")))
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
