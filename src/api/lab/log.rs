//! The message log around one request: claim the message key (a retry replays the first response),
//! then record the message, its outcome and its response in the same transaction as its results.
//! A rejected message is kept too, but gives its key back, so a corrected retry is processed.

use actix_web::http::header::HeaderMap;
use actix_web::HttpResponse;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::feed::Logged;
use crate::api::error::ApiError;
use crate::auth::Caller;
use crate::domain::ids::LabMessageId;
use crate::storage::lab::{self, LabMessageRow};
use crate::storage::{self, AnyConnection};

/// The response a message got, as stored for replay.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: String,
    /// A `Location` header (FHIR create), kept in the message's detail so a replay carries it.
    pub location: Option<String>,
}

impl Reply {
    pub fn new(status: u16, content_type: &str, body: String) -> Self {
        Self {
            status,
            content_type: content_type.to_owned(),
            body,
            location: None,
        }
    }

    /// Adds `Location: Observation/{id}/_history/{version}` (and the matching `ETag`).
    pub fn with_location(mut self, id: impl std::fmt::Display, version: i32) -> Self {
        self.location = Some(format!("Observation/{id}/_history/{version}"));
        self
    }

    pub fn json(status: u16, content_type: &str, body: &impl serde::Serialize) -> Self {
        let body = serde_json::to_string(body).unwrap_or_else(|_| "{}".to_owned());
        Self::new(status, content_type, body)
    }

    /// An API error as problem+json (the JSON feed).
    pub fn problem(e: &ApiError) -> Self {
        let problem = e.problem();
        Self::json(problem.status, "application/problem+json", &problem)
    }

    pub fn to_http(&self, replayed: bool) -> HttpResponse {
        let status = actix_web::http::StatusCode::from_u16(self.status)
            .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = HttpResponse::build(status);
        response.content_type(self.content_type.as_str());
        if replayed {
            response.insert_header(("Idempotent-Replayed", "true"));
        }
        if let Some(location) = &self.location {
            response.insert_header(("Location", location.as_str()));
            if let Some(version) = location.rsplit('/').next() {
                response.insert_header(("ETag", format!("W/\"{version}\"")));
            }
        }
        response.body(self.body.clone())
    }
}

/// How the message is keyed for replay.
#[derive(Debug, Clone)]
pub enum MessageKey {
    /// The client's `Idempotency-Key`: the same key with another body is refused.
    Client(String),
    /// The message's own identity (HL7 MSH-3|MSH-4|MSH-10) and a hash of its content without
    /// MSH-7 (senders restamp it on a resend): a resend is answered with the stored reply; the
    /// same identity on another message is refused.
    Message { key: String, content: String },
}

impl MessageKey {
    fn stored(&self) -> String {
        match self {
            MessageKey::Client(k) => format!("idempotency-key:{k}"),
            MessageKey::Message { key, .. } => format!("msh:{key}"),
        }
    }
}

/// The `Idempotency-Key` header: 1–255 visible ASCII characters.
pub fn idempotency_key(headers: &HeaderMap) -> Result<Option<MessageKey>, String> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or("Idempotency-Key must be 1 to 255 visible ASCII characters")?;
    Ok(Some(MessageKey::Client(key.to_owned())))
}

/// What was received, ready to be logged.
pub struct Received {
    row: LabMessageRow,
    key: Option<MessageKey>,
    claimed: bool,
}

/// What claiming the key found.
pub enum Claim {
    /// Process the message.
    Fresh,
    /// A retry: answer with the first reply.
    Replay(Reply),
    /// The key was used by the same lab with another body (another message, for HL7 ids).
    KeyReused,
}

impl Received {
    pub fn new(feed: &'static str, caller: &Caller, content_type: &str, body: &[u8]) -> Self {
        let raw = body;
        let (content_type, body) = stored_body(content_type, body);
        Self {
            row: LabMessageRow {
                id: LabMessageId::new(),
                clinic_id: caller.clinic.clone(),
                feed: feed.to_owned(),
                message_key: None,
                request_hash: hex::encode(Sha256::digest(raw)),
                received_by: caller.sub.clone(),
                received_at: storage::now(),
                content_type,
                body,
                outcome: "processing".to_owned(),
                detail: None,
                response_status: None,
                response_content_type: None,
                response_body: None,
            },
            key: None,
            claimed: false,
        }
    }

    /// The message log id.
    pub fn id(&self) -> LabMessageId {
        self.row.id
    }

    /// Takes the key (`None`: nothing to claim). Concurrent holders of the same key wait for the
    /// first one's transaction, then replay what it stored.
    pub fn claim(
        &mut self,
        conn: &mut AnyConnection,
        key: Option<MessageKey>,
    ) -> Result<Claim, ApiError> {
        let Some(key) = key else {
            return Ok(Claim::Fresh);
        };
        self.row.message_key = Some(key.stored());
        if let MessageKey::Message { content, .. } = &key {
            self.row.request_hash.clone_from(content);
        }
        let earlier = lab::claim(conn, &self.row)?;
        self.key = Some(key.clone());
        let Some(earlier) = earlier else {
            self.claimed = true;
            return Ok(Claim::Fresh);
        };
        if earlier.request_hash != self.row.request_hash {
            return Ok(Claim::KeyReused);
        }
        match (
            earlier.response_status,
            earlier.response_content_type,
            earlier.response_body,
        ) {
            (Some(status), Some(content_type), Some(body)) => Ok(Claim::Replay(Reply {
                status: u16::try_from(status).unwrap_or(500),
                content_type,
                body,
                location: earlier
                    .detail
                    .as_deref()
                    .and_then(|d| serde_json::from_str::<Value>(d).ok())
                    .and_then(|d| d.get("location")?.as_str().map(str::to_owned)),
            })),
            _ => Err(ApiError::internal("a claimed lab message has no reply")),
        }
    }

    /// Records the message with its outcome (`accepted`, `partial`, `rejected`) and reply. A
    /// rejected message keeps no key.
    pub fn finish(
        mut self,
        conn: &mut AnyConnection,
        outcome: Logged,
        detail: &Value,
        reply: &Reply,
    ) -> Result<(), ApiError> {
        let mut detail = detail.clone();
        if let (Some(location), Some(map)) = (&reply.location, detail.as_object_mut()) {
            map.insert("location".to_owned(), Value::String(location.clone()));
        }
        let detail = detail.to_string();
        let status = i32::from(reply.status);
        if self.claimed {
            lab::complete(
                conn,
                self.row.id,
                outcome.as_str(),
                Some(&detail),
                status,
                &reply.content_type,
                &reply.body,
            )?;
            if outcome == Logged::Rejected {
                lab::release_key(conn, self.row.id)?;
            }
            return Ok(());
        }
        self.row.message_key = None;
        self.row.outcome = outcome.as_str().to_owned();
        self.row.detail = Some(detail);
        self.row.response_status = Some(status);
        self.row.response_content_type = Some(reply.content_type.clone());
        self.row.response_body = Some(reply.body.clone());
        lab::insert(conn, &self.row)?;
        Ok(())
    }
}

/// The body as stored: as text when it is UTF-8 without NUL (PostgreSQL text takes no NUL), else
/// base64, marked by `; rpl-stored=base64` on the stored content type. Nothing is lost either way.
fn stored_body(content_type: &str, body: &[u8]) -> (String, String) {
    match std::str::from_utf8(body) {
        Ok(text) if !text.contains('\0') => (content_type.to_owned(), text.to_owned()),
        _ => {
            use base64::Engine;
            (
                format!("{content_type}; rpl-stored=base64"),
                base64::engine::general_purpose::STANDARD.encode(body),
            )
        }
    }
}
