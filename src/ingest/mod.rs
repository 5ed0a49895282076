//! Lab feeds → domain results. Turns what a lab sent (our JSON, FHIR R4, HL7 v2.5.1 ORU^R01) into
//! feed-neutral [`IncomingResult`]s, with every problem located in the feed's own terms (a FHIR
//! path, an HL7 `OBX^3^5`, a JSON field path), and builds the feed's replies (FHIR
//! `OperationOutcome` and batch/transaction response bundles, HL7 `ACK`).
//!
//! Pure: functions from bytes/values to values. May import `domain`, serde, chrono, hl7-parser,
//! sha2; never actix or diesel, never a clock (callers pass `now` and new control ids).

pub mod canon;
pub mod codes;
pub mod facts;
pub mod fhir;
pub mod hl7v2;
pub mod incoming;
pub mod json;
pub mod limits;
pub mod problem;
pub mod text;

pub use crate::domain::new_result::Fingerprint;
pub use canon::Canon;
pub use incoming::{no_local_codes, CodeResolver, IncomingResult, LabCode, LOINC_SYSTEM};
pub use problem::{FeedProblem, ProblemKind, Severity};
