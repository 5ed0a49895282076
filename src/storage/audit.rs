//! The audit trail: append-only rows of who read or changed which patient's data, and when.
//! A write appends its rows in its own transaction; reads hand theirs to the group commit
//! (`workup::audit_log`), which appends many requests' rows in one transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::audit_log;
use super::{AnyConnection, NullableId, StoredId};
use crate::domain::ids::{AuditEntryId, ClinicId, PatientId};

/// An audit row to append.
#[derive(Debug, Clone)]
pub struct NewAuditRow {
    pub id: AuditEntryId,
    pub at: NaiveDateTime,
    pub clinic_id: ClinicId,
    pub actor: String,
    pub roles: String,
    pub patient_id: Option<PatientId>,
    pub action: &'static str,
    pub resource_type: &'static str,
    /// Text: the ids of several kinds of resource (and of CDS cards with a reason) land here.
    pub resource_id: Option<String>,
    pub request_id: String,
    pub outcome: &'static str,
}

/// A [`NewAuditRow`] as stored (ids as text). `None` binds NULL, not DEFAULT, so a batch of rows
/// is one statement on SQLite too.
#[derive(Insertable)]
#[diesel(table_name = audit_log, treat_none_as_default_value = false)]
struct StoredAuditRow<'a> {
    id: String,
    at: NaiveDateTime,
    clinic_id: &'a str,
    actor: &'a str,
    roles: &'a str,
    patient_id: Option<String>,
    action: &'static str,
    resource_type: &'static str,
    resource_id: Option<&'a str>,
    request_id: &'a str,
    outcome: &'static str,
}

impl<'a> From<&'a NewAuditRow> for StoredAuditRow<'a> {
    fn from(row: &'a NewAuditRow) -> Self {
        StoredAuditRow {
            id: row.id.to_string(),
            at: row.at,
            clinic_id: row.clinic_id.as_str(),
            actor: &row.actor,
            roles: &row.roles,
            patient_id: row.patient_id.map(|p| p.to_string()),
            action: row.action,
            resource_type: row.resource_type,
            resource_id: row.resource_id.as_deref(),
            request_id: &row.request_id,
            outcome: row.outcome,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    #[diesel(deserialize_as = StoredId<AuditEntryId>)]
    pub id: AuditEntryId,
    pub at: NaiveDateTime,
    #[diesel(deserialize_as = String)]
    pub clinic_id: ClinicId,
    pub actor: String,
    pub roles: String,
    #[diesel(deserialize_as = NullableId<PatientId>)]
    pub patient_id: Option<PatientId>,
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
    pub request_id: String,
    pub outcome: String,
}

pub fn append(conn: &mut AnyConnection, rows: &[NewAuditRow]) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    if let [row] = rows {
        let row = StoredAuditRow::from(row);
        // One row is a statement the connection has prepared before (a batch never is).
        return super::per_backend!(&mut *conn, |c| diesel::insert_into(audit_log::table)
            .values(&row)
            .execute(c))
        .map(drop);
    }
    // SQLite caps bound parameters per statement; chunks keep large worklist pages safe.
    for chunk in rows.chunks(200) {
        let chunk: Vec<StoredAuditRow> = chunk.iter().map(StoredAuditRow::from).collect();
        super::per_backend!(&mut *conn, |c| diesel::insert_into(audit_log::table)
            .values(&chunk)
            .execute(c))?;
    }
    Ok(())
}

/// Filters for reading the audit log of one clinic.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub patient_id: Option<PatientId>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub since: Option<NaiveDateTime>,
    pub until: Option<NaiveDateTime>,
    /// Rows strictly after this (at, id), oldest first.
    pub after: Option<(NaiveDateTime, AuditEntryId)>,
}

pub fn list(
    conn: &mut AnyConnection,
    clinic_id: &ClinicId,
    filter: &AuditFilter,
    limit: i64,
) -> QueryResult<Vec<AuditRow>> {
    let mut query = audit_log::table
        .filter(audit_log::clinic_id.eq(clinic_id.as_str()))
        .select(AuditRow::as_select())
        .order((audit_log::at.asc(), audit_log::id.asc()))
        .limit(limit)
        .into_boxed();
    if let Some(p) = &filter.patient_id {
        query = query.filter(audit_log::patient_id.eq(p.to_string()));
    }
    if let Some(a) = &filter.actor {
        query = query.filter(audit_log::actor.eq(a.clone()));
    }
    if let Some(a) = &filter.action {
        query = query.filter(audit_log::action.eq(a.clone()));
    }
    if let Some(t) = filter.since {
        query = query.filter(audit_log::at.ge(t));
    }
    if let Some(t) = filter.until {
        query = query.filter(audit_log::at.lt(t));
    }
    if let Some((at, id)) = &filter.after {
        query = query.filter(
            audit_log::at
                .gt(*at)
                .or(audit_log::at.eq(*at).and(audit_log::id.gt(id.to_string()))),
        );
    }
    query.load(conn)
}

/// One row of the clinic's audit log.
pub fn find(
    conn: &mut AnyConnection,
    clinic_id: &ClinicId,
    id: AuditEntryId,
) -> QueryResult<Option<AuditRow>> {
    audit_log::table
        .filter(audit_log::id.eq(id.to_string()))
        .filter(audit_log::clinic_id.eq(clinic_id.as_str()))
        .select(AuditRow::as_select())
        .first(conn)
        .optional()
}
