//! Worklist summaries: one row per live patient (counts per status, overdue, next due date, the
//! date time alone changes her checklist) and her open items. Derived data, rewritten whole on
//! every refresh inside the caller's transaction.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::Bool;

use super::clinics::ClinicSettings;
use super::patients::PatientRow;
use super::schema::{clinics, patients, worklist_items, worklist_summaries};
use super::{AnyConnection, StoredId};
use crate::domain::checklist::ItemStatus;
use crate::domain::ids::{ClinicId, PatientId};
use crate::domain::item::ItemId;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = worklist_summaries)]
pub struct SummaryRow {
    #[diesel(deserialize_as = StoredId<PatientId>, serialize_as = String)]
    pub patient_id: PatientId,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub clinic_id: ClinicId,
    pub profile: String,
    pub outstanding: i32,
    pub pending: i32,
    pub repeat_due: i32,
    pub abnormal: i32,
    pub needs_review: i32,
    pub complete: i32,
    pub overdue: i32,
    pub next_due_on: Option<NaiveDate>,
    pub refresh_on: Option<NaiveDate>,
    pub open_work: bool,
    pub evaluated_on: NaiveDate,
    pub updated_at: NaiveDateTime,
    /// The whole checklist as JSON, as evaluated with the summary.
    pub checklist: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = worklist_items, treat_none_as_default_value = false)]
pub struct ItemRow {
    #[diesel(deserialize_as = StoredId<PatientId>, serialize_as = String)]
    pub patient_id: PatientId,
    pub item: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub clinic_id: ClinicId,
    pub status: String,
    pub due_on: Option<NaiveDate>,
}

/// Replaces the patient's summary and open items.
pub fn replace(
    conn: &mut AnyConnection,
    summary: &SummaryRow,
    items: &[ItemRow],
) -> QueryResult<()> {
    remove(conn, summary.patient_id)?;
    diesel::insert_into(worklist_summaries::table)
        .values(summary.clone())
        .execute(conn)?;
    if !items.is_empty() {
        super::per_backend!(&mut *conn, |c| diesel::insert_into(worklist_items::table)
            .values(items.to_vec())
            .execute(c))?;
    }
    Ok(())
}

/// Drops the patient from the worklist (she was deleted, or cannot be evaluated).
pub fn remove(conn: &mut AnyConnection, patient_id: PatientId) -> QueryResult<()> {
    let patient_id = patient_id.to_string();
    diesel::delete(worklist_items::table.filter(worklist_items::patient_id.eq(&patient_id)))
        .execute(conn)?;
    diesel::delete(worklist_summaries::table.find(&patient_id)).execute(conn)?;
    Ok(())
}

/// Up to `limit` of the clinic's patients whose summary must be re-evaluated on `today`.
pub fn stale(
    conn: &mut AnyConnection,
    clinic_id: &ClinicId,
    today: NaiveDate,
    limit: i64,
) -> QueryResult<Vec<PatientId>> {
    let ids = worklist_summaries::table
        .filter(worklist_summaries::clinic_id.eq(clinic_id.as_str()))
        .filter(worklist_summaries::refresh_on.le(today))
        .select(worklist_summaries::patient_id)
        // Patients are locked as they are refreshed: in id order, like every other write.
        .order(worklist_summaries::patient_id.asc())
        .limit(limit)
        .load(conn)?;
    super::typed_ids("worklist_summaries", ids)
}

/// The `refresh_on` of a summary whose re-evaluation was deferred to the background worker: a day
/// that has always passed, so every reader treats it as stale until the worker catches up.
pub fn deferred_mark() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date")
}

/// Marks the patients' summaries for re-evaluation in the background (one statement). A summary
/// already marked is left alone: rewriting its row (and its stored checklist) again would change
/// nothing while the worker has not caught up, and bulk messages follow each other that fast.
pub fn defer_refresh(conn: &mut AnyConnection, patients: &[PatientId]) -> QueryResult<()> {
    let ids: Vec<String> = patients.iter().map(ToString::to_string).collect();
    for chunk in ids.chunks(500) {
        diesel::update(
            worklist_summaries::table
                .filter(worklist_summaries::patient_id.eq_any(chunk))
                .filter(
                    worklist_summaries::refresh_on
                        .is_null()
                        .or(worklist_summaries::refresh_on.gt(deferred_mark())),
                ),
        )
        .set(worklist_summaries::refresh_on.eq(Some(deferred_mark())))
        .execute(conn)?;
    }
    Ok(())
}

/// Up to `limit` (clinic, patient) whose re-evaluation was deferred, in patient id order.
pub fn deferred(conn: &mut AnyConnection, limit: i64) -> QueryResult<Vec<(ClinicId, PatientId)>> {
    let rows: Vec<(String, String)> = worklist_summaries::table
        .filter(worklist_summaries::refresh_on.le(deferred_mark()))
        .select((
            worklist_summaries::clinic_id,
            worklist_summaries::patient_id,
        ))
        .order(worklist_summaries::patient_id.asc())
        .limit(limit)
        .load(conn)?;
    let (clinics, patients): (Vec<String>, Vec<String>) = rows.into_iter().unzip();
    let patients: Vec<PatientId> = super::typed_ids("worklist_summaries", patients)?;
    clinics
        .into_iter()
        .zip(patients)
        .map(|(clinic, patient)| {
            ClinicId::try_from(clinic)
                .map(|c| (c, patient))
                .map_err(|e| diesel::result::Error::DeserializationError(e.into()))
        })
        .collect()
}

/// Whether any of the clinic's summaries must be re-evaluated on `today`. Asked as "the earliest
/// refresh date" (the first entry of the (clinic, refresh_on) index) rather than `EXISTS … <=
/// today`: PostgreSQL's generic plan of the prepared `EXISTS` guessed a third of the rows stale
/// and scanned them all (10 ms at 100,000 patients) when none was.
pub fn any_stale(
    conn: &mut AnyConnection,
    clinic_id: &ClinicId,
    today: NaiveDate,
) -> QueryResult<bool> {
    let earliest: Option<Option<NaiveDate>> = worklist_summaries::table
        .filter(worklist_summaries::clinic_id.eq(clinic_id.as_str()))
        .filter(worklist_summaries::refresh_on.is_not_null())
        .select(worklist_summaries::refresh_on)
        .order(worklist_summaries::refresh_on.asc())
        .first(conn)
        .optional()?;
    Ok(earliest.flatten().is_some_and(|day| day <= today))
}

/// Which patients a worklist page lists.
#[derive(Debug, Clone, Default)]
pub struct WorklistFilter {
    /// Effective profile of the patient.
    pub profile: Option<String>,
    /// An open item with one of these statuses (any open status when empty).
    pub statuses: Vec<ItemStatus>,
    /// This item is open (with one of `statuses`, when given).
    pub item: Option<ItemId>,
    /// `Some(true)`: a (matching) item is overdue; `Some(false)`: no item is overdue.
    pub overdue: Option<bool>,
    /// A (matching) item is due before this date.
    pub due_before: Option<NaiveDate>,
    /// Overdue means `due_on < today`.
    pub today: NaiveDate,
}

/// One keyset page of the clinic's patients with open work, in patient id order after `after`.
pub fn page(
    conn: &mut AnyConnection,
    clinic_id: &ClinicId,
    filter: &WorklistFilter,
    after: Option<PatientId>,
    limit: i64,
) -> QueryResult<Vec<SummaryRow>> {
    let clinic_id = clinic_id.as_str();
    let after = after.map(|a| a.to_string());
    let fenced = matches!(conn, AnyConnection::Postgresql(_));
    // Boxed subqueries only compose on a concrete backend: build the query once per backend.
    super::per_backend!(conn, |c| {
        use worklist_summaries as s;
        let mut query = s::table
            .filter(s::clinic_id.eq(clinic_id))
            .filter(s::open_work.eq(true))
            .select(SummaryRow::as_select())
            .order(s::patient_id.asc())
            .limit(limit)
            .into_boxed();
        if let Some(profile) = &filter.profile {
            query = query.filter(s::profile.eq(profile.clone()));
        }
        if let Some(after) = &after {
            query = query.filter(s::patient_id.gt(after.clone()));
        }
        let by_item = !filter.statuses.is_empty()
            || filter.item.is_some()
            || filter.overdue == Some(true)
            || filter.due_before.is_some();
        if by_item {
            query = query.filter(diesel::dsl::sql::<Bool>(&matching_item_exists(
                filter, fenced,
            )));
        }
        if filter.overdue == Some(false) {
            query = query.filter(diesel::dsl::sql::<Bool>(&format!(
                "NOT EXISTS (SELECT 1 FROM worklist_items wi \
                 WHERE wi.patient_id = worklist_summaries.patient_id AND wi.due_on < '{}')",
                filter.today.format("%Y-%m-%d")
            )));
        }
        query.load(c)
    })
}

/// `EXISTS` one of the patient's own items matching the filter: a correlated probe of her items
/// (their primary key starts with her id), so a page is a range scan of the summaries in id order
/// that stops at `limit` matches however many patients match in all — where an `IN (subquery)`
/// would collect every matching patient of the clinic first.
///
/// The SQL is written out rather than bound because diesel cannot type-check a subquery that
/// refers to the outer table. Only closed vocabularies reach it — statuses and item ids are enums
/// (`as_str` gives fixed identifiers) and dates are formatted by chrono — never caller text.
///
/// `fence` (PostgreSQL) keeps a due-date filter a per-patient probe: only repeat items have a due
/// date, a correlation PostgreSQL's statistics cannot see, so it guessed `repeat_due` and overdue
/// 40 times rarer than it is and collected every match to sort them (50 ms at 100,000 patients)
/// rather than probing patients in order until the page is full (2 ms). `OFFSET 0` keeps the
/// subquery from being turned into a join.
fn matching_item_exists(filter: &WorklistFilter, fence: bool) -> String {
    let mut sql = String::from(
        "EXISTS (SELECT 1 FROM worklist_items wi \
         WHERE wi.patient_id = worklist_summaries.patient_id",
    );
    if filter.statuses.is_empty() {
        // Deferred items are listed but are not open work (clinical-rules.md §6.3).
        let deferred = ItemStatus::Deferred.as_str();
        sql.push_str(&format!(" AND wi.status <> '{deferred}'"));
    } else {
        let statuses: Vec<String> = filter
            .statuses
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        sql.push_str(&format!(" AND wi.status IN ({})", statuses.join(", ")));
    }
    if let Some(item) = filter.item {
        sql.push_str(&format!(" AND wi.item = '{}'", item.as_str()));
    }
    if filter.overdue == Some(true) {
        sql.push_str(&format!(
            " AND wi.due_on < '{}'",
            filter.today.format("%Y-%m-%d")
        ));
    }
    if let Some(before) = filter.due_before {
        sql.push_str(&format!(" AND wi.due_on < '{}'", before.format("%Y-%m-%d")));
    }
    if fence && (filter.overdue == Some(true) || filter.due_before.is_some()) {
        sql.push_str(" OFFSET 0");
    }
    sql.push(')');
    sql
}

/// The open items of these patients.
pub fn items_of(conn: &mut AnyConnection, patient_ids: &[PatientId]) -> QueryResult<Vec<ItemRow>> {
    if patient_ids.is_empty() {
        return Ok(Vec::new());
    }
    let patient_ids: Vec<String> = patient_ids.iter().map(ToString::to_string).collect();
    worklist_items::table
        .filter(worklist_items::patient_id.eq_any(patient_ids))
        .select(ItemRow::as_select())
        .order((worklist_items::patient_id.asc(), worklist_items::item.asc()))
        .load(conn)
}

/// (id, MRN) of these patients of the clinic.
pub fn mrns_of(
    conn: &mut AnyConnection,
    clinic_id: &ClinicId,
    patient_ids: &[PatientId],
) -> QueryResult<Vec<(PatientId, String)>> {
    if patient_ids.is_empty() {
        return Ok(Vec::new());
    }
    let patient_ids: Vec<String> = patient_ids.iter().map(ToString::to_string).collect();
    let rows: Vec<(String, String)> = patients::table
        .filter(patients::clinic_id.eq(clinic_id.as_str()))
        .filter(patients::id.eq_any(patient_ids))
        .select((patients::id, patients::mrn))
        .load(conn)?;
    let (ids, mrns): (Vec<String>, Vec<String>) = rows.into_iter().unzip();
    Ok(super::typed_ids("patients", ids)?
        .into_iter()
        .zip(mrns)
        .collect())
}

/// The checklist stored with a patient's summary.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = worklist_summaries)]
pub struct StoredChecklist {
    pub profile: String,
    pub evaluated_on: NaiveDate,
    pub refresh_on: Option<NaiveDate>,
    pub checklist: Option<String>,
}

/// Everything serving a patient's checklist now needs, read by one statement (a consistent
/// snapshot of its own, so no transaction): her row, her clinic's time zone and default profile
/// (absent while the clinic has no row yet) and the checklist stored with her summary.
pub struct ChecklistView {
    pub patient: PatientRow,
    pub clinic: Option<ClinicSettings>,
    pub stored: Option<StoredChecklist>,
}

pub fn checklist_view(
    conn: &mut AnyConnection,
    clinic_id: &ClinicId,
    patient_id: PatientId,
) -> QueryResult<Option<ChecklistView>> {
    patients::table
        .left_join(clinics::table.on(clinics::id.eq(patients::clinic_id)))
        .left_join(worklist_summaries::table.on(worklist_summaries::patient_id.eq(patients::id)))
        .filter(patients::id.eq(patient_id.to_string()))
        .filter(patients::clinic_id.eq(clinic_id.as_str()))
        .filter(patients::deleted_at.is_null())
        .select((
            PatientRow::as_select(),
            Option::<ClinicSettings>::as_select(),
            Option::<StoredChecklist>::as_select(),
        ))
        .get_result(conn)
        .optional()
        .map(|row| {
            row.map(|(patient, clinic, stored)| ChecklistView {
                patient,
                clinic,
                stored,
            })
        })
}

pub fn stored_checklist(
    conn: &mut AnyConnection,
    patient_id: PatientId,
) -> QueryResult<Option<StoredChecklist>> {
    worklist_summaries::table
        .find(patient_id.to_string())
        .select(StoredChecklist::as_select())
        .first(conn)
        .optional()
}
