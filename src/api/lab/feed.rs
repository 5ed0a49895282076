//! The one sequence every lab feed (JSON, FHIR, HL7 v2) runs: read the message with the clinic's
//! settings (outside the write transaction: parsing holds no lock), then, inside the request's
//! unit of work, claim its key — the client's `Idempotency-Key`, or the key the message carries
//! itself (HL7 MSH-3|MSH-4|MSH-10), which is why the key is taken after reading — and either replay
//! the stored reply to a retry, refuse a key reused with another body, or process the message and
//! log it with its outcome and reply.

use std::sync::Arc;

use serde_json::{json, Value};

use super::log::{Claim, MessageKey, Received, Reply};
use super::session::{ClinicSettings, Session};
use crate::api::error::ApiError;
use crate::api::extract::RequestId;
use crate::api::state::AppState;
use crate::api::unit_of_work::audited;
use crate::auth::Caller;
use crate::storage::AnyConnection;

/// The message log's outcome of a processed message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Logged {
    Accepted,
    /// A batch Bundle with some entries refused.
    Partial,
    Rejected,
}

impl Logged {
    pub fn as_str(self) -> &'static str {
        match self {
            Logged::Accepted => "accepted",
            Logged::Partial => "partial",
            Logged::Rejected => "rejected",
        }
    }
}

/// What processing a message gives: the reply, the logged outcome and the log's detail.
pub type Processed = (Reply, Logged, Value);

/// A lab feed: how its messages are read, keyed, refused and processed.
pub trait Feed: Send + Sync + 'static {
    /// The message log's feed and the metrics label: `json`, `fhir` or `hl7v2`.
    const NAME: &'static str;

    /// A message as read, before anything is stored.
    type Message: Send + Sync + 'static;

    /// Reads the body (pure: the settings give the clinic's code maps).
    fn read(&self, clinic: &ClinicSettings, bytes: &[u8]) -> Self::Message;

    /// The key the message carries itself, used when the client sent no `Idempotency-Key`.
    fn own_key(&self, _message: &Self::Message, _bytes: &[u8]) -> Option<MessageKey> {
        None
    }

    /// The reply to a key used before with another body, and the log's detail.
    fn key_reused(&self, message: &Self::Message, key: &MessageKey) -> (Reply, Value);

    /// Processes a fresh message inside the transaction.
    fn process(
        &self,
        conn: &mut AnyConnection,
        session: &mut Session<'_>,
        received: &Received,
        message: &Self::Message,
    ) -> Result<Processed, ApiError>;
}

/// Runs one message of `feed` from an authenticated lab caller: its reply, and `true` when the
/// reply is a replay. The counts are published once the transaction committed.
pub async fn run<F: Feed>(
    state: &AppState,
    caller: Caller,
    request_id: RequestId,
    feed: F,
    content_type: String,
    key: Option<MessageKey>,
    bytes: Vec<u8>,
) -> Result<(Reply, bool), ApiError> {
    let feed = Arc::new(feed);
    let bytes = Arc::new(bytes);
    let (clinic, message) = {
        let (feed, bytes, caller) = (Arc::clone(&feed), Arc::clone(&bytes), caller.clone());
        state
            .db(move |conn| {
                let clinic = ClinicSettings::load(conn, &caller)?;
                let message = feed.read(&clinic, &bytes);
                Ok((clinic, message))
            })
            .await?
    };
    let message = Arc::new((clinic, message));
    let (reply, replayed, tally) = audited(state, caller, request_id, move |conn, caller| {
        let (clinic, message) = &*message;
        let mut received = Received::new(F::NAME, caller, &content_type, &bytes);
        let key = key.clone().or_else(|| feed.own_key(message, &bytes));
        match received.claim(conn, key.clone())? {
            Claim::Replay(reply) => return Ok(((reply, true, Default::default()), Vec::new())),
            Claim::KeyReused => {
                let key = key.expect("only a claimed key can be reused");
                let (reply, why) = feed.key_reused(message, &key);
                received.finish(conn, Logged::Rejected, &why, &reply)?;
                return Ok(((reply, false, Default::default()), Vec::new()));
            }
            Claim::Fresh => {}
        }
        let mut session = Session::new(clinic);
        let (reply, outcome, detail) = feed.process(conn, &mut session, &received, message)?;
        received.finish(conn, outcome, &detail, &reply)?;
        Ok(((reply, false, session.tally), session.accesses))
    })
    .await?;
    tally.publish(F::NAME);
    Ok((reply, replayed))
}

/// The log's detail of a refused reused key.
pub fn key_reused_detail() -> Value {
    json!({"problems": ["Idempotency-Key reused with another body"]})
}
