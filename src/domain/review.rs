//! Clinician review actions on checklist items (and the patient-level early-workup request).
//! Pure: no actix, no diesel.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ids::ReviewId;
use super::item::ItemId;

/// What the clinician decided about an item (or, for `request_early_workup`, about the workup).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewAction {
    /// Abnormal result seen; the item stays abnormal, marked reviewed.
    Acknowledge,
    /// The missing components were ordered: they count as pending until a result arrives.
    Ordered,
    /// The patient declined the investigation.
    Declined,
    /// Not applicable for this patient (e.g. no pregnancy tissue available).
    NotApplicable,
    /// Evaluate the workup before the profile's loss threshold is met (patient level).
    RequestEarlyWorkup,
}

impl ReviewAction {
    pub const ALL: [ReviewAction; 5] = [
        ReviewAction::Acknowledge,
        ReviewAction::Ordered,
        ReviewAction::Declined,
        ReviewAction::NotApplicable,
        ReviewAction::RequestEarlyWorkup,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewAction::Acknowledge => "acknowledge",
            ReviewAction::Ordered => "ordered",
            ReviewAction::Declined => "declined",
            ReviewAction::NotApplicable => "not_applicable",
            ReviewAction::RequestEarlyWorkup => "request_early_workup",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// An active (not withdrawn) review, as the engine sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Review {
    pub id: ReviewId,
    /// `None` for a patient-level action (early workup).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<ItemId>,
    pub action: ReviewAction,
    // Shared text (Arc<str>): each checklist item showing the review clones it without copying.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub note: Option<Arc<str>>,
    /// The `sub` of the clinician who recorded it.
    #[schema(value_type = String)]
    pub by: Arc<str>,
    pub at: DateTime<Utc>,
}
