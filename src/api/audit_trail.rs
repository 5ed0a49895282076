//! Builds the audit rows handlers append in the same transaction as the access they record.

use crate::auth::Caller;
use crate::storage::audit::{self, NewAuditRow};
use crate::storage::AnyConnection;

/// One access to patient data.
#[derive(Debug, Clone)]
pub struct Access {
    pub patient_id: Option<String>,
    /// `read`, `create`, `update`, `delete`, `ingest`, …
    pub action: &'static str,
    /// `patient`, `pregnancy`, `result`, `checklist`, `review`, …
    pub resource_type: &'static str,
    pub resource_id: Option<String>,
    /// Whether the access changed the patient's record (her worklist summary is then
    /// re-evaluated): every action but `read`, unless marked [`Access::unchanged`].
    pub changed: bool,
}

impl Access {
    pub fn new(
        action: &'static str,
        resource_type: &'static str,
        patient_id: impl ToString,
        resource_id: impl ToString,
    ) -> Self {
        Self {
            patient_id: Some(patient_id.to_string()),
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

/// Appends the rows; an error here fails the request, so nothing goes unaudited.
pub fn record(
    conn: &mut AnyConnection,
    caller: &Caller,
    request_id: &str,
    accesses: &[Access],
) -> diesel::QueryResult<()> {
    let roles = caller.roles_label();
    let at = crate::storage::now();
    let rows: Vec<NewAuditRow<'_>> = accesses
        .iter()
        .map(|a| NewAuditRow {
            id: uuid::Uuid::now_v7().to_string(),
            at,
            clinic_id: caller.clinic.as_str(),
            actor: &caller.sub,
            roles: &roles,
            patient_id: a.patient_id.clone(),
            action: a.action,
            resource_type: a.resource_type,
            resource_id: a.resource_id.clone(),
            request_id,
            outcome: "success",
        })
        .collect();
    audit::append(conn, &rows)
}
