//! Token verification and minting (JWT, `jsonwebtoken`). The algorithm is pinned by configuration,
//! never taken from the token header; the clinic comes only from the token's `org` claim.

use std::collections::HashSet;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::domain::ids::ClinicId;

/// What a caller may do. `admin` has every clinician right plus the audit log and clinic settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Clinician,
    Lab,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Clinician, Role::Lab, Role::Admin];
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Clinician => "clinician",
            Role::Lab => "lab",
            Role::Admin => "admin",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// The claims we require and read.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub exp: i64,
    /// One audience, or several (RFC 7519 §4.1.3); ours must be among them.
    pub aud: Audience,
    pub org: String,
    pub roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Not before: a token used earlier (beyond the leeway) is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
}

/// The `aud` claim: a string or an array of strings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

/// Clock skew tolerated on `exp`, `nbf` (and `iat` for CDS Hooks), in seconds.
pub const LEEWAY_SECONDS: u64 = 30;

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub sub: String,
    pub clinic: ClinicId,
    pub roles: HashSet<Role>,
}

impl Caller {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
    /// Clinicians and admins read and write clinical data.
    pub fn is_clinical(&self) -> bool {
        self.has(Role::Clinician) || self.has(Role::Admin)
    }
    pub fn roles_label(&self) -> String {
        let mut roles: Vec<_> = self.roles.iter().map(|r| r.as_str()).collect();
        roles.sort_unstable();
        roles.join(",")
    }
}

/// Why a token was refused (always a 401).
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("missing bearer token")]
    Missing,
    #[error("the token is not valid: {0}")]
    Invalid(String),
}

/// How tokens are verified (and, with a shared secret, minted).
pub struct Authenticator {
    decoding: DecodingKey,
    encoding: Option<EncodingKey>,
    validation: Validation,
    algorithm: Algorithm,
    audience: String,
    issuer: Option<String>,
}

/// Which key verifies tokens.
pub enum KeyConfig {
    /// HS256 with a shared secret.
    Secret(Vec<u8>),
    /// RS256 or ES256 with the identity provider's public key (PEM).
    PublicKey { pem: Vec<u8>, algorithm: Algorithm },
}

impl Authenticator {
    pub fn new(key: KeyConfig, audience: &str, issuer: Option<&str>) -> Result<Self, String> {
        let (decoding, encoding, algorithm) = match key {
            KeyConfig::Secret(secret) => {
                if secret.len() < 32 {
                    return Err("RPL_JWT_SECRET must be at least 32 bytes".to_owned());
                }
                (
                    DecodingKey::from_secret(&secret),
                    Some(EncodingKey::from_secret(&secret)),
                    Algorithm::HS256,
                )
            }
            KeyConfig::PublicKey { pem, algorithm } => {
                let decoding = match algorithm {
                    Algorithm::RS256 | Algorithm::RS384 => DecodingKey::from_rsa_pem(&pem),
                    Algorithm::ES256 | Algorithm::ES384 => DecodingKey::from_ec_pem(&pem),
                    other => return Err(format!("unsupported JWT algorithm {other:?}")),
                }
                .map_err(|e| format!("cannot read the JWT public key: {e}"))?;
                (decoding, None, algorithm)
            }
        };
        let mut validation = Validation::new(algorithm);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "sub", "aud"]);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_nbf = true;
        if let Some(iss) = issuer {
            validation.set_issuer(&[iss]);
        }
        Ok(Self {
            decoding,
            encoding,
            validation,
            algorithm,
            audience: audience.to_owned(),
            issuer: issuer.map(str::to_owned),
        })
    }

    /// Verifies a bearer token and returns the caller it speaks for.
    pub fn verify(&self, token: &str) -> Result<Caller, AuthError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| AuthError::Invalid(e.to_string()))?;
        let claims = data.claims;
        let clinic = ClinicId::parse(&claims.org)
            .map_err(|e| AuthError::Invalid(format!("org claim: {e}")))?;
        if claims.sub.trim().is_empty() {
            return Err(AuthError::Invalid("sub claim is empty".to_owned()));
        }
        // Unknown role names are ignored; a token with none of ours can do nothing (403).
        let roles = claims.roles.iter().filter_map(|r| Role::parse(r)).collect();
        Ok(Caller {
            sub: claims.sub,
            clinic,
            roles,
        })
    }

    /// Mints a token (only with a shared secret: for development and the `token` command).
    pub fn mint(
        &self,
        sub: &str,
        org: &str,
        roles: &[Role],
        ttl: chrono::Duration,
    ) -> Result<String, String> {
        let key = self
            .encoding
            .as_ref()
            .ok_or("tokens can only be minted with RPL_JWT_SECRET")?;
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: sub.to_owned(),
            exp: now + ttl.num_seconds(),
            aud: Audience::One(self.audience.clone()),
            org: org.to_owned(),
            roles: roles.iter().map(|r| r.as_str().to_owned()).collect(),
            iss: self.issuer.clone(),
            iat: Some(now),
            nbf: None,
        };
        jsonwebtoken::encode(&Header::new(self.algorithm), &claims, key).map_err(|e| e.to_string())
    }
}

impl KeyConfig {
    /// A public key from PEM, with the algorithm pinned by configuration or, when not configured,
    /// by the key's own type (RSA → RS256, EC P-256 → ES256) — never by a token.
    pub fn public_key(pem: Vec<u8>, pinned: Option<Algorithm>) -> Result<Self, String> {
        let algorithm = match pinned {
            Some(a) => a,
            None if DecodingKey::from_rsa_pem(&pem).is_ok() => Algorithm::RS256,
            None if DecodingKey::from_ec_pem(&pem).is_ok() => Algorithm::ES256,
            None => return Err("the JWT public key is neither an RSA nor an EC PEM key".into()),
        };
        Ok(KeyConfig::PublicKey { pem, algorithm })
    }
}
