//! `Idempotency-Key` records of the clinician routes: claimed inside the request's transaction
//! (`INSERT … ON CONFLICT DO NOTHING`, so a concurrent retry waits for the first one and then
//! replays it), completed with the response before commit.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::idempotency_keys;
use super::AnyConnection;
use crate::domain::ids::ClinicId;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = idempotency_keys)]
pub struct IdempotencyRow {
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub clinic_id: ClinicId,
    pub caller: String,
    pub idempotency_key: String,
    pub request_hash: String,
    pub response_status: i32,
    pub response_location: Option<String>,
    pub response_body: String,
    pub created_at: NaiveDateTime,
}

/// Claims the key: `None` when it is new (the row is ours until commit), else the earlier record.
pub fn claim(
    conn: &mut AnyConnection,
    row: &IdempotencyRow,
) -> QueryResult<Option<IdempotencyRow>> {
    let inserted =
        super::per_backend!(&mut *conn, |c| diesel::insert_into(idempotency_keys::table)
            // Cheap to copy: a claim carries no response yet.
            .values(row.clone())
            .on_conflict_do_nothing()
            .execute(c))?;
    if inserted == 1 {
        return Ok(None);
    }
    idempotency_keys::table
        .find((row.clinic_id.as_str(), &row.caller, &row.idempotency_key))
        .select(IdempotencyRow::as_select())
        .first(conn)
        .optional()
}

/// Stores the response of a claimed key.
pub fn complete(
    conn: &mut AnyConnection,
    row: &IdempotencyRow,
    status: i32,
    location: Option<&str>,
    body: &str,
) -> QueryResult<()> {
    diesel::update(idempotency_keys::table.find((
        row.clinic_id.as_str(),
        &row.caller,
        &row.idempotency_key,
    )))
    .set((
        idempotency_keys::response_status.eq(status),
        idempotency_keys::response_location.eq(location),
        idempotency_keys::response_body.eq(body),
    ))
    .execute(conn)
    .map(|_| ())
}
