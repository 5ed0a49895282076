//! Per-clinic maps from a lab's local codes to catalogue test codes, used by every feed.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::code_maps;
use super::AnyConnection;
use crate::domain::ids::ClinicId;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = code_maps)]
pub struct CodeMapRow {
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub clinic_id: ClinicId,
    pub system: String,
    pub code: String,
    pub test: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

/// Inserts the mapping unless (clinic, system, code) is already mapped; returns the stored row.
pub fn insert_or_get(conn: &mut AnyConnection, row: &CodeMapRow) -> QueryResult<CodeMapRow> {
    super::per_backend!(&mut *conn, |c| diesel::insert_into(code_maps::table)
        .values(row.clone())
        .on_conflict((code_maps::clinic_id, code_maps::system, code_maps::code))
        .do_nothing()
        .execute(c))?;
    code_maps::table
        .find((row.clinic_id.as_str(), &row.system, &row.code))
        .select(CodeMapRow::as_select())
        .first(conn)
}

pub fn list(conn: &mut AnyConnection, clinic_id: &ClinicId) -> QueryResult<Vec<CodeMapRow>> {
    code_maps::table
        .filter(code_maps::clinic_id.eq(clinic_id.as_str()))
        .select(CodeMapRow::as_select())
        .order((code_maps::system.asc(), code_maps::code.asc()))
        .load(conn)
}
