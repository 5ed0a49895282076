//! Verifies the EHR's JWT on CDS Hooks calls (CDS Hooks 2.0 "Trusting CDS Clients"): asymmetric
//! algorithms only (RS256, RS384, ES384 — HMAC is refused), an allow-listed issuer and its own
//! keys, `aud` = this endpoint's URL under `RPL_PUBLIC_URL`, `exp` and `iat` required and at most
//! 5 minutes apart, and a `jti` never accepted twice.

use std::collections::HashSet;

use actix_web::{web, HttpRequest};
use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;

use super::clients::{CdsClients, KeyFamily};
use crate::api::error::ApiError;
use crate::api::state::AppState;
use crate::auth::Caller;
use crate::storage;

/// Where a CDS token's expected `aud` comes from: the service's external base URL
/// (`RPL_PUBLIC_URL`). Never from the request's `Host` (a caller could choose it), except in
/// development mode on loopback; without either, CDS calls are refused.
#[derive(Debug, Clone, Default)]
pub struct PublicUrl {
    pub url: Option<String>,
    /// Development mode on loopback: the request's scheme and host stand in for the URL.
    pub host_fallback: bool,
}

impl PublicUrl {
    /// The setting, with a start-up warning when CDS clients are configured but every CDS call
    /// will be refused for want of `RPL_PUBLIC_URL`.
    pub fn new(url: Option<String>, development_on_loopback: bool, cds_configured: bool) -> Self {
        if url.is_none() && !development_on_loopback && cds_configured {
            tracing::warn!(
                "RPL_PUBLIC_URL is not set: CDS Hooks calls will be refused, because a token's \
                 audience cannot be checked against the request's Host header"
            );
        }
        Self {
            url,
            host_fallback: development_on_loopback,
        }
    }
}

/// The longest a CDS token may live (`exp` − `iat`), per CDS Hooks' "short-lived" advice.
const MAX_LIFETIME_SECONDS: i64 = 300;

#[derive(Debug, Deserialize)]
struct Claims {
    iss: String,
    #[serde(default)]
    sub: Option<String>,
    exp: i64,
    #[serde(default)]
    iat: Option<i64>,
    #[serde(default)]
    jti: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Unverified {
    iss: Option<String>,
}

fn refuse(why: &str) -> ApiError {
    ApiError::Unauthorized(why.to_owned())
}

/// The URLs a token for this request may name as `aud`: this endpoint's URL (and, for the
/// feedback endpoint, the service's own URL).
fn audiences(req: &HttpRequest) -> Result<Vec<String>, ApiError> {
    let setting = req
        .app_data::<web::Data<PublicUrl>>()
        .map(|p| p.get_ref().clone())
        .unwrap_or_default();
    let base = match setting.url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None if setting.host_fallback => {
            let info = req.connection_info();
            format!("{}://{}", info.scheme(), info.host())
        }
        None => {
            return Err(refuse(
                "CDS Hooks is not available: RPL_PUBLIC_URL is not configured, so no token \
                 audience can be trusted",
            ))
        }
    };
    let path = req.path();
    let mut out = vec![format!("{base}{path}")];
    if let Some(service) = path.strip_suffix("/feedback") {
        out.push(format!("{base}{service}"));
    }
    Ok(out)
}

/// The EHR's clinic and who acts, from a verified token whose `jti` is now used up.
pub async fn verify(req: &HttpRequest, state: &AppState) -> Result<Caller, ApiError> {
    let token = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim().to_owned())
        .ok_or_else(|| refuse("CDS Hooks calls need the EHR's bearer JWT"))?;
    let header = jsonwebtoken::decode_header(&token).map_err(|_| refuse("malformed JWT"))?;
    let family = match header.alg {
        Algorithm::RS256 | Algorithm::RS384 => KeyFamily::Rsa,
        Algorithm::ES256 | Algorithm::ES384 => KeyFamily::Ec,
        _ => {
            return Err(refuse(
                "CDS Hooks accepts RS256, RS384, ES256 or ES384 tokens only",
            ))
        }
    };
    let unverified: Unverified = jsonwebtoken::dangerous::insecure_decode_claims(&token)
        .map_err(|_| refuse("malformed JWT"))?;
    let clients = req
        .app_data::<web::Data<CdsClients>>()
        .ok_or_else(|| refuse("no CDS Hooks clients are configured"))?;
    let client = unverified
        .iss
        .as_deref()
        .and_then(|iss| clients.find(iss))
        .ok_or_else(|| refuse("the issuer is not an allow-listed CDS client"))?;
    let mut validation = Validation::new(header.alg);
    validation.set_audience(&audiences(req)?);
    validation.set_issuer(&[client.issuer.as_str()]);
    validation.set_required_spec_claims(&["exp", "iss", "aud"]);
    validation.leeway = crate::auth::LEEWAY_SECONDS;
    let claims = client
        .keys
        .iter()
        .filter(|k| k.family == family)
        .filter(|k| header.kid.is_none() || k.kid.is_none() || k.kid == header.kid)
        .find_map(|k| jsonwebtoken::decode::<Claims>(&token, &k.key, &validation).ok())
        .ok_or_else(|| refuse("the token is not valid for this endpoint (signature, aud or exp)"))?
        .claims;
    let iat = claims.iat.ok_or_else(|| refuse("the token has no iat"))?;
    if claims.exp - iat > MAX_LIFETIME_SECONDS {
        return Err(refuse(
            "the token lives longer than 5 minutes (exp - iat > 300 s)",
        ));
    }
    let jti = claims
        .jti
        .filter(|j| !j.is_empty() && j.len() <= 256)
        .ok_or_else(|| refuse("the token has no jti"))?;
    let expires_at = chrono::DateTime::from_timestamp(claims.exp, 0)
        .ok_or_else(|| refuse("exp is out of range"))?
        .naive_utc();
    let issuer = claims.iss.clone();
    let fresh = state
        .db(move |conn| {
            storage::write_transaction(conn, |conn| {
                // A day past expiry, a jti can no longer be replayed with a valid token.
                let horizon = storage::now() - chrono::Duration::days(1);
                storage::cds::prune_jti(conn, horizon)?;
                Ok::<_, ApiError>(storage::cds::claim_jti(conn, &issuer, &jti, expires_at)?)
            })
        })
        .await?;
    if !fresh {
        return Err(refuse("this jti was already used"));
    }
    Ok(Caller {
        sub: format!("cds:{}", claims.sub.unwrap_or(claims.iss)),
        clinic: client.clinic.clone(),
        roles: HashSet::new(),
    })
}
