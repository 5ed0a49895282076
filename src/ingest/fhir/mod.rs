//! FHIR R4 lab feed: `POST /fhir/r4/Observation` and `POST /fhir/r4` (a `transaction` or `batch`
//! Bundle of Observations). Pure: JSON bytes in, [`IncomingResult`](super::IncomingResult)s or an
//! [`OperationOutcome`] out.
//!
//! Mapping (see `observation.rs` for the details):
//! - patient: `subject.identifier.value` is the MRN (`.system` kept for the clinic's check);
//! - accession: the first `identifier`, as `system|value` (`|value` without a system);
//! - test: `code.coding` (LOINC, our test code system, then the clinic's resolver);
//! - our code systems and extensions: under the configured base ([`Canon`]), or the deprecated
//!   `https://rpl-workup.example.org/fhir` alias;
//! - whose sample: the [`EXT_SUBJECT`] extension (`valueCode` `patient` | `partner` |
//!   `pregnancy_tissue`), else a `focus` reference to a `RelatedPerson` means the partner, else the
//!   patient;
//! - anticoagulation: only the [`EXT_ANTICOAGULATION`] extension (`valueBoolean`), never a note;
//! - cycle timing and the partner's MRN: see [`crate::ingest::facts`] (`component`s in our
//!   sample-fact code system, the partner-MRN extension);
//! - modality: `method.coding` in our modality code system (or a code that spells one), else
//!   `method.text`.

#[cfg(doc)]
use crate::ingest::canon::Canon;

mod bundle;
mod facts;
mod model;
mod observation;
mod outcome;
mod value;

pub use bundle::{
    parse_bundle, response_bundle, BundleKind, EntryResponse, ParsedBundle, ParsedEntry,
    ResponseBundle,
};
pub use model::{
    Annotation, Bundle, BundleEntry, BundleRequest, CodeableConcept, Coding, Extension, Identifier,
    Observation, ObservationComponent, ObservationReferenceRange, Period, Quantity, Range,
    Reference,
};
pub use observation::{
    map_observation, observation_from_value, parse_observation, ParsedObservation,
};
pub use outcome::{issue_code, OperationOutcome, OutcomeIssue};

/// Extension on an Observation saying whose sample it is: `valueCode` `patient`, `partner` or
/// `pregnancy_tissue`. The name under the configured base: see [`Canon::extension`].
///
/// [`Canon::extension`]: crate::ingest::canon::Canon::extension
pub const EXT_SUBJECT: &str = "result-subject";
/// Extension on an Observation saying the sample was drawn during anticoagulant therapy:
/// `valueBoolean`. The name under the configured base.
pub const EXT_ANTICOAGULATION: &str = "on-anticoagulation";
/// The code system of interpretation flags.
pub const V3_INTERPRETATION: &str =
    "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";

#[cfg(test)]
mod tests;
