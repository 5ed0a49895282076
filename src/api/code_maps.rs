//! `GET/POST /v1/code-maps` (admins): a lab's local codes → catalogue test codes, per clinic.

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::error::ApiError;
use super::extract::ValidJson;
use super::state::AppState;
use crate::auth::{Caller, Role};
use crate::domain::catalogue::TestCode;
use crate::storage::{self, clinics, code_maps};

/// A local code and the test it means.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCodeMap {
    /// The lab's coding system (FHIR `Coding.system`, or HL7 v2 OBX-3 coding system, e.g. `L`).
    #[validate(length(min = 1, max = 256))]
    #[schema(
        min_length = 1,
        max_length = 256,
        example = "http://lab.example.org/codes"
    )]
    pub system: String,
    /// The lab's code.
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64, example = "ACLG")]
    pub code: String,
    /// The catalogue test it maps to.
    pub test: TestCode,
}

/// A stored mapping.
#[derive(Debug, Serialize, ToSchema)]
pub struct CodeMap {
    pub system: String,
    pub code: String,
    pub test: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl From<code_maps::CodeMapRow> for CodeMap {
    fn from(r: code_maps::CodeMapRow) -> Self {
        CodeMap {
            system: r.system,
            code: r.code,
            test: r.test,
            created_by: r.created_by,
            created_at: r.created_at.and_utc(),
        }
    }
}

/// The clinic's code maps.
#[derive(Debug, Serialize, ToSchema)]
pub struct CodeMapList {
    pub items: Vec<CodeMap>,
    pub next_cursor: Option<String>,
}

fn require_admin(caller: &Caller) -> Result<(), ApiError> {
    if caller.has(Role::Admin) {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// List the clinic's local code maps.
#[utoipa::path(
    tag = "lab",
    responses((status = 200, description = "The maps", body = CodeMapList)),
    security(("bearer" = []))
)]
#[get("/v1/code-maps")]
pub async fn list_code_maps(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    require_admin(&caller)?;
    let rows = state
        .db(move |conn| Ok(code_maps::list(conn, &caller.clinic)?))
        .await?;
    Ok(HttpResponse::Ok().json(CodeMapList {
        items: rows.into_iter().map(CodeMap::from).collect(),
        next_cursor: None,
    }))
}

/// Map a local code to a test. The same mapping again is a no-op (200); a code already mapped to
/// another test is a conflict (409).
#[utoipa::path(
    tag = "lab",
    request_body = NewCodeMap,
    responses(
        (status = 201, description = "Mapped", body = CodeMap),
        (status = 200, description = "Already mapped the same way", body = CodeMap),
        (status = 409, description = "Already mapped to another test", body = crate::api::error::Problem),
    ),
    security(("bearer" = []))
)]
#[post("/v1/code-maps")]
pub async fn create_code_map(
    state: web::Data<AppState>,
    caller: Caller,
    body: ValidJson<NewCodeMap>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&caller)?;
    let input = body.into_inner();
    let row = code_maps::CodeMapRow {
        clinic_id: caller.clinic.clone(),
        system: input.system.trim().to_owned(),
        code: input.code.trim().to_owned(),
        test: input.test.as_str().to_owned(),
        created_by: caller.sub.clone(),
        created_at: storage::now(),
    };
    let clinic = caller.clinic.clone();
    let (stored, created) = state
        .db(move |conn| {
            storage::write_transaction(conn, |conn| {
                clinics::ensure(conn, &clinic)?;
                let stored = code_maps::insert_or_get(conn, &row)?;
                let created =
                    stored.created_at == row.created_at && stored.created_by == row.created_by;
                Ok((stored, created))
            })
        })
        .await?;
    if stored.test != input.test.as_str() {
        return Err(ApiError::Conflict(format!(
            "{}|{} is already mapped to {}",
            stored.system, stored.code, stored.test
        )));
    }
    let mut response = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(response.json(CodeMap::from(stored)))
}
