//! Clinic profiles derived from a built-in one: the changes a clinic may make (stances,
//! recommendations, components, accepted modalities, thresholds, the loss definition) and their
//! validation, which names every bad field. Pure: no actix, no diesel.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::spec::{ItemSpec, Recommendation, Stance};
use super::validate::{check_item, check_loss_definition, check_triggers};
use super::{ComponentSpec, LossDefinition, Profile, Thresholds, TriggerSpec};
use crate::domain::item::ItemId;
use crate::domain::result::Modality;

/// A clinic's changes to a built-in profile, e.g.
/// `{"id": "clinic-a", "title": "…", "based_on": "eshre-2022",
///   "items": {"luteal_progesterone": {"stance": "recommended", "recommendation": {…}}},
///   "thresholds": {"tsh_upper_miu_per_l": 2.5}}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileChanges {
    /// Lowercase slug (`clinic-a-2026`), not a built-in id.
    pub id: String,
    pub title: String,
    /// The built-in profile this one changes.
    pub based_on: String,
    /// Defaults to "1".
    #[serde(default)]
    pub version: Option<String>,
    /// Defaults to the base profile's citation, marked as adapted.
    #[serde(default)]
    pub citation: Option<String>,
    /// Replaces the base profile's loss definition.
    #[serde(default)]
    pub loss_definition: Option<LossDefinition>,
    /// Threshold name → new value (names as in `Thresholds`).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub thresholds: BTreeMap<String, serde_json::Value>,
    /// Item id → what changes about it. An item the base omits may be added with a stance, a
    /// recommendation and components; `"stance": "omitted"` leaves an item out.
    #[serde(default)]
    pub items: BTreeMap<String, ItemChanges>,
    /// Replaces the base profile's indications outside the definition (§6.1).
    #[serde(default)]
    pub triggers: Option<Vec<TriggerSpec>>,
}

/// The fields of one item a clinic changes; absent fields keep the base profile's value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemChanges {
    #[serde(default)]
    pub stance: Option<Stance>,
    #[serde(default)]
    pub recommendation: Option<Recommendation>,
    #[serde(default)]
    pub components: Option<Vec<ComponentSpec>>,
    #[serde(default)]
    pub accepted_modalities: Option<Vec<Modality>>,
    #[serde(default)]
    pub preferred_modalities: Option<Vec<Modality>>,
    #[serde(default)]
    pub do_in_pregnancy: Option<bool>,
    #[serde(default)]
    pub tissue_of_latest_loss: Option<bool>,
}

/// A problem with one field of a profile or its changes (`items.luteal_progesterone.stance`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

pub(super) fn err(field: impl Into<String>, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

impl Profile {
    /// The clinic profile `changes` make of `base`, or every problem found.
    pub fn derive(base: &Profile, changes: ProfileChanges) -> Result<Profile, Vec<FieldError>> {
        let mut errors = Vec::new();
        if let Err(message) = check_slug(&changes.id) {
            errors.push(err("id", message));
        } else if Profile::is_builtin_id(&changes.id) {
            errors.push(err("id", "is a built-in profile id; choose another"));
        }
        if changes.title.trim().is_empty() {
            errors.push(err("title", "must not be empty"));
        }
        if changes.based_on != base.id {
            errors.push(err(
                "based_on",
                format!("does not name the base profile '{}'", base.id),
            ));
        }
        let loss_definition = changes
            .loss_definition
            .unwrap_or_else(|| base.loss_definition.clone());
        errors.extend(check_loss_definition(&loss_definition));
        let thresholds = merge_thresholds(&base.thresholds, &changes.thresholds, &mut errors);
        let triggers = changes.triggers.unwrap_or_else(|| base.triggers.clone());
        errors.extend(check_triggers(&triggers));
        let items = merge_items(&base.items, changes.items, &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Profile {
            id: changes.id,
            title: changes.title.trim().to_owned(),
            version: changes.version.unwrap_or_else(|| "1".to_owned()),
            citation: changes.citation.unwrap_or_else(|| {
                format!("Adapted by the clinic from {}: {}", base.id, base.citation)
            }),
            based_on: Some(base.id.clone()),
            loss_definition,
            thresholds: thresholds.unwrap_or_else(|| base.thresholds.clone()),
            triggers,
            items,
        })
    }
}

fn check_slug(id: &str) -> Result<(), &'static str> {
    let ok_chars = id
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !(3..=64).contains(&id.len()) {
        Err("must be 3 to 64 characters")
    } else if !ok_chars || !id.as_bytes()[0].is_ascii_lowercase() {
        Err("must be a lowercase slug: a-z, 0-9 and '-', starting with a letter")
    } else if id.ends_with('-') || id.contains("--") {
        Err("must not end with '-' or contain '--'")
    } else {
        Ok(())
    }
}

fn merge_thresholds(
    base: &Thresholds,
    changes: &BTreeMap<String, serde_json::Value>,
    errors: &mut Vec<FieldError>,
) -> Option<Thresholds> {
    let serde_json::Value::Object(mut map) =
        serde_json::to_value(base).expect("thresholds serialize")
    else {
        unreachable!("thresholds serialize to an object")
    };
    let known: Vec<String> = map.keys().cloned().collect();
    for (name, value) in changes {
        if !map.contains_key(name) {
            let message = format!("unknown threshold; known: {}", known.join(", "));
            errors.push(err(format!("thresholds.{name}"), message));
        } else {
            map.insert(name.clone(), value.clone());
        }
    }
    let merged: Thresholds = match serde_json::from_value(serde_json::Value::Object(map)) {
        Ok(t) => t,
        Err(e) => {
            errors.push(err("thresholds", e.to_string()));
            return None;
        }
    };
    for (field, message) in merged.problems() {
        errors.push(err(format!("thresholds.{field}"), message));
    }
    Some(merged)
}

fn merge_items(
    base: &[ItemSpec],
    changes: BTreeMap<String, ItemChanges>,
    errors: &mut Vec<FieldError>,
) -> Vec<ItemSpec> {
    let mut items = base.to_vec();
    for (name, change) in changes {
        let Some(id) = ItemId::parse(&name) else {
            errors.push(err(format!("items.{name}"), "unknown item"));
            continue;
        };
        let field = format!("items.{name}");
        let spec = match items.iter_mut().find(|s| s.id == id) {
            Some(spec) => spec,
            None => match (&change.stance, &change.recommendation, &change.components) {
                (Some(stance), Some(rec), Some(_)) => {
                    items.push(new_item(id, stance.clone(), rec.clone()));
                    items.last_mut().expect("just pushed")
                }
                _ => {
                    let m = "the base profile omits this item: give stance, recommendation and components";
                    errors.push(err(field, m));
                    continue;
                }
            },
        };
        apply(spec, change);
    }
    items.retain(|s| s.stance != Stance::Omitted);
    items.sort_by_key(|s| ItemId::ALL.iter().position(|i| *i == s.id));
    for spec in &items {
        errors.extend(check_item(spec));
    }
    items
}

fn new_item(id: ItemId, stance: Stance, recommendation: Recommendation) -> ItemSpec {
    ItemSpec {
        id,
        stance,
        recommendation,
        components: Vec::new(),
        accepted_modalities: Vec::new(),
        preferred_modalities: Vec::new(),
        do_in_pregnancy: false,
        tissue_of_latest_loss: false,
        verify: false,
    }
}

fn apply(spec: &mut ItemSpec, change: ItemChanges) {
    if let Some(s) = change.stance {
        spec.stance = s;
    }
    if let Some(r) = change.recommendation {
        spec.recommendation = r;
    }
    if let Some(c) = change.components {
        spec.components = c;
    }
    if let Some(m) = change.accepted_modalities {
        spec.accepted_modalities = m;
    }
    if let Some(m) = change.preferred_modalities {
        spec.preferred_modalities = m;
    }
    if let Some(b) = change.do_in_pregnancy {
        spec.do_in_pregnancy = b;
    }
    if let Some(b) = change.tissue_of_latest_loss {
        spec.tissue_of_latest_loss = b;
    }
}
