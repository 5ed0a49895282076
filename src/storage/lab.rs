//! Lab ingestion: the message log, and the patients a message names. Duplicates are prevented by
//! unique keys (`INSERT … ON CONFLICT DO NOTHING`, then read what is there), never by
//! search-then-insert, so concurrent retries — even through two service instances — store one
//! message (and, through [`super::results::record`], one result).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::patients::PatientRow;
use super::schema::{lab_messages, patients};
use super::{AnyConnection, StoredId};
use crate::domain::ids::{ClinicId, LabMessageId};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = lab_messages)]
pub struct LabMessageRow {
    #[diesel(deserialize_as = StoredId<LabMessageId>)]
    pub id: LabMessageId,
    #[diesel(deserialize_as = String)]
    pub clinic_id: ClinicId,
    /// `json`, `fhir` or `hl7v2`.
    pub feed: String,
    pub message_key: Option<String>,
    pub request_hash: String,
    pub received_by: String,
    pub received_at: NaiveDateTime,
    pub content_type: String,
    pub body: String,
    /// `accepted`, `partial` or `rejected`.
    pub outcome: String,
    pub detail: Option<String>,
    pub response_status: Option<i32>,
    pub response_content_type: Option<String>,
    pub response_body: Option<String>,
}

/// A [`LabMessageRow`] as stored (ids as text), borrowed: the body is not copied.
#[derive(Insertable)]
#[diesel(table_name = lab_messages)]
struct StoredLabMessage<'a> {
    id: String,
    clinic_id: &'a str,
    feed: &'a str,
    message_key: Option<&'a str>,
    request_hash: &'a str,
    received_by: &'a str,
    received_at: NaiveDateTime,
    content_type: &'a str,
    body: &'a str,
    outcome: &'a str,
    detail: Option<&'a str>,
    response_status: Option<i32>,
    response_content_type: Option<&'a str>,
    response_body: Option<&'a str>,
}

impl<'a> From<&'a LabMessageRow> for StoredLabMessage<'a> {
    fn from(row: &'a LabMessageRow) -> Self {
        StoredLabMessage {
            id: row.id.to_string(),
            clinic_id: row.clinic_id.as_str(),
            feed: &row.feed,
            message_key: row.message_key.as_deref(),
            request_hash: &row.request_hash,
            received_by: &row.received_by,
            received_at: row.received_at,
            content_type: &row.content_type,
            body: &row.body,
            outcome: &row.outcome,
            detail: row.detail.as_deref(),
            response_status: row.response_status,
            response_content_type: row.response_content_type.as_deref(),
            response_body: row.response_body.as_deref(),
        }
    }
}

/// Claims a message key, scoped by (clinic, feed, sending lab). Returns `None` when the key is new (the row is now ours, inside the
/// caller's transaction), or the earlier message when this is a retry.
pub fn claim(conn: &mut AnyConnection, row: &LabMessageRow) -> QueryResult<Option<LabMessageRow>> {
    let stored = StoredLabMessage::from(row);
    let inserted = super::per_backend!(&mut *conn, |c| diesel::insert_into(lab_messages::table)
        .values(&stored)
        .on_conflict_do_nothing()
        .execute(c))?;
    if inserted == 1 {
        return Ok(None);
    }
    let key = row.message_key.as_deref().unwrap_or_default();
    lab_messages::table
        .filter(lab_messages::clinic_id.eq(row.clinic_id.as_str()))
        .filter(lab_messages::feed.eq(&row.feed))
        .filter(lab_messages::received_by.eq(&row.received_by))
        .filter(lab_messages::message_key.eq(key))
        .select(LabMessageRow::as_select())
        .first(conn)
        .optional()
}

/// Records a message without a key (or a rejected one), or completes a claimed one with its
/// outcome and the response to replay.
pub fn insert(conn: &mut AnyConnection, row: &LabMessageRow) -> QueryResult<()> {
    diesel::insert_into(lab_messages::table)
        .values(StoredLabMessage::from(row))
        .execute(conn)
        .map(|_| ())
}

pub fn complete(
    conn: &mut AnyConnection,
    id: LabMessageId,
    outcome: &str,
    detail: Option<&str>,
    status: i32,
    content_type: &str,
    body: &str,
) -> QueryResult<()> {
    diesel::update(lab_messages::table.find(id.to_string()))
        .set((
            lab_messages::outcome.eq(outcome),
            lab_messages::detail.eq(detail),
            lab_messages::response_status.eq(Some(status)),
            lab_messages::response_content_type.eq(Some(content_type)),
            lab_messages::response_body.eq(Some(body)),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Gives a claimed key back (the message was rejected): a corrected retry under the same key is
/// then processed instead of replaying the rejection.
pub fn release_key(conn: &mut AnyConnection, id: LabMessageId) -> QueryResult<()> {
    diesel::update(lab_messages::table.find(id.to_string()))
        .set(lab_messages::message_key.eq(None::<String>))
        .execute(conn)
        .map(|_| ())
}

/// The message log of a clinic, newest first (for tests and support).
pub fn list(
    conn: &mut AnyConnection,
    clinic_id: &ClinicId,
    limit: i64,
) -> QueryResult<Vec<LabMessageRow>> {
    lab_messages::table
        .filter(lab_messages::clinic_id.eq(clinic_id.as_str()))
        .order((lab_messages::received_at.desc(), lab_messages::id.desc()))
        .limit(limit)
        .select(LabMessageRow::as_select())
        .load(conn)
}

/// The clinic's live patients with these MRNs (each once), in one query per chunk.
pub fn patients_by_mrn(
    conn: &mut AnyConnection,
    clinic: &ClinicId,
    mrns: &[&str],
) -> QueryResult<Vec<PatientRow>> {
    let mut found = Vec::with_capacity(mrns.len());
    // SQLite binds at most 32,766 parameters a statement.
    for chunk in mrns.chunks(1000) {
        found.extend(
            patients::table
                .filter(patients::clinic_id.eq(clinic.as_str()))
                .filter(patients::mrn.eq_any(chunk))
                .filter(patients::deleted_at.is_null())
                .select(PatientRow::as_select())
                .load::<PatientRow>(conn)?,
        );
    }
    Ok(found)
}
