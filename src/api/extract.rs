//! Request extractors: the authenticated caller, the request id, and JSON bodies that are read
//! under a size limit, deserialized with the path of the offending field, and validated.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, ResponseError};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use super::error::{ApiError, FieldError};
use crate::auth::{AuthError, Authenticator, Caller, Role};
use crate::domain::text::{has_forbidden_control, CONTROL_CHARACTER};

/// The id of this request (echoed from `x-request-id`, or generated), set by the middleware.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

impl FromRequest for RequestId {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let id = req
            .extensions()
            .get::<RequestId>()
            .cloned()
            .unwrap_or_else(|| RequestId(uuid::Uuid::now_v7().to_string()));
        std::future::ready(Ok(id))
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(authenticate(req))
    }
}

fn authenticate(req: &HttpRequest) -> Result<Caller, ApiError> {
    let authenticator = req
        .app_data::<web::Data<Arc<Authenticator>>>()
        .ok_or_else(|| ApiError::internal("no authenticator configured"))?;
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or(AuthError::Missing)
        .map_err(|e| ApiError::Unauthorized(e.to_string()))?;
    let value = value
        .to_str()
        .map_err(|_| ApiError::Unauthorized("malformed Authorization header".to_owned()))?;
    let token = value
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .ok_or_else(|| ApiError::Unauthorized("expected 'Authorization: Bearer <token>'".into()))?;
    let caller = authenticator
        .verify(token)
        .map_err(|e| ApiError::Unauthorized(e.to_string()))?;
    req.extensions_mut().insert(caller.clone());
    Ok(caller)
}

/// Every request's path and query, screened once before routing: a control character in the
/// path names no resource (404); in a query parameter it is a 422 naming the parameter.
pub async fn screen_request<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    if let Some(refusal) = screen(&req) {
        let response = refusal.error_response();
        return Ok(req.into_response(response).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

fn screen(req: &ServiceRequest) -> Option<ApiError> {
    let path = percent_encoding::percent_decode_str(req.path()).decode_utf8_lossy();
    if has_forbidden_control(&path) {
        return Some(ApiError::NotFound);
    }
    let query = req.query_string();
    if query.is_empty() {
        return None;
    }
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    for (name, value) in &pairs {
        if has_forbidden_control(name) {
            return Some(ApiError::field("query", CONTROL_CHARACTER));
        }
        if has_forbidden_control(value) {
            return Some(ApiError::field(name.clone(), CONTROL_CHARACTER));
        }
    }
    None
}

/// Body size limits, from configuration.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    pub json: usize,
    pub bulk: usize,
}

/// Reads the whole body, refusing it (413) as soon as it passes `limit`.
pub async fn read_body(
    req: &HttpRequest,
    payload: &mut Payload,
    limit: usize,
) -> Result<web::Bytes, ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::PayloadTooLarge(limit));
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadRequest(format!("cannot read body: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Whether the request's media type is JSON (`application/json` or any `+json`).
pub fn is_json(req: &HttpRequest) -> bool {
    req.mime_type().ok().flatten().is_some_and(|m| {
        m.type_() == mime::APPLICATION
            && (m.subtype() == mime::JSON || m.suffix().is_some_and(|s| s == mime::JSON))
    })
}

/// Parses JSON strictly: not JSON, trailing data after the document, or the wrong kind of
/// document (an array where an object is expected) is a 400; a control character in any string
/// (with its path) or a field of the wrong type (naming the field) is a 422. Every string is put
/// in Unicode NFC before the handler sees it.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| ApiError::MalformedBody(e.to_string()))?;
    if !value.is_object() {
        // serde would read a struct from an array by position; every body here is an object.
        return Err(ApiError::MalformedBody(
            "the body must be a JSON object".to_owned(),
        ));
    }
    let problems = crate::ingest::text::clean_json_text(&mut value, "");
    if !problems.is_empty() {
        return Err(ApiError::Validation(
            problems
                .into_iter()
                .map(|p| FieldError::new(p.path, p.message))
                .collect(),
        ));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = plain_serde_message(&e.into_inner());
        if path == "." && message.starts_with("invalid type") {
            return ApiError::MalformedBody(format!(
                "the document is of the wrong kind: {message}"
            ));
        }
        let field = if path == "." { String::new() } else { path };
        ApiError::Validation(vec![FieldError::new(field, message)])
    })
}

/// serde's message in the caller's terms: no " at line 1 column 42" (meaningless next to a field
/// path), and JSON words instead of Rust type names (`u32`, `struct NewPatient`, `sequence`).
pub fn plain_serde_message(e: &serde_json::Error) -> String {
    let message = e.to_string();
    let message = match message.rfind(" at line ") {
        Some(i) => &message[..i],
        None => &message,
    };
    let Some((head, expected)) = message.split_once(", expected ") else {
        return message.to_owned();
    };
    let head = head
        .replace(": sequence", ": array")
        .replace(": map", ": object")
        .replace(": unit value", ": null");
    let word = expected.split_whitespace().next().unwrap_or("");
    let plain = match word {
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "a non-negative integer",
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "an integer",
        "f32" | "f64" => "a number",
        "bool" => "true or false",
        "struct" | "map" => "an object",
        "enum" => "one of the allowed values",
        "sequence" | "tuple" => "an array",
        "char" => "a single character",
        _ => return format!("{head}, expected {expected}"),
    };
    format!("{head}, expected {plain}")
}

/// The roles that may send a body to a path. The handlers check roles themselves; this only makes
/// sure a body is never read or judged (415, 400, 422) before a caller without the role is told 403.
fn body_roles(path: &str) -> Option<&'static [Role]> {
    const CLINICAL: &[Role] = &[Role::Clinician, Role::Admin];
    const ADMIN: &[Role] = &[Role::Admin];
    if path.starts_with("/v1/patients") {
        Some(CLINICAL)
    } else if ["/v1/clinic", "/v1/code-maps", "/v1/profiles"]
        .iter()
        .any(|p| path.starts_with(p))
    {
        Some(ADMIN)
    } else {
        None
    }
}

fn refuse_role_before_body(req: &HttpRequest) -> Result<(), ApiError> {
    let Some(roles) = body_roles(req.path()) else {
        return Ok(());
    };
    let caller = match req.extensions().get::<Caller>() {
        Some(caller) => caller.clone(),
        None => authenticate(req)?,
    };
    if roles.iter().any(|&r| caller.has(r)) {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// A JSON body that has been size-checked and deserialized (the domain checks its meaning).
pub struct JsonBody<T>(pub T);

impl<T> JsonBody<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            refuse_role_before_body(&req)?;
            if !is_json(&req) {
                return Err(ApiError::UnsupportedMediaType(
                    "send Content-Type: application/json".to_owned(),
                ));
            }
            let limit = req
                .app_data::<web::Data<BodyLimits>>()
                .map(|l| l.json)
                .unwrap_or(1024 * 1024);
            let bytes = read_body(&req, &mut payload, limit).await?;
            Ok(JsonBody(parse_json(&bytes)?))
        })
    }
}

/// A JSON body that has been size-checked, deserialized and validated.
pub struct ValidJson<T>(pub T);

impl<T> ValidJson<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for ValidJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = JsonBody::<T>::from_request(req, payload);
        Box::pin(async move {
            let value = body.await?.into_inner();
            value.validate().map_err(validation_error)?;
            Ok(ValidJson(value))
        })
    }
}

/// Turns validator's nested errors into one flat list of `a.b[2].c` paths.
pub fn validation_error(errors: ValidationErrors) -> ApiError {
    let mut out = Vec::new();
    flatten(&errors, String::new(), &mut out);
    out.sort_by(|a, b| a.field.cmp(&b.field));
    ApiError::Validation(out)
}

fn flatten(errors: &ValidationErrors, prefix: String, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    let message = e
                        .message
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| describe(e));
                    out.push(FieldError::new(path.clone(), message));
                }
            }
            ValidationErrorsKind::Struct(inner) => flatten(inner, path, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    flatten(inner, format!("{path}[{index}]"), out);
                }
            }
        }
    }
}

fn describe(e: &validator::ValidationError) -> String {
    let param = |name: &str| e.params.get(name).map(|v| v.to_string());
    match e.code.as_ref() {
        "length" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("length must be between {min} and {max}"),
            (Some(min), None) => format!("length must be at least {min}"),
            (None, Some(max)) => format!("length must be at most {max}"),
            _ => "has an invalid length".to_owned(),
        },
        "range" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            (Some(min), None) => format!("must be at least {min}"),
            (None, Some(max)) => format!("must be at most {max}"),
            _ => "is out of range".to_owned(),
        },
        code => format!("is not valid ({code})"),
    }
}
