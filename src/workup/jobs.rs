//! Clinic-wide re-evaluation in the background: a change of the clinic default records a job in
//! the same transaction; a worker thread re-evaluates its patients in chunks, each chunk its own
//! short transaction that also advances the job's cursor, so a restart resumes where it stopped.
//! Until a patient's turn comes, her checklist is evaluated on the fly (see `checklist_json`).

use crate::domain::ids::{ClinicId, JobId};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use diesel::QueryResult;

use super::summary::{self, Reason};
use crate::storage::jobs::{self, JobRow};
use crate::storage::{self, patients, worklist, AnyConnection, Pool};

/// How the worker paces itself.
#[derive(Debug, Clone, Copy)]
pub struct WorkerSettings {
    /// Patients re-evaluated per transaction.
    pub chunk: i64,
    /// Pause between chunks, leaving the database to other requests.
    pub pause: Duration,
    /// How long summaries a bulk message deferred wait before the worker re-evaluates them, once
    /// it has caught up: the messages that follow meanwhile for the same patients (a lab posting
    /// batch after batch) are then caught by one evaluation each instead of one per message.
    pub settle: Duration,
}

/// Wakes the worker when a job was recorded (instead of waiting for its next poll).
#[derive(Clone, Default)]
pub struct Wakeup(Arc<(Mutex<bool>, Condvar)>);

impl Wakeup {
    pub fn notify(&self) {
        let (flag, signal) = &*self.0;
        *flag.lock().unwrap_or_else(|e| e.into_inner()) = true;
        signal.notify_all();
    }

    fn wait(&self, timeout: Duration) {
        let (flag, signal) = &*self.0;
        let guard = flag.lock().unwrap_or_else(|e| e.into_inner());
        let (mut woken, _) = signal
            .wait_timeout_while(guard, timeout, |woken| !*woken)
            .unwrap_or_else(|e| e.into_inner());
        *woken = false;
    }
}

/// Records a re-evaluation of the clinic under its new default (superseding a running one), in
/// the caller's transaction. `None` when no patient follows the clinic default.
pub fn start(
    conn: &mut AnyConnection,
    clinic_id: &ClinicId,
    profile: &str,
) -> QueryResult<Option<JobRow>> {
    jobs::supersede_running(conn, clinic_id)?;
    let total = jobs::count_on_default(conn, clinic_id)?;
    if total == 0 {
        return Ok(None);
    }
    let now = storage::now();
    let row = JobRow {
        id: JobId::new(),
        clinic_id: clinic_id.to_owned(),
        profile: profile.to_owned(),
        state: jobs::RUNNING.to_owned(),
        done: 0,
        total: i32::try_from(total).unwrap_or(i32::MAX),
        cursor: None,
        created_at: now,
        updated_at: now,
        finished_at: None,
    };
    jobs::insert(conn, &row)?;
    Ok(Some(row))
}

/// Re-evaluates the next chunk of the oldest running job in one transaction; returns the job as
/// it stands after it, or `None` when no job is running.
pub fn run_chunk(conn: &mut AnyConnection, chunk: i64) -> QueryResult<Option<JobRow>> {
    storage::write_transaction(conn, |conn| {
        let Some(mut job) = jobs::claim_oldest_running(conn)? else {
            return Ok(None);
        };
        let ids = jobs::on_default_after(conn, &job.clinic_id, job.cursor, chunk)?;
        patients::lock_many(conn, &job.clinic_id, &ids)?;
        let today = super::record::clinic_today(conn, &job.clinic_id)?;
        for id in &ids {
            summary::refresh(conn, &job.clinic_id, *id, today, Reason::Clinic)?;
        }
        let count = i32::try_from(ids.len()).unwrap_or(i32::MAX);
        job.done = job.done.saturating_add(count);
        let finished = i64::try_from(ids.len()).unwrap_or(i64::MAX) < chunk;
        // Patients created or deleted meanwhile move the count; a finished job is whole.
        job.total = if finished {
            job.done
        } else {
            job.total.max(job.done)
        };
        if let Some(last) = ids.last() {
            job.cursor = Some(*last);
        }
        jobs::advance(conn, job.id, job.cursor, job.done, job.total, finished)?;
        if finished {
            job.state = jobs::DONE.to_owned();
        }
        Ok(Some(job))
    })
}

/// Re-evaluates up to `chunk` summaries a bulk write deferred, each in its own short transaction
/// (a patient's lock, or SQLite's write lock, is held for one evaluation, not for the chunk's);
/// returns how many.
fn drain_deferred(pool: &Pool, chunk: i64) -> Result<usize, String> {
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let deferred = worklist::deferred(&mut conn, chunk).map_err(|e| e.to_string())?;
    for (clinic, patient) in &deferred {
        storage::write_transaction(&mut conn, |conn| {
            summary::refresh_deferred(conn, clinic, *patient)
        })
        .map_err(|e| e.to_string())?;
    }
    Ok(deferred.len())
}

/// Starts the worker thread: it resumes unfinished jobs at once, then works whenever woken (or
/// every few seconds, for jobs recorded by another instance). `ready` says the database is
/// migrated.
pub fn spawn_worker(
    pool: Pool,
    ready: impl Fn() -> bool + Send + 'static,
    wakeup: Wakeup,
    settings: WorkerSettings,
) {
    let poll = Duration::from_secs(2);
    let spawned = std::thread::Builder::new()
        .name("reevaluation".to_owned())
        .spawn(move || loop {
            if !ready() {
                wakeup.wait(poll);
                continue;
            }
            let outcome = pool.get().map_err(|e| e.to_string()).and_then(|mut conn| {
                run_chunk(&mut conn, settings.chunk.max(1)).map_err(|e| e.to_string())
            });
            match outcome {
                Ok(Some(job)) => {
                    tracing::info!(
                        job = %job.id,
                        clinic = %job.clinic_id,
                        done = job.done,
                        total = job.total,
                        state = %job.state,
                        "re-evaluation progressed"
                    );
                    if !settings.pause.is_zero() {
                        std::thread::sleep(settings.pause);
                    }
                }
                // No clinic-wide job: catch up on summaries bulk writes deferred.
                Ok(None) => {
                    let chunk = settings.chunk.max(1);
                    match drain_deferred(&pool, chunk) {
                        // A full chunk: more may be waiting.
                        Ok(n) if n >= chunk as usize => {}
                        Ok(_) => {
                            wakeup.wait(poll);
                            if !settings.settle.is_zero() {
                                std::thread::sleep(settings.settle);
                            }
                        }
                        Err(error) => {
                            tracing::warn!(%error, "deferred summaries not refreshed; will retry");
                            wakeup.wait(poll);
                        }
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "re-evaluation chunk failed; will retry");
                    wakeup.wait(poll);
                }
            }
        });
    if let Err(error) = spawned {
        tracing::error!(%error, "cannot start the re-evaluation worker");
    }
}
