//! The EHRs allowed to call the CDS Hooks service, read once at start-up from the JSON file named
//! by `RPL_CDS_CLIENTS_FILE`: `[{"iss", "org", "public_key_file" | "jwks_file"}]`, key paths
//! relative to that file. The issuer decides the clinic. Keys are never fetched (no `jku`).

use std::path::Path;

use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::DecodingKey;
use serde::Deserialize;

use crate::domain::ids::ClinicId;

/// Which algorithms a key may verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFamily {
    Rsa,
    Ec,
}

/// One public key of a client.
#[derive(Clone)]
pub struct ClientKey {
    pub kid: Option<String>,
    pub family: KeyFamily,
    pub key: DecodingKey,
}

/// An allow-listed EHR.
#[derive(Clone)]
pub struct CdsClient {
    pub issuer: String,
    pub clinic: ClinicId,
    pub keys: Vec<ClientKey>,
}

/// Every allow-listed EHR (none: every caller is refused).
#[derive(Clone, Default)]
pub struct CdsClients(Vec<CdsClient>);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientEntry {
    iss: String,
    org: String,
    public_key_file: Option<String>,
    jwks_file: Option<String>,
}

impl CdsClients {
    /// Reads the clients file; any problem is a start-up error (never a silent empty list).
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let entries: Vec<ClientEntry> = serde_json::from_slice(&text)
            .map_err(|e| format!("{}: not a CDS clients list: {e}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let clients = entries
            .into_iter()
            .map(|e| client(base, e))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Self(clients))
    }

    pub fn find(&self, issuer: &str) -> Option<&CdsClient> {
        self.0.iter().find(|c| c.issuer == issuer)
    }
}

fn client(base: &Path, e: ClientEntry) -> Result<CdsClient, String> {
    let clinic = ClinicId::parse(&e.org).map_err(|m| format!("client {}: org: {m}", e.iss))?;
    if e.iss.trim().is_empty() {
        return Err("a client without iss".to_owned());
    }
    let keys = match (&e.public_key_file, &e.jwks_file) {
        (Some(pem), None) => {
            let bytes = std::fs::read(base.join(pem)).map_err(|err| format!("{pem}: {err}"))?;
            vec![pem_key(&bytes)
                .ok_or_else(|| format!("{pem}: neither an RSA nor an EC public key"))?]
        }
        (None, Some(jwks)) => {
            let bytes = std::fs::read(base.join(jwks)).map_err(|err| format!("{jwks}: {err}"))?;
            let set: JwkSet =
                serde_json::from_slice(&bytes).map_err(|err| format!("{jwks}: {err}"))?;
            set.keys
                .iter()
                .filter_map(|jwk| {
                    let family = match jwk.algorithm {
                        AlgorithmParameters::RSA(_) => KeyFamily::Rsa,
                        AlgorithmParameters::EllipticCurve(_) => KeyFamily::Ec,
                        _ => return None,
                    };
                    Some(ClientKey {
                        kid: jwk.common.key_id.clone(),
                        family,
                        key: DecodingKey::from_jwk(jwk).ok()?,
                    })
                })
                .collect()
        }
        _ => {
            return Err(format!(
                "client {}: exactly one of public_key_file and jwks_file",
                e.iss
            ))
        }
    };
    if keys.is_empty() {
        return Err(format!("client {}: no usable key", e.iss));
    }
    Ok(CdsClient {
        issuer: e.iss,
        clinic,
        keys,
    })
}

fn pem_key(pem: &[u8]) -> Option<ClientKey> {
    let (family, key) = if let Ok(k) = DecodingKey::from_rsa_pem(pem) {
        (KeyFamily::Rsa, k)
    } else {
        (KeyFamily::Ec, DecodingKey::from_ec_pem(pem).ok()?)
    };
    Some(ClientKey {
        kid: None,
        family,
        key,
    })
}
