//! Results and their versions. Rows are never updated in place except for `latest_version` and the
//! soft-delete mark: a correction is a new row in `result_versions`. Every write goes through
//! [`record`].

mod write;

pub use write::record;

use crate::domain::ids::{ClinicId, PatientId, PregnancyId, ResultId};
use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{result_versions, results};
use super::{AnyConnection, NullableId, StoredId};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = results)]
pub struct ResultRow {
    #[diesel(deserialize_as = StoredId<ResultId>)]
    pub id: ResultId,
    #[diesel(deserialize_as = String)]
    pub clinic_id: ClinicId,
    #[diesel(deserialize_as = StoredId<PatientId>)]
    pub patient_id: PatientId,
    pub test: String,
    pub subject: String,
    #[diesel(deserialize_as = NullableId<PregnancyId>)]
    pub pregnancy_id: Option<PregnancyId>,
    pub source: String,
    pub accession: Option<String>,
    pub latest_version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = result_versions)]
pub struct ResultVersionRow {
    #[diesel(deserialize_as = StoredId<ResultId>)]
    pub result_id: ResultId,
    pub version: i32,
    pub status: String,
    pub loinc: Option<String>,
    pub value_quantity: Option<f64>,
    pub value_unit: Option<String>,
    pub value_finding: Option<String>,
    pub value_text: Option<String>,
    pub interpretation: Option<String>,
    pub reference_low: Option<f64>,
    pub reference_high: Option<f64>,
    pub reference_unit: Option<String>,
    pub modality: Option<String>,
    pub collected_on: Option<NaiveDate>,
    pub reported_at: Option<NaiveDateTime>,
    pub on_anticoagulation: bool,
    pub note: Option<String>,
    pub content_hash: String,
    pub recorded_by: String,
    pub recorded_at: NaiveDateTime,
    /// Cycle timing of the sample (clinical-rules.md §6.7).
    pub cycle_day: Option<i32>,
    pub days_before_menses: Option<i32>,
    /// Whose partner sample this is (§6.5).
    pub partner_mrn: Option<String>,
}

/// A result with all its versions, oldest first.
pub type ResultWithVersions = (ResultRow, Vec<ResultVersionRow>);

pub fn find(
    conn: &mut AnyConnection,
    patient_id: PatientId,
    id: ResultId,
) -> QueryResult<Option<ResultWithVersions>> {
    let Some(row) = results::table
        .filter(results::id.eq(id.to_string()))
        .filter(results::patient_id.eq(patient_id.to_string()))
        .filter(results::deleted_at.is_null())
        .select(ResultRow::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let versions = result_versions::table
        .filter(result_versions::result_id.eq(row.id.to_string()))
        .select(ResultVersionRow::as_select())
        .order(result_versions::version.asc())
        .load(conn)?;
    Ok(Some((row, versions)))
}

/// Every live result of the patient with all its versions, in creation order.
pub fn list_for_patient(
    conn: &mut AnyConnection,
    patient_id: PatientId,
) -> QueryResult<Vec<ResultWithVersions>> {
    let patient_id = patient_id.to_string();
    let rows: Vec<ResultRow> = results::table
        .filter(results::patient_id.eq(&patient_id))
        .filter(results::deleted_at.is_null())
        .select(ResultRow::as_select())
        .order(results::id.asc())
        .load(conn)?;
    let versions: Vec<ResultVersionRow> = result_versions::table
        .inner_join(results::table)
        .filter(results::patient_id.eq(&patient_id))
        .filter(results::deleted_at.is_null())
        .select(ResultVersionRow::as_select())
        .order((
            result_versions::result_id.asc(),
            result_versions::version.asc(),
        ))
        .load(conn)?;
    Ok(with_versions(rows, versions))
}

pub fn soft_delete(conn: &mut AnyConnection, id: ResultId, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(results::table.find(id.to_string()))
        .set(results::deleted_at.eq(Some(at)))
        .execute(conn)
        .map(|_| ())
}

/// One page of the patient's live results in creation (id) order, each with all its versions:
/// up to `limit` after `after_id`, of one test if `test` is given.
pub fn page_for_patient(
    conn: &mut AnyConnection,
    patient_id: PatientId,
    test: Option<&str>,
    after: Option<ResultId>,
    limit: i64,
) -> QueryResult<Vec<ResultWithVersions>> {
    let mut query = results::table
        .filter(results::patient_id.eq(patient_id.to_string()))
        .filter(results::deleted_at.is_null())
        .select(ResultRow::as_select())
        .order(results::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(results::id.gt(after.to_string()));
    }
    if let Some(test) = test {
        query = query.filter(results::test.eq(test.to_owned()));
    }
    let rows: Vec<ResultRow> = query.load(conn)?;
    let ids: Vec<String> = rows.iter().map(|r| r.id.to_string()).collect();
    let versions: Vec<ResultVersionRow> = result_versions::table
        .filter(result_versions::result_id.eq_any(&ids))
        .select(ResultVersionRow::as_select())
        .order((
            result_versions::result_id.asc(),
            result_versions::version.asc(),
        ))
        .load(conn)?;
    Ok(with_versions(rows, versions))
}

/// Each result with its versions (given in order), in the order of `rows`.
fn with_versions(rows: Vec<ResultRow>, versions: Vec<ResultVersionRow>) -> Vec<ResultWithVersions> {
    let mut by_result: HashMap<ResultId, Vec<ResultVersionRow>> = HashMap::new();
    for v in versions {
        by_result.entry(v.result_id).or_default().push(v);
    }
    rows.into_iter()
        .map(|r| {
            let v = by_result.remove(&r.id).unwrap_or_default();
            (r, v)
        })
        .collect()
}
