//! The test catalogue (clinical-rules.md §5): every test code the service knows, its LOINC codes
//! and the units it is reported in. Pure: no actix, no diesel.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A test (or history observation) the workup can record. Codes are stable API values.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TestCode {
    LupusAnticoagulant,
    AnticardiolipinIgg,
    AnticardiolipinIgm,
    AntiB2gpiIgg,
    AntiB2gpiIgm,
    Tsh,
    FreeT4,
    TpoAntibodies,
    Progesterone,
    Prolactin,
    Hba1c,
    FastingGlucose,
    FactorVLeiden,
    ProthrombinG20210a,
    ProteinSFree,
    ProteinC,
    Antithrombin,
    Mthfr,
    // serde's snake_case would spell it `vitamin_d25oh`; the API spelling is `vitamin_d_25oh`.
    #[serde(rename = "vitamin_d_25oh")]
    VitaminD25oh,
    Karyotype,
    NkCells,
    HlaTyping,
    AntiHlaAntibodies,
    CytokineProfile,
    InfectionSerology,
    SmokingStatus,
    AlcoholUnitsPerWeek,
    Bmi,
    CaffeineMgPerDay,
    SupportOffered,
    Phq9Score,
    Gad7Score,
    UterineImaging,
    SpermDnaFragmentation,
    /// A personal history of venous thromboembolism (clinical-rules.md §6.2).
    PersonalVte,
    /// A first-degree relative with VTE or a known high-risk hereditary thrombophilia.
    FamilyVteOrThrombophilia,
    /// `regular`, `oligomenorrhoea`, `amenorrhoea`.
    MenstrualPattern,
    Galactorrhoea,
}

/// The shape a test's value takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ValueKind {
    /// `{"quantity": 52.0, "unit": "[GPL'U]/mL"}`
    Quantity,
    /// `{"finding": "…"}` from a fixed list.
    Finding,
    /// Either a quantity or a finding (`positive`, `negative`, …), e.g. lupus anticoagulant.
    QuantityOrFinding,
    /// Karyotype: `{"finding": category, "text": ISCN}`.
    Karyotype,
}

/// One catalogue entry.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct CatalogueEntry {
    pub code: TestCode,
    pub title: &'static str,
    /// LOINC codes that map to this test (the first is preferred).
    pub loinc: &'static [&'static str],
    /// UCUM units accepted for a quantity (the first is canonical).
    pub units: &'static [&'static str],
    pub value_kind: ValueKind,
    /// Findings accepted in `value.finding` (empty: none / free).
    pub findings: &'static [&'static str],
}

pub const KARYOTYPE_FINDINGS: &[&str] = &[
    "normal",
    "balanced_rearrangement",
    "unbalanced_rearrangement",
    "aneuploidy",
    "other_abnormal",
    "failed",
    // Polymorphisms such as inv(9)(p12q13): complete the component, never abnormal (§6.4).
    "normal_variant",
];
pub const YES_NO_FINDINGS: &[&str] = &["yes", "no"];
pub const MENSTRUAL_FINDINGS: &[&str] = &["regular", "oligomenorrhoea", "amenorrhoea"];
pub const IMAGING_FINDINGS: &[&str] = &[
    "normal",
    "septate",
    "bicornuate",
    "unicornuate",
    "didelphys",
    "arcuate",
    "submucosal_fibroid",
    "polyp",
    "adhesions",
    "adenomyosis",
    "other",
];
pub const QUALITATIVE_FINDINGS: &[&str] = &[
    "positive",
    "negative",
    "detected",
    "not_detected",
    "normal",
    "abnormal",
    "indeterminate",
];
pub const GENOTYPE_FINDINGS: &[&str] = &[
    "not_detected",
    "heterozygous",
    "homozygous",
    "positive",
    "negative",
    "normal",
    "abnormal",
];

macro_rules! entry {
    ($code:ident, $title:expr, [$($loinc:expr),*], [$($unit:expr),*], $kind:ident, $findings:expr) => {
        CatalogueEntry {
            code: TestCode::$code,
            title: $title,
            loinc: &[$($loinc),*],
            units: &[$($unit),*],
            value_kind: ValueKind::$kind,
            findings: $findings,
        }
    };
}

/// The whole catalogue, in display order. LOINC codes marked [verify] in clinical-rules.md are kept
/// here as data so they can be corrected without touching the rules.
pub const CATALOGUE: &[CatalogueEntry] = &[
    entry!(
        LupusAnticoagulant,
        "Lupus anticoagulant",
        ["75515-7", "6303-2", "57838-5", "50410-0", "34571-0"],
        ["{ratio}", "s"],
        QuantityOrFinding,
        QUALITATIVE_FINDINGS
    ),
    entry!(
        AnticardiolipinIgg,
        "Anticardiolipin IgG",
        ["3181-5", "8065-5"],
        ["[GPL'U]/mL"],
        QuantityOrFinding,
        QUALITATIVE_FINDINGS
    ),
    entry!(
        AnticardiolipinIgm,
        "Anticardiolipin IgM",
        ["3182-3"],
        ["[MPL'U]/mL"],
        QuantityOrFinding,
        QUALITATIVE_FINDINGS
    ),
    entry!(
        AntiB2gpiIgg,
        "Anti-β2-glycoprotein-I IgG",
        ["44448-9"],
        ["[arb'U]/mL"],
        QuantityOrFinding,
        QUALITATIVE_FINDINGS
    ),
    entry!(
        AntiB2gpiIgm,
        "Anti-β2-glycoprotein-I IgM",
        ["44449-7"],
        ["[arb'U]/mL"],
        QuantityOrFinding,
        QUALITATIVE_FINDINGS
    ),
    entry!(
        Tsh,
        "Thyroid-stimulating hormone (TSH)",
        ["3016-3", "11580-8"],
        ["m[IU]/L"],
        Quantity,
        &[]
    ),
    entry!(
        FreeT4,
        "Free thyroxine (free T4)",
        ["3024-7", "14920-3"],
        ["ng/dL", "pmol/L"],
        Quantity,
        &[]
    ),
    entry!(
        TpoAntibodies,
        "Thyroid peroxidase antibodies",
        ["8099-4"],
        ["[IU]/mL"],
        QuantityOrFinding,
        QUALITATIVE_FINDINGS
    ),
    entry!(
        Progesterone,
        "Mid-luteal serum progesterone",
        ["2839-9"],
        ["ng/mL", "nmol/L"],
        Quantity,
        &[]
    ),
    entry!(
        Prolactin,
        "Serum prolactin",
        ["2842-3", "20568-2"],
        ["ng/mL"],
        Quantity,
        &[]
    ),
    entry!(
        Hba1c,
        "HbA1c",
        ["4548-4", "59261-8"],
        ["%", "mmol/mol"],
        Quantity,
        &[]
    ),
    entry!(
        FastingGlucose,
        "Fasting glucose",
        ["1558-6"],
        ["mg/dL", "mmol/L"],
        Quantity,
        &[]
    ),
    entry!(
        FactorVLeiden,
        "Factor V Leiden",
        ["21668-9"],
        [],
        Finding,
        GENOTYPE_FINDINGS
    ),
    entry!(
        ProthrombinG20210a,
        "Prothrombin G20210A",
        ["24475-6"],
        [],
        Finding,
        GENOTYPE_FINDINGS
    ),
    entry!(
        ProteinSFree,
        "Free protein S",
        ["27821-8"],
        ["%"],
        QuantityOrFinding,
        QUALITATIVE_FINDINGS
    ),
    entry!(
        ProteinC,
        "Protein C activity",
        ["27818-4"],
        ["%"],
        QuantityOrFinding,
        QUALITATIVE_FINDINGS
    ),
    entry!(
        Antithrombin,
        "Antithrombin activity",
        ["27811-9"],
        ["%"],
        QuantityOrFinding,
        QUALITATIVE_FINDINGS
    ),
    entry!(Mthfr, "MTHFR genotype", [], [], Finding, GENOTYPE_FINDINGS),
    entry!(
        VitaminD25oh,
        "25-hydroxyvitamin D",
        ["62292-8"],
        ["ng/mL"],
        Quantity,
        &[]
    ),
    entry!(
        Karyotype,
        "Karyotype / chromosomal array",
        ["29770-5"],
        [],
        Karyotype,
        KARYOTYPE_FINDINGS
    ),
    entry!(
        NkCells,
        "Natural killer cells",
        [],
        ["%"],
        QuantityOrFinding,
        QUALITATIVE_FINDINGS
    ),
    entry!(
        HlaTyping,
        "HLA typing",
        [],
        [],
        Finding,
        QUALITATIVE_FINDINGS
    ),
    entry!(
        AntiHlaAntibodies,
        "Anti-HLA antibodies",
        [],
        [],
        QuantityOrFinding,
        QUALITATIVE_FINDINGS
    ),
    entry!(
        CytokineProfile,
        "Cytokine profile",
        [],
        [],
        QuantityOrFinding,
        QUALITATIVE_FINDINGS
    ),
    entry!(
        InfectionSerology,
        "Infection (TORCH) serology",
        [],
        [],
        Finding,
        QUALITATIVE_FINDINGS
    ),
    entry!(
        SmokingStatus,
        "Smoking status",
        ["72166-2"],
        [],
        Finding,
        &["current", "former", "never"]
    ),
    entry!(
        AlcoholUnitsPerWeek,
        "Alcohol (units per week)",
        [],
        ["{units}/wk"],
        Quantity,
        &[]
    ),
    entry!(
        Bmi,
        "Body mass index",
        ["39156-5"],
        ["kg/m2"],
        Quantity,
        &[]
    ),
    entry!(
        CaffeineMgPerDay,
        "Caffeine (mg per day)",
        [],
        ["mg/d"],
        Quantity,
        &[]
    ),
    entry!(
        SupportOffered,
        "Psychological support offered",
        [],
        [],
        Finding,
        &["offered", "accepted", "declined"]
    ),
    entry!(
        Phq9Score,
        "PHQ-9 depression score",
        ["44261-6"],
        ["{score}"],
        Quantity,
        &[]
    ),
    entry!(
        Gad7Score,
        "GAD-7 anxiety score",
        ["70274-6"],
        ["{score}"],
        Quantity,
        &[]
    ),
    entry!(
        UterineImaging,
        "Uterine cavity imaging",
        [],
        [],
        Finding,
        IMAGING_FINDINGS
    ),
    entry!(
        SpermDnaFragmentation,
        "Sperm DNA fragmentation",
        [],
        ["%"],
        Quantity,
        &[]
    ),
    entry!(
        PersonalVte,
        "Personal history of venous thromboembolism",
        [],
        [],
        Finding,
        YES_NO_FINDINGS
    ),
    entry!(
        FamilyVteOrThrombophilia,
        "Family history of VTE or high-risk thrombophilia",
        [],
        [],
        Finding,
        YES_NO_FINDINGS
    ),
    entry!(
        MenstrualPattern,
        "Menstrual pattern",
        [],
        [],
        Finding,
        MENSTRUAL_FINDINGS
    ),
    entry!(
        Galactorrhoea,
        "Galactorrhoea",
        [],
        [],
        Finding,
        YES_NO_FINDINGS
    ),
];

impl TestCode {
    /// How many test codes there are.
    pub const COUNT: usize = CODES;

    pub fn entry(self) -> &'static CatalogueEntry {
        &CATALOGUE[ENTRY_AT[self as usize]]
    }

    /// The API spelling (`anticardiolipin_igg`).
    pub fn as_str(self) -> &'static str {
        CODE_NAMES[NAME_AT[self as usize]].1
    }

    pub fn parse(s: &str) -> Option<Self> {
        CODE_NAMES.iter().find(|(_, n)| *n == s).map(|(c, _)| *c)
    }

    /// The test a LOINC code maps to, if any.
    pub fn from_loinc(loinc: &str) -> Option<Self> {
        CATALOGUE
            .iter()
            .find(|e| e.loinc.contains(&loinc))
            .map(|e| e.code)
    }
}

/// Where each code's entry sits in `CATALOGUE` and its name in `CODE_NAMES`, found at compile
/// time: the engine looks a test up for every line of text it writes. A code missing from either
/// table fails to compile.
const CODES: usize = CODE_NAMES.len();
const ENTRY_AT: [usize; CODES] = {
    let mut at = [usize::MAX; CODES];
    let mut i = 0;
    while i < CATALOGUE.len() {
        at[CATALOGUE[i].code as usize] = i;
        i += 1;
    }
    every_code_found(at)
};
const NAME_AT: [usize; CODES] = {
    let mut at = [usize::MAX; CODES];
    let mut i = 0;
    while i < CODES {
        at[CODE_NAMES[i].0 as usize] = i;
        i += 1;
    }
    every_code_found(at)
};

const fn every_code_found(at: [usize; CODES]) -> [usize; CODES] {
    let mut code = 0;
    while code < CODES {
        assert!(
            at[code] != usize::MAX,
            "every test code has an entry and a name"
        );
        code += 1;
    }
    at
}

const CODE_NAMES: &[(TestCode, &str)] = &[
    (TestCode::LupusAnticoagulant, "lupus_anticoagulant"),
    (TestCode::AnticardiolipinIgg, "anticardiolipin_igg"),
    (TestCode::AnticardiolipinIgm, "anticardiolipin_igm"),
    (TestCode::AntiB2gpiIgg, "anti_b2gpi_igg"),
    (TestCode::AntiB2gpiIgm, "anti_b2gpi_igm"),
    (TestCode::Tsh, "tsh"),
    (TestCode::FreeT4, "free_t4"),
    (TestCode::TpoAntibodies, "tpo_antibodies"),
    (TestCode::Progesterone, "progesterone"),
    (TestCode::Prolactin, "prolactin"),
    (TestCode::Hba1c, "hba1c"),
    (TestCode::FastingGlucose, "fasting_glucose"),
    (TestCode::FactorVLeiden, "factor_v_leiden"),
    (TestCode::ProthrombinG20210a, "prothrombin_g20210a"),
    (TestCode::ProteinSFree, "protein_s_free"),
    (TestCode::ProteinC, "protein_c"),
    (TestCode::Antithrombin, "antithrombin"),
    (TestCode::Mthfr, "mthfr"),
    (TestCode::VitaminD25oh, "vitamin_d_25oh"),
    (TestCode::Karyotype, "karyotype"),
    (TestCode::NkCells, "nk_cells"),
    (TestCode::HlaTyping, "hla_typing"),
    (TestCode::AntiHlaAntibodies, "anti_hla_antibodies"),
    (TestCode::CytokineProfile, "cytokine_profile"),
    (TestCode::InfectionSerology, "infection_serology"),
    (TestCode::SmokingStatus, "smoking_status"),
    (TestCode::AlcoholUnitsPerWeek, "alcohol_units_per_week"),
    (TestCode::Bmi, "bmi"),
    (TestCode::CaffeineMgPerDay, "caffeine_mg_per_day"),
    (TestCode::SupportOffered, "support_offered"),
    (TestCode::Phq9Score, "phq9_score"),
    (TestCode::Gad7Score, "gad7_score"),
    (TestCode::UterineImaging, "uterine_imaging"),
    (TestCode::SpermDnaFragmentation, "sperm_dna_fragmentation"),
    (TestCode::PersonalVte, "personal_vte"),
    (
        TestCode::FamilyVteOrThrombophilia,
        "family_vte_or_thrombophilia",
    ),
    (TestCode::MenstrualPattern, "menstrual_pattern"),
    (TestCode::Galactorrhoea, "galactorrhoea"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_through_its_api_spelling() {
        for e in CATALOGUE {
            let json = serde_json::to_value(e.code).unwrap();
            assert_eq!(json.as_str().unwrap(), e.code.as_str());
            assert_eq!(TestCode::parse(e.code.as_str()), Some(e.code));
        }
        assert_eq!(CATALOGUE.len(), CODE_NAMES.len());
    }

    #[test]
    fn loinc_codes_map_to_one_test_each() {
        let mut seen = std::collections::HashSet::new();
        for e in CATALOGUE {
            for l in e.loinc {
                assert!(seen.insert(*l), "LOINC {l} listed twice");
            }
        }
        assert_eq!(
            TestCode::from_loinc("3181-5"),
            Some(TestCode::AnticardiolipinIgg)
        );
    }
}
