//! Patients, scoped to their clinic. Deleted patients stay for the audit but are never returned.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::patients;
use super::AnyConnection;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = patients)]
pub struct PatientRow {
    pub id: String,
    pub clinic_id: String,
    pub mrn: String,
    pub ehr_patient_id: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub partner_mrn: Option<String>,
    pub partner_birth_date: Option<NaiveDate>,
    pub profile: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = patients)]
pub struct NewPatient {
    pub id: String,
    pub clinic_id: String,
    pub mrn: String,
    pub ehr_patient_id: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub partner_mrn: Option<String>,
    pub partner_birth_date: Option<NaiveDate>,
    pub profile: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A partial update: `None` leaves a column alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = patients)]
pub struct PatientChanges {
    pub mrn: Option<String>,
    pub ehr_patient_id: Option<Option<String>>,
    pub birth_date: Option<Option<NaiveDate>>,
    pub partner_mrn: Option<Option<String>>,
    pub partner_birth_date: Option<Option<NaiveDate>>,
    pub profile: Option<Option<String>>,
    pub updated_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut AnyConnection, new: &NewPatient) -> QueryResult<()> {
    diesel::insert_into(patients::table)
        .values(new)
        .execute(conn)
        .map(|_| ())
}

/// The clinic's live patient with this id; another clinic's patient is simply not found.
pub fn find(
    conn: &mut AnyConnection,
    clinic_id: &str,
    id: &str,
) -> QueryResult<Option<PatientRow>> {
    patients::table
        .filter(patients::id.eq(id))
        .filter(patients::clinic_id.eq(clinic_id))
        .filter(patients::deleted_at.is_null())
        .select(PatientRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_mrn(
    conn: &mut AnyConnection,
    clinic_id: &str,
    mrn: &str,
) -> QueryResult<Option<PatientRow>> {
    patients::table
        .filter(patients::clinic_id.eq(clinic_id))
        .filter(patients::mrn.eq(mrn))
        .filter(patients::deleted_at.is_null())
        .select(PatientRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_ehr_id(
    conn: &mut AnyConnection,
    clinic_id: &str,
    ehr_patient_id: &str,
) -> QueryResult<Option<PatientRow>> {
    patients::table
        .filter(patients::clinic_id.eq(clinic_id))
        .filter(patients::ehr_patient_id.eq(ehr_patient_id))
        .filter(patients::deleted_at.is_null())
        .select(PatientRow::as_select())
        .first(conn)
        .optional()
}

/// One page of the clinic's patients in id (= creation) order, after the cursor id.
pub fn list(
    conn: &mut AnyConnection,
    clinic_id: &str,
    after_id: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<PatientRow>> {
    let mut query = patients::table
        .filter(patients::clinic_id.eq(clinic_id))
        .filter(patients::deleted_at.is_null())
        .select(PatientRow::as_select())
        .order(patients::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after_id {
        query = query.filter(patients::id.gt(after.to_owned()));
    }
    query.load(conn)
}

pub fn update(conn: &mut AnyConnection, id: &str, changes: &PatientChanges) -> QueryResult<()> {
    if let Some(profile) = &changes.profile {
        super::history::record_patient_profile(conn, id, profile.as_deref())?;
    }
    diesel::update(patients::table.find(id))
        .set(changes)
        .execute(conn)
        .map(|_| ())
}

pub fn soft_delete(conn: &mut AnyConnection, id: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(patients::table.find(id))
        .set(patients::deleted_at.eq(Some(at)))
        .execute(conn)
        .map(|_| ())
}

/// Locks the rows of the clinic's patients `ids` until the transaction ends, in id order — the one
/// global lock order of every write (PostgreSQL; SQLite's single writer already serialises write
/// transactions). Taken before anything referencing them is inserted, two writers cannot each hold
/// what the other waits for.
pub fn lock_many(conn: &mut AnyConnection, clinic_id: &str, ids: &[String]) -> QueryResult<()> {
    match conn {
        AnyConnection::Postgresql(c) if !ids.is_empty() => patients::table
            .filter(patients::clinic_id.eq(clinic_id))
            .filter(patients::id.eq_any(ids))
            .order(patients::id.asc())
            .select(patients::id)
            .for_update()
            .load::<String>(c)
            .map(|_| ()),
        _ => Ok(()),
    }
}

/// Locks the patient's row until the transaction ends (PostgreSQL; SQLite's single writer already
/// serialises write transactions), so two writes to one patient re-evaluate her one after the other.
pub fn lock(conn: &mut AnyConnection, id: &str) -> QueryResult<()> {
    match conn {
        AnyConnection::Postgresql(c) => patients::table
            .find(id)
            .select(patients::id)
            .for_update()
            .load::<String>(c)
            .map(|_| ()),
        AnyConnection::Sqlite(_) => Ok(()),
    }
}
