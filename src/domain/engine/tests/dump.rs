//! A fixed, varied sample of patients evaluated under every built-in profile and written out as
//! JSON, one checklist a line, so that a change meant to alter only how the engine works (its
//! speed) can be shown to leave every byte of its output as it was: dump before and after, diff.
//! Run: `ENGINE_DUMP=/tmp/before.jsonl cargo test --lib dump_checklists -- --ignored`.

use std::io::Write;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use uuid::Uuid;

use super::properties::patient;
use super::*;
use crate::domain::profile::builtin_profiles;
use crate::domain::result::ReferenceRange;

/// How many patients; each is evaluated under the four profiles on three dates.
const PATIENTS: usize = 3000;

const FINDINGS: &[&str] = &[
    "yes",
    "no",
    "normal",
    "normal_variant",
    "arcuate",
    "septate",
    "balanced_rearrangement",
    "unbalanced_rearrangement",
    "aneuploidy",
    "failed",
    "not_detected",
    "heterozygous",
    "former",
    "current",
    "accepted",
    "declined",
    "positive",
    "negative",
];

/// A small deterministic generator for the details the property strategy leaves out.
struct Xorshift(u64);

impl Xorshift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn one_in(&mut self, n: u64) -> bool {
        self.next() % n == 0
    }
}

/// Ids from a counter, so that both dumps name the same things alike.
fn id(counter: &mut u128) -> Uuid {
    *counter += 1;
    Uuid::from_u128(*counter)
}

/// Adds what the property strategy never varies: linked tissue, partners, reference ranges,
/// free text, report times, cycle timing, notes and history findings.
fn vary(p: &mut Patient, rng: &mut Xorshift, counter: &mut u128) {
    for preg in &mut p.pregnancies {
        preg.id = PregnancyId(id(counter));
    }
    if rng.one_in(3) {
        p.partner_mrn = Some(["P-1", "P-2"][rng.below(2)].to_owned());
    }
    for r in &mut p.results {
        r.id = ResultId(id(counter));
        if r.subject == Subject::PregnancyTissue && !p.pregnancies.is_empty() && rng.one_in(2) {
            r.pregnancy_id = Some(p.pregnancies[rng.below(p.pregnancies.len())].id);
        }
        for v in &mut r.versions {
            if rng.one_in(3) {
                v.value.finding = Some(FINDINGS[rng.below(FINDINGS.len())].to_owned());
            }
            if rng.one_in(4) {
                v.reference_range = Some(ReferenceRange {
                    low: rng.one_in(2).then(|| (rng.below(50) as f64) / 10.0),
                    high: rng.one_in(2).then(|| (rng.below(900) as f64) / 8.0),
                    unit: rng.one_in(3).then(|| "ng/mL".to_owned()),
                });
            }
            if rng.one_in(6) {
                v.value.text = Some(["46,XX", "see report", "1.2"][rng.below(3)].to_owned());
            }
            if rng.one_in(5) {
                v.reported_at = Some(
                    Utc.with_ymd_and_hms(2026, 1 + rng.below(12) as u32, 3, 8, 0, 0)
                        .unwrap(),
                );
            }
            if rng.one_in(5) {
                v.days_before_menses = Some(rng.below(12) as u8);
            }
            if rng.one_in(6) {
                v.partner_mrn = Some(["P-1", "P-2"][rng.below(2)].to_owned());
            }
        }
    }
    for r in &mut p.reviews {
        r.id = ReviewId(id(counter));
        if rng.one_in(2) {
            r.note = Some("seen in clinic".into());
        }
    }
}

#[test]
#[ignore = "writes a file for comparing two builds; run by hand"]
fn dump_checklists() {
    let path = std::env::var("ENGINE_DUMP").expect("ENGINE_DUMP names the file to write");
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut runner = TestRunner::deterministic();
    let mut rng = Xorshift(0x9e37_79b9_7f4a_7c15);
    let mut counter = 0u128;
    let strategy = patient();
    for _ in 0..PATIENTS {
        let mut p = strategy.new_tree(&mut runner).unwrap().current();
        vary(&mut p, &mut rng, &mut counter);
        let patient_id = PatientId(id(&mut counter));
        let input = WorkupInput {
            patient_id,
            pregnancies: &p.pregnancies,
            results: &p.results,
            reviews: &p.reviews,
            partner_mrn: p.partner_mrn.as_deref(),
        };
        for profile in builtin_profiles() {
            for today in ["2025-09-01", "2026-11-23", "2027-06-01"] {
                let c = evaluate(&input, profile, d(today));
                serde_json::to_writer(&mut out, &c).unwrap();
                out.write_all(b"\n").unwrap();
            }
        }
    }
    out.flush().unwrap();
}
