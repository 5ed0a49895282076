//! HL7 v2 over MLLP (release 2): a TCP (TLS) listener beside the HTTP server, on the same runtime,
//! for the same ORU^R01 processing as `POST /hl7/v2` — one call, [`process_hl7`], so message keys,
//! the raw message log, ACKs, audit and metrics are the very same.
//!
//! Off unless `RPL_MLLP_LISTEN` is set. TLS with client certificates is required unless the
//! listener is on loopback; senders are named in `RPL_MLLP_CLIENTS_FILE` ([`clients`]).
//!
//! [`process_hl7`]: crate::api::lab::process_hl7

pub mod clients;
pub mod codec;
mod connection;
mod tls;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use crate::api::state::AppState;
use crate::config::MllpArgs;
use clients::MllpClients;

/// What every connection shares.
struct Shared {
    state: AppState,
    clients: MllpClients,
    max_message: usize,
    idle: Duration,
}

/// A bound, not yet running MLLP listener.
pub struct MllpServer {
    listener: std::net::TcpListener,
    tls: Option<TlsAcceptor>,
    shared: Arc<Shared>,
}

fn is_loopback(addr: &SocketAddr) -> bool {
    addr.ip().is_loopback()
}

impl MllpServer {
    /// Binds the listener when `RPL_MLLP_LISTEN` is set (`Ok(None)` otherwise). `max_message` is the
    /// bulk body limit: the largest frame taken.
    pub fn bind(
        args: &MllpArgs,
        state: AppState,
        max_message: usize,
    ) -> Result<Option<Self>, String> {
        let Some(listen) = &args.mllp_listen else {
            return Ok(None);
        };
        let clients = match &args.mllp_clients_file {
            Some(path) => MllpClients::load(path)?,
            None => {
                return Err("RPL_MLLP_LISTEN needs RPL_MLLP_CLIENTS_FILE (who may send)".to_owned())
            }
        };
        let tls = match (&args.mllp_tls_cert_file, &args.mllp_tls_key_file) {
            (Some(cert), Some(key)) => Some(tls::acceptor(
                cert,
                key,
                args.mllp_tls_client_ca_file.as_deref(),
                clients.pins(),
            )?),
            (None, None) => None,
            _ => {
                return Err(
                    "MLLP TLS needs both RPL_MLLP_TLS_CERT_FILE and RPL_MLLP_TLS_KEY_FILE"
                        .to_owned(),
                )
            }
        };
        let listener = std::net::TcpListener::bind(listen)
            .map_err(|e| format!("cannot listen on {listen} (MLLP): {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        if tls.is_none() && !is_loopback(&addr) {
            return Err(format!(
                "MLLP on {addr} needs TLS with client certificates (RPL_MLLP_TLS_CERT_FILE, \
                 RPL_MLLP_TLS_KEY_FILE); plain TCP is allowed on loopback only"
            ));
        }
        listener.set_nonblocking(true).map_err(|e| e.to_string())?;
        Ok(Some(Self {
            listener,
            tls,
            shared: Arc::new(Shared {
                state,
                clients,
                max_message,
                idle: Duration::from_secs(args.mllp_idle_timeout_secs.max(1)),
            }),
        }))
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Accepts connections until dropped; each connection is a task of this one, so dropping
    /// (aborting) it closes them all. Must run inside the actix/tokio runtime (a `LocalSet`).
    pub async fn run(self) {
        let listener = match tokio::net::TcpListener::from_std(self.listener) {
            Ok(l) => l,
            Err(e) => {
                tracing::error!(error = %e, "MLLP listener could not start");
                return;
            }
        };
        tracing::info!(
            address = %listener.local_addr().map(|a| a.to_string()).unwrap_or_default(),
            tls = self.tls.is_some(),
            "MLLP listening"
        );
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        let shared = self.shared.clone();
                        let tls = self.tls.clone();
                        connections.spawn_local(connection::serve(stream, peer, tls, shared));
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "MLLP accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                },
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
    }
}
