//! OBX-5 by its value type (OBX-2) and OBX-7 reference ranges → our value types.

use super::read::Seg;
use crate::domain::catalogue::TestCode;
use crate::domain::result::{ReferenceRange, ResultValue};
use crate::ingest::codes::{self, hl7_system};
use crate::ingest::problem::{FeedProblem, ProblemKind};

/// OBX-7: `3.5-5.0`, `3.5 - 5.0`, `<40`, `<=40`, `>5`, `>=5`. `Err` when it is none of these.
pub(super) fn reference_range(s: &str, unit: Option<&str>) -> Result<Option<ReferenceRange>, ()> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let unit = unit.map(str::to_owned);
    for (prefix, upper) in [("<=", true), ("<", true), (">=", false), (">", false)] {
        if let Some(rest) = s.strip_prefix(prefix) {
            let v = codes::plain_number(rest).ok_or(())?;
            let (low, high) = if upper {
                (None, Some(v))
            } else {
                (Some(v), None)
            };
            return Ok(Some(ReferenceRange { low, high, unit }));
        }
    }
    // The dash after the first character: a leading minus belongs to the low bound.
    let dash = s
        .char_indices()
        .skip(1)
        .find(|(_, c)| *c == '-')
        .ok_or(())?
        .0;
    let low = codes::plain_number(&s[..dash]).ok_or(())?;
    let high = codes::plain_number(&s[dash + 1..]).ok_or(())?;
    Ok(Some(ReferenceRange {
        low: Some(low),
        high: Some(high),
        unit,
    }))
}

fn text_or_number(text: String) -> ResultValue {
    match codes::plain_number(&text) {
        Some(q) => ResultValue {
            quantity: Some(q),
            ..Default::default()
        },
        None => ResultValue {
            text: Some(text).filter(|t| !t.is_empty()),
            ..Default::default()
        },
    }
}

/// OBX-5 by its OBX-2 value type.
pub(super) fn value(
    seg: &Seg<'_, '_>,
    test: Option<TestCode>,
    problems: &mut Vec<FeedProblem>,
) -> ResultValue {
    let value_type = seg.comp(2, 1);
    let mut invalid = |kind, message: String| {
        problems.push(FeedProblem::error(kind, seg.loc(5), message));
        ResultValue::default()
    };
    let empty = seg.repeats(5).is_empty();
    match value_type.as_str() {
        _ if empty => ResultValue::default(),
        "" => invalid(
            ProblemKind::Required,
            "OBX-2 (value type) is required with a value".into(),
        ),
        "NM" => match codes::plain_number(&seg.comp(5, 1)) {
            Some(q) => ResultValue {
                quantity: Some(q),
                ..Default::default()
            },
            None => invalid(
                ProblemKind::Invalid,
                "an NM value must be a plain number (send `<0.5` as SN or ST)".into(),
            ),
        },
        "ST" | "TX" | "FT" => text_or_number(seg.repeats(5).join("\n")),
        "SN" => {
            let parts: Vec<String> = (1..=4).map(|c| seg.comp(5, c)).collect();
            let plain =
                matches!(parts[0].as_str(), "" | "=") && parts[2].is_empty() && parts[3].is_empty();
            match codes::plain_number(&parts[1]).filter(|_| plain) {
                Some(q) => ResultValue {
                    quantity: Some(q),
                    ..Default::default()
                },
                None => text_or_number(parts.concat()),
            }
        }
        "CE" | "CWE" | "CNE" => {
            let (code, text, system) = (seg.comp(5, 1), seg.comp(5, 2), seg.comp(5, 3));
            let (alt_code, alt_system) = (seg.comp(5, 4), seg.comp(5, 6));
            let finding = codes::finding(&hl7_system(&system), &code)
                .or_else(|| codes::finding(&hl7_system(&alt_system), &alt_code));
            let original_text = seg.comp(5, 9);
            let keep_words = finding.is_none() || test == Some(TestCode::Karyotype);
            let text = if !original_text.is_empty() {
                Some(original_text)
            } else if keep_words {
                [text, code].into_iter().find(|t| !t.is_empty())
            } else {
                None
            };
            ResultValue {
                finding,
                text,
                ..Default::default()
            }
        }
        other => invalid(
            ProblemKind::Invalid,
            format!("value type {other} is not supported (NM, SN, ST, TX, FT, CE, CWE)"),
        ),
    }
}
