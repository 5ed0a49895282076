//! `POST /fhir/r4/Observation` and `POST /fhir/r4` (a `transaction` or `batch` Bundle of
//! Observations). Every error, authentication and size included, is a FHIR `OperationOutcome`
//! (`application/fhir+json`), never problem+json.
//!
//! Statuses: a new result or version 201 (Observation) / `201 Created` (entry); a retry of a stored
//! version 200 / `200 OK`; an unmapped code 200 with a warning (kept in the message log only);
//! not JSON or not the right resource 400; invalid content or an unknown MRN 422 (a transaction
//! with any failed entry is refused whole with every problem listed; a batch answers per entry).

use actix_web::http::header;
use actix_web::{post, web, HttpRequest, HttpResponse, ResponseError};
use serde_json::json;

use super::feed::{key_reused_detail, run, Feed, Logged, Processed};
use super::log::{idempotency_key, MessageKey, Received, Reply};
use super::session::{detail, ClinicSettings, ItemOutcome, Locator, Session};
use super::{media_type, require_lab};
use crate::api::error::ApiError;
use crate::api::extract::{read_body, BodyLimits, RequestId};
use crate::api::state::AppState;
use crate::auth::Caller;
use crate::ingest::fhir::{
    parse_bundle, parse_observation, response_bundle, BundleKind, EntryResponse, OperationOutcome,
    OutcomeIssue, ParsedBundle, ParsedObservation,
};
use crate::ingest::{Canon, FeedProblem, IncomingResult};
use crate::storage::patients::PatientRow;
use crate::storage::AnyConnection;

const FHIR_JSON: &str = "application/fhir+json";

/// An API-level failure (authentication, role, not found, validation, size, media type, database)
/// as an OperationOutcome with the same HTTP status; every FHIR endpoint answers errors with it.
pub fn fhir_error(e: &ApiError) -> HttpResponse {
    let status = e.status_code();
    let code = match status.as_u16() {
        401 => "login",
        403 => "forbidden",
        413 => "too-costly",
        404 => "not-found",
        415 => "not-supported",
        422 if matches!(e, ApiError::Validation(_)) => "invalid",
        422 => "conflict",
        503 => "transient",
        400 => "invalid",
        _ => "exception",
    };
    if status.is_server_error() {
        // Logs the cause; the body below says nothing about internals.
        let _ = e.error_response();
    }
    let outcome = OperationOutcome {
        resource_type: "OperationOutcome".to_owned(),
        issue: vec![OutcomeIssue {
            severity: if status.is_server_error() {
                "fatal"
            } else {
                "error"
            }
            .to_owned(),
            code: code.to_owned(),
            diagnostics: Some(e.problem().detail),
            expression: match e {
                ApiError::Validation(errors) => errors.iter().map(|f| f.field.clone()).collect(),
                _ => Vec::new(),
            },
        }],
    };
    let mut response = HttpResponse::build(status);
    response.content_type(FHIR_JSON);
    if status.as_u16() == 401 {
        response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"rpl-workup\""));
    }
    response.json(outcome)
}

fn outcome_reply(status: u16, problems: &[FeedProblem]) -> Reply {
    Reply::json(
        status,
        FHIR_JSON,
        &OperationOutcome::from_problems(problems),
    )
}

/// 400 when the body is not the right JSON resource at all, else 422.
fn refusal_status(outcome: &OperationOutcome) -> u16 {
    let unreadable = outcome
        .issue
        .iter()
        .any(|i| i.code == "structure" || (i.code == "not-supported" && i.expression.len() <= 1));
    if unreadable && outcome.issue.len() == 1 {
        400
    } else {
        422
    }
}

/// Both endpoints: the checks before the body is read, then the feed's one sequence; every error
/// an OperationOutcome.
#[allow(clippy::too_many_arguments)] // the request's parts, each used once
async fn respond<F: Feed>(
    state: &AppState,
    caller: Result<Caller, ApiError>,
    request_id: RequestId,
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
    feed: F,
) -> HttpResponse {
    let outcome = async {
        let caller = caller?;
        require_lab(&caller)?;
        let media = media_type(req);
        if media != FHIR_JSON && media != "application/json" {
            return Err(ApiError::UnsupportedMediaType(
                "send Content-Type: application/fhir+json (or application/json)".to_owned(),
            ));
        }
        let key = idempotency_key(req.headers()).map_err(ApiError::BadRequest)?;
        let mut payload = payload.into_inner();
        let bytes = read_body(req, &mut payload, limit).await?;
        let (reply, replayed) =
            run(state, caller, request_id, feed, media, key, bytes.to_vec()).await?;
        Ok(reply.to_http(replayed))
    }
    .await;
    outcome.unwrap_or_else(|e| fhir_error(&e))
}

/// The answer to an `Idempotency-Key` reused with another body.
fn key_reused() -> (Reply, serde_json::Value) {
    let reply = Reply::json(
        422,
        FHIR_JSON,
        &OperationOutcome {
            resource_type: "OperationOutcome".to_owned(),
            issue: vec![OutcomeIssue {
                severity: "error".to_owned(),
                code: "conflict".to_owned(),
                diagnostics: Some(ApiError::IdempotencyKeyReused.to_string()),
                expression: Vec::new(),
            }],
        },
    );
    (reply, key_reused_detail())
}

/// A body that is not the right resource at all: answered whole.
fn refused(outcome: &OperationOutcome) -> Processed {
    let status = refusal_status(outcome);
    let why = json!({"problems": outcome.issue});
    (
        Reply::json(status, FHIR_JSON, outcome),
        Logged::Rejected,
        why,
    )
}

fn locator(base: &str) -> Locator {
    Locator {
        mrn: format!("{base}.subject.identifier"),
        collected: format!("{base}.effective"),
        subject: format!("{base}.extension"),
    }
}

/// Create one Observation (lab role).
///
/// The patient is `subject.identifier.value` = MRN (its `system` must be the clinic's
/// `mrn_system` when one is configured); the accession is the first `identifier` (`system|value`).
/// A retry of a stored version answers 200 with the same `Location`; `Idempotency-Key` replays
/// the first response.
#[utoipa::path(
    tag = "lab",
    request_body(content = crate::api::fhir_schema::FhirObservation, content_type = "application/fhir+json", description = "A FHIR R4 Observation"),
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to a retry")),
    responses(
        (status = 201, description = "Stored (a new result or version); `Location: Observation/{id}/_history/{version}`; an OperationOutcome with any warnings", content_type = "application/fhir+json"),
        (status = 200, description = "Already stored (a retry), or stored unmapped (warning)", content_type = "application/fhir+json"),
        (status = 400, description = "Not JSON, or not an Observation", content_type = "application/fhir+json"),
        (status = 401, description = "No or bad token (OperationOutcome)", content_type = "application/fhir+json"),
        (status = 403, description = "Not a lab token (OperationOutcome)", content_type = "application/fhir+json"),
        (status = 413, description = "Body over the JSON limit (OperationOutcome)", content_type = "application/fhir+json"),
        (status = 415, description = "Not application/fhir+json or application/json", content_type = "application/fhir+json"),
        (status = 422, description = "Invalid Observation or unknown MRN: nothing stored (OperationOutcome with the path)", content_type = "application/fhir+json"),
    ),
    security(("bearer" = []))
)]
#[post("/fhir/r4/Observation")]
pub async fn post_fhir_observation(
    state: web::Data<AppState>,
    limits: web::Data<BodyLimits>,
    caller: Result<Caller, ApiError>,
    request_id: RequestId,
    req: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let feed = ObservationFeed(state.canon.clone());
    respond(&state, caller, request_id, &req, payload, limits.json, feed).await
}

/// `POST /fhir/r4/Observation` as a [`Feed`].
struct ObservationFeed(Canon);

impl Feed for ObservationFeed {
    const NAME: &'static str = "fhir";
    type Message = Result<ParsedObservation, OperationOutcome>;

    fn read(&self, clinic: &ClinicSettings, bytes: &[u8]) -> Self::Message {
        parse_observation(bytes, &self.0, &|s, c| clinic.resolve(s, c))
    }

    fn key_reused(&self, _: &Self::Message, _: &MessageKey) -> (Reply, serde_json::Value) {
        key_reused()
    }

    fn process(
        &self,
        conn: &mut AnyConnection,
        session: &mut Session<'_>,
        _: &Received,
        parsed: &Self::Message,
    ) -> Result<Processed, ApiError> {
        let parsed = match parsed {
            Ok(p) => p,
            Err(outcome) => {
                session.reject(1);
                return Ok(refused(outcome));
            }
        };
        let r = &parsed.result;
        let patient = match session.check(conn, r, &locator("Observation"), true)? {
            Ok(p) => p,
            Err(problems) => {
                session.reject(1);
                let why = detail(
                    &[(r, &ItemOutcome::Rejected(problems.clone()))],
                    &[],
                    &session.tally,
                );
                return Ok((outcome_reply(422, &problems), Logged::Rejected, why));
            }
        };
        let outcome = session.store(conn, &[(&patient, r)])?.remove(0);
        let body = OperationOutcome::from_problems(&parsed.warnings);
        let body = serde_json::to_string(&body).unwrap_or_default();
        let why = detail(&[(r, &outcome)], &parsed.warnings, &session.tally);
        let reply = match outcome.stored() {
            Some((id, version)) => {
                let status = if outcome.wrote() { 201 } else { 200 };
                // The location travels in the body's envelope: replays must carry it too.
                Reply::new(status, FHIR_JSON, body).with_location(id, version)
            }
            None => Reply::new(200, FHIR_JSON, body),
        };
        Ok((reply, Logged::Accepted, why))
    }
}

/// Post a `transaction` (all or nothing) or `batch` (per entry) Bundle of Observations (lab role).
///
/// Each entry is `request: {method: POST, url: Observation}`. A transaction with any failed entry
/// is refused whole (422, every problem listed with its `Bundle.entry[i]` path, nothing stored); a
/// batch answers each entry (`201 Created`, `200 OK` for a retry or an unmapped code,
/// `422 Unprocessable Entity` with an OperationOutcome).
#[utoipa::path(
    tag = "lab",
    request_body(content = crate::api::fhir_schema::FhirBundle, content_type = "application/fhir+json", description = "A FHIR R4 Bundle of type transaction or batch"),
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to a retry")),
    responses(
        (status = 200, description = "A transaction-response or batch-response Bundle", content_type = "application/fhir+json"),
        (status = 400, description = "Not JSON, not a Bundle, or not a transaction/batch", content_type = "application/fhir+json"),
        (status = 401, description = "No or bad token (OperationOutcome)", content_type = "application/fhir+json"),
        (status = 403, description = "Not a lab token (OperationOutcome)", content_type = "application/fhir+json"),
        (status = 413, description = "Body over the bulk limit (OperationOutcome)", content_type = "application/fhir+json"),
        (status = 415, description = "Not application/fhir+json or application/json", content_type = "application/fhir+json"),
        (status = 422, description = "A transaction with a failed entry: nothing stored", content_type = "application/fhir+json"),
    ),
    security(("bearer" = []))
)]
#[post("/fhir/r4")]
pub async fn post_fhir_bundle(
    state: web::Data<AppState>,
    limits: web::Data<BodyLimits>,
    caller: Result<Caller, ApiError>,
    request_id: RequestId,
    req: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let feed = BundleFeed(state.canon.clone());
    respond(&state, caller, request_id, &req, payload, limits.bulk, feed).await
}

/// `POST /fhir/r4` as a [`Feed`].
struct BundleFeed(Canon);

/// An entry after the checks: its result, warnings and patient, or its problems.
type Checked<'a> = Result<(&'a IncomingResult, &'a [FeedProblem], PatientRow), Vec<FeedProblem>>;

impl Feed for BundleFeed {
    const NAME: &'static str = "fhir";
    type Message = Result<ParsedBundle, OperationOutcome>;

    fn read(&self, clinic: &ClinicSettings, bytes: &[u8]) -> Self::Message {
        parse_bundle(bytes, &self.0, &|s, c| clinic.resolve(s, c))
    }

    fn key_reused(&self, _: &Self::Message, _: &MessageKey) -> (Reply, serde_json::Value) {
        key_reused()
    }

    fn process(
        &self,
        conn: &mut AnyConnection,
        session: &mut Session<'_>,
        _: &Received,
        parsed: &Self::Message,
    ) -> Result<Processed, ApiError> {
        match parsed {
            Ok(parsed) => bundle(conn, session, parsed),
            Err(outcome) => Ok(refused(outcome)),
        }
    }
}

fn bundle(
    conn: &mut AnyConnection,
    session: &mut Session<'_>,
    parsed: &ParsedBundle,
) -> Result<Processed, ApiError> {
    let results = parsed
        .entries
        .iter()
        .filter_map(|e| e.outcome.as_ref().ok().map(|o| &o.result));
    session.find_patients(conn, results)?;
    // Check every entry first (parse problems, MRNs, dates), then store what may be stored.
    let mut checked: Vec<Checked<'_>> = Vec::with_capacity(parsed.entries.len());
    for entry in &parsed.entries {
        let base = format!("Bundle.entry[{}].resource", entry.index);
        checked.push(match &entry.outcome {
            Err(problems) => Err(problems.clone()),
            Ok(obs) => match session.check(conn, &obs.result, &locator(&base), true)? {
                Ok(patient) => Ok((&obs.result, obs.warnings.as_slice(), patient)),
                Err(problems) => Err(problems),
            },
        });
    }
    let failed: Vec<FeedProblem> = checked
        .iter()
        .filter_map(|c| c.as_ref().err())
        .flatten()
        .filter(|p| p.is_error())
        .cloned()
        .collect();
    if parsed.kind == BundleKind::Transaction && !failed.is_empty() {
        session.reject(parsed.entries.len());
        let why = json!({"problems": failed, "entries": parsed.entries.len()});
        return Ok((outcome_reply(422, &failed), Logged::Rejected, why));
    }
    let storable: Vec<(&PatientRow, &IncomingResult)> = checked
        .iter()
        .filter_map(|c| c.as_ref().ok().map(|(r, _, p)| (p, *r)))
        .collect();
    let mut stored = session.store(conn, &storable)?.into_iter();
    let outcomes: Vec<ItemOutcome> = checked
        .iter()
        .map(|c| match c {
            Ok(_) => stored.next().unwrap_or(ItemOutcome::Unmapped),
            Err(problems) => ItemOutcome::Rejected(problems.clone()),
        })
        .collect();
    session.reject(outcomes.len() - storable.len());
    let responses = checked
        .iter()
        .zip(&outcomes)
        .map(|(c, o)| match (c, o.stored()) {
            (Ok((_, warnings, _)), Some((id, version))) => {
                let location = format!("Observation/{id}/_history/{version}");
                if o.wrote() {
                    EntryResponse::created(location, warnings)
                } else {
                    EntryResponse::unchanged(location, warnings)
                }
            }
            (Ok((_, warnings, _)), None) => EntryResponse::unmapped(warnings),
            (Err(problems), _) => EntryResponse::rejected(problems),
        })
        .collect();
    let stored_any = outcomes
        .iter()
        .any(|o| !matches!(o, ItemOutcome::Rejected(_)));
    let outcome = match (stored_any, failed.is_empty()) {
        (_, true) => Logged::Accepted,
        (true, false) => Logged::Partial,
        (false, false) => Logged::Rejected,
    };
    let results: Vec<(&IncomingResult, &ItemOutcome)> = checked
        .iter()
        .zip(&outcomes)
        .filter_map(|(c, o)| c.as_ref().ok().map(|(r, _, _)| (*r, o)))
        .collect();
    let why = detail(&results, &failed, &session.tally);
    let body = response_bundle(parsed.kind, responses);
    Ok((Reply::json(200, FHIR_JSON, &body), outcome, why))
}
