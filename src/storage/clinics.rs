//! Clinic settings. A clinic row is created the first time a token of that clinic is used.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::clinics;
use super::AnyConnection;
use crate::domain::ids::ClinicId;

/// What evaluating a checklist now needs of the clinic.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = clinics)]
pub struct ClinicSettings {
    /// IANA time zone name (`Europe/Berlin`).
    pub time_zone: String,
    pub default_profile: String,
}

pub fn settings(conn: &mut AnyConnection, id: &ClinicId) -> QueryResult<Option<ClinicSettings>> {
    clinics::table
        .find(id.as_str())
        .select(ClinicSettings::as_select())
        .get_result(conn)
        .optional()
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = clinics)]
pub struct ClinicRow {
    #[diesel(deserialize_as = String)]
    pub id: ClinicId,
    pub default_profile: String,
    pub mrn_system: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// IANA time zone name (`Europe/Berlin`); `UTC` by default.
    pub time_zone: String,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = clinics)]
pub struct ClinicChanges {
    pub default_profile: Option<String>,
    pub mrn_system: Option<Option<String>>,
    pub time_zone: Option<String>,
    pub updated_at: Option<NaiveDateTime>,
}

/// The clinic's row, created with defaults if it does not exist yet.
pub fn ensure(conn: &mut AnyConnection, id: &ClinicId) -> QueryResult<ClinicRow> {
    let now = super::now();
    let row = (
        clinics::id.eq(id.as_str()),
        clinics::created_at.eq(now),
        clinics::updated_at.eq(now),
    );
    super::per_backend!(&mut *conn, |c| diesel::insert_into(clinics::table)
        .values(row)
        .on_conflict(clinics::id)
        .do_nothing()
        .execute(c))?;
    get(conn, id)
}

/// The clinic's row, if a token of it was used yet.
pub fn find(conn: &mut AnyConnection, id: &ClinicId) -> QueryResult<Option<ClinicRow>> {
    get(conn, id).optional()
}

pub fn get(conn: &mut AnyConnection, id: &ClinicId) -> QueryResult<ClinicRow> {
    clinics::table
        .find(id.as_str())
        .select(ClinicRow::as_select())
        .first(conn)
}

pub fn update(conn: &mut AnyConnection, id: &ClinicId, changes: &ClinicChanges) -> QueryResult<()> {
    if let Some(profile) = &changes.default_profile {
        super::history::record_clinic_default(conn, id, profile)?;
    }
    diesel::update(clinics::table.find(id.as_str()))
        .set(changes)
        .execute(conn)
        .map(|_| ())
}
