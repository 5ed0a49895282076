//! An Observation's sample facts (cycle timing, the partner's MRN); the shapes are documented in
//! [`crate::ingest::facts`].

use super::model::Observation;
use crate::domain::result::SampleFacts;
use crate::ingest::facts::{Fact, PARTNER_MRN_EXTENSION};
use crate::ingest::problem::{FeedProblem, ProblemKind};
use crate::ingest::Canon;

/// The facts `obs` carries; a bad value is an error at its element
/// (`Observation.component[0].valueInteger`, `Observation.extension[1].valueString`).
pub(super) fn map_facts(
    obs: &Observation,
    base: &str,
    canon: &Canon,
    problems: &mut Vec<FeedProblem>,
) -> SampleFacts {
    let mut facts = SampleFacts::default();
    let mut error = |at: String, message: String| {
        problems.push(FeedProblem::error(ProblemKind::Invalid, at, message));
    };
    for (i, component) in obs.component.iter().enumerate() {
        let fact = component
            .code
            .iter()
            .flat_map(|cc| cc.coding.iter())
            .find_map(|c| {
                Fact::from_fhir_component(canon, c.system.as_deref()?, c.code.as_deref()?.trim())
            });
        let Some(fact) = fact else { continue };
        let at = format!("{base}.component[{i}]");
        let set = if let Some(n) = component.value_integer {
            (
                at.clone() + ".valueInteger",
                fact.set_days(&mut facts, n as f64),
            )
        } else if let Some(q) = &component.value_quantity {
            let unit_ok = q
                .code
                .as_deref()
                .or(q.unit.as_deref())
                .is_none_or(|u| u == "d");
            match q.value {
                Some(_) if !unit_ok => (
                    at.clone() + ".valueQuantity.code",
                    Err("the unit must be d (days)".to_owned()),
                ),
                Some(v) => (
                    at.clone() + ".valueQuantity.value",
                    fact.set_days(&mut facts, v),
                ),
                None => (
                    at.clone() + ".valueQuantity.value",
                    Err("a valueQuantity needs a value".to_owned()),
                ),
            }
        } else if let Some(s) = &component.value_string {
            (at.clone() + ".valueString", fact.set_text(&mut facts, s))
        } else {
            (
                at.clone() + ".value[x]",
                Err("give valueInteger (or valueQuantity in d)".to_owned()),
            )
        };
        if let (at, Err(message)) = set {
            error(at, message);
        }
    }
    for (i, ext) in obs.extension.iter().enumerate() {
        if !canon.is_extension(&ext.url, PARTNER_MRN_EXTENSION) {
            continue;
        }
        let at = format!("{base}.extension[{i}].valueString");
        let text = ext.value_string.as_deref().unwrap_or("");
        if let Err(message) = Fact::PartnerMrn.set_text(&mut facts, text) {
            error(at, message);
        }
    }
    facts
}
