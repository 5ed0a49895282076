//! `POST /cds-services/rpl-workup/feedback`: what the clinician did with the cards, recorded as
//! reviews of the items they were about (an accepted order suggestion → `ordered`; an overridden
//! card → `acknowledge`, `declined` or `not_applicable` by its reason).

use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::cards::{OVERRIDE_REASONS, OVERRIDE_SYSTEM};
use super::order_select::{ORDER_OVERRIDE_REASONS, ORDER_OVERRIDE_SYSTEM};
use super::token;
use crate::api::audit_trail::Access;
use crate::api::error::ApiError;
use crate::api::extract::RequestId;
use crate::api::state::AppState;
use crate::api::unit_of_work::audited;
use crate::domain::ids::CardId;
use crate::storage::{self, cds, patients, reviews};

/// An accepted suggestion.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AcceptedSuggestion {
    pub id: String,
}

/// A coding as the EHR sends it back.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReasonCoding {
    pub code: String,
    pub system: Option<String>,
    pub display: Option<String>,
}

/// Why a card was overridden.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OverrideReason {
    pub reason: Option<ReasonCoding>,
    pub user_comment: Option<String>,
}

/// Feedback on one card.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CardFeedback {
    /// The card's uuid.
    pub card: String,
    /// `accepted` or `overridden`.
    pub outcome: String,
    #[serde(default)]
    pub accepted_suggestions: Vec<AcceptedSuggestion>,
    pub override_reason: Option<OverrideReason>,
    pub outcome_timestamp: Option<String>,
}

/// The feedback request.
#[derive(Debug, Deserialize, ToSchema)]
pub struct FeedbackRequest {
    pub feedback: Vec<CardFeedback>,
}

/// The issued kind of an order-select warning card.
const ORDER_WARNING: &str = "order_warning";

/// Feedback on an order-select warning: audited, reason and all (an override without a reason
/// too), as `override` of `cds_order_warning` `{card};reason={code|none}`, or `accept` when the
/// clinician took the advice and dropped the order. It changes no item: the item is already
/// "not recommended".
fn order_warning_feedback(
    n: usize,
    fb: &CardFeedback,
    patient_id: crate::domain::ids::PatientId,
    card_id: CardId,
) -> Result<Access, ApiError> {
    match fb.outcome.as_str() {
        "accepted" => Ok(Access::new(
            "accept",
            "cds_order_warning",
            patient_id,
            card_id,
        )),
        "overridden" => {
            let reason = fb.override_reason.as_ref().and_then(|o| o.reason.as_ref());
            let code = match reason {
                None => "none",
                Some(r) => ORDER_OVERRIDE_REASONS
                    .iter()
                    .find(|(code, _)| *code == r.code)
                    .filter(|_| {
                        r.system
                            .as_deref()
                            .is_none_or(|s| s == ORDER_OVERRIDE_SYSTEM)
                    })
                    .map(|(code, _)| *code)
                    .ok_or_else(|| {
                        ApiError::field(
                            format!("feedback[{n}].overrideReason.reason"),
                            "not one of the card's overrideReasons",
                        )
                    })?,
            };
            Ok(Access::new(
                "override",
                "cds_order_warning",
                patient_id,
                format!("{card_id};reason={code}"),
            ))
        }
        other => Err(ApiError::field(
            format!("feedback[{n}].outcome"),
            format!("'{other}' is neither accepted nor overridden"),
        )),
    }
}

/// Record what the clinician did with the cards, as reviews of their items.
#[utoipa::path(
    tag = "cds-hooks",
    request_body = FeedbackRequest,
    responses(
        (status = 200, description = "Recorded"),
        (status = 401, description = "No valid EHR token", body = crate::api::error::Problem),
        (status = 404, description = "A card this clinic was not issued", body = crate::api::error::Problem),
        (status = 422, description = "Unknown outcome, suggestion or override reason", body = crate::api::error::Problem),
    ),
    security(("bearer" = []))
)]
#[post("/cds-services/rpl-workup/feedback")]
pub async fn cds_feedback(
    req: HttpRequest,
    state: web::Data<AppState>,
    request_id: RequestId,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    record_feedback(req, state, request_id, payload).await
}

/// Record what the clinician did with `order-select` warnings: audited (`override` of
/// `cds_order_warning` `{card};reason={code|none}`, or `accept`), an override without a reason too.
#[utoipa::path(
    tag = "cds-hooks",
    request_body = FeedbackRequest,
    responses(
        (status = 200, description = "Recorded"),
        (status = 401, description = "No valid EHR token", body = crate::api::error::Problem),
        (status = 404, description = "A card this clinic was not issued", body = crate::api::error::Problem),
        (status = 422, description = "Unknown outcome or override reason", body = crate::api::error::Problem),
    ),
    security(("bearer" = []))
)]
#[post("/cds-services/rpl-workup-order-select/feedback")]
pub async fn cds_order_select_feedback(
    req: HttpRequest,
    state: web::Data<AppState>,
    request_id: RequestId,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    record_feedback(req, state, request_id, payload).await
}

async fn record_feedback(
    req: HttpRequest,
    state: web::Data<AppState>,
    request_id: RequestId,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let caller = token::verify(&req, &state).await?;
    let body = super::json_body::<FeedbackRequest>(&req, payload).await?;
    let input = body;
    audited(&state, caller, request_id, move |conn, caller| {
        let clinic = &caller.clinic;
        let mut accesses = Vec::new();
        for (n, fb) in input.feedback.iter().enumerate() {
            // A card that is not a uuid is one this clinic was never issued.
            let card_id: CardId = fb.card.parse().map_err(|_| ApiError::NotFound)?;
            let issued = cds::find_card(conn, clinic, card_id)?;
            let card = issued
                .iter()
                .find(|r| r.kind == "card" || r.kind == ORDER_WARNING)
                .ok_or(ApiError::NotFound)?;
            let patient =
                patients::find(conn, clinic, card.patient_id)?.ok_or(ApiError::NotFound)?;
            if card.kind == ORDER_WARNING {
                accesses.push(order_warning_feedback(n, fb, patient.id, card.id)?);
                continue;
            }
            let mut record = |conn: &mut storage::AnyConnection,
                              item: &str,
                              action: &str,
                              note: Option<String>|
             -> Result<(), ApiError> {
                let row = reviews::ReviewRow {
                    id: crate::domain::ids::ReviewId::new(),
                    patient_id: patient.id,
                    item: Some(item.to_owned()),
                    action: action.to_owned(),
                    note,
                    created_by: caller.sub.clone(),
                    created_at: storage::now(),
                    withdrawn_by: None,
                    withdrawn_at: None,
                };
                reviews::insert(conn, &row)?;
                accesses.push(Access::new("create", "review", patient.id, row.id));
                Ok(())
            };
            match fb.outcome.as_str() {
                "accepted" => {
                    for s in &fb.accepted_suggestions {
                        let item = issued
                            .iter()
                            .find(|r| r.kind == "suggestion" && s.id.parse().ok() == Some(r.id))
                            .and_then(|r| r.item.clone())
                            .ok_or_else(|| {
                                ApiError::field(
                                    format!("feedback[{n}].acceptedSuggestions"),
                                    format!("'{}' is not a suggestion of this card", s.id),
                                )
                            })?;
                        record(
                            conn,
                            &item,
                            "ordered",
                            Some("Ordered from a CDS Hooks card".to_owned()),
                        )?;
                    }
                }
                "overridden" => {
                    let Some(item) = card.item.clone() else {
                        continue; // The summary card is about no one item.
                    };
                    let Some(reason) = fb.override_reason.as_ref().and_then(|o| o.reason.as_ref())
                    else {
                        continue; // Dismissed without a reason: nothing decided.
                    };
                    let action = OVERRIDE_REASONS
                        .iter()
                        .find(|(code, _, _)| *code == reason.code)
                        .filter(|_| {
                            reason
                                .system
                                .as_deref()
                                .is_none_or(|s| s == OVERRIDE_SYSTEM)
                        })
                        .map(|(_, _, action)| *action)
                        .ok_or_else(|| {
                            ApiError::field(
                                format!("feedback[{n}].overrideReason.reason"),
                                "not one of the card's overrideReasons",
                            )
                        })?;
                    let note = fb
                        .override_reason
                        .as_ref()
                        .and_then(|o| o.user_comment.clone())
                        .filter(|c| !c.trim().is_empty())
                        .map(|c| c.chars().take(2000).collect());
                    record(conn, &item, action, note)?;
                }
                other => {
                    return Err(ApiError::field(
                        format!("feedback[{n}].outcome"),
                        format!("'{other}' is neither accepted nor overridden"),
                    ))
                }
            }
        }
        Ok(((), accesses))
    })
    .await?;
    Ok(HttpResponse::Ok().finish())
}
