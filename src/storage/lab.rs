//! Lab ingestion: the message log and idempotent results. Duplicates are prevented by unique keys
//! (`INSERT … ON CONFLICT DO NOTHING`, then read what is there), never by search-then-insert, so
//! concurrent retries — even through two service instances — store one result.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::results::{NewResult, ResultRow, ResultVersionRow};
use super::schema::{lab_messages, result_versions, results};
use super::AnyConnection;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = lab_messages)]
pub struct LabMessageRow {
    pub id: String,
    pub clinic_id: String,
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

/// Claims a message key, scoped by (clinic, feed, sending lab). Returns `None` when the key is new (the row is now ours, inside the
/// caller's transaction), or the earlier message when this is a retry.
pub fn claim(conn: &mut AnyConnection, row: &LabMessageRow) -> QueryResult<Option<LabMessageRow>> {
    let inserted = super::per_backend!(&mut *conn, |c| diesel::insert_into(lab_messages::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    if inserted == 1 {
        return Ok(None);
    }
    let key = row.message_key.as_deref().unwrap_or_default();
    lab_messages::table
        .filter(lab_messages::clinic_id.eq(&row.clinic_id))
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
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn complete(
    conn: &mut AnyConnection,
    id: &str,
    outcome: &str,
    detail: Option<&str>,
    status: i32,
    content_type: &str,
    body: &str,
) -> QueryResult<()> {
    diesel::update(lab_messages::table.find(id))
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

/// What storing a lab result did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    /// A new result (version 1).
    Created { result_id: String },
    /// The same report was already stored: nothing written.
    Unchanged { result_id: String, version: i32 },
    /// A changed report of a known accession: a new version.
    Versioned { result_id: String, version: i32 },
}

impl Stored {
    pub fn result_id(&self) -> &str {
        match self {
            Stored::Created { result_id }
            | Stored::Unchanged { result_id, .. }
            | Stored::Versioned { result_id, .. } => result_id,
        }
    }
}

/// Stores a lab result keyed by (clinic, source, accession, test). `version.result_id` and
/// `version.version` are filled in here; `version.content_hash` must be set.
pub fn store_by_accession(
    conn: &mut AnyConnection,
    new: &NewResult,
    mut version: ResultVersionRow,
) -> QueryResult<Stored> {
    let accession = new.accession.as_deref().unwrap_or_default();
    let inserted: Option<String> =
        super::per_backend!(&mut *conn, |c| diesel::insert_into(results::table)
            .values(new)
            .on_conflict_do_nothing()
            .returning(results::id)
            .get_result(c)
            .optional())?;
    if inserted.is_some() {
        // The common case, a new accession: no need to read back what we just wrote.
        version.result_id = new.id.clone();
        version.version = 1;
        diesel::insert_into(result_versions::table)
            .values(&version)
            .execute(conn)?;
        return Ok(Stored::Created {
            result_id: new.id.clone(),
        });
    }
    let existing: ResultRow = results::table
        .filter(results::clinic_id.eq(&new.clinic_id))
        .filter(results::source.eq(&new.source))
        .filter(results::accession.eq(accession))
        .filter(results::test.eq(&new.test))
        .select(ResultRow::as_select())
        .first(conn)?;
    version.result_id = existing.id.clone();
    if existing.id == new.id {
        version.version = 1;
        diesel::insert_into(result_versions::table)
            .values(&version)
            .execute(conn)?;
        return Ok(Stored::Created {
            result_id: existing.id,
        });
    }
    // A known accession: a retry of any version already stored changes nothing; anything else is
    // a new version. A concurrent writer may take the next number first: then look again.
    for _ in 0..8 {
        let versions: Vec<(i32, String)> = result_versions::table
            .filter(result_versions::result_id.eq(&existing.id))
            .select((result_versions::version, result_versions::content_hash))
            .order(result_versions::version.asc())
            .load(conn)?;
        if let Some((n, _)) = versions.iter().find(|(_, h)| *h == version.content_hash) {
            return Ok(Stored::Unchanged {
                result_id: existing.id,
                version: *n,
            });
        }
        version.version = versions.last().map_or(1, |(n, _)| n + 1);
        let inserted =
            super::per_backend!(&mut *conn, |c| diesel::insert_into(result_versions::table)
                .values(&version)
                .on_conflict_do_nothing()
                .execute(c))?;
        if inserted == 1 {
            diesel::update(results::table.find(&existing.id))
                .set((
                    results::latest_version.eq(version.version),
                    results::updated_at.eq(version.recorded_at),
                ))
                .execute(conn)?;
            return Ok(Stored::Versioned {
                result_id: existing.id,
                version: version.version,
            });
        }
    }
    Err(diesel::result::Error::RollbackTransaction)
}

/// Gives a claimed key back (the message was rejected): a corrected retry under the same key is
/// then processed instead of replaying the rejection.
pub fn release_key(conn: &mut AnyConnection, id: &str) -> QueryResult<()> {
    diesel::update(lab_messages::table.find(id))
        .set(lab_messages::message_key.eq(None::<String>))
        .execute(conn)
        .map(|_| ())
}

/// The message log of a clinic, newest first (for tests and support).
pub fn list(
    conn: &mut AnyConnection,
    clinic_id: &str,
    limit: i64,
) -> QueryResult<Vec<LabMessageRow>> {
    lab_messages::table
        .filter(lab_messages::clinic_id.eq(clinic_id))
        .order((lab_messages::received_at.desc(), lab_messages::id.desc()))
        .limit(limit)
        .select(LabMessageRow::as_select())
        .load(conn)
}
