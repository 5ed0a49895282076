//! CDS Hooks 2.0 for EHRs: discovery, the `patient-view` service and its feedback endpoint.
//! Callers are EHRs allow-listed in `RPL_CDS_CLIENTS_FILE`, each with its own asymmetric key
//! (see `token`); the issuer decides the clinic. Nothing is ever fetched from the EHR: what the
//! service needs comes in `context` and `prefetch`.

pub mod cards;
pub mod clients;
mod feedback;
mod order_select;
mod service;
pub mod token;

use actix_web::{get, web, FromRequest, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

pub use feedback::*;
pub use order_select::*;
pub use service::*;

/// The service id in `/cds-services/{id}`.
pub const SERVICE_ID: &str = "rpl-workup";

/// One service of the discovery document.
#[derive(Debug, Serialize, ToSchema)]
pub struct CdsService {
    pub hook: String,
    pub id: String,
    pub title: String,
    pub description: String,
    /// FHIR queries the EHR should prefetch.
    #[schema(value_type = Object)]
    pub prefetch: serde_json::Value,
    #[serde(rename = "usageRequirements")]
    pub usage_requirements: String,
}

/// The discovery document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Discovery {
    pub services: Vec<CdsService>,
}

/// CDS Hooks discovery: the services offered (no patient data; no token needed).
#[utoipa::path(
    tag = "cds-hooks",
    responses((status = 200, description = "The CDS services", body = Discovery))
)]
#[get("/cds-services")]
pub async fn cds_discovery() -> HttpResponse {
    HttpResponse::Ok().json(Discovery {
        services: vec![
            CdsService {
                hook: "patient-view".to_owned(),
                id: SERVICE_ID.to_owned(),
                title: "Recurrent pregnancy loss workup".to_owned(),
                description: "What is outstanding, abnormal or overdue in the patient's recurrent \
                pregnancy loss workup, under the clinic's guideline profile, with orders to place."
                    .to_owned(),
                prefetch: json!({"patient": "Patient/{{context.patientId}}"}),
                usage_requirements: "The EHR is allow-listed with its public key; the patient is \
                matched by the EHR patient id recorded on the patient, else by an identifier of \
                the prefetched Patient equal to her MRN."
                    .to_owned(),
            },
            order_select::discovery_entry(),
        ],
    })
}

/// The JSON body, read only once the caller is authenticated (an unknown caller learns nothing
/// about what the body should have been).
async fn json_body<T: serde::de::DeserializeOwned + 'static>(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<T, crate::api::error::ApiError> {
    let mut payload = payload.into_inner();
    Ok(
        crate::api::extract::JsonBody::<T>::from_request(req, &mut payload)
            .await?
            .into_inner(),
    )
}
