//! The API's one error type, mapped to RFC 9457 problem+json in exactly one place. Server faults
//! are opaque to the caller: the cause chain goes to the log, never into the body.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

/// A problem with one field of the request.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FieldError {
    /// Path of the offending field, e.g. `pregnancies[2].gestational_age_weeks`.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("the request body is not valid JSON: {0}")]
    MalformedBody(String),
    #[error("the request is not valid")]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    BadRequest(String),
    #[error("authentication required: {0}")]
    Unauthorized(String),
    #[error("your role may not do this")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed(Vec<String>),
    #[error("{0}")]
    Conflict(String),
    /// The pregnancy was recorded already (same outcome, end within days); `existing_id` names the
    /// stored one, `field` the offending pregnancy of the request.
    #[error("{detail}")]
    DuplicatePregnancy {
        existing_id: Option<String>,
        field: String,
        detail: String,
    },
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    #[error("this Idempotency-Key was used before with a different request body")]
    IdempotencyKeyReused,
    #[error("the database is unavailable")]
    Unavailable(String),
    /// A deadlock, serialization failure or busy database: the unit of work runs the transaction
    /// again, and only answers this (503) when every attempt met one.
    #[error("the database is busy")]
    Contention(String),
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::new(field, message)])
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        ApiError::Internal(e.to_string())
    }

    /// Stable machine-readable code (`problem.code`).
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::MalformedBody(_) => "malformed_body",
            ApiError::Validation(_) => "validation_failed",
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden => "forbidden",
            ApiError::NotFound => "not_found",
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::Conflict(_) => "conflict",
            ApiError::DuplicatePregnancy { .. } => "duplicate_pregnancy",
            ApiError::PreconditionFailed(_) => "precondition_failed",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::IdempotencyKeyReused => "idempotency_key_reused",
            ApiError::Unavailable(_) => "service_unavailable",
            ApiError::Contention(_) => "contention",
            ApiError::Internal(_) => "internal_error",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            ApiError::MalformedBody(_) => "Malformed request body",
            ApiError::Validation(_) => "Validation failed",
            ApiError::BadRequest(_) => "Bad request",
            ApiError::Unauthorized(_) => "Unauthorized",
            ApiError::Forbidden => "Forbidden",
            ApiError::NotFound => "Not found",
            ApiError::MethodNotAllowed(_) => "Method not allowed",
            ApiError::Conflict(_) => "Conflict",
            ApiError::DuplicatePregnancy { .. } => "Pregnancy already recorded",
            ApiError::PreconditionFailed(_) => "Precondition failed",
            ApiError::PayloadTooLarge(_) => "Payload too large",
            ApiError::UnsupportedMediaType(_) => "Unsupported media type",
            ApiError::IdempotencyKeyReused => "Idempotency-Key reused",
            ApiError::Unavailable(_) => "Service unavailable",
            ApiError::Contention(_) => "Busy",
            ApiError::Internal(_) => "Internal server error",
        }
    }

    /// The problem details this error answers with (also stored by the lab feeds, which replay
    /// responses byte for byte).
    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        Problem {
            type_: format!("https://rpl-workup.dev/problems/{}", self.code()),
            title: self.title().to_owned(),
            status: status.as_u16(),
            detail: self.detail(),
            code: self.code().to_owned(),
            errors: match self {
                ApiError::Validation(errors) => errors.clone(),
                ApiError::DuplicatePregnancy { field, detail, .. } => {
                    vec![FieldError::new(field.clone(), detail.clone())]
                }
                _ => Vec::new(),
            },
            existing_pregnancy_id: match self {
                ApiError::DuplicatePregnancy { existing_id, .. } => existing_id.clone(),
                _ => None,
            },
        }
    }

    fn detail(&self) -> String {
        match self {
            ApiError::Validation(errors) if errors.len() == 1 => {
                format!("{}: {}", errors[0].field, errors[0].message)
            }
            ApiError::Validation(errors) => {
                format!("{} fields are not valid; see errors", errors.len())
            }
            ApiError::NotFound => "no such resource".to_owned(),
            ApiError::Unavailable(_) => "the database is unavailable; retry later".to_owned(),
            ApiError::Contention(_) => {
                "concurrent writes to the same records kept colliding; nothing was stored, retry"
                    .to_owned()
            }
            ApiError::Internal(_) => "an internal error occurred; it has been logged".to_owned(),
            other => other.to_string(),
        }
    }
}

/// RFC 9457 problem details, as every error response carries them.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable snake_case code: `validation_failed`, `not_found`, `conflict`, `unauthorized`,
    /// `forbidden`, `payload_too_large`, `unsupported_media_type`, `malformed_body`, …
    pub code: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// With `duplicate_pregnancy`: the id of the pregnancy already recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Uuid)]
    pub existing_pregnancy_id: Option<String>,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::MalformedBody(_) | ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Validation(_) | ApiError::IdempotencyKeyReused => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) | ApiError::DuplicatePregnancy { .. } => StatusCode::CONFLICT,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unavailable(_) | ApiError::Contention(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        match self {
            ApiError::Internal(cause)
            | ApiError::Unavailable(cause)
            | ApiError::Contention(cause) => {
                tracing::error!(code = self.code(), cause = %cause, "request failed");
            }
            _ => tracing::debug!(code = self.code(), "request rejected"),
        }
        let problem = self.problem();
        let mut response = HttpResponse::build(status);
        response.content_type("application/problem+json");
        match self {
            ApiError::Unauthorized(_) => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"rpl-workup\""));
            }
            ApiError::MethodNotAllowed(allowed) => {
                response.insert_header((header::ALLOW, allowed.join(", ")));
            }
            ApiError::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, "5"));
            }
            ApiError::Contention(_) => {
                response.insert_header((header::RETRY_AFTER, "1"));
            }
            _ => {}
        }
        response.json(problem)
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        if crate::storage::is_contention(&e) {
            return ApiError::Contention(format!("database: {e}"));
        }
        ApiError::Internal(format!("database: {e}"))
    }
}

impl From<crate::workup::unit_of_work::UnitOfWorkError> for ApiError {
    fn from(e: crate::workup::unit_of_work::UnitOfWorkError) -> Self {
        use crate::workup::unit_of_work::UnitOfWorkError as E;
        let cause = error_chain(&e);
        match e {
            E::NotReady | E::NoConnection(_) | E::Audit(_) => ApiError::Unavailable(cause),
            E::Contention { .. } => ApiError::Contention(cause),
            E::Database(db) => db.into(),
            E::Aborted => ApiError::Internal(cause),
        }
    }
}

impl crate::workup::unit_of_work::WorkError for ApiError {
    fn is_contention(&self) -> bool {
        matches!(self, ApiError::Contention(_))
    }
    fn is_pool_exhausted(&self) -> bool {
        matches!(self, ApiError::Unavailable(_))
    }
}

/// An error and its sources, outermost first: `audit trail: …: database is locked`.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl From<r2d2::Error> for ApiError {
    fn from(e: r2d2::Error) -> Self {
        ApiError::Unavailable(e.to_string())
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::Internal(e.to_string())
    }
}
