//! Checklists beyond "now, under her profile": the same record under several profiles side by side
//! with where they disagree, and the checklist "as of" a past day (what the service would have
//! answered then, from what the record held by the end of that day).

use crate::domain::ids::ClinicId;
use std::borrow::Cow;

use chrono::NaiveDate;
use diesel::{OptionalExtension, QueryResult};
use serde::Serialize;
use utoipa::ToSchema;

use super::as_of;
use super::profiles::{find_profile, UnknownProfile};
use super::record::{self, PatientRecord};
use crate::domain::checklist::{Checklist, ItemStatus};
use crate::domain::engine::{self, WorkupInput};
use crate::domain::ids::PatientId;
use crate::domain::item::ItemId;
use crate::domain::profile::{Profile, DEFAULT_PROFILE_ID};
use crate::storage::patients::PatientRow;
use crate::storage::{clinics, history, AnyConnection};

/// One patient's checklist under several profiles, and the items on which they disagree.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SideBySide {
    pub patient_id: PatientId,
    /// The date every checklist was evaluated for (today, or `as_of`).
    pub evaluated_on: NaiveDate,
    /// One checklist per profile, in the order asked for.
    pub checklists: Vec<Checklist>,
    /// Items whose status is not the same under every profile (an item a profile leaves out
    /// counts as a different status), in the order of the first profile that has them.
    pub disagreements: Vec<Disagreement>,
}

/// An item the profiles disagree on.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Disagreement {
    pub item: ItemId,
    pub title: String,
    /// One entry per profile, in the order of `checklists`.
    pub profiles: Vec<ProfileVerdict>,
}

/// What one profile says about an item.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProfileVerdict {
    pub profile: String,
    /// `null` when the profile leaves the item out.
    pub status: Option<ItemStatus>,
    pub reason: Option<String>,
}

/// The record to evaluate: live, or as it stood at the end of `as_of`.
pub fn record_for(
    conn: &mut AnyConnection,
    patient_id: PatientId,
    as_of: Option<NaiveDate>,
) -> QueryResult<PatientRecord> {
    match as_of {
        None => record::load(conn, patient_id),
        Some(day) => Ok(as_of::record_at(
            &record::load_history(conn, patient_id)?,
            day,
        )),
    }
}

/// The profile id that applied to the patient at the end of `day`: her override then, else the
/// clinic default then, else the service default.
pub fn profile_id_at(
    conn: &mut AnyConnection,
    patient: &PatientRow,
    day: NaiveDate,
) -> QueryResult<String> {
    let changes = |rows: Vec<history::ProfileChoiceRow>| -> Vec<_> {
        rows.into_iter()
            .map(|r| (r.recorded_at, r.previous, r.chosen))
            .collect()
    };
    let own = changes(history::profile_choices(
        conn,
        &patient.clinic_id,
        Some(patient.id),
    )?);
    if let Some(id) = as_of::choice_at(&own, patient.profile.clone(), day) {
        return Ok(id);
    }
    let clinic_now = clinics::get(conn, &patient.clinic_id)
        .optional()?
        .map(|c| c.default_profile);
    let clinic = changes(history::profile_choices(conn, &patient.clinic_id, None)?);
    Ok(as_of::choice_at(&clinic, clinic_now, day).unwrap_or_else(|| DEFAULT_PROFILE_ID.to_owned()))
}

/// The patient's checklist as JSON as the service would have answered at the end of `day`: the
/// record as it stood then, under `requested` or else the profile that applied to her then.
pub fn checklist_json_at(
    conn: &mut AnyConnection,
    patient: &PatientRow,
    requested: Option<&str>,
    day: NaiveDate,
) -> QueryResult<Result<String, UnknownProfile>> {
    let id = match requested {
        Some(id) => id.to_owned(),
        None => profile_id_at(conn, patient, day)?,
    };
    let Some(profile) = find_profile(conn, &patient.clinic_id, &id)? else {
        return Ok(Err(UnknownProfile(id)));
    };
    let record = record_for(conn, patient.id, Some(day))?;
    let checklist = evaluate(&record, patient.partner_mrn.as_deref(), &profile, day);
    Ok(Ok(
        serde_json::to_string(&checklist).expect("a checklist always serialises")
    ))
}

/// The profiles named, in order, or the first unknown one.
pub fn profiles_named(
    conn: &mut AnyConnection,
    clinic_id: &ClinicId,
    ids: &[String],
) -> QueryResult<Result<Vec<Cow<'static, Profile>>, UnknownProfile>> {
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        match find_profile(conn, clinic_id, id)? {
            Some(p) => found.push(p),
            None => return Ok(Err(UnknownProfile(id.clone()))),
        }
    }
    Ok(Ok(found))
}

/// Evaluates the record under the profile for `day`. `partner_mrn` is the patient's current
/// partner (partner changes are not versioned: as of a past day, the current one is used).
pub fn evaluate(
    record: &PatientRecord,
    partner_mrn: Option<&str>,
    profile: &Profile,
    day: NaiveDate,
) -> Checklist {
    let input = WorkupInput {
        patient_id: record.patient_id,
        pregnancies: &record.pregnancies,
        results: &record.results,
        reviews: &record.reviews,
        partner_mrn,
    };
    engine::evaluate(&input, profile, day)
}

/// The checklists side by side, with their disagreements.
pub fn side_by_side(
    record: &PatientRecord,
    partner_mrn: Option<&str>,
    profiles: &[Cow<'static, Profile>],
    day: NaiveDate,
) -> SideBySide {
    let checklists: Vec<Checklist> = profiles
        .iter()
        .map(|p| evaluate(record, partner_mrn, p, day))
        .collect();
    SideBySide {
        patient_id: record.patient_id,
        evaluated_on: day,
        disagreements: disagreements(&checklists),
        checklists,
    }
}

/// The items whose status differs between the checklists (pure).
pub fn disagreements(checklists: &[Checklist]) -> Vec<Disagreement> {
    let mut seen: Vec<ItemId> = Vec::new();
    let mut out = Vec::new();
    for item in checklists.iter().flat_map(|c| &c.items) {
        if seen.contains(&item.id) {
            continue;
        }
        seen.push(item.id);
        let profiles: Vec<ProfileVerdict> = checklists
            .iter()
            .map(|c| {
                let found = c.items.iter().find(|i| i.id == item.id);
                ProfileVerdict {
                    profile: c.profile.id.to_string(),
                    status: found.map(|i| i.status),
                    reason: found.map(|i| i.reason.clone()),
                }
            })
            .collect();
        if profiles.iter().any(|p| p.status != profiles[0].status) {
            out.push(Disagreement {
                item: item.id,
                title: item.title.to_string(),
                profiles,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::profile::builtin;

    fn miscarriages(n: usize) -> PatientRecord {
        use crate::domain::ids::PregnancyId;
        use crate::domain::pregnancy::{GestationalAge, Outcome, Pregnancy};
        PatientRecord {
            patient_id: PatientId::new(),
            pregnancies: (0..n)
                .map(|i| Pregnancy {
                    id: PregnancyId::new(),
                    outcome: Outcome::Miscarriage,
                    ended_on: NaiveDate::from_ymd_opt(2024, 1 + i as u32, 1),
                    gestational_age: GestationalAge::new(8, 0).ok(),
                    conception: None,
                    complications: Vec::new(),
                    edd: None,
                    gestational_age_at_demise: None,
                    partner_mrn: None,
                })
                .collect(),
            results: Vec::new(),
            reviews: Vec::new(),
        }
    }

    #[test]
    fn profiles_disagree_exactly_on_the_items_whose_status_differs() {
        let day = NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date");
        let eshre = Cow::Borrowed(builtin("eshre-2022").expect("built in"));
        let rcog = Cow::Borrowed(builtin("rcog-2023").expect("built in"));
        // (losses, profiles, whether they disagree on at least one item)
        let table = [
            (2, vec![eshre.clone(), rcog.clone()], true),
            (2, vec![eshre.clone(), eshre.clone()], false),
            (0, vec![eshre.clone()], false),
        ];
        for (losses, profiles, disagree) in table {
            let side = side_by_side(&miscarriages(losses), None, &profiles, day);
            assert_eq!(side.checklists.len(), profiles.len());
            assert_eq!(!side.disagreements.is_empty(), disagree, "{losses} losses");
            for d in &side.disagreements {
                assert!(d.profiles.iter().any(|p| p.status != d.profiles[0].status));
                assert_eq!(d.profiles.len(), profiles.len());
            }
        }
    }
}
