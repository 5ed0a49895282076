//! `POST /v1/patients`

use actix_web::{post, web, HttpResponse};

use super::{require_clinical, CreatePatient, PatientView};
use crate::api::audit_trail::Access;
use crate::api::error::{ApiError, FieldError};
use crate::api::extract::{RequestId, ValidJson};
use crate::api::idempotent::{idempotent, IdempotencyKey, Recorded};
use crate::api::pregnancies::{check_against_history, new_pregnancy_rows, Candidate};
use crate::api::state::AppState;
use crate::auth::Caller;
use crate::domain::patient::Mrn;
use crate::storage::{self, clinics, patients, pregnancies, UniqueRule};

/// Create a patient (with her obstetric history, if given, in the same transaction).
#[utoipa::path(
    tag = "patients",
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to a retry with the same body (1–255 visible ASCII characters); another body under the same key is a 422")),
    request_body = CreatePatient,
    responses(
        (status = 201, description = "Created", body = PatientView),
        (status = 409, description = "The MRN or EHR id is already used in this clinic, or a pregnancy is listed twice (`duplicate_pregnancy`)", body = crate::api::error::Problem),
        (status = 422, description = "Invalid field(s) an implausible history, or a reused Idempotency-Key", body = crate::api::error::Problem),
    ),
    security(("bearer" = []))
)]
#[post("/v1/patients")]
pub async fn create_patient(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    key: IdempotencyKey,
    body: ValidJson<CreatePatient>,
) -> Result<HttpResponse, ApiError> {
    require_clinical(&caller)?;
    let input = body.into_inner();
    let request = format!("{input:?}");
    let mut errors = Vec::new();
    let mrn = Mrn::parse(&input.mrn)
        .map_err(|e| errors.push(FieldError::new("mrn", e)))
        .ok();
    let clinic = caller.clinic.clone();
    let today = state
        .db(move |conn| Ok(crate::workup::record::clinic_today(conn, &clinic)?))
        .await?;
    if input.birth_date.is_some_and(|d| d > today) {
        errors.push(FieldError::new("birth_date", "must not be in the future"));
    }
    let patient_id = crate::domain::ids::PatientId::new();
    let pregnancy_rows = new_pregnancy_rows(
        patient_id,
        &input.pregnancies,
        input.birth_date,
        today,
        "pregnancies",
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let candidates: Vec<Candidate<'_>> = input
        .pregnancies
        .iter()
        .enumerate()
        .map(|(i, input)| Candidate {
            prefix: format!("pregnancies[{i}]."),
            input,
        })
        .collect();
    let allowed_duplicates = check_against_history(&candidates, &[])?;
    let mrn = mrn.expect("checked above").into_inner();
    let now = storage::now();
    let partner = input.partner.unwrap_or_default();
    let new = patients::NewPatient {
        id: patient_id,
        clinic_id: caller.clinic.clone(),
        mrn,
        ehr_patient_id: input.ehr_patient_id.map(|s| s.trim().to_owned()),
        birth_date: input.birth_date,
        partner_mrn: partner.mrn,
        partner_birth_date: partner.birth_date,
        profile: input.profile,
        created_at: now,
        updated_at: now,
    };
    let write = move |conn: &mut storage::AnyConnection, caller: &Caller| {
        clinics::ensure(conn, &caller.clinic)?;
        if let Some(profile) = &new.profile {
            super::ensure_profile_known(conn, caller, profile)?;
        }
        patients::insert(conn, &new).map_err(|e| duplicate_or(e, &new))?;
        pregnancies::insert(conn, &pregnancy_rows)?;
        let accesses = std::iter::once(Access::new("create", "patient", new.id, new.id))
            .chain(
                pregnancy_rows
                    .iter()
                    .map(|p| Access::new("create", "pregnancy", new.id, p.id)),
            )
            .chain(allowed_duplicates.iter().map(|&i| {
                let id = &pregnancy_rows[i].id;
                Access::new("allow_duplicate", "pregnancy", new.id, id)
            }))
            .collect();
        let row = patients::find(conn, &caller.clinic, new.id)?
            .ok_or_else(|| ApiError::internal("patient vanished after insert"))?;
        Ok((row, accesses))
    };
    let respond = |row: &patients::PatientRow| {
        Recorded::created(
            format!("/v1/patients/{}", row.id),
            &PatientView::from(row.clone()),
        )
    };
    let lock = Vec::<crate::domain::ids::PatientId>::new();
    idempotent(
        &state,
        caller,
        request_id,
        key.for_request(&request),
        lock,
        write,
        respond,
    )
    .await
}

/// A unique violation on insert or update is the MRN or the EHR id already in use.
pub(crate) fn duplicate_or(e: diesel::result::Error, new: &patients::NewPatient) -> ApiError {
    let which = match storage::unique_violation(&e) {
        Some(UniqueRule::PatientEhrId) if new.ehr_patient_id.is_some() => "ehr_patient_id",
        Some(UniqueRule::PatientMrn) => "mrn",
        _ => return e.into(),
    };
    ApiError::Conflict(format!(
        "a patient with this {which} already exists in your clinic"
    ))
}
