//! What text we accept, wherever it comes from (JSON bodies, query strings, FHIR, HL7): no control
//! characters other than tab, CR and LF (PostgreSQL cannot store NUL, and none of them means
//! anything in a clinical record), Unicode in NFC so the same MRN typed twice is the same MRN, and
//! in identifiers no invisible characters (zero-width, bidirectional controls) that would make two
//! identifiers look alike. Pure: no actix, no diesel.

use unicode_normalization::{is_nfc, UnicodeNormalization};

/// Why a text was refused (the message the caller sees next to the field path).
pub const CONTROL_CHARACTER: &str =
    "must not contain control characters (only tab, CR and LF are allowed)";
/// Why an identifier was refused.
pub const INVISIBLE_CHARACTER: &str =
    "must not contain zero-width or bidirectional control characters";

/// A control character we refuse: C0, DEL and C1, except tab, CR and LF.
pub fn is_forbidden_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\r' | '\n')
}

/// Whether `s` holds a control character we refuse.
pub fn has_forbidden_control(s: &str) -> bool {
    s.chars().any(is_forbidden_control)
}

/// Zero-width and bidirectional formatting characters: invisible, so refused in identifiers.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}' // zero-width space/non-joiner/joiner, LRM, RLM
        | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
        | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
        | '\u{2066}'..='\u{2069}' // bidi isolates
        | '\u{061C}' // Arabic letter mark
        | '\u{180E}' // Mongolian vowel separator
        | '\u{FEFF}' // zero-width no-break space (BOM)
        | '\u{00AD}' // soft hyphen
    )
}

/// `s` in Unicode Normalization Form C (borrowed when it already is).
pub fn nfc(s: &str) -> std::borrow::Cow<'_, str> {
    if is_nfc(s) {
        std::borrow::Cow::Borrowed(s)
    } else {
        std::borrow::Cow::Owned(s.nfc().collect())
    }
}

/// An identifier (MRN, accession, code) as we keep it: trimmed, NFC, with neither control nor
/// invisible characters.
pub fn identifier(s: &str) -> Result<String, &'static str> {
    if has_forbidden_control(s) || s.chars().any(|c| matches!(c, '\t' | '\r' | '\n')) {
        return Err(CONTROL_CHARACTER);
    }
    if s.chars().any(is_invisible) {
        return Err(INVISIBLE_CHARACTER);
    }
    Ok(nfc(s.trim()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_other_than_tab_cr_lf_are_refused() {
        let cases = [
            ("plain", false),
            ("tab\tcr\rlf\n", false),
            ("nul\u{0}", true),
            ("bell\u{7}", true),
            ("del\u{7f}", true),
            ("c1\u{85}", true),
            ("zero\u{200B}width", false),
        ];
        for (text, refused) in cases {
            assert_eq!(has_forbidden_control(text), refused, "{text:?}");
        }
    }

    #[test]
    fn identifiers_are_nfc_and_refuse_invisible_characters() {
        let decomposed = "Jose\u{301}-17";
        assert_eq!(identifier(decomposed).unwrap(), "Jos\u{e9}-17");
        assert_eq!(identifier("  A-17 ").unwrap(), "A-17");
        for bad in [
            "A\u{200B}17",
            "A\u{202E}71",
            "\u{FEFF}A17",
            "A\u{0}17",
            "A\t17",
        ] {
            assert!(identifier(bad).is_err(), "{bad:?}");
        }
    }
}
