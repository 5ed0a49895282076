//! `rpl-workup seed`: synthetic but realistic patients for benchmarks and demos — obstetric
//! histories, results (some abnormal, some positive antiphospholipid needing a repeat), some
//! reviews — written in batched transactions with their worklist summaries. Never real data.

use chrono::{Days, NaiveDate};
use diesel::RunQueryDsl;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::domain::catalogue::TestCode;
use crate::domain::ids::{ClinicId, PatientId, PregnancyId, ResultId, ReviewId};
use crate::domain::new_result::{Destination, NewResult, NewResultVersion, ReportedCode};
use crate::domain::result::{
    Interpretation, Modality, ResultStatus, ResultValue, SampleFacts, Subject,
};
use crate::storage::pregnancies::NewPregnancy;
use crate::storage::reviews::ReviewRow;
use crate::storage::schema::{patients, reviews};
use crate::storage::{self, clinics, patients::NewPatient, AnyConnection};
use crate::workup::summary::{self, Reason};

/// What to seed.
#[derive(Debug, Clone)]
pub struct SeedPlan {
    pub clinic: ClinicId,
    pub patients: u32,
    pub batch: u32,
    pub rng_seed: u64,
}

/// One generated patient's rows.
#[derive(Default)]
struct Batch {
    patients: Vec<NewPatient>,
    pregnancies: Vec<NewPregnancy>,
    results: Vec<(Destination, NewResultVersion)>,
    reviews: Vec<ReviewRow>,
}

struct Gen<'a> {
    rng: StdRng,
    clinic: &'a ClinicId,
    today: NaiveDate,
    now: chrono::NaiveDateTime,
}

impl Gen<'_> {
    fn days_ago(&mut self, lo: u64, hi: u64) -> NaiveDate {
        self.today - Days::new(self.rng.random_range(lo..=hi))
    }

    #[allow(clippy::too_many_arguments)]
    fn result(
        &mut self,
        b: &mut Batch,
        patient: PatientId,
        test: TestCode,
        subject: Subject,
        quantity: Option<(f64, &str)>,
        finding: Option<(&str, Option<&str>)>,
        interpretation: Option<Interpretation>,
        modality: Option<Modality>,
        collected_on: NaiveDate,
    ) {
        let new = NewResult {
            id: ResultId::new(),
            patient_id: patient,
            pregnancy_id: None,
            source: "seed".to_owned(),
            accession: None,
        };
        let version = NewResultVersion {
            test,
            subject,
            codes: test
                .entry()
                .loinc
                .first()
                .map(|l| ReportedCode::loinc(*l))
                .into_iter()
                .collect(),
            status: ResultStatus::Final,
            value: ResultValue {
                quantity: quantity.map(|q| q.0),
                unit: quantity.map(|q| q.1.to_owned()),
                finding: finding.map(|f| f.0.to_owned()),
                text: finding.and_then(|f| f.1.map(str::to_owned)),
            },
            interpretation,
            reference_range: None,
            modality,
            collected_on: Some(collected_on),
            reported_at: None,
            on_anticoagulation: false,
            note: None,
            facts: SampleFacts {
                cycle_day: (test == TestCode::Progesterone).then_some(21),
                ..SampleFacts::default()
            },
        };
        b.results.push((Destination::New(new), version));
    }

    fn patient(&mut self, b: &mut Batch, mrn: String) {
        let patient_id = PatientId::new();
        let pid = patient_id;
        let birth = self.days_ago(25 * 365, 43 * 365);
        b.patients.push(NewPatient {
            id: pid,
            clinic_id: self.clinic.clone(),
            mrn,
            ehr_patient_id: None,
            birth_date: Some(birth),
            partner_mrn: None,
            partner_birth_date: None,
            profile: None,
            created_at: self.now,
            updated_at: self.now,
        });
        // Most patients referred for RPL have two to four losses; some only one so far.
        let count = self.rng.random_range(1..=5);
        let mut ends: Vec<NaiveDate> = (0..count).map(|_| self.days_ago(30, 6 * 365)).collect();
        ends.sort();
        for ended in ends {
            let roll = self.rng.random_range(0..100);
            let (outcome, weeks) = match roll {
                0..=64 => ("miscarriage", self.rng.random_range(5..=12)),
                65..=69 => ("miscarriage", self.rng.random_range(13..=21)),
                70..=79 => ("biochemical", 4),
                80..=94 => ("live_birth", self.rng.random_range(37..=41)),
                _ => ("ectopic", self.rng.random_range(5..=9)),
            };
            b.pregnancies.push(NewPregnancy {
                id: PregnancyId::new(),
                patient_id: pid,
                outcome: outcome.to_owned(),
                ended_on: Some(ended),
                gestational_age_weeks: Some(weeks),
                gestational_age_days: Some(self.rng.random_range(0..=6)),
                conception: Some(
                    if self.rng.random_bool(0.85) {
                        "spontaneous"
                    } else {
                        "ivf"
                    }
                    .to_owned(),
                ),
                notes: None,
                complications: None,
                edd: None,
                gestational_age_at_demise_weeks: None,
                gestational_age_at_demise_days: None,
                partner_mrn: None,
                created_at: self.now,
                updated_at: self.now,
            });
        }
        self.results(b, patient_id);
        if self.rng.random_bool(0.1) {
            let item = if self.rng.random_bool(0.5) {
                "thyroid"
            } else {
                "uterine_anatomy"
            };
            b.reviews.push(ReviewRow {
                id: ReviewId::new(),
                patient_id: pid,
                item: Some(item.to_owned()),
                action: if item == "thyroid" {
                    "ordered"
                } else {
                    "acknowledge"
                }
                .to_owned(),
                note: None,
                created_by: "seed".to_owned(),
                created_at: self.now,
                withdrawn_by: None,
                withdrawn_at: None,
            });
        }
    }

    fn results(&mut self, b: &mut Batch, pid: PatientId) {
        use Interpretation::*;
        use Subject::*;
        use TestCode::*;
        if self.rng.random_bool(0.6) {
            let on = self.days_ago(5, 400);
            let high = self.rng.random_bool(0.1);
            let (q, flag) = if high { (6.5, High) } else { (1.8, Normal) };
            self.result(
                b,
                pid,
                Tsh,
                Patient,
                Some((q, "m[IU]/L")),
                None,
                Some(flag),
                None,
                on,
            );
            if self.rng.random_bool(0.7) {
                let pos = self.rng.random_bool(0.1);
                let (q, flag) = if pos {
                    (120.0, Positive)
                } else {
                    (8.0, Negative)
                };
                self.result(
                    b,
                    pid,
                    TpoAntibodies,
                    Patient,
                    Some((q, "[IU]/mL")),
                    None,
                    Some(flag),
                    None,
                    on,
                );
            }
        }
        if self.rng.random_bool(0.5) {
            let on = self.days_ago(5, 300);
            let pos = self.rng.random_bool(0.15);
            let (q, flag) = if pos {
                (52.0, Positive)
            } else {
                (6.0, Negative)
            };
            self.result(
                b,
                pid,
                AnticardiolipinIgg,
                Patient,
                Some((q, "[GPL'U]/mL")),
                None,
                Some(flag),
                None,
                on,
            );
            self.result(
                b,
                pid,
                AnticardiolipinIgm,
                Patient,
                Some((4.0, "[MPL'U]/mL")),
                None,
                Some(Negative),
                None,
                on,
            );
            if self.rng.random_bool(0.8) {
                self.result(
                    b,
                    pid,
                    LupusAnticoagulant,
                    Patient,
                    None,
                    Some(("negative", None)),
                    Some(Negative),
                    None,
                    on,
                );
            }
        }
        if self.rng.random_bool(0.4) {
            let on = self.days_ago(5, 500);
            let finding = if self.rng.random_bool(0.85) {
                "normal"
            } else {
                "septate"
            };
            self.result(
                b,
                pid,
                UterineImaging,
                Patient,
                None,
                Some((finding, None)),
                None,
                Some(Modality::Tvus3d),
                on,
            );
        }
        if self.rng.random_bool(0.15) {
            let on = self.days_ago(30, 700);
            self.result(
                b,
                pid,
                Karyotype,
                Patient,
                None,
                Some(("normal", Some("46,XX"))),
                None,
                None,
                on,
            );
            self.result(
                b,
                pid,
                Karyotype,
                Partner,
                None,
                Some(("normal", Some("46,XY"))),
                None,
                None,
                on,
            );
        }
        if self.rng.random_bool(0.5) {
            let on = self.days_ago(5, 200);
            let bmi = self.rng.random_range(19.0..34.0_f64);
            self.result(
                b,
                pid,
                Bmi,
                Patient,
                Some(((bmi * 10.0).round() / 10.0, "kg/m2")),
                None,
                None,
                None,
                on,
            );
            self.result(
                b,
                pid,
                SmokingStatus,
                Patient,
                None,
                Some(("never", None)),
                None,
                None,
                on,
            );
        }
    }
}

fn insert(conn: &mut AnyConnection, clinic: &ClinicId, b: &Batch) -> diesel::QueryResult<()> {
    // SQLite caps bound parameters per statement; these chunks stay well below it.
    for chunk in b.patients.chunks(500) {
        storage::per_backend!(&mut *conn, |c| diesel::insert_into(patients::table)
            .values(chunk.to_vec())
            .execute(c))?;
    }
    for chunk in b.pregnancies.chunks(500) {
        storage::pregnancies::insert(conn, chunk)?;
    }
    storage::results::record(conn, clinic, "seed", &b.results)?;
    for chunk in b.reviews.chunks(500) {
        storage::per_backend!(&mut *conn, |c| diesel::insert_into(reviews::table)
            .values(chunk.to_vec())
            .execute(c))?;
    }
    Ok(())
}

/// Seeds `plan.patients` patients in transactions of `plan.batch`, each with her summary.
/// `progress` is told how many are done after each batch.
pub fn run(
    conn: &mut AnyConnection,
    plan: &SeedPlan,
    mut progress: impl FnMut(u32),
) -> Result<(), String> {
    let today = crate::workup::record::today();
    let run_tag = &uuid::Uuid::new_v4().simple().to_string()[..6];
    let mut gen = Gen {
        rng: StdRng::seed_from_u64(plan.rng_seed),
        clinic: &plan.clinic,
        today,
        now: storage::now(),
    };
    clinics::ensure(conn, &plan.clinic).map_err(|e| e.to_string())?;
    let clinic = plan.clinic.clone();
    let mut done = 0;
    while done < plan.patients {
        let n = plan.batch.max(1).min(plan.patients - done);
        let mut batch = Batch::default();
        for i in 0..n {
            gen.patient(&mut batch, format!("SEED-{run_tag}-{:07}", done + i));
        }
        storage::write_transaction(conn, |conn| {
            insert(conn, &clinic, &batch)?;
            for p in &batch.patients {
                summary::refresh(conn, &plan.clinic, p.id, today, Reason::Seed)?;
            }
            Ok::<_, diesel::result::Error>(())
        })
        .map_err(|e| e.to_string())?;
        done += n;
        progress(done);
    }
    // A bulk load leaves the planner without statistics until autovacuum comes by; without them
    // PostgreSQL plans the worklist's item filters as scans of every item.
    storage::refresh_statistics(conn).map_err(|e| e.to_string())
}

/// [`run`] with its progress on stderr: a bar with the patients done, the rate and the time left
/// on a terminal; one line per batch (with the rate) when stderr is not a terminal (logs, CI).
pub fn run_with_progress(conn: &mut AnyConnection, plan: &SeedPlan) -> Result<(), String> {
    let bar = indicatif::ProgressBar::new(u64::from(plan.patients));
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {elapsed_precise} [{bar:40}] {human_pos}/{human_len} patients \
             ({rate}) eta {eta}",
        )
        .map_err(|e| e.to_string())?
        .with_key(
            "rate",
            |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0} patients/s", state.per_sec());
            },
        )
        .progress_chars("=> "),
    );
    let started = std::time::Instant::now();
    let result = run(conn, plan, |done| {
        if bar.is_hidden() {
            let rate = f64::from(done) / started.elapsed().as_secs_f64().max(1e-3);
            eprintln!("seeded {done}/{} patients ({rate:.0}/s)", plan.patients);
        } else {
            bar.set_position(u64::from(done));
        }
    });
    bar.finish();
    result
}
