//! What a profile says about one item (clinical-rules.md §2): its stance, the components that
//! complete it and the recommendation with strength and source. Pure data: no actix, no diesel.

use std::borrow::Cow;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::catalogue::TestCode;
use crate::domain::item::ItemId;
use crate::domain::pregnancy::{Complication, Outcome};
use crate::domain::result::{Modality, Subject};

/// One item of a profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemSpec {
    pub id: ItemId,
    pub stance: Stance,
    /// The recommendation shown when the stance is not conditional (a conditional branch may
    /// carry its own).
    pub recommendation: Recommendation,
    /// The tests that complete the item.
    pub components: Vec<ComponentSpec>,
    /// Imaging modalities whose study completes `uterine_anatomy` (empty for other items).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accepted_modalities: Vec<Modality>,
    /// Accepted modalities the guideline prefers; a study by another accepted one completes the
    /// item with "… preferred" in its reason (rcog-2023: "ideally with 3D ultrasound", §6.7).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub preferred_modalities: Vec<Modality>,
    /// Stays due during a pregnancy because it changes care in it (antiphospholipid, thyroid;
    /// §6.3): the reason says so.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub do_in_pregnancy: bool,
    /// Pregnancy tissue counts only for the most recent counted loss (rcog-2023, §6.4).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tissue_of_latest_loss: bool,
    /// The stance or strength could not be checked line by line against the source
    /// (clinical-rules.md marks it [verify]): a clinician should confirm it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub verify: bool,
}

/// What the guideline says to do about an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stance {
    /// REC: outstanding until done.
    Recommended,
    /// OPT: may be considered; never outstanding.
    Optional,
    /// NO: recommended against; existing results are still evaluated.
    NotRecommended,
    /// Not indicated for this patient (used as the otherwise-branch of a condition).
    NotIndicated,
    /// Left out of the checklist (the guideline does not mention it).
    Omitted,
    /// COND: `then` when the condition holds, else `otherwise` (which may itself be conditional).
    Conditional(Box<Conditional>),
}

/// A stance that depends on the patient's findings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Conditional {
    pub condition: Condition,
    pub then: Branch,
    pub otherwise: Branch,
}

/// One branch of a conditional stance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Branch {
    #[schema(no_recursion)]
    pub stance: Stance,
    /// Overrides the item's recommendation on this branch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommendation: Option<Recommendation>,
}

/// A fact about the patient a conditional stance depends on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// Genetic analysis of pregnancy tissue showed an unbalanced structural rearrangement.
    TissueUnbalanced,
    /// Tissue testing failed, or no tissue is available (a `not_applicable` or `declined` review
    /// on `pregnancy_tissue_genetics`).
    TissueFailedOrUnavailable,
    /// At least this many losses counted under the profile.
    LossesAtLeast(u32),
    /// At least this many second-trimester losses counted under the profile.
    SecondTrimesterLossesAtLeast(u32),
    /// The most recent counted loss is a second-trimester loss (§6.4).
    LatestLossSecondTrimester,
    /// The most recent counted loss had its tissue testing fail, or no tissue (a `not_applicable`
    /// or `declined` review on `pregnancy_tissue_genetics`; §6.4).
    LatestLossTissueFailedOrUnavailable,
    /// A history observation (§6.2) has one of these findings; while it is not recorded the item
    /// `asks` for it.
    Finding(FindingCondition),
    /// Any of these holds.
    #[schema(no_recursion)]
    Any(Vec<Condition>),
}

/// A recorded patient fact with one of `any_of` as its finding (`personal_vte: yes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FindingCondition {
    pub test: TestCode,
    pub any_of: Vec<String>,
}

/// An indication outside the definition of RPL (§6.1): a pregnancy with one of `outcomes`,
/// its gestational age (at demise when recorded) in `[ga_from_days, ga_before_days)`, and — when
/// `complications` is not empty — one of them, makes `items` recommended even when the definition
/// is not met, with `recommendation` (the criteria's own source).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TriggerSpec {
    pub id: TriggerId,
    pub outcomes: Vec<Outcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ga_from_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ga_before_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub complications: Vec<Complication>,
    /// What the pregnancy meets, in words ("an obstetric criterion of antiphospholipid syndrome").
    pub meets: String,
    pub items: Vec<ItemId>,
    pub recommendation: Recommendation,
}

/// The stable ids of the triggers (§6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TriggerId {
    /// A fetal death or pregnancy loss at or after 10+0 weeks.
    #[serde(rename = "fetal_death_10_weeks")]
    FetalDeath10Weeks,
    /// A birth or stillbirth before 34+0 weeks with severe pre-eclampsia, eclampsia or placental
    /// insufficiency.
    EarlyPreeclampsiaOrPlacentalInsufficiency,
}

/// One test that (partly) completes an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComponentSpec {
    pub test: TestCode,
    /// Whose sample; results of another subject do not count for this component.
    #[serde(default = "patient")]
    pub subject: Subject,
    #[serde(default)]
    pub requirement: Requirement,
    /// What a pregnancy does to this component (§6.3).
    #[serde(default, skip_serializing_if = "InPregnancy::is_any")]
    pub in_pregnancy: InPregnancy,
}

/// How a component behaves around a pregnancy (§6.3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InPregnancy {
    /// Unaffected.
    #[default]
    Any,
    /// Not done while a pregnancy is in progress: `deferred` until it ends (uterine imaging).
    Defer,
    /// Deferred, and a sample collected during any pregnancy is `needs_review` (protein S,
    /// protein C, antithrombin, prolactin, progesterone).
    DeferAndInvalid,
}

impl InPregnancy {
    fn is_any(&self) -> bool {
        *self == InPregnancy::Any
    }
}

fn patient() -> Subject {
    Subject::Patient
}

/// Whether a component is needed to complete its item.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    /// Needed: missing until it has a counting result.
    #[default]
    Required,
    /// Evaluated when present, never missing.
    Optional,
    /// One of the item's `any_of` components completes this part (HbA1c or fasting glucose).
    AnyOf,
    /// Needed once the screening test is abnormal (free T4 after an abnormal TSH).
    Reflex,
}

impl ComponentSpec {
    /// The component's name in `missing`: the test code, with `:subject` for a karyotype (the one
    /// test needed from several subjects: `karyotype:patient`, `karyotype:partner`).
    pub fn name(&self) -> Cow<'static, str> {
        if self.test != TestCode::Karyotype {
            return Cow::Borrowed(self.test.as_str());
        }
        Cow::Borrowed(match self.subject {
            Subject::Patient => "karyotype:patient",
            Subject::Partner => "karyotype:partner",
            Subject::PregnancyTissue => "karyotype:pregnancy_tissue",
        })
    }
}

/// A guideline's recommendation as shown beside an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Recommendation {
    pub strength: Strength,
    // Shared with every checklist item that shows it: cloning it copies no text.
    #[schema(value_type = String)]
    pub text: Arc<str>,
    /// Short source, e.g. "ESHRE 2022", "RCOG GTG 17 (2023)".
    #[schema(value_type = String)]
    pub source: Arc<str>,
}

/// The strength or grade the guideline gives a recommendation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Strength {
    /// ESHRE: strong recommendation.
    Strong,
    /// ESHRE: conditional recommendation.
    Conditional,
    /// Good practice point (ESHRE, RCOG).
    Gpp,
    GradeA,
    GradeB,
    GradeC,
    GradeD,
    /// ASRM Practice Committee opinion.
    CommitteeOpinion,
    /// Expert consensus (Chinese consensus 2022).
    ExpertConsensus,
    /// The guideline does not address it (never an invented grade, §6.8).
    NotAddressed,
    /// Classification criteria (antiphospholipid syndrome), not a graded recommendation (§6.1).
    ClassificationCriteria,
}

/// The tests that may be components of an item (a derived profile may not add others).
pub fn allowed_tests(item: ItemId) -> &'static [TestCode] {
    use TestCode::*;
    match item {
        ItemId::Antiphospholipid => &[
            LupusAnticoagulant,
            AnticardiolipinIgg,
            AnticardiolipinIgm,
            AntiB2gpiIgg,
            AntiB2gpiIgm,
        ],
        ItemId::Thyroid => &[Tsh, TpoAntibodies, FreeT4],
        ItemId::UterineAnatomy => &[UterineImaging],
        ItemId::PregnancyTissueGenetics | ItemId::ParentalKaryotype => &[Karyotype],
        ItemId::LutealProgesterone => &[Progesterone],
        ItemId::HereditaryThrombophilia => &[
            FactorVLeiden,
            ProthrombinG20210a,
            ProteinSFree,
            ProteinC,
            Antithrombin,
            Mthfr,
        ],
        ItemId::Prolactin => &[Prolactin],
        ItemId::GlucoseMetabolism => &[Hba1c, FastingGlucose],
        ItemId::SpermDnaFragmentation => &[SpermDnaFragmentation],
        ItemId::ImmunologicalScreening => &[NkCells, HlaTyping, AntiHlaAntibodies, CytokineProfile],
        ItemId::InfectionScreening => &[InfectionSerology],
        ItemId::LifestyleReview => &[SmokingStatus, AlcoholUnitsPerWeek, Bmi, CaffeineMgPerDay],
        ItemId::SupportiveCare => &[SupportOffered, Phq9Score, Gad7Score],
    }
}
