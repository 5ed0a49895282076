//! Checks of new or changed pregnancies against the rest of the patient's history: at most one
//! ongoing (422) and the same pregnancy not recorded twice (409 `duplicate_pregnancy`, unless the
//! request says `allow_duplicate`). Run inside the write transaction after the patient's row is
//! locked, so two concurrent requests cannot both pass.

use chrono::NaiveDate;

use super::PregnancyInput;
use crate::api::error::{ApiError, FieldError};
use crate::domain::plausibility::{check_ongoing, find_duplicate, DUPLICATE_WINDOW_DAYS};
use crate::domain::pregnancy::Outcome;
use crate::storage::pregnancies::PregnancyRow;

/// One pregnancy of the request and the prefix of its fields' paths (`""`, `"pregnancies[1]."`).
pub struct Candidate<'a> {
    pub prefix: String,
    pub input: &'a PregnancyInput,
}

/// Where a pregnancy a candidate clashes with comes from.
#[derive(Clone)]
enum Earlier {
    Stored(String),
    InRequest(String),
}

/// Checks `candidates` (in request order) against `stored` (the patient's live history, without
/// the pregnancy being changed). Returns the indices of the candidates recorded as duplicates on
/// the caller's explicit `allow_duplicate`, for the audit.
pub fn check_against_history(
    candidates: &[Candidate<'_>],
    stored: &[PregnancyRow],
) -> Result<Vec<usize>, ApiError> {
    let stored_history: Vec<(Earlier, Outcome, Option<NaiveDate>)> = stored
        .iter()
        .filter_map(|row| {
            let outcome = Outcome::parse(&row.outcome)?;
            Some((Earlier::Stored(row.id.to_string()), outcome, row.ended_on))
        })
        .collect();
    let mut ongoing = stored_history
        .iter()
        .filter(|(_, o, _)| *o == Outcome::Ongoing)
        .count();
    let mut errors = Vec::new();
    for c in candidates {
        if let Some(p) = check_ongoing(c.input.outcome, ongoing) {
            errors.push(FieldError::new(
                format!("{}{}", c.prefix, p.field),
                p.message,
            ));
        }
        if c.input.outcome == Outcome::Ongoing {
            ongoing += 1;
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }

    let mut history = stored_history;
    let mut allowed = Vec::new();
    for (i, c) in candidates.iter().enumerate() {
        let new = (c.input.outcome, c.input.ended_on);
        match find_duplicate(new, history.iter().cloned()) {
            Some(_) if c.input.allow_duplicate => allowed.push(i),
            Some(earlier) => return Err(duplicate(c, earlier)),
            None => {}
        }
        history.push((
            Earlier::InRequest(c.prefix.trim_end_matches('.').to_owned()),
            c.input.outcome,
            c.input.ended_on,
        ));
    }
    Ok(allowed)
}

fn duplicate(c: &Candidate<'_>, earlier: Earlier) -> ApiError {
    let (existing_id, which) = match earlier {
        Earlier::Stored(id) => (Some(id.clone()), format!("pregnancy {id}")),
        Earlier::InRequest(path) => (None, path),
    };
    ApiError::DuplicatePregnancy {
        existing_id,
        field: format!("{}ended_on", c.prefix),
        detail: format!(
            "{which} has the same outcome ({}) and ended within {DUPLICATE_WINDOW_DAYS} days; \
             if this really is another pregnancy, send \"allow_duplicate\": true",
            c.input.outcome.as_str()
        ),
    }
}
