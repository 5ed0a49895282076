//! Clinician review actions. Withdrawing marks the row; nothing is deleted.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::reviews;
use super::{AnyConnection, StoredId};
use crate::domain::ids::{PatientId, ReviewId};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = reviews)]
pub struct ReviewRow {
    #[diesel(deserialize_as = StoredId<ReviewId>, serialize_as = String)]
    pub id: ReviewId,
    #[diesel(deserialize_as = StoredId<PatientId>, serialize_as = String)]
    pub patient_id: PatientId,
    pub item: Option<String>,
    pub action: String,
    pub note: Option<String>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub withdrawn_by: Option<String>,
    pub withdrawn_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut AnyConnection, row: &ReviewRow) -> QueryResult<()> {
    diesel::insert_into(reviews::table)
        .values(row.clone())
        .execute(conn)
        .map(|_| ())
}

/// The patient's reviews that have not been withdrawn, oldest first.
pub fn list_active(conn: &mut AnyConnection, patient_id: PatientId) -> QueryResult<Vec<ReviewRow>> {
    reviews::table
        .filter(reviews::patient_id.eq(patient_id.to_string()))
        .filter(reviews::withdrawn_at.is_null())
        .select(ReviewRow::as_select())
        .order(reviews::id.asc())
        .load(conn)
}

pub fn find_active(
    conn: &mut AnyConnection,
    patient_id: PatientId,
    id: ReviewId,
) -> QueryResult<Option<ReviewRow>> {
    reviews::table
        .filter(reviews::id.eq(id.to_string()))
        .filter(reviews::patient_id.eq(patient_id.to_string()))
        .filter(reviews::withdrawn_at.is_null())
        .select(ReviewRow::as_select())
        .first(conn)
        .optional()
}

pub fn withdraw(
    conn: &mut AnyConnection,
    id: ReviewId,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(reviews::table.find(id.to_string()))
        .set((
            reviews::withdrawn_by.eq(Some(by)),
            reviews::withdrawn_at.eq(Some(at)),
        ))
        .execute(conn)
        .map(|_| ())
}
