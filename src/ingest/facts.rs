//! Sample facts (clinical-rules.md §6.5, §6.7) as the FHIR and HL7 v2 feeds carry them: the codes,
//! the extension URL and the one check of their values, in one place.
//!
//! - **FHIR R4** Observation: cycle timing as `component`s coded in our code system
//!   [`FACT_CODE_SYSTEM`] under the configured FHIR base (`cycle_day`, `days_before_menses`) with
//!   `valueInteger` or `valueQuantity` (unit `d`); the partner's MRN as our extension
//!   [`PARTNER_MRN_EXTENSION`] (`valueString`). There is no LOINC code for
//!   "day of the menstrual cycle when the sample was drawn", so our own code system is used.
//! - **HL7 v2** ORU: "ask at order entry" OBXs in the same OBR group (like `RPL-SUBJECT`), OBX-3
//!   coded in `99RPL`: [`AOE_CYCLE_DAY`] and [`AOE_DAYS_BEFORE_MENSES`] (OBX-2 `NM`, OBX-5 a whole
//!   number), [`AOE_PARTNER_MRN`] (OBX-2 `ST`, OBX-5 the MRN). They apply to every result of the
//!   group and are not results themselves.

use crate::domain::result::SampleFacts;
use crate::ingest::Canon;

/// Our FHIR code system of sample facts (codes [`CYCLE_DAY`], [`DAYS_BEFORE_MENSES`]), by name
/// under the configured base (`{base}/CodeSystem/sample-fact`).
pub const FACT_CODE_SYSTEM: &str = "sample-fact";
/// Our extension on an Observation naming the partner whose sample it is (`valueString`, the MRN),
/// by name under the configured base (`{base}/StructureDefinition/partner-mrn`).
pub const PARTNER_MRN_EXTENSION: &str = "partner-mrn";
/// FHIR component code: day of the menstrual cycle the sample was drawn on (day 1 = first day of
/// menses).
pub const CYCLE_DAY: &str = "cycle_day";
/// FHIR component code: days from the sample to the next menses.
pub const DAYS_BEFORE_MENSES: &str = "days_before_menses";
/// HL7 v2 OBX-3 code (system `99RPL`) of the cycle day.
pub const AOE_CYCLE_DAY: &str = "RPL-CYCLE-DAY";
/// HL7 v2 OBX-3 code (system `99RPL`) of the days before the next menses.
pub const AOE_DAYS_BEFORE_MENSES: &str = "RPL-DAYS-BEFORE-MENSES";
/// HL7 v2 OBX-3 code (system `99RPL`) of the partner's MRN.
pub const AOE_PARTNER_MRN: &str = "RPL-PARTNER-MRN";

/// Longest partner MRN accepted (as the JSON feed).
const MAX_MRN: usize = 64;

/// One fact a feed named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fact {
    CycleDay,
    DaysBeforeMenses,
    PartnerMrn,
}

impl Fact {
    /// The fact an HL7 OBX-3 code names, if any.
    pub fn from_hl7(code: &str) -> Option<Fact> {
        match code {
            AOE_CYCLE_DAY => Some(Fact::CycleDay),
            AOE_DAYS_BEFORE_MENSES => Some(Fact::DaysBeforeMenses),
            AOE_PARTNER_MRN => Some(Fact::PartnerMrn),
            _ => None,
        }
    }

    /// The fact a FHIR component code (in [`FACT_CODE_SYSTEM`]) names: the timing facts only.
    pub fn from_fhir_component(canon: &Canon, system: &str, code: &str) -> Option<Fact> {
        if !canon.is_code_system(system, FACT_CODE_SYSTEM) {
            return None;
        }
        match code {
            CYCLE_DAY => Some(Fact::CycleDay),
            DAYS_BEFORE_MENSES => Some(Fact::DaysBeforeMenses),
            _ => None,
        }
    }

    /// The accepted range of a day count.
    fn days(self) -> (u8, u8) {
        match self {
            Fact::CycleDay => (1, 60),
            _ => (0, 60),
        }
    }

    /// Sets a day count given as a number (FHIR `valueInteger`/`valueQuantity.value`), or says
    /// what is wrong with it.
    pub fn set_days(self, facts: &mut SampleFacts, n: f64) -> Result<(), String> {
        let (min, max) = self.days();
        if n.fract() != 0.0 || n < f64::from(min) || n > f64::from(max) {
            return Err(format!("must be a whole number from {min} to {max}"));
        }
        // In range, whole: the cast is exact.
        let day = n as u8;
        match self {
            Fact::CycleDay => facts.cycle_day = Some(day),
            Fact::DaysBeforeMenses => facts.days_before_menses = Some(day),
            Fact::PartnerMrn => return Err("is not a day count".to_owned()),
        }
        Ok(())
    }

    /// Sets the fact from text (HL7 OBX-5, FHIR `valueString`), or says what is wrong with it.
    pub fn set_text(self, facts: &mut SampleFacts, text: &str) -> Result<(), String> {
        let text = text.trim();
        if self == Fact::PartnerMrn {
            if text.is_empty() || text.chars().count() > MAX_MRN {
                return Err(format!(
                    "the partner's MRN must be 1 to {MAX_MRN} characters"
                ));
            }
            facts.partner_mrn = Some(text.to_owned());
            return Ok(());
        }
        let whole = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) && text.len() <= 3;
        match text.parse::<u16>() {
            Ok(n) if whole => self.set_days(facts, f64::from(n)),
            _ => {
                let (min, max) = self.days();
                Err(format!("must be a whole number from {min} to {max}"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_counts_are_whole_numbers_in_range_and_mrns_are_short_text() {
        let cases: &[(&str, Fact, &str, bool)] = &[
            ("cycle day 21", Fact::CycleDay, "21", true),
            ("cycle day 1", Fact::CycleDay, "1", true),
            ("cycle day 60", Fact::CycleDay, "60", true),
            ("cycle day 0", Fact::CycleDay, "0", false),
            ("cycle day 99", Fact::CycleDay, "99", false),
            ("cycle day not a number", Fact::CycleDay, "day 21", false),
            ("cycle day decimal", Fact::CycleDay, "21.5", false),
            ("cycle day negative", Fact::CycleDay, "-3", false),
            ("cycle day empty", Fact::CycleDay, "", false),
            ("days before menses 0", Fact::DaysBeforeMenses, "0", true),
            ("days before menses 7", Fact::DaysBeforeMenses, " 7 ", true),
            ("days before menses 61", Fact::DaysBeforeMenses, "61", false),
            ("partner MRN", Fact::PartnerMrn, "MRN-0099", true),
            ("blank partner MRN", Fact::PartnerMrn, "  ", false),
        ];
        for (case, fact, text, ok) in cases {
            let mut facts = SampleFacts::default();
            assert_eq!(fact.set_text(&mut facts, text).is_ok(), *ok, "{case}");
            assert_eq!(facts.is_empty(), !ok, "{case}");
        }
        let mut facts = SampleFacts::default();
        assert!(Fact::CycleDay.set_days(&mut facts, 21.0).is_ok());
        assert!(Fact::CycleDay.set_days(&mut facts, 21.5).is_err());
        assert!(Fact::PartnerMrn
            .set_text(&mut facts, &"x".repeat(65))
            .is_err());
        assert_eq!(facts.cycle_day, Some(21));
    }

    #[test]
    fn only_our_codes_name_facts() {
        assert_eq!(Fact::from_hl7("RPL-CYCLE-DAY"), Some(Fact::CycleDay));
        assert_eq!(Fact::from_hl7("RPL-SUBJECT"), None);
        let canon = Canon::new("https://fhir.clinic.test/fhir/r4");
        let ours = canon.code_system(FACT_CODE_SYSTEM);
        assert_eq!(
            Fact::from_fhir_component(&canon, &ours, "days_before_menses"),
            Some(Fact::DaysBeforeMenses)
        );
        let legacy = "https://rpl-workup.example.org/fhir/CodeSystem/sample-fact";
        assert_eq!(
            Fact::from_fhir_component(&canon, legacy, "cycle_day"),
            Some(Fact::CycleDay)
        );
        assert_eq!(
            Fact::from_fhir_component(&canon, "http://loinc.org", "cycle_day"),
            None
        );
        assert_eq!(
            Fact::from_fhir_component(&canon, &ours, "partner_mrn"),
            None
        );
    }
}
