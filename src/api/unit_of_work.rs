//! Handlers reach the unit of work (`workup::unit_of_work`) through these: a closure over the
//! connection and the caller that returns its value and what it accessed.

use super::audit_trail::Access;
use super::error::ApiError;
use super::extract::RequestId;
use super::state::AppState;
use crate::auth::Caller;
use crate::domain::ids::PatientId;
use crate::storage::AnyConnection;
pub use crate::workup::unit_of_work::Snapshot;

/// The work of a read: its value and the accesses to audit.
pub trait ReadWork<T>:
    FnOnce(&mut AnyConnection, &Caller) -> Result<(T, Vec<Access>), ApiError> + Send + 'static
{
}

impl<T, F> ReadWork<T> for F where
    F: FnOnce(&mut AnyConnection, &Caller) -> Result<(T, Vec<Access>), ApiError> + Send + 'static
{
}

/// The work of a write: its value and the accesses to audit; it may run again in a fresh
/// transaction after contention, so it is `Fn`.
pub trait WriteWork<T>:
    Fn(&mut AnyConnection, &Caller) -> Result<(T, Vec<Access>), ApiError> + Send + Sync + 'static
{
}

impl<T, F> WriteWork<T> for F where
    F: Fn(&mut AnyConnection, &Caller) -> Result<(T, Vec<Access>), ApiError>
        + Send
        + Sync
        + 'static
{
}

/// A read: a read-only transaction, its accesses audited by the group commit before it answers.
pub async fn reading<T, F>(
    state: &AppState,
    caller: Caller,
    request_id: RequestId,
    f: F,
) -> Result<T, ApiError>
where
    F: ReadWork<T>,
    T: Send + 'static,
{
    reading_in(Snapshot::Transaction, state, caller, request_id, f).await
}

/// A read in the snapshot given: a read-only transaction, or one statement's own.
pub async fn reading_in<T, F>(
    snapshot: Snapshot,
    state: &AppState,
    caller: Caller,
    request_id: RequestId,
    f: F,
) -> Result<T, ApiError>
where
    F: ReadWork<T>,
    T: Send + 'static,
{
    state
        .workup
        .read(snapshot, caller, request_id.0, move |work| {
            let (conn, caller) = work.parts();
            let (value, accesses) = f(conn, caller)?;
            work.accessed_all(accesses);
            Ok(value)
        })
        .await
}

/// Reads and writes in one write transaction, with the accesses `f` reports audited in it.
pub async fn audited<T, F>(
    state: &AppState,
    caller: Caller,
    request_id: RequestId,
    f: F,
) -> Result<T, ApiError>
where
    F: WriteWork<T>,
    T: Send + 'static,
{
    writing(state, caller, request_id, Vec::<PatientId>::new(), f).await
}

/// A write to the patients `lock` names, locked first in id order; `f` may run more than once
/// (after a deadlock), each time in a fresh transaction.
pub async fn writing<T, F, I>(
    state: &AppState,
    caller: Caller,
    request_id: RequestId,
    lock: I,
    f: F,
) -> Result<T, ApiError>
where
    F: WriteWork<T>,
    T: Send + 'static,
    I: IntoIterator,
    I::Item: Into<PatientId>,
{
    state
        .workup
        .write(
            caller,
            request_id.0,
            lock.into_iter().map(Into::into),
            move |work| {
                let (conn, caller) = work.parts();
                let (value, accesses) = f(conn, caller)?;
                work.accessed_all(accesses);
                Ok(value)
            },
        )
        .await
}
