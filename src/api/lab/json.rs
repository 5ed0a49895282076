//! `POST /v1/lab/results`: results for one patient by MRN, in our own JSON. One request is one
//! unit: any invalid result or an unknown MRN refuses all of it (422, nothing stored but the
//! message log entry).

use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use validator::Validate;

use super::feed::{key_reused_detail, run, Feed, Logged, Processed};
use super::log::{idempotency_key, MessageKey, Received, Reply};
use super::session::{detail, ClinicSettings, IngestOutcome, ItemOutcome, Locator, Session, Tally};
use super::{media_type, require_lab};
use crate::api::error::{ApiError, FieldError};
use crate::api::extract::{
    is_json, parse_json, read_body, validation_error, BodyLimits, RequestId,
};
use crate::api::state::AppState;
use crate::auth::Caller;
use crate::domain::ids::ResultId;
use crate::ingest::json::LabResultsRequest;
use crate::ingest::{FeedProblem, IncomingResult, ProblemKind};
use crate::storage::AnyConnection;

/// What became of one posted result.
#[derive(Debug, Serialize, ToSchema)]
pub struct LabResultOutcome {
    /// The lab's accession, as posted.
    pub accession: String,
    /// The catalogue test (absent when unmapped).
    pub test: Option<String>,
    /// `created` (a new result), `versioned` (a new version of a known accession), `unchanged`
    /// (a retry of a version already stored) or `unmapped` (no catalogue test: kept in the message
    /// log only, and counted).
    pub outcome: IngestOutcome,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub result_id: Option<ResultId>,
    /// The version this report is stored as.
    pub version: Option<i32>,
    /// For an unmapped result, the lab's code (`system|code`).
    pub code: Option<String>,
}

/// The answer to a lab's post.
#[derive(Debug, Serialize, ToSchema)]
pub struct LabResultsResponse {
    /// The id of the stored message (the raw request, kept for audit and replay).
    #[schema(format = Uuid)]
    pub message_id: String,
    pub counts: Tally,
    /// One entry per posted result, in order.
    pub results: Vec<LabResultOutcome>,
    /// Accepted, but worth knowing (unmapped codes).
    pub warnings: Vec<FieldError>,
}

/// Post results for a patient by MRN (lab role).
///
/// The same `accession` again is the same result: an identical report changes nothing
/// (`unchanged`), a changed one (e.g. status `corrected`) is a new version. With an
/// `Idempotency-Key` header a retry gets the first response again, byte for byte; the same key
/// with another body is refused (422 `idempotency_key_reused`). An unknown MRN is a 422 and
/// nothing is stored.
#[utoipa::path(
    tag = "lab",
    request_body = LabResultsRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to a retry (1–255 visible ASCII characters)")),
    responses(
        (status = 201, description = "At least one result or version was stored", body = LabResultsResponse),
        (status = 200, description = "Nothing new: every result was already stored, or unmapped", body = LabResultsResponse),
        (status = 400, description = "Not JSON, or a bad Idempotency-Key", body = crate::api::error::Problem),
        (status = 403, description = "Not a lab token", body = crate::api::error::Problem),
        (status = 413, description = "Body over the JSON limit", body = crate::api::error::Problem),
        (status = 415, description = "Not application/json", body = crate::api::error::Problem),
        (status = 422, description = "Invalid result(s), unknown MRN, or a reused Idempotency-Key", body = crate::api::error::Problem),
    ),
    security(("bearer" = []))
)]
#[post("/v1/lab/results")]
pub async fn post_lab_results(
    state: web::Data<AppState>,
    limits: web::Data<BodyLimits>,
    caller: Caller,
    request_id: RequestId,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    require_lab(&caller)?;
    if !is_json(&req) {
        return Err(ApiError::UnsupportedMediaType(
            "send Content-Type: application/json".to_owned(),
        ));
    }
    let key = idempotency_key(req.headers()).map_err(ApiError::BadRequest)?;
    let mut payload = payload.into_inner();
    let bytes = read_body(&req, &mut payload, limits.json).await?;
    let content_type = media_type(&req);
    let (reply, replayed) = run(
        &state,
        caller,
        request_id,
        JsonFeed,
        content_type,
        key,
        bytes.to_vec(),
    )
    .await?;
    Ok(reply.to_http(replayed))
}

/// `POST /v1/lab/results` as a [`Feed`].
struct JsonFeed;

/// A JSON post as read: its results, or its refusal (and how many results it refused).
enum JsonMessage {
    Results(Vec<IncomingResult>),
    Refused(Processed, usize),
}

fn refuse(e: ApiError, problems: serde_json::Value) -> Processed {
    (
        Reply::problem(&e),
        Logged::Rejected,
        json!({ "problems": problems }),
    )
}

fn field_errors(problems: &[FeedProblem]) -> Vec<FieldError> {
    problems
        .iter()
        .filter(|p| p.is_error())
        .map(|p| FieldError::new(p.location.clone(), p.message.clone()))
        .collect()
}

impl Feed for JsonFeed {
    const NAME: &'static str = "json";
    type Message = JsonMessage;

    fn read(&self, clinic: &ClinicSettings, bytes: &[u8]) -> JsonMessage {
        let request: LabResultsRequest = match parse_json(bytes) {
            Ok(r) => r,
            Err(e) => {
                let why = json!(e.to_string());
                return JsonMessage::Refused(refuse(e, why), 0);
            }
        };
        if let Err(errors) = request.validate() {
            let e = validation_error(errors);
            let why = json!(e.problem().errors);
            return JsonMessage::Refused(refuse(e, why), 0);
        }
        let count = request.results.len();
        match request.into_incoming() {
            Ok(parsed) => {
                let mut results = parsed.results;
                for r in &mut results {
                    clinic.remap(r);
                }
                JsonMessage::Results(results)
            }
            Err(problems) => {
                let why = serde_json::to_value(&problems).unwrap_or_default();
                let e = ApiError::Validation(field_errors(&problems));
                JsonMessage::Refused(refuse(e, why), count)
            }
        }
    }

    fn key_reused(&self, _: &JsonMessage, _: &MessageKey) -> (Reply, serde_json::Value) {
        (
            Reply::problem(&ApiError::IdempotencyKeyReused),
            key_reused_detail(),
        )
    }

    fn process(
        &self,
        conn: &mut AnyConnection,
        session: &mut Session<'_>,
        received: &Received,
        message: &JsonMessage,
    ) -> Result<Processed, ApiError> {
        let results = match message {
            JsonMessage::Results(results) => results,
            JsonMessage::Refused(refusal, count) => {
                session.reject(*count);
                return Ok(refusal.clone());
            }
        };
        process(conn, session, received, results)
    }
}

fn process(
    conn: &mut AnyConnection,
    session: &mut Session<'_>,
    received: &Received,
    results: &[IncomingResult],
) -> Result<Processed, ApiError> {
    let mut problems = Vec::new();
    let mut patient = None;
    session.find_patients(conn, results)?;
    for (i, r) in results.iter().enumerate() {
        let at = Locator {
            mrn: "mrn".to_owned(),
            collected: format!("results[{i}].collected_on"),
            subject: format!("results[{i}].subject"),
        };
        match session.check(conn, r, &at, false)? {
            Ok(p) => patient = Some(p),
            Err(mut p) => problems.append(&mut p),
        }
    }
    problems.dedup();
    let patient = match patient {
        Some(p) if problems.is_empty() => p,
        _ => {
            session.reject(results.len());
            let why = serde_json::to_value(&problems).unwrap_or_default();
            return Ok(refuse(ApiError::Validation(field_errors(&problems)), why));
        }
    };
    let checked: Vec<_> = results.iter().map(|r| (&patient, r)).collect();
    let outcomes = session.store(conn, &checked)?;
    let warnings: Vec<FeedProblem> = results
        .iter()
        .enumerate()
        .filter(|(_, r)| r.test.is_none())
        .map(|(i, r)| {
            FeedProblem::warning(
                ProblemKind::Unmapped,
                format!("results[{i}]"),
                format!(
                    "{} maps to no catalogue test: kept in the message log, not on the checklist",
                    r.code_label()
                ),
            )
        })
        .collect();
    let response = LabResultsResponse {
        message_id: received.id().to_string(),
        counts: session.tally.clone(),
        results: results
            .iter()
            .zip(&outcomes)
            .map(|(r, o)| LabResultOutcome {
                accession: r.accession.clone(),
                test: r.test.map(|t| t.as_str().to_owned()),
                outcome: o.outcome(),
                result_id: o.stored().map(|(id, _)| id),
                version: o.stored().map(|(_, v)| v),
                code: r.test.is_none().then(|| r.code_label()),
            })
            .collect(),
        warnings: warnings
            .iter()
            .map(|w| FieldError::new(w.location.clone(), w.message.clone()))
            .collect(),
    };
    let status = if outcomes.iter().any(ItemOutcome::wrote) {
        201
    } else {
        200
    };
    let pairs: Vec<_> = results.iter().zip(outcomes.iter()).collect();
    let detail = detail(&pairs, &warnings, &session.tally);
    Ok((
        Reply::json(status, "application/json", &response),
        Logged::Accepted,
        detail,
    ))
}
