//! `POST /fhir/r4` with a `transaction` or `batch` Bundle of Observations. Each entry is parsed on
//! its own, so the HTTP layer can refuse a whole transaction with every problem listed, or answer a
//! batch entry by entry; [`response_bundle`] builds the reply.

use serde::Serialize;
use serde_json::Value;

use super::model::Bundle;
use super::observation::{observation_from_value, refuse_control_characters, ParsedObservation};
use super::outcome::OperationOutcome;
use crate::ingest::canon::Canon;
use crate::ingest::incoming::CodeResolver;
use crate::ingest::limits::{too_many_results_message, MAX_RESULTS_PER_MESSAGE};
use crate::ingest::problem::{FeedProblem, ProblemKind};

/// Which kind of Bundle was posted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BundleKind {
    /// All or nothing: one failed entry refuses the whole Bundle.
    Transaction,
    /// Each entry succeeds or fails on its own.
    Batch,
}

impl BundleKind {
    /// The `Bundle.type` of the reply.
    pub fn response_type(self) -> &'static str {
        match self {
            BundleKind::Transaction => "transaction-response",
            BundleKind::Batch => "batch-response",
        }
    }
}

/// One entry, parsed: its result (with warnings), or every problem found in it.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedEntry {
    /// 0-based position in `Bundle.entry`.
    pub index: usize,
    pub full_url: Option<String>,
    pub outcome: Result<ParsedObservation, Vec<FeedProblem>>,
}

/// A parsed Bundle: its kind and one [`ParsedEntry`] per entry, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedBundle {
    pub kind: BundleKind,
    pub entries: Vec<ParsedEntry>,
}

impl ParsedBundle {
    /// Every error in every entry (paths name the entry), for refusing a transaction.
    pub fn errors(&self) -> Vec<FeedProblem> {
        self.entries
            .iter()
            .filter_map(|e| e.outcome.as_ref().err())
            .flatten()
            .filter(|p| p.is_error())
            .cloned()
            .collect()
    }

    /// For a transaction with a failed entry: the outcome to refuse it with (nothing is stored).
    /// `None` when every entry parsed (or for a batch, which answers per entry).
    pub fn transaction_outcome(&self) -> Option<OperationOutcome> {
        let errors = self.errors();
        (self.kind == BundleKind::Transaction && !errors.is_empty())
            .then(|| OperationOutcome::from_problems(&errors))
    }
}

fn refuse(kind: ProblemKind, at: &str, message: &str) -> OperationOutcome {
    OperationOutcome::from_problems(&[FeedProblem::error(kind, at, message)])
}

/// JSON bytes → a parsed Bundle, or the outcome to refuse the whole request with (not JSON, not a
/// Bundle, not a transaction or batch).
pub fn parse_bundle(
    body: &[u8],
    canon: &Canon,
    resolver: CodeResolver<'_>,
) -> Result<ParsedBundle, OperationOutcome> {
    let mut value: Value = serde_json::from_slice(body)
        .map_err(|e| refuse(ProblemKind::Structure, "", &format!("not JSON: {e}")))?;
    refuse_control_characters(&mut value, "Bundle")
        .map_err(|p| OperationOutcome::from_problems(&p))?;
    match value.get("resourceType").and_then(Value::as_str) {
        Some("Bundle") => {}
        Some(other) => {
            return Err(refuse(
                ProblemKind::NotSupported,
                other,
                "this endpoint takes a Bundle (post a single Observation to /fhir/r4/Observation)",
            ))
        }
        None => {
            return Err(refuse(
                ProblemKind::Required,
                "Bundle.resourceType",
                "is required",
            ))
        }
    }
    let bundle: Bundle = serde_path_to_error::deserialize(value).map_err(|e| {
        let at = format!("Bundle.{}", e.path());
        refuse(ProblemKind::Invalid, &at, &e.into_inner().to_string())
    })?;
    let kind = match bundle.type_.as_deref() {
        Some("transaction") => BundleKind::Transaction,
        Some("batch") => BundleKind::Batch,
        _ => {
            return Err(refuse(
                ProblemKind::NotSupported,
                "Bundle.type",
                "must be transaction or batch",
            ))
        }
    };
    if bundle.entry.len() > MAX_RESULTS_PER_MESSAGE {
        return Err(refuse(
            ProblemKind::Invalid,
            "Bundle.entry",
            &too_many_results_message(bundle.entry.len()),
        ));
    }
    let entries = bundle
        .entry
        .into_iter()
        .enumerate()
        .map(|(index, entry)| {
            let base = format!("Bundle.entry[{index}]");
            let method = entry.request.as_ref().and_then(|r| r.method.as_deref());
            let url = entry.request.as_ref().and_then(|r| r.url.as_deref());
            let outcome = if method != Some("POST") {
                Err(vec![FeedProblem::error(
                    ProblemKind::NotSupported,
                    format!("{base}.request.method"),
                    format!("entry {index}: only POST (create) is accepted"),
                )])
            } else if url.is_some_and(|u| u.trim_start_matches('/') != "Observation") {
                Err(vec![FeedProblem::error(
                    ProblemKind::NotSupported,
                    format!("{base}.request.url"),
                    format!("entry {index}: only POST Observation is accepted"),
                )])
            } else if let Some(resource) = entry.resource {
                observation_from_value(resource, &format!("{base}.resource"), canon, resolver)
            } else {
                Err(vec![FeedProblem::error(
                    ProblemKind::Required,
                    format!("{base}.resource"),
                    format!("entry {index} has no resource"),
                )])
            };
            ParsedEntry {
                index,
                full_url: entry.full_url,
                outcome,
            }
        })
        .collect();
    Ok(ParsedBundle { kind, entries })
}

/// How the HTTP layer answers one entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryResponse {
    /// `201 Created`, `200 OK` (a retry of a stored result), `422 Unprocessable Entity`.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<OperationOutcome>,
}

impl EntryResponse {
    fn with(status: &str, location: Option<String>, problems: &[FeedProblem]) -> Self {
        EntryResponse {
            status: status.to_owned(),
            location,
            outcome: (!problems.is_empty()).then(|| OperationOutcome::from_problems(problems)),
        }
    }
    /// A new result (or a new version): `201 Created`, with any warnings.
    pub fn created(location: impl Into<String>, warnings: &[FeedProblem]) -> Self {
        Self::with("201 Created", Some(location.into()), warnings)
    }
    /// The same content again (a retry): `200 OK`, pointing at what is stored.
    pub fn unchanged(location: impl Into<String>, warnings: &[FeedProblem]) -> Self {
        Self::with("200 OK", Some(location.into()), warnings)
    }
    /// Accepted but not a catalogue test (an unmapped code): `200 OK`, kept in the message log,
    /// with the warnings saying so and no location (no result was made).
    pub fn unmapped(warnings: &[FeedProblem]) -> Self {
        Self::with("200 OK", None, warnings)
    }
    /// Refused (a parse problem, an unknown MRN): `422 Unprocessable Entity` with the outcome.
    pub fn rejected(problems: &[FeedProblem]) -> Self {
        EntryResponse {
            outcome: Some(OperationOutcome::from_problems(problems)),
            ..Self::with("422 Unprocessable Entity", None, &[])
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct ResponseEntry {
    response: EntryResponse,
}

/// A `batch-response` / `transaction-response` Bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseBundle {
    resource_type: &'static str,
    #[serde(rename = "type")]
    type_: &'static str,
    entry: Vec<ResponseEntry>,
}

/// The reply Bundle: one entry per request entry, in the same order.
pub fn response_bundle(kind: BundleKind, responses: Vec<EntryResponse>) -> ResponseBundle {
    ResponseBundle {
        resource_type: "Bundle",
        type_: kind.response_type(),
        entry: responses
            .into_iter()
            .map(|response| ResponseEntry { response })
            .collect(),
    }
}
