//! Guideline profiles as data (clinical-rules.md §1–§2): each one's definition of a loss, its
//! thresholds, and per item the stance, components and recommendation with strength and source.
//! Every value marked [verify] in the rules lives here, so a clinician can correct it without a
//! release. The built-ins are JSON files compiled into the binary. Pure: no actix, no diesel.

mod derive;
mod spec;
mod thresholds;
mod validate;

use std::borrow::Cow;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::checklist::ProfileRef;
use super::item::ItemId;

pub use derive::{FieldError, ItemChanges, ProfileChanges};
pub use spec::{
    allowed_tests, Branch, ComponentSpec, Condition, Conditional, FindingCondition, InPregnancy,
    ItemSpec, Recommendation, Requirement, Stance, Strength, TriggerId, TriggerSpec,
};
pub use thresholds::Thresholds;

/// The profile used when neither the request nor the clinic names one.
pub const DEFAULT_PROFILE_ID: &str = "eshre-2022";

/// One guideline's reading of the workup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Stable id: `eshre-2022`, `rcog-2023`, `asrm-2012`, `cn-2022`, or a clinic's own slug.
    pub id: String,
    pub title: String,
    pub version: String,
    /// The full reference of the guideline.
    pub citation: String,
    /// The built-in profile a clinic profile was derived from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub based_on: Option<String>,
    pub loss_definition: LossDefinition,
    pub thresholds: Thresholds,
    /// Indications outside the definition (clinical-rules.md §6.1).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triggers: Vec<TriggerSpec>,
    /// The items in display order; items the guideline does not mention are absent.
    pub items: Vec<ItemSpec>,
}

/// What counts as a pregnancy loss, and how many make recurrent pregnancy loss.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LossDefinition {
    /// Losses count below this gestational age, in days (exclusive): 168 = 24+0 weeks.
    pub limit_days: u32,
    /// Biochemical (hCG-only) losses count.
    pub count_biochemical: bool,
    /// Only consecutive losses count (the longest run).
    pub consecutive: bool,
    /// The definition is met with at least this many losses…
    pub min_losses: u32,
    /// …or with at least this many second-trimester losses (RCOG: 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_second_trimester: Option<u32>,
    /// Only losses with the current partner count: a loss with another partner breaks the run
    /// (cn-2022, §6.5). Pregnancies of unknown location count where biochemical losses do (§6.6).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub same_partner: bool,
}

impl Profile {
    /// What the profile says about `item`, or `None` when it leaves the item out.
    pub fn item(&self, item: ItemId) -> Option<&ItemSpec> {
        self.items
            .iter()
            .find(|s| s.id == item && s.stance != Stance::Omitted)
    }

    /// The short reference a checklist carries: a built-in profile's text is borrowed, a clinic
    /// profile's copied.
    pub fn reference(&self) -> ProfileRef {
        match builtin_profiles().iter().find(|b| std::ptr::eq(*b, self)) {
            Some(b) => ProfileRef {
                id: Cow::Borrowed(&b.id),
                title: Cow::Borrowed(&b.title),
                version: Cow::Borrowed(&b.version),
            },
            None => ProfileRef {
                id: Cow::Owned(self.id.clone()),
                title: Cow::Owned(self.title.clone()),
                version: Cow::Owned(self.version.clone()),
            },
        }
    }

    /// Whether `id` is one of the built-in profile ids.
    pub fn is_builtin_id(id: &str) -> bool {
        builtin_profiles().iter().any(|p| p.id == id)
    }
}

static BUILTIN: LazyLock<Vec<Profile>> = LazyLock::new(|| {
    [
        include_str!("builtin/eshre-2022.json"),
        include_str!("builtin/rcog-2023.json"),
        include_str!("builtin/asrm-2012.json"),
        include_str!("builtin/cn-2022.json"),
    ]
    .iter()
    .map(|json| serde_json::from_str(json).expect("built-in profiles are valid (tested)"))
    .collect()
});

/// The four built-in profiles, the default (`eshre-2022`) first.
pub fn builtin_profiles() -> &'static [Profile] {
    &BUILTIN
}

/// The built-in profile with this id.
pub fn builtin(id: &str) -> Option<&'static Profile> {
    builtin_profiles().iter().find(|p| p.id == id)
}

#[cfg(test)]
mod tests;
