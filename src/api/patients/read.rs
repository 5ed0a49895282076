//! `GET /v1/patients`, `GET /v1/patients/{id}`

use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{owned_patient, require_clinical, PatientView};
use crate::api::audit_trail::Access;
use crate::api::error::ApiError;
use crate::api::etag::json_with_etag;
use crate::api::extract::RequestId;
use crate::api::pagination::{Page, PageParams};
use crate::api::state::AppState;
use crate::api::unit_of_work::reading;
use crate::auth::Caller;
use crate::storage::patients;

/// `?mrn=` finds one patient by MRN.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PatientQuery {
    /// Exact MRN within your clinic.
    pub mrn: Option<String>,
    /// Page size (1–500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List the clinic's patients, or find one by `?mrn=`.
#[utoipa::path(
    tag = "patients",
    params(PatientQuery),
    responses((status = 200, description = "A page of patients", body = Page<PatientView>)),
    security(("bearer" = []))
)]
#[get("/v1/patients")]
pub async fn list_patients(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    query: web::Query<PatientQuery>,
) -> Result<HttpResponse, ApiError> {
    require_clinical(&caller)?;
    let query = query.into_inner();
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let limit = page.limit()?;
    let after = page.position_id()?;
    let page = reading(&state, caller, request_id, move |conn, caller| {
        let rows = match &query.mrn {
            Some(mrn) => {
                patients::find_by_mrn(conn, &caller.clinic, &crate::domain::text::nfc(mrn.trim()))?
                    .into_iter()
                    .collect()
            }
            None => patients::list(conn, &caller.clinic, after, i64::from(limit) + 1)?,
        };
        // The rows the page shows (the extra one only tells that more exist).
        let accesses = rows
            .iter()
            .take(limit as usize)
            .map(|p| Access::new("read", "patient", p.id, p.id))
            .collect();
        let page = Page::from_rows(rows, limit, |r| r.id.to_string(), PatientView::from);
        Ok((page, accesses))
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Read one patient.
#[utoipa::path(
    tag = "patients",
    params(("id" = uuid::Uuid, Path, description = "Patient id")),
    responses(
        (status = 200, description = "The patient", body = PatientView, headers(("ETag" = String, description = "Entity tag of this representation; send it back in If-Match to change it safely"))),
        (status = 404, description = "No such patient in your clinic", body = crate::api::error::Problem),
    ),
    security(("bearer" = []))
)]
#[get("/v1/patients/{id}")]
pub async fn get_patient(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    path: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    require_clinical(&caller)?;
    let id = path.into_inner();
    let row = reading(&state, caller, request_id, move |conn, caller| {
        let row = owned_patient(conn, caller, &id)?;
        let access = Access::new("read", "patient", row.id, row.id);
        Ok((row, vec![access]))
    })
    .await?;
    Ok(json_with_etag(HttpResponse::Ok(), &PatientView::from(row)))
}
