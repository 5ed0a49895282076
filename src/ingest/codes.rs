//! Code tables every feed shares: interpretation flags, coded answers → our findings, our own code
//! systems, and plain-number parsing. HL7 v2 and FHIR spell the same codes, so one table serves both.

use crate::domain::result::{Interpretation, Modality};

use super::incoming::LOINC_SYSTEM;

// Our FHIR code systems and extensions live under the configured base: see `super::canon`.
/// HL7 v2 coding system name for our own codes (tests, findings, modalities; a `99zzz` local
/// system, HL7 table 0396).
pub const RPL_HL7_SYSTEM: &str = "99RPL";
/// SNOMED CT, as FHIR names it.
pub const SNOMED_SYSTEM: &str = "http://snomed.info/sct";
/// UCUM, as FHIR names it.
pub const UCUM_SYSTEM: &str = "http://unitsofmeasure.org";

/// Whether `system` is one of ours without knowing the configured base: HL7 `99RPL`, or a code
/// system under the deprecated `https://rpl-workup.example.org/fhir` alias. Feeds that carry FHIR
/// URIs ask [`Canon::is_ours`](super::canon::Canon::is_ours) instead.
pub fn is_rpl_system(system: &str) -> bool {
    system == RPL_HL7_SYSTEM
        || system.starts_with(&format!("{}/CodeSystem/", super::canon::LEGACY_FHIR_BASE))
}

/// Normalises an HL7 v2 coding system name to the FHIR URI for LOINC and SNOMED; others stay.
pub fn hl7_system(system: &str) -> String {
    match system {
        "LN" => LOINC_SYSTEM.to_owned(),
        "SCT" | "SNM" | "SNM3" | "SNOMEDCT" => SNOMED_SYSTEM.to_owned(),
        other => other.to_owned(),
    }
}

/// A lab's interpretation flag (FHIR v3-ObservationInterpretation, HL7 v2 table 0078; the same
/// codes). Flags we cannot use (`<`, `>`, `U`, `D`, `S`, `R` …) give `None`: the engine then
/// applies the profile's thresholds.
pub fn interpretation(code: &str) -> Option<Interpretation> {
    Some(match code.trim() {
        "N" => Interpretation::Normal,
        "A" | "AA" => Interpretation::Abnormal,
        "H" | "HH" | "HU" | ">" => Interpretation::High,
        "L" | "LL" | "LU" | "<" => Interpretation::Low,
        "POS" | "DET" | "RR" => Interpretation::Positive,
        "NEG" | "ND" | "NR" => Interpretation::Negative,
        "IND" | "E" => Interpretation::Indeterminate,
        _ => return None,
    })
}

// (system, code, our finding). Only codes whose meaning is certain; anything else keeps the lab's
// words as text and leaves the finding empty.
const ANSWERS: &[(&str, &str, &str)] = &[
    (SNOMED_SYSTEM, "10828004", "positive"),
    (SNOMED_SYSTEM, "260385009", "negative"),
    (SNOMED_SYSTEM, "260373001", "detected"),
    (SNOMED_SYSTEM, "260415000", "not_detected"),
    (SNOMED_SYSTEM, "17621005", "normal"),
    (SNOMED_SYSTEM, "263654008", "abnormal"),
    (SNOMED_SYSTEM, "82334004", "indeterminate"),
    (SNOMED_SYSTEM, "419984006", "indeterminate"),
    (SNOMED_SYSTEM, "77176002", "current"),
    (SNOMED_SYSTEM, "8517006", "former"),
    (SNOMED_SYSTEM, "266919005", "never"),
    (LOINC_SYSTEM, "LA6576-8", "positive"),
    (LOINC_SYSTEM, "LA6577-6", "negative"),
    (LOINC_SYSTEM, "LA11882-0", "detected"),
    (LOINC_SYSTEM, "LA11883-8", "not_detected"),
    (LOINC_SYSTEM, "LA6626-1", "normal"),
    (LOINC_SYSTEM, "LA6627-9", "abnormal"),
    (LOINC_SYSTEM, "LA11884-6", "indeterminate"),
    (LOINC_SYSTEM, "LA6705-3", "homozygous"),
    (LOINC_SYSTEM, "LA6706-1", "heterozygous"),
    (LOINC_SYSTEM, "LA9658-1", "not_detected"),
    (LOINC_SYSTEM, "LA18976-3", "current"),
    (LOINC_SYSTEM, "LA18977-1", "current"),
    (LOINC_SYSTEM, "LA18981-3", "current"),
    (LOINC_SYSTEM, "LA18982-1", "current"),
    (LOINC_SYSTEM, "LA15920-4", "former"),
    (LOINC_SYSTEM, "LA18978-9", "never"),
];

/// Our finding for a coded answer: codes in our own finding system are taken as they are (the
/// value check then accepts or refuses them for the test); SNOMED CT and LOINC answer codes go
/// through a fixed table. `system` is a FHIR URI (HL7 names normalised by [`hl7_system`]).
pub fn finding(system: &str, code: &str) -> Option<String> {
    if is_rpl_system(system) {
        return Some(code.trim().to_owned());
    }
    ANSWERS
        .iter()
        .find(|(s, c, _)| *s == system && *c == code.trim())
        .map(|(_, _, f)| (*f).to_owned())
}

/// An imaging modality from its code (`3d_tvus`, `SHG`; case-insensitive).
pub fn modality(code: &str) -> Option<Modality> {
    Modality::parse(&code.trim().to_ascii_lowercase())
}

/// A plain decimal number (`12`, `-0.5`, `3.25`), nothing else: `<0.5`, `1e3`, `NaN`, `5 U` are
/// not, and stay text.
pub fn plain_number(s: &str) -> Option<f64> {
    let s = s.trim();
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !all_digits(int) || !all_digits(frac) {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpretation_flags_map_to_ours_and_unusable_flags_give_none() {
        let cases = [
            ("N", Some(Interpretation::Normal)),
            ("A", Some(Interpretation::Abnormal)),
            ("AA", Some(Interpretation::Abnormal)),
            ("H", Some(Interpretation::High)),
            ("HH", Some(Interpretation::High)),
            ("L", Some(Interpretation::Low)),
            ("LL", Some(Interpretation::Low)),
            ("POS", Some(Interpretation::Positive)),
            ("DET", Some(Interpretation::Positive)),
            ("NEG", Some(Interpretation::Negative)),
            ("ND", Some(Interpretation::Negative)),
            ("IND", Some(Interpretation::Indeterminate)),
            ("U", None),
            ("", None),
        ];
        for (code, expected) in cases {
            assert_eq!(interpretation(code), expected, "{code}");
        }
    }

    #[test]
    fn coded_answers_map_to_findings_and_our_own_codes_pass_through() {
        let cases = [
            (SNOMED_SYSTEM, "10828004", Some("positive")),
            (LOINC_SYSTEM, "LA6577-6", Some("negative")),
            (LOINC_SYSTEM, "LA6706-1", Some("heterozygous")),
            (
                "https://rpl-workup.example.org/fhir/CodeSystem/finding",
                "balanced_rearrangement",
                Some("balanced_rearrangement"),
            ),
            (RPL_HL7_SYSTEM, "septate", Some("septate")),
            (SNOMED_SYSTEM, "123456", None),
            ("L", "POS", None),
        ];
        for (system, code, expected) in cases {
            assert_eq!(
                finding(system, code).as_deref(),
                expected,
                "{system} {code}"
            );
        }
    }

    #[test]
    fn only_plain_decimals_are_numbers() {
        let cases = [
            ("12", Some(12.0)),
            (" 3.25 ", Some(3.25)),
            ("-0.5", Some(-0.5)),
            (".5", Some(0.5)),
            ("<0.5", None),
            ("1e3", None),
            ("NaN", None),
            ("inf", None),
            ("5 U", None),
            ("", None),
            (".", None),
            ("-", None),
        ];
        for (s, expected) in cases {
            assert_eq!(plain_number(s), expected, "{s:?}");
        }
    }

    #[test]
    fn hl7_coding_systems_are_normalised_for_loinc_and_snomed() {
        assert_eq!(hl7_system("LN"), LOINC_SYSTEM);
        assert_eq!(hl7_system("SCT"), SNOMED_SYSTEM);
        assert_eq!(hl7_system("99LAB"), "99LAB");
        assert_eq!(modality("SHG"), Some(Modality::Shg));
        assert_eq!(modality("3D_TVUS"), Some(Modality::Tvus3d));
    }
}
