//! The `ACK` reply to an ORU^R01, built with hl7-parser's builder (which escapes every value):
//! MSH with sender and receiver swapped, MSA with the original MSH-10, one ERR per problem.

use chrono::{DateTime, Utc};
use hl7_parser::builder::prelude::*;
use serde::Serialize;

use super::{Designator, MessageHeader};
use crate::ingest::problem::{FeedProblem, ProblemKind, Severity};

/// MSA-1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AckCode {
    /// `AA`: accepted.
    Accept,
    /// `AE`: the content has errors; nothing was stored.
    Error,
    /// `AR`: the message cannot be taken at all (not HL7, wrong type or version, bad MSH).
    Reject,
}

impl AckCode {
    /// `AA`, `AE` or `AR`.
    pub fn as_str(self) -> &'static str {
        match self {
            AckCode::Accept => "AA",
            AckCode::Error => "AE",
            AckCode::Reject => "AR",
        }
    }
}

/// The HL7 table 0357 code and text (ERR-3) for a kind of problem.
pub fn hl7_error_code(kind: ProblemKind) -> (&'static str, &'static str) {
    match kind {
        ProblemKind::Structure => ("100", "Segment sequence error"),
        ProblemKind::Required => ("101", "Required field missing"),
        ProblemKind::Invalid => ("102", "Data type error"),
        ProblemKind::CodeInvalid | ProblemKind::Unmapped => ("103", "Table value not found"),
        ProblemKind::NotSupported => ("200", "Unsupported message type"),
        ProblemKind::UnsupportedVersion => ("203", "Unsupported version id"),
        ProblemKind::UnknownPatient => ("204", "Unknown key identifier"),
        ProblemKind::DuplicateKey => ("205", "Duplicate key identifier"),
    }
}

fn designator(d: &Designator) -> FieldBuilder {
    d.0.iter()
        .enumerate()
        .fold(FieldBuilder::default(), |f, (i, c)| {
            f.with_component(i + 1, c.as_str())
        })
}

fn components<'a>(parts: impl IntoIterator<Item = &'a str>) -> FieldBuilder {
    parts
        .into_iter()
        .enumerate()
        .fold(FieldBuilder::default(), |f, (i, c)| {
            f.with_component(i + 1, c)
        })
}

fn err_segment(p: &FeedProblem) -> SegmentBuilder {
    let (code, text) = hl7_error_code(p.kind);
    let severity = match p.severity {
        Severity::Error => "E",
        Severity::Warning => "W",
    };
    let mut err = SegmentBuilder::new("ERR");
    if !p.location.is_empty() {
        err = err.with_field(2, components(p.location.split('^')));
    }
    err.with_field(3, components([code, text, "HL70357"]))
        .with_field_value(4, severity)
        .with_field_value(8, p.message.as_str())
}

/// The ACK for a received message (`original`: its header, when MSH could be read; MSA-2 is empty
/// otherwise). `ack_control_id` and `now` come from the caller: this module reads no clock.
pub fn build_ack(
    original: Option<&MessageHeader>,
    code: AckCode,
    problems: &[FeedProblem],
    ack_control_id: &str,
    now: DateTime<Utc>,
) -> String {
    let h = original.cloned().unwrap_or_default();
    let processing_id = if h.processing_id.is_empty() {
        "P"
    } else {
        h.processing_id.as_str()
    };
    let msh = SegmentBuilder::new("MSH")
        .with_field(3, designator(&h.receiving_application))
        .with_field(4, designator(&h.receiving_facility))
        .with_field(5, designator(&h.sending_application))
        .with_field(6, designator(&h.sending_facility))
        .with_field_value(7, now.format("%Y%m%d%H%M%S+0000"))
        .with_field(9, components(["ACK", "R01", "ACK"]))
        .with_field_value(10, ack_control_id)
        .with_field_value(11, processing_id)
        .with_field_value(12, "2.5.1");
    let msa = SegmentBuilder::new("MSA")
        .with_field_value(1, code.as_str())
        .with_field_value(2, h.control_id.as_str());
    problems
        .iter()
        .map(err_segment)
        .fold(
            MessageBuilder::new(Separators::default())
                .with_segment(msh)
                .with_segment(msa),
            |m, err| m.with_segment(err),
        )
        .to_string()
}
