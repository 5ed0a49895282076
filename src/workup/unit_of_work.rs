//! The unit of work: the one shape of everything that touches patient data. A write runs in one
//! transaction that locks the patients it names first (sorted by id: the one global lock order),
//! lets the work record what it accessed, re-evaluates the worklist summary of every patient it
//! changed and appends the audit rows — all before commit; if any step fails, nothing is written.
//! A transaction the database gives up on (deadlock, serialization failure, busy) runs again after
//! a jittered backoff, a few times, before it fails as contention. A read runs in a read-only
//! transaction and its audit rows go to the group commit ([`super::audit_log`]); it answers only
//! once they are durable.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;

use super::audit_log::{self, Access, AuditLog, AuditLogError};
use super::jobs::Wakeup;
use crate::auth::Caller;
use crate::domain::ids::{ClinicId, PatientId};
use crate::storage::{self, patients, AnyConnection, Pool};

/// How many times a write transaction runs before contention is given up on.
const ATTEMPTS: u32 = 6;

/// A write that changed more patients than this (a lab message spread over many patients) defers
/// their worklist re-evaluation to the background worker; until it catches up, their checklists
/// are evaluated on the fly and worklist pages refresh them first.
const INLINE_REFRESH_LIMIT: usize = 8;

/// What the unit of work itself can fail with; the work's own errors pass through untouched.
#[derive(Debug, thiserror::Error)]
pub enum UnitOfWorkError {
    #[error("the database is not reachable or not migrated yet")]
    NotReady,
    #[error("no database connection")]
    NoConnection(#[source] r2d2::Error),
    #[error("database")]
    Database(#[from] diesel::result::Error),
    #[error("the database stayed busy through {attempts} attempts")]
    Contention {
        attempts: u32,
        #[source]
        last: diesel::result::Error,
    },
    #[error("the read was not audited")]
    Audit(#[from] AuditLogError),
    #[error("the database task did not finish")]
    Aborted,
}

/// The errors a unit of work's closure returns: its own, and ours turned into them. The runner
/// asks whether one is worth running the transaction again for.
pub trait WorkError: From<UnitOfWorkError> + From<diesel::result::Error> + Send + 'static {
    /// A deadlock, serialization failure or busy database: nothing was written, run it again.
    fn is_contention(&self) -> bool;
    /// Every pooled connection was busy while the database is up.
    fn is_pool_exhausted(&self) -> bool;
}

/// The work's view of its transaction: the connection, who is asking, and what it accessed.
pub struct UnitOfWork<'t> {
    conn: &'t mut AnyConnection,
    caller: &'t Caller,
    accesses: Vec<Access>,
}

impl<'t> UnitOfWork<'t> {
    fn new(conn: &'t mut AnyConnection, caller: &'t Caller) -> Self {
        Self {
            conn,
            caller,
            accesses: Vec::new(),
        }
    }

    pub fn conn(&mut self) -> &mut AnyConnection {
        self.conn
    }

    pub fn caller(&self) -> &Caller {
        self.caller
    }

    pub fn clinic(&self) -> &ClinicId {
        &self.caller.clinic
    }

    /// The connection and the caller at once (the work usually needs both).
    pub fn parts(&mut self) -> (&mut AnyConnection, &Caller) {
        (self.conn, self.caller)
    }

    /// Records an access, audited at commit (and, if it changed a patient, her summary refreshed).
    pub fn accessed(&mut self, access: Access) {
        self.accesses.push(access);
    }

    pub fn accessed_all(&mut self, accesses: impl IntoIterator<Item = Access>) {
        self.accesses.extend(accesses);
    }
}

/// The patients whose record these accesses changed, in id order.
fn changed(accesses: &[Access]) -> BTreeSet<PatientId> {
    accesses
        .iter()
        .filter(|a| a.changed)
        .filter_map(|a| a.patient_id)
        .collect()
}

/// Where units of work run: the pool, off the async workers, and the audit group commit.
#[derive(Clone)]
pub struct Workup {
    pool: Pool,
    /// Set once migrations have run; until then every unit of work fails as not ready.
    migrated: Arc<AtomicBool>,
    audit: AuditLog,
    /// Wakes the background worker (deferred summaries, clinic re-evaluations).
    worker: Wakeup,
}

impl Workup {
    pub fn new(pool: Pool, migrated: Arc<AtomicBool>, worker: Wakeup) -> Self {
        Self {
            audit: AuditLog::start(pool.clone()),
            pool,
            migrated,
            worker,
        }
    }

    /// Runs `f` on a pooled connection in the blocking thread pool.
    pub async fn on_connection<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<UnitOfWorkError> + Send + 'static,
    {
        if !self.migrated.load(Ordering::Acquire) {
            return Err(UnitOfWorkError::NotReady.into());
        }
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(UnitOfWorkError::NoConnection)?;
            f(&mut conn)
        })
        .await
        .map_err(|_| UnitOfWorkError::Aborted)?
    }

    /// A read: `f` runs without the write lock, in a read-only transaction or, when it runs one
    /// statement, in that statement's own snapshot (see [`Snapshot`]); the value is returned once
    /// the audit rows of what it accessed are committed, and not at all if they cannot be.
    pub async fn read<T, E, F>(
        &self,
        snapshot: Snapshot,
        caller: Caller,
        request_id: String,
        f: F,
    ) -> Result<T, E>
    where
        F: FnOnce(&mut UnitOfWork) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: WorkError,
    {
        let span = tracing::info_span!("unit_of_work", kind = "read");
        let run = move |conn: &mut AnyConnection| -> Result<_, E> {
            let _entered = span.enter();
            let work = |conn: &mut AnyConnection| {
                let mut work = UnitOfWork::new(conn, &caller);
                let value = f(&mut work)?;
                Ok((value, audit_log::rows(&caller, &request_id, work.accesses)))
            };
            match snapshot {
                Snapshot::Transaction => storage::read_transaction(conn, work),
                Snapshot::Statement => work(conn),
            }
        };
        // A SQLite read does not wait for the writer (WAL) and takes tens of microseconds: it runs
        // on the async worker when a connection is free, sparing the hop to the blocking pool and
        // back, which costs more than the read. PostgreSQL reads wait on the network, so they stay
        // off the workers. The audit rows still go to the group commit: a commit, and the WAL
        // checkpoint with its fsync that it sometimes runs, must not stall a worker, and one
        // commit there serves many reads.
        let free = match self.migrated.load(Ordering::Acquire) {
            true => self.pool.try_get(),
            false => None,
        };
        let (value, rows) = match free {
            Some(mut conn) if matches!(*conn, AnyConnection::Sqlite(_)) => run(&mut conn)?,
            Some(mut conn) => tokio::task::spawn_blocking(move || run(&mut conn))
                .await
                .map_err(|_| UnitOfWorkError::Aborted)??,
            None => self.on_connection(run).await?,
        };
        self.audit.append(rows).await.map_err(|e| {
            tracing::error!(error = %e, "read refused: its audit rows were not written");
            UnitOfWorkError::Audit(e)
        })?;
        Ok(value)
    }

    /// A write to the patients `lock` names: their rows are locked first, in id order, then `f`
    /// runs; the patients it changed are re-evaluated and its accesses audited before commit.
    /// `f` may run more than once (after a deadlock), each time in a fresh transaction.
    pub async fn write<T, E, F>(
        &self,
        caller: Caller,
        request_id: String,
        lock: impl IntoIterator<Item = PatientId>,
        f: F,
    ) -> Result<T, E>
    where
        F: Fn(&mut UnitOfWork) -> Result<T, E> + Send + Sync + 'static,
        T: Send + 'static,
        E: WorkError,
    {
        let locks: BTreeSet<PatientId> = lock.into_iter().collect();
        let job = Arc::new((f, caller, request_id, locks));
        let mut attempt = 1;
        loop {
            let run = Arc::clone(&job);
            let span = tracing::info_span!("unit_of_work", kind = "write", attempt);
            let outcome: Result<(T, bool), E> = self
                .on_connection(move |conn| {
                    let _entered = span.enter();
                    let (f, caller, request_id, locks) = &*run;
                    storage::write_transaction(conn, |conn| {
                        patients::lock_many(conn, &caller.clinic, locks)?;
                        let mut work = UnitOfWork::new(conn, caller);
                        let value = f(&mut work)?;
                        let accesses = work.accesses;
                        let changed: Vec<PatientId> = changed(&accesses).into_iter().collect();
                        let deferred = changed.len() > INLINE_REFRESH_LIMIT;
                        if deferred {
                            crate::storage::worklist::defer_refresh(conn, &changed)?;
                        } else {
                            for patient in changed {
                                super::refresh_summary(conn, &caller.clinic, patient)?;
                            }
                        }
                        audit_log::record(conn, caller, request_id, accesses)?;
                        Ok((value, deferred))
                    })
                })
                .await;
            let outcome = outcome.map(|(value, deferred)| {
                if deferred {
                    self.worker.notify();
                }
                value
            });
            match outcome {
                Err(e) if e.is_contention() && attempt < ATTEMPTS => {
                    crate::metrics::count_transaction_retry();
                    tracing::warn!(attempt, "transaction retried after contention");
                    tokio::time::sleep(backoff(attempt)).await;
                    attempt += 1;
                }
                // Every connection busy (writers queued behind one patient's lock) while the
                // database is up: wait for a connection again rather than refuse the write.
                Err(e)
                    if e.is_pool_exhausted()
                        && attempt < ATTEMPTS
                        && self.pool.state().connections > 0 =>
                {
                    tracing::warn!(attempt, "no free database connection; waiting again");
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

/// What a read's queries see the record as of.
#[derive(Debug, Clone, Copy)]
pub enum Snapshot {
    /// One read-only transaction around all of them.
    Transaction,
    /// A read of one statement sees that statement's own snapshot: no transaction around it,
    /// which spares PostgreSQL two round trips.
    Statement,
}

/// Full jitter over an exponential ceiling: 10, 20, 40, 80, 160 ms.
fn backoff(attempt: u32) -> Duration {
    let ceiling = 10u64 << attempt.min(5);
    Duration::from_millis(rand::rng().random_range(1..=ceiling))
}
