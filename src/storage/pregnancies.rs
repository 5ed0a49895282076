//! The obstetric history of a patient (the caller has already checked the patient's clinic).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::pregnancies;
use super::{AnyConnection, StoredId};
use crate::domain::ids::{PatientId, PregnancyId};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = pregnancies)]
pub struct PregnancyRow {
    #[diesel(deserialize_as = StoredId<PregnancyId>)]
    pub id: PregnancyId,
    #[diesel(deserialize_as = StoredId<PatientId>)]
    pub patient_id: PatientId,
    pub outcome: String,
    pub ended_on: Option<NaiveDate>,
    pub gestational_age_weeks: Option<i32>,
    pub gestational_age_days: Option<i32>,
    pub conception: Option<String>,
    pub notes: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
    /// Comma-separated complication codes (clinical-rules.md §6.1).
    pub complications: Option<String>,
    pub edd: Option<NaiveDate>,
    pub gestational_age_at_demise_weeks: Option<i32>,
    pub gestational_age_at_demise_days: Option<i32>,
    pub partner_mrn: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = pregnancies)]
pub struct NewPregnancy {
    #[diesel(serialize_as = String)]
    pub id: PregnancyId,
    #[diesel(serialize_as = String)]
    pub patient_id: PatientId,
    pub outcome: String,
    pub ended_on: Option<NaiveDate>,
    pub gestational_age_weeks: Option<i32>,
    pub gestational_age_days: Option<i32>,
    pub conception: Option<String>,
    pub notes: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Comma-separated complication codes (clinical-rules.md §6.1).
    pub complications: Option<String>,
    pub edd: Option<NaiveDate>,
    pub gestational_age_at_demise_weeks: Option<i32>,
    pub gestational_age_at_demise_days: Option<i32>,
    pub partner_mrn: Option<String>,
}

/// A partial update: `None` leaves a column alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = pregnancies)]
pub struct PregnancyChanges {
    pub outcome: Option<String>,
    pub ended_on: Option<Option<NaiveDate>>,
    pub gestational_age_weeks: Option<Option<i32>>,
    pub gestational_age_days: Option<Option<i32>>,
    pub conception: Option<Option<String>>,
    pub notes: Option<Option<String>>,
    pub updated_at: Option<NaiveDateTime>,
    pub complications: Option<Option<String>>,
    pub edd: Option<Option<NaiveDate>>,
    pub gestational_age_at_demise_weeks: Option<Option<i32>>,
    pub gestational_age_at_demise_days: Option<Option<i32>>,
    pub partner_mrn: Option<Option<String>>,
}

pub fn insert(conn: &mut AnyConnection, new: &[NewPregnancy]) -> QueryResult<()> {
    if new.is_empty() {
        return Ok(());
    }
    super::per_backend!(conn, |c| diesel::insert_into(pregnancies::table)
        .values(new.to_vec())
        .execute(c))?;
    super::history::append_inserted_pregnancies(conn, new)
}

pub fn find(
    conn: &mut AnyConnection,
    patient_id: PatientId,
    id: PregnancyId,
) -> QueryResult<Option<PregnancyRow>> {
    pregnancies::table
        .filter(pregnancies::id.eq(id.to_string()))
        .filter(pregnancies::patient_id.eq(patient_id.to_string()))
        .filter(pregnancies::deleted_at.is_null())
        .select(PregnancyRow::as_select())
        .first(conn)
        .optional()
}

/// The live obstetric history, in the order the pregnancies were recorded.
pub fn list_for_patient(
    conn: &mut AnyConnection,
    patient_id: PatientId,
) -> QueryResult<Vec<PregnancyRow>> {
    pregnancies::table
        .filter(pregnancies::patient_id.eq(patient_id.to_string()))
        .filter(pregnancies::deleted_at.is_null())
        .select(PregnancyRow::as_select())
        .order(pregnancies::id.asc())
        .load(conn)
}

pub fn update(
    conn: &mut AnyConnection,
    id: PregnancyId,
    changes: &PregnancyChanges,
) -> QueryResult<()> {
    diesel::update(pregnancies::table.find(id.to_string()))
        .set(changes)
        .execute(conn)?;
    super::history::append_pregnancy_revision(conn, id)
}

pub fn soft_delete(
    conn: &mut AnyConnection,
    id: PregnancyId,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(pregnancies::table.find(id.to_string()))
        .set(pregnancies::deleted_at.eq(Some(at)))
        .execute(conn)?;
    super::history::append_pregnancy_revision(conn, id)
}

/// One page of the live history in recording (id) order: up to `limit` after `after_id`.
pub fn page_for_patient(
    conn: &mut AnyConnection,
    patient_id: PatientId,
    after: Option<PregnancyId>,
    limit: i64,
) -> QueryResult<Vec<PregnancyRow>> {
    let mut query = pregnancies::table
        .filter(pregnancies::patient_id.eq(patient_id.to_string()))
        .filter(pregnancies::deleted_at.is_null())
        .select(PregnancyRow::as_select())
        .order(pregnancies::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(pregnancies::id.gt(after.to_string()));
    }
    query.load(conn)
}
