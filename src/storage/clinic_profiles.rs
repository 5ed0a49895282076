//! Clinic-derived guideline profiles, stored as the JSON of the full derived profile.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::clinic_profiles;
use super::AnyConnection;
use crate::domain::ids::ClinicId;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = clinic_profiles)]
pub struct ClinicProfileRow {
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub clinic_id: ClinicId,
    pub id: String,
    pub based_on: String,
    /// The whole derived profile, as JSON.
    pub definition: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut AnyConnection, row: &ClinicProfileRow) -> QueryResult<()> {
    diesel::insert_into(clinic_profiles::table)
        .values(row.clone())
        .execute(conn)
        .map(|_| ())
}

pub fn find(
    conn: &mut AnyConnection,
    clinic_id: &ClinicId,
    id: &str,
) -> QueryResult<Option<ClinicProfileRow>> {
    clinic_profiles::table
        .find((clinic_id.as_str(), id))
        .select(ClinicProfileRow::as_select())
        .first(conn)
        .optional()
}

pub fn list(conn: &mut AnyConnection, clinic_id: &ClinicId) -> QueryResult<Vec<ClinicProfileRow>> {
    clinic_profiles::table
        .filter(clinic_profiles::clinic_id.eq(clinic_id.as_str()))
        .select(ClinicProfileRow::as_select())
        .order(clinic_profiles::id.asc())
        .load(conn)
}
