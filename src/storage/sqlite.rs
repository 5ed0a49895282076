//! Per-connection set-up of SQLite that diesel has no call for.

use std::ffi::{c_char, c_int};
use std::sync::Once;

use libsqlite3_sys as ffi;

/// SQLite (3.45 on) re-prepares a statement whenever a new value is bound to a parameter its
/// planner peeked at, and it peeks at every `LIMIT ?` — which diesel binds for `.first()` and for
/// every page. So each of our cached statements was compiled again on each use: a fifth of the
/// CPU of a checklist read. The query-planner stability guarantee turns the peeking off: a plan
/// then depends on the SQL, the schema and the statistics, never on the values bound. Registered
/// once per process, it applies to every connection opened after.
pub fn stable_query_plans() {
    static REGISTERED: Once = Once::new();
    REGISTERED.call_once(|| {
        // SAFETY: `enable_qpsg` has the entry-point signature SQLite expects and lives for the
        // whole process; registering an auto-extension is thread-safe.
        let rc = unsafe { ffi::sqlite3_auto_extension(Some(enable_qpsg)) };
        if rc != ffi::SQLITE_OK {
            tracing::warn!(rc, "SQLite query plans stay value-dependent");
        }
    });
}

/// Called by SQLite with each new connection's handle, before it is returned to diesel.
unsafe extern "C" fn enable_qpsg(
    db: *mut ffi::sqlite3,
    _error: *mut *mut c_char,
    _api: *const ffi::sqlite3_api_routines,
) -> c_int {
    // SAFETY: `db` is the open connection SQLite hands us; this verb takes an int (1: on) and an
    // optional out-pointer for the new setting, which may be null.
    unsafe {
        ffi::sqlite3_db_config(
            db,
            ffi::SQLITE_DBCONFIG_ENABLE_QPSG,
            1 as c_int,
            std::ptr::null_mut::<c_int>(),
        );
    }
    ffi::SQLITE_OK
}
