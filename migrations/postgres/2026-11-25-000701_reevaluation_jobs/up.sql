-- Clinic-wide re-evaluations (after a new default profile), worked through in chunks by a
-- background worker; `cursor` is the last patient id done, so a restart resumes after it.
CREATE TABLE reevaluation_jobs (
    id TEXT PRIMARY KEY NOT NULL,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    profile TEXT NOT NULL,
    state TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    total INTEGER NOT NULL,
    cursor TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
CREATE INDEX reevaluation_jobs_state ON reevaluation_jobs (state, created_at);
CREATE INDEX reevaluation_jobs_clinic ON reevaluation_jobs (clinic_id, created_at);
