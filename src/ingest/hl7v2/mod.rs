//! HL7 v2 lab feed: `POST /hl7/v2` with an `ORU^R01` (v2.5.1; any 2.x is read the same way),
//! answered with an `ACK`. Pure: bytes in, [`IncomingResult`](super::IncomingResult)s or a
//! [`Rejection`] out, and [`build_ack`] for the reply. Parsed with hl7-parser, never by hand.
//!
//! Mapping (details in `message.rs` and `obx.rs`):
//! - patient: PID-3, first repetition: CX.1 is the MRN, CX.4 (assigning authority) its system;
//! - accession: `{order}|{OBX-3.1}|{OBX-4}`, where order is the filler order number OBR-3 (EI.1,
//!   `^EI.2` when there is a namespace), else the placer's OBR-2;
//! - test: OBX-3 (LN → LOINC, `99RPL` → our test codes, anything else → the clinic's resolver);
//! - whose sample, anticoagulation: "ask at order entry" OBXs in the same OBR group, coded in
//!   `99RPL`: OBX-3 [`AOE_SUBJECT`] with OBX-5 `patient` | `partner` | `pregnancy_tissue`, and OBX-3
//!   [`AOE_ANTICOAGULATION`] with OBX-5 `Y` | `N`. They apply to every result of the group and are
//!   not results themselves; so are the sample facts (cycle day, days before menses, partner's MRN:
//!   OBX-3 `RPL-CYCLE-DAY`, `RPL-DAYS-BEFORE-MENSES`, `RPL-PARTNER-MRN`, see
//!   [`crate::ingest::facts`]);
//! - modality: OBX-17 (observation method), a code that spells one of ours (`3d_tvus`, `SHG`);
//! - dates: collected = OBX-14, else OBR-7; reported = OBX-19, else OBR-22, else MSH-7.
//!
//! Acknowledgement: `AR` when the message cannot be taken at all (not HL7, not ORU^R01, bad MSH),
//! `AE` when its content is wrong (nothing is stored: one message, one unit), `AA` otherwise, with
//! warnings (unmapped codes) as `ERR` segments of severity `W`.

mod ack;
mod batch;
mod header;
mod message;
mod obx;
mod read;
mod value;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use ack::{build_ack, hl7_error_code, AckCode};
pub use batch::{batch_ack, split_batch, Batch};
pub use header::read_header;
pub use message::parse_oru;

use crate::ingest::incoming::IncomingResult;
use crate::ingest::problem::FeedProblem;

/// OBX-3 code (system `99RPL`) of the "whose sample" ask-at-order-entry answer.
pub const AOE_SUBJECT: &str = "RPL-SUBJECT";
/// OBX-3 code (system `99RPL`) of the "drawn during anticoagulant therapy" answer (`Y`/`N`).
pub const AOE_ANTICOAGULATION: &str = "RPL-ANTICOAG";

/// An HL7 hierarchic designator (HD): MSH-3/4/5/6.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Designator(pub Vec<String>);

impl Designator {
    /// The designator as sent (`LAB^1.2.3^ISO`, trailing empty components dropped).
    pub fn as_text(&self) -> String {
        let mut parts = self.0.clone();
        while parts.last().is_some_and(String::is_empty) {
            parts.pop();
        }
        parts.join("^")
    }
}

/// What makes a v2 message unique for idempotency: MSH-3, MSH-4, MSH-10.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct MessageKey {
    pub sending_application: String,
    pub sending_facility: String,
    pub control_id: String,
}

/// The MSH of a received message: what the ACK echoes and the key storage dedupes on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MessageHeader {
    pub sending_application: Designator,
    pub sending_facility: Designator,
    pub receiving_application: Designator,
    pub receiving_facility: Designator,
    pub sent_at: Option<DateTime<Utc>>,
    /// MSH-9 as sent (`ORU^R01^ORU_R01`).
    pub message_type: String,
    /// MSH-10.
    pub control_id: String,
    /// MSH-11 (`P`, `T`, `D`).
    pub processing_id: String,
    /// MSH-12 (`2.5.1`).
    pub version: String,
}

impl MessageHeader {
    /// The idempotency key (MSH-3, MSH-4, MSH-10).
    pub fn key(&self) -> MessageKey {
        MessageKey {
            sending_application: self.sending_application.as_text(),
            sending_facility: self.sending_facility.as_text(),
            control_id: self.control_id.clone(),
        }
    }
}

/// A patient named in the message (PID-3), and where, for an unknown-MRN `ERR`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hl7Patient {
    pub mrn: String,
    pub mrn_system: Option<String>,
    /// `PID^1^3`
    pub location: String,
}

/// An ORU^R01 that can be taken: its header, results (one per result OBX) and warnings.
#[derive(Debug, Clone, PartialEq)]
pub struct OruMessage {
    pub header: MessageHeader,
    pub patients: Vec<Hl7Patient>,
    pub results: Vec<IncomingResult>,
    pub warnings: Vec<FeedProblem>,
}

impl OruMessage {
    /// The `AA` reply (warnings become `ERR` segments of severity `W`).
    pub fn ack(&self, ack_control_id: &str, now: DateTime<Utc>) -> String {
        build_ack(
            Some(&self.header),
            AckCode::Accept,
            &self.warnings,
            ack_control_id,
            now,
        )
    }
}

/// A message refused: `AR` (cannot be taken at all) or `AE` (content errors). The header is there
/// whenever MSH could be read, so the ACK can echo MSH-10.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    pub code: AckCode,
    pub header: Option<MessageHeader>,
    pub problems: Vec<FeedProblem>,
}

impl Rejection {
    /// The `AE`/`AR` reply.
    pub fn ack(&self, ack_control_id: &str, now: DateTime<Utc>) -> String {
        build_ack(
            self.header.as_ref(),
            self.code,
            &self.problems,
            ack_control_id,
            now,
        )
    }
}

#[cfg(test)]
mod tests;
