//! Typed identifiers, so a pregnancy id can never be passed where a patient id is expected.
//! Pure: no actix, no diesel.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! typed_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(transparent)]
        #[schema(value_type = String, format = Uuid)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new time-ordered (v7) id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        /// Storage keeps ids as text; a stored id that is not a UUID is an error, never skipped.
        impl TryFrom<String> for $name {
            type Error = uuid::Error;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0.to_string()
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

typed_id!(/// A patient of a clinic.
    PatientId);
typed_id!(/// A pregnancy of a patient's obstetric history.
    PregnancyId);
typed_id!(/// A result (all its versions share this id).
    ResultId);
typed_id!(/// A clinician's review action on a checklist item or on the patient's workup.
    ReviewId);
typed_id!(/// A row of the audit trail.
    AuditEntryId);
typed_id!(/// A clinic-wide re-evaluation job.
    JobId);
typed_id!(/// A message received from a lab feed (its row in the message log).
    LabMessageId);
typed_id!(/// A change of profile choice (a clinic's default or a patient's own profile).
    ProfileChoiceId);
typed_id!(/// A CDS Hooks card or suggestion issued to an EHR: the `uuid` the EHR names in feedback
    /// (a card's own row has the card's id as both its id and its card id).
    CardId);

/// The clinic a token belongs to (the JWT `org` claim). Opaque text chosen by the identity provider.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClinicId(String);

impl ClinicId {
    /// Taken exactly as the identity provider wrote it: never trimmed or rewritten, so text
    /// with surrounding whitespace or control characters is refused rather than made to look like
    /// another clinic's id.
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        if s.trim().is_empty() {
            return Err("clinic id must not be empty");
        }
        if s.trim() != s {
            return Err("clinic id must not start or end with whitespace");
        }
        if s.chars().any(char::is_control) || s.chars().any(crate::domain::text::is_invisible) {
            return Err("clinic id must not contain control or invisible characters");
        }
        if s.len() > 128 {
            return Err("clinic id must be at most 128 characters");
        }
        Ok(Self(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ClinicId {
    type Error = &'static str;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<ClinicId> for String {
    fn from(id: ClinicId) -> String {
        id.0
    }
}

impl fmt::Display for ClinicId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
