//! `GET /v1/tests`: the test catalogue with LOINC codes and units.

use actix_web::{get, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::ApiError;
use crate::auth::Caller;
use crate::domain::catalogue::{CatalogueEntry, CATALOGUE};

/// The catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub struct TestCatalogue {
    pub items: Vec<CatalogueEntry>,
    pub next_cursor: Option<String>,
}

/// Every test code the service knows, with its LOINC codes, units, value shape and findings.
#[utoipa::path(
    tag = "profiles",
    responses((status = 200, description = "The catalogue", body = TestCatalogue)),
    security(("bearer" = []))
)]
#[get("/v1/tests")]
pub async fn list_tests(caller: Caller) -> Result<HttpResponse, ApiError> {
    // A lab token posts results and reads nothing, not even the catalogue.
    super::patients::require_clinical(&caller)?;
    Ok(HttpResponse::Ok().json(TestCatalogue {
        items: CATALOGUE.to_vec(),
        next_cursor: None,
    }))
}
