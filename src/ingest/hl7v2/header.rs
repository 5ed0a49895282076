//! MSH: the header the ACK echoes, and the checks that make a message unacceptable (AR).

use super::read::{self, Seg};
use super::{Designator, MessageHeader};
use crate::ingest::problem::{FeedProblem, ProblemKind};

pub(super) fn header(msh: &Seg<'_, '_>) -> MessageHeader {
    MessageHeader {
        sending_application: Designator(msh.components(3)),
        sending_facility: Designator(msh.components(4)),
        receiving_application: Designator(msh.components(5)),
        receiving_facility: Designator(msh.components(6)),
        sent_at: read::instant(&msh.comp(7, 1)).ok().flatten(),
        message_type: msh.components(9).join("^"),
        control_id: msh.comp(10, 1),
        processing_id: msh.comp(11, 1),
        version: msh.comp(12, 1),
    }
}

/// MSH problems: each makes the message unacceptable (AR).
pub(super) fn check_header(msh: &Seg<'_, '_>, h: &MessageHeader) -> Vec<FeedProblem> {
    let mut problems = Vec::new();
    let mut reject = |kind, n: usize, message: String| {
        problems.push(FeedProblem::error(kind, msh.loc(n), message));
    };
    if (msh.comp(9, 1).as_str(), msh.comp(9, 2).as_str()) != ("ORU", "R01") {
        let sent = if h.message_type.is_empty() {
            "nothing"
        } else {
            &h.message_type
        };
        reject(
            ProblemKind::NotSupported,
            9,
            format!("only ORU^R01 is accepted, not {sent}"),
        );
    }
    if h.control_id.is_empty() {
        reject(
            ProblemKind::Required,
            10,
            "MSH-10 (message control id) is required".into(),
        );
    }
    if h.version.is_empty() {
        reject(
            ProblemKind::Required,
            12,
            "MSH-12 (version) is required".into(),
        );
    } else if !h.version.starts_with("2.") {
        reject(
            ProblemKind::UnsupportedVersion,
            12,
            format!("version {} is not HL7 v2", h.version),
        );
    }
    if read::instant(&msh.comp(7, 1)).is_err() {
        reject(ProblemKind::Invalid, 7, "MSH-7 must be a timestamp".into());
    }
    problems
}

/// The MSH of a message, read on its own (for routing before the message is processed): `None`
/// when the bytes are not an HL7 v2 message.
pub fn read_header(bytes: &[u8]) -> Option<MessageHeader> {
    let text = read::normalise(bytes);
    let first = text.split('\r').next()?;
    let message = read::parse(first).ok()?;
    let segment = message.segments.first()?;
    let msh = Seg {
        segment,
        separators: &message.separators,
        seq: 1,
    };
    Some(header(&msh))
}
