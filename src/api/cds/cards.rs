//! Cards for `patient-view` (CDS Hooks 2.0): a summary card of the workup and one card per
//! abnormal or overdue item, with draft `ServiceRequest` suggestions (LOINC-coded from the
//! catalogue) for what is still to be ordered. No field is ever `null` or empty: optional parts
//! are left out. Pure: built from the checklist and the profile, nothing else.

use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use crate::domain::catalogue::TestCode;
use crate::domain::checklist::{Checklist, ChecklistItem, ItemStatus};
use crate::domain::ids::CardId;
use crate::domain::item::ItemId;
use crate::domain::profile::{Profile, Requirement};

/// Our code system for override reasons (what the clinician decided instead).
pub const OVERRIDE_SYSTEM: &str = "https://rpl-workup.dev/cds/override-reason";
const ITEM_SYSTEM: &str = "https://rpl-workup.dev/cds/item";
const SUMMARY_LIMIT: usize = 139;

/// A coded concept.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Coding {
    pub system: String,
    pub code: String,
    pub display: String,
}

/// The guideline a card comes from.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Source {
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic: Option<Coding>,
}

/// One proposed change: here, a draft `ServiceRequest` to create.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Action {
    #[serde(rename = "type")]
    pub kind: String,
    pub description: String,
    #[schema(value_type = Object)]
    pub resource: Value,
}

/// A suggestion the clinician can accept.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Suggestion {
    pub label: String,
    pub uuid: String,
    pub is_recommended: bool,
    pub actions: Vec<Action>,
}

/// A link to an app page (CDS Hooks `Link`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Link {
    pub label: String,
    pub url: String,
    /// `absolute`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// A CDS Hooks card.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Card {
    pub uuid: String,
    /// Under 140 characters.
    pub summary: String,
    /// Markdown: the reason and the recommendation.
    pub detail: String,
    /// `info`, `warning` or `critical`.
    pub indicator: String,
    pub source: Source,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suggestions: Vec<Suggestion>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selection_behavior: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub override_reasons: Vec<Coding>,
    /// The patient's page in this service, when `RPL_PUBLIC_URL` is set.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
}

/// Adds a link to the patient's page (`{public_url}/app/patients/{id}`) to every card.
pub fn link_patient_page(
    cards: &mut [Card],
    public_url: &str,
    patient_id: crate::domain::ids::PatientId,
) {
    let url = format!(
        "{}/app/patients/{patient_id}",
        public_url.trim_end_matches('/')
    );
    for card in cards {
        card.links.push(Link {
            label: "Open the RPL workup".to_owned(),
            url: url.clone(),
            kind: "absolute".to_owned(),
        });
    }
}

/// What a card or suggestion uuid means, kept to record feedback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    pub id: CardId,
    pub card_id: CardId,
    pub is_card: bool,
    pub item: Option<ItemId>,
}

/// The override reasons offered on item cards, and the review action each one records.
pub const OVERRIDE_REASONS: [(&str, &str, &str); 3] = [
    ("acknowledged", "Seen; will act on it", "acknowledge"),
    ("patient_declined", "Patient declined", "declined"),
    (
        "not_applicable",
        "Not applicable to this patient",
        "not_applicable",
    ),
];

fn override_reasons() -> Vec<Coding> {
    OVERRIDE_REASONS
        .iter()
        .map(|(code, display, _)| Coding {
            system: OVERRIDE_SYSTEM.to_owned(),
            code: (*code).to_owned(),
            display: (*display).to_owned(),
        })
        .collect()
}

/// Cuts a summary to the CDS Hooks limit (under 140 characters) on a character boundary.
pub fn clip(s: &str) -> String {
    if s.chars().count() <= SUMMARY_LIMIT {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(SUMMARY_LIMIT - 1).collect();
    out.push('…');
    out
}

/// The tests still to order for an item: its missing components, or for an overdue repeat (nothing
/// missing) its required components again. Alternatives (`hba1c|fasting_glucose`) offer the first.
pub fn to_order(item: &ChecklistItem, profile: &Profile) -> Vec<(TestCode, bool)> {
    let mut tests: Vec<(TestCode, bool)> = item
        .missing
        .iter()
        .filter_map(|m| {
            let first = m.split('|').next().unwrap_or(m);
            let (test, subject) = first.split_once(':').unwrap_or((first, "patient"));
            Some((TestCode::parse(test)?, subject == "partner"))
        })
        .collect();
    if tests.is_empty() && item.status == ItemStatus::RepeatDue {
        if let Some(spec) = profile.item(item.id) {
            tests = spec
                .components
                .iter()
                .filter(|c| c.requirement == Requirement::Required)
                .map(|c| (c.test, false))
                .collect();
        }
    }
    tests.dedup();
    tests
}

fn service_request(
    test: TestCode,
    partner: bool,
    patient_ref: &str,
    reason: &str,
) -> Option<Value> {
    let entry = test.entry();
    let loinc = entry.loinc.first()?;
    let mut resource = json!({
        "resourceType": "ServiceRequest",
        "status": "draft",
        "intent": "proposal",
        "code": {
            "coding": [{"system": "http://loinc.org", "code": loinc, "display": entry.title}],
            "text": entry.title,
        },
        "subject": {"reference": patient_ref},
        "reasonCode": [{"text": reason}],
    });
    if partner {
        resource["note"] = json!([{"text": "Sample from the patient's partner"}]);
    }
    Some(resource)
}

fn suggestion(
    item: &ChecklistItem,
    profile: &Profile,
    patient_ref: &str,
    id: CardId,
) -> Option<Suggestion> {
    let reason = format!("Recurrent pregnancy loss workup ({})", profile.title);
    let actions: Vec<Action> = to_order(item, profile)
        .into_iter()
        .filter_map(|(test, partner)| {
            let resource = service_request(test, partner, patient_ref, &reason)?;
            Some(Action {
                kind: "create".to_owned(),
                description: format!(
                    "Order {}{}",
                    test.entry().title,
                    if partner { " (partner)" } else { "" }
                ),
                resource,
            })
        })
        .collect();
    (!actions.is_empty()).then(|| Suggestion {
        label: clip(&format!("Order {}", item.title.to_lowercase())),
        uuid: id.to_string(),
        is_recommended: true,
        actions,
    })
}

fn status_phrase(item: &ChecklistItem) -> String {
    match (item.status, item.due_on) {
        (ItemStatus::RepeatDue, Some(due)) if item.overdue => format!("repeat overdue since {due}"),
        (ItemStatus::RepeatDue, Some(due)) => format!("repeat due {due}"),
        (status, _) => status.as_str().replace('_', " "),
    }
}

fn item_detail(item: &ChecklistItem) -> String {
    let r = &item.recommendation;
    let mut detail = format!(
        "**Why:** {}\n\n**Recommendation** ({}, {}): {}",
        item.reason,
        serde_json::to_value(r.strength)
            .ok()
            .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
            .unwrap_or_default(),
        r.source,
        r.text
    );
    if !item.missing.is_empty() {
        detail.push_str(&format!("\n\n**Missing:** {}", item.missing.join(", ")));
    }
    detail
}

/// The cards for one patient's checklist, and what each uuid means.
pub fn cards(
    checklist: &Checklist,
    profile: &Profile,
    patient_ref: &str,
) -> (Vec<Card>, Vec<Issued>) {
    let mut cards = Vec::new();
    let mut issued = Vec::new();
    let s = &checklist.summary;
    let open: Vec<&ChecklistItem> = checklist
        .items
        .iter()
        .filter(|i| i.status.is_open())
        .collect();

    // The summary card, with a suggestion per outstanding item.
    let summary_id = CardId::new();
    let mut counts = Vec::new();
    for (n, label) in [
        (s.outstanding, "outstanding"),
        (s.abnormal, "abnormal"),
        (s.repeat_due, "repeat due"),
        (s.pending, "pending"),
        (s.needs_review, "to review"),
        (s.overdue, "overdue"),
        (s.deferred, "after the current pregnancy"),
    ] {
        if n > 0 {
            counts.push(format!("{n} {label}"));
        }
    }
    // An indication outside the definition (clinical-rules.md §6.1) makes its items due anyway.
    let state = if !checklist.eligibility.meets_definition
        && !checklist.eligibility.early_workup
        && checklist.eligibility.triggers.is_empty()
    {
        "workup not indicated".to_owned()
    } else if counts.is_empty() {
        "nothing outstanding".to_owned()
    } else {
        counts.join(", ")
    };
    let mut detail = format!("{}\n", checklist.eligibility.explanation);
    for item in &open {
        detail.push_str(&format!("\n- **{}**: {}", item.title, status_phrase(item)));
    }
    // Deferred items are not work for today, but the clinician should see they are waiting.
    for item in checklist
        .items
        .iter()
        .filter(|i| i.status == ItemStatus::Deferred)
    {
        detail.push_str(&format!(
            "\n- **{}**: deferred until after the current pregnancy",
            item.title
        ));
    }
    detail.push_str("\n\n_Decision support, not a diagnosis: each item cites its guideline._");
    let suggestions: Vec<Suggestion> = open
        .iter()
        .filter(|i| i.status == ItemStatus::Outstanding)
        .filter_map(|i| {
            let id = CardId::new();
            let sug = suggestion(i, profile, patient_ref, id)?;
            issued.push(Issued {
                id,
                card_id: summary_id,
                is_card: false,
                item: Some(i.id),
            });
            Some(sug)
        })
        .collect();
    issued.push(Issued {
        id: summary_id,
        card_id: summary_id,
        is_card: true,
        item: None,
    });
    cards.push(Card {
        uuid: summary_id.to_string(),
        summary: clip(&format!("RPL workup ({}): {state}", checklist.profile.id)),
        detail,
        indicator: if s.abnormal > 0 || s.overdue > 0 {
            "warning"
        } else {
            "info"
        }
        .to_owned(),
        source: Source {
            label: profile.title.clone(),
            topic: None,
        },
        selection_behavior: (!suggestions.is_empty()).then(|| "any".to_owned()),
        suggestions,
        override_reasons: Vec::new(),
        links: Vec::new(),
    });

    // One card per abnormal or overdue item.
    for item in open
        .iter()
        .filter(|i| i.status == ItemStatus::Abnormal || i.overdue)
    {
        let card_id = CardId::new();
        let suggestion_id = CardId::new();
        let suggestions: Vec<Suggestion> = suggestion(item, profile, patient_ref, suggestion_id)
            .into_iter()
            .inspect(|_| {
                issued.push(Issued {
                    id: suggestion_id,
                    card_id,
                    is_card: false,
                    item: Some(item.id),
                })
            })
            .collect();
        issued.push(Issued {
            id: card_id,
            card_id,
            is_card: true,
            item: Some(item.id),
        });
        let indicator = if item.status == ItemStatus::Abnormal && !item.reviewed {
            "critical"
        } else {
            "warning"
        };
        cards.push(Card {
            uuid: card_id.to_string(),
            summary: clip(&format!("{}: {}", item.title, status_phrase(item))),
            detail: item_detail(item),
            indicator: indicator.to_owned(),
            source: Source {
                label: item.recommendation.source.to_string(),
                topic: Some(Coding {
                    system: ITEM_SYSTEM.to_owned(),
                    code: item.id.as_str().to_owned(),
                    display: item.title.to_string(),
                }),
            },
            selection_behavior: (!suggestions.is_empty()).then(|| "any".to_owned()),
            suggestions,
            override_reasons: override_reasons(),
            links: Vec::new(),
        });
    }
    (cards, issued)
}
