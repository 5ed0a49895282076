//! Clinician review actions. Withdrawing marks the row; nothing is deleted.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::reviews;
use super::AnyConnection;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = reviews)]
pub struct ReviewRow {
    pub id: String,
    pub patient_id: String,
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
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The patient's reviews that have not been withdrawn, oldest first.
pub fn list_active(conn: &mut AnyConnection, patient_id: &str) -> QueryResult<Vec<ReviewRow>> {
    reviews::table
        .filter(reviews::patient_id.eq(patient_id))
        .filter(reviews::withdrawn_at.is_null())
        .select(ReviewRow::as_select())
        .order(reviews::id.asc())
        .load(conn)
}

pub fn find_active(
    conn: &mut AnyConnection,
    patient_id: &str,
    id: &str,
) -> QueryResult<Option<ReviewRow>> {
    reviews::table
        .filter(reviews::id.eq(id))
        .filter(reviews::patient_id.eq(patient_id))
        .filter(reviews::withdrawn_at.is_null())
        .select(ReviewRow::as_select())
        .first(conn)
        .optional()
}

pub fn withdraw(
    conn: &mut AnyConnection,
    id: &str,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(reviews::table.find(id))
        .set((
            reviews::withdrawn_by.eq(Some(by)),
            reviews::withdrawn_at.eq(Some(at)),
        ))
        .execute(conn)
        .map(|_| ())
}
