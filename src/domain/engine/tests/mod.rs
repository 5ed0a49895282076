//! Engine tests: compact builders for a patient's history, results and reviews, and the tables
//! that use them (one row per clinical situation).

mod dump;
mod eligibility;
mod items;
mod properties;
mod sweep;
mod v2_history;
mod v2_results;

use chrono::{NaiveDate, TimeZone, Utc};

use super::{evaluate, WorkupInput};
use crate::domain::catalogue::TestCode;
use crate::domain::checklist::{Checklist, ChecklistItem};
use crate::domain::ids::{PatientId, PregnancyId, ResultId, ReviewId};
use crate::domain::item::ItemId;
use crate::domain::pregnancy::{GestationalAge, Outcome, Pregnancy};
use crate::domain::profile::{builtin, Profile};
use crate::domain::result::{
    Interpretation, LabResult, Modality, ReferenceRange, ResultStatus, ResultValue, ResultVersion,
    Subject,
};
use crate::domain::review::{Review, ReviewAction};

pub(super) fn d(s: &str) -> NaiveDate {
    s.parse().expect("a YYYY-MM-DD date")
}

/// A history in a line: `"m8 b5 lb39 m23+6 s? e8 mo10 t9 o pr pt"` (miscarriage, biochemical,
/// live birth, stillbirth, ectopic, molar, termination, ongoing, PUL resolved / treated;
/// weeks+days, `?` for unknown), one a month from 2020-01-15 in that order.
pub(super) fn history(spec: &str) -> Vec<Pregnancy> {
    spec.split_whitespace()
        .enumerate()
        .map(|(i, token)| {
            let split = token.find(|c: char| c.is_ascii_digit() || c == '?');
            let (code, ga) = token.split_at(split.unwrap_or(token.len()));
            let outcome = match code {
                "m" => Outcome::Miscarriage,
                "b" => Outcome::Biochemical,
                "lb" => Outcome::LiveBirth,
                "s" => Outcome::Stillbirth,
                "e" => Outcome::Ectopic,
                "mo" => Outcome::Molar,
                "t" => Outcome::Termination,
                "o" => Outcome::Ongoing,
                "pr" => Outcome::PulResolved,
                "pt" => Outcome::PulTreated,
                other => panic!("unknown outcome {other}"),
            };
            let gestational_age = match ga.split_once('+') {
                _ if ga.is_empty() || ga == "?" => None,
                Some((w, d)) => GestationalAge::new(w.parse().unwrap(), d.parse().unwrap()).ok(),
                None => GestationalAge::new(ga.parse().unwrap(), 0).ok(),
            };
            let ended_on = (outcome != Outcome::Ongoing)
                .then(|| d("2020-01-15") + chrono::Months::new(i as u32));
            Pregnancy {
                id: PregnancyId::new(),
                outcome,
                ended_on,
                gestational_age,
                conception: None,
                complications: Vec::new(),
                edd: None,
                gestational_age_at_demise: None,
                partner_mrn: None,
            }
        })
        .collect()
}

/// A result under construction: its last version is the one the setters change.
#[derive(Clone)]
pub(super) struct R(pub LabResult);

pub(super) fn r(test: TestCode) -> R {
    R(LabResult {
        id: ResultId::new(),
        test,
        subject: match test {
            TestCode::SpermDnaFragmentation => Subject::Partner,
            _ => Subject::Patient,
        },
        pregnancy_id: None,
        versions: vec![ResultVersion {
            version: 1,
            status: ResultStatus::Final,
            value: ResultValue::default(),
            interpretation: None,
            reference_range: None,
            modality: (test == TestCode::UterineImaging).then_some(Modality::Tvus3d),
            collected_on: Some(d("2026-10-01")),
            reported_at: None,
            on_anticoagulation: false,
            // A mid-luteal sample unless a row says otherwise (§6.7 reads the timing).
            cycle_day: (test == TestCode::Progesterone).then_some(21),
            days_before_menses: None,
            partner_mrn: None,
        }],
    })
}

impl R {
    fn last(&mut self) -> &mut ResultVersion {
        self.0.versions.last_mut().expect("a version")
    }
    pub fn q(mut self, quantity: f64, unit: &str) -> Self {
        let v = &mut self.last().value;
        v.quantity = Some(quantity);
        v.unit = (!unit.is_empty()).then(|| unit.to_owned());
        self
    }
    pub fn unit(mut self, unit: &str) -> Self {
        self.last().value.unit = Some(unit.to_owned());
        self
    }
    pub fn undated(mut self) -> Self {
        self.last().collected_on = None;
        self
    }
    pub fn f(mut self, finding: &str) -> Self {
        self.last().value.finding = Some(finding.to_owned());
        self
    }
    pub fn text(mut self, text: &str) -> Self {
        self.last().value.text = Some(text.to_owned());
        self
    }
    pub fn flag(mut self, flag: Interpretation) -> Self {
        self.last().interpretation = Some(flag);
        self
    }
    pub fn range(mut self, low: Option<f64>, high: Option<f64>) -> Self {
        self.last().reference_range = Some(ReferenceRange {
            low,
            high,
            unit: None,
        });
        self
    }
    pub fn on(mut self, date: &str) -> Self {
        self.last().collected_on = Some(d(date));
        self
    }
    pub fn by(mut self, modality: Modality) -> Self {
        self.last().modality = Some(modality);
        self
    }
    pub fn of(mut self, subject: Subject) -> Self {
        self.0.subject = subject;
        self
    }
    pub fn status(mut self, status: ResultStatus) -> Self {
        self.last().status = status;
        self
    }
    /// No cycle timing on the sample (§6.7).
    pub fn untimed(mut self) -> Self {
        self.last().cycle_day = None;
        self.last().days_before_menses = None;
        self
    }
    pub fn cycle_day(self, day: u8) -> Self {
        let mut x = self.untimed();
        x.last().cycle_day = Some(day);
        x
    }
    pub fn before_menses(self, days: u8) -> Self {
        let mut x = self.untimed();
        x.last().days_before_menses = Some(days);
        x
    }
    /// Whose partner sample this is (§6.5).
    pub fn partner_mrn(mut self, mrn: &str) -> Self {
        self.last().partner_mrn = Some(mrn.to_owned());
        self
    }
    pub fn anticoagulated(mut self) -> Self {
        self.last().on_anticoagulation = true;
        self
    }
    /// A new version (a copy of the last one) with `status`.
    pub fn then(mut self, status: ResultStatus) -> Self {
        let mut next = self.last().clone();
        next.version += 1;
        next.status = status;
        self.0.versions.push(next);
        self
    }
}

pub(super) fn review(item: Option<ItemId>, action: ReviewAction, on: &str) -> Review {
    Review {
        id: ReviewId::new(),
        item,
        action,
        note: None,
        by: "dr-a".into(),
        at: Utc.from_utc_datetime(&d(on).and_hms_opt(12, 0, 0).unwrap()),
    }
}

/// A patient: history, results and reviews.
#[derive(Clone, Debug, Default)]
pub(super) struct Patient {
    pub pregnancies: Vec<Pregnancy>,
    pub results: Vec<LabResult>,
    pub reviews: Vec<Review>,
    /// The current partner's MRN (§6.5).
    pub partner_mrn: Option<String>,
}

impl Patient {
    /// Three first-trimester miscarriages: the definition is met under every profile.
    pub fn eligible() -> Self {
        Self::with_history("m8 m8 m8")
    }
    pub fn with_history(spec: &str) -> Self {
        Patient {
            pregnancies: history(spec),
            ..Self::default()
        }
    }
    /// Adds a result; a tissue result without a pregnancy belongs to the most recent loss (as
    /// a clinician records it), see `with_feed` for a lab feed's unlinked one.
    pub fn with(mut self, mut result: R) -> Self {
        if result.0.subject == Subject::PregnancyTissue && result.0.pregnancy_id.is_none() {
            result.0.pregnancy_id = self
                .pregnancies
                .iter()
                .filter(|p| p.ended_on.is_some())
                .max_by_key(|p| p.ended_on)
                .map(|p| p.id);
        }
        self.results.push(result.0);
        self
    }
    /// Adds a result as a lab feed sends it (no pregnancy id).
    pub fn with_feed(mut self, result: R) -> Self {
        self.results.push(result.0);
        self
    }
    /// A tissue result of the `n`th pregnancy (0-based).
    pub fn with_tissue_of(self, n: usize, result: R) -> Self {
        let id = self.pregnancies[n].id;
        let mut result = result;
        result.0.pregnancy_id = Some(id);
        self.with_feed(result)
    }
    /// Changes the `n`th pregnancy (0-based).
    pub fn pregnancy(mut self, n: usize, change: impl FnOnce(&mut Pregnancy)) -> Self {
        change(&mut self.pregnancies[n]);
        self
    }
    /// The ongoing pregnancy's due date.
    pub fn edd(self, edd: &str) -> Self {
        let n = self
            .pregnancies
            .iter()
            .position(|p| p.outcome == Outcome::Ongoing)
            .expect("an ongoing pregnancy");
        self.pregnancy(n, |p| p.edd = Some(d(edd)))
    }
    pub fn partner(mut self, mrn: &str) -> Self {
        self.partner_mrn = Some(mrn.to_owned());
        self
    }
    pub fn reviewed(mut self, item: Option<ItemId>, action: ReviewAction, on: &str) -> Self {
        self.reviews.push(review(item, action, on));
        self
    }
    pub fn evaluate(&self, profile: &Profile, today: &str) -> Checklist {
        let input = WorkupInput {
            patient_id: PatientId::new(),
            pregnancies: &self.pregnancies,
            results: &self.results,
            reviews: &self.reviews,
            partner_mrn: self.partner_mrn.as_deref(),
        };
        evaluate(&input, profile, d(today))
    }
    /// The item under a built-in profile, evaluated on 2026-11-23.
    pub fn item(&self, profile: &str, item: ItemId) -> ChecklistItem {
        let p = builtin(profile).expect("a built-in profile");
        self.evaluate(p, "2026-11-23")
            .item(item)
            .unwrap_or_else(|| panic!("{profile} has no {item:?}"))
            .clone()
    }
}
