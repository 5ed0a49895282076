//! Storage: the only module that imports diesel. One binary serves SQLite (embedded default) and
//! PostgreSQL, chosen by the URL scheme. Functions take a connection, not the pool, so the caller
//! owns the transaction.

/// Runs one diesel expression on the concrete connection, for what the multi-backend cannot express
/// (`ON CONFLICT`, multi-row inserts). Each arm is type-checked against its own backend.
macro_rules! per_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::storage::AnyConnection::Postgresql($c) => $body,
            $crate::storage::AnyConnection::Sqlite($c) => $body,
        }
    };
}
pub(crate) use per_backend;

pub mod audit;
pub mod cds;
pub mod clinic_profiles;
pub mod clinics;
pub mod code_maps;
pub mod history;
pub mod idempotency;
pub mod jobs;
pub mod lab;
pub mod patients;
pub mod pregnancies;
pub mod results;
pub mod reviews;
pub mod schema;
mod sqlite;
pub mod worklist;

use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

/// A connection to whichever backend `DATABASE_URL` names.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Which backend a database URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// A file path (or `:memory:`).
    Sqlite(String),
    Postgres(String),
}

impl Backend {
    /// `sqlite://PATH`, `sqlite:PATH`, `postgres://…` or `postgresql://…`. Anything else is an error:
    /// we never guess, so a typo cannot silently fall back to an empty SQLite file.
    pub fn from_url(url: &str) -> Result<Self, String> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Backend::Postgres(url.to_owned()));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or_else(|| {
                "DATABASE_URL must start with sqlite:// or postgres:// (got another scheme)"
                    .to_owned()
            })?;
        if path.is_empty() {
            return Err("DATABASE_URL sqlite:// needs a file path".to_owned());
        }
        Ok(Backend::Sqlite(path.to_owned()))
    }

    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }
}

/// An r2d2 manager that picks the backend from the URL scheme and prepares SQLite connections.
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    backend: Backend,
}

impl ConnectionManager {
    pub fn new(backend: Backend) -> Self {
        Self { backend }
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = AnyConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, Self::Error> {
        match &self.backend {
            Backend::Sqlite(path) => {
                sqlite::stable_query_plans();
                let mut conn = diesel::SqliteConnection::establish(path)
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                // WAL lets readers run beside the writer; busy_timeout makes writers queue
                // instead of failing; foreign keys are off by default in SQLite. Statement
                // journals (a multi-row insert inside a transaction) stay in memory rather than
                // in a temporary file written and read back on every bulk write, and pages are
                // read through a memory map rather than copied by a system call each time
                // another connection's commit invalidated the page cache. The write-ahead log is
                // copied back into the database (and synced) every 16 MiB rather than every 4 MiB:
                // a quarter of the syncs, inside the committing writer's lock, and pages written
                // again meanwhile (indexes, summaries) are copied once.
                conn.batch_execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                     PRAGMA temp_store = MEMORY; PRAGMA mmap_size = 268435456; \
                     PRAGMA wal_autocheckpoint = 4000;",
                )
                .map_err(diesel::r2d2::Error::QueryError)?;
                Ok(AnyConnection::Sqlite(conn))
            }
            Backend::Postgres(url) => diesel::PgConnection::establish(url)
                .map(AnyConnection::Postgresql)
                .map_err(diesel::r2d2::Error::ConnectionError),
        }
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), Self::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut AnyConnection) -> bool {
        false
    }
}

/// Builds the pool without connecting: the service starts even when PostgreSQL is down, and
/// `/health/ready` reports it until it comes back.
pub fn build_pool(backend: Backend, max_size: u32) -> Pool {
    r2d2::Pool::builder()
        .max_size(max_size)
        .min_idle(Some(0))
        .connection_timeout(Duration::from_secs(5))
        .test_on_check_out(false)
        .build_unchecked(ConnectionManager::new(backend))
}

/// Runs the pending migrations of the connection's backend. On PostgreSQL an advisory lock keeps
/// two instances starting together from migrating at once.
pub fn run_migrations(conn: &mut AnyConnection) -> Result<(), String> {
    match conn {
        AnyConnection::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|_| ())
            .map_err(|e| e.to_string()),
        AnyConnection::Postgresql(c) => {
            const LOCK: &str = "SELECT pg_advisory_lock(724211)";
            c.batch_execute(LOCK).map_err(|e| e.to_string())?;
            let outcome = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|_| ())
                .map_err(|e| e.to_string());
            let _ = c.batch_execute("SELECT pg_advisory_unlock(724211)");
            outcome
        }
    }
}

static SQLITE_WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// One write transaction. On SQLite it is `BEGIN IMMEDIATE`, taking the write lock up front:
/// a deferred transaction that reads and then writes fails with SQLITE_BUSY when another writer
/// committed in between, and the busy timeout cannot help it.
pub fn write_transaction<T, E, F>(conn: &mut AnyConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    if !matches!(conn, AnyConnection::Sqlite(_)) {
        return conn.transaction(f);
    }
    // SQLite has one writer at a time. Queue this process's writers here rather than in SQLite's
    // busy handler, which sleeps in growing steps and turns contention into seconds of latency;
    // the busy timeout still arbitrates between processes.
    let _writer = SQLITE_WRITER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    sqlite_transaction(conn, f)
}

/// `BEGIN IMMEDIATE` … `COMMIT` on a SQLite connection whose writer lock the caller holds.
fn sqlite_transaction<T, E, F>(conn: &mut AnyConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    if let AnyConnection::Sqlite(c) = conn {
        AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
    }
    let outcome = f(conn);
    let AnyConnection::Sqlite(c) = conn else {
        unreachable!("checked above")
    };
    match outcome {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(c)?;
            Ok(value)
        }
        Err(e) => {
            // The original error matters more than a failed rollback.
            let _ = AnsiTransactionManager::rollback_transaction(c);
            Err(e)
        }
    }
}

/// One read-only transaction: a consistent snapshot for several queries, without the write lock
/// (SQLite's WAL lets it run beside the writer). A write inside it is refused by the database
/// (on SQLite, in debug builds).
pub fn read_transaction<T, E, F>(conn: &mut AnyConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    let sqlite = matches!(conn, AnyConnection::Sqlite(_));
    // Debug builds (the test suite) make SQLite refuse a write slipped into a read; release
    // builds spare every read the two statements it costs.
    let guarded = sqlite && cfg!(debug_assertions);
    if guarded {
        conn.batch_execute("PRAGMA query_only = 1")?;
    }
    let begun = per_backend!(&mut *conn, |c| {
        AnsiTransactionManager::begin_transaction_sql(
            c,
            if sqlite { "BEGIN" } else { "BEGIN READ ONLY" },
        )
    });
    let outcome = begun.map_err(E::from).and_then(|()| f(conn));
    let ended = per_backend!(&mut *conn, |c| match &outcome {
        Ok(_) => AnsiTransactionManager::commit_transaction(c),
        Err(_) => AnsiTransactionManager::rollback_transaction(c),
    });
    if guarded {
        // The connection goes back to the pool: it must take writes again.
        conn.batch_execute("PRAGMA query_only = 0")?;
    }
    let value = outcome?;
    ended?;
    Ok(value)
}

/// Refreshes the query planner's statistics (after a bulk load).
pub fn refresh_statistics(conn: &mut AnyConnection) -> QueryResult<()> {
    match conn {
        AnyConnection::Postgresql(c) => c.batch_execute("ANALYZE"),
        AnyConnection::Sqlite(c) => c.batch_execute("PRAGMA optimize"),
    }
}

/// A round trip to the database (readiness probe).
pub fn ping(conn: &mut AnyConnection) -> QueryResult<()> {
    conn.batch_execute("SELECT 1")
}

/// Whether an error is a unique-constraint violation (a duplicate MRN, a replayed accession …).
pub fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

/// The uniqueness rules of the schema that callers answer differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UniqueRule {
    /// One live patient per MRN in a clinic.
    PatientMrn,
    /// One live patient per EHR patient id in a clinic.
    PatientEhrId,
    /// One result per (clinic, source, accession, test).
    ResultAccession,
    /// One version number per result.
    ResultVersion,
    /// Another uniqueness rule.
    Other,
}

/// Which uniqueness rule a write broke, if it broke one. PostgreSQL names the index
/// (`patients_clinic_mrn`); SQLite, which has no names for them in its errors, lists the columns
/// in a fixed form (`UNIQUE constraint failed: patients.clinic_id, patients.mrn`).
pub fn unique_violation(e: &diesel::result::Error) -> Option<UniqueRule> {
    use diesel::result::{DatabaseErrorKind, Error};
    let Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) = e else {
        return None;
    };
    Some(match info.constraint_name() {
        Some(index) => match index {
            "patients_clinic_mrn" => UniqueRule::PatientMrn,
            "patients_clinic_ehr_id" => UniqueRule::PatientEhrId,
            "results_accession" => UniqueRule::ResultAccession,
            "result_versions_pkey" => UniqueRule::ResultVersion,
            _ => UniqueRule::Other,
        },
        None => {
            let columns = info
                .message()
                .strip_prefix("UNIQUE constraint failed: ")
                .unwrap_or_default();
            let columns: Vec<&str> = columns.split(", ").collect();
            match columns.as_slice() {
                ["patients.clinic_id", "patients.mrn"] => UniqueRule::PatientMrn,
                ["patients.clinic_id", "patients.ehr_patient_id"] => UniqueRule::PatientEhrId,
                ["results.clinic_id", "results.source", "results.accession", "results.test"] => {
                    UniqueRule::ResultAccession
                }
                ["result_versions.result_id", "result_versions.version"] => {
                    UniqueRule::ResultVersion
                }
                _ => UniqueRule::Other,
            }
        }
    })
}

/// Whether the database gave up on a transaction because of a concurrent one: a PostgreSQL
/// deadlock (40P01) or serialization failure (40001), or SQLite busy. The whole transaction may
/// be run again; nothing of it was written.
pub fn is_contention(e: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        // diesel maps no kind to 40P01 nor to SQLITE_BUSY, and keeps no SQLSTATE: these are the
        // servers' fixed texts (PostgreSQL's with the default `lc_messages`).
        Error::DatabaseError(_, info) => {
            let message = info.message();
            message.starts_with("deadlock detected")
                || message.starts_with("database is locked")
                || message.starts_with("database table is locked")
        }
        _ => false,
    }
}

/// Ids read back as text, typed; one that does not parse is an error (logged and counted), never
/// silently left out.
pub(crate) fn typed_ids<T>(table: &'static str, ids: Vec<String>) -> QueryResult<Vec<T>>
where
    T: std::str::FromStr<Err = uuid::Error>,
{
    ids.iter().map(|id| typed_id(table, id)).collect()
}

/// One id read back as text, typed (see [`typed_ids`]).
pub(crate) fn typed_id<T>(table: &'static str, id: &str) -> QueryResult<T>
where
    T: std::str::FromStr<Err = uuid::Error>,
{
    id.parse().map_err(|e| {
        diesel::result::Error::DeserializationError(Box::new(unreadable_id(table, id, e)))
    })
}

/// Logs and counts a stored id that is not a UUID; the error then fails the request.
fn unreadable_id(table: &str, id: &str, e: uuid::Error) -> uuid::Error {
    crate::metrics::count_unreadable_row(table);
    tracing::error!(table, id, error = %e, "stored id is not a UUID");
    e
}

/// An id column read as text, typed: the `deserialize_as` of a `…Id` row field
/// (`#[diesel(deserialize_as = StoredId<PatientId>)]`). A stored id that is not a UUID is an
/// error, logged and counted under the id type's name (see [`typed_id`]).
pub struct StoredId<T>(T);

impl<T, DB> diesel::deserialize::Queryable<diesel::sql_types::Text, DB> for StoredId<T>
where
    DB: diesel::backend::Backend,
    String: diesel::deserialize::FromStaticSqlRow<diesel::sql_types::Text, DB>,
    T: std::str::FromStr<Err = uuid::Error>,
{
    type Row = String;

    fn build(row: String) -> diesel::deserialize::Result<Self> {
        match row.parse() {
            Ok(id) => Ok(StoredId(id)),
            Err(e) => Err(Box::new(unreadable_id(id_kind::<T>(), &row, e))),
        }
    }
}

/// `From<StoredId<Id>> for Id`, one impl per id type (a blanket impl would overlap `From<T> for T`).
macro_rules! stored_ids {
    ($($id:ident),*) => {
        $(impl From<StoredId<crate::domain::ids::$id>> for crate::domain::ids::$id {
            fn from(id: StoredId<crate::domain::ids::$id>) -> Self {
                id.0
            }
        })*
    };
}
stored_ids!(
    PatientId,
    PregnancyId,
    ResultId,
    ReviewId,
    AuditEntryId,
    JobId,
    LabMessageId,
    CardId,
    ProfileChoiceId
);

/// The label an unreadable id is counted under: its type's name (`PatientId`).
fn id_kind<T>() -> &'static str {
    std::any::type_name::<T>()
        .rsplit("::")
        .next()
        .unwrap_or("id")
}

/// A nullable id column read as text, typed: the `deserialize_as` of an `Option<…Id>` row field
/// (`#[diesel(deserialize_as = NullableId<PatientId>)]`). A stored id that is not a UUID is an
/// error, logged and counted under the id type's name (see [`typed_id`]).
pub struct NullableId<T>(Option<T>);

impl<T, DB> diesel::deserialize::Queryable<diesel::sql_types::Nullable<diesel::sql_types::Text>, DB>
    for NullableId<T>
where
    DB: diesel::backend::Backend,
    Option<String>: diesel::deserialize::FromStaticSqlRow<
        diesel::sql_types::Nullable<diesel::sql_types::Text>,
        DB,
    >,
    T: std::str::FromStr<Err = uuid::Error>,
{
    type Row = Option<String>;

    fn build(row: Option<String>) -> diesel::deserialize::Result<Self> {
        let id = row
            .map(|id| {
                id.parse()
                    .map_err(|e| unreadable_id(id_kind::<T>(), &id, e))
            })
            .transpose()?;
        Ok(NullableId(id))
    }
}

impl<T> From<NullableId<T>> for Option<T> {
    fn from(id: NullableId<T>) -> Self {
        id.0
    }
}

/// The error of a write that kept losing a race to concurrent writers: classified as contention,
/// so the unit of work runs the whole transaction again (and answers 503, never 500, if it must
/// give up).
pub(crate) fn lost_race(what: &str) -> diesel::result::Error {
    diesel::result::Error::DatabaseError(
        diesel::result::DatabaseErrorKind::SerializationFailure,
        Box::new(format!(
            "{what}: taken by concurrent writers on every attempt"
        )),
    )
}

/// Current UTC time as stored (naive UTC, microsecond precision on both backends).
pub fn now() -> chrono::NaiveDateTime {
    let t = chrono::Utc::now().naive_utc();
    // PostgreSQL keeps microseconds; truncate so what we return equals what we read back.
    t.with_nanosecond_micros()
}

trait MicrosExt {
    fn with_nanosecond_micros(self) -> Self;
}

impl MicrosExt for chrono::NaiveDateTime {
    fn with_nanosecond_micros(self) -> Self {
        use chrono::Timelike;
        let micros = self.nanosecond() / 1_000 * 1_000;
        self.with_nanosecond(micros).unwrap_or(self)
    }
}
