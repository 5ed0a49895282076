//! Lost updates: every GET of a single resource answers with an `ETag` (a hash of the JSON it
//! shows), and PATCH/DELETE take an optional `If-Match`. A stale `If-Match` is a 412
//! `precondition_failed`; a missing one is allowed (last write wins, as before).

use std::future::{ready, Ready};

use actix_web::http::header;
use actix_web::{dev::Payload, FromRequest, HttpRequest, HttpResponse, HttpResponseBuilder};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::error::ApiError;

/// The strong entity tag of a representation: a hash of its JSON, quoted.
pub fn etag_of<T: Serialize>(view: &T) -> String {
    etag_of_json(&serde_json::to_vec(view).unwrap_or_default())
}

/// The entity tag of a JSON body already serialised.
pub fn etag_of_json(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    format!("\"{}\"", hex::encode(&digest[..16]))
}

/// A JSON response with its `ETag`.
pub fn json_with_etag<T: Serialize>(mut builder: HttpResponseBuilder, view: &T) -> HttpResponse {
    builder
        .insert_header((header::ETAG, etag_of(view)))
        .json(view)
}

/// The request's `If-Match` header: `None` when absent (the change is not conditional).
#[derive(Debug, Clone, Default)]
pub struct IfMatch(Option<Vec<String>>);

impl IfMatch {
    /// Refuses the change with 412 unless the header is absent, `*`, or lists `current`'s tag.
    /// Weak tags (`W/"…"`) never match: If-Match compares strongly (RFC 9110 §13.1.1).
    pub fn check<T: Serialize>(&self, current: &T) -> Result<(), ApiError> {
        let Some(tags) = &self.0 else {
            return Ok(());
        };
        let tag = etag_of(current);
        if tags.iter().any(|t| t == "*" || *t == tag) {
            Ok(())
        } else {
            Err(ApiError::PreconditionFailed(
                "the resource has changed since you read it (If-Match does not match its ETag); \
                 read it again and reapply your change"
                    .to_owned(),
            ))
        }
    }
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let values: Vec<String> = req
            .headers()
            .get_all(header::IF_MATCH)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect();
        let present = req.headers().contains_key(header::IF_MATCH);
        ready(Ok(IfMatch(present.then_some(values))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stale_tag_fails_and_a_current_or_missing_one_passes() {
        let v = serde_json::json!({"a": 1});
        let tag = etag_of(&v);
        assert!(IfMatch(None).check(&v).is_ok());
        assert!(IfMatch(Some(vec![tag.clone()])).check(&v).is_ok());
        assert!(IfMatch(Some(vec!["*".into()])).check(&v).is_ok());
        assert!(IfMatch(Some(vec!["\"x\"".into(), tag.clone()]))
            .check(&v)
            .is_ok());
        assert!(IfMatch(Some(vec![format!("W/{tag}")])).check(&v).is_err());
        assert!(IfMatch(Some(vec![tag]))
            .check(&serde_json::json!({"a": 2}))
            .is_err());
    }
}
