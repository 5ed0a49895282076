//! A patient's record as the engine sees it, loaded from storage. A row that does not parse (a
//! value written by a newer release, say) is an error — logged with its id and counted in
//! `/metrics` — never silently left out of the clinical record the checklist is drawn from.

use crate::domain::ids::ClinicId;
use std::sync::Arc;

use chrono::NaiveDate;
use diesel::QueryResult;

use crate::storage::clinics::ClinicSettings;

use crate::domain::catalogue::TestCode;
use crate::domain::ids::PatientId;
use crate::domain::item::ItemId;
use crate::domain::pregnancy::{Complication, Conception, GestationalAge, Outcome, Pregnancy};
use crate::domain::result::{
    Interpretation, LabResult, Modality, ReferenceRange, ResultStatus, ResultValue, ResultVersion,
    Subject,
};
use crate::domain::review::{Review, ReviewAction};
use crate::storage::pregnancies::PregnancyRow;
use crate::storage::results::{ResultRow, ResultVersionRow};
use crate::storage::reviews::ReviewRow;
use crate::storage::{history, pregnancies, results, reviews, AnyConnection};
use crate::workup::as_of::{History, PregnancyEvent, ResultHistory, ReviewHistory};

/// Everything the engine evaluates for one patient.
#[derive(Debug, Clone)]
pub struct PatientRecord {
    pub patient_id: PatientId,
    pub pregnancies: Vec<Pregnancy>,
    pub results: Vec<LabResult>,
    pub reviews: Vec<Review>,
}

pub fn load(conn: &mut AnyConnection, patient_id: PatientId) -> QueryResult<PatientRecord> {
    let pregnancies = every(
        &pregnancies::list_for_patient(conn, patient_id)?,
        "pregnancies",
        |p| p.id.to_string(),
        pregnancy,
    )?;
    let results = every(
        &results::list_for_patient(conn, patient_id)?,
        "results",
        |(r, _)| r.id.to_string(),
        |(r, v)| lab_result(r, v),
    )?;
    let reviews = every(
        &reviews::list_active(conn, patient_id)?,
        "reviews",
        |r| r.id.to_string(),
        review,
    )?;
    Ok(PatientRecord {
        patient_id,
        pregnancies,
        results,
        reviews,
    })
}

/// Everything ever recorded for the patient, with when: the source of the checklist "as of" a day.
/// Pregnancies written before revisions were kept have one revision at their creation (and their
/// deletion): their earlier values were not kept.
pub fn load_history(conn: &mut AnyConnection, patient_id: PatientId) -> QueryResult<History> {
    let revisions = history::pregnancy_revisions(conn, patient_id)?;
    let mut events = Vec::new();
    for row in history::all_pregnancies(conn, patient_id)? {
        let id = row.id;
        let mut own: Vec<PregnancyEvent> = revisions
            .iter()
            .filter(|r| r.pregnancy_id == row.id)
            .map(|r| {
                let state = if r.deleted {
                    None
                } else {
                    Some(
                        pregnancy(&PregnancyRow {
                            outcome: r.outcome.clone(),
                            ended_on: r.ended_on,
                            gestational_age_weeks: r.gestational_age_weeks,
                            gestational_age_days: r.gestational_age_days,
                            conception: r.conception.clone(),
                            complications: r.complications.clone(),
                            edd: r.edd,
                            gestational_age_at_demise_weeks: r.gestational_age_at_demise_weeks,
                            gestational_age_at_demise_days: r.gestational_age_at_demise_days,
                            partner_mrn: r.partner_mrn.clone(),
                            ..row.clone()
                        })
                        .ok_or_else(|| {
                            unreadable("pregnancy_revisions", &r.pregnancy_id.to_string())
                        })?,
                    )
                };
                Ok(PregnancyEvent {
                    id,
                    at: r.recorded_at,
                    state,
                })
            })
            .collect::<QueryResult<_>>()?;
        if own.is_empty() {
            own.push(PregnancyEvent {
                id,
                at: row.created_at,
                state: Some(
                    pregnancy(&row)
                        .ok_or_else(|| unreadable("pregnancies", &row.id.to_string()))?,
                ),
            });
            if let Some(deleted_at) = row.deleted_at {
                own.push(PregnancyEvent {
                    id,
                    at: deleted_at,
                    state: None,
                });
            }
        }
        events.extend(own);
    }
    let results = history::all_results(conn, patient_id)?
        .iter()
        .map(|(r, versions)| {
            let parsed: Vec<_> = versions
                .iter()
                .map(|v| {
                    result_version(v)
                        .map(|parsed| (parsed, v.recorded_at))
                        .ok_or_else(|| unreadable("result_versions", &v.result_id.to_string()))
                })
                .collect::<QueryResult<_>>()?;
            let mut result =
                lab_result(r, &[]).ok_or_else(|| unreadable("results", &r.id.to_string()))?;
            result.versions = parsed.iter().map(|(v, _)| v.clone()).collect();
            Ok(ResultHistory {
                result,
                recorded_at: parsed.iter().map(|(_, at)| *at).collect(),
                deleted_at: r.deleted_at,
            })
        })
        .collect::<QueryResult<_>>()?;
    let reviews = history::all_reviews(conn, patient_id)?
        .iter()
        .map(|row| {
            Ok(ReviewHistory {
                review: review(row).ok_or_else(|| unreadable("reviews", &row.id.to_string()))?,
                withdrawn_at: row.withdrawn_at,
            })
        })
        .collect::<QueryResult<_>>()?;
    Ok(History {
        patient_id,
        pregnancies: events,
        results,
        reviews,
    })
}

/// Every row parsed, or the error naming the first that does not parse.
fn every<R, T>(
    rows: &[R],
    table: &'static str,
    id: impl Fn(&R) -> String,
    parse: impl Fn(&R) -> Option<T>,
) -> QueryResult<Vec<T>> {
    rows.iter()
        .map(|row| parse(row).ok_or_else(|| unreadable(table, &id(row))))
        .collect()
}

/// Logs and counts a stored row that does not parse, as the error that fails the request.
pub fn unreadable(table: &'static str, id: &str) -> diesel::result::Error {
    crate::metrics::count_unreadable_row(table);
    tracing::error!(table, row_id = id, "a stored row does not parse");
    diesel::result::Error::DeserializationError(format!("{table} row {id} does not parse").into())
}

pub fn pregnancy(row: &PregnancyRow) -> Option<Pregnancy> {
    let gestational_age = match row.gestational_age_weeks {
        Some(w) => Some(
            GestationalAge::new(
                u8::try_from(w).ok()?,
                u8::try_from(row.gestational_age_days.unwrap_or(0)).ok()?,
            )
            .ok()?,
        ),
        None => None,
    };
    Some(Pregnancy {
        id: row.id,
        outcome: Outcome::parse(&row.outcome)?,
        ended_on: row.ended_on,
        gestational_age,
        conception: row.conception.as_deref().and_then(Conception::parse),
        complications: row
            .complications
            .as_deref()
            .map(Complication::parse_list)
            .unwrap_or_default(),
        edd: row.edd,
        gestational_age_at_demise: match row.gestational_age_at_demise_weeks {
            Some(w) => Some(
                GestationalAge::new(
                    u8::try_from(w).ok()?,
                    u8::try_from(row.gestational_age_at_demise_days.unwrap_or(0)).ok()?,
                )
                .ok()?,
            ),
            None => None,
        },
        partner_mrn: row.partner_mrn.clone(),
    })
}

pub fn lab_result(row: &ResultRow, versions: &[ResultVersionRow]) -> Option<LabResult> {
    Some(LabResult {
        id: row.id,
        test: TestCode::parse(&row.test)?,
        subject: Subject::parse(&row.subject)?,
        pregnancy_id: row.pregnancy_id,
        versions: versions
            .iter()
            .map(result_version)
            .collect::<Option<Vec<_>>>()?,
    })
}

pub fn result_version(v: &ResultVersionRow) -> Option<ResultVersion> {
    let reference_range =
        (v.reference_low.is_some() || v.reference_high.is_some()).then(|| ReferenceRange {
            low: v.reference_low,
            high: v.reference_high,
            unit: v.reference_unit.clone(),
        });
    Some(ResultVersion {
        version: u32::try_from(v.version).ok()?,
        status: ResultStatus::parse(&v.status)?,
        value: ResultValue {
            quantity: v.value_quantity,
            unit: v.value_unit.clone(),
            finding: v.value_finding.clone(),
            text: v.value_text.clone(),
        },
        interpretation: v.interpretation.as_deref().and_then(Interpretation::parse),
        reference_range,
        modality: v.modality.as_deref().and_then(Modality::parse),
        collected_on: v.collected_on,
        reported_at: v.reported_at.map(|t| t.and_utc()),
        on_anticoagulation: v.on_anticoagulation,
        cycle_day: v.cycle_day.and_then(|d| u8::try_from(d).ok()),
        days_before_menses: v.days_before_menses.and_then(|d| u8::try_from(d).ok()),
        partner_mrn: v.partner_mrn.clone(),
    })
}

pub fn review(row: &ReviewRow) -> Option<Review> {
    Some(Review {
        id: row.id,
        item: match &row.item {
            Some(item) => Some(ItemId::parse(item)?),
            None => None,
        },
        action: ReviewAction::parse(&row.action)?,
        note: row.note.as_deref().map(Arc::from),
        by: Arc::from(row.created_by.as_str()),
        at: row.created_at.and_utc(),
    })
}

/// Today's date in UTC, for code with no clinic at hand (seeding). Clinical code asks
/// [`clinic_today`].
pub fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// Today's date in the IANA time zone `name` (UTC when it names none).
pub fn today_in(name: &str) -> NaiveDate {
    let zone: chrono_tz::Tz = name.parse().unwrap_or(chrono_tz::UTC);
    chrono::Utc::now().with_timezone(&zone).date_naive()
}

/// What serving a checklist now needs of the clinic, in one query: today in its time zone and its
/// default profile (the service's when the clinic has no row yet).
pub struct ClinicDay {
    pub today: NaiveDate,
    pub default_profile: String,
}

pub fn clinic_day(conn: &mut AnyConnection, clinic_id: &ClinicId) -> QueryResult<ClinicDay> {
    Ok(ClinicDay::of(crate::storage::clinics::settings(
        conn, clinic_id,
    )?))
}

impl ClinicDay {
    /// From the clinic's settings, if it has a row yet (else UTC and the service default).
    pub fn of(clinic: Option<ClinicSettings>) -> Self {
        match clinic {
            Some(c) => Self {
                today: today_in(&c.time_zone),
                default_profile: c.default_profile,
            },
            None => Self {
                today: today_in("UTC"),
                default_profile: crate::domain::profile::DEFAULT_PROFILE_ID.to_owned(),
            },
        }
    }
}

/// Today's date for a clinic, in its time zone: the evaluation date of every checklist served now
/// and the last date that is not "in the future".
pub fn clinic_today(conn: &mut AnyConnection, clinic_id: &ClinicId) -> QueryResult<NaiveDate> {
    clinic_day(conn, clinic_id).map(|clinic| clinic.today)
}
