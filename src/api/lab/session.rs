//! The ingestion core every feed shares, inside the request's one transaction: the clinic's code
//! maps, patients found by MRN (cached for the request), the checks the pure parsers cannot make
//! (future dates, which subject a test may have), and storing a result idempotently by
//! (clinic, source, accession, test).

use std::collections::{BTreeSet, HashMap};

use serde_json::{json, Value};

use crate::api::audit_trail::Access;
use crate::api::error::ApiError;
use crate::api::results::check_subject;
use crate::auth::Caller;
use crate::domain::catalogue::TestCode;
use crate::domain::ids::{ClinicId, PatientId};
use crate::ingest::incoming::resolve_test;
use crate::ingest::{FeedProblem, IncomingResult, ProblemKind};
use crate::storage::lab::{self, Stored};
use crate::storage::patients::{self, PatientRow};
use crate::storage::results::{NewResult, ResultVersionRow};
use crate::storage::{self, clinics, code_maps, AnyConnection};

/// Where a result's parts are, in the feed's own terms, for problems found here.
#[derive(Debug, Clone)]
pub struct Locator {
    pub mrn: String,
    pub collected: String,
    pub subject: String,
}

/// What happened to one incoming result.
#[derive(Debug, Clone)]
pub enum ItemOutcome {
    Stored {
        patient_id: String,
        stored: Stored,
    },
    /// Not a catalogue test: kept in the message log, reported back, no result row.
    Unmapped,
    Rejected(Vec<FeedProblem>),
}

impl ItemOutcome {
    /// `created`, `versioned`, `unchanged`, `unmapped` or `rejected` (metrics and responses).
    pub fn label(&self) -> &'static str {
        match self {
            ItemOutcome::Stored { stored, .. } => match stored {
                Stored::Created { .. } => "created",
                Stored::Versioned { .. } => "versioned",
                Stored::Unchanged { .. } => "unchanged",
            },
            ItemOutcome::Unmapped => "unmapped",
            ItemOutcome::Rejected(_) => "rejected",
        }
    }

    /// The result id and the version this report is stored as.
    pub fn stored(&self) -> Option<(&str, i32)> {
        match self {
            ItemOutcome::Stored { stored, .. } => Some(match stored {
                Stored::Created { result_id } => (result_id.as_str(), 1),
                Stored::Versioned { result_id, version }
                | Stored::Unchanged { result_id, version } => (result_id.as_str(), *version),
            }),
            _ => None,
        }
    }

    /// Whether something was written (a new result or a new version).
    pub fn wrote(&self) -> bool {
        matches!(self.label(), "created" | "versioned")
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
    pub fn add(&mut self, outcome: &ItemOutcome) {
        match outcome.label() {
            "created" => self.created += 1,
            "versioned" => self.versioned += 1,
            "unchanged" => self.unchanged += 1,
            "unmapped" => self.unmapped += 1,
            _ => self.rejected += 1,
        }
    }

    /// Publishes the counts (call after the transaction committed).
    pub fn publish(&self, feed: &str) {
        use crate::metrics::count_ingested;
        count_ingested(feed, "created", self.created);
        count_ingested(feed, "versioned", self.versioned);
        count_ingested(feed, "unchanged", self.unchanged);
        count_ingested(feed, "unmapped", self.unmapped);
        count_ingested(feed, "rejected", self.rejected);
    }
}

/// One request's ingestion state.
pub struct Session {
    clinic_id: ClinicId,
    /// The FHIR identifier system the clinic's MRNs must carry, when configured.
    mrn_system: Option<String>,
    /// Today in the clinic's time zone: the last collection date that is not in the future.
    today: chrono::NaiveDate,
    codes: HashMap<(String, String), TestCode>,
    patients: HashMap<String, Option<PatientRow>>,
    /// The patients the checked results name, locked (in id order) before the first store.
    touched: BTreeSet<PatientId>,
    locked: bool,
    /// The lab: the token's `sub` (stable per lab client, whatever the feed).
    source: String,
    pub accesses: Vec<Access>,
    pub tally: Tally,
}

impl Session {
    /// Loads the clinic's settings and code maps.
    pub fn open(conn: &mut AnyConnection, caller: &Caller) -> Result<Self, ApiError> {
        let clinic_id = caller.clinic.clone();
        let mrn_system = match clinics::get(conn, &clinic_id) {
            Ok(row) => row.mrn_system,
            Err(diesel::result::Error::NotFound) => None,
            Err(e) => return Err(e.into()),
        };
        let today = crate::workup::record::clinic_today(conn, &clinic_id)?;
        let mut codes = HashMap::new();
        for m in code_maps::list(conn, &clinic_id)? {
            // A map to a test this release does not know must not quietly leave results unmapped.
            let test = TestCode::parse(&m.test).ok_or_else(|| {
                crate::workup::record::unreadable("code_maps", &format!("{}|{}", m.system, m.code))
            })?;
            codes.insert((m.system, m.code), test);
        }
        Ok(Self {
            clinic_id,
            mrn_system,
            today,
            codes,
            patients: HashMap::new(),
            touched: BTreeSet::new(),
            locked: false,
            source: caller.sub.clone(),
            accesses: Vec::new(),
            tally: Tally::default(),
        })
    }

    /// The clinic's code map as the parsers' resolver.
    pub fn resolve(&self, system: &str, code: &str) -> Option<TestCode> {
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

    /// The clinic's patient with this MRN, or the problem to refuse with. `system` is checked
    /// only when `check_system` (FHIR) and the clinic configured an MRN system.
    pub fn patient(
        &mut self,
        conn: &mut AnyConnection,
        mrn: &str,
        system: Option<&str>,
        check_system: bool,
        at: &str,
    ) -> Result<Result<PatientRow, FeedProblem>, ApiError> {
        if check_system {
            if let Some(expected) = &self.mrn_system {
                if system != Some(expected.as_str()) {
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
        if !self.patients.contains_key(mrn) {
            let found = patients::find_by_mrn(conn, &self.clinic_id, mrn)?;
            self.patients.insert(mrn.to_owned(), found);
        }
        Ok(self.patients[mrn].clone().ok_or_else(|| {
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
        if r.collected_on.is_some_and(|d| d > self.today) {
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
        let patient = self.patient(conn, &r.mrn, r.mrn_system.as_deref(), check_system, &at.mrn)?;
        if let Ok(p) = &patient {
            self.touched.insert(p.id);
        }
        Ok(match patient {
            Ok(p) if problems.is_empty() => Ok(p),
            Ok(_) => Err(problems),
            Err(p) => {
                problems.insert(0, p);
                Err(problems)
            }
        })
    }

    /// Stores a checked result (or notes it unmapped) and counts it. The first store locks every
    /// patient checked so far, in id order: feeds check all results before storing any.
    pub fn store(
        &mut self,
        conn: &mut AnyConnection,
        patient: &PatientRow,
        r: &IncomingResult,
    ) -> Result<ItemOutcome, ApiError> {
        if !self.locked {
            self.touched.insert(patient.id);
            patients::lock_many(conn, &self.clinic_id, &self.touched)?;
            self.locked = true;
        }
        let Some(test) = r.test else {
            self.tally.unmapped += 1;
            return Ok(ItemOutcome::Unmapped);
        };
        let now = storage::now();
        let id = uuid::Uuid::now_v7().to_string();
        let new = NewResult {
            id: id.clone(),
            clinic_id: self.clinic_id.to_string(),
            patient_id: patient.id.to_string(),
            test: test.as_str().to_owned(),
            subject: r.subject.as_str().to_owned(),
            pregnancy_id: None,
            source: self.source.clone(),
            accession: Some(r.accession.clone()),
            latest_version: 1,
            created_at: now,
            updated_at: now,
        };
        let range = r.reference_range.clone().unwrap_or_default();
        let version = ResultVersionRow {
            result_id: id,
            version: 1,
            status: r.status.as_str().to_owned(),
            loinc: r.loinc().map(str::to_owned),
            value_quantity: r.value.quantity,
            value_unit: r.value.unit.clone(),
            value_finding: r.value.finding.clone(),
            value_text: r.value.text.clone(),
            interpretation: r.interpretation.map(|i| i.as_str().to_owned()),
            reference_low: range.low,
            reference_high: range.high,
            reference_unit: range.unit,
            modality: r.modality.map(|m| m.as_str().to_owned()),
            collected_on: r.collected_on,
            reported_at: r.reported_at.map(|t| t.naive_utc()),
            on_anticoagulation: r.on_anticoagulation,
            note: r.note.clone(),
            // The feed-neutral fingerprint: a resend with a new report time is a retry.
            content_hash: r.fingerprint().into_inner(),
            recorded_by: self.source.clone(),
            recorded_at: now,
            cycle_day: r.facts.cycle_day.map(i32::from),
            days_before_menses: r.facts.days_before_menses.map(i32::from),
            partner_mrn: r.facts.partner_mrn.clone(),
        };
        let stored = lab::store_by_accession(conn, &new, version)?;
        let access = Access::new("ingest", "result", &patient.id, stored.result_id());
        self.accesses.push(match stored {
            Stored::Unchanged { .. } => access.unchanged(),
            _ => access,
        });
        let outcome = ItemOutcome::Stored {
            patient_id: patient.id.to_string(),
            stored,
        };
        self.tally.add(&outcome);
        Ok(outcome)
    }

    /// Counts rejected results (nothing stored for them).
    pub fn reject(&mut self, n: usize) {
        self.tally.rejected += n as u64;
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
                "outcome": outcome.label(),
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
