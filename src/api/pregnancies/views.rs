//! Request and response bodies of the obstetric history, and the checks that give them meaning.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::api::error::FieldError;
use crate::api::patients::present;
use crate::domain::ids::{PatientId, PregnancyId};
use crate::domain::plausibility::{check_age_at_end, check_gestation};
use crate::domain::pregnancy::{
    check_details, check_reported, Complication, Conception, Outcome, ReportedDetails,
    ReportedPregnancy,
};
use crate::storage::pregnancies::{NewPregnancy, PregnancyRow};

/// One pregnancy of the obstetric history.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PregnancyInput {
    pub outcome: Outcome,
    /// When the pregnancy ended (required unless `ongoing`).
    pub ended_on: Option<NaiveDate>,
    /// Completed weeks of gestation (required for a miscarriage or stillbirth).
    #[validate(range(min = 0, max = 45))]
    #[schema(minimum = 0, maximum = 45)]
    pub gestational_age_weeks: Option<i32>,
    /// Days beyond the completed weeks.
    #[validate(range(min = 0, max = 6))]
    #[schema(minimum = 0, maximum = 6)]
    pub gestational_age_days: Option<i32>,
    pub conception: Option<Conception>,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub notes: Option<String>,
    /// Record it even though a pregnancy with the same outcome ending within 3 days is recorded
    /// already (otherwise 409 `duplicate_pregnancy`). The override is audited.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_duplicate: bool,
    /// Complications of this pregnancy (clinical-rules.md §6.1: severe pre-eclampsia, eclampsia
    /// or placental insufficiency before 34+0 weeks is a criterion of antiphospholipid syndrome).
    #[serde(default)]
    #[validate(length(max = 10))]
    pub complications: Vec<Complication>,
    /// Estimated due date: required for an `ongoing` pregnancy, refused otherwise (§6.3).
    pub edd: Option<NaiveDate>,
    /// Completed weeks at fetal demise, when earlier than the diagnosis (§6.6).
    #[schema(minimum = 0, maximum = 45)]
    pub gestational_age_at_demise_weeks: Option<i32>,
    #[schema(minimum = 0, maximum = 6)]
    pub gestational_age_at_demise_days: Option<i32>,
    /// The partner of this pregnancy; absent: the patient's current partner (§6.5).
    #[schema(max_length = 64)]
    pub partner_mrn: Option<String>,
}

/// A partial update of a pregnancy (absent fields stay, `null` clears).
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePregnancy {
    pub outcome: Option<Outcome>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<NaiveDate>)]
    pub ended_on: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>, minimum = 0, maximum = 45)]
    pub gestational_age_weeks: Option<Option<i32>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>, minimum = 0, maximum = 6)]
    pub gestational_age_days: Option<Option<i32>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Conception>)]
    pub conception: Option<Option<Conception>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub notes: Option<Option<String>>,
    /// Keep the change even though it makes this pregnancy look like another one recorded
    /// (same outcome, end within 3 days; otherwise 409 `duplicate_pregnancy`). Audited.
    #[serde(default)]
    pub allow_duplicate: bool,
    #[serde(default)]
    pub complications: Option<Vec<Complication>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<NaiveDate>)]
    pub edd: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>, minimum = 0, maximum = 45)]
    pub gestational_age_at_demise_weeks: Option<Option<i32>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>, minimum = 0, maximum = 6)]
    pub gestational_age_at_demise_days: Option<Option<i32>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 64)]
    pub partner_mrn: Option<Option<String>>,
}

impl UpdatePregnancy {
    /// The stored pregnancy with this patch applied, as a full input to check again.
    pub fn apply_to(&self, row: &PregnancyRow) -> PregnancyInput {
        PregnancyInput {
            outcome: self
                .outcome
                .or_else(|| Outcome::parse(&row.outcome))
                .unwrap_or(Outcome::Miscarriage),
            ended_on: self.ended_on.unwrap_or(row.ended_on),
            gestational_age_weeks: self
                .gestational_age_weeks
                .unwrap_or(row.gestational_age_weeks),
            gestational_age_days: self
                .gestational_age_days
                .unwrap_or(row.gestational_age_days),
            conception: self
                .conception
                .unwrap_or_else(|| row.conception.as_deref().and_then(Conception::parse)),
            notes: self.notes.clone().unwrap_or_else(|| row.notes.clone()),
            allow_duplicate: self.allow_duplicate,
            complications: self.complications.clone().unwrap_or_else(|| {
                row.complications
                    .as_deref()
                    .map(Complication::parse_list)
                    .unwrap_or_default()
            }),
            edd: self.edd.unwrap_or(row.edd),
            gestational_age_at_demise_weeks: self
                .gestational_age_at_demise_weeks
                .unwrap_or(row.gestational_age_at_demise_weeks),
            gestational_age_at_demise_days: self
                .gestational_age_at_demise_days
                .unwrap_or(row.gestational_age_at_demise_days),
            partner_mrn: self
                .partner_mrn
                .clone()
                .unwrap_or_else(|| row.partner_mrn.clone()),
        }
    }
}

/// A pregnancy as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PregnancyView {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub patient_id: String,
    pub outcome: Outcome,
    pub ended_on: Option<NaiveDate>,
    pub gestational_age_weeks: Option<i32>,
    pub gestational_age_days: Option<i32>,
    pub conception: Option<Conception>,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub complications: Vec<Complication>,
    pub edd: Option<NaiveDate>,
    pub gestational_age_at_demise_weeks: Option<i32>,
    pub gestational_age_at_demise_days: Option<i32>,
    pub partner_mrn: Option<String>,
}

impl From<PregnancyRow> for PregnancyView {
    fn from(row: PregnancyRow) -> Self {
        PregnancyView {
            outcome: Outcome::parse(&row.outcome).unwrap_or(Outcome::Miscarriage),
            conception: row.conception.as_deref().and_then(Conception::parse),
            id: row.id.to_string(),
            patient_id: row.patient_id.to_string(),
            ended_on: row.ended_on,
            gestational_age_weeks: row.gestational_age_weeks,
            gestational_age_days: row.gestational_age_days,
            notes: row.notes,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
            complications: row
                .complications
                .as_deref()
                .map(Complication::parse_list)
                .unwrap_or_default(),
            edd: row.edd,
            gestational_age_at_demise_weeks: row.gestational_age_at_demise_weeks,
            gestational_age_at_demise_days: row.gestational_age_at_demise_days,
            partner_mrn: row.partner_mrn,
        }
    }
}

/// Checks what the field-level limits cannot: the fields against each other, the calendar and the
/// patient's birth date. `path` names a field of this pregnancy (`pregnancies[2].ended_on`).
pub fn check_pregnancy(
    input: &PregnancyInput,
    birth_date: Option<NaiveDate>,
    today: NaiveDate,
    path: &dyn Fn(&str) -> String,
    errors: &mut Vec<FieldError>,
) {
    let reported = ReportedPregnancy {
        outcome: input.outcome,
        ended_on: input.ended_on,
        gestational_age_weeks: input.gestational_age_weeks,
        gestational_age_days: input.gestational_age_days,
    };
    let plausibility = [
        check_gestation(
            input.outcome,
            input.gestational_age_weeks,
            input.gestational_age_days,
        ),
        check_age_at_end(input.ended_on, birth_date),
    ];
    errors.extend(
        check_reported(&reported, birth_date, today)
            .into_iter()
            .chain(plausibility.into_iter().flatten())
            .map(|p| FieldError::new(path(p.field), p.message)),
    );
    check_v2_details(input, today, path, errors);
}

/// The v2 facts (clinical-rules.md §6): `edd`, gestational age at demise, `partner_mrn`.
fn check_v2_details(
    input: &PregnancyInput,
    today: NaiveDate,
    path: &dyn Fn(&str) -> String,
    errors: &mut Vec<FieldError>,
) {
    let details = ReportedDetails {
        outcome: input.outcome,
        edd: input.edd,
        gestational_age_weeks: input.gestational_age_weeks,
        gestational_age_days: input.gestational_age_days,
        demise_weeks: input.gestational_age_at_demise_weeks,
        demise_days: input.gestational_age_at_demise_days,
        partner_mrn: input.partner_mrn.as_deref(),
    };
    errors.extend(
        check_details(&details, today)
            .into_iter()
            .map(|p| FieldError::new(path(p.field), p.message)),
    );
}

/// Checks the history and turns it into rows for `patient_id`; problems go to `errors` under
/// `prefix[i].field`.
pub fn new_pregnancy_rows(
    patient_id: PatientId,
    inputs: &[PregnancyInput],
    birth_date: Option<NaiveDate>,
    today: NaiveDate,
    prefix: &str,
    errors: &mut Vec<FieldError>,
) -> Vec<NewPregnancy> {
    let now = crate::storage::now();
    inputs
        .iter()
        .enumerate()
        .map(|(i, input)| {
            check_pregnancy(
                input,
                birth_date,
                today,
                &|f| format!("{prefix}[{i}].{f}"),
                errors,
            );
            new_row(patient_id, input, now)
        })
        .collect()
}

pub fn new_row(
    patient_id: PatientId,
    input: &PregnancyInput,
    now: chrono::NaiveDateTime,
) -> NewPregnancy {
    NewPregnancy {
        id: PregnancyId::new(),
        patient_id,
        outcome: input.outcome.as_str().to_owned(),
        ended_on: input.ended_on,
        gestational_age_weeks: input.gestational_age_weeks,
        gestational_age_days: input
            .gestational_age_weeks
            .map(|_| input.gestational_age_days.unwrap_or(0)),
        conception: input.conception.map(|c| c.as_str().to_owned()),
        notes: input.notes.clone(),
        created_at: now,
        updated_at: now,
        complications: Complication::join(&input.complications),
        edd: input.edd,
        gestational_age_at_demise_weeks: input.gestational_age_at_demise_weeks,
        gestational_age_at_demise_days: input
            .gestational_age_at_demise_weeks
            .map(|_| input.gestational_age_at_demise_days.unwrap_or(0)),
        partner_mrn: input.partner_mrn.as_deref().map(|m| m.trim().to_owned()),
    }
}
