//! Lab feeds: `POST /v1/lab/results` (our JSON, by MRN), `POST /fhir/r4/Observation` and
//! `POST /fhir/r4` (FHIR R4), `POST /hl7/v2` (HL7 v2.5.1 ORU^R01). Each answers in its own format
//! (problem+json, OperationOutcome, ACK), even for authentication and size errors.
//!
//! Every request is one transaction: the raw message and its outcome go to the message log together
//! with the results it produced (or without any, when refused). Duplicates are stopped by unique
//! keys, never by search-then-insert: results by (clinic, source, accession, test), where `source`
//! is the lab client's token `sub`; messages by (clinic, feed, key), where the key is the
//! `Idempotency-Key` header or, for HL7, MSH-3|MSH-4|MSH-10.
//!
//! May import `ingest`, `storage`, the API's extractors and unit of work; nothing imports it but
//! the route list.

mod feed;
mod fhir;
mod hl7;
mod json;
mod log;
mod session;

pub use fhir::*;
pub use hl7::*;
pub use json::*;
pub use session::Tally;

use crate::api::error::ApiError;
use crate::auth::{Caller, Role};

/// Only a lab token posts results; clinicians and admins use `/v1/patients/{id}/results`.
pub fn require_lab(caller: &Caller) -> Result<(), ApiError> {
    if caller.has(Role::Lab) {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// The request's media type (`type/subtype`, lower case, without parameters).
fn media_type(req: &actix_web::HttpRequest) -> String {
    req.headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default()
}
