//! The one shape of every handler that touches patient data: run in one transaction, append the
//! audit rows for what was accessed, and — for changes — refresh the worklist summary of each
//! patient changed, all before commit. If any step fails, nothing is written.

use super::audit_trail::{self, Access};
use super::error::ApiError;
use super::extract::RequestId;
use super::state::AppState;
use crate::auth::Caller;
use crate::storage::{self, AnyConnection};

/// Reads (and any writes) in one transaction, with the accesses `f` reports audited.
pub async fn audited<T, F>(
    state: &AppState,
    caller: Caller,
    request_id: RequestId,
    f: F,
) -> Result<T, ApiError>
where
    F: FnOnce(&mut AnyConnection, &Caller) -> Result<(T, Vec<Access>), ApiError> + Send + 'static,
    T: Send + 'static,
{
    state
        .db(move |conn| {
            storage::write_transaction(conn, |conn| {
                let (value, accesses) = f(conn, &caller)?;
                audit_trail::record(conn, &caller, &request_id.0, &accesses)?;
                refresh_changed(conn, &caller, &accesses)?;
                Ok(value)
            })
        })
        .await
}

/// Every patient an access changed gets her worklist summary re-evaluated in the same transaction.
fn refresh_changed(
    conn: &mut AnyConnection,
    caller: &Caller,
    accesses: &[Access],
) -> Result<(), ApiError> {
    let mut changed: Vec<&str> = accesses
        .iter()
        .filter(|a| a.action != "read")
        .filter_map(|a| a.patient_id.as_deref())
        .collect();
    changed.sort_unstable();
    changed.dedup();
    for patient_id in changed {
        crate::workup::refresh_summary(conn, caller.clinic.as_str(), patient_id)?;
    }
    Ok(())
}
