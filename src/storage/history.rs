//! Append-only history behind the checklist "as of" a date: every state a pregnancy was written in,
//! every change of profile choice, and reads of the whole record including what was deleted or
//! withdrawn since (results and reviews keep their own timestamps, so they need no extra table).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::pregnancies::PregnancyRow;
use super::results::{ResultRow, ResultVersionRow};
use super::reviews::ReviewRow;
use super::schema::{
    patients, pregnancies, pregnancy_revisions, profile_choices, result_versions, results, reviews,
};
use super::{AnyConnection, NullableId, StoredId};
use crate::domain::ids::{ClinicId, PatientId, PregnancyId, ProfileChoiceId};

/// One state a pregnancy was written in (`deleted` when the write was its deletion).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = pregnancy_revisions)]
pub struct PregnancyRevisionRow {
    #[diesel(deserialize_as = StoredId<PregnancyId>, serialize_as = String)]
    pub pregnancy_id: PregnancyId,
    pub revision: i32,
    #[diesel(deserialize_as = StoredId<PatientId>, serialize_as = String)]
    pub patient_id: PatientId,
    pub outcome: String,
    pub ended_on: Option<NaiveDate>,
    pub gestational_age_weeks: Option<i32>,
    pub gestational_age_days: Option<i32>,
    pub conception: Option<String>,
    pub deleted: bool,
    pub recorded_at: NaiveDateTime,
    pub complications: Option<String>,
    pub edd: Option<NaiveDate>,
    pub gestational_age_at_demise_weeks: Option<i32>,
    pub gestational_age_at_demise_days: Option<i32>,
    pub partner_mrn: Option<String>,
}

/// A change of profile choice: `patient_id` `None` is the clinic default.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = profile_choices)]
pub struct ProfileChoiceRow {
    #[diesel(deserialize_as = StoredId<ProfileChoiceId>)]
    pub id: ProfileChoiceId,
    #[diesel(deserialize_as = String)]
    pub clinic_id: ClinicId,
    #[diesel(deserialize_as = NullableId<PatientId>)]
    pub patient_id: Option<PatientId>,
    pub previous: Option<String>,
    pub chosen: Option<String>,
    pub recorded_at: NaiveDateTime,
}

/// Appends the pregnancy's current row as its next revision. Call after every insert, update and
/// delete of a pregnancy, in the same transaction; the time is the row's own write time.
pub fn append_pregnancy_revision(conn: &mut AnyConnection, id: PregnancyId) -> QueryResult<()> {
    let row: PregnancyRow = pregnancies::table
        .find(id.to_string())
        .select(PregnancyRow::as_select())
        .first(conn)?;
    let last: Option<i32> = pregnancy_revisions::table
        .filter(pregnancy_revisions::pregnancy_id.eq(id.to_string()))
        .select(diesel::dsl::max(pregnancy_revisions::revision))
        .first(conn)?;
    let revision = PregnancyRevisionRow {
        pregnancy_id: row.id,
        revision: last.unwrap_or(0) + 1,
        patient_id: row.patient_id,
        outcome: row.outcome,
        ended_on: row.ended_on,
        gestational_age_weeks: row.gestational_age_weeks,
        gestational_age_days: row.gestational_age_days,
        conception: row.conception,
        deleted: row.deleted_at.is_some(),
        recorded_at: row.deleted_at.unwrap_or(row.updated_at),
        complications: row.complications,
        edd: row.edd,
        gestational_age_at_demise_weeks: row.gestational_age_at_demise_weeks,
        gestational_age_at_demise_days: row.gestational_age_at_demise_days,
        partner_mrn: row.partner_mrn,
    };
    diesel::insert_into(pregnancy_revisions::table)
        .values(revision)
        .execute(conn)
        .map(|_| ())
}

/// Appends the first revision of newly inserted pregnancies (one statement for the batch). Call
/// after the insert, in the same transaction.
pub fn append_inserted_pregnancies(
    conn: &mut AnyConnection,
    new: &[super::pregnancies::NewPregnancy],
) -> QueryResult<()> {
    let rows: Vec<PregnancyRevisionRow> = new
        .iter()
        .map(|p| PregnancyRevisionRow {
            pregnancy_id: p.id,
            revision: 1,
            patient_id: p.patient_id,
            outcome: p.outcome.clone(),
            ended_on: p.ended_on,
            gestational_age_weeks: p.gestational_age_weeks,
            gestational_age_days: p.gestational_age_days,
            conception: p.conception.clone(),
            deleted: false,
            recorded_at: p.created_at,
            complications: p.complications.clone(),
            edd: p.edd,
            gestational_age_at_demise_weeks: p.gestational_age_at_demise_weeks,
            gestational_age_at_demise_days: p.gestational_age_at_demise_days,
            partner_mrn: p.partner_mrn.clone(),
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    super::per_backend!(conn, |c| diesel::insert_into(pregnancy_revisions::table)
        .values(rows.clone())
        .execute(c))
    .map(|_| ())
}

/// Every revision of the patient's pregnancies, by pregnancy then revision.
pub fn pregnancy_revisions(
    conn: &mut AnyConnection,
    patient_id: PatientId,
) -> QueryResult<Vec<PregnancyRevisionRow>> {
    pregnancy_revisions::table
        .filter(pregnancy_revisions::patient_id.eq(patient_id.to_string()))
        .select(PregnancyRevisionRow::as_select())
        .order((
            pregnancy_revisions::pregnancy_id.asc(),
            pregnancy_revisions::revision.asc(),
        ))
        .load(conn)
}

/// Every pregnancy ever recorded for the patient, deleted ones included.
pub fn all_pregnancies(
    conn: &mut AnyConnection,
    patient_id: PatientId,
) -> QueryResult<Vec<PregnancyRow>> {
    pregnancies::table
        .filter(pregnancies::patient_id.eq(patient_id.to_string()))
        .select(PregnancyRow::as_select())
        .order(pregnancies::id.asc())
        .load(conn)
}

/// Every result ever recorded for the patient (deleted ones included) with all its versions.
pub fn all_results(
    conn: &mut AnyConnection,
    patient_id: PatientId,
) -> QueryResult<Vec<(ResultRow, Vec<ResultVersionRow>)>> {
    let patient_id = patient_id.to_string();
    let rows: Vec<ResultRow> = results::table
        .filter(results::patient_id.eq(&patient_id))
        .select(ResultRow::as_select())
        .order(results::id.asc())
        .load(conn)?;
    let versions: Vec<ResultVersionRow> = result_versions::table
        .inner_join(results::table)
        .filter(results::patient_id.eq(&patient_id))
        .select(ResultVersionRow::as_select())
        .order((
            result_versions::result_id.asc(),
            result_versions::version.asc(),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let v = versions
                .iter()
                .filter(|v| v.result_id == r.id)
                .cloned()
                .collect();
            (r, v)
        })
        .collect())
}

/// Every review of the patient, withdrawn ones included.
pub fn all_reviews(conn: &mut AnyConnection, patient_id: PatientId) -> QueryResult<Vec<ReviewRow>> {
    reviews::table
        .filter(reviews::patient_id.eq(patient_id.to_string()))
        .select(ReviewRow::as_select())
        .order(reviews::id.asc())
        .load(conn)
}

/// Records that a patient's profile override changes to `chosen` (`None`: back to the clinic
/// default). Call before the update, in its transaction; nothing is written when it does not change.
pub fn record_patient_profile(
    conn: &mut AnyConnection,
    patient_id: PatientId,
    chosen: Option<&str>,
) -> QueryResult<()> {
    let Some((clinic_id, previous)) = patients::table
        .find(patient_id.to_string())
        .select((patients::clinic_id, patients::profile))
        .first::<(String, Option<String>)>(conn)
        .optional()?
    else {
        return Ok(());
    };
    append_choice(conn, &clinic_id, Some(patient_id), previous, chosen)
}

/// Records that the clinic default profile changes to `chosen`. Call before the update, in its
/// transaction; nothing is written when it does not change.
pub fn record_clinic_default(
    conn: &mut AnyConnection,
    clinic_id: &ClinicId,
    chosen: &str,
) -> QueryResult<()> {
    let previous = super::clinics::get(conn, clinic_id)
        .optional()?
        .map(|c| c.default_profile);
    append_choice(conn, clinic_id.as_str(), None, previous, Some(chosen))
}

fn append_choice(
    conn: &mut AnyConnection,
    clinic_id: &str,
    patient_id: Option<PatientId>,
    previous: Option<String>,
    chosen: Option<&str>,
) -> QueryResult<()> {
    if previous.as_deref() == chosen {
        return Ok(());
    }
    diesel::insert_into(profile_choices::table)
        .values((
            profile_choices::id.eq(ProfileChoiceId::new().to_string()),
            profile_choices::clinic_id.eq(clinic_id),
            profile_choices::patient_id.eq(patient_id.map(|p| p.to_string())),
            profile_choices::previous.eq(previous),
            profile_choices::chosen.eq(chosen),
            profile_choices::recorded_at.eq(super::now()),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The changes of one profile choice, oldest first.
pub fn profile_choices(
    conn: &mut AnyConnection,
    clinic_id: &ClinicId,
    patient_id: Option<PatientId>,
) -> QueryResult<Vec<ProfileChoiceRow>> {
    let query = profile_choices::table
        .filter(profile_choices::clinic_id.eq(clinic_id.as_str()))
        .select(ProfileChoiceRow::as_select())
        .order((
            profile_choices::recorded_at.asc(),
            profile_choices::id.asc(),
        ));
    match patient_id {
        Some(p) => query
            .filter(profile_choices::patient_id.eq(p.to_string()))
            .load(conn),
        None => query
            .filter(profile_choices::patient_id.is_null())
            .load(conn),
    }
}
