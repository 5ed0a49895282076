//! The checklist items of clinical-rules.md §2 (stable ids). Pure: no actix, no diesel.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A recommended (or discussed) investigation of the workup.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ItemId {
    Antiphospholipid,
    Thyroid,
    UterineAnatomy,
    PregnancyTissueGenetics,
    ParentalKaryotype,
    LutealProgesterone,
    HereditaryThrombophilia,
    Prolactin,
    GlucoseMetabolism,
    SpermDnaFragmentation,
    ImmunologicalScreening,
    InfectionScreening,
    LifestyleReview,
    SupportiveCare,
}

impl ItemId {
    pub const ALL: [ItemId; 14] = [
        ItemId::Antiphospholipid,
        ItemId::Thyroid,
        ItemId::UterineAnatomy,
        ItemId::PregnancyTissueGenetics,
        ItemId::ParentalKaryotype,
        ItemId::LutealProgesterone,
        ItemId::HereditaryThrombophilia,
        ItemId::Prolactin,
        ItemId::GlucoseMetabolism,
        ItemId::SpermDnaFragmentation,
        ItemId::ImmunologicalScreening,
        ItemId::InfectionScreening,
        ItemId::LifestyleReview,
        ItemId::SupportiveCare,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemId::Antiphospholipid => "antiphospholipid",
            ItemId::Thyroid => "thyroid",
            ItemId::UterineAnatomy => "uterine_anatomy",
            ItemId::PregnancyTissueGenetics => "pregnancy_tissue_genetics",
            ItemId::ParentalKaryotype => "parental_karyotype",
            ItemId::LutealProgesterone => "luteal_progesterone",
            ItemId::HereditaryThrombophilia => "hereditary_thrombophilia",
            ItemId::Prolactin => "prolactin",
            ItemId::GlucoseMetabolism => "glucose_metabolism",
            ItemId::SpermDnaFragmentation => "sperm_dna_fragmentation",
            ItemId::ImmunologicalScreening => "immunological_screening",
            ItemId::InfectionScreening => "infection_screening",
            ItemId::LifestyleReview => "lifestyle_review",
            ItemId::SupportiveCare => "supportive_care",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn title(self) -> &'static str {
        match self {
            ItemId::Antiphospholipid => "Antiphospholipid antibodies",
            ItemId::Thyroid => "Thyroid function and autoimmunity",
            ItemId::UterineAnatomy => "Uterine anatomy",
            ItemId::PregnancyTissueGenetics => "Genetic analysis of pregnancy tissue",
            ItemId::ParentalKaryotype => "Parental karyotype",
            ItemId::LutealProgesterone => "Luteal phase progesterone",
            ItemId::HereditaryThrombophilia => "Hereditary thrombophilia",
            ItemId::Prolactin => "Prolactin",
            ItemId::GlucoseMetabolism => "Glucose metabolism",
            ItemId::SpermDnaFragmentation => "Sperm DNA fragmentation",
            ItemId::ImmunologicalScreening => "Immunological screening",
            ItemId::InfectionScreening => "Infection screening",
            ItemId::LifestyleReview => "Lifestyle review",
            ItemId::SupportiveCare => "Supportive care",
        }
    }
}
