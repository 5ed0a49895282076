//! Patient identity values checked at the edge. Pure: no actix, no diesel.

use std::fmt;

/// A medical record number: unique within a clinic, opaque to us, never logged.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mrn(String);

impl Mrn {
    pub const MAX_LEN: usize = 64;

    /// Trimmed and in Unicode NFC; control, zero-width and bidirectional characters refused.
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        let s = crate::domain::text::identifier(s)?;
        if s.is_empty() {
            return Err("must not be empty");
        }
        if s.chars().count() > Self::MAX_LEN {
            return Err("must be at most 64 characters");
        }
        Ok(Self(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Display for Mrn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Mrn;

    #[test]
    fn an_mrn_is_trimmed_and_bounded() {
        assert_eq!(Mrn::parse("  A-17 ").unwrap().as_str(), "A-17");
        assert!(Mrn::parse("   ").is_err());
        assert!(Mrn::parse(&"x".repeat(65)).is_err());
        assert!(Mrn::parse("a\nb").is_err());
        assert!(Mrn::parse("A\u{200B}17").is_err());
        assert_eq!(Mrn::parse("Jose\u{301}").unwrap().as_str(), "Jos\u{e9}");
    }
}
