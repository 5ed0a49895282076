//! The MLLP senders, read once at start-up from `RPL_MLLP_CLIENTS_FILE`:
//! `[{"sending_facility": "ACME", "org": "clinic-a", "source": "acme-lab", "cert_sha256": "…"}]`.
//! MLLP carries no token: a message is taken only when its MSH-4 and the TLS client certificate
//! (its SHA-256, hex) name the same entry. Over plain TCP (loopback only) MSH-4 alone decides.

use std::collections::HashSet;
use std::path::Path;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::auth::{Caller, Role};
use crate::domain::ids::ClinicId;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    sending_facility: String,
    org: String,
    source: String,
    cert_sha256: Option<String>,
}

/// One allow-listed sender.
#[derive(Debug, Clone)]
pub struct MllpClient {
    pub sending_facility: String,
    pub clinic: ClinicId,
    /// The lab's name as a results `source` (what a lab token's `sub` is on HTTP).
    pub source: String,
    /// Lower-case hex SHA-256 of the client certificate (DER).
    pub cert_sha256: Option<String>,
}

impl MllpClient {
    /// The caller this sender's messages are processed as: a lab of its clinic.
    pub fn caller(&self) -> Caller {
        Caller {
            sub: self.source.clone(),
            clinic: self.clinic.clone(),
            roles: HashSet::from([Role::Lab]),
        }
    }
}

/// Every allow-listed sender (none: every message is refused).
#[derive(Debug, Clone, Default)]
pub struct MllpClients(Vec<MllpClient>);

/// The SHA-256 of a certificate (DER), lower-case hex: the form `cert_sha256` is written in.
pub fn fingerprint(der: &[u8]) -> String {
    hex::encode(Sha256::digest(der))
}

fn normalise_fingerprint(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_hexdigit())
        .collect::<String>()
        .to_ascii_lowercase()
}

impl MllpClients {
    /// Reads the clients file; any problem is a start-up error.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let entries: Vec<Entry> = serde_json::from_slice(&text)
            .map_err(|e| format!("{}: not an MLLP clients list: {e}", path.display()))?;
        entries
            .into_iter()
            .enumerate()
            .map(|(i, e)| {
                let clinic = ClinicId::parse(&e.org)
                    .map_err(|m| format!("{}: entry {i}: org: {m}", path.display()))?;
                let cert_sha256 = e.cert_sha256.as_deref().map(normalise_fingerprint);
                if cert_sha256.as_ref().is_some_and(|f| f.len() != 64) {
                    return Err(format!(
                        "{}: entry {i}: cert_sha256 must be 64 hex digits",
                        path.display()
                    ));
                }
                if e.sending_facility.trim().is_empty() || e.source.trim().is_empty() {
                    return Err(format!(
                        "{}: entry {i}: sending_facility and source are required",
                        path.display()
                    ));
                }
                Ok(MllpClient {
                    sending_facility: e.sending_facility,
                    clinic,
                    source: e.source,
                    cert_sha256,
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    /// The pinned certificate fingerprints.
    pub fn pins(&self) -> HashSet<String> {
        self.0
            .iter()
            .filter_map(|c| c.cert_sha256.clone())
            .collect()
    }

    /// The sender of a message from `facility` (MSH-4 as sent, or its first component) over a
    /// connection with client certificate `cert` (`None`: plain TCP on loopback).
    pub fn find(&self, facility: &str, cert: Option<&str>) -> Option<&MllpClient> {
        let namespace = facility.split('^').next().unwrap_or(facility);
        self.0.iter().find(|c| {
            let named = c.sending_facility == facility || c.sending_facility == namespace;
            let pinned = match cert {
                Some(cert) => c.cert_sha256.as_deref() == Some(cert),
                None => true,
            };
            named && pinned
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clients() -> MllpClients {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clients.json");
        let pin = "AB".repeat(32);
        std::fs::write(
            &path,
            format!(
                r#"[{{"sending_facility": "ACME", "org": "clinic-a", "source": "acme-lab", "cert_sha256": "{pin}"}}]"#
            ),
        )
        .unwrap();
        MllpClients::load(&path).unwrap()
    }

    #[test]
    fn a_sender_is_known_only_when_facility_and_certificate_both_match() {
        let c = clients();
        let pin = "ab".repeat(32);
        let other = "cd".repeat(32);
        let cases = [
            ("ACME", Some(pin.as_str()), true),
            ("ACME^1.2.3^ISO", Some(pin.as_str()), true),
            ("ACME", Some(other.as_str()), false),
            ("OTHER", Some(pin.as_str()), false),
            ("ACME", None, true),
            ("", None, false),
        ];
        for (facility, cert, known) in cases {
            assert_eq!(
                c.find(facility, cert).is_some(),
                known,
                "{facility} {cert:?}"
            );
        }
        assert_eq!(c.find("ACME", None).unwrap().caller().sub, "acme-lab");
    }
}
