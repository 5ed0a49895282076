//! Group commit of the audit rows of reads. A read must not answer before its audit row is
//! durable, but taking the write lock once per read serialises every read behind every other.
//! So reads hand their rows to one writer thread, which appends the rows of all the requests
//! waiting at that moment in one transaction and then tells each of them how it went. A read
//! whose rows could not be written fails: nothing is answered unaudited.

use std::sync::mpsc;
use std::time::Duration;

use tokio::sync::oneshot;

use crate::auth::Caller;
use crate::domain::ids::{AuditEntryId, PatientId};
use crate::storage::audit::{self, NewAuditRow};
use crate::storage::{self, AnyConnection, Pool};

/// At most this many rows go into one transaction; the rest wait for the next.
const BATCH_ROWS: usize = 2_000;
/// A batch the database gave up on (busy, deadlock) is written again this many times.
const ATTEMPTS: u32 = 5;

/// Why a read's audit rows were not written.
#[derive(Debug, thiserror::Error)]
pub enum AuditLogError {
    #[error("the audit trail could not be written: {0}")]
    Write(String),
    #[error("the audit writer has stopped")]
    Stopped,
}

/// The handle requests append through; cheap to clone.
#[derive(Clone)]
pub struct AuditLog {
    queue: mpsc::Sender<Pending>,
}

struct Pending {
    rows: Vec<NewAuditRow>,
    done: oneshot::Sender<Result<(), String>>,
}

impl AuditLog {
    /// Starts the writer thread; it stops when the last handle is dropped.
    pub fn start(pool: Pool) -> Self {
        let (queue, incoming) = mpsc::channel();
        std::thread::Builder::new()
            .name("audit-writer".to_owned())
            .spawn(move || write_batches(&pool, &incoming))
            .expect("the audit writer thread starts");
        Self { queue }
    }

    /// Appends the rows and returns once they are committed (or failed to be).
    pub async fn append(&self, rows: Vec<NewAuditRow>) -> Result<(), AuditLogError> {
        if rows.is_empty() {
            return Ok(());
        }
        let (done, committed) = oneshot::channel();
        self.queue
            .send(Pending { rows, done })
            .map_err(|_| AuditLogError::Stopped)?;
        committed
            .await
            .map_err(|_| AuditLogError::Stopped)?
            .map_err(AuditLogError::Write)
    }
}

fn write_batches(pool: &Pool, incoming: &mpsc::Receiver<Pending>) {
    while let Ok(first) = incoming.recv() {
        let mut rows = first.rows.len();
        let mut batch = vec![first];
        while rows < BATCH_ROWS {
            match incoming.try_recv() {
                Ok(next) => {
                    rows += next.rows.len();
                    batch.push(next);
                }
                Err(_) => break,
            }
        }
        let outcome = write(pool, &batch);
        crate::metrics::observe_audit_batch(batch.len(), outcome.is_ok());
        if let Err(e) = &outcome {
            tracing::error!(requests = batch.len(), rows, error = %e, "audit batch not written");
        }
        for pending in batch {
            // A request that gave up waiting has nothing to be told.
            let _ = pending.done.send(outcome.clone());
        }
    }
}

fn write(pool: &Pool, batch: &[Pending]) -> Result<(), String> {
    let mut attempt = 1;
    loop {
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        let outcome = storage::write_transaction(&mut conn, |conn| {
            batch
                .iter()
                .try_for_each(|pending| audit::append(conn, &pending.rows))
        });
        match outcome {
            Ok(()) => return Ok(()),
            Err(e) if storage::is_contention(&e) && attempt < ATTEMPTS => {
                drop(conn);
                std::thread::sleep(Duration::from_millis(5 << attempt));
                attempt += 1;
            }
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// One access to patient data.
#[derive(Debug, Clone)]
pub struct Access {
    pub patient_id: Option<PatientId>,
    /// `read`, `create`, `update`, `delete`, `ingest`, …
    pub action: &'static str,
    /// `patient`, `pregnancy`, `result`, `checklist`, `review`, …
    pub resource_type: &'static str,
    /// Text: resources of several kinds (and CDS cards with a reason) are named here.
    pub resource_id: Option<String>,
    /// Whether the access changed the patient's record (her worklist summary is then
    /// re-evaluated): every action but `read`, unless marked [`Access::unchanged`].
    pub changed: bool,
}

impl Access {
    pub fn new(
        action: &'static str,
        resource_type: &'static str,
        patient_id: PatientId,
        resource_id: impl ToString,
    ) -> Self {
        Self {
            patient_id: Some(patient_id),
            action,
            resource_type,
            resource_id: Some(resource_id.to_string()),
            changed: action != "read",
        }
    }

    /// The access wrote nothing (a lab retry of a stored version): audited, not re-evaluated.
    pub fn unchanged(mut self) -> Self {
        self.changed = false;
        self
    }
}

/// Appends the rows in the caller's transaction; an error here fails the request, so nothing goes
/// unaudited.
pub fn record(
    conn: &mut AnyConnection,
    caller: &Caller,
    request_id: &str,
    accesses: Vec<Access>,
) -> diesel::QueryResult<()> {
    audit::append(conn, &rows(caller, request_id, accesses))
}

/// The audit rows of these accesses, stamped now.
pub fn rows(caller: &Caller, request_id: &str, accesses: Vec<Access>) -> Vec<NewAuditRow> {
    let roles = caller.roles_label();
    let at = crate::storage::now();
    accesses
        .into_iter()
        .map(|a| NewAuditRow {
            id: AuditEntryId::new(),
            at,
            clinic_id: caller.clinic.clone(),
            actor: caller.sub.clone(),
            roles: roles.clone(),
            patient_id: a.patient_id,
            action: a.action,
            resource_type: a.resource_type,
            resource_id: a.resource_id,
            request_id: request_id.to_owned(),
            outcome: "success",
        })
        .collect()
}
