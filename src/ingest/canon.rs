//! Our FHIR canonical URLs (code systems and extensions), all under one configured base
//! (`RPL_FHIR_BASE`, default `RPL_PUBLIC_URL` + `/fhir/r4`). Built once at start-up and passed to
//! the parsers and renderers; nothing global. The old placeholder base
//! (`https://rpl-workup.example.org/fhir`) is still accepted on input, as a deprecated alias.

use super::codes::RPL_HL7_SYSTEM;

/// The deprecated base of our code systems and extensions, accepted on input only so that lab
/// integrations built against it keep working; never emitted.
pub const LEGACY_FHIR_BASE: &str = "https://rpl-workup.example.org/fhir";

/// Our canonical URLs under the configured FHIR base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canon {
    base: String,
}

impl Canon {
    /// Canonical URLs under `base` (a trailing `/` is dropped).
    pub fn new(base: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    /// The configured FHIR base, without a trailing `/`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Our code system `name` (`test`, `finding`, `modality`, `item`).
    pub fn code_system(&self, name: &str) -> String {
        format!("{}/CodeSystem/{name}", self.base)
    }

    /// Our test codes (`anticardiolipin_igg`, `uterine_imaging`).
    pub fn test_system(&self) -> String {
        self.code_system("test")
    }

    /// Our findings (`balanced_rearrangement`, `septate`, `positive`).
    pub fn finding_system(&self) -> String {
        self.code_system("finding")
    }

    /// Our imaging modalities (`3d_tvus`, `shg`).
    pub fn modality_system(&self) -> String {
        self.code_system("modality")
    }

    /// Our extension `name` (`result-subject`, `on-anticoagulation`).
    pub fn extension(&self, name: &str) -> String {
        format!("{}/StructureDefinition/{name}", self.base)
    }

    /// Whether `url` is our extension `name`, under the configured base or the legacy one.
    pub fn is_extension(&self, url: &str, name: &str) -> bool {
        [self.base.as_str(), LEGACY_FHIR_BASE]
            .iter()
            .any(|base| url.strip_prefix(base) == Some(&format!("/StructureDefinition/{name}")))
    }

    /// Whether `system` is our code system `name`, under the configured base or the legacy one.
    pub fn is_code_system(&self, system: &str, name: &str) -> bool {
        [self.base.as_str(), LEGACY_FHIR_BASE]
            .iter()
            .any(|base| system.strip_prefix(base) == Some(&format!("/CodeSystem/{name}")))
    }

    /// Whether `system` is one of ours: HL7 `99RPL`, or a code system under the configured or the
    /// legacy base.
    pub fn is_ours(&self, system: &str) -> bool {
        system == RPL_HL7_SYSTEM
            || [self.base.as_str(), LEGACY_FHIR_BASE]
                .iter()
                .any(|base| system.starts_with(&format!("{base}/CodeSystem/")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_use_the_configured_base_and_inputs_also_accept_the_legacy_one() {
        let canon = Canon::new("https://ehr.clinic.test/rpl/fhir/r4/");
        assert_eq!(
            canon.test_system(),
            "https://ehr.clinic.test/rpl/fhir/r4/CodeSystem/test"
        );
        assert_eq!(
            canon.extension("result-subject"),
            "https://ehr.clinic.test/rpl/fhir/r4/StructureDefinition/result-subject"
        );
        let cases = [
            (
                "https://ehr.clinic.test/rpl/fhir/r4/CodeSystem/finding",
                true,
            ),
            (
                "https://rpl-workup.example.org/fhir/CodeSystem/finding",
                true,
            ),
            ("99RPL", true),
            ("https://other.test/fhir/CodeSystem/finding", false),
            ("http://loinc.org", false),
        ];
        for (system, ours) in cases {
            assert_eq!(canon.is_ours(system), ours, "{system}");
        }
        assert!(canon.is_extension(
            "https://rpl-workup.example.org/fhir/StructureDefinition/on-anticoagulation",
            "on-anticoagulation"
        ));
        assert!(!canon.is_extension(
            "https://other.test/StructureDefinition/on-anticoagulation",
            "on-anticoagulation"
        ));
        assert!(canon.is_code_system(
            "https://rpl-workup.example.org/fhir/CodeSystem/modality",
            "modality"
        ));
    }
}
