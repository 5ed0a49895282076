//! The one write path of results: every result and version — a clinician's, a lab feed's, the
//! seeder's — is stored by [`record`]. New results of a request go in with one multi-row insert
//! (and their first versions with another); a lab's known accession is found for the whole request
//! with one query, and a retry of a stored version (same fingerprint) writes nothing.
//!
//! Duplicates are stopped by unique keys, never by search-then-insert: a result inserted
//! concurrently under the same (clinic, source, accession, test), or a version number taken
//! concurrently, is left to `ON CONFLICT DO NOTHING` and then read back, so a race is answered
//! like a retry, never with a unique violation. Callers lock the patients first and pass items in
//! a fixed order ((accession, test) for the lab feeds), so concurrent writers cannot deadlock.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::super::schema::{result_versions, results};
use super::super::{lost_race, typed_id, AnyConnection};
use crate::domain::catalogue::TestCode;
use crate::domain::ids::{ClinicId, ResultId};
use crate::domain::new_result::{Destination, NewResult, NewResultVersion, Recorded};

/// Rows per multi-row insert: `result_versions` has 23 columns and SQLite binds at most 32,766
/// parameters a statement.
const CHUNK: usize = 1000;

/// How often a version number taken by a concurrent writer is looked up again before giving up.
const RETRIES: usize = 8;

#[derive(Insertable)]
#[diesel(table_name = results, treat_none_as_default_value = false)]
struct NewResultRow<'a> {
    id: String,
    clinic_id: &'a str,
    patient_id: String,
    test: &'static str,
    subject: &'static str,
    pregnancy_id: Option<String>,
    source: &'a str,
    accession: Option<&'a str>,
    latest_version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = result_versions, treat_none_as_default_value = false)]
struct NewVersionRow<'a> {
    result_id: String,
    version: i32,
    status: &'static str,
    loinc: Option<&'a str>,
    value_quantity: Option<f64>,
    value_unit: Option<&'a str>,
    value_finding: Option<&'a str>,
    value_text: Option<&'a str>,
    interpretation: Option<&'static str>,
    reference_low: Option<f64>,
    reference_high: Option<f64>,
    reference_unit: Option<&'a str>,
    modality: Option<&'static str>,
    collected_on: Option<NaiveDate>,
    reported_at: Option<NaiveDateTime>,
    on_anticoagulation: bool,
    note: Option<&'a str>,
    content_hash: &'a str,
    recorded_by: &'a str,
    recorded_at: NaiveDateTime,
    cycle_day: Option<i32>,
    days_before_menses: Option<i32>,
    partner_mrn: Option<&'a str>,
}

/// One version as inserted.
fn version_row<'a>(
    result_id: ResultId,
    version: i32,
    v: &'a NewResultVersion,
    hash: &'a str,
    by: &'a str,
    at: NaiveDateTime,
) -> NewVersionRow<'a> {
    let range = v.reference_range.as_ref();
    NewVersionRow {
        result_id: result_id.to_string(),
        version,
        status: v.status.as_str(),
        loinc: v.loinc(),
        value_quantity: v.value.quantity,
        value_unit: v.value.unit.as_deref(),
        value_finding: v.value.finding.as_deref(),
        value_text: v.value.text.as_deref(),
        interpretation: v.interpretation.map(|i| i.as_str()),
        reference_low: range.and_then(|r| r.low),
        reference_high: range.and_then(|r| r.high),
        reference_unit: range.and_then(|r| r.unit.as_deref()),
        modality: v.modality.map(|m| m.as_str()),
        collected_on: v.collected_on,
        reported_at: v.reported_at.map(|t| t.naive_utc()),
        on_anticoagulation: v.on_anticoagulation,
        note: v.note.as_deref(),
        content_hash: hash,
        recorded_by: by,
        recorded_at: at,
        cycle_day: v.facts.cycle_day.map(i32::from),
        days_before_menses: v.facts.days_before_menses.map(i32::from),
        partner_mrn: v.facts.partner_mrn.as_deref(),
    }
}

/// A stored result's versions as far as this request knows them: (number, content hash).
type Known = HashMap<ResultId, Vec<(i32, String)>>;

/// Records each version where its [`Destination`] says, in the order given, and answers what each
/// became, in the same order. `recorded_by` is the caller (token `sub`).
pub fn record(
    conn: &mut AnyConnection,
    clinic: &ClinicId,
    recorded_by: &str,
    items: &[(Destination, NewResultVersion)],
) -> QueryResult<Vec<Recorded>> {
    let now = super::super::now();
    let hashes: Vec<String> = items
        .iter()
        .map(|(_, v)| v.fingerprint().into_inner())
        .collect();
    let mut found = find_accessions(conn, clinic, items)?;
    // A new result for each destination whose key is neither stored nor taken earlier in `items`;
    // the others (and any a concurrent writer inserted first) are versions of a stored result.
    let mut fresh: Vec<usize> = Vec::new();
    for (i, (to, version)) in items.iter().enumerate() {
        if let Destination::New(new) = to {
            match key(new, version) {
                Some(key) if found.contains_key(&key) => {}
                Some(key) => {
                    found.insert(key, new.id);
                    fresh.push(i);
                }
                None => fresh.push(i),
            }
        }
    }
    let created = insert_results(conn, clinic, items, &fresh, now)?;
    let mut firsts = Vec::with_capacity(created.len());
    for &i in &fresh {
        let (Destination::New(new), v) = &items[i] else {
            continue;
        };
        if created.contains(&new.id) {
            firsts.push(version_row(new.id, 1, v, &hashes[i], recorded_by, now));
        } else if let Some(key) = key(new, v) {
            // Inserted by a concurrent writer after our look-up: it is a stored result now.
            let id = find_accession(conn, clinic, &key)?;
            found.insert(key, id);
        }
    }
    for chunk in firsts.chunks(CHUNK) {
        per_backend!(&mut *conn, |c| diesel::insert_into(result_versions::table)
            .values(chunk)
            .execute(c))?;
    }
    // Everything else, one at a time in the order given, against the versions stored.
    let targets: Vec<Option<ResultId>> = items
        .iter()
        .map(|(to, v)| match to {
            Destination::Append(id) => Some(*id),
            Destination::New(new) if created.contains(&new.id) => None,
            Destination::New(new) => key(new, v).and_then(|k| found.get(&k)).copied(),
        })
        .collect();
    let stored: Vec<ResultId> = targets.iter().flatten().copied().collect();
    let mut known = known_versions(conn, &stored)?;
    let mut outcomes = Vec::with_capacity(items.len());
    for (i, ((to, v), target)) in items.iter().zip(&targets).enumerate() {
        let Some(id) = *target else {
            let Destination::New(new) = to else {
                unreachable!("an append always has a target")
            };
            outcomes.push(Recorded::Created(new.id));
            continue;
        };
        let retry_is_unchanged = matches!(to, Destination::New(_));
        let row = |n| version_row(id, n, v, &hashes[i], recorded_by, now);
        outcomes.push(add_version(conn, &mut known, id, retry_is_unchanged, row)?);
    }
    Ok(outcomes)
}

/// Where a lab keeps a result: (source, accession, test).
type Key = (String, String, &'static str);

fn key(new: &NewResult, version: &NewResultVersion) -> Option<Key> {
    let accession = new.accession.clone()?;
    Some((new.source.clone(), accession, version.test.as_str()))
}

/// The stored results of `items`' accessions, in one query per source (and chunk).
fn find_accessions(
    conn: &mut AnyConnection,
    clinic: &ClinicId,
    items: &[(Destination, NewResultVersion)],
) -> QueryResult<HashMap<Key, ResultId>> {
    let mut by_source: HashMap<&str, Vec<&str>> = HashMap::new();
    for (to, _) in items {
        if let Destination::New(NewResult {
            source,
            accession: Some(a),
            ..
        }) = to
        {
            by_source.entry(source).or_default().push(a);
        }
    }
    let mut found = HashMap::new();
    for (source, mut accessions) in by_source {
        accessions.sort_unstable();
        accessions.dedup();
        for chunk in accessions.chunks(CHUNK) {
            let rows: Vec<(String, Option<String>, String)> = match conn {
                AnyConnection::Postgresql(c) => accessions_one_by_one(c, clinic, source, chunk)?,
                AnyConnection::Sqlite(_) => results::table
                    .filter(results::clinic_id.eq(clinic.as_str()))
                    .filter(results::source.eq(source))
                    .filter(results::accession.eq_any(chunk))
                    .select((results::id, results::accession, results::test))
                    .load(conn)?,
            };
            for (id, accession, test) in rows {
                // A test this release does not know cannot be one of `items`.
                if let (Some(a), Some(test)) = (accession, TestCode::parse(&test)) {
                    found.insert(
                        (source.to_owned(), a, test.as_str()),
                        typed_id("results", &id)?,
                    );
                }
            }
        }
    }
    Ok(found)
}

/// A stored result as [`accessions_one_by_one`] reads it.
#[derive(QueryableByName)]
struct FoundAccession {
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    accession: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    test: String,
}

/// The stored results of `accessions` on PostgreSQL, one index probe per accession. Asked as
/// `accession = ANY($3)`, the planner may use the unique index for (clinic, source) alone and test
/// every result of the lab against the list — on a table analysed before it grew (a new
/// installation taking its first feed) it does, and each message then reads every result the lab
/// ever sent. Probing from the list (a lateral subquery the planner cannot flatten) cannot.
fn accessions_one_by_one(
    conn: &mut diesel::PgConnection,
    clinic: &ClinicId,
    source: &str,
    accessions: &[&str],
) -> QueryResult<Vec<(String, Option<String>, String)>> {
    use diesel::sql_types::{Array, Text};
    let rows: Vec<FoundAccession> = diesel::sql_query(
        "SELECT r.id, r.accession, r.test FROM unnest($3) AS a(accession) \
         CROSS JOIN LATERAL (SELECT id, accession, test FROM results \
           WHERE clinic_id = $1 AND source = $2 AND results.accession = a.accession OFFSET 0) r",
    )
    .bind::<Text, _>(clinic.as_str())
    .bind::<Text, _>(source)
    .bind::<Array<Text>, _>(accessions)
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| (r.id, r.accession, r.test))
        .collect())
}

fn find_accession(
    conn: &mut AnyConnection,
    clinic: &ClinicId,
    (source, accession, test): &Key,
) -> QueryResult<ResultId> {
    let id: String = results::table
        .filter(results::clinic_id.eq(clinic.as_str()))
        .filter(results::source.eq(source))
        .filter(results::accession.eq(accession))
        .filter(results::test.eq(test))
        .select(results::id)
        .first(conn)?;
    typed_id("results", &id)
}

/// Inserts the results at `fresh`, skipping any a concurrent writer stored first; answers the ids
/// inserted.
fn insert_results(
    conn: &mut AnyConnection,
    clinic: &ClinicId,
    items: &[(Destination, NewResultVersion)],
    fresh: &[usize],
    now: NaiveDateTime,
) -> QueryResult<std::collections::HashSet<ResultId>> {
    let rows: Vec<NewResultRow<'_>> = fresh
        .iter()
        .filter_map(|&i| match &items[i] {
            (Destination::New(new), v) => Some(NewResultRow {
                id: new.id.to_string(),
                clinic_id: clinic.as_str(),
                patient_id: new.patient_id.to_string(),
                test: v.test.as_str(),
                subject: v.subject.as_str(),
                pregnancy_id: new.pregnancy_id.map(|p| p.to_string()),
                source: &new.source,
                accession: new.accession.as_deref(),
                latest_version: 1,
                created_at: now,
                updated_at: now,
            }),
            _ => None,
        })
        .collect();
    let mut inserted = std::collections::HashSet::with_capacity(rows.len());
    for chunk in rows.chunks(CHUNK) {
        let ids: Vec<String> = per_backend!(&mut *conn, |c| diesel::insert_into(results::table)
            .values(chunk)
            .on_conflict_do_nothing()
            .returning(results::id)
            .get_results(c))?;
        for id in ids {
            inserted.insert(typed_id("results", &id)?);
        }
    }
    Ok(inserted)
}

/// The (number, hash) of every version of `ids`, in one query per chunk.
fn known_versions(conn: &mut AnyConnection, ids: &[ResultId]) -> QueryResult<Known> {
    let mut known = Known::new();
    let ids: Vec<String> = ids.iter().map(ResultId::to_string).collect();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<(String, i32, String)> = result_versions::table
            .filter(result_versions::result_id.eq_any(chunk))
            .select((
                result_versions::result_id,
                result_versions::version,
                result_versions::content_hash,
            ))
            .load(conn)?;
        for (id, n, hash) in rows {
            known
                .entry(typed_id("results", &id)?)
                .or_default()
                .push((n, hash));
        }
    }
    Ok(known)
}

/// Adds the next version of a stored result — or, when `retry_is_unchanged` and a version with the
/// same hash is stored, nothing. A number a concurrent writer took first is looked up again.
fn add_version<'a>(
    conn: &mut AnyConnection,
    known: &mut Known,
    id: ResultId,
    retry_is_unchanged: bool,
    row: impl Fn(i32) -> NewVersionRow<'a>,
) -> QueryResult<Recorded> {
    for _ in 0..RETRIES {
        let versions = known.entry(id).or_default();
        let candidate = row(0);
        if retry_is_unchanged {
            if let Some((n, _)) = versions.iter().find(|(_, h)| h == candidate.content_hash) {
                return Ok(Recorded::Unchanged(id, *n));
            }
        }
        let next = versions.iter().map(|(n, _)| n + 1).max().unwrap_or(1);
        let new = NewVersionRow {
            version: next,
            ..candidate
        };
        let inserted = per_backend!(&mut *conn, |c| diesel::insert_into(result_versions::table)
            .values(&new)
            .on_conflict_do_nothing()
            .execute(c))?;
        if inserted == 1 {
            diesel::update(results::table.find(new.result_id.as_str()))
                .set((
                    results::latest_version.eq(next),
                    results::updated_at.eq(new.recorded_at),
                ))
                .execute(conn)?;
            versions.push((next, new.content_hash.to_owned()));
            return Ok(Recorded::Versioned(id, next));
        }
        let fresh = known_versions(conn, &[id])?;
        known.insert(id, fresh.get(&id).cloned().unwrap_or_default());
    }
    Err(lost_race("result version number"))
}
