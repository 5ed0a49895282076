//! Patients, scoped to their clinic. Deleted patients stay for the audit but are never returned.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::patients;
use super::{AnyConnection, StoredId};
use crate::domain::ids::{ClinicId, PatientId};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = patients)]
pub struct PatientRow {
    #[diesel(deserialize_as = StoredId<PatientId>)]
    pub id: PatientId,
    #[diesel(deserialize_as = String)]
    pub clinic_id: ClinicId,
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
    #[diesel(serialize_as = String)]
    pub id: PatientId,
    #[diesel(serialize_as = String)]
    pub clinic_id: ClinicId,
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
        .values(new.clone())
        .execute(conn)
        .map(|_| ())
}

/// The clinic's live patient with this id; another clinic's patient is simply not found.
pub fn find(
    conn: &mut AnyConnection,
    clinic_id: &ClinicId,
    id: PatientId,
) -> QueryResult<Option<PatientRow>> {
    patients::table
        .filter(patients::id.eq(id.to_string()))
        .filter(patients::clinic_id.eq(clinic_id.as_str()))
        .filter(patients::deleted_at.is_null())
        .select(PatientRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_mrn(
    conn: &mut AnyConnection,
    clinic_id: &ClinicId,
    mrn: &str,
) -> QueryResult<Option<PatientRow>> {
    patients::table
        .filter(patients::clinic_id.eq(clinic_id.as_str()))
        .filter(patients::mrn.eq(mrn))
        .filter(patients::deleted_at.is_null())
        .select(PatientRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_ehr_id(
    conn: &mut AnyConnection,
    clinic_id: &ClinicId,
    ehr_patient_id: &str,
) -> QueryResult<Option<PatientRow>> {
    patients::table
        .filter(patients::clinic_id.eq(clinic_id.as_str()))
        .filter(patients::ehr_patient_id.eq(ehr_patient_id))
        .filter(patients::deleted_at.is_null())
        .select(PatientRow::as_select())
        .first(conn)
        .optional()
}

/// One page of the clinic's patients in id (= creation) order, after the cursor id.
pub fn list(
    conn: &mut AnyConnection,
    clinic_id: &ClinicId,
    after: Option<PatientId>,
    limit: i64,
) -> QueryResult<Vec<PatientRow>> {
    let mut query = patients::table
        .filter(patients::clinic_id.eq(clinic_id.as_str()))
        .filter(patients::deleted_at.is_null())
        .select(PatientRow::as_select())
        .order(patients::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(patients::id.gt(after.to_string()));
    }
    query.load(conn)
}

pub fn update(
    conn: &mut AnyConnection,
    id: PatientId,
    changes: &PatientChanges,
) -> QueryResult<()> {
    if let Some(profile) = &changes.profile {
        super::history::record_patient_profile(conn, id, profile.as_deref())?;
    }
    diesel::update(patients::table.find(id.to_string()))
        .set(changes)
        .execute(conn)
        .map(|_| ())
}

pub fn soft_delete(conn: &mut AnyConnection, id: PatientId, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(patients::table.find(id.to_string()))
        .set(patients::deleted_at.eq(Some(at)))
        .execute(conn)
        .map(|_| ())
}

/// Locks the rows of the clinic's patients `ids` until the transaction ends, in id order — the one
/// global lock order of every write (PostgreSQL; SQLite's single writer already serialises write
/// transactions). Taken before anything referencing them is inserted, two writers cannot each hold
/// what the other waits for.
pub fn lock_many<'a>(
    conn: &mut AnyConnection,
    clinic_id: &ClinicId,
    ids: impl IntoIterator<Item = &'a PatientId>,
) -> QueryResult<()> {
    let ids: Vec<String> = ids.into_iter().map(ToString::to_string).collect();
    match conn {
        AnyConnection::Postgresql(c) if !ids.is_empty() => patients::table
            .filter(patients::clinic_id.eq(clinic_id.as_str()))
            .filter(patients::id.eq_any(&ids))
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
pub fn lock(conn: &mut AnyConnection, id: PatientId) -> QueryResult<()> {
    match conn {
        AnyConnection::Postgresql(c) => patients::table
            .find(id.to_string())
            .select(patients::id)
            .for_update()
            .load::<String>(c)
            .map(|_| ()),
        AnyConnection::Sqlite(_) => Ok(()),
    }
}
