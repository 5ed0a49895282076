//! Reading an HL7 v2 message safely: bytes → text, segment separators normalised, parsed with
//! hl7-parser (never by hand, and never letting it panic through), and small accessors that decode
//! escapes and name locations the way `ERR-2` wants them (`OBX^3^5`).

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};
use hl7_parser::datetime::{parse_timestamp, TimeStamp};
use hl7_parser::message::{Segment, Separators};
use hl7_parser::Message;

/// The message as text: UTF-8, else ISO-8859-1 (each byte one character; labs still send it).
/// MLLP framing bytes and a BOM are dropped; `\r\n`, `\n` and `\r` all end a segment, and blank
/// lines are skipped, so the result uses `\r` only.
pub(super) fn normalise(bytes: &[u8]) -> String {
    let text = match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    };
    let text = text.trim_start_matches('\u{feff}');
    let text = text
        .split(['\r', '\n'])
        .map(|line| line.trim_matches(['\u{0b}', '\u{1c}']))
        .filter(|line| !line.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\r");
    crate::domain::text::nfc(&text).into_owned()
}

/// Where the first refused control character is (tab is allowed; segments end with CR): the
/// `ERR-2` location (`NTE^1^3`), and whether it is in the MSH (then the header cannot be echoed).
pub(super) fn control_character_at(text: &str) -> Option<(String, bool)> {
    let separator = text
        .chars()
        .nth(3)
        .filter(|c| !c.is_control())
        .unwrap_or('|');
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (index, segment) in text.split('\r').enumerate() {
        let name = segment.get(..3).unwrap_or("");
        let seq = seen.entry(name).or_default();
        *seq += 1;
        let Some(pos) = segment.find(crate::domain::text::is_forbidden_control) else {
            continue;
        };
        if pos < 3 || name.chars().any(|c| !c.is_ascii_alphanumeric()) {
            return Some((format!("segment {}", index + 1), index == 0));
        }
        let before = segment[..pos].matches(separator).count();
        let field = if name == "MSH" { before + 1 } else { before };
        return Some((format!("{name}^{seq}^{field}"), name == "MSH"));
    }
    None
}

/// Parses with hl7-parser. `Err` carries a message for the ACK: not HL7 at all, or the 1-based
/// number of the first segment that could not be read (hl7-parser stops there silently).
pub(super) fn parse(text: &str) -> Result<Message<'_>, String> {
    // hl7-parser is best effort; a panic on hostile input must still become an AR, not a 500.
    let parsed = std::panic::catch_unwind(|| Message::parse(text))
        .map_err(|_| "the message could not be parsed".to_owned())?;
    let message = parsed.map_err(|_| "not an HL7 v2 message: it must start with MSH".to_owned())?;
    if message.raw_value().len() < text.len() {
        let n = message.segments.len() + 1;
        return Err(format!("segment {n} could not be parsed"));
    }
    Ok(message)
}

/// One segment with its separators, its name and its occurrence number (`OBX` 3 = the third OBX).
pub(super) struct Seg<'a, 'm> {
    pub segment: &'a Segment<'m>,
    pub separators: &'a Separators,
    pub seq: usize,
}

impl Seg<'_, '_> {
    /// The `ERR-2` location of field `n`: `OBX^3^5`.
    pub fn loc(&self, n: usize) -> String {
        format!("{}^{}^{}", self.segment.name, self.seq, n)
    }

    fn decode(&self, raw: &str) -> String {
        self.separators.decode(raw).to_string().trim().to_owned()
    }

    /// Component `c` of the first repetition of field `n`, decoded ("" when absent).
    pub fn comp(&self, n: usize, c: usize) -> String {
        self.segment
            .field(n)
            .and_then(|f| f.component(c))
            .map(|c| self.decode(c.raw_value()))
            .unwrap_or_default()
    }

    /// Subcomponent `s` of component `c` of the first repetition of field `n`, decoded.
    pub fn sub(&self, n: usize, c: usize, s: usize) -> String {
        self.segment
            .field(n)
            .and_then(|f| f.component(c))
            .and_then(|c| c.subcomponent(s))
            .map(|s| self.decode(s.value))
            .unwrap_or_default()
    }

    /// Every non-empty repetition of field `n`, whole and decoded.
    pub fn repeats(&self, n: usize) -> Vec<String> {
        self.segment
            .field(n)
            .map(|f| {
                f.repeats()
                    .map(|r| self.decode(r.raw_value()))
                    .filter(|v| !v.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every component of the first repetition of field `n`, decoded (for copying an HD).
    pub fn components(&self, n: usize) -> Vec<String> {
        self.segment
            .field(n)
            .and_then(|f| f.repeat(1))
            .map(|r| r.components().map(|c| self.decode(c.raw_value())).collect())
            .unwrap_or_default()
    }
}

fn stamp(s: &str) -> Result<Option<TimeStamp>, ()> {
    if s.is_empty() {
        return Ok(None);
    }
    parse_timestamp(s, false).map(Some).map_err(|_| ())
}

/// The date of an HL7 TS/DTM (`20250304`, `202503040830+0100`) as written (local, not shifted).
/// `Err` when it is not a timestamp or gives no full date.
pub(super) fn date(s: &str) -> Result<Option<NaiveDate>, ()> {
    let Some(ts) = stamp(s)? else {
        return Ok(None);
    };
    let (Some(m), Some(d)) = (ts.month, ts.day) else {
        return Err(());
    };
    NaiveDate::from_ymd_opt(i32::from(ts.year), u32::from(m), u32::from(d))
        .map(Some)
        .ok_or(())
}

/// An HL7 TS/DTM as an instant. Without an offset it is taken as UTC (HL7 leaves it to the sender's
/// local time; labs feeding us are asked to send an offset).
pub(super) fn instant(s: &str) -> Result<Option<DateTime<Utc>>, ()> {
    let Some(ts) = stamp(s)? else {
        return Ok(None);
    };
    let day = date(s)?.ok_or(())?;
    let h = |v: Option<u8>| u32::from(v.unwrap_or(0));
    let local = day
        .and_hms_micro_opt(
            h(ts.hour),
            h(ts.minute),
            h(ts.second),
            ts.microsecond.unwrap_or(0),
        )
        .ok_or(())?;
    let offset = match ts.offset {
        Some(o) => {
            let minutes = i32::from(o.hours.unsigned_abs()) * 60 + i32::from(o.minutes);
            let sign = if o.hours < 0 { -1 } else { 1 };
            FixedOffset::east_opt(sign * minutes * 60).ok_or(())?
        }
        None => FixedOffset::east_opt(0).ok_or(())?,
    };
    let at = offset.from_local_datetime(&local).single().ok_or(())?;
    Ok(Some(at.with_timezone(&Utc)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_line_ending_separates_segments_and_blank_lines_are_skipped() {
        let cases = [
            "MSH|a\rPID|b",
            "MSH|a\nPID|b\n",
            "MSH|a\r\nPID|b\r\n",
            "\u{0b}MSH|a\r\rPID|b\u{1c}\r",
        ];
        for case in cases {
            assert_eq!(normalise(case.as_bytes()), "MSH|a\rPID|b", "{case:?}");
        }
        assert_eq!(normalise(b"PID|M\xfcller"), "PID|M\u{fc}ller");
    }

    #[test]
    fn timestamps_give_dates_as_written_and_instants_in_utc() {
        assert_eq!(
            date("20250304").unwrap(),
            NaiveDate::from_ymd_opt(2025, 3, 4)
        );
        assert_eq!(
            date("202503042330-0500").unwrap(),
            NaiveDate::from_ymd_opt(2025, 3, 4)
        );
        assert_eq!(date("").unwrap(), None);
        assert!(date("2025").is_err());
        assert!(date("20251341").is_err());
        assert!(date("yesterday").is_err());
        let t = instant("202503042330-0500").unwrap().unwrap();
        assert_eq!(t.to_rfc3339(), "2025-03-05T04:30:00+00:00");
        let t = instant("20250304093000").unwrap().unwrap();
        assert_eq!(t.to_rfc3339(), "2025-03-04T09:30:00+00:00");
    }
}
