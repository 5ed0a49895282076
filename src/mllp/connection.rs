//! One MLLP connection: frames in, one ACK out per message frame, in order (a sender waits for
//! the ACK before the next message, as MLLP expects). Bytes outside frames and frames the sender
//! abandoned are dropped and logged; an oversize frame is answered `AR`; an idle connection is
//! closed. Nothing here panics on what a peer sends.

use std::net::SocketAddr;
use std::sync::{Arc, LazyLock};

use futures_util::{SinkExt, StreamExt};
use prometheus::{IntCounterVec, Opts};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_util::codec::Framed;

use super::clients::fingerprint;
use super::codec::{Frame, MllpFrames};
use super::Shared;
use crate::api::extract::RequestId;
use crate::api::lab::{ack_control_id, process_hl7, reject_ack};
use crate::ingest::hl7v2::{batch_ack, build_ack, read_header, split_batch, AckCode};
use crate::ingest::{FeedProblem, ProblemKind};

static FRAMES: LazyLock<IntCounterVec> = LazyLock::new(|| {
    crate::metrics::registered(IntCounterVec::new(
        Opts::new(
            "rpl_mllp_frames_total",
            "MLLP frames by what became of them",
        ),
        &["outcome"],
    ))
});

fn count(outcome: &str) {
    FRAMES.with_label_values(&[outcome]).inc();
}

/// Serves one accepted connection to its end.
pub(super) async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    tls: Option<TlsAcceptor>,
    shared: Arc<Shared>,
) {
    let _ = stream.set_nodelay(true);
    let Some(acceptor) = tls else {
        return frames(stream, peer, None, &shared).await;
    };
    match tokio::time::timeout(shared.idle, acceptor.accept(stream)).await {
        Ok(Ok(stream)) => {
            let cert = stream
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .map(|c| fingerprint(c));
            match cert {
                Some(cert) => frames(stream, peer, Some(cert), &shared).await,
                None => tracing::warn!(%peer, "MLLP client sent no certificate; closed"),
            }
        }
        Ok(Err(e)) => tracing::warn!(%peer, error = %e, "MLLP TLS handshake failed"),
        Err(_) => tracing::warn!(%peer, "MLLP TLS handshake timed out"),
    }
}

async fn frames<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    peer: SocketAddr,
    cert: Option<String>,
    shared: &Shared,
) {
    let mut framed = Framed::new(stream, MllpFrames::new(shared.max_message));
    loop {
        let frame = match tokio::time::timeout(shared.idle, framed.next()).await {
            Err(_) => {
                tracing::info!(%peer, "MLLP connection idle; closed");
                count("idle_closed");
                break;
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                tracing::warn!(%peer, error = %e, "MLLP read failed; closed");
                break;
            }
            Ok(Some(Ok(frame))) => frame,
        };
        let ack = match frame {
            Frame::Message(bytes) => answer(shared, cert.as_deref(), peer, bytes.to_vec()).await,
            Frame::Oversize(n) => {
                tracing::warn!(%peer, bytes = n, limit = shared.max_message, "MLLP frame over the bulk limit; AR");
                count("oversize");
                reject_ack(
                    ProblemKind::NotSupported,
                    &format!(
                        "the message is over the limit of {} bytes",
                        shared.max_message
                    ),
                )
            }
            Frame::Garbage(n) => {
                tracing::warn!(%peer, bytes = n, "MLLP bytes outside a frame dropped");
                count("garbage");
                continue;
            }
            Frame::Partial(n) => {
                tracing::warn!(%peer, bytes = n, "MLLP frame abandoned by its sender dropped");
                count("partial");
                continue;
            }
        };
        if let Err(e) = framed.send(ack.as_str()).await {
            tracing::warn!(%peer, error = %e, "MLLP ACK not delivered; closed");
            break;
        }
    }
}

/// The ACK for one message frame (a single message or a batch) from `peer`.
async fn answer(shared: &Shared, cert: Option<&str>, peer: SocketAddr, bytes: Vec<u8>) -> String {
    let batch = split_batch(&bytes);
    let headers: Vec<_> = match &batch {
        Some(b) => b
            .messages
            .iter()
            .map(|m| read_header(m.as_bytes()))
            .collect(),
        None => vec![read_header(&bytes)],
    };
    let facility = |h: &Option<crate::ingest::hl7v2::MessageHeader>| {
        h.as_ref().map(|h| h.sending_facility.as_text())
    };
    let facilities: Vec<Option<String>> = headers.iter().map(facility).collect();
    let first = facilities.first().cloned().flatten();
    let sender = first.as_deref().and_then(|f| shared.clients.find(f, cert));
    let same_sender = facilities.iter().all(|f| f.is_some() && *f == first);
    let Some(client) = sender.filter(|_| same_sender) else {
        count("refused");
        let readable = headers.iter().any(Option::is_some);
        tracing::warn!(%peer, readable, "MLLP message from an unknown sender (MSH-4 and certificate); AR, nothing stored");
        let problem = |h: &Option<_>| match h {
            Some(_) => FeedProblem::error(
                ProblemKind::CodeInvalid,
                "MSH^1^4",
                "the sending facility (MSH-4) is not allowed on this connection",
            ),
            None => FeedProblem::error(ProblemKind::Structure, "", "not an HL7 v2 message"),
        };
        let now = chrono::Utc::now();
        let ack = |h: &Option<_>| {
            build_ack(
                h.as_ref(),
                AckCode::Reject,
                &[problem(h)],
                &ack_control_id(),
                now,
            )
        };
        return match &batch {
            Some(b) => {
                let acks: Vec<String> = headers.iter().map(ack).collect();
                batch_ack(b, &acks, &ack_control_id(), now)
            }
            None => ack(&headers[0]),
        };
    };
    let request_id = RequestId(uuid::Uuid::now_v7().to_string());
    let caller = client.caller();
    let messages = headers.len();
    match process_hl7(
        &shared.state,
        caller,
        request_id,
        "x-application/hl7-v2+er7",
        None,
        bytes,
    )
    .await
    {
        Ok((reply, replayed)) => {
            count(if replayed { "replayed" } else { "processed" });
            tracing::info!(%peer, source = %client.source, messages, replayed, "MLLP frame processed");
            reply.body
        }
        Err(e) => {
            count("failed");
            tracing::error!(%peer, source = %client.source, error = %e, "MLLP frame not processed; AR");
            build_ack(
                headers[0].as_ref(),
                AckCode::Reject,
                &[FeedProblem::error(
                    ProblemKind::NotSupported,
                    "",
                    e.problem().detail,
                )],
                &ack_control_id(),
                chrono::Utc::now(),
            )
        }
    }
}
