//! The checklist: what the engine returns for one patient under one profile on one date
//! (api-conventions.md, "The checklist"). Served as-is by the REST endpoint, the worklist and
//! CDS Hooks, so field names and order are the contract. Pure data: no actix, no diesel, no clock.

use std::borrow::Cow;

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::catalogue::TestCode;
use super::ids::{PatientId, PregnancyId, ResultId};
use super::item::ItemId;
use super::profile::{Recommendation, TriggerId};
use super::review::Review;

/// The evaluated workup of one patient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Checklist {
    pub patient_id: PatientId,
    pub profile: ProfileRef,
    /// The date the checklist was evaluated for (due dates and overdue flags are relative to it).
    pub evaluated_on: NaiveDate,
    pub eligibility: Eligibility,
    pub summary: Summary,
    /// The profile's items in its order; items the profile omits are left out.
    pub items: Vec<ChecklistItem>,
    /// The last day items stay `deferred` for the pregnancy in progress (its EDD plus the grace
    /// days, clinical-rules.md §6.3); absent when nothing is deferred.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deferred_until: Option<NaiveDate>,
}

/// Which profile the checklist was evaluated under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProfileRef {
    // Borrowed from a built-in profile (no copy per checklist), owned for a clinic's own.
    #[schema(value_type = String)]
    pub id: Cow<'static, str>,
    #[schema(value_type = String)]
    pub title: Cow<'static, str>,
    #[schema(value_type = String)]
    pub version: Cow<'static, str>,
}

/// Whether the patient meets the profile's definition of recurrent pregnancy loss, and why
/// (clinical-rules.md §1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Eligibility {
    pub meets_definition: bool,
    /// True when the definition is not met but a clinician requested an early workup, so the items
    /// are evaluated as if it were (RCOG allows evaluation after 2 losses when a cause is suspected).
    pub early_workup: bool,
    pub losses_counted: u32,
    pub first_trimester: u32,
    pub second_trimester: u32,
    pub rpl_type: RplType,
    pub counted_pregnancy_ids: Vec<PregnancyId>,
    /// Indications outside the definition that fired (clinical-rules.md §6.1), e.g. a fetal death
    /// at or after 10+0 weeks making antiphospholipid testing due.
    #[serde(default)]
    pub triggers: Vec<FiredTrigger>,
    pub explanation: String,
}

/// One indication outside the definition, and the pregnancies that fired it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FiredTrigger {
    /// `fetal_death_10_weeks`, `early_preeclampsia_or_placental_insufficiency`.
    pub id: TriggerId,
    pub pregnancy_ids: Vec<PregnancyId>,
}

/// Primary RPL: no live birth before the losses; secondary: at least one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RplType {
    Primary,
    Secondary,
}

/// How many items have each status, plus how many repeats are overdue.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Summary {
    pub outstanding: u32,
    pub pending: u32,
    pub repeat_due: u32,
    pub abnormal: u32,
    pub needs_review: u32,
    pub complete: u32,
    pub optional: u32,
    pub not_recommended: u32,
    pub not_indicated: u32,
    pub declined: u32,
    pub not_applicable: u32,
    /// Items waiting for the end of the current pregnancy (§6.3).
    #[serde(default)]
    pub deferred: u32,
    /// Items whose `due_on` is before `evaluated_on`.
    pub overdue: u32,
}

/// One investigation of the workup, evaluated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChecklistItem {
    pub id: ItemId,
    // The engine's own static text: not copied per item.
    #[schema(value_type = String)]
    pub title: Cow<'static, str>,
    pub status: ItemStatus,
    /// When a repeat is due (antiphospholipid persistence); `null` when none.
    pub due_on: Option<NaiveDate>,
    /// `due_on` has passed without the repeat.
    pub overdue: bool,
    /// Every required component still without a counting result, whatever the status
    /// (`karyotype:partner`, `uterine_imaging`, `free_t4`; alternatives as `hba1c|fasting_glucose`).
    #[schema(value_type = Vec<String>)]
    pub missing: Vec<Cow<'static, str>>,
    /// Plain-English why: the rule, the counts, dates and values looked at.
    pub reason: String,
    pub recommendation: Recommendation,
    /// The results this evaluation looked at (counting and preliminary versions).
    pub result_ids: Vec<ResultId>,
    /// A clinician acknowledged the abnormal results (all of them reported before the review).
    pub reviewed: bool,
    /// The active clinician reviews of this item.
    pub reviews: Vec<Review>,
    /// Facts not yet recorded that could change this item's stance (§6.2), e.g.
    /// `["personal_vte", "family_vte_or_thrombophilia"]`; absent once recorded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub asks: Vec<TestCode>,
}

/// The status of an item (clinical-rules.md §4). When several apply, the first of
/// `declined`/`not_applicable` > `abnormal` > `needs_review` > `repeat_due` > `deferred` >
/// `outstanding` > `pending` > `complete` wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    /// Recommended, not done: `missing` lists the components.
    Outstanding,
    /// Ordered, or only preliminary results.
    Pending,
    /// A positive antiphospholipid test needs its repeat (`due_on`).
    RepeatDue,
    /// Done, needs clinician review.
    Abnormal,
    /// Done but a result could not be interpreted.
    NeedsReview,
    Complete,
    /// May be considered; not outstanding.
    Optional,
    /// The profile recommends against it.
    NotRecommended,
    /// Its condition, or the definition of RPL, is not met.
    NotIndicated,
    Declined,
    NotApplicable,
    /// After the current pregnancy: not to be done while pregnant, not yet done (§6.3).
    Deferred,
}

impl ItemStatus {
    pub const ALL: [ItemStatus; 12] = [
        ItemStatus::Outstanding,
        ItemStatus::Pending,
        ItemStatus::RepeatDue,
        ItemStatus::Abnormal,
        ItemStatus::NeedsReview,
        ItemStatus::Complete,
        ItemStatus::Optional,
        ItemStatus::NotRecommended,
        ItemStatus::NotIndicated,
        ItemStatus::Declined,
        ItemStatus::NotApplicable,
        ItemStatus::Deferred,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Outstanding => "outstanding",
            ItemStatus::Pending => "pending",
            ItemStatus::RepeatDue => "repeat_due",
            ItemStatus::Abnormal => "abnormal",
            ItemStatus::NeedsReview => "needs_review",
            ItemStatus::Complete => "complete",
            ItemStatus::Optional => "optional",
            ItemStatus::NotRecommended => "not_recommended",
            ItemStatus::NotIndicated => "not_indicated",
            ItemStatus::Declined => "declined",
            ItemStatus::NotApplicable => "not_applicable",
            ItemStatus::Deferred => "deferred",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Work the clinic still has to do (worklist): outstanding, pending, repeat due, abnormal
    /// or needs review. `deferred` is not: it waits for the end of the pregnancy.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            ItemStatus::Outstanding
                | ItemStatus::Pending
                | ItemStatus::RepeatDue
                | ItemStatus::Abnormal
                | ItemStatus::NeedsReview
        )
    }
}

impl Summary {
    /// Counts the items' statuses and overdue flags.
    pub fn of(items: &[ChecklistItem]) -> Self {
        let mut s = Summary::default();
        for item in items {
            let slot = match item.status {
                ItemStatus::Outstanding => &mut s.outstanding,
                ItemStatus::Pending => &mut s.pending,
                ItemStatus::RepeatDue => &mut s.repeat_due,
                ItemStatus::Abnormal => &mut s.abnormal,
                ItemStatus::NeedsReview => &mut s.needs_review,
                ItemStatus::Complete => &mut s.complete,
                ItemStatus::Optional => &mut s.optional,
                ItemStatus::NotRecommended => &mut s.not_recommended,
                ItemStatus::NotIndicated => &mut s.not_indicated,
                ItemStatus::Declined => &mut s.declined,
                ItemStatus::NotApplicable => &mut s.not_applicable,
                ItemStatus::Deferred => &mut s.deferred,
            };
            *slot += 1;
            s.overdue += u32::from(item.overdue);
        }
        s
    }
}

impl Checklist {
    /// The item with this id, if the profile includes it.
    pub fn item(&self, id: ItemId) -> Option<&ChecklistItem> {
        self.items.iter().find(|i| i.id == id)
    }

    /// The earliest date after `evaluated_on` on which this checklist would change by the passage
    /// of time alone (a `due_on` passing makes its item overdue, the day after it). `None` when
    /// only new results or reviews can change it. The worklist re-evaluates a patient on that date.
    pub fn next_change_on(&self) -> Option<NaiveDate> {
        self.items
            .iter()
            .filter(|i| !i.overdue)
            .filter_map(|i| i.due_on)
            // The day after a pregnancy's deferral ends, its deferred items fall due (§6.3).
            .chain(self.deferred_until)
            .filter_map(|d| d.checked_add_days(Days::new(1)))
            .filter(|d| *d > self.evaluated_on)
            .min()
    }
}
