//! Shared application state and the one way handlers reach the database: off the async workers,
//! on a pooled connection.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use super::error::ApiError;
use crate::ingest::Canon;
use crate::storage::{AnyConnection, Pool};
use crate::workup::unit_of_work::Workup;

#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    /// Set once migrations have run; until then every query answers 503.
    pub migrated: Arc<AtomicBool>,
    /// Wakes the clinic re-evaluation worker when a job was recorded.
    pub reevaluation: crate::workup::jobs::Wakeup,
    /// Our canonical URLs under the configured FHIR base, for every parser and renderer.
    pub canon: Canon,
    /// Where units of work run (and reads' audit rows are group-committed).
    pub workup: Workup,
}

impl AppState {
    pub fn new(pool: Pool, migrated: Arc<AtomicBool>, canon: Canon) -> Self {
        let reevaluation = crate::workup::jobs::Wakeup::default();
        Self {
            workup: Workup::new(pool.clone(), migrated.clone(), reevaluation.clone()),
            pool,
            migrated,
            reevaluation,
            canon,
        }
    }

    /// Runs `f` on a pooled connection in the blocking thread pool.
    pub async fn db<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        self.workup.on_connection(f).await
    }
}
