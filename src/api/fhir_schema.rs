//! OpenAPI schemas of the FHIR bodies the lab feed takes. Only what the document can promise is
//! described (a JSON object naming its `resourceType`); the feed itself reads them with the FHIR
//! parsers in `ingest::fhir`, which answer with an `OperationOutcome`.

use serde::Serialize;
use utoipa::ToSchema;

/// A FHIR R4 Observation (any other element of the resource is read as FHIR defines it).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct FhirObservation {
    #[serde(rename = "resourceType")]
    #[schema(example = "Observation", pattern = "^Observation$")]
    pub resource_type: String,
}

/// A FHIR R4 Bundle of type `transaction` or `batch` whose entries POST Observations.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct FhirBundle {
    #[serde(rename = "resourceType")]
    #[schema(example = "Bundle", pattern = "^Bundle$")]
    pub resource_type: String,
    /// `transaction` (all or nothing) or `batch` (entry by entry).
    #[serde(rename = "type")]
    #[schema(example = "transaction")]
    pub type_: String,
}
