//! Results and their versions. Rows are never updated in place except for `latest_version` and the
//! soft-delete mark: a correction is a new row in `result_versions`.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{result_versions, results};
use super::AnyConnection;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = results)]
pub struct ResultRow {
    pub id: String,
    pub clinic_id: String,
    pub patient_id: String,
    pub test: String,
    pub subject: String,
    pub pregnancy_id: Option<String>,
    pub source: String,
    pub accession: Option<String>,
    pub latest_version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = results)]
pub struct NewResult {
    pub id: String,
    pub clinic_id: String,
    pub patient_id: String,
    pub test: String,
    pub subject: String,
    pub pregnancy_id: Option<String>,
    pub source: String,
    pub accession: Option<String>,
    pub latest_version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = result_versions)]
pub struct ResultVersionRow {
    pub result_id: String,
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

impl ResultVersionRow {
    /// A fingerprint of what the version says (not who recorded it or when), so a retry of the
    /// same report is recognised and a changed one becomes a new version.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let canonical = serde_json::json!([
            self.status,
            self.loinc,
            self.value_quantity,
            self.value_unit,
            self.value_finding,
            self.value_text,
            self.interpretation,
            self.reference_low,
            self.reference_high,
            self.reference_unit,
            self.modality,
            self.collected_on,
            self.reported_at,
            self.on_anticoagulation,
            self.note,
        ]);
        // The v2 facts join the fingerprint only when present, so every stored hash stays valid.
        let canonical = match (self.cycle_day, self.days_before_menses, &self.partner_mrn) {
            (None, None, None) => canonical,
            (c, b, p) => serde_json::json!([canonical, c, b, p]),
        };
        hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
    }
}

/// A result with all its versions, oldest first.
pub type ResultWithVersions = (ResultRow, Vec<ResultVersionRow>);

/// Inserts a new result and its first version.
pub fn insert(
    conn: &mut AnyConnection,
    result: &NewResult,
    first: &ResultVersionRow,
) -> QueryResult<()> {
    diesel::insert_into(results::table)
        .values(result)
        .execute(conn)?;
    diesel::insert_into(result_versions::table)
        .values(first)
        .execute(conn)?;
    Ok(())
}

/// Appends a version (its `version` must be the next number) and makes it the latest.
pub fn append_version(conn: &mut AnyConnection, version: &ResultVersionRow) -> QueryResult<()> {
    diesel::insert_into(result_versions::table)
        .values(version)
        .execute(conn)?;
    diesel::update(results::table.find(&version.result_id))
        .set((
            results::latest_version.eq(version.version),
            results::updated_at.eq(version.recorded_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn find(
    conn: &mut AnyConnection,
    patient_id: &str,
    id: &str,
) -> QueryResult<Option<ResultWithVersions>> {
    let Some(row) = results::table
        .filter(results::id.eq(id))
        .filter(results::patient_id.eq(patient_id))
        .filter(results::deleted_at.is_null())
        .select(ResultRow::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let versions = result_versions::table
        .filter(result_versions::result_id.eq(&row.id))
        .select(ResultVersionRow::as_select())
        .order(result_versions::version.asc())
        .load(conn)?;
    Ok(Some((row, versions)))
}

/// Every live result of the patient with all its versions, in creation order.
pub fn list_for_patient(
    conn: &mut AnyConnection,
    patient_id: &str,
) -> QueryResult<Vec<ResultWithVersions>> {
    let rows: Vec<ResultRow> = results::table
        .filter(results::patient_id.eq(patient_id))
        .filter(results::deleted_at.is_null())
        .select(ResultRow::as_select())
        .order(results::id.asc())
        .load(conn)?;
    let versions: Vec<ResultVersionRow> = result_versions::table
        .inner_join(results::table)
        .filter(results::patient_id.eq(patient_id))
        .filter(results::deleted_at.is_null())
        .select(ResultVersionRow::as_select())
        .order((
            result_versions::result_id.asc(),
            result_versions::version.asc(),
        ))
        .load(conn)?;
    let mut by_result: HashMap<String, Vec<ResultVersionRow>> = HashMap::new();
    for v in versions {
        by_result.entry(v.result_id.clone()).or_default().push(v);
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let v = by_result.remove(&r.id).unwrap_or_default();
            (r, v)
        })
        .collect())
}

pub fn soft_delete(conn: &mut AnyConnection, id: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(results::table.find(id))
        .set(results::deleted_at.eq(Some(at)))
        .execute(conn)
        .map(|_| ())
}

/// One page of the patient's live results in creation (id) order, each with all its versions:
/// up to `limit` after `after_id`, of one test if `test` is given.
pub fn page_for_patient(
    conn: &mut AnyConnection,
    patient_id: &str,
    test: Option<&str>,
    after_id: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<ResultWithVersions>> {
    let mut query = results::table
        .filter(results::patient_id.eq(patient_id))
        .filter(results::deleted_at.is_null())
        .select(ResultRow::as_select())
        .order(results::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after_id {
        query = query.filter(results::id.gt(after.to_owned()));
    }
    if let Some(test) = test {
        query = query.filter(results::test.eq(test.to_owned()));
    }
    let rows: Vec<ResultRow> = query.load(conn)?;
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let versions: Vec<ResultVersionRow> = result_versions::table
        .filter(result_versions::result_id.eq_any(&ids))
        .select(ResultVersionRow::as_select())
        .order((
            result_versions::result_id.asc(),
            result_versions::version.asc(),
        ))
        .load(conn)?;
    let mut by_result: HashMap<String, Vec<ResultVersionRow>> = HashMap::new();
    for v in versions {
        by_result.entry(v.result_id.clone()).or_default().push(v);
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let v = by_result.remove(&r.id).unwrap_or_default();
            (r, v)
        })
        .collect())
}
