//! Request and response bodies of `/v1/patients`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::api::pregnancies::PregnancyInput;
use crate::storage::patients::PatientRow;

/// The patient's partner (for partner karyotype and sperm results).
#[derive(Debug, Clone, Default, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Partner {
    /// The partner's MRN, if the clinic has one.
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mrn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<NaiveDate>,
}

/// A new patient, optionally with her obstetric history.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePatient {
    /// Medical record number, unique within the clinic.
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64, example = "MRN-0042")]
    pub mrn: String,
    /// The EHR's patient id (CDS Hooks `context.patientId`), unique within the clinic.
    #[validate(length(min = 1, max = 128))]
    #[schema(min_length = 1, max_length = 128)]
    pub ehr_patient_id: Option<String>,
    pub birth_date: Option<NaiveDate>,
    #[validate(nested)]
    pub partner: Option<Partner>,
    /// Guideline profile for this patient, overriding the clinic default.
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64, example = "rcog-2023")]
    pub profile: Option<String>,
    /// The obstetric history, recorded in the same transaction.
    #[validate(nested, length(max = 60))]
    #[schema(max_items = 60)]
    #[serde(default)]
    pub pregnancies: Vec<PregnancyInput>,
}

/// A partial update (JSON merge patch): absent fields stay, `null` clears.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePatient {
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub mrn: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 128)]
    pub ehr_patient_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<NaiveDate>)]
    pub birth_date: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Partner>)]
    pub partner: Option<Option<Partner>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 64)]
    pub profile: Option<Option<String>>,
}

/// Tells a field sent as `null` (`Some(None)`) from one left out (`None`).
pub fn present<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A patient as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PatientView {
    #[schema(format = Uuid)]
    pub id: String,
    pub mrn: String,
    pub ehr_patient_id: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub partner: Option<Partner>,
    /// The patient's own profile override (`null`: the clinic default applies).
    pub profile: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<PatientRow> for PatientView {
    fn from(row: PatientRow) -> Self {
        let partner =
            (row.partner_mrn.is_some() || row.partner_birth_date.is_some()).then_some(Partner {
                mrn: row.partner_mrn,
                birth_date: row.partner_birth_date,
            });
        PatientView {
            id: row.id.to_string(),
            mrn: row.mrn,
            ehr_patient_id: row.ehr_patient_id,
            birth_date: row.birth_date,
            partner,
            profile: row.profile,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        }
    }
}
