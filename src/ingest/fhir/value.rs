//! Observation elements → our types: `value[x]`, `interpretation`, `referenceRange`, `status`,
//! dates, `focus` and `method`.

use chrono::{DateTime, NaiveDate};

use super::model::{CodeableConcept, Observation, ObservationReferenceRange, Quantity, Reference};
use crate::domain::result::{Interpretation, Modality, ReferenceRange, ResultStatus, ResultValue};
use crate::ingest::canon::Canon;
use crate::ingest::codes::{self, UCUM_SYSTEM};
use crate::ingest::problem::{FeedProblem, ProblemKind};

/// The mapped value and the element it came from (`valueQuantity`, …; `value[x]` when absent), so
/// value-check problems can point at it.
pub(super) struct MappedValue {
    pub value: ResultValue,
    pub element: &'static str,
}

/// The unit of a quantity: the UCUM `code` when there is one, else the human `unit`.
fn unit(q: &Quantity) -> Option<String> {
    let ucum = q.system.as_deref().is_none_or(|s| s == UCUM_SYSTEM);
    q.code
        .as_deref()
        .filter(|_| ucum)
        .or(q.unit.as_deref())
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
}

fn from_quantity(q: &Quantity, base: &str, problems: &mut Vec<FeedProblem>) -> ResultValue {
    let mut value = ResultValue {
        unit: unit(q),
        ..Default::default()
    };
    match (q.value, q.comparator.as_deref()) {
        (None, _) => problems.push(FeedProblem::error(
            ProblemKind::Required,
            format!("{base}.valueQuantity.value"),
            "a valueQuantity needs a value",
        )),
        // `<0.5` is a bound, not a measurement: kept as text, never as 0.5.
        (Some(v), Some(cmp)) => value.text = Some(format!("{cmp}{v}")),
        (Some(v), None) => value.quantity = Some(v),
    }
    value
}

fn from_concept(cc: &CodeableConcept, canon: &Canon) -> ResultValue {
    let finding = cc.coding.iter().find_map(|c| {
        let code = c.code.as_deref()?;
        let system = c.system.as_deref().unwrap_or("");
        if canon.is_ours(system) {
            return Some(code.trim().to_owned());
        }
        codes::finding(system, code)
    });
    let text = cc.text.clone().or_else(|| {
        // Without a mapped finding, the lab's own words are all we have: keep them.
        finding
            .is_none()
            .then(|| cc.coding.iter().find_map(|c| c.display.clone()))
            .flatten()
    });
    ResultValue {
        finding,
        text,
        ..Default::default()
    }
}

fn from_string(s: &str) -> ResultValue {
    match codes::plain_number(s) {
        Some(q) => ResultValue {
            quantity: Some(q),
            ..Default::default()
        },
        None => ResultValue {
            text: Some(s.trim().to_owned()).filter(|t| !t.is_empty()),
            ..Default::default()
        },
    }
}

/// The value of an Observation. More than one `value[x]` is a structure error.
pub(super) fn map_value(
    obs: &Observation,
    base: &str,
    canon: &Canon,
    problems: &mut Vec<FeedProblem>,
) -> MappedValue {
    let present = [
        obs.value_quantity.is_some(),
        obs.value_codeable_concept.is_some(),
        obs.value_string.is_some(),
    ];
    if present.iter().filter(|p| **p).count() > 1 {
        problems.push(FeedProblem::error(
            ProblemKind::Structure,
            format!("{base}.value[x]"),
            "an Observation has at most one value[x]",
        ));
    }
    if let Some(q) = &obs.value_quantity {
        return MappedValue {
            value: from_quantity(q, base, problems),
            element: "valueQuantity",
        };
    }
    if let Some(cc) = &obs.value_codeable_concept {
        return MappedValue {
            value: from_concept(cc, canon),
            element: "valueCodeableConcept",
        };
    }
    if let Some(s) = &obs.value_string {
        return MappedValue {
            value: from_string(s),
            element: "valueString",
        };
    }
    MappedValue {
        value: ResultValue::default(),
        element: "value[x]",
    }
}

/// The lab's interpretation flag: the first coding we know. An unknown flag is a warning (the
/// engine then applies the profile's thresholds).
pub(super) fn map_interpretation(
    obs: &Observation,
    base: &str,
    problems: &mut Vec<FeedProblem>,
) -> Option<Interpretation> {
    let cc = obs.interpretation.first()?;
    let found = cc
        .coding
        .iter()
        .find_map(|c| c.code.as_deref().and_then(codes::interpretation));
    if found.is_none() {
        problems.push(FeedProblem::warning(
            ProblemKind::CodeInvalid,
            format!("{base}.interpretation[0]"),
            "no v3-ObservationInterpretation code we use (N, A, AA, H, HH, L, LL, POS, NEG, IND, DET, ND); ignored",
        ));
    }
    found
}

/// The first reference range's low/high (their unit: low's, else high's).
pub(super) fn map_range(ranges: &[ObservationReferenceRange]) -> Option<ReferenceRange> {
    let r = ranges.first()?;
    let low = r.low.as_ref().and_then(|q| q.value);
    let high = r.high.as_ref().and_then(|q| q.value);
    if low.is_none() && high.is_none() {
        return None;
    }
    let unit = r.low.iter().chain(r.high.iter()).find_map(unit);
    Some(ReferenceRange { low, high, unit })
}

/// FHIR `Observation.status` → ours. `unknown` and anything else is refused.
pub(super) fn status(code: &str) -> Option<ResultStatus> {
    Some(match code {
        "registered" | "preliminary" => ResultStatus::Preliminary,
        "final" => ResultStatus::Final,
        "amended" => ResultStatus::Amended,
        "corrected" => ResultStatus::Corrected,
        "cancelled" => ResultStatus::Cancelled,
        "entered-in-error" => ResultStatus::EnteredInError,
        _ => return None,
    })
}

/// The date of a FHIR `dateTime` (`2025-03-04` or `2025-03-04T08:30:00+01:00`): the date as the
/// lab wrote it, not shifted to UTC (a collection date is a local date). A partial date (`2025`,
/// `2025-03`) is refused: the workup counts days.
pub(super) fn date_of(s: &str) -> Option<NaiveDate> {
    let date = NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok()?;
    (s.len() == 10 || DateTime::parse_from_rfc3339(s).is_ok()).then_some(date)
}

pub(super) fn is_partner(r: &Reference) -> bool {
    r.type_.as_deref() == Some("RelatedPerson")
        || r.reference
            .as_deref()
            .is_some_and(|s| s.starts_with("RelatedPerson/"))
}

pub(super) fn modality(obs: &Observation, canon: &Canon) -> Option<Modality> {
    let method = obs.method.as_ref()?;
    let by_code = method.coding.iter().find_map(|c| {
        let ours = c
            .system
            .as_deref()
            .is_none_or(|s| canon.is_code_system(s, "modality"));
        c.code.as_deref().filter(|_| ours).and_then(codes::modality)
    });
    by_code.or_else(|| method.text.as_deref().and_then(codes::modality))
}
