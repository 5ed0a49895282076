//! The ingestion core every feed shares: the clinic's settings and code maps (read before the
//! transaction), and inside it the patients a message names (found by MRN in one query), the
//! checks the pure parsers cannot make (future dates, which subject a test may have), and storing
//! the message's results through the one write path, idempotently by (clinic, source, accession,
//! test). Outcomes travel as [`IngestOutcome`]s.

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::api::audit_trail::Access;
use crate::api::error::ApiError;
use crate::api::results::check_subject;
use crate::auth::Caller;
use crate::domain::catalogue::TestCode;
use crate::domain::ids::{ClinicId, PatientId, ResultId};
use crate::domain::new_result::{Destination, NewResult, Recorded};
use crate::ingest::incoming::resolve_test;
use crate::ingest::{FeedProblem, IncomingResult, ProblemKind};
use crate::storage::patients::{self, PatientRow};
use crate::storage::{clinics, code_maps, lab, results, AnyConnection};

/// Where a result's parts are, in the feed's own terms, for problems found here.
#[derive(Debug, Clone)]
pub struct Locator {
    pub mrn: String,
    pub collected: String,
    pub subject: String,
}

/// What became of one incoming result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IngestOutcome {
    /// A new result.
    Created,
    /// A new version of a known accession.
    Versioned,
    /// A retry of a version already stored: nothing written.
    Unchanged,
    /// No catalogue test: kept in the message log only, and counted.
    Unmapped,
    /// Refused: nothing stored.
    Rejected,
}

impl IngestOutcome {
    pub const ALL: [IngestOutcome; 5] = [
        IngestOutcome::Created,
        IngestOutcome::Versioned,
        IngestOutcome::Unchanged,
        IngestOutcome::Unmapped,
        IngestOutcome::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IngestOutcome::Created => "created",
            IngestOutcome::Versioned => "versioned",
            IngestOutcome::Unchanged => "unchanged",
            IngestOutcome::Unmapped => "unmapped",
            IngestOutcome::Rejected => "rejected",
        }
    }
}

/// What happened to one incoming result.
#[derive(Debug, Clone)]
pub enum ItemOutcome {
    Stored(Recorded),
    /// Not a catalogue test: kept in the message log, reported back, no result row.
    Unmapped,
    Rejected(Vec<FeedProblem>),
}

impl ItemOutcome {
    pub fn outcome(&self) -> IngestOutcome {
        match self {
            ItemOutcome::Stored(Recorded::Created(_)) => IngestOutcome::Created,
            ItemOutcome::Stored(Recorded::Versioned(..)) => IngestOutcome::Versioned,
            ItemOutcome::Stored(Recorded::Unchanged(..)) => IngestOutcome::Unchanged,
            ItemOutcome::Unmapped => IngestOutcome::Unmapped,
            ItemOutcome::Rejected(_) => IngestOutcome::Rejected,
        }
    }

    /// The result id and the version this report is stored as.
    pub fn stored(&self) -> Option<(ResultId, i32)> {
        match self {
            ItemOutcome::Stored(r) => Some((r.result_id(), r.version())),
            _ => None,
        }
    }

    /// Whether something was written (a new result or a new version).
    pub fn wrote(&self) -> bool {
        matches!(self, ItemOutcome::Stored(r) if r.wrote())
    }
}

/// Counts by outcome, for `rpl_ingested_results_total` and the responses.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct Tally {
    pub created: u64,
    pub versioned: u64,
    pub unchanged: u64,
    pub unmapped: u64,
    pub rejected: u64,
}

impl Tally {
    fn count(&mut self, outcome: IngestOutcome) -> &mut u64 {
        match outcome {
            IngestOutcome::Created => &mut self.created,
            IngestOutcome::Versioned => &mut self.versioned,
            IngestOutcome::Unchanged => &mut self.unchanged,
            IngestOutcome::Unmapped => &mut self.unmapped,
            IngestOutcome::Rejected => &mut self.rejected,
        }
    }

    pub fn add(&mut self, outcome: IngestOutcome, n: u64) {
        *self.count(outcome) += n;
    }

    /// Publishes the counts (call after the transaction committed).
    pub fn publish(mut self, feed: &str) {
        for outcome in IngestOutcome::ALL {
            crate::metrics::count_ingested(feed, outcome.as_str(), *self.count(outcome));
        }
    }
}

/// What a message is read and checked against: the clinic's settings and code maps, loaded once
/// per request (before its transaction: parsing needs the code maps and holds no lock).
pub struct ClinicSettings {
    clinic: ClinicId,
    /// The FHIR identifier system the clinic's MRNs must carry, when configured.
    mrn_system: Option<String>,
    /// Today in the clinic's time zone: the last collection date that is not in the future.
    today: chrono::NaiveDate,
    codes: HashMap<(String, String), TestCode>,
    /// The lab: the token's `sub` (stable per lab client, whatever the feed).
    source: String,
}

impl ClinicSettings {
    /// Loads the clinic's settings and code maps.
    pub fn load(conn: &mut AnyConnection, caller: &Caller) -> Result<Self, ApiError> {
        let clinic = caller.clinic.clone();
        // One read of the clinic row (it is absent until a token of the clinic is first used).
        let row = clinics::find(conn, &clinic)?;
        let today = crate::workup::record::today_in(row.as_ref().map_or("UTC", |r| &r.time_zone));
        let mrn_system = row.and_then(|r| r.mrn_system);
        let mut codes = HashMap::new();
        for m in code_maps::list(conn, &clinic)? {
            // A map to a test this release does not know must not quietly leave results unmapped.
            let test = TestCode::parse(&m.test).ok_or_else(|| {
                crate::workup::record::unreadable("code_maps", &format!("{}|{}", m.system, m.code))
            })?;
            codes.insert((m.system, m.code), test);
        }
        Ok(Self {
            clinic,
            mrn_system,
            today,
            codes,
            source: caller.sub.clone(),
        })
    }

    /// The clinic's code map as the parsers' resolver.
    pub fn resolve(&self, system: &str, code: &str) -> Option<TestCode> {
        if self.codes.is_empty() {
            return None;
        }
        self.codes
            .get(&(system.to_owned(), code.to_owned()))
            .copied()
    }

    /// Resolves a result the parser left unmapped through the clinic's code map (JSON feed).
    pub fn remap(&self, r: &mut IncomingResult) {
        if r.test.is_none() {
            r.test = resolve_test(&r.codes, &|s, c| self.resolve(s, c));
        }
    }
}

/// One transaction's ingestion state (a transaction run again after contention starts afresh).
pub struct Session<'a> {
    clinic: &'a ClinicSettings,
    /// The clinic's patients by MRN (`None`: no such patient), found for the whole message at once.
    patients: HashMap<String, Option<PatientRow>>,
    pub accesses: Vec<Access>,
    pub tally: Tally,
}

impl<'a> Session<'a> {
    pub fn new(clinic: &'a ClinicSettings) -> Self {
        Self {
            clinic,
            patients: HashMap::new(),
            accesses: Vec::new(),
            tally: Tally::default(),
        }
    }

    /// Finds the patients of every MRN named, in one query.
    pub fn find_patients<'r>(
        &mut self,
        conn: &mut AnyConnection,
        results: impl IntoIterator<Item = &'r IncomingResult>,
    ) -> Result<(), ApiError> {
        let mut mrns: Vec<&str> = results
            .into_iter()
            .map(|r| r.mrn.as_str())
            .filter(|m| !self.patients.contains_key(*m))
            .collect();
        mrns.sort_unstable();
        mrns.dedup();
        if mrns.is_empty() {
            return Ok(());
        }
        let found = lab::patients_by_mrn(conn, &self.clinic.clinic, &mrns)?;
        for mrn in mrns {
            self.patients.insert(mrn.to_owned(), None);
        }
        for p in found {
            self.patients.insert(p.mrn.clone(), Some(p));
        }
        Ok(())
    }

    /// The clinic's patient with this MRN, or the problem to refuse with. `system` is checked
    /// only when `check_system` (FHIR) and the clinic configured an MRN system.
    fn patient(
        &mut self,
        conn: &mut AnyConnection,
        r: &IncomingResult,
        check_system: bool,
        at: &str,
    ) -> Result<Result<PatientRow, FeedProblem>, ApiError> {
        if check_system {
            if let Some(expected) = &self.clinic.mrn_system {
                if r.mrn_system.as_deref() != Some(expected.as_str()) {
                    return Ok(Err(FeedProblem::error(
                        ProblemKind::UnknownPatient,
                        at,
                        format!(
                            "the clinic's MRNs carry the identifier system {expected}; \
                             no patient found"
                        ),
                    )));
                }
            }
        }
        self.find_patients(conn, [r])?;
        Ok(self.patients[&r.mrn].clone().ok_or_else(|| {
            FeedProblem::error(
                ProblemKind::UnknownPatient,
                at,
                "no patient with this MRN in the clinic; nothing was stored",
            )
        }))
    }

    /// Checks what the parsers cannot (no clock there), and finds the patient.
    pub fn check(
        &mut self,
        conn: &mut AnyConnection,
        r: &IncomingResult,
        at: &Locator,
        check_system: bool,
    ) -> Result<Result<PatientRow, Vec<FeedProblem>>, ApiError> {
        let mut problems = Vec::new();
        if r.collected_on.is_some_and(|d| d > self.clinic.today) {
            problems.push(FeedProblem::error(
                ProblemKind::Invalid,
                &at.collected,
                "the collection date is in the future",
            ));
        }
        let now = chrono::Utc::now();
        for p in crate::domain::value_check::check_result_dates(r.collected_on, r.reported_at, now)
        {
            let message = format!("the report time {}", p.message);
            problems.push(FeedProblem::error(
                ProblemKind::Invalid,
                &at.collected,
                message,
            ));
        }
        if let Some(test) = r.test {
            if let Err(ApiError::Validation(errors)) = check_subject(test, r.subject) {
                for e in errors {
                    problems.push(FeedProblem::error(
                        ProblemKind::Invalid,
                        &at.subject,
                        e.message,
                    ));
                }
            }
        }
        Ok(match self.patient(conn, r, check_system, &at.mrn)? {
            Ok(p) if problems.is_empty() => Ok(p),
            Ok(_) => Err(problems),
            Err(p) => {
                problems.insert(0, p);
                Err(problems)
            }
        })
    }

    /// Stores checked results (unmapped ones are only counted) and answers in the order given.
    /// Their patients are locked first, in id order; the results are stored in (accession, test)
    /// order — the same order in every request, so concurrent messages sharing patients or
    /// accessions cannot deadlock on PostgreSQL.
    pub fn store(
        &mut self,
        conn: &mut AnyConnection,
        checked: &[(&PatientRow, &IncomingResult)],
    ) -> Result<Vec<ItemOutcome>, ApiError> {
        let ids: std::collections::BTreeSet<PatientId> =
            checked.iter().map(|(p, _)| p.id).collect();
        patients::lock_many(conn, &self.clinic.clinic, &ids)?;
        let mut order: Vec<usize> = (0..checked.len())
            .filter(|&i| checked[i].1.test.is_some())
            .collect();
        order.sort_by_key(|&i| {
            (
                &checked[i].1.accession,
                checked[i].1.test.map(|t| t.as_str()),
            )
        });
        let mut items = Vec::with_capacity(order.len());
        let mut patient_ids = Vec::with_capacity(order.len());
        for &i in &order {
            let (patient, r) = checked[i];
            let patient_id = patient.id;
            let Some(version) = r.version() else {
                continue;
            };
            let new = NewResult {
                id: ResultId::new(),
                patient_id,
                pregnancy_id: None,
                source: self.clinic.source.clone(),
                accession: Some(r.accession.clone()),
            };
            items.push((Destination::New(new), version));
            patient_ids.push(patient_id);
        }
        let recorded = results::record(conn, &self.clinic.clinic, &self.clinic.source, &items)?;
        let mut outcomes = vec![ItemOutcome::Unmapped; checked.len()];
        for ((i, r), patient_id) in order.into_iter().zip(recorded).zip(patient_ids) {
            let access = Access::new("ingest", "result", patient_id, r.result_id());
            self.accesses.push(if r.wrote() {
                access
            } else {
                access.unchanged()
            });
            outcomes[i] = ItemOutcome::Stored(r);
        }
        for o in &outcomes {
            self.tally.add(o.outcome(), 1);
        }
        Ok(outcomes)
    }

    /// Counts rejected results (nothing stored for them).
    pub fn reject(&mut self, n: usize) {
        self.tally.add(IngestOutcome::Rejected, n as u64);
    }
}

/// The message log's `detail`: what each result became, unmapped observations in full (they
/// exist nowhere else), and every problem.
pub fn detail(
    results: &[(&IncomingResult, &ItemOutcome)],
    problems: &[FeedProblem],
    tally: &Tally,
) -> Value {
    let items: Vec<Value> = results
        .iter()
        .enumerate()
        .map(|(index, (r, outcome))| {
            let mut item = json!({
                "index": index,
                "accession": r.accession,
                "outcome": outcome.outcome().as_str(),
            });
            if let Some((id, version)) = outcome.stored() {
                item["result_id"] = json!(id);
                item["version"] = json!(version);
            }
            if matches!(outcome, ItemOutcome::Unmapped) {
                item["unmapped"] = serde_json::to_value(r).unwrap_or(Value::Null);
            }
            if let ItemOutcome::Rejected(p) = outcome {
                item["problems"] = serde_json::to_value(p).unwrap_or(Value::Null);
            }
            item
        })
        .collect();
    json!({"counts": tally, "results": items, "problems": problems})
}
