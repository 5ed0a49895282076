//! The audit trail's vocabulary for handlers (it lives with the unit of work in `workup`).

pub use crate::workup::audit_log::{record, rows, Access};
