//! The one shape of every handler that touches patient data: run in one transaction, append the
//! audit rows for what was accessed, and — for changes — refresh the worklist summary of each
//! patient changed, all before commit. If any step fails, nothing is written.
//!
//! Writes take their locks in one global order: the patients a request names are locked up front,
//! sorted by id, before anything referencing them is inserted (the lab feeds lock the patients
//! their messages name, sorted, before storing the first result). A transaction the database still
//! gives up on (deadlock, serialization failure, busy) is run again after a jittered backoff, a
//! few times, before the request answers 503 — never 500. So is a write that found every pooled
//! connection busy while the database is up.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;

use super::audit_trail::{self, Access};
use super::error::ApiError;
use super::extract::RequestId;
use super::state::AppState;
use crate::auth::Caller;
use crate::storage::{self, patients, AnyConnection};

/// How many times a transaction runs before contention is answered with 503.
const ATTEMPTS: u32 = 6;

/// Reads (and any writes) in one transaction, with the accesses `f` reports audited.
pub async fn audited<T, F>(
    state: &AppState,
    caller: Caller,
    request_id: RequestId,
    f: F,
) -> Result<T, ApiError>
where
    F: Fn(&mut AnyConnection, &Caller) -> Result<(T, Vec<Access>), ApiError>
        + Send
        + Sync
        + 'static,
    T: Send + 'static,
{
    writing(state, caller, request_id, Vec::<String>::new(), f).await
}

/// A write to the patients `lock` names (path ids): their rows are locked first, in id order,
/// then `f` runs as in [`audited`]. `f` may run more than once (after a deadlock), each time in a
/// fresh transaction.
pub async fn writing<T, F, I>(
    state: &AppState,
    caller: Caller,
    request_id: RequestId,
    lock: I,
    f: F,
) -> Result<T, ApiError>
where
    F: Fn(&mut AnyConnection, &Caller) -> Result<(T, Vec<Access>), ApiError>
        + Send
        + Sync
        + 'static,
    T: Send + 'static,
    I: IntoIterator,
    I::Item: ToString,
{
    let mut patients: Vec<String> = lock.into_iter().map(|p| p.to_string()).collect();
    patients.sort_unstable();
    patients.dedup();
    let job = Arc::new((f, caller, request_id, patients));
    let mut attempt = 1;
    loop {
        let run = Arc::clone(&job);
        let span = tracing::info_span!("unit_of_work", request_id = %job.2 .0, attempt);
        let outcome = state
            .db(move |conn| {
                let _entered = span.enter();
                let (f, caller, request_id, patients) = &*run;
                storage::write_transaction(conn, |conn| {
                    patients::lock_many(conn, caller.clinic.as_str(), patients)?;
                    let (value, accesses) = f(conn, caller)?;
                    audit_trail::record(conn, caller, &request_id.0, &accesses)?;
                    refresh_changed(conn, caller, &accesses)?;
                    Ok(value)
                })
            })
            .await;
        match outcome {
            Err(ApiError::Contention(cause)) if attempt < ATTEMPTS => {
                crate::metrics::count_transaction_retry();
                tracing::warn!(
                    request_id = %job.2 .0,
                    attempt,
                    cause = %cause,
                    "transaction retried after contention"
                );
                tokio::time::sleep(backoff(attempt)).await;
                attempt += 1;
            }
            // Every connection busy (writers queued behind one patient's lock) while the database
            // is up: wait for a connection again rather than refuse the write.
            Err(ApiError::Unavailable(cause))
                if attempt < ATTEMPTS && state.pool.state().connections > 0 =>
            {
                tracing::warn!(
                    request_id = %job.2 .0,
                    attempt,
                    cause = %cause,
                    "no free database connection; waiting again"
                );
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// Full jitter over an exponential ceiling: 10, 20, 40, 80, 160 ms.
fn backoff(attempt: u32) -> Duration {
    let ceiling = 10u64 << attempt.min(5);
    Duration::from_millis(rand::rng().random_range(1..=ceiling))
}

/// Every patient an access changed gets her worklist summary re-evaluated in the same transaction
/// (the set of changed patients, in id order; a lab retry that stored nothing re-evaluates nothing).
fn refresh_changed(
    conn: &mut AnyConnection,
    caller: &Caller,
    accesses: &[Access],
) -> Result<(), ApiError> {
    let changed: std::collections::BTreeSet<&str> = accesses
        .iter()
        .filter(|a| a.changed)
        .filter_map(|a| a.patient_id.as_deref())
        .collect();
    for patient_id in changed {
        crate::workup::refresh_summary(conn, caller.clinic.as_str(), patient_id)?;
    }
    Ok(())
}
