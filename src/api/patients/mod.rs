//! `/v1/patients`: the patient record (MRN unique within the clinic, EHR id, birth date, partner,
//! profile override), with an optional obstetric history on creation.

mod create;
mod read;
mod update;
mod views;

pub use create::*;
pub use read::*;
pub use update::*;
pub use views::*;

use crate::api::error::ApiError;
use crate::auth::Caller;
use crate::storage::patients::{self, PatientRow};
use crate::storage::AnyConnection;

/// Clinicians and admins work with patient data; a lab token never reads it.
pub fn require_clinical(caller: &Caller) -> Result<(), ApiError> {
    if caller.is_clinical() {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// The caller's clinic's live patient, or 404 — exactly as if another clinic's did not exist.
pub fn owned_patient(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: &uuid::Uuid,
) -> Result<PatientRow, ApiError> {
    patients::find(conn, &caller.clinic, (*id).into())?.ok_or(ApiError::NotFound)
}

/// A profile override must name a built-in profile or one of the clinic's own.
pub fn ensure_profile_known(
    conn: &mut AnyConnection,
    caller: &Caller,
    profile: &str,
) -> Result<(), ApiError> {
    if crate::workup::profile_exists(conn, &caller.clinic, profile)? {
        Ok(())
    } else {
        Err(ApiError::field(
            "profile",
            format!("unknown profile '{profile}'; see GET /v1/profiles"),
        ))
    }
}
