//! Clinic-wide re-evaluation jobs: one row per change of a clinic's default profile, advanced
//! chunk by chunk (a cursor over patient ids) by the background worker.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{patients, reevaluation_jobs};
use super::{AnyConnection, NullableId, StoredId};
use crate::domain::ids::{ClinicId, JobId, PatientId};

/// A job still being worked through.
pub const RUNNING: &str = "running";
/// Every patient on the clinic default has been re-evaluated.
pub const DONE: &str = "done";
/// A later change of the default took over before this job finished.
pub const SUPERSEDED: &str = "superseded";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reevaluation_jobs)]
pub struct JobRow {
    #[diesel(deserialize_as = StoredId<JobId>)]
    pub id: JobId,
    #[diesel(deserialize_as = String)]
    pub clinic_id: ClinicId,
    pub profile: String,
    pub state: String,
    pub done: i32,
    pub total: i32,
    /// The last patient id re-evaluated (ids are processed in ascending order).
    #[diesel(deserialize_as = NullableId<PatientId>)]
    pub cursor: Option<PatientId>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut AnyConnection, row: &JobRow) -> QueryResult<()> {
    diesel::insert_into(reevaluation_jobs::table)
        .values((
            reevaluation_jobs::id.eq(row.id.to_string()),
            reevaluation_jobs::clinic_id.eq(row.clinic_id.as_str()),
            reevaluation_jobs::profile.eq(&row.profile),
            reevaluation_jobs::state.eq(&row.state),
            reevaluation_jobs::done.eq(row.done),
            reevaluation_jobs::total.eq(row.total),
            reevaluation_jobs::cursor.eq(row.cursor.map(|c| c.to_string())),
            reevaluation_jobs::created_at.eq(row.created_at),
            reevaluation_jobs::updated_at.eq(row.updated_at),
            reevaluation_jobs::finished_at.eq(row.finished_at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Marks the clinic's running jobs superseded (a newer default takes over).
pub fn supersede_running(conn: &mut AnyConnection, clinic_id: &ClinicId) -> QueryResult<()> {
    let now = super::now();
    diesel::update(
        reevaluation_jobs::table
            .filter(reevaluation_jobs::clinic_id.eq(clinic_id.as_str()))
            .filter(reevaluation_jobs::state.eq(RUNNING)),
    )
    .set((
        reevaluation_jobs::state.eq(SUPERSEDED),
        reevaluation_jobs::updated_at.eq(now),
        reevaluation_jobs::finished_at.eq(Some(now)),
    ))
    .execute(conn)
    .map(|_| ())
}

/// The clinic's most recent job.
pub fn latest(conn: &mut AnyConnection, clinic_id: &ClinicId) -> QueryResult<Option<JobRow>> {
    reevaluation_jobs::table
        .filter(reevaluation_jobs::clinic_id.eq(clinic_id.as_str()))
        .order((
            reevaluation_jobs::created_at.desc(),
            reevaluation_jobs::id.desc(),
        ))
        .select(JobRow::as_select())
        .first(conn)
        .optional()
}

/// The oldest running job, locked until the transaction ends (PostgreSQL; SQLite's single
/// writer already serialises), so two instances never work on one chunk at once.
pub fn claim_oldest_running(conn: &mut AnyConnection) -> QueryResult<Option<JobRow>> {
    macro_rules! oldest_running {
        () => {
            reevaluation_jobs::table
                .filter(reevaluation_jobs::state.eq(RUNNING))
                .order((
                    reevaluation_jobs::created_at.asc(),
                    reevaluation_jobs::id.asc(),
                ))
                .select(JobRow::as_select())
        };
    }
    match conn {
        AnyConnection::Postgresql(c) => oldest_running!().for_update().first(c).optional(),
        AnyConnection::Sqlite(c) => oldest_running!().first(c).optional(),
    }
}

/// Records a chunk's progress; `finished` ends the job.
pub fn advance(
    conn: &mut AnyConnection,
    id: JobId,
    cursor: Option<PatientId>,
    done: i32,
    total: i32,
    finished: bool,
) -> QueryResult<()> {
    let now = super::now();
    diesel::update(reevaluation_jobs::table.find(id.to_string()))
        .set((
            reevaluation_jobs::cursor.eq(cursor.map(|c| c.to_string())),
            reevaluation_jobs::done.eq(done),
            reevaluation_jobs::total.eq(total),
            reevaluation_jobs::state.eq(if finished { DONE } else { RUNNING }),
            reevaluation_jobs::updated_at.eq(now),
            reevaluation_jobs::finished_at.eq(finished.then_some(now)),
        ))
        .execute(conn)
        .map(|_| ())
}

/// How many of the clinic's patients follow its default profile.
pub fn count_on_default(conn: &mut AnyConnection, clinic_id: &ClinicId) -> QueryResult<i64> {
    patients::table
        .filter(patients::clinic_id.eq(clinic_id.as_str()))
        .filter(patients::deleted_at.is_null())
        .filter(patients::profile.is_null())
        .count()
        .get_result(conn)
}

/// The next `limit` patients on the clinic default after `cursor`, in id order.
pub fn on_default_after(
    conn: &mut AnyConnection,
    clinic_id: &ClinicId,
    cursor: Option<PatientId>,
    limit: i64,
) -> QueryResult<Vec<PatientId>> {
    let mut query = patients::table
        .filter(patients::clinic_id.eq(clinic_id.as_str()))
        .filter(patients::deleted_at.is_null())
        .filter(patients::profile.is_null())
        .select(patients::id)
        .order(patients::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = cursor {
        query = query.filter(patients::id.gt(after.to_string()));
    }
    super::typed_ids("patients", query.load(conn)?)
}
