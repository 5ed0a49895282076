//! The one claim / replay / process / finish sequence of the JSON and FHIR feeds, inside the
//! request's unit of work. (HL7 claims after parsing — its key is in the message — but with the
//! same `Received` steps.)

use serde_json::{json, Value};

use super::log::{Claim, MessageKey, Received, Reply};
use super::session::{Session, Tally};
use crate::api::audit_trail::Access;
use crate::api::error::ApiError;
use crate::auth::Caller;
use crate::storage::AnyConnection;

/// What processing a message gives: the reply, the logged outcome and the log's detail.
pub type Processed = (Reply, &'static str, Value);

/// What a message came to — its reply, whether it was replayed, the counts — and what it accessed.
pub type Handled = ((Reply, bool, Tally), Vec<Access>);

/// Claims the key (a retry replays the stored reply; a key reused with another body is answered
/// with `reused()` and logged as rejected), else processes the message in a fresh session and logs
/// it with its outcome and reply.
#[allow(clippy::too_many_arguments)] // the message's parts, each used once
pub fn handle(
    conn: &mut AnyConnection,
    caller: &Caller,
    feed: &'static str,
    content_type: &str,
    bytes: &[u8],
    key: Option<MessageKey>,
    reused: fn() -> Reply,
    process: impl FnOnce(&mut AnyConnection, &mut Session, &Received) -> Result<Processed, ApiError>,
) -> Result<Handled, ApiError> {
    let mut received = Received::new(feed, caller, content_type, bytes);
    match received.claim(conn, key)? {
        Claim::Replay(reply) => return Ok(((reply, true, Tally::default()), Vec::new())),
        Claim::KeyReused => {
            let reply = reused();
            let why = json!({"problems": ["Idempotency-Key reused with another body"]});
            received.finish(conn, "rejected", &why, &reply)?;
            return Ok(((reply, false, Tally::default()), Vec::new()));
        }
        Claim::Fresh => {}
    }
    let mut session = Session::open(conn, caller)?;
    let (reply, outcome, detail) = process(conn, &mut session, &received)?;
    received.finish(conn, outcome, &detail, &reply)?;
    Ok(((reply, false, session.tally), session.accesses))
}
