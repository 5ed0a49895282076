-- The record: clinics, patients, obstetric history, results (every version), reviews, audit.
-- UUIDs are text on both backends; clinical rows are soft-deleted (deleted_at), never dropped.
CREATE TABLE clinics (
    id TEXT PRIMARY KEY NOT NULL,
    default_profile TEXT NOT NULL DEFAULT 'eshre-2022',
    mrn_system TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE patients (
    id TEXT PRIMARY KEY NOT NULL,
    clinic_id TEXT NOT NULL REFERENCES clinics(id),
    mrn TEXT NOT NULL,
    ehr_patient_id TEXT,
    birth_date DATE,
    partner_mrn TEXT,
    partner_birth_date DATE,
    profile TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE UNIQUE INDEX patients_clinic_mrn ON patients (clinic_id, mrn) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX patients_clinic_ehr_id ON patients (clinic_id, ehr_patient_id)
    WHERE deleted_at IS NULL AND ehr_patient_id IS NOT NULL;
CREATE INDEX patients_clinic_id ON patients (clinic_id, id);

CREATE TABLE pregnancies (
    id TEXT PRIMARY KEY NOT NULL,
    patient_id TEXT NOT NULL REFERENCES patients(id),
    outcome TEXT NOT NULL,
    ended_on DATE,
    gestational_age_weeks INTEGER,
    gestational_age_days INTEGER,
    conception TEXT,
    notes TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE INDEX pregnancies_patient ON pregnancies (patient_id);

CREATE TABLE results (
    id TEXT PRIMARY KEY NOT NULL,
    clinic_id TEXT NOT NULL REFERENCES clinics(id),
    patient_id TEXT NOT NULL REFERENCES patients(id),
    test TEXT NOT NULL,
    subject TEXT NOT NULL,
    pregnancy_id TEXT REFERENCES pregnancies(id),
    source TEXT NOT NULL,
    accession TEXT,
    latest_version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE INDEX results_patient ON results (patient_id);
-- Idempotency of lab feeds is enforced here, never by search-then-insert.
CREATE UNIQUE INDEX results_accession ON results (clinic_id, source, accession, test)
    WHERE accession IS NOT NULL;

CREATE TABLE result_versions (
    result_id TEXT NOT NULL REFERENCES results(id),
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    loinc TEXT,
    value_quantity DOUBLE PRECISION,
    value_unit TEXT,
    value_finding TEXT,
    value_text TEXT,
    interpretation TEXT,
    reference_low DOUBLE PRECISION,
    reference_high DOUBLE PRECISION,
    reference_unit TEXT,
    modality TEXT,
    collected_on DATE,
    reported_at TIMESTAMP,
    on_anticoagulation BOOLEAN NOT NULL DEFAULT FALSE,
    note TEXT,
    content_hash TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (result_id, version)
);

CREATE TABLE reviews (
    id TEXT PRIMARY KEY NOT NULL,
    patient_id TEXT NOT NULL REFERENCES patients(id),
    item TEXT,
    action TEXT NOT NULL,
    note TEXT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    withdrawn_by TEXT,
    withdrawn_at TIMESTAMP
);
CREATE INDEX reviews_patient ON reviews (patient_id);

-- Append-only: no UPDATE or DELETE is ever issued against it.
CREATE TABLE audit_log (
    id TEXT PRIMARY KEY NOT NULL,
    at TIMESTAMP NOT NULL,
    clinic_id TEXT NOT NULL,
    actor TEXT NOT NULL,
    roles TEXT NOT NULL,
    patient_id TEXT,
    action TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id TEXT,
    request_id TEXT NOT NULL,
    outcome TEXT NOT NULL DEFAULT 'success'
);
CREATE INDEX audit_clinic_at ON audit_log (clinic_id, at, id);
CREATE INDEX audit_clinic_patient ON audit_log (clinic_id, patient_id, at);
