//! `Idempotency-Key` on the clinician POSTs (patients, pregnancies, results and their versions,
//! reviews, early-workup requests): the key belongs to (clinic, caller `sub`); a retry with the
//! same request gets the first response again (`Idempotent-Replayed: true`), the same key with
//! another request is a 422 `idempotency_key_reused`. The key is claimed and the response stored
//! in the request's one transaction, so a concurrent retry waits for the first and replays it.

use std::future::{ready, Ready};

use actix_web::{dev::Payload, FromRequest, HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

use super::audit_trail::Access;
use super::error::ApiError;
use super::extract::RequestId;
use super::state::AppState;
use super::unit_of_work::writing;
use crate::auth::Caller;
use crate::storage::idempotency::{self, IdempotencyRow};
use crate::storage::{self, AnyConnection};

/// The optional `Idempotency-Key` header: 1–255 visible ASCII characters, else 400.
#[derive(Debug, Clone, Default)]
pub struct IdempotencyKey(pub Option<String>);

impl FromRequest for IdempotencyKey {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(value) = req.headers().get("idempotency-key") else {
            return ready(Ok(Self(None)));
        };
        let key = value
            .to_str()
            .ok()
            .map(str::trim)
            .filter(|k| !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic()))
            .map(|k| Self(Some(k.to_owned())))
            .ok_or_else(|| {
                ApiError::BadRequest(
                    "Idempotency-Key must be 1 to 255 visible ASCII characters".to_owned(),
                )
            });
        ready(key)
    }
}

impl IdempotencyKey {
    /// The key with what identifies the request (path ids and the parsed body): its hash tells
    /// a retry from a reuse of the key.
    pub fn for_request(self, request: &impl std::fmt::Debug) -> Keyed {
        Keyed {
            key: self.0,
            hash: hex::encode(Sha256::digest(format!("{request:?}").as_bytes())),
        }
    }
}

/// A key and the hash of the request it came with.
#[derive(Debug, Clone)]
pub struct Keyed {
    key: Option<String>,
    hash: String,
}

/// A response as it is stored for replay: status, `Location` and a JSON body.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

impl Recorded {
    /// `201 Created` with a `Location`.
    pub fn created(location: String, body: &impl serde::Serialize) -> Self {
        Self {
            status: 201,
            location: Some(location),
            body: serde_json::to_string(body).unwrap_or_else(|_| "{}".to_owned()),
        }
    }

    /// `201 Created` without a `Location`.
    pub fn created_here(body: &impl serde::Serialize) -> Self {
        Self {
            status: 201,
            location: None,
            body: serde_json::to_string(body).unwrap_or_else(|_| "{}".to_owned()),
        }
    }

    fn to_http(&self, replayed: bool) -> HttpResponse {
        let status = actix_web::http::StatusCode::from_u16(self.status)
            .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = HttpResponse::build(status);
        response.content_type("application/json");
        if let Some(location) = &self.location {
            response.insert_header(("Location", location.as_str()));
        }
        if replayed {
            response.insert_header(("Idempotent-Replayed", "true"));
        }
        // The body is the resource's JSON, so its tag is the one a later GET answers.
        response.insert_header((
            actix_web::http::header::ETAG,
            super::etag::etag_of_json(self.body.as_bytes()),
        ));
        response.body(self.body.clone())
    }
}

/// A write as [`writing`] runs it, answered with `respond(&value)`; with a key, the answer is
/// stored, and a retry replays it.
pub async fn idempotent<T, F, R, I>(
    state: &AppState,
    caller: Caller,
    request_id: RequestId,
    keyed: Keyed,
    lock: I,
    f: F,
    respond: R,
) -> Result<HttpResponse, ApiError>
where
    F: Fn(&mut AnyConnection, &Caller) -> Result<(T, Vec<Access>), ApiError>
        + Send
        + Sync
        + 'static,
    R: Fn(&T) -> Recorded + Send + Sync + 'static,
    T: Send + 'static,
    I: IntoIterator,
    I::Item: Into<crate::domain::ids::PatientId>,
{
    let Keyed { key, hash } = keyed;
    let (recorded, replayed) = writing(state, caller, request_id, lock, move |conn, caller| {
        let claim = match &key {
            Some(key) => {
                let row = IdempotencyRow {
                    clinic_id: caller.clinic.clone(),
                    caller: caller.sub.clone(),
                    idempotency_key: key.clone(),
                    request_hash: hash.clone(),
                    response_status: 0,
                    response_location: None,
                    response_body: String::new(),
                    created_at: storage::now(),
                };
                match idempotency::claim(conn, &row)? {
                    Some(earlier) if earlier.request_hash != hash => {
                        return Err(ApiError::IdempotencyKeyReused)
                    }
                    Some(earlier) => {
                        let recorded = Recorded {
                            status: u16::try_from(earlier.response_status).unwrap_or(500),
                            location: earlier.response_location,
                            body: earlier.response_body,
                        };
                        return Ok(((recorded, true), Vec::new()));
                    }
                    None => Some(row),
                }
            }
            None => None,
        };
        let (value, accesses) = f(conn, caller)?;
        let recorded = respond(&value);
        if let Some(row) = claim {
            idempotency::complete(
                conn,
                &row,
                i32::from(recorded.status),
                recorded.location.as_deref(),
                &recorded.body,
            )?;
        }
        Ok(((recorded, false), accesses))
    })
    .await?;
    Ok(recorded.to_http(replayed))
}
