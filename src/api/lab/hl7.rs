//! `POST /hl7/v2`: one HL7 v2.5.1 `ORU^R01` message, answered with an `ACK`.
//!
//! HTTP status: 200 for every ACK the message itself earns (`AA`, `AE`, `AR`), as HL7 over HTTP
//! usually does — the ACK code is the answer. Failures before the message is read still answer
//! with an `AR` ACK, under the HTTP status that says why: 401 (token), 403 (not a lab token),
//! 413 (over the bulk limit), 415 (media type), 503/500 (our side). Garbage is an `AR`, never 5xx.
//!
//! The message is one unit: an unknown MRN or any content error is an `AE` and nothing is stored
//! but the message log entry. A retry of an accepted message (same MSH-3, MSH-4, MSH-10, or the
//! same `Idempotency-Key`) gets the stored ACK again.
//!
//! A batch (`[FHS] BHS … BTS [FTS]`) is answered with a batch of ACKs in the same envelope, one per
//! message and in order; each message is its own unit (keyed, logged and stored on its own), so a
//! bad one leaves the others alone. The MLLP listener calls [`process_hl7`] too.

use actix_web::http::header;
use actix_web::{post, web, HttpRequest, HttpResponse, ResponseError};
use chrono::Utc;
use serde_json::json;

use super::feed::{key_reused_detail, run, Feed, Logged, Processed};
use super::log::{idempotency_key, MessageKey, Received, Reply};
use super::session::{detail, ClinicSettings, Locator, Session};
use super::{media_type, require_lab};
use crate::api::error::ApiError;
use crate::api::extract::{read_body, BodyLimits, RequestId};
use crate::api::state::AppState;
use crate::auth::Caller;
use crate::ingest::hl7v2::{
    batch_ack, build_ack, parse_oru, split_batch, AckCode, OruMessage, Rejection,
};
use crate::ingest::{FeedProblem, ProblemKind};
use crate::storage::AnyConnection;

/// Media types taken (and echoed on the reply).
const HL7_TYPES: [&str; 3] = [
    "x-application/hl7-v2+er7",
    "text/plain",
    "application/hl7-v2",
];

/// A fresh control id for an ACK (MSH-10, at most 20 characters).
pub fn ack_control_id() -> String {
    let id = uuid::Uuid::now_v7().simple().to_string();
    id[id.len() - 20..].to_owned()
}

/// An `AR` ACK that echoes no message (it could not be read), with one ERR.
pub fn reject_ack(kind: ProblemKind, message: &str) -> String {
    let problem = FeedProblem::error(kind, "", message);
    build_ack(
        None,
        AckCode::Reject,
        &[problem],
        &ack_control_id(),
        Utc::now(),
    )
}

/// An API-level failure as an `AR` ACK under the same HTTP status.
pub fn hl7_error(e: &ApiError, content_type: &str) -> HttpResponse {
    let status = e.status_code();
    if status.is_server_error() {
        let _ = e.error_response(); // logs the cause
    }
    let kind = match status.as_u16() {
        413 | 415 | 422 => ProblemKind::NotSupported,
        400 => ProblemKind::Structure,
        _ => ProblemKind::Required,
    };
    let mut response = HttpResponse::build(status);
    response.content_type(content_type);
    if status.as_u16() == 401 {
        response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"rpl-workup\""));
    }
    response.body(reject_ack(kind, &e.problem().detail))
}

/// Post an HL7 v2 ORU^R01 message (lab role); the answer is an ACK.
///
/// `AA` accepted (unmapped codes as `ERR` severity `W`), `AE` content errors or unknown MRN
/// (nothing stored; ERR-2 locates the problem, e.g. `PID^1^3`), `AR` not an acceptable message.
/// MSA-2 echoes MSH-10. HTTP 200 for all three; see the module docs for the other statuses.
/// A batch (`FHS`/`BHS` … `BTS`/`FTS`) gets a batch of ACKs, one per message, each message taken
/// on its own (an `Idempotency-Key` on a batch is a 400: batches are keyed per message).
#[utoipa::path(
    tag = "lab",
    request_body(content = String, content_type = "x-application/hl7-v2+er7", description = "One ORU^R01 message, or a batch of them (also text/plain)"),
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first ACK to a retry (MSH-3|MSH-4|MSH-10 does so too)")),
    responses(
        (status = 200, description = "An ACK: AA, AE or AR (a batch: a batch of ACKs)", body = String, content_type = "x-application/hl7-v2+er7"),
        (status = 400, description = "Idempotency-Key sent with a batch (an AR ACK)", body = String, content_type = "x-application/hl7-v2+er7"),
        (status = 401, description = "No or bad token (an AR ACK)", body = String, content_type = "x-application/hl7-v2+er7"),
        (status = 403, description = "Not a lab token (an AR ACK)", body = String, content_type = "x-application/hl7-v2+er7"),
        (status = 413, description = "Over the bulk limit (an AR ACK)", body = String, content_type = "x-application/hl7-v2+er7"),
        (status = 415, description = "Not an HL7 media type (an AR ACK)", body = String, content_type = "x-application/hl7-v2+er7"),
    ),
    security(("bearer" = []))
)]
#[post("/hl7/v2")]
pub async fn post_hl7_message(
    state: web::Data<AppState>,
    limits: web::Data<BodyLimits>,
    caller: Result<Caller, ApiError>,
    request_id: RequestId,
    req: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let media = media_type(&req);
    let reply_type = if HL7_TYPES.contains(&media.as_str()) {
        media.clone()
    } else {
        HL7_TYPES[0].to_owned()
    };
    let outcome = async {
        let caller = caller?;
        require_lab(&caller)?;
        if !HL7_TYPES.contains(&media.as_str()) {
            return Err(ApiError::UnsupportedMediaType(
                "send Content-Type: x-application/hl7-v2+er7 or text/plain".to_owned(),
            ));
        }
        let key = idempotency_key(req.headers()).map_err(ApiError::BadRequest)?;
        let mut payload = payload.into_inner();
        let bytes = read_body(&req, &mut payload, limits.bulk).await?;
        let (reply, replayed) =
            process_hl7(&state, caller, request_id, &reply_type, key, bytes.to_vec()).await?;
        Ok(reply.to_http(replayed))
    }
    .await;
    outcome.unwrap_or_else(|e| hl7_error(&e, &reply_type))
}

/// A hash of the message as the sender means it: segments joined by CR, MSH-7 (the time of the
/// message, restamped on a resend) left out.
fn content_hash(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let text = String::from_utf8_lossy(bytes);
    let mut hash = Sha256::new();
    for segment in text.split(['\r', '\n']).filter(|s| !s.trim().is_empty()) {
        if segment.starts_with("MSH") {
            let mut fields: Vec<&str> = segment.split('|').collect();
            if let Some(time) = fields.get_mut(6) {
                *time = "";
            }
            hash.update(fields.join("|").as_bytes());
        } else {
            hash.update(segment.as_bytes());
        }
        hash.update(b"\r");
    }
    hex::encode(hash.finalize())
}

/// One HL7 v2 message — or an `FHS`/`BHS` batch of them — from an authenticated lab caller,
/// answered with its ACK (a batch: a batch of ACKs, one per message, each message its own unit).
/// The one seam `POST /hl7/v2` and the MLLP listener share; `true` when the ACK is a replay.
pub async fn process_hl7(
    state: &AppState,
    caller: Caller,
    request_id: RequestId,
    reply_type: &str,
    key: Option<MessageKey>,
    bytes: Vec<u8>,
) -> Result<(Reply, bool), ApiError> {
    if let Some(batch) = split_batch(&bytes) {
        if key.is_some() {
            return Err(ApiError::BadRequest(
                "Idempotency-Key names one message; a batch is keyed per message by MSH-3|MSH-4|MSH-10"
                    .to_owned(),
            ));
        }
        let mut acks = Vec::with_capacity(batch.messages.len());
        for message in &batch.messages {
            let (reply, _) = run(
                state,
                caller.clone(),
                request_id.clone(),
                Hl7Feed::new(reply_type),
                reply_type.to_owned(),
                None,
                message.clone().into_bytes(),
            )
            .await?;
            acks.push(reply.body);
        }
        let body = batch_ack(&batch, &acks, &ack_control_id(), Utc::now());
        return Ok((Reply::new(200, reply_type, body), false));
    }
    let feed = Hl7Feed::new(reply_type);
    run(
        state,
        caller,
        request_id,
        feed,
        reply_type.to_owned(),
        key,
        bytes,
    )
    .await
}

/// One HL7 v2 message as a [`Feed`]: keyed by MSH-3|MSH-4|MSH-10 when the client sent no key.
struct Hl7Feed {
    reply_type: String,
}

/// A message as read: parsed (or its rejection), and the hash its own key is claimed with.
struct Hl7Message {
    parsed: Result<OruMessage, Box<Rejection>>,
    content: String,
}

impl Hl7Feed {
    fn new(reply_type: &str) -> Self {
        Self {
            reply_type: reply_type.to_owned(),
        }
    }

    fn answer(&self, ack: String) -> Reply {
        Reply::new(200, &self.reply_type, ack)
    }
}

impl Feed for Hl7Feed {
    const NAME: &'static str = "hl7v2";
    type Message = Hl7Message;

    fn read(&self, clinic: &ClinicSettings, bytes: &[u8]) -> Hl7Message {
        Hl7Message {
            parsed: parse_oru(bytes, &|s, c| clinic.resolve(s, c)),
            content: content_hash(bytes),
        }
    }

    fn own_key(&self, message: &Hl7Message, _: &[u8]) -> Option<MessageKey> {
        let k = message.parsed.as_ref().ok()?.header.key();
        Some(MessageKey::Message {
            key: format!(
                "{}|{}|{}",
                k.sending_application, k.sending_facility, k.control_id
            ),
            content: message.content.clone(),
        })
    }

    fn key_reused(&self, message: &Hl7Message, key: &MessageKey) -> (Reply, serde_json::Value) {
        if let MessageKey::Client(_) = key {
            let ack = reject_ack(
                ProblemKind::NotSupported,
                "Idempotency-Key reused with another message",
            );
            return (self.answer(ack), key_reused_detail());
        }
        let header = message.parsed.as_ref().ok().map(|m| &m.header);
        let problem = FeedProblem::error(
            ProblemKind::DuplicateKey,
            "MSH^1^10",
            "this lab sent another message under the same MSH-3, MSH-4 and MSH-10 before; \
             nothing was stored: send it under a new message control id",
        );
        let ack = build_ack(
            header,
            AckCode::Error,
            &[problem],
            &ack_control_id(),
            Utc::now(),
        );
        let why =
            json!({"ack": "AE", "problems": ["message control id reused with another message"]});
        (self.answer(ack), why)
    }

    fn process(
        &self,
        conn: &mut AnyConnection,
        session: &mut Session<'_>,
        _: &Received,
        message: &Hl7Message,
    ) -> Result<Processed, ApiError> {
        let now = Utc::now();
        let message = match &message.parsed {
            Ok(m) => m,
            Err(rejection) => {
                let why = json!({"ack": rejection.code.as_str(), "problems": rejection.problems});
                let ack = rejection.ack(&ack_control_id(), now);
                return Ok((self.answer(ack), Logged::Rejected, why));
            }
        };
        session.find_patients(conn, &message.results)?;
        let mut problems = Vec::new();
        let mut checked = Vec::with_capacity(message.results.len());
        for r in &message.results {
            let at = Locator {
                mrn: message
                    .patients
                    .iter()
                    .find(|p| p.mrn == r.mrn)
                    .map_or_else(|| "PID^1^3".to_owned(), |p| p.location.clone()),
                collected: "OBX^1^14".to_owned(),
                subject: "OBX^1^3".to_owned(),
            };
            match session.check(conn, r, &at, false)? {
                Ok(p) => checked.push((p, r)),
                Err(mut p) => problems.append(&mut p),
            }
        }
        problems.dedup();
        if !problems.is_empty() {
            session.reject(message.results.len());
            let ack = build_ack(
                Some(&message.header),
                AckCode::Error,
                &problems,
                &ack_control_id(),
                now,
            );
            let why = json!({"ack": "AE", "problems": problems});
            return Ok((self.answer(ack), Logged::Rejected, why));
        }
        let checked: Vec<_> = checked.iter().map(|(p, r)| (p, *r)).collect();
        let outcomes = session.store(conn, &checked)?;
        let pairs: Vec<_> = message.results.iter().zip(outcomes.iter()).collect();
        let why = detail(&pairs, &message.warnings, &session.tally);
        let ack = message.ack(&ack_control_id(), now);
        Ok((self.answer(ack), Logged::Accepted, why))
    }
}
