//! Which profile applies: built-in profiles are data compiled into the binary; a clinic's own
//! profiles are stored as the JSON of the whole derived profile.

use crate::domain::ids::ClinicId;
use std::borrow::Cow;

use diesel::{OptionalExtension, QueryResult};

use crate::domain::profile::{self, Profile, DEFAULT_PROFILE_ID};
use crate::storage::{clinic_profiles, clinics, AnyConnection};

/// A profile id that names neither a built-in profile nor one of the clinic's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownProfile(pub String);

/// A built-in profile, or the clinic's own one with this id.
pub fn find_profile(
    conn: &mut AnyConnection,
    clinic_id: &ClinicId,
    id: &str,
) -> QueryResult<Option<Cow<'static, Profile>>> {
    if let Some(p) = profile::builtin(id) {
        return Ok(Some(Cow::Borrowed(p)));
    }
    Ok(clinic_profiles::find(conn, clinic_id, id)?
        .and_then(|row| serde_json::from_str::<Profile>(&row.definition).ok())
        .map(Cow::Owned))
}

/// Whether `id` names a built-in profile or one of the clinic's own.
pub fn profile_exists(
    conn: &mut AnyConnection,
    clinic_id: &ClinicId,
    id: &str,
) -> QueryResult<bool> {
    Ok(find_profile(conn, clinic_id, id)?.is_some())
}

/// The profile to evaluate with: the one requested, else the patient's override, else the
/// clinic's default, else the service default.
pub fn resolve_profile(
    conn: &mut AnyConnection,
    clinic_id: &ClinicId,
    requested: Option<&str>,
    patient_override: Option<&str>,
) -> QueryResult<Result<Cow<'static, Profile>, UnknownProfile>> {
    let id = match requested.or(patient_override) {
        Some(id) => id.to_owned(),
        None => clinics::get(conn, clinic_id)
            .optional()?
            .map_or_else(|| DEFAULT_PROFILE_ID.to_owned(), |c| c.default_profile),
    };
    Ok(find_profile(conn, clinic_id, &id)?.ok_or(UnknownProfile(id)))
}

/// Built-in profiles, then the clinic's own.
pub fn list_profiles(
    conn: &mut AnyConnection,
    clinic_id: &ClinicId,
) -> QueryResult<Vec<Cow<'static, Profile>>> {
    let mut all: Vec<Cow<'static, Profile>> = profile::builtin_profiles()
        .iter()
        .map(Cow::Borrowed)
        .collect();
    all.extend(
        clinic_profiles::list(conn, clinic_id)?
            .iter()
            .filter_map(|row| serde_json::from_str::<Profile>(&row.definition).ok())
            .map(Cow::Owned),
    );
    Ok(all)
}
